// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IPerpEngine} from "../../../contracts/interfaces/IPerpEngine.sol";
import {Position, Order} from "../../../contracts/interfaces/IPerpTypes.sol";
import {ErrorNames} from "../ghosts/ErrorNames.sol";
import {CanaryNames} from "../canaries/CanaryNames.sol";
import {SignedMath} from "../../../contracts/libraries/SignedMath.sol";
import {Vm, vm} from "../utils/Vm.sol";
import {PerpSystem} from "../system/PerpSystem.sol";
import {Ghosts} from "../ghosts/Ghosts.sol";
import {InvariantNames} from "../invariants/InvariantNames.sol";
import {HandlerBase} from "./HandlerBase.sol";
import {CallContext} from "./CallContext.sol";
import {Reasons} from "./Reasons.sol";
import {EngineEvents} from "./EngineEvents.sol";

/// @title KeeperHandler
/// @notice Keepers and anyone: `liquidate` (a liquidatable position, any position, an empty slot), `liquidateMany`
/// (liquidatable, healthy, empty, duplicate and unlisted-market entries), a full keeper sweep, `deleverageVault`,
/// `pokeFunding`, and a probe that funding does not depend on when it is poked.
/// Checks (DESIGN §12.7, §12.10, §12.9, §12.6): a liquidation succeeds iff the position is liquidatable (and live),
/// only shrinks it and leaves it healthy or closed; a sweep leaves nothing liquidatable; poking mid-way changes the
/// index by at most one wei of truncation; another account's liquidation pushes no position below zero equity
/// except through socialization.
contract KeeperHandler is HandlerBase {
    using SignedMath for int256;

    /// @dev A sweep repeats `liquidateMany` while something is liquidatable (ADL and socialization can make
    /// counterparties liquidatable); more rounds than positions means it does not converge.
    uint256 private constant MAX_SWEEP_ROUNDS = 24;
    /// @dev Entries of one `liquidateMany` call.
    uint256 private constant MAX_BATCH = 6;
    /// @dev Largest time step of the funding probe (within the feed's heartbeat, so the price stays valid).
    uint256 private constant PROBE_MAX_STEP_SECONDS = 1_500;
    /// @dev One poke truncates the index once more than a single accrual.
    int256 private constant POKE_TRUNCATION_WEI = 1;
    bytes32 private constant UNLISTED_MARKET = keccak256("UNLISTED-USD");
    /// @dev How far above zero the vault's equity may stay after a socialization: the loss index rounds up by < 1 wei
    /// per unit, i.e. < 1 USD-wei per 1e18 of open interest on the charged side (1e6 wei is a generous bound).
    int256 private constant VAULT_EXHAUSTED_TOLERANCE_USD = 1e6;
    /// @dev Open positions a "find a liquidatable one" selection tries (each costs an engine view).
    uint256 private constant MAX_PROBES = 6;
    /// @dev Marks an equity that was not read (no position on the relevant side, or an invalid price).
    int256 private constant NOT_READ = type(int256).min;

    /// @dev A (trader, market) slot and what was known about it before the call.
    struct Slot {
        address account;
        uint256 market;
        bytes32 id;
        int256 size;
        bool priceOk;
        bool liquidatable;
    }

    constructor(PerpSystem system, Ghosts ghosts_) HandlerBase(system, ghosts_) {}

    // ───────────────────────── liquidate ─────────────────────────

    /// @notice `liquidate` on a liquidatable position (half the time, if one exists), any open position, or an
    /// empty slot.
    function liquidate(uint256 keeperSeed, uint256 targetSeed, uint256 modeSeed) external {
        address keeper = _keeper(keeperSeed);
        // A liquidatable position 5 in 8 (else an open one), an open one 2 in 8, any slot (often empty) 1 in 8.
        uint256 mode = modeSeed % 8;
        Slot memory s =
            mode < 5
                ? _findLiquidatable(targetSeed)
                : mode < 7
                    ? _findOpen(targetSeed)
                    : _slot(targetSeed);
        bool live = _liquidationsLive();
        bool settled = _isSettled(s.market);
        int256[] memory equitiesBefore = _equities(s.account, s.market);
        Reasons.List memory expected = _liquidationReasons(s, settled);
        CallContext memory ctx = _begin("liquidate", keeper);
        if (canary != bytes32(0)) _plantLiquidationCanary(s, live, settled);
        vm.prank(keeper);
        try engine.liquidate(s.account, s.id) {
            Vm.Log[] memory logs = _logs();
            if (canary == CanaryNames.BYSTANDER_CHARGED) _chargeOppositeSide(s);
            if (!s.liquidatable) {
                ghosts.recordViolation(
                    InvariantNames.LIQUIDATION_IFF_UNHEALTHY,
                    string.concat("a position that was not liquidatable was liquidated: ", vm.toString(s.account))
                );
            }
            _checkLiquidated(s);
            _checkNoBystanderBelowZero(logs, s.account, s.market, equitiesBefore);
            _checkVaultAbsorbedFirst(logs);
            _end(ctx, logs, true);
        } catch (bytes memory reason) {
            if (s.liquidatable && live && s.priceOk && !settled) {
                _livenessBroken(ctx, reason, "liquidatable position");
            } else {
                _reverted(ctx, reason, expected);
            }
            _end(ctx, _logs(), false);
        }
    }

    function _liquidationReasons(Slot memory s, bool settled) private view returns (Reasons.List memory r) {
        r = Reasons.create();
        Reasons.addIf(r, engine.pauseState().liquidations, IPerpEngine.LiquidationsPaused.selector);
        Reasons.addIf(
            r,
            block.timestamp < engine.pauseState().liquidationsResumeAt,
            IPerpEngine.LiquidationGracePeriodActive.selector
        );
        Reasons.addIf(r, settled, IPerpEngine.MarketIsSettled.selector);
        Reasons.addIf(r, s.size == 0, IPerpEngine.NoPosition.selector);
        Reasons.addIf(r, s.size != 0 && !s.liquidatable, IPerpEngine.PositionNotLiquidatable.selector);
        Reasons.addOracle(r, !s.priceOk);
    }

    /// @dev After a liquidation: the size only shrank (same side), and what is left is healthy.
    function _checkLiquidated(Slot memory s) private {
        Position memory p = _position(s.account, s.market);
        if (p.size != 0 && ((p.size > 0) != (s.size > 0) || p.size.abs() >= s.size.abs())) {
            ghosts.recordViolation(
                InvariantNames.LIQUIDATION_IFF_UNHEALTHY,
                "a liquidation did not shrink the position"
            );
        }
        if (p.size != 0 && engine.isLiquidatable(s.account, s.id)) {
            ghosts.recordViolation(InvariantNames.LIQUIDATION_IFF_UNHEALTHY, "still liquidatable after liquidate");
        }
    }

    // ───────────────────────── liquidateMany ─────────────────────────

    /// @notice `liquidateMany` over a mix of liquidatable, open, empty, duplicate and unlisted-market entries: it
    /// never reverts for an entry, flags exactly the entries it liquidated, and liquidates the first entry iff it
    /// was liquidatable.
    function liquidateMany(uint256 keeperSeed, uint256 entriesSeed) external {
        address keeper = _keeper(keeperSeed);
        uint256 count = 1 + (entriesSeed % MAX_BATCH);
        address[] memory batch = new address[](count);
        bytes32[] memory ids = new bytes32[](count);
        Slot memory first;
        for (uint256 i; i < count; ++i) {
            uint256 seed = _reseed(entriesSeed, i);
            uint256 kind = seed % 5;
            Slot memory s =
                kind == 0
                    ? _findLiquidatable(seed)
                    : kind == 1
                        ? _findOpen(seed)
                        : _slot(seed);
            if (i == 0) first = s;
            batch[i] = s.account;
            ids[i] = kind == 3 ? UNLISTED_MARKET : s.id;
            if (kind == 4 && i > 0) (batch[i], ids[i]) = (batch[i - 1], ids[i - 1]);
        }
        bool live = _liquidationsLive();
        CallContext memory ctx = _begin("liquidateMany", keeper);
        vm.prank(keeper);
        try engine.liquidateMany(batch, ids) returns (bool[] memory flags) {
            Vm.Log[] memory logs = _logs();
            _checkBatch(first, ids[0], flags, logs);
            _end(ctx, logs, true);
        } catch (bytes memory reason) {
            Reasons.List memory expected = Reasons.create();
            Reasons.addIf(expected, !live, IPerpEngine.LiquidationsPaused.selector);
            Reasons.addIf(expected, !live, IPerpEngine.LiquidationGracePeriodActive.selector);
            _reverted(ctx, reason, expected);
            _end(ctx, _logs(), false);
        }
    }

    function _checkBatch(Slot memory first, bytes32 firstId, bool[] memory flags, Vm.Log[] memory logs) private {
        uint256 liquidations;
        for (uint256 i; i < logs.length; ++i) {
            if (logs[i].emitter == address(engine) && logs[i].topics[0] == EngineEvents.LIQUIDATED()) ++liquidations;
        }
        uint256 flagged;
        for (uint256 i; i < flags.length; ++i) if (flags[i]) ++flagged;
        if (flagged != liquidations) {
            ghosts.recordViolation(
                InvariantNames.LIQUIDATION_IFF_UNHEALTHY,
                "liquidateMany flags != Liquidated events"
            );
        }
        bool expectFirst = first.liquidatable && firstId == first.id && !_isSettled(first.market);
        if (flags[0] != expectFirst) {
            ghosts.recordViolation(
                InvariantNames.LIQUIDATION_IFF_UNHEALTHY,
                expectFirst
                    ? "liquidateMany skipped a liquidatable first entry"
                    : "liquidateMany liquidated a healthy entry"
            );
        }
    }

    // ───────────────────────── sweep ─────────────────────────

    /// @notice A diligent keeper: `liquidateMany` over everything liquidatable, repeated while anything is. Afterwards
    /// nothing may be liquidatable (while liquidations are live), DESIGN §12.10.
    function sweep(uint256 keeperSeed) external {
        address keeper = _keeper(keeperSeed);
        if (!_liquidationsLive()) return;
        CallContext memory ctx = _begin("sweep", keeper);
        bool anyCall;
        for (uint256 round; round < MAX_SWEEP_ROUNDS; ++round) {
            (address[] memory targets, bytes32[] memory ids) = _liquidatableList();
            if (canary == CanaryNames.SWEEP_SKIPS_ONE && targets.length != 0) {
                // Mutant: the last liquidatable entry is left out (their length word is the arrays' first word).
                uint256 shorter = targets.length - 1;
                assembly {
                    mstore(targets, shorter)
                    mstore(ids, shorter)
                }
            }
            if (targets.length == 0) break;
            anyCall = true;
            vm.prank(keeper);
            try engine.liquidateMany(targets, ids) {} catch (bytes memory reason) {
                _livenessBroken(ctx, reason, "liquidateMany while live");
                break;
            }
        }
        (address[] memory left, ) = _liquidatableList();
        if (left.length != 0) {
            ghosts.recordViolation(
                InvariantNames.SWEEP_LEAVES_NONE,
                string.concat("still liquidatable after a sweep: ", vm.toString(left[0]))
            );
        }
        _end(ctx, _logs(), anyCall);
    }

    /// @dev Every liquidatable (account, market) of the listed, unsettled markets with a valid price.
    function _liquidatableList() private view returns (address[] memory targets, bytes32[] memory ids) {
        targets = new address[](traders.length * marketCount);
        ids = new bytes32[](traders.length * marketCount);
        uint256 n;
        for (uint256 m; m < marketCount; ++m) {
            (bool ok, , ) = _tryPrice(m);
            if (!ok || _isSettled(m)) continue;
            bytes32 id = marketIds[m];
            for (uint256 t; t < traders.length; ++t) {
                if (engine.isLiquidatable(traders[t], id)) {
                    targets[n] = traders[t];
                    ids[n] = id;
                    ++n;
                }
            }
        }
        // Shrink the arrays to the n entries found (their length word is the first word in memory).
        assembly {
            mstore(targets, n)
            mstore(ids, n)
        }
    }

    // ───────────────────────── orders (DESIGN §4, issue 11) ─────────────────────────

    /// @notice A keeper executes a pending order: usually once it is executable (time moves to it), sometimes too
    /// early or past its expiry (see HandlerBase._executeOrder).
    function executeOrder(uint256 keeperSeed, uint256 pickSeed, uint256 timingSeed) external {
        (uint256 slot, bool found) = _pendingOrder(pickSeed);
        _executeOrder(_keeper(keeperSeed), slot, found, timingSeed);
    }

    /// @notice Cancelling an order: its owner before expiry (refused: no free option), anyone after expiry (time moves
    /// past it; the caller earns the fee), or an order that does not exist.
    function cancelOrder(uint256 callerSeed, uint256 pickSeed, uint256 modeSeed) external {
        (uint256 slot, bool found) = _pendingOrder(pickSeed);
        address account = traders[slot / marketCount];
        uint256 market = slot % marketCount;
        Order memory order = engine.getOrder(account, marketIds[market]);
        bool byOwner = modeSeed % 3 == 0;
        address caller = byOwner ? account : _keeper(callerSeed);
        if (found && !byOwner && block.timestamp <= order.expiresAt)
            vm.warp(order.expiresAt + 1 + ((modeSeed / 3) % 2));
        _cancel(caller, account, market, order, found);
    }

    // ───────────────────────── vault protection and funding ─────────────────────────

    /// @notice `deleverageVault` with 0, 1, a few or the maximum steps.
    function deleverageVault(uint256 keeperSeed, uint256 marketSeed, uint256 stepsSeed) external {
        address keeper = _keeper(keeperSeed);
        uint256 market = marketSeed % marketCount;
        uint256 steps = _edge(stepsSeed, 0, 64);
        Reasons.List memory expected = Reasons.create();
        Reasons.addIf(expected, steps == 0, IPerpEngine.ZeroAmount.selector);
        Reasons.addIf(expected, engine.pauseState().liquidations, IPerpEngine.LiquidationsPaused.selector);
        Reasons.addIf(expected, _isSettled(market), IPerpEngine.MarketIsSettled.selector);
        Reasons.add(expected, IPerpEngine.VaultDeleverageNotNeeded.selector);
        Reasons.addOracle(expected, !_allPricesValid());
        CallContext memory ctx = _begin("deleverageVault", keeper);
        vm.prank(keeper);
        try engine.deleverageVault(marketIds[market], steps) {
            _end(ctx, _logs(), true);
        } catch (bytes memory reason) {
            _reverted(ctx, reason, expected);
            _end(ctx, _logs(), false);
        }
    }

    /// @notice `pokeFunding` by anyone.
    function pokeFunding(uint256 callerSeed, uint256 marketSeed) external {
        address caller = _trader(callerSeed);
        uint256 market = marketSeed % marketCount;
        (bool ok, , ) = _tryPrice(market);
        Reasons.List memory expected = Reasons.addOracle(Reasons.create(), !ok);
        CallContext memory ctx = _begin("pokeFunding", caller);
        vm.prank(caller);
        try engine.pokeFunding(marketIds[market]) {
            _end(ctx, _logs(), true);
        } catch (bytes memory reason) {
            _reverted(ctx, reason, expected);
            _end(ctx, _logs(), false);
        }
    }

    /// @notice DESIGN §5/§12.9, funding does not depend on when it is poked: at a constant price and skew, the index
    /// after one accrual over a + b seconds equals (to one wei of truncation) the index after a poke at a and an
    /// accrual over b. Both paths run on snapshots; nothing persists.
    function probeFundingPokeIndependence(uint256 marketSeed, uint256 firstSeed, uint256 secondSeed) external {
        uint256 market = marketSeed % marketCount;
        bytes32 id = marketIds[market];
        (bool ok, , ) = _tryPrice(market);
        if (!ok || _isSettled(market)) return;
        CallContext memory ctx = _begin("probeFundingPokeIndependence", address(0));
        uint256 start = block.timestamp;
        uint256 a = 1 + (firstSeed % PROBE_MAX_STEP_SECONDS);
        uint256 b = 1 + (secondSeed % PROBE_MAX_STEP_SECONDS);
        int256 netSize = engine.getMarketState(id).netSize;

        uint256 snapshot = vm.snapshotState();
        _refreshAt(market, start + a + b);
        int256 direct = engine.currentFundingIndexWad(id);
        vm.revertToStateAndDelete(snapshot);

        snapshot = vm.snapshotState();
        _refreshAt(market, start + a);
        bool poked;
        try engine.pokeFunding(id) {
            poked = engine.getMarketState(id).netSize == netSize;
        } catch {}
        _refreshAt(market, start + a + b);
        int256 viaPoke = poked ? engine.currentFundingIndexWad(id) : direct;
        vm.revertToStateAndDelete(snapshot);

        // Both paths ran on snapshots: the logs they recorded describe states that no longer exist.
        vm.recordLogs();
        _end(ctx, _logs(), poked);
        if (!poked) return;
        int256 gap = viaPoke - direct;
        if (gap > POKE_TRUNCATION_WEI || gap < -POKE_TRUNCATION_WEI) {
            ghosts.recordViolation(
                InvariantNames.FUNDING_ZERO_SUM,
                string.concat(
                    "funding depends on the poke: direct ",
                    vm.toString(direct),
                    " via poke ",
                    vm.toString(viaPoke)
                )
            );
        }
    }

    /// @dev Moves time to `timestamp` and re-posts the market's current answer (same price, fresh timestamp).
    function _refreshAt(uint256 market, uint256 timestamp) private {
        vm.warp(timestamp);
        feeds[market].updateAnswer(feeds[market].latestAnswer());
    }

    // ───────────────────────── no bystander below zero ─────────────────────────

    /// @dev Equity of the positions a liquidation in `market` can touch — the side opposite the liquidated position
    /// (ADL counterparties, the socialized side) — at the current price; NOT_READ elsewhere and while the price is
    /// invalid.
    function _equities(address liquidated, uint256 market) private view returns (int256[] memory out) {
        out = new int256[](traders.length);
        for (uint256 t; t < traders.length; ++t) out[t] = NOT_READ;
        (bool ok, , ) = _tryPrice(market);
        int256[] memory sizes = ghosts.sizes();
        int256 liquidatedSize = _position(liquidated, market).size;
        if (!ok || liquidatedSize == 0) return out;
        for (uint256 t; t < traders.length; ++t) {
            int256 size = sizes[t * marketCount + market];
            if (size == 0 || (size > 0) == (liquidatedSize > 0)) continue;
            (out[t], ) = engine.positionEquity(traders[t], marketIds[market]);
        }
    }

    /// @dev DESIGN §8.4/§12.6 (issue 10): another account's liquidation pushes no position from ≥ 0 to < 0 equity while
    /// the vault's equity covers the residual, i.e. unless the loss was socialized (which `_checkVaultAbsorbedFirst`
    /// allows only beyond the vault's equity). ADL cannot do it: a counterparty closes only in profit at its price.
    function _checkNoBystanderBelowZero(
        Vm.Log[] memory logs,
        address liquidated,
        uint256 liquidatedMarket,
        int256[] memory before
    ) private {
        bool socialized;
        for (uint256 i; i < logs.length; ++i) {
            if (logs[i].emitter == address(engine) && logs[i].topics[0] == EngineEvents.LOSS_SOCIALIZED())
                socialized = true;
        }
        if (socialized) return;
        liquidated;
        int256[] memory afterEquities = _equitiesAfter(liquidatedMarket, before);
        for (uint256 k; k < before.length; ++k) {
            if (before[k] != NOT_READ && afterEquities[k] != NOT_READ && before[k] >= 0 && afterEquities[k] < 0) {
                ghosts.recordViolation(
                    InvariantNames.NO_BYSTANDER_BELOW_ZERO,
                    string.concat("a bystander went below zero equity: ", vm.toString(afterEquities[k]))
                );
            }
        }
    }

    /// @dev The same positions' equity after the call (those that had one before).
    function _equitiesAfter(uint256 market, int256[] memory before) private view returns (int256[] memory out) {
        out = new int256[](before.length);
        for (uint256 t; t < before.length; ++t) {
            out[t] = NOT_READ;
            if (before[t] == NOT_READ || _position(traders[t], market).size == 0) continue;
            (out[t], ) = engine.positionEquity(traders[t], marketIds[market]);
        }
    }

    /// @dev Issue 10: a deficit is socialized over traders only beyond the vault's equity. After a liquidation that
    /// socialized while every price was valid (the vault could be valued), the vault's mark-to-market equity is
    /// exhausted: zero up to the loss index's round-up.
    function _checkVaultAbsorbedFirst(Vm.Log[] memory logs) private {
        for (uint256 i; i < logs.length; ++i) {
            if (logs[i].emitter != address(engine) || logs[i].topics[0] != EngineEvents.LIQUIDATED()) continue;
            EngineEvents.Liquidated memory e = EngineEvents.liquidated(logs[i]);
            if (e.socializedUsd == 0 || !_allPricesValid()) return;
            int256 equityUsd = engine.vaultEquityUsd(true);
            if (equityUsd > VAULT_EXHAUSTED_TOLERANCE_USD) {
                ghosts.recordViolation(
                    InvariantNames.NO_BYSTANDER_BELOW_ZERO,
                    string.concat(
                        "socialized ",
                        vm.toString(e.socializedUsd),
                        " while the vault kept equity ",
                        vm.toString(equityUsd)
                    )
                );
            }
            return;
        }
    }

    // ───────────────────────── canaries ─────────────────────────

    /// @dev Mutants at a liquidation: the fund drained under a bankrupt position, or a healthy one's margin removed.
    function _plantLiquidationCanary(Slot memory s, bool live, bool settled) private {
        if (s.size == 0 || !s.priceOk || !live || settled) return;
        if (canary == CanaryNames.DRAINED_FUND) {
            (int256 equityUsd, ) = engine.positionEquity(s.account, s.id);
            if (equityUsd >= 0) return;
            bytes32 slot = _engineSlot(abi.encodeCall(IPerpEngine.insuranceFund, ()));
            vm.store(address(engine), slot, bytes32(0));
        } else if (canary == CanaryNames.HEALTHY_LIQUIDATED && !s.liquidatable) {
            uint256 marginUsd = _position(s.account, s.market).marginUsd;
            _setMarginForCanary(s.account, s.id, 0);
            // Planted only where losing its margin makes the position liquidatable (one in profit stays healthy and
            // would only corrupt the books).
            if (!engine.isLiquidatable(s.account, s.id)) _setMarginForCanary(s.account, s.id, marginUsd);
        }
    }

    /// @dev Mutant: the side opposite a liquidated position owes $1M per unit more, with no LossSocialized event.
    function _chargeOppositeSide(Slot memory s) private {
        // MarketState: netSize, longOI, shortOI, Σsize·entry, Σsize·fundingSnapshot, fundingIndex, lastFundingTs,
        // longLossIndex (+7), shortLossIndex (+8).
        bytes32 first = _engineSlot(abi.encodeWithSignature("getMarketState(bytes32)", s.id));
        bytes32 slot = bytes32(uint256(first) + (s.size > 0 ? 8 : 7));
        uint256 index = uint256(vm.load(address(engine), slot));
        vm.store(address(engine), slot, bytes32(index + 1_000_000e18));
    }

    // ───────────────────────── slots ─────────────────────────

    /// @dev Prices and settlement of every market, read once per selection.
    struct Markets {
        bool[] priceOk;
        bool[] settled;
    }

    function _markets() private view returns (Markets memory mk) {
        mk.priceOk = new bool[](marketCount);
        mk.settled = new bool[](marketCount);
        for (uint256 m; m < marketCount; ++m) {
            (mk.priceOk[m], , ) = _tryPrice(m);
            mk.settled[m] = _isSettled(m);
        }
    }

    function _slot(uint256 seed) private view returns (Slot memory) {
        uint256 slot = seed % (traders.length * marketCount);
        return _describe(slot, ghosts.sizes()[slot], _markets());
    }

    /// @dev A slot with its size (from the mirror, which the invariant test keeps equal to the engine) and whether it
    /// is liquidatable now (the engine's view).
    function _describe(uint256 slot, int256 size, Markets memory mk) private view returns (Slot memory s) {
        s.account = traders[slot / marketCount];
        s.market = slot % marketCount;
        s.id = marketIds[s.market];
        s.size = size;
        s.priceOk = mk.priceOk[s.market];
        s.liquidatable = size != 0 && s.priceOk && !mk.settled[s.market] && engine.isLiquidatable(s.account, s.id);
    }

    function _findLiquidatable(uint256 seed) private view returns (Slot memory) {
        return _find(seed, true);
    }

    function _findOpen(uint256 seed) private view returns (Slot memory) {
        return _find(seed, false);
    }

    /// @dev From a random start, the first open slot (or the first liquidatable one among at most MAX_PROBES open
    /// slots: each probe is an engine view, else the first open one); the random slot itself if none is open.
    function _find(uint256 seed, bool liquidatableOnly) private view returns (Slot memory) {
        int256[] memory sizes = ghosts.sizes();
        Markets memory mk = _markets();
        uint256 slots = sizes.length;
        uint256 start = seed % slots;
        uint256 probes;
        Slot memory firstOpen;
        bool anyOpen;
        for (uint256 k; k < slots && probes < MAX_PROBES; ++k) {
            uint256 slot = (start + k) % slots;
            if (sizes[slot] == 0) continue;
            if (!liquidatableOnly) return _describe(slot, sizes[slot], mk);
            ++probes;
            Slot memory s = _describe(slot, sizes[slot], mk);
            if (s.liquidatable) return s;
            if (!anyOpen) (firstOpen, anyOpen) = (s, true);
        }
        return anyOpen ? firstOpen : _describe(start, sizes[start], mk);
    }
}
