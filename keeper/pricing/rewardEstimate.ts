/**
 * What a liquidation pays its keeper, estimated from the mirrored position for the profitability check: the flat
 * `keeperRewardUsd` from the position's margin (the insurance fund tops up what a gap left short, up to its
 * balance) plus `keeperPenaltyShareBps` of the penalty (`penaltyUsd` of the closed notional, capped at what is
 * left after the flat reward). The estimate assumes a full close at the oracle price; the exact amount is read
 * from the `Liquidated` event afterwards. When the SDK's `simulateLiquidation` mirrors the new execution price
 * (branch `mirror`), this file can call it instead (its `keeperRewardUsd` does not depend on the ADL walk).
 */
import { BPS } from "../../sdk/math/constants";
import { penaltyUsd } from "../../sdk/math/liquidationMath";
import type { MarketParams, Position } from "../../sdk/math/types";

export function estimateKeeperRewardUsd(
  params: MarketParams,
  position: Position,
  priceWad: bigint,
  equityUsd: bigint,
  insuranceFundUsd: bigint,
): bigint {
  const flatUsd = params.keeperRewardUsd;
  const fromMarginUsd = equityUsd <= 0n ? 0n : equityUsd < flatUsd ? equityUsd : flatUsd;
  const shortfallUsd = flatUsd - fromMarginUsd;
  const topUpUsd = shortfallUsd < insuranceFundUsd ? shortfallUsd : insuranceFundUsd;
  const leftUsd = equityUsd - fromMarginUsd > 0n ? equityUsd - fromMarginUsd : 0n;
  const fullPenaltyUsd = penaltyUsd(position.size, priceWad, params.liquidationPenaltyBps);
  const chargedPenaltyUsd = fullPenaltyUsd < leftUsd ? fullPenaltyUsd : leftUsd;
  return fromMarginUsd + topUpUsd + (chargedPenaltyUsd * params.keeperPenaltyShareBps) / BPS;
}
