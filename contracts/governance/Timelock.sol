// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

// The admin of the engine is OpenZeppelin's TimelockController, deployed as is; importing it here makes
// Hardhat compile it and TypeChain generate its factory.
// solhint-disable-next-line no-unused-import
import {TimelockController} from "@openzeppelin/contracts/governance/TimelockController.sol";
