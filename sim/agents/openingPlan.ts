/**
 * How a trader opens its position: size from its notional at the oracle price, margin from its leverage —
 * raised, when needed, to what the engine's initial-margin check asks (tiered IM + keeper reward, counting
 * the fee and the skew impact as losses; DESIGN §4). The SDK computes every term the contract checks.
 */
import { parseUnits } from "ethers";
import { BPS, WAD } from "../../sdk/math/constants";
import { fillPriceWad, initialRequirementUsd, notionalUsd, takerFeeUsd } from "../../sdk/math/positionMath";
import type { MarginTier, MarketParams } from "../../sdk/math/types";

/** Extra margin over the exact IM need, in bps of notional: other trades of the step move the skew first. */
export const OPEN_MARGIN_BUFFER_BPS = 25n;
/** Worst fill a trader accepts, in bps beyond the fill it expects. */
export const SLIPPAGE_TOLERANCE_BPS = 100n;
/** Decimal places kept when a drawn USD number becomes a bigint (micro-dollars). */
const USD_INPUT_DECIMALS = 6;

export interface OpeningPlan {
  sizeDelta: bigint;
  marginUsd: bigint;
  acceptablePrice: bigint;
  /** Notional / margin actually opened with. */
  effectiveLeverage: number;
}

/** A drawn USD amount as a 1e18 bigint. */
export function usdWad(amount: number): bigint {
  return parseUnits(amount.toFixed(USD_INPUT_DECIMALS), 18);
}

/** The acceptable price for a trade expected to fill at `fill`. */
export function acceptablePriceFor(fill: bigint, isBuy: boolean): bigint {
  return isBuy ? (fill * (BPS + SLIPPAGE_TOLERANCE_BPS)) / BPS : (fill * (BPS - SLIPPAGE_TOLERANCE_BPS)) / BPS;
}

export function planOpening(
  input: { isLong: boolean; notionalUsd: number; leverage: number },
  market: { params: MarketParams; tiers: readonly MarginTier[] },
  priceWad: bigint,
  skew: bigint,
): OpeningPlan {
  const targetNotional = usdWad(input.notionalUsd);
  const sizeAbs = (targetNotional * WAD) / priceWad;
  const sizeDelta = input.isLong ? sizeAbs : -sizeAbs;
  const notional = notionalUsd(sizeDelta, priceWad);
  const fill = fillPriceWad(priceWad, skew, sizeDelta, market.params.skewScale);
  const fee = takerFeeUsd(sizeDelta, fill, market.params.takerFeeBps);
  const adverse = input.isLong ? fill - priceWad : priceWad - fill;
  const impactLoss = adverse > 0n ? (sizeAbs * adverse) / WAD + 1n : 0n;
  const required =
    initialRequirementUsd(market.tiers, notional, market.params.keeperRewardUsd) +
    fee +
    impactLoss +
    (notional * OPEN_MARGIN_BUFFER_BPS) / BPS;
  const fromLeverage = usdWad(input.notionalUsd / input.leverage);
  let marginUsd = fromLeverage > required ? fromLeverage : required;
  const minimum = market.params.minPositionMarginUsd + fee;
  if (marginUsd < minimum) marginUsd = minimum;
  return {
    sizeDelta,
    marginUsd,
    acceptablePrice: acceptablePriceFor(fill, input.isLong),
    effectiveLeverage: Number((notional * 1000n) / marginUsd) / 1000,
  };
}
