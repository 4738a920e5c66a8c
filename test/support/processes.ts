/**
 * Child processes for tests that run real processes (a `hardhat node`, the keeper, a web server, Chromium).
 * Every child gets its own process group (so stopping it also stops what it spawns, e.g. npx → node),
 * is registered here, and is stopped by `stopAllChildren()` — call it from an `after` hook; a last-resort
 * handler also kills the groups when the test process exits, so nothing keeps running or holds a port.
 */
import { spawn, type ChildProcess, type SpawnOptions } from "node:child_process";
import { createServer } from "node:net";

const STOP_GRACE_MS = 5_000;

export interface ManagedChild {
  name: string;
  process: ChildProcess;
  /** Everything the child wrote to stdout and stderr so far (for assertions and failure messages). */
  output(): string;
  /** Resolves with the exit code (null when killed by a signal). */
  exited: Promise<number | null>;
  /** SIGTERM to the process group, SIGKILL after a grace period; resolves once the child has exited. */
  stop(signal?: NodeJS.Signals): Promise<void>;
}

const running = new Set<ManagedChild>();

/** A TCP port nobody listens on right now (the OS picks it). */
export async function freePort(host = "127.0.0.1"): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, host, () => {
      const address = server.address();
      if (address === null || typeof address === "string") {
        server.close();
        reject(new Error("could not read the allocated port"));
        return;
      }
      const port = address.port;
      server.close(() => resolve(port));
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

/** Spawns `command` in its own process group and registers it for cleanup. */
export function startChild(
  name: string,
  command: string,
  args: string[],
  options: Omit<SpawnOptions, "detached" | "stdio"> = {},
): ManagedChild {
  const child = spawn(command, args, { ...options, detached: true, stdio: ["ignore", "pipe", "pipe"] });
  const chunks: string[] = [];
  child.stdout?.on("data", (chunk: Buffer) => chunks.push(chunk.toString()));
  child.stderr?.on("data", (chunk: Buffer) => chunks.push(chunk.toString()));
  const exited = new Promise<number | null>((resolve) => {
    child.on("exit", (code) => resolve(code));
    child.on("error", () => resolve(null));
  });
  const managed: ManagedChild = {
    name,
    process: child,
    output: () => chunks.join(""),
    exited,
    async stop(signal: NodeJS.Signals = "SIGTERM") {
      if (child.exitCode === null && child.signalCode === null) {
        killGroup(child, signal);
        const timer = setTimeout(() => killGroup(child, "SIGKILL"), STOP_GRACE_MS);
        await exited;
        clearTimeout(timer);
      }
      // Children of the group may outlive its leader; make sure none is left.
      killGroup(child, "SIGKILL");
      running.delete(managed);
    },
  };
  running.add(managed);
  void exited.then(() => {
    if (child.exitCode !== null || child.signalCode !== null) killGroup(child, "SIGKILL");
  });
  return managed;
}

/** Stops every child this process started (for `after` hooks). */
export async function stopAllChildren(): Promise<void> {
  await Promise.all([...running].map((child) => child.stop()));
}

process.on("exit", () => {
  for (const child of running) killGroup(child.process, "SIGKILL");
});

/** Waits until `probe` resolves true, polling; throws with `what` after `timeoutMs`. */
export async function waitFor(
  what: string,
  probe: () => Promise<boolean>,
  timeoutMs: number,
  intervalMs = 200,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await probe()) return;
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}
