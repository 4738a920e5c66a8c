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
/// Deviation breaker: every accepted price becomes the reference (`lastAcceptedPriceWad`) for the next
/// one. A price more than `maxDeviationBps` away from the reference flags the market volatile for
/// `volatilityCooldownSeconds`. The breaker compares consecutive *recorded* prices, so a move spread over
/// several rounds trips it only if no one recorded the rounds in between; it is a guard against single
/// jumps (feed malfunction, depeg, gap), not against trends.
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

    /// @notice Emitted when `readPrice` records a price from a feed round not recorded before (and once at
    /// deployment if the feed is valid then).
    /// @param priceWad The accepted price: USD per 1 unit of base asset, scaled by 1e18.
    /// @param roundId The feed round the price comes from.
    event PriceAccepted(uint256 priceWad, uint80 roundId);

    /// @notice Emitted when a price moves more than `maxDeviationBps` from the last accepted price.
    /// @param previousPriceWad The last accepted price, scaled by 1e18.
    /// @param newPriceWad The new price, scaled by 1e18.
    /// @param volatileUntil Timestamp (seconds) until which the market is flagged volatile (exclusive).
    event VolatilityTripped(uint256 previousPriceWad, uint256 newPriceWad, uint256 volatileUntil);

    /* CONSTANTS */

    /// @notice Basis points in 100%.
    uint256 public constant MAX_BPS = 10_000;

    /// @notice Decimals of every price this adapter returns (wad).
    uint8 public constant PRICE_DECIMALS = 18;

    /// @dev Largest price (wad) whose deviation arithmetic (`priceWad * MAX_BPS`) cannot overflow.
    uint256 private constant MAX_PRICE_WAD = type(uint256).max / MAX_BPS;

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

    /* STORAGE */

    /// @notice The last price `readPrice` accepted, scaled by 1e18; the breaker's reference. 0 = no reference
    /// yet (the feed was invalid at deployment and no price has been read since).
    uint256 public lastAcceptedPriceWad;

    /// @notice Timestamp (seconds) until which the market is flagged volatile (exclusive). 0 = never tripped.
    uint256 public volatileUntil;

    /// @notice Feed round id of the last accepted price (0 = none).
    uint80 public lastAcceptedRoundId;

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

        // Seed the breaker's reference if the feed is valid now; otherwise the first valid read seeds it.
        (Failure failure, FeedReading memory reading) = _check();
        if (failure == Failure.None) _record(_toWad(reading.answer), reading.roundId);
    }

    /* READ */

    /// @inheritdoc IPriceOracle
    /// @dev Emits `VolatilityTripped` when the breaker trips and `PriceAccepted` when the round is new.
    function readPrice() external returns (uint256 priceWad, bool isVolatile) {
        uint80 roundId;
        bool jumped;
        (priceWad, isVolatile, roundId, jumped) = _evaluate();

        if (jumped) {
            uint256 until = block.timestamp + volatilityCooldownSeconds;
            volatileUntil = until;
            emit VolatilityTripped(lastAcceptedPriceWad, priceWad, until);
        }
        _record(priceWad, roundId);
    }

    /// @inheritdoc IPriceOracle
    /// @dev Same checks and result as `readPrice`, including a jump that `readPrice` would flag now.
    function latestPrice() external view returns (uint256 priceWad, bool isVolatile) {
        (priceWad, isVolatile, , ) = _evaluate();
    }

    /* INTERNAL */

    /// @dev Validates the current answer (reverting on failure) and computes what `readPrice` returns.
    /// `jumped` = the price moved beyond `maxDeviationBps` from the stored reference. Since the cooldown is
    /// non-zero, a jump keeps the market volatile after `readPrice` records it, so both views agree.
    function _evaluate() private view returns (uint256 priceWad, bool isVolatile, uint80 roundId, bool jumped) {
        (Failure failure, FeedReading memory reading) = _check();
        if (failure != Failure.None) _revertWith(failure, reading);

        priceWad = _toWad(reading.answer);
        roundId = reading.roundId;
        jumped = _exceedsDeviation(lastAcceptedPriceWad, priceWad);
        isVolatile = jumped || block.timestamp < volatileUntil;
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

    /// @dev Stores `priceWad` as the breaker's reference; emits `PriceAccepted` only for a new round.
    function _record(uint256 priceWad, uint80 roundId) private {
        if (priceWad != lastAcceptedPriceWad) lastAcceptedPriceWad = priceWad;
        if (roundId != lastAcceptedRoundId) {
            lastAcceptedRoundId = roundId;
            emit PriceAccepted(priceWad, roundId);
        }
    }

    /// @dev Converts a validated (positive, below `maxAnswer`) answer to wad. Exact: scales up only.
    function _toWad(int256 answer) private view returns (uint256) {
        return uint256(answer) * feedToWadScale;
    }

    /// @dev True if `referenceWad` is set and `|priceWad - referenceWad| / referenceWad > maxDeviationBps / MAX_BPS`,
    /// compared exactly by cross-multiplication (a move of exactly the threshold does not trip). Cannot
    /// overflow: both prices are at most `MAX_PRICE_WAD` (checked in the constructor).
    function _exceedsDeviation(uint256 referenceWad, uint256 priceWad) private view returns (bool) {
        if (referenceWad == 0) return false;
        uint256 moveWad = priceWad > referenceWad ? priceWad - referenceWad : referenceWad - priceWad;
        return moveWad * MAX_BPS > maxDeviationBps * referenceWad;
    }
}
