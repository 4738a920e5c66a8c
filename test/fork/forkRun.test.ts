/**
 * A scenario on a fork, end to end, against the offline stand-in of Ethereum mainnet (issue 15's tests): the
 * fork path is the one a real RPC takes — only the URL differs. The protocol is deployed at the network's real
 * addresses with its live settings (25 bps taker fee, 24 s delayed orders), actors are funded by impersonating the holder list and then through the probed balance slot, the
 * path starts at the feeds' answers at the fork block, a −40% gap is liquidated by the keeper, and the report
 * equals the chain's events. A second session forks an older block (`--block`).
 */
import { expect } from "chai";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { formatUnits, id, Interface, zeroPadValue, type InterfaceAbi } from "ethers";
import { MAINNET } from "../../deploy/networks/mainnet";
import { PerpEngine__factory, ForkPriceFeed__factory } from "../../typechain-types";
import { runAndReport, type RunAndReportResult } from "../../sim/engine/runAndReport";
import { ForkSession } from "../../sim/fork/forkSession";
import { STAND_IN_SOURCE } from "../../sim/fork/forkRequest";
import {
  STAND_IN_FEED_DECIMALS,
  STAND_IN_FIRST_ROUND_BLOCK,
  STAND_IN_HISTORY_ROUNDS,
  STAND_IN_FEEDS,
  standInAnswers,
} from "../../sim/fork/standIn/standInSpec";
import { readRunLog, type HeaderRecord } from "../../sim/report/runLog";
import { loadScenario } from "../../sim/scenario/loadScenario";
import type { SimReport } from "../../sim/report/reportTypes";

const FIXTURE = join(__dirname, "fixtures", "fork-smoke.yaml");
const engineInterface = PerpEngine__factory.createInterface() as unknown as Interface;
const feedInterface = ForkPriceFeed__factory.createInterface() as unknown as Interface;
const TRANSFER_TOPIC = id("Transfer(address,address,uint256)");
const usd = (wad: bigint) => formatUnits(wad, 18);
const STAND_IN_HEAD = STAND_IN_FIRST_ROUND_BLOCK + STAND_IN_HISTORY_ROUNDS - 1;

/** The stand-in's answer of `symbol` at `block` (round r is mined in block FIRST + r). */
function standInAnswerAt(symbol: string, block: number): bigint {
  const spec = STAND_IN_FEEDS.find((feed) => feed.symbol === symbol)!;
  const answers = standInAnswers(MAINNET.name, symbol, spec.startPriceUsd, STAND_IN_HISTORY_ROUNDS);
  return answers[block - STAND_IN_FIRST_ROUND_BLOCK];
}

async function view(
  session: ForkSession,
  to: string,
  abi: Interface | InterfaceAbi,
  fn: string,
  args: unknown[],
  block: number,
) {
  const contract = abi instanceof Interface ? abi : new Interface(abi);
  const raw = await session.chain.call(to, contract.encodeFunctionData(fn, args), block);
  return contract.decodeFunctionResult(fn, raw);
}

describe("fork: a scenario on the offline stand-in of Ethereum mainnet", function () {
  this.timeout(300_000);
  let session: ForkSession;
  let result: RunAndReportResult;
  let report: SimReport;
  let header: HeaderRecord;

  before(async () => {
    session = await ForkSession.open({ source: STAND_IN_SOURCE, network: MAINNET });
    result = await runAndReport({
      loaded: loadScenario(FIXTURE),
      overrides: {},
      chain: session.chain,
      outDir: mkdtempSync(join(tmpdir(), "fork-run-")),
      progress: false,
      html: false,
      environment: session.environment,
    });
    report = result.report;
    const first = readRunLog(result.paths.runLog)[0];
    if (first.type !== "header") throw new Error("the run log has no header");
    header = first;
  });

  after(async () => {
    await session?.close();
  });

  it("deploys against the network's real token and feeds, and says which chain and block it forked", () => {
    expect(header.deployment.collateral).to.equal(MAINNET.collateral.address);
    expect(header.deployment.collateralDecimals).to.equal(6);
    for (const market of header.deployment.markets) {
      const feed = MAINNET.feeds.find((candidate) => candidate.symbol === market.symbol)!;
      expect(market.feed, market.symbol).to.equal(feed.address);
      // The fee floor of a 0.5% feed: 2 × 25 bps ≥ 50 bps.
      expect(market.params.takerFeeBps).to.equal("25");
      expect(market.params.oracleDeviationThresholdBps).to.equal("50");
      // The network's live delayed orders, not the scenario's devnet defaults.
      expect(market.params.executionDelaySeconds).to.equal(MAINNET.orders.executionDelaySeconds.toString());
      expect(market.params.orderExpirySeconds).to.equal(MAINNET.orders.orderExpirySeconds.toString());
      expect(market.params.executionFeeUsd).to.equal(MAINNET.orders.executionFeeUsd.toString());
    }
    const fork = report.scenario.fork!;
    expect(fork.network).to.equal("mainnet");
    expect(fork.chainKind).to.equal("stand-in");
    expect(fork.chainId).to.equal(MAINNET.standInChainId);
    expect(fork.forkBlock.number).to.equal(STAND_IN_HEAD);
    expect(report.scenario.chain).to.contain(`fork at block ${STAND_IN_HEAD}`).and.contain("offline stand-in");
    expect(fork.sourceHost).to.equal("offline stand-in (sim/fork/standIn/state/mainnet.json)");
  });

  it("reads decimals and the aggregator's answer bounds from the chain, and starts the path at the fork block's answers", () => {
    const fork = report.scenario.fork!;
    for (const feed of fork.feeds) {
      const spec = STAND_IN_FEEDS.find((candidate) => candidate.symbol === feed.symbol)!;
      expect(feed.decimals).to.equal(STAND_IN_FEED_DECIMALS);
      expect(feed.minAnswer).to.equal(spec.minAnswer.toString());
      expect(feed.maxAnswer).to.equal(spec.maxAnswer.toString());
      const answer = standInAnswerAt(feed.symbol, STAND_IN_HEAD);
      expect(feed.answerAtForkBlock).to.equal(answer.toString());
      const start = report.markets.find((market) => market.symbol === feed.symbol)!.startPriceUsd;
      expect(start, feed.symbol).to.equal(formatUnits(answer, STAND_IN_FEED_DECIMALS).replace(/\.?0+$/, ""));
    }
    // The shape is kept: the ETH gap is still −40% in one step.
    const eth = report.markets.find((market) => market.symbol === "ETH-USD")!;
    expect(eth.largestStepMovePct).to.be.closeTo(-40, 0.01);
  });

  it("keeps the feeds' real history behind the controllable feed (round ids, answers, updatedAt)", async () => {
    const head = await session.chain.blockNumber();
    const eth = report.scenario.fork!.feeds.find((feed) => feed.symbol === "ETH-USD")!;
    const phase = BigInt(eth.phaseId) << 64n;
    for (const round of [1, 10, STAND_IN_HISTORY_ROUNDS]) {
      const [roundId, answer] = await view(
        session,
        eth.address,
        feedInterface,
        "getRoundData",
        [phase | BigInt(round)],
        head,
      );
      expect(roundId).to.equal(phase | BigInt(round));
      expect(answer, `round ${round}`).to.equal(standInAnswerAt("ETH-USD", STAND_IN_FIRST_ROUND_BLOCK + round - 1));
    }
    const [latestId] = await view(session, eth.address, feedInterface, "latestRoundData", [], head);
    expect(latestId).to.be.greaterThan(phase | BigInt(STAND_IN_HISTORY_ROUNDS));
  });

  it("funds actors by impersonating the holder list, then through the probed balance slot", async () => {
    const funding = report.scenario.fork!.funding;
    const holder = MAINNET.collateralHolders[0].address;
    expect(funding.holdersUsed).to.include(holder);
    expect(funding.holderTransfers).to.be.greaterThan(0);
    const head = await session.chain.blockNumber();
    const logs = await session.chain.getLogs([MAINNET.collateral.address], header.deployment.startBlock, head);
    const fromHolders = logs.filter(
      (log) =>
        log.topics[0] === TRANSFER_TOPIC &&
        funding.holdersUsed.some((used) => log.topics[1] === zeroPadValue(used.toLowerCase(), 32)),
    );
    expect(fromHolders.length).to.equal(funding.holderTransfers);
    expect(fromHolders.reduce((sum, log) => sum + BigInt(log.data), 0n).toString()).to.equal(funding.holderTokens);
    // The holders' 3M USDC cannot fund three $1M LPs and the traders: the rest came through slot 9, as in FiatToken.
    expect(funding.storageWrites).to.be.greaterThan(0);
    expect(funding.balanceSlot).to.equal("9 (solidity)");
  });

  it("the gap is liquidated by the keeper, every invariant holds, and the report equals the chain's events", async () => {
    const s = report.summary;
    expect(s.liquidations.bankrupt, "bankrupt liquidations").to.be.greaterThan(0);
    for (const invariant of report.invariants) {
      expect(invariant.pass, `${invariant.name}: ${invariant.examples.join("; ")}`).to.equal(true);
    }
    const engine = header.deployment.engine;
    const head = await session.chain.blockNumber();
    const logs = await session.chain.getLogs([engine], header.deployment.startBlock, head);
    const events = logs.map((log) => engineInterface.parseLog(log)).filter((event) => event !== null);
    const liquidated = events.filter((event) => event.name === "Liquidated");
    const sum = (name: string) => liquidated.reduce((total, event) => total + (event.args[name] as bigint), 0n);
    expect(s.liquidations.total).to.equal(liquidated.length);
    expect(s.liquidations.bankrupt).to.equal(liquidated.filter((e) => (e.args.deficitUsd as bigint) > 0n).length);
    expect(s.badDebtUsd).to.equal(usd(sum("deficitUsd")));
    expect(s.deficitSplitUsd).to.deep.equal({
      insurance: usd(sum("insurancePaidUsd")),
      adl: usd(sum("adlPaidUsd")),
      vault: usd(sum("vaultPaidUsd")),
      socialized: usd(sum("socializedUsd")),
    });
    expect(s.keeperRewardsUsd).to.equal(usd(sum("keeperRewardUsd")));
    const [insurance] = await view(session, engine, engineInterface, "insuranceFund", [], head);
    expect(s.insuranceFund.endUsd).to.equal(usd(insurance as bigint));
    const [vaultEquity] = await view(session, engine, engineInterface, "vaultEquityUsd", [true], head);
    expect(s.vault.endEquityUsd).to.equal(usd(vaultEquity as bigint));
  });
});

describe("fork: --block forks an older block of the source", function () {
  this.timeout(120_000);
  const OLDER_BLOCK = STAND_IN_HEAD - 2;
  let session: ForkSession | undefined;

  after(async () => {
    await session?.close();
  });

  it("resolves the network at that block and starts the path at that block's answers", async () => {
    session = await ForkSession.open({
      source: STAND_IN_SOURCE,
      network: MAINNET,
      block: OLDER_BLOCK,
    });
    expect(await session.chain.blockNumber()).to.equal(OLDER_BLOCK);
    expect(session.resolved.block.number).to.equal(OLDER_BLOCK);
    for (const feed of session.resolved.feeds) {
      const expected = standInAnswerAt(feed.symbol, OLDER_BLOCK);
      expect(feed.latest.answer, feed.symbol).to.equal(expected);
      expect(expected).to.not.equal(standInAnswerAt(feed.symbol, STAND_IN_HEAD));
    }
    const path = session.environment.adjustPath({
      timeline: { offsetsSeconds: [0, 3_600], labels: ["+0h00", "+1h00"] },
      pricesUsd: { "ETH-USD": ["2000", "1200"], "BTC-USD": ["60000", "60000"] },
      sources: { "ETH-USD": "gap", "BTC-USD": "flat" },
    });
    const eth = standInAnswerAt("ETH-USD", OLDER_BLOCK);
    expect(path.pricesUsd["ETH-USD"][0]).to.equal(formatUnits(eth, 8).replace(/\.?0+$/, ""));
    expect(session.environment.provenance().forkBlock.number).to.equal(OLDER_BLOCK);
  });
});
