// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {AggregatorV3Interface} from "@chainlink/contracts/src/v0.8/shared/interfaces/AggregatorV3Interface.sol";

/// @notice Test-only Chainlink-like feed whose rounds are written directly (any id, answer and time) and whose
/// `getRoundData` can be made to revert for chosen rounds, as a proxy does for rounds it cannot serve.
contract ScriptedAggregator is AggregatorV3Interface {
    struct Round {
        int256 answer;
        uint256 updatedAt;
    }

    /// @notice Thrown by `getRoundData` for a round marked unavailable.
    error RoundUnavailable(uint80 roundId);

    uint8 public immutable override decimals;
    uint80 public latestRoundId;
    mapping(uint80 roundId => Round) public rounds;
    mapping(uint80 roundId => bool) public unavailable;

    constructor(uint8 decimals_) {
        decimals = decimals_;
    }

    /// @notice Writes round `roundId` and makes it the latest when it is the highest so far.
    function setRound(uint80 roundId, int256 answer, uint256 updatedAt) external {
        rounds[roundId] = Round(answer, updatedAt);
        if (roundId > latestRoundId) latestRoundId = roundId;
    }

    function setUnavailable(uint80 roundId, bool isUnavailable) external {
        unavailable[roundId] = isUnavailable;
    }

    function description() external pure override returns (string memory) {
        return "scripted";
    }

    function version() external pure override returns (uint256) {
        return 0;
    }

    function getRoundData(uint80 roundId) external view override returns (uint80, int256, uint256, uint256, uint80) {
        if (unavailable[roundId]) revert RoundUnavailable(roundId);
        Round memory r = rounds[roundId];
        return (roundId, r.answer, r.updatedAt, r.updatedAt, roundId);
    }

    function latestRoundData() external view override returns (uint80, int256, uint256, uint256, uint80) {
        Round memory r = rounds[latestRoundId];
        return (latestRoundId, r.answer, r.updatedAt, r.updatedAt, latestRoundId);
    }
}
