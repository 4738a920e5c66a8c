/**
 * Off-chain mirror of the ADL ranking (contracts/adl/AdlQueue.sol): the tick of a key, and the order
 * in which positions are auto-deleveraged. Used by the dApp (ADL lights) and tests.
 */

/** Sub-buckets per power of two of the key (AdlQueue.MANTISSA_BITS). */
export const MANTISSA_BITS = 14n;
const MANTISSA_MASK = (1n << MANTISSA_BITS) - 1n;

function log2(value: bigint): bigint {
  return BigInt(value.toString(2).length - 1);
}

/** Mirrors `AdlQueue.tickOf`: monotone in the key; keys ≤ 0 share tick 0. */
export function tickOf(key: bigint): bigint {
  if (key <= 0n) return 0n;
  const exponent = log2(key);
  const mantissa =
    exponent >= MANTISSA_BITS
      ? (key >> (exponent - MANTISSA_BITS)) & MANTISSA_MASK
      : (key << (MANTISSA_BITS - exponent)) & MANTISSA_MASK;
  return (exponent << MANTISSA_BITS) | mantissa;
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
