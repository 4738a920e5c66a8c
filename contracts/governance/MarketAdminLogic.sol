// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {PositionStore} from "../libraries/PositionStore.sol";
import {IPerpEngine} from "../interfaces/IPerpEngine.sol";
import {IPriceOracle} from "../interfaces/IPriceOracle.sol";
import {
    MarginTier,
    MarketParams,
    Position,
    MarketState,
    MaintenanceRamp,
    AdlConfig,
    GovernanceConfig
} from "../interfaces/IPerpTypes.sol";
import {EngineState, MarketConfig} from "../libraries/EngineStorage.sol";
import {MarketLogic} from "../libraries/MarketLogic.sol";
import {PositionMath} from "../libraries/PositionMath.sol";
import {AdlLogic} from "../adl/AdlLogic.sol";
import {
    BPS,
    MAX_MARKETS,
    MAX_MARGIN_TIERS,
    MAX_TAKER_FEE_BPS,
    MAX_MARGIN_RATE_BPS,
    MAX_FUNDING_RATE_PER_DAY_WAD,
    MAX_LIQUIDATION_PENALTY_BPS,
    MAX_ADL_STEPS,
    MAX_ADL_SKIPS,
    MAX_LIQUIDATION_GRACE_SECONDS,
    MIN_MAINTENANCE_RAMP_SECONDS,
    MAX_MAINTENANCE_RAMP_SECONDS,
    MAX_EXECUTION_DELAY_SECONDS,
    MIN_ORDER_EXPIRY_SECONDS,
    MAX_ORDER_EXPIRY_SECONDS,
    MAX_EXECUTION_FEE_USD,
    MAX_ORACLE_DEVIATION_THRESHOLD_BPS
} from "../libraries/Constants.sol";

/// @title MarketAdminLogic
/// @notice The market lifecycle (DESIGN §11): listing, bounded parameter changes with a phased-in
/// maintenance raise, the guardian's risk-reducing levers, and settlement of a dead market at a final
/// price. Role checks stay in the engine; this external library (DELEGATECALL on the engine's storage)
/// keeps the engine under the 24 KiB limit.
library MarketAdminLogic {
    // ───────────────────────── listing and parameters ─────────────────────────

    /// @notice See PerpEngine.listMarket.
    function listMarket(
        EngineState storage st,
        bytes32 marketId,
        IPriceOracle oracle,
        MarketParams calldata params,
        MarginTier[] calldata tiers
    ) external {
        MarketConfig storage config = st.marketConfigs[marketId];
        if (address(config.oracle) != address(0)) revert IPerpEngine.MarketAlreadyListed(marketId);
        if (st.listedMarketIds.length >= MAX_MARKETS) revert IPerpEngine.TooManyMarkets(MAX_MARKETS);
        if (address(oracle) == address(0)) revert IPerpEngine.ParameterOutOfBounds("oracle", 0, 1, type(uint160).max);
        validateParams(params);
        validateTiers(tiers);
        // The adapter must answer now; a market whose price cannot be read would be unusable.
        oracle.latestPrice();

        config.oracle = oracle;
        config.params = params;
        _storeTiers(st.marginTiers[marketId], tiers);
        st.marketStates[marketId].lastFundingTimestamp = uint64(block.timestamp);
        st.listedMarketIds.push(marketId);
        emit IPerpEngine.MarketListed(marketId, oracle, params, tiers);
    }

    /// @notice See PerpEngine.setMarketParams. Funding accrues under the old parameters first. A
    /// maintenance raise (any tier boundary or the keeper reward higher than before) is phased in over
    /// `governance.maintenanceRampSeconds`; one raise at a time, cuts any time.
    function setMarketParams(
        EngineState storage st,
        bytes32 marketId,
        MarketParams calldata params,
        MarginTier[] calldata tiers
    ) external {
        MarketConfig storage config = MarketLogic.listedMarket(st, marketId);
        if (config.settlementPriceWad != 0) revert IPerpEngine.MarketIsSettled(marketId);
        validateParams(params);
        validateTiers(tiers);
        MarketState storage state = st.marketStates[marketId];
        uint256 largestSide =
            state.longOpenInterest > state.shortOpenInterest ? state.longOpenInterest : state.shortOpenInterest;
        // Existing open interest must stay below the skew scale, or fills of reducing trades could hit zero.
        if (params.skewScale <= largestSide) {
            revert IPerpEngine.ParameterOutOfBounds("skewScale", params.skewScale, largestSide + 1, type(uint128).max);
        }
        (uint256 priceWad, ) = MarketLogic.readPrice(marketId, config);
        MarketLogic.accrueFunding(state, config, marketId, priceWad);

        uint64 rampEndsAt;
        MarginTier[] storage current = st.marginTiers[marketId];
        if (_raisesMaintenance(current, tiers, config.params.keeperRewardUsd, params.keeperRewardUsd)) {
            // One raise at a time: the ramp's starting schedule must be one that actually applied. A cut
            // during a ramp is fine: the requirement is the minimum of the ramp and the new schedule.
            MaintenanceRamp storage ramp = st.maintenanceRamps[marketId];
            if (block.timestamp < ramp.endTime) revert IPerpEngine.MaintenanceRampInProgress(marketId, ramp.endTime);
            rampEndsAt = uint64(block.timestamp) + st.governance.maintenanceRampSeconds;
            _copyTiers(st.previousTiers[marketId], current);
            st.maintenanceRamps[marketId] = MaintenanceRamp({
                startTime: uint64(block.timestamp),
                endTime: rampEndsAt,
                previousKeeperRewardUsd: config.params.keeperRewardUsd
            });
        }
        config.params = params;
        _storeTiers(current, tiers);
        emit IPerpEngine.MarketParamsSet(marketId, params, tiers, rampEndsAt);
    }

    /// @notice See PerpEngine.lowerOpenInterestCap.
    function lowerOpenInterestCap(EngineState storage st, bytes32 marketId, uint256 newCap) external {
        MarketConfig storage config = MarketLogic.listedMarket(st, marketId);
        uint256 currentCap = config.params.maxOpenInterestPerSide;
        if (newCap == 0 || newCap >= currentCap) {
            revert IPerpEngine.OpenInterestCapNotLowered(marketId, currentCap, newCap);
        }
        config.params.maxOpenInterestPerSide = uint128(newCap);
        emit IPerpEngine.OpenInterestCapLowered(marketId, currentCap, newCap, msg.sender);
    }

    // ───────────────────────── engine-wide settings ─────────────────────────

    /// @notice See PerpEngine.setAdlConfig: steps ≤ MAX_ADL_STEPS, skips ≤ MAX_ADL_SKIPS, lower < upper ≤ 100%.
    function setAdlConfig(EngineState storage st, AdlConfig calldata config) external {
        _checkBounds("maxSteps", config.maxSteps, 0, MAX_ADL_STEPS);
        _checkBounds("maxSkips", config.maxSkips, 0, MAX_ADL_SKIPS);
        _checkBounds("vaultLossUpperBps", config.vaultLossUpperBps, 1, BPS);
        _checkBounds("vaultLossLowerBps", config.vaultLossLowerBps, 0, uint256(config.vaultLossUpperBps) - 1);
        st.adlConfig = config;
        emit IPerpEngine.AdlConfigSet(config);
    }

    /// @notice See PerpEngine.setGovernanceConfig: grace ≤ 1 day, ramp between 1 hour and 30 days.
    function setGovernanceConfig(EngineState storage st, GovernanceConfig memory config) public {
        _checkBounds(
            "liquidationGracePeriodSeconds",
            config.liquidationGracePeriodSeconds,
            0,
            MAX_LIQUIDATION_GRACE_SECONDS
        );
        _checkBounds(
            "maintenanceRampSeconds",
            config.maintenanceRampSeconds,
            MIN_MAINTENANCE_RAMP_SECONDS,
            MAX_MAINTENANCE_RAMP_SECONDS
        );
        st.governance = config;
        emit IPerpEngine.GovernanceConfigSet(config);
    }

    // ───────────────────────── settlement ─────────────────────────

    /// @notice See PerpEngine.settleMarket. Funding accrues up to now, valued at the settlement price
    /// (the feed may be dead); from then on that price replaces the oracle everywhere.
    function settleMarket(EngineState storage st, bytes32 marketId, uint256 settlementPriceWad) external {
        MarketConfig storage config = MarketLogic.listedMarket(st, marketId);
        if (config.settlementPriceWad != 0) revert IPerpEngine.MarketIsSettled(marketId);
        if (settlementPriceWad == 0) revert IPerpEngine.ZeroAmount();
        MarketLogic.accrueFunding(st.marketStates[marketId], config, marketId, settlementPriceWad);
        config.settlementPriceWad = settlementPriceWad;
        config.reduceOnly = true;
        emit IPerpEngine.MarketSettled(marketId, settlementPriceWad);
    }

    /// @notice See PerpEngine.closeSettledPosition. Closes at the settlement price with no fee, impact or
    /// penalty; the owner's free balance receives exactly the position's equity at that price. A position
    /// underwater at that price pays nothing more: the insurance fund covers what it can and the vault,
    /// its counterparty, absorbs the rest (no socialization: in a market being wound down it would charge
    /// only whoever closes last).
    function closeSettledPosition(EngineState storage st, address account, bytes32 marketId) external {
        MarketConfig storage config = MarketLogic.listedMarket(st, marketId);
        uint256 priceWad = config.settlementPriceWad;
        if (priceWad == 0) revert IPerpEngine.MarketNotSettled(marketId);
        Position memory old = PositionStore.load(st.positions[marketId][account]);
        if (old.size == 0) revert IPerpEngine.NoPosition(account, marketId);
        (int256 equityUsd, uint256 insurancePaidUsd) = _closeAtSettlement(st, marketId, account, old, priceWad);
        _emitSettledPositionClosed(account, marketId, old.size, priceWad, equityUsd, insurancePaidUsd);
    }

    /// @dev Books the close: equity to the owner, or a deficit paid by the fund and then the vault's cash.
    function _closeAtSettlement(
        EngineState storage st,
        bytes32 marketId,
        address account,
        Position memory old,
        uint256 priceWad
    ) private returns (int256 equityUsd, uint256 insurancePaidUsd) {
        MarketState storage state = st.marketStates[marketId];
        (int256 fundingOwedUsd, uint256 lossOwedUsd) = MarketLogic.owedUsd(state, old, state.fundingIndexWad);
        int256 realizedPnlUsd = PositionMath.unrealizedPnlUsd(old.size, old.entryPriceWad, priceWad);
        equityUsd = int256(old.marginUsd) - fundingOwedUsd - int256(lossOwedUsd) + realizedPnlUsd;
        // The vault receives what the position owed and lost, less any deficit, plus the fund's share of it.
        int256 vaultCashDeltaUsd = fundingOwedUsd + int256(lossOwedUsd) - realizedPnlUsd;
        if (equityUsd >= 0) {
            st.freeBalances[account] += uint256(equityUsd);
        } else {
            insurancePaidUsd = _payFromInsurance(st, marketId, account, uint256(-equityUsd));
            vaultCashDeltaUsd += equityUsd + int256(insurancePaidUsd);
        }
        Position memory closed;
        MarketLogic.updateMarketTotals(state, old, closed, -old.size);
        PositionStore.store(st.positions[marketId][account], closed);
        st.vaultCashUsd += vaultCashDeltaUsd;
        AdlLogic.rekey(st, marketId, account, old.size, closed);
    }

    function _emitSettledPositionClosed(
        address account,
        bytes32 marketId,
        int256 size,
        uint256 priceWad,
        int256 equityUsd,
        uint256 insurancePaidUsd
    ) private {
        uint256 deficitUsd = equityUsd < 0 ? uint256(-equityUsd) : 0;
        emit IPerpEngine.SettledPositionClosed(
            account,
            marketId,
            size,
            priceWad,
            equityUsd > 0 ? uint256(equityUsd) : 0,
            deficitUsd,
            insurancePaidUsd,
            deficitUsd - insurancePaidUsd
        );
    }

    /// @dev Pays up to `deficitUsd` from the insurance fund (to the vault's cash, by the caller).
    function _payFromInsurance(
        EngineState storage st,
        bytes32 marketId,
        address account,
        uint256 deficitUsd
    ) private returns (uint256 paidUsd) {
        uint256 fundUsd = st.insuranceFundUsd;
        paidUsd = deficitUsd < fundUsd ? deficitUsd : fundUsd;
        if (paidUsd == 0) return 0;
        st.insuranceFundUsd = fundUsd - paidUsd;
        emit IPerpEngine.InsuranceDeficitPaid(marketId, account, paidUsd, fundUsd - paidUsd);
    }

    // ───────────────────────── validation ─────────────────────────

    /// @notice Hard bounds of every risk parameter (`ParameterOutOfBounds(name, value, min, max)`).
    function validateParams(MarketParams calldata params) internal pure {
        _checkBounds("minPositionMarginUsd", params.minPositionMarginUsd, 1, type(uint128).max);
        _checkBounds("keeperRewardUsd", params.keeperRewardUsd, 0, params.minPositionMarginUsd);
        _checkBounds("skewScale", params.skewScale, 2, type(uint128).max);
        // OI below the skew scale keeps |skew| < skewScale, so every fill within the caps is positive.
        _checkBounds("maxOpenInterestPerSide", params.maxOpenInterestPerSide, 1, params.skewScale - 1);
        _checkBounds("maxFundingRatePerDayWad", params.maxFundingRatePerDayWad, 0, MAX_FUNDING_RATE_PER_DAY_WAD);
        _checkBounds("takerFeeBps", params.takerFeeBps, 0, MAX_TAKER_FEE_BPS);
        _checkBounds("insuranceFeeShareBps", params.insuranceFeeShareBps, 0, BPS);
        _checkBounds("maxVaultExposureBps", params.maxVaultExposureBps, 1, type(uint16).max);
        _checkBounds("liquidationPenaltyBps", params.liquidationPenaltyBps, 0, MAX_LIQUIDATION_PENALTY_BPS);
        _checkBounds("keeperPenaltyShareBps", params.keeperPenaltyShareBps, 0, BPS);
        _checkBounds("liquidationBufferBps", params.liquidationBufferBps, 0, BPS);
        _checkBounds("vaultReserveBps", params.vaultReserveBps, 0, BPS);
        _validateOrderParams(params);
    }

    /// @dev Delayed orders (DESIGN §4): a bounded delay; when on, an expiry window keepers can act in; a bounded
    /// execution fee; and the fee floor against the feed's remaining lag, 2 × takerFeeBps ≥ its deviation
    /// threshold (a round trip's fees cover what a trader who sees the market move first can gain).
    function _validateOrderParams(MarketParams calldata params) private pure {
        _checkBounds("executionDelaySeconds", params.executionDelaySeconds, 0, MAX_EXECUTION_DELAY_SECONDS);
        if (params.executionDelaySeconds != 0) {
            _checkBounds(
                "orderExpirySeconds",
                params.orderExpirySeconds,
                MIN_ORDER_EXPIRY_SECONDS,
                MAX_ORDER_EXPIRY_SECONDS
            );
        }
        _checkBounds("executionFeeUsd", params.executionFeeUsd, 0, MAX_EXECUTION_FEE_USD);
        _checkBounds(
            "oracleDeviationThresholdBps",
            params.oracleDeviationThresholdBps,
            0,
            MAX_ORACLE_DEVIATION_THRESHOLD_BPS
        );
        if (2 * uint256(params.takerFeeBps) < params.oracleDeviationThresholdBps) {
            revert IPerpEngine.TakerFeeBelowOracleDeviation(params.takerFeeBps, params.oracleDeviationThresholdBps);
        }
    }

    /// @notice Tiers: 1..MAX_MARGIN_TIERS, first floor 0, floors strictly increasing, rates non-decreasing,
    /// 0 < MM < IM ≤ 100% (`InvalidMarginTier(index)`).
    function validateTiers(MarginTier[] calldata tiers) internal pure {
        if (tiers.length == 0 || tiers.length > MAX_MARGIN_TIERS) revert IPerpEngine.InvalidMarginTier(tiers.length);
        for (uint256 i; i < tiers.length; ++i) {
            MarginTier calldata tier = tiers[i];
            bool valid =
                tier.maintenanceMarginBps > 0 &&
                    tier.maintenanceMarginBps < tier.initialMarginBps &&
                    tier.initialMarginBps <= MAX_MARGIN_RATE_BPS;
            if (i == 0) {
                valid = valid && tier.notionalFloorUsd == 0;
            } else {
                MarginTier calldata previous = tiers[i - 1];
                valid =
                    valid &&
                    tier.notionalFloorUsd > previous.notionalFloorUsd &&
                    tier.initialMarginBps >= previous.initialMarginBps &&
                    tier.maintenanceMarginBps >= previous.maintenanceMarginBps;
            }
            if (!valid) revert IPerpEngine.InvalidMarginTier(i);
        }
    }

    function _checkBounds(bytes32 name, uint256 value, uint256 minValue, uint256 maxValue) private pure {
        if (value < minValue || value > maxValue) {
            revert IPerpEngine.ParameterOutOfBounds(name, value, minValue, maxValue);
        }
    }

    // ───────────────────────── tiers ─────────────────────────

    /// @dev Both schedules are piecewise linear in notional, so the new one is higher somewhere iff it is
    /// higher at one of the two schedules' floors or has a higher last (unbounded) rate, or the flat
    /// keeper reward rises.
    function _raisesMaintenance(
        MarginTier[] storage current,
        MarginTier[] calldata next,
        uint256 currentKeeperRewardUsd,
        uint256 nextKeeperRewardUsd
    ) private view returns (bool) {
        if (nextKeeperRewardUsd > currentKeeperRewardUsd) return true;
        MarginTier[] memory currentTiers = current;
        MarginTier[] memory nextTiers = next;
        if (
            nextTiers[nextTiers.length - 1].maintenanceMarginBps >
            currentTiers[currentTiers.length - 1].maintenanceMarginBps
        ) {
            return true;
        }
        for (uint256 i; i < nextTiers.length; ++i) {
            if (_isHigherAt(currentTiers, nextTiers, nextTiers[i].notionalFloorUsd)) return true;
        }
        for (uint256 i; i < currentTiers.length; ++i) {
            if (_isHigherAt(currentTiers, nextTiers, currentTiers[i].notionalFloorUsd)) return true;
        }
        return false;
    }

    function _isHigherAt(
        MarginTier[] memory current,
        MarginTier[] memory next,
        uint256 notionalUsd
    ) private pure returns (bool) {
        return
            PositionMath.tieredMarginUsd(next, notionalUsd, false) >
            PositionMath.tieredMarginUsd(current, notionalUsd, false);
    }

    function _storeTiers(MarginTier[] storage target, MarginTier[] calldata tiers) private {
        while (target.length != 0) target.pop();
        for (uint256 i; i < tiers.length; ++i) target.push(tiers[i]);
    }

    function _copyTiers(MarginTier[] storage target, MarginTier[] storage source) private {
        while (target.length != 0) target.pop();
        for (uint256 i; i < source.length; ++i) target.push(source[i]);
    }
}
