// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

// Errors of `ChainlinkOracleAdapter`. File-level so that other oracle adapters and the engine's tests can
// import the same definitions; a contract's ABI includes every error it can revert with.

/* CONSTRUCTOR (configuration) */

/// @notice Thrown when the price feed address is zero.
error ZeroFeedAddress();

/// @notice Thrown when the heartbeat is zero: no answer could ever be fresh.
error ZeroHeartbeat();

/// @notice Thrown when the feed reports more than 18 decimals, which cannot be scaled up to 1e18.
/// @param feedDecimals The decimals the feed reported.
error FeedDecimalsTooHigh(uint8 feedDecimals);

/// @notice Thrown when the aggregator bounds are not strictly ordered (`minAnswer >= maxAnswer`).
/// @param minAnswer The configured lower bound, in feed units.
/// @param maxAnswer The configured upper bound, in feed units.
error InvalidAnswerBounds(int256 minAnswer, int256 maxAnswer);

/// @notice Thrown when an answer just below `maxAnswer`, scaled to 1e18, could overflow the deviation
/// arithmetic (`priceWad * 10_000` must fit in a uint256). No real feed comes near this.
/// @param maxAnswer The configured upper bound, in feed units.
/// @param maxSupportedAnswer The largest upper bound accepted for this feed's decimals, in feed units.
error MaxAnswerTooLarge(int256 maxAnswer, uint256 maxSupportedAnswer);

/// @notice Thrown when the deviation threshold is zero or above 10_000 bps (100%).
/// @param maxDeviationBps The configured threshold, in basis points.
error InvalidMaxDeviationBps(uint256 maxDeviationBps);

/// @notice Thrown when a sequencer uptime feed is set but its grace period is zero.
/// @param sequencerUptimeFeed The configured sequencer uptime feed.
error ZeroSequencerGracePeriod(address sequencerUptimeFeed);

/// @notice Thrown when the volatility cooldown is zero: the breaker would then flag only the read that
/// tripped it, and a second read in the same transaction would report a different flag.
error ZeroVolatilityCooldown();

/* READ (invalid answer) */

/// @notice Thrown when the L2 sequencer uptime feed reports the sequencer down (any answer other than 0).
/// @param answer The uptime feed's answer (1 = down).
error SequencerDown(int256 answer);

/// @notice Thrown when the sequencer came back up `gracePeriodSeconds` or less ago (or its status round
/// has no start time), so the price feed may not have caught up yet.
/// @param startedAt When the sequencer's current status began, in seconds since the epoch.
/// @param gracePeriodSeconds The configured grace period, in seconds.
error SequencerGracePeriodNotOver(uint256 startedAt, uint256 gracePeriodSeconds);

/// @notice Thrown when the feed's latest round has `updatedAt == 0` (round not complete).
/// @param roundId The feed's latest round id.
error PriceRoundIncomplete(uint80 roundId);

/// @notice Thrown when the feed's answer is zero or negative.
/// @param answer The feed's answer, in feed units.
error PriceNonPositive(int256 answer);

/// @notice Thrown when the feed's answer is at or beyond an aggregator bound. Chainlink clamps its answer to
/// `[minAnswer, maxAnswer]`, so an answer at a bound may hide a real price beyond it.
/// @param answer The feed's answer, in feed units.
/// @param minAnswer The configured lower bound, in feed units.
/// @param maxAnswer The configured upper bound, in feed units.
error PriceAtBound(int256 answer, int256 minAnswer, int256 maxAnswer);

/// @notice Thrown when the feed's answer is timestamped after the current block.
/// @param updatedAt The round's update time, in seconds since the epoch.
/// @param blockTimestamp The current block's timestamp, in seconds since the epoch.
error PriceUpdatedInFuture(uint256 updatedAt, uint256 blockTimestamp);

/// @notice Thrown when the feed's answer is older than the heartbeat (`block.timestamp - updatedAt >
/// heartbeatSeconds`; an answer exactly `heartbeatSeconds` old is still fresh).
/// @param updatedAt The round's update time, in seconds since the epoch.
/// @param heartbeatSeconds The configured maximum age, in seconds.
error PriceStale(uint256 updatedAt, uint256 heartbeatSeconds);
