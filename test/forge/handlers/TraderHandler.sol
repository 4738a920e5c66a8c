// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IPerpEngine} from "../../../contracts/interfaces/IPerpEngine.sol";
import {Position, MarketParams, MarginTier, MarketState} from "../../../contracts/interfaces/IPerpTypes.sol";
import {PositionMath} from "../../../contracts/libraries/PositionMath.sol";
import {SignedMath} from "../../../contracts/libraries/SignedMath.sol";
import {IERC20Errors} from "@openzeppelin/contracts/interfaces/draft-IERC6093.sol";
import {Vm, vm} from "../utils/Vm.sol";
import {PerpSystem} from "../system/PerpSystem.sol";
import {SystemConfig} from "../system/SystemConfig.sol";
import {Ghosts} from "../ghosts/Ghosts.sol";
import {InvariantNames} from "../invariants/InvariantNames.sol";
import {HandlerBase} from "./HandlerBase.sol";
import {CallContext} from "./CallContext.sol";
import {Reasons} from "./Reasons.sol";
import {CanaryNames} from "../canaries/CanaryNames.sol";

/// @title TraderHandler
/// @notice Traders: deposit, withdraw, open / increase / reduce / flip / close through `modifyPosition`, margin moves,
/// `closePosition`, with edge-biased sizes (1 wei … $1M, the OI cap and one wei past it), margins (leverage 1–19x,
/// exactly the initial margin and one wei under it, the minimum margin, 1 wei, everything free) and slippage
/// bounds (the exact fill and one wei past it). Checks after each call (DESIGN §12.8): opening, increasing and
/// margin removal leave the initial margin met, a reduce never lowers the margin ratio and releases no margin.
/// Liveness (DESIGN §12.10): `withdrawFreeBalanceNoRevert`, `closeHealthyNoRevert`.
contract TraderHandler is HandlerBase {
    using SignedMath for int256;

    uint256 private constant USD = 1e18;
    /// @dev Feed units (8 decimals) → wad.
    uint256 private constant FEED_TO_WAD = 1e10;
    /// @dev Wallet top-up when a trader runs low (tokens minted outside the engine are not an inflow).
    uint256 private constant WALLET_TOP_UP_USD = 2_000_000 * USD;
    /// @dev Notional choices of a new exposure (USD); 0 stands for "1 wei of size", max for "to the OI cap".
    uint256 private constant NOTIONAL_CHOICES = 10;
    /// @dev Margin choices (see `_marginDelta`).
    uint256 private constant MARGIN_CHOICES = 12;
    uint256 private constant MARGIN_NONE = 0;
    uint256 private constant MARGIN_EXACT_IM = 6;
    uint256 private constant MARGIN_EXACT_IM_MINUS_ONE = 7;
    uint256 private constant MARGIN_REMOVE = 11;

    enum Intent {
        OpenOrIncrease,
        Reduce,
        Flip,
        CloseViaModify,
        MarginOnly
    }

    enum Slippage {
        Any,
        Exact,
        Violate
    }

    /// @dev One trade being built.
    struct Trade {
        address trader;
        uint256 market;
        bytes32 id;
        Position old;
        bool priceOk;
        uint256 priceWad;
        bool volatile_;
        int256 sizeDelta;
        int256 marginDelta;
        uint256 acceptablePrice;
        uint256 marginMode;
        Slippage slippage;
        bool exactKnown;
        bool oldEquityKnown;
        int256 oldEquityUsd;
        uint256 freeBefore;
        /// @dev Deposited for the trader inside the call's window before the trade (USD).
        uint256 topUpUsd;
        /// @dev In a market with delayed orders, call `modifyPosition` anyway (it must refuse: ExecutionDelayActive).
        bool tryInstant;
        /// @dev In a market with delayed orders, a keeper executes the order as soon as it is executable.
        bool promptKeeper;
    }

    constructor(PerpSystem system, Ghosts ghosts_) HandlerBase(system, ghosts_) {}

    // ───────────────────────── accounts ─────────────────────────

    /// @notice Deposits 0, one token unit, $10 … $500k, the whole wallet or one unit more than it.
    function deposit(uint256 traderSeed, uint256 amountSeed) external {
        address trader = _trader(traderSeed);
        _topUpWallet(trader);
        uint256 wallet = token.balanceOf(trader);
        uint256 mode = amountSeed % 8;
        uint256 amount =
            mode == 0
                ? 0
                : mode == 1
                    ? 1
                    : mode == 2
                        ? (10 * USD) / scale
                        : mode == 3
                            ? (1_000 * USD) / scale
                            : mode == 4
                                ? (50_000 * USD) / scale
                                : mode == 5
                                    ? (500_000 * USD) / scale
                                    : mode == 6
                                        ? wallet
                                        : wallet + 1;
        _approveEngine(trader);
        CallContext memory ctx = _begin("deposit", trader);
        vm.prank(trader);
        try engine.deposit(amount) {
            ctx.finish.tokensIn = amount;
            _end(ctx, _logs(), true);
        } catch (bytes memory reason) {
            Reasons.List memory expected = Reasons.create();
            Reasons.addIf(expected, amount == 0, IPerpEngine.ZeroAmount.selector);
            Reasons.addIf(expected, amount > wallet, IERC20Errors.ERC20InsufficientBalance.selector);
            _reverted(ctx, reason, expected);
            _end(ctx, _logs(), false);
        }
    }

    /// @notice Withdraws 0, one token unit, $100, half, all (whole token units) or one unit more than the free balance.
    function withdraw(uint256 traderSeed, uint256 amountSeed) external {
        address trader = _trader(traderSeed);
        uint256 freeTokens = engine.freeBalance(trader) / scale;
        uint256 mode = amountSeed % 6;
        uint256 amount =
            mode == 0
                ? 0
                : mode == 1
                    ? 1
                    : mode == 2
                        ? (100 * USD) / scale
                        : mode == 3
                            ? freeTokens / 2
                            : mode == 4
                                ? freeTokens
                                : freeTokens + 1;
        CallContext memory ctx = _begin("withdraw", trader);
        vm.prank(trader);
        try engine.withdraw(amount) {
            ctx.finish.tokensOut = amount;
            _end(ctx, _logs(), true);
        } catch (bytes memory reason) {
            Reasons.List memory expected = Reasons.create();
            Reasons.addIf(expected, amount == 0, IPerpEngine.ZeroAmount.selector);
            Reasons.addIf(expected, engine.withdrawalsPaused(), IPerpEngine.WithdrawalsPaused.selector);
            Reasons.addIf(expected, amount > freeTokens, IPerpEngine.InsufficientFreeBalance.selector);
            _reverted(ctx, reason, expected);
            _end(ctx, _logs(), false);
        }
    }

    /// @notice Liveness (DESIGN §12.10): any account — flat ones first — can withdraw its whole free balance (in whole
    /// token units) unless withdrawals are paused. Isolated margin: positions never lock the free balance.
    function withdrawFreeBalanceNoRevert(uint256 accountSeed) external {
        address account = accounts[accountSeed % accounts.length];
        // Prefer a flat account with something to withdraw (the DESIGN's case), else any with a balance.
        for (uint256 k; k < accounts.length; ++k) {
            address candidate = accounts[((accountSeed % accounts.length) + k) % accounts.length];
            if (engine.freeBalance(candidate) >= scale && _isFlat(candidate)) {
                account = candidate;
                break;
            }
        }
        uint256 amount = engine.freeBalance(account) / scale;
        if (amount == 0) return;
        bool paused = engine.withdrawalsPaused();
        CallContext memory ctx = _begin("withdrawFreeBalanceNoRevert", account);
        if (canary == CanaryNames.UNANNOUNCED_PAUSE && !paused) {
            vm.prank(sys.guardian());
            engine.pause(IPerpEngine.PauseSwitch.Withdrawals);
        }
        vm.prank(account);
        try engine.withdraw(amount) {
            ctx.finish.tokensOut = amount;
            _end(ctx, _logs(), true);
        } catch (bytes memory reason) {
            if (paused && _selectorOf(reason) == IPerpEngine.WithdrawalsPaused.selector) {
                (ctx.finish.reverted, ctx.finish.revertSelector) = (true, IPerpEngine.WithdrawalsPaused.selector);
            } else {
                _livenessBroken(ctx, reason, "free balance");
            }
            _end(ctx, _logs(), false);
        }
    }

    // ───────────────────────── trading ─────────────────────────

    /// @notice One `modifyPosition`: open / increase, reduce, flip, close through a size delta, or a pure margin
    /// move, with edge-biased size, margin and slippage bound.
    function trade(
        uint256 traderSeed,
        uint256 marketSeed,
        uint256 shapeSeed,
        uint256 sizeSeed,
        uint256 marginSeed
    ) external {
        Trade memory t = _newTrade(traderSeed, marketSeed);
        Intent intent = Intent(shapeSeed % 5);
        // A margin move needs a position: take some open one.
        if (intent == Intent.MarginOnly && t.old.size == 0) t = _anyOpen(t, shapeSeed);
        t.sizeDelta = _sizeDelta(t, intent, shapeSeed, sizeSeed);
        t.marginMode = marginSeed % MARGIN_CHOICES;
        // Slippage bound: any 3 in 6, the exact fill 2 in 6, one wei past it 1 in 6.
        uint256 slippageDraw = (shapeSeed / 7) % 6;
        t.slippage =
            slippageDraw < 3
                ? Slippage.Any
                : slippageDraw < 5
                    ? Slippage.Exact
                    : Slippage.Violate;
        t.marginDelta = _marginDelta(t, marginSeed);
        t.acceptablePrice = _acceptablePrice(t);
        t.tryInstant = _oneIn(shapeSeed / 11, 8);
        if (canary == CanaryNames.ABSURD_SIZE && _oneIn(sizeSeed, 4)) {
            (t.sizeDelta, t.marginDelta, t.acceptablePrice, t.tryInstant) = (
                int256(1 << 254),
                0,
                type(uint256).max,
                true
            );
            if (t.old.size != 0 || !t.priceOk) return;
        }
        t.promptKeeper = _oneIn(sizeSeed / 13, 2);
        // Usually fund the margin (inside the call's window, so the deposit is mirrored); sometimes let it fail.
        if (t.marginDelta > 0 && uint256(t.marginDelta) > engine.freeBalance(t.trader) && !_oneIn(marginSeed, 8)) {
            t.topUpUsd = uint256(t.marginDelta) - engine.freeBalance(t.trader);
        }
        _execute(t);
    }

    /// @notice A pure margin move: add 1 wei, $10, $1k or everything free; remove 1 wei, exactly the most that keeps
    /// the initial and minimum margin, one wei more, or the whole margin.
    function modifyMargin(uint256 traderSeed, uint256 marketSeed, uint256 modeSeed) external {
        Trade memory t = _newTrade(traderSeed, marketSeed);
        if (t.old.size == 0) t = _anyOpen(t, modeSeed);
        t.slippage = Slippage.Any;
        t.acceptablePrice = 0;
        uint256 mode = modeSeed % 8;
        uint256 free = engine.freeBalance(t.trader);
        if (mode < 4) {
            uint256 add =
                mode == 0
                    ? 1
                    : mode == 1
                        ? 10 * USD
                        : mode == 2
                            ? 1_000 * USD
                            : free;
            if (add == 0) add = 1;
            if (add > free) t.topUpUsd = add - free;
            t.marginDelta = int256(add);
        } else {
            (bool known, uint256 maxRemovable) = _maxRemovableUsd(t);
            uint256 remove =
                mode == 4
                    ? 1
                    : mode == 5
                        ? maxRemovable
                        : mode == 6
                            ? maxRemovable + 1
                            : t.old.marginUsd;
            t.marginMode =
                mode == 5
                    ? MARGIN_EXACT_IM
                    : mode == 6
                        ? MARGIN_EXACT_IM_MINUS_ONE
                        : MARGIN_REMOVE;
            // Nothing removable: the exact maximum is 0, so remove 1 wei (one past it) instead.
            if (remove == 0) (remove, t.marginMode) = (1, MARGIN_EXACT_IM_MINUS_ONE);
            t.marginDelta = -int256(remove);
            t.exactKnown = known;
        }
        _execute(t);
    }

    /// @notice `closePosition` with the acceptable price at "any", the exact fill or one wei past it.
    function close(uint256 traderSeed, uint256 marketSeed, uint256 slippageSeed) external {
        Trade memory t = _newTrade(traderSeed, marketSeed);
        if (t.old.size == 0 && !_oneIn(slippageSeed, 8)) t = _anyOpen(t, slippageSeed);
        t.sizeDelta = -t.old.size;
        t.slippage = Slippage(slippageSeed % 3);
        t.acceptablePrice = _acceptablePrice(t);
        _execute(t);
    }

    /// @notice Liveness (DESIGN §12.10): a healthy position (valid price, market not settled) can always be closed
    /// by its owner, whatever the pause switches.
    function closeHealthyNoRevert(uint256 pickSeed) external {
        int256[] memory sizes = ghosts.sizes();
        uint256 slots = sizes.length;
        for (uint256 k; k < slots; ++k) {
            uint256 slot = ((pickSeed % slots) + k) % slots;
            if (sizes[slot] == 0) continue;
            address trader = traders[slot / marketCount];
            uint256 market = slot % marketCount;
            bytes32 id = marketIds[market];
            Position memory p = _position(trader, market);
            (bool priceOk, , ) = _tryPrice(market);
            if (p.size == 0 || _isSettled(market) || !priceOk) continue;
            if (engine.isLiquidatable(trader, id)) continue;
            if (_hasDelay(market)) return _commitCloseNoRevert(trader, id, p.size);
            CallContext memory ctx = _begin("closeHealthyNoRevert", trader);
            vm.prank(trader);
            try engine.closePosition(id, p.size > 0 ? 0 : type(uint256).max) {
                _end(ctx, _logs(), true);
            } catch (bytes memory reason) {
                _livenessBroken(ctx, reason, "healthy position");
                _end(ctx, _logs(), false);
            }
            return;
        }
    }

    /// @dev In a market with delayed orders, closing is an order: its commit must succeed (the fee is funded; an order
    /// already pending is left to its keeper), and KeeperHandler.executeOrder checks that it then executes or is
    /// cancelled, never stuck.
    function _commitCloseNoRevert(address trader, bytes32 id, int256 size) private {
        if (engine.getOrder(trader, id).executableAt != 0) return;
        CallContext memory ctx = _begin("commitCloseNoRevert", trader);
        (, MarketParams memory params) = engine.getMarketConfig(id);
        uint256 free = engine.freeBalance(trader);
        if (free < params.executionFeeUsd) ctx.finish.tokensIn = _depositFor(trader, params.executionFeeUsd - free);
        vm.prank(trader);
        try engine.commitOrder(id, -size, 0, size > 0 ? 0 : type(uint256).max) {
            _end(ctx, _logs(), true);
        } catch (bytes memory reason) {
            _livenessBroken(ctx, reason, "a close order can always be committed");
            _end(ctx, _logs(), false);
        }
    }

    // ───────────────────────── building a trade ─────────────────────────

    function _newTrade(uint256 traderSeed, uint256 marketSeed) private view returns (Trade memory t) {
        t.trader = _trader(traderSeed);
        t.market = marketSeed % marketCount;
        t.id = marketIds[t.market];
        t.old = _position(t.trader, t.market);
        (t.priceOk, t.priceWad, t.volatile_) = _tryPrice(t.market);
    }

    function _slotOf(address trader, uint256 market) private view returns (uint256) {
        for (uint256 i; i < traders.length; ++i) if (traders[i] == trader) return i * marketCount + market;
        return 0;
    }

    /// @dev Switches to some open position (of any trader) when the drawn one is empty, so that reduces, closes
    /// and margin moves meet positions often.
    function _anyOpen(Trade memory t, uint256 seed) private view returns (Trade memory) {
        int256[] memory sizes = ghosts.sizes();
        uint256 slots = sizes.length;
        for (uint256 k; k < slots; ++k) {
            uint256 slot = ((seed % slots) + k) % slots;
            if (sizes[slot] != 0) return _newTrade(slot / marketCount, slot % marketCount);
        }
        return t;
    }

    /// @dev The price to size a trade with: the oracle's, or the listing price while the feed is invalid (the trade
    /// will be refused anyway; its size only needs to be plausible).
    function _referencePriceWad(Trade memory t) private view returns (uint256) {
        if (t.priceOk) return t.priceWad;
        return uint256(SystemConfig.initialAnswerOf(t.market)) * FEED_TO_WAD;
    }

    function _sizeDelta(
        Trade memory t,
        Intent intent,
        uint256 shapeSeed,
        uint256 sizeSeed
    ) private view returns (int256) {
        int256 size = t.old.size;
        if (intent == Intent.MarginOnly) return 0;
        if (size == 0 || intent == Intent.OpenOrIncrease) {
            bool isLong = size == 0 ? (shapeSeed / 5) % 2 == 0 : size > 0;
            int256 added = int256(_newExposureAbs(t, isLong, sizeSeed));
            return isLong ? added : -added;
        }
        if (intent == Intent.CloseViaModify) return -size;
        uint256 sizeAbs = size.abs();
        if (intent == Intent.Reduce) {
            uint256 mode = sizeSeed % 6;
            uint256 reduceAbs =
                mode == 0
                    ? 1
                    : mode == 1
                        ? sizeAbs / 100
                        : mode == 2
                            ? sizeAbs / 4
                            : mode == 3
                                ? sizeAbs / 2
                                : mode == 4
                                    ? (sizeAbs * 9) / 10
                                    : sizeAbs - 1;
            if (reduceAbs == 0) reduceAbs = 1;
            return size > 0 ? -int256(reduceAbs) : int256(reduceAbs);
        }
        // Flip: through zero and on by a new exposure on the other side.
        uint256 beyond = _newExposureAbs(t, size < 0, sizeSeed);
        return size > 0 ? -int256(sizeAbs + beyond) : int256(sizeAbs + beyond);
    }

    /// @dev 1 wei of size, $50, $100, $1k, $10k, $60k, $250k, $1M, up to the side's OI cap exactly, or one wei past it.
    function _newExposureAbs(Trade memory t, bool isLong, uint256 sizeSeed) private view returns (uint256) {
        uint256 mode = sizeSeed % NOTIONAL_CHOICES;
        if (mode == 0) return 1;
        if (mode >= 8) {
            (, MarketParams memory params) = engine.getMarketConfig(t.id);
            MarketState memory state = engine.getMarketState(t.id);
            uint256 sideOi = isLong ? state.longOpenInterest : state.shortOpenInterest;
            // The position's own size on that side is already in the OI: adding the room lands on the cap.
            uint256 room = params.maxOpenInterestPerSide > sideOi ? params.maxOpenInterestPerSide - sideOi : 0;
            uint256 toCap = room + (mode == 9 ? 1 : 0);
            return toCap == 0 ? 1 : toCap;
        }
        uint256[7] memory notionalsUsd = [uint256(50), 100, 1_000, 10_000, 60_000, 250_000, 1_000_000];
        uint256 notionalUsd = notionalsUsd[mode - 1] * USD;
        uint256 sizeAbs = (notionalUsd * USD) / _referencePriceWad(t);
        return sizeAbs == 0 ? 1 : sizeAbs;
    }

    /// @dev Margin by mode: none, 1x, 2x, 5x, 10x, 19x of the new notional, exactly the initial margin, one wei
    /// under it, the minimum margin, 1 wei, everything free, or removing 5% of the margin.
    function _marginDelta(Trade memory t, uint256 marginSeed) private returns (int256) {
        uint256 mode = t.marginMode;
        uint256 notionalUsd = PositionMath.notionalUsd(t.sizeDelta, _referencePriceWad(t));
        if (mode == MARGIN_NONE) return t.sizeDelta == 0 ? int256(1) : int256(0);
        if (mode <= 5) {
            uint256[5] memory leverages = [uint256(1), 2, 5, 10, 19];
            return int256(notionalUsd / leverages[mode - 1]) + 1;
        }
        if (mode == MARGIN_EXACT_IM || mode == MARGIN_EXACT_IM_MINUS_ONE) {
            (bool known, int256 exact) = _exactInitialMarginDelta(t, notionalUsd);
            t.exactKnown = known;
            if (!known) return int256(notionalUsd / 10) + 1;
            return mode == MARGIN_EXACT_IM ? exact : exact - 1;
        }
        if (mode == 8) {
            (, MarketParams memory params) = engine.getMarketConfig(t.id);
            return int256(uint256(params.minPositionMarginUsd));
        }
        if (mode == 9) return 1;
        if (mode == 10) {
            uint256 free = engine.freeBalance(t.trader);
            return int256(free == 0 || !_oneIn(marginSeed, 2) ? free + 1 : free);
        }
        return -int256(t.old.marginUsd / 20 + 1);
    }

    /// @dev The margin delta that leaves the position exactly at its initial requirement or its minimum margin,
    /// whichever binds: a dry run with ample margin (state reverted afterwards) gives the resulting position, and
    /// the slack above both requirements comes off the ample margin. Margin enters the result linearly and no
    /// other check depends on it, so the real call lands on the boundary to the wei.
    function _exactInitialMarginDelta(Trade memory t, uint256 notionalUsd) private returns (bool, int256) {
        // A delayed market executes at a later price: no exact boundary to aim at.
        if (!t.priceOk || _hasDelay(t.market)) return (false, 0);
        int256 ampleUsd = int256(notionalUsd) + int256(10_000 * USD);
        uint256 snapshot = vm.snapshotState();
        _depositFor(t.trader, uint256(ampleUsd));
        bool known;
        int256 exact;
        vm.prank(t.trader);
        try engine.modifyPosition(t.id, t.sizeDelta, ampleUsd, t.sizeDelta > 0 ? type(uint256).max : 0) {
            Position memory p = _position(t.trader, t.market);
            if (p.size != 0) {
                (known, exact) = (true, ampleUsd - _initialSlackUsd(t.id, p, t.priceWad));
            }
        } catch {}
        vm.revertToStateAndDelete(snapshot);
        return (known, exact);
    }

    /// @dev The most margin a removal may take: the slack of the settled position (margin net of the funding and
    /// socialized loss it owes, which the engine settles first). `positionEquity` = settled margin + PnL exactly.
    function _maxRemovableUsd(Trade memory t) private view returns (bool, uint256) {
        if (!t.priceOk || t.old.size == 0) return (false, 0);
        (int256 equityUsd, ) = engine.positionEquity(t.trader, t.id);
        int256 pnl = PositionMath.unrealizedPnlUsd(t.old.size, t.old.entryPriceWad, t.priceWad);
        Position memory settled = t.old;
        int256 settledMargin = equityUsd - pnl;
        if (settledMargin < 0) return (true, 0);
        settled.marginUsd = uint256(settledMargin);
        int256 slack = _initialSlackUsd(t.id, settled, t.priceWad);
        return (true, slack > 0 ? uint256(slack) : 0);
    }

    function _acceptablePrice(Trade memory t) private view returns (uint256) {
        bool isBuy = t.sizeDelta > 0;
        if (t.slippage == Slippage.Any || t.sizeDelta == 0 || !t.priceOk) return isBuy ? type(uint256).max : 0;
        (, MarketParams memory params) = engine.getMarketConfig(t.id);
        int256 netSize = engine.getMarketState(t.id).netSize;
        int256 fill = PositionMath.fillPriceWad(t.priceWad, netSize, t.sizeDelta, params.skewScale);
        if (fill <= 0) return isBuy ? type(uint256).max : 0;
        uint256 exact = uint256(fill);
        if (t.slippage == Slippage.Exact) return exact;
        return isBuy ? exact - 1 : exact + 1;
    }

    // ───────────────────────── executing and checking ─────────────────────────

    function _execute(Trade memory t) private {
        if ((t.sizeDelta != 0 || t.marginDelta < 0) && !t.tryInstant && _hasDelay(t.market)) return _commit(t);
        bytes32 action = t.sizeDelta == 0 ? bytes32("modifyMargin") : bytes32("modifyPosition");
        bool isClose = t.sizeDelta == -t.old.size && t.old.size != 0 && t.marginDelta == 0;
        if (isClose) action = "closePosition";
        CallContext memory ctx = _begin(action, t.trader);
        if (t.topUpUsd != 0) ctx.finish.tokensIn = _depositFor(t.trader, t.topUpUsd);
        t.freeBefore = engine.freeBalance(t.trader);
        // Only a pure reduce needs the equity before (the margin-ratio rule).
        if (t.priceOk && t.old.size != 0 && t.sizeDelta != 0 && t.marginDelta >= 0 && !_opensExposure(t)) {
            (t.oldEquityUsd, ) = engine.positionEquity(t.trader, t.id);
            t.oldEquityKnown = true;
        }
        vm.prank(t.trader);
        bool ok;
        bytes memory reason;
        if (isClose) {
            try engine.closePosition(t.id, t.acceptablePrice) {
                ok = true;
            } catch (bytes memory r) {
                reason = r;
            }
        } else {
            try engine.modifyPosition(t.id, t.sizeDelta, t.marginDelta, t.acceptablePrice) {
                ok = true;
            } catch (bytes memory r) {
                reason = r;
            }
        }
        Vm.Log[] memory logs = _logs();
        if (ok) {
            _checkAfterSuccess(t, logs);
        } else {
            // A revert changed nothing: the reasons that apply are read from the state as it was before the call.
            bytes4 selector = _reverted(ctx, reason, _expectedReasons(t));
            _checkRejection(t, selector);
        }
        _end(ctx, logs, ok);
    }

    /// @dev In a market with delayed orders (DESIGN §4): the trade becomes an order, executed by a keeper after the
    /// delay at the price then (KeeperHandler.executeOrder checks the result). The commit escrows the margin to add
    /// and the execution fee.
    function _commit(Trade memory t) private {
        CallContext memory ctx = _begin("commitOrder", t.trader);
        (, MarketParams memory params) = engine.getMarketConfig(t.id);
        uint256 neededUsd = (t.marginDelta > 0 ? uint256(t.marginDelta) : 0) + params.executionFeeUsd;
        uint256 free = engine.freeBalance(t.trader);
        if (t.topUpUsd != 0 && neededUsd > free) ctx.finish.tokensIn = _depositFor(t.trader, neededUsd - free);
        vm.prank(t.trader);
        try engine.commitOrder(t.id, t.sizeDelta, t.marginDelta, t.acceptablePrice) {
            _end(ctx, _logs(), true);
            // Half the orders meet a prompt keeper: executed as soon as they are executable (the rest wait for
            // KeeperHandler.executeOrder, with whatever the market does meanwhile, and may expire).
            if (t.promptKeeper) {
                uint256 slot = _slotOf(t.trader, t.market);
                _executeOrder(keepers[slot % keepers.length], slot, true, 0);
            }
        } catch (bytes memory reason) {
            (, uint256 settlementPriceWad) = engine.marketStatus(t.id);
            Reasons.List memory expected = Reasons.create();
            Reasons.addIf(expected, settlementPriceWad != 0, IPerpEngine.MarketIsSettled.selector);
            Reasons.addIf(expected, t.sizeDelta == 0 && t.marginDelta == 0, IPerpEngine.EmptyAction.selector);
            Reasons.addIf(expected, t.sizeDelta == 0 && t.old.size == 0, IPerpEngine.NoPosition.selector);
            Reasons.addIf(
                expected,
                engine.getOrder(t.trader, t.id).executableAt != 0,
                IPerpEngine.OrderAlreadyPending.selector
            );
            Reasons.addIf(
                expected,
                neededUsd > engine.freeBalance(t.trader),
                IPerpEngine.InsufficientFreeBalance.selector
            );
            _reverted(ctx, reason, expected);
            _end(ctx, _logs(), false);
        }
    }

    /// @dev Every revert reason a trade can legitimately meet now; state-dependent ones only when they apply.
    function _expectedReasons(Trade memory t) private view returns (Reasons.List memory r) {
        r = Reasons.create();
        Reasons.addIf(
            r,
            (t.sizeDelta != 0 || t.marginDelta < 0) && _hasDelay(t.market),
            IPerpEngine.ExecutionDelayActive.selector
        );
        (bool reduceOnly, uint256 settlementPriceWad) = engine.marketStatus(t.id);
        bool opens = _opensExposure(t);
        bool removes = t.marginDelta < 0;
        Reasons.addIf(r, t.sizeDelta == 0 && t.marginDelta == 0, IPerpEngine.EmptyAction.selector);
        Reasons.addIf(r, t.old.size == 0 && (t.sizeDelta == 0 || t.marginDelta == 0), IPerpEngine.NoPosition.selector);
        Reasons.addIf(r, settlementPriceWad != 0, IPerpEngine.MarketIsSettled.selector);
        Reasons.addIf(r, (opens || removes) && engine.pauseState().trading, IPerpEngine.TradingPaused.selector);
        Reasons.addIf(r, (opens || removes) && reduceOnly, IPerpEngine.MarketReduceOnly.selector);
        Reasons.addIf(r, (opens || removes) && t.volatile_, IPerpEngine.MarketVolatile.selector);
        Reasons.addIf(
            r,
            t.marginDelta > 0 && uint256(t.marginDelta) > engine.freeBalance(t.trader),
            IPerpEngine.InsufficientFreeBalance.selector
        );
        Reasons.addIf(r, t.slippage != Slippage.Exact || !t.priceOk, IPerpEngine.SlippageExceeded.selector);
        // Outcomes of the numbers (margin, caps, impact): possible whenever the action takes that path.
        Reasons.add(r, IPerpEngine.InsufficientPositionMargin.selector);
        Reasons.add(r, IPerpEngine.PositionBankrupt.selector);
        Reasons.add(r, IPerpEngine.FillPriceNonPositive.selector);
        Reasons.addIf(r, opens, IPerpEngine.OpenInterestCapExceeded.selector);
        Reasons.addIf(r, opens, IPerpEngine.VaultExposureCapExceeded.selector);
        Reasons.addIf(r, opens || removes, IPerpEngine.InitialMarginNotMet.selector);
        Reasons.addIf(r, opens || removes, IPerpEngine.MarginBelowMinimum.selector);
        Reasons.addIf(r, t.sizeDelta != 0 && !opens, IPerpEngine.MarginRatioDecreased.selector);
        Reasons.addOracle(r, !_allPricesValid());
    }

    function _opensExposure(Trade memory t) private pure returns (bool) {
        return _opens(t.old.size, t.sizeDelta);
    }

    /// @dev Predictions at the edges: the exact initial margin must not be refused for margin, one wei under it
    /// must not be accepted, an exact slippage bound must not be refused for slippage.
    function _checkRejection(Trade memory t, bytes4 selector) private {
        bool marginRefusal =
            selector == IPerpEngine.InitialMarginNotMet.selector || selector == IPerpEngine.MarginBelowMinimum.selector;
        if (t.exactKnown && t.marginMode == MARGIN_EXACT_IM && marginRefusal) {
            ghosts.recordViolation(
                InvariantNames.INITIAL_MARGIN,
                string.concat("exactly the initial margin was refused: margin delta ", vm.toString(t.marginDelta))
            );
        }
        if (t.slippage == Slippage.Exact && t.priceOk && selector == IPerpEngine.SlippageExceeded.selector) {
            ghosts.recordViolation(InvariantNames.NO_UNEXPECTED_REVERT, "the exact fill was refused as slippage");
        }
    }

    /// @dev DESIGN §12.8 on the stored result of a successful trade or margin move.
    function _checkAfterSuccess(Trade memory t, Vm.Log[] memory logs) private {
        if (t.slippage == Slippage.Violate && t.sizeDelta != 0 && t.priceOk) {
            ghosts.recordViolation(InvariantNames.NO_UNEXPECTED_REVERT, "a fill one wei past the bound was accepted");
        }
        bool opens = _opensExposure(t);
        if (t.exactKnown && t.marginMode == MARGIN_EXACT_IM_MINUS_ONE && (opens || t.marginDelta < 0)) {
            ghosts.recordViolation(InvariantNames.INITIAL_MARGIN, "one wei under the initial margin was accepted");
        }
        if (canary == CanaryNames.MARGIN_BOOKED_SHORT && opens) _setMarginForCanary(t.trader, t.id, 1);
        Position memory p = _position(t.trader, t.market);
        // A protection walk may have closed part of this position after the trade; its result is the walk's.
        if (p.size == 0 || _wasDeleveraged(logs, t.trader)) return;
        (bool priceOk, uint256 priceWad, ) = _tryPrice(t.market);
        if (!priceOk) return;
        int256 slack = _initialSlackUsd(t.id, p, priceWad);
        if ((opens || t.marginDelta < 0) && slack < 0) {
            ghosts.recordViolation(
                InvariantNames.INITIAL_MARGIN,
                string.concat("new exposure or margin removal left the initial margin unmet by ", vm.toString(-slack))
            );
        }
        if (!opens && t.sizeDelta != 0 && t.marginDelta >= 0) _checkReduce(t, p, priceWad);
    }

    /// @dev A reduce releases no margin, and below the initial margin it never lowers the margin ratio
    /// (equity / notional, cross-multiplied as the engine does).
    function _checkReduce(Trade memory t, Position memory p, uint256 priceWad) private {
        if (engine.freeBalance(t.trader) != t.freeBefore - uint256(t.marginDelta)) {
            ghosts.recordViolation(InvariantNames.INITIAL_MARGIN, "a reduce released margin to the free balance");
        }
        if (!t.oldEquityKnown || _initialSlackUsd(t.id, p, priceWad) >= 0) return;
        (int256 newEquityUsd, ) = engine.positionEquity(t.trader, t.id);
        int256 oldNotional = int256(PositionMath.notionalUsd(t.old.size, priceWad));
        int256 newNotional = int256(PositionMath.notionalUsd(p.size, priceWad));
        if (newEquityUsd * oldNotional < t.oldEquityUsd * newNotional) {
            ghosts.recordViolation(
                InvariantNames.INITIAL_MARGIN,
                "a reduce below initial margin lowered the margin ratio"
            );
        }
    }

    // ───────────────────────── helpers ─────────────────────────

    /// @dev Mints and deposits at least `usd` for `trader`; returns the tokens that entered the engine.
    function _depositFor(address trader, uint256 usd) private returns (uint256 tokens) {
        tokens = usd / scale + 1;
        _fund(trader, tokens);
        _approveEngine(trader);
        vm.prank(trader);
        engine.deposit(tokens);
    }

    function _topUpWallet(address trader) private {
        if (token.balanceOf(trader) < WALLET_TOP_UP_USD / scale / 2) _fund(trader, WALLET_TOP_UP_USD / scale);
    }
}
