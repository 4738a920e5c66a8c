// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {ErrorNames} from "./ErrorNames.sol";
import {vm} from "../utils/Vm.sol";

/// @title Ghosts
/// @notice The campaign's memory between calls (reset to the post-`setUp` state at every run, like the system):
/// - the tokens that went into and out of the engine;
/// - an event-sourced mirror of every free balance and position: handlers update it only for the accounts and
///   positions the engine's events name, so the invariant test, comparing it with the engine, proves that nothing
///   changed that no event reported (DESIGN §12.6 bystanders; an indexer never needs an eth_call);
/// - per-action call and revert counts (by revert selector) and the events the campaign reached;
/// - the first violation a handler observed. Handlers record; the invariant test asserts (a handler never reverts
///   on a violation: forge would discard the call together with its record).
/// @dev A handler talks to this contract twice per call (`begin`, `finish`): external calls dominate the cost of a
/// campaign on forge's EVM, so everything a call records travels in those two.
contract Ghosts {
    /// @notice Event kinds counted per run (indexes of `Finish.eventCounts`).
    enum EventKind {
        Liquidation,
        PartialLiquidation,
        BankruptLiquidation,
        InsurancePaidDeficit,
        AdlLiquidation,
        VaultAbsorbedDeficit,
        SocializedLoss,
        Deleveraged,
        VaultProtectionWalk,
        KeeperTopUp,
        BreakerTrip,
        SettledClose,
        KeeperProtection,
        OrderCommitted,
        OrderExecuted,
        OrderCancelled
    }
    uint256 public constant EVENT_KINDS = 16;

    /// @notice The mirror: free balances per account (PerpSystem.accounts order), size and entry per position slot
    /// (trader × marketCount + market).
    struct Mirror {
        uint256[] free;
        int256[] sizes;
        uint256[] entries;
    }

    /// @notice What one handler call hands over at its end: its outcome and the mirror entries it re-read.
    struct Finish {
        bytes32 action;
        bool succeeded;
        bool reverted;
        bytes4 revertSelector;
        uint256 tokensIn;
        uint256 tokensOut;
        uint256[EVENT_KINDS] eventCounts;
        /// @dev Sparse mirror update: account indexes and their free balances, slot indexes and their positions.
        uint256[] accountIndexes;
        uint256[] freeValues;
        uint256[] slotIndexes;
        int256[] sizeValues;
        uint256[] entryValues;
        /// @dev Slots (bit per slot) whose order was committed / executed or cancelled in the call, in that order.
        uint256 ordersCommitted;
        uint256 ordersClosed;
    }

    // ── token flows of the engine, in token units ──
    /// @notice Σ collateral that entered the engine: trader deposits, insurance donations, LP deposits, raw transfers.
    uint256 public tokensIn;
    /// @notice Σ collateral that left the engine: withdrawals, LP withdrawals, insurance excess withdrawals.
    uint256 public tokensOut;
    /// @notice Tokens transferred to the engine without a deposit: they credit nobody (surplus of the identity).
    uint256 public rawDonatedTokens;

    /// @notice Set once governance changed the ADL queue's minimum notional in this run.
    bool public queueMinimumChanged;

    Mirror private state;
    /// @notice Slots (bit per trader × marketCount + market) with a pending order, from the order events.
    uint256 public pendingOrders;

    // ── what the campaign reached, calls and reverts by reason (per run) ──
    uint256[EVENT_KINDS] public eventCounts;
    /// @notice Handler calls so far in this run (the invariant checks rotate their costlier parts on it).
    uint256 public totalCalls;
    /// @notice The largest single feed move between two valid answers so far (bps).
    uint256 public largestMoveBps;
    mapping(bytes32 action => uint256) public actionCalls;
    mapping(bytes32 action => uint256) public actionSuccesses;
    mapping(bytes32 action => mapping(bytes4 selector => uint256)) public revertCount;
    mapping(bytes32 action => bytes4[]) private revertSelectors;
    bytes32[] private actionNames;
    mapping(bytes32 action => bool) private actionListed;

    // ── violations ──
    uint256 public violationCount;
    string public firstViolation;
    /// @notice Violations by invariant name (for the canary runner and the report).
    mapping(bytes32 invariantName => uint256) public violationsOf;
    /// @notice The first violation recorded under each invariant name.
    mapping(bytes32 invariantName => string) public firstViolationOf;

    ErrorNames public immutable errorNames;

    constructor() {
        errorNames = ErrorNames(vm.deployCode("ErrorNames.sol:ErrorNames", ""));
    }

    // ── one call ──

    /// @notice Records a call of `action`: success or revert selector, token flows, events, the mirror entries it
    /// re-read.
    function finish(Finish calldata f) external {
        if (!actionListed[f.action]) {
            actionListed[f.action] = true;
            actionNames.push(f.action);
        }
        ++actionCalls[f.action];
        ++totalCalls;
        if (f.succeeded) ++actionSuccesses[f.action];
        if (f.reverted) _countRevert(f.action, f.revertSelector);
        if (f.tokensIn != 0) tokensIn += f.tokensIn;
        if (f.tokensOut != 0) tokensOut += f.tokensOut;
        for (uint256 i; i < EVENT_KINDS; ++i) if (f.eventCounts[i] != 0) eventCounts[i] += f.eventCounts[i];
        pendingOrders = (pendingOrders & ~f.ordersClosed) | f.ordersCommitted;
        for (uint256 i; i < f.accountIndexes.length; ++i) state.free[f.accountIndexes[i]] = f.freeValues[i];
        for (uint256 i; i < f.slotIndexes.length; ++i) {
            state.sizes[f.slotIndexes[i]] = f.sizeValues[i];
            state.entries[f.slotIndexes[i]] = f.entryValues[i];
        }
    }

    /// @notice The mirror's entries for some accounts and slots (their values before the current call).
    function entriesOf(
        uint256[] calldata accountIndexes,
        uint256[] calldata slotIndexes
    ) external view returns (uint256[] memory freeUsd, int256[] memory sizeValues, uint256[] memory entryValues) {
        freeUsd = new uint256[](accountIndexes.length);
        for (uint256 i; i < accountIndexes.length; ++i) freeUsd[i] = state.free[accountIndexes[i]];
        sizeValues = new int256[](slotIndexes.length);
        entryValues = new uint256[](slotIndexes.length);
        for (uint256 i; i < slotIndexes.length; ++i) {
            (sizeValues[i], entryValues[i]) = (state.sizes[slotIndexes[i]], state.entries[slotIndexes[i]]);
        }
    }

    /// @notice Every slot's size (trader × marketCount + market): handlers pick positions from it without a read each.
    function sizes() external view returns (int256[] memory) {
        return state.sizes;
    }

    /// @notice The mirror (the invariant test compares it with the engine).
    function mirror() external view returns (Mirror memory) {
        return state;
    }

    /// @notice Everything an invariant check reads from the ghosts, in one call.
    struct CheckData {
        uint256 totalCalls;
        uint256 violationCount;
        uint256 tokensIn;
        uint256 tokensOut;
        uint256 rawDonatedTokens;
        uint256 pendingOrders;
        bool queueMinimumChanged;
        Mirror mirror;
    }

    function checkData() external view returns (CheckData memory d) {
        d.totalCalls = totalCalls;
        d.violationCount = violationCount;
        d.tokensIn = tokensIn;
        d.tokensOut = tokensOut;
        d.rawDonatedTokens = rawDonatedTokens;
        d.pendingOrders = pendingOrders;
        d.queueMinimumChanged = queueMinimumChanged;
        d.mirror = state;
    }

    /// @notice Sets the mirror from the engine once, after the base state is built.
    function initMirror(Mirror calldata initial) external {
        state = initial;
    }

    // ── token flows outside `begin`/`finish` (preparation steps of a handler) ──

    function addTokensIn(uint256 amount) external {
        tokensIn += amount;
    }

    function addRawDonation(uint256 amount) external {
        tokensIn += amount;
        rawDonatedTokens += amount;
    }

    function setQueueMinimumChanged() external {
        queueMinimumChanged = true;
    }

    /// @notice Records a single feed update's move between two valid answers (bps of the previous one). Once one
    /// exceeds what the gross-OI reserve is designed to cover, the vault's solvency is no longer promised
    /// (README, Known issues: "The vault's solvency is bounded") and `invariant_vaultSolvent` stands down.
    function recordPriceMove(uint256 moveBps) external {
        if (moveBps > largestMoveBps) largestMoveBps = moveBps;
    }

    /// @notice Counts a revert outside `finish` (a handler with several engine calls).
    function countRevert(bytes32 action, bytes4 selector) external {
        if (!actionListed[action]) {
            actionListed[action] = true;
            actionNames.push(action);
        }
        _countRevert(action, selector);
    }

    function _countRevert(bytes32 action, bytes4 selector) private {
        if (revertCount[action][selector] == 0) revertSelectors[action].push(selector);
        ++revertCount[action][selector];
    }

    // ── violations ──

    /// @notice Records that `invariantName` was broken; the invariant test fails on it.
    function recordViolation(bytes32 invariantName, string calldata detail) external {
        if (violationCount == 0) firstViolation = string.concat(_name(invariantName), ": ", detail);
        if (violationsOf[invariantName] == 0) firstViolationOf[invariantName] = detail;
        ++violationCount;
        ++violationsOf[invariantName];
    }

    // ── report (one JSON object per run, written by the test's afterInvariant) ──

    /// @notice {"calls":n,"actions":{name:{"calls":n,"ok":n,"reverts":{ErrorName:n}}},"events":{name:n},"violations":n}
    function reportJson() external view returns (string memory json) {
        json = string.concat('{"calls":', _u(totalCalls), ',"actions":{');
        for (uint256 i; i < actionNames.length; ++i) {
            bytes32 action = actionNames[i];
            json = string.concat(json, i == 0 ? '"' : ',"', _name(action), '":{"calls":', _u(actionCalls[action]));
            json = string.concat(json, ',"ok":', _u(actionSuccesses[action]), ',"reverts":{');
            bytes4[] storage selectors = revertSelectors[action];
            for (uint256 j; j < selectors.length; ++j) {
                json = string.concat(
                    json,
                    j == 0 ? '"' : ',"',
                    errorNames.nameOf(selectors[j]),
                    '":',
                    _u(revertCount[action][selectors[j]])
                );
            }
            json = string.concat(json, "}}");
        }
        json = string.concat(json, '},"events":{');
        string[EVENT_KINDS] memory names = [
            "liquidations",
            "partialLiquidations",
            "bankruptLiquidations",
            "insurancePaidDeficits",
            "adlLiquidations",
            "vaultAbsorbedDeficits",
            "socializedLosses",
            "deleveraged",
            "vaultProtectionWalks",
            "keeperTopUps",
            "breakerTrips",
            "settledCloses",
            "keeperProtections",
            "ordersCommitted",
            "ordersExecuted",
            "ordersCancelled"
        ];
        for (uint256 i; i < EVENT_KINDS; ++i) {
            json = string.concat(json, i == 0 ? '"' : ',"', names[i], '":', _u(eventCounts[i]));
        }
        json = string.concat(json, '},"violations":', _u(violationCount), "}");
    }

    /// @dev A bytes32 holding a short ASCII name, as a string (trailing zero bytes dropped).
    function _name(bytes32 value) private pure returns (string memory) {
        uint256 length;
        while (length < 32 && value[length] != 0) ++length;
        bytes memory out = new bytes(length);
        for (uint256 i; i < length; ++i) out[i] = value[i];
        return string(out);
    }

    function _u(uint256 value) private pure returns (string memory) {
        if (value == 0) return "0";
        uint256 digits;
        for (uint256 v = value; v != 0; v /= 10) ++digits;
        bytes memory out = new bytes(digits);
        for (uint256 v = value; v != 0; v /= 10) out[--digits] = bytes1(uint8(48 + (v % 10)));
        return string(out);
    }
}
