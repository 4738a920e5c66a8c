// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IPerpEngine} from "../interfaces/IPerpEngine.sol";
import {Position, MarketState} from "../interfaces/IPerpTypes.sol";
import {EngineState, MarketConfig} from "../libraries/EngineStorage.sol";
import {MarketLogic} from "../libraries/MarketLogic.sol";
import {PositionMath} from "../libraries/PositionMath.sol";
import {SignedMath} from "../libraries/SignedMath.sol";
import {WAD, WAD_INT, BPS} from "../libraries/Constants.sol";
import {AdlQueue} from "./AdlQueue.sol";

/// @title AdlLogic
/// @notice Auto-deleveraging (DESIGN §8 step 2, §9): keeps every eligible position ranked in its
/// (market, side) `AdlQueue`, closes ranked counterparties at a bankrupt position's bankruptcy price
/// during liquidation, and protects the vault (`deleverageVault`). An external library run by DELEGATECALL
/// on the engine's storage, from the engine (re-ranking on trades) and from LiquidationLogic.
/// @dev Why the key is not the exchanges' `PnL% × leverage`: that product changes order as the price
/// moves (Hyperliquid's score in ~20% of random pairs), so a sorted structure would need re-sorting on
/// every price update. The bankruptcy-price key orders positions by effective leverage at every price
/// and only changes when the position itself does.
library AdlLogic {
    using AdlQueue for AdlQueue.Queue;
    using SignedMath for int256;

    // ───────────────────────── ranking ─────────────────────────

    /// @notice Re-ranks `account` after its position changed from `oldSize` to `updated` (any side, any
    /// size, including closed): removed from its old queue, inserted with its new key if eligible.
    function rekey(
        EngineState storage st,
        bytes32 marketId,
        address account,
        int256 oldSize,
        Position memory updated
    ) external {
        _rekey(st, marketId, account, oldSize, updated);
    }

    /// @notice The static ADL key (see AdlQueue): long K = entry − margin/size − fundingSnapshot −
    /// lossSnapshot; short K = entry + margin/|size| − fundingSnapshot + lossSnapshot (USD per unit, 1e18).
    /// @dev Truncating division: the key only orders positions, and one tick spans 0.61 bp.
    function adlKey(Position memory position) internal pure returns (int256) {
        int256 marginPerUnit = (int256(position.marginUsd) * WAD_INT) / position.size;
        return
            int256(position.entryPriceWad) -
            marginPerUnit -
            position.fundingIndexSnapshotWad +
            (position.size > 0 ? -int256(position.lossIndexSnapshotWad) : int256(position.lossIndexSnapshotWad));
    }

    /// @notice The ADL lights of a position: 5 for the most exposed 20% of its queue down to 1; 0 when it
    /// is not in a queue. Also returns its rank (0 = next to be deleveraged) and the queue's length.
    function adlLight(
        EngineState storage st,
        bytes32 marketId,
        address account
    ) external view returns (uint8 light, uint256 rank, uint256 queueLength) {
        int256 size = st.positions[marketId][account].size;
        if (size == 0) return (0, 0, 0);
        AdlQueue.Queue storage queue = _queue(st, marketId, size > 0);
        queueLength = queue.lengthOf();
        if (!queue.contains(account)) return (0, 0, queueLength);
        rank = queue.rankOf(account, size > 0);
        light = uint8(5 - (rank * 5) / queueLength);
    }

    /// @notice The next position to be deleveraged on a side (address(0) when the queue is empty).
    function queueHead(EngineState storage st, bytes32 marketId, bool isLong) external view returns (address) {
        return _queue(st, marketId, isLong).head(isLong);
    }

    // ───────────────────────── ADL in liquidation ─────────────────────────

    /// @notice Closes up to `targetSizeAbs` of the side opposite a bankrupt position against the queue at
    /// the bankruptcy price, most leveraged first, skipping counterparties not in profit there; at most
    /// `adlConfig.maxSteps` queue entries are visited. Returns the size placed.
    /// @param bankruptSize Size of the bankrupt position (its sign picks the opposite queue).
    function deleverage(
        EngineState storage st,
        bytes32 marketId,
        int256 bankruptSize,
        uint256 bankruptcyPriceWad,
        uint256 targetSizeAbs
    ) external returns (uint256 placedAbs) {
        bool counterpartiesLong = bankruptSize < 0;
        AdlQueue.Queue storage queue = _queue(st, marketId, counterpartiesLong);
        uint256 maxSteps = st.adlConfig.maxSteps;
        address cursor = queue.head(counterpartiesLong);
        for (uint256 step; step < maxSteps && cursor != address(0) && placedAbs < targetSizeAbs; ++step) {
            address following = queue.next(cursor, counterpartiesLong);
            placedAbs += _deleverageOne(st, marketId, cursor, bankruptcyPriceWad, targetSizeAbs - placedAbs);
            cursor = following;
        }
    }

    /// @dev One ADL step: closes min(remaining, size) of a counterparty in profit at the bankruptcy price;
    /// returns the size placed (0 when skipped).
    function _deleverageOne(
        EngineState storage st,
        bytes32 marketId,
        address account,
        uint256 bankruptcyPriceWad,
        uint256 remainingAbs
    ) private returns (uint256) {
        Position memory position = st.positions[marketId][account];
        if (PositionMath.unrealizedPnlUsd(position.size, position.entryPriceWad, bankruptcyPriceWad) <= 0) return 0;
        uint256 takeAbs = position.size.abs() < remainingAbs ? position.size.abs() : remainingAbs;
        MarketState storage state = st.marketStates[marketId];
        return _reduceAt(st, state, marketId, account, position, takeAbs, bankruptcyPriceWad) ? takeAbs : 0;
    }

    // ───────────────────────── vault protection ─────────────────────────

    /// @notice See IPerpEngine.deleverageVault.
    function deleverageVault(
        EngineState storage st,
        bytes32 marketId,
        uint256 maxSteps
    ) external returns (uint256 lossBeforeUsd, uint256 lossAfterUsd) {
        MarketConfig storage config = MarketLogic.listedMarket(st, marketId);
        if (config.settlementPriceWad != 0) revert IPerpEngine.MarketIsSettled(marketId);
        (uint256 priceWad, ) = MarketLogic.readPrice(marketId, config);
        MarketLogic.accrueFunding(st.marketStates[marketId], config, marketId, priceWad);

        uint256 upperUsd;
        uint256 lowerUsd;
        (lossBeforeUsd, upperUsd, lowerUsd) = _vaultLossAndThresholds(st, marketId);
        if (lossBeforeUsd <= upperUsd) revert IPerpEngine.VaultDeleverageNotNeeded(marketId, lossBeforeUsd, upperUsd);
        lossAfterUsd = _walkVaultProtection(st, marketId, priceWad, lossBeforeUsd, lowerUsd, maxSteps);
        emit IPerpEngine.VaultDeleveraged(marketId, lossBeforeUsd, lossAfterUsd, lowerUsd);
    }

    /// @notice The vault protection every trade and funding poke runs after its own work, so that the vault does
    /// not depend on a keeper while its market is active: the `deleverageVault` walk, at most `maxSteps`, only
    /// when the vault's loss in `marketId` is over the upper threshold. It never reverts the caller's action: it
    /// does nothing while liquidations are paused (like `deleverageVault`), in a settled market, when the vault
    /// is not losing in this market (checked before any other market's price is read), or while any market with
    /// open interest has no valid price (the vault cannot be valued). The caller has read this
    /// market's price and accrued its funding in the same transaction.
    function protectVaultAfterAction(EngineState storage st, bytes32 marketId, uint256 maxSteps) external {
        if (maxSteps == 0 || st.pauses.liquidations) return;
        MarketConfig storage config = st.marketConfigs[marketId];
        if (config.settlementPriceWad != 0 || st.marketStates[marketId].netSize == 0) return;
        // Cheap exit first (this market's price is cached): no loss here, nothing to protect.
        if (_vaultLossUsd(st, marketId) == 0) return;
        uint256 marketCount = st.listedMarketIds.length;
        for (uint256 i; i < marketCount; ++i) {
            bytes32 id = st.listedMarketIds[i];
            MarketState storage state = st.marketStates[id];
            if (state.longOpenInterest + state.shortOpenInterest == 0) continue;
            (bool valid, ) = MarketLogic.tryReadPrice(id, st.marketConfigs[id]);
            if (!valid) return;
        }
        (uint256 lossBeforeUsd, uint256 upperUsd, uint256 lowerUsd) = _vaultLossAndThresholds(st, marketId);
        if (lossBeforeUsd <= upperUsd) return;
        (uint256 priceWad, ) = MarketLogic.readPrice(marketId, config);
        uint256 lossAfterUsd = _walkVaultProtection(st, marketId, priceWad, lossBeforeUsd, lowerUsd, maxSteps);
        emit IPerpEngine.VaultDeleveraged(marketId, lossBeforeUsd, lossAfterUsd, lowerUsd);
    }

    /// @dev The vault's unrealised loss in the market and the upper/lower thresholds on its deposit-side equity.
    function _vaultLossAndThresholds(
        EngineState storage st,
        bytes32 marketId
    ) private view returns (uint256 lossUsd, uint256 upperUsd, uint256 lowerUsd) {
        int256 equityUsd = MarketLogic.vaultEquityUsd(st, true);
        upperUsd = _shareOf(equityUsd, st.adlConfig.vaultLossUpperBps);
        lowerUsd = _shareOf(equityUsd, st.adlConfig.vaultLossLowerBps);
        lossUsd = _vaultLossUsd(st, marketId);
    }

    /// @dev Walks the side winning against the vault (opposite the vault's position), most leveraged first.
    function _walkVaultProtection(
        EngineState storage st,
        bytes32 marketId,
        uint256 priceWad,
        uint256 lossUsd,
        uint256 lowerUsd,
        uint256 maxSteps
    ) private returns (uint256) {
        bool closeLongs = st.marketStates[marketId].netSize > 0;
        AdlQueue.Queue storage queue = _queue(st, marketId, closeLongs);
        address cursor = queue.head(closeLongs);
        for (uint256 step; step < maxSteps && cursor != address(0) && lossUsd > lowerUsd; ++step) {
            address following = queue.next(cursor, closeLongs);
            if (_protectVaultOne(st, marketId, cursor, priceWad, lossUsd - lowerUsd)) {
                lossUsd = _vaultLossUsd(st, marketId);
            }
            cursor = following;
        }
        return lossUsd;
    }

    /// @dev Closes, at the oracle price, no more of a winning position than lowers the vault's loss by
    /// `excessLossUsd` (closing c units lowers it by c × profit per unit). False when not in profit.
    function _protectVaultOne(
        EngineState storage st,
        bytes32 marketId,
        address account,
        uint256 priceWad,
        uint256 excessLossUsd
    ) private returns (bool) {
        Position memory position = st.positions[marketId][account];
        MarketState storage state = st.marketStates[marketId];
        uint256 takeAbs = _vaultProtectionCloseAbs(state, position, priceWad, excessLossUsd);
        if (takeAbs == 0) return false;
        return _reduceAt(st, state, marketId, account, position, takeAbs, priceWad);
    }

    /// @dev Size to close (0 when the position is not in profit). Touching the position also settles what
    /// it owes the vault, which moves that much from the vault's receivables to its cash and so raises the
    /// measured loss by it: close enough to cover both.
    function _vaultProtectionCloseAbs(
        MarketState storage state,
        Position memory position,
        uint256 priceWad,
        uint256 excessLossUsd
    ) private view returns (uint256) {
        int256 profitPerUnitWad =
            position.size > 0
                ? int256(priceWad) - int256(position.entryPriceWad)
                : int256(position.entryPriceWad) - int256(priceWad);
        if (profitPerUnitWad <= 0) return 0;
        (int256 fundingOwedUsd, uint256 lossOwedUsd) = MarketLogic.owedUsd(state, position, state.fundingIndexWad);
        int256 toCoverUsd = int256(excessLossUsd) + fundingOwedUsd + int256(lossOwedUsd);
        uint256 sizeAbs = position.size.abs();
        if (toCoverUsd <= 0) return 1;
        uint256 neededAbs = SignedMath.divCeilU(uint256(toCoverUsd) * WAD, uint256(profitPerUnitWad));
        return sizeAbs < neededAbs ? sizeAbs : neededAbs;
    }

    // ───────────────────────── shared steps ─────────────────────────

    /// @dev Closes `takeAbs` of `account`'s position at `priceWad` against the vault's books, after settling
    /// its funding and socialized loss; realised PnL lands in its margin (the whole margin in its free
    /// balance once closed). Returns false, changing nothing, when its margin cannot cover what it owes.
    function _reduceAt(
        EngineState storage st,
        MarketState storage state,
        bytes32 marketId,
        address account,
        Position memory old,
        uint256 takeAbs,
        uint256 priceWad
    ) private returns (bool) {
        (int256 fundingOwedUsd, uint256 lossOwedUsd) = MarketLogic.owedUsd(state, old, state.fundingIndexWad);
        int256 closedSize = old.size > 0 ? int256(takeAbs) : -int256(takeAbs);
        int256 realizedPnlUsd = PositionMath.unrealizedPnlUsd(closedSize, old.entryPriceWad, priceWad);
        int256 marginUsd = int256(old.marginUsd) - fundingOwedUsd - int256(lossOwedUsd) + realizedPnlUsd;
        if (marginUsd < 0) return false;

        Position memory updated;
        updated.size = old.size - closedSize;
        if (updated.size == 0) {
            st.freeBalances[account] += uint256(marginUsd);
        } else {
            updated.entryPriceWad = old.entryPriceWad;
            updated.marginUsd = uint256(marginUsd);
            updated.fundingIndexSnapshotWad = state.fundingIndexWad;
            updated.lossIndexSnapshotWad = MarketLogic.lossIndexWad(state, updated.size);
        }
        MarketLogic.updateMarketTotals(state, old, updated, -closedSize);
        st.positions[marketId][account] = updated;
        st.vaultCashUsd += fundingOwedUsd + int256(lossOwedUsd) - realizedPnlUsd;
        _rekey(st, marketId, account, old.size, updated);
        emit IPerpEngine.Deleveraged(account, marketId, closedSize, priceWad);
        return true;
    }

    function _rekey(
        EngineState storage st,
        bytes32 marketId,
        address account,
        int256 oldSize,
        Position memory updated
    ) private {
        if (oldSize != 0) _queue(st, marketId, oldSize > 0).remove(account);
        if (updated.size == 0) return;
        uint256 entryNotionalUsd = (updated.size.abs() * updated.entryPriceWad) / WAD;
        if (entryNotionalUsd < st.adlConfig.minQueueNotionalUsd) return;
        _queue(st, marketId, updated.size > 0).insert(account, adlKey(updated));
    }

    function _queue(
        EngineState storage st,
        bytes32 marketId,
        bool isLong
    ) private view returns (AdlQueue.Queue storage) {
        return isLong ? st.longQueues[marketId] : st.shortQueues[marketId];
    }

    /// @dev The vault's unrealised loss in one market (0 when it is in profit there).
    function _vaultLossUsd(EngineState storage st, bytes32 marketId) private view returns (uint256) {
        int256 valueUsd = MarketLogic.vaultMarketValueUsd(st, marketId);
        return valueUsd < 0 ? uint256(-valueUsd) : 0;
    }

    function _shareOf(int256 equityUsd, uint256 bps) private pure returns (uint256) {
        return equityUsd <= 0 ? 0 : (uint256(equityUsd) * bps) / BPS;
    }
}
