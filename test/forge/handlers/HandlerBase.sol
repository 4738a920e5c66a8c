// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {PerpEngine} from "../../../contracts/PerpEngine.sol";
import {IPerpEngine} from "../../../contracts/interfaces/IPerpEngine.sol";
import {MockERC20} from "../../../contracts/test/MockERC20.sol";
import {Position, PauseState, MarketParams, MarginTier, Order} from "../../../contracts/interfaces/IPerpTypes.sol";
import {PositionMath} from "../../../contracts/libraries/PositionMath.sol";
import {SignedMath} from "../../../contracts/libraries/SignedMath.sol";
import {ChainlinkOracleAdapter} from "../../../contracts/oracle/ChainlinkOracleAdapter.sol";
import {MockV3Aggregator} from "@chainlink/contracts/src/v0.8/tests/MockV3Aggregator.sol";
import {Vm, vm} from "../utils/Vm.sol";
import {PerpSystem} from "../system/PerpSystem.sol";
import {Ghosts} from "../ghosts/Ghosts.sol";
import {ErrorNames} from "../ghosts/ErrorNames.sol";
import {InvariantNames} from "../invariants/InvariantNames.sol";
import {EventScan} from "./EventScan.sol";
import {CallContext} from "./CallContext.sol";
import {Reasons} from "./Reasons.sol";
import {EngineEvents} from "./EngineEvents.sol";
import {StoredPositionSlots} from "../canaries/StoredPositionSlots.sol";

/// @title HandlerBase
/// @notice What every handler shares: the system, the ghosts, edge-biased input shaping, and the bookkeeping of
/// one call — expected reverts counted by selector (anything else is a violation), engine events scanned for the
/// waterfall and bystander rules, and bystanders' free balances compared before and after.
/// @dev A handler never reverts on purpose: forge discards a reverted call together with what it recorded, so a
/// violation is written to the ghosts and the invariant test fails on it (forge runs with fail_on_revert, so a
/// handler bug surfaces too).
abstract contract HandlerBase {
    PerpSystem internal immutable sys;
    PerpEngine internal immutable engine;
    MockERC20 internal immutable token;
    Ghosts internal immutable ghosts;
    ErrorNames internal immutable errorNames;
    uint256 internal immutable scale;
    uint256 internal immutable marketCount;

    /// @dev Copies of the system's actor lists and market ids: reading them here costs no external call.
    address[] internal traders;
    address[] internal accounts;
    address[] internal lps;
    address[] internal keepers;
    bytes32[] internal marketIds;
    ChainlinkOracleAdapter[] internal adapters;
    MockV3Aggregator[] internal feeds;

    /// @dev Share of edge-biased inputs that take an edge value (0, 1, the bound, one past it) instead of a
    /// uniform draw: 4 in 10.
    uint256 private constant EDGE_MODES = 10;

    /// @notice The behaviour mutant switched on in this run, if any (see canaries/Canaries.sol); set by the test.
    bytes32 public canary;

    constructor(PerpSystem system, Ghosts ghosts_) {
        sys = system;
        engine = system.engine();
        token = system.token();
        ghosts = ghosts_;
        errorNames = ghosts_.errorNames();
        scale = system.scale();
        marketCount = system.marketCount();
        traders = system.traders();
        accounts = system.accounts();
        lps = system.lps();
        keepers = system.keepers();
        for (uint256 m; m < marketCount; ++m) {
            marketIds.push(system.marketId(m));
            adapters.push(system.adapter(m));
            feeds.push(system.feed(m));
        }
    }

    // ───────────────────────── input shaping ─────────────────────────

    /// @dev A value in [lo, hi], taking lo, lo + 1, hi − 1 or hi 40% of the time (edges find off-by-ones).
    function _edge(uint256 seed, uint256 lo, uint256 hi) internal pure returns (uint256) {
        if (hi <= lo) return lo;
        uint256 mode = seed % EDGE_MODES;
        if (mode == 0) return lo;
        if (mode == 1) return lo + 1;
        if (mode == 2) return hi - 1;
        if (mode == 3) return hi;
        uint256 span = hi - lo;
        return span == type(uint256).max ? seed : lo + ((seed / EDGE_MODES) % (span + 1));
    }

    function _pick(uint256 seed, uint256 count) internal pure returns (uint256) {
        return seed % count;
    }

    /// @dev True once in `oneIn` seeds. Hashed: the fuzzer favours edge values (0 above all), which would make every
    /// such gate open far more often than `oneIn` says.
    function _oneIn(uint256 seed, uint256 oneIn) internal pure returns (bool) {
        return uint256(keccak256(abi.encode(seed))) % oneIn == 0;
    }

    /// @dev An independent-looking second draw from one fuzzed word.
    function _reseed(uint256 seed, uint256 salt) internal pure returns (uint256) {
        return uint256(keccak256(abi.encode(seed, salt)));
    }

    // ───────────────────────── one call ─────────────────────────

    /// @dev Starts a call: remembers its action and actor and the insurance fund, starts recording logs.
    function _begin(bytes32 action, address actor) internal returns (CallContext memory ctx) {
        ctx.action = action;
        ctx.actor = actor;
        ctx.traders = traders;
        ctx.accounts = accounts;
        ctx.marketIds = marketIds;
        ctx.insuranceFundUsd = engine.insuranceFund();
        ctx.finish.action = action;
        vm.recordLogs();
    }

    /// @dev Ends a call. The accounts and positions the engine's events name (and the actor's) are the only ones
    /// that may have changed: their mirror values from before the call are fetched, the events are checked
    /// (waterfall, ADL sides, counts), then those accounts and positions are re-read and the bystander rule applied
    /// (DESIGN §12.6): nobody but the actor loses free balance, and an account that held no position and is not the
    /// actor does not change at all. The re-read values go back to the mirror; the invariant test checks that the
    /// engine equals the mirror everywhere, i.e. that nothing changed without an event naming it.
    function _end(CallContext memory ctx, Vm.Log[] memory logs, bool succeeded) internal {
        ctx.finish.succeeded = succeeded;
        _collectNamed(ctx, logs);
        (ctx.freeBefore, ctx.sizesBefore, ctx.entriesBefore) = ghosts.entriesOf(ctx.namedAccounts, ctx.namedSlots);
        EventScan.scan(logs, address(engine), ghosts, ctx);
        _refresh(ctx);
        ghosts.finish(ctx.finish);
    }

    /// @dev The accounts named in the engine's event topics, and the actor; for a trader, its slots in every market.
    function _collectNamed(CallContext memory ctx, Vm.Log[] memory logs) private view {
        uint256 accountBits;
        if (ctx.actor != address(0)) accountBits = _accountBit(ctx, ctx.actor);
        for (uint256 i; i < logs.length; ++i) {
            if (logs[i].emitter != address(engine)) continue;
            bytes32[] memory topics = logs[i].topics;
            for (uint256 k = 1; k < topics.length; ++k) {
                accountBits |= _accountBit(ctx, address(uint160(uint256(topics[k]))));
            }
            bytes32 topic = topics[0];
            bool orderEvent =
                topic == EngineEvents.ORDER_COMMITTED() ||
                    topic == EngineEvents.ORDER_EXECUTED() ||
                    topic == EngineEvents.ORDER_CANCELLED();
            if (orderEvent) {
                address owner = address(uint160(uint256(topics[1])));
                ctx.orderAccountBits |= _accountBit(ctx, owner);
                uint256 slotBit = _slotBit(ctx, owner, topics[2]);
                // Events come in order: a commit after a close leaves the order pending, and vice versa.
                if (topic == EngineEvents.ORDER_COMMITTED()) {
                    ctx.finish.ordersCommitted |= slotBit;
                    ctx.finish.ordersClosed &= ~slotBit;
                } else {
                    ctx.finish.ordersClosed |= slotBit;
                    ctx.finish.ordersCommitted &= ~slotBit;
                }
            }
        }
        uint256 accountCount;
        uint256 slotCount;
        for (uint256 a; a < ctx.accounts.length; ++a) {
            if (accountBits & (1 << a) == 0) continue;
            ++accountCount;
            if (a < ctx.traders.length) slotCount += marketCount;
        }
        ctx.namedAccounts = new uint256[](accountCount);
        ctx.namedSlots = new uint256[](slotCount);
        (accountCount, slotCount) = (0, 0);
        for (uint256 a; a < ctx.accounts.length; ++a) {
            if (accountBits & (1 << a) == 0) continue;
            ctx.namedAccounts[accountCount++] = a;
            if (a >= ctx.traders.length) continue;
            for (uint256 mk; mk < marketCount; ++mk) ctx.namedSlots[slotCount++] = a * marketCount + mk;
        }
    }

    /// @dev Re-reads the named accounts and slots, applies the bystander rule, and writes the sparse mirror update.
    function _refresh(CallContext memory ctx) private {
        uint256 n = ctx.namedAccounts.length;
        ctx.finish.accountIndexes = ctx.namedAccounts;
        ctx.finish.freeValues = new uint256[](n);
        for (uint256 i; i < n; ++i) {
            uint256 index = ctx.namedAccounts[i];
            address account = ctx.accounts[index];
            uint256 afterUsd = engine.freeBalance(account);
            uint256 beforeUsd = ctx.freeBefore[i];
            ctx.finish.freeValues[i] = afterUsd;
            if (account == ctx.actor || afterUsd == beforeUsd) continue;
            if (afterUsd < beforeUsd) {
                _bystanderViolation(ctx, account, " lost free balance ", beforeUsd - afterUsd);
            } else if (_wasFlat(ctx, index)) {
                _bystanderViolation(ctx, account, " (flat) gained free balance ", afterUsd - beforeUsd);
            }
        }
        uint256 slots = ctx.namedSlots.length;
        ctx.finish.slotIndexes = ctx.namedSlots;
        ctx.finish.sizeValues = new int256[](slots);
        ctx.finish.entryValues = new uint256[](slots);
        for (uint256 i; i < slots; ++i) {
            uint256 slot = ctx.namedSlots[i];
            Position memory p = engine.getPosition(ctx.traders[slot / marketCount], ctx.marketIds[slot % marketCount]);
            (ctx.finish.sizeValues[i], ctx.finish.entryValues[i]) = (p.size, p.entryPriceWad);
        }
    }

    function _slotBit(CallContext memory ctx, address account, bytes32 marketId) private view returns (uint256) {
        for (uint256 t; t < ctx.traders.length; ++t) {
            if (ctx.traders[t] != account) continue;
            for (uint256 mk; mk < marketCount; ++mk)
                if (ctx.marketIds[mk] == marketId) return 1 << (t * marketCount + mk);
        }
        return 0;
    }

    function _accountBit(CallContext memory ctx, address account) private pure returns (uint256) {
        for (uint256 i; i < ctx.accounts.length; ++i) if (ctx.accounts[i] == account) return 1 << i;
        return 0;
    }

    /// @dev Whether the account (named) held no position and no pending order before the call; only traders ever
    /// hold either.
    function _wasFlat(CallContext memory ctx, uint256 index) private view returns (bool) {
        if (ctx.orderAccountBits & (1 << index) != 0) return false;
        if (index >= ctx.traders.length) return true;
        for (uint256 i; i < ctx.namedSlots.length; ++i) {
            if (ctx.namedSlots[i] / marketCount == index && ctx.sizesBefore[i] != 0) return false;
        }
        return true;
    }

    function _bystanderViolation(CallContext memory ctx, address account, string memory what, uint256 amount) private {
        ghosts.recordViolation(
            InvariantNames.BYSTANDERS_UNTOUCHED,
            string.concat(_str(ctx.action), ": bystander ", vm.toString(account), what, vm.toString(amount))
        );
    }

    /// @dev Counts a revert by selector; a selector outside `expected` is a violation (the call failed for a reason
    /// the handler did not foresee: a panic, an unexpected custom error).
    function _reverted(
        CallContext memory ctx,
        bytes memory reason,
        Reasons.List memory expected
    ) internal returns (bytes4 selector) {
        selector = _selectorOf(reason);
        (ctx.finish.reverted, ctx.finish.revertSelector) = (true, selector);
        if (Reasons.contains(expected, selector)) return selector;
        ghosts.recordViolation(
            InvariantNames.NO_UNEXPECTED_REVERT,
            string.concat(_str(ctx.action), " reverted with ", errorNames.nameOf(selector), " ", vm.toString(reason))
        );
    }

    /// @dev A call that must succeed (a liveness handler, `…NoRevert`) reverted.
    function _livenessBroken(CallContext memory ctx, bytes memory reason, string memory why) internal {
        bytes4 selector = _selectorOf(reason);
        (ctx.finish.reverted, ctx.finish.revertSelector) = (true, selector);
        ghosts.recordViolation(
            InvariantNames.LIVENESS,
            string.concat(_str(ctx.action), " must succeed (", why, ") but reverted with ", errorNames.nameOf(selector))
        );
    }

    /// @dev The first 4 bytes of revert data (0 when shorter: an empty revert).
    function _selectorOf(bytes memory reason) internal pure returns (bytes4 selector) {
        if (reason.length < 4) return bytes4(0);
        // Solidity converts only calldata slices to bytes4.
        assembly {
            selector := mload(add(reason, 32))
        }
    }

    /// @dev The logs recorded since `_begin` (each handler reads them once, then hands them to `_end`).
    function _logs() internal returns (Vm.Log[] memory) {
        return vm.getRecordedLogs();
    }

    /// @dev Whether `account` was auto-deleveraged in this call (a protection walk may close the actor too).
    function _wasDeleveraged(Vm.Log[] memory logs, address account) internal view returns (bool) {
        for (uint256 i; i < logs.length; ++i) {
            Vm.Log memory log = logs[i];
            if (log.emitter != address(engine) || log.topics.length < 2) continue;
            if (log.topics[0] == EngineEvents.DELEVERAGED() && address(uint160(uint256(log.topics[1]))) == account) {
                return true;
            }
        }
        return false;
    }

    // ───────────────────────── orders (DESIGN §4, issue 11) ─────────────────────────

    /// @notice A keeper executes a pending order: usually once it is executable (time moves to it), sometimes too
    /// early or past its expiry. A ready order never makes the call revert: it is executed or cancelled with its
    /// reason, and the keeper is paid either way (`executeOrderNoRevert`). An executed order leaves the position
    /// at its initial margin if it opened exposure or removed margin (DESIGN §12.8).
    function _executeOrder(address keeper, uint256 slot, bool found, uint256 timingSeed) internal {
        address account = traders[slot / marketCount];
        uint256 market = slot % marketCount;
        bytes32 id = marketIds[market];
        Order memory order = engine.getOrder(account, id);
        // An order that expired unexecuted is cleared the way a keeper does it: cancelled for the fee.
        if (found && block.timestamp > order.expiresAt) return _cancel(keeper, account, market, order, true);
        // Ready (moved to its executable time or a little after) 6 in 8, too early 1 in 8, expired 1 in 8.
        uint256 timing = timingSeed % 8;
        if (found && timing < 6 && block.timestamp < order.executableAt) {
            vm.warp(order.executableAt + ((timingSeed / 8) % 3));
        } else if (found && timing == 7 && block.timestamp <= order.expiresAt) {
            vm.warp(order.expiresAt + 1);
        }
        bool settled = _isSettled(market);
        bool ready = found && block.timestamp >= order.executableAt && (block.timestamp <= order.expiresAt || settled);
        Position memory before = _position(account, market);
        CallContext memory ctx = _begin("executeOrder", keeper);
        vm.prank(keeper);
        try engine.executeOrder(account, id) {
            Vm.Log[] memory logs = _logs();
            if (!ready) ghosts.recordViolation(InvariantNames.LIVENESS, "an order was executed outside its window");
            _checkExecution(ctx, logs, account, market, before, order);
            _end(ctx, logs, true);
        } catch (bytes memory reason) {
            if (ready) {
                _livenessBroken(ctx, reason, "a ready order is executed or cancelled");
            } else {
                Reasons.List memory expected = Reasons.create();
                Reasons.addIf(expected, !found, IPerpEngine.NoPendingOrder.selector);
                Reasons.addIf(
                    expected,
                    found && block.timestamp < order.executableAt,
                    IPerpEngine.OrderNotReady.selector
                );
                Reasons.addIf(expected, found && block.timestamp > order.expiresAt, IPerpEngine.OrderExpired.selector);
                _reverted(ctx, reason, expected);
            }
            _end(ctx, _logs(), false);
        }
    }

    /// @dev After an execution: a cancellation's reason is one an order can legitimately fail with (counted by
    /// selector); an executed trade that opened exposure or removed margin meets the initial margin.
    function _checkExecution(
        CallContext memory ctx,
        Vm.Log[] memory logs,
        address account,
        uint256 market,
        Position memory before,
        Order memory order
    ) internal {
        for (uint256 i; i < logs.length; ++i) {
            if (logs[i].emitter != address(engine) || logs[i].topics[0] != EngineEvents.ORDER_CANCELLED()) continue;
            (bytes memory reason, , ) = abi.decode(logs[i].data, (bytes, uint256, uint256));
            bytes4 selector = _selectorOf(reason);
            ghosts.countRevert("executeOrder(cancelled)", selector);
            if (selector == bytes4(0) || selector == errorNames.PANIC()) {
                ghosts.recordViolation(
                    InvariantNames.NO_UNEXPECTED_REVERT,
                    string.concat("an order was cancelled for ", errorNames.nameOf(selector))
                );
            }
            return;
        }
        Position memory p = _position(account, market);
        bool opened = _opens(before.size, order.sizeDelta);
        if (p.size == 0 || (!opened && order.marginDeltaUsd >= 0) || _wasDeleveraged(logs, account)) return;
        (bool ok, uint256 priceWad, ) = _tryPrice(market);
        if (!ok) return;
        int256 slack = _initialSlackUsd(marketIds[market], p, priceWad);
        if (slack < 0) {
            ghosts.recordViolation(
                InvariantNames.INITIAL_MARGIN,
                string.concat("an executed order left the initial margin unmet by ", vm.toString(-slack))
            );
        }
        ctx;
    }

    function _cancel(address caller, address account, uint256 market, Order memory order, bool found) internal {
        bytes32 id = marketIds[market];
        bool cancellable = found && (block.timestamp > order.expiresAt || _isSettled(market));
        CallContext memory ctx = _begin("cancelOrder", caller);
        vm.prank(caller);
        try engine.cancelOrder(account, id) {
            if (!cancellable)
                ghosts.recordViolation(InvariantNames.LIVENESS, "a live order was cancelled (free option)");
            _end(ctx, _logs(), true);
        } catch (bytes memory reason) {
            if (cancellable) {
                _livenessBroken(ctx, reason, "an expired order can be cancelled");
            } else {
                Reasons.List memory expected = Reasons.create();
                Reasons.addIf(expected, !found, IPerpEngine.NoPendingOrder.selector);
                Reasons.addIf(expected, found, IPerpEngine.OrderNotExpired.selector);
                _reverted(ctx, reason, expected);
            }
            _end(ctx, _logs(), false);
        }
    }

    /// @dev A slot with a pending order (from the ghosts' record of order events), or a random slot when none.
    function _pendingOrder(uint256 seed) internal view returns (uint256 slot, bool found) {
        uint256 pending = ghosts.pendingOrders();
        uint256 slots = traders.length * marketCount;
        uint256 start = seed % slots;
        for (uint256 k; k < slots; ++k) {
            slot = (start + k) % slots;
            if (pending & (1 << slot) != 0) return (slot, true);
        }
        return (start, false);
    }

    // ───────────────────────── margin rules ─────────────────────────

    /// @dev min(equity without unrealised profit − initial requirement, margin − minimum margin) of a stored position
    /// at `priceWad`: ≥ 0 iff the position meets its initial and minimum margin (DESIGN §4, §12.8).
    function _initialSlackUsd(bytes32 id, Position memory p, uint256 priceWad) internal view returns (int256) {
        (, MarketParams memory params) = engine.getMarketConfig(id);
        MarginTier[] memory tiers = engine.getMarginTiers(id);
        int256 pnl = PositionMath.unrealizedPnlUsd(p.size, p.entryPriceWad, priceWad);
        int256 equityWithoutProfit = int256(p.marginUsd) + SignedMath.min(pnl, 0);
        uint256 requiredUsd = PositionMath.initialRequirementUsd(
            tiers,
            PositionMath.notionalUsd(p.size, priceWad),
            params.keeperRewardUsd
        );
        int256 imSlack = equityWithoutProfit - int256(requiredUsd);
        int256 minSlack = int256(p.marginUsd) - int256(uint256(params.minPositionMarginUsd));
        return imSlack < minSlack ? imSlack : minSlack;
    }

    /// @dev Whether a size change adds exposure (open, increase or flip), as the engine's `openedSize != 0`.
    function _opens(int256 oldSize, int256 sizeDelta) internal pure returns (bool) {
        if (sizeDelta == 0) return false;
        if (oldSize == 0 || (oldSize > 0) == (sizeDelta > 0)) return true;
        return SignedMath.abs(sizeDelta) > SignedMath.abs(oldSize);
    }

    /// @dev Whether the market trades through delayed orders (size changes and margin removals are orders).
    function _hasDelay(uint256 market) internal view returns (bool) {
        (, MarketParams memory params) = engine.getMarketConfig(marketIds[market]);
        return params.executionDelaySeconds != 0;
    }

    // ───────────────────────── canaries (mutants planted on purpose) ─────────────────────────

    /// @notice Switches a behaviour mutant on (test setUp only; not a campaign entry point).
    function setCanary(bytes32 name) external {
        canary = name;
    }

    /// @dev The first storage slot the engine reads to answer `viewCall` (its field's location, without hard-coding
    /// the storage layout).
    function _engineSlot(bytes memory viewCall) internal returns (bytes32) {
        vm.record();
        (bool ok, ) = address(engine).staticcall(viewCall);
        (bytes32[] memory reads, ) = vm.accesses(address(engine));
        require(ok && reads.length != 0, "canary: cannot locate the field");
        return reads[0];
    }

    /// @dev Overwrites a position's stored margin.
    function _setMarginForCanary(address account, bytes32 id, uint256 marginUsd) internal {
        bytes32 first = _engineSlot(abi.encodeCall(IPerpEngine.getPosition, (account, id)));
        StoredPositionSlots.setMargin(address(engine), first, marginUsd);
    }

    // ───────────────────────── small helpers ─────────────────────────

    function _trader(uint256 seed) internal view returns (address) {
        return traders[seed % traders.length];
    }

    function _keeper(uint256 seed) internal view returns (address) {
        return keepers[seed % keepers.length];
    }

    function _lp(uint256 seed) internal view returns (address) {
        return lps[seed % lps.length];
    }

    /// @dev A market's validated price, or ok = false while its feed is invalid.
    function _tryPrice(uint256 market) internal view returns (bool ok, uint256 priceWad, bool isVolatile) {
        try adapters[market].latestPrice() returns (uint256 p, bool v) {
            return (true, p, v);
        } catch {
            return (false, 0, false);
        }
    }

    function _allPricesValid() internal view returns (bool) {
        for (uint256 m; m < marketCount; ++m) {
            (bool ok, , ) = _tryPrice(m);
            if (!ok) return false;
        }
        return true;
    }

    function _isSettled(uint256 market) internal view returns (bool) {
        (, uint256 settlementPriceWad) = engine.marketStatus(marketIds[market]);
        return settlementPriceWad != 0;
    }

    /// @dev Neither paused nor in the grace period after unpausing.
    function _liquidationsLive() internal view returns (bool) {
        PauseState memory pauses = engine.pauseState();
        return !pauses.liquidations && block.timestamp >= pauses.liquidationsResumeAt;
    }

    function _isFlat(address account) internal view returns (bool) {
        for (uint256 m; m < marketCount; ++m) if (_position(account, m).size != 0) return false;
        return true;
    }

    function _position(address account, uint256 market) internal view returns (Position memory) {
        return engine.getPosition(account, marketIds[market]);
    }

    /// @dev Mints collateral to `account` (tokens outside the engine: not an inflow).
    function _fund(address account, uint256 tokenAmount) internal {
        token.mint(account, tokenAmount);
    }

    function _approveEngine(address owner) internal {
        if (token.allowance(owner, address(engine)) < type(uint128).max) {
            vm.prank(owner);
            token.approve(address(engine), type(uint256).max);
        }
    }

    /// @dev bytes32 short name → string.
    function _str(bytes32 value) internal pure returns (string memory) {
        uint256 length;
        while (length < 32 && value[length] != 0) ++length;
        bytes memory out = new bytes(length);
        for (uint256 i; i < length; ++i) out[i] = value[i];
        return string(out);
    }
}
