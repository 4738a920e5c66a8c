/**
 * The SDK names a predicted error's numeric values only (`EngineRevertError.details`); the contracts' errors
 * also carry the account and the market. This completes the SDK's values into the ABI's arguments, by the
 * ABI's own input names, so a predicted refusal renders with the same sentence as the real revert.
 */
import { Interface } from "ethers";
import { ERROR_SOURCE_ABIS } from "../chain/abis";
import type { ErrorArgs } from "./errorMessages";

/** Thrown when the SDK's values and the ABI's arguments disagree (one of them drifted). */
export class ErrorArgsMismatch extends Error {
  constructor(errorName: string, argument: string) {
    super(`predicted ${errorName} has no value for its ABI argument "${argument}"`);
    this.name = "ErrorArgsMismatch";
  }
}

const inputNames = new Map<string, string[]>();
for (const abi of ERROR_SOURCE_ABIS) {
  new Interface(abi).forEachError((fragment) => {
    inputNames.set(
      fragment.name,
      fragment.inputs.map((input) => input.name),
    );
  });
}

/** Who and where an action happens: the values the SDK leaves out. */
export interface ActionIdentity {
  account: string;
  marketId: string;
}

/** The ABI arguments of `errorName` from the SDK's `details` plus the action's account and market. */
export function abiErrorArgs(errorName: string, details: ErrorArgs, identity: ActionIdentity): ErrorArgs {
  const names = inputNames.get(errorName);
  if (names === undefined) return details;
  const args: Record<string, bigint | string | boolean> = {};
  for (const name of names) {
    const value = name === "account" ? identity.account : name === "marketId" ? identity.marketId : details[name];
    if (value === undefined) throw new ErrorArgsMismatch(errorName, name);
    args[name] = value;
  }
  return args;
}
