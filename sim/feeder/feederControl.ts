/**
 * Telling a running feeder what to do, with one command grammar on two channels: lines on stdin and a tiny
 * HTTP endpoint on 127.0.0.1 (`POST /command` with the line as the body; `GET /status`).
 *
 *   crash <MARKET> <pct> [steps]     e.g. crash ETH-USD 40      (−40% at once, or over <steps> ticks)
 *   squeeze <MARKET> <pct> [steps]   e.g. squeeze BTC-USD 80
 *   set <MARKET> <priceUsd>          e.g. set ETH-USD 1800
 *   pause | resume | status | help
 */
import { createServer, type Server } from "node:http";
import { createInterface } from "node:readline";
import { FeederCommandError, type PriceFeeder } from "./priceFeeder";

export const FEEDER_HELP = [
  "crash <MARKET> <pct> [steps]   drop the price by pct% (at once, or over steps ticks)",
  "squeeze <MARKET> <pct> [steps] raise the price by pct%",
  "set <MARKET> <priceUsd>        post a price and walk around it from now on",
  "pause | resume                 stop / restart the random walk (feeds stay fresh)",
  "status                         current prices",
].join("\n");

/** Largest request body the control endpoint reads (a command line is short). */
const MAX_BODY_BYTES = 1_024;

function number(text: string | undefined, what: string): number {
  const value = Number(text);
  if (text === undefined || !Number.isFinite(value)) throw new FeederCommandError(`${what} must be a number`);
  return value;
}

/** Runs one command line; returns what to print. */
export async function executeFeederCommand(feeder: PriceFeeder, line: string): Promise<string> {
  const [command, ...args] = line.trim().split(/\s+/);
  switch ((command ?? "").toLowerCase()) {
    case "crash":
    case "squeeze": {
      const [market, pct, steps] = args;
      if (!market) throw new FeederCommandError(`usage: ${command} <MARKET> <pct> [steps]`);
      const stepCount = steps === undefined ? 1 : number(steps, "steps");
      if (command.toLowerCase() === "crash") await feeder.crash(market, number(pct, "pct"), stepCount);
      else await feeder.squeeze(market, number(pct, "pct"), stepCount);
      return `${command} ${market} ${pct}%${stepCount > 1 ? ` over ${stepCount} ticks` : ""}: ${statusLine(feeder)}`;
    }
    case "set": {
      const [market, price] = args;
      if (!market) throw new FeederCommandError("usage: set <MARKET> <priceUsd>");
      await feeder.setPrice(market, number(price, "priceUsd"));
      return `set ${market}: ${statusLine(feeder)}`;
    }
    case "pause":
      feeder.pause();
      return "random walk paused (feeds stay fresh)";
    case "resume":
      feeder.resume();
      return "random walk resumed";
    case "status":
      return statusLine(feeder);
    case "help":
    case "":
      return FEEDER_HELP;
    default:
      throw new FeederCommandError(`unknown command "${command}"\n${FEEDER_HELP}`);
  }
}

function statusLine(feeder: PriceFeeder): string {
  return feeder
    .status()
    .map((s) => `${s.symbol} ${s.priceUsd.toFixed(2)}`)
    .join(", ");
}

/** Reads commands from stdin, one per line, printing each answer (errors do not stop the feeder). */
export function attachStdin(feeder: PriceFeeder, print: (line: string) => void): () => void {
  const reader = createInterface({ input: process.stdin, terminal: false });
  reader.on("line", (line) => {
    if (!line.trim()) return;
    executeFeederCommand(feeder, line)
      .then(print)
      .catch((error: unknown) => print(`error: ${(error as Error).message}`));
  });
  return () => reader.close();
}

export interface ControlServer {
  port: number;
  close(): Promise<void>;
}

/** `POST /command` (body: a command line) → 200 text or 400 error; `GET /status` → JSON. Port 0 = any free port. */
export async function startControlServer(
  feeder: PriceFeeder,
  port: number,
  host = "127.0.0.1",
): Promise<ControlServer> {
  const server: Server = createServer((request, response) => {
    if (request.method === "GET" && request.url === "/status") {
      response.writeHead(200, { "content-type": "application/json" });
      response.end(JSON.stringify(feeder.status()));
      return;
    }
    if (request.method !== "POST" || request.url !== "/command") {
      response.writeHead(404, { "content-type": "text/plain" });
      response.end("POST /command with a command line, or GET /status\n");
      return;
    }
    let body = "";
    request.on("data", (chunk: Buffer) => {
      body += chunk.toString();
      if (body.length > MAX_BODY_BYTES) request.destroy();
    });
    request.on("end", () => {
      executeFeederCommand(feeder, body)
        .then((answer) => {
          response.writeHead(200, { "content-type": "text/plain" });
          response.end(answer + "\n");
        })
        .catch((error: unknown) => {
          response.writeHead(400, { "content-type": "text/plain" });
          response.end(`error: ${(error as Error).message}\n`);
        });
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => resolve());
  });
  const address = server.address();
  return {
    port: typeof address === "object" && address ? address.port : port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
