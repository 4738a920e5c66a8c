/**
 * Per-component gas of one transaction, from Hardhat's `debug_traceTransaction` opcode trace: oracle reads
 * (everything inside calls to an oracle adapter), the ADL queue (everything inside the AdlLogic library's frames),
 * storage writes (SSTORE, before refunds) and reads (SLOAD) elsewhere, events (LOG0–LOG4), the intrinsic cost
 * (21k + calldata), the rest (computation, memory, call overheads) and the storage refunds (negative). The parts
 * sum to the receipt's gasUsed.
 */
import hre from "hardhat";
import { getBytes } from "ethers";

export type Component =
  | "intrinsic (21k + calldata)"
  | "oracle reads"
  | "ADL queue"
  | "storage writes"
  | "storage reads"
  | "events"
  | "computation and calls"
  | "storage refunds";

interface StructLog {
  op: string;
  gas: number;
  gasCost: number;
  depth: number;
  stack?: string[];
}

const CALL_OPS = new Set(["CALL", "STATICCALL", "DELEGATECALL", "CALLCODE"]);
const TX_BASE_GAS = 21_000n;
const ZERO_BYTE_GAS = 4n;
const NONZERO_BYTE_GAS = 16n;

/** Addresses (lower case) whose frames count as one component, whatever they do inside. */
export interface FrameOwners {
  oracle: Set<string>;
  adlQueue: Set<string>;
}

export async function gasBreakdown(txHash: string, owners: FrameOwners): Promise<Map<Component, bigint>> {
  const tx = await hre.ethers.provider.getTransaction(txHash);
  const receipt = await hre.ethers.provider.getTransactionReceipt(txHash);
  if (!tx || !receipt) throw new Error(`no transaction ${txHash}`);
  const trace: { structLogs: StructLog[] } = await hre.network.provider.send("debug_traceTransaction", [
    txHash,
    { disableMemory: true, disableStorage: true },
  ]);
  const parts = new Map<Component, bigint>();
  const add = (component: Component, gas: bigint) => parts.set(component, (parts.get(component) ?? 0n) + gas);

  let intrinsic = TX_BASE_GAS;
  for (const byte of getBytes(tx.data)) intrinsic += byte === 0 ? ZERO_BYTE_GAS : NONZERO_BYTE_GAS;
  add("intrinsic (21k + calldata)", intrinsic);

  const logs = trace.structLogs;
  for (let i = 0; i < logs.length; i++) {
    const step = logs[i];
    if (CALL_OPS.has(step.op) && step.stack && step.stack.length >= 2) {
      const target = `0x${BigInt(`0x${step.stack[step.stack.length - 2]}`)
        .toString(16)
        .padStart(40, "0")}`;
      const owner = owners.oracle.has(target) ? "oracle reads" : owners.adlQueue.has(target) ? "ADL queue" : null;
      if (owner) {
        // The whole call, overhead and callee included: from this step to the next one back at this depth.
        let j = i + 1;
        while (j < logs.length && logs[j].depth > step.depth) j++;
        if (j < logs.length) add(owner, BigInt(step.gas - logs[j].gas));
        i = j - 1;
        continue;
      }
      // Other calls are descended into: their opcodes are counted where they happen.
      continue;
    }
    const cost = BigInt(step.gasCost);
    if (step.op === "SSTORE") add("storage writes", cost);
    else if (step.op === "SLOAD") add("storage reads", cost);
    else if (step.op.startsWith("LOG")) add("events", cost);
  }
  // Execution gas before refunds: what the first step had minus what the last one left.
  const last = logs[logs.length - 1];
  const executionGas = BigInt(logs[0].gas - last.gas + last.gasCost);
  const counted = [...parts.values()].reduce((a, b) => a + b, 0n) - intrinsic;
  add("computation and calls", executionGas - counted);
  add("storage refunds", receipt.gasUsed - intrinsic - executionGas);
  return parts;
}
