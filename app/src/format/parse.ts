/**
 * User input → the protocol's fixed-point bigints. A form field is parsed here exactly once, with a clear
 * error for anything that is not a plain decimal of the right precision (no silent truncation).
 */
import { WAD_DECIMALS } from "./format";

/** Thrown when a form field does not hold a valid amount; `field` names the input for the message. */
export class InvalidAmountError extends Error {
  constructor(
    readonly field: string,
    readonly input: string,
    readonly reason: string,
  ) {
    super(`${field}: ${reason}`);
    this.name = "InvalidAmountError";
  }
}

const DECIMAL_PATTERN = /^(\d+)(?:\.(\d*))?$|^\.(\d+)$/;

/**
 * Parses "1,234.5" into `1234.5 × 10^decimals`. Empty input is `null` (nothing entered yet). Throws
 * `InvalidAmountError` for signs, letters, or more fractional digits than `decimals`.
 */
export function parseDecimal(input: string, decimals: number, field: string): bigint | null {
  const text = input.trim().replace(/[,_\s]/g, "");
  if (text === "") return null;
  const match = DECIMAL_PATTERN.exec(text);
  if (!match) throw new InvalidAmountError(field, input, "enter a positive number such as 12.5");
  const whole = match[1] ?? "0";
  const fraction = match[2] ?? match[3] ?? "";
  if (fraction.length > decimals) {
    throw new InvalidAmountError(field, input, `at most ${decimals} decimal places`);
  }
  return BigInt(whole) * 10n ** BigInt(decimals) + BigInt(fraction.padEnd(decimals, "0") || "0");
}

/** A USD amount, a size or a price (all 1e18). */
export function parseWad(input: string, field: string): bigint | null {
  return parseDecimal(input, WAD_DECIMALS, field);
}

/** A percentage such as "0.5" (%) into basis points (50). */
export function parsePercentToBps(input: string, field: string): bigint | null {
  const PERCENT_TO_BPS_DECIMALS = 2; // 1% = 100 bps
  return parseDecimal(input, PERCENT_TO_BPS_DECIMALS, field);
}

/** Parses with `parse`, turning a thrown `InvalidAmountError` into a value for forms to show. */
export function tryParse(
  parse: () => bigint | null,
): { value: bigint | null; error: null } | { value: null; error: InvalidAmountError } {
  try {
    return { value: parse(), error: null };
  } catch (error) {
    if (error instanceof InvalidAmountError) return { value: null, error };
    throw error;
  }
}
