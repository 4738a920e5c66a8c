// The model's actions on the engine: what each entry point of contracts/PerpEngine.sol (and the libraries it
// runs) does to the state, in the contract's order, throwing `Revert(name)` exactly where the contract
// reverts. The arithmetic is the SDK's (sdk/math: simulateModifyPosition, simulateLiquidation, funding,
// vault value; sdk/adl: keys, bankruptcy price); this file only sequences it and applies the checks that need
// more context than one position (free balance, pauses, breaker, caps, initial margin, exposure).
import {
  BPS,
  EngineRevertError,
  SolidityPanicError,
  accrueFunding,
  divCeilU,
  fundingRatePerDayWad,
  fundingIndexDeltaWad,
  initialRequirementUsd,
  notionalUsd,
  positionEquityUsd,
  simulateLiquidation,
  simulateModifyPosition,
  unrealizedPnlUsd,
  maxVaultWithdrawalUsd,
  vaultEquityUsd,
  vaultRequiredEquityUsd,
  type ModifyPositionResult,
  type Position,
  type VaultMarketInput,
} from "../../../sdk/math";
import { abs, min } from "../../../sdk/math/signedMath";
import { EventLog } from "./events";
import { oldWaterfall } from "../config";
import { toOldWaterfall } from "./oldWaterfall";
import { Revert, priceView, readPrice, tryReadPrice, type PriceCache } from "./oracle";
import {
  ZERO_POSITION,
  addFree,
  addWallet,
  freeOf,
  ledgerOf,
  positionOf,
  setPosition,
  walletOf,
  type ModelConfig,
  type ModelState,
} from "./state";
import { applyTouched, emitDeleveraged, otherMarketsOf, protectVaultAfterAction, queueMembers, rekey } from "./adl";

/** Why `liquidateMany` skipped an entry (IPerpEngine.LiquidationSkipReason). */
export const SkipReason = { MarketNotListed: 0n, PriceInvalid: 1n, NoPosition: 2n, Healthy: 3n, MarketSettled: 4n };

/** A bytes32 that names no market (liquidateMany must skip it). */
export const UNLISTED_MARKET_ID = "0x" + "ab".repeat(32);

/** Findings the model records while applying an action; the step's invariant check reports them. */
export interface Findings {
  list: string[];
}

export interface ActionContext {
  cfg: ModelConfig;
  s: ModelState;
  t: bigint;
  ev: EventLog;
  findings: Findings;
  /** Set by `modifyPosition`: what the owner action did (for the initial-margin invariant). */
  modify?: ModifyOutcome & { account: string; mi: number };
}

function sdkCall<T>(fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof EngineRevertError) throw new Revert(e.errorName);
    if (e instanceof SolidityPanicError) throw new Revert(`Panic(0x${e.code.toString(16)})`);
    throw e;
  }
}

// ───────────────────────────── funding ─────────────────────────────

/** `MarketLogic.accrueFunding` at `t`, plus the poke-independence witness (FundingShadow). */
export function accrue(ctx: ActionContext, mi: number, priceWad: bigint): void {
  const { cfg, s, t } = ctx;
  const m = s.markets[mi];
  const info = cfg.markets[mi];
  const elapsed = t - m.state.lastFundingTimestamp;
  if (elapsed === 0n) return;
  const netSizeUsed = m.state.netSize;
  const rate = fundingRatePerDayWad(netSizeUsed, info.params.skewScale, info.params.maxFundingRatePerDayWad);
  m.state = accrueFunding(m.state, info.params, priceWad, t);
  ctx.ev.emit("FundingAccrued", {
    marketId: info.id,
    fundingRatePerDayWad: rate,
    fundingIndexWad: m.state.fundingIndexWad,
    priceWad,
    timestamp: t,
  });
  const sh = m.shadow;
  if (sh.dirty || sh.netSize !== netSizeUsed || sh.priceWad !== priceWad) {
    m.shadow = {
      baseIndexWad: m.state.fundingIndexWad,
      baseTime: t,
      netSize: netSizeUsed,
      priceWad,
      accrualsSinceBase: 0,
      dirty: false,
    };
    return;
  }
  sh.accrualsSinceBase++;
  const oneStep =
    sh.baseIndexWad +
    fundingIndexDeltaWad(
      fundingRatePerDayWad(sh.netSize, info.params.skewScale, info.params.maxFundingRatePerDayWad),
      priceWad,
      t - sh.baseTime,
    );
  const drift = abs(m.state.fundingIndexWad - oneStep);
  if (drift > BigInt(sh.accrualsSinceBase)) {
    ctx.findings.list.push(
      `invariant_fundingZeroSum (poke independence): ${info.symbol} index ${m.state.fundingIndexWad} after ` +
        `${sh.accrualsSinceBase} pokes differs from the one-step accrual ${oneStep} by ${drift} wei`,
    );
  }
}

/** `pokeFunding(marketId)`. */
export function pokeFunding(ctx: ActionContext, mi: number): void {
  const cache: PriceCache = new Map();
  const { priceWad } = readPrice(ctx.cfg.markets, ctx.s, mi, ctx.t, cache, ctx.ev);
  accrue(ctx, mi, priceWad);
  protectVaultAfterAction(ctx, mi, cache);
}

// ───────────────────────────── accounts ─────────────────────────────

/** `deposit(tokenAmount)`. */
export function deposit(ctx: ActionContext, account: string, tokens: bigint): void {
  const { s, cfg } = ctx;
  if (tokens === 0n) throw new Revert("ZeroAmount");
  if (walletOf(s, account) < tokens) throw new Revert("ERC20InsufficientBalance");
  addWallet(s, account, -tokens);
  s.engineTokens += tokens;
  const usd = tokens * cfg.scale;
  addFree(s, account, usd);
  ledgerOf(s, account).depositedUsd += usd;
  s.flows.traderDeposits += tokens;
  ctx.ev.emit("Deposited", { account, tokenAmount: tokens, creditedUsd: usd });
}

/** `withdraw(tokenAmount)`. */
export function withdraw(ctx: ActionContext, account: string, tokens: bigint): void {
  const { s, cfg } = ctx;
  if (tokens === 0n) throw new Revert("ZeroAmount");
  if (s.pauses.withdrawals) throw new Revert("WithdrawalsPaused");
  const usd = tokens * cfg.scale;
  if (freeOf(s, account) < usd) throw new Revert("InsufficientFreeBalance");
  addFree(s, account, -usd);
  if (s.engineTokens < tokens) throw new Revert("ERC20InsufficientBalance");
  s.engineTokens -= tokens;
  addWallet(s, account, tokens);
  ledgerOf(s, account).withdrawnUsd += usd;
  s.flows.traderWithdrawals += tokens;
  ctx.ev.emit("Withdrawn", { account, tokenAmount: tokens, debitedUsd: usd });
}

/** `donateToInsurance(tokenAmount)`. */
export function donateToInsurance(ctx: ActionContext, donor: string, tokens: bigint): void {
  const { s, cfg } = ctx;
  if (tokens === 0n) throw new Revert("ZeroAmount");
  if (walletOf(s, donor) < tokens) throw new Revert("ERC20InsufficientBalance");
  addWallet(s, donor, -tokens);
  s.engineTokens += tokens;
  s.insuranceUsd += tokens * cfg.scale;
  s.flows.insuranceDonations += tokens;
  ctx.ev.emit("InsuranceDonated", { donor, tokenAmount: tokens, insuranceFundUsd: s.insuranceUsd });
}

/** `collateral.transfer(engine, tokens)`: a raw token donation that credits nobody. */
export function rawDonation(ctx: ActionContext, from: string, tokens: bigint): void {
  if (walletOf(ctx.s, from) < tokens) throw new Revert("ERC20InsufficientBalance");
  addWallet(ctx.s, from, -tokens);
  ctx.s.engineTokens += tokens;
  ctx.s.donatedTokens += tokens;
  ctx.s.flows.rawDonations += tokens;
}

// ───────────────────────────── pauses ─────────────────────────────

export const PauseSwitch = { Trading: 0, Liquidations: 1, Withdrawals: 2 } as const;

export function pause(ctx: ActionContext, which: number): void {
  const p = ctx.s.pauses;
  if (which === 0) p.trading = true;
  else if (which === 1) p.liquidations = true;
  else p.withdrawals = true;
  ctx.ev.emit("SwitchPaused", { which: BigInt(which), by: ctx.cfg.admin });
}

export function unpause(ctx: ActionContext, which: number): void {
  const p = ctx.s.pauses;
  if (which === 0) p.trading = false;
  else if (which === 1) {
    p.liquidations = false;
    p.resumeAt = ctx.t + ctx.cfg.graceSeconds;
  } else p.withdrawals = false;
  ctx.ev.emit("SwitchUnpaused", { which: BigInt(which), by: ctx.cfg.admin, liquidationsResumeAt: p.resumeAt });
}

/** `_checkLiquidationsLive`. */
export function checkLiquidationsLive(s: ModelState, t: bigint): void {
  if (s.pauses.liquidations) throw new Revert("LiquidationsPaused");
  if (t < s.pauses.resumeAt) throw new Revert("LiquidationGracePeriodActive");
}

export function liquidationsLive(s: ModelState, t: bigint): boolean {
  return !s.pauses.liquidations && t >= s.pauses.resumeAt;
}

// ───────────────────────────── vault valuation ─────────────────────────────

/**
 * `MarketLogic.vaultEquityUsd`: cash + Σ market values (gains excluded for withdrawals). Markets without open
 * interest are not priced; the first market with open interest and an invalid price reverts with its error.
 */
export function vaultEquityModel(
  cfg: ModelConfig,
  s: ModelState,
  t: bigint,
  forDeposit: boolean,
  cache?: PriceCache,
): bigint {
  return vaultEquityUsd(s.vaultCashUsd, vaultMarketInputs(cfg, s, t, cache), t, forDeposit);
}

/** Every market as the vault views read it (a market without open interest is not priced). */
function vaultMarketInputs(cfg: ModelConfig, s: ModelState, t: bigint, cache?: PriceCache): VaultMarketInput[] {
  return s.markets.map((m, mi) => {
    const params = cfg.markets[mi].params;
    if (m.state.longOpenInterest === 0n && m.state.shortOpenInterest === 0n) {
      return { state: m.state, params, priceWad: 0n };
    }
    return { state: m.state, params, priceWad: priceView(cfg.markets, s, mi, t, cache) };
  });
}

/** `PerpEngine.maxVaultWithdrawalUsd` (a view): the SDK mirror over the model's markets. */
export function maxVaultWithdrawalModel(cfg: ModelConfig, s: ModelState, t: bigint, cache?: PriceCache): bigint {
  return maxVaultWithdrawalUsd(s.vaultCashUsd, vaultMarketInputs(cfg, s, t, cache), t);
}

/** `PerpEngine.vaultRequiredEquityUsd` (a view). */
export function vaultRequiredEquityModel(cfg: ModelConfig, s: ModelState, t: bigint, cache?: PriceCache): bigint {
  return vaultRequiredEquityUsd(vaultMarketInputs(cfg, s, t, cache));
}

/** `_checkVaultExposure`: |skew| × price within the cap on withdrawal-side equity. */
export function checkVaultExposure(ctx: ActionContext, mi: number, priceWad: bigint, cache: PriceCache): void {
  const { cfg, s, t } = ctx;
  const exposure = notionalUsd(s.markets[mi].state.netSize, priceWad);
  const equity = vaultEquityModel(cfg, s, t, false, cache);
  const cap = equity <= 0n ? 0n : (equity * cfg.markets[mi].params.maxVaultExposureBps) / BPS;
  if (exposure > cap) throw new Revert("VaultExposureCapExceeded");
}

// ───────────────────────────── trading ─────────────────────────────

export interface ModifyArgs {
  account: string;
  mi: number;
  sizeDelta: bigint;
  marginDelta: bigint;
  acceptablePrice: bigint;
  /** `closePosition` instead of `modifyPosition` (sizeDelta/marginDelta ignored). */
  close: boolean;
}

export interface ModifyOutcome {
  result: ModifyPositionResult;
  old: Position;
  priceWad: bigint;
  sizeDelta: bigint;
  marginDelta: bigint;
}

/** `modifyPosition` / `closePosition` → `_applyAction`. */
export function modifyPosition(ctx: ActionContext, a: ModifyArgs): ModifyOutcome {
  const { cfg, s, t } = ctx;
  const m = s.markets[a.mi];
  const info = cfg.markets[a.mi];
  const old = positionOf(m, a.account);
  let sizeDelta = a.sizeDelta;
  let marginDelta = a.marginDelta;
  if (a.close) {
    if (old.size === 0n) throw new Revert("NoPosition");
    sizeDelta = -old.size;
    marginDelta = 0n;
  } else if (sizeDelta === 0n) {
    if (marginDelta === 0n) throw new Revert("EmptyAction");
    if (old.size === 0n) throw new Revert("NoPosition");
  }
  const cache: PriceCache = new Map();
  const { priceWad, isVolatile } = readPrice(cfg.markets, s, a.mi, t, cache, ctx.ev);
  accrue(ctx, a.mi, priceWad);
  if (marginDelta > 0n && freeOf(s, a.account) < marginDelta) throw new Revert("InsufficientFreeBalance");
  const result = sdkCall(() =>
    simulateModifyPosition({
      params: info.params,
      state: m.state,
      position: old,
      sizeDelta,
      marginDelta,
      priceWad,
      nowSeconds: t,
      acceptablePrice: a.acceptablePrice,
    }),
  );
  const updated = result.position;
  const opened = result.trade.openedSize;
  if (updated.size !== 0n) {
    checkAction(ctx, a.mi, old, updated, result, { sizeDelta, marginDelta, priceWad, isVolatile });
  }

  // store: position, totals, queues, balances
  addFree(s, a.account, result.freeBalanceDeltaUsd);
  m.state = result.state;
  setPosition(m, a.account, updated);
  rekey(ctx, a.mi, a.account, old.size, updated);
  s.vaultCashUsd += result.vaultCashDeltaUsd;
  s.insuranceUsd += result.trade.insuranceFeeUsd;
  const l = ledgerOf(s, a.account);
  l.realizedPnlUsd += result.trade.realizedPnlUsd;
  l.feesUsd += result.trade.feeUsd;
  l.fundingPaidUsd += result.fundingPaidUsd;
  l.lossPaidUsd += result.lossPaidUsd;
  if (opened !== 0n) {
    const after = m.state.netSize;
    const before = after - sizeDelta;
    if (abs(before) < abs(after)) checkVaultExposure(ctx, a.mi, priceWad, cache);
  }
  ctx.ev.emit("PositionModified", {
    account: a.account,
    marketId: info.id,
    sizeDelta,
    fillPriceWad: result.trade.fillPriceWad,
    feeUsd: result.trade.feeUsd,
    realizedPnlUsd: result.trade.realizedPnlUsd,
    fundingPaidUsd: result.fundingPaidUsd,
    lossPaidUsd: result.lossPaidUsd,
    marginDeltaUsd: marginDelta,
    newSize: updated.size,
    newMarginUsd: updated.marginUsd,
    newEntryPriceWad: updated.entryPriceWad,
  });
  const outcome = { result, old, priceWad, sizeDelta, marginDelta };
  ctx.modify = { ...outcome, account: a.account, mi: a.mi };
  protectVaultAfterAction(ctx, a.mi, cache);
  return outcome;
}

/** `_checkAction` (with `_checkOpenInterestCap` and `_meetsInitialMargin`) for a position that stays open. */
function checkAction(
  ctx: ActionContext,
  mi: number,
  old: Position,
  updated: Position,
  result: ModifyPositionResult,
  a: { sizeDelta: bigint; marginDelta: bigint; priceWad: bigint; isVolatile: boolean },
): void {
  const { cfg, s } = ctx;
  const info = cfg.markets[mi];
  const opened = result.trade.openedSize;
  if (opened !== 0n || a.marginDelta < 0n) {
    if (s.pauses.trading) throw new Revert("TradingPaused");
    if (a.isVolatile) throw new Revert("MarketVolatile");
  }
  if (opened !== 0n) {
    // Open interest of the new side before this action (the market totals are not updated yet).
    const state = s.markets[mi].state;
    const isLong = updated.size > 0n;
    let sideOi = isLong ? state.longOpenInterest : state.shortOpenInterest;
    if (old.size !== 0n && old.size > 0n === isLong) sideOi -= abs(old.size);
    if (sideOi + abs(updated.size) > info.params.maxOpenInterestPerSide) throw new Revert("OpenInterestCapExceeded");
  }
  const enforce = opened !== 0n || a.marginDelta < 0n;
  const pnl = unrealizedPnlUsd(updated.size, updated.entryPriceWad, a.priceWad);
  const equityWithoutProfit = updated.marginUsd + min(pnl, 0n);
  const required = initialRequirementUsd(
    info.tiers,
    notionalUsd(updated.size, a.priceWad),
    info.params.keeperRewardUsd,
  );
  const meets = equityWithoutProfit >= required;
  if (enforce) {
    if (!meets) throw new Revert("InitialMarginNotMet");
    if (updated.marginUsd < info.params.minPositionMarginUsd) throw new Revert("MarginBelowMinimum");
  }
  if (!enforce && !meets && a.sizeDelta !== 0n) {
    const oldEquity =
      old.marginUsd -
      result.fundingPaidUsd -
      result.lossPaidUsd +
      unrealizedPnlUsd(old.size, old.entryPriceWad, a.priceWad);
    const newEquity = updated.marginUsd + pnl;
    const oldNotional = notionalUsd(old.size, a.priceWad);
    const newNotional = notionalUsd(updated.size, a.priceWad);
    if (newEquity * oldNotional < oldEquity * newNotional) throw new Revert("MarginRatioDecreased");
  }
}

// ───────────────────────────── liquidation ─────────────────────────────

/** One liquidation as the model applied it (for the invariants and the statistics). */
export interface LiquidationRecord {
  account: string;
  mi: number;
  keeper: string;
  before: Position;
  after: Position;
  priceWad: bigint;
  deficitUsd: bigint;
  insurancePaidUsd: bigint;
  adlPaidUsd: bigint;
  vaultPaidUsd: bigint;
  socializedUsd: bigint;
  keeperTopUpUsd: bigint;
  partial: boolean;
  /** Insurance fund available to the deficit (after the keeper top-up), before the waterfall. */
  fundBeforeUsd: bigint;
  /** How the rest after the fund and ADL was split (SDK `RestSplitRule`), when something was left. */
  restSplitRule?: string;
  /**
   * Other accounts of the market whose equity (at the transaction's price and funding index) went from ≥ 0
   * before the liquidation to < 0 after it (DESIGN §12.6).
   */
  pushedBelowZero: { account: string; beforeUsd: bigint; afterUsd: bigint }[];
  /** The vault's deposit-side equity right after the liquidation (undefined: it cannot be valued now). */
  vaultEquityAfterUsd?: bigint;
  /** The charged side's traders' open interest after the liquidation (bounds the socialization round-up). */
  chargedOpenInterest: bigint;
}

export interface LiquidationContext extends ActionContext {
  cache: PriceCache;
  records: LiquidationRecord[];
}

/**
 * `LiquidationLogic._liquidate` for one entry; `strict` reverts where `liquidateMany` skips. Returns whether
 * the entry was liquidated. The caller checked that liquidations are live.
 */
export function liquidateOne(
  ctx: LiquidationContext,
  keeper: string,
  account: string,
  mi: number | null,
  marketId: string,
  strict: boolean,
): boolean {
  const { cfg, s, t } = ctx;
  const skip = (reason: bigint) => {
    ctx.ev.emit("LiquidationSkipped", { account, marketId, reason });
    return false;
  };
  if (mi === null) {
    if (strict) throw new Revert("MarketNotListed");
    return skip(SkipReason.MarketNotListed);
  }
  let priceWad: bigint;
  if (strict) {
    priceWad = readPrice(cfg.markets, s, mi, t, ctx.cache, ctx.ev).priceWad;
  } else {
    const p = tryReadPrice(cfg.markets, s, mi, t, ctx.cache, ctx.ev);
    if (p === null) return skip(SkipReason.PriceInvalid);
    priceWad = p;
  }
  accrue(ctx, mi, priceWad);
  const m = s.markets[mi];
  const info = cfg.markets[mi];
  const position = positionOf(m, account);
  if (position.size === 0n) {
    if (strict) throw new Revert("NoPosition");
    return skip(SkipReason.NoPosition);
  }
  const cache = ctx.cache;
  const stateBefore = m.state;
  const current = sdkCall(() =>
    simulateLiquidation({
      account,
      marketId: info.id,
      keeper,
      params: info.params,
      tiers: info.tiers,
      state: m.state,
      position,
      priceWad,
      nowSeconds: t,
      insuranceFundUsd: s.insuranceUsd,
      adlConfig: cfg.adl,
      oppositeQueue: queueMembers(m, position.size < 0n),
      vault: { cashUsd: s.vaultCashUsd, otherMarkets: otherMarketsOf(ctx, mi, cache) },
    }),
  );
  const r = oldWaterfall() ? toOldWaterfall(current, stateBefore, position.size) : current;
  if (!r.isLiquidatable) {
    m.state = r.state;
    if (strict) throw new Revert("PositionNotLiquidatable");
    return skip(SkipReason.Healthy);
  }
  const fundAfterTopUp = s.insuranceUsd - r.keeperTopUpUsd;
  const equityBefore = bystanderEquities(ctx, mi, account, priceWad);
  if (r.insuranceKeeperTopUp) {
    ctx.ev.emit("InsuranceKeeperTopUp", { marketId: info.id, keeper, ...r.insuranceKeeperTopUp });
  }
  emitDeleveraged(ctx, r.deleveraged);
  if (r.insuranceDeficitPaid) {
    ctx.ev.emit("InsuranceDeficitPaid", { marketId: info.id, account, ...r.insuranceDeficitPaid });
  }
  if (r.insurancePenaltyCredited) {
    ctx.ev.emit("InsurancePenaltyCredited", { marketId: info.id, account, ...r.insurancePenaltyCredited });
  }
  if (r.socialization) ctx.ev.emit("LossSocialized", { marketId: info.id, ...r.socialization });
  ctx.ev.emit("Liquidated", { ...r.liquidated! });

  m.state = r.state;
  applyTouched(ctx, mi, r.touched);
  s.insuranceUsd = r.insuranceFundUsd;
  s.vaultCashUsd += r.vaultCashDeltaUsd;
  addFree(s, keeper, r.keeperFreeCreditUsd);
  const l = ledgerOf(s, account);
  l.realizedPnlUsd += r.realizedPnlUsd;
  l.fundingPaidUsd += r.fundingPaidUsd;
  l.lossPaidUsd += r.lossPaidUsd;
  l.penaltyUsd += r.penaltyUsd;
  l.keeperPaidUsd += r.keeperFromMarginUsd;
  l.deficitWrittenOffUsd += r.residualDeficitUsd;
  ledgerOf(s, keeper).keeperRewardUsd += r.keeperFreeCreditUsd;

  const equityAfter = bystanderEquities(ctx, mi, account, priceWad);
  const pushedBelowZero: LiquidationRecord["pushedBelowZero"] = [];
  for (const [other, beforeUsd] of equityBefore) {
    const afterUsd = equityAfter.get(other) ?? 0n;
    if (beforeUsd >= 0n && afterUsd < 0n) pushedBelowZero.push({ account: other, beforeUsd, afterUsd });
  }
  let vaultEquityAfterUsd: bigint | undefined;
  try {
    vaultEquityAfterUsd = vaultEquityModel(cfg, s, t, true, cache);
  } catch (e) {
    if (!(e instanceof Revert)) throw e;
  }
  const record: LiquidationRecord = {
    account,
    mi,
    keeper,
    before: position,
    after: r.position,
    priceWad,
    deficitUsd: r.deficitUsd,
    insurancePaidUsd: r.insurancePaidUsd,
    adlPaidUsd: r.adlPaidUsd,
    vaultPaidUsd: r.vaultPaidUsd,
    socializedUsd: r.socializedUsd,
    keeperTopUpUsd: r.keeperTopUpUsd,
    partial: r.isPartial,
    fundBeforeUsd: fundAfterTopUp,
    restSplitRule: r.restSplitRule,
    pushedBelowZero,
    vaultEquityAfterUsd,
    chargedOpenInterest: position.size > 0n ? m.state.shortOpenInterest : m.state.longOpenInterest,
  };
  ctx.records.push(record);
  return true;
}

/**
 * Every other open position's equity in market `mi` at `priceWad` and the market's (accrued) funding index: the
 * before/after pair of a liquidation for DESIGN §12.6 ("no account is pushed below zero by another account's
 * liquidation while the vault's equity covers the rest").
 */
function bystanderEquities(ctx: ActionContext, mi: number, liquidated: string, priceWad: bigint): Map<string, bigint> {
  const m = ctx.s.markets[mi];
  const out = new Map<string, bigint>();
  for (const [account, p] of m.positions) {
    if (account === liquidated) continue;
    out.set(account, positionEquityUsd(m.state, p, priceWad, m.state.fundingIndexWad));
  }
  return out;
}

/** `liquidate(account, marketId)`. */
export function liquidate(ctx: LiquidationContext, keeper: string, account: string, mi: number): void {
  checkLiquidationsLive(ctx.s, ctx.t);
  liquidateOne(ctx, keeper, account, mi, ctx.cfg.markets[mi].id, true);
}

/** `liquidateMany(accounts, marketIds)`; `mi` null = an unlisted market id. */
export function liquidateMany(
  ctx: LiquidationContext,
  keeper: string,
  entries: { account: string; mi: number | null }[],
): boolean[] {
  checkLiquidationsLive(ctx.s, ctx.t);
  return entries.map((e) =>
    liquidateOne(ctx, keeper, e.account, e.mi, e.mi === null ? UNLISTED_MARKET_ID : ctx.cfg.markets[e.mi].id, false),
  );
}

/** Engine token transfers out of the vault path share this check (an insolvent engine cannot pay). */
export function payOut(s: ModelState, tokens: bigint): void {
  if (s.engineTokens < tokens) throw new Revert("ERC20InsufficientBalance");
  s.engineTokens -= tokens;
}
