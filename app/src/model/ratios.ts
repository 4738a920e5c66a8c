/**
 * Display ratios the contracts compare but never store as a number: the margin ratio (equity / notional,
 * the quantity `_checkAction`'s reduce rule keeps from falling) and a trade's price impact against the
 * oracle price. Both are rounded toward zero; they are shown, never used to decide anything.
 */
import { WAD } from "../../../sdk/math";

/** equity / notional, 1e18 = 100%; 0 for a zero notional. */
export function marginRatioWad(equityUsd: bigint, notionalUsd: bigint): bigint {
  return notionalUsd === 0n ? 0n : (equityUsd * WAD) / notionalUsd;
}

/** (fill − oracle) / oracle, 1e18 = 100%: positive when the fill is above the oracle price. */
export function priceImpactWad(fillPriceWad: bigint, oraclePriceWad: bigint): bigint {
  return oraclePriceWad === 0n ? 0n : ((fillPriceWad - oraclePriceWad) * WAD) / oraclePriceWad;
}
