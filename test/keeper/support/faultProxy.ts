/**
 * A small fault-injecting JSON-RPC proxy between the keeper and the node: forwards every request, and on demand
 * answers with errors, never answers (timeouts), drops the connection, refuses `eth_getLogs` ranges above a limit
 * ("range too large") or refuses everything (the node is down from the keeper's side). Faults are drawn from a
 * seeded generator so a failing run can be replayed.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { Socket } from "node:net";
import { freePort } from "../../support/processes";

export interface FaultSettings {
  /** Probability of a JSON-RPC error answer. */
  errorRate: number;
  /** Probability of never answering (the client times out). */
  timeoutRate: number;
  /** Probability of destroying the connection without an answer. */
  dropRate: number;
  /** `eth_getLogs` ranges larger than this are refused (0 = no limit). */
  maxLogRange: number;
  /** Every connection is destroyed at once. */
  down: boolean;
}

export const NO_FAULTS: FaultSettings = { errorRate: 0, timeoutRate: 0, dropRate: 0, maxLogRange: 0, down: false };

export interface FaultProxy {
  url: string;
  settings: FaultSettings;
  stats: {
    forwarded: number;
    errors: number;
    timeouts: number;
    drops: number;
    rangeRefusals: number;
    refusedWhileDown: number;
  };
  close(): Promise<void>;
}

export async function startFaultProxy(target: string, seed = 1): Promise<FaultProxy> {
  let state = seed >>> 0;
  const random = () => {
    state = (Math.imul(state, 1_664_525) + 1_013_904_223) >>> 0;
    return state / 4_294_967_296;
  };
  const sockets = new Set<Socket>();
  const held: ServerResponse[] = [];
  const proxy: FaultProxy = {
    url: "",
    settings: { ...NO_FAULTS },
    stats: { forwarded: 0, errors: 0, timeouts: 0, drops: 0, rangeRefusals: 0, refusedWhileDown: 0 },
    close: async () => {
      for (const response of held) response.destroy();
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };

  async function handle(request: IncomingMessage, response: ServerResponse, body: string): Promise<void> {
    const s = proxy.settings;
    if (s.down) {
      proxy.stats.refusedWhileDown += 1;
      request.socket.destroy();
      return;
    }
    const call = JSON.parse(body) as { id: number; method: string; params?: unknown[] };
    const answerError = (code: number, message: string) =>
      response
        .writeHead(200, { "content-type": "application/json" })
        .end(JSON.stringify({ jsonrpc: "2.0", id: call.id, error: { code, message } }));
    if (call.method === "eth_getLogs" && s.maxLogRange > 0) {
      const filter = (call.params?.[0] ?? {}) as { fromBlock?: string; toBlock?: string };
      if (filter.fromBlock && filter.toBlock && Number(filter.toBlock) - Number(filter.fromBlock) + 1 > s.maxLogRange) {
        proxy.stats.rangeRefusals += 1;
        answerError(-32005, `query exceeds max block range ${s.maxLogRange}`);
        return;
      }
    }
    const roll = random();
    if (roll < s.errorRate) {
      proxy.stats.errors += 1;
      answerError(-32603, "internal error (injected)");
      return;
    }
    if (roll < s.errorRate + s.timeoutRate) {
      proxy.stats.timeouts += 1;
      held.push(response); // never answered
      return;
    }
    if (roll < s.errorRate + s.timeoutRate + s.dropRate) {
      proxy.stats.drops += 1;
      request.socket.destroy();
      return;
    }
    proxy.stats.forwarded += 1;
    const upstream = await fetch(target, { method: "POST", headers: { "content-type": "application/json" }, body });
    response.writeHead(upstream.status, { "content-type": "application/json" }).end(await upstream.text());
  }

  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      handle(request, response, Buffer.concat(chunks).toString()).catch(() => request.socket.destroy());
    });
  });
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  const port = await freePort();
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", () => resolve()));
  proxy.url = `http://127.0.0.1:${port}`;
  return proxy;
}
