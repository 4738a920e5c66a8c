/**
 * The keeper's HTTP endpoints, on 127.0.0.1 by default: `GET /metrics` (Prometheus text), `GET /health` (200 only
 * while the keeper is caught up and the RPC answers, 503 otherwise, with the reasons as JSON) and, when enabled,
 * `GET /mirror` (the mirrored positions with their health, for tests and audits).
 */
import { createServer, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { Registry } from "prom-client";

export interface HealthStatus {
  healthy: boolean;
  reasons: string[];
  lastProcessedBlock?: number;
  blockLag?: number;
}

export interface EndpointSources {
  registry: Registry;
  health: () => HealthStatus;
  /** Only when `--expose-mirror`: a JSON-serialisable snapshot. */
  mirror?: () => unknown;
}

const bigintToString = (_key: string, value: unknown) => (typeof value === "bigint" ? value.toString() : value);

export async function startEndpoints(
  host: string,
  port: number,
  sources: EndpointSources,
): Promise<{ server: Server; port: number }> {
  const server = createServer((request, response) => {
    try {
      route(request.method, request.url, response);
    } catch (error) {
      // An endpoint must never take the keeper down.
      if (!response.headersSent) response.writeHead(500);
      response.end(String(error));
    }
  });
  function route(method: string | undefined, url: string | undefined, response: ServerResponse): void {
    const path = (url ?? "/").split("?")[0];
    if (method !== "GET") {
      response.writeHead(405).end();
      return;
    }
    if (path === "/metrics") {
      sources.registry
        .metrics()
        .then((text) => response.writeHead(200, { "content-type": sources.registry.contentType }).end(text))
        .catch((error: unknown) => response.writeHead(500).end(String(error)));
      return;
    }
    if (path === "/health") {
      const status = sources.health();
      response
        .writeHead(status.healthy ? 200 : 503, { "content-type": "application/json" })
        .end(JSON.stringify(status));
      return;
    }
    if (path === "/mirror" && sources.mirror) {
      response
        .writeHead(200, { "content-type": "application/json" })
        .end(JSON.stringify(sources.mirror(), bigintToString));
      return;
    }
    response.writeHead(404).end();
  }
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => resolve());
  });
  return { server, port: (server.address() as AddressInfo).port };
}
