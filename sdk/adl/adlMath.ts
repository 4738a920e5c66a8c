/**
 * Off-chain mirror of the ADL math: the static queue key of
 * [`contracts/adl/AdlLogic.sol`](../../contracts/adl/AdlLogic.sol) (`adlKey`, queue membership), the
 * bankruptcy price of [`contracts/liquidation/LiquidationLogic.sol`](../../contracts/liquidation/LiquidationLogic.sol)
 * (`_bankruptcyPriceWad`), the price an ADL counterparty closes at (`adlClosePriceWad`), and the effective
 * leverage the queue orders by (DESIGN §9). The tick and walking order live in `./adlQueue` (mirror of
 * AdlQueue.sol), the walks themselves in `./adlExecution` (mirror of AdlLogic.sol).
 *
 * Units: sizes in base units (1e18, positive = long), prices in USD per base unit (1e18), USD amounts in
 * 1e18, indices in USD per base unit (1e18).
 *
 * ## Why a static key orders positions by leverage at every price
 *
 * A position of size q (s = |q|), entry e, margin m, funding snapshot F0 and loss snapshot L0 has, at
 * price P with funding index F and its side's loss index L (exact rationals, before rounding):
 *
 *     equity E(P) = m + q·(P − e) − q·(F − F0) − s·(L − L0)
 *
 * - long (q = s > 0): E(P) = 0 ⇔ P = e − m/s + (F − F0) + (L − L0), so
 *       B = K + F + L_long    with K_long  = e − m/s − F0 − L0;
 * - short (q = −s): E(P) = m − s·(P − e) + s·(F − F0) − s·(L − L0) = 0 ⇔ P = e + m/s + (F − F0) − (L − L0), so
 *       B = K + F − L_short   with K_short = e + m/s − F0 + L0.
 *
 * F and L are the same for every position on a side, so every same-side B moves by the same amount when
 * funding or socialized loss accrue: ordering by K orders by B forever (until the position changes).
 * E is linear in P with slope q, so E = q·(P − B): a long's E/s = P − B, a short's E/s = B − P, and the
 * effective leverage L = notional / equity = s·P / E is
 *
 *     L_long = P / (P − B),    L_short = P / (B − P)    (while E > 0).
 *
 * At one price P, L is decreasing in E/s, so "more leveraged" ⇔ "lower equity per unit of size" ⇔
 * higher B for longs, lower B for shorts. `compareAdlPriority` compares E/s exactly (cross-multiplied),
 * which stays meaningful past bankruptcy (E ≤ 0: infinite leverage, ordered by how far past B).
 */
import { WAD, WAD_INT } from "../math/constants";
import { executionPriceWad } from "../math/liquidationMath";
import { fundingOwedUsd, notionalUsd, socializedLossOwedUsd, unrealizedPnlUsd } from "../math/positionMath";
import { abs, divCeil, divFloor, int256, sdiv, toInt256 } from "../math/signedMath";
import type { Position } from "../math/types";

/** The fields of a stored position the ADL math reads (`Position` in IPerpTypes.sol). */
export type AdlPosition = Pick<
  Position,
  "size" | "entryPriceWad" | "marginUsd" | "fundingIndexSnapshotWad" | "lossIndexSnapshotWad"
>;

/** The market's per-unit indices at one moment: the funding index and both sides' loss indices (1e18). */
export interface AdlIndices {
  /** Cumulative funding index (the engine's `currentFundingIndexWad` view for "now"). */
  fundingIndexWad: bigint;
  /** Socialized loss owed per unit of long size (`MarketState.longLossIndexWad`). */
  longLossIndexWad: bigint;
  /** Socialized loss owed per unit of |short size| (`MarketState.shortLossIndexWad`). */
  shortLossIndexWad: bigint;
}

/**
 * The static ADL key (USD per base unit, 1e18): long K = entry − margin/size − fundingSnapshot −
 * lossSnapshot; short K = entry + margin/|size| − fundingSnapshot + lossSnapshot. margin/size is truncated
 * toward zero (the key only orders positions; one queue tick spans 2^-14 ≈ 0.61 bp).
 * Longs are deleveraged from the highest key, shorts from the lowest. Throws (Panic 0x12) for size 0.
 * Mirrors `AdlLogic.adlKey` in contracts/adl/AdlLogic.sol.
 */
export function adlKey(position: AdlPosition): bigint {
  const marginPerUnit = sdiv(int256(toInt256(position.marginUsd) * WAD_INT), position.size);
  const lossSnapshot = toInt256(position.lossIndexSnapshotWad);
  return int256(
    int256(int256(toInt256(position.entryPriceWad) - marginPerUnit) - position.fundingIndexSnapshotWad) +
      (position.size > 0n ? -lossSnapshot : lossSnapshot),
  );
}

/**
 * Whether a position belongs in its side's ADL queue: open, with notional at entry
 * (|size| × entry, truncated) at least `minQueueNotionalUsd`. Entry notional keeps membership
 * price-invariant. Mirrors the membership test of `AdlLogic._rekey` in contracts/adl/AdlLogic.sol.
 */
export function isAdlEligible(position: Pick<Position, "size" | "entryPriceWad">, minQueueNotionalUsd: bigint) {
  if (position.size === 0n) return false;
  return (abs(position.size) * position.entryPriceWad) / WAD >= minQueueNotionalUsd;
}

/** The loss index of the side `size` is on (0 when flat). Mirrors `MarketLogic.lossIndexWad`. */
export function sideLossIndexWad(size: bigint, indices: AdlIndices): bigint {
  if (size > 0n) return indices.longLossIndexWad;
  if (size < 0n) return indices.shortLossIndexWad;
  return 0n;
}

/**
 * Margin net of what the position owes at the given indices: margin − funding owed (rounded up) − socialized
 * loss owed (rounded up). The `settledMarginUsd` of `LiquidationLogic._liquidate` (may be negative).
 */
export function settledMarginUsd(position: AdlPosition, indices: AdlIndices): bigint {
  const funding = fundingOwedUsd(position.size, indices.fundingIndexWad, position.fundingIndexSnapshotWad);
  const loss = socializedLossOwedUsd(
    position.size,
    sideLossIndexWad(position.size, indices),
    position.lossIndexSnapshotWad,
  );
  return int256(int256(toInt256(position.marginUsd) - funding) - toInt256(loss));
}

/**
 * The price at which a position's equity is zero given its settled margin (margin − funding owed − loss owed,
 * see `settledMarginUsd`): long B = (entry·|size| − settledMargin·1e18) / |size| rounded down, short B =
 * (entry·|size| + settledMargin·1e18) / |size| rounded up, both against the bankrupt trader; 0 when not
 * positive. The price a liquidation's ADL part closes at (DESIGN §8).
 * Mirrors `LiquidationLogic._bankruptcyPriceWad(position, settledMarginUsd)` in
 * contracts/liquidation/LiquidationLogic.sol.
 */
export function bankruptcyPriceFromSettledMarginWad(
  position: Pick<AdlPosition, "size" | "entryPriceWad">,
  settledMarginUsd: bigint,
): bigint {
  const sizeAbs = toInt256(abs(position.size));
  const entryTimesSizeAbs = int256(toInt256(position.entryPriceWad) * sizeAbs);
  const marginTerm = int256(settledMarginUsd * WAD_INT);
  const priceWad =
    position.size > 0n
      ? divFloor(int256(entryTimesSizeAbs - marginTerm), sizeAbs)
      : divCeil(int256(entryTimesSizeAbs + marginTerm), sizeAbs);
  return priceWad > 0n ? priceWad : 0n;
}

/**
 * The bankruptcy price at the given (current) indices: `bankruptcyPriceFromSettledMarginWad` of the margin net
 * of what the position owes at those indices. Equals K + F + L_long (long) / K + F − L_short (short) of the
 * file header up to the rounding of the owed amounts and of the key (see `bankruptcyPriceFromKeyWad`).
 */
export function bankruptcyPriceWad(
  position: AdlPosition,
  fundingIndexWad: bigint,
  longLossIndexWad: bigint,
  shortLossIndexWad: bigint,
): bigint {
  const settled = settledMarginUsd(position, { fundingIndexWad, longLossIndexWad, shortLossIndexWad });
  return bankruptcyPriceFromSettledMarginWad(position, settled);
}

/**
 * The price an ADL counterparty of size `size` closes `takeAbs` at: the bankruptcy price B, or the skew fill
 * of its own close at `skew` (`executionPriceWad`) when that is worse for it — higher for a short buying
 * back, lower for a long selling — so ADL is never a better exit than a voluntary close.
 * Mirrors `AdlLogic.adlClosePriceWad` in contracts/adl/AdlLogic.sol.
 * @param priceWad The oracle price of the transaction.
 * @param skew The market's net size at that step of the walk (earlier counterparties' closes moved it).
 */
export function adlClosePriceWad(
  bankruptcyPriceWad: bigint,
  priceWad: bigint,
  skew: bigint,
  size: bigint,
  takeAbs: bigint,
  skewScale: bigint,
): bigint {
  const closingDelta = size > 0n ? -takeAbs : takeAbs;
  const fillWad = executionPriceWad(priceWad, skew, closingDelta, skewScale);
  if (size > 0n) return fillWad < bankruptcyPriceWad ? fillWad : bankruptcyPriceWad;
  return fillWad > bankruptcyPriceWad ? fillWad : bankruptcyPriceWad;
}

/**
 * The bankruptcy price implied by a static key: long B = K + F + L_long, short B = K + F − L_short (may be
 * ≤ 0). Differs from `bankruptcyPriceWad` only by the key's truncation of margin/size (< 1 wei) and the
 * rounding of the owed amounts (≤ 2 wei of USD over |size|).
 */
export function bankruptcyPriceFromKeyWad(key: bigint, isLong: boolean, indices: AdlIndices): bigint {
  return isLong
    ? key + indices.fundingIndexWad + indices.longLossIndexWad
    : key + indices.fundingIndexWad - indices.shortLossIndexWad;
}

/** Equity, notional and effective leverage of a position at one price and set of indices. */
export interface EffectiveLeverage {
  /** margin + unrealised PnL (rounded down) − funding owed − loss owed (rounded up), as `positionEquity`. */
  equityUsd: bigint;
  /** |size| × price, rounded up (`PositionMath.notionalUsd`). */
  notionalUsd: bigint;
  /** notional / equity (1e18 = 1x, rounded down); `null` when equity ≤ 0 (at or past bankruptcy: infinite). */
  leverageWad: bigint | null;
}

/**
 * Effective leverage = notional / equity at `priceWad` (DESIGN §9). For ordering use `compareAdlPriority`,
 * which is exact; this value is rounded. Equivalently L = P / (P − B) for a long and P / (B − P) for a short.
 */
export function effectiveLeverage(position: AdlPosition, priceWad: bigint, indices: AdlIndices): EffectiveLeverage {
  const equityUsd =
    settledMarginUsd(position, indices) + unrealizedPnlUsd(position.size, position.entryPriceWad, priceWad);
  const notional = notionalUsd(position.size, priceWad);
  return { equityUsd, notionalUsd: notional, leverageWad: equityUsd > 0n ? (notional * WAD) / equityUsd : null };
}

/**
 * ADL priority of two positions on the same side at one price: negative when `a` is more exposed than `b`
 * (more leveraged: deleveraged first), positive when less, 0 when equal. Compares equity per unit of size
 * exactly (E_a·|q_b| vs E_b·|q_a|): lower E/|q| = higher leverage = higher B (longs) / lower B (shorts);
 * see the file header. Positions past bankruptcy (E ≤ 0) come first, the deepest first.
 */
export function compareAdlPriority(a: AdlPosition, b: AdlPosition, priceWad: bigint, indices: AdlIndices): number {
  const ea = effectiveLeverage(a, priceWad, indices).equityUsd;
  const eb = effectiveLeverage(b, priceWad, indices).equityUsd;
  const lhs = ea * abs(b.size);
  const rhs = eb * abs(a.size);
  return lhs < rhs ? -1 : lhs > rhs ? 1 : 0;
}
