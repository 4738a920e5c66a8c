/**
 * `eth_getLogs` over a block range in chunks whose size adapts to the node: a chunk the node refuses as too
 * large (range, result count or response size limits, which every provider words differently) is halved and
 * retried; after a run of successes the chunk grows back. Other errors are retried a few times with backoff.
 */
import { toQuantity } from "ethers";
import type { Eip1193 } from "../chain/eip1193";
import { SimError } from "../errors";

export interface RawLogEntry {
  address: string;
  topics: string[];
  data: string;
  blockNumber: string;
  blockHash: string;
  transactionHash: string;
  logIndex: string;
}

export interface FetchOptions {
  /** First chunk size in blocks. */
  initialChunkBlocks: number;
  /** Never ask for more than this many blocks at once. */
  maxChunkBlocks: number;
  /** Called after every successful chunk with the last block covered. */
  onProgress?: (toBlock: number) => void;
}

export interface FetchStats {
  calls: number;
  refusedAsTooLarge: number;
  retriedErrors: number;
  /** The chunk size at the end (for the next run's first chunk). */
  finalChunkBlocks: number;
}

export const DEFAULT_FETCH_OPTIONS: FetchOptions = { initialChunkBlocks: 2_000, maxChunkBlocks: 100_000 };
/** Successes in a row before the chunk doubles again. */
const GROW_AFTER_SUCCESSES = 3;
const MAX_TRANSIENT_RETRIES = 3;
const RETRY_BASE_DELAY_MS = 250;

/** Errors by which providers say "ask for less" (Alchemy, Infura, QuickNode, geth, erigon, anvil, hardhat). */
const TOO_LARGE =
  /range|too (many|large|wide|big)|limit|exceed|more than|response size|query returned|-32005|-32602.*block/i;

export class LogsFetchError extends SimError {
  constructor(message: string, details: Readonly<Record<string, string | number | boolean>>, cause?: unknown) {
    super(message, details, { cause });
    this.name = "LogsFetchError";
  }
}

function errorText(error: unknown): string {
  const e = error as { message?: string; code?: number };
  return `${e?.code ?? ""} ${e?.message ?? String(error)}`;
}

export async function fetchLogsAdaptive(
  client: Eip1193,
  addresses: string[],
  fromBlock: number,
  toBlock: number,
  options: FetchOptions = DEFAULT_FETCH_OPTIONS,
): Promise<{ logs: RawLogEntry[]; stats: FetchStats }> {
  const logs: RawLogEntry[] = [];
  const stats: FetchStats = { calls: 0, refusedAsTooLarge: 0, retriedErrors: 0, finalChunkBlocks: 0 };
  let chunk = Math.max(1, Math.min(options.initialChunkBlocks, options.maxChunkBlocks));
  let successes = 0;
  let transientFailures = 0;
  let start = fromBlock;
  while (start <= toBlock) {
    const end = Math.min(toBlock, start + chunk - 1);
    stats.calls++;
    try {
      const page = (await client.request({
        method: "eth_getLogs",
        params: [{ address: addresses, fromBlock: toQuantity(start), toBlock: toQuantity(end) }],
      })) as RawLogEntry[];
      logs.push(...page);
      options.onProgress?.(end);
      start = end + 1;
      transientFailures = 0;
      if (++successes >= GROW_AFTER_SUCCESSES) {
        chunk = Math.min(options.maxChunkBlocks, chunk * 2);
        successes = 0;
      }
    } catch (error) {
      successes = 0;
      if (TOO_LARGE.test(errorText(error))) {
        stats.refusedAsTooLarge++;
        if (chunk === 1) throw new LogsFetchError("the node refuses even a one-block range", { block: start }, error);
        chunk = Math.max(1, Math.floor(chunk / 2));
        continue;
      }
      if (++transientFailures > MAX_TRANSIENT_RETRIES) {
        throw new LogsFetchError(`eth_getLogs failed: ${errorText(error)}`, { fromBlock: start, toBlock: end }, error);
      }
      stats.retriedErrors++;
      await new Promise((resolve) => setTimeout(resolve, RETRY_BASE_DELAY_MS * 2 ** (transientFailures - 1)));
    }
  }
  stats.finalChunkBlocks = chunk;
  return { logs, stats };
}
