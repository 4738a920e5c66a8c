/**
 * Local chain nodes as child processes on a free port, each in its own process group (stopping the group
 * also stops what npx/hardhat spawn): a `hardhat node`, or an `anvil` (Foundry, from npm), for running the
 * simulator over JSON-RPC and comparing with the in-process network.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { createServer } from "node:net";
import { join } from "node:path";
import { rpcAnswers } from "../../sdk/chain/rpc";
import { ChainSourceError } from "../errors";

const PROJECT_ROOT = join(__dirname, "..", "..");
const HARDHAT_BIN = join(PROJECT_ROOT, "node_modules", ".bin", "hardhat");
/** The anvil binary @foundry-rs/anvil installs (the .bin entry is a Node wrapper around it). */
const ANVIL_BINARIES = [
  join(PROJECT_ROOT, "node_modules", "@foundry-rs", "anvil-linux-amd64", "bin", "anvil"),
  join(PROJECT_ROOT, "node_modules", ".bin", "anvil"),
];
/** The chain id anvil should report, the same as Hardhat's. */
const LOCAL_CHAIN_ID = 31337;
const NODE_READY_TIMEOUT_MS = 90_000;
const READY_POLL_MS = 250;
const STOP_GRACE_MS = 5_000;

export interface SpawnedNode {
  url: string;
  stop(): Promise<void>;
}

/** A TCP port nobody listens on right now (the OS picks it). */
export async function freePort(host = "127.0.0.1"): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, host, () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => (port ? resolve(port) : reject(new Error("no port allocated"))));
    });
  });
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    /* the group is already gone */
  }
}

export async function spawnHardhatNode(): Promise<SpawnedNode> {
  const port = await freePort();
  return spawnNode("hardhat node", HARDHAT_BIN, ["node", "--hostname", "127.0.0.1", "--port", String(port)], port);
}

/** An anvil with Hardhat's chain id and FIFO transaction order, silent. */
export async function spawnAnvil(): Promise<SpawnedNode> {
  const { existsSync } = await import("node:fs");
  const binary = ANVIL_BINARIES.find((candidate) => existsSync(candidate));
  if (!binary) throw new ChainSourceError("anvil is not installed (npm package @foundry-rs/anvil)");
  const port = await freePort();
  const args = [
    "--host",
    "127.0.0.1",
    "--port",
    String(port),
    "--chain-id",
    String(LOCAL_CHAIN_ID),
    "--order",
    "fifo",
    "--silent",
  ];
  return spawnNode("anvil", binary, args, port);
}

async function spawnNode(name: string, command: string, args: string[], port: number): Promise<SpawnedNode> {
  const url = `http://127.0.0.1:${port}`;
  const child = spawn(command, args, {
    cwd: PROJECT_ROOT,
    detached: true,
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  child.stderr?.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.on("exit", () => resolve()));
  const killOnExit = () => killGroup(child, "SIGKILL");
  process.on("exit", killOnExit);
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      killGroup(child, "SIGTERM");
      const timer = setTimeout(() => killGroup(child, "SIGKILL"), STOP_GRACE_MS);
      await exited;
      clearTimeout(timer);
    }
    killGroup(child, "SIGKILL");
    process.off("exit", killOnExit);
  };
  const deadline = Date.now() + NODE_READY_TIMEOUT_MS;
  while (!(await rpcAnswers(url))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      await stop();
      throw new ChainSourceError(`${name} did not start`, { url, stderr: stderr.slice(-500) });
    }
    await new Promise((resolve) => setTimeout(resolve, READY_POLL_MS));
  }
  return { url, stop };
}
