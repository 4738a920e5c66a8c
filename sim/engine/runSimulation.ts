/**
 * The simulation engine: reads a scenario, builds its price path and population, deploys the real protocol
 * on the chosen chain, and runs the steps. Each step: the feeds move to the step's prices → the keeper runs
 * a cycle → what it left is observed → the traders and LPs act → the step's end is observed. Everything is
 * written to the run log, from which sim/report builds the reports.
 */
import { SingleBar, Presets } from "cli-progress";
import { parseUnits } from "ethers";
import { PerpEngine__factory } from "../../typechain-types";
import type { Interface } from "ethers";
import { SimChain, type ChainSourceSpec } from "../chain/simChain";
import { buildPopulation, agentAddress } from "../agents/population";
import { LpAgent } from "../agents/lpAgent";
import { TraderAgent } from "../agents/traderAgent";
import { createKeeper } from "../keeper/keeperAdapter";
import { LiquidationPredictor } from "./liquidationPredictor";
import { buildPricePath, type PricePath } from "../paths/pricePath";
import { ProtocolCalls } from "../protocol/calls";
import { deployerOf, type SimDeployment } from "../protocol/deployment";
import { Prng } from "../random/prng";
import type { LoadedScenario } from "../scenario/loadScenario";
import type { Scenario } from "../scenario/schema";
import type { AuditRecord, HeaderRecord, RunRecord } from "../report/runLog";
import { lpsAct, tradersAct } from "./agentsPhase";
import { LOCAL_ENVIRONMENT, type SimEnvironment } from "./environment";
import { FeedPoster } from "./feedPoster";
import { observe } from "./observe";
import { executeCommittedOrders, keeperCycle } from "./keeperPhase";
import { FreeBalanceBook, FULL_READ_EVERY_STEPS } from "./freeBalances";
import { RunContext } from "./runContext";
import { setupInsuranceFund, setupLps, setupTraders } from "./setup";

/** Quiet seconds between the end of the setup and step 0's clock time. */
const SETUP_SETTLE_SECONDS = 60;
const engineInterface = PerpEngine__factory.createInterface() as Interface;

export interface RunOptions {
  loaded: LoadedScenario;
  /** The scenario with any sweep overrides already applied (defaults to the loaded one). */
  scenario?: Scenario;
  overrides?: Record<string, number>;
  /** Where to run: a source to connect to (closed at the end), or a chain the caller owns (left open). */
  chain: ChainSourceSpec | SimChain;
  /** Show a progress bar on stderr. */
  progress: boolean;
  /** Where the protocol lives (default: the local chain's mocks; sim/fork for a fork of a live network). */
  environment?: SimEnvironment;
}

export interface RunStats {
  wallSeconds: number;
  transactions: number;
  steps: number;
  traders: number;
  /** Seconds spent before step 1 (deployment and setup). */
  setupSeconds: number;
  /** Wall seconds per phase of the steps (prices, keeper, events, observe, agents). */
  phaseSeconds: Record<string, number>;
  /** JSON-RPC calls and wall seconds per method over the whole run. */
  rpc: Record<string, { calls: number; seconds: number }>;
}

/** Accumulates wall time per named phase. */
class PhaseTimer {
  readonly seconds: Record<string, number> = {};
  async time<T>(phase: string, work: () => Promise<T>): Promise<T> {
    const start = performance.now();
    try {
      return await work();
    } finally {
      this.seconds[phase] = (this.seconds[phase] ?? 0) + (performance.now() - start) / 1_000;
    }
  }
}

export interface RunOutput {
  records: RunRecord[];
  stats: RunStats;
}

function headerRecord(
  scenario: Scenario,
  overrides: Record<string, number>,
  chain: HeaderRecord["chain"],
  deployment: SimDeployment,
  path: PricePath,
  traders: readonly TraderAgent[],
  lps: readonly LpAgent[],
  keeperName: string,
  keeperAddress: string,
): HeaderRecord {
  return {
    type: "header",
    version: 1,
    scenario,
    overrides,
    chain,
    keeper: keeperName,
    deployment: {
      engine: deployment.engine,
      vault: deployment.vault,
      collateral: deployment.collateral,
      collateralDecimals: deployment.collateralDecimals,
      startBlock: deployment.addressBook.startBlock,
      markets: deployment.markets.map((market) => ({
        symbol: market.symbol,
        marketId: market.marketId,
        feed: market.feed,
        feedDecimals: market.feedDecimals,
        params: Object.fromEntries(Object.entries(market.params).map(([name, value]) => [name, String(value)])),
        tiers: market.tiers.map((tier) => ({
          notionalFloorUsd: tier.notionalFloorUsd.toString(),
          initialMarginBps: tier.initialMarginBps.toString(),
          maintenanceMarginBps: tier.maintenanceMarginBps.toString(),
        })),
      })),
    },
    path: {
      labels: path.timeline.labels,
      offsetsSeconds: path.timeline.offsetsSeconds,
      pricesUsd: path.pricesUsd,
      sources: path.sources,
    },
    population: {
      traders: traders.map((trader) => ({
        address: trader.spec.address,
        symbol: trader.spec.symbol,
        isLong: trader.spec.isLong,
        behaviour: trader.spec.behaviour,
        notionalUsd: trader.spec.notionalUsd.toFixed(2),
        marginUsd: trader.marginUsd.toString(),
        leverage: trader.effectiveLeverage,
      })),
      lps: lps.map((lp) => ({
        address: lp.spec.address,
        depositUsd: lp.spec.depositUsd.toFixed(2),
        panics: lp.spec.panics,
      })),
      keeper: keeperAddress,
    },
  };
}

/** Compares every trader's mirrored position with `getPosition` at the head (the mirror feeds the report). */
async function auditMirror(context: RunContext, traders: readonly TraderAgent[]): Promise<AuditRecord> {
  const mismatches: AuditRecord["mismatches"] = [];
  const block = await context.chain.blockNumber();
  for (const trader of traders) {
    const market = context.market(trader.spec.symbol);
    const raw = await context.chain.call(
      context.deployment.engine,
      engineInterface.encodeFunctionData("getPosition", [trader.spec.address, market.marketId]),
      block,
    );
    const [chain] = engineInterface.decodeFunctionResult("getPosition", raw);
    const mirrored = context.ledger.position(market.marketId, trader.spec.address);
    const fields = ["size", "entryPriceWad", "marginUsd", "fundingIndexSnapshotWad", "lossIndexSnapshotWad"] as const;
    for (const field of fields) {
      const fromEvents = mirrored ? mirrored[field] : 0n;
      const fromChain = BigInt(chain[field]);
      // A closed position may keep a stale snapshot on chain; only open ones are compared field by field.
      if ((mirrored || field === "size") && fromEvents !== fromChain) {
        mismatches.push({
          account: trader.spec.address,
          marketId: market.marketId,
          field,
          events: fromEvents.toString(),
          chain: fromChain.toString(),
        });
      }
    }
  }
  return { type: "audit", positionsCompared: traders.length, mismatches };
}

export async function runSimulation(options: RunOptions): Promise<RunOutput> {
  const wallStart = Date.now();
  const scenario = options.scenario ?? options.loaded.scenario;
  const prng = new Prng(scenario.seed);
  const environment = options.environment ?? LOCAL_ENVIRONMENT;
  const path = environment.adjustPath(buildPricePath(scenario, options.loaded.sourceDir, prng));
  const population = buildPopulation(scenario, prng.fork("population"));
  const traders = population.traders.map((spec) => new TraderAgent(spec, scenario.population.params));
  const lps = population.lps.map((spec) => new LpAgent(spec, scenario.lps.panic));
  const ownsChain = !(options.chain instanceof SimChain);
  const chain = options.chain instanceof SimChain ? options.chain : await SimChain.connect(options.chain);
  let bar: SingleBar | undefined;
  try {
    const deployer = await deployerOf(chain);
    const deployment = await environment.deploy(chain, scenario, path, deployer);
    const calls = new ProtocolCalls(chain, deployment);
    const keeper = createKeeper({
      chain,
      deployment,
      calls,
      standInAddress: agentAddress("keeper", 0),
      options: scenario.keeper,
    });
    const keeperAddress = keeper.address;
    await chain.impersonate(keeperAddress);
    const context = new RunContext(chain, deployment, calls, keeper, environment);
    chain.transactionObserver = new LiquidationPredictor(
      chain,
      deployment,
      calls,
      (record) => context.records.push(record),
      () => context.step,
    );
    const accounts = [
      ...traders.map((t) => t.spec.address),
      ...lps.map((l) => l.spec.address),
      keeperAddress,
      deployer,
    ];
    const freeBalances = new FreeBalanceBook(accounts);
    context.onEvent((event) => freeBalances.note(event));
    const tradersByAddress = new Map(traders.map((t) => [t.spec.address.toLowerCase(), t]));
    context.onEvent((event) => {
      const account = event.args.account;
      if (typeof account === "string") tradersByAddress.get(account.toLowerCase())?.observe(event, context.step);
    });
    await keeper.start();

    const feeds = new FeedPoster(context, deployer);
    const openingPrices = new Map<string, bigint>();
    for (const market of deployment.markets) {
      const opening = path.pricesUsd[market.symbol][0];
      feeds.seeded(market.symbol, opening, chain.clock.peek());
      openingPrices.set(market.symbol, parseUnits(opening, 18));
    }
    context.records.push({
      type: "step",
      step: 0,
      label: path.timeline.labels[0],
      offsetSeconds: 0,
      timestamp: chain.clock.peek(),
    });
    await setupLps(context, lps);
    await setupInsuranceFund(context, scenario.protocol.insuranceFundUsd);
    await setupTraders(context, traders, openingPrices, scenario.population.reserveMultiple, feeds);
    await context.collectEvents();
    await executeCommittedOrders(context);
    await observe(context, "end", { book: freeBalances, full: true });
    const setupSeconds = (Date.now() - wallStart) / 1_000;

    const stepCount = path.timeline.offsetsSeconds.length - 1;
    const t0 = chain.clock.peek() + SETUP_SETTLE_SECONDS;
    if (options.progress) {
      bar = new SingleBar(
        {
          format:
            " {bar} {value}/{total} steps | {duration_formatted} elapsed, ETA {eta_formatted} | {liquidations} liquidations",
          hideCursor: true,
          stream: process.stderr,
        },
        Presets.shades_classic,
      );
      bar.start(stepCount, 0, { liquidations: 0 });
    }
    let liquidations = 0;
    const timer = new PhaseTimer();
    for (let step = 1; step <= stepCount; step++) {
      context.step = step;
      const timestamp = chain.clock.advanceTo(t0 + path.timeline.offsetsSeconds[step]);
      context.records.push({
        type: "step",
        step,
        label: path.timeline.labels[step],
        offsetSeconds: path.timeline.offsetsSeconds[step],
        timestamp,
      });
      await timer.time("prices", async () => {
        await environment.beforeStep?.(context, step);
        for (const market of deployment.markets) await feeds.post(market.symbol, path.pricesUsd[market.symbol][step]);
      });
      const keeperEvents = await timer.time("keeper", () => keeperCycle(context));
      liquidations += keeperEvents.filter((event) => event.name === "Liquidated").length;
      await timer.time("observe", () => observe(context, "afterKeeper", undefined));
      await timer.time("agents", async () => {
        await feeds.refreshStale();
        await tradersAct(context, traders);
        await lpsAct(context, lps);
      });
      await timer.time("events", () => context.collectEvents());
      const orderEvents = await timer.time("keeper", () => executeCommittedOrders(context));
      liquidations += orderEvents.filter((event) => event.name === "Liquidated").length;
      const full = step % FULL_READ_EVERY_STEPS === 0 || step === stepCount;
      await timer.time("observe", () => observe(context, "end", { book: freeBalances, full }));
      bar?.update(step, { liquidations });
    }
    bar?.stop();
    bar = undefined;
    context.records.push(await auditMirror(context, traders));
    context.records.push({
      type: "end",
      steps: stepCount,
      lastBlock: await chain.blockNumber(),
      clockOverrunSeconds: chain.clock.overrunSeconds,
    });
    context.records.unshift(
      headerRecord(
        scenario,
        options.overrides ?? {},
        environment.describeChain(chain),
        deployment,
        path,
        traders,
        lps,
        keeper.name,
        keeperAddress,
      ),
    );
    await keeper.stop();
    return {
      records: context.records,
      stats: {
        wallSeconds: (Date.now() - wallStart) / 1_000,
        transactions: chain.transactionCount,
        steps: stepCount,
        traders: traders.length,
        setupSeconds,
        phaseSeconds: timer.seconds,
        rpc: Object.fromEntries(
          [...chain.rpcStats.entries()].map(([method, { calls, ms }]) => [method, { calls, seconds: ms / 1_000 }]),
        ),
      },
    };
  } finally {
    bar?.stop();
    chain.transactionObserver = undefined;
    if (ownsChain) await chain.close();
  }
}
