/**
 * A mirrored position's health at a price and a block time, with the SDK's math: equity as
 * `PerpEngine.positionEquity` computes it and the maintenance requirement of
 * `MarketLogic.maintenanceRequirementUsd` (contracts/libraries/MarketLogic.sol), including a maintenance raise
 * that is being phased in. Only `maintenanceRequirementWithRampUsd` is new math (the SDK has no mirror of the
 * ramp yet): it is written here one to one from the Solidity and listed in the keeper's README for the SDK.
 */
import { currentFundingIndexWad, positionEquityUsd } from "../../sdk/math/engineMath";
import { maintenanceRequirementUsd, notionalUsd } from "../../sdk/math/positionMath";
import type { MarketState, Position } from "../../sdk/math/types";
import type { MarketMirror } from "../mirror/marketMirror";

/**
 * Mirrors `MarketLogic.maintenanceRequirementUsd`: tiered maintenance margin plus the keeper reward; during a
 * raise (`nowSeconds < ramp.endTime`) the requirement moves linearly from the previous schedule's to the
 * current one's, rounded down, and a lower current schedule applies at once.
 */
export function maintenanceRequirementWithRampUsd(
  market: MarketMirror,
  size: bigint,
  priceWad: bigint,
  nowSeconds: bigint,
): bigint {
  const notional = notionalUsd(size, priceWad);
  const targetUsd = maintenanceRequirementUsd(market.tiers, notional, market.params.keeperRewardUsd);
  const ramp = market.ramp;
  if (nowSeconds >= ramp.endTime) return targetUsd;
  const previousUsd = maintenanceRequirementUsd(market.previousTiers, notional, ramp.previousKeeperRewardUsd);
  if (targetUsd <= previousUsd) return targetUsd;
  return previousUsd + ((targetUsd - previousUsd) * (nowSeconds - ramp.startTime)) / (ramp.endTime - ramp.startTime);
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
