/**
 * A JSON-RPC HTTP endpoint on 127.0.0.1 (a free port) in front of the simulator's chain, for the real keeper
 * (keeper/), which speaks only HTTP JSON-RPC. Every request goes through `SimChain.request`, so the keeper's
 * transactions are stamped by the simulated clock like everyone else's, on the in-process network as on a node.
 * It also records each transaction the keeper sends (its function and how it ended) for the run log.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { Transaction, type Interface } from "ethers";
import type { SimChain, TxOutcome } from "../chain/simChain";
import { decodeRevertData, revertDataOf } from "../chain/revertReason";

/** JSON-RPC "internal error": what a failure without a code of its own is answered with. */
const INTERNAL_ERROR_CODE = -32603;
const LOOPBACK = "127.0.0.1";

interface JsonRpcRequest {
  jsonrpc?: string;
  id?: unknown;
  method: string;
  params?: unknown[];
}

/** One transaction the keeper sent through the bridge: the engine function it calls and how it ended. */
export interface BridgedTransaction {
  kind: string;
  /** Its calldata (e.g. to count the entries of a `liquidateMany`). */
  data: string;
  outcome: TxOutcome;
}

export class RpcBridge {
  private recorded: BridgedTransaction[] = [];

  private constructor(
    private readonly server: Server,
    readonly url: string,
  ) {}

  /** Starts the endpoint; `contracts` names the functions of recorded transactions. */
  static async start(chain: SimChain, contracts: Interface): Promise<RpcBridge> {
    let bridge: RpcBridge | undefined;
    const server = createServer((request, response) => {
      void bridge!.handle(chain, contracts, request, response);
    });
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(0, LOOPBACK, () => resolve());
    });
    const { port } = server.address() as AddressInfo;
    bridge = new RpcBridge(server, `http://${LOOPBACK}:${port}`);
    return bridge;
  }

  /** The transactions sent since the last call. */
  takeRecorded(): BridgedTransaction[] {
    const taken = this.recorded;
    this.recorded = [];
    return taken;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(
    chain: SimChain,
    contracts: Interface,
    request: IncomingMessage,
    response: ServerResponse,
  ): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    let body: JsonRpcRequest | JsonRpcRequest[];
    try {
      body = JSON.parse(Buffer.concat(chunks).toString("utf8")) as JsonRpcRequest | JsonRpcRequest[];
    } catch {
      response.writeHead(400, { "content-type": "application/json" });
      response.end(JSON.stringify({ jsonrpc: "2.0", id: null, error: { code: -32700, message: "parse error" } }));
      return;
    }
    const answers = Array.isArray(body)
      ? await Promise.all(body.map((one) => this.answer(chain, contracts, one)))
      : await this.answer(chain, contracts, body);
    response.writeHead(200, { "content-type": "application/json" });
    response.end(JSON.stringify(answers));
  }

  private async answer(chain: SimChain, contracts: Interface, request: JsonRpcRequest): Promise<unknown> {
    const base = { jsonrpc: "2.0", id: request.id ?? null };
    const isSend = request.method === "eth_sendRawTransaction";
    const timestamp = chain.clock.peek();
    try {
      const result = await chain.request({ method: request.method, params: request.params ?? [] });
      if (isSend) {
        // Answer once it is mined (anvil answers first): the simulator reads events and views right after a cycle.
        const raw = String(request.params?.[0]);
        const tx = Transaction.from(raw);
        const call = { from: tx.from ?? "", to: tx.to ?? "", data: tx.data };
        this.record(contracts, raw, await chain.settle(String(result), call, timestamp));
      }
      return { ...base, result };
    } catch (error) {
      const data = revertDataOf(error);
      const message = (error as Error).message ?? String(error);
      if (isSend) {
        const reason = decodeRevertData(data ?? "0x");
        this.record(contracts, String(request.params?.[0]), { ok: false, timestamp, reason, message });
      }
      const code =
        typeof (error as { code?: unknown }).code === "number" ? (error as { code: number }).code : undefined;
      return { ...base, error: { code: code ?? INTERNAL_ERROR_CODE, message, data } };
    }
  }

  private record(contracts: Interface, raw: string, outcome: TxOutcome): void {
    const data = Transaction.from(raw).data;
    const kind = data === "0x" ? "transfer" : (contracts.parseTransaction({ data })?.name ?? data.slice(0, 10));
    this.recorded.push({ kind, data, outcome });
  }
}
