// Test-side mirror of the signed ADL ticks (contracts/adl/AdlQueue.sol `tickOf`, issue 18 §4), restated from the
// contract's documentation: sdk/adl/adlQueue.ts still mirrors the old unsigned ticks (keys ≤ 0 in tick 0) and is
// not ours to change. To be moved into sdk/adl/adlQueue.ts (same names) by its owner.

/** AdlQueue.MANTISSA_BITS: sub-buckets per power of two of |key|. */
export const MANTISSA_BITS = 14n;
const MANTISSA_MASK = (1n << MANTISSA_BITS) - 1n;
/** AdlQueue.HALF_TICK_COUNT: ticks per sign (256 exponents × 2^14 mantissas); keys ≥ 0 use the upper half. */
export const HALF_TICK_COUNT = 256n << MANTISSA_BITS;
/** AdlQueue.TICK_COUNT. */
export const TICK_COUNT = 2n * HALF_TICK_COUNT;

/** The log-linear bucket of a magnitude: its highest set bit, then the next 14 bits (0 for 0). */
function magnitudeTick(k: bigint): bigint {
  if (k === 0n) return 0n;
  const exponent = BigInt(k.toString(2).length - 1);
  const mantissa =
    exponent >= MANTISSA_BITS
      ? (k >> (exponent - MANTISSA_BITS)) & MANTISSA_MASK
      : (k << (MANTISSA_BITS - exponent)) & MANTISSA_MASK;
  return (exponent << MANTISSA_BITS) | mantissa;
}

/** Mirrors `AdlQueue.tickOf`: key ≥ 0 → HALF + magnitudeTick(key); key < 0 → HALF − 1 − magnitudeTick(|key|). */
export function signedTickOf(key: bigint): bigint {
  if (key >= 0n) return HALF_TICK_COUNT + magnitudeTick(key);
  return HALF_TICK_COUNT - 1n - magnitudeTick(-key);
}

export interface QueueEntry {
  account: string;
  key: bigint;
  /** Insertion order: within a tick the oldest entry comes first (FIFO). */
  sequence: number;
}

/** ADL order: by signed tick (highest first for longs, lowest first for shorts), FIFO inside a tick. */
export function signedAdlOrder(entries: QueueEntry[], highestFirst: boolean): QueueEntry[] {
  return [...entries].sort((a, b) => {
    const ta = signedTickOf(a.key);
    const tb = signedTickOf(b.key);
    if (ta !== tb) return highestFirst ? (ta > tb ? -1 : 1) : ta < tb ? -1 : 1;
    return a.sequence - b.sequence;
  });
}
