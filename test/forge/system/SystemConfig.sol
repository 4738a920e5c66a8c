// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {MarginTier, MarketParams, AdlConfig, GovernanceConfig} from "../../../contracts/interfaces/IPerpTypes.sol";
import {ChainlinkOracleAdapter} from "../../../contracts/oracle/ChainlinkOracleAdapter.sol";
import {AggregatorV3Interface} from "@chainlink/contracts/src/v0.8/shared/interfaces/AggregatorV3Interface.sol";

/// @title SystemConfig
/// @notice The deployment the campaign fuzzes: the local configuration of `deploy/config.ts` (LOCAL_CONFIG),
/// written out in Solidity because forge cannot run the TypeScript deployment — with one difference: BTC-USD
/// trades through delayed orders with the devnet's settings (DEVNET_ORDERS: 5 s delay, 5 min expiry, $0.50
/// fee), so that every run exercises both instant trading (ETH-USD) and two-step orders (BTC-USD). Keep the two in
/// step: a parameter changed there should change here.
library SystemConfig {
    uint256 internal constant USD = 1e18;
    uint256 internal constant UNIT = 1e18;

    // ── markets ──
    uint256 internal constant MARKET_COUNT = 2;
    uint8 internal constant FEED_DECIMALS = 8;
    /// @dev Initial feed answers (8 decimals): ETH-USD $2,000, BTC-USD $60,000.
    int256 internal constant ETH_INITIAL_ANSWER = 2_000e8;
    int256 internal constant BTC_INITIAL_ANSWER = 60_000e8;

    // ── oracle adapters ──
    uint256 internal constant HEARTBEAT_SECONDS = 1 hours;
    int256 internal constant MIN_ANSWER = 1;
    /// @dev $10M per unit in feed units: far above any listed asset.
    int256 internal constant MAX_ANSWER = 10_000_000e8;
    uint256 internal constant MAX_DEVIATION_BPS = 2_500;
    uint256 internal constant VOLATILITY_COOLDOWN_SECONDS = 5 minutes;

    // ── delayed orders (DEVNET_ORDERS, on BTC-USD) and the fee floor ──
    uint32 internal constant EXECUTION_DELAY_SECONDS = 5;
    uint32 internal constant ORDER_EXPIRY_SECONDS = 5 minutes;
    uint96 internal constant EXECUTION_FEE_USD = 0.5e18;
    uint16 internal constant ORACLE_DEVIATION_THRESHOLD_BPS = 10;
    /// @dev The market that trades through delayed orders.
    uint256 internal constant ORDERS_MARKET = 1;

    // ── ADL and governance ──
    uint128 internal constant ADL_MIN_QUEUE_NOTIONAL_USD = 100e18;
    uint16 internal constant ADL_MAX_STEPS = 16;
    uint16 internal constant ADL_MAX_SKIPS = 128;
    uint16 internal constant VAULT_LOSS_UPPER_BPS = 3_000;
    uint16 internal constant VAULT_LOSS_LOWER_BPS = 2_000;
    uint64 internal constant LIQUIDATION_GRACE_SECONDS = 1 hours;
    uint64 internal constant MAINTENANCE_RAMP_SECONDS = 7 days;
    uint256 internal constant INSURANCE_FUND_TARGET_USD = 50_000e18;

    function symbolOf(uint256 marketIndex) internal pure returns (string memory) {
        return marketIndex == 0 ? "ETH-USD" : "BTC-USD";
    }

    function initialAnswerOf(uint256 marketIndex) internal pure returns (int256) {
        return marketIndex == 0 ? ETH_INITIAL_ANSWER : BTC_INITIAL_ANSWER;
    }

    /// @dev ETH: OI cap 10,000 per side, skew scale 100,000, instant trading; BTC: 500 and 5,000, delayed orders.
    function paramsOf(uint256 marketIndex) internal pure returns (MarketParams memory params) {
        if (marketIndex == 0) return defaultParams(uint128(10_000 * UNIT), uint128(100_000 * UNIT));
        params = defaultParams(uint128(500 * UNIT), uint128(5_000 * UNIT));
        params.executionDelaySeconds = EXECUTION_DELAY_SECONDS;
        params.orderExpirySeconds = ORDER_EXPIRY_SECONDS;
        params.executionFeeUsd = EXECUTION_FEE_USD;
    }

    function defaultParams(uint128 maxOpenInterest, uint128 skewScale) internal pure returns (MarketParams memory) {
        return
            MarketParams({
                minPositionMarginUsd: uint128(10 * USD),
                keeperRewardUsd: uint128(2 * USD),
                maxOpenInterestPerSide: maxOpenInterest,
                skewScale: skewScale,
                maxFundingRatePerDayWad: 0.1e18,
                takerFeeBps: 5,
                insuranceFeeShareBps: 2_000,
                maxVaultExposureBps: 5_000,
                liquidationPenaltyBps: 100,
                keeperPenaltyShareBps: 2_500,
                liquidationBufferBps: 2_500,
                vaultReserveBps: 1_250,
                executionDelaySeconds: 0,
                orderExpirySeconds: 0,
                oracleDeviationThresholdBps: ORACLE_DEVIATION_THRESHOLD_BPS,
                executionFeeUsd: 0
            });
    }

    /// @dev Progressive tiers: 20x up to $1M notional, 10x to $5M, 5x above.
    function defaultTiers() internal pure returns (MarginTier[] memory tiers) {
        tiers = new MarginTier[](3);
        tiers[0] = MarginTier({notionalFloorUsd: 0, initialMarginBps: 500, maintenanceMarginBps: 250});
        tiers[1] = MarginTier({
            notionalFloorUsd: uint128(1_000_000 * USD),
            initialMarginBps: 1_000,
            maintenanceMarginBps: 500
        });
        tiers[2] = MarginTier({
            notionalFloorUsd: uint128(5_000_000 * USD),
            initialMarginBps: 2_000,
            maintenanceMarginBps: 1_000
        });
    }

    function adlConfig() internal pure returns (AdlConfig memory) {
        return
            AdlConfig({
                minQueueNotionalUsd: ADL_MIN_QUEUE_NOTIONAL_USD,
                maxSteps: ADL_MAX_STEPS,
                maxSkips: ADL_MAX_SKIPS,
                vaultLossUpperBps: VAULT_LOSS_UPPER_BPS,
                vaultLossLowerBps: VAULT_LOSS_LOWER_BPS
            });
    }

    function governanceConfig() internal pure returns (GovernanceConfig memory) {
        return
            GovernanceConfig({
                liquidationGracePeriodSeconds: LIQUIDATION_GRACE_SECONDS,
                maintenanceRampSeconds: MAINTENANCE_RAMP_SECONDS
            });
    }

    function oracleConfig(
        AggregatorV3Interface feed
    ) internal pure returns (ChainlinkOracleAdapter.OracleConfig memory) {
        return
            ChainlinkOracleAdapter.OracleConfig({
                feed: feed,
                heartbeatSeconds: HEARTBEAT_SECONDS,
                minAnswer: MIN_ANSWER,
                maxAnswer: MAX_ANSWER,
                sequencerUptimeFeed: AggregatorV3Interface(address(0)),
                sequencerGracePeriodSeconds: 0,
                maxDeviationBps: MAX_DEVIATION_BPS,
                volatilityCooldownSeconds: VOLATILITY_COOLDOWN_SECONDS
            });
    }
}
