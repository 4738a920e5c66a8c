/**
 * Engine-level helpers: what [`contracts/PerpEngine.sol`](../../contracts/PerpEngine.sol) computes for
 * funding accrual, position equity and health, a trade, a whole `modifyPosition` call, the market
 * aggregates and the vault's value — built only from the one-to-one mirrors in `./positionMath` and
 * `./signedMath`, with the same operation order, so the results equal the contract's to the wei
 * (checked by `test/sdk/differential.test.ts`). `liquidationPriceWad` has no Solidity counterpart: it
 * inverts `positionHealth` exactly.
 */
import { BPS, UINT256_MAX, WAD, WAD_INT } from "./constants";
import {
  fillPriceWad,
  fundingIndexDeltaWad,
  fundingOwedUsd,
  fundingRatePerDayWad,
  increasedEntryPriceWad,
  maintenanceRequirementUsd,
  notionalUsd,
  takerFeeUsd,
  unrealizedPnlUsd,
} from "./positionMath";
import { abs, divFloor, int256, toInt256, toUint256, uint256 } from "./signedMath";
import {
  EngineRevertError,
  PerpMathError,
  type MarginTier,
  type MarketParams,
  type MarketState,
  type Position,
  type TradeResult,
} from "./types";

// ═════════════════════════════ FUNDING ═════════════════════════════

/**
 * The funding index as `_accrueFunding` would leave it at `nowSeconds` (USD per base unit, 1e18).
 * Mirrors `PerpEngine._currentFundingIndexWad` (and the `currentFundingIndexWad` view) in
 * contracts/PerpEngine.sol: the rate set by the current skew, applied over the whole elapsed interval,
 * valued at `priceWad`.
 * @param nowSeconds The block timestamp (for a view: the latest block's timestamp).
 */
export function currentFundingIndexWad(
  state: MarketState,
  params: MarketParams,
  priceWad: bigint,
  nowSeconds: bigint,
): bigint {
  const elapsed = uint256(nowSeconds - state.lastFundingTimestamp);
  if (elapsed === 0n) return state.fundingIndexWad;
  const ratePerDayWad = fundingRatePerDayWad(state.netSize, params.skewScale, params.maxFundingRatePerDayWad);
  return int256(state.fundingIndexWad + fundingIndexDeltaWad(ratePerDayWad, priceWad, elapsed));
}

/**
 * The market state after `_accrueFunding` at `nowSeconds`: index advanced, timestamp set (unchanged when
 * no time elapsed). Mirrors `PerpEngine._accrueFunding` in contracts/PerpEngine.sol. Does not mutate `state`.
 */
export function accrueFunding(
  state: MarketState,
  params: MarketParams,
  priceWad: bigint,
  nowSeconds: bigint,
): MarketState {
  const elapsed = uint256(nowSeconds - state.lastFundingTimestamp);
  if (elapsed === 0n) return { ...state };
  return {
    ...state,
    fundingIndexWad: currentFundingIndexWad(state, params, priceWad, nowSeconds),
    lastFundingTimestamp: nowSeconds,
  };
}

// ═════════════════════════════ EQUITY AND HEALTH ═════════════════════════════

/**
 * Equity of a position: margin + unrealised PnL − funding owed (USD, 1e18; may be negative).
 * Mirrors the `equityUsd` of `PerpEngine.positionEquity` in contracts/PerpEngine.sol.
 */
export function positionEquityUsd(position: Position, priceWad: bigint, fundingIndexWad: bigint): bigint {
  return int256(
    int256(toInt256(position.marginUsd) + unrealizedPnlUsd(position.size, position.entryPriceWad, priceWad)) -
      fundingOwedUsd(position.size, fundingIndexWad, position.fundingIndexSnapshotWad),
  );
}

/** Equity against the maintenance requirement, as `PerpEngine.positionEquity` reports them. */
export interface PositionHealth {
  /** margin + unrealised PnL − funding owed (USD, 1e18). */
  equityUsd: bigint;
  /** Tiered maintenance margin + keeper reward (USD, 1e18); 0 for an empty position. */
  maintenanceRequirementUsd: bigint;
  /** `equityUsd < maintenanceRequirementUsd` (equality is healthy). */
  isLiquidatable: boolean;
}

/**
 * Health of a position at `priceWad` and `fundingIndexWad`. Mirrors `PerpEngine.positionEquity` in
 * contracts/PerpEngine.sol; liquidatable iff equity < requirement.
 */
export function positionHealth(
  position: Position,
  priceWad: bigint,
  fundingIndexWad: bigint,
  tiers: readonly MarginTier[],
  keeperRewardUsd: bigint,
): PositionHealth {
  const equityUsd = positionEquityUsd(position, priceWad, fundingIndexWad);
  const requirementUsd =
    position.size === 0n ? 0n : maintenanceRequirementUsd(tiers, notionalUsd(position.size, priceWad), keeperRewardUsd);
  return {
    equityUsd,
    maintenanceRequirementUsd: requirementUsd,
    isLiquidatable: equityUsd < requirementUsd,
  };
}

// ═════════════════════════════ TRADING ═════════════════════════════

/**
 * Prices a trade of `sizeDelta` against the vault at oracle price `priceWad` with the market skew
 * `skew` (traders' net size before the trade) and splits it into the closed part (realising PnL at the
 * fill) and the opened part (averaged into the entry). Mirrors `PerpEngine._trade` in
 * contracts/PerpEngine.sol, including its reverts `FillPriceNonPositive` and `SlippageExceeded`.
 * @param acceptablePrice Worst fill accepted (buys: fill ≤ it, sells: fill ≥ it); defaults to a bound
 * that never binds.
 */
export function simulateTrade(
  params: MarketParams,
  skew: bigint,
  old: Position,
  sizeDelta: bigint,
  priceWad: bigint,
  acceptablePrice: bigint = sizeDelta > 0n ? UINT256_MAX : 0n,
): TradeResult {
  const fill = fillPriceWad(priceWad, skew, sizeDelta, params.skewScale);
  if (fill <= 0n) throw new EngineRevertError("FillPriceNonPositive", { fillPriceWad: fill });
  const fillPrice = fill;
  if (sizeDelta > 0n ? fillPrice > acceptablePrice : fillPrice < acceptablePrice) {
    throw new EngineRevertError("SlippageExceeded", { fillPriceWad: fillPrice, acceptablePriceWad: acceptablePrice });
  }
  const feeUsd = takerFeeUsd(sizeDelta, fillPrice, params.takerFeeBps);
  const insuranceFeeUsd = uint256(feeUsd * params.insuranceFeeShareBps) / BPS;

  // closedSize has the sign of the old position; the rest of sizeDelta opens new exposure.
  let closedSize = 0n;
  let realizedPnlUsd = 0n;
  if (old.size !== 0n && old.size > 0n !== sizeDelta > 0n) {
    closedSize = abs(sizeDelta) >= abs(old.size) ? old.size : int256(-sizeDelta);
    realizedPnlUsd = unrealizedPnlUsd(closedSize, old.entryPriceWad, fillPrice);
  }
  const openedSize = int256(sizeDelta + closedSize);

  const remainingOldSize = int256(old.size - closedSize);
  let newEntryPriceWad: bigint;
  if (openedSize === 0n) {
    newEntryPriceWad = remainingOldSize === 0n ? 0n : old.entryPriceWad;
  } else if (remainingOldSize === 0n) {
    newEntryPriceWad = fillPrice;
  } else {
    newEntryPriceWad = increasedEntryPriceWad(old.size, old.entryPriceWad, openedSize, fillPrice);
  }
  return { fillPriceWad: fillPrice, feeUsd, insuranceFeeUsd, realizedPnlUsd, openedSize, newEntryPriceWad };
}

/** Inputs of `simulateModifyPosition`: one owner action as `modifyPosition` receives it, plus the state. */
export interface ModifyPositionInput {
  params: MarketParams;
  /** The market state before the action (funding not yet accrued). */
  state: MarketState;
  /** The stored position before the action (funding not yet settled). */
  position: Position;
  /** Base units, 1e18; + buys, − sells; 0 for a pure margin move. */
  sizeDelta: bigint;
  /** USD, 1e18; + moves free balance into the position, − moves margin out. */
  marginDelta: bigint;
  /** The oracle price of the transaction (USD per base unit, 1e18). */
  priceWad: bigint;
  /** The transaction's block timestamp. */
  nowSeconds: bigint;
  /** Worst fill accepted; defaults to a bound that never binds. */
  acceptablePrice?: bigint;
}

/** What one `modifyPosition` call does to every balance it touches. */
export interface ModifyPositionResult {
  /** The stored position afterwards (all zero once closed). */
  position: Position;
  /** The market state afterwards (funding accrued, aggregates updated). */
  state: MarketState;
  /** The trade (all zero but the entry for a pure margin move). */
  trade: TradeResult;
  /** Funding settled into margin (+ = paid by the position), as in the `PositionModified` event. */
  fundingPaidUsd: bigint;
  /** Change of `vaultCashUsd`: funding received + its fee share − PnL paid to the trader. */
  vaultCashDeltaUsd: bigint;
  /** Change of the trader's free balance: margin moved in/out and, on a close, the released margin. */
  freeBalanceDeltaUsd: bigint;
}

/**
 * The accounting of one successful `modifyPosition` / `closePosition` call: accrue funding → settle the
 * position's funding → move margin in → trade → move margin out → store → update aggregates. Mirrors
 * `PerpEngine._applyAction` (with `_moveMarginOut` and `_updateMarketTotals`) in contracts/PerpEngine.sol.
 * Throws where those revert (`FillPriceNonPositive`, `SlippageExceeded`, `InsufficientPositionMargin`,
 * `PositionBankrupt`). It does NOT evaluate the checks that need more context than one position —
 * free balance, volatility, open-interest and vault-exposure caps, initial/minimum margin, margin ratio —
 * so a call the engine rejects for those reasons still gets a result here.
 */
export function simulateModifyPosition(input: ModifyPositionInput): ModifyPositionResult {
  const { params, position: old, sizeDelta, marginDelta, priceWad } = input;
  const state = accrueFunding(input.state, params, priceWad, input.nowSeconds);

  const fundingPaidUsd = fundingOwedUsd(old.size, state.fundingIndexWad, old.fundingIndexSnapshotWad);
  let marginUsd = int256(toInt256(old.marginUsd) - fundingPaidUsd);
  let vaultCashDeltaUsd = fundingPaidUsd;
  let freeBalanceDeltaUsd = 0n;

  if (marginDelta > 0n) {
    freeBalanceDeltaUsd -= marginDelta;
    marginUsd = int256(marginUsd + marginDelta);
  }

  let trade: TradeResult = {
    fillPriceWad: 0n,
    feeUsd: 0n,
    insuranceFeeUsd: 0n,
    realizedPnlUsd: 0n,
    openedSize: 0n,
    newEntryPriceWad: old.entryPriceWad,
  };
  if (sizeDelta !== 0n) {
    trade = simulateTrade(params, state.netSize, old, sizeDelta, priceWad, input.acceptablePrice);
    marginUsd = int256(marginUsd + int256(trade.realizedPnlUsd - toInt256(trade.feeUsd)));
    vaultCashDeltaUsd = int256(
      vaultCashDeltaUsd + int256(toInt256(uint256(trade.feeUsd - trade.insuranceFeeUsd)) - trade.realizedPnlUsd),
    );
  }

  // _moveMarginOut
  if (marginDelta < 0n) {
    const removedUsd = toUint256(-marginDelta);
    if (marginUsd < toInt256(removedUsd)) {
      throw new EngineRevertError("InsufficientPositionMargin", { marginUsd, requestedUsd: removedUsd });
    }
    marginUsd = int256(marginUsd - toInt256(removedUsd));
    freeBalanceDeltaUsd += removedUsd;
  }
  if (marginUsd < 0n) throw new EngineRevertError("PositionBankrupt", { marginAfterUsd: marginUsd });

  const updated: Position = {
    size: int256(old.size + sizeDelta),
    entryPriceWad: trade.newEntryPriceWad,
    marginUsd: toUint256(marginUsd),
    fundingIndexSnapshotWad: state.fundingIndexWad,
  };
  if (updated.size === 0n) {
    // Closed: all remaining margin returns to the free balance.
    freeBalanceDeltaUsd += updated.marginUsd;
    updated.marginUsd = 0n;
    updated.fundingIndexSnapshotWad = 0n;
  }
  return {
    position: updated,
    state: updateMarketTotals(state, old, updated, sizeDelta),
    trade,
    fundingPaidUsd,
    vaultCashDeltaUsd,
    freeBalanceDeltaUsd,
  };
}

/**
 * The market aggregates after a position changed from `old` to `updated` by `sizeDelta`. Mirrors
 * `PerpEngine._updateMarketTotals` in contracts/PerpEngine.sol. Does not mutate `state`.
 */
export function updateMarketTotals(
  state: MarketState,
  old: Position,
  updated: Position,
  sizeDelta: bigint,
): MarketState {
  const next = { ...state };
  next.netSize = int256(next.netSize + sizeDelta);
  next.sumSizeTimesEntry = int256(
    next.sumSizeTimesEntry +
      int256(int256(updated.size * toInt256(updated.entryPriceWad)) - int256(old.size * toInt256(old.entryPriceWad))),
  );
  next.sumSizeTimesFundingSnapshot = int256(
    next.sumSizeTimesFundingSnapshot +
      int256(int256(updated.size * updated.fundingIndexSnapshotWad) - int256(old.size * old.fundingIndexSnapshotWad)),
  );
  if (old.size > 0n) next.longOpenInterest = uint256(next.longOpenInterest - toUint256(old.size));
  else if (old.size < 0n) next.shortOpenInterest = uint256(next.shortOpenInterest - toUint256(-old.size));
  if (updated.size > 0n) next.longOpenInterest = uint256(next.longOpenInterest + toUint256(updated.size));
  else if (updated.size < 0n) next.shortOpenInterest = uint256(next.shortOpenInterest + toUint256(-updated.size));
  return next;
}

// ═════════════════════════════ VAULT ═════════════════════════════

/**
 * Value of the vault's implied position in one market (USD, 1e18): Σ size × (entry − price) +
 * Σ size × (fundingIndex − snapshot) over all traders, rounded down (the vault claims at most the exact
 * value). Mirrors `PerpEngine._vaultMarketValueUsd` in contracts/PerpEngine.sol; pass the index from
 * `currentFundingIndexWad`. `vaultEquityUsd(true)` = `vaultCashUsd` + Σ markets of this.
 */
export function vaultMarketValueUsd(state: MarketState, priceWad: bigint, fundingIndexWad: bigint): bigint {
  if (state.netSize === 0n && state.sumSizeTimesEntry === 0n && state.sumSizeTimesFundingSnapshot === 0n) return 0n;
  const scaled = int256(
    int256(
      int256(state.sumSizeTimesEntry - int256(state.netSize * toInt256(priceWad))) +
        int256(state.netSize * fundingIndexWad),
    ) - state.sumSizeTimesFundingSnapshot,
  );
  return divFloor(scaled, WAD_INT);
}

// ═════════════════════════════ LIQUIDATION PRICE ═════════════════════════════

/** Guard on the boundary scan; the proven bound is about 6 / (1 − maxMaintenanceRate) + 4 pieces. */
const MAX_SCANNED_PIECES = 2_000_000;

/**
 * The oracle price (USD per base unit, 1e18, exact to the wei) at which the position's health flips,
 * holding the funding index fixed at `fundingIndexWad`:
 * - long: the smallest price L such that the position is healthy (equity ≥ requirement, as
 *   `positionHealth`) at every price ≥ L; it is liquidatable at L − 1. Returns 0n when no positive
 *   price liquidates it.
 * - short: the largest price L such that the position is healthy at every price in [1, L]; it is
 *   liquidatable at L + 1. Always exists; returns 0n when even a price of 1 wei liquidates it.
 * So the returned price itself is always on the healthy side (or exactly at equity == requirement),
 * rounded toward safety: the price may move to L but not one wei past it.
 *
 * Rounding makes health non-monotonic within a few wei of USD of the boundary, so "the" boundary is
 * defined as above (the edge of the region that is healthy for sure). The requirement is piecewise
 * linear in price (one segment per tier), so the real-valued boundary is solved exactly per segment and
 * the exact integer answer is then found by scanning the few price intervals on which both the PnL and
 * the notional are constant between the real solutions of equity − requirement = 0 and = 3 wei.
 * Funding in reality also accrues with price and time; pass the index at the moment of interest.
 * @throws EngineRevertError `InvalidMarginTier` when the tiers do not start at 0, are unsorted, or have a
 * maintenance rate ≥ 100% (the engine never lists such tiers).
 * @throws SolidityPanicError when the boundary lies where the engine's own equity math would overflow
 * (|size| × price beyond int256), i.e. at no price an oracle can report.
 */
export function liquidationPriceWad(
  position: Position,
  tiers: readonly MarginTier[],
  keeperRewardUsd: bigint,
  fundingIndexWad: bigint,
): bigint {
  const size = position.size;
  if (size === 0n) return 0n;
  checkTiersForInversion(tiers);
  const isLong = size > 0n;
  const sizeAbs = abs(size);
  const entry = position.entryPriceWad;
  const healthMarginUsd = (priceWad: bigint) => {
    const health = positionHealth(position, priceWad, fundingIndexWad, tiers, keeperRewardUsd);
    return health.equityUsd - health.maintenanceRequirementUsd;
  };
  // Equity = baseUsd + unrealised PnL; every term but the PnL and the requirement is price-independent.
  const baseUsd =
    toInt256(position.marginUsd) - fundingOwedUsd(size, fundingIndexWad, position.fundingIndexSnapshotWad);
  const root = (target: bigint) => realBoundary(isLong, sizeAbs, entry, baseUsd, keeperRewardUsd, tiers, target);
  // Real-valued g(P) = base + size·(P − entry)/WAD − tiered(|size|·P/WAD)/BPS − keeper bounds the exact
  // healthMarginUsd: g − 3 < exact ≤ g. So g < 0 is liquidatable and g ≥ 3 is healthy.
  const zero = root(0n);
  const three = root(3n);

  // Price where the PnL (floor of size·(P − entry)/WAD) or the notional (ceil of |size|·P/WAD) next changes.
  const nextPiece = (priceWad: bigint): bigint => {
    const pnlSteps = floorDiv(size * (priceWad - entry), WAD);
    const nextPnl = isLong
      ? entry + ceilDiv((pnlSteps + 1n) * WAD, sizeAbs)
      : entry + floorDiv(-pnlSteps * WAD, sizeAbs) + 1n;
    const notionalSteps = ceilDiv(sizeAbs * priceWad, WAD);
    const nextNotional = floorDiv(notionalSteps * WAD, sizeAbs) + 1n;
    return nextPnl < nextNotional ? nextPnl : nextNotional;
  };

  if (isLong) {
    // Below `zero` every price is liquidatable, from `three` up every price is healthy.
    const lo = ceilDiv(zero.num, zero.den) - 1n;
    const hi = ceilDiv(three.num, three.den);
    let lastLiquidatable = 0n;
    let pieces = 0;
    for (let p = lo > 1n ? lo : 1n; p < hi; p = nextPiece(p)) {
      if (++pieces > MAX_SCANNED_PIECES) throw new PerpMathError("liquidation price scan did not converge");
      if (healthMarginUsd(p) < 0n) {
        const pieceEnd = nextPiece(p) - 1n;
        lastLiquidatable = pieceEnd < hi - 1n ? pieceEnd : hi - 1n;
      }
    }
    return lastLiquidatable === 0n ? 0n : lastLiquidatable + 1n;
  }
  // Short: up to `three` every price is healthy, above `zero` every price is liquidatable.
  const lo = floorDiv(three.num, three.den);
  const hi = floorDiv(zero.num, zero.den) + 1n;
  if (hi < 1n) return 0n;
  let pieces = 0;
  for (let p = lo > 1n ? lo : 1n; ; p = nextPiece(p)) {
    if (++pieces > MAX_SCANNED_PIECES) throw new PerpMathError("liquidation price scan did not converge");
    if (p >= hi || healthMarginUsd(p) < 0n) return (p < hi ? p : hi) - 1n;
  }
}

/**
 * Real solution P = num / den (den > 0) of g(P) = target, where with x = |size|·P/WAD and
 * tau(x) = Σ tiers (portion of x) × maintenanceMarginBps (the real extension of the tier sum):
 * long g = base + x − |size|·entry/WAD − tau(x)/BPS − keeper, short g = base − x + |size|·entry/WAD −
 * tau(x)/BPS − keeper. With σ = ±1 this is x − σ·tau(x)/BPS = σ(target − base + keeper) + |size|·entry/WAD,
 * whose left side is increasing and linear on each tier: x·(BPS − σ·mm) = BPS·K + σ(C − mm·floor).
 */
function realBoundary(
  isLong: boolean,
  sizeAbs: bigint,
  entry: bigint,
  baseUsd: bigint,
  keeperRewardUsd: bigint,
  tiers: readonly MarginTier[],
  target: bigint,
): { num: bigint; den: bigint } {
  const sigma = isLong ? 1n : -1n;
  // BPS·K·WAD, K = σ(target − base + keeper) + |size|·entry/WAD.
  const rhs = BPS * sigma * (target - baseUsd + keeperRewardUsd) * WAD + BPS * sizeAbs * entry;
  let tierIndex = 0;
  let cumulative = 0n; // tau(floor of the chosen tier)
  let running = 0n;
  for (let i = 0; i < tiers.length; ++i) {
    if (i > 0)
      running += (tiers[i].notionalFloorUsd - tiers[i - 1].notionalFloorUsd) * tiers[i - 1].maintenanceMarginBps;
    // Left side at this tier's floor, scaled by BPS·WAD.
    if ((BPS * tiers[i].notionalFloorUsd - sigma * running) * WAD <= rhs) {
      tierIndex = i;
      cumulative = running;
    } else break;
  }
  const tier = tiers[tierIndex];
  const num = rhs + sigma * (cumulative - tier.maintenanceMarginBps * tier.notionalFloorUsd) * WAD;
  const den = sizeAbs * (BPS - sigma * tier.maintenanceMarginBps);
  return { num, den };
}

/** The tier-shape preconditions of `liquidationPriceWad` (a subset of `PerpEngine._validateTiers`). */
function checkTiersForInversion(tiers: readonly MarginTier[]): void {
  if (tiers.length === 0) throw new EngineRevertError("InvalidMarginTier", { index: 0n });
  for (let i = 0; i < tiers.length; ++i) {
    const valid =
      tiers[i].maintenanceMarginBps >= 0n &&
      tiers[i].maintenanceMarginBps < BPS &&
      (i === 0 ? tiers[i].notionalFloorUsd === 0n : tiers[i].notionalFloorUsd > tiers[i - 1].notionalFloorUsd);
    if (!valid) throw new EngineRevertError("InvalidMarginTier", { index: BigInt(i) });
  }
}

/** Mathematical floor(a / b) for b > 0 (no range checks: auxiliary arithmetic, not a mirrored formula). */
function floorDiv(a: bigint, b: bigint): bigint {
  const q = a / b;
  return a % b !== 0n && a < 0n ? q - 1n : q;
}

/** Mathematical ceil(a / b) for b > 0. */
function ceilDiv(a: bigint, b: bigint): bigint {
  const q = a / b;
  return a % b !== 0n && a > 0n ? q + 1n : q;
}
