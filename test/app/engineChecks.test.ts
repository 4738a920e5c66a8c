/**
 * The dApp's preview against the real engine: random owner actions (trades of every size up to beyond the
 * caps, margin moves, closes, tight and loose price bounds) interleaved with price moves, breaker trips,
 * pauses, reduce-only and time. Before each action the dApp's own chain readers (`app/src/chain/snapshots`)
 * read the state, the mirror (`app/src/sdkMirror/engineChecks`) predicts the outcome, and the action is then
 * sent at a fixed block time: a predicted success must succeed with the predicted position, and a predicted
 * revert must revert with the same custom error and the same arguments (decoded by the dApp's decoder).
 * After each step the vault-limit mirror (`app/src/sdkMirror/vaultLimits`) must equal the engine's views.
 */
import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import fc from "fast-check";
import type { ContractTransactionResponse } from "ethers";
import { deployLocalSystem, usd } from "../helpers/fixtures";
import { UINT256_MAX, abs } from "../../sdk/math";
import { readMarket, readProtocol, readPositions, type MarketSnapshot } from "../../app/src/chain/snapshots";
import { ErrorDecoder } from "../../app/src/errors/decodeError";
import type { ErrorFormatContext } from "../../app/src/errors/errorMessages";
import { ERROR_SOURCE_ABIS } from "../../app/src/chain/abis";
import { buildActionState } from "../../app/src/model/actionState";
import {
  PredictedRevertError,
  previewClosePosition,
  previewModifyPosition,
} from "../../app/src/sdkMirror/engineChecks";
import { vaultPayoutLimit } from "../../app/src/sdkMirror/vaultLimits";
import { previewTradeAction } from "../../app/src/model/tradePreview";

const TRADERS = 3;
const DEPOSIT_USD = "90000";
/** Generous gas so a reverting action is mined (and its revert data returned) instead of failing estimation. */
const ACTION_GAS_LIMIT = 3_000_000n;
const PAUSE_TRADING = 0;
/** Sequences per run and steps per sequence (CI keeps this lean: ~100 actions in all). */
const RUNS = Number(process.env.APP_CHECK_RUNS ?? "4");
const STEPS = 26;
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
  const s = await deployLocalSystem();
  for (const trader of s.traders.slice(0, TRADERS)) {
    await s.engine.connect(trader).deposit(s.tokens(DEPOSIT_USD));
  }
  return s;
}

type System = Awaited<ReturnType<typeof fixture>>;

/** What a step does. Sizes and amounts are chosen to hit every check: tiny, normal, beyond margin, beyond caps. */
type Step =
  | { kind: "trade"; trader: number; market: number; notionalUsd: bigint; margin: MarginSpec; bound: Bound }
  | { kind: "close"; trader: number; market: number; bound: Bound }
  | { kind: "margin"; trader: number; market: number; amount: bigint }
  | { kind: "price"; market: number; movePermille: number }
  | { kind: "time"; seconds: number }
  | { kind: "pauseTrading"; on: boolean }
  | { kind: "reduceOnly"; market: number; on: boolean };

/** Margin moved in with a trade: a USD amount, or what a leverage needs at the oracle price. */
type MarginSpec = { usd: bigint } | { leverage: bigint };

/** The price bound sent: unbounded, exactly the predicted fill, or one wei too tight. */
type Bound = "any" | "exact" | "tight";

/** Trade sizes as notional (USD, 1e18), converted at the oracle price when the step runs. */
const notionalArb = fc.oneof(
  { weight: 4, arbitrary: fc.bigInt({ min: usd("50"), max: usd("40000") }) },
  { weight: 1, arbitrary: fc.constantFrom(1n, usd("0.01"), usd("500000"), usd("40000000"), usd("700000000")) },
);
const signedNotionalArb = fc.tuple(notionalArb, fc.boolean()).map(([notional, long]) => (long ? notional : -notional));
const usdArb = fc.oneof(
  fc.constantFrom(0n, usd("5"), usd("10"), usd("100"), usd("2000"), usd("70000")),
  fc.bigInt({ min: 0n, max: usd("5000") }),
);
/** ETH more often than BTC, so positions build up and closes and margin moves find them. */
const marketArb = fc.constantFrom(0, 0, 1);
/** Switches go on a quarter of the time, so most actions run with trading open. */
const switchOnArb = fc.constantFrom(true, false, false, false);
const boundArb = fc.constantFrom<Bound>("any", "exact", "exact", "tight");

const stepArb: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 8,
    arbitrary: fc.record({
      kind: fc.constant("trade" as const),
      trader: fc.nat(TRADERS - 1),
      market: marketArb,
      notionalUsd: signedNotionalArb,
      margin: fc.oneof(
        { weight: 1, arbitrary: usdArb.map((usdAmount) => ({ usd: usdAmount })) },
        { weight: 3, arbitrary: fc.bigInt({ min: 2n, max: 25n }).map((leverage) => ({ leverage })) },
      ),
      bound: boundArb,
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant("close" as const),
      trader: fc.nat(TRADERS - 1),
      market: marketArb,
      bound: boundArb,
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant("margin" as const),
      trader: fc.nat(TRADERS - 1),
      market: marketArb,
      amount: fc.tuple(usdArb, fc.boolean()).map(([a, add]) => (add ? a : -a)),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant("price" as const),
      market: marketArb,
      movePermille: fc.oneof(fc.integer({ min: -60, max: 60 }), fc.constantFrom(-300, 300)),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("time" as const), seconds: fc.constantFrom(60, 3_000) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("pauseTrading" as const), on: switchOnArb }) },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant("reduceOnly" as const), market: marketArb, on: switchOnArb }),
  },
);

async function latestTimestamp(): Promise<bigint> {
  const block = await ethers.provider.getBlock("latest");
  if (!block) throw new Error("no latest block");
  return BigInt(block.timestamp);
}

/** Lower-cases strings so checksummed and plain hex compare equal. */
function normalised(
  args: Readonly<Record<string, bigint | string | boolean>>,
): Record<string, bigint | string | boolean> {
  return Object.fromEntries(Object.entries(args).map(([k, v]) => [k, typeof v === "string" ? v.toLowerCase() : v]));
}

describe("app engine-check mirror vs the engine", function () {
  this.timeout(600_000);
  const decoder = new ErrorDecoder(ERROR_SOURCE_ABIS);
  const counts = { predictedOk: 0, predictedRevert: new Map<string, number>() };

  async function readAll(s: System) {
    const pin = { blockTag: await ethers.provider.getBlockNumber() };
    const markets: MarketSnapshot[] = await Promise.all(
      s.addressBook.markets.map((entry) =>
        readMarket(entry, s.engine as never, ethers.provider, pin, decoder, CONTEXT),
      ),
    );
    return { pin, markets, protocol: await readProtocol(s.engine as never, pin) };
  }

  async function act(s: System, step: Extract<Step, { trader: number; market: number }>): Promise<void> {
    const trader = s.traders[step.trader];
    const entry = s.addressBook.markets[step.market];
    const { pin, markets, protocol } = await readAll(s);
    const market = markets[step.market];
    const positions = await readPositions(s.engine as never, s.addressBook, trader.address, pin);
    const position = positions[step.market].position;
    const nowSeconds = (await latestTimestamp()) + 7n;
    const built = buildActionState({
      account: trader.address,
      market,
      markets,
      position,
      pendingOrder: positions[step.market].order,
      protocol,
      freeBalanceUsd: await s.engine.freeBalance(trader.address, pin),
      nowSeconds,
    });
    if (!built.ok) throw new Error(`the local feed is invalid: ${built.failure.message}`);
    const state = built.state;

    // The price bound: the dApp's own preview fill (its acceptable-price logic is what users send).
    const sizeDelta =
      step.kind === "trade"
        ? (step.notionalUsd * 10n ** 18n) / state.priceWad
        : step.kind === "close"
          ? -position.size
          : 0n;
    const marginDelta =
      step.kind === "trade"
        ? "usd" in step.margin
          ? step.margin.usd
          : (abs(sizeDelta) * state.priceWad) / 10n ** 18n / step.margin.leverage
        : step.kind === "margin"
          ? step.amount
          : 0n;
    const isBuy = sizeDelta > 0n;
    let acceptablePrice = isBuy ? UINT256_MAX : 0n;
    if (step.kind !== "margin" && sizeDelta !== 0n && step.bound !== "any") {
      const action =
        step.kind === "close"
          ? ({ kind: "close", slippageBps: 0n } as const)
          : ({
              kind: "trade",
              side: isBuy ? "long" : "short",
              sizeWad: isBuy ? sizeDelta : -sizeDelta,
              marginUsd: marginDelta,
              slippageBps: 0n,
            } as const);
      const fill = previewTradeAction(state, action).fillPriceWad;
      if (fill !== null) acceptablePrice = step.bound === "exact" ? fill : isBuy ? fill - 1n : fill + 1n;
    }

    let predicted: PredictedRevertError | null = null;
    let predictedPosition = null;
    try {
      const result =
        step.kind === "close"
          ? previewClosePosition(state, acceptablePrice)
          : previewModifyPosition(state, sizeDelta, marginDelta, acceptablePrice);
      predictedPosition = result.position;
    } catch (error) {
      if (!(error instanceof PredictedRevertError)) throw error;
      predicted = error;
    }

    await time.setNextBlockTimestamp(nowSeconds);
    const engine = s.engine.connect(trader);
    const send = (): Promise<ContractTransactionResponse> =>
      step.kind === "close"
        ? engine.closePosition(entry.marketId, acceptablePrice, { gasLimit: ACTION_GAS_LIMIT })
        : engine.modifyPosition(entry.marketId, sizeDelta, marginDelta, acceptablePrice, {
            gasLimit: ACTION_GAS_LIMIT,
          });
    const bound = "bound" in step ? step.bound : "-";
    const where = `${step.kind} trader ${step.trader} ${entry.symbol} size ${sizeDelta} margin ${marginDelta} bound ${bound}`;
    let actual: { errorName: string | null; args: Record<string, bigint | string | boolean> } | null = null;
    try {
      await (await send()).wait();
    } catch (error) {
      const failure = decoder.describe(error, CONTEXT);
      actual = { errorName: failure.errorName, args: { ...failure.args } };
    }
    if (predicted === null) {
      expect(actual, `${where}: predicted success, engine reverted`).to.equal(null);
      counts.predictedOk++;
      const stored = await s.engine.getPosition(trader.address, entry.marketId);
      expect(stored.size, `${where}: size`).to.equal(predictedPosition!.size);
      expect(stored.marginUsd, `${where}: margin`).to.equal(predictedPosition!.marginUsd);
      expect(stored.entryPriceWad, `${where}: entry`).to.equal(predictedPosition!.entryPriceWad);
    } else {
      expect(actual, `${where}: predicted ${predicted.errorName}, engine succeeded`).to.not.equal(null);
      expect(actual!.errorName, where).to.equal(predicted.errorName);
      expect(normalised(actual!.args), `${where}: ${predicted.errorName} arguments`).to.deep.equal(
        normalised(predicted.args),
      );
      counts.predictedRevert.set(predicted.errorName, (counts.predictedRevert.get(predicted.errorName) ?? 0) + 1);
    }
  }

  async function environment(s: System, step: Exclude<Step, { trader: number }>): Promise<void> {
    if (step.kind === "price") {
      const m = s.markets[step.market];
      const [, answer] = await m.feed.latestRoundData();
      const next = (answer * BigInt(1_000 + step.movePermille)) / 1_000n;
      await m.feed.updateAnswer(next > 0n ? next : 1n);
    } else if (step.kind === "time") {
      await time.increase(step.seconds);
      // Keep the feeds fresh (heartbeat 1 h): re-post the same answers.
      for (const m of s.markets) await m.feed.updateAnswer((await m.feed.latestRoundData())[1]);
    } else if (step.kind === "pauseTrading") {
      const paused = (await s.engine.pauseState()).trading;
      if (step.on && !paused) await s.engine.pause(PAUSE_TRADING);
      if (!step.on && paused) await s.engine.unpause(PAUSE_TRADING);
    } else {
      const marketId = s.markets[step.market].marketId;
      const [reduceOnly] = await s.engine.marketStatus(marketId);
      if (reduceOnly !== step.on) await s.engine.setReduceOnly(marketId, step.on);
    }
  }

  /** The vault-limit mirror equals the engine's views at the latest block. */
  async function checkVaultLimits(s: System): Promise<void> {
    const { markets, protocol } = await readAll(s);
    const vaultMarkets = markets.flatMap((m) =>
      m.price.ok ? [{ marketId: m.entry.marketId, state: m.state, params: m.params, priceWad: m.price.priceWad }] : [],
    );
    const limit = vaultPayoutLimit(protocol.vaultCashUsd, vaultMarkets, await latestTimestamp());
    expect(limit.breakdown.requiredUsd, "vaultRequiredEquityUsd").to.equal(await s.engine.vaultRequiredEquityUsd());
    expect(limit.maxPayoutUsd, "maxVaultWithdrawalUsd").to.equal(await s.engine.maxVaultWithdrawalUsd());
  }

  it("predicts_every_action_exactly_like_the_engine", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(stepArb, { minLength: STEPS, maxLength: STEPS }), async (steps) => {
        const s = await loadFixture(fixture);
        for (const step of steps) {
          if ("trader" in step) await act(s, step);
          else await environment(s, step);
          await checkVaultLimits(s);
        }
      }),
      { numRuns: RUNS, seed: SEED, endOnFailure: true },
    );
    const reverts = [...counts.predictedRevert.entries()].map(([name, n]) => `${name} ${n}`).join(", ");
    console.log(`      predicted successes: ${counts.predictedOk}; predicted reverts: ${reverts}`);
    expect(counts.predictedOk, "the sequences must exercise successful actions").to.be.greaterThan(5);
    expect(counts.predictedRevert.size, "the sequences must exercise several refusals").to.be.greaterThan(4);
  });
});
