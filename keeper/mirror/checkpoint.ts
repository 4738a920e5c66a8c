/**
 * The mirror's checkpoint: its whole state at a block (markets, positions, engine settings) and the kept recent
 * blocks with their hashes and undo journals, so a restart resumes without a re-scan and can still roll back a
 * reorg that happened while it was down. Written atomically (temporary file, fsync, rename): a crash mid-write
 * leaves the previous checkpoint intact.
 */
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeSync } from "node:fs";
import { dirname } from "node:path";
import type { Position } from "../../sdk/math/types";
import { MirrorError } from "../errors";
import type { MarketMirror } from "./marketMirror";
import { PositionMirror, orderKey, type BlockRecord, type GlobalsMirror, type PendingOrder } from "./positionMirror";

const CHECKPOINT_VERSION = 2;

interface CheckpointFile {
  version: number;
  chainId: number;
  engine: string;
  writtenAt: string;
  markets: MarketMirror[];
  positions: Array<[string, Array<[string, Position]>]>;
  globals: GlobalsMirror;
  orders: PendingOrder[];
  blocks: BlockRecord[];
}

/** Identifies the deployment a checkpoint belongs to; a checkpoint of another one is refused. */
export interface CheckpointIdentity {
  chainId: number;
  engine: string;
}

const BIGINT_PATTERN = /^-?\d+n$/;

function replacer(_key: string, value: unknown): unknown {
  return typeof value === "bigint" ? `${value.toString()}n` : value;
}

function reviver(_key: string, value: unknown): unknown {
  return typeof value === "string" && BIGINT_PATTERN.test(value) ? BigInt(value.slice(0, -1)) : value;
}

export function serializeMirror(mirror: PositionMirror, identity: CheckpointIdentity): string {
  const file: CheckpointFile = {
    version: CHECKPOINT_VERSION,
    chainId: identity.chainId,
    engine: identity.engine.toLowerCase(),
    writtenAt: new Date().toISOString(),
    markets: [...mirror.markets.values()],
    positions: [...mirror.positions.entries()].map(([marketId, byAccount]) => [marketId, [...byAccount.entries()]]),
    globals: mirror.globals,
    orders: [...mirror.orders.values()],
    blocks: mirror.blocks,
  };
  return JSON.stringify(file, replacer);
}

/** Writes `contents` to `path` atomically. */
export function writeFileAtomic(path: string, contents: string): void {
  mkdirSync(dirname(path), { recursive: true });
  const temporary = `${path}.${process.pid}.tmp`;
  const fd = openSync(temporary, "w");
  try {
    writeSync(fd, contents);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(temporary, path);
}

export function writeCheckpoint(path: string, mirror: PositionMirror, identity: CheckpointIdentity): void {
  writeFileAtomic(path, serializeMirror(mirror, identity));
}

/** Restores a mirror from `path`; undefined when there is no checkpoint. Throws on another deployment's file. */
export function readCheckpoint(
  path: string,
  identity: CheckpointIdentity,
  keptBlocks: number,
): PositionMirror | undefined {
  if (!existsSync(path)) return undefined;
  let file: CheckpointFile;
  try {
    file = JSON.parse(readFileSync(path, "utf8"), reviver) as CheckpointFile;
  } catch (cause) {
    throw new MirrorError("checkpoint is not valid JSON", { path }, { cause });
  }
  if (file.version !== CHECKPOINT_VERSION)
    throw new MirrorError("checkpoint version not supported", { path, version: file.version });
  if (file.chainId !== identity.chainId || file.engine !== identity.engine.toLowerCase()) {
    throw new MirrorError("checkpoint belongs to another deployment", {
      path,
      chainId: file.chainId,
      engine: file.engine,
    });
  }
  const mirror = new PositionMirror(keptBlocks);
  for (const market of file.markets) mirror.markets.set(market.marketId, market);
  for (const [marketId, entries] of file.positions) mirror.positions.set(marketId, new Map(entries));
  mirror.globals = file.globals;
  for (const order of file.orders) mirror.orders.set(orderKey(order.marketId, order.account), order);
  mirror.blocks = file.blocks.slice(-keptBlocks);
  return mirror;
}
