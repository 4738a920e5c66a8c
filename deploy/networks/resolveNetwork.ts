/**
 * Reads from the chain what a network's configuration cannot know, and checks what it claims, at one block:
 * - the collateral: code at the address, `symbol()` and `decimals()` equal to the configuration's;
 * - each feed: `description()` equal to the configuration's pair, `decimals()`, the proxy's `aggregator()` and
 *   `phaseId()`, the aggregator's `minAnswer()`/`maxAnswer()` (the clamps the adapter must reject answers at),
 *   the latest round, and the largest gap between the updates of its last rounds (compared with the published
 *   heartbeat, which no contract stores);
 * - the sequencer-uptime feed (L2): its status and since when.
 * `networkDeployConfig` turns the result into the deploy configuration of deploy/config.ts.
 */
import { Interface, type Provider } from "ethers";
import {
  LOCAL_CONFIG,
  withDelayedOrders,
  type GovernanceDeployConfig,
  type MarketDeployConfig,
  type SystemDeployConfig,
} from "../config";
import { chainKindOf } from "./index";
import type { NetworkConfig, NetworkFeed } from "./types";

const TOKEN_ABI = ["function symbol() view returns (string)", "function decimals() view returns (uint8)"];
const PROXY_ABI = [
  "function decimals() view returns (uint8)",
  "function description() view returns (string)",
  "function version() view returns (uint256)",
  "function aggregator() view returns (address)",
  "function phaseId() view returns (uint16)",
  "function latestRoundData() view returns (uint80, int256, uint256, uint256, uint80)",
  "function getRoundData(uint80) view returns (uint80, int256, uint256, uint256, uint80)",
];
const AGGREGATOR_BOUNDS_ABI = [
  "function minAnswer() view returns (int192)",
  "function maxAnswer() view returns (int192)",
];

const tokenInterface = new Interface(TOKEN_ABI);
const proxyInterface = new Interface(PROXY_ABI);
const boundsInterface = new Interface(AGGREGATOR_BOUNDS_ABI);

/** Rounds read back to measure how often a feed really updates. */
export const UPDATE_GAP_SAMPLE_ROUNDS = 8;
/** Bits of a proxy round id holding the aggregator's round id (the phase id sits above). */
const PHASE_OFFSET = 64n;
/** The breaker's defaults (DESIGN §6), as on the local chain. */
const MAX_DEVIATION_BPS = 2_500n;
const VOLATILITY_COOLDOWN_SECONDS = 300n;
const ZERO_ADDRESS = "0x0000000000000000000000000000000000000000";

/** A configuration that does not match the chain: wrong network, wrong address, or a feed that changed. */
export class NetworkMismatchError extends Error {
  constructor(
    message: string,
    readonly details: Record<string, string | number> = {},
  ) {
    super(message);
    this.name = "NetworkMismatchError";
  }
}

export interface FeedRound {
  /** Phase-encoded proxy round id. */
  roundId: bigint;
  answer: bigint;
  startedAt: bigint;
  updatedAt: bigint;
}

export interface ResolvedFeed {
  symbol: string;
  address: string;
  description: string;
  decimals: number;
  version: bigint;
  /** The proxy's current aggregator and phase. */
  aggregator: string;
  phaseId: number;
  /** The aggregator's clamps, in feed units. */
  minAnswer: bigint;
  maxAnswer: bigint;
  latest: FeedRound;
  heartbeatSeconds: bigint;
  deviationThresholdBps: bigint;
  /** Largest gap between consecutive updates among the last rounds (undefined with fewer than two). */
  observedMaxUpdateGapSeconds?: number;
}

export interface ResolvedSequencerFeed {
  address: string;
  description: string;
  decimals: number;
  version: bigint;
  aggregator: string;
  phaseId: number;
  latest: FeedRound;
  /** Answer 0 = up, 1 = down. */
  isDown: boolean;
  gracePeriodSeconds: bigint;
}

export interface ResolvedNetwork {
  network: NetworkConfig;
  chainId: number;
  /** `real` on the network itself, `stand-in` on its offline look-alike (sim/fork/standIn). */
  chainKind: "real" | "stand-in";
  block: { number: number; timestamp: number };
  collateral: { address: string; symbol: string; decimals: number };
  feeds: ResolvedFeed[];
  sequencer?: ResolvedSequencerFeed;
}

async function call(
  provider: Provider,
  to: string,
  contractInterface: Interface,
  fn: string,
  args: unknown[],
  block: number,
) {
  const data = contractInterface.encodeFunctionData(fn, args);
  let raw: string;
  try {
    raw = await provider.call({ to, data, blockTag: block });
  } catch (cause) {
    throw new NetworkMismatchError(`${fn}() reverted at ${to}`, { address: to, error: (cause as Error).message });
  }
  return contractInterface.decodeFunctionResult(fn, raw);
}

async function requireCode(provider: Provider, address: string, what: string, block: number): Promise<void> {
  const code = await provider.getCode(address, block);
  if (code === "0x") {
    throw new NetworkMismatchError(`no contract at the ${what} address ${address} on this chain: is --chain right?`, {
      address,
    });
  }
}

function toRound(values: readonly unknown[]): FeedRound {
  return {
    roundId: BigInt(values[0] as bigint),
    answer: BigInt(values[1] as bigint),
    startedAt: BigInt(values[2] as bigint),
    updatedAt: BigInt(values[3] as bigint),
  };
}

/** Largest gap between consecutive `updatedAt` of the feed's last rounds in this phase. */
async function observedMaxUpdateGap(provider: Provider, feed: string, latest: FeedRound, block: number) {
  const times = [latest.updatedAt];
  let roundId = latest.roundId;
  const phaseBase = (roundId >> PHASE_OFFSET) << PHASE_OFFSET;
  while (times.length < UPDATE_GAP_SAMPLE_ROUNDS && roundId - phaseBase > 1n) {
    roundId -= 1n;
    try {
      const round = toRound(await call(provider, feed, proxyInterface, "getRoundData", [roundId], block));
      if (round.updatedAt === 0n) break;
      times.push(round.updatedAt);
    } catch {
      break; // the history of this phase ends here
    }
  }
  if (times.length < 2) return undefined;
  let gap = 0n;
  for (let i = 1; i < times.length; i++) if (times[i - 1] - times[i] > gap) gap = times[i - 1] - times[i];
  return Number(gap);
}

async function resolveFeed(provider: Provider, feed: NetworkFeed, block: number): Promise<ResolvedFeed> {
  await requireCode(provider, feed.address, `${feed.symbol} feed`, block);
  const [description] = await call(provider, feed.address, proxyInterface, "description", [], block);
  if (description !== feed.description) {
    throw new NetworkMismatchError(
      `the ${feed.symbol} feed at ${feed.address} describes itself as "${description}", not "${feed.description}"`,
      { address: feed.address },
    );
  }
  const [decimals] = await call(provider, feed.address, proxyInterface, "decimals", [], block);
  const [version] = await call(provider, feed.address, proxyInterface, "version", [], block);
  const [aggregator] = await call(provider, feed.address, proxyInterface, "aggregator", [], block);
  const [phaseId] = await call(provider, feed.address, proxyInterface, "phaseId", [], block);
  const [minAnswer] = await call(provider, aggregator, boundsInterface, "minAnswer", [], block);
  const [maxAnswer] = await call(provider, aggregator, boundsInterface, "maxAnswer", [], block);
  const latest = toRound(await call(provider, feed.address, proxyInterface, "latestRoundData", [], block));
  return {
    symbol: feed.symbol,
    address: feed.address,
    description,
    decimals: Number(decimals),
    version: BigInt(version),
    aggregator,
    phaseId: Number(phaseId),
    minAnswer: BigInt(minAnswer),
    maxAnswer: BigInt(maxAnswer),
    latest,
    heartbeatSeconds: feed.heartbeatSeconds,
    deviationThresholdBps: feed.deviationThresholdBps,
    observedMaxUpdateGapSeconds: await observedMaxUpdateGap(provider, feed.address, latest, block),
  };
}

async function resolveSequencer(provider: Provider, network: NetworkConfig, block: number) {
  const config = network.sequencerUptimeFeed;
  if (!config) return undefined;
  await requireCode(provider, config.address, "sequencer-uptime feed", block);
  const [description] = await call(provider, config.address, proxyInterface, "description", [], block);
  const [decimals] = await call(provider, config.address, proxyInterface, "decimals", [], block);
  const [version] = await call(provider, config.address, proxyInterface, "version", [], block);
  const [aggregator] = await call(provider, config.address, proxyInterface, "aggregator", [], block);
  const [phaseId] = await call(provider, config.address, proxyInterface, "phaseId", [], block);
  const latest = toRound(await call(provider, config.address, proxyInterface, "latestRoundData", [], block));
  return {
    address: config.address,
    description,
    decimals: Number(decimals),
    version: BigInt(version),
    aggregator,
    phaseId: Number(phaseId),
    latest,
    isDown: latest.answer !== 0n,
    gracePeriodSeconds: config.gracePeriodSeconds,
  };
}

/** Reads and checks everything the deployment needs from the chain at `blockNumber` (default: the head). */
export async function resolveNetwork(
  provider: Provider,
  network: NetworkConfig,
  blockNumber?: number,
): Promise<ResolvedNetwork> {
  const chainId = Number((await provider.getNetwork()).chainId);
  const chainKind = chainKindOf(network, chainId);
  if (chainKind === "other") {
    throw new NetworkMismatchError(
      `the chain has id ${chainId}, but ${network.name} is ${network.chainId} (its offline stand-in ` +
        `${network.standInChainId}): is --chain right?`,
      { chainId },
    );
  }
  const number = blockNumber ?? (await provider.getBlockNumber());
  const header = await provider.getBlock(number);
  if (!header) throw new NetworkMismatchError(`block ${number} is not available`, { block: number });

  const { collateral } = network;
  await requireCode(provider, collateral.address, "collateral", number);
  const [symbol] = await call(provider, collateral.address, tokenInterface, "symbol", [], number);
  const [decimals] = await call(provider, collateral.address, tokenInterface, "decimals", [], number);
  if (symbol !== collateral.symbol || Number(decimals) !== collateral.decimals) {
    throw new NetworkMismatchError(
      `the collateral at ${collateral.address} is ${symbol} with ${decimals} decimals, not ` +
        `${collateral.symbol} with ${collateral.decimals}`,
      { address: collateral.address },
    );
  }
  const feeds: ResolvedFeed[] = [];
  for (const feed of network.feeds) feeds.push(await resolveFeed(provider, feed, number));
  return {
    network,
    chainId,
    chainKind,
    block: { number, timestamp: header.timestamp },
    collateral: { address: collateral.address, symbol, decimals: Number(decimals) },
    feeds,
    sequencer: await resolveSequencer(provider, network, number),
  };
}

/** How the markets trade in the resulting configuration. */
export type OrderMode = "live" | "instant";

export interface NetworkDeployOptions {
  governance: GovernanceDeployConfig;
  /**
   * `live`: the network's delayed-order settings (DESIGN §4); `instant`: no delay, as the local chain (the
   * simulator's order flow executes trades at once).
   */
  orders: OrderMode;
}

/**
 * The deploy configuration for a resolved network: deploy/config.ts's local markets (parameters and tiers) with
 * the network's feed, oracle settings read from the chain, fee overrides and deviation thresholds.
 */
export function networkDeployConfig(resolved: ResolvedNetwork, options: NetworkDeployOptions): SystemDeployConfig {
  const { network } = resolved;
  const markets: MarketDeployConfig[] = resolved.feeds.map((feed) => {
    const local = LOCAL_CONFIG.markets.find((market) => market.symbol === feed.symbol);
    if (!local) throw new NetworkMismatchError(`market ${feed.symbol} is not in deploy/config.ts`);
    const overrides = network.marketOverrides[feed.symbol] ?? {};
    return {
      ...local,
      priceFeed: feed.address,
      feedDecimals: feed.decimals,
      mockInitialPriceUsd: undefined,
      oracle: {
        heartbeatSeconds: feed.heartbeatSeconds,
        minAnswer: feed.minAnswer,
        maxAnswer: feed.maxAnswer,
        sequencerUptimeFeed: resolved.sequencer?.address ?? ZERO_ADDRESS,
        sequencerGracePeriodSeconds: resolved.sequencer?.gracePeriodSeconds ?? 0n,
        maxDeviationBps: MAX_DEVIATION_BPS,
        volatilityCooldownSeconds: VOLATILITY_COOLDOWN_SECONDS,
      },
      params: {
        ...local.params,
        ...overrides,
        oracleDeviationThresholdBps: feed.deviationThresholdBps,
      },
    };
  });
  const config: SystemDeployConfig = {
    ...LOCAL_CONFIG,
    collateral: resolved.collateral.address,
    markets,
    governance: options.governance,
  };
  return options.orders === "live" ? withDelayedOrders(config, network.orders) : config;
}
