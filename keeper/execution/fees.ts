/**
 * EIP-1559 fees from `eth_feeHistory`, under the configured caps: the tip is the median tip of recent blocks
 * (at least `MIN_PRIORITY_FEE_WEI`, at most the tip cap), the max fee covers two doublings of the next base fee
 * plus the tip, capped at `maxFeePerGas`. Nothing should be sent while the next base fee plus the tip exceeds
 * the cap.
 */
import type { ChainClient } from "../chain/chainClient";

/** Blocks of history the tip is taken from. */
const FEE_HISTORY_BLOCKS = 5;
const TIP_PERCENTILE = 50;
/** A zero tip is not mined on every network; 0.1 gwei is a conventional floor. */
const MIN_PRIORITY_FEE_WEI = 100_000_000n;
/** The max fee survives this many full base-fee increases (12.5% each) before the transaction is priced out. */
const BASE_FEE_HEADROOM_MULTIPLIER = 2n;

export interface FeeCaps {
  maxFeePerGasWei: bigint;
  maxPriorityFeePerGasWei: bigint;
}

export interface FeeQuote {
  maxFeePerGas: bigint;
  maxPriorityFeePerGas: bigint;
  /** The next block's base fee. */
  nextBaseFeePerGas: bigint;
  /** What one unit of gas is expected to cost if mined in the next block (base fee + tip). */
  expectedGasPriceWei: bigint;
}

function median(values: bigint[]): bigint {
  if (values.length === 0) return 0n;
  const sorted = [...values].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return sorted[Math.floor(sorted.length / 2)];
}

/** The quote, or undefined when even the next base fee plus the minimum tip is above the cap. */
export async function quoteFees(chain: ChainClient, caps: FeeCaps): Promise<FeeQuote | undefined> {
  const history = await chain.feeHistory(FEE_HISTORY_BLOCKS, [TIP_PERCENTILE]);
  const nextBaseFeePerGas = history.baseFeePerGas[history.baseFeePerGas.length - 1] ?? 0n;
  let tip = median(history.reward.map((row) => row[0] ?? 0n));
  if (tip < MIN_PRIORITY_FEE_WEI) tip = MIN_PRIORITY_FEE_WEI;
  if (tip > caps.maxPriorityFeePerGasWei) tip = caps.maxPriorityFeePerGasWei;
  if (nextBaseFeePerGas + tip > caps.maxFeePerGasWei) return undefined;
  let maxFee = BASE_FEE_HEADROOM_MULTIPLIER * nextBaseFeePerGas + tip;
  if (maxFee > caps.maxFeePerGasWei) maxFee = caps.maxFeePerGasWei;
  return {
    maxFeePerGas: maxFee,
    maxPriorityFeePerGas: tip,
    nextBaseFeePerGas,
    expectedGasPriceWei: nextBaseFeePerGas + tip,
  };
}

/** Fees raised by `percent` (rounded up), the max fee capped; undefined when the cap leaves no valid bump. */
export function bumpFees(
  fees: { maxFeePerGas: bigint; maxPriorityFeePerGas: bigint },
  percent: number,
  caps: FeeCaps,
): { maxFeePerGas: bigint; maxPriorityFeePerGas: bigint } | undefined {
  const factor = BigInt(100 + percent);
  const up = (value: bigint) => (value * factor + 99n) / 100n;
  // Nodes accept a replacement only if both fees rise by at least 10%.
  const minimum = (value: bigint) => (value * 110n + 99n) / 100n;
  let maxPriorityFeePerGas = up(fees.maxPriorityFeePerGas);
  if (maxPriorityFeePerGas > caps.maxPriorityFeePerGasWei) maxPriorityFeePerGas = caps.maxPriorityFeePerGasWei;
  let maxFeePerGas = up(fees.maxFeePerGas);
  if (maxFeePerGas > caps.maxFeePerGasWei) maxFeePerGas = caps.maxFeePerGasWei;
  if (maxFeePerGas < minimum(fees.maxFeePerGas) || maxPriorityFeePerGas < minimum(fees.maxPriorityFeePerGas))
    return undefined;
  if (maxPriorityFeePerGas > maxFeePerGas) maxPriorityFeePerGas = maxFeePerGas;
  return { maxFeePerGas, maxPriorityFeePerGas };
}
