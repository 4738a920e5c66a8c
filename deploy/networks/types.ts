/**
 * What a live network contributes to a deployment: the real collateral token, the Chainlink feeds and (on an L2)
 * the sequencer-uptime feed, the feeds' published heartbeats and deviation thresholds, the fees the fee floor
 * needs, the delayed-order settings, and a list of real token holders the fork simulator impersonates.
 * Every address names where it comes from (`source`); one not checked against the issuer's own documentation
 * says so in `verification`. Values the chain itself knows (decimals, answer bounds, descriptions) are not
 * written here: deploy/networks/resolveNetwork.ts reads them from the chain and checks these against it.
 */
import type { OrderSettings } from "../config";

/** Where a value comes from: the document and, when it was read from a file, the file and its commit. */
export interface Citation {
  /** Human-readable document (URL or repository path). */
  document: string;
  /** The exact text or row quoted from it. */
  quote: string;
}

export interface CitedAddress {
  address: string;
  source: Citation[];
  /**
   * `verified` when the issuer's own documentation was read; otherwise why not (the deploy path still checks
   * `description()`/`symbol()` and decimals on the chain before using it).
   */
  verification: "verified" | { unverified: string };
}

export interface NetworkFeed extends CitedAddress {
  /** The market it prices, as in deploy/config.ts ("ETH-USD"). */
  symbol: string;
  /** `description()` of the proxy ("ETH / USD"): checked on the chain before use. */
  description: string;
  /** Published heartbeat: the feed updates at least this often (seconds). Not readable from the chain. */
  heartbeatSeconds: bigint;
  /** Published deviation threshold in basis points (0.5% = 50): the market's `oracleDeviationThresholdBps`. */
  deviationThresholdBps: bigint;
  /** Where the heartbeat and threshold come from, when the address citation does not cover them. */
  parameterSource?: Citation[];
}

export interface NetworkSequencerFeed extends CitedAddress {
  /** Prices are rejected for this long after the sequencer comes back up (seconds). */
  gracePeriodSeconds: bigint;
  gracePeriodSource: Citation[];
}

export interface NetworkCollateral extends CitedAddress {
  /** `symbol()` checked on the chain. */
  symbol: string;
  /** `decimals()` checked on the chain. */
  decimals: number;
}

/** A real holder of the collateral token the fork simulator may impersonate to fund actors. */
export interface TokenHolder {
  address: string;
  label: string;
  source: Citation[];
}

/** Market parameters a network changes from deploy/config.ts's local defaults (fee floor and such). */
export interface NetworkMarketOverrides {
  takerFeeBps?: bigint;
}

export interface NetworkConfig {
  /** `--chain` name ("mainnet", "arbitrum"). */
  name: string;
  displayName: string;
  chainId: number;
  /**
   * Chain id of the offline stand-in of this network (sim/fork/standIn): its state places look-alike
   * contracts at this network's addresses under a chain id no real network uses.
   */
  standInChainId: number;
  collateral: NetworkCollateral;
  feeds: NetworkFeed[];
  /** L2 sequencer-uptime feed; absent on L1. */
  sequencerUptimeFeed?: NetworkSequencerFeed;
  marketOverrides: Record<string, NetworkMarketOverrides>;
  /** Live delayed-order settings (DESIGN §4; `withDelayedOrders` in deploy/config.ts). */
  orders: OrderSettings;
  ordersRationale: string;
  /** Tried in order when funding actors on a fork; each holder's balance is read at the fork block. */
  collateralHolders: TokenHolder[];
}
