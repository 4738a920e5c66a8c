// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IPerpEngine} from "../interfaces/IPerpEngine.sol";
import {MarketParams, Position, MarketState, MaintenanceRamp} from "../interfaces/IPerpTypes.sol";
import {EngineState, MarketConfig} from "./EngineStorage.sol";
import {PositionMath} from "./PositionMath.sol";
import {SignedMath} from "./SignedMath.sol";
import {PriceCache} from "./PriceCache.sol";
import {WAD_INT} from "./Constants.sol";

/// @title MarketLogic
/// @notice Market-level steps shared by trading (PerpEngine) and liquidation (LiquidationLogic): price
/// reads, funding accrual, what a position owes, market aggregates and the vault's valuation.
/// Internal functions: each caller gets its own copy, so both contracts act on one set of rules.
library MarketLogic {
    using SignedMath for int256;

    /// @dev The market's config; reverts for an unlisted market.
    function listedMarket(
        EngineState storage st,
        bytes32 marketId
    ) internal view returns (MarketConfig storage config) {
        config = st.marketConfigs[marketId];
        if (address(config.oracle) == address(0)) revert IPerpEngine.MarketNotListed(marketId);
    }

    // ───────────────────────── prices ─────────────────────────

    /// @dev Reads and records the oracle price once per transaction; later reads in the same transaction
    /// return the cached value, so every step of one action sees the same price (DESIGN §6).
    /// A settled market's price is its settlement price; its oracle is no longer read.
    function readPrice(
        bytes32 marketId,
        MarketConfig storage config
    ) internal returns (uint256 priceWad, bool isVolatile) {
        if (config.settlementPriceWad != 0) return (config.settlementPriceWad, false);
        bool cached;
        (cached, priceWad, isVolatile) = PriceCache.load(marketId);
        if (cached) return (priceWad, isVolatile);
        (priceWad, isVolatile) = config.oracle.readPrice();
        PriceCache.store(marketId, priceWad, isVolatile);
    }

    /// @dev `readPrice` that reports an invalid price instead of reverting (batch liquidations skip it).
    function tryReadPrice(
        bytes32 marketId,
        MarketConfig storage config
    ) internal returns (bool valid, uint256 priceWad) {
        if (config.settlementPriceWad != 0) return (true, config.settlementPriceWad);
        bool cached;
        (cached, priceWad, ) = PriceCache.load(marketId);
        if (cached) return (true, priceWad);
        try config.oracle.readPrice() returns (uint256 readPriceWad, bool isVolatile) {
            PriceCache.store(marketId, readPriceWad, isVolatile);
            return (true, readPriceWad);
        } catch {
            return (false, 0);
        }
    }

    /// @dev View counterpart of `readPrice`: the transaction's cached price if any, else the oracle's.
    function priceView(bytes32 marketId, MarketConfig storage config) internal view returns (uint256 priceWad) {
        if (config.settlementPriceWad != 0) return config.settlementPriceWad;
        (bool cached, uint256 cachedPriceWad, ) = PriceCache.load(marketId);
        if (cached) return cachedPriceWad;
        (priceWad, ) = config.oracle.latestPrice();
    }

    // ───────────────────────── funding ─────────────────────────

    /// @dev Accrues the funding index at the rate set by the skew that held since the last accrual,
    /// valued at the current price. Called first by every state-changing entry point on a market.
    /// A settled market accrues no more funding.
    function accrueFunding(
        MarketState storage state,
        MarketConfig storage config,
        bytes32 marketId,
        uint256 priceWad
    ) internal {
        uint256 elapsed = block.timestamp - state.lastFundingTimestamp;
        if (elapsed == 0 || config.settlementPriceWad != 0) return;
        MarketParams storage params = config.params;
        int256 ratePerDayWad = PositionMath.fundingRatePerDayWad(
            state.netSize,
            params.skewScale,
            params.maxFundingRatePerDayWad
        );
        state.fundingIndexWad += PositionMath.fundingIndexDeltaWad(ratePerDayWad, priceWad, elapsed);
        state.lastFundingTimestamp = uint64(block.timestamp);
        emit IPerpEngine.FundingAccrued(
            marketId,
            ratePerDayWad,
            state.fundingIndexWad,
            priceWad,
            uint64(block.timestamp)
        );
    }

    /// @dev The funding index as `accrueFunding` would leave it now.
    function currentFundingIndexWad(
        MarketState storage state,
        MarketConfig storage config,
        uint256 priceWad
    ) internal view returns (int256) {
        uint256 elapsed = block.timestamp - state.lastFundingTimestamp;
        if (elapsed == 0 || config.settlementPriceWad != 0) return state.fundingIndexWad;
        MarketParams storage params = config.params;
        int256 ratePerDayWad = PositionMath.fundingRatePerDayWad(
            state.netSize,
            params.skewScale,
            params.maxFundingRatePerDayWad
        );
        return state.fundingIndexWad + PositionMath.fundingIndexDeltaWad(ratePerDayWad, priceWad, elapsed);
    }

    // ───────────────────────── positions ─────────────────────────

    /// @dev The socialized-loss index of the side `size` is on (0 for an empty position).
    function lossIndexWad(MarketState storage state, int256 size) internal view returns (uint256) {
        if (size > 0) return state.longLossIndexWad;
        if (size < 0) return state.shortLossIndexWad;
        return 0;
    }

    /// @dev What a position owes since it was last settled: funding (+ = pays) and socialized loss.
    function owedUsd(
        MarketState storage state,
        Position memory position,
        int256 fundingIndexWad
    ) internal view returns (int256 fundingOwedUsd, uint256 lossOwedUsd) {
        fundingOwedUsd = PositionMath.fundingOwedUsd(position.size, fundingIndexWad, position.fundingIndexSnapshotWad);
        lossOwedUsd = PositionMath.socializedLossOwedUsd(
            position.size,
            lossIndexWad(state, position.size),
            position.lossIndexSnapshotWad
        );
    }

    /// @dev Tiered maintenance margin plus the flat keeper reward for `size` at `priceWad`. While a raise is
    /// being phased in (`MaintenanceRamp`), the requirement moves linearly from the previous schedule's to
    /// the current one's, so no healthy position becomes liquidatable at once; where the new schedule is
    /// lower it applies immediately (min of the two), since a cut can hurt no one.
    function maintenanceRequirementUsd(
        EngineState storage st,
        bytes32 marketId,
        MarketParams storage params,
        int256 size,
        uint256 priceWad
    ) internal view returns (uint256) {
        uint256 notionalUsd = PositionMath.notionalUsd(size, priceWad);
        uint256 targetUsd = PositionMath.maintenanceRequirementUsd(
            st.marginTiers[marketId],
            notionalUsd,
            params.keeperRewardUsd
        );
        MaintenanceRamp storage ramp = st.maintenanceRamps[marketId];
        if (block.timestamp >= ramp.endTime) return targetUsd;
        uint256 previousUsd = PositionMath.maintenanceRequirementUsd(
            st.previousTiers[marketId],
            notionalUsd,
            ramp.previousKeeperRewardUsd
        );
        if (targetUsd <= previousUsd) return targetUsd;
        // Rounded down: during a raise the position is asked for at most the interpolated amount.
        return
            previousUsd +
            ((targetUsd - previousUsd) * (block.timestamp - ramp.startTime)) / (ramp.endTime - ramp.startTime);
    }

    /// @dev Folds a position change into the market aggregates that value the vault's position.
    function updateMarketTotals(
        MarketState storage state,
        Position memory old,
        Position memory updated,
        int256 sizeDelta
    ) internal {
        state.netSize += sizeDelta;
        state.sumSizeTimesEntry += updated.size * int256(updated.entryPriceWad) - old.size * int256(old.entryPriceWad);
        state.sumSizeTimesFundingSnapshot +=
            updated.size * updated.fundingIndexSnapshotWad -
            old.size * old.fundingIndexSnapshotWad;
        if (old.size > 0) {
            state.longOpenInterest -= uint256(old.size);
            state.sumLongSizeTimesLossSnapshot -= uint256(old.size) * old.lossIndexSnapshotWad;
        } else if (old.size < 0) {
            state.shortOpenInterest -= uint256(-old.size);
            state.sumShortSizeTimesLossSnapshot -= uint256(-old.size) * old.lossIndexSnapshotWad;
        }
        if (updated.size > 0) {
            state.longOpenInterest += uint256(updated.size);
            state.sumLongSizeTimesLossSnapshot += uint256(updated.size) * updated.lossIndexSnapshotWad;
        } else if (updated.size < 0) {
            state.shortOpenInterest += uint256(-updated.size);
            state.sumShortSizeTimesLossSnapshot += uint256(-updated.size) * updated.lossIndexSnapshotWad;
        }
    }

    // ───────────────────────── vault valuation ─────────────────────────

    /// @dev Vault equity = cash + Σ per market (unrealised PnL of its implied position + funding and
    /// socialized loss traders owe it and have not settled). For withdrawals each market's value is capped
    /// at 0 (gains excluded).
    function vaultEquityUsd(EngineState storage st, bool forDeposit) internal view returns (int256 equityUsd) {
        equityUsd = st.vaultCashUsd;
        uint256 marketCount = st.listedMarketIds.length;
        for (uint256 i; i < marketCount; ++i) {
            int256 valueUsd = vaultMarketValueUsd(st, st.listedMarketIds[i]);
            equityUsd += forDeposit ? valueUsd : SignedMath.min(valueUsd, 0);
        }
    }

    /// @dev Value of the vault's implied position in one market, rounded down (the vault claims at most
    /// the exact value): Σ size × (entry − price) + Σ size × (fundingIndex − snapshot) + Σ |size| ×
    /// (lossIndex − snapshot), all over traders, computed exactly from the aggregates.
    function vaultMarketValueUsd(EngineState storage st, bytes32 marketId) internal view returns (int256) {
        MarketState storage state = st.marketStates[marketId];
        if (state.longOpenInterest == 0 && state.shortOpenInterest == 0) return 0;
        MarketConfig storage config = st.marketConfigs[marketId];
        uint256 priceWad = priceView(marketId, config);
        int256 fundingIndex = currentFundingIndexWad(state, config, priceWad);
        int256 lossReceivable = int256(
            state.longLossIndexWad * state.longOpenInterest -
                state.sumLongSizeTimesLossSnapshot +
                state.shortLossIndexWad * state.shortOpenInterest -
                state.sumShortSizeTimesLossSnapshot
        );
        int256 scaled =
            state.sumSizeTimesEntry -
                state.netSize * int256(priceWad) +
                state.netSize * fundingIndex -
                state.sumSizeTimesFundingSnapshot +
                lossReceivable;
        return scaled.divFloor(WAD_INT);
    }
}
