/**
 * Call data without per-call hashing: ethers v6 recomputes a function's selector (a keccak in JavaScript)
 * every time `encodeFunctionData` runs, which showed up as the top CPU cost of a 1,000-trader run. This
 * caches each (interface, function) pair's selector and encodes the arguments with the ABI coder.
 */
import { AbiCoder, concat, type FunctionFragment, type Interface } from "ethers";

const coder = AbiCoder.defaultAbiCoder();
const cache = new WeakMap<Interface, Map<string, { fragment: FunctionFragment; selector: string }>>();

function entry(contractInterface: Interface, name: string): { fragment: FunctionFragment; selector: string } {
  let byName = cache.get(contractInterface);
  if (!byName) {
    byName = new Map();
    cache.set(contractInterface, byName);
  }
  let found = byName.get(name);
  if (!found) {
    const fragment = contractInterface.getFunction(name);
    if (!fragment) throw new Error(`no function ${name} in the ABI`);
    found = { fragment, selector: fragment.selector };
    byName.set(name, found);
  }
  return found;
}

/** Same bytes as `contractInterface.encodeFunctionData(name, args)`. */
export function encodeCall(contractInterface: Interface, name: string, args: readonly unknown[]): string {
  const { fragment, selector } = entry(contractInterface, name);
  return concat([selector, coder.encode(fragment.inputs, args)]);
}

/** Same as `contractInterface.decodeFunctionResult(name, data)`. */
export function decodeResult(contractInterface: Interface, name: string, data: string) {
  return contractInterface.decodeFunctionResult(entry(contractInterface, name).fragment, data);
}
