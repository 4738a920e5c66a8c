/**
 * The processes below a pid, read from /proc (Linux): the devnet test lists what `npm start` spawned before
 * stopping it, then checks that none of them is left. Zombies count as gone (they hold no port and no CPU).
 */
import { readdirSync, readFileSync } from "node:fs";

interface ProcEntry {
  pid: number;
  ppid: number;
  state: string;
}

function readStat(pid: number): ProcEntry | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // `pid (comm) state ppid …`; comm may hold spaces and parentheses, so split after the last ")".
    const afterComm = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return { pid, state: afterComm[0], ppid: Number(afterComm[1]) };
  } catch {
    return undefined; // exited between readdir and read
  }
}

function allProcesses(): ProcEntry[] {
  return readdirSync("/proc")
    .filter((name) => /^\d+$/.test(name))
    .map((name) => readStat(Number(name)))
    .filter((entry): entry is ProcEntry => entry !== undefined);
}

/** Every live descendant of `rootPid` (children, grandchildren, …). */
export function descendantPids(rootPid: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of allProcesses()) {
    if (entry.state === "Z") continue;
    children.set(entry.ppid, [...(children.get(entry.ppid) ?? []), entry.pid]);
  }
  const found: number[] = [];
  const queue = [...(children.get(rootPid) ?? [])];
  while (queue.length > 0) {
    const pid = queue.shift()!;
    found.push(pid);
    queue.push(...(children.get(pid) ?? []));
  }
  return found;
}

/** The process exists and is not a zombie. */
export function isAlive(pid: number): boolean {
  const entry = readStat(pid);
  return entry !== undefined && entry.state !== "Z";
}

/** The command line of a process ("" once it is gone). */
export function commandLine(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").join(" ").trim();
  } catch {
    return "";
  }
}
