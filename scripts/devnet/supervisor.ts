/**
 * The devnet's child processes. Each one runs in its own process group (so stopping it also stops what it
 * spawns: hardhat's workers, ts-node) and writes to its own log file (`<logDir>/<name>.log`), which keeps the
 * terminal readable and lets a failure quote the child's last lines. A long-running child that exits while
 * the devnet is not stopping is reported through `onUnexpectedExit`; `stopAll` stops every child, newest
 * first, with SIGTERM and then SIGKILL after a grace period.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { closeSync, existsSync, mkdirSync, openSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { DevnetError } from "./errors";

/** How long a child may take to stop after SIGTERM before its group gets SIGKILL. */
export const STOP_GRACE_MS = 8_000;
/** Lines of a failed child's log quoted in the error. */
const LOG_TAIL_LINES = 15;

export interface ChildCommand {
  command: string;
  args: string[];
  cwd: string;
  env: NodeJS.ProcessEnv;
}

export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface SupervisedChild {
  name: string;
  pid: number;
  logPath: string;
  exited: Promise<ExitInfo>;
  /** Whether the devnet expects it to exit (a one-shot step, or the devnet is stopping). */
  expectExit: boolean;
  process: ChildProcess;
}

export function describeExit(exit: ExitInfo): string {
  return exit.signal ? `was killed by ${exit.signal}` : `exited with code ${exit.code}`;
}

export class Supervisor {
  private readonly children: SupervisedChild[] = [];
  private stopping = false;

  constructor(
    private readonly logDir: string,
    private readonly onUnexpectedExit: (child: SupervisedChild, exit: ExitInfo) => void,
  ) {
    mkdirSync(logDir, { recursive: true });
  }

  /** Starts a long-running child; its exit before `stopAll` is reported as unexpected. */
  start(name: string, command: ChildCommand): SupervisedChild {
    const child = this.spawnChild(name, command, false);
    void child.exited.then((exit) => {
      if (!child.expectExit && !this.stopping) this.onUnexpectedExit(child, exit);
    });
    return child;
  }

  /** Runs a one-shot child to completion; rejects with its name, exit and last log lines when it fails. */
  async run(name: string, command: ChildCommand): Promise<void> {
    const child = this.spawnChild(name, command, true);
    const exit = await child.exited;
    if (exit.code === 0 || this.stopping) return;
    throw new DevnetError(`${name} ${describeExit(exit)} (log: ${child.logPath})\n${this.logTail(child)}`);
  }

  /** The last lines a child wrote (for error messages). */
  logTail(child: SupervisedChild, lines = LOG_TAIL_LINES): string {
    if (!existsSync(child.logPath)) return "";
    const text = readFileSync(child.logPath, "utf8").trimEnd();
    return text
      .split("\n")
      .slice(-lines)
      .map((line) => `  [${child.name}] ${line}`)
      .join("\n");
  }

  /** Every child started so far (the test and the summary read the pids). */
  list(): readonly SupervisedChild[] {
    return this.children;
  }

  /** Stops every child that still runs, newest first, and waits until each process group is gone. */
  async stopAll(): Promise<void> {
    this.stopping = true;
    for (const child of [...this.children].reverse()) {
      child.expectExit = true;
      await stopGroup(child);
    }
  }

  private spawnChild(name: string, command: ChildCommand, expectExit: boolean): SupervisedChild {
    if (this.stopping) throw new DevnetError(`not starting ${name}: the devnet is stopping`);
    const logPath = join(this.logDir, `${name}.log`);
    const logFd = openSync(logPath, "w");
    let spawned: ChildProcess;
    try {
      spawned = spawn(command.command, command.args, {
        cwd: command.cwd,
        env: command.env,
        // A new process group: Ctrl-C in the terminal reaches only the devnet, which stops the children in order.
        detached: true,
        stdio: ["ignore", logFd, logFd],
      });
    } finally {
      closeSync(logFd);
    }
    const exited = new Promise<ExitInfo>((resolve) => {
      spawned.once("exit", (code, signal) => resolve({ code, signal }));
      spawned.once("error", (error) => {
        // Spawning failed (e.g. a missing binary): report it like an exit.
        console.error(`devnet: cannot start ${name}: ${error.message}`);
        resolve({ code: null, signal: null });
      });
    });
    const child: SupervisedChild = { name, pid: spawned.pid ?? -1, logPath, exited, expectExit, process: spawned };
    this.children.push(child);
    return child;
  }
}

function killGroup(pid: number, signal: NodeJS.Signals): void {
  if (pid <= 0) return;
  try {
    process.kill(-pid, signal);
  } catch {
    /* the group is already gone */
  }
}

async function stopGroup(child: SupervisedChild): Promise<void> {
  const running = child.process.exitCode === null && child.process.signalCode === null;
  if (running) {
    killGroup(child.pid, "SIGTERM");
    const timer = setTimeout(() => killGroup(child.pid, "SIGKILL"), STOP_GRACE_MS);
    await child.exited;
    clearTimeout(timer);
  }
  // Members of the group may outlive its leader (e.g. a worker hardhat started): none may be left.
  killGroup(child.pid, "SIGKILL");
}
