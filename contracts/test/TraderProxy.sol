// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @notice Test-only trader contract: forwards arbitrary calls (approve, deposit, modifyPosition, ...)
/// from its owner, so that a contract can hold an engine account and a position. Its fallback and receive
/// functions are what the derived contracts make hostile.
abstract contract TraderProxy {
    address public immutable owner;

    /// @notice Thrown when anyone but the owner calls `execute`.
    error NotOwner(address caller);
    /// @notice Thrown when the forwarded call reverted; carries its revert data.
    error ForwardFailed(bytes reason);

    constructor() {
        owner = msg.sender;
    }

    /// @notice Calls `target` with `data` as this contract; reverts with the call's revert data.
    function execute(address target, bytes calldata data) external returns (bytes memory result) {
        if (msg.sender != owner) revert NotOwner(msg.sender);
        bool ok;
        // solhint-disable-next-line avoid-low-level-calls
        (ok, result) = target.call(data);
        if (!ok) revert ForwardFailed(result);
    }
}
