/**
 * The one interface the simulator talks to a chain through (EIP-1193 `request`), so that the same code runs
 * on the in-process Hardhat network, a `hardhat node`, an anvil, or a fork behind any JSON-RPC URL.
 */
import { rpcCall } from "../../sdk/chain/rpc";

export interface RequestArguments {
  method: string;
  params?: unknown[];
}

export interface Eip1193 {
  request(args: RequestArguments): Promise<unknown>;
}

/** Generous: a heavy transaction on a loaded 2-core machine can take seconds. */
export const HTTP_REQUEST_TIMEOUT_MS = 120_000;

/** EIP-1193 over plain JSON-RPC HTTP (`fetch` with a timeout; errors keep the node's `data`). */
export function httpEip1193(url: string, timeoutMs = HTTP_REQUEST_TIMEOUT_MS): Eip1193 {
  return {
    request: ({ method, params }) => rpcCall(url, method, params ?? [], timeoutMs),
  };
}
