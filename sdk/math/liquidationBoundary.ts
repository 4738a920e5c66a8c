/**
 * The exact integer liquidation boundary (SDK only; no Solidity counterpart), found by scanning: the
 * price at which the engine's own integer health check (`positionHealth`, i.e. `PerpEngine.isLiquidatable`)
 * flips, exact to the wei.
 *
 * How it relates to `liquidationPriceWad` (`./liquidationMath`, the engine's `liquidationPrice` view): both
 * solve equity = maintenance requirement with the funding and socialized-loss owed held fixed (folded
 * into `netMarginUsd`). The closed form solves the real-valued equation on one tier segment and ignores
 * the 1-wei roundings of PnL (floor), notional (ceil) and tiered margin (ceil); this function starts from
 * the same real-valued roots and then scans the few price intervals on which those roundings are constant,
 * so it returns the exact edge of the region the engine calls healthy. The two differ by at most
 * `liquidationPriceToleranceWad(|size|, tiers)` wei of price (a handful of wei for any non-dust size;
 * property-tested in test/sdk/differential.test.ts). Use the closed form to agree with the chain's view,
 * this one when you must know the exact wei (e.g. to pick the last safe feed price).
 */
import { BPS, WAD } from "./constants";
import { maintenanceRequirementUsd, notionalUsd, unrealizedPnlUsd } from "./positionMath";
import { abs } from "./signedMath";
import { EngineRevertError, PerpMathError, type MarginTier } from "./types";

/** Guard on the boundary scan; the proven bound is about 6 / (1 − maxMaintenanceRate) + 4 pieces. */
const MAX_SCANNED_PIECES = 2_000_000;

/**
 * The oracle price (USD per base unit, 1e18, exact to the wei) at which the position's health flips,
 * holding what it owes fixed (`netMarginUsd` = margin − funding owed − socialized loss owed, as
 * `netMarginUsd` in `./engineMath` computes it at the moment of interest):
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
 * Funding in reality also accrues with price and time; pass the net margin of the moment of interest.
 * @throws EngineRevertError `InvalidMarginTier` when the tiers do not start at 0, are unsorted, or have a
 * maintenance rate ≥ 100% (the engine never lists such tiers).
 * @throws SolidityPanicError when the boundary lies where the engine's own equity math would overflow
 * (|size| × price beyond int256), i.e. at no price an oracle can report.
 */
export function exactLiquidationBoundaryWad(
  size: bigint,
  entryPriceWad: bigint,
  netMarginUsd: bigint,
  tiers: readonly MarginTier[],
  keeperRewardUsd: bigint,
): bigint {
  if (size === 0n) return 0n;
  checkTiersForInversion(tiers);
  const isLong = size > 0n;
  const sizeAbs = abs(size);
  const entry = entryPriceWad;
  // equity − requirement exactly as the engine computes it (PerpEngine.positionEquity): equity is
  // netMarginUsd + unrealised PnL, and only the PnL and the requirement depend on the price.
  const healthMarginUsd = (priceWad: bigint) =>
    netMarginUsd +
    unrealizedPnlUsd(size, entry, priceWad) -
    maintenanceRequirementUsd(tiers, notionalUsd(size, priceWad), keeperRewardUsd);
  const root = (target: bigint) => realBoundary(isLong, sizeAbs, entry, netMarginUsd, keeperRewardUsd, tiers, target);
  // Real-valued g(P) = netMargin + size·(P − entry)/WAD − tiered(|size|·P/WAD)/BPS − keeper bounds the exact
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

/** The tier-shape preconditions of `exactLiquidationBoundaryWad` (a subset of `PerpEngine._validateTiers`). */
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
