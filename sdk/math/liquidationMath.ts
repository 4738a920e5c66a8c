/**
 * Pure math of a liquidation — execution price, adverse slippage, penalty, the size a partial liquidation
 * closes, and the closed-form liquidation price — mirrored one to one (same names, same argument order,
 * same rounding, same reverts) from
 * [`contracts/libraries/LiquidationMath.sol`](../../contracts/libraries/LiquidationMath.sol).
 * `test/sdk/differential.test.ts` checks every function against `LiquidationMathHarness` to the wei.
 *
 * Units as in `./positionMath`: sizes 1e18 base units, prices and USD amounts 1e18, rates in bps.
 * Every expression is written with the checked helpers of `./signedMath`, so a function throws
 * `SolidityPanicError` exactly where the Solidity reverts with `Panic(0x11 | 0x12)`.
 */
import { BPS, WAD } from "./constants";
import { fillPriceWad } from "./positionMath";
import { abs, divCeilU, int256, toInt256, toUint256, udiv, uint256 } from "./signedMath";
import type { MarginTier } from "./types";

/**
 * Execution price of a forced close against the vault (a liquidation's vault part, a vault-protection close,
 * the fill an ADL counterparty's own close would get): the same skew fill a voluntary close of that size gets,
 * so every close pays the same impact integral and the cost of a skew change does not depend on the path.
 * Floored at 1 wei (with open interest below the skew scale the fill is always positive).
 * Mirrors `LiquidationMath.executionPriceWad` in contracts/libraries/LiquidationMath.sol.
 * @param closingDelta The trade that closes: negative when a long is closed.
 */
export function executionPriceWad(priceWad: bigint, skew: bigint, closingDelta: bigint, skewScale: bigint): bigint {
  const fill = fillPriceWad(priceWad, skew, closingDelta, skewScale);
  return fill > 0n ? fill : 1n;
}

/**
 * How far `closePriceWad` is from `priceWad` against the liquidated trader, in bps rounded up (0 when the
 * fill is at or better than the oracle price).
 * Mirrors `LiquidationMath.adverseSlippageBps` in contracts/libraries/LiquidationMath.sol.
 * @param closingLong True when a long is being closed (a sell: a lower fill is adverse).
 */
export function adverseSlippageBps(priceWad: bigint, closePriceWad: bigint, closingLong: boolean): bigint {
  let adverseWad = 0n;
  if (closingLong && closePriceWad < priceWad) adverseWad = priceWad - closePriceWad;
  if (!closingLong && closePriceWad > priceWad) adverseWad = closePriceWad - priceWad;
  return divCeilU(uint256(adverseWad * BPS), priceWad);
}

/**
 * Penalty on the closed notional at the execution price, before the cap at remaining equity (USD, 1e18).
 * Rounded up: the penalty is at least the exact amount.
 * Mirrors `LiquidationMath.penaltyUsd` in contracts/libraries/LiquidationMath.sol.
 */
export function penaltyUsd(closedSize: bigint, closePriceWad: bigint, penaltyBps: bigint): bigint {
  return divCeilU(uint256(uint256(abs(closedSize) * closePriceWad) * penaltyBps), WAD * BPS);
}

/**
 * How much of a liquidatable position to close (same units as `sizeAbs`). Returns `sizeAbs` (close
 * everything) when equity is below half the maintenance requirement, or when no partial close can
 * restore the buffer. Otherwise
 * `c = ceil(q × [(BPS + b)(tiered + K) + BPS·K − BPS·E] / [(BPS + b)·tiered − costBps·notional])`,
 * capped at q. The caller re-checks the remainder and closes fully if it is not healthy.
 * Mirrors `LiquidationMath.partialCloseSizeAbs` in contracts/libraries/LiquidationMath.sol.
 * @param equityUsd Equity at the oracle price after settling funding and socialized loss.
 * @param tieredMaintenanceUsd Tiered maintenance margin of the whole position (keeper reward excluded).
 * @param notionalUsd Notional of the whole position at the oracle price.
 * @param costBps Penalty + the adverse slippage of closing the whole position, in bps.
 */
export function partialCloseSizeAbs(
  sizeAbs: bigint,
  equityUsd: bigint,
  tieredMaintenanceUsd: bigint,
  keeperRewardUsd: bigint,
  notionalUsd: bigint,
  bufferBps: bigint,
  costBps: bigint,
): bigint {
  const maintenanceUsd = uint256(tieredMaintenanceUsd + keeperRewardUsd);
  if (int256(equityUsd * 2n) < toInt256(maintenanceUsd)) return sizeAbs;
  const bufferedBps = uint256(BPS + bufferBps);
  const denominator = int256(
    toInt256(uint256(bufferedBps * tieredMaintenanceUsd)) - toInt256(uint256(notionalUsd * costBps)),
  );
  if (denominator <= 0n) return sizeAbs;
  const numerator = int256(
    toInt256(uint256(uint256(bufferedBps * maintenanceUsd) + uint256(BPS * keeperRewardUsd))) - int256(BPS * equityUsd),
  );
  if (numerator <= 0n) return sizeAbs;
  const closeAbs = divCeilU(uint256(sizeAbs * toUint256(numerator)), toUint256(denominator));
  return closeAbs >= sizeAbs ? sizeAbs : closeAbs;
}

/**
 * The oracle price at which a position's equity equals its maintenance requirement, solved in closed
 * form on the tier segment that contains it (the requirement is piecewise linear in price). Longs are
 * liquidatable below it, shorts above it. Returns 0 when no positive price liquidates a long, and 0 for a
 * short that is liquidatable at every price. Rounded toward the healthy side (up for longs, down for
 * shorts). This is what the engine's `liquidationPrice` view returns.
 *
 * It ignores the 1-wei rounding of PnL, notional and tiered margin, so it is within a few wei of price of
 * the exact integer boundary that `exactLiquidationBoundaryWad` (in `./liquidationBoundary`, SDK only)
 * finds by scanning: with q = |size| and r the largest maintenance rate, health is sure to agree with the
 * closed form at any price more than `liquidationPriceToleranceWad(q, tiers)` away from it.
 * Mirrors `LiquidationMath.liquidationPriceWad` in contracts/libraries/LiquidationMath.sol.
 * @param netMarginUsd Margin minus funding and socialized loss owed (may be negative); see `netMarginUsd`.
 */
export function liquidationPriceWad(
  size: bigint,
  entryPriceWad: bigint,
  netMarginUsd: bigint,
  tiers: readonly MarginTier[],
  keeperRewardUsd: bigint,
): bigint {
  if (size === 0n) return 0n;
  const isLong = size > 0n;
  const sizeAbs = abs(size);
  // Σ over earlier tiers of rate × tier width (USD × bps).
  let lowerTiersBpsUsd = 0n;
  const tierCount = tiers.length;
  for (let i = 0; i < tierCount; ++i) {
    const floorUsd = tiers[i].notionalFloorUsd;
    const rateBps = tiers[i].maintenanceMarginBps;
    // Long: n·(BPS − r) = BPS·(K − M) + BPS·q·e + (A − r·F), all × WAD to keep q·e exact.
    // Short: n·(BPS + r) = BPS·(M − K) + BPS·q·e − (A − r·F).
    const segmentTerm = int256(WAD * int256(lowerTiersBpsUsd - int256(rateBps * floorUsd)));
    const marginTerm = int256(BPS * WAD * int256(toInt256(keeperRewardUsd) - netMarginUsd));
    const entryTerm = toInt256(uint256(uint256(BPS * sizeAbs) * entryPriceWad));
    let priceWad: bigint;
    if (isLong) {
      const rhs = int256(int256(marginTerm + entryTerm) + segmentTerm);
      if (rhs <= 0n) return 0n;
      priceWad = divCeilU(toUint256(rhs), uint256(toUint256(int256(BPS - rateBps)) * sizeAbs));
    } else {
      const rhs = int256(int256(int256(-marginTerm) + entryTerm) - segmentTerm);
      if (rhs <= 0n) return 0n;
      priceWad = udiv(toUint256(rhs), uint256(toUint256(int256(BPS + rateBps)) * sizeAbs));
    }
    const lastTier = i + 1 === tierCount;
    if (lastTier || udiv(uint256(sizeAbs * priceWad), WAD) <= tiers[i + 1].notionalFloorUsd) return priceWad;
    lowerTiersBpsUsd = int256(lowerTiersBpsUsd + int256(rateBps * int256(tiers[i + 1].notionalFloorUsd - floorUsd)));
  }
  return 0n; // unreachable: the last tier always returns
}

/**
 * How far (in price wei) the closed-form `liquidationPriceWad` may be from where health actually flips,
 * for a position of `|size| = sizeAbs` under `tiers` (SDK only; no Solidity counterpart):
 * `ceil((4·BPS + Δr)·WAD / (sizeAbs·(BPS − r))) + ceil(Δr / (BPS − r)) + 2`, with r the largest
 * maintenance rate and Δr the largest rate step between consecutive tiers.
 *
 * Why: the engine's health margin h(P) = equity − requirement uses floor(PnL), ceil(notional) and
 * ceil(tiered margin), so it sits within (g(P) − 3, g(P)] of the real-valued g(P) that the closed form
 * solves (4 wei of USD covers it with room). The closed form also picks its tier segment from the floored
 * notional of its rounded root, so when the root is within a wei of notional of a tier floor it may solve
 * on the neighbouring segment, whose line is off by less than Δr/BPS wei of USD (segment too low: at most
 * Δr/(BPS − r) wei of price; too high: folded into the USD term). g moves by at least
 * sizeAbs·(BPS − r)/(BPS·WAD) USD per wei of price, which converts the USD terms to price; the + 2 covers
 * the ceil/floor of the root itself. Beyond the tolerance on the healthy side the engine says healthy,
 * beyond it on the other side it says liquidatable. For 1 ETH under the default tiers (2.5/5/10%) this is
 * 8 wei of price, far below one 8-decimal feed unit (1e10 wei); only dust positions (< ~1e-9 units) have
 * a tolerance above a feed unit. With a steep tier step (e.g. 0.01% → 80%) the closed form can return a
 * price a few wei on the liquidatable side of the exact boundary (observed: 4 wei), which its
 * "rounded toward the healthy side" holds only for the real-valued root on the right segment.
 */
export function liquidationPriceToleranceWad(sizeAbs: bigint, tiers: readonly MarginTier[]): bigint {
  let maxRateBps = 0n;
  let maxStepBps = 0n;
  for (const [i, tier] of tiers.entries()) {
    if (tier.maintenanceMarginBps > maxRateBps) maxRateBps = tier.maintenanceMarginBps;
    const step = i === 0 ? 0n : tier.maintenanceMarginBps - tiers[i - 1].maintenanceMarginBps;
    if (step > maxStepBps) maxStepBps = step;
  }
  const headroomBps = BPS - maxRateBps;
  const slope = sizeAbs * headroomBps;
  const usdTerm = ((4n * BPS + maxStepBps) * WAD + slope - 1n) / slope;
  const segmentTerm = (maxStepBps + headroomBps - 1n) / headroomBps;
  return usdTerm + segmentTerm + 2n;
}
