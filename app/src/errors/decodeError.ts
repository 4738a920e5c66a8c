/**
 * Turns whatever a failed call or transaction threw (an ethers error, a wallet's EIP-1193 error, revert
 * data nested somewhere inside) into one readable failure: the custom error decoded against every ABI the
 * dApp talks to and rendered through the sentence table.
 */
import { AbiCoder, Interface, isHexString, type InterfaceAbi } from "ethers";
import { errorSentence, type ErrorArgs, type ErrorFormatContext } from "./errorMessages";

/** What went wrong, ready to show. */
export interface DecodedFailure {
  kind: "custom-error" | "revert-string" | "panic" | "rejected" | "unknown";
  /** The custom error's name (custom-error only). */
  errorName: string | null;
  args: ErrorArgs;
  /** The sentence shown to the user. */
  message: string;
}

/** EIP-1193 "user rejected the request". */
const USER_REJECTED_CODE = 4001;
/** Selector of Solidity's `Error(string)`. */
const ERROR_STRING_SELECTOR = "0x08c379a0";
/** Selector of Solidity's `Panic(uint256)`. */
const PANIC_SELECTOR = "0x4e487b71";
/** A selector is 4 bytes: "0x" + 8 hex digits. */
const SELECTOR_HEX_LENGTH = 10;
/** How deep to look for revert data inside nested error objects (ethers wraps the wallet's error). */
const MAX_ERROR_DEPTH = 6;

const PANIC_REASONS: Readonly<Record<string, string>> = {
  "17": "an arithmetic overflow",
  "18": "a division by zero",
  "1": "a failed assertion",
  "50": "an out-of-bounds array access",
};

/** Decodes custom errors of a fixed set of ABIs (deduplicated by selector). */
export class ErrorDecoder {
  private readonly iface: Interface;

  constructor(abis: readonly InterfaceAbi[]) {
    const seen = new Set<string>();
    const fragments: string[] = [];
    for (const abi of abis) {
      for (const fragment of new Interface(abi).fragments) {
        if (fragment.type !== "error") continue;
        const signature = fragment.format("full");
        const key = fragment.format("sighash");
        if (seen.has(key)) continue;
        seen.add(key);
        fragments.push(signature);
      }
    }
    this.iface = new Interface(fragments);
  }

  /** Names of every custom error this decoder knows (for the coverage test). */
  errorNames(): string[] {
    const names: string[] = [];
    this.iface.forEachError((fragment) => names.push(fragment.name));
    return names;
  }

  /** Decodes revert data, or returns null when the selector is unknown. */
  decodeCustom(data: string): { errorName: string; args: ErrorArgs } | null {
    let parsed;
    try {
      parsed = this.iface.parseError(data);
    } catch {
      return null;
    }
    if (!parsed) return null;
    const args: Record<string, bigint | string | boolean> = {};
    parsed.fragment.inputs.forEach((input, index) => {
      args[input.name || `arg${index}`] = parsed.args[index] as bigint | string | boolean;
    });
    return { errorName: parsed.name, args };
  }

  /** Everything a failed call or transaction may throw → one failure to show. */
  describe(error: unknown, ctx: ErrorFormatContext): DecodedFailure {
    if (isUserRejection(error)) {
      return { kind: "rejected", errorName: null, args: {}, message: "You rejected the request in your wallet." };
    }
    const data = findRevertData(error);
    if (data !== null) {
      const selector = data.slice(0, SELECTOR_HEX_LENGTH).toLowerCase();
      if (selector === ERROR_STRING_SELECTOR) {
        const [reason] = AbiCoder.defaultAbiCoder().decode(["string"], "0x" + data.slice(SELECTOR_HEX_LENGTH));
        return {
          kind: "revert-string",
          errorName: null,
          args: {},
          message: `The contract refused: ${String(reason)}.`,
        };
      }
      if (selector === PANIC_SELECTOR) {
        const [code] = AbiCoder.defaultAbiCoder().decode(["uint256"], "0x" + data.slice(SELECTOR_HEX_LENGTH));
        const reason = PANIC_REASONS[String(code)] ?? `panic code ${String(code)}`;
        return { kind: "panic", errorName: null, args: {}, message: `The contract stopped on ${reason}.` };
      }
      const custom = this.decodeCustom(data);
      if (custom) {
        const sentence = errorSentence(custom.errorName, custom.args, ctx);
        return {
          kind: "custom-error",
          ...custom,
          message: sentence ?? `The contract refused with ${custom.errorName}.`,
        };
      }
      return {
        kind: "unknown",
        errorName: null,
        args: {},
        message: `The contract refused (unknown error ${selector}).`,
      };
    }
    return { kind: "unknown", errorName: null, args: {}, message: shortMessage(error) };
  }
}

function isUserRejection(error: unknown): boolean {
  let current: unknown = error;
  for (let depth = 0; depth < MAX_ERROR_DEPTH && isObject(current); depth++) {
    if (current.code === USER_REJECTED_CODE || current.code === "ACTION_REJECTED") return true;
    current = current.error ?? current.info;
  }
  return false;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null;
}

/**
 * Finds revert data (a hex string with at least a selector) in an error: ethers puts it in `data`, wallets
 * in `error.data`, `data.data` or `info.error.data`, depending on who wrapped whom.
 */
export function findRevertData(error: unknown, depth = 0): string | null {
  if (depth > MAX_ERROR_DEPTH || !isObject(error)) return null;
  const direct = error.data;
  if (typeof direct === "string" && isHexString(direct) && direct.length >= SELECTOR_HEX_LENGTH) return direct;
  for (const key of ["data", "error", "info", "cause", "revert"]) {
    const found = findRevertData(error[key], depth + 1);
    if (found !== null) return found;
  }
  return null;
}

function shortMessage(error: unknown): string {
  if (isObject(error) && typeof error.shortMessage === "string") return capitalise(error.shortMessage);
  if (error instanceof Error) return capitalise(error.message);
  return "The request failed.";
}

function capitalise(text: string): string {
  return text.length === 0 ? text : text[0].toUpperCase() + text.slice(1);
}
