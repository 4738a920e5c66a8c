/**
 * What the offline stand-in of each network contains (sim/fork/README.md, "The offline stand-in"): at the
 * network's real addresses, a USDC-like token funding the network's holder list, Chainlink-like proxies over
 * aggregators with a day of hourly rounds, and on an L2 a sequencer-uptime proxy that has been up for days.
 * It runs under the network's stand-in chain id (9,000,000 + the real one), never the real id.
 * Prices are synthetic (a seeded walk), not history: the stand-in tests the fork code path, not the market.
 */
import { join } from "node:path";
import { parseUnits } from "ethers";
import type { NetworkConfig } from "../../../deploy/networks";
import { Prng } from "../../random/prng";

/** Where the committed state files live. */
export const STAND_IN_STATE_DIR = join(__dirname, "state");

export function standInStatePath(network: NetworkConfig): string {
  return join(STAND_IN_STATE_DIR, standInFileName(network));
}

/** The state file relative to the project root, for reports ("sim/fork/standIn/state/mainnet.json"). */
export function standInStateFile(network: NetworkConfig): string {
  return `sim/fork/standIn/state/${standInFileName(network)}`;
}

function standInFileName(network: NetworkConfig): string {
  return `${network.name}.json`;
}

/** Time of the stand-in chain's first block: 2025-01-01T00:00:00Z. */
export const STAND_IN_GENESIS_TIMESTAMP = 1_735_689_600;
/** Rounds of history each price feed gets, one per `ROUND_INTERVAL_SECONDS`. */
export const STAND_IN_HISTORY_ROUNDS = 24;
export const ROUND_INTERVAL_SECONDS = 3_600;
/** Block of round 0 (block 1 deploys the aggregators, block 2 places the proxies and the token); round r is in
 * block FIRST + r, so the stand-in's head is FIRST + STAND_IN_HISTORY_ROUNDS − 1. */
export const STAND_IN_FIRST_ROUND_BLOCK = 3;
/** Largest move of one synthetic round, in basis points (below the 0.5% threshold's scale of moves). */
export const MAX_ROUND_MOVE_BPS = 40;
/** The sequencer came up this long before the history starts (well past the 1 h grace period). */
export const SEQUENCER_UP_FOR_SECONDS = 7 * 24 * 3_600;

/** The OCR aggregators' `maxSubmissionValue` in Chainlink's feed list (feeds-mainnet.json). */
const CHAINLINK_MAX_SUBMISSION_VALUE = 95780971304118053647396689196894323976171195136475135n;

export interface StandInFeed {
  symbol: string;
  /** First answer, USD. */
  startPriceUsd: string;
  /** The aggregator's clamps (feed units): $0.01 and Chainlink's usual maximum. */
  minAnswer: bigint;
  maxAnswer: bigint;
}

export const STAND_IN_FEEDS: readonly StandInFeed[] = [
  {
    symbol: "ETH-USD",
    startPriceUsd: "3000",
    minAnswer: parseUnits("0.01", 8),
    maxAnswer: CHAINLINK_MAX_SUBMISSION_VALUE,
  },
  {
    symbol: "BTC-USD",
    startPriceUsd: "60000",
    minAnswer: parseUnits("0.01", 8),
    maxAnswer: CHAINLINK_MAX_SUBMISSION_VALUE,
  },
];

/**
 * USDC each listed holder gets, in list order (a network with fewer holders uses the first entries). Small on
 * purpose: a run with more than a few LPs exhausts them, so the balance-slot fallback is exercised too.
 */
export const STAND_IN_HOLDER_BALANCES_USD: readonly string[] = ["2500000", "500000"];

/** Description of the stand-in's uptime aggregator (the fork path does not check this one). */
export const SEQUENCER_FEED_DESCRIPTION = "L2 Sequencer Uptime Status Feed";

/** Decimals of the stand-in feeds (as Chainlink's USD feeds). */
export const STAND_IN_FEED_DECIMALS = 8;
const BPS = 10_000n;

/** The seeded walk of one feed: `rounds` answers, the first at its start price. */
export function standInAnswers(network: string, symbol: string, startPriceUsd: string, rounds: number): bigint[] {
  const prng = new Prng(`stand-in:${network}:${symbol}`);
  const answers = [parseUnits(startPriceUsd, STAND_IN_FEED_DECIMALS)];
  while (answers.length < rounds) {
    const moveBps = BigInt(prng.int(-MAX_ROUND_MOVE_BPS, MAX_ROUND_MOVE_BPS));
    answers.push((answers[answers.length - 1] * (BPS + moveBps)) / BPS);
  }
  return answers;
}
