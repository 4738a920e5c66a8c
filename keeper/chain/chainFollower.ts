/**
 * Keeps the mirror at the chain's head: a bulk backfill (chunked `eth_getLogs`) for blocks older than the reorg
 * window, then block by block — header, logs by block hash, apply with an undo journal — checking that each
 * block's parent is the block the mirror applied. On a mismatch it walks back to the newest block whose hash
 * still matches (the common ancestor), rolls the mirror back to it and replays from there.
 *
 * Steady state costs two requests per new block here (the `latest` header doubles as the poll, then the block's
 * logs); the keeper adds the one lens call.
 */
import type { Logger } from "pino";
import { MirrorError } from "../errors";
import { decodeLogs, type EngineEvent } from "../mirror/engineEvents";
import { blocksNeedingTimestamps, type PositionMirror } from "../mirror/positionMirror";
import type { BlockHeader, ChainClient } from "./chainClient";
import { LogRangeFetcher } from "./logRangeFetcher";

/** Hash recorded for blocks whose hash the bulk backfill did not fetch. */
const UNKNOWN_HASH = "";

export interface FollowerOptions {
  engine: string;
  feeds: string[];
  startBlock: number;
  confirmations: number;
  reorgDepth: number;
  logRangeBlocks: number;
  shouldStop: () => boolean;
  sleep: (ms: number) => Promise<void>;
}

export interface AppliedBlock {
  header: BlockHeader;
  events: EngineEvent[];
}

export interface SyncResult {
  /** The newest header seen (the chain's head). */
  head: BlockHeader;
  /** Blocks applied block by block in this sync, oldest first. */
  applied: AppliedBlock[];
  /** Blocks applied by the bulk backfill in this sync. */
  backfilledBlocks: number;
  backfilledEvents: number;
  /** Set when a reorg was rolled back: the common ancestor. */
  rolledBackTo?: number;
}

export class ChainFollower {
  readonly fetcher: LogRangeFetcher;
  private readonly feedSet: ReadonlySet<string>;

  constructor(
    private readonly chain: ChainClient,
    private readonly mirror: PositionMirror,
    private readonly log: Logger,
    private readonly options: FollowerOptions,
  ) {
    this.fetcher = new LogRangeFetcher(chain, log, {
      maxRangeBlocks: options.logRangeBlocks,
      shouldStop: options.shouldStop,
      sleep: options.sleep,
    });
    this.feedSet = new Set(options.feeds.map((feed) => feed.toLowerCase()));
  }

  /** Brings the mirror to `head − confirmations`. Throws RPC errors (the caller retries on its next poll). */
  async sync(): Promise<SyncResult> {
    const head = await this.chain.getBlock("latest");
    if (!head) throw new MirrorError("node returned no latest block");
    const result: SyncResult = { head, applied: [], backfilledBlocks: 0, backfilledEvents: 0 };
    const target = head.number - this.options.confirmations;
    if (target < this.options.startBlock) return result;

    await this.checkHeadStillCanonical(head, target, result);

    const safeEnd = target - this.options.reorgDepth;
    const next = (this.mirror.head?.number ?? this.options.startBlock - 1) + 1;
    if (safeEnd >= next) await this.backfill(next, safeEnd, result);

    let number = (this.mirror.head?.number ?? this.options.startBlock - 1) + 1;
    while (number <= target && !this.options.shouldStop()) {
      const header = number === head.number ? head : await this.chain.getBlock(number);
      if (!header) break; // the node's head moved back under us; the next poll sorts it out
      const parentHash = this.mirror.hashAt(number - 1);
      if (
        this.mirror.head &&
        parentHash !== undefined &&
        parentHash !== UNKNOWN_HASH &&
        parentHash !== header.parentHash
      ) {
        await this.rollBackToAncestor(number - 1, result);
        number = (this.mirror.head?.number ?? this.options.startBlock - 1) + 1;
        continue;
      }
      const logs = await this.chain.getLogs({ addresses: this.addresses(true), blockHash: header.hash });
      const events = decodeLogs(logs, this.options.engine, this.feedSet);
      this.mirror.applyBlock(header, events, new Map([[header.number, header.timestamp]]), true);
      result.applied.push({ header, events });
      number += 1;
    }
    return result;
  }

  /** Detects a reorg that replaced the mirror's newest blocks without making the chain longer (or made it shorter). */
  private async checkHeadStillCanonical(head: BlockHeader, target: number, result: SyncResult): Promise<void> {
    const mirrorHead = this.mirror.head;
    if (!mirrorHead || mirrorHead.hash === UNKNOWN_HASH) return;
    if (target > mirrorHead.number) return; // the parent check of the next block covers it
    const canonical = target === head.number ? head : await this.chain.getBlock(target);
    if (target === mirrorHead.number && canonical?.hash === mirrorHead.hash) return;
    await this.rollBackToAncestor(Math.min(target, mirrorHead.number), result);
  }

  /** Walks back from `fromBlock` to the newest kept block whose hash is still canonical and rolls back to it. */
  private async rollBackToAncestor(fromBlock: number, result: SyncResult): Promise<void> {
    const oldest = this.mirror.blocks[0]?.number ?? 0;
    for (let number = Math.min(fromBlock, this.mirror.head?.number ?? fromBlock); number >= oldest; --number) {
      const kept = this.mirror.hashAt(number);
      if (kept === undefined || kept === UNKNOWN_HASH || !this.mirror.canRollbackTo(number)) continue;
      const canonical = await this.chain.getBlock(number);
      if (canonical?.hash !== kept) continue;
      const from = this.mirror.head?.number;
      this.mirror.rollbackTo(number);
      result.rolledBackTo = number;
      this.log.warn({ from, to: number }, "reorg: mirror rolled back to the common ancestor");
      return;
    }
    throw new MirrorError("reorg deeper than the kept history", { from: fromBlock, oldestKept: oldest });
  }

  /** Applies [from, to] in chunks without journals; the last block's hash anchors the block-by-block follow. */
  private async backfill(from: number, to: number, result: SyncResult): Promise<void> {
    const started = Date.now();
    await this.fetcher.fetch(this.addresses(false), from, to, async (logs, chunkFrom, chunkTo) => {
      const events = decodeLogs(logs, this.options.engine, this.feedSet);
      const timestamps = new Map<number, number>();
      for (const blockNumber of blocksNeedingTimestamps(events)) {
        const header = await this.chain.getBlock(blockNumber);
        if (!header) throw new MirrorError("block of a logged event is missing", { block: blockNumber });
        timestamps.set(blockNumber, header.timestamp);
      }
      const last = chunkTo === to ? await this.chain.getBlock(chunkTo) : undefined;
      this.mirror.applyRange(events, timestamps, { number: chunkTo, hash: last?.hash ?? UNKNOWN_HASH });
      result.backfilledBlocks += chunkTo - chunkFrom + 1;
      result.backfilledEvents += events.length;
    });
    this.log.info(
      { from, to, events: result.backfilledEvents, ms: Date.now() - started, rangeBlocks: this.fetcher.rangeBlocks },
      "backfilled",
    );
  }

  /** The engine, plus the price feeds while following (their `AnswerUpdated` marks price updates). */
  private addresses(withFeeds: boolean): string[] {
    return withFeeds ? [this.options.engine, ...this.options.feeds] : [this.options.engine];
  }
}
