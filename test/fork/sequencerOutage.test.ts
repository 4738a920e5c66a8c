/**
 * The L2 sequencer going down on a fork of Arbitrum One's offline stand-in (issue 15): the uptime feed is flipped
 * down at step 2 and up at step 3, ETH gaps −40% at step 3. While the sequencer is down and during the grace
 * period after it came back, every price read is refused (SequencerDown, then SequencerGracePeriodNotOver): no
 * liquidation runs and no order executes; once the grace period is over the keeper liquidates the gap's victims.
 * The calls' outcomes are read afterwards at the blocks each step ended in (the fork keeps its history), and an
 * order is traded live through a second outage after the run.
 */
import { expect } from "chai";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ErrorDescription, Interface, parseUnits } from "ethers";
import { ARBITRUM_ONE } from "../../deploy/networks/arbitrum";
import { ChainlinkOracleAdapter__factory, PerpEngine__factory } from "../../typechain-types";
import { runAndReport, type RunAndReportResult } from "../../sim/engine/runAndReport";
import { ForkSession } from "../../sim/fork/forkSession";
import { setSequencerDown } from "../../sim/fork/feedControl";
import { STAND_IN_SOURCE } from "../../sim/fork/forkRequest";
import {
  readRunLog,
  type ActionRecord,
  type HeaderRecord,
  type ObservationRecord,
  type RunRecord,
} from "../../sim/report/runLog";
import { loadScenario } from "../../sim/scenario/loadScenario";
import { revertDataOf } from "../../sim/chain/revertReason";

const FIXTURE = join(__dirname, "fixtures", "fork-smoke.yaml");
const OUTAGE = { downAtStep: 2, upAtStep: 3 };
/** With hourly steps and a 1 h grace period (strict), the first step after the grace period. */
const FIRST_STEP_AFTER_GRACE = 4;
/** The order the last test trades: a 0.01 ETH long with $100 of margin (USD, 1e18). */
const ORDER_SIZE = parseUnits("0.01", 18);
const ORDER_MARGIN_USD = parseUnits("100", 18);
const MaxUint128 = (1n << 128n) - 1n;
const ORDER_GAS = 3_000_000n;
const engineInterface = PerpEngine__factory.createInterface() as unknown as Interface;
const adapterInterface = ChainlinkOracleAdapter__factory.createInterface() as unknown as Interface;

/** The custom error a call at `block` reverts with, or "ok". */
async function outcomeAt(session: ForkSession, from: string, to: string, data: string, block: number) {
  try {
    await session.chain.call(to, data, block, from);
    return "ok";
  } catch (error) {
    const revert = revertDataOf(error);
    const decoded: ErrorDescription | null = revert
      ? (adapterInterface.parseError(revert) ?? engineInterface.parseError(revert))
      : null;
    return decoded?.name ?? `undecoded(${revert ?? (error as Error).message})`;
  }
}

describe("fork: the Arbitrum sequencer goes down, comes back, and the grace period runs out", function () {
  this.timeout(300_000);
  let session: ForkSession;
  let result: RunAndReportResult;
  let records: RunRecord[];
  let header: HeaderRecord;
  /** The block each step's last observation was read at. */
  const endBlock = new Map<number, number>();

  before(async () => {
    session = await ForkSession.open({
      source: STAND_IN_SOURCE,
      network: ARBITRUM_ONE,
      sequencerOutage: OUTAGE,
    });
    result = await runAndReport({
      loaded: loadScenario(FIXTURE),
      overrides: {},
      chain: session.chain,
      outDir: mkdtempSync(join(tmpdir(), "fork-sequencer-")),
      progress: false,
      html: false,
      environment: session.environment,
    });
    records = readRunLog(result.paths.runLog);
    header = records[0] as HeaderRecord;
    for (const record of records) {
      if (record.type === "observation" && record.phase === "end") endBlock.set(record.step, record.block);
    }
  });

  after(async () => {
    await session?.close();
  });

  it("flips the uptime feed at the chosen steps and records it", () => {
    const flips = records.filter(
      (record): record is ActionRecord =>
        record.type === "action" && (record.kind === "sequencerDown" || record.kind === "sequencerUp"),
    );
    expect(flips.map((record) => [record.step, record.kind])).to.deep.equal([
      [OUTAGE.downAtStep, "sequencerDown"],
      [OUTAGE.upAtStep, "sequencerUp"],
    ]);
    expect(result.report.scenario.fork!.sequencer!.outage).to.deep.equal(OUTAGE);
    expect(flips.every((record) => record.ok)).to.equal(true);
  });

  it("refuses every price while down and during the grace period: no liquidation, no price for anyone", async () => {
    const eth = header.deployment.markets.find((market) => market.symbol === "ETH-USD")!;
    const [adapter] = engineInterface.decodeFunctionResult(
      "getMarketConfig",
      await session.chain.call(
        header.deployment.engine,
        engineInterface.encodeFunctionData("getMarketConfig", [eth.marketId]),
      ),
    );
    const priceCall = adapterInterface.encodeFunctionData("latestPrice", []);
    const keeper = header.population.keeper;
    const victim = records.find((record) => record.type === "event" && record.event.name === "Liquidated") as Extract<
      RunRecord,
      { type: "event" }
    >;
    const liquidateCall = engineInterface.encodeFunctionData("liquidate", [victim.event.args.account, eth.marketId]);
    const expected: Record<number, string> = {
      1: "ok",
      [OUTAGE.downAtStep]: "SequencerDown",
      [OUTAGE.upAtStep]: "SequencerGracePeriodNotOver",
    };
    for (const [step, error] of Object.entries(expected)) {
      const block = endBlock.get(Number(step))!;
      expect(await outcomeAt(session, keeper, adapter as string, priceCall, block), `price at step ${step}`).to.equal(
        error,
      );
      if (error === "ok") continue;
      expect(
        await outcomeAt(session, keeper, header.deployment.engine, liquidateCall, block),
        `liquidation at step ${step}`,
      ).to.equal(error);
    }
    const observations = records.filter((record): record is ObservationRecord => record.type === "observation");
    for (const observation of observations) {
      const blocked = observation.step >= OUTAGE.downAtStep && observation.step < FIRST_STEP_AFTER_GRACE;
      expect(observation.markets["ETH-USD"].priceWad === null, `price observed at step ${observation.step}`).to.equal(
        blocked,
      );
    }
  });

  it("an order committed while down or in the grace period is cancelled with that reason; after it, it executes", async () => {
    const { chain } = session;
    const engine = header.deployment.engine;
    const eth = header.deployment.markets.find((market) => market.symbol === "ETH-USD")!;
    const delaySeconds = Number(eth.params.executionDelaySeconds);
    const [controller] = await chain.accounts();
    const keeper = header.population.keeper;
    const head = await chain.blockNumber();
    const freeOf = async (account: string) =>
      engineInterface.decodeFunctionResult(
        "freeBalance",
        await chain.call(engine, engineInterface.encodeFunctionData("freeBalance", [account]), head),
      )[0] as bigint;
    let trader = "";
    for (const candidate of header.population.traders) {
      if ((await freeOf(candidate.address)) >= ORDER_MARGIN_USD * 2n) {
        trader = candidate.address;
        break;
      }
    }
    expect(trader, "a trader with free balance left").to.not.equal("");
    const send = async (from: string, data: string) => {
      const outcome = await chain.sendTransaction({ from, to: engine, data, gas: ORDER_GAS });
      if (!outcome.ok) throw new Error(`${outcome.reason.name}(${outcome.reason.args.join(", ")})`);
      const receipt = await chain.provider.getTransactionReceipt(outcome.hash);
      return receipt!.logs.map((log) => engineInterface.parseLog(log)).filter((event) => event !== null);
    };
    /** Commits a small long, lets the delay pass, executes it; returns what happened to it. */
    const tradeOnce = async () => {
      await send(
        trader,
        engineInterface.encodeFunctionData("commitOrder", [eth.marketId, ORDER_SIZE, ORDER_MARGIN_USD, MaxUint128]),
      );
      chain.clock.advanceTo(chain.clock.peek() + delaySeconds);
      const events = await send(keeper, engineInterface.encodeFunctionData("executeOrder", [trader, eth.marketId]));
      const cancelled = events.find((event) => event.name === "OrderCancelled");
      if (cancelled) return adapterInterface.parseError(cancelled.args.reason as string)?.name ?? "undecoded";
      return events.some((event) => event.name === "OrderExecuted") ? "executed" : "nothing";
    };
    const sequencer = ARBITRUM_ONE.sequencerUptimeFeed!.address;
    const flip = async (down: boolean) => {
      const outcome = await setSequencerDown(chain, sequencer, controller, down);
      expect(outcome.ok, down ? "sequencer down" : "sequencer up").to.equal(true);
      return outcome.timestamp;
    };
    await flip(true);
    expect(await tradeOnce()).to.equal("SequencerDown");
    const upAt = await flip(false);
    expect(await tradeOnce()).to.equal("SequencerGracePeriodNotOver");
    chain.clock.advanceTo(upAt + Number(ARBITRUM_ONE.sequencerUptimeFeed!.gracePeriodSeconds) + 1);
    expect(await tradeOnce()).to.equal("executed");
  });

  it("liquidates the gap's victims only once the grace period is over", () => {
    const series = result.report.series;
    const liquidationsAt = (step: number) =>
      series.liquidationsBankrupt[step] + series.liquidationsFull[step] + series.liquidationsPartial[step];
    // The gap hit at step 3, inside the grace period (the path's prices: the observed ones are null then).
    const eth = header.path.pricesUsd["ETH-USD"];
    expect(Number(eth[OUTAGE.upAtStep]) / Number(eth[OUTAGE.upAtStep - 1])).to.be.closeTo(0.6, 0.01);
    for (let step = OUTAGE.downAtStep; step < FIRST_STEP_AFTER_GRACE; step++) {
      expect(liquidationsAt(step), `liquidations at step ${step}`).to.equal(0);
    }
    expect(liquidationsAt(FIRST_STEP_AFTER_GRACE), "liquidations after the grace period").to.be.greaterThan(0);
    for (const invariant of result.report.invariants) {
      expect(invariant.pass, `${invariant.name}: ${invariant.examples.join("; ")}`).to.equal(true);
    }
  });
});
