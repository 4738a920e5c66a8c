import { expect } from "chai";
import { ethers, network } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";

import { runtimeCodeOf } from "../../sim/fork/runtimeCode";
import type { ForkPriceFeed, StandInAggregator, StandInAggregatorProxy } from "../../typechain-types";

// Tests for contracts/fork/ForkPriceFeed.sol on the Hardhat network: the code the fork simulator puts at a Chainlink
// proxy's address keeps the proxy's interface and its real history (rounds before the takeover are read from the
// phase aggregator that was live), numbers its own rounds after them in the same phase, and only its controller
// posts. The protocol's ChainlinkOracleAdapter reads it like the real proxy, breaker history included.

const DECIMALS = 8;
const UNIT = 10n ** BigInt(DECIMALS);
const PHASE_SHIFT = 64n;
const MIN_ANSWER = UNIT / 100n; // $0.01
const MAX_ANSWER = 1_000_000n * UNIT;
/** Round id of the proxy for aggregator round `round` in phase `phase`. */
const proxyRoundId = (phase: bigint, round: bigint) => (phase << PHASE_SHIFT) | round;
/** The real history before the takeover: three hourly answers. */
const HISTORY = [3_000n * UNIT, 3_010n * UNIT, 2_995n * UNIT];
const ROUND_SECONDS = 3_600;
/** Any address with no code: where the "real" proxy lives in this test. */
const PROXY_ADDRESS = "0x5f4eC3Df9cbd43714FE2740f5E3616155c5b8419";

async function takenOverProxy() {
  const [owner, controller, stranger] = await ethers.getSigners();
  const aggregator = (await ethers.deployContract("StandInAggregator", [
    owner.address,
    DECIMALS,
    "ETH / USD",
    MIN_ANSWER,
    MAX_ANSWER,
  ])) as unknown as StandInAggregator;
  await network.provider.send("hardhat_setCode", [
    PROXY_ADDRESS,
    runtimeCodeOf("fork/standIn/StandInAggregatorProxy.sol", "StandInAggregatorProxy"),
  ]);
  const proxy = (await ethers.getContractAt(
    "StandInAggregatorProxy",
    PROXY_ADDRESS,
  )) as unknown as StandInAggregatorProxy;
  await proxy.initialize(owner.address, await aggregator.getAddress());
  for (const answer of HISTORY) {
    await time.increase(ROUND_SECONDS);
    await aggregator.transmit(answer);
  }
  const before = await proxy.latestRoundData();
  const phaseId = await proxy.phaseId();
  // The takeover, as sim/fork/feedControl.ts does it: code replaced, then installed with the proxy's readings.
  await network.provider.send("hardhat_setCode", [
    PROXY_ADDRESS,
    runtimeCodeOf("fork/ForkPriceFeed.sol", "ForkPriceFeed"),
  ]);
  const feed = (await ethers.getContractAt("ForkPriceFeed", PROXY_ADDRESS)) as unknown as ForkPriceFeed;
  await feed.install({
    controller: controller.address,
    sourceAggregator: await aggregator.getAddress(),
    phaseId,
    sourceLatestRound: before[0] & ((1n << PHASE_SHIFT) - 1n),
    decimals: DECIMALS,
    version: 4n,
    description: "ETH / USD",
  });
  return { feed, aggregator, before, phaseId, controller, stranger };
}

describe("ForkPriceFeed", function () {
  it("answers like the proxy it replaced: latest round, history, decimals, description, aggregator", async () => {
    const { feed, aggregator, before, phaseId } = await loadFixture(takenOverProxy);
    expect(await feed.latestRoundData()).to.deep.equal(before);
    expect(await feed.decimals()).to.equal(DECIMALS);
    expect(await feed.description()).to.equal("ETH / USD");
    expect(await feed.phaseId()).to.equal(phaseId);
    expect(await feed.aggregator()).to.equal(await aggregator.getAddress());
    for (const [index, answer] of HISTORY.entries()) {
      const round = BigInt(index + 1);
      const real = await aggregator.getRoundData(round);
      const [roundId, seen, startedAt, updatedAt] = await feed.getRoundData(proxyRoundId(phaseId, round));
      expect([roundId, seen, startedAt, updatedAt]).to.deep.equal([
        proxyRoundId(phaseId, round),
        answer,
        real[2],
        real[3],
      ]);
      expect(await feed.getAnswer(proxyRoundId(phaseId, round))).to.equal(answer);
    }
  });

  it("numbers its own rounds after the real ones in the same phase, stamped with the block time", async () => {
    const { feed, phaseId, controller } = await loadFixture(takenOverProxy);
    const next = proxyRoundId(phaseId, BigInt(HISTORY.length + 1));
    const answer = 2_500n * UNIT;
    await expect(feed.connect(controller).updateAnswer(answer))
      .to.emit(feed, "AnswerUpdated")
      .withArgs(answer, next, await time.latest().then((t) => t + 1));
    const [roundId, seen, startedAt, updatedAt, answeredInRound] = await feed.latestRoundData();
    expect([roundId, seen, answeredInRound]).to.deep.equal([next, answer, next]);
    expect(startedAt).to.equal(updatedAt);
    expect(updatedAt).to.equal(BigInt(await time.latest()));
    expect(await feed.latestRound()).to.equal(next);
    expect(await feed.latestAnswer()).to.equal(answer);
    // The last real round is still served from the aggregator.
    expect((await feed.getRoundData(next - 1n))[1]).to.equal(HISTORY[HISTORY.length - 1]);
  });

  it("refuses answers from anyone but its controller, a second install, and rounds it does not have", async () => {
    const { feed, phaseId, stranger, controller, aggregator } = await loadFixture(takenOverProxy);
    await expect(feed.connect(stranger).updateAnswer(1n))
      .to.be.revertedWithCustomError(feed, "NotController")
      .withArgs(stranger.address);
    await expect(
      feed.install({
        controller: stranger.address,
        sourceAggregator: await aggregator.getAddress(),
        phaseId,
        sourceLatestRound: 0n,
        decimals: DECIMALS,
        version: 4n,
        description: "x",
      }),
    ).to.be.revertedWithCustomError(feed, "AlreadyInstalled");
    const future = proxyRoundId(phaseId, BigInt(HISTORY.length + 1));
    await expect(feed.getRoundData(future)).to.be.revertedWithCustomError(feed, "NoDataPresent").withArgs(future);
    const otherPhase = proxyRoundId(phaseId + 1n, 1n);
    await expect(feed.getRoundData(otherPhase)).to.be.revertedWithCustomError(feed, "NoDataPresent");
    expect(await feed.getAnswer(otherPhase)).to.equal(0n);
    expect(await feed.connect(controller).controller()).to.equal(controller.address);
  });

  it("feeds the oracle adapter: the price it posts, and a breaker judged over real and posted rounds", async () => {
    const { feed, controller } = await loadFixture(takenOverProxy);
    const cooldownSeconds = 600n;
    const adapter = await ethers.deployContract("ChainlinkOracleAdapter", [
      {
        feed: PROXY_ADDRESS,
        heartbeatSeconds: 3_600n,
        minAnswer: MIN_ANSWER,
        maxAnswer: MAX_ANSWER,
        sequencerUptimeFeed: ethers.ZeroAddress,
        sequencerGracePeriodSeconds: 0n,
        maxDeviationBps: 2_500n,
        volatilityCooldownSeconds: cooldownSeconds,
      },
    ]);
    await feed.connect(controller).updateAnswer(HISTORY[HISTORY.length - 1]);
    const [calm, calmVolatile] = await adapter.latestPrice();
    expect(calm).to.equal(HISTORY[HISTORY.length - 1] * 10n ** 10n);
    expect(calmVolatile).to.equal(false);
    // −40% within the cooldown of the previous (real-answer) round: the breaker trips.
    const crashed = (HISTORY[HISTORY.length - 1] * 60n) / 100n;
    await feed.connect(controller).updateAnswer(crashed);
    const [price, volatile] = await adapter.latestPrice();
    expect(price).to.equal(crashed * 10n ** 10n);
    expect(volatile).to.equal(true);
  });
});
