// Mirror of the ADL queue bookkeeping and of the two ADL walks: contracts/adl/AdlLogic.sol (`_rekey`,
// `deleverage`, `_deleverageOne`, `_reduceAt`, `deleverageVault`) and the ADL branch of
// contracts/liquidation/LiquidationLogic.sol (`_autoDeleverage`, `_store`, `_socialize`). The SDK's
// `simulateLiquidation` stops where ADL acts (AdlNotMirroredError); this composes the rest from SDK pieces:
// `adlKey`, `isAdlEligible`, `bankruptcyPriceWad` (sdk/adl/adlMath), `tickOf`/`adlOrder` (sdk/adl/adlQueue),
// `owedUsd`, `unrealizedPnlUsd`, `updateMarketTotals`, `vaultMarketValueUsd` (sdk/math).
import {
  BPS,
  VAULT_PROTECTION_STEPS_PER_ACTION,
  WAD,
  divCeilU,
  owedUsd,
  netMarginUsd,
  unrealizedPnlUsd,
  updateMarketTotals,
  vaultMarketValueUsd,
  type LiquidationResult,
  type MarketState,
  type Position,
} from "../../../sdk/math";
import { abs } from "../../../sdk/math/signedMath";
import { adlKey, bankruptcyPriceWad, isAdlEligible } from "../../../sdk/adl/adlMath";
import { adlOrder, type QueueEntry as SdkQueueEntry } from "../../../sdk/adl/adlQueue";
import { Revert, priceView, readPrice, tryReadPrice, type PriceCache } from "./oracle";
import { ZERO_POSITION, addFree, ledgerOf, positionOf, setPosition, type MarketModel } from "./state";
import {
  accrue,
  vaultEquityModel,
  type ActionContext,
  type LiquidationContext,
  type LiquidationRecord,
} from "./engine";

// ───────────────────────────── queue ─────────────────────────────

function queueOf(m: MarketModel, isLong: boolean): Map<string, { key: bigint; seq: number }> {
  return isLong ? m.longQueue : m.shortQueue;
}

/** `AdlLogic._rekey`: out of the old side's queue, into the new side's at the tail of its key's tick. */
export function rekey(ctx: ActionContext, mi: number, account: string, oldSize: bigint, updated: Position): void {
  const m = ctx.s.markets[mi];
  if (oldSize !== 0n) queueOf(m, oldSize > 0n).delete(account);
  if (updated.size === 0n) return;
  if (!isAdlEligible(updated, ctx.cfg.adl.minQueueNotionalUsd)) return;
  queueOf(m, updated.size > 0n).set(account, { key: adlKey(updated), seq: ++ctx.s.seq });
}

/** The queue in ADL order (longs: highest tick first; shorts: lowest; FIFO inside a tick). */
export function queueOrder(m: MarketModel, isLong: boolean): string[] {
  const entries: SdkQueueEntry[] = [...queueOf(m, isLong).entries()].map(([account, e]) => ({
    account,
    key: e.key,
    sequence: e.seq,
  }));
  return adlOrder(entries, isLong).map((e) => e.account);
}

function nextInQueue(m: MarketModel, isLong: boolean, account: string): string | undefined {
  const order = queueOrder(m, isLong);
  const i = order.indexOf(account);
  return i >= 0 && i + 1 < order.length ? order[i + 1] : undefined;
}

// ───────────────────────────── shared step ─────────────────────────────

/**
 * `AdlLogic._reduceAt`: closes `takeAbs` of `account` at `priceWad` after settling what it owes; false (and
 * nothing changes) when its margin cannot cover that.
 */
function reduceAt(
  ctx: ActionContext,
  mi: number,
  account: string,
  old: Position,
  takeAbs: bigint,
  priceWad: bigint,
): boolean {
  const { s } = ctx;
  const m = s.markets[mi];
  const owed = owedUsd(m.state, old, m.state.fundingIndexWad);
  const closedSize = old.size > 0n ? takeAbs : -takeAbs;
  const realized = unrealizedPnlUsd(closedSize, old.entryPriceWad, priceWad);
  const marginUsd = old.marginUsd - owed.fundingOwedUsd - owed.lossOwedUsd + realized;
  if (marginUsd < 0n) return false;
  let updated: Position = ZERO_POSITION;
  if (old.size - closedSize === 0n) {
    addFree(s, account, marginUsd);
  } else {
    updated = {
      size: old.size - closedSize,
      entryPriceWad: old.entryPriceWad,
      marginUsd,
      fundingIndexSnapshotWad: m.state.fundingIndexWad,
      lossIndexSnapshotWad: old.size > 0n ? m.state.longLossIndexWad : m.state.shortLossIndexWad,
    };
  }
  m.state = updateMarketTotals(m.state, old, updated, -closedSize);
  setPosition(m, account, updated);
  s.vaultCashUsd += owed.fundingOwedUsd + owed.lossOwedUsd - realized;
  rekey(ctx, mi, account, old.size, updated);
  const l = ledgerOf(s, account);
  l.realizedPnlUsd += realized;
  l.fundingPaidUsd += owed.fundingOwedUsd;
  l.lossPaidUsd += owed.lossOwedUsd;
  ctx.ev.emit("Deleveraged", { account, marketId: ctx.cfg.markets[mi].id, size: closedSize, priceWad });
  return true;
}

// ───────────────────────────── ADL in liquidation ─────────────────────────────

/** `AdlLogic.deleverage`: the bounded walk over the side opposite `bankruptSize`, at `bankruptcyPriceWad`. */
function deleverage(
  ctx: ActionContext,
  mi: number,
  bankruptSize: bigint,
  bankruptcyPriceWad: bigint,
  targetAbs: bigint,
): bigint {
  const counterpartiesLong = bankruptSize < 0n;
  const m = ctx.s.markets[mi];
  let placed = 0n;
  let cursor: string | undefined = queueOrder(m, counterpartiesLong)[0];
  for (let step = 0n; step < ctx.cfg.adl.maxSteps && cursor !== undefined && placed < targetAbs; step++) {
    const following = nextInQueue(m, counterpartiesLong, cursor);
    const position = positionOf(m, cursor);
    if (unrealizedPnlUsd(position.size, position.entryPriceWad, bankruptcyPriceWad) > 0n) {
      const takeAbs = abs(position.size) < targetAbs - placed ? abs(position.size) : targetAbs - placed;
      if (reduceAt(ctx, mi, cursor, position, takeAbs, bankruptcyPriceWad)) placed += takeAbs;
    }
    cursor = following;
  }
  return placed;
}

/** `LiquidationLogic._socialize`. */
function socialize(
  ctx: ActionContext,
  mi: number,
  state: MarketState,
  bankruptSize: bigint,
  netSize: bigint,
  amountUsd: bigint,
): MarketState {
  const chargeLongs = bankruptSize < 0n;
  const vaultOnSide = chargeLongs ? (netSize < 0n ? -netSize : 0n) : netSize > 0n ? netSize : 0n;
  const openInterest = (chargeLongs ? state.longOpenInterest : state.shortOpenInterest) + vaultOnSide;
  let indexWad = chargeLongs ? state.longLossIndexWad : state.shortLossIndexWad;
  const next = { ...state };
  if (openInterest !== 0n) {
    indexWad += divCeilU(amountUsd * WAD, openInterest);
    if (chargeLongs) next.longLossIndexWad = indexWad;
    else next.shortLossIndexWad = indexWad;
  }
  ctx.ev.emit("LossSocialized", {
    marketId: ctx.cfg.markets[mi].id,
    chargedSideIsLong: chargeLongs,
    amountUsd,
    openInterestCharged: openInterest,
    lossIndexWad: indexWad,
  });
  return next;
}

/**
 * A bankrupt liquidation whose deficit exceeds the insurance fund with ADL enabled: `_coverDeficitAndPay`
 * with `_autoDeleverage`, then `_store`. `r` is the SDK's no-ADL simulation of the same call, whose close
 * plan (full close, execution price, keeper top-up, deficit) is exactly what the contract computed before
 * its ADL step.
 */
export function liquidateWithAdl(
  ctx: LiquidationContext,
  mi: number,
  keeper: string,
  account: string,
  position: Position,
  r: LiquidationResult,
  record: LiquidationRecord,
): void {
  const { s, cfg } = ctx;
  const m = s.markets[mi];
  const info = cfg.markets[mi];
  let fund = s.insuranceUsd;
  if (r.keeperTopUpUsd !== 0n) {
    fund -= r.keeperTopUpUsd;
    ctx.ev.emit("InsuranceKeeperTopUp", {
      marketId: info.id,
      keeper,
      amountUsd: r.keeperTopUpUsd,
      insuranceFundUsd: fund,
    });
  }
  const deficit = r.deficitUsd;
  const budget = deficit < fund ? deficit : fund;
  const state0 = m.state;
  const owed = owedUsd(state0, position, state0.fundingIndexWad);
  const settled = netMarginUsd(state0, position, state0.fundingIndexWad);
  let realized = r.realizedPnlUsd;
  let residual = deficit;
  let remainingMargin = 0n;
  let placedAbs = 0n;
  const b = bankruptcyPriceWad(position, state0.fundingIndexWad, state0.longLossIndexWad, state0.shortLossIndexWad);
  if (b !== 0n) {
    const targetAbs = (abs(position.size) * (deficit - budget)) / deficit;
    placedAbs = deleverage(ctx, mi, position.size, b, targetAbs);
    if (placedAbs !== 0n) {
      const placedSize = position.size > 0n ? placedAbs : -placedAbs;
      realized =
        unrealizedPnlUsd(placedSize, position.entryPriceWad, b) +
        unrealizedPnlUsd(position.size - placedSize, position.entryPriceWad, r.executionPriceWad);
      const after = settled + realized;
      if (after >= 0n) {
        residual = 0n;
        remainingMargin = after;
      } else residual = -after;
    }
  }
  const adlPaid = deficit - residual;
  const insurancePaid = residual < fund ? residual : fund;
  if (insurancePaid !== 0n) {
    fund -= insurancePaid;
    ctx.ev.emit("InsuranceDeficitPaid", {
      marketId: info.id,
      account,
      amountUsd: insurancePaid,
      insuranceFundUsd: fund,
    });
  }
  const socialized = residual - insurancePaid;
  fund += r.penaltyUsd - r.keeperPenaltyUsd;
  s.insuranceUsd = fund;

  // _store (full close: a bankrupt position never keeps a remainder)
  if (remainingMargin !== 0n) addFree(s, account, remainingMargin);
  if (socialized !== 0n) {
    const netSizeAtBankruptcy = m.state.netSize - (position.size > 0n ? placedAbs : -placedAbs);
    m.state = socialize(ctx, mi, m.state, position.size, netSizeAtBankruptcy, socialized);
  }
  m.state = updateMarketTotals(m.state, position, ZERO_POSITION, -r.closedSize);
  setPosition(m, account, ZERO_POSITION);
  rekey(ctx, mi, account, position.size, ZERO_POSITION);
  s.vaultCashUsd += owed.fundingOwedUsd + owed.lossOwedUsd - realized - residual + insurancePaid;
  const keeperReward = r.keeperFromMarginUsd + r.keeperPenaltyUsd + r.keeperTopUpUsd;
  addFree(s, keeper, keeperReward);
  const l = ledgerOf(s, account);
  l.realizedPnlUsd += realized;
  l.fundingPaidUsd += owed.fundingOwedUsd;
  l.lossPaidUsd += owed.lossOwedUsd;
  l.penaltyUsd += r.penaltyUsd;
  l.keeperPaidUsd += r.keeperFromMarginUsd;
  l.deficitWrittenOffUsd += residual;
  ledgerOf(s, keeper).keeperRewardUsd += keeperReward;
  ctx.ev.emit("Liquidated", {
    account,
    marketId: info.id,
    keeper,
    closedSize: r.closedSize,
    executionPriceWad: r.executionPriceWad,
    remainingSize: 0n,
    penaltyUsd: r.penaltyUsd,
    keeperRewardUsd: keeperReward,
    deficitUsd: deficit,
    insurancePaidUsd: insurancePaid,
    adlPaidUsd: adlPaid,
    socializedUsd: socialized,
  });
  record.insurancePaidUsd = insurancePaid;
  record.adlPaidUsd = adlPaid;
  record.socializedUsd = socialized;
}

// ───────────────────────────── vault protection ─────────────────────────────

function vaultLossUsd(m: MarketModel, priceWad: bigint): bigint {
  const value = vaultMarketValueUsd(m.state, priceWad, m.state.fundingIndexWad);
  return value < 0n ? -value : 0n;
}

function shareOf(equityUsd: bigint, bps: bigint): bigint {
  return equityUsd <= 0n ? 0n : (equityUsd * bps) / BPS;
}

/** `deleverageVault(marketId, maxSteps)`: refused while liquidations are paused, allowed during the grace period. */
export function deleverageVault(ctx: ActionContext, mi: number, maxSteps: bigint): void {
  const { cfg, s, t } = ctx;
  if (maxSteps === 0n) throw new Revert("ZeroAmount");
  if (s.pauses.liquidations) throw new Revert("LiquidationsPaused");
  const cache: PriceCache = new Map();
  const { priceWad } = readPrice(cfg.markets, s, mi, t, cache, ctx.ev);
  accrue(ctx, mi, priceWad);
  const { loss, upper, lower } = vaultLossAndThresholds(ctx, mi, priceWad, cache);
  if (loss <= upper) throw new Revert("VaultDeleverageNotNeeded");
  walkVaultProtection(ctx, mi, priceWad, loss, lower, maxSteps);
}

/**
 * `AdlLogic.protectVaultAfterAction` as `modifyPosition`, `closePosition` and `pokeFunding` run it after their own
 * work (same transaction, so the same price cache): at most min(4, adl.maxSteps) steps; nothing while
 * liquidations are paused, with no vault position or no vault loss in the market, or while any market with open
 * interest has no valid price.
 */
export function protectVaultAfterAction(ctx: ActionContext, mi: number, cache: PriceCache): void {
  const { cfg, s, t } = ctx;
  const maxSteps =
    cfg.adl.maxSteps < VAULT_PROTECTION_STEPS_PER_ACTION ? cfg.adl.maxSteps : VAULT_PROTECTION_STEPS_PER_ACTION;
  if (maxSteps === 0n || s.pauses.liquidations || s.markets[mi].state.netSize === 0n) return;
  // Cheap exit before any other market's price is read (the adapters' reads have side effects).
  if (vaultLossUsd(s.markets[mi], priceView(cfg.markets, s, mi, t, cache)) === 0n) return;
  for (let i = 0; i < s.markets.length; i++) {
    const state = s.markets[i].state;
    if (state.longOpenInterest + state.shortOpenInterest === 0n) continue;
    if (tryReadPrice(cfg.markets, s, i, t, cache, ctx.ev) === null) return;
  }
  const { priceWad } = readPrice(cfg.markets, s, mi, t, cache, ctx.ev);
  const { loss, upper, lower } = vaultLossAndThresholds(ctx, mi, priceWad, cache);
  if (loss <= upper) return;
  walkVaultProtection(ctx, mi, priceWad, loss, lower, maxSteps);
}

function vaultLossAndThresholds(
  ctx: ActionContext,
  mi: number,
  priceWad: bigint,
  cache: PriceCache,
): { loss: bigint; upper: bigint; lower: bigint } {
  const { cfg, s, t } = ctx;
  const equity = vaultEquityModel(cfg, s, t, true, cache);
  return {
    loss: vaultLossUsd(s.markets[mi], priceWad),
    upper: shareOf(equity, cfg.adl.vaultLossUpperBps),
    lower: shareOf(equity, cfg.adl.vaultLossLowerBps),
  };
}

/** `_walkVaultProtection` and the `VaultDeleveraged` event. */
function walkVaultProtection(
  ctx: ActionContext,
  mi: number,
  priceWad: bigint,
  lossBefore: bigint,
  lower: bigint,
  maxSteps: bigint,
): void {
  const m = ctx.s.markets[mi];
  const closeLongs = m.state.netSize > 0n;
  let loss = lossBefore;
  let cursor: string | undefined = queueOrder(m, closeLongs)[0];
  for (let step = 0n; step < maxSteps && cursor !== undefined && loss > lower; step++) {
    const following = nextInQueue(m, closeLongs, cursor);
    const position = positionOf(m, cursor);
    const takeAbs = vaultProtectionCloseAbs(m, position, priceWad, loss - lower);
    if (takeAbs !== 0n && reduceAt(ctx, mi, cursor, position, takeAbs, priceWad)) loss = vaultLossUsd(m, priceWad);
    cursor = following;
  }
  ctx.ev.emit("VaultDeleveraged", {
    marketId: ctx.cfg.markets[mi].id,
    lossBeforeUsd: lossBefore,
    lossAfterUsd: loss,
    targetUsd: lower,
  });
}

/** `AdlLogic._vaultProtectionCloseAbs`. */
function vaultProtectionCloseAbs(m: MarketModel, position: Position, priceWad: bigint, excessLossUsd: bigint): bigint {
  const profitPerUnitWad = position.size > 0n ? priceWad - position.entryPriceWad : position.entryPriceWad - priceWad;
  if (profitPerUnitWad <= 0n) return 0n;
  const owed = owedUsd(m.state, position, m.state.fundingIndexWad);
  const toCover = excessLossUsd + owed.fundingOwedUsd + owed.lossOwedUsd;
  const sizeAbs = abs(position.size);
  if (toCover <= 0n) return 1n;
  const needed = divCeilU(toCover * WAD, profitPerUnitWad);
  return sizeAbs < needed ? sizeAbs : needed;
}
