// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {PositionStore} from "../libraries/PositionStore.sol";
import {IPerpEngine} from "../interfaces/IPerpEngine.sol";
import {Position, MarketState} from "../interfaces/IPerpTypes.sol";
import {EngineState, MarketConfig} from "../libraries/EngineStorage.sol";
import {MarketLogic} from "../libraries/MarketLogic.sol";
import {PositionMath} from "../libraries/PositionMath.sol";
import {LiquidationMath} from "../libraries/LiquidationMath.sol";
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

    /// @dev The inputs of one ADL walk, in memory to bound stack depth.
    struct AdlWalk {
        bytes32 marketId;
        uint256 bankruptcyPriceWad;
        uint256 priceWad;
        uint256 remainingAbs;
    }

    /// @dev The inputs of one vault-protection walk, in memory to bound stack depth.
    struct ProtectionWalk {
        bytes32 marketId;
        uint256 priceWad;
        uint256 lowerUsd;
        uint256 maxCloses;
        uint256 maxSkips;
    }

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

    /// @notice Closes up to `targetSizeAbs` of the side opposite a bankrupt position against the queue, most
    /// leveraged first. Each counterparty closes at the worse (for it) of the bankruptcy price B and the fill
    /// its own close would get now, so ADL is never a better exit than a voluntary close: a position opened
    /// with a skew rebate just before the liquidation cannot keep the rebate by being closed at B, and whatever
    /// it pays beyond B goes to the vault that paid the rebate. Counterparties not in profit at that price are
    /// skipped. At most `adlConfig.maxSteps` counterparties are deleveraged and at most `adlConfig.maxSkips`
    /// entries passed over. Returns the size placed.
    /// @param bankruptSize Size of the bankrupt position (its sign picks the opposite queue).
    /// @param priceWad The oracle price of this transaction (values the counterparties' own close fills).
    function deleverage(
        EngineState storage st,
        bytes32 marketId,
        int256 bankruptSize,
        uint256 bankruptcyPriceWad,
        uint256 priceWad,
        uint256 targetSizeAbs
    ) external returns (uint256 placedAbs) {
        AdlWalk memory walk = AdlWalk(marketId, bankruptcyPriceWad, priceWad, targetSizeAbs);
        _walkAdl(st, walk, bankruptSize < 0);
        placedAbs = targetSizeAbs - walk.remainingAbs;
    }

    /// @dev The ADL walk: deleverages until `walk.remainingAbs` is placed, `maxSteps` counterparties were
    /// deleveraged or `maxSkips` entries were passed over.
    function _walkAdl(EngineState storage st, AdlWalk memory walk, bool counterpartiesLong) private {
        AdlQueue.Queue storage queue = _queue(st, walk.marketId, counterpartiesLong);
        uint256 maxSteps = st.adlConfig.maxSteps;
        uint256 maxSkips = st.adlConfig.maxSkips;
        uint256 steps;
        uint256 skips;
        address cursor = queue.head(counterpartiesLong);
        while (cursor != address(0) && walk.remainingAbs != 0 && steps < maxSteps) {
            address following = queue.next(cursor, counterpartiesLong);
            uint256 placed = _deleverageOne(st, walk, cursor);
            if (placed == 0) {
                if (skips == maxSkips) break;
                ++skips;
            } else {
                walk.remainingAbs -= placed;
                ++steps;
            }
            cursor = following;
        }
    }

    /// @dev One ADL step: closes min(remaining, size) of a counterparty in profit at its ADL price; returns the
    /// size placed (0 when skipped).
    function _deleverageOne(EngineState storage st, AdlWalk memory walk, address account) private returns (uint256) {
        Position memory position = PositionStore.load(st.positions[walk.marketId][account]);
        uint256 takeAbs = position.size.abs() < walk.remainingAbs ? position.size.abs() : walk.remainingAbs;
        MarketState storage state = st.marketStates[walk.marketId];
        uint256 closePriceWad = adlClosePriceWad(
            walk.bankruptcyPriceWad,
            walk.priceWad,
            state.netSize,
            position.size,
            takeAbs,
            st.marketConfigs[walk.marketId].params.skewScale
        );
        if (PositionMath.unrealizedPnlUsd(position.size, position.entryPriceWad, closePriceWad) <= 0) return 0;
        return _reduceAt(st, state, walk.marketId, account, position, takeAbs, closePriceWad) ? takeAbs : 0;
    }

    /// @notice The price an ADL counterparty of size `size` closes `takeAbs` at: the bankruptcy price B, or the
    /// skew fill of its own close at `skew` when that is worse for it (higher for a short buying back, lower
    /// for a long selling).
    function adlClosePriceWad(
        uint256 bankruptcyPriceWad,
        uint256 priceWad,
        int256 skew,
        int256 size,
        uint256 takeAbs,
        uint256 skewScale
    ) internal pure returns (uint256) {
        int256 closingDelta = size > 0 ? -int256(takeAbs) : int256(takeAbs);
        uint256 fillWad = LiquidationMath.executionPriceWad(priceWad, skew, closingDelta, skewScale);
        if (size > 0) return fillWad < bankruptcyPriceWad ? fillWad : bankruptcyPriceWad;
        return fillWad > bankruptcyPriceWad ? fillWad : bankruptcyPriceWad;
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
        lossAfterUsd = _walkVaultProtection(
            st,
            ProtectionWalk(marketId, priceWad, lowerUsd, maxSteps, st.adlConfig.maxSkips),
            lossBeforeUsd
        );
        emit IPerpEngine.VaultDeleveraged(marketId, lossBeforeUsd, lossAfterUsd, lowerUsd);
    }

    /// @notice The vault protection every trade and funding poke runs after its own work, so that the vault does
    /// not depend on a keeper while its market is active: the `deleverageVault` walk, at most `maxSteps` closes
    /// and as many skipped entries (a trader pays for this walk, so it stays short), only
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
        uint256 lossAfterUsd = _walkVaultProtection(
            st,
            ProtectionWalk(marketId, priceWad, lowerUsd, maxSteps, maxSteps),
            lossBeforeUsd
        );
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

    /// @dev Walks the side winning against the vault (opposite the vault's position), most leveraged first:
    /// at most `maxCloses` positions closed and `maxSkips` passed over (not in profit).
    function _walkVaultProtection(
        EngineState storage st,
        ProtectionWalk memory walk,
        uint256 lossUsd
    ) private returns (uint256) {
        bool closeLongs = st.marketStates[walk.marketId].netSize > 0;
        AdlQueue.Queue storage queue = _queue(st, walk.marketId, closeLongs);
        address cursor = queue.head(closeLongs);
        uint256 closes;
        uint256 skips;
        while (closes < walk.maxCloses && cursor != address(0) && lossUsd > walk.lowerUsd) {
            address following = queue.next(cursor, closeLongs);
            if (_protectVaultOne(st, walk.marketId, cursor, walk.priceWad, lossUsd - walk.lowerUsd)) {
                lossUsd = _vaultLossUsd(st, walk.marketId);
                ++closes;
            } else {
                if (skips == walk.maxSkips) break;
                ++skips;
            }
            cursor = following;
        }
        return lossUsd;
    }

    /// @dev Closes no more of a winning position than lowers the vault's loss by `excessLossUsd` (closing c
    /// units lowers it by c × profit per unit at the oracle price), at the skew fill of that close like any
    /// forced close (path-independent impact). False when not in profit.
    function _protectVaultOne(
        EngineState storage st,
        bytes32 marketId,
        address account,
        uint256 priceWad,
        uint256 excessLossUsd
    ) private returns (bool) {
        Position memory position = PositionStore.load(st.positions[marketId][account]);
        MarketState storage state = st.marketStates[marketId];
        uint256 takeAbs = _vaultProtectionCloseAbs(state, position, priceWad, excessLossUsd);
        if (takeAbs == 0) return false;
        uint256 closePriceWad = LiquidationMath.executionPriceWad(
            priceWad,
            state.netSize,
            position.size > 0 ? -int256(takeAbs) : int256(takeAbs),
            st.marketConfigs[marketId].params.skewScale
        );
        if (PositionMath.unrealizedPnlUsd(position.size, position.entryPriceWad, closePriceWad) <= 0) return false;
        return _reduceAt(st, state, marketId, account, position, takeAbs, closePriceWad);
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
        PositionStore.store(st.positions[marketId][account], updated);
        st.vaultCashUsd += fundingOwedUsd + int256(lossOwedUsd) - realizedPnlUsd;
        _rekey(st, marketId, account, old.size, updated);
        emit IPerpEngine.Deleveraged(
            account,
            marketId,
            closedSize,
            priceWad,
            realizedPnlUsd,
            fundingOwedUsd,
            lossOwedUsd,
            updated.size,
            updated.marginUsd
        );
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
