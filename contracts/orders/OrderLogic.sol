// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {IPerpEngine} from "../interfaces/IPerpEngine.sol";
import {MarketParams, Order} from "../interfaces/IPerpTypes.sol";
import {EngineState, MarketConfig} from "../libraries/EngineStorage.sol";
import {MarketLogic} from "../libraries/MarketLogic.sol";

/// @title OrderLogic
/// @notice Two-step orders (DESIGN §4): a trader commits `modifyPosition`'s arguments, escrowing the margin
/// to add and an execution fee; after the market's `executionDelaySeconds` anyone executes it at the price
/// read then, so nobody trades against an oracle answer they know is about to change. An external library
/// run by DELEGATECALL on the engine's storage; the engine runs the trade itself (its `modifyPosition`
/// path) inside a try/catch, so that an order that would revert is cancelled instead.
/// @dev Rules: one pending order per (account, market); the owner cannot cancel a live order (the delay
/// would be a free option); an order whose position changed since commit is cancelled at execution (a
/// reduce can never become an opening of the other side); the executor or canceller always gets the fee, so
/// keepers cannot be griefed by orders that fail. Escrow is outside every position: it is neither margin
/// nor exposed to the waterfall, and it is its own bucket of the accounting identity (`escrowedOrdersUsd`).
library OrderLogic {
    using SafeCast for int256;

    /// @notice See IPerpEngine.commitOrder.
    function commitOrder(
        EngineState storage st,
        address account,
        bytes32 marketId,
        int256 sizeDelta,
        int256 marginDelta,
        uint256 acceptablePrice
    ) external {
        MarketConfig storage config = MarketLogic.listedMarket(st, marketId);
        if (config.settlementPriceWad != 0) revert IPerpEngine.MarketIsSettled(marketId);
        MarketParams storage params = config.params;
        if (params.executionDelaySeconds == 0) revert IPerpEngine.OrdersNotEnabled(marketId);
        if (sizeDelta == 0 && marginDelta == 0) revert IPerpEngine.EmptyAction();
        int256 sizeNow = st.positions[marketId][account].size;
        if (sizeDelta == 0 && sizeNow == 0) revert IPerpEngine.NoPosition(account, marketId);
        Order storage order = st.orders[marketId][account];
        if (order.sizeDelta != 0 || order.marginDeltaUsd != 0)
            revert IPerpEngine.OrderAlreadyPending(account, marketId);

        uint256 escrowedMarginUsd = marginDelta > 0 ? uint256(marginDelta) : 0;
        uint256 feeUsd = params.executionFeeUsd;
        _debitFree(st, account, escrowedMarginUsd + feeUsd);
        st.escrowedOrdersUsd += escrowedMarginUsd + feeUsd;

        uint64 executableAt = uint64(block.timestamp) + params.executionDelaySeconds;
        uint64 expiresAt = executableAt + params.orderExpirySeconds;
        uint256 cappedPrice = acceptablePrice > type(uint128).max ? type(uint128).max : acceptablePrice;
        order.sizeDelta = sizeDelta.toInt128();
        order.sizeAtCommit = sizeNow.toInt128();
        order.marginDeltaUsd = marginDelta.toInt128();
        order.acceptablePriceWad = uint128(cappedPrice);
        order.executableAt = executableAt;
        order.expiresAt = expiresAt;
        order.executionFeeUsd = uint128(feeUsd);
        emit IPerpEngine.OrderCommitted(
            account,
            marketId,
            sizeDelta,
            marginDelta,
            cappedPrice,
            sizeNow,
            escrowedMarginUsd,
            feeUsd,
            executableAt,
            expiresAt
        );
    }

    /// @notice First half of `executeOrder`: checks the order may be executed now, removes it and its escrow
    /// (the escrowed margin goes back to the free balance, where the trade path takes it from), and returns
    /// the reason to cancel it without trading, if any (settled market, position changed since commit).
    function takeForExecution(
        EngineState storage st,
        address account,
        bytes32 marketId
    ) external returns (Order memory order, bytes memory cancelReason) {
        order = _existing(st, account, marketId);
        if (block.timestamp < order.executableAt) {
            revert IPerpEngine.OrderNotReady(account, marketId, order.executableAt);
        }
        bool settled = st.marketConfigs[marketId].settlementPriceWad != 0;
        if (block.timestamp > order.expiresAt && !settled) {
            revert IPerpEngine.OrderExpired(account, marketId, order.expiresAt);
        }
        _release(st, account, marketId, order);
        int256 sizeNow = st.positions[marketId][account].size;
        if (settled) {
            cancelReason = abi.encodeWithSelector(IPerpEngine.MarketIsSettled.selector, marketId);
        } else if (sizeNow != order.sizeAtCommit) {
            cancelReason = abi.encodeWithSelector(
                IPerpEngine.PositionChangedSinceCommit.selector,
                account,
                marketId,
                int256(order.sizeAtCommit),
                sizeNow
            );
        }
    }

    /// @notice Second half of `executeOrder`: credits the executor's fee and, when the order was not executed,
    /// emits its cancellation with the reason.
    function finishExecution(
        EngineState storage st,
        address account,
        bytes32 marketId,
        address executor,
        Order memory order,
        bytes memory cancelReason
    ) external {
        st.freeBalances[executor] += order.executionFeeUsd;
        if (cancelReason.length != 0) {
            emit IPerpEngine.OrderCancelled(
                account,
                marketId,
                executor,
                cancelReason,
                _escrowedMarginUsd(order),
                order.executionFeeUsd
            );
        }
    }

    /// @notice See IPerpEngine.cancelOrder.
    function cancelOrder(EngineState storage st, address account, bytes32 marketId, address caller) external {
        Order memory order = _existing(st, account, marketId);
        bytes memory reason;
        if (st.marketConfigs[marketId].settlementPriceWad != 0) {
            reason = abi.encodeWithSelector(IPerpEngine.MarketIsSettled.selector, marketId);
        } else if (block.timestamp > order.expiresAt) {
            reason = abi.encodeWithSelector(IPerpEngine.OrderExpired.selector, account, marketId, order.expiresAt);
        } else {
            revert IPerpEngine.OrderNotExpired(account, marketId, order.expiresAt);
        }
        _release(st, account, marketId, order);
        st.freeBalances[caller] += order.executionFeeUsd;
        emit IPerpEngine.OrderCancelled(
            account,
            marketId,
            caller,
            reason,
            _escrowedMarginUsd(order),
            order.executionFeeUsd
        );
    }

    /// @dev The pending order; reverts when there is none.
    function _existing(
        EngineState storage st,
        address account,
        bytes32 marketId
    ) private view returns (Order memory order) {
        order = st.orders[marketId][account];
        if (order.sizeDelta == 0 && order.marginDeltaUsd == 0) revert IPerpEngine.NoPendingOrder(account, marketId);
    }

    /// @dev Deletes the order and its escrow; the escrowed margin returns to the owner's free balance (the fee
    /// is credited by the caller to whoever earned it).
    function _release(EngineState storage st, address account, bytes32 marketId, Order memory order) private {
        delete st.orders[marketId][account];
        uint256 marginUsd = _escrowedMarginUsd(order);
        st.escrowedOrdersUsd -= marginUsd + order.executionFeeUsd;
        st.freeBalances[account] += marginUsd;
    }

    function _escrowedMarginUsd(Order memory order) private pure returns (uint256) {
        return order.marginDeltaUsd > 0 ? uint256(int256(order.marginDeltaUsd)) : 0;
    }

    function _debitFree(EngineState storage st, address account, uint256 amountUsd) private {
        uint256 available = st.freeBalances[account];
        if (available < amountUsd) revert IPerpEngine.InsufficientFreeBalance(account, available, amountUsd);
        st.freeBalances[account] = available - amountUsd;
    }
}
