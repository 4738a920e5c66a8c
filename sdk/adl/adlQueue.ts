/**
 * Off-chain mirror of the ADL ranking, [`contracts/adl/AdlQueue.sol`](../../contracts/adl/AdlQueue.sol): the
 * tick of a key, the order in which positions are auto-deleveraged (by tick, FIFO inside a tick), and
 * `AdlQueueMirror`, a queue that moves exactly like the contract's while a walk reduces and re-keys entries.
 * Used by the liquidation and vault-protection mirrors (`./adlExecution`), the keeper, the dApp (ADL
 * lights) and tests.
 *
 * FIFO inside a tick depends on insertion order, which no key carries: callers that mirror a queue keep, per
 * queued position, the order in which the engine last (re-)inserted it (`AdlQueueMember.sequence`; e.g. the
 * block number and log index of the event that last changed the position: `PositionModified`, a partial
 * `Liquidated`, a partial `Deleveraged`).
 */
import { PerpMathError } from "../math/types";
import { adlKey, isAdlEligible, type AdlPosition } from "./adlMath";

/** Sub-buckets per power of two of the key (AdlQueue.MANTISSA_BITS): a tick spans ≤ 2^-14 of |key|. */
export const MANTISSA_BITS = 14n;
const MANTISSA_MASK = (1n << MANTISSA_BITS) - 1n;
/** Ticks per sign (AdlQueue.HALF_TICK_COUNT): 256 exponents × 2^14 mantissas; keys ≥ 0 use the upper half. */
export const HALF_TICK_COUNT = 256n << MANTISSA_BITS;
/** Number of ticks (AdlQueue.TICK_COUNT): 2^23. */
export const TICK_COUNT = 2n * HALF_TICK_COUNT;
/** The highest tick (AdlQueue.MAX_TICK). */
export const MAX_TICK = TICK_COUNT - 1n;

function log2(value: bigint): bigint {
  return BigInt(value.toString(2).length - 1);
}

/** Log-linear bucket of a magnitude: highest set bit, then the next 14 bits (0 for 0). `AdlQueue._magnitudeTick`. */
function magnitudeTick(k: bigint): bigint {
  if (k === 0n) return 0n;
  const exponent = log2(k);
  const mantissa =
    exponent >= MANTISSA_BITS
      ? (k >> (exponent - MANTISSA_BITS)) & MANTISSA_MASK
      : (k << (MANTISSA_BITS - exponent)) & MANTISSA_MASK;
  return (exponent << MANTISSA_BITS) | mantissa;
}

/**
 * The tick of a signed key: key ≥ 0 → HALF_TICK_COUNT + magnitudeTick(key); key < 0 → HALF_TICK_COUNT − 1 −
 * magnitudeTick(|key|). Monotone non-decreasing in the key, so ticks are ordered exactly as keys (negative
 * keys no longer share one tick). Mirrors `AdlQueue.tickOf` in contracts/adl/AdlQueue.sol.
 */
export function tickOf(key: bigint): bigint {
  if (key >= 0n) return HALF_TICK_COUNT + magnitudeTick(key);
  return HALF_TICK_COUNT - 1n - magnitudeTick(-key);
}

export interface QueueEntry {
  account: string;
  key: bigint;
  /** Insertion order: within a tick the oldest entry comes first (FIFO). */
  sequence: number;
}

/**
 * The ADL order of entries: by tick (highest first for longs, lowest first for shorts), FIFO inside a
 * tick. `highestFirst` is true for longs.
 */
export function adlOrder(entries: QueueEntry[], highestFirst: boolean): QueueEntry[] {
  return [...entries].sort((a, b) => {
    const ta = tickOf(a.key);
    const tb = tickOf(b.key);
    if (ta !== tb) return highestFirst ? (ta > tb ? -1 : 1) : ta < tb ? -1 : 1;
    return a.sequence - b.sequence;
  });
}

/** The five ADL "lights": 5 for the most exposed 20% of the queue, down to 1. Mirrors the engine view. */
export function adlLight(rank: bigint, queueLength: bigint): number {
  if (queueLength === 0n) return 0;
  return Number(5n - (rank * 5n) / queueLength);
}

// ═════════════════════════════ queue members and ordering ═════════════════════════════

/** One position in an ADL queue, as a caller that mirrors the engine holds it. */
export interface AdlQueueMember {
  account: string;
  /** The stored position (funding and socialized loss not settled): its key is `adlKey(position)`. */
  position: AdlPosition;
  /**
   * When the engine last inserted it into its queue: any increasing counter (larger = later), e.g.
   * blockNumber × 2^32 + logIndex of the event that last re-keyed the position. Only the order matters.
   */
  sequence: bigint;
}

/** Thrown when a queue mirror is given members the engine's queue could not hold. */
export class AdlQueueInputError extends PerpMathError {
  constructor(reason: string, details: Readonly<Record<string, bigint | string | boolean>> = {}) {
    super(`invalid ADL queue input: ${reason}`, details);
    this.name = "AdlQueueInputError";
  }
}

/**
 * A side's queue members in the engine's ADL order: by `tickOf(adlKey(position))` (longs: highest tick
 * first; shorts: lowest first), FIFO by `sequence` inside a tick. Throws `AdlQueueInputError` for a member
 * on the other side, a duplicate account or a duplicate sequence (FIFO would be ambiguous).
 */
export function orderAdlQueue(members: readonly AdlQueueMember[], isLong: boolean): AdlQueueMember[] {
  checkMembers(members, isLong);
  const keyed = members.map((member) => ({ member, tick: tickOf(adlKey(member.position)) }));
  keyed.sort((a, b) => {
    if (a.tick !== b.tick) return isLong === a.tick > b.tick ? -1 : 1;
    return a.member.sequence < b.member.sequence ? -1 : 1;
  });
  return keyed.map((k) => k.member);
}

function checkMembers(members: readonly AdlQueueMember[], isLong: boolean): void {
  const accounts = new Set<string>();
  const sequences = new Set<bigint>();
  for (const m of members) {
    if (m.position.size === 0n || m.position.size > 0n !== isLong) {
      throw new AdlQueueInputError("member not on the queue's side", {
        account: m.account,
        size: m.position.size,
        isLong,
      });
    }
    if (accounts.has(m.account)) throw new AdlQueueInputError("duplicate account", { account: m.account });
    if (sequences.has(m.sequence)) throw new AdlQueueInputError("duplicate sequence", { sequence: m.sequence });
    accounts.add(m.account);
    sequences.add(m.sequence);
  }
}

// ═════════════════════════════ AdlQueueMirror ═════════════════════════════

/**
 * One (market, side) queue that behaves exactly like `AdlQueue` under `insert`, `remove`, `head` and `next`:
 * ticks ordered by key, a FIFO list inside each tick, a re-keyed entry going to the tail of its new tick.
 * A walk that reads `next(cursor)` before reducing `cursor` (as `AdlLogic` does) visits the same entries in
 * the same order as the contract, including an entry re-inserted further along the walk.
 * Not persistent: the ADL mirrors copy it (`clone`) before they walk.
 */
export class AdlQueueMirror {
  /** Longs are walked from the highest tick, shorts from the lowest (`AdlQueue.head(highestFirst)`). */
  readonly highestFirst: boolean;
  private readonly buckets = new Map<bigint, string[]>();
  /** Non-empty ticks, ascending. */
  private ticks: bigint[] = [];
  private readonly tickOfAccount = new Map<string, bigint>();

  constructor(isLong: boolean) {
    this.highestFirst = isLong;
  }

  /** A queue holding `members`, inserted in `sequence` order (see `orderAdlQueue` for the checks). */
  static fromMembers(members: readonly AdlQueueMember[], isLong: boolean): AdlQueueMirror {
    checkMembers(members, isLong);
    const queue = new AdlQueueMirror(isLong);
    for (const m of [...members].sort((a, b) => (a.sequence < b.sequence ? -1 : 1))) {
      queue.insert(m.account, adlKey(m.position));
    }
    return queue;
  }

  clone(): AdlQueueMirror {
    const copy = new AdlQueueMirror(this.highestFirst);
    for (const [tick, accounts] of this.buckets) copy.buckets.set(tick, [...accounts]);
    copy.ticks = [...this.ticks];
    for (const [account, tick] of this.tickOfAccount) copy.tickOfAccount.set(account, tick);
    return copy;
  }

  get length(): number {
    return this.tickOfAccount.size;
  }

  contains(account: string): boolean {
    return this.tickOfAccount.has(account);
  }

  /** `AdlQueue.insert`: appends `account` at the tail of its key's tick. Throws if it is queued already. */
  insert(account: string, key: bigint): void {
    if (this.tickOfAccount.has(account)) throw new AdlQueueInputError("account already queued", { account });
    const tick = tickOf(key);
    const bucket = this.buckets.get(tick);
    if (bucket) bucket.push(account);
    else {
      this.buckets.set(tick, [account]);
      this.ticks.splice(this.lowerBound(tick), 0, tick);
    }
    this.tickOfAccount.set(account, tick);
  }

  /** `AdlQueue.remove`: unlinks `account` if it is queued; returns whether it was. */
  remove(account: string): boolean {
    const tick = this.tickOfAccount.get(account);
    if (tick === undefined) return false;
    const bucket = this.buckets.get(tick)!;
    bucket.splice(bucket.indexOf(account), 1);
    if (bucket.length === 0) {
      this.buckets.delete(tick);
      this.ticks.splice(this.lowerBound(tick), 1);
    }
    this.tickOfAccount.delete(account);
    return true;
  }

  /** `AdlQueue.head`: the first account in ADL order, undefined when empty. */
  head(): string | undefined {
    if (this.ticks.length === 0) return undefined;
    const tick = this.highestFirst ? this.ticks[this.ticks.length - 1] : this.ticks[0];
    return this.buckets.get(tick)![0];
  }

  /** `AdlQueue.next`: the account after `account` (which must be queued) in ADL order; undefined at the end. */
  next(account: string): string | undefined {
    const tick = this.tickOfAccount.get(account);
    if (tick === undefined) throw new AdlQueueInputError("account not queued", { account });
    const bucket = this.buckets.get(tick)!;
    const at = bucket.indexOf(account);
    if (at + 1 < bucket.length) return bucket[at + 1];
    const i = this.lowerBound(tick);
    const nextTick = this.highestFirst ? this.ticks[i - 1] : this.ticks[i + 1];
    return nextTick === undefined ? undefined : this.buckets.get(nextTick)![0];
  }

  /** Every queued account in ADL order. */
  order(): string[] {
    const ticks = this.highestFirst ? [...this.ticks].reverse() : this.ticks;
    return ticks.flatMap((tick) => this.buckets.get(tick)!);
  }

  /** `AdlQueue.rankOf`: positions ahead of `account` (0 = next to be deleveraged); -1 when not queued. */
  rankOf(account: string): number {
    return this.order().indexOf(account);
  }

  /** Index of the first tick ≥ `tick` in `ticks`. */
  private lowerBound(tick: bigint): number {
    let lo = 0;
    let hi = this.ticks.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.ticks[mid] < tick) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

/**
 * `AdlLogic._rekey` on a queue pair: out of the old side's queue, into the new side's at the tail of its
 * key's tick when still open and eligible (entry notional ≥ `minQueueNotionalUsd`). Returns whether it was
 * (re-)inserted.
 */
export function rekeyAdlQueues(
  queues: { long: AdlQueueMirror; short: AdlQueueMirror },
  account: string,
  oldSize: bigint,
  updated: AdlPosition,
  minQueueNotionalUsd: bigint,
): boolean {
  if (oldSize !== 0n) (oldSize > 0n ? queues.long : queues.short).remove(account);
  if (updated.size === 0n || !isAdlEligible(updated, minQueueNotionalUsd)) return false;
  (updated.size > 0n ? queues.long : queues.short).insert(account, adlKey(updated));
  return true;
}
