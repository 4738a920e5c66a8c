/**
 * What a fork run records about where it ran (the run log's header, `report.json`, the terminal and HTML
 * reports): the network and whether it was the real chain or its offline stand-in, the fork block, what was
 * read from the chain (feeds, bounds, answers), how actors were funded and any sequencer outage played.
 * JSON-safe: integers beyond 2^53 are decimal strings.
 */

export interface ForkedFeed {
  symbol: string;
  address: string;
  description: string;
  /** The proxy's aggregator and phase at the fork block (the history before the run is theirs). */
  aggregator: string;
  phaseId: number;
  decimals: number;
  minAnswer: string;
  maxAnswer: string;
  heartbeatSeconds: string;
  deviationThresholdBps: string;
  /** The address's citation status in deploy/networks. */
  verification: "verified" | "unverified";
  answerAtForkBlock: string;
  updatedAtForkBlock: number;
  /** Largest gap between the feed's last updates before the fork block (compare with the heartbeat). */
  observedMaxUpdateGapSeconds: number | null;
  /** The scenario path's prices were multiplied by this so that it starts at `answerAtForkBlock`. */
  pathScale: string;
}

export interface ForkFunding {
  /** Transfers from impersonated holders and the token units they moved. */
  holderTransfers: number;
  holderTokens: string;
  /** Balances written through the balance slot (holders exhausted) and the token units added. */
  storageWrites: number;
  storageTokens: string;
  /** The balance slot found by probing ("9 (solidity)"), null when never needed. */
  balanceSlot: string | null;
  /** Holders that funded at least one actor. */
  holdersUsed: string[];
}

export interface ForkProvenance {
  network: string;
  displayName: string;
  chainId: number;
  /** `real`: the network itself; `stand-in`: its offline look-alike (sim/fork/standIn). */
  chainKind: "real" | "stand-in";
  /** Host of the fork source only: RPC URLs often carry API keys in their path or query. */
  sourceHost: string;
  forkBlock: { number: number; timestamp: number; utc: string };
  collateral: { address: string; symbol: string; decimals: number };
  feeds: ForkedFeed[];
  sequencer?: {
    address: string;
    downAtForkBlock: boolean;
    /** When the status at the fork block began (the feed's `startedAt`). */
    statusSince: number;
    gracePeriodSeconds: string;
    /** A played outage: down from the start of `downAtStep`, back up at the start of `upAtStep`. */
    outage?: { downAtStep: number; upAtStep: number };
  };
  /** The network's live delayed-order settings the markets traded with (deploy/networks), not the scenario's. */
  orders: { executionDelaySeconds: number; orderExpirySeconds: number; executionFeeUsd: string };
  funding: ForkFunding;
}

/** One line for the reports: "Ethereum mainnet fork at block 21,000,000 (2024-10-19T…Z)". */
export function forkLabel(fork: ForkProvenance): string {
  const where = `${fork.displayName} fork at block ${fork.forkBlock.number.toLocaleString("en-US")} (${fork.forkBlock.utc})`;
  return fork.chainKind === "stand-in" ? `${where}, offline stand-in (chain id ${fork.chainId})` : where;
}

/** The host of a URL, without credentials, path or query. */
export function sourceHostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return "(unparsable URL)";
  }
}
