/**
 * The keeper's only door to the node: plain JSON-RPC over `fetch` with a timeout per request, every request and
 * error counted per method (the `keeper_rpc_*` metrics), and errors classified so callers can react (retry,
 * halve a log range, give up). ethers is used for encoding and signing only: its provider retries an unreachable
 * URL forever and hides how many requests it makes.
 */
import { KeeperError } from "../errors";

/** Why a request failed: the transport (refused, reset, HTTP error), a timeout, or a JSON-RPC error answer. */
export type RpcFailureKind = "transport" | "timeout" | "rpc";

export class RpcRequestError extends KeeperError {
  readonly method: string;
  readonly kind: RpcFailureKind;
  readonly code?: number;
  readonly data?: unknown;

  constructor(
    method: string,
    kind: RpcFailureKind,
    message: string,
    extra: { code?: number; data?: unknown; cause?: unknown } = {},
  ) {
    super(`${method} failed (${kind}): ${message}`, extra.code === undefined ? {} : { code: extra.code }, {
      cause: extra.cause,
    });
    this.name = "RpcRequestError";
    this.method = method;
    this.kind = kind;
    this.code = extra.code;
    this.data = extra.data;
  }
}

/** Receives one callback per request and per failure (metrics). */
export interface RpcObserver {
  onRequest(method: string): void;
  onError(method: string, error: RpcRequestError): void;
  onSuccess?(method: string): void;
}

const NO_OBSERVER: RpcObserver = { onRequest: () => undefined, onError: () => undefined };

let nextId = 1;

export class RpcClient {
  constructor(
    readonly url: string,
    private readonly timeoutMs: number,
    private readonly observer: RpcObserver = NO_OBSERVER,
  ) {}

  async call<T>(method: string, params: readonly unknown[] = []): Promise<T> {
    this.observer.onRequest(method);
    try {
      const result = await this.send<T>(method, params);
      this.observer.onSuccess?.(method);
      return result;
    } catch (error) {
      const failure =
        error instanceof RpcRequestError
          ? error
          : new RpcRequestError(method, "transport", String(error), { cause: error });
      this.observer.onError(method, failure);
      throw failure;
    }
  }

  private async send<T>(method: string, params: readonly unknown[]): Promise<T> {
    let response: Response;
    try {
      response = await fetch(this.url, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ jsonrpc: "2.0", id: nextId++, method, params }),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (cause) {
      const isTimeout = (cause as Error).name === "TimeoutError" || (cause as Error).name === "AbortError";
      throw new RpcRequestError(method, isTimeout ? "timeout" : "transport", (cause as Error).message, { cause });
    }
    let text: string;
    try {
      text = await response.text();
    } catch (cause) {
      const isTimeout = (cause as Error).name === "TimeoutError" || (cause as Error).name === "AbortError";
      throw new RpcRequestError(method, isTimeout ? "timeout" : "transport", (cause as Error).message, { cause });
    }
    let body: { result?: T; error?: { code?: number; message?: string; data?: unknown } };
    try {
      body = JSON.parse(text) as typeof body;
    } catch (cause) {
      throw new RpcRequestError(method, "transport", `HTTP ${response.status}, not JSON: ${text.slice(0, 120)}`, {
        cause,
      });
    }
    if (body.error) {
      throw new RpcRequestError(method, "rpc", body.error.message ?? "error", {
        code: body.error.code,
        data: body.error.data,
      });
    }
    if (!response.ok) throw new RpcRequestError(method, "transport", `HTTP ${response.status}`);
    if (!("result" in body)) throw new RpcRequestError(method, "transport", "answer without result");
    return body.result as T;
  }
}

/**
 * True when a provider refused an `eth_getLogs` request because of its range or result size (each provider words
 * it differently: "block range is too wide", "query returned more than 10000 results", "limit exceeded", -32005).
 */
export function isRangeTooLargeError(error: unknown): boolean {
  if (!(error instanceof RpcRequestError) || error.kind !== "rpc") return false;
  if (error.code === -32005) return true;
  return /range|too (many|large|wide|big)|more than \d+ (results|logs)|exceed|limit|response size/i.test(error.message);
}

/** The revert data of an `eth_call`/`eth_estimateGas` that reverted, or undefined for any other failure. */
export function revertDataOf(error: unknown): string | undefined {
  if (!(error instanceof RpcRequestError) || error.kind !== "rpc") return undefined;
  const data = error.data as unknown;
  if (typeof data === "string" && data.startsWith("0x")) return data;
  if (data && typeof data === "object" && "data" in data && typeof (data as { data: unknown }).data === "string") {
    return (data as { data: string }).data;
  }
  return undefined;
}
