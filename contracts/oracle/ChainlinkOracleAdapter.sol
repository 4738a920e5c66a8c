// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {AggregatorV3Interface} from "@chainlink/contracts/src/v0.8/shared/interfaces/AggregatorV3Interface.sol";

import {IPriceOracle} from "../interfaces/IPriceOracle.sol";
import {
    ZeroFeedAddress,
    ZeroHeartbeat,
    FeedDecimalsTooHigh,
    InvalidAnswerBounds,
    MaxAnswerTooLarge,
    InvalidMaxDeviationBps,
    ZeroSequencerGracePeriod,
    ZeroVolatilityCooldown,
    SequencerDown,
    SequencerGracePeriodNotOver,
    PriceRoundIncomplete,
    PriceNonPositive,
    PriceAtBound,
    PriceUpdatedInFuture,
    PriceStale
} from "./OracleErrors.sol";

/// @title ChainlinkOracleAdapter
/// @notice Validated price of one market from one Chainlink `AggregatorV3Interface` feed, scaled to 1e18,
/// with an optional L2 sequencer-uptime check and a deviation breaker that flags the market as volatile.
/// @dev Trust assumptions (checked by whoever lists the market; this contract cannot verify them):
/// - `feed` is a Chainlink price feed (proxy) for USD per 1 unit of the base asset. Its answers are honest
///   and it updates at least every `heartbeatSeconds` (set this to the feed's published heartbeat; a
///   shorter value blocks the market between updates, a longer one accepts stale prices).
/// - `minAnswer`/`maxAnswer` equal the underlying aggregator's `minAnswer`/`maxAnswer` (in feed units):
///   the aggregator clamps to them, so an answer at a bound is rejected rather than trusted.
/// - `feed.decimals()` never changes (it is read once, here).
/// - On an L2, `sequencerUptimeFeed` is Chainlink's uptime feed for that chain (answer 0 = up, 1 = down,
///   `startedAt` = when the current status began); on L1 it is `address(0)`.
/// Liveness: if the feed stops updating, reverts, or the sequencer is down, every read reverts and the
/// engine cannot act on this market until a valid answer exists again. Validity never depends on this
/// contract's state, so a valid answer is always returned (liquidation keeps working while volatile).
///
/// Why each read check exists (in evaluation order; the first failure reverts):
/// 1. Sequencer down: while the L2 sequencer is down, feed updates cannot land; prices are frozen.
/// 2. Sequencer grace period: after a restart, queued transactions race the first fresh feed update.
/// 3. `updatedAt == 0`: the round has not completed; its answer is meaningless.
/// 4. `answer <= 0`: no asset of a market has a zero or negative USD price.
/// 5. Answer at a bound: the aggregator clamped it; the real price is somewhere beyond.
/// 6. `updatedAt > block.timestamp`: a malformed round; would also underflow the staleness check.
/// 7. Stale (`block.timestamp - updatedAt > heartbeatSeconds`): the feed missed its heartbeat.
///
/// Deviation breaker, judged from the feed's own round history (so it needs no state here, and a reverted
/// call cannot undo it): the market is volatile at time t iff some round updated within the cooldown
/// window (updatedAt > t − volatilityCooldownSeconds) moved more than `maxDeviationBps` away from an earlier
/// round of the window or from the anchor (the last round updated at or before the window's start). The
/// cooldown therefore runs from the feed update that jumped, whoever called in between, and a move split
/// over several rounds inside the window still trips it (each round is compared with the window's running
/// high and low). At most `MAX_HISTORY_ROUNDS` rounds are read back; more updates than that inside one
/// window count as volatile (a conservative answer for a feed moving that fast). When the history ends
/// before the anchor (the first rounds of a new aggregator phase), the oldest round read is the reference.
/// It is a guard against jumps (feed malfunction, depeg, gap), not against trends slower than the window.
contract ChainlinkOracleAdapter is IPriceOracle {
    /* TYPES */

    /// @notice Constructor parameters, all stored as immutables.
    struct OracleConfig {
        /// @dev Chainlink price feed: USD per 1 unit of base asset, in `feed.decimals()` decimals.
        AggregatorV3Interface feed;
        /// @dev Maximum age of an answer, in seconds. Must be > 0.
        uint256 heartbeatSeconds;
        /// @dev The aggregator's lower clamp, in feed units; answers `<=` it are rejected.
        int256 minAnswer;
        /// @dev The aggregator's upper clamp, in feed units; answers `>=` it are rejected. Must be > minAnswer.
        int256 maxAnswer;
        /// @dev L2 sequencer uptime feed, or `address(0)` for none (L1).
        AggregatorV3Interface sequencerUptimeFeed;
        /// @dev Seconds after the sequencer comes back up during which prices are rejected. Must be > 0
        /// when a sequencer uptime feed is set; ignored otherwise.
        uint256 sequencerGracePeriodSeconds;
        /// @dev Breaker threshold: largest accepted move from the last accepted price, in basis points
        /// (1..10_000). The design default is 2_500 (25%).
        uint256 maxDeviationBps;
        /// @dev How long the market stays flagged volatile after the breaker trips, in seconds. Must be > 0.
        uint256 volatilityCooldownSeconds;
    }

    /// @dev Outcome of the read checks, in evaluation order. `None` means the answer is valid.
    enum Failure {
        None,
        SequencerDown,
        SequencerGracePeriodNotOver,
        PriceRoundIncomplete,
        PriceNonPositive,
        PriceAtBound,
        PriceUpdatedInFuture,
        PriceStale
    }

    /// @dev The raw values the checks look at, kept to build the revert error.
    struct FeedReading {
        int256 sequencerAnswer;
        uint256 sequencerStartedAt;
        uint80 roundId;
        int256 answer;
        uint256 updatedAt;
    }

    /* EVENTS */

    /* CONSTANTS */

    /// @notice Basis points in 100%.
    uint256 public constant MAX_BPS = 10_000;

    /// @notice Decimals of every price this adapter returns (wad).
    uint8 public constant PRICE_DECIMALS = 18;

    /// @dev Largest price (wad) whose deviation arithmetic (`priceWad * MAX_BPS`) cannot overflow.
    uint256 private constant MAX_PRICE_WAD = type(uint256).max / MAX_BPS;

    /// @notice Feed rounds read back, at most, to judge the deviation breaker (about 10k gas each, and none
    /// while the latest answer is older than the cooldown).
    uint256 public constant MAX_HISTORY_ROUNDS = 32;

    /* IMMUTABLES (see `OracleConfig`) */

    AggregatorV3Interface public immutable feed;
    uint256 public immutable heartbeatSeconds;
    int256 public immutable minAnswer;
    int256 public immutable maxAnswer;
    AggregatorV3Interface public immutable sequencerUptimeFeed;
    uint256 public immutable sequencerGracePeriodSeconds;
    uint256 public immutable maxDeviationBps;
    uint256 public immutable volatilityCooldownSeconds;

    /// @notice `feed.decimals()`, read once at deployment.
    uint8 public immutable feedDecimals;

    /// @dev `10 ** (18 - feedDecimals)`: multiplier from feed units to wad.
    uint256 private immutable feedToWadScale;

    /* CONSTRUCTOR */

    /// @param config See `OracleConfig`. Reverts with a custom error on an invalid configuration.
    constructor(OracleConfig memory config) {
        if (address(config.feed) == address(0)) revert ZeroFeedAddress();
        if (config.heartbeatSeconds == 0) revert ZeroHeartbeat();
        if (config.minAnswer >= config.maxAnswer) revert InvalidAnswerBounds(config.minAnswer, config.maxAnswer);
        if (config.maxDeviationBps == 0 || config.maxDeviationBps > MAX_BPS) {
            revert InvalidMaxDeviationBps(config.maxDeviationBps);
        }
        if (address(config.sequencerUptimeFeed) != address(0) && config.sequencerGracePeriodSeconds == 0) {
            revert ZeroSequencerGracePeriod(address(config.sequencerUptimeFeed));
        }
        if (config.volatilityCooldownSeconds == 0) revert ZeroVolatilityCooldown();

        uint8 decimals = config.feed.decimals();
        if (decimals > PRICE_DECIMALS) revert FeedDecimalsTooHigh(decimals);
        uint256 scale = 10 ** (PRICE_DECIMALS - decimals);
        uint256 maxSupportedAnswer = MAX_PRICE_WAD / scale;
        if (config.maxAnswer > 0 && uint256(config.maxAnswer) > maxSupportedAnswer) {
            revert MaxAnswerTooLarge(config.maxAnswer, maxSupportedAnswer);
        }

        feed = config.feed;
        heartbeatSeconds = config.heartbeatSeconds;
        minAnswer = config.minAnswer;
        maxAnswer = config.maxAnswer;
        sequencerUptimeFeed = config.sequencerUptimeFeed;
        sequencerGracePeriodSeconds = config.sequencerGracePeriodSeconds;
        maxDeviationBps = config.maxDeviationBps;
        volatilityCooldownSeconds = config.volatilityCooldownSeconds;
        feedDecimals = decimals;
        feedToWadScale = scale;
    }

    /* READ */

    /// @inheritdoc IPriceOracle
    /// @dev The adapter keeps no state: this is `latestPrice`, callable from state-changing paths.
    function readPrice() external view returns (uint256 priceWad, bool isVolatile) {
        return _evaluate();
    }

    /// @inheritdoc IPriceOracle
    function latestPrice() external view returns (uint256 priceWad, bool isVolatile) {
        return _evaluate();
    }

    /* INTERNAL */

    /// @dev Validates the current answer (reverting on failure) and judges the breaker from the round history.
    function _evaluate() private view returns (uint256 priceWad, bool isVolatile) {
        (Failure failure, FeedReading memory reading) = _check();
        if (failure != Failure.None) _revertWith(failure, reading);
        priceWad = _toWad(reading.answer);
        isVolatile = _jumpedWithinCooldown(reading.roundId, priceWad, reading.updatedAt);
    }

    /// @dev See the contract's header. Reads rounds back from the latest until one updated at or before the
    /// window's start (the anchor), then scans them oldest first against the running high and low.
    function _jumpedWithinCooldown(
        uint80 latestRoundId,
        uint256 latestPriceWad,
        uint256 latestUpdatedAt
    ) private view returns (bool) {
        uint256 windowStart =
            block.timestamp > volatilityCooldownSeconds ? block.timestamp - volatilityCooldownSeconds : 0;
        if (latestUpdatedAt <= windowStart) return false;
        uint256[] memory newestFirst = new uint256[](MAX_HISTORY_ROUNDS + 1);
        newestFirst[0] = latestPriceWad;
        uint256 count = 1;
        bool anchored;
        uint80 roundId = latestRoundId;
        // Proxy round ids are (phase << 64) | aggregator round; the history of this phase ends at round 1.
        while (count <= MAX_HISTORY_ROUNDS && uint64(roundId) > 1) {
            --roundId;
            (bool found, uint256 answerWad, uint256 updatedAt) = _tryRound(roundId);
            if (!found) break;
            newestFirst[count++] = answerWad;
            if (updatedAt <= windowStart) {
                anchored = true;
                break;
            }
        }
        if (!anchored && count > MAX_HISTORY_ROUNDS) return true;
        uint256 highWad = newestFirst[count - 1];
        uint256 lowWad = highWad;
        for (uint256 i = count - 1; i > 0; --i) {
            uint256 answerWad = newestFirst[i - 1];
            if (_exceedsDeviation(highWad, answerWad) || _exceedsDeviation(lowWad, answerWad)) return true;
            if (answerWad > highWad) highWad = answerWad;
            if (answerWad < lowWad) lowWad = answerWad;
        }
        return false;
    }

    /// @dev One past round, or false when the feed has no usable data for it (missing, incomplete, not positive).
    function _tryRound(uint80 roundId) private view returns (bool found, uint256 answerWad, uint256 updatedAt) {
        try feed.getRoundData(roundId) returns (uint80, int256 answer, uint256, uint256 roundUpdatedAt, uint80) {
            if (roundUpdatedAt == 0 || answer <= minAnswer || answer <= 0 || answer >= maxAnswer) {
                return (false, 0, 0);
            }
            return (true, _toWad(answer), roundUpdatedAt);
        } catch {
            return (false, 0, 0);
        }
    }

    /// @dev Reads the sequencer feed (if any) and then the price feed, and returns the first failed check.
    /// The price feed is not read at all while the sequencer check fails.
    function _check() private view returns (Failure, FeedReading memory reading) {
        if (address(sequencerUptimeFeed) != address(0)) {
            (, reading.sequencerAnswer, reading.sequencerStartedAt, , ) = sequencerUptimeFeed.latestRoundData();
            if (reading.sequencerAnswer != 0) return (Failure.SequencerDown, reading);
            // `startedAt == 0` (uninitialised status round) is unknown, treated as "just came up". A
            // `startedAt` in the future is likewise inside the grace period (and must not underflow).
            uint256 startedAt = reading.sequencerStartedAt;
            if (
                startedAt == 0 ||
                startedAt > block.timestamp ||
                block.timestamp - startedAt <= sequencerGracePeriodSeconds
            ) return (Failure.SequencerGracePeriodNotOver, reading);
        }

        (reading.roundId, reading.answer, , reading.updatedAt, ) = feed.latestRoundData();
        if (reading.updatedAt == 0) return (Failure.PriceRoundIncomplete, reading);
        if (reading.answer <= 0) return (Failure.PriceNonPositive, reading);
        if (reading.answer <= minAnswer || reading.answer >= maxAnswer) return (Failure.PriceAtBound, reading);
        if (reading.updatedAt > block.timestamp) return (Failure.PriceUpdatedInFuture, reading);
        if (block.timestamp - reading.updatedAt > heartbeatSeconds) return (Failure.PriceStale, reading);
        return (Failure.None, reading);
    }

    /// @dev Reverts with the custom error of `failure` and the offending values from `reading`.
    function _revertWith(Failure failure, FeedReading memory reading) private view {
        if (failure == Failure.SequencerDown) revert SequencerDown(reading.sequencerAnswer);
        if (failure == Failure.SequencerGracePeriodNotOver) {
            revert SequencerGracePeriodNotOver(reading.sequencerStartedAt, sequencerGracePeriodSeconds);
        }
        if (failure == Failure.PriceRoundIncomplete) revert PriceRoundIncomplete(reading.roundId);
        if (failure == Failure.PriceNonPositive) revert PriceNonPositive(reading.answer);
        if (failure == Failure.PriceAtBound) revert PriceAtBound(reading.answer, minAnswer, maxAnswer);
        if (failure == Failure.PriceUpdatedInFuture) revert PriceUpdatedInFuture(reading.updatedAt, block.timestamp);
        revert PriceStale(reading.updatedAt, heartbeatSeconds);
    }

    /// @dev Converts a validated (positive, below `maxAnswer`) answer to wad. Exact: scales up only.
    function _toWad(int256 answer) private view returns (uint256) {
        return uint256(answer) * feedToWadScale;
    }

    /// @dev True if `|priceWad - referenceWad| / referenceWad > maxDeviationBps / MAX_BPS`, compared exactly by
    /// cross-multiplication (a move of exactly the threshold does not trip). Cannot overflow: both prices are
    /// below `MAX_PRICE_WAD` (answers at or above `maxAnswer` are rejected; checked in the constructor).
    function _exceedsDeviation(uint256 referenceWad, uint256 priceWad) private view returns (bool) {
        uint256 moveWad = priceWad > referenceWad ? priceWad - referenceWad : referenceWad - priceWad;
        return moveWad * MAX_BPS > maxDeviationBps * referenceWad;
    }
}
