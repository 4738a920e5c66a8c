// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {PerpEngine} from "../../../contracts/PerpEngine.sol";
import {Position, AdlConfig, Order, MarketParams} from "../../../contracts/interfaces/IPerpTypes.sol";
import {PositionMath} from "../../../contracts/libraries/PositionMath.sol";
import {SignedMath} from "../../../contracts/libraries/SignedMath.sol";
import {AdlLogic} from "../../../contracts/adl/AdlLogic.sol";
import {AdlQueue} from "../../../contracts/adl/AdlQueue.sol";
import {vm} from "../utils/Vm.sol";
import {PerpSystem} from "../system/PerpSystem.sol";
import {SystemConfig} from "../system/SystemConfig.sol";
import {Ghosts} from "../ghosts/Ghosts.sol";
import {InvariantNames} from "./InvariantNames.sol";
import {SystemReader} from "./SystemReader.sol";

/// @title ProtocolInvariants
/// @notice Every DESIGN §12 invariant, stated over the engine's own views, checked after every call of the campaign.
/// State invariants are computed here from one read of the system; the rules that need a call's before/after or
/// its events (waterfall split, bystanders, liquidation iff unhealthy, IM after value removal, liveness, funding
/// poke independence, sweeps) are checked by the handlers and arrive here as recorded violations.
/// @dev Rounding bounds are the TypeScript suite's (test/fuzz/invariants.ts): zero-sum equity may leave the
/// protocol 0 … 3 wei per open position + 1 wei per market with open interest; funding owed by traders exceeds the
/// vault's receivable by 0 … < 1 wei per position; ADL order holds between ticks, up to key rounding.
abstract contract ProtocolInvariants {
    using SignedMath for int256;

    /// @dev Zero-sum gap per open position (PnL floored, funding and loss owed ceiled) and per market (vault value
    /// floored), in USD wei.
    uint256 internal constant ZERO_SUM_WEI_PER_POSITION = 3;
    uint256 internal constant ZERO_SUM_WEI_PER_MARKET = 1;
    /// @dev The far-away price of the zero-sum check, in bps of the current one (the TS suite's 37%).
    uint256 internal constant STRESS_PRICE_BPS = 3_700;
    uint256 internal constant BPS = 10_000;
    uint256 internal constant WAD = 1e18;
    /// @dev Feed units (8 decimals) → wad.
    uint256 internal constant FEED_TO_WAD = 1e10;
    /// @dev The zero-sum identity at a second price needs a state snapshot and a second read: one check in 8.
    uint256 internal constant STRESS_ONE_IN = 8;

    /// @dev Failures of one check round, the first message per invariant.
    struct Failures {
        bytes32[] names;
        string[] messages;
        uint256 count;
    }

    PerpSystem internal sys;
    Ghosts internal ghosts;
    /// @dev The single gap the gross-OI reserve is designed to cover with an empty insurance fund (README).
    uint256 internal constant RESERVE_COVERED_MOVE_BPS = 2_750;
    /// @dev The system's lists, cached at `setUp` (see SystemReader.Layout).
    SystemReader.Layout internal layout;
    /// @dev Canary mode: the invariant whose failure this run must report first (bytes32(0) otherwise).
    bytes32 internal canaryTarget;

    /// @dev Runs every check and reverts with the first failure (the canary's target first, when it failed).
    /// The state checks run on one read of the system (after every check_interval-th call); the costliest views are
    /// rotated over calls:
    /// `isLiquidatable` for one position, the ADL ranks of one (market, side), and the zero-sum identity at the
    /// far-away price one check in STRESS_ONE_IN (see test/forge/README.md, "Cost of a call").
    function _assertAll() internal {
        Failures memory f = Failures(new bytes32[](20), new string[](20), 0);
        Ghosts.CheckData memory g = ghosts.checkData();
        // A handler's finding is reported before the state is read: the bug it found may have left state that the
        // readers cannot even sum (a canary's planted margin, an overflowed aggregate).
        _checkRecordedViolations(f, g);
        if (f.count != 0) _report(f);
        // The rotation is drawn from the call count (forge may check only every check_interval-th call).
        uint256 draw = uint256(keccak256(abi.encode(g.totalCalls)));
        SystemReader.Layout memory l = layout;
        uint256 marketCount = l.marketIds.length;
        SystemReader.Query memory q = SystemReader.Query({
            viewSlot: draw % (l.traders.length * marketCount),
            adlLights: true,
            adlMarket: (draw >> 64) % marketCount,
            adlLong: (draw >> 128) % 2 == 0
        });
        SystemReader.SystemView memory v = SystemReader.read(l, q);
        _checkMirror(f, v, g);
        _checkPendingOrders(f, g);
        _checkConservation(f, v, g);
        _checkNoNegativeBalance(f, v);
        _checkSizesSumToZero(f, v);
        _checkZeroSumEquity(f, v, g);
        if ((draw >> 192) % STRESS_ONE_IN == 0) _checkZeroSumEquityAtStressPrice(f);
        _checkPositionViews(f, v);
        _checkFundingZeroSum(f, v);
        _checkAdlOrder(f, v, q, g);
        _checkVaultSolvent(f, v);
        if (f.count != 0) _report(f);
    }

    /// @dev Reverts with the first failure, the canary's target first when it is among them.
    function _report(Failures memory f) internal view {
        for (uint256 i; i < f.count; ++i) {
            if (f.names[i] == canaryTarget) revert(f.messages[i]);
        }
        revert(f.messages[0]);
    }

    /// @dev The last valid price of a market (the adapter keeps none; the price handler does).
    function _lastValidPriceWad(uint256 market) internal view virtual returns (uint256);

    function _fail(Failures memory f, bytes32 name, string memory message) internal pure {
        for (uint256 i; i < f.count; ++i) if (f.names[i] == name) return;
        f.names[f.count] = name;
        f.messages[f.count] = string.concat(_str(name), ": ", message);
        ++f.count;
    }

    // ───────────────────────── recorded by handlers ─────────────────────────

    /// @dev Waterfall, bystanders, liquidation iff unhealthy, IM after value removal, liveness, funding poke
    /// independence, sweeps, unexpected reverts: the first violation a handler recorded.
    function _checkRecordedViolations(Failures memory f, Ghosts.CheckData memory g) internal view {
        if (g.violationCount == 0) return;
        bytes32[10] memory recorded = [
            InvariantNames.WATERFALL_EXACT,
            InvariantNames.BYSTANDERS_UNTOUCHED,
            InvariantNames.NO_BYSTANDER_BELOW_ZERO,
            InvariantNames.LIQUIDATION_IFF_UNHEALTHY,
            InvariantNames.SWEEP_LEAVES_NONE,
            InvariantNames.INITIAL_MARGIN,
            InvariantNames.FUNDING_ZERO_SUM,
            InvariantNames.LIVENESS,
            InvariantNames.NO_UNEXPECTED_REVERT,
            InvariantNames.CANARY
        ];
        for (uint256 i; i < recorded.length; ++i) {
            uint256 times = ghosts.violationsOf(recorded[i]);
            if (times == 0) continue;
            _fail(
                f,
                recorded[i],
                string.concat(ghosts.firstViolationOf(recorded[i]), " (", vm.toString(times), " time(s) in this run)")
            );
        }
    }

    // ───────────────────────── DESIGN §12.6 (and indexers) ─────────────────────────

    /// @dev Every free balance and position equals the ghosts' mirror, which handlers update only for the accounts and
    /// positions the engine's events name: nothing changed that no event reported (a bystander's balance cannot move
    /// silently, and an indexer following events sees every position).
    function _checkMirror(
        Failures memory f,
        SystemReader.SystemView memory v,
        Ghosts.CheckData memory g
    ) internal pure {
        Ghosts.Mirror memory m = g.mirror;
        for (uint256 i; i < v.free.length; ++i) {
            if (v.free[i] != m.free[i]) {
                _fail(
                    f,
                    InvariantNames.BYSTANDERS_UNTOUCHED,
                    string.concat("free balance of account #", vm.toString(i), " changed with no event naming it")
                );
            }
        }
        uint256 marketCount = v.markets.length;
        for (uint256 mk; mk < marketCount; ++mk) {
            for (uint256 t; t < v.markets[mk].positions.length; ++t) {
                Position memory p = v.markets[mk].positions[t].position;
                uint256 slot = t * marketCount + mk;
                if (p.size != m.sizes[slot] || p.entryPriceWad != m.entries[slot]) {
                    _fail(
                        f,
                        InvariantNames.BYSTANDERS_UNTOUCHED,
                        string.concat("position slot #", vm.toString(slot), " changed with no event naming it")
                    );
                }
            }
        }
    }

    /// @dev Every pending order is one the order events announced (committed, not yet executed or cancelled), and
    /// the escrow bucket holds exactly their margin and fees.
    function _checkPendingOrders(Failures memory f, Ghosts.CheckData memory g) internal view {
        uint256 pending = g.pendingOrders;
        SystemReader.Layout memory l = layout;
        uint256 marketCount = l.marketIds.length;
        uint256 escrowUsd;
        // Orders exist only in markets with an execution delay (the campaign never turns one off).
        bool[] memory delayed = new bool[](marketCount);
        for (uint256 mk; mk < marketCount; ++mk) {
            (, MarketParams memory params) = l.engine.getMarketConfig(l.marketIds[mk]);
            delayed[mk] = params.executionDelaySeconds != 0;
        }
        for (uint256 t; t < l.traders.length; ++t) {
            for (uint256 mk; mk < marketCount; ++mk) {
                if (!delayed[mk]) {
                    if (pending & (1 << (t * marketCount + mk)) != 0) {
                        _fail(f, InvariantNames.BYSTANDERS_UNTOUCHED, "an order is pending in a market without delay");
                    }
                    continue;
                }
                uint256 slot = t * marketCount + mk;
                Order memory order = l.engine.getOrder(l.traders[t], l.marketIds[mk]);
                bool exists = order.executableAt != 0;
                if (exists != (pending & (1 << slot) != 0)) {
                    _fail(
                        f,
                        InvariantNames.BYSTANDERS_UNTOUCHED,
                        string.concat("order slot #", vm.toString(slot), " changed with no order event")
                    );
                }
                if (order.marginDeltaUsd > 0) escrowUsd += uint256(int256(order.marginDeltaUsd));
                escrowUsd += order.executionFeeUsd;
            }
        }
        if (escrowUsd != l.engine.escrowedOrdersUsd()) {
            _fail(f, InvariantNames.CONSERVATION, "escrowedOrdersUsd != sum of pending orders' margin and fees");
        }
    }

    // ───────────────────────── DESIGN §12.1 ─────────────────────────

    /// @dev balanceOf(engine) × scale == Σ free + Σ margins + vault cash + insurance + escrowed orders + raw donations
    /// (exact), and the engine holds exactly the tokens that went in minus those that came out.
    function _checkConservation(
        Failures memory f,
        SystemReader.SystemView memory v,
        Ghosts.CheckData memory g
    ) internal view {
        uint256 scale = layout.scale;
        int256 books =
            v.vaultCashUsd + int256(v.insuranceUsd) + int256(v.escrowedOrdersUsd) + int256(g.rawDonatedTokens * scale);
        for (uint256 i; i < v.free.length; ++i) books += int256(v.free[i]);
        for (uint256 m; m < v.markets.length; ++m) {
            for (uint256 t; t < v.markets[m].positions.length; ++t) {
                books += int256(v.markets[m].positions[t].position.marginUsd);
            }
        }
        int256 backing = int256(v.engineTokens * scale);
        if (backing != books) {
            _fail(
                f,
                InvariantNames.CONSERVATION,
                string.concat("balanceOf(engine)*scale ", vm.toString(backing), " != books ", vm.toString(books))
            );
        }
        if (v.engineTokens + g.tokensOut != g.tokensIn) {
            _fail(
                f,
                InvariantNames.TOKEN_FLOWS,
                string.concat(
                    "engine holds ",
                    vm.toString(v.engineTokens),
                    " tokens, ghosts say in ",
                    vm.toString(g.tokensIn),
                    " - out ",
                    vm.toString(g.tokensOut)
                )
            );
        }
    }

    // ───────────────────────── DESIGN §12.2 ─────────────────────────

    /// @dev No free balance, margin or fund is negative. They are stored unsigned, so a negative value would show
    /// as a wrapped, astronomically large one: each must stay within what the engine's tokens can back. A closed
    /// position keeps no margin, entry or snapshot.
    function _checkNoNegativeBalance(Failures memory f, SystemReader.SystemView memory v) internal view {
        uint256 backing = v.engineTokens * layout.scale;
        if (v.insuranceUsd > backing) _fail(f, InvariantNames.NO_NEGATIVE_BALANCE, "insurance fund above all backing");
        for (uint256 i; i < v.free.length; ++i) {
            if (v.free[i] > backing) {
                _fail(f, InvariantNames.NO_NEGATIVE_BALANCE, string.concat("free balance ", vm.toString(v.free[i])));
            }
        }
        for (uint256 m; m < v.markets.length; ++m) {
            for (uint256 t; t < v.markets[m].positions.length; ++t) {
                Position memory p = v.markets[m].positions[t].position;
                if (p.marginUsd > backing) {
                    _fail(f, InvariantNames.NO_NEGATIVE_BALANCE, string.concat("margin ", vm.toString(p.marginUsd)));
                }
                if (p.size == 0 && (p.marginUsd != 0 || p.entryPriceWad != 0 || p.fundingIndexSnapshotWad != 0)) {
                    _fail(f, InvariantNames.NO_NEGATIVE_BALANCE, "a closed position keeps margin, entry or snapshot");
                }
            }
        }
    }

    // ───────────────────────── DESIGN §12.3 ─────────────────────────

    /// @dev Σ trader sizes + the vault's (−netSize) == 0; stored OI == Σ sizes per side; every aggregate the vault's
    /// valuation uses == its sum over positions (exact).
    function _checkSizesSumToZero(Failures memory f, SystemReader.SystemView memory v) internal pure {
        for (uint256 m; m < v.markets.length; ++m) {
            SystemReader.MarketView memory mv = v.markets[m];
            int256 net;
            uint256 longs;
            uint256 shorts;
            int256 sizeTimesEntry;
            int256 sizeTimesFunding;
            uint256 longLoss;
            uint256 shortLoss;
            for (uint256 t; t < mv.positions.length; ++t) {
                Position memory p = mv.positions[t].position;
                net += p.size;
                if (p.size > 0) {
                    longs += uint256(p.size);
                    longLoss += uint256(p.size) * p.lossIndexSnapshotWad;
                } else if (p.size < 0) {
                    shorts += uint256(-p.size);
                    shortLoss += uint256(-p.size) * p.lossIndexSnapshotWad;
                }
                sizeTimesEntry += p.size * int256(p.entryPriceWad);
                sizeTimesFunding += p.size * p.fundingIndexSnapshotWad;
            }
            string memory market = vm.toString(m);
            if (net - mv.state.netSize != 0) {
                _fail(
                    f,
                    InvariantNames.SIZES_SUM_TO_ZERO,
                    string.concat("market ", market, ": sum of sizes + vault != 0")
                );
            }
            if (longs != mv.state.longOpenInterest || shorts != mv.state.shortOpenInterest) {
                _fail(
                    f,
                    InvariantNames.SIZES_SUM_TO_ZERO,
                    string.concat("market ", market, ": stored OI != sum per side")
                );
            }
            if (
                sizeTimesEntry != mv.state.sumSizeTimesEntry || sizeTimesFunding != mv.state.sumSizeTimesFundingSnapshot
            ) {
                _fail(
                    f,
                    InvariantNames.SIZES_SUM_TO_ZERO,
                    string.concat("market ", market, ": size aggregates drifted")
                );
            }
            if (
                longLoss != mv.state.sumLongSizeTimesLossSnapshot || shortLoss != mv.state.sumShortSizeTimesLossSnapshot
            ) {
                _fail(
                    f,
                    InvariantNames.SIZES_SUM_TO_ZERO,
                    string.concat("market ", market, ": loss aggregates drifted")
                );
            }
        }
    }

    // ───────────────────────── DESIGN §12.4 ─────────────────────────

    /// @dev At the oracle price: Σ positionEquity + Σ free + vaultEquityUsd(true) + insurance + escrowed orders ==
    /// backing − gap with
    /// 0 ≤ gap ≤ 3 wei per open position + 1 wei per market with open interest.
    function _checkZeroSumEquity(
        Failures memory f,
        SystemReader.SystemView memory v,
        Ghosts.CheckData memory g
    ) internal view {
        if (!v.allPricesValid) return;
        _zeroSumAt(f, v, g.rawDonatedTokens, "oracle");
    }

    /// @dev The same identity at a second, far-away price (37% of each market's last valid price), on a snapshot.
    function _checkZeroSumEquityAtStressPrice(Failures memory f) internal {
        uint256 snapshot = vm.snapshotState();
        for (uint256 m; m < layout.marketIds.length; ++m) {
            (bool ok, uint256 priceWad, ) = sys.tryPrice(m);
            uint256 baseWad = ok ? priceWad : _lastValidPriceWad(m);
            int256 answer = int256((baseWad * STRESS_PRICE_BPS) / BPS / FEED_TO_WAD) + 1;
            sys.feed(m).updateAnswer(answer);
        }
        SystemReader.Query memory q = SystemReader.Query(type(uint256).max, false, 0, false);
        SystemReader.SystemView memory v = SystemReader.read(layout, q);
        if (v.allPricesValid) _zeroSumAt(f, v, ghosts.rawDonatedTokens(), "stress");
        vm.revertToStateAndDelete(snapshot);
    }

    function _zeroSumAt(
        Failures memory f,
        SystemReader.SystemView memory v,
        uint256 rawDonatedTokens,
        string memory which
    ) internal view {
        uint256 scale = layout.scale;
        int256 claims = int256(v.insuranceUsd) + int256(v.escrowedOrdersUsd) + v.vaultEquityForDepositUsd;
        for (uint256 i; i < v.free.length; ++i) claims += int256(v.free[i]);
        for (uint256 m; m < v.markets.length; ++m) {
            for (uint256 t; t < v.markets[m].positions.length; ++t) {
                if (v.markets[m].positions[t].position.size != 0) claims += v.markets[m].positions[t].equityUsd;
            }
        }
        int256 backing = int256((v.engineTokens - rawDonatedTokens) * scale);
        int256 gap = backing - claims;
        int256 bound = int256(
            ZERO_SUM_WEI_PER_POSITION * v.openPositions + ZERO_SUM_WEI_PER_MARKET * v.marketsWithOpenInterest
        );
        if (gap < 0 || gap > bound) {
            _fail(
                f,
                InvariantNames.ZERO_SUM_EQUITY,
                string.concat(which, " price: gap ", vm.toString(gap), " outside [0, ", vm.toString(bound), "]")
            );
        }
    }

    // ───────────────────────── DESIGN §12.7 ─────────────────────────

    /// @dev For the position whose views were read this call: `positionEquity` equals the composed equity (what the
    /// zero-sum check sums), and `isLiquidatable` ⇔ equity < maintenance requirement (equality is healthy).
    function _checkPositionViews(Failures memory f, SystemReader.SystemView memory v) internal pure {
        for (uint256 m; m < v.markets.length; ++m) {
            for (uint256 t; t < v.markets[m].positions.length; ++t) {
                SystemReader.PositionView memory pv = v.markets[m].positions[t];
                if (!pv.viewsRead) continue;
                if (pv.viewEquityUsd != pv.equityUsd) {
                    _fail(f, InvariantNames.ZERO_SUM_EQUITY, "positionEquity != margin + PnL - funding - loss owed");
                }
                if (pv.liquidatable != (pv.viewEquityUsd < int256(pv.maintenanceUsd))) {
                    _fail(f, InvariantNames.LIQUIDATION_IFF_UNHEALTHY, "isLiquidatable disagrees with equity < MM");
                }
            }
        }
    }

    // ───────────────────────── DESIGN §12.9 ─────────────────────────

    /// @dev What traders owe in funding (each rounded up) − what the vault counts as receivable (exact, 1e36) is in
    /// [0, 1 wei) per position: funding is zero-sum, rounding in the vault's favour.
    function _checkFundingZeroSum(Failures memory f, SystemReader.SystemView memory v) internal pure {
        for (uint256 m; m < v.markets.length; ++m) {
            SystemReader.MarketView memory mv = v.markets[m];
            int256 owed;
            uint256 n;
            for (uint256 t; t < mv.positions.length; ++t) {
                Position memory p = mv.positions[t].position;
                if (p.size == 0) continue;
                owed += PositionMath.fundingOwedUsd(p.size, mv.fundingIndexNowWad, p.fundingIndexSnapshotWad);
                ++n;
            }
            int256 receivable36 = mv.state.netSize * mv.fundingIndexNowWad - mv.state.sumSizeTimesFundingSnapshot;
            int256 gap = owed * int256(WAD) - receivable36;
            int256 bound = n == 0 ? int256(1) : int256(n * WAD);
            if (gap < 0 || gap >= bound) {
                _fail(
                    f,
                    InvariantNames.FUNDING_ZERO_SUM,
                    string.concat("market ", vm.toString(m), ": gap ", vm.toString(gap))
                );
            }
        }
    }

    // ───────────────────────── DESIGN §12.11 ─────────────────────────

    /// @dev The ADL queue holds exactly the open positions with entry notional ≥ the queue minimum (until governance
    /// changes the minimum: positions keep their membership until re-keyed), ranks are a
    /// permutation, and a position ranked ahead is at least as leveraged at the current price (equity per unit of size
    /// no higher), unless both share a tick (FIFO inside one) or their keys differ by rounding only.
    function _checkAdlOrder(
        Failures memory f,
        SystemReader.SystemView memory v,
        SystemReader.Query memory q,
        Ghosts.CheckData memory g
    ) internal view {
        AdlConfig memory config = sys.engine().adlConfig();
        {
            SystemReader.MarketView memory mv = v.markets[q.adlMarket];
            {
                bool isLong = q.adlLong;
                uint256 members;
                for (uint256 t; t < mv.positions.length; ++t) {
                    Position memory p = mv.positions[t].position;
                    if (p.size == 0 || (p.size > 0) != isLong) continue;
                    bool eligible = (p.size.abs() * p.entryPriceWad) / WAD >= config.minQueueNotionalUsd;
                    bool queued = mv.positions[t].light != 0;
                    // Membership is decided when a position is re-keyed, under the minimum in force then.
                    if (eligible != queued && !g.queueMinimumChanged) {
                        _fail(f, InvariantNames.ADL_ORDER, "queue membership != entry notional >= minimum");
                    }
                    if (queued) ++members;
                }
                for (uint256 t; t < mv.positions.length; ++t) {
                    SystemReader.PositionView memory pv = mv.positions[t];
                    if (pv.light == 0 || (pv.position.size > 0) != isLong) continue;
                    if (pv.queueLength != members || pv.rank >= members) {
                        _fail(f, InvariantNames.ADL_ORDER, "ADL ranks are not a permutation of the queue");
                    }
                }
                if (mv.priceOk) _checkPairOrder(f, mv, isLong);
            }
        }
    }

    function _checkPairOrder(Failures memory f, SystemReader.MarketView memory mv, bool isLong) internal pure {
        for (uint256 i; i < mv.positions.length; ++i) {
            SystemReader.PositionView memory a = mv.positions[i];
            if (a.light == 0 || (a.position.size > 0) != isLong) continue;
            for (uint256 k; k < mv.positions.length; ++k) {
                SystemReader.PositionView memory b = mv.positions[k];
                if (b.light == 0 || (b.position.size > 0) != isLong || b.rank <= a.rank) continue;
                // a is ahead of b: a's equity per unit of size must not exceed b's (cross-multiplied, exact).
                if (a.equityUsd * int256(b.position.size.abs()) <= b.equityUsd * int256(a.position.size.abs()))
                    continue;
                int256 keyA = AdlLogic.adlKey(a.position);
                int256 keyB = AdlLogic.adlKey(b.position);
                if (AdlQueue.tickOf(keyA) == AdlQueue.tickOf(keyB)) continue;
                uint256 smallest =
                    a.position.size.abs() < b.position.size.abs() ? a.position.size.abs() : b.position.size.abs();
                // E/|q| carries < 3 wei of USD rounding per position and each key < 1 wei of truncation.
                int256 tolerance = int256((4 * WAD) / smallest + 4);
                int256 keyGap = keyA - keyB;
                if (keyGap <= tolerance && keyGap >= -tolerance) continue;
                _fail(f, InvariantNames.ADL_ORDER, "a less leveraged position is ranked ahead of a more leveraged one");
            }
        }
    }

    // ───────────────────────── DESIGN §4 ─────────────────────────

    /// @dev The vault never goes bankrupt: its deposit-side equity stays ≥ 0 (with the keepers the README requires:
    /// the campaign's price updates are followed by `deleverageVault`) — as long as no single feed update has moved
    /// more than the gross-OI reserve is designed to cover (README, Known issues, "The vault's solvency is bounded":
    /// 2 × vaultReserveBps + the losers' margin, ≈ 27.5%). Past such a gap the design no longer promises it (the
    /// long run found the documented case: test/forge/findings/vault-solvent-long-0x1712.md); every other invariant
    /// (the accounting identity, no negative balance, no bystander below zero while the vault covers) still holds.
    function _checkVaultSolvent(Failures memory f, SystemReader.SystemView memory v) internal view {
        if (!v.allPricesValid) return;
        if (ghosts.largestMoveBps() > RESERVE_COVERED_MOVE_BPS) return;
        int256 equityUsd = v.vaultEquityForDepositUsd;
        if (equityUsd < 0)
            _fail(f, InvariantNames.VAULT_SOLVENT, string.concat("vault equity ", vm.toString(equityUsd)));
    }

    function _str(bytes32 value) internal pure returns (string memory) {
        uint256 length;
        while (length < 32 && value[length] != 0) ++length;
        bytes memory out = new bytes(length);
        for (uint256 i; i < length; ++i) out[i] = value[i];
        return string(out);
    }
}
