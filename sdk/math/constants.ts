/**
 * Protocol constants, mirrored one to one from
 * [`contracts/libraries/Constants.sol`](../../contracts/libraries/Constants.sol) (same names, same values).
 * Units are stated on each constant as in the Solidity file.
 */

/** 1e18: prices (USD per base unit), sizes (base units) and USD amounts are all scaled by this. */
export const WAD = 10n ** 18n;
/** Signed WAD for int256 arithmetic (a distinct name only to match `WAD_INT` in Solidity). */
export const WAD_INT = 10n ** 18n;
/** Basis points in one: fees, margin rates and shares are expressed in bps of 10_000. */
export const BPS = 10_000n;
/** Funding rates are quoted per day; accrual is per second. */
export const SECONDS_PER_DAY = 86_400n;
/** Collateral is accounted in 18 decimals internally; tokens with more decimals are not supported. */
export const INTERNAL_DECIMALS = 18n;
/** Upper bound on listed markets: vault valuation loops over all of them. */
export const MAX_MARKETS = 16n;
/** Upper bound on margin tiers per market: requirement computation loops over them. */
export const MAX_MARGIN_TIERS = 8n;
/** Hard cap on the taker fee (10%). */
export const MAX_TAKER_FEE_BPS = 1_000n;
/** Hard cap on a margin rate (100% of notional). */
export const MAX_MARGIN_RATE_BPS = 10_000n;
/** Hard cap on the funding rate (100% of notional per day), 1e18-scaled. */
export const MAX_FUNDING_RATE_PER_DAY_WAD = 10n ** 18n;
/** Hard cap on the liquidation penalty (10% of closed notional). */
export const MAX_LIQUIDATION_PENALTY_BPS = 1_000n;
/** Hard cap on counterparties one ADL walk may deleverage: bounds the gas of a liquidation. */
export const MAX_ADL_STEPS = 64n;
/** Hard cap on unprofitable queue entries one ADL walk may pass over (`AdlConfig.maxSkips`). */
export const MAX_ADL_SKIPS = 1_024n;
/**
 * Vault-protection steps a trade, close or funding poke runs when the vault's loss in its market is over the
 * upper threshold (also bounded by the ADL config's maxSteps).
 */
export const VAULT_PROTECTION_STEPS_PER_ACTION = 4n;

// ───────────── EVM integer bounds (Solidity's `type(T).max` / `type(T).min`) ─────────────

/** `type(int256).max`. */
export const INT256_MAX = 2n ** 255n - 1n;
/** `type(int256).min`. */
export const INT256_MIN = -(2n ** 255n);
/** `type(uint256).max`. */
export const UINT256_MAX = 2n ** 256n - 1n;
/** `type(uint128).max`: bound of `MarginTier.notionalFloorUsd` and several `MarketParams` fields. */
export const UINT128_MAX = 2n ** 128n - 1n;
/** `type(uint64).max`: bound of `MarketParams.maxFundingRatePerDayWad`. */
export const UINT64_MAX = 2n ** 64n - 1n;
/** `type(uint16).max`: bound of every bps field. */
export const UINT16_MAX = 2n ** 16n - 1n;
