// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {PositionStore} from "../libraries/PositionStore.sol";
import {IPerpEngine} from "../interfaces/IPerpEngine.sol";
import {MarketParams, Position, MarketState} from "../interfaces/IPerpTypes.sol";
import {EngineState, MarketConfig} from "../libraries/EngineStorage.sol";
import {MarketLogic} from "../libraries/MarketLogic.sol";
import {PositionMath} from "../libraries/PositionMath.sol";
import {LiquidationMath} from "../libraries/LiquidationMath.sol";
import {SignedMath} from "../libraries/SignedMath.sol";
import {WAD, WAD_INT, BPS} from "../libraries/Constants.sol";
import {AdlLogic} from "../adl/AdlLogic.sol";

/// @title LiquidationLogic
/// @notice Liquidation and the loss waterfall (DESIGN §7, §8), run by the engine through DELEGATECALL on
/// its own storage (an external library keeps the engine under the 24 KiB limit).
/// @dev Liveness: no token moves, no callback and no loop over positions happen here; the trader and
/// the keeper are paid by internal credits (pull), so nothing the trader controls can block it.
/// Waterfall of a bankrupt close with deficit D: insurance budget I = min(D, fund) → `_autoDeleverage`
/// closes the fraction (D − I)/D against ranked counterparties at the bankruptcy price → the fund pays the
/// residual up to its balance → the vault, which takes the unplaced size, absorbs the rest up to its equity →
/// only what exceeds the vault's equity is socialized over the opposite side's open traders.
/// insurance + adl + vault + socialized == D, emitted in `Liquidated`.
library LiquidationLogic {
    using SignedMath for int256;

    /// @dev Everything one liquidation computes, in memory, in the order it is computed.
    struct Liquidation {
        address account;
        bytes32 marketId;
        address keeper;
        uint256 priceWad;
        int256 fundingPaidUsd;
        uint256 lossPaidUsd;
        int256 closedSize;
        uint256 executionPriceWad;
        int256 realizedPnlUsd;
        uint256 keeperFromMarginUsd;
        uint256 penaltyUsd;
        uint256 keeperPenaltyUsd;
        uint256 keeperTopUpUsd;
        uint256 remainingMarginUsd;
        uint256 deficitUsd;
        uint256 residualDeficitUsd;
        uint256 insurancePaidUsd;
        uint256 adlPaidUsd;
        uint256 vaultPaidUsd;
        uint256 socializedUsd;
    }

    // ───────────────────────── entry points ─────────────────────────

    /// @notice See IPerpEngine.liquidate. Reverts on an unlisted market, an invalid price, an empty or a
    /// healthy position.
    function liquidate(EngineState storage st, address account, bytes32 marketId, address keeper) external {
        _liquidate(st, account, marketId, keeper, true);
    }

    /// @notice See IPerpEngine.liquidateMany. Skips entries that `liquidate` would reject.
    function liquidateMany(
        EngineState storage st,
        address[] calldata accounts,
        bytes32[] calldata marketIds,
        address keeper
    ) external returns (bool[] memory liquidated) {
        if (accounts.length != marketIds.length) {
            revert IPerpEngine.ArrayLengthMismatch(accounts.length, marketIds.length);
        }
        liquidated = new bool[](accounts.length);
        for (uint256 i; i < accounts.length; ++i) {
            liquidated[i] = _liquidate(st, accounts[i], marketIds[i], keeper, false);
        }
    }

    /// @notice See IPerpEngine.liquidationPrice.
    function liquidationPriceWad(
        EngineState storage st,
        address account,
        bytes32 marketId
    ) external view returns (uint256) {
        MarketConfig storage config = MarketLogic.listedMarket(st, marketId);
        MarketState storage state = st.marketStates[marketId];
        Position memory position = PositionStore.load(st.positions[marketId][account]);
        if (position.size == 0) return 0;
        uint256 priceWad = MarketLogic.priceView(marketId, config);
        int256 fundingIndexWad = MarketLogic.currentFundingIndexWad(state, config, priceWad);
        (int256 fundingOwedUsd, uint256 lossOwedUsd) = MarketLogic.owedUsd(state, position, fundingIndexWad);
        return
            LiquidationMath.liquidationPriceWad(
                position.size,
                position.entryPriceWad,
                int256(position.marginUsd) - fundingOwedUsd - int256(lossOwedUsd),
                st.marginTiers[marketId],
                config.params.keeperRewardUsd
            );
    }

    /// @notice See IPerpEngine.positionEquity: equity at the oracle price and the current funding index, and the
    /// maintenance requirement (0 without a position).
    function positionEquity(
        EngineState storage st,
        address account,
        bytes32 marketId
    ) external view returns (int256 equityUsd, uint256 maintenanceRequirementUsd) {
        MarketConfig storage config = MarketLogic.listedMarket(st, marketId);
        MarketState storage state = st.marketStates[marketId];
        Position memory position = PositionStore.load(st.positions[marketId][account]);
        uint256 priceWad = MarketLogic.priceView(marketId, config);
        int256 fundingIndexWad = MarketLogic.currentFundingIndexWad(state, config, priceWad);
        (int256 fundingOwedUsd, uint256 lossOwedUsd) = MarketLogic.owedUsd(state, position, fundingIndexWad);
        equityUsd =
            int256(position.marginUsd) +
            PositionMath.unrealizedPnlUsd(position.size, position.entryPriceWad, priceWad) -
            fundingOwedUsd -
            int256(lossOwedUsd);
        if (position.size != 0) {
            maintenanceRequirementUsd = MarketLogic.maintenanceRequirementUsd(
                st,
                marketId,
                config.params,
                position.size,
                priceWad
            );
        }
    }

    // ───────────────────────── liquidation ─────────────────────────

    /// @dev validate → price → accrue funding → settle owed → health check → plan the close → pay out
    /// (keeper, penalty, waterfall) → store → emit. `strict` reverts where the batch path skips.
    function _liquidate(
        EngineState storage st,
        address account,
        bytes32 marketId,
        address keeper,
        bool strict
    ) private returns (bool) {
        MarketConfig storage config = st.marketConfigs[marketId];
        if (address(config.oracle) == address(0)) {
            if (strict) revert IPerpEngine.MarketNotListed(marketId);
            return _skip(account, marketId, IPerpEngine.LiquidationSkipReason.MarketNotListed);
        }
        if (config.settlementPriceWad != 0) {
            if (strict) revert IPerpEngine.MarketIsSettled(marketId);
            return _skip(account, marketId, IPerpEngine.LiquidationSkipReason.MarketSettled);
        }
        Liquidation memory liq;
        liq.account = account;
        liq.marketId = marketId;
        liq.keeper = keeper;
        if (strict) {
            (liq.priceWad, ) = MarketLogic.readPrice(marketId, config);
        } else {
            bool valid;
            (valid, liq.priceWad) = MarketLogic.tryReadPrice(marketId, config);
            if (!valid) return _skip(account, marketId, IPerpEngine.LiquidationSkipReason.PriceInvalid);
        }
        MarketState storage state = st.marketStates[marketId];
        MarketLogic.accrueFunding(state, config, marketId, liq.priceWad);

        Position memory position = PositionStore.load(st.positions[marketId][account]);
        if (position.size == 0) {
            if (strict) revert IPerpEngine.NoPosition(account, marketId);
            return _skip(account, marketId, IPerpEngine.LiquidationSkipReason.NoPosition);
        }
        (liq.fundingPaidUsd, liq.lossPaidUsd) = MarketLogic.owedUsd(state, position, state.fundingIndexWad);
        int256 settledMarginUsd = int256(position.marginUsd) - liq.fundingPaidUsd - int256(liq.lossPaidUsd);
        int256 equityUsd =
            settledMarginUsd + PositionMath.unrealizedPnlUsd(position.size, position.entryPriceWad, liq.priceWad);
        uint256 maintenanceUsd = MarketLogic.maintenanceRequirementUsd(
            st,
            marketId,
            config.params,
            position.size,
            liq.priceWad
        );
        if (equityUsd >= int256(maintenanceUsd)) {
            if (strict) revert IPerpEngine.PositionNotLiquidatable(account, marketId, equityUsd, maintenanceUsd);
            return _skip(account, marketId, IPerpEngine.LiquidationSkipReason.Healthy);
        }

        _planClose(st, config.params, state, position, liq, settledMarginUsd, equityUsd, maintenanceUsd);
        _coverDeficitAndPay(st, config.params, position, liq, settledMarginUsd);
        _store(st, state, position, liq);
        _emitLiquidated(liq, position.size);
        return true;
    }

    /// @dev Chooses partial or full: a partial close is kept only if it leaves the position healthy with
    /// at least the minimum margin and pays the keeper reward from margin; otherwise everything closes.
    function _planClose(
        EngineState storage st,
        MarketParams storage params,
        MarketState storage state,
        Position memory position,
        Liquidation memory liq,
        int256 settledMarginUsd,
        int256 equityUsd,
        uint256 maintenanceUsd
    ) private view {
        uint256 sizeAbs = position.size.abs();
        uint256 closeAbs = _partialCloseSizeAbs(
            params,
            state.netSize,
            position.size,
            liq.priceWad,
            equityUsd,
            maintenanceUsd
        );
        if (closeAbs < sizeAbs) {
            int256 closedSize = position.size > 0 ? int256(closeAbs) : -int256(closeAbs);
            _priceClose(params, state.netSize, position, liq, closedSize, settledMarginUsd);
            if (_partialLeavesHealthy(st, params, position, liq)) return;
        }
        _priceClose(params, state.netSize, position, liq, position.size, settledMarginUsd);
    }

    /// @dev The partial size to close; its cost estimate uses the penalty plus the adverse slippage of a
    /// full close, an upper bound for any smaller close.
    function _partialCloseSizeAbs(
        MarketParams storage params,
        int256 skew,
        int256 size,
        uint256 priceWad,
        int256 equityUsd,
        uint256 maintenanceUsd
    ) private view returns (uint256) {
        uint256 fullCloseFillWad = LiquidationMath.executionPriceWad(priceWad, skew, -size, params.skewScale);
        uint256 slippageBps = LiquidationMath.adverseSlippageBps(priceWad, fullCloseFillWad, size > 0);
        return
            LiquidationMath.partialCloseSizeAbs(
                size.abs(),
                equityUsd,
                // During a keeper-reward ramp the requirement may hold less than the new reward.
                maintenanceUsd > params.keeperRewardUsd ? maintenanceUsd - params.keeperRewardUsd : 0,
                params.keeperRewardUsd,
                PositionMath.notionalUsd(size, priceWad),
                params.liquidationBufferBps,
                slippageBps + params.liquidationPenaltyBps
            );
    }

    /// @dev After the priced partial close in `liq`: no deficit, the keeper paid from margin, at least the
    /// minimum margin left, and the remainder healthy at the oracle price.
    function _partialLeavesHealthy(
        EngineState storage st,
        MarketParams storage params,
        Position memory position,
        Liquidation memory liq
    ) private view returns (bool) {
        if (liq.deficitUsd != 0 || liq.keeperFromMarginUsd != params.keeperRewardUsd) return false;
        if (liq.remainingMarginUsd < params.minPositionMarginUsd) return false;
        int256 remainingSize = position.size - liq.closedSize;
        int256 remainingEquityUsd =
            int256(liq.remainingMarginUsd) +
                PositionMath.unrealizedPnlUsd(remainingSize, position.entryPriceWad, liq.priceWad);
        uint256 remainingMaintenanceUsd = MarketLogic.maintenanceRequirementUsd(
            st,
            liq.marketId,
            params,
            remainingSize,
            liq.priceWad
        );
        return remainingEquityUsd >= int256(remainingMaintenanceUsd);
    }

    /// @dev Prices closing `closedSize` against the vault and splits the margin left after the realised
    /// PnL: flat keeper reward first, then the penalty (capped at what is left), then the trader.
    /// A negative result is the deficit D.
    function _priceClose(
        MarketParams storage params,
        int256 skew,
        Position memory position,
        Liquidation memory liq,
        int256 closedSize,
        int256 settledMarginUsd
    ) private view {
        liq.closedSize = closedSize;
        liq.executionPriceWad = LiquidationMath.executionPriceWad(liq.priceWad, skew, -closedSize, params.skewScale);
        liq.realizedPnlUsd = PositionMath.unrealizedPnlUsd(closedSize, position.entryPriceWad, liq.executionPriceWad);
        int256 afterCloseUsd = settledMarginUsd + liq.realizedPnlUsd;
        liq.keeperFromMarginUsd = 0;
        liq.penaltyUsd = 0;
        liq.keeperPenaltyUsd = 0;
        liq.remainingMarginUsd = 0;
        liq.deficitUsd = 0;
        if (afterCloseUsd < 0) {
            liq.deficitUsd = uint256(-afterCloseUsd);
            return;
        }
        uint256 leftUsd = uint256(afterCloseUsd);
        liq.keeperFromMarginUsd = leftUsd < params.keeperRewardUsd ? leftUsd : params.keeperRewardUsd;
        leftUsd -= liq.keeperFromMarginUsd;
        uint256 penalty = LiquidationMath.penaltyUsd(closedSize, liq.executionPriceWad, params.liquidationPenaltyBps);
        liq.penaltyUsd = penalty < leftUsd ? penalty : leftUsd;
        liq.keeperPenaltyUsd = (liq.penaltyUsd * params.keeperPenaltyShareBps) / BPS;
        liq.remainingMarginUsd = leftUsd - liq.penaltyUsd;
    }

    // ───────────────────────── waterfall ─────────────────────────

    /// @dev Keeper top-up first (keepers must be paid to keep liquidating), then the deficit D:
    /// insurance budget I = min(D, fund) → ADL of the fraction (D − I)/D at the bankruptcy price →
    /// insurance pays what is left up to its balance → the rest goes to the vault and, beyond its equity, to
    /// the opposite traders (`_store`, once the books show the vault's equity). The penalty's fund share is
    /// credited last.
    function _coverDeficitAndPay(
        EngineState storage st,
        MarketParams storage params,
        Position memory position,
        Liquidation memory liq,
        int256 settledMarginUsd
    ) private {
        uint256 fundUsd = st.insuranceFundUsd;
        uint256 shortfallUsd = params.keeperRewardUsd - liq.keeperFromMarginUsd;
        if (shortfallUsd != 0 && fundUsd != 0) {
            liq.keeperTopUpUsd = shortfallUsd < fundUsd ? shortfallUsd : fundUsd;
            fundUsd -= liq.keeperTopUpUsd;
            emit IPerpEngine.InsuranceKeeperTopUp(liq.marketId, liq.keeper, liq.keeperTopUpUsd, fundUsd);
        }
        liq.residualDeficitUsd = liq.deficitUsd;
        if (liq.deficitUsd != 0) {
            uint256 insuranceBudgetUsd = liq.deficitUsd < fundUsd ? liq.deficitUsd : fundUsd;
            if (insuranceBudgetUsd < liq.deficitUsd && st.adlConfig.maxSteps != 0) {
                _autoDeleverage(st, position, liq, settledMarginUsd, insuranceBudgetUsd);
            }
            liq.insurancePaidUsd = liq.residualDeficitUsd < fundUsd ? liq.residualDeficitUsd : fundUsd;
            if (liq.insurancePaidUsd != 0) {
                fundUsd -= liq.insurancePaidUsd;
                emit IPerpEngine.InsuranceDeficitPaid(liq.marketId, liq.account, liq.insurancePaidUsd, fundUsd);
            }
        }
        uint256 fundPenaltyUsd = liq.penaltyUsd - liq.keeperPenaltyUsd;
        if (fundPenaltyUsd != 0) {
            fundUsd += fundPenaltyUsd;
            emit IPerpEngine.InsurancePenaltyCredited(liq.marketId, liq.account, fundPenaltyUsd, fundUsd);
        }
        st.insuranceFundUsd = fundUsd;
        // The socialized part is booked by `_store`.
    }

    /// @dev DESIGN §8 step 2. The fraction f = (D − I)/D of the bankrupt size is closed against the ranked
    /// opposite queue at the bankruptcy price B (rounded against the bankrupt trader), where that part's
    /// equity is exactly 0, so the counterparties give up exactly D − I against the mark; the rest closes
    /// against the vault at the execution price, whose deficit is I. Size the bounded walk cannot place stays
    /// with the vault part and its deficit goes on to insurance and socialization. adlPaid = D − residual.
    function _autoDeleverage(
        EngineState storage st,
        Position memory position,
        Liquidation memory liq,
        int256 settledMarginUsd,
        uint256 insuranceBudgetUsd
    ) private {
        uint256 sizeAbs = position.size.abs();
        uint256 bankruptcyPriceWad = _bankruptcyPriceWad(position, settledMarginUsd);
        if (bankruptcyPriceWad == 0) return;
        uint256 targetAbs = (sizeAbs * (liq.deficitUsd - insuranceBudgetUsd)) / liq.deficitUsd;
        uint256 placedAbs = AdlLogic.deleverage(
            st,
            liq.marketId,
            position.size,
            bankruptcyPriceWad,
            liq.priceWad,
            targetAbs
        );
        if (placedAbs == 0) return;
        int256 placedSize = position.size > 0 ? int256(placedAbs) : -int256(placedAbs);
        liq.realizedPnlUsd =
            PositionMath.unrealizedPnlUsd(placedSize, position.entryPriceWad, bankruptcyPriceWad) +
            PositionMath.unrealizedPnlUsd(position.size - placedSize, position.entryPriceWad, liq.executionPriceWad);
        int256 afterCloseUsd = settledMarginUsd + liq.realizedPnlUsd;
        if (afterCloseUsd >= 0) {
            // Only rounding can leave the trader a few wei; they are the trader's.
            liq.residualDeficitUsd = 0;
            liq.remainingMarginUsd = uint256(afterCloseUsd);
        } else {
            liq.residualDeficitUsd = uint256(-afterCloseUsd);
        }
        liq.adlPaidUsd = liq.deficitUsd - liq.residualDeficitUsd;
    }

    /// @dev Price at which the position's equity is zero: long B = entry − margin/size (rounded down),
    /// short B = entry + margin/|size| (rounded up), both against the bankrupt trader. 0 if not positive.
    function _bankruptcyPriceWad(Position memory position, int256 settledMarginUsd) private pure returns (uint256) {
        // Over |size| so that the divisor is positive, as SignedMath's rounding requires.
        int256 sizeAbs = int256(position.size.abs());
        int256 entryTimesSizeAbs = int256(position.entryPriceWad) * sizeAbs;
        int256 priceWad =
            position.size > 0
                ? (entryTimesSizeAbs - settledMarginUsd * WAD_INT).divFloor(sizeAbs)
                : (entryTimesSizeAbs + settledMarginUsd * WAD_INT).divCeil(sizeAbs);
        return priceWad > 0 ? uint256(priceWad) : 0;
    }

    /// @dev DESIGN §8 steps 3–4: the vault took the unplaced size as counterparty and absorbs `restUsd` (what
    /// the fund and ADL left) up to its equity; only what would take its equity below zero is socialized over
    /// the opposite side's open traders. Called once the books show the liquidation (cash, totals), so the
    /// equity measured is the vault's after absorbing everything.
    /// - Nobody else holds the opposite side: the vault bears all of it (there is no one to charge).
    /// - Some market with open interest has no valid price: the vault cannot be valued, so it absorbs nothing
    ///   and the rest is socialized (conservative: a loss the vault might not be able to bear is not put on
    ///   LPs on an unverifiable valuation; liquidation still never reverts).
    function _splitRest(
        EngineState storage st,
        bytes32 marketId,
        int256 bankruptSize,
        uint256 restUsd
    ) private returns (uint256 vaultPaidUsd, uint256 socializedUsd) {
        MarketState storage state = st.marketStates[marketId];
        uint256 oppositeTradersSize = bankruptSize > 0 ? state.shortOpenInterest : state.longOpenInterest;
        if (oppositeTradersSize == 0) return (restUsd, 0);
        (bool valued, int256 equityUsd) = _tryVaultEquityUsd(st);
        if (!valued) return (0, restUsd);
        if (equityUsd >= 0) return (restUsd, 0);
        uint256 shortfallUsd = uint256(-equityUsd);
        socializedUsd = shortfallUsd < restUsd ? shortfallUsd : restUsd;
        vaultPaidUsd = restUsd - socializedUsd;
    }

    /// @dev The vault's equity marked to market (gains included: what it could bear now), or false when some
    /// market with open interest has no valid price. Reads and caches every such price (never reverts).
    function _tryVaultEquityUsd(EngineState storage st) private returns (bool, int256) {
        uint256 marketCount = st.listedMarketIds.length;
        for (uint256 i; i < marketCount; ++i) {
            bytes32 id = st.listedMarketIds[i];
            MarketState storage state = st.marketStates[id];
            if (state.longOpenInterest + state.shortOpenInterest == 0) continue;
            (bool valid, ) = MarketLogic.tryReadPrice(id, st.marketConfigs[id]);
            if (!valid) return (false, 0);
        }
        return (true, MarketLogic.vaultEquityUsd(st, true));
    }

    /// @dev Raises the opposite traders' loss index by amount / their open interest, rounded up so that they
    /// owe at least the amount (the vault, which has no equity left to give, is not charged).
    function _socialize(MarketState storage state, bytes32 marketId, int256 bankruptSize, uint256 amountUsd) private {
        bool chargeLongs = bankruptSize < 0;
        uint256 openInterest = chargeLongs ? state.longOpenInterest : state.shortOpenInterest;
        uint256 indexWad =
            (chargeLongs ? state.longLossIndexWad : state.shortLossIndexWad) +
                SignedMath.divCeilU(amountUsd * WAD, openInterest);
        if (chargeLongs) state.longLossIndexWad = indexWad;
        else state.shortLossIndexWad = indexWad;
        emit IPerpEngine.LossSocialized(marketId, chargeLongs, amountUsd, openInterest, indexWad);
    }

    // ───────────────────────── bookkeeping ─────────────────────────

    /// @dev Writes the position, the market totals, the vault's cash, the keeper's and the trader's
    /// credits, then splits what the fund and ADL left between the vault and socialization. Vault cash
    /// receives what the trader owed and lost, less the deficit, plus the insurance payment:
    /// funding + loss − realised PnL − residual deficit + insurancePaid; a socialized part then becomes the
    /// vault's receivable from the opposite traders.
    function _store(
        EngineState storage st,
        MarketState storage state,
        Position memory old,
        Liquidation memory liq
    ) private {
        Position memory updated;
        updated.size = old.size - liq.closedSize;
        if (updated.size != 0) {
            updated.entryPriceWad = old.entryPriceWad;
            updated.marginUsd = liq.remainingMarginUsd;
            updated.fundingIndexSnapshotWad = state.fundingIndexWad;
            updated.lossIndexSnapshotWad = MarketLogic.lossIndexWad(state, updated.size);
        } else if (liq.remainingMarginUsd != 0) {
            st.freeBalances[liq.account] += liq.remainingMarginUsd;
        }
        // The ADL'd part moved to the counterparties (already booked), so only the rest leaves Σ sizes.
        MarketLogic.updateMarketTotals(state, old, updated, -liq.closedSize);
        PositionStore.store(st.positions[liq.marketId][liq.account], updated);
        AdlLogic.rekey(st, liq.marketId, liq.account, old.size, updated);
        st.vaultCashUsd +=
            liq.fundingPaidUsd +
            int256(liq.lossPaidUsd) -
            liq.realizedPnlUsd -
            int256(liq.residualDeficitUsd) +
            int256(liq.insurancePaidUsd);
        st.freeBalances[liq.keeper] += liq.keeperFromMarginUsd + liq.keeperPenaltyUsd + liq.keeperTopUpUsd;
        uint256 restUsd = liq.residualDeficitUsd - liq.insurancePaidUsd;
        if (restUsd != 0) {
            (liq.vaultPaidUsd, liq.socializedUsd) = _splitRest(st, liq.marketId, old.size, restUsd);
            if (liq.socializedUsd != 0) _socialize(state, liq.marketId, old.size, liq.socializedUsd);
        }
    }

    function _emitLiquidated(Liquidation memory liq, int256 oldSize) private {
        emit IPerpEngine.Liquidated(
            liq.account,
            liq.marketId,
            liq.keeper,
            liq.closedSize,
            liq.executionPriceWad,
            oldSize - liq.closedSize,
            oldSize == liq.closedSize ? 0 : liq.remainingMarginUsd,
            liq.penaltyUsd,
            liq.keeperFromMarginUsd + liq.keeperPenaltyUsd + liq.keeperTopUpUsd,
            liq.deficitUsd,
            liq.insurancePaidUsd,
            liq.adlPaidUsd,
            liq.vaultPaidUsd,
            liq.socializedUsd
        );
    }

    function _skip(address account, bytes32 marketId, IPerpEngine.LiquidationSkipReason reason) private returns (bool) {
        emit IPerpEngine.LiquidationSkipped(account, marketId, reason);
        return false;
    }
}
