/**
 * The mirrored state of one market: the engine's `MarketConfig` (oracle, parameters, tiers, the maintenance
 * ramp, settlement) and its `MarketState` aggregates, all rebuilt from events. Plain data (bigints), so it can be
 * copied for the undo journal and written to the checkpoint.
 */
import type { MarginTier, MarketParams, MarketState } from "../../sdk/math/types";
import { MirrorError } from "../errors";
import type { MarketParamsFields } from "./engineEvents";

export interface MaintenanceRampMirror {
  startTime: bigint;
  endTime: bigint;
  previousKeeperRewardUsd: bigint;
}

export interface MarketMirror {
  marketId: string;
  oracle: string;
  params: MarketParams;
  tiers: MarginTier[];
  /** The schedule a maintenance raise phases in from (`EngineState.previousTiers`). */
  previousTiers: MarginTier[];
  ramp: MaintenanceRampMirror;
  state: MarketState;
  settlementPriceWad: bigint;
  reduceOnly: boolean;
}

/** The fields of `MarketParams` the keeper's math reads; an event without them is a different ABI. */
const REQUIRED_PARAMS = ["keeperRewardUsd", "skewScale", "maxFundingRatePerDayWad", "minPositionMarginUsd"] as const;

/** The event's struct as the SDK's `MarketParams` (the SDK type follows the contract's struct field by field). */
export function toSdkParams(fields: MarketParamsFields): MarketParams {
  for (const key of REQUIRED_PARAMS) {
    if (typeof fields[key] !== "bigint") throw new MirrorError("MarketParams event without a field", { field: key });
  }
  return { ...fields } as unknown as MarketParams;
}

export function emptyMarketState(lastFundingTimestamp: bigint): MarketState {
  return {
    netSize: 0n,
    longOpenInterest: 0n,
    shortOpenInterest: 0n,
    sumSizeTimesEntry: 0n,
    sumSizeTimesFundingSnapshot: 0n,
    fundingIndexWad: 0n,
    lastFundingTimestamp,
    longLossIndexWad: 0n,
    shortLossIndexWad: 0n,
    sumLongSizeTimesLossSnapshot: 0n,
    sumShortSizeTimesLossSnapshot: 0n,
  };
}

export function cloneMarket(market: MarketMirror): MarketMirror {
  return {
    ...market,
    params: { ...market.params },
    tiers: market.tiers.map((tier) => ({ ...tier })),
    previousTiers: market.previousTiers.map((tier) => ({ ...tier })),
    ramp: { ...market.ramp },
    state: { ...market.state },
  };
}
