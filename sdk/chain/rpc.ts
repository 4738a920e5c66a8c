/**
 * Plain JSON-RPC helpers over `fetch` with a timeout. ethers' JsonRpcProvider retries an unreachable URL
 * forever, so callers probe with these first and fail fast with a clear message.
 */

const DEFAULT_TIMEOUT_MS = 1_000;

export class RpcError extends Error {
  constructor(
    message: string,
    readonly code?: number,
    readonly data?: unknown,
  ) {
    super(message);
    this.name = "RpcError";
  }
}

/** One JSON-RPC call; throws `RpcError` on an error answer, a non-2xx status or a timeout. */
export async function rpcCall<T = unknown>(
  url: string,
  method: string,
  params: unknown[] = [],
  timeoutMs = DEFAULT_TIMEOUT_MS,
): Promise<T> {
  let response: Response;
  try {
    response = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params }),
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (cause) {
    throw new RpcError(`${method} to ${url} failed: ${(cause as Error).message}`);
  }
  if (!response.ok) throw new RpcError(`${method} to ${url}: HTTP ${response.status}`);
  const body = (await response.json()) as { result?: T; error?: { message: string; code?: number; data?: unknown } };
  if (body.error) throw new RpcError(`${method}: ${body.error.message}`, body.error.code, body.error.data);
  return body.result as T;
}

/** True when `url` answers `eth_chainId` within the timeout. */
export async function rpcAnswers(url: string, timeoutMs = DEFAULT_TIMEOUT_MS): Promise<boolean> {
  try {
    await rpcCall(url, "eth_chainId", [], timeoutMs);
    return true;
  } catch {
    return false;
  }
}
