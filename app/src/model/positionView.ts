/**
 * What the Positions screen shows for one open position, all from the SDK at one block: unrealised PnL,
 * equity against the maintenance requirement, margin ratio, effective leverage, the liquidation price the
 * engine's `liquidationPrice` view returns, funding and socialized loss owed, and the ADL lights.
 */
import {
  currentFundingIndexWad,
  liquidationPrice,
  notionalUsd,
  owedUsd,
  positionHealth,
  unrealizedPnlUsd,
  type Position,
} from "../../../sdk/math";
import { effectiveLeverage } from "../../../sdk/adl/adlMath";
import type { AdlLightReading, MarketSnapshot, PositionSnapshot } from "../chain/snapshots";
import { marginRatioWad } from "./ratios";
import { settlementPayoutUsd, stateForValuation } from "./settlement";

export interface PositionView {
  marketId: string;
  symbol: string;
  baseAsset: string;
  side: "long" | "short";
  /** Base units, 1e18 (signed). */
  sizeWad: bigint;
  entryPriceWad: bigint;
  markPriceWad: bigint;
  notionalUsd: bigint;
  unrealizedPnlUsd: bigint;
  /** Stored margin (before funding and loss owed are settled). */
  marginUsd: bigint;
  /** margin + PnL − funding owed − loss owed: `positionEquity`. */
  equityUsd: bigint;
  maintenanceRequirementUsd: bigint;
  /** equity / notional (1e18 = 100%). */
  marginRatioWad: bigint;
  /** notional / equity (1e18 = 1x); null at or past bankruptcy. */
  leverageWad: bigint | null;
  /** The engine's `liquidationPrice` view (0 when no positive price liquidates). */
  liquidationPriceWad: bigint;
  /** Funding owed since the last settlement (+ = the position pays). */
  fundingOwedUsd: bigint;
  /** Socialized loss owed since the last settlement. */
  lossOwedUsd: bigint;
  isLiquidatable: boolean;
  adl: AdlLightReading;
  /** The market's settlement price, 0 while it trades normally. */
  settlementPriceWad: bigint;
  /** What `closeSettledPosition` would credit (null unless the market is settled). */
  settlementPayoutUsd: bigint | null;
}

/** The position's view, or null when it is flat or its market's price is invalid. */
export function positionView(
  snapshot: PositionSnapshot,
  market: MarketSnapshot,
  nowSeconds: bigint,
): PositionView | null {
  const position: Position = snapshot.position;
  if (position.size === 0n || !market.price.ok) return null;
  const priceWad = market.price.priceWad;
  const { params, tiers } = market;
  const state = stateForValuation(market, nowSeconds);
  const fundingIndexWad = currentFundingIndexWad(state, params, priceWad, nowSeconds, market.settlementPriceWad);
  const owed = owedUsd(state, position, fundingIndexWad);
  const health = positionHealth(state, position, priceWad, fundingIndexWad, tiers, params.keeperRewardUsd);
  const notional = notionalUsd(position.size, priceWad);
  const leverage = effectiveLeverage(position, priceWad, {
    fundingIndexWad,
    longLossIndexWad: state.longLossIndexWad,
    shortLossIndexWad: state.shortLossIndexWad,
  });
  return {
    marketId: market.entry.marketId,
    symbol: market.entry.symbol,
    baseAsset: market.baseAsset,
    side: position.size > 0n ? "long" : "short",
    sizeWad: position.size,
    entryPriceWad: position.entryPriceWad,
    markPriceWad: priceWad,
    notionalUsd: notional,
    unrealizedPnlUsd: unrealizedPnlUsd(position.size, position.entryPriceWad, priceWad),
    marginUsd: position.marginUsd,
    equityUsd: health.equityUsd,
    maintenanceRequirementUsd: health.maintenanceRequirementUsd,
    marginRatioWad: marginRatioWad(health.equityUsd, notional),
    leverageWad: leverage.leverageWad,
    liquidationPriceWad: liquidationPrice(state, params, tiers, position, priceWad, nowSeconds),
    fundingOwedUsd: owed.fundingOwedUsd,
    lossOwedUsd: owed.lossOwedUsd,
    isLiquidatable: health.isLiquidatable && market.settlementPriceWad === 0n,
    adl: snapshot.adl,
    settlementPriceWad: market.settlementPriceWad,
    settlementPayoutUsd: market.settlementPriceWad === 0n ? null : settlementPayoutUsd(market, position),
  };
}
