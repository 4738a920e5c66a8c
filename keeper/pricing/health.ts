/**
 * A mirrored position's health at a price and a block time, with the SDK's math: equity as
 * `PerpEngine.positionEquity` computes it and the maintenance requirement of
 * `MarketLogic.maintenanceRequirementUsd` (contracts/libraries/MarketLogic.sol), including a maintenance raise
 * that is being phased in (the SDK's `rampedMaintenanceRequirementUsd`).
 */
import { currentFundingIndexWad, positionEquityUsd, rampedMaintenanceRequirementUsd } from "../../sdk/math/engineMath";
import { notionalUsd } from "../../sdk/math/positionMath";
import type { MarketState, Position } from "../../sdk/math/types";
import type { MarketMirror } from "../mirror/marketMirror";

/** The SDK's ramped maintenance requirement on the mirrored market's schedules. */
export function maintenanceRequirementWithRampUsd(
  market: MarketMirror,
  size: bigint,
  priceWad: bigint,
  nowSeconds: bigint,
): bigint {
  const notional = notionalUsd(size, priceWad);
  const { tiers, params, previousTiers, ramp } = market;
  return rampedMaintenanceRequirementUsd(tiers, params.keeperRewardUsd, previousTiers, ramp, notional, nowSeconds);
}

/** The funding index `positionEquity` uses at `nowSeconds`: frozen once the market is settled. */
export function fundingIndexAt(market: MarketMirror, priceWad: bigint, nowSeconds: bigint): bigint {
  return currentFundingIndexWad(market.state, market.params, priceWad, nowSeconds, market.settlementPriceWad);
}

export interface MirroredHealth {
  equityUsd: bigint;
  maintenanceRequirementUsd: bigint;
  /** equity < requirement (equality is healthy); false for an empty position. */
  isLiquidatable: boolean;
}

/**
 * `PerpEngine.positionEquity` (+ `isLiquidatable`) of a mirrored position. `fundingIndexWad` is
 * `fundingIndexAt(market, priceWad, nowSeconds)`, computed once per market by callers that check many positions.
 */
export function mirroredHealth(
  market: MarketMirror,
  state: MarketState,
  position: Position,
  priceWad: bigint,
  nowSeconds: bigint,
  fundingIndexWad: bigint,
): MirroredHealth {
  const equityUsd = positionEquityUsd(state, position, priceWad, fundingIndexWad);
  const requirementUsd =
    position.size === 0n ? 0n : maintenanceRequirementWithRampUsd(market, position.size, priceWad, nowSeconds);
  return {
    equityUsd,
    maintenanceRequirementUsd: requirementUsd,
    isLiquidatable: position.size !== 0n && equityUsd < requirementUsd,
  };
}
