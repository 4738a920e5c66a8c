import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, takeSnapshot, time } from "@nomicfoundation/hardhat-network-helpers";

import type { ChainlinkOracleAdapter, MockV3Aggregator } from "../../typechain-types";

// Tests for contracts/oracle/ChainlinkOracleAdapter.sol.
//
// Timing: in Hardhat `eth_call` (so `latestPrice()` and `readPrice.staticCall()`) runs at the latest mined
// block's timestamp, while a transaction runs at the next block's. Boundary tests therefore check views with
// `viewsAt(t, ...)` (mine a block at `t`, check, rewind) and send the transaction with `atTimestamp(t)`.

type OracleConfig = ChainlinkOracleAdapter.OracleConfigStruct;

const FEED_DECIMALS = 8;
const FEED_UNIT = 10n ** BigInt(FEED_DECIMALS);
const WAD_PER_FEED_UNIT = 10n ** BigInt(18 - FEED_DECIMALS);
const INITIAL_ANSWER = 2_000n * FEED_UNIT; // $2,000
const INITIAL_PRICE_WAD = INITIAL_ANSWER * WAD_PER_FEED_UNIT;

const HEARTBEAT_SECONDS = 3_600n;
const MIN_ANSWER = 10n * FEED_UNIT; // $10
const MAX_ANSWER = 100_000n * FEED_UNIT; // $100,000
const GRACE_PERIOD_SECONDS = 3_600n;
const MAX_DEVIATION_BPS = 2_500n; // 25%, the design default
const VOLATILITY_COOLDOWN_SECONDS = 600n;
const MAX_BPS = 10_000n;

const SEQUENCER_UP = 0n;
const SEQUENCER_DOWN = 1n;

/** Answer `bps` basis points away from INITIAL_ANSWER (positive = up). */
const initialAnswerMovedBps = (bps: bigint) => INITIAL_ANSWER + (INITIAL_ANSWER * bps) / MAX_BPS;

async function deployFeed(decimals: number, answer: bigint): Promise<MockV3Aggregator> {
  return ethers.deployContract("MockV3Aggregator", [decimals, answer]);
}

function baseConfig(feed: string): OracleConfig {
  return {
    feed,
    heartbeatSeconds: HEARTBEAT_SECONDS,
    minAnswer: MIN_ANSWER,
    maxAnswer: MAX_ANSWER,
    sequencerUptimeFeed: ethers.ZeroAddress,
    sequencerGracePeriodSeconds: 0n,
    maxDeviationBps: MAX_DEVIATION_BPS,
    volatilityCooldownSeconds: VOLATILITY_COOLDOWN_SECONDS,
  };
}

async function deployAdapter(config: OracleConfig): Promise<ChainlinkOracleAdapter> {
  return ethers.deployContract("ChainlinkOracleAdapter", [config]);
}

/** Fixes the next block's timestamp to `latest + secondsFromLatest` and returns it. */
async function atNextBlock(secondsFromLatest = 1n): Promise<bigint> {
  const timestamp = BigInt(await time.latest()) + secondsFromLatest;
  await time.setNextBlockTimestamp(timestamp);
  return timestamp;
}

/** Fixes the next block's (so the next transaction's) timestamp to `timestamp`. */
async function atTimestamp(timestamp: bigint): Promise<void> {
  await time.setNextBlockTimestamp(timestamp);
}

/** Runs view assertions with the latest block at `timestamp`, then rewinds the chain to before that block. */
async function viewsAt(timestamp: bigint, assertViews: () => Promise<void>): Promise<void> {
  const snapshot = await takeSnapshot();
  await time.increaseTo(timestamp);
  await assertViews();
  await snapshot.restore();
}

/** Gas limit for `readPrice` transactions, so they are not pre-simulated by `eth_estimateGas` at another time. */
const READ_GAS_LIMIT = 300_000n;

/** Writes a new feed round with explicit timestamps; returns its round id. */
async function setRound(
  aggregator: MockV3Aggregator,
  answer: bigint,
  updatedAt: bigint,
  startedAt: bigint = updatedAt,
): Promise<bigint> {
  const roundId = (await aggregator.latestRound()) + 1n;
  await aggregator.updateRoundData(roundId, answer, updatedAt, startedAt);
  return roundId;
}

/** L1 market: 8-decimal feed at $2,000, no sequencer feed, reference seeded at deployment. */
async function l1Fixture() {
  const feed = await deployFeed(FEED_DECIMALS, INITIAL_ANSWER);
  const adapter = await deployAdapter(baseConfig(await feed.getAddress()));
  return { feed, adapter };
}

/** L2 market: as l1Fixture, plus a sequencer uptime feed that came up long before the grace period. */
async function l2Fixture() {
  const feed = await deployFeed(FEED_DECIMALS, INITIAL_ANSWER);
  const sequencer = await deployFeed(0, SEQUENCER_UP);
  const upSince = BigInt(await time.latest()) - 10n * GRACE_PERIOD_SECONDS;
  await setRound(sequencer, SEQUENCER_UP, upSince);
  const adapter = await deployAdapter({
    ...baseConfig(await feed.getAddress()),
    sequencerUptimeFeed: await sequencer.getAddress(),
    sequencerGracePeriodSeconds: GRACE_PERIOD_SECONDS,
  });
  return { feed, sequencer, adapter };
}

/**
 * Asserts that `latestPrice()` and a `readPrice()` transaction both revert with `errorName(...args)`: the view
 * at the latest block, the transaction in the next block; or both at `timestamp` when given.
 */
async function expectBothRevert(
  adapter: ChainlinkOracleAdapter,
  errorName: string,
  args: unknown[],
  timestamp?: bigint,
): Promise<void> {
  const assertView = async () => {
    await expect(adapter.latestPrice())
      .to.be.revertedWithCustomError(adapter, errorName)
      .withArgs(...args);
  };
  if (timestamp === undefined) {
    await assertView();
  } else {
    await viewsAt(timestamp, assertView);
    await atTimestamp(timestamp);
  }
  await expect(adapter.readPrice({ gasLimit: READ_GAS_LIMIT }))
    .to.be.revertedWithCustomError(adapter, errorName)
    .withArgs(...args);
}

/** Asserts `latestPrice()` and `readPrice()` (simulated) both return `[priceWad, isVolatile]` at the latest block. */
async function expectBothReturn(adapter: ChainlinkOracleAdapter, priceWad: bigint, isVolatile: boolean) {
  const latest = await adapter.latestPrice();
  const read = await adapter.readPrice.staticCall();
  expect([latest.priceWad, latest.isVolatile]).to.deep.equal([priceWad, isVolatile]);
  expect([read.priceWad, read.isVolatile]).to.deep.equal([priceWad, isVolatile]);
}

describe("ChainlinkOracleAdapter", () => {
  describe("constructor", () => {
    it("constructor_reverts_when_feed_is_zero_address", async () => {
      const factory = await ethers.getContractFactory("ChainlinkOracleAdapter");
      await expect(factory.deploy(baseConfig(ethers.ZeroAddress)))
        .to.be.revertedWithCustomError(factory, "ZeroFeedAddress")
        .withArgs();
    });

    it("constructor_reverts_when_heartbeat_is_zero", async () => {
      const { feed } = await loadFixture(l1Fixture);
      const factory = await ethers.getContractFactory("ChainlinkOracleAdapter");
      await expect(factory.deploy({ ...baseConfig(await feed.getAddress()), heartbeatSeconds: 0n }))
        .to.be.revertedWithCustomError(factory, "ZeroHeartbeat")
        .withArgs();
    });

    it("constructor_reverts_when_feed_decimals_exceed_18", async () => {
      const feed19 = await deployFeed(19, 2_000n * 10n ** 19n);
      const factory = await ethers.getContractFactory("ChainlinkOracleAdapter");
      await expect(factory.deploy({ ...baseConfig(await feed19.getAddress()), maxAnswer: 10n ** 30n }))
        .to.be.revertedWithCustomError(factory, "FeedDecimalsTooHigh")
        .withArgs(19);
    });

    it("constructor_reverts_when_min_answer_equals_max_answer", async () => {
      const { feed } = await loadFixture(l1Fixture);
      const factory = await ethers.getContractFactory("ChainlinkOracleAdapter");
      await expect(factory.deploy({ ...baseConfig(await feed.getAddress()), minAnswer: MAX_ANSWER }))
        .to.be.revertedWithCustomError(factory, "InvalidAnswerBounds")
        .withArgs(MAX_ANSWER, MAX_ANSWER);
    });

    it("constructor_reverts_when_min_answer_exceeds_max_answer", async () => {
      const { feed } = await loadFixture(l1Fixture);
      const factory = await ethers.getContractFactory("ChainlinkOracleAdapter");
      await expect(
        factory.deploy({ ...baseConfig(await feed.getAddress()), minAnswer: MAX_ANSWER, maxAnswer: MIN_ANSWER }),
      )
        .to.be.revertedWithCustomError(factory, "InvalidAnswerBounds")
        .withArgs(MAX_ANSWER, MIN_ANSWER);
    });

    it("constructor_reverts_when_max_deviation_bps_is_zero", async () => {
      const { feed } = await loadFixture(l1Fixture);
      const factory = await ethers.getContractFactory("ChainlinkOracleAdapter");
      await expect(factory.deploy({ ...baseConfig(await feed.getAddress()), maxDeviationBps: 0n }))
        .to.be.revertedWithCustomError(factory, "InvalidMaxDeviationBps")
        .withArgs(0n);
    });

    it("constructor_reverts_when_max_deviation_bps_exceeds_10000", async () => {
      const { feed } = await loadFixture(l1Fixture);
      const factory = await ethers.getContractFactory("ChainlinkOracleAdapter");
      await expect(factory.deploy({ ...baseConfig(await feed.getAddress()), maxDeviationBps: MAX_BPS + 1n }))
        .to.be.revertedWithCustomError(factory, "InvalidMaxDeviationBps")
        .withArgs(MAX_BPS + 1n);
    });

    it("constructor_accepts_max_deviation_bps_of_10000", async () => {
      const { feed } = await loadFixture(l1Fixture);
      const adapter = await deployAdapter({ ...baseConfig(await feed.getAddress()), maxDeviationBps: MAX_BPS });
      expect(await adapter.maxDeviationBps()).to.equal(MAX_BPS);
    });

    it("constructor_reverts_when_sequencer_feed_set_with_zero_grace_period", async () => {
      const { feed } = await loadFixture(l1Fixture);
      const sequencer = await deployFeed(0, SEQUENCER_UP);
      const factory = await ethers.getContractFactory("ChainlinkOracleAdapter");
      await expect(
        factory.deploy({
          ...baseConfig(await feed.getAddress()),
          sequencerUptimeFeed: await sequencer.getAddress(),
          sequencerGracePeriodSeconds: 0n,
        }),
      )
        .to.be.revertedWithCustomError(factory, "ZeroSequencerGracePeriod")
        .withArgs(await sequencer.getAddress());
    });

    it("constructor_accepts_grace_period_without_sequencer_feed", async () => {
      const { feed } = await loadFixture(l1Fixture);
      const adapter = await deployAdapter({
        ...baseConfig(await feed.getAddress()),
        sequencerGracePeriodSeconds: 123n,
      });
      expect(await adapter.sequencerUptimeFeed()).to.equal(ethers.ZeroAddress);
      expect(await adapter.sequencerGracePeriodSeconds()).to.equal(123n);
      await expectBothReturn(adapter, INITIAL_PRICE_WAD, false);
    });

    it("constructor_reverts_when_volatility_cooldown_is_zero", async () => {
      const { feed } = await loadFixture(l1Fixture);
      const factory = await ethers.getContractFactory("ChainlinkOracleAdapter");
      await expect(factory.deploy({ ...baseConfig(await feed.getAddress()), volatilityCooldownSeconds: 0n }))
        .to.be.revertedWithCustomError(factory, "ZeroVolatilityCooldown")
        .withArgs();
    });

    it("constructor_reverts_when_max_answer_could_overflow_deviation_math", async () => {
      const { feed } = await loadFixture(l1Fixture);
      const maxSupportedAnswer = ethers.MaxUint256 / MAX_BPS / WAD_PER_FEED_UNIT;
      const factory = await ethers.getContractFactory("ChainlinkOracleAdapter");
      await expect(factory.deploy({ ...baseConfig(await feed.getAddress()), maxAnswer: maxSupportedAnswer + 1n }))
        .to.be.revertedWithCustomError(factory, "MaxAnswerTooLarge")
        .withArgs(maxSupportedAnswer + 1n, maxSupportedAnswer);
      const adapter = await deployAdapter({ ...baseConfig(await feed.getAddress()), maxAnswer: maxSupportedAnswer });
      expect(await adapter.maxAnswer()).to.equal(maxSupportedAnswer);
    });

    it("constructor_stores_config_and_feed_decimals", async () => {
      const { feed, sequencer, adapter } = await loadFixture(l2Fixture);
      expect(await adapter.feed()).to.equal(await feed.getAddress());
      expect(await adapter.heartbeatSeconds()).to.equal(HEARTBEAT_SECONDS);
      expect(await adapter.minAnswer()).to.equal(MIN_ANSWER);
      expect(await adapter.maxAnswer()).to.equal(MAX_ANSWER);
      expect(await adapter.sequencerUptimeFeed()).to.equal(await sequencer.getAddress());
      expect(await adapter.sequencerGracePeriodSeconds()).to.equal(GRACE_PERIOD_SECONDS);
      expect(await adapter.maxDeviationBps()).to.equal(MAX_DEVIATION_BPS);
      expect(await adapter.volatilityCooldownSeconds()).to.equal(VOLATILITY_COOLDOWN_SECONDS);
      expect(await adapter.feedDecimals()).to.equal(FEED_DECIMALS);
    });

    it("constructor_seeds_reference_and_emits_PriceAccepted_when_feed_valid", async () => {
      const feed = await deployFeed(FEED_DECIMALS, INITIAL_ANSWER);
      const adapter = await deployAdapter(baseConfig(await feed.getAddress()));
      await expect(adapter.deploymentTransaction()).to.emit(adapter, "PriceAccepted").withArgs(INITIAL_PRICE_WAD, 1n);
      expect(await adapter.lastAcceptedPriceWad()).to.equal(INITIAL_PRICE_WAD);
      expect(await adapter.lastAcceptedRoundId()).to.equal(1n);
      expect(await adapter.volatileUntil()).to.equal(0n);
    });

    it("constructor_leaves_no_reference_when_feed_stale_so_first_read_cannot_trip", async () => {
      const feed = await deployFeed(FEED_DECIMALS, INITIAL_ANSWER);
      const staleSince = BigInt(await time.latest()) - HEARTBEAT_SECONDS - 1n;
      await setRound(feed, INITIAL_ANSWER, staleSince);
      const adapter = await deployAdapter(baseConfig(await feed.getAddress()));
      await expect(adapter.deploymentTransaction()).not.to.emit(adapter, "PriceAccepted");
      expect(await adapter.lastAcceptedPriceWad()).to.equal(0n);
      expect(await adapter.lastAcceptedRoundId()).to.equal(0n);

      // A 3x move relative to the stale answer: no reference yet, so no trip.
      const answer = 3n * INITIAL_ANSWER;
      await feed.updateAnswer(answer);
      await expectBothReturn(adapter, answer * WAD_PER_FEED_UNIT, false);
      await expect(adapter.readPrice())
        .to.emit(adapter, "PriceAccepted")
        .withArgs(answer * WAD_PER_FEED_UNIT, 3n)
        .and.not.to.emit(adapter, "VolatilityTripped");
      expect(await adapter.lastAcceptedPriceWad()).to.equal(answer * WAD_PER_FEED_UNIT);
    });

    it("constructor_leaves_no_reference_when_sequencer_down", async () => {
      const feed = await deployFeed(FEED_DECIMALS, INITIAL_ANSWER);
      const sequencer = await deployFeed(0, SEQUENCER_DOWN);
      const adapter = await deployAdapter({
        ...baseConfig(await feed.getAddress()),
        sequencerUptimeFeed: await sequencer.getAddress(),
        sequencerGracePeriodSeconds: GRACE_PERIOD_SECONDS,
      });
      expect(await adapter.lastAcceptedPriceWad()).to.equal(0n);
    });
  });

  describe("normalisation", () => {
    it("readPrice_scales_8_decimal_answer_exactly_to_wad", async () => {
      const answer = 123_456_789_012n; // $1,234.56789012
      const feed = await deployFeed(8, answer);
      const adapter = await deployAdapter(baseConfig(await feed.getAddress()));
      expect(await adapter.feedDecimals()).to.equal(8);
      await expectBothReturn(adapter, 1_234_567_890_120_000_000_000n, false);
    });

    it("readPrice_returns_18_decimal_answer_unchanged", async () => {
      const answer = 1_234_567_890_123_456_789_012n; // $1,234.567890123456789012
      const feed = await deployFeed(18, answer);
      const adapter = await deployAdapter({
        ...baseConfig(await feed.getAddress()),
        minAnswer: 1n,
        maxAnswer: 10n ** 30n,
      });
      expect(await adapter.feedDecimals()).to.equal(18);
      await expectBothReturn(adapter, answer, false);
    });
  });

  describe("freshness", () => {
    it("readPrice_succeeds_when_answer_is_exactly_heartbeat_old", async () => {
      const { feed, adapter } = await loadFixture(l1Fixture);
      const updatedAt = BigInt(await time.latest()) + 10n;
      const roundId = await setRound(feed, INITIAL_ANSWER, updatedAt);
      const readAt = updatedAt + HEARTBEAT_SECONDS;
      await viewsAt(readAt, () => expectBothReturn(adapter, INITIAL_PRICE_WAD, false));
      await atTimestamp(readAt);
      await expect(adapter.readPrice({ gasLimit: READ_GAS_LIMIT }))
        .to.emit(adapter, "PriceAccepted")
        .withArgs(INITIAL_PRICE_WAD, roundId);
    });

    it("readPrice_reverts_when_stale", async () => {
      const { feed, adapter } = await loadFixture(l1Fixture);
      const updatedAt = BigInt(await time.latest()) + 10n;
      await setRound(feed, INITIAL_ANSWER, updatedAt);
      await expectBothRevert(adapter, "PriceStale", [updatedAt, HEARTBEAT_SECONDS], updatedAt + HEARTBEAT_SECONDS + 1n);
    });

    it("readPrice_reverts_when_updated_at_is_zero", async () => {
      const { feed, adapter } = await loadFixture(l1Fixture);
      const roundId = await setRound(feed, INITIAL_ANSWER, 0n, 0n);
      await expectBothRevert(adapter, "PriceRoundIncomplete", [roundId]);
    });

    it("readPrice_reverts_when_updated_at_is_in_the_future", async () => {
      const { feed, adapter } = await loadFixture(l1Fixture);
      const readAt = BigInt(await time.latest()) + 10n;
      await setRound(feed, INITIAL_ANSWER, readAt + 1n);
      await expectBothRevert(adapter, "PriceUpdatedInFuture", [readAt + 1n, readAt], readAt);
    });
  });

  describe("answer", () => {
    it("readPrice_reverts_when_answer_is_zero", async () => {
      const { feed, adapter } = await loadFixture(l1Fixture);
      await feed.updateAnswer(0n);
      await expectBothRevert(adapter, "PriceNonPositive", [0n]);
    });

    it("readPrice_reverts_when_answer_is_negative", async () => {
      const { feed, adapter } = await loadFixture(l1Fixture);
      await feed.updateAnswer(-1n);
      await expectBothRevert(adapter, "PriceNonPositive", [-1n]);
    });

    it("readPrice_reverts_when_answer_at_min_bound", async () => {
      const { feed, adapter } = await loadFixture(l1Fixture);
      await feed.updateAnswer(MIN_ANSWER);
      await expectBothRevert(adapter, "PriceAtBound", [MIN_ANSWER, MIN_ANSWER, MAX_ANSWER]);
    });

    it("readPrice_reverts_when_answer_below_min_bound", async () => {
      const { feed, adapter } = await loadFixture(l1Fixture);
      await feed.updateAnswer(MIN_ANSWER - 1n);
      await expectBothRevert(adapter, "PriceAtBound", [MIN_ANSWER - 1n, MIN_ANSWER, MAX_ANSWER]);
    });

    it("readPrice_reverts_when_answer_at_max_bound", async () => {
      const { feed, adapter } = await loadFixture(l1Fixture);
      await feed.updateAnswer(MAX_ANSWER);
      await expectBothRevert(adapter, "PriceAtBound", [MAX_ANSWER, MIN_ANSWER, MAX_ANSWER]);
    });

    it("readPrice_succeeds_when_answer_just_inside_min_bound", async () => {
      const { feed, adapter } = await loadFixture(l1Fixture);
      await feed.updateAnswer(MIN_ANSWER + 1n);
      // Far from the $2,000 reference: flagged volatile, but the price is still returned.
      await expectBothReturn(adapter, (MIN_ANSWER + 1n) * WAD_PER_FEED_UNIT, true);
    });

    it("readPrice_succeeds_when_answer_just_inside_max_bound", async () => {
      const { feed, adapter } = await loadFixture(l1Fixture);
      await feed.updateAnswer(MAX_ANSWER - 1n);
      await expectBothReturn(adapter, (MAX_ANSWER - 1n) * WAD_PER_FEED_UNIT, true);
    });
  });

  describe("sequencer", () => {
    it("readPrice_succeeds_when_sequencer_up_after_grace_period", async () => {
      const { adapter } = await loadFixture(l2Fixture);
      await expectBothReturn(adapter, INITIAL_PRICE_WAD, false);
      await expect(adapter.readPrice()).not.to.be.reverted;
    });

    it("readPrice_reverts_when_sequencer_down", async () => {
      const { sequencer, adapter } = await loadFixture(l2Fixture);
      await sequencer.updateAnswer(SEQUENCER_DOWN);
      await expectBothRevert(adapter, "SequencerDown", [SEQUENCER_DOWN]);
    });

    it("readPrice_reports_sequencer_down_before_invalid_price", async () => {
      const { feed, sequencer, adapter } = await loadFixture(l2Fixture);
      await feed.updateAnswer(0n);
      await sequencer.updateAnswer(SEQUENCER_DOWN);
      await expectBothRevert(adapter, "SequencerDown", [SEQUENCER_DOWN]);
    });

    it("readPrice_reports_sequencer_grace_period_before_stale_price", async () => {
      const { feed, sequencer, adapter } = await loadFixture(l2Fixture);
      const now = BigInt(await time.latest());
      await setRound(feed, INITIAL_ANSWER, now - HEARTBEAT_SECONDS - 1n);
      const upSince = await atNextBlock();
      await sequencer.updateAnswer(SEQUENCER_UP);
      await expectBothRevert(adapter, "SequencerGracePeriodNotOver", [upSince, GRACE_PERIOD_SECONDS]);
    });

    it("readPrice_reverts_when_sequencer_grace_period_not_over", async () => {
      const { feed, sequencer, adapter } = await loadFixture(l2Fixture);
      const upSince = BigInt(await time.latest()) + 10n;
      await setRound(sequencer, SEQUENCER_UP, upSince);
      await setRound(feed, INITIAL_ANSWER, upSince + GRACE_PERIOD_SECONDS - 60n);
      // Exactly the grace period after coming up: not over yet.
      const readAt = upSince + GRACE_PERIOD_SECONDS;
      await expectBothRevert(adapter, "SequencerGracePeriodNotOver", [upSince, GRACE_PERIOD_SECONDS], readAt);
    });

    it("readPrice_succeeds_one_second_after_sequencer_grace_period", async () => {
      const { feed, sequencer, adapter } = await loadFixture(l2Fixture);
      const upSince = BigInt(await time.latest()) + 10n;
      await setRound(sequencer, SEQUENCER_UP, upSince);
      const roundId = await setRound(feed, INITIAL_ANSWER, upSince + GRACE_PERIOD_SECONDS - 60n);
      const readAt = upSince + GRACE_PERIOD_SECONDS + 1n;
      await viewsAt(readAt, () => expectBothReturn(adapter, INITIAL_PRICE_WAD, false));
      await atTimestamp(readAt);
      await expect(adapter.readPrice({ gasLimit: READ_GAS_LIMIT }))
        .to.emit(adapter, "PriceAccepted")
        .withArgs(INITIAL_PRICE_WAD, roundId);
    });

    it("readPrice_reverts_when_sequencer_started_at_is_zero", async () => {
      const { sequencer, adapter } = await loadFixture(l2Fixture);
      await setRound(sequencer, SEQUENCER_UP, 0n, 0n);
      await expectBothRevert(adapter, "SequencerGracePeriodNotOver", [0n, GRACE_PERIOD_SECONDS]);
    });

    it("readPrice_reverts_when_sequencer_started_at_is_in_the_future", async () => {
      const { sequencer, adapter } = await loadFixture(l2Fixture);
      const readAt = BigInt(await time.latest()) + 10n;
      await setRound(sequencer, SEQUENCER_UP, readAt + 1n);
      await expectBothRevert(adapter, "SequencerGracePeriodNotOver", [readAt + 1n, GRACE_PERIOD_SECONDS], readAt);
    });
  });

  describe("deviation breaker", () => {
    for (const [direction, bps] of [
      ["up", MAX_DEVIATION_BPS],
      ["down", -MAX_DEVIATION_BPS],
    ] as const) {
      it(`readPrice_does_not_trip_at_exactly_the_threshold_${direction}`, async () => {
        const { feed, adapter } = await loadFixture(l1Fixture);
        const answer = initialAnswerMovedBps(bps);
        await feed.updateAnswer(answer);
        const priceWad = answer * WAD_PER_FEED_UNIT;
        await expectBothReturn(adapter, priceWad, false);
        await expect(adapter.readPrice())
          .to.emit(adapter, "PriceAccepted")
          .withArgs(priceWad, 2n)
          .and.not.to.emit(adapter, "VolatilityTripped");
        expect(await adapter.volatileUntil()).to.equal(0n);
        expect(await adapter.lastAcceptedPriceWad()).to.equal(priceWad);
      });

      it(`readPrice_trips_one_unit_beyond_the_threshold_${direction}`, async () => {
        const { feed, adapter } = await loadFixture(l1Fixture);
        const answer = initialAnswerMovedBps(bps) + (bps > 0n ? 1n : -1n);
        await feed.updateAnswer(answer);
        const priceWad = answer * WAD_PER_FEED_UNIT;
        const readAt = await atNextBlock();
        // latestPrice flags the jump before anything is recorded.
        await expectBothReturn(adapter, priceWad, true);
        expect(await adapter.volatileUntil()).to.equal(0n);
        expect(await adapter.lastAcceptedPriceWad()).to.equal(INITIAL_PRICE_WAD);

        await expect(adapter.readPrice())
          .to.emit(adapter, "VolatilityTripped")
          .withArgs(INITIAL_PRICE_WAD, priceWad, readAt + VOLATILITY_COOLDOWN_SECONDS)
          .and.to.emit(adapter, "PriceAccepted")
          .withArgs(priceWad, 2n);
        expect(await adapter.volatileUntil()).to.equal(readAt + VOLATILITY_COOLDOWN_SECONDS);
        expect(await adapter.lastAcceptedPriceWad()).to.equal(priceWad);
        // Recorded: the next read compares against the new price and stays volatile via the cooldown.
        await expectBothReturn(adapter, priceWad, true);
      });
    }

    it("isVolatile_stays_set_until_the_cooldown_ends", async () => {
      const { feed, adapter } = await loadFixture(l1Fixture);
      const answer = 3_000n * FEED_UNIT;
      const priceWad = answer * WAD_PER_FEED_UNIT;
      await feed.updateAnswer(answer);
      const trippedAt = await atNextBlock();
      await adapter.readPrice();

      const lastVolatileSecond = trippedAt + VOLATILITY_COOLDOWN_SECONDS - 1n;
      await viewsAt(lastVolatileSecond, () => expectBothReturn(adapter, priceWad, true));
      await atTimestamp(lastVolatileSecond);
      await expect(adapter.readPrice({ gasLimit: READ_GAS_LIMIT })).not.to.emit(adapter, "VolatilityTripped");
      expect(await adapter.volatileUntil()).to.equal(trippedAt + VOLATILITY_COOLDOWN_SECONDS);

      await time.increaseTo(trippedAt + VOLATILITY_COOLDOWN_SECONDS);
      await expectBothReturn(adapter, priceWad, false);
    });

    it("readPrice_extends_the_cooldown_when_tripping_again_while_volatile", async () => {
      const { feed, adapter } = await loadFixture(l1Fixture);
      await feed.updateAnswer(3_000n * FEED_UNIT);
      await adapter.readPrice();
      await feed.updateAnswer(2_000n * FEED_UNIT); // -33% from $3,000
      const readAt = await atNextBlock();
      await expect(adapter.readPrice())
        .to.emit(adapter, "VolatilityTripped")
        .withArgs(3_000n * FEED_UNIT * WAD_PER_FEED_UNIT, INITIAL_PRICE_WAD, readAt + VOLATILITY_COOLDOWN_SECONDS);
      expect(await adapter.volatileUntil()).to.equal(readAt + VOLATILITY_COOLDOWN_SECONDS);
    });

    it("readPrice_compares_against_the_last_accepted_price_not_the_first", async () => {
      const { feed, adapter } = await loadFixture(l1Fixture);
      // Two recorded +25% steps (+56.25% in total) never exceed the per-update threshold.
      await feed.updateAnswer(2_500n * FEED_UNIT);
      await adapter.readPrice();
      await feed.updateAnswer(3_125n * FEED_UNIT);
      await expectBothReturn(adapter, 3_125n * FEED_UNIT * WAD_PER_FEED_UNIT, false);
      await expect(adapter.readPrice()).not.to.emit(adapter, "VolatilityTripped");
    });
  });

  describe("latestPrice", () => {
    it("latestPrice_equals_readPrice_in_every_breaker_state", async () => {
      const { feed, adapter } = await loadFixture(l1Fixture);
      const check = async (expectedVolatile: boolean) => {
        const read = await adapter.readPrice.staticCall();
        const latest = await adapter.latestPrice();
        expect([latest.priceWad, latest.isVolatile]).to.deep.equal([read.priceWad, read.isVolatile]);
        expect(latest.isVolatile).to.equal(expectedVolatile);
      };
      await check(false); // seeded, unchanged
      await feed.updateAnswer(2_100n * FEED_UNIT);
      await check(false); // small move, not yet recorded
      await adapter.readPrice();
      await feed.updateAnswer(4_000n * FEED_UNIT);
      await check(true); // jump, not yet recorded
      await adapter.readPrice();
      await check(true); // recorded, inside the cooldown
      await time.increase(VOLATILITY_COOLDOWN_SECONDS);
      await check(false); // cooldown over
    });

    it("latestPrice_does_not_write_state", async () => {
      const { feed, adapter } = await loadFixture(l1Fixture);
      await feed.updateAnswer(4_000n * FEED_UNIT);
      await expectBothReturn(adapter, 4_000n * FEED_UNIT * WAD_PER_FEED_UNIT, true);
      expect(await adapter.lastAcceptedPriceWad()).to.equal(INITIAL_PRICE_WAD);
      expect(await adapter.lastAcceptedRoundId()).to.equal(1n);
      expect(await adapter.volatileUntil()).to.equal(0n);
    });
  });

  describe("events", () => {
    it("readPrice_emits_PriceAccepted_once_per_round", async () => {
      const { feed, adapter } = await loadFixture(l1Fixture);
      await expect(adapter.readPrice()).not.to.emit(adapter, "PriceAccepted"); // round 1 recorded at deployment
      const answer = 2_050n * FEED_UNIT;
      await feed.updateAnswer(answer);
      await expect(adapter.readPrice())
        .to.emit(adapter, "PriceAccepted")
        .withArgs(answer * WAD_PER_FEED_UNIT, 2n);
      expect(await adapter.lastAcceptedRoundId()).to.equal(2n);
      await expect(adapter.readPrice()).not.to.emit(adapter, "PriceAccepted");
    });
  });
});
