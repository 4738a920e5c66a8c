/**
 * The dApp's order predictions against the real engine, in markets with an execution delay: random
 * commits (every size, margin and price bound), executions early, on time and after expiry, cancellations,
 * interleaved with price moves and gaps, keeper liquidations (so positions change under pending orders),
 * pauses, reduce-only and time. Before each call the dApp's readers read the state and
 * `app/src/sdkMirror/engineChecks` predicts it (`previewCommitOrder`, `previewExecuteOrder`,
 * `previewCancelOrder`); the call is then sent at that block time and must match: the same revert with the
 * same arguments, or success with the predicted order, position, or cancellation reason (decoded from
 * `OrderCancelled.reason` by the dApp's decoder).
 */
import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import fc from "fast-check";
import type { ContractTransactionReceipt, Result } from "ethers";
import { deployWith, usd } from "../helpers/fixtures";
import { LOCAL_CONFIG, withDelayedOrders } from "../../deploy/config";
import { UINT256_MAX, abs } from "../../sdk/math";
import { readMarket, readProtocol, readPositions, type MarketSnapshot } from "../../app/src/chain/snapshots";
import { ErrorDecoder } from "../../app/src/errors/decodeError";
import type { ErrorFormatContext } from "../../app/src/errors/errorMessages";
import { ERROR_SOURCE_ABIS } from "../../app/src/chain/abis";
import { buildActionState } from "../../app/src/model/actionState";
import {
  PredictedRevertError,
  previewCancelOrder,
  previewCommitOrder,
  previewExecuteOrder,
  type EngineActionState,
} from "../../app/src/sdkMirror/engineChecks";

const EXECUTION_DELAY_SECONDS = 30n;
const ORDER_EXPIRY_SECONDS = 600n;
const ORDERS = {
  executionDelaySeconds: EXECUTION_DELAY_SECONDS,
  orderExpirySeconds: ORDER_EXPIRY_SECONDS,
  executionFeeUsd: usd("0.5"),
};
const TRADERS = 3;
const DEPOSIT_USD = "90000";
const ACTION_GAS_LIMIT = 3_000_000n;
const PAUSE_TRADING = 0;
const RUNS = Number(process.env.APP_CHECK_RUNS ?? "4");
/** Groups per run (a group is one step or a commit-then-execute sequence of 2–3 steps). */
const STEP_GROUPS = 16;
/** CI runs a fixed seed (the coverage assertions below are then deterministic); set APP_CHECK_SEED to explore. */
const SEED = Number(process.env.APP_CHECK_SEED ?? "20261202");

const CONTEXT: ErrorFormatContext = {
  marketSymbol: () => null,
  collateralSymbol: "USDC",
  collateralDecimals: 6,
  shareSymbol: "pvUSDC",
  shareDecimals: 6,
  nowSeconds: null,
};

async function fixture() {
  const s = await deployWith(withDelayedOrders(LOCAL_CONFIG, ORDERS));
  for (const trader of s.traders.slice(0, TRADERS)) await s.engine.connect(trader).deposit(s.tokens(DEPOSIT_USD));
  return s;
}
type System = Awaited<ReturnType<typeof fixture>>;

type Bound = "any" | "exact" | "tight";
/** When an execution is sent, relative to the order: before its delay, on time, or after its expiry. */
type When = "early" | "onTime" | "late";
type Step =
  | {
      kind: "commit";
      trader: number;
      market: number;
      notionalUsd: bigint;
      leverage: bigint | null;
      marginUsd: bigint;
      bound: Bound;
    }
  | { kind: "execute"; trader: number; market: number; when: When }
  | { kind: "cancel"; trader: number; market: number; when: When }
  | { kind: "price"; market: number; movePermille: number }
  | { kind: "liquidate" }
  | { kind: "pauseTrading"; on: boolean }
  | { kind: "reduceOnly"; market: number; on: boolean };

const traderArb = fc.nat(TRADERS - 1);
const marketArb = fc.constantFrom(0, 0, 1);
const switchOnArb = fc.constantFrom(true, false, false, false);
const stepArb: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      kind: fc.constant("commit" as const),
      trader: traderArb,
      market: marketArb,
      notionalUsd: fc
        .tuple(
          fc.oneof(
            { weight: 4, arbitrary: fc.bigInt({ min: usd("50"), max: usd("40000") }) },
            { weight: 1, arbitrary: fc.constantFrom(0n, usd("0.01"), usd("40000000")) },
          ),
          fc.boolean(),
        )
        .map(([n, long]) => (long ? n : -n)),
      leverage: fc.option(fc.bigInt({ min: 2n, max: 25n }), { freq: 4 }),
      marginUsd: fc.oneof(
        fc.constantFrom(0n, usd("5"), usd("100"), usd("95000")),
        fc.bigInt({ min: -usd("500"), max: usd("3000") }),
      ),
      bound: fc.constantFrom<Bound>("any", "exact", "exact", "tight"),
    }),
  },
  {
    weight: 5,
    arbitrary: fc.record({
      kind: fc.constant("execute" as const),
      trader: traderArb,
      market: marketArb,
      // Late executions are rare: one lets every other pending order expire too.
      when: fc.constantFrom<When>("onTime", "onTime", "onTime", "onTime", "onTime", "onTime", "early", "early", "late"),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant("cancel" as const),
      trader: traderArb,
      market: marketArb,
      when: fc.constantFrom<When>("onTime", "onTime", "late"),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant("price" as const),
      market: marketArb,
      movePermille: fc.oneof(fc.integer({ min: -40, max: 40 }), fc.constantFrom(-260, 260)),
    }),
  },
  { weight: 1, arbitrary: fc.constant({ kind: "liquidate" as const }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("pauseTrading" as const), on: switchOnArb }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("reduceOnly" as const), market: marketArb, on: switchOnArb }) },
);

/** A commit followed, most of the time, by something that may change the outcome and then its on-time execution. */
const commitThenExecuteArb: fc.Arbitrary<Step[]> = fc
  .tuple(
    stepArb.filter((step): step is Extract<Step, { kind: "commit" }> => step.kind === "commit"),
    fc.option(
      stepArb.filter((step) => step.kind === "price" || step.kind === "liquidate" || step.kind === "pauseTrading"),
      { freq: 2 },
    ),
  )
  .map(([commit, between]) => [
    commit,
    ...(between === null ? [] : [between]),
    { kind: "execute" as const, trader: commit.trader, market: commit.market, when: "onTime" as const },
  ]);

/** A run: single steps and commit-then-execute sequences, flattened. */
const runArb: fc.Arbitrary<Step[]> = fc
  .array(
    fc.oneof({ weight: 3, arbitrary: stepArb.map((step) => [step]) }, { weight: 2, arbitrary: commitThenExecuteArb }),
    {
      minLength: STEP_GROUPS,
      maxLength: STEP_GROUPS,
    },
  )
  .map((groups) => groups.flat());

async function latestTimestamp(): Promise<bigint> {
  const block = await ethers.provider.getBlock("latest");
  if (!block) throw new Error("no latest block");
  return BigInt(block.timestamp);
}

function normalised(args: Readonly<Record<string, bigint | string | boolean>>) {
  return Object.fromEntries(Object.entries(args).map(([k, v]) => [k, typeof v === "string" ? v.toLowerCase() : v]));
}

describe("app order predictions vs the engine", function () {
  this.timeout(600_000);
  const decoder = new ErrorDecoder(ERROR_SOURCE_ABIS);
  const seen = new Map<string, number>();
  const count = (key: string) => seen.set(key, (seen.get(key) ?? 0) + 1);

  /** The dApp's view of (trader, market) at the latest block, evaluated at `nowSeconds`. */
  async function stateOf(s: System, trader: number, market: number, nowSeconds: bigint): Promise<EngineActionState> {
    const pin = { blockTag: await ethers.provider.getBlockNumber() };
    const markets: MarketSnapshot[] = await Promise.all(
      s.addressBook.markets.map((entry) =>
        readMarket(entry, s.engine as never, ethers.provider, pin, decoder, CONTEXT),
      ),
    );
    const account = s.traders[trader].address;
    const positions = await readPositions(s.engine as never, s.addressBook, account, pin);
    const built = buildActionState({
      account,
      market: markets[market],
      markets,
      position: positions[market].position,
      pendingOrder: positions[market].order,
      protocol: await readProtocol(s.engine as never, pin),
      freeBalanceUsd: await s.engine.freeBalance(account, pin),
      nowSeconds,
    });
    if (!built.ok) throw new Error(`the local feed is invalid: ${built.failure.message}`);
    return built.state;
  }

  /** Sends at `nowSeconds`; returns the receipt, or the decoded revert. */
  async function sendAt(
    nowSeconds: bigint,
    send: () => Promise<{ wait(): Promise<ContractTransactionReceipt | null> }>,
  ) {
    await time.setNextBlockTimestamp(nowSeconds);
    try {
      return { receipt: await (await send()).wait(), revert: null };
    } catch (error) {
      const failure = decoder.describe(error, CONTEXT);
      return { receipt: null, revert: { errorName: failure.errorName, args: { ...failure.args } } };
    }
  }

  function expectRevert(
    where: string,
    actual: { errorName: string | null; args: object } | null,
    predicted: PredictedRevertError,
  ) {
    expect(actual, `${where}: predicted ${predicted.errorName}, engine succeeded`).to.not.equal(null);
    expect(actual!.errorName, where).to.equal(predicted.errorName);
    expect(normalised(actual!.args as never), `${where}: ${predicted.errorName} arguments`).to.deep.equal(
      normalised(predicted.args),
    );
    count(`revert ${predicted.errorName}`);
  }

  async function commit(s: System, step: Extract<Step, { kind: "commit" }>) {
    const nowSeconds = (await latestTimestamp()) + 3n;
    const st = await stateOf(s, step.trader, step.market, nowSeconds);
    const sizeDelta = (step.notionalUsd * 10n ** 18n) / st.priceWad;
    const marginDelta =
      step.leverage === null ? step.marginUsd : (abs(sizeDelta) * st.priceWad) / 10n ** 18n / step.leverage;
    const isBuy = sizeDelta > 0n;
    let acceptablePrice = isBuy ? UINT256_MAX : 0n;
    if (sizeDelta !== 0n && step.bound !== "any") {
      try {
        const probe = previewCommitOrder(st, sizeDelta, marginDelta, acceptablePrice);
        if (probe.execution.outcome === "executed") {
          const fill = probe.execution.result.trade.fillPriceWad;
          acceptablePrice = step.bound === "exact" ? fill : isBuy ? fill - 1n : fill + 1n;
        }
      } catch {
        /* the commit itself reverts: the bound does not matter */
      }
    }
    const where = `commit trader ${step.trader} market ${step.market} size ${sizeDelta} margin ${marginDelta} bound ${step.bound}`;
    let predicted: ReturnType<typeof previewCommitOrder> | null = null;
    let predictedRevert: PredictedRevertError | null = null;
    try {
      predicted = previewCommitOrder(st, sizeDelta, marginDelta, acceptablePrice);
    } catch (error) {
      if (!(error instanceof PredictedRevertError)) throw error;
      predictedRevert = error;
    }
    const engine = s.engine.connect(s.traders[step.trader]);
    const marketId = s.addressBook.markets[step.market].marketId;
    const sent = await sendAt(nowSeconds, () =>
      engine.commitOrder(marketId, sizeDelta, marginDelta, acceptablePrice, { gasLimit: ACTION_GAS_LIMIT }),
    );
    if (predictedRevert) return expectRevert(where, sent.revert, predictedRevert);
    expect(sent.revert, `${where}: predicted success, engine reverted`).to.equal(null);
    const stored = await s.engine.getOrder(s.traders[step.trader].address, marketId);
    expect((stored as unknown as Result).toObject(), `${where}: stored order`).to.deep.equal(predicted!.order);
    count("commit ok");
  }

  /** The step's (trader, market) when it has a pending order, else the first pair that has one (if any). */
  async function withPendingOrder<T extends { trader: number; market: number }>(s: System, step: T): Promise<T> {
    const pending = async (trader: number, market: number) =>
      (await s.engine.getOrder(s.traders[trader].address, s.markets[market].marketId)).executableAt !== 0n;
    if (await pending(step.trader, step.market)) return step;
    for (let trader = 0; trader < TRADERS; trader++) {
      for (let market = 0; market < s.markets.length; market++) {
        if (await pending(trader, market)) return { ...step, trader, market };
      }
    }
    return step;
  }

  async function execute(s: System, original: Extract<Step, { kind: "execute" }>) {
    const step = await withPendingOrder(s, original);
    const account = s.traders[step.trader].address;
    const marketId = s.addressBook.markets[step.market].marketId;
    const order = await s.engine.getOrder(account, marketId);
    const latest = await latestTimestamp();
    const target =
      step.when === "early"
        ? order.executableAt - 1n
        : step.when === "late"
          ? order.expiresAt + 1n
          : order.executableAt;
    const nowSeconds = target > latest ? target : latest + 1n;
    const st = await stateOf(s, step.trader, step.market, nowSeconds);
    const where = `execute trader ${step.trader} market ${step.market} (${step.when})`;
    let predicted: ReturnType<typeof previewExecuteOrder> | null = null;
    let predictedRevert: PredictedRevertError | null = null;
    try {
      predicted = previewExecuteOrder(st);
    } catch (error) {
      if (!(error instanceof PredictedRevertError)) throw error;
      predictedRevert = error;
    }
    const sent = await sendAt(nowSeconds, () =>
      s.engine.connect(s.keeper).executeOrder(account, marketId, { gasLimit: ACTION_GAS_LIMIT }),
    );
    if (predictedRevert) return expectRevert(where, sent.revert, predictedRevert);
    expect(sent.revert, `${where}: predicted ${predicted!.outcome}, engine reverted`).to.equal(null);
    const parsed = sent.receipt!.logs.flatMap((log) => {
      const event = s.engine.interface.parseLog(log);
      return event && (event.name === "OrderExecuted" || event.name === "OrderCancelled") ? [event] : [];
    });
    expect(parsed.length, where).to.equal(1);
    if (predicted!.outcome === "executed") {
      expect(parsed[0].name, `${where}: predicted execution`).to.equal("OrderExecuted");
      const position = await s.engine.getPosition(account, marketId);
      expect(position.size, where).to.equal(predicted!.result.position.size);
      expect(position.marginUsd, where).to.equal(predicted!.result.position.marginUsd);
      expect(parsed[0].args.fillPriceWad, where).to.equal(predicted!.result.trade.fillPriceWad);
      count("execute ok");
    } else {
      expect(parsed[0].name, `${where}: predicted cancellation ${predicted!.reason.errorName}`).to.equal(
        "OrderCancelled",
      );
      const reason = decoder.describe({ data: parsed[0].args.reason }, CONTEXT);
      expectRevert(`${where} cancellation reason`, reason, predicted!.reason);
      count(`cancelled by ${predicted!.reason.errorName}`);
    }
  }

  async function cancel(s: System, original: Extract<Step, { kind: "cancel" }>) {
    const step = await withPendingOrder(s, original);
    const account = s.traders[step.trader].address;
    const marketId = s.addressBook.markets[step.market].marketId;
    const order = await s.engine.getOrder(account, marketId);
    const latest = await latestTimestamp();
    const target = step.when === "late" ? order.expiresAt + 1n : latest + 1n;
    const nowSeconds = target > latest ? target : latest + 1n;
    const st = await stateOf(s, step.trader, step.market, nowSeconds);
    const where = `cancel trader ${step.trader} market ${step.market} (${step.when})`;
    let reason: PredictedRevertError | null = null;
    let predictedRevert: PredictedRevertError | null = null;
    try {
      reason = previewCancelOrder(st);
    } catch (error) {
      if (!(error instanceof PredictedRevertError)) throw error;
      predictedRevert = error;
    }
    // Anyone may cancel an expired order (and earn its fee): the keeper does.
    const sent = await sendAt(nowSeconds, () =>
      s.engine.connect(s.keeper).cancelOrder(account, marketId, { gasLimit: ACTION_GAS_LIMIT }),
    );
    if (predictedRevert) return expectRevert(where, sent.revert, predictedRevert);
    expect(sent.revert, `${where}: predicted success, engine reverted`).to.equal(null);
    const event = sent
      .receipt!.logs.map((log) => s.engine.interface.parseLog(log))
      .find((e) => e?.name === "OrderCancelled");
    expectRevert(`${where} reason`, decoder.describe({ data: event!.args.reason }, CONTEXT), reason!);
  }

  async function environment(
    s: System,
    step: Extract<Step, { kind: "price" | "liquidate" | "pauseTrading" | "reduceOnly" }>,
  ) {
    if (step.kind === "price") {
      const m = s.markets[step.market];
      const [, answer] = await m.feed.latestRoundData();
      const next = (answer * BigInt(1_000 + step.movePermille)) / 1_000n;
      await m.feed.updateAnswer(next > 0n ? next : 1n);
    } else if (step.kind === "liquidate") {
      for (const trader of s.traders.slice(0, TRADERS)) {
        for (const m of s.markets) {
          if (await s.engine.isLiquidatable(trader.address, m.marketId)) {
            await s.engine.connect(s.keeper).liquidate(trader.address, m.marketId);
            count("liquidation");
          }
        }
      }
    } else if (step.kind === "pauseTrading") {
      const paused = (await s.engine.pauseState()).trading;
      if (step.on && !paused) await s.engine.pause(PAUSE_TRADING);
      if (!step.on && paused) await s.engine.unpause(PAUSE_TRADING);
    } else {
      const marketId = s.markets[step.market].marketId;
      const [reduceOnly] = await s.engine.marketStatus(marketId);
      if (reduceOnly !== step.on) await s.engine.setReduceOnly(marketId, step.on);
    }
    // Keep the feeds fresh through the expiry waits (heartbeat 1 h): re-post the answers.
    for (const m of s.markets) await m.feed.updateAnswer((await m.feed.latestRoundData())[1]);
  }

  it("predicts_every_commit_execution_and_cancellation_like_the_engine", async () => {
    await fc.assert(
      fc.asyncProperty(runArb, async (steps) => {
        const s = await loadFixture(fixture);
        for (const step of steps) {
          if (step.kind === "commit") await commit(s, step);
          else if (step.kind === "execute") await execute(s, step);
          else if (step.kind === "cancel") await cancel(s, step);
          else await environment(s, step);
        }
      }),
      { numRuns: RUNS, seed: SEED, endOnFailure: true },
    );
    const summary = [...seen.entries()].map(([k, n]) => `${k} ${n}`).join(", ");
    console.log(`      ${summary}`);
    expect(seen.get("commit ok") ?? 0, "commits must succeed").to.be.greaterThan(3);
    expect(seen.get("execute ok") ?? 0, "orders must execute").to.be.greaterThan(1);
    expect([...seen.keys()].filter((k) => k.startsWith("cancelled by ")).length, "cancellations").to.be.greaterThan(0);
  });
});
