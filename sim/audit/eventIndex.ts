/**
 * The incremental event index of `npm run report`: one SQLite file (better-sqlite3) per network and engine
 * holding every decoded engine event, the timestamp and hash of each block that has one, and the block range
 * already covered. A rerun fetches only blocks outside that range. Reorgs: the hash of the last covered
 * block is kept; if the chain now has another block there, the last REORG_DEPTH_BLOCKS are dropped and
 * fetched again.
 */
import Database from "better-sqlite3";
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import type { ChainEvent } from "../events/decodeEvents";
import { SimError } from "../errors";

export const INDEX_SCHEMA_VERSION = "1";
/** Blocks dropped and fetched again when the chain no longer has the last indexed block. */
export const REORG_DEPTH_BLOCKS = 64;

export interface IndexedEvent extends ChainEvent {
  blockHash: string;
  timestamp: number;
}

export interface CoveredRange {
  fromBlock: number;
  toBlock: number;
  toBlockHash: string;
}

export class EventIndexError extends SimError {
  constructor(message: string, details: Readonly<Record<string, string | number | boolean>> = {}) {
    super(message, details);
    this.name = "EventIndexError";
  }
}

export class EventIndex {
  private readonly db: Database.Database;

  constructor(path: string, identity: { chainId: number; engine: string }) {
    mkdirSync(dirname(path), { recursive: true });
    this.db = new Database(path);
    this.db.pragma("journal_mode = WAL");
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS events (
        block INTEGER NOT NULL, log_index INTEGER NOT NULL, tx_hash TEXT NOT NULL, block_hash TEXT NOT NULL,
        address TEXT NOT NULL, name TEXT NOT NULL, args TEXT NOT NULL, PRIMARY KEY (block, log_index));
      CREATE TABLE IF NOT EXISTS blocks (number INTEGER PRIMARY KEY, hash TEXT NOT NULL, timestamp INTEGER NOT NULL);
    `);
    const stored = this.meta();
    const expected = {
      schema: INDEX_SCHEMA_VERSION,
      chainId: String(identity.chainId),
      engine: identity.engine.toLowerCase(),
    };
    if (stored.schema === undefined) {
      this.setMeta(expected);
    } else if (
      stored.schema !== expected.schema ||
      stored.chainId !== expected.chainId ||
      stored.engine !== expected.engine
    ) {
      throw new EventIndexError("this index belongs to another chain, engine or schema; use another --db", {
        indexChainId: stored.chainId ?? "",
        indexEngine: stored.engine ?? "",
        chainId: expected.chainId,
        engine: expected.engine,
      });
    }
  }

  private meta(): Record<string, string | undefined> {
    const rows = this.db.prepare("SELECT key, value FROM meta").all() as { key: string; value: string }[];
    return Object.fromEntries(rows.map((row) => [row.key, row.value]));
  }

  private setMeta(values: Record<string, string>): void {
    const statement = this.db.prepare(
      "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
    );
    for (const [key, value] of Object.entries(values)) statement.run(key, value);
  }

  /** The block range already indexed, if any. */
  covered(): CoveredRange | undefined {
    const meta = this.meta();
    if (meta.fromBlock === undefined || meta.toBlock === undefined || meta.toBlockHash === undefined) return undefined;
    return { fromBlock: Number(meta.fromBlock), toBlock: Number(meta.toBlock), toBlockHash: meta.toBlockHash };
  }

  /** Stores the events of [fromBlock, toBlock] (one transaction) and extends the covered range to it. */
  store(events: readonly IndexedEvent[], fromBlock: number, toBlock: number, toBlockHash: string): void {
    const insertEvent = this.db.prepare(
      "INSERT OR REPLACE INTO events (block, log_index, tx_hash, block_hash, address, name, args) VALUES (?, ?, ?, ?, ?, ?, ?)",
    );
    const insertBlock = this.db.prepare("INSERT OR REPLACE INTO blocks (number, hash, timestamp) VALUES (?, ?, ?)");
    this.db.transaction(() => {
      for (const event of events) {
        insertEvent.run(
          event.block,
          event.logIndex,
          event.txHash,
          event.blockHash,
          event.address,
          event.name,
          JSON.stringify(event.args),
        );
        insertBlock.run(event.block, event.blockHash, event.timestamp);
      }
      const covered = this.covered();
      const from = covered ? Math.min(covered.fromBlock, fromBlock) : fromBlock;
      const to = covered ? Math.max(covered.toBlock, toBlock) : toBlock;
      const hash = covered && covered.toBlock > toBlock ? covered.toBlockHash : toBlockHash;
      this.setMeta({ fromBlock: String(from), toBlock: String(to), toBlockHash: hash });
    })();
  }

  /** Drops everything after `keepToBlock` (a reorg replaced those blocks). */
  rollback(keepToBlock: number, keepToBlockHash: string): void {
    this.db.transaction(() => {
      this.db.prepare("DELETE FROM events WHERE block > ?").run(keepToBlock);
      this.db.prepare("DELETE FROM blocks WHERE number > ?").run(keepToBlock);
      const covered = this.covered();
      if (!covered) return;
      if (keepToBlock < covered.fromBlock) {
        this.db.prepare("DELETE FROM meta WHERE key IN ('fromBlock', 'toBlock', 'toBlockHash')").run();
      } else {
        this.setMeta({ toBlock: String(keepToBlock), toBlockHash: keepToBlockHash });
      }
    })();
  }

  /** Events of [fromBlock, toBlock] in chain order. */
  events(fromBlock: number, toBlock: number): IndexedEvent[] {
    const rows = this.db
      .prepare(
        `SELECT e.block, e.log_index, e.tx_hash, e.block_hash, e.address, e.name, e.args, b.timestamp
         FROM events e JOIN blocks b ON b.number = e.block
         WHERE e.block BETWEEN ? AND ? ORDER BY e.block, e.log_index`,
      )
      .all(fromBlock, toBlock) as {
      block: number;
      log_index: number;
      tx_hash: string;
      block_hash: string;
      address: string;
      name: string;
      args: string;
      timestamp: number;
    }[];
    return rows.map((row) => ({
      block: row.block,
      logIndex: row.log_index,
      txHash: row.tx_hash,
      blockHash: row.block_hash,
      address: row.address,
      contract: "engine",
      name: row.name,
      args: JSON.parse(row.args) as Record<string, string | boolean>,
      timestamp: row.timestamp,
    }));
  }

  /** For tests and tamper checks: rewrites one stored event's arguments. */
  overwriteArgs(block: number, logIndex: number, args: Record<string, string | boolean>): void {
    this.db
      .prepare("UPDATE events SET args = ? WHERE block = ? AND log_index = ?")
      .run(JSON.stringify(args), block, logIndex);
  }

  close(): void {
    this.db.close();
  }
}
