/**
 * Settled markets (delisted at a final price): funding stops at settlement, and positions close through
 * `closeSettledPosition` at the settlement price, paid their equity there.
 *
 * The SDK's `currentFundingIndexWad` does not know about settlement (it keeps accruing), while
 * `MarketLogic.currentFundingIndexWad` returns the stored index once a market is settled. Evaluating a
 * settled market at its last accrual time (zero elapsed seconds) gives the contract's answer with the SDK's
 * functions unchanged.
 */
import { positionEquityUsd, type MarketState, type Position } from "../../../sdk/math";
import type { MarketSnapshot } from "../chain/snapshots";

/** The market state to evaluate at `nowSeconds`: funding frozen at the last accrual once settled. */
export function stateForValuation(market: MarketSnapshot, nowSeconds: bigint): MarketState {
  return market.settlementPriceWad === 0n ? market.state : { ...market.state, lastFundingTimestamp: nowSeconds };
}

/**
 * What `closeSettledPosition` credits the owner: the position's equity at the settlement price with funding
 * and socialized loss owed at the stored indices, or 0 when it is underwater (the fund and the vault cover
 * the rest). Mirrors `MarketAdminLogic._closeAtSettlement`.
 */
export function settlementPayoutUsd(market: MarketSnapshot, position: Position): bigint {
  const equityUsd = positionEquityUsd(market.state, position, market.settlementPriceWad, market.state.fundingIndexWad);
  return equityUsd > 0n ? equityUsd : 0n;
}
