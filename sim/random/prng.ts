/**
 * The simulator's only source of randomness: a seeded xoshiro128** generator (Blackman & Vigna, 2018),
 * seeded through SplitMix32, with the few distributions the scenarios use.
 *
 * Why not a package: `pure-rand` (fast-check's generator) is only a transitive dependency here and its
 * subpath exports do not resolve under this project's `moduleResolution: node`; xoshiro128** is 12 lines
 * with published reference output (checked in test/sim/prng.test.ts).
 *
 * Each consumer takes its own stream with `fork(label)`, so adding a draw in one place (say, one more
 * trader) never shifts the numbers another place sees (the price path stays the same).
 */

const UINT32_RANGE = 0x1_0000_0000;

/** 32-bit FNV-1a of a string: turns labels and string seeds into 32-bit seeds. */
function fnv1a32(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash >>> 0;
}

/** SplitMix32 step: spreads one 32-bit seed over the generator's 128-bit state. */
function splitMix32(state: { value: number }): number {
  state.value = (state.value + 0x9e3779b9) >>> 0;
  let z = state.value;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
  return (z ^ (z >>> 16)) >>> 0;
}

export class Prng {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;
  /** The seed text this stream was derived from (for messages and forks). */
  readonly seedText: string;

  constructor(seed: number | string) {
    this.seedText = String(seed);
    const mixer = { value: fnv1a32(this.seedText) };
    this.s0 = splitMix32(mixer);
    this.s1 = splitMix32(mixer);
    this.s2 = splitMix32(mixer);
    this.s3 = splitMix32(mixer);
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1; // the all-zero state is a fixed point
  }

  /** A generator at an explicit 128-bit state (for checking against the reference implementation). */
  static fromState(s0: number, s1: number, s2: number, s3: number): Prng {
    const prng = new Prng("explicit-state");
    [prng.s0, prng.s1, prng.s2, prng.s3] = [s0 >>> 0, s1 >>> 0, s2 >>> 0, s3 >>> 0];
    return prng;
  }

  /** An independent stream for one consumer, derived from this stream's seed and `label`. */
  fork(label: string): Prng {
    return new Prng(`${this.seedText}/${label}`);
  }

  /** Next raw 32-bit output (xoshiro128**). */
  nextUint32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5) >>> 0, 7), 9) >>> 0;
    const t = (this.s1 << 9) >>> 0;
    this.s2 = (this.s2 ^ this.s0) >>> 0;
    this.s3 = (this.s3 ^ this.s1) >>> 0;
    this.s1 = (this.s1 ^ this.s2) >>> 0;
    this.s0 = (this.s0 ^ this.s3) >>> 0;
    this.s2 = (this.s2 ^ t) >>> 0;
    this.s3 = rotl(this.s3, 11);
    return result;
  }

  /** Uniform in [0, 1) with 53 random bits. */
  float(): number {
    const high = this.nextUint32() >>> 5; // 27 bits
    const low = this.nextUint32() >>> 6; // 26 bits
    return (high * 67_108_864 + low) / 9_007_199_254_740_992;
  }

  /** Uniform in [min, max). */
  uniform(min: number, max: number): number {
    return min + (max - min) * this.float();
  }

  /** Uniform integer in [min, maxInclusive] (rejection sampling, no modulo bias). */
  int(min: number, maxInclusive: number): number {
    const span = maxInclusive - min + 1;
    if (!Number.isInteger(span) || span <= 0 || span > UINT32_RANGE) {
      throw new RangeError(`Prng.int: bad range [${min}, ${maxInclusive}]`);
    }
    const limit = UINT32_RANGE - (UINT32_RANGE % span);
    let draw = this.nextUint32();
    while (draw >= limit) draw = this.nextUint32();
    return min + (draw % span);
  }

  /** True with probability `p`. */
  chance(p: number): boolean {
    return this.float() < p;
  }

  /** Standard normal (Box–Muller; one draw per call, the twin is discarded to keep streams simple). */
  normal(): number {
    let u = this.float();
    while (u === 0) u = this.float();
    const v = this.float();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }

  /** Poisson(λ) by inversion (λ is small here: jumps per step). */
  poisson(lambda: number): number {
    const limit = Math.exp(-lambda);
    let count = 0;
    let product = this.float();
    while (product > limit) {
      count++;
      product *= this.float();
    }
    return count;
  }

  /** An index drawn with the given non-negative weights (at least one positive). */
  weightedIndex(weights: readonly number[]): number {
    const total = weights.reduce((sum, w) => sum + w, 0);
    if (!(total > 0)) throw new RangeError("Prng.weightedIndex: weights must have a positive sum");
    let target = this.float() * total;
    for (let i = 0; i < weights.length; i++) {
      target -= weights[i];
      if (target < 0) return i;
    }
    return weights.length - 1;
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}
