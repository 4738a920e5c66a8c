/**
 * Differential engine sequences: the SDK's whole-engine mirrors against the real contracts, to the wei, with
 * ADL on.
 *
 * A model made only of SDK calls — `simulateModifyPosition` (+ `simulateVaultProtectionAfterAction` after every
 * trade, close and poke), `simulateLiquidation` (the whole waterfall: insurance, the ADL walk over the opposite
 * queue, the vault's absorption, socialization), `simulateDeleverageVault` — holds every position, the market
 * states, the insurance fund, the vault's cash, every free balance and each queued position's insertion order
 * (the only thing the SDK needs beyond the stored state: FIFO inside an ADL tick). Random sequences run through
 * the engine: trades of every kind, small moves and ±10–45% gaps, funding over up to months, insurance donations,
 * `liquidate` / `liquidateMany`, `deleverageVault`, squeezes into the partial-liquidation window, and an
 * invalid price in the other market while liquidations and closes run. Every run draws its own ADL bounds
 * (maxSteps 1–16, maxSkips 0–128: partial and full ADL, skipped counterparties, walks cut short) and vault size
 * ($30k–$1M of LP capital against books up to ~$1M: the vault absorbs, or is too small and the excess is
 * socialized over the opposite traders).
 *
 * Each transaction's tracked events (`PositionModified`, `Liquidated`, `LiquidationSkipped`, `Deleveraged`,
 * `VaultDeleveraged`, `LossSocialized`, `InsuranceKeeperTopUp`, `InsuranceDeficitPaid`,
 * `InsurancePenaltyCredited`) must equal the SDK's field by field, in order; a revert the SDK predicts must be
 * the same custom error. After every step the engine's views are compared with the model: positions, equity,
 * health, liquidation price, funding and loss indices, market aggregates, the vault's value both ways, LP
 * withdrawal limits, every balance, both ADL queue heads and every position's ADL rank; then the accounting
 * identity (DESIGN §12.1) and zero-sum equity (§12.4).
 *
 * A second property checks the engine's `liquidationPrice` view against the SDK's closed form on positions that
 * owe funding and socialized loss, and `isLiquidatable` on both sides of it beyond the documented tolerance.
 *
 * Knobs: `ENGINE_RUNS` (default 30), `FC_SEED=… FC_PATH=…` replays a counterexample that fast-check printed.
 */
import { expect } from "chai";
import { ethers, network } from "hardhat";
import { time } from "@nomicfoundation/hardhat-network-helpers";
import fc from "fast-check";
import { parseUnits, type ContractTransactionReceipt, type LogDescription, type Signer } from "ethers";
import { deployWith, ETH, BTC, VAULT_SEED_USD } from "../helpers/fixtures";
import { LOCAL_CONFIG, type SystemDeployConfig } from "../../deploy/config";
import type { EngineLensHarness, FuzzLens } from "../../typechain-types";
import {
  BPS,
  WAD,
  abs,
  currentFundingIndexWad,
  exactLiquidationBoundaryWad,
  executionPriceWad,
  liquidationPrice,
  liquidationPriceToleranceWad,
  maxVaultWithdrawalUsd,
  netMarginUsd,
  notionalUsd,
  owedUsd,
  positionHealth,
  simulateLiquidation,
  simulateModifyPosition,
  vaultEquityUsd,
  vaultRequiredEquityUsd,
  EngineRevertError,
  type AdlConfig,
  type LiquidationResult,
  type MarginTier,
  type MarketParams,
  type MarketState,
  type Position,
} from "../../sdk/math";
import { bankruptcyPriceWad, isAdlEligible } from "../../sdk/adl/adlMath";
import { adlLight, orderAdlQueue, type AdlQueueMember } from "../../sdk/adl/adlQueue";
import {
  simulateDeleverageVault,
  simulateVaultProtectionAfterAction,
  type DeleveragedEvent,
  type OtherMarketInput,
  type TouchedPosition,
  type VaultProtectionResult,
} from "../../sdk/adl/adlExecution";
import {
  FEED_STEP_WAD,
  latestTimestamp,
  logUniform,
  revertData,
  toMarketParams,
  toMarketState,
  toPosition,
} from "./support";

/** Random sequences through the engine. */
const ENGINE_RUNS = Number(process.env.ENGINE_RUNS ?? 30);
/** Random positions whose liquidation price is confirmed on-chain. */
const ONCHAIN_LIQUIDATION_RUNS = 12;
const TRADER_COUNT = 6;
/** Collateral each trader deposits before a run (of the fixture's $100k per trader). */
const TRADER_DEPOSIT_USD = "60000";
/** The vault may hold a net exposure of up to 6× its equity here (a small vault against a large book). */
const WIDE_EXPOSURE_BPS = 60_000n;
/** Generous bound on the whole file (about 3 minutes on the 2-core machine). */
const SUITE_TIMEOUT_MS = 30 * 60_000;
/** Notional below the second margin tier's floor (deploy/config.ts: 20x up to $1M), with some room. */
const FIRST_TIER_NOTIONAL_USD = 900_000n * WAD;
/** The local oracle's breaker cooldown (deploy/config.ts). */
const VOLATILITY_COOLDOWN_SECONDS = 300;
/** A gas limit that skips estimation, so a reverting transaction is still mined at the pinned timestamp. */
const GAS_LIMIT = 12_000_000n;

/** The events compared with the SDK, in emission order. */
const TRACKED_EVENTS = new Set([
  "PositionModified",
  "Liquidated",
  "LiquidationSkipped",
  "Deleveraged",
  "VaultDeleveraged",
  "LossSocialized",
  "InsuranceKeeperTopUp",
  "InsuranceDeficitPaid",
  "InsurancePenaltyCredited",
]);
type ExpectedEvent = { name: string; args: Record<string, bigint | string | boolean> };
/** `IPerpEngine.LiquidationSkipReason`. */
const SKIP_REASON = { NoPosition: 2n, Healthy: 3n } as const;

/**
 * Skew scales (and OI caps just under them) small enough against the books here that fills move by whole
 * percents: the skew impact of forced closes, the fill-vs-bankruptcy-price choice of ADL counterparties and the
 * partial-liquidation cost bound all matter (ETH 5,000 / 4,000 ETH, BTC 150 / 120 BTC).
 */
const SKEW_SCALES: Record<string, { skewScale: bigint; maxOpenInterestPerSide: bigint }> = {
  [ETH]: { skewScale: 5_000n * WAD, maxOpenInterestPerSide: 4_000n * WAD },
  [BTC]: { skewScale: 150n * WAD, maxOpenInterestPerSide: 120n * WAD },
};

/** The local config with room for a small vault against a large book (exposure cap 600%, no gross-OI reserve). */
const SEQUENCE_CONFIG: SystemDeployConfig = {
  ...LOCAL_CONFIG,
  markets: LOCAL_CONFIG.markets.map((m) => ({
    ...m,
    params: { ...m.params, ...SKEW_SCALES[m.symbol], maxVaultExposureBps: WIDE_EXPOSURE_BPS, vaultReserveBps: 0n },
  })),
};

describe("sdk differential: engine sequences with ADL on (SDK model == PerpEngine to the wei)", function () {
  // The sequences run for minutes (see ENGINE_RUNS); the per-test default of the config is too short.
  this.timeout(SUITE_TIMEOUT_MS);
  type System = Awaited<ReturnType<typeof deployWith>>;
  let s: System;
  let traders: Signer[];
  let traderAddresses: string[];
  let keeperAddress: string;
  let engineAddress: string;
  let collateralScale: bigint;
  let snapshotId: string;
  let lens: EngineLensHarness;
  let fuzzLens: FuzzLens;

  interface ModelMarket {
    symbol: string;
    marketId: string;
    params: MarketParams;
    tiers: MarginTier[];
    state: MarketState;
    /** Current feed answer (8 decimals); the oracle price is answer × 1e10; 0 = invalid (see `invalidOther`). */
    answer: bigint;
    /** The feed answer at deployment; moves stay within [/20, ×20] of it (inside the adapter's bounds). */
    initialAnswer: bigint;
    positions: Position[];
    /** Per trader: when its position was last inserted into its ADL queue (undefined = not queued). */
    sequences: (bigint | undefined)[];
  }
  interface Model {
    markets: ModelMarket[];
    vaultCashUsd: bigint;
    insuranceFundUsd: bigint;
    freeBalances: bigint[];
    keeperFreeUsd: bigint;
    adlConfig: AdlConfig;
    /** The next insertion sequence (FIFO order inside a tick). */
    nextSequence: bigint;
  }

  const priceOf = (m: ModelMarket) => m.answer * FEED_STEP_WAD;
  const isValid = (m: ModelMarket) => m.answer > 0n;

  async function readModel(): Promise<Model> {
    const markets: ModelMarket[] = [];
    for (const symbol of [ETH, BTC]) {
      const deployed = s.market(symbol);
      const [, params] = await s.engine.getMarketConfig(deployed.marketId);
      const tiers = (await s.engine.getMarginTiers(deployed.marketId)).map((t) => ({
        notionalFloorUsd: t.notionalFloorUsd,
        initialMarginBps: t.initialMarginBps,
        maintenanceMarginBps: t.maintenanceMarginBps,
      }));
      const answer = (await deployed.feed.latestRoundData()).answer;
      const positions = await Promise.all(
        traderAddresses.map(async (a) => toPosition(await s.engine.getPosition(a, deployed.marketId))),
      );
      // Sequences start empty: every run starts from a book with no position (checked here).
      positions.forEach((p, t) => expect(p.size, `${symbol} trader ${t} starts flat`).to.equal(0n));
      markets.push({
        symbol,
        marketId: deployed.marketId,
        params: toMarketParams(params),
        tiers,
        state: toMarketState(await s.engine.getMarketState(deployed.marketId)),
        answer,
        initialAnswer: answer,
        positions,
        sequences: positions.map(() => undefined),
      });
    }
    const adl = await s.engine.adlConfig();
    return {
      markets,
      vaultCashUsd: await s.engine.vaultCashUsd(),
      insuranceFundUsd: await s.engine.insuranceFund(),
      freeBalances: await Promise.all(traderAddresses.map((a) => s.engine.freeBalance(a))),
      keeperFreeUsd: await s.engine.freeBalance(keeperAddress),
      adlConfig: {
        minQueueNotionalUsd: adl.minQueueNotionalUsd,
        maxSteps: adl.maxSteps,
        maxSkips: adl.maxSkips,
        vaultLossUpperBps: adl.vaultLossUpperBps,
        vaultLossLowerBps: adl.vaultLossLowerBps,
      },
      nextSequence: 1n,
    };
  }

  // ───────────────────────────── the model's SDK inputs ─────────────────────────────

  /** A side's queue as the engine holds it: eligible open positions with their insertion order. */
  function queueMembers(m: ModelMarket, isLong: boolean): AdlQueueMember[] {
    const members: AdlQueueMember[] = [];
    m.positions.forEach((position, t) => {
      const sequence = m.sequences[t];
      if (position.size === 0n || position.size > 0n !== isLong || sequence === undefined) return;
      members.push({ account: traderAddresses[t], position, sequence });
    });
    return members;
  }

  /** The other markets as the vault's valuation reads them (null price while invalid). */
  function otherMarkets(model: Model, m: ModelMarket): OtherMarketInput[] {
    return model.markets
      .filter((o) => o !== m)
      .map((o) => ({
        marketId: o.marketId,
        state: o.state,
        params: o.params,
        priceWad: isValid(o) ? priceOf(o) : null,
      }));
  }

  const traderIndex = (account: string) => {
    const i = traderAddresses.findIndex((a) => a.toLowerCase() === account.toLowerCase());
    if (i < 0) throw new Error(`not a trader: ${account}`);
    return i;
  };

  /** `AdlLogic._rekey` in the model: a changed position goes to the tail of its tick (a new sequence). */
  function requeue(model: Model, m: ModelMarket, t: number, position: Position) {
    m.sequences[t] =
      position.size !== 0n && isAdlEligible(position, model.adlConfig.minQueueNotionalUsd)
        ? model.nextSequence++
        : undefined;
  }

  /** Folds positions a walk or liquidation changed into the model (in re-key order). */
  function applyTouched(model: Model, m: ModelMarket, touched: TouchedPosition[]) {
    for (const change of touched) {
      const t = traderIndex(change.account);
      expect(m.positions[t], `touched ${change.account}: the SDK's "before" is the model's position`).to.deep.equal(
        change.before,
      );
      m.positions[t] = change.after;
      model.freeBalances[t] += change.freeCreditUsd;
      requeue(model, m, t, change.after);
      expect(m.sequences[t] !== undefined, `requeued flag of ${change.account}`).to.equal(change.requeued);
    }
  }

  /** The SDK's prediction of `liquidate(trader, market)` at `nowSeconds` on the model's state. */
  const predict = (model: Model, m: ModelMarket, trader: number, nowSeconds: bigint) => {
    const position = m.positions[trader];
    return simulateLiquidation({
      account: traderAddresses[trader],
      marketId: m.marketId,
      keeper: keeperAddress,
      params: m.params,
      tiers: m.tiers,
      state: m.state,
      position,
      priceWad: priceOf(m),
      nowSeconds,
      insuranceFundUsd: model.insuranceFundUsd,
      adlConfig: model.adlConfig,
      oppositeQueue: queueMembers(m, position.size < 0n),
      vault: { cashUsd: model.vaultCashUsd, otherMarkets: otherMarkets(model, m) },
    });
  };

  /** Folds a prediction into the model (a skipped batch entry keeps only the funding accrual). */
  function applyLiquidation(model: Model, m: ModelMarket, sim: LiquidationResult) {
    m.state = sim.state;
    if (!sim.isLiquidatable) return;
    applyTouched(model, m, sim.touched);
    model.insuranceFundUsd = sim.insuranceFundUsd;
    model.vaultCashUsd += sim.vaultCashDeltaUsd;
    model.keeperFreeUsd += sim.keeperFreeCreditUsd;
  }

  /** The after-action vault protection of a trade, close or poke, on the model as the action left it. */
  function protectAfterAction(model: Model, m: ModelMarket, nowSeconds: bigint): VaultProtectionResult {
    const protection = simulateVaultProtectionAfterAction(
      {
        marketId: m.marketId,
        params: m.params,
        state: m.state,
        priceWad: priceOf(m),
        nowSeconds,
        queue: queueMembers(m, m.state.netSize > 0n),
        adlConfig: model.adlConfig,
        vault: { cashUsd: model.vaultCashUsd, otherMarkets: otherMarkets(model, m) },
      },
      { liquidationsPaused: false, isSettled: false },
    );
    applyProtection(model, m, protection);
    return protection;
  }

  function applyProtection(model: Model, m: ModelMarket, protection: VaultProtectionResult) {
    m.state = protection.state;
    applyTouched(model, m, protection.touched);
    model.vaultCashUsd += protection.vaultCashDeltaUsd;
  }

  // ───────────────────────────── expected events ─────────────────────────────

  const deleveragedEvents = (events: DeleveragedEvent[]): ExpectedEvent[] =>
    events.map((e) => ({ name: "Deleveraged", args: { ...e } }));

  const protectionEvents = (p: VaultProtectionResult): ExpectedEvent[] =>
    p.vaultDeleveraged
      ? [...deleveragedEvents(p.deleveraged), { name: "VaultDeleveraged", args: { ...p.vaultDeleveraged } }]
      : [];

  /** A liquidation's events in the engine's emission order. */
  function liquidationEvents(m: ModelMarket, trader: number, sim: LiquidationResult): ExpectedEvent[] {
    const account = traderAddresses[trader];
    if (!sim.isLiquidatable) {
      return [
        {
          name: "LiquidationSkipped",
          args: { account, marketId: m.marketId, reason: SKIP_REASON[sim.skipReason!] },
        },
      ];
    }
    const out: ExpectedEvent[] = [];
    if (sim.insuranceKeeperTopUp) {
      out.push({
        name: "InsuranceKeeperTopUp",
        args: { marketId: m.marketId, keeper: keeperAddress, ...sim.insuranceKeeperTopUp },
      });
    }
    out.push(...deleveragedEvents(sim.deleveraged));
    if (sim.insuranceDeficitPaid) {
      out.push({ name: "InsuranceDeficitPaid", args: { marketId: m.marketId, account, ...sim.insuranceDeficitPaid } });
    }
    if (sim.insurancePenaltyCredited) {
      out.push({
        name: "InsurancePenaltyCredited",
        args: { marketId: m.marketId, account, ...sim.insurancePenaltyCredited },
      });
    }
    if (sim.socialization) out.push({ name: "LossSocialized", args: { marketId: m.marketId, ...sim.socialization } });
    out.push({ name: "Liquidated", args: { ...sim.liquidated! } });
    return out;
  }

  function parseEngineLogs(receipt: ContractTransactionReceipt): LogDescription[] {
    return receipt.logs
      .filter((log) => log.address.toLowerCase() === engineAddress.toLowerCase())
      .map((log) => s.engine.interface.parseLog(log))
      .filter((parsed): parsed is LogDescription => parsed !== null);
  }

  const normalize = (v: unknown) => (typeof v === "string" ? v.toLowerCase() : v);

  /** Every tracked event of the receipt equals the expected list, in order, field by field (by name). */
  function expectEvents(receipt: ContractTransactionReceipt, expected: ExpectedEvent[], label: string) {
    const actual = parseEngineLogs(receipt).filter((e) => TRACKED_EVENTS.has(e.name));
    expect(
      actual.map((e) => e.name),
      `${label}: tracked events`,
    ).to.deep.equal(expected.map((e) => e.name));
    actual.forEach((e, i) => {
      const args: Record<string, unknown> = {};
      e.fragment.inputs.forEach((input, k) => (args[input.name] = normalize(e.args[k])));
      const want: Record<string, unknown> = {};
      for (const input of e.fragment.inputs) {
        expect(input.name in expected[i].args, `${label}: ${e.name} field ${input.name} predicted`).to.equal(true);
        want[input.name] = normalize(expected[i].args[input.name]);
      }
      expect(args, `${label}: ${e.name}[${i}]`).to.deep.equal(want);
    });
  }

  // ───────────────────────────── checks after every step ─────────────────────────────

  /** Largest rounding gap seen in the zero-sum check. */
  let largestZeroSumGapWad = 0n;

  /**
   * Every engine view the SDK can predict, compared to the wei, at the latest block's timestamp (where
   * `eth_call` runs); then the accounting identity (DESIGN §12.1) and zero-sum equity (§12.4: each position's
   * equity rounds down by < 3 wei, each market's vault value by < 1 wei, all in the protocol's favour).
   */
  async function checkAgainstEngine(model: Model, context: string) {
    const now = await latestTimestamp();
    const snap = await lens.snapshot(
      engineAddress,
      model.markets.map((m) => m.marketId),
      traderAddresses,
      [...traderAddresses, keeperAddress],
    );
    let equitySumUsd = 0n;
    let marginSumUsd = 0n;
    let openPositions = 0n;
    for (const [i, m] of model.markets.entries()) {
      const market = snap.markets[i];
      const price = priceOf(m);
      const index = currentFundingIndexWad(m.state, m.params, price, now);
      expect(market.markPriceWad, `${context} ${m.symbol} mark price`).to.equal(price);
      expect(market.currentFundingIndexWad, `${context} ${m.symbol} currentFundingIndexWad`).to.equal(index);
      expect(toMarketState(market.state), `${context} ${m.symbol} market state`).to.deep.equal(m.state);
      for (const [t, position] of m.positions.entries()) {
        const views = market.positions[t];
        const label = `${context} ${m.symbol} trader ${t}`;
        expect(toPosition(views.position), `${label} position`).to.deep.equal(position);
        const health = positionHealth(m.state, position, price, index, m.tiers, m.params.keeperRewardUsd);
        expect(views.equityUsd, `${label} equity`).to.equal(health.equityUsd);
        expect(views.maintenanceRequirementUsd, `${label} requirement`).to.equal(health.maintenanceRequirementUsd);
        expect(views.liquidatable, `${label} isLiquidatable`).to.equal(health.isLiquidatable);
        expect(views.liquidationPriceWad, `${label} liquidationPrice`).to.equal(
          liquidationPrice(m.state, m.params, m.tiers, position, price, now),
        );
        equitySumUsd += health.equityUsd;
        marginSumUsd += position.marginUsd;
        if (position.size !== 0n) openPositions++;
      }
    }
    await checkQueues(model, context);
    const vaultMarkets = model.markets.map((m) => ({ state: m.state, params: m.params, priceWad: priceOf(m) }));
    const vaultEquityForDepositUsd = vaultEquityUsd(model.vaultCashUsd, vaultMarkets, now, true);
    expect(snap.vaultCashUsd, `${context} vaultCashUsd`).to.equal(model.vaultCashUsd);
    expect(snap.insuranceFundUsd, `${context} insuranceFund`).to.equal(model.insuranceFundUsd);
    expect(snap.vaultEquityForDepositUsd, `${context} vaultEquityUsd(true)`).to.equal(vaultEquityForDepositUsd);
    expect(snap.vaultEquityForWithdrawUsd, `${context} vaultEquityUsd(false)`).to.equal(
      vaultEquityUsd(model.vaultCashUsd, vaultMarkets, now, false),
    );
    expect(await s.engine.vaultRequiredEquityUsd(), `${context} vaultRequiredEquityUsd`).to.equal(
      vaultRequiredEquityUsd(vaultMarkets),
    );
    expect(await s.engine.maxVaultWithdrawalUsd(), `${context} maxVaultWithdrawalUsd`).to.equal(
      maxVaultWithdrawalUsd(model.vaultCashUsd, vaultMarkets, now),
    );
    expect([...snap.freeBalancesUsd], `${context} free balances (traders, keeper)`).to.deep.equal([
      ...model.freeBalances,
      model.keeperFreeUsd,
    ]);

    const freeSumUsd = model.freeBalances.reduce((a, b) => a + b, 0n) + model.keeperFreeUsd;
    const balanceUsd = snap.collateralBalance * collateralScale;
    expect(balanceUsd, `${context} accounting identity`).to.equal(
      freeSumUsd + marginSumUsd + model.vaultCashUsd + model.insuranceFundUsd,
    );
    const zeroSumGapUsd = balanceUsd - (equitySumUsd + freeSumUsd + vaultEquityForDepositUsd + model.insuranceFundUsd);
    expect(
      zeroSumGapUsd >= 0n && zeroSumGapUsd < 3n * openPositions + BigInt(model.markets.length),
      `${context} zero-sum equity gap ${zeroSumGapUsd} wei over ${openPositions} positions`,
    ).to.equal(true);
    if (zeroSumGapUsd > largestZeroSumGapWad) largestZeroSumGapWad = zeroSumGapUsd;
  }

  /**
   * Both queue heads and every position's light, rank and queue length (`adlLight`), read in one call
   * (`FuzzLens.queueSnapshot`), against the model's queue order (`orderAdlQueue` over its insertion sequences).
   */
  async function checkQueues(model: Model, context: string) {
    const words = await fuzzLens.queueSnapshot(
      engineAddress,
      model.markets.map((m) => m.marketId),
      traderAddresses,
    );
    const addressAt = (w: bigint) => ethers.getAddress("0x" + w.toString(16).padStart(40, "0"));
    let at = 0;
    for (const m of model.markets) {
      const orders = [true, false].map((isLong) =>
        orderAdlQueue(queueMembers(m, isLong), isLong).map((q) => q.account),
      );
      const heads = [addressAt(words[at++]), addressAt(words[at++])];
      expect(heads, `${context} ${m.symbol} queue heads (long, short)`).to.deep.equal(
        orders.map((order) => order[0] ?? ethers.ZeroAddress),
      );
      for (const [t, account] of traderAddresses.entries()) {
        const size = m.positions[t].size;
        const order = size > 0n ? orders[0] : orders[1];
        const rank = order.indexOf(account);
        const length = BigInt(order.length);
        const expected =
          size === 0n
            ? [0n, 0n, 0n]
            : rank < 0
              ? [0n, 0n, length]
              : [BigInt(adlLight(BigInt(rank), length)), BigInt(rank), length];
        expect([words[at++], words[at++], words[at++]], `${context} ${m.symbol} adlLight of trader ${t}`).to.deep.equal(
          expected,
        );
      }
    }
  }

  // ───────────────────────────── steps ─────────────────────────────

  const traderArb = fc.nat(TRADER_COUNT - 1);
  const tradeArb = fc.record({
    kind: fc.constant("trade" as const),
    trader: traderArb,
    market: fc.nat(1),
    mode: fc.constantFrom("open", "open", "increase", "reduce", "close", "closePosition", "flip", "margin"),
    // ETH-scaled size: mostly 0.1..100 ETH ($200..$200k), sometimes 1e-6..0.1 ETH or dust down to 1 wei.
    size: fc.oneof(
      { arbitrary: logUniform(17, 19), weight: 8 },
      { arbitrary: logUniform(12, 16), weight: 2 },
      { arbitrary: logUniform(0, 11), weight: 1 },
    ),
    isLong: fc.boolean(),
    fractionBps: fc.bigInt({ min: 1n, max: 9_999n }),
    // Margin in as a share of notional: mostly 5–8% (12–20x), else 3% (33x, rejected) .. 120%, or none.
    marginBps: fc.oneof(
      { arbitrary: fc.constant(0n), weight: 1 },
      { arbitrary: fc.bigInt({ min: 500n, max: 800n }), weight: 4 },
      { arbitrary: fc.bigInt({ min: 300n, max: 12_000n }), weight: 2 },
    ),
    marginOutBps: fc.oneof(fc.constant(0n), fc.bigInt({ min: 1n, max: 9_000n })),
  });
  const liquidateArb = fc.record({
    kind: fc.constant("liquidate" as const),
    pick: fc.constantFrom("liquidatable", "liquidatable", "liquidatable", "any"),
    trader: traderArb,
    market: fc.nat(1),
    index: fc.nat(),
  });
  const stepArb = fc.oneof(
    {
      arbitrary: fc.record({
        kind: fc.constant("deposit" as const),
        trader: traderArb,
        usd: fc.integer({ min: 1, max: 20_000 }),
      }),
      weight: 1,
    },
    { arbitrary: tradeArb, weight: 6 },
    {
      // Ordinary moves: small ones walk 20x positions into the partial-liquidation window, larger ones past it.
      arbitrary: fc.record({
        kind: fc.constant("price" as const),
        market: fc.nat(1),
        moveBps: fc.oneof(fc.bigInt({ min: -200n, max: 200n }), fc.bigInt({ min: -800n, max: 800n })),
      }),
      weight: 4,
    },
    {
      // Gaps of 10–45%: bankruptcies, ADL, the vault's absorption, socialization (and the 25% breaker).
      arbitrary: fc.record({
        kind: fc.constant("gap" as const),
        market: fc.nat(1),
        gapBps: fc.bigInt({ min: 1_000n, max: 4_500n }),
        down: fc.boolean(),
      }),
      weight: 3,
    },
    {
      // A gap against the vault where its net exposure is largest, then maybe a funding poke: the vault's loss
      // passes its protection threshold (the poke's protection closes winners at their fill), the vault's side
      // goes bankrupt and a small vault cannot absorb it all (socialization over the winners).
      arbitrary: fc.record({
        kind: fc.constant("stress" as const),
        gapBps: fc.bigInt({ min: 1_500n, max: 4_500n }),
        poke: fc.boolean(),
      }),
      weight: 2,
    },
    {
      arbitrary: fc.record({
        kind: fc.constant("time" as const),
        seconds: fc.oneof(
          fc.integer({ min: 1, max: 600 }),
          fc.integer({ min: 600, max: 3 * 86_400 }),
          fc.integer({ min: 30 * 86_400, max: 365 * 86_400 }),
        ),
      }),
      weight: 2,
    },
    { arbitrary: liquidateArb, weight: 5 },
    {
      arbitrary: fc.record({
        kind: fc.constant("liquidateMany" as const),
        entries: fc.array(fc.record({ trader: traderArb, market: fc.nat(1) }), { minLength: 1, maxLength: 4 }),
        // Prepend every position the SDK predicts liquidatable (as a keeper would), or not.
        liquidatableFirst: fc.boolean(),
      }),
      weight: 2,
    },
    {
      // The price walks one open position into its partial-liquidation window (equity at 55–95% of the
      // maintenance requirement), usually followed at once by a keeper's `liquidate`.
      arbitrary: fc.record({
        kind: fc.constant("squeeze" as const),
        index: fc.nat(),
        perMille: fc.bigInt({ min: 550n, max: 950n }),
        thenLiquidate: fc.constantFrom(true, true, true, false),
      }),
      weight: 2,
    },
    {
      // The price jumps just past one position's bankruptcy price (0.3–8%), then a keeper liquidates it: small
      // deficits, where a counterparty's own close fill (skew impact) is worse for it than the bankruptcy price.
      arbitrary: fc.record({
        kind: fc.constant("pastBankruptcy" as const),
        index: fc.nat(),
        beyondBps: fc.bigInt({ min: 30n, max: 800n }),
      }),
      weight: 3,
    },
    {
      // Issue 18.1's shape: a large high-leverage position, then a counterparty opening into its skew (a skew
      // rebate), then a price at which the first is bankrupt at its own execution price (skew impact included)
      // by a random margin, and a keeper's liquidation: counterparties close at max(B, own fill) for shorts,
      // min(B, own fill) for longs, with fills on both sides of B.
      arbitrary: fc.record({
        kind: fc.constant("rebateScenario" as const),
        market: fc.nat(1),
        bankrupt: traderArb,
        counterparty: traderArb,
        bankruptLong: fc.boolean(),
        /** Share of the vault's exposure room the bankrupt position takes. */
        sizeBps: fc.bigInt({ min: 3_000n, max: 8_000n }),
        // 5–10x: the open's own skew premium counts against initial margin (up to a few % here).
        leverageBps: fc.bigInt({ min: 50_000n, max: 100_000n }),
        counterpartyMarginBps: fc.bigInt({ min: 1_000n, max: 4_000n }),
        counterpartySizeBps: fc.bigInt({ min: 5_000n, max: 13_000n }),
        /** How far past the bankruptcy price the execution price lands, in bps of it. */
        pastBps: fc.oneof(fc.bigInt({ min: 1n, max: 300n }), fc.bigInt({ min: 1n, max: 1_500n })),
      }),
      weight: 3,
    },
    {
      // One market's feed answers 0 (invalid) while liquidations and trades run in the other, then it is restored.
      arbitrary: fc.record({
        kind: fc.constant("invalidOther" as const),
        invalid: fc.nat(1),
        actions: fc.array(fc.oneof(liquidateArb, tradeArb), { minLength: 1, maxLength: 3 }),
      }),
      weight: 2,
    },
    {
      arbitrary: fc.record({
        kind: fc.constant("deleverageVault" as const),
        market: fc.nat(1),
        maxSteps: fc.constantFrom(1n, 2n, 16n),
      }),
      weight: 1,
    },
    {
      arbitrary: fc.record({ kind: fc.constant("poke" as const), market: fc.nat(1) }),
      weight: 1,
    },
    {
      arbitrary: fc.record({
        kind: fc.constant("donate" as const),
        trader: traderArb,
        usd: fc.integer({ min: 1, max: 5_000 }),
      }),
      weight: 1,
    },
  );
  type Step = typeof stepArb extends fc.Arbitrary<infer T> ? T : never;
  type TradeStep = Extract<Step, { kind: "trade" }>;
  type LiquidateStep = Extract<Step, { kind: "liquidate" }>;

  /** Per run: the ADL bounds, the vault's size and the insurance fund it starts with. */
  const setupArb = fc.record({
    maxSteps: fc.constantFrom(1n, 2n, 4n, 16n),
    maxSkips: fc.constantFrom(0n, 1n, 3n, 128n),
    vaultUsd: fc.constantFrom(30_000n, 30_000n, 120_000n, 400_000n, 1_000_000n),
    fundUsd: fc.constantFrom(0n, 0n, 2_000n, 50_000n),
    /** Most opening positions on one side (the vault takes a large net exposure) or mixed. */
    bookBias: fc.constantFrom("mixed", "long", "short"),
    /** Opening sizes ×1 or ×6: a large book moves fills by whole percents (skew impact, ADL at own fill). */
    bookScale: fc.constantFrom(1n, 1n, 6n),
  });
  type Setup = {
    maxSteps: bigint;
    maxSkips: bigint;
    vaultUsd: bigint;
    fundUsd: bigint;
    bookBias: string;
    bookScale: bigint;
  };

  /** The opening book: one position per (trader, market), random side, 0.05–50 ETH-equivalent at 12–20x. */
  const openingBookArb = fc
    .array(
      fc.record({ isLong: fc.boolean(), size: logUniform(17, 19), marginBps: fc.bigInt({ min: 500n, max: 800n }) }),
      { minLength: TRADER_COUNT * 2, maxLength: TRADER_COUNT * 2 },
    )
    .map((opens) =>
      opens.map((open, i): TradeStep => ({
        kind: "trade",
        trader: i % TRADER_COUNT,
        market: Math.floor(i / TRADER_COUNT),
        mode: "open",
        size: open.size / 2n,
        isLong: open.isLong,
        fractionBps: 1n,
        marginBps: open.marginBps,
        marginOutBps: 0n,
      })),
    );

  /** Outcome tallies for the log. */
  const tallies = new Map<string, Map<string, number>>();
  const tally = (group: string, key: string) => {
    const map = tallies.get(group) ?? new Map<string, number>();
    map.set(key, (map.get(key) ?? 0) + 1);
    tallies.set(group, map);
  };
  let checkedSteps = 0;
  let onChainLiquidationChecks = 0;

  function revertName(error: unknown): string {
    const data = revertData(error);
    if (data) {
      const parsed = s.engine.interface.parseError(data) ?? s.market(ETH).adapter.interface.parseError(data);
      if (parsed) return parsed.name;
      return `data ${data.slice(0, 10)}`;
    }
    return (error as Error).message.slice(0, 80);
  }

  async function refreshFeeds(model: Model) {
    for (const m of model.markets) await (await s.market(m.symbol).feed.updateAnswer(m.answer)).wait();
  }

  async function setAnswer(m: ModelMarket, answer: bigint) {
    const lowest = m.initialAnswer / 20n;
    const highest = m.initialAnswer * 20n;
    m.answer = answer < lowest ? lowest : answer > highest ? highest : answer;
    await (await s.market(m.symbol).feed.updateAnswer(m.answer)).wait();
  }

  /** Pins the next block to latest + 1 s and returns that timestamp (the SDK predicts at it). */
  async function pinNextBlock(): Promise<bigint> {
    const next = (await latestTimestamp()) + 1n;
    await time.setNextBlockTimestamp(next);
    return next;
  }

  /** Sends a transaction with a fixed gas limit; returns the receipt, or the revert's name and data. */
  async function send(
    call: () => Promise<{ wait: () => Promise<ContractTransactionReceipt | null> }>,
  ): Promise<{ receipt: ContractTransactionReceipt } | { error: unknown }> {
    try {
      const receipt = await (await call()).wait();
      if (!receipt) throw new Error("no receipt");
      return { receipt };
    } catch (error) {
      return { error };
    }
  }

  /** Resolves a trade step against the model into the engine call's arguments. */
  function resolveTrade(model: Model, step: TradeStep) {
    const m = model.markets[step.market];
    const old = m.positions[step.trader];
    // BTC is ~30× ETH's price: scale the size so notionals are comparable.
    const randomSize = step.market === 0 ? step.size : step.size / 30n + 1n;
    const signedRandom = step.isLong ? randomSize : -randomSize;
    let sizeDelta: bigint;
    let mode = step.mode;
    if (old.size === 0n && mode !== "open" && mode !== "margin") mode = "open";
    switch (mode) {
      case "open":
        sizeDelta = signedRandom;
        break;
      case "increase":
        sizeDelta = old.size > 0n ? randomSize : -randomSize;
        break;
      case "reduce": {
        const cut = (abs(old.size) * step.fractionBps) / BPS;
        sizeDelta = old.size > 0n ? -(cut === 0n ? 1n : cut) : cut === 0n ? 1n : cut;
        break;
      }
      case "close":
      case "closePosition":
        sizeDelta = -old.size;
        break;
      case "flip":
        sizeDelta = -old.size + (old.size > 0n ? -randomSize : randomSize);
        break;
      case "margin":
        sizeDelta = 0n;
        break;
    }
    // Margin in: a share of the new trade's notional (+ $12 for the minimum margin and keeper reward);
    // margin out: a share of the current margin.
    let marginDelta = 0n;
    if (step.marginBps !== 0n) {
      marginDelta =
        (notionalUsd(sizeDelta === 0n ? old.size : sizeDelta, priceOf(m)) * step.marginBps) / BPS + 12n * WAD;
    } else if (step.marginOutBps !== 0n && old.size !== 0n) {
      marginDelta = -((old.marginUsd * step.marginOutBps) / BPS + 1n);
    }
    if (sizeDelta === 0n && marginDelta === 0n) marginDelta = 50n * WAD;
    return { m, old, sizeDelta, marginDelta, useClosePosition: mode === "closePosition" };
  }

  async function runTrade(model: Model, step: TradeStep) {
    const { m, old, sizeDelta, marginDelta, useClosePosition } = resolveTrade(model, step);
    const trader = s.engine.connect(traders[step.trader]);
    const acceptable = sizeDelta > 0n ? ethers.MaxUint256 : 0n;
    const now = await pinNextBlock();
    const sent = await send(() =>
      useClosePosition
        ? trader.closePosition(m.marketId, acceptable, { gasLimit: GAS_LIMIT })
        : trader.modifyPosition(m.marketId, sizeDelta, marginDelta, acceptable, { gasLimit: GAS_LIMIT }),
    );
    if ("error" in sent) {
      tally("rejected trades", revertName(sent.error));
      return; // the engine rejected it: nothing changed, the model stays as it is
    }
    const result = simulateModifyPosition({
      params: m.params,
      state: m.state,
      position: old,
      sizeDelta,
      marginDelta: useClosePosition ? 0n : marginDelta,
      priceWad: priceOf(m),
      nowSeconds: now,
    });
    const kind =
      sizeDelta === 0n
        ? "margin"
        : old.size === 0n
          ? "open"
          : result.position.size === 0n
            ? "close"
            : old.size > 0n !== result.position.size > 0n
              ? "flip"
              : abs(result.position.size) > abs(old.size)
                ? "increase"
                : "reduce";
    tally("trades", kind);
    m.positions[step.trader] = result.position;
    m.state = result.state;
    requeue(model, m, step.trader, result.position);
    model.vaultCashUsd += result.vaultCashDeltaUsd;
    model.insuranceFundUsd += result.trade.insuranceFeeUsd;
    model.freeBalances[step.trader] += result.freeBalanceDeltaUsd;
    const protection = protectAfterAction(model, m, now);
    if (protection.ran) tally("vault protection", `after ${kind}: ${protection.deleveraged.length} closes`);
    expectEvents(
      sent.receipt,
      [
        {
          name: "PositionModified",
          args: {
            account: traderAddresses[step.trader],
            marketId: m.marketId,
            sizeDelta,
            fillPriceWad: result.trade.fillPriceWad,
            feeUsd: result.trade.feeUsd,
            realizedPnlUsd: result.trade.realizedPnlUsd,
            fundingPaidUsd: result.fundingPaidUsd,
            lossPaidUsd: result.lossPaidUsd,
            marginDeltaUsd: useClosePosition ? 0n : marginDelta,
            newSize: result.position.size,
            newMarginUsd: result.position.marginUsd,
            newEntryPriceWad: result.position.entryPriceWad,
          },
        },
        ...protectionEvents(protection),
      ],
      `${m.symbol} trade ${kind} ${sizeDelta}/${marginDelta}`,
    );
  }

  async function runPoke(model: Model, step: Extract<Step, { kind: "poke" }>) {
    const m = model.markets[step.market];
    const now = await pinNextBlock();
    const sent = await send(() => s.engine.connect(s.keeper).pokeFunding(m.marketId, { gasLimit: GAS_LIMIT }));
    if ("error" in sent) throw new Error(`pokeFunding reverted: ${revertName(sent.error)}`);
    const protection = protectAfterAction(model, m, now);
    expectEvents(sent.receipt, protectionEvents(protection), `${m.symbol} pokeFunding`);
  }

  async function runDeleverageVault(model: Model, step: Extract<Step, { kind: "deleverageVault" }>) {
    const m = model.markets[step.market];
    const now = await pinNextBlock();
    const input = {
      marketId: m.marketId,
      params: m.params,
      state: m.state,
      priceWad: priceOf(m),
      nowSeconds: now,
      queue: [] as AdlQueueMember[],
      adlConfig: model.adlConfig,
      vault: { cashUsd: model.vaultCashUsd, otherMarkets: otherMarkets(model, m) },
    };
    // The walked side is the one winning against the vault once funding is accrued (its sign cannot change).
    input.queue = queueMembers(m, m.state.netSize > 0n);
    let predicted: VaultProtectionResult | EngineRevertError;
    try {
      predicted = simulateDeleverageVault(input, step.maxSteps);
    } catch (error) {
      if (!(error instanceof EngineRevertError)) throw error;
      predicted = error;
    }
    const sent = await send(() =>
      s.engine.connect(s.keeper).deleverageVault(m.marketId, step.maxSteps, { gasLimit: GAS_LIMIT }),
    );
    const label = `${m.symbol} deleverageVault(${step.maxSteps})`;
    if (predicted instanceof EngineRevertError) {
      expect("error" in sent, `${label}: SDK predicted ${predicted.errorName}`).to.equal(true);
      const parsed = s.engine.interface.parseError(revertData((sent as { error: unknown }).error)!);
      expect(parsed?.name, `${label} revert`).to.equal(predicted.errorName);
      expect([parsed!.args[1], parsed!.args[2]], `${label} revert args`).to.deep.equal([...predicted.args]);
      tally("deleverageVault", predicted.errorName);
      return;
    }
    if ("error" in sent) throw new Error(`${label}: engine reverted ${revertName(sent.error)}, SDK predicted a walk`);
    applyProtection(model, m, predicted);
    expectEvents(sent.receipt, protectionEvents(predicted), label);
    tally("deleverageVault", `${predicted.deleveraged.length} closes`);
  }

  /** Every (trader, market) the SDK predicts liquidatable at `nowSeconds` (markets with a valid price). */
  function liquidatableTargets(model: Model, nowSeconds: bigint) {
    const targets: { trader: number; market: number }[] = [];
    model.markets.forEach((m, market) => {
      if (!isValid(m)) return;
      m.positions.forEach((_, trader) => {
        if (predict(model, m, trader, nowSeconds).isLiquidatable) targets.push({ trader, market });
      });
    });
    return targets;
  }

  /** Every (trader, market) with an open position in a market with a valid price. */
  function openTargets(model: Model) {
    return model.markets.flatMap((m, market) =>
      isValid(m) ? m.positions.flatMap((position, trader) => (position.size !== 0n ? [{ trader, market }] : [])) : [],
    );
  }

  async function runLiquidate(model: Model, step: LiquidateStep) {
    const now = await pinNextBlock();
    // "liquidatable": a predicted-liquidatable position, else an open one (a healthy revert); "any": the step's.
    const liquidatable = step.pick === "liquidatable" ? liquidatableTargets(model, now) : [];
    const open = step.pick === "liquidatable" ? openTargets(model) : [];
    const candidates = liquidatable.length > 0 ? liquidatable : open;
    const target = candidates.length > 0 ? candidates[step.index % candidates.length] : step;
    if (!isValid(model.markets[target.market])) return; // a liquidation in the invalid market only reverts
    await liquidateOne(model, target, now);
  }

  /** `liquidate(trader, market)` by the keeper in a block pinned at `now`, against `simulateLiquidation`. */
  async function liquidateOne(model: Model, target: { trader: number; market: number }, now: bigint) {
    const m = model.markets[target.market];
    const sim = predict(model, m, target.trader, now);
    const label = `${m.symbol} liquidate trader ${target.trader}`;
    const sent = await send(() =>
      s.engine.connect(s.keeper).liquidate(traderAddresses[target.trader], m.marketId, { gasLimit: GAS_LIMIT }),
    );
    if ("error" in sent) {
      const data = revertData(sent.error);
      expect(data, `${label}: reverted without data (${revertName(sent.error)})`).to.not.equal(undefined);
      const parsed = s.engine.interface.parseError(data!);
      expect(sim.isLiquidatable, `${label}: engine reverted ${parsed?.name}, SDK predicted a liquidation`).to.equal(
        false,
      );
      expect(parsed?.name, `${label} revert`).to.equal(sim.revert!.errorName);
      if (parsed!.name === "PositionNotLiquidatable") {
        expect(parsed!.args.equityUsd, `${label} revert equity`).to.equal(sim.equityUsd);
        expect(parsed!.args.maintenanceRequirementUsd, `${label} revert requirement`).to.equal(
          sim.maintenanceRequirementUsd,
        );
      }
      tally("liquidations", `revert:${parsed!.name}`);
      return; // reverted: nothing changed, not even the funding accrual
    }
    expect(sim.isLiquidatable, `${label}: engine liquidated, SDK predicted ${sim.skipReason}`).to.equal(true);
    const old = m.positions[target.trader];
    expectEvents(sent.receipt, liquidationEvents(m, target.trader, sim), label);
    checkLiquidationInvariants(m, old, sim, label);
    applyLiquidation(model, m, sim);
  }

  /** DESIGN §12.5 and §12.7 on a prediction already equal to the engine's events. */
  function checkLiquidationInvariants(m: ModelMarket, old: Position, sim: LiquidationResult, label: string) {
    expect(
      sim.insurancePaidUsd + sim.adlPaidUsd + sim.vaultPaidUsd + sim.socializedUsd,
      `${label} waterfall sum`,
    ).to.equal(sim.deficitUsd);
    expect(sim.closedSize !== 0n && sim.closedSize > 0n === old.size > 0n, `${label} closes`).to.equal(true);
    expect(abs(sim.closedSize) <= abs(old.size), `${label} at most the size`).to.equal(true);
    // Same-side accounts are never deleveraged; counterparties only on the opposite side.
    for (const d of sim.deleveraged) expect(d.size > 0n !== old.size > 0n, `${label} ADL side`).to.equal(true);
    if (sim.position.size !== 0n) {
      const after = positionHealth(
        sim.state,
        sim.position,
        priceOf(m),
        sim.state.fundingIndexWad,
        m.tiers,
        m.params.keeperRewardUsd,
      );
      expect(after.isLiquidatable, `${label} remainder healthy`).to.equal(false);
      expect(sim.position.marginUsd >= m.params.minPositionMarginUsd, `${label} remainder margin`).to.equal(true);
    }
    tally(
      "liquidations",
      sim.isPartial ? "partial" : sim.plannedCloseSizeAbs < abs(old.size) ? "partialRejectedFull" : "full",
    );
    if (sim.deficitUsd !== 0n) tally("liquidations", "bankrupt");
    if (sim.insurancePaidUsd !== 0n) tally("liquidations", "insurancePaid");
    if (sim.adlTargetAbs !== 0n) {
      tally(
        "adl",
        sim.adlPlacedAbs === 0n ? "placed nothing" : sim.adlPlacedAbs === sim.adlTargetAbs ? "full" : "partial",
      );
    }
    if (sim.deleveraged.length !== 0) tally("adl", `${sim.deleveraged.length} counterparties`);
    for (const d of sim.deleveraged) {
      tally(
        "adl close price",
        d.priceWad === sim.bankruptcyPriceWad ? "at B" : `at own fill (${d.size > 0n ? "long" : "short"})`,
      );
    }
    if (sim.vaultPaidUsd !== 0n) tally("liquidations", "vaultPaid");
    if (sim.socializedUsd !== 0n) tally("liquidations", `socialized (${sim.restSplitRule})`);
    if (sim.restSplitRule) tally("rest split", sim.restSplitRule);
    if (sim.keeperTopUpUsd !== 0n) tally("liquidations", "keeperTopUp");
    if (sim.lossPaidUsd !== 0n) tally("liquidations", "lossSettled");
  }

  /**
   * Sets the feed answer at which one open position's equity is just below `perMille`‰ of its
   * maintenance requirement (found by bisection on the SDK's `positionHealth`), then optionally liquidates
   * it. Nothing happens when no answer within the feed's range gets there.
   */
  async function runSqueeze(model: Model, step: Extract<Step, { kind: "squeeze" }>) {
    const open = openTargets(model);
    if (open.length === 0) return;
    const target = open[step.index % open.length];
    const m = model.markets[target.market];
    const position = m.positions[target.trader];
    const isLong = position.size > 0n;
    const index = currentFundingIndexWad(m.state, m.params, priceOf(m), (await latestTimestamp()) + 1n);
    const belowTarget = (answer: bigint) => {
      const health = positionHealth(
        m.state,
        position,
        answer * FEED_STEP_WAD,
        index,
        m.tiers,
        m.params.keeperRewardUsd,
      );
      return health.equityUsd * 1_000n < health.maintenanceRequirementUsd * step.perMille;
    };
    // Long: below target at low prices (find the highest such answer); short: the mirror.
    let [healthy, squeezed] = isLong
      ? [m.initialAnswer * 20n, m.initialAnswer / 20n]
      : [m.initialAnswer / 20n, m.initialAnswer * 20n];
    if (belowTarget(healthy) || !belowTarget(squeezed)) return;
    while (abs(healthy - squeezed) > 1n) {
      const middle = (healthy + squeezed) / 2n;
      if (belowTarget(middle)) squeezed = middle;
      else healthy = middle;
    }
    await setAnswer(m, squeezed);
    tally("liquidations", "squeeze");
    if (step.thenLiquidate) await liquidateOne(model, target, await pinNextBlock());
  }

  async function runPastBankruptcy(model: Model, step: Extract<Step, { kind: "pastBankruptcy" }>) {
    const open = openTargets(model);
    if (open.length === 0) return;
    const target = open[step.index % open.length];
    const m = model.markets[target.market];
    const position = m.positions[target.trader];
    const now = (await latestTimestamp()) + 1n;
    const index = currentFundingIndexWad(m.state, m.params, priceOf(m), now);
    const b = bankruptcyPriceWad(position, index, m.state.longLossIndexWad, m.state.shortLossIndexWad);
    if (b === 0n) return;
    const beyond = position.size > 0n ? BPS - step.beyondBps : BPS + step.beyondBps;
    await setAnswer(m, (b * beyond) / BPS / FEED_STEP_WAD);
    tally("liquidations", "pastBankruptcy");
    await liquidateOne(model, target, await pinNextBlock());
  }

  /** Mints and deposits `usd` for a trader (the model's free balance follows). */
  async function fund(model: Model, t: number, usd: bigint) {
    const tokens = (usd * 10n ** BigInt(s.collateralDecimals)) / WAD + 1n;
    await (await s.collateral.mint(traderAddresses[t], tokens)).wait();
    await (await s.engine.connect(traders[t]).deposit(tokens)).wait();
    model.freeBalances[t] += tokens * collateralScale;
  }

  async function runRebateScenario(model: Model, step: Extract<Step, { kind: "rebateScenario" }>) {
    const m = model.markets[step.market];
    const base = { kind: "trade" as const, market: step.market, fractionBps: 1n, marginOutBps: 0n };
    // Out of any breaker window first (opens are refused while the market is volatile).
    await time.increase(VOLATILITY_COOLDOWN_SECONDS + 1);
    await refreshFeeds(model);
    // Two traders flat in this market, from the drawn ones onwards (else the drawn ones close first).
    const flat = [...Array(TRADER_COUNT).keys()]
      .map((i) => (step.bankrupt + i) % TRADER_COUNT)
      .filter((t) => m.positions[t].size === 0n);
    if (flat.length >= 2) {
      step = { ...step, bankrupt: flat[0], counterparty: flat[1] };
    } else if (step.bankrupt === step.counterparty) {
      step = { ...step, counterparty: (step.bankrupt + 1) % TRADER_COUNT };
    }
    for (const t of [step.bankrupt, step.counterparty]) {
      if (m.positions[t].size === 0n) continue;
      await runTrade(model, { ...base, trader: t, mode: "closePosition", size: 1n, isLong: true, marginBps: 0n });
      if (m.positions[t].size !== 0n) return void tally("rebate scenario", "a close was refused");
    }
    // Size against the vault's exposure room (and the OI cap), in the units `resolveTrade` scales per market.
    const opensAt = (await latestTimestamp()) + 1n;
    const vaultMarkets = model.markets.map((x) => ({ state: x.state, params: x.params, priceWad: priceOf(x) }));
    const roomUsd = (vaultEquityUsd(model.vaultCashUsd, vaultMarkets, opensAt, false) * WIDE_EXPOSURE_BPS) / BPS;
    const capSize = (m.params.maxOpenInterestPerSide * 3n) / 4n;
    // Within the first margin tier ($1M notional), where the leverage drawn is allowed.
    const firstTierSize = (FIRST_TIER_NOTIONAL_USD * WAD) / priceOf(m);
    let size = (roomUsd * step.sizeBps * WAD) / BPS / priceOf(m);
    if (size > capSize) size = capSize;
    if (size > firstTierSize) size = firstTierSize;
    if (size <= 0n) return void tally("rebate scenario", "no exposure room");
    const engineSize = step.market === 0 ? size : size * 30n; // resolveTrade divides BTC sizes by 30
    const marginBps = (BPS * BPS) / step.leverageBps;
    await fund(model, step.bankrupt, (notionalUsd(size, priceOf(m)) * marginBps) / BPS + 100n * WAD);
    await runTrade(model, {
      ...base,
      trader: step.bankrupt,
      mode: "open",
      size: engineSize,
      isLong: step.bankruptLong,
      marginBps,
    });
    const counterSize = (size * step.counterpartySizeBps) / BPS;
    await fund(
      model,
      step.counterparty,
      (notionalUsd(counterSize, priceOf(m)) * step.counterpartyMarginBps) / BPS + 100n * WAD,
    );
    await runTrade(model, {
      ...base,
      trader: step.counterparty,
      mode: "open",
      size: step.market === 0 ? counterSize : counterSize * 30n,
      isLong: !step.bankruptLong,
      marginBps: step.counterpartyMarginBps,
    });
    const position = m.positions[step.bankrupt];
    if (position.size === 0n) return void tally("rebate scenario", "the open was refused");
    const now = (await latestTimestamp()) + 1n;
    // The highest (long) / lowest (short) feed answer at which the position is liquidatable and bankrupt at its
    // own execution price by at least `pastBps` (the skew impact of its close may alone make it bankrupt).
    const at = (answer: bigint) => {
      const price = answer * FEED_STEP_WAD;
      const index = currentFundingIndexWad(m.state, m.params, price, now + 1n);
      const b = bankruptcyPriceWad(position, index, m.state.longLossIndexWad, m.state.shortLossIndexWad);
      const execution = executionPriceWad(price, m.state.netSize, -position.size, m.params.skewScale);
      return { b, execution };
    };
    // Liquidatable at the oracle price, and its close's execution price past B by at least `pastBps`.
    const isPast = (answer: bigint) => {
      const { b, execution } = at(answer);
      const price = answer * FEED_STEP_WAD;
      const index = currentFundingIndexWad(m.state, m.params, price, now + 1n);
      const health = positionHealth(m.state, position, price, index, m.tiers, m.params.keeperRewardUsd);
      const past =
        position.size > 0n ? execution * BPS < b * (BPS - step.pastBps) : execution * BPS > b * (BPS + step.pastBps);
      return health.isLiquidatable && past;
    };
    let [calm, past] =
      position.size > 0n
        ? [m.initialAnswer * 20n, m.initialAnswer / 20n]
        : [m.initialAnswer / 20n, m.initialAnswer * 20n];
    if (isPast(calm) || !isPast(past)) return void tally("rebate scenario", "no such price");
    while (abs(calm - past) > 1n) {
      const middle = (calm + past) / 2n;
      if (isPast(middle)) past = middle;
      else calm = middle;
    }
    await setAnswer(m, past);
    tally("liquidations", "rebateScenario");
    await liquidateOne(model, { trader: step.bankrupt, market: step.market }, await pinNextBlock());
  }

  async function runLiquidateMany(model: Model, step: Extract<Step, { kind: "liquidateMany" }>) {
    const now = await pinNextBlock();
    const entries = [...step.entries];
    const candidates = step.liquidatableFirst ? liquidatableTargets(model, now) : [];
    entries.unshift(...candidates);
    const sent = await send(() =>
      s.engine.connect(s.keeper).liquidateMany(
        entries.map((e) => traderAddresses[e.trader]),
        entries.map((e) => model.markets[e.market].marketId),
        { gasLimit: GAS_LIMIT },
      ),
    );
    if ("error" in sent) throw new Error(`liquidateMany reverted: ${revertName(sent.error)}`);
    const expected: ExpectedEvent[] = [];
    for (const [i, entry] of entries.entries()) {
      // Entries run in order within one transaction: each sees the state the previous ones left.
      const m = model.markets[entry.market];
      const sim = predict(model, m, entry.trader, now);
      const label = `${m.symbol} liquidateMany[${i}] trader ${entry.trader}`;
      expected.push(...liquidationEvents(m, entry.trader, sim));
      if (sim.isLiquidatable) checkLiquidationInvariants(m, m.positions[entry.trader], sim, label);
      else tally("liquidations", `batchSkip:${sim.skipReason}`);
      applyLiquidation(model, m, sim);
    }
    expectEvents(sent.receipt, expected, "liquidateMany");
  }

  /**
   * One market's feed answers 0 (every read of it reverts) while liquidations and trades run in the other: a
   * deficit that reaches the vault is socialized (the vault cannot be valued), closes skip the vault protection,
   * opens fail (the exposure cap values the vault). Then the answer is restored.
   */
  async function runInvalidOther(model: Model, step: Extract<Step, { kind: "invalidOther" }>) {
    const invalid = model.markets[step.invalid];
    const restore = invalid.answer;
    invalid.answer = 0n;
    await (await s.market(invalid.symbol).feed.updateAnswer(0n)).wait();
    tally("invalid price", "windows");
    const other = 1 - step.invalid;
    for (const action of step.actions) {
      if (action.kind === "trade") await runTrade(model, { ...action, market: other });
      else await runLiquidate(model, action.pick === "any" ? { ...action, market: other } : action);
    }
    invalid.answer = restore;
    await (await s.market(invalid.symbol).feed.updateAnswer(restore)).wait();
  }

  async function runStep(model: Model, step: Step) {
    switch (step.kind) {
      case "deposit": {
        const tokens = parseUnits(String(step.usd), s.collateralDecimals);
        await (await s.engine.connect(traders[step.trader]).deposit(tokens)).wait();
        model.freeBalances[step.trader] += tokens * collateralScale;
        break;
      }
      case "donate": {
        const tokens = parseUnits(String(step.usd), s.collateralDecimals);
        await (await s.engine.connect(traders[step.trader]).donateToInsurance(tokens)).wait();
        model.insuranceFundUsd += tokens * collateralScale;
        break;
      }
      case "trade":
        await runTrade(model, step);
        break;
      case "price": {
        const m = model.markets[step.market];
        await setAnswer(m, (m.answer * (BPS + step.moveBps)) / BPS);
        break;
      }
      case "gap": {
        const m = model.markets[step.market];
        await setAnswer(m, (m.answer * (step.down ? BPS - step.gapBps : BPS + step.gapBps)) / BPS);
        break;
      }
      case "time":
        await time.increase(step.seconds);
        await refreshFeeds(model); // keep the feeds inside their 1 h heartbeat
        break;
      case "liquidate":
        await runLiquidate(model, step);
        break;
      case "liquidateMany":
        await runLiquidateMany(model, step);
        break;
      case "squeeze":
        await runSqueeze(model, step);
        break;
      case "rebateScenario":
        await runRebateScenario(model, step);
        break;
      case "pastBankruptcy":
        await runPastBankruptcy(model, step);
        break;
      case "invalidOther":
        await runInvalidOther(model, step);
        break;
      case "deleverageVault":
        await runDeleverageVault(model, step);
        break;
      case "poke":
        await runPoke(model, step);
        break;
      case "stress": {
        const exposure = (m: ModelMarket) => abs(m.state.netSize) * priceOf(m);
        const m = exposure(model.markets[0]) >= exposure(model.markets[1]) ? model.markets[0] : model.markets[1];
        // Traders net long: the vault is short and loses when the price rises.
        const up = m.state.netSize > 0n;
        await setAnswer(m, (m.answer * (up ? BPS + step.gapBps : BPS - step.gapBps)) / BPS);
        tally("stress", up ? "up" : "down");
        if (step.poke) await runPoke(model, { kind: "poke", market: model.markets.indexOf(m) });
        break;
      }
    }
  }

  /** Applies a run's setup on the base snapshot: ADL bounds, the vault's size, the insurance fund. */
  async function applySetup(setup: Setup) {
    const adl = await s.engine.adlConfig();
    await (
      await s.engine.setAdlConfig({
        minQueueNotionalUsd: adl.minQueueNotionalUsd,
        maxSteps: setup.maxSteps,
        maxSkips: setup.maxSkips,
        vaultLossUpperBps: adl.vaultLossUpperBps,
        vaultLossLowerBps: adl.vaultLossLowerBps,
      })
    ).wait();
    const seedUsd = BigInt(VAULT_SEED_USD);
    if (setup.vaultUsd < seedUsd) {
      const tokens = parseUnits(String(seedUsd - setup.vaultUsd), s.collateralDecimals);
      await (await s.vault.connect(s.lp).withdraw(tokens, s.lp.address, s.lp.address)).wait();
    }
    if (setup.fundUsd !== 0n) {
      await (
        await s.engine.connect(s.lp).donateToInsurance(parseUnits(String(setup.fundUsd), s.collateralDecimals))
      ).wait();
    }
  }

  before(async () => {
    s = await deployWith(SEQUENCE_CONFIG);
    traders = s.traders.slice(0, TRADER_COUNT);
    traderAddresses = await Promise.all(traders.map((t) => t.getAddress()));
    keeperAddress = await s.keeper.getAddress();
    engineAddress = await s.engine.getAddress();
    collateralScale = await s.engine.collateralScale();
    lens = await ethers.deployContract("EngineLensHarness");
    fuzzLens = await ethers.deployContract("FuzzLens");
    for (const trader of traders) await (await s.engine.connect(trader).deposit(s.tokens(TRADER_DEPOSIT_USD))).wait();
    // The LP can donate to the fund in a setup.
    await (await s.collateral.mint(s.lp.address, s.tokens("100000"))).wait();
    await (await s.collateral.connect(s.lp).approve(engineAddress, ethers.MaxUint256)).wait();
    snapshotId = await network.provider.send("evm_snapshot");
  });

  after(() => {
    console.log(`      engine sequences: ${checkedSteps} steps checked`);
    for (const [group, map] of tallies) console.log(`      ${group}: ${JSON.stringify(Object.fromEntries(map))}`);
    console.log(`      zero-sum equity: largest rounding gap ${largestZeroSumGapWad} wei`);
    console.log(`      liquidation price: ${onChainLiquidationChecks} feed prices confirmed on-chain`);
  });

  it("every event field, position, queue order, index, vault value, fund and balance match after every step", async () => {
    await fc.assert(
      fc.asyncProperty(
        setupArb,
        openingBookArb,
        fc.array(stepArb, { minLength: 15, maxLength: 40 }),
        async (setup, book, steps) => {
          await network.provider.send("evm_revert", [snapshotId]);
          snapshotId = await network.provider.send("evm_snapshot");
          await applySetup(setup);
          let model = await readModel();
          await refreshFeeds(model);
          model = await readModel();
          await checkAgainstEngine(model, "start");
          for (const [i, step] of book.entries()) {
            // A biased book: 5 of 6 opening positions take the bias's side.
            const biased = setup.bookBias !== "mixed" && i % 6 !== 5;
            const sized = { ...step, size: step.size * setup.bookScale };
            await runStep(model, biased ? { ...sized, isLong: setup.bookBias === "long" } : sized);
          }
          await checkAgainstEngine(model, "opening book");
          for (const [i, step] of steps.entries()) {
            await runStep(model, step);
            await checkAgainstEngine(model, `step ${i} (${step.kind})`);
            checkedSteps++;
          }
        },
      ),
      {
        numRuns: ENGINE_RUNS,
        ...(process.env.FC_SEED
          ? { seed: Number(process.env.FC_SEED), path: process.env.FC_PATH, endOnFailure: true }
          : {}),
      },
    );
  });

  /**
   * `liquidationPrice` (the closed form) against the SDK, then `isLiquidatable` on both sides of it.
   *
   * Tolerance: the closed form ignores the engine's 1-wei roundings (PnL down, notional and tiered margin up),
   * so health is only guaranteed to agree with it beyond `liquidationPriceToleranceWad(|size|, tiers)` wei of
   * price. The feed can only express multiples of 1e10 wei, so we check the nearest feed prices strictly beyond
   * P* ± tolerance: healthy on the safe side, liquidatable on the other. To hold the funding index still while
   * we move the price, the long and the short(s) are sized so the skew is zero (funding rate 0); with
   * `withLoss`, a 19x long is first bankrupted by a gap and liquidated with ADL off while the other market's
   * price is invalid (the vault cannot be valued, so the deficit is socialized over the shorts), so that the
   * short owes socialized loss.
   */
  it("liquidationPrice == SDK closed form; isLiquidatable agrees beyond the documented tolerance", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          market: fc.nat(1),
          size: logUniform(16, 18), // 0.01 .. 10 ETH-equivalent: margin stays within the deposit
          longLeverageBps: fc.bigInt({ min: 15_000n, max: 150_000n }), // 1.5x .. 15x
          shortLeverageBps: fc.bigInt({ min: 10_000n, max: 150_000n }),
          waitSeconds: fc.integer({ min: 60, max: 30 * 86_400 }),
          moveBps: fc.bigInt({ min: -1_500n, max: 1_500n }),
          withLoss: fc.boolean(),
          gapBps: fc.bigInt({ min: 1_000n, max: 2_400n }),
        }),
        async (c) => {
          await network.provider.send("evm_revert", [snapshotId]);
          snapshotId = await network.provider.send("evm_snapshot");
          await applySetup({
            maxSteps: 0n,
            maxSkips: 0n,
            vaultUsd: 1_000_000n,
            fundUsd: 0n,
            bookBias: "mixed",
            bookScale: 1n,
          });
          const model = await readModel();
          await refreshFeeds(model);
          const m = model.markets[c.market];
          const other = model.markets[1 - c.market];
          const feed = s.market(m.symbol).feed;
          const size = c.market === 0 ? c.size : c.size / 30n;
          const [longTrader, shortTrader, bankruptTrader, otherTrader] = [0, 1, 2, 3].map((t) =>
            s.engine.connect(traders[t]),
          );
          const marginFor = (q: bigint, leverageBps: bigint) =>
            (notionalUsd(q, priceOf(m)) * BPS) / leverageBps + 15n * WAD;

          // A long alone accrues funding for a while, at a moved price.
          await (
            await longTrader.modifyPosition(m.marketId, size, marginFor(size, c.longLeverageBps), ethers.MaxUint256)
          ).wait();
          await time.increase(c.waitSeconds);
          await refreshFeeds(model);
          await setAnswer(m, (m.answer * (BPS + c.moveBps)) / BPS);
          // 5 ETH-equivalent at 19x: a 10–24% gap takes 2–4.5× its margin, far beyond what the fees put in the
          // insurance fund; the other market's invalid price makes the engine socialize the rest over the shorts.
          const bankruptSize = c.withLoss ? (c.market === 0 ? 5n * WAD : (5n * WAD) / 30n) : 0n;
          if (c.withLoss) {
            const otherSize = other.symbol === ETH ? WAD / 10n : WAD / 300n;
            await (
              await otherTrader.modifyPosition(
                other.marketId,
                otherSize,
                (notionalUsd(otherSize, priceOf(other)) * BPS) / 50_000n + 15n * WAD,
                ethers.MaxUint256,
              )
            ).wait();
            await (
              await bankruptTrader.modifyPosition(
                m.marketId,
                bankruptSize,
                marginFor(bankruptSize, 190_000n),
                ethers.MaxUint256,
              )
            ).wait();
          }
          await (
            await shortTrader.modifyPosition(
              m.marketId,
              -(size + bankruptSize),
              marginFor(size + bankruptSize, c.shortLeverageBps),
              0n,
            )
          ).wait();
          if (c.withLoss) {
            await setAnswer(m, (m.answer * (BPS - c.gapBps)) / BPS);
            await (await s.market(other.symbol).feed.updateAnswer(0n)).wait();
            await (await s.engine.connect(s.keeper).liquidate(traderAddresses[2], m.marketId)).wait();
            // The move and the gap may add up to more than the breaker's 25% within its window: wait it out.
            await time.increase(VOLATILITY_COOLDOWN_SECONDS + 1);
            await refreshFeeds(model);
            // Re-open the same long so the skew is zero again.
            await (
              await bankruptTrader.modifyPosition(
                m.marketId,
                bankruptSize,
                marginFor(bankruptSize, 50_000n),
                ethers.MaxUint256,
              )
            ).wait();
          }
          const state = toMarketState(await s.engine.getMarketState(m.marketId));
          expect(state.netSize, "skew is zero: funding frozen").to.equal(0n);
          if (c.withLoss) {
            expect(state.shortLossIndexWad > 0n, "the gap socialized a loss over the shorts").to.equal(true);
          }
          const index = await s.engine.currentFundingIndexWad(m.marketId);

          for (const [t, isLong] of [
            [0, true],
            [1, false],
          ] as const) {
            const trader = traderAddresses[t];
            const position = toPosition(await s.engine.getPosition(trader, m.marketId));
            const now = await latestTimestamp();
            const closedForm = liquidationPrice(state, m.params, m.tiers, position, priceOf(m), now);
            expect(await s.engine.liquidationPrice(trader, m.marketId), "liquidationPrice view").to.equal(closedForm);
            if (c.withLoss && !isLong) {
              expect(owedUsd(state, position, index).lossOwedUsd > 0n, "the short owes socialized loss").to.equal(true);
            }
            const tolerance = liquidationPriceToleranceWad(abs(position.size), m.tiers);
            const exact = exactLiquidationBoundaryWad(
              position.size,
              position.entryPriceWad,
              netMarginUsd(state, position, index),
              m.tiers,
              m.params.keeperRewardUsd,
            );
            expect(abs(exact - closedForm) <= tolerance, `exact ${exact} vs closed form ${closedForm}`).to.equal(true);
            if (isLong && closedForm === 0n) continue; // never liquidatable at a positive price
            // The nearest feed prices strictly beyond P* ± tolerance on each side.
            const healthyAnswer = isLong
              ? (closedForm + tolerance) / FEED_STEP_WAD + 1n
              : (closedForm - tolerance - 1n) / FEED_STEP_WAD;
            const liquidatableAnswer = isLong
              ? (closedForm - tolerance - 1n) / FEED_STEP_WAD
              : (closedForm + tolerance) / FEED_STEP_WAD + 1n;
            for (const [answer, expectLiquidatable] of [
              [healthyAnswer, false],
              [liquidatableAnswer, true],
            ] as const) {
              if (answer <= 1n) continue; // the adapter rejects answers at its min bound
              await (await feed.updateAnswer(answer)).wait();
              const label = `${isLong ? "long" : "short"} at ${answer} (liquidation price ${closedForm})`;
              const [[equityUsd, requirementUsd], liquidatable] = await Promise.all([
                s.engine.positionEquity(trader, m.marketId),
                s.engine.isLiquidatable(trader, m.marketId),
              ]);
              const health = positionHealth(
                state,
                position,
                answer * FEED_STEP_WAD,
                index,
                m.tiers,
                m.params.keeperRewardUsd,
              );
              expect(equityUsd, `${label} equity`).to.equal(health.equityUsd);
              expect(requirementUsd, `${label} requirement`).to.equal(health.maintenanceRequirementUsd);
              expect(liquidatable, `${label} isLiquidatable`).to.equal(expectLiquidatable);
              expect(await s.engine.currentFundingIndexWad(m.marketId), `${label} index frozen`).to.equal(index);
              expect(await s.engine.liquidationPrice(trader, m.marketId), `${label} view unchanged`).to.equal(
                closedForm,
              );
              onChainLiquidationChecks++;
            }
          }
        },
      ),
      { numRuns: ONCHAIN_LIQUIDATION_RUNS },
    );
  });
});
