/**
 * Chunked `eth_getLogs` over a block range with an adaptive chunk size: the range halves when the provider
 * refuses it (range or result-size limits, or a timeout on a large range) and doubles back towards the configured
 * maximum after a run of successful chunks. Transport errors are retried with capped exponential backoff, so an
 * outage only pauses the backfill.
 */
import type { Logger } from "pino";
import type { ChainClient, RawLog } from "./chainClient";
import { isRangeTooLargeError, RpcRequestError } from "./rpcClient";

/** Successful chunks in a row before the range doubles again. */
const GROW_AFTER_SUCCESSES = 4;
const RETRY_BASE_DELAY_MS = 100;
const RETRY_MAX_DELAY_MS = 5_000;

export interface LogRangeFetcherOptions {
  maxRangeBlocks: number;
  /** Called between retries; returns true to stop (shutdown). */
  shouldStop: () => boolean;
  sleep: (ms: number) => Promise<void>;
}

export class LogRangeFetcher {
  /** The current chunk size in blocks. */
  rangeBlocks: number;
  private successes = 0;

  constructor(
    private readonly chain: ChainClient,
    private readonly log: Logger,
    private readonly options: LogRangeFetcherOptions,
  ) {
    this.rangeBlocks = options.maxRangeBlocks;
  }

  /**
   * Fetches the logs of `addresses` in [fromBlock, toBlock], chunk by chunk, handing each chunk to `onChunk` in
   * block order (so a caller can apply and checkpoint as it goes). Returns false if stopped before the end.
   */
  async fetch(
    addresses: string[],
    fromBlock: number,
    toBlock: number,
    onChunk: (logs: RawLog[], chunkFrom: number, chunkTo: number) => Promise<void>,
  ): Promise<boolean> {
    let from = fromBlock;
    let failures = 0;
    while (from <= toBlock) {
      if (this.options.shouldStop()) return false;
      const to = Math.min(toBlock, from + this.rangeBlocks - 1);
      let logs: RawLog[];
      try {
        logs = await this.chain.getLogs({ addresses, fromBlock: from, toBlock: to });
      } catch (error) {
        const refused = isRangeTooLargeError(error) || (error instanceof RpcRequestError && error.kind === "timeout");
        if (refused && this.rangeBlocks > 1) {
          this.rangeBlocks = Math.max(1, Math.floor(this.rangeBlocks / 2));
          this.successes = 0;
          this.log.info(
            { from, to, rangeBlocks: this.rangeBlocks, error: (error as Error).message },
            "getLogs range refused; halving",
          );
          continue;
        }
        failures += 1;
        const delayMs = Math.min(RETRY_MAX_DELAY_MS, RETRY_BASE_DELAY_MS * 2 ** Math.min(failures, 10));
        this.log.warn(
          { from, to, attempt: failures, delayMs, error: (error as Error).message },
          "getLogs failed; retrying",
        );
        await this.options.sleep(delayMs);
        continue;
      }
      failures = 0;
      await onChunk(logs, from, to);
      from = to + 1;
      this.successes += 1;
      if (this.successes >= GROW_AFTER_SUCCESSES && this.rangeBlocks < this.options.maxRangeBlocks) {
        this.rangeBlocks = Math.min(this.options.maxRangeBlocks, this.rangeBlocks * 2);
        this.successes = 0;
      }
    }
    return true;
  }
}
