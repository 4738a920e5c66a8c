/**
 * Names a failed transaction's revert: the custom errors of every contract the simulator calls (engine,
 * vault, oracle adapter, collateral token), `Error(string)` and `Panic(uint256)`.
 */
import { AbiCoder, Interface, type ErrorFragment } from "ethers";
import {
  ChainlinkOracleAdapter__factory,
  LiquidityVault__factory,
  MockERC20__factory,
  PerpEngine__factory,
} from "../../typechain-types";

export interface RevertReason {
  /** The custom error's name, "Error", "Panic", or "unknown" when the node gave no data. */
  name: string;
  /** The error's arguments as strings (bigints in decimal). */
  args: string[];
  /** Revert data as returned by the node ("0x" when none). */
  data: string;
}

const ERROR_STRING_SELECTOR = "0x08c379a0";
const PANIC_SELECTOR = "0x4e487b71";

/** selector → error fragment, built once (ethers' parseError recomputes every selector on each call). */
function errorTable(): Map<string, { contractInterface: Interface; fragment: ErrorFragment }> {
  const contractInterface = combinedErrorInterface();
  const table = new Map<string, { contractInterface: Interface; fragment: ErrorFragment }>();
  contractInterface.forEachError((fragment) =>
    table.set(fragment.selector.toLowerCase(), { contractInterface, fragment }),
  );
  return table;
}

function combinedErrorInterface(): Interface {
  const seen = new Map<string, ErrorFragment>();
  const sources = [
    PerpEngine__factory.createInterface(),
    LiquidityVault__factory.createInterface(),
    ChainlinkOracleAdapter__factory.createInterface(),
    MockERC20__factory.createInterface(),
  ];
  for (const contractInterface of sources) {
    contractInterface.forEachError((fragment) => {
      if (!seen.has(fragment.selector)) seen.set(fragment.selector, fragment);
    });
  }
  return new Interface([...seen.values()]);
}

const ERRORS = errorTable();

function stringify(value: unknown): string {
  if (typeof value === "bigint") return value.toString();
  if (Array.isArray(value)) return `[${value.map(stringify).join(",")}]`;
  return String(value);
}

/** Decodes revert data ("0x…"); unknown selectors keep their data and the name "unknown". */
export function decodeRevertData(data: string): RevertReason {
  if (!data || data === "0x") return { name: "unknown", args: [], data: "0x" };
  const selector = data.slice(0, 10).toLowerCase();
  try {
    if (selector === ERROR_STRING_SELECTOR) {
      const [message] = AbiCoder.defaultAbiCoder().decode(["string"], "0x" + data.slice(10));
      return { name: "Error", args: [String(message)], data };
    }
    if (selector === PANIC_SELECTOR) {
      const [code] = AbiCoder.defaultAbiCoder().decode(["uint256"], "0x" + data.slice(10));
      return { name: "Panic", args: [stringify(code)], data };
    }
    const known = ERRORS.get(selector);
    if (known) {
      const args = known.contractInterface.decodeErrorResult(known.fragment, data);
      return { name: known.fragment.name, args: [...args].map(stringify), data };
    }
  } catch {
    /* fall through: keep the raw data */
  }
  return { name: "unknown", args: [], data };
}

const HEX_DATA = /^0x[0-9a-fA-F]*$/;

/** Finds revert data in an error thrown by a provider (EDR in-process, hardhat node, anvil, ethers). */
export function revertDataOf(error: unknown): string | undefined {
  const queue: unknown[] = [error];
  const visited = new Set<unknown>();
  while (queue.length > 0) {
    const item = queue.shift();
    if (item === null || typeof item !== "object" || visited.has(item)) continue;
    visited.add(item);
    const record = item as Record<string, unknown>;
    const data = record.data;
    if (typeof data === "string" && HEX_DATA.test(data) && data.length >= 10) return data;
    for (const key of ["data", "error", "cause", "info", "payload"]) queue.push(record[key]);
  }
  return undefined;
}
