// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {PerpEngine} from "../../../contracts/PerpEngine.sol";
import {IPerpEngine} from "../../../contracts/interfaces/IPerpEngine.sol";
import {Position} from "../../../contracts/interfaces/IPerpTypes.sol";
import {MockERC20} from "../../../contracts/test/MockERC20.sol";
import {vm} from "../utils/Vm.sol";
import {PerpSystem} from "../system/PerpSystem.sol";
import {Ghosts} from "../ghosts/Ghosts.sol";
import {InvariantNames} from "../invariants/InvariantNames.sol";
import {CanaryNames} from "./CanaryNames.sol";
import {StoredPositionSlots} from "./StoredPositionSlots.sol";

/// @title Canaries
/// @notice Proof that every invariant can fail within the CI budget (`npm run fuzz:forge:canaries`). Two kinds, both
/// switched on by `FORGE_CANARY=<name>` (one per run):
/// - **mutants**: a bug planted on purpose, each the kind of bug its invariant exists to catch. State mutants are
///   applied here (`mutate`, an extra entry point of the campaign) by writing one field of the engine's storage,
///   located with `vm.record`/`vm.accesses` on the engine's own view (no hard-coded layout): a leaked or minted
///   token, a wrapped-negative balance, a size or entry or aggregate off by a little, a silent balance change, an
///   insolvent vault, an overflowing open interest. Behaviour mutants live at one point of a handler (HandlerBase
///   `canary`): a liquidation that pays from a fund drained mid-call, a healthy position liquidated, a sweep that
///   skips one, a bystander charged, a margin booked short, a pause that lands unannounced.
/// - **reachability canaries** ("the campaign never reaches X"): they fail as soon as the campaign reaches a
///   liquidation, a bankrupt one, ADL, the vault absorbing a deficit, a socialized loss, a breaker trip, a vault
///   protection walk, an executed or a cancelled order — so the checks on those paths are not vacuous.
/// The run must fail, and its failure must name the canary's target invariant (the checks report it first).
contract Canaries {
    PerpSystem internal immutable sys;
    PerpEngine internal immutable engine;
    Ghosts internal immutable ghosts;
    bytes32 public immutable canary;
    /// @notice The invariant this canary must break (reported first when it fails).
    bytes32 public immutable target;
    /// @notice Set once the mutation is in place (each mutant applies once per run).
    bool public applied;

    constructor(PerpSystem system, Ghosts ghosts_, string memory name) {
        sys = system;
        engine = system.engine();
        ghosts = ghosts_;
        canary = _toBytes32(name);
        target = CanaryNames.targetOf(canary);
        require(target != bytes32(0), string.concat("unknown canary ", name));
    }

    /// @notice How often the campaign calls `mutate` (per 200 calls): state mutants need one call that finds its
    /// precondition; behaviour mutants and reachability canaries do not use it.
    function weight() external view returns (uint256) {
        return CanaryNames.isStateMutant(canary) ? 2 : 0;
    }

    /// @notice Plants the state mutant once, when its precondition holds (an open position, a balance...).
    function mutate(uint256 seed) external {
        if (applied) return;
        if (canary == CanaryNames.LEAK_TOKEN) {
            MockERC20 token = sys.token();
            if (token.balanceOf(address(engine)) == 0) return;
            vm.prank(address(engine));
            token.transfer(address(0xDEAD), 1);
        } else if (canary == CanaryNames.MINT_TO_ENGINE) {
            sys.token().mint(address(engine), 1);
        } else if (canary == CanaryNames.WRAPPED_BALANCE) {
            address account = sys.trader(seed);
            _storeAt(_slotOfFree(account), type(uint256).max - 1e18);
        } else if (canary == CanaryNames.SIZE_DRIFT) {
            (bool found, address account, bytes32 id) = _openPosition(seed);
            if (!found) return;
            StoredPositionSlots.setSize(
                address(engine),
                _positionSlot(account, id),
                engine.getPosition(account, id).size + 1
            );
        } else if (canary == CanaryNames.ENTRY_DRIFT) {
            (bool found, address account, bytes32 id) = _openPosition(seed);
            if (!found) return;
            Position memory p = engine.getPosition(account, id);
            // The trader's equity falls by |size| × $1 while the vault's aggregate still values the old entry.
            uint256 entry = p.size > 0 ? p.entryPriceWad + 1e18 : p.entryPriceWad - 1e18;
            StoredPositionSlots.setEntry(address(engine), _positionSlot(account, id), entry);
        } else if (canary == CanaryNames.FUNDING_AGGREGATE_DRIFT) {
            bytes32 id = sys.marketId(seed);
            if (engine.getMarketState(id).netSize == 0) return;
            bytes32 slot = bytes32(uint256(_marketStateSlot(id)) + 4);
            _storeAt(slot, uint256(int256(uint256(vm.load(address(engine), slot))) + 1e36));
        } else if (canary == CanaryNames.SILENT_BALANCE_CHANGE) {
            // The guardian: an account no engine event names unless it acts (it rarely does).
            address account = sys.guardian();
            seed;
            bytes32 slot = _slotOfFree(account);
            _storeAt(slot, uint256(vm.load(address(engine), slot)) + 1);
        } else if (canary == CanaryNames.STALE_ADL_KEY) {
            (bool found, address account, bytes32 id) = _queuedPosition(seed);
            if (!found) return;
            // The head of its queue gets $1M more margin, taken from the vault's cash (the books still balance), with
            // no re-key: the queue keeps ranking it first although it is now the least leveraged.
            Position memory p = engine.getPosition(account, id);
            uint256 extraUsd = 1_000_000e18;
            StoredPositionSlots.setMargin(address(engine), _positionSlot(account, id), p.marginUsd + extraUsd);
            bytes32 cashSlot = _slotOfVaultCash();
            _storeAt(cashSlot, uint256(int256(uint256(vm.load(address(engine), cashSlot))) - int256(extraUsd)));
        } else if (canary == CanaryNames.INSOLVENT_VAULT) {
            _storeAt(_slotOfVaultCash(), uint256(-int256(100_000_000e18)));
        } else {
            return;
        }
        applied = true;
    }

    /// @notice Reachability canaries: fail (naming `canary_…`) once the campaign has reached the event.
    function checkReachability() external view {
        if (CanaryNames.isStateMutant(canary) || !CanaryNames.isReachability(canary)) return;
        uint256 count = ghosts.eventCounts(uint256(CanaryNames.eventOf(canary)));
        if (count != 0) {
            revert(string.concat(_name(target), ": the campaign reached it (", vm.toString(count), " time(s))"));
        }
    }

    // ───────────────────────── locating fields ─────────────────────────

    function _slotOfFree(address account) private returns (bytes32) {
        vm.record();
        engine.freeBalance(account);
        (bytes32[] memory reads, ) = vm.accesses(address(engine));
        return reads[0];
    }

    function _slotOfVaultCash() private returns (bytes32) {
        vm.record();
        engine.vaultCashUsd();
        (bytes32[] memory reads, ) = vm.accesses(address(engine));
        return reads[0];
    }

    /// @dev The first slot of a stored position (see StoredPositionSlots for the fields' places).
    function _positionSlot(address account, bytes32 id) private returns (bytes32) {
        vm.record();
        engine.getPosition(account, id);
        (bytes32[] memory reads, ) = vm.accesses(address(engine));
        return reads[0];
    }

    /// @dev The first slot of a market's MarketState (netSize; the fields follow in declaration order).
    function _marketStateSlot(bytes32 id) private returns (bytes32) {
        vm.record();
        engine.getMarketState(id);
        (bytes32[] memory reads, ) = vm.accesses(address(engine));
        return reads[0];
    }

    function _storeAt(bytes32 slot, uint256 value) private {
        vm.store(address(engine), slot, bytes32(value));
    }

    function _openPosition(uint256 seed) private view returns (bool, address, bytes32) {
        address[] memory traders = sys.traders();
        for (uint256 k; k < traders.length * 2; ++k) {
            uint256 slot = ((seed % (traders.length * 2)) + k) % (traders.length * 2);
            address account = traders[slot / 2];
            bytes32 id = sys.marketId(slot % 2);
            if (engine.getPosition(account, id).size != 0) return (true, account, id);
        }
        return (false, address(0), bytes32(0));
    }

    /// @dev The head of an ADL queue with at least one other position behind it.
    function _queuedPosition(uint256 seed) private view returns (bool, address, bytes32) {
        for (uint256 k; k < 4; ++k) {
            uint256 pick = (seed + k) % 4;
            bytes32 id = sys.marketId(pick / 2);
            address head = engine.adlQueueHead(id, pick % 2 == 0);
            if (head == address(0)) continue;
            (, , uint256 queueLength) = engine.adlLight(head, id);
            if (queueLength >= 2) return (true, head, id);
        }
        return (false, address(0), bytes32(0));
    }

    function _toBytes32(string memory name) private pure returns (bytes32 out) {
        bytes memory b = bytes(name);
        require(b.length <= 32, "canary name longer than 32 bytes");
        for (uint256 i; i < b.length; ++i) out |= bytes32(b[i]) >> (i * 8);
    }

    function _name(bytes32 value) private pure returns (string memory) {
        uint256 length;
        while (length < 32 && value[length] != 0) ++length;
        bytes memory out = new bytes(length);
        for (uint256 i; i < length; ++i) out[i] = value[i];
        return string(out);
    }
}
