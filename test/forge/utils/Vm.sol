// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title Vm
/// @notice The few forge cheatcodes this campaign uses, declared by hand: forge-std cannot be installed offline
/// (its npm copy, forge-std 1.1.2, is an unofficial and years-old snapshot). Signatures follow forge 1.x's
/// cheatcode ABI; the address is forge's fixed cheatcode address, keccak256("hevm cheat code")[12:].
interface Vm {
    /// @notice A log recorded between `recordLogs` and `getRecordedLogs`.
    struct Log {
        bytes32[] topics;
        bytes data;
        address emitter;
    }

    // ── environment ──
    function warp(uint256 newTimestamp) external;
    function roll(uint256 newHeight) external;
    function prank(address msgSender) external;
    function envOr(string calldata name, uint256 defaultValue) external view returns (uint256);
    function envOr(string calldata name, string calldata defaultValue) external view returns (string memory);
    function label(address account, string calldata newLabel) external;

    // ── deployment ──
    /// @dev Deploys an artifact from forge's output (libraries linked), so that a test never embeds the creation
    /// code of the system it deploys: each contract is compiled (and optimized) once.
    function deployCode(string calldata artifactPath, bytes calldata constructorArgs) external returns (address);

    // ── state ──
    function snapshotState() external returns (uint256 snapshotId);
    function revertToStateAndDelete(uint256 snapshotId) external returns (bool success);
    function load(address target, bytes32 slot) external view returns (bytes32 data);
    function store(address target, bytes32 slot, bytes32 value) external;
    /// @dev Storage slots read and written by calls to `target` since `record` (canaries locate the engine's fields
    /// with it instead of hard-coding the storage layout).
    function record() external;
    function accesses(address target) external returns (bytes32[] memory readSlots, bytes32[] memory writeSlots);

    // ── logs ──
    function recordLogs() external;
    function getRecordedLogs() external returns (Log[] memory logs);

    // ── files and strings (campaign statistics) ──
    function writeLine(string calldata path, string calldata data) external;
    function toString(uint256 value) external pure returns (string memory);
    function toString(int256 value) external pure returns (string memory);
    function toString(address value) external pure returns (string memory);
    function toString(bytes32 value) external pure returns (string memory);
    function toString(bytes calldata value) external pure returns (string memory);
}

/// @dev forge's cheatcode address: address(uint160(uint256(keccak256("hevm cheat code")))).
address constant VM_ADDRESS = 0x7109709ECfa91a80626fF3989D68f67F5b1DD12D;
Vm constant vm = Vm(VM_ADDRESS);
