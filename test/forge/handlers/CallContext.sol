// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {Ghosts} from "../ghosts/Ghosts.sol";

/// @notice One handler call in progress: what was known before it, and what it will hand to `Ghosts.finish`.
struct CallContext {
    bytes32 action;
    /// @dev The account acting (whose own free balance may fall, a keeper being paid); address(0) for the world.
    address actor;
    /// @dev The accounts (PerpSystem.accounts indexes) and position slots (trader × marketCount + market) the call's
    /// events and its actor name, with their mirror values from before the call (filled at its end).
    uint256[] namedAccounts;
    uint256[] namedSlots;
    uint256[] freeBefore;
    int256[] sizesBefore;
    uint256[] entriesBefore;
    /// @dev Accounts (bit per account index) that had a pending order in this call (an order event names them): their
    /// escrow may come back to the free balance, so they are not "flat" for the bystander rule.
    uint256 orderAccountBits;
    /// @dev The insurance fund (USD) before the call.
    uint256 insuranceFundUsd;
    /// @dev The system's traders, accounts and market ids (copies, for lookups).
    address[] traders;
    address[] accounts;
    bytes32[] marketIds;
    /// @dev Accumulated outcome (success, revert selector, token flows, event counts, updated mirror).
    Ghosts.Finish finish;
}
