// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {AggregatorV3Interface} from "@chainlink/contracts/src/v0.8/shared/interfaces/AggregatorV3Interface.sol";

/// @title StandInAggregatorProxy
/// @notice What the offline fork source places at a real Chainlink proxy address (sim/fork/standIn): the
/// proxy interface the protocol and the fork simulator use — `aggregator()`, `phaseId()`,
/// `phaseAggregators(phase)`, `decimals`/`description`/`version` of the current aggregator, and round ids
/// encoded as `phaseId << 64 | aggregator round id` in `latestRoundData`/`getRoundData`.
/// @dev Its code is set at the address with `setCode`, so it has no constructor state: `initialize` sets the
/// owner and the first phase's aggregator once; `setAggregator` starts a new phase.
contract StandInAggregatorProxy is AggregatorV3Interface {
    /// @notice Thrown when `initialize` is called a second time.
    error AlreadyInitialized();

    /// @notice Thrown when someone other than the owner changes the aggregator.
    error NotOwner(address caller);

    /// @notice Thrown when a round id names a phase without an aggregator.
    error NoDataPresent(uint80 roundId);

    /// @dev Bits of a proxy round id that hold the aggregator round id.
    uint256 private constant PHASE_OFFSET = 64;

    address public owner;
    uint16 public phaseId;
    mapping(uint16 phase => AggregatorV3Interface aggregator) public phaseAggregators;

    /// @notice Sets the owner and phase 1's aggregator; callable once.
    function initialize(address owner_, AggregatorV3Interface firstAggregator) external {
        if (owner != address(0)) revert AlreadyInitialized();
        owner = owner_;
        _startPhase(firstAggregator);
    }

    /// @notice Starts the next phase with `nextAggregator` (the owner only).
    function setAggregator(AggregatorV3Interface nextAggregator) external {
        if (msg.sender != owner) revert NotOwner(msg.sender);
        _startPhase(nextAggregator);
    }

    /// @notice The current phase's aggregator.
    function aggregator() public view returns (AggregatorV3Interface) {
        return phaseAggregators[phaseId];
    }

    /// @inheritdoc AggregatorV3Interface
    function decimals() external view returns (uint8) {
        return aggregator().decimals();
    }

    /// @inheritdoc AggregatorV3Interface
    function description() external view returns (string memory) {
        return aggregator().description();
    }

    /// @inheritdoc AggregatorV3Interface
    function version() external view returns (uint256) {
        return aggregator().version();
    }

    /// @inheritdoc AggregatorV3Interface
    function getRoundData(
        uint80 roundId
    ) external view returns (uint80, int256 answer, uint256 startedAt, uint256 updatedAt, uint80) {
        AggregatorV3Interface phaseAggregator = phaseAggregators[uint16(roundId >> PHASE_OFFSET)];
        if (address(phaseAggregator) == address(0)) revert NoDataPresent(roundId);
        (, answer, startedAt, updatedAt, ) = phaseAggregator.getRoundData(uint80(uint64(roundId)));
        return (roundId, answer, startedAt, updatedAt, roundId);
    }

    /// @inheritdoc AggregatorV3Interface
    function latestRoundData()
        external
        view
        returns (uint80 roundId, int256 answer, uint256 startedAt, uint256 updatedAt, uint80 answeredInRound)
    {
        uint80 aggregatorRoundId;
        (aggregatorRoundId, answer, startedAt, updatedAt, ) = aggregator().latestRoundData();
        roundId = uint80((uint256(phaseId) << PHASE_OFFSET) | aggregatorRoundId);
        answeredInRound = roundId;
    }

    function _startPhase(AggregatorV3Interface phaseAggregator) private {
        uint16 phase = phaseId + 1;
        phaseId = phase;
        phaseAggregators[phase] = phaseAggregator;
    }
}
