// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {AggregatorV2V3Interface} from "@chainlink/contracts/src/v0.8/shared/interfaces/AggregatorV2V3Interface.sol";
import {AggregatorV3Interface} from "@chainlink/contracts/src/v0.8/shared/interfaces/AggregatorV3Interface.sol";

/// @title ForkPriceFeed
/// @notice The code the fork simulator puts at a Chainlink aggregator proxy's address (`setCode`) so that a
/// scenario can drive the answer while every reader keeps the proxy's interface: `decimals`, `description`,
/// phase-encoded round ids (`phaseId << 64 | aggregator round`), `latestRoundData`, the `getRoundData` history,
/// the AggregatorInterface (v2) getters and `aggregator()`. It also stands in for an L2 sequencer-uptime feed
/// (answer 0 = up, 1 = down; `startedAt` = when that status began).
/// @dev History: rounds up to the proxy's latest round at installation are read from the phase aggregator that
/// was live then, so they are the real ones (the call comes from the proxy's own address, which Chainlink's
/// access-controlled aggregators allow); rounds of earlier phases are not served (the adapter's breaker ends its
/// history there, as at a real phase change). Rounds after the installation are this contract's own, one per
/// `updateAnswer`, stamped with the block time. `aggregator()` keeps returning the real aggregator so that its
/// `minAnswer`/`maxAnswer` stay readable.
/// Storage lives in one ERC-7201 namespace: the replaced proxy's own slots stay on the fork untouched and cannot
/// overlap this contract's.
/// Only for forks and local chains: anyone may install it once, and its controller can post any answer.
contract ForkPriceFeed is AggregatorV2V3Interface {
    /* TYPES */

    /// @notice What `install` needs, read from the real proxy before its code was replaced.
    struct Installation {
        /// @dev The only account allowed to post answers (the simulator's feeder).
        address controller;
        /// @dev The proxy's `aggregator()` at installation; address(0) when there is no history to serve.
        AggregatorV3Interface sourceAggregator;
        /// @dev The proxy's `phaseId()` at installation.
        uint16 phaseId;
        /// @dev The aggregator round id (lower 64 bits) of the proxy's latest round at installation; 0 for none.
        uint64 sourceLatestRound;
        uint8 decimals;
        uint256 version;
        string description;
    }

    /// @dev One of this contract's own rounds (times in seconds).
    struct Round {
        int256 answer;
        uint64 startedAt;
        uint64 updatedAt;
    }

    /// @custom:storage-location erc7201:nbp.fork.ForkPriceFeed
    struct FeedStorage {
        bool installed;
        address controller;
        AggregatorV3Interface sourceAggregator;
        uint16 phaseId;
        uint8 decimals;
        /// @dev Aggregator round ids below this come from `sourceAggregator`, from it on from `rounds`.
        uint64 firstOwnRound;
        /// @dev Aggregator round id of the latest round (source or own); 0 before any round exists.
        uint64 latestRound;
        uint256 version;
        string description;
        mapping(uint64 aggregatorRoundId => Round) rounds;
    }

    /* ERRORS */

    /// @notice Thrown when `install` is called a second time.
    error AlreadyInstalled();

    /// @notice Thrown when `install` names no controller.
    error ZeroController();

    /// @notice Thrown when someone other than the controller posts an answer.
    /// @param caller The account that called.
    error NotController(address caller);

    /// @notice Thrown when a round does not exist here (another phase, a future round, or round 0).
    /// @param roundId The phase-encoded round id asked for.
    error NoDataPresent(uint80 roundId);

    /* CONSTANTS */

    /// @dev keccak256(abi.encode(uint256(keccak256("nbp.fork.ForkPriceFeed")) - 1)) & ~bytes32(uint256(0xff))
    bytes32 private constant STORAGE_LOCATION = 0xc7f6b55a57ee8c54cb5b9539f3fbe0b9d65be5d9c035d741fc113ff720ccb400;

    /// @dev Bits of a proxy round id that hold the aggregator round id; the phase id sits above them.
    uint256 private constant PHASE_OFFSET = 64;

    /* SETUP */

    /// @notice Records where the real history lives and who may post; callable once.
    function install(Installation calldata installation) external {
        FeedStorage storage $ = _storage();
        if ($.installed) revert AlreadyInstalled();
        if (installation.controller == address(0)) revert ZeroController();
        $.installed = true;
        $.controller = installation.controller;
        $.sourceAggregator = installation.sourceAggregator;
        $.phaseId = installation.phaseId;
        $.decimals = installation.decimals;
        $.version = installation.version;
        $.description = installation.description;
        $.latestRound = installation.sourceLatestRound;
        $.firstOwnRound = installation.sourceLatestRound + 1;
    }

    /// @notice Posts `answer` as a new round at the block time (same selector as Chainlink's MockV3Aggregator).
    function updateAnswer(int256 answer) external {
        FeedStorage storage $ = _storage();
        if (msg.sender != $.controller) revert NotController(msg.sender);
        uint64 aggregatorRoundId = $.latestRound + 1;
        $.latestRound = aggregatorRoundId;
        $.rounds[aggregatorRoundId] = Round(answer, uint64(block.timestamp), uint64(block.timestamp));
        uint256 roundId = _proxyRoundId($.phaseId, aggregatorRoundId);
        emit NewRound(roundId, msg.sender, block.timestamp);
        emit AnswerUpdated(answer, roundId, block.timestamp);
    }

    /* PROXY VIEWS */

    /// @notice The account allowed to post answers.
    function controller() external view returns (address) {
        return _storage().controller;
    }

    /// @notice The real aggregator behind the proxy at installation (its bounds stay readable there).
    function aggregator() external view returns (address) {
        return address(_storage().sourceAggregator);
    }

    /// @notice The proxy's phase at installation; every round id here carries it.
    function phaseId() external view returns (uint16) {
        return _storage().phaseId;
    }

    /// @inheritdoc AggregatorV3Interface
    function decimals() external view returns (uint8) {
        return _storage().decimals;
    }

    /// @inheritdoc AggregatorV3Interface
    function description() external view returns (string memory) {
        return _storage().description;
    }

    /// @inheritdoc AggregatorV3Interface
    function version() external view returns (uint256) {
        return _storage().version;
    }

    /// @inheritdoc AggregatorV3Interface
    function getRoundData(
        uint80 roundId
    ) external view returns (uint80, int256 answer, uint256 startedAt, uint256 updatedAt, uint80) {
        (answer, startedAt, updatedAt) = _round(roundId);
        return (roundId, answer, startedAt, updatedAt, roundId);
    }

    /// @inheritdoc AggregatorV3Interface
    function latestRoundData()
        external
        view
        returns (uint80 roundId, int256 answer, uint256 startedAt, uint256 updatedAt, uint80 answeredInRound)
    {
        roundId = _latestRoundId();
        (answer, startedAt, updatedAt) = _round(roundId);
        answeredInRound = roundId;
    }

    /// @notice The latest round's answer (AggregatorInterface).
    function latestAnswer() external view returns (int256 answer) {
        (answer, , ) = _round(_latestRoundId());
    }

    /// @notice The latest round's `updatedAt` (AggregatorInterface).
    function latestTimestamp() external view returns (uint256 updatedAt) {
        (, , updatedAt) = _round(_latestRoundId());
    }

    /// @notice The latest round's phase-encoded id (AggregatorInterface).
    function latestRound() external view returns (uint256) {
        return _latestRoundId();
    }

    /// @notice A round's answer, 0 for a round that does not exist, like Chainlink's proxies (AggregatorInterface).
    function getAnswer(uint256 roundId) external view returns (int256 answer) {
        if (roundId > type(uint80).max || !_exists(uint80(roundId))) return 0;
        (answer, , ) = _round(uint80(roundId));
    }

    /// @notice A round's `updatedAt`, 0 for a round that does not exist (AggregatorInterface).
    function getTimestamp(uint256 roundId) external view returns (uint256 updatedAt) {
        if (roundId > type(uint80).max || !_exists(uint80(roundId))) return 0;
        (, , updatedAt) = _round(uint80(roundId));
    }

    /* INTERNAL */

    function _storage() private pure returns (FeedStorage storage $) {
        // ERC-7201 namespaced storage (the pattern of OpenZeppelin's upgradeable contracts).
        assembly {
            $.slot := STORAGE_LOCATION
        }
    }

    function _latestRoundId() private view returns (uint80) {
        FeedStorage storage $ = _storage();
        return uint80(_proxyRoundId($.phaseId, $.latestRound));
    }

    function _exists(uint80 roundId) private view returns (bool) {
        FeedStorage storage $ = _storage();
        uint64 aggregatorRoundId = uint64(roundId);
        if (uint16(roundId >> PHASE_OFFSET) != $.phaseId || aggregatorRoundId == 0) return false;
        if (aggregatorRoundId > $.latestRound) return false;
        return aggregatorRoundId >= $.firstOwnRound || address($.sourceAggregator) != address(0);
    }

    /// @dev The round's data, from this contract or from the source aggregator; reverts when it does not exist.
    function _round(uint80 roundId) private view returns (int256 answer, uint256 startedAt, uint256 updatedAt) {
        if (!_exists(roundId)) revert NoDataPresent(roundId);
        FeedStorage storage $ = _storage();
        uint64 aggregatorRoundId = uint64(roundId);
        if (aggregatorRoundId >= $.firstOwnRound) {
            Round storage round = $.rounds[aggregatorRoundId];
            return (round.answer, round.startedAt, round.updatedAt);
        }
        (, answer, startedAt, updatedAt, ) = $.sourceAggregator.getRoundData(uint80(aggregatorRoundId));
    }

    function _proxyRoundId(uint16 phase, uint64 aggregatorRoundId) private pure returns (uint256) {
        return (uint256(phase) << PHASE_OFFSET) | aggregatorRoundId;
    }
}
