// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {AggregatorV3Interface} from "@chainlink/contracts/src/v0.8/shared/interfaces/AggregatorV3Interface.sol";

/// @title StandInAggregator
/// @notice The aggregator behind a `StandInAggregatorProxy` in the offline fork source (sim/fork/standIn): the
/// part of a Chainlink OCR aggregator the protocol and the fork simulator read — `decimals`, `description`,
/// `version`, `minAnswer`/`maxAnswer` (the clamps the adapter must know), rounds with `getRoundData` history.
/// Its owner posts answers; nothing here is Chainlink's code.
contract StandInAggregator is AggregatorV3Interface {
    struct Round {
        int256 answer;
        uint64 startedAt;
        uint64 updatedAt;
    }

    /// @notice Thrown when someone other than the owner transmits.
    error NotOwner(address caller);

    /// @notice Thrown when an answer lies outside [minAnswer, maxAnswer] (the real aggregator clamps it).
    error AnswerOutOfBounds(int256 answer, int192 minAnswer, int192 maxAnswer);

    /// @notice Thrown when a round does not exist (as the OCR aggregators' "No data present").
    error NoDataPresent(uint80 roundId);

    /// @notice Emitted for every round, as Chainlink's aggregators do.
    event AnswerUpdated(int256 indexed current, uint256 indexed roundId, uint256 updatedAt);

    address public immutable owner;
    uint8 public immutable decimals;
    int192 public immutable minAnswer;
    int192 public immutable maxAnswer;
    /// @notice The OCR aggregators' version number.
    uint256 private constant OCR_AGGREGATOR_VERSION = 4;

    string public description;
    uint80 public latestRound;
    mapping(uint80 roundId => Round) private rounds;

    constructor(address owner_, uint8 decimals_, string memory description_, int192 minAnswer_, int192 maxAnswer_) {
        owner = owner_;
        decimals = decimals_;
        description = description_;
        minAnswer = minAnswer_;
        maxAnswer = maxAnswer_;
    }

    /// @notice Posts `answer` as the next round, stamped with the block time (the owner only).
    function transmit(int192 answer) external {
        if (msg.sender != owner) revert NotOwner(msg.sender);
        if (answer < minAnswer || answer > maxAnswer) revert AnswerOutOfBounds(answer, minAnswer, maxAnswer);
        uint80 roundId = latestRound + 1;
        latestRound = roundId;
        rounds[roundId] = Round(answer, uint64(block.timestamp), uint64(block.timestamp));
        emit AnswerUpdated(answer, roundId, block.timestamp);
    }

    /// @inheritdoc AggregatorV3Interface
    function version() external pure returns (uint256) {
        return OCR_AGGREGATOR_VERSION;
    }

    /// @inheritdoc AggregatorV3Interface
    function getRoundData(
        uint80 roundId
    ) public view returns (uint80, int256 answer, uint256 startedAt, uint256 updatedAt, uint80) {
        Round storage round = rounds[roundId];
        if (round.updatedAt == 0) revert NoDataPresent(roundId);
        return (roundId, round.answer, round.startedAt, round.updatedAt, roundId);
    }

    /// @inheritdoc AggregatorV3Interface
    function latestRoundData() external view returns (uint80, int256, uint256, uint256, uint80) {
        return getRoundData(latestRound);
    }
}
