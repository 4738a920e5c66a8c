/**
 * An `anvil` child process (the binary @foundry-rs/anvil ships, offline) on a free port, in its own process
 * group so that stopping it also stops the binary the npm shim spawns. Used for the local fork of the source
 * and for the offline stand-in source itself. A process that exits before it answers fails at once with its
 * last output; one that does not answer in time is stopped and reported.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { join } from "node:path";
import { rpcAnswers } from "../../sdk/chain/rpc";
import { freePort } from "../chain/localNodes";
import { ForkSourceError } from "./forkErrors";

const PROJECT_ROOT = join(__dirname, "..", "..");
export const ANVIL_BIN = join(PROJECT_ROOT, "node_modules", ".bin", "anvil");
const READY_POLL_MS = 100;
const STOP_GRACE_MS = 3_000;
/** Characters of the child's output kept for error messages. */
const OUTPUT_TAIL_CHARS = 2_000;
const LOCALHOST = "127.0.0.1";

export interface AnvilProcess {
  url: string;
  port: number;
  /** The last characters the process wrote (stdout and stderr). */
  output(): string;
  stop(): Promise<void>;
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    /* the group is already gone */
  }
}

/** True while any process of the child's group is alive (signal 0 only checks). */
function groupAlive(child: ChildProcess): boolean {
  if (child.pid === undefined) return false;
  try {
    process.kill(-child.pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * Starts `anvil <args> --host 127.0.0.1 --port <free>` and waits until it answers JSON-RPC.
 * @param what Names the process in error messages ("fork of http://…").
 */
export async function startAnvil(
  args: readonly string[],
  what: string,
  readyTimeoutMs: number,
  /** Stop with SIGTERM and wait (anvil then writes its --dump-state file); otherwise SIGKILL at once. */
  gracefulStop = false,
): Promise<AnvilProcess> {
  const port = await freePort(LOCALHOST);
  const url = `http://${LOCALHOST}:${port}`;
  const child = spawn(ANVIL_BIN, [...args, "--host", LOCALHOST, "--port", String(port)], {
    cwd: PROJECT_ROOT,
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let tail = "";
  const keep = (chunk: Buffer) => {
    tail = (tail + chunk.toString()).slice(-OUTPUT_TAIL_CHARS);
  };
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);
  const exited = new Promise<void>((resolve) => {
    child.on("exit", () => resolve());
    child.on("error", () => resolve());
  });
  const killOnExit = () => killGroup(child, "SIGKILL");
  process.on("exit", killOnExit);
  const running = () => child.exitCode === null && child.signalCode === null;
  const stop = async () => {
    if (gracefulStop) {
      // SIGTERM to the npm shim only: it forwards it once to anvil, which then writes its --dump-state file
      // (a second signal would make anvil quit at once). SIGKILL whatever is left after the grace period.
      if (running()) child.kill("SIGTERM");
      await exited;
      const deadline = Date.now() + STOP_GRACE_MS;
      while (groupAlive(child) && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, READY_POLL_MS));
      }
    }
    killGroup(child, "SIGKILL");
    await exited;
    // The binary the shim spawned dies with the group; wait until it is gone so no port stays held.
    const deadline = Date.now() + STOP_GRACE_MS;
    while (groupAlive(child) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, READY_POLL_MS));
    }
    process.off("exit", killOnExit);
  };

  const deadline = Date.now() + readyTimeoutMs;
  while (!(await rpcAnswers(url))) {
    if (!running()) {
      await stop();
      throw new ForkSourceError(`anvil (${what}) exited before answering: ${lastLine(tail)}`, {
        exitCode: child.exitCode ?? -1,
      });
    }
    if (Date.now() > deadline) {
      await stop();
      throw new ForkSourceError(`anvil (${what}) did not answer within ${readyTimeoutMs} ms: ${lastLine(tail)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, READY_POLL_MS));
  }
  return { url, port, output: () => tail, stop };
}

/** anvil's error line and its innermost cause ("Error: failed to …; Error #3: Connection refused"), one line. */
function lastLine(output: string): string {
  const lines = output
    .split("\n")
    .map((line) => line.trim())
    .filter(Boolean);
  if (lines.length === 0) return "(no output)";
  const error = lines.find((line) => line.startsWith("Error:"));
  const last = lines[lines.length - 1];
  return error && error !== last ? `${error}; ${last}` : last;
}
