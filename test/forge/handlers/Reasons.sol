// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import "../../../contracts/oracle/OracleErrors.sol" as OracleErrors;

/// @title Reasons
/// @notice The revert selectors a handler expects from one call, each added only under its precondition (e.g.
/// `TradingPaused` only while trading is paused), so that a revert for a reason that should not apply is caught.
library Reasons {
    /// @dev More than any call can expect.
    uint256 internal constant CAPACITY = 40;

    struct List {
        bytes4[] items;
        uint256 length;
    }

    function create() internal pure returns (List memory list) {
        list.items = new bytes4[](CAPACITY);
    }

    function add(List memory list, bytes4 selector) internal pure returns (List memory) {
        list.items[list.length++] = selector;
        return list;
    }

    function addIf(List memory list, bool condition, bytes4 selector) internal pure returns (List memory) {
        if (condition) list.items[list.length++] = selector;
        return list;
    }

    /// @dev What an invalid feed answer reverts with (the adapter's checks that the campaign can trigger).
    function addOracle(List memory list, bool someFeedInvalid) internal pure returns (List memory) {
        if (!someFeedInvalid) return list;
        add(list, OracleErrors.PriceStale.selector);
        add(list, OracleErrors.PriceNonPositive.selector);
        add(list, OracleErrors.PriceAtBound.selector);
        return add(list, OracleErrors.PriceRoundIncomplete.selector);
    }

    function contains(List memory list, bytes4 selector) internal pure returns (bool) {
        for (uint256 i; i < list.length; ++i) if (list.items[i] == selector) return true;
        return false;
    }
}
