// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {PerpSystem} from "../system/PerpSystem.sol";
import {Ghosts} from "../ghosts/Ghosts.sol";

/// @title Canaries (placeholder until the mutants are written)
contract Canaries {
    bytes32 public target;
    constructor(PerpSystem, Ghosts, string memory) {}
    function weight() external pure returns (uint256) { return 1; }
    function mutate(uint256) external {}
    function checkReachability() external view {}
}
