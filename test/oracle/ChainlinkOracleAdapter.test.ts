import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, takeSnapshot, time } from "@nomicfoundation/hardhat-network-helpers";

import type { ChainlinkOracleAdapter, MockV3Aggregator } from "../../typechain-types";

// Tests for contracts/oracle/ChainlinkOracleAdapter.sol: every validity check and its boundary, decimals
// normalisation, and the deviation breaker judged from the feed's own round history (issue 10 §2): the market is
// volatile at time t iff some round updated within the cooldown window (updatedAt > t − cooldown) moved more than
// maxDeviationBps from the running high or low of the window's earlier rounds and the anchor (the last round
// updated at or before t − cooldown). The adapter keeps no state: `readPrice` is a view equal to `latestPrice`,
// so nothing a caller does (or a reverted call undoes) changes its answer; only the feed and the clock do.
//
// Timing: in Hardhat `eth_call` runs at the latest mined block's timestamp, so every read at a chosen time `t`
// mines a block at `t`, checks, and rewinds (`viewsAt`).

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
/** ChainlinkOracleAdapter.MAX_HISTORY_ROUNDS, restated: feed rounds read back at most. */
const MAX_HISTORY_ROUNDS = 32n;
/** Chainlink proxy round ids carry the aggregator phase in the bits above 64. */
const PHASE_SHIFT = 64n;

const SEQUENCER_UP = 0n;
const SEQUENCER_DOWN = 1n;

/** Answer `bps` basis points away from `answer` (positive = up), truncated like the feed's units. */
const movedBps = (answer: bigint, bps: bigint) => answer + (answer * bps) / MAX_BPS;
const toWad = (answer: bigint) => answer * WAD_PER_FEED_UNIT;

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

/** Runs view assertions with the latest block at `timestamp`, then rewinds the chain to before that block. */
async function viewsAt(timestamp: bigint, assertViews: () => Promise<void>): Promise<void> {
  const snapshot = await takeSnapshot();
  await time.increaseTo(timestamp);
  try {
    await assertViews();
  } finally {
    await snapshot.restore();
  }
}

/** Writes the next feed round with explicit timestamps; returns its round id. */
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

/** Writes consecutive rounds `answers`, one second apart from `firstUpdatedAt`; returns the last one's time. */
async function setRounds(aggregator: MockV3Aggregator, answers: bigint[], firstUpdatedAt: bigint): Promise<bigint> {
  let updatedAt = firstUpdatedAt;
  for (const answer of answers) await setRound(aggregator, answer, updatedAt++);
  return updatedAt - 1n;
}

/** L1 market: 8-decimal feed at $2,000 (round 1), no sequencer feed. */
async function l1Fixture() {
  const feed = await deployFeed(FEED_DECIMALS, INITIAL_ANSWER);
  const adapter = await deployAdapter(baseConfig(await feed.getAddress()));
  return { feed, adapter };
}

/** As l1Fixture, with round 1 older than the cooldown window: it is the anchor of every window that follows. */
async function l1AnchoredFixture() {
  const { feed, adapter } = await l1Fixture();
  await time.increase(VOLATILITY_COOLDOWN_SECONDS);
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
 * Asserts that `latestPrice()` and `readPrice()` both revert with `errorName(...args)`, at the latest block or,
 * when given, at `timestamp`.
 */
async function expectBothRevert(
  adapter: ChainlinkOracleAdapter,
  errorName: string,
  args: unknown[],
  timestamp?: bigint,
): Promise<void> {
  const assertViews = async () => {
    await expect(adapter.latestPrice())
      .to.be.revertedWithCustomError(adapter, errorName)
      .withArgs(...args);
    await expect(adapter.readPrice())
      .to.be.revertedWithCustomError(adapter, errorName)
      .withArgs(...args);
  };
  if (timestamp === undefined) await assertViews();
  else await viewsAt(timestamp, assertViews);
}

/**
 * Asserts `latestPrice()` and `readPrice()` both return `[priceWad, isVolatile]`, at the latest block or, when
 * given, at `timestamp`.
 */
async function expectBothReturn(
  adapter: ChainlinkOracleAdapter,
  priceWad: bigint,
  isVolatile: boolean,
  timestamp?: bigint,
) {
  const assertViews = async () => {
    const latest = await adapter.latestPrice();
    const read = await adapter.readPrice();
    expect([latest.priceWad, latest.isVolatile], "latestPrice").to.deep.equal([priceWad, isVolatile]);
    expect([read.priceWad, read.isVolatile], "readPrice").to.deep.equal([priceWad, isVolatile]);
  };
  if (timestamp === undefined) await assertViews();
  else await viewsAt(timestamp, assertViews);
}

/** The breaker's verdict at `timestamp` (both reads agree; checked by `expectBothReturn`). */
async function volatileAt(adapter: ChainlinkOracleAdapter, timestamp: bigint): Promise<boolean> {
  let verdict = false;
  await viewsAt(timestamp, async () => {
    const latest = await adapter.latestPrice();
    const read = await adapter.readPrice();
    expect(read.isVolatile, "readPrice == latestPrice").to.equal(latest.isVolatile);
    verdict = latest.isVolatile;
  });
  return verdict;
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

    it("constructor_reads_no_price_so_it_deploys_over_a_stale_feed_or_a_down_sequencer", async () => {
      // Nothing is read or recorded at deployment: the adapter judges every read from the feed alone.
      const stale = await deployFeed(FEED_DECIMALS, INITIAL_ANSWER);
      const staleSince = BigInt(await time.latest()) - HEARTBEAT_SECONDS - 1n;
      await setRound(stale, INITIAL_ANSWER, staleSince);
      const overStale = await deployAdapter(baseConfig(await stale.getAddress()));
      await expectBothRevert(overStale, "PriceStale", [staleSince, HEARTBEAT_SECONDS]);

      const feed = await deployFeed(FEED_DECIMALS, INITIAL_ANSWER);
      const sequencer = await deployFeed(0, SEQUENCER_DOWN);
      const overDown = await deployAdapter({
        ...baseConfig(await feed.getAddress()),
        sequencerUptimeFeed: await sequencer.getAddress(),
        sequencerGracePeriodSeconds: GRACE_PERIOD_SECONDS,
      });
      await expectBothRevert(overDown, "SequencerDown", [SEQUENCER_DOWN]);
    });

    it("adapter_keeps_no_state_readPrice_is_a_view_and_reads_in_between_change_nothing", async () => {
      const { feed, adapter } = await loadFixture(l1AnchoredFixture);
      expect(adapter.interface.getFunction("readPrice")!.stateMutability).to.equal("view");
      expect(adapter.interface.getFunction("latestPrice")!.stateMutability).to.equal("view");
      expect(await adapter.MAX_HISTORY_ROUNDS()).to.equal(MAX_HISTORY_ROUNDS);
      // No recorded price, no cooldown, no round id: the old state and its events are gone.
      const abiNames = adapter.interface.fragments.map((f) => ("name" in f ? (f as { name: string }).name : f.type));
      for (const gone of [
        "lastAcceptedPriceWad",
        "volatileUntil",
        "lastAcceptedRoundId",
        "PriceAccepted",
        "VolatilityTripped",
      ]) {
        expect(abiNames, gone).not.to.include(gone);
      }
      expect(
        adapter.interface.fragments.filter((f) => f.type === "event"),
        "no events at all",
      ).to.deep.equal([]);
      // A jump, read by transactions (as the engine does) before and after: the verdict at any time is the same
      // as without them, and no storage slot is ever written.
      const address = await adapter.getAddress();
      const jumpedAt = BigInt(await time.latest()) + 10n;
      await setRound(feed, 3_000n * FEED_UNIT, jumpedAt);
      await time.increaseTo(jumpedAt);
      await adapter.readPrice.send();
      await adapter.latestPrice.send();
      for (let slot = 0; slot < 8; slot++)
        expect(await ethers.provider.getStorage(address, slot)).to.equal(ethers.ZeroHash);
      expect(await volatileAt(adapter, jumpedAt + VOLATILITY_COOLDOWN_SECONDS - 1n)).to.equal(true);
      expect(await volatileAt(adapter, jumpedAt + VOLATILITY_COOLDOWN_SECONDS)).to.equal(false);
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
      await setRound(feed, INITIAL_ANSWER, updatedAt);
      await expectBothReturn(adapter, INITIAL_PRICE_WAD, false, updatedAt + HEARTBEAT_SECONDS);
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
      // One second later the same round is valid.
      await expectBothReturn(adapter, INITIAL_PRICE_WAD, false, readAt + 1n);
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
      // Far from the $2,000 round before it in the window: flagged volatile, but the price is still returned.
      await expectBothReturn(adapter, toWad(MIN_ANSWER + 1n), true);
    });

    it("readPrice_succeeds_when_answer_just_inside_max_bound", async () => {
      const { feed, adapter } = await loadFixture(l1Fixture);
      await feed.updateAnswer(MAX_ANSWER - 1n);
      await expectBothReturn(adapter, toWad(MAX_ANSWER - 1n), true);
    });
  });

  describe("sequencer", () => {
    it("readPrice_succeeds_when_sequencer_up_after_grace_period", async () => {
      const { adapter } = await loadFixture(l2Fixture);
      await expectBothReturn(adapter, INITIAL_PRICE_WAD, false);
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
      const upSince = now + 5n;
      await setRound(sequencer, SEQUENCER_UP, upSince);
      await expectBothRevert(adapter, "SequencerGracePeriodNotOver", [upSince, GRACE_PERIOD_SECONDS], upSince + 1n);
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
      await setRound(feed, INITIAL_ANSWER, upSince + GRACE_PERIOD_SECONDS - 60n);
      await expectBothReturn(adapter, INITIAL_PRICE_WAD, false, upSince + GRACE_PERIOD_SECONDS + 1n);
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

  describe("deviation breaker (judged from the feed's round history)", () => {
    for (const [direction, bps] of [
      ["up", MAX_DEVIATION_BPS],
      ["down", -MAX_DEVIATION_BPS],
    ] as const) {
      it(`readPrice_does_not_trip_at_exactly_the_threshold_${direction}`, async () => {
        const { feed, adapter } = await loadFixture(l1AnchoredFixture);
        const answer = movedBps(INITIAL_ANSWER, bps);
        await feed.updateAnswer(answer);
        await expectBothReturn(adapter, toWad(answer), false);
      });

      it(`readPrice_trips_one_unit_beyond_the_threshold_${direction}`, async () => {
        const { feed, adapter } = await loadFixture(l1AnchoredFixture);
        const answer = movedBps(INITIAL_ANSWER, bps) + (bps > 0n ? 1n : -1n);
        await feed.updateAnswer(answer);
        await expectBothReturn(adapter, toWad(answer), true);
      });
    }

    it("the_cooldown_runs_from_the_feed_update_that_jumped_and_ends_at_its_boundary_second_without_any_read", async () => {
      // Issue 10 §2: nobody touches the adapter between the jump and the end of the cooldown.
      const { feed, adapter } = await loadFixture(l1AnchoredFixture);
      const jumpedAt = BigInt(await time.latest()) + 10n;
      const answer = 3_000n * FEED_UNIT; // +50%
      await setRound(feed, answer, jumpedAt);
      await expectBothReturn(adapter, toWad(answer), true, jumpedAt);
      await expectBothReturn(adapter, toWad(answer), true, jumpedAt + VOLATILITY_COOLDOWN_SECONDS - 1n);
      await expectBothReturn(adapter, toWad(answer), false, jumpedAt + VOLATILITY_COOLDOWN_SECONDS);
    });

    it("a_move_split_over_two_rounds_inside_the_cooldown_trips_it_even_when_read_in_between", async () => {
      const { feed, adapter } = await loadFixture(l1AnchoredFixture);
      const first = movedBps(INITIAL_ANSWER, 1_500n); // +15%: 2,300
      const second = movedBps(first, 1_500n); // +15% again: 2,645, +32.25% from 2,000
      const firstAt = BigInt(await time.latest()) + 10n;
      await setRound(feed, first, firstAt);
      await expectBothReturn(adapter, toWad(first), false, firstAt);
      await time.increaseTo(firstAt + 100n);
      await adapter.readPrice.send(); // someone reads (a transaction, as the engine does) between the two rounds
      const secondAt = firstAt + 200n;
      await setRound(feed, second, secondAt);
      // Judged against the window's low (2,000, the anchor) while the first round is inside the window.
      await expectBothReturn(adapter, toWad(second), true, secondAt);
      await expectBothReturn(adapter, toWad(second), true, firstAt + VOLATILITY_COOLDOWN_SECONDS - 1n);
      // Once the first round is the anchor, the second is only +15% from it.
      await expectBothReturn(adapter, toWad(second), false, firstAt + VOLATILITY_COOLDOWN_SECONDS);
    });

    it("two_moves_of_exactly_the_threshold_trip_inside_one_cooldown_and_not_a_cooldown_apart", async () => {
      const { feed, adapter } = await loadFixture(l1AnchoredFixture);
      const first = movedBps(INITIAL_ANSWER, MAX_DEVIATION_BPS); // 2,500
      const second = movedBps(first, MAX_DEVIATION_BPS); // 3,125
      const firstAt = BigInt(await time.latest()) + 10n;
      await setRound(feed, first, firstAt);
      await expectBothReturn(adapter, toWad(first), false, firstAt);
      // Inside the same window: +56.25% from the anchor.
      await viewsAt(firstAt + 1n, async () => {
        await setRound(feed, second, firstAt + 1n);
        await expectBothReturn(adapter, toWad(second), true);
      });
      // A cooldown later the first round is the anchor: exactly +25% from it.
      const secondAt = firstAt + VOLATILITY_COOLDOWN_SECONDS;
      await setRound(feed, second, secondAt);
      await expectBothReturn(adapter, toWad(second), false, secondAt);
    });

    it("a_round_is_judged_against_the_windows_running_low_as_well_as_its_high", async () => {
      const { feed, adapter } = await loadFixture(l1AnchoredFixture);
      const start = BigInt(await time.latest()) + 10n;
      const down = movedBps(INITIAL_ANSWER, -1_500n); // 1,700
      // 2,000 → 1,700 (−15%) → 2,125 (+25% from the low, exactly): calm; one unit more trips.
      const exact = movedBps(down, MAX_DEVIATION_BPS);
      await setRounds(feed, [down, exact], start);
      await expectBothReturn(adapter, toWad(exact), false, start + 1n);
      await setRound(feed, exact + 1n, start + 2n);
      await expectBothReturn(adapter, toWad(exact + 1n), true, start + 2n);
    });

    it("a_jump_back_inside_the_cooldown_keeps_the_market_volatile_for_a_cooldown_after_the_last_jump", async () => {
      const { feed, adapter } = await loadFixture(l1AnchoredFixture);
      const upAt = BigInt(await time.latest()) + 10n;
      const backAt = upAt + 100n;
      await setRound(feed, 3_000n * FEED_UNIT, upAt);
      await setRound(feed, INITIAL_ANSWER, backAt); // −33% from 3,000
      // While the jump up is in the window the round back is 0% from the anchor but −33% from the high.
      await expectBothReturn(adapter, INITIAL_PRICE_WAD, true, upAt + VOLATILITY_COOLDOWN_SECONDS - 1n);
      // Then the jump up is the anchor and the round back is itself a jump.
      await expectBothReturn(adapter, INITIAL_PRICE_WAD, true, upAt + VOLATILITY_COOLDOWN_SECONDS);
      await expectBothReturn(adapter, INITIAL_PRICE_WAD, true, backAt + VOLATILITY_COOLDOWN_SECONDS - 1n);
      await expectBothReturn(adapter, INITIAL_PRICE_WAD, false, backAt + VOLATILITY_COOLDOWN_SECONDS);
    });

    it("up_to_MAX_HISTORY_ROUNDS_rounds_in_the_window_are_judged_and_one_more_counts_as_volatile", async () => {
      const { feed, adapter } = await loadFixture(l1AnchoredFixture);
      const start = BigInt(await time.latest()) + 10n;
      // 32 rounds inside the window (the latest included), every one at the anchor's price: calm.
      const flat = Array.from({ length: Number(MAX_HISTORY_ROUNDS) }, () => INITIAL_ANSWER);
      const lastAt = await setRounds(feed, flat, start);
      await expectBothReturn(adapter, INITIAL_PRICE_WAD, false, lastAt);
      // All 32 are read: a jump in the oldest of them trips the breaker.
      await viewsAt(lastAt + 1n, async () => {
        await feed.updateRoundData(2n, 3_000n * FEED_UNIT, start, start);
        expect((await adapter.latestPrice()).isVolatile, "jump in the oldest round of the window").to.equal(true);
      });
      // A 33rd round inside the window: more updates than the adapter reads back ⇒ volatile, without any move.
      await setRound(feed, INITIAL_ANSWER, lastAt + 1n);
      await expectBothReturn(adapter, INITIAL_PRICE_WAD, true, lastAt + 1n);
      // Once the oldest of them leaves the window (it becomes the anchor), 32 remain: calm again.
      await expectBothReturn(adapter, INITIAL_PRICE_WAD, false, start + VOLATILITY_COOLDOWN_SECONDS);
    });

    it("a_missing_round_ends_the_history_and_the_oldest_round_read_is_the_reference", async () => {
      const { feed, adapter } = await loadFixture(l1AnchoredFixture);
      const t = BigInt(await time.latest()) + 10n;
      // Round 2 never existed (getRoundData returns zeros); round 3 jumps +50% from round 1, unseen.
      await feed.updateRoundData(3n, 3_000n * FEED_UNIT, t, t);
      await expectBothReturn(adapter, toWad(3_000n * FEED_UNIT), false, t);
      // Round 4 is judged against round 3, the oldest round read.
      const answer = movedBps(3_000n * FEED_UNIT, MAX_DEVIATION_BPS) + 1n;
      await setRound(feed, answer, t + 1n);
      await expectBothReturn(adapter, toWad(answer), true, t + 1n);
    });

    it("an_incomplete_or_out_of_bounds_round_ends_the_history", async () => {
      const { feed, adapter } = await loadFixture(l1AnchoredFixture);
      const t = BigInt(await time.latest()) + 10n;
      const jump = 3_000n * FEED_UNIT;
      for (const [what, answer, updatedAt] of [
        ["incomplete (updatedAt 0)", INITIAL_ANSWER, 0n],
        ["at the min bound", MIN_ANSWER, t],
        ["at the max bound", MAX_ANSWER, t],
        ["non-positive", 0n, t],
      ] as const) {
        await viewsAt(t + 1n, async () => {
          // Round 2 is unusable, round 3 jumps +50% from round 1: judged alone, calm.
          await feed.updateRoundData(2n, answer, updatedAt, updatedAt);
          await feed.updateRoundData(3n, jump, t + 1n, t + 1n);
          expect((await adapter.latestPrice()).isVolatile, what).to.equal(false);
        });
      }
      // With a usable round 2 (at the anchor's price) the same jump trips.
      await feed.updateRoundData(2n, INITIAL_ANSWER, t, t);
      await feed.updateRoundData(3n, jump, t + 1n, t + 1n);
      await expectBothReturn(adapter, toWad(jump), true, t + 1n);
    });

    it("a_round_whose_getRoundData_reverts_ends_the_history", async () => {
      const feed = await ethers.deployContract("ScriptedAggregator", [FEED_DECIMALS]);
      const now = BigInt(await time.latest());
      const anchorAt = now - VOLATILITY_COOLDOWN_SECONDS - 10n;
      // Round 1 (the anchor) at 2,000; rounds 2 and 3 in the window at 3,000: a 50% jump from the anchor.
      await feed.setRound(1n, INITIAL_ANSWER, anchorAt);
      await feed.setRound(2n, 3_000n * FEED_UNIT, now - 5n);
      await feed.setRound(3n, 3_000n * FEED_UNIT, now - 4n);
      const adapter = await deployAdapter(baseConfig(await feed.getAddress()));
      expect((await adapter.latestPrice()).isVolatile, "round 1 readable: the jump is seen").to.equal(true);
      // A proxy that cannot serve round 2 reverts: the history ends at round 3, which has nothing to compare with.
      await feed.setUnavailable(2n, true);
      const [priceWad, isVolatile] = await adapter.latestPrice();
      expect([priceWad, isVolatile]).to.deep.equal([toWad(3_000n * FEED_UNIT), false]);
    });

    it("the_history_of_a_new_aggregator_phase_starts_at_its_round_1", async () => {
      const { feed, adapter } = await loadFixture(l1Fixture);
      const t = BigInt(await time.latest()) + 10n;
      const phase1 = 1n << PHASE_SHIFT;
      const jump = 3_000n * FEED_UNIT;
      // Phase 1, round 1: nothing before it is read (round 1 of phase 0, at 2,000, is in the window).
      await feed.updateRoundData(phase1 | 1n, jump, t, t);
      await expectBothReturn(adapter, toWad(jump), false, t);
      // Phase 1, round 2 is judged against phase 1, round 1.
      const next = movedBps(jump, MAX_DEVIATION_BPS) + 1n;
      await feed.updateRoundData(phase1 | 2n, next, t + 1n, t + 1n);
      await expectBothReturn(adapter, toWad(next), true, t + 1n);
    });

    it("a_latest_round_older_than_the_window_is_calm_whatever_came_before", async () => {
      const { feed, adapter } = await loadFixture(l1AnchoredFixture);
      const t = BigInt(await time.latest()) + 10n;
      await setRounds(feed, [5_000n * FEED_UNIT, 1_000n * FEED_UNIT], t);
      await expectBothReturn(adapter, toWad(1_000n * FEED_UNIT), true, t + 1n);
      await expectBothReturn(adapter, toWad(1_000n * FEED_UNIT), false, t + 1n + VOLATILITY_COOLDOWN_SECONDS);
    });
  });

  describe("latestPrice", () => {
    it("latestPrice_equals_readPrice_in_every_breaker_state", async () => {
      const { feed, adapter } = await loadFixture(l1AnchoredFixture);
      const t = BigInt(await time.latest()) + 10n;
      await expectBothReturn(adapter, INITIAL_PRICE_WAD, false); // unchanged
      await setRound(feed, 2_100n * FEED_UNIT, t);
      await expectBothReturn(adapter, toWad(2_100n * FEED_UNIT), false, t); // small move
      await setRound(feed, 4_000n * FEED_UNIT, t + 1n);
      await expectBothReturn(adapter, toWad(4_000n * FEED_UNIT), true, t + 1n); // jump, inside the cooldown
      await expectBothReturn(adapter, toWad(4_000n * FEED_UNIT), false, t + 1n + VOLATILITY_COOLDOWN_SECONDS); // over
    });
  });
});
