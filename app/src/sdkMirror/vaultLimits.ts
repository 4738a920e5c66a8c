/**
 * SDK candidate (to move into `sdk/math/engineMath.ts`): `vaultRequiredEquityUsd` split into its two parts,
 * so LPs can see *why* their withdrawal is limited. Mirrors `PerpEngine._vaultRequiredEquityUsd` and
 * `PerpEngine.maxVaultWithdrawalUsd` in [`contracts/PerpEngine.sol`](../../../contracts/PerpEngine.sol)
 * step by step (same rounding); `test/app/vaultLimits.test.ts` checks the sum against the SDK's
 * `vaultRequiredEquityUsd` and the contract's views.
 */
import {
  BPS,
  divCeilU,
  notionalUsd,
  vaultEquityUsd,
  vaultRequiredEquityUsd,
  type VaultMarketInput,
} from "../../../sdk/math";

export type VaultMarket = VaultMarketInput & { marketId: string };

/** The equity the vault must keep before LPs can withdraw, in its two parts (USD, 1e18). */
export interface VaultRequirementBreakdown {
  /** The largest equity any market's exposure cap needs: ⌈|skew| × price × BPS / maxVaultExposureBps⌉. */
  exposureNeedUsd: bigint;
  /** The market whose exposure cap sets `exposureNeedUsd` (null when no market is skewed). */
  exposureMarketId: string | null;
  /** Σ markets ⌈gross OI notional × vaultReserveBps / BPS⌉: the reserve on gross open interest. */
  reserveUsd: bigint;
  /** exposureNeedUsd + reserveUsd, equal to `vaultRequiredEquityUsd`. */
  requiredUsd: bigint;
}

/** Mirrors `PerpEngine._vaultRequiredEquityUsd`, keeping the parts apart. */
export function vaultRequirementBreakdown(markets: readonly VaultMarket[]): VaultRequirementBreakdown {
  let exposureNeedUsd = 0n;
  let exposureMarketId: string | null = null;
  let reserveUsd = 0n;
  for (const { marketId, state, params, priceWad } of markets) {
    const grossOpenInterest = state.longOpenInterest + state.shortOpenInterest;
    if (grossOpenInterest === 0n) continue;
    reserveUsd += divCeilU(notionalUsd(grossOpenInterest, priceWad) * params.vaultReserveBps, BPS);
    if (state.netSize === 0n) continue;
    const neededUsd = divCeilU(notionalUsd(state.netSize, priceWad) * BPS, params.maxVaultExposureBps);
    if (neededUsd > exposureNeedUsd) {
      exposureNeedUsd = neededUsd;
      exposureMarketId = marketId;
    }
  }
  const requiredUsd = exposureNeedUsd + reserveUsd;
  // The SDK's one-number mirror must agree; a mismatch means this file drifted from the contract.
  const sdkRequiredUsd = vaultRequiredEquityUsd(markets);
  if (sdkRequiredUsd !== requiredUsd) {
    throw new Error(`vaultRequirementBreakdown drifted: ${requiredUsd} ≠ SDK ${sdkRequiredUsd}`);
  }
  return { exposureNeedUsd, exposureMarketId, reserveUsd, requiredUsd };
}

/** What bounds the vault's payout to LPs right now. */
export type VaultPayoutBound =
  /** Equity (gains excluded) is at or below what the caps and reserve need: nothing can be paid. */
  | "requirement-exhausted"
  /** Cash is not positive: the vault owes realised profit that its open positions still cover. */
  | "no-cash"
  /** The equity above the requirement is the bound (the exposure caps and the reserve bind). */
  | "requirement"
  /** The vault's cash is the bound. */
  | "cash";

export interface VaultPayoutLimit {
  /** `maxVaultWithdrawalUsd`: the most the vault can pay LPs now (USD, 1e18). */
  maxPayoutUsd: bigint;
  /** Withdrawal-side equity: unrealised gains excluded per market (USD, 1e18). */
  equityUsd: bigint;
  breakdown: VaultRequirementBreakdown;
  bound: VaultPayoutBound;
}

/** Mirrors `PerpEngine.maxVaultWithdrawalUsd` and says which term binds. */
export function vaultPayoutLimit(
  vaultCashUsd: bigint,
  markets: readonly VaultMarket[],
  nowSeconds: bigint,
): VaultPayoutLimit {
  const equityUsd = vaultEquityUsd(vaultCashUsd, markets, nowSeconds, false);
  const breakdown = vaultRequirementBreakdown(markets);
  if (equityUsd <= breakdown.requiredUsd) {
    return { maxPayoutUsd: 0n, equityUsd, breakdown, bound: "requirement-exhausted" };
  }
  if (vaultCashUsd <= 0n) return { maxPayoutUsd: 0n, equityUsd, breakdown, bound: "no-cash" };
  const headroomUsd = equityUsd - breakdown.requiredUsd;
  return headroomUsd < vaultCashUsd
    ? { maxPayoutUsd: headroomUsd, equityUsd, breakdown, bound: "requirement" }
    : { maxPayoutUsd: vaultCashUsd, equityUsd, breakdown, bound: "cash" };
}
