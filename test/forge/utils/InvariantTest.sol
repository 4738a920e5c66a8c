// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title InvariantTest
/// @notice The part of forge-std's `StdInvariant` this campaign needs, written against forge's ABI conventions:
/// forge calls `targetContracts()` (and `targetSelectors()`, `targetSenders()`, `excludeSenders()`) on the test
/// contract after `setUp` to learn what to fuzz, then calls every `invariant_*` function after each call.
abstract contract InvariantTest {
    /// @notice A contract and the functions of it forge may call.
    struct FuzzSelector {
        address addr;
        bytes4[] selectors;
    }

    address[] private targetedContracts;
    FuzzSelector[] private targetedSelectors;
    address[] private targetedSenders;

    function targetContract(address target) internal {
        targetedContracts.push(target);
    }

    function targetSelector(FuzzSelector memory selector) internal {
        targetedSelectors.push(selector);
    }

    function targetSender(address sender) internal {
        targetedSenders.push(sender);
    }

    function targetContracts() public view returns (address[] memory) {
        return targetedContracts;
    }

    function targetSelectors() public view returns (FuzzSelector[] memory) {
        return targetedSelectors;
    }

    function targetSenders() public view returns (address[] memory) {
        return targetedSenders;
    }
}
