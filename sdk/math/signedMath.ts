/**
 * Signed division with an explicit rounding direction, mirrored one to one from
 * [`contracts/libraries/SignedMath.sol`](../../contracts/libraries/SignedMath.sol).
 *
 * JS `bigint` division truncates toward zero exactly like Solidity's `/`, and `%` takes the dividend's
 * sign like Solidity's `%`. The one difference is range: bigint never overflows, so the helpers in the
 * second half of this file reproduce Solidity 0.8's checked arithmetic (`Panic(0x11)` on overflow,
 * `Panic(0x12)` on division by zero) and its explicit int256/uint256 conversions, and every mirrored
 * function is written with them so that it throws exactly where the contract reverts.
 */
import { INT256_MAX, INT256_MIN, UINT256_MAX } from "./constants";
import { PanicCode, SolidityPanicError } from "./types";

/** floor(x / d) for d > 0 (toward negative infinity). Mirrors `SignedMath.divFloor`. */
export function divFloor(x: bigint, d: bigint): bigint {
  const q = sdiv(x, d);
  return smod(x, d) !== 0n && x < 0n ? int256(q - 1n) : q;
}

/** ceil(x / d) for d > 0 (toward positive infinity). Mirrors `SignedMath.divCeil`. */
export function divCeil(x: bigint, d: bigint): bigint {
  const q = sdiv(x, d);
  return smod(x, d) !== 0n && x > 0n ? int256(q + 1n) : q;
}

/** |x| as uint256. Mirrors `SignedMath.abs` (reverts for `type(int256).min`, whose negation overflows). */
export function abs(x: bigint): bigint {
  return x >= 0n ? x : int256(-x);
}

/** ceil(x / d) for unsigned values, d > 0. Mirrors `SignedMath.divCeilU` (returns 0 for x = 0 even if d = 0). */
export function divCeilU(x: bigint, d: bigint): bigint {
  return x === 0n ? 0n : uint256(udiv(x - 1n, d) + 1n);
}

/** The smaller of two int256. Mirrors `SignedMath.min`. */
export function min(a: bigint, b: bigint): bigint {
  return a < b ? a : b;
}

// ─────────────────── Solidity 0.8 checked arithmetic and conversions ───────────────────

/** A checked int256 result: throws `Panic(0x11)` when `x` is outside [type(int256).min, type(int256).max]. */
export function int256(x: bigint): bigint {
  if (x > INT256_MAX || x < INT256_MIN) throw new SolidityPanicError(PanicCode.ARITHMETIC_OVERFLOW, "int256");
  return x;
}

/** A checked uint256 result: throws `Panic(0x11)` when `x` is outside [0, type(uint256).max]. */
export function uint256(x: bigint): bigint {
  if (x > UINT256_MAX || x < 0n) throw new SolidityPanicError(PanicCode.ARITHMETIC_OVERFLOW, "uint256");
  return x;
}

/** Solidity's signed `x / d`: truncates toward zero; panics on d = 0 and on `type(int256).min / -1`. */
export function sdiv(x: bigint, d: bigint): bigint {
  if (d === 0n) throw new SolidityPanicError(PanicCode.DIVISION_BY_ZERO, "sdiv");
  return int256(x / d);
}

/** Solidity's signed `x % d`: the sign of `x`; panics on d = 0. */
export function smod(x: bigint, d: bigint): bigint {
  if (d === 0n) throw new SolidityPanicError(PanicCode.DIVISION_BY_ZERO, "smod");
  return x % d;
}

/** Solidity's unsigned `x / d`: panics on d = 0. */
export function udiv(x: bigint, d: bigint): bigint {
  if (d === 0n) throw new SolidityPanicError(PanicCode.DIVISION_BY_ZERO, "udiv");
  return x / d;
}

/** Solidity's explicit `int256(uint256 u)`: reinterprets the bits, never reverts (u ≥ 2^255 becomes negative). */
export function toInt256(u: bigint): bigint {
  return u > INT256_MAX ? u - (UINT256_MAX + 1n) : u;
}

/** Solidity's explicit `uint256(int256 i)`: reinterprets the bits, never reverts (negatives wrap). */
export function toUint256(i: bigint): bigint {
  return i < 0n ? i + UINT256_MAX + 1n : i;
}
