/**
 * Pure margin, PnL, funding and pricing math of one position, mirrored one to one (same names, same
 * argument order, same rounding, same reverts) from
 * [`contracts/libraries/PositionMath.sol`](../../contracts/libraries/PositionMath.sol).
 * `test/sdk/differential.test.ts` checks every function against the contract to the wei.
 *
 * Units: sizes in base units (1e18), prices in USD per base unit (1e18), USD amounts in 1e18.
 * Every expression is written with the checked helpers of `./signedMath`, so a function throws
 * `SolidityPanicError` exactly where the Solidity reverts with `Panic(0x11 | 0x12)`.
 */
import { BPS, SECONDS_PER_DAY, UINT256_MAX, WAD, WAD_INT } from "./constants";
import { abs, divCeil, divCeilU, divFloor, int256, sdiv, toInt256, udiv, uint256 } from "./signedMath";
import type { MarginTier } from "./types";

/**
 * Unrealised PnL of `size` entered at `entryPriceWad`, marked at `priceWad` (USD, 1e18).
 * Rounded down (toward -inf): the trader is credited at most the exact value.
 * Mirrors `PositionMath.unrealizedPnlUsd` in contracts/libraries/PositionMath.sol.
 */
export function unrealizedPnlUsd(size: bigint, entryPriceWad: bigint, priceWad: bigint): bigint {
  return divFloor(int256(size * int256(toInt256(priceWad) - toInt256(entryPriceWad))), WAD_INT);
}

/**
 * Funding owed by a position since its snapshot; positive = the position pays (USD, 1e18).
 * Rounded up (toward +inf): payers pay at least, receivers receive at most the exact value.
 * Mirrors `PositionMath.fundingOwedUsd` in contracts/libraries/PositionMath.sol.
 */
export function fundingOwedUsd(size: bigint, fundingIndexWad: bigint, fundingIndexSnapshotWad: bigint): bigint {
  return divCeil(int256(size * int256(fundingIndexWad - fundingIndexSnapshotWad)), WAD_INT);
}

/**
 * Socialized loss owed by a position since its snapshot of its side's loss index (USD, 1e18).
 * Rounded up: the position pays at least its exact pro-rata share. Panics (0x11) when the index is below
 * the snapshot, like the checked subtraction it mirrors.
 * Mirrors `PositionMath.socializedLossOwedUsd` in contracts/libraries/PositionMath.sol.
 */
export function socializedLossOwedUsd(size: bigint, lossIndexWad: bigint, lossIndexSnapshotWad: bigint): bigint {
  return divCeilU(uint256(abs(size) * uint256(lossIndexWad - lossIndexSnapshotWad)), WAD);
}

/**
 * |size| × price, the notional used for margin requirements (USD, 1e18).
 * Rounded up: requirements are computed on at least the exact notional.
 * Mirrors `PositionMath.notionalUsd` in contracts/libraries/PositionMath.sol.
 */
export function notionalUsd(size: bigint, priceWad: bigint): bigint {
  return divCeilU(uint256(abs(size) * priceWad), WAD);
}

/**
 * Margin requirement of a notional under progressive (marginal) tiers: each tier's rate applies only to
 * the part of the notional above its floor. Excludes the flat keeper reward.
 * Rounded up: the protocol asks for at least the exact requirement.
 * Mirrors `PositionMath.tieredMarginUsd` in contracts/libraries/PositionMath.sol.
 * @param tiers Sorted by strictly increasing `notionalFloorUsd`, the first floor being 0.
 * @param initial True for the initial margin rate, false for the maintenance rate.
 */
export function tieredMarginUsd(tiers: readonly MarginTier[], notional: bigint, initial: boolean): bigint {
  let weightedBpsUsd = 0n;
  const tierCount = tiers.length;
  for (let i = 0; i < tierCount; ++i) {
    const floor = tiers[i].notionalFloorUsd;
    if (notional <= floor) break;
    const ceiling = i + 1 < tierCount ? tiers[i + 1].notionalFloorUsd : UINT256_MAX;
    const portion = uint256((notional < ceiling ? notional : ceiling) - floor);
    const rateBps = initial ? tiers[i].initialMarginBps : tiers[i].maintenanceMarginBps;
    weightedBpsUsd = uint256(weightedBpsUsd + uint256(portion * rateBps));
  }
  return divCeilU(weightedBpsUsd, BPS);
}

/**
 * Maintenance requirement: tiered maintenance margin plus the flat keeper reward (USD, 1e18).
 * Mirrors `PositionMath.maintenanceRequirementUsd` in contracts/libraries/PositionMath.sol.
 */
export function maintenanceRequirementUsd(
  tiers: readonly MarginTier[],
  notional: bigint,
  keeperRewardUsd: bigint,
): bigint {
  return uint256(tieredMarginUsd(tiers, notional, false) + keeperRewardUsd);
}

/**
 * Initial requirement: tiered initial margin plus the flat keeper reward (USD, 1e18).
 * Mirrors `PositionMath.initialRequirementUsd` in contracts/libraries/PositionMath.sol.
 */
export function initialRequirementUsd(tiers: readonly MarginTier[], notional: bigint, keeperRewardUsd: bigint): bigint {
  return uint256(tieredMarginUsd(tiers, notional, true) + keeperRewardUsd);
}

/**
 * Fill price of a trade of `sizeDelta` against the vault:
 * `price × (1 + (skewBefore + skewAfter) / (2 × skewScale))`.
 * Rounded against the trader: buys round up, sells round down. Returns ≤ 0 when a sell is so large
 * against a short skew that the formula breaks down; callers must reject that.
 * Mirrors `PositionMath.fillPriceWad` in contracts/libraries/PositionMath.sol.
 */
export function fillPriceWad(priceWad: bigint, skew: bigint, sizeDelta: bigint, skewScale: bigint): bigint {
  const numerator = int256(toInt256(priceWad) * int256(int256(2n * skew) + sizeDelta));
  const denominator = int256(2n * toInt256(skewScale));
  const adjustment = sizeDelta > 0n ? divCeil(numerator, denominator) : divFloor(numerator, denominator);
  return int256(toInt256(priceWad) + adjustment);
}

/**
 * Taker fee on a trade: |sizeDelta| × fill × feeBps (USD, 1e18).
 * Rounded up: the trader pays at least the exact fee.
 * Mirrors `PositionMath.takerFeeUsd` in contracts/libraries/PositionMath.sol.
 */
export function takerFeeUsd(sizeDelta: bigint, fillPrice: bigint, takerFeeBps: bigint): bigint {
  return divCeilU(uint256(uint256(abs(sizeDelta) * fillPrice) * takerFeeBps), WAD * BPS);
}

/**
 * Size-weighted average entry after adding `addedSize` (same sign as `size`) at `fillPrice`.
 * Rounded against the holder: a long's entry rounds up, a short's rounds down.
 * Mirrors `PositionMath.increasedEntryPriceWad` in contracts/libraries/PositionMath.sol.
 */
export function increasedEntryPriceWad(
  size: bigint,
  entryPriceWad: bigint,
  addedSize: bigint,
  fillPrice: bigint,
): bigint {
  const oldAbs = abs(size);
  const addedAbs = abs(addedSize);
  const weighted = uint256(uint256(oldAbs * entryPriceWad) + uint256(addedAbs * fillPrice));
  const total = uint256(oldAbs + addedAbs);
  return addedSize > 0n ? divCeilU(weighted, total) : udiv(weighted, total);
}

/**
 * Funding rate per day (1e18 = 100% of notional per day) at a given skew: proportional to
 * skew / skewScale, clamped to ±maxFundingRatePerDayWad. Positive: longs pay shorts.
 * Truncates toward zero; the rate is shared by both sides, so its rounding moves no value.
 * Mirrors `PositionMath.fundingRatePerDayWad` in contracts/libraries/PositionMath.sol.
 */
export function fundingRatePerDayWad(skew: bigint, skewScale: bigint, maxFundingRatePerDayWad: bigint): bigint {
  let proportional = sdiv(int256(skew * WAD_INT), toInt256(skewScale));
  if (proportional > WAD_INT) proportional = WAD_INT;
  if (proportional < -WAD_INT) proportional = -WAD_INT;
  return sdiv(int256(proportional * toInt256(maxFundingRatePerDayWad)), WAD_INT);
}

/**
 * Increase of the cumulative funding index (USD per base unit, 1e18) over `elapsedSeconds`.
 * Truncates toward zero; the index is shared, so its rounding moves no value between sides.
 * Mirrors `PositionMath.fundingIndexDeltaWad` in contracts/libraries/PositionMath.sol.
 */
export function fundingIndexDeltaWad(ratePerDayWad: bigint, priceWad: bigint, elapsedSeconds: bigint): bigint {
  return sdiv(int256(int256(ratePerDayWad * toInt256(priceWad)) * toInt256(elapsedSeconds)), WAD_INT * SECONDS_PER_DAY);
}
