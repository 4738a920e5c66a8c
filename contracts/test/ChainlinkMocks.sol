// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

// Makes Hardhat compile Chainlink's mock aggregator so tests can deploy it by name.
// solhint-disable-next-line no-unused-import
import {MockV3Aggregator} from "@chainlink/contracts/src/v0.8/tests/MockV3Aggregator.sol";
