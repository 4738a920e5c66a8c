// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @dev 1e18: prices (USD per base unit), sizes (base units) and USD amounts are all scaled by this.
uint256 constant WAD = 1e18;
/// @dev Signed WAD for int256 arithmetic.
int256 constant WAD_INT = 1e18;
/// @dev Basis points in one: fees, margin rates and shares are expressed in bps of 10_000.
uint256 constant BPS = 10_000;
/// @dev Funding rates are quoted per day; accrual is per second.
uint256 constant SECONDS_PER_DAY = 86_400;
/// @dev Collateral is accounted in 18 decimals internally; tokens with more decimals are not supported.
uint8 constant INTERNAL_DECIMALS = 18;
/// @dev Upper bound on listed markets: vault valuation loops over all of them, so the loop stays bounded.
uint256 constant MAX_MARKETS = 16;
/// @dev Upper bound on margin tiers per market: requirement computation loops over them.
uint256 constant MAX_MARGIN_TIERS = 8;
/// @dev Hard cap on the taker fee (10%): a fee above this is a misconfiguration, never a risk setting.
uint256 constant MAX_TAKER_FEE_BPS = 1_000;
/// @dev Hard cap on a margin rate (100% of notional).
uint256 constant MAX_MARGIN_RATE_BPS = 10_000;
/// @dev Hard cap on the funding rate (100% of notional per day).
uint256 constant MAX_FUNDING_RATE_PER_DAY_WAD = 1e18;
/// @dev Hard cap on the liquidation penalty (10% of closed notional).
uint256 constant MAX_LIQUIDATION_PENALTY_BPS = 1_000;
/// @dev Hard cap on counterparties one ADL walk may deleverage: bounds the gas of a liquidation.
uint256 constant MAX_ADL_STEPS = 64;
/// @dev Hard cap on unprofitable queue entries one ADL walk may pass over (about 7k gas each): bounds the gas
/// of a liquidation while making the queue's head expensive to fill with entries that switch ADL off.
uint256 constant MAX_ADL_SKIPS = 1_024;
/// @dev Vault-protection steps a trade or funding poke runs when the vault's loss in its market is over the
/// upper threshold (also bounded by the ADL config's maxSteps): enough to keep protection going while a market
/// is active without making a trader pay for a long walk; keepers' `deleverageVault` does the rest.
uint256 constant VAULT_PROTECTION_STEPS_PER_ACTION = 4;
/// @dev Longest grace period after liquidations are unpaused: a day is enough to add margin or close.
uint256 constant MAX_LIQUIDATION_GRACE_SECONDS = 1 days;
/// @dev A maintenance raise is phased in over at least an hour ...
uint256 constant MIN_MAINTENANCE_RAMP_SECONDS = 1 hours;
/// @dev ... and at most 30 days.
uint256 constant MAX_MAINTENANCE_RAMP_SECONDS = 30 days;
/// @dev Defaults set at construction (governance can change them within the bounds above).
uint64 constant DEFAULT_LIQUIDATION_GRACE_SECONDS = 1 hours;
uint64 constant DEFAULT_MAINTENANCE_RAMP_SECONDS = 7 days;
/// @dev Longest execution delay of an order: long enough for a pending feed update to land on any chain, short
/// enough that a trader is not held hostage.
uint256 constant MAX_EXECUTION_DELAY_SECONDS = 10 minutes;
/// @dev When orders are on, keepers get at least a minute to execute one ...
uint256 constant MIN_ORDER_EXPIRY_SECONDS = 1 minutes;
/// @dev ... and an order lives at most a day before it can only be cancelled.
uint256 constant MAX_ORDER_EXPIRY_SECONDS = 1 days;
/// @dev Hard cap on the execution fee (USD, 1e18): a keeper's gas, never a revenue line.
uint256 constant MAX_EXECUTION_FEE_USD = 100e18;
/// @dev Hard cap on the stated feed deviation threshold (10%).
uint256 constant MAX_ORACLE_DEVIATION_THRESHOLD_BPS = 1_000;
