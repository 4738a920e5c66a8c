/**
 * What [`contracts/oracle/ChainlinkOracleAdapter.sol`](../../contracts/oracle/ChainlinkOracleAdapter.sol)
 * returns (`latestPrice` / `readPrice`, which are the same view) for a feed's rounds: the read checks in the
 * contract's order (`_check`, reverting with the first failure's custom error) and the deviation breaker judged
 * from the feed's own round history (`_jumpedWithinCooldown`). Pure functions over a list of rounds, so the
 * keeper and the dApp can tell whether a market is volatile (new exposure refused with `MarketVolatile`) and
 * until when, without an `eth_call`. Checked against the adapter over random round histories by
 * test/sdk/differential.test.ts.
 *
 * The breaker: the market is volatile at time t iff some round updated within the cooldown window
 * (updatedAt > t − volatilityCooldownSeconds) moved more than `maxDeviationBps` away from the running high or low
 * of the earlier rounds of the window plus the anchor (the last round updated at or before the window's start),
 * scanning oldest first. At most `MAX_HISTORY_ROUNDS` rounds are read back (more inside the window ⇒ volatile);
 * a round that is missing, incomplete (updatedAt 0) or whose answer is ≤ 0, ≤ minAnswer or ≥ maxAnswer ends
 * the history (the oldest round read is then the reference); a latest round older than the window is never
 * volatile; a move of exactly the threshold does not trip (strict >, cross-multiplied).
 */
import { PerpMathError } from "./types";

/** Rounds read back at most (`ChainlinkOracleAdapter.MAX_HISTORY_ROUNDS`). */
export const MAX_HISTORY_ROUNDS = 32n;
/** Basis points in 100% (`ChainlinkOracleAdapter.MAX_BPS`). */
const MAX_BPS = 10_000n;
/** Proxy round ids are (phase << 64) | aggregator round: the history of a phase ends at aggregator round 1. */
const AGGREGATOR_ROUND_MASK = (1n << 64n) - 1n;

/** One feed round as `getRoundData` / `latestRoundData` return it (feed units). */
export interface FeedRound {
  roundId: bigint;
  answer: bigint;
  updatedAt: bigint;
}

/** The adapter's immutables that the read path uses. */
export interface OracleAdapterConfig {
  heartbeatSeconds: bigint;
  /** The aggregator's clamps, in feed units: answers ≤ min or ≥ max are rejected. */
  minAnswer: bigint;
  maxAnswer: bigint;
  /** Feed decimals (≤ 18): prices are `answer × 10^(18 − decimals)`. */
  feedDecimals: number;
  maxDeviationBps: bigint;
  volatilityCooldownSeconds: bigint;
  /** Seconds after the L2 sequencer comes back during which prices are rejected (with a sequencer feed). */
  sequencerGracePeriodSeconds?: bigint;
}

/** The L2 sequencer uptime feed's latest round (answer 0 = up), when the adapter has one. */
export interface SequencerStatus {
  answer: bigint;
  startedAt: bigint;
}

/** The adapter's read errors (contracts/oracle/OracleErrors.sol). */
export type OracleErrorName =
  | "SequencerDown"
  | "SequencerGracePeriodNotOver"
  | "PriceRoundIncomplete"
  | "PriceNonPositive"
  | "PriceAtBound"
  | "PriceUpdatedInFuture"
  | "PriceStale";

/** Thrown where the adapter reverts; `args` are the custom error's arguments in order. */
export class OracleRevertError extends PerpMathError {
  readonly errorName: OracleErrorName;
  readonly args: readonly bigint[];

  constructor(errorName: OracleErrorName, args: Readonly<Record<string, bigint>>) {
    super(errorName, args);
    this.name = "OracleRevertError";
    this.errorName = errorName;
    this.args = Object.values(args);
  }
}

/** The adapter's answer: the price (USD per unit, 1e18) and whether the breaker flags the market. */
export interface AdapterPrice {
  priceWad: bigint;
  isVolatile: boolean;
}

/** `answer × 10^(18 − feedDecimals)` (`ChainlinkOracleAdapter._toWad`). */
export function feedAnswerToWad(answer: bigint, feedDecimals: number): bigint {
  return answer * 10n ** BigInt(18 - feedDecimals);
}

/**
 * The first failed read check at `nowSeconds` (`ChainlinkOracleAdapter._check` + `_revertWith`), or null when
 * the latest answer is valid.
 */
export function oracleFailure(
  latest: FeedRound,
  config: OracleAdapterConfig,
  nowSeconds: bigint,
  sequencer?: SequencerStatus,
): OracleRevertError | null {
  if (sequencer) {
    if (sequencer.answer !== 0n) return new OracleRevertError("SequencerDown", { answer: sequencer.answer });
    const startedAt = sequencer.startedAt;
    const grace = config.sequencerGracePeriodSeconds ?? 0n;
    if (startedAt === 0n || startedAt > nowSeconds || nowSeconds - startedAt <= grace) {
      return new OracleRevertError("SequencerGracePeriodNotOver", { startedAt, gracePeriodSeconds: grace });
    }
  }
  if (latest.updatedAt === 0n) return new OracleRevertError("PriceRoundIncomplete", { roundId: latest.roundId });
  if (latest.answer <= 0n) return new OracleRevertError("PriceNonPositive", { answer: latest.answer });
  if (latest.answer <= config.minAnswer || latest.answer >= config.maxAnswer) {
    return new OracleRevertError("PriceAtBound", {
      answer: latest.answer,
      minAnswer: config.minAnswer,
      maxAnswer: config.maxAnswer,
    });
  }
  if (latest.updatedAt > nowSeconds) {
    return new OracleRevertError("PriceUpdatedInFuture", { updatedAt: latest.updatedAt, blockTimestamp: nowSeconds });
  }
  if (nowSeconds - latest.updatedAt > config.heartbeatSeconds) {
    return new OracleRevertError("PriceStale", {
      updatedAt: latest.updatedAt,
      heartbeatSeconds: config.heartbeatSeconds,
    });
  }
  return null;
}

/** True if `|priceWad − referenceWad| / referenceWad > maxDeviationBps / 10,000` (`_exceedsDeviation`). */
function exceedsDeviation(referenceWad: bigint, priceWad: bigint, maxDeviationBps: bigint): boolean {
  const moveWad = priceWad > referenceWad ? priceWad - referenceWad : referenceWad - priceWad;
  return moveWad * MAX_BPS > maxDeviationBps * referenceWad;
}

/**
 * The deviation breaker at `nowSeconds` for a validated latest round (`_jumpedWithinCooldown`, see the file
 * header). `rounds` are the feed's past rounds, looked up by `roundId` (`getRoundData`); a round not in the
 * list ends the history, like a reverting or empty `getRoundData`.
 */
export function jumpedWithinCooldown(
  latest: FeedRound,
  rounds: readonly FeedRound[],
  config: OracleAdapterConfig,
  nowSeconds: bigint,
): boolean {
  const windowStart =
    nowSeconds > config.volatilityCooldownSeconds ? nowSeconds - config.volatilityCooldownSeconds : 0n;
  if (latest.updatedAt <= windowStart) return false;
  const byId = new Map(rounds.map((r) => [r.roundId, r]));
  const newestFirst: bigint[] = [feedAnswerToWad(latest.answer, config.feedDecimals)];
  let anchored = false;
  let roundId = latest.roundId;
  while (BigInt(newestFirst.length) <= MAX_HISTORY_ROUNDS && (roundId & AGGREGATOR_ROUND_MASK) > 1n) {
    roundId--;
    const round = byId.get(roundId);
    if (!round || !isUsableRound(round, config)) break;
    newestFirst.push(feedAnswerToWad(round.answer, config.feedDecimals));
    if (round.updatedAt <= windowStart) {
      anchored = true;
      break;
    }
  }
  if (!anchored && BigInt(newestFirst.length) > MAX_HISTORY_ROUNDS) return true;
  let highWad = newestFirst[newestFirst.length - 1];
  let lowWad = highWad;
  for (let i = newestFirst.length - 1; i > 0; --i) {
    const answerWad = newestFirst[i - 1];
    if (
      exceedsDeviation(highWad, answerWad, config.maxDeviationBps) ||
      exceedsDeviation(lowWad, answerWad, config.maxDeviationBps)
    ) {
      return true;
    }
    if (answerWad > highWad) highWad = answerWad;
    if (answerWad < lowWad) lowWad = answerWad;
  }
  return false;
}

/** `_tryRound`'s filter: a past round with usable data. */
function isUsableRound(round: FeedRound, config: OracleAdapterConfig): boolean {
  return !(
    round.updatedAt === 0n ||
    round.answer <= config.minAnswer ||
    round.answer <= 0n ||
    round.answer >= config.maxAnswer
  );
}

/**
 * `ChainlinkOracleAdapter.latestPrice()` (= `readPrice()`): validates the latest round (throws
 * `OracleRevertError` with the adapter's error) and judges the breaker from the history.
 */
export function readAdapterPrice(
  latest: FeedRound,
  rounds: readonly FeedRound[],
  config: OracleAdapterConfig,
  nowSeconds: bigint,
  sequencer?: SequencerStatus,
): AdapterPrice {
  const failure = oracleFailure(latest, config, nowSeconds, sequencer);
  if (failure) throw failure;
  return {
    priceWad: feedAnswerToWad(latest.answer, config.feedDecimals),
    isVolatile: jumpedWithinCooldown(latest, rounds, config, nowSeconds),
  };
}

/**
 * The first time at or after `nowSeconds` at which the breaker no longer flags the market if the feed does not
 * update again (the keeper's and the dApp's "volatile until"): the breaker only depends on time through the
 * window start, so this scans the update times of the rounds in the window. Returns `nowSeconds` when not
 * volatile now. SDK only (the adapter has no such view).
 */
export function volatileUntil(
  latest: FeedRound,
  rounds: readonly FeedRound[],
  config: OracleAdapterConfig,
  nowSeconds: bigint,
): bigint {
  if (!jumpedWithinCooldown(latest, rounds, config, nowSeconds)) return nowSeconds;
  // The window start moves past one round's updatedAt at a time: candidates are updatedAt + cooldown.
  const candidates = [latest, ...rounds]
    .map((r) => r.updatedAt + config.volatilityCooldownSeconds)
    .filter((t) => t > nowSeconds)
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  for (const t of candidates) if (!jumpedWithinCooldown(latest, rounds, config, t)) return t;
  return latest.updatedAt + config.volatilityCooldownSeconds;
}
