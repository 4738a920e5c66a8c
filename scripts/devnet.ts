/**
 * `npm start`: the main job on a fresh machine. Starts a local Hardhat node, deploys the whole protocol
 * to it, prints the address book and keeps running until Ctrl-C (which stops the node too).
 *
 * Environment: DEVNET_HOST (default 127.0.0.1), DEVNET_PORT (default 8545).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { join } from "node:path";
import { rpcAnswers } from "../sdk/chain/rpc";

const HOST = process.env.DEVNET_HOST ?? "127.0.0.1";
const PORT = Number(process.env.DEVNET_PORT ?? "8545");
const RPC_URL = `http://${HOST}:${PORT}`;
const NODE_READY_TIMEOUT_MS = 60_000;
const PROBE_INTERVAL_MS = 250;
const HARDHAT_BIN = join(__dirname, "..", "node_modules", ".bin", "hardhat");

const children: ChildProcess[] = [];

async function waitForRpc(url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await rpcAnswers(url)) return;
    await new Promise((resolve) => setTimeout(resolve, PROBE_INTERVAL_MS));
  }
  throw new Error(`local node did not answer at ${url} within ${timeoutMs} ms`);
}

/** Starts a child in its own process group so that stopping it also stops what it spawns. */
function startChild(name: string, args: string[], env: NodeJS.ProcessEnv = {}): ChildProcess {
  const child = spawn(HARDHAT_BIN, args, {
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "inherit"],
    detached: true,
  });
  child.stdout?.on("data", (chunk: Buffer) => {
    for (const line of chunk.toString().split("\n")) if (line.trim()) console.log(`[${name}] ${line}`);
  });
  children.push(child);
  return child;
}

function runToCompletion(args: string[], env: NodeJS.ProcessEnv): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(HARDHAT_BIN, args, { env: { ...process.env, ...env }, stdio: "inherit" });
    child.on("exit", (code) =>
      code === 0 ? resolve() : reject(new Error(`hardhat ${args.join(" ")} exited ${code}`)),
    );
  });
}

function stopAll(): void {
  for (const child of children) {
    if (child.pid && child.exitCode === null) {
      try {
        process.kill(-child.pid, "SIGTERM");
      } catch {
        /* already gone */
      }
    }
  }
}

async function main(): Promise<void> {
  if (await rpcAnswers(RPC_URL)) {
    throw new Error(`something already answers at ${RPC_URL}; stop it or set DEVNET_PORT`);
  }
  console.log(`starting a local Hardhat node at ${RPC_URL} …`);
  const node = startChild("node", ["node", "--hostname", HOST, "--port", String(PORT)]);
  node.on("exit", (code) => {
    console.error(`local node exited (${code}); stopping`);
    stopAll();
    process.exit(1);
  });
  await waitForRpc(RPC_URL, NODE_READY_TIMEOUT_MS);

  console.log("deploying the protocol …");
  await runToCompletion(["run", "--network", "localhost", "deploy/deploy.ts"], { RPC_URL });

  console.log(`\ndevnet ready: RPC ${RPC_URL}, address book deployments/localhost.json. Ctrl-C to stop.`);
}

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => {
    stopAll();
    process.exit(0);
  });
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  stopAll();
  process.exit(1);
});
