/**
 * Collateral token units ↔ the engine's USD (1e18). The engine multiplies token amounts by
 * `collateralScale = 10^(18 − decimals)` (1 token = 1 USD); this mirrors that scale for inputs and "max"
 * buttons. USD → tokens rounds down, like every credit the engine makes.
 */
const INTERNAL_DECIMALS = 18n;

export function collateralScale(tokenDecimals: number): bigint {
  return 10n ** (INTERNAL_DECIMALS - BigInt(tokenDecimals));
}

/** Token units → USD (1e18), exact. Mirrors `tokenAmount * collateralScale` in PerpEngine.sol. */
export function usdFromTokens(tokenAmount: bigint, tokenDecimals: number): bigint {
  return tokenAmount * collateralScale(tokenDecimals);
}

/** USD (1e18) → whole token units, rounded down (the most a free balance can withdraw). */
export function tokensFromUsdDown(usdWad: bigint, tokenDecimals: number): bigint {
  return usdWad / collateralScale(tokenDecimals);
}
