// The OLD waterfall rule, for `npm run fuzz:old-rule` only (FUZZ_WATERFALL=old): nothing is absorbed by the vault;
// whatever the insurance fund and ADL leave is socialized over the opposite side INCLUDING the vault's position on
// that side (the vault simply bears its share; with nobody on that side the vault bears it all). The run compiles
// a copy of the contracts with exactly this rule in LiquidationLogic (test/fuzz/oldRule.ts patches `_splitRest`
// and `_socialize`), so model and chain still agree and the invariants judge the old rule. It must break
// invariant_noBystanderPushedBelowZeroWhileTheVaultCovers.
import { WAD, divCeilU, type LiquidationResult, type MarketState } from "../../../sdk/math";

/**
 * Rewrites `r` (the SDK's result under the current rule) into the old rule's: the same books (the vault's cash
 * took the rest either way), the split and the charged side's loss index recomputed. `stateBefore` is the market
 * state before the liquidation (its loss indices are the ones the liquidation started from).
 */
export function toOldWaterfall(
  r: LiquidationResult,
  stateBefore: MarketState,
  bankruptSize: bigint,
): LiquidationResult {
  if (r.restSplitRule === undefined || !r.liquidated) return r;
  const restUsd = r.vaultPaidUsd + r.socializedUsd;
  const chargeLongs = bankruptSize < 0n;
  const net = r.state.netSize;
  const vaultOnSide = chargeLongs ? (net < 0n ? -net : 0n) : net > 0n ? net : 0n;
  const openInterest = (chargeLongs ? r.state.longOpenInterest : r.state.shortOpenInterest) + vaultOnSide;
  const preIndex = chargeLongs ? stateBefore.longLossIndexWad : stateBefore.shortLossIndexWad;
  const state = { ...r.state };
  if (chargeLongs) state.longLossIndexWad = preIndex;
  else state.shortLossIndexWad = preIndex;
  if (openInterest === 0n) {
    return {
      ...r,
      state,
      vaultPaidUsd: restUsd,
      socializedUsd: 0n,
      socialization: undefined,
      liquidated: { ...r.liquidated, vaultPaidUsd: restUsd, socializedUsd: 0n },
    };
  }
  const indexWad = preIndex + divCeilU(restUsd * WAD, openInterest);
  if (chargeLongs) state.longLossIndexWad = indexWad;
  else state.shortLossIndexWad = indexWad;
  return {
    ...r,
    state,
    vaultPaidUsd: 0n,
    socializedUsd: restUsd,
    socialization: {
      chargedSideIsLong: chargeLongs,
      amountUsd: restUsd,
      openInterestCharged: openInterest,
      lossIndexWad: indexWad,
    },
    liquidated: { ...r.liquidated, vaultPaidUsd: 0n, socializedUsd: restUsd },
  };
}
