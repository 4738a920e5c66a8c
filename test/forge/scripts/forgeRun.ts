// Runs forge (the binary @foundry-rs/forge installs) as a managed child: its own process group, streamed output,
// stopped on exit (test/support/processes.ts). Parses what forge reports per invariant test.
import path from "node:path";
import { startChild } from "../../support/processes";

export const REPO_ROOT = path.resolve(__dirname, "..", "..", "..");
const FORGE_BIN = path.join(REPO_ROOT, "node_modules", ".bin", "forge");

export interface ForgeResult {
  exitCode: number | null;
  output: string;
  seconds: number;
}

/** `forge <args>` in the repository root with `env` added; echoes its output when `echo` is set. */
export async function runForge(args: string[], env: Record<string, string>, echo: boolean): Promise<ForgeResult> {
  const started = Date.now();
  const child = startChild("forge", FORGE_BIN, args, { cwd: REPO_ROOT, env: { ...process.env, ...env } });
  if (echo) {
    child.process.stdout?.on("data", (chunk: Buffer) => process.stdout.write(chunk));
    child.process.stderr?.on("data", (chunk: Buffer) => process.stderr.write(chunk));
  }
  const exitCode = await child.exited;
  await child.stop();
  return { exitCode, output: child.output(), seconds: (Date.now() - started) / 1000 };
}

/** One invariant test's line: `[PASS|FAIL…] invariant_x() (runs: R, calls: C, reverts: V)`. */
export interface SuiteOutcome {
  suite: string;
  passed: boolean;
  runs: number;
  calls: number;
  reverts: number;
  /** The failure message forge printed (first line), when failed. */
  failure?: string;
  /** Length of the failing sequence before / after shrinking, when failed. */
  sequence?: { original: number; shrunk: number };
}

// forge strips ANSI colours when its output is not a terminal.
const SUITE_LINE = /^Ran \d+ tests? for [^:]+:(\w+)/;
const RESULT_LINE = /^\[(PASS|FAIL)(?:: (.*))?\] invariant_\w+\(\) \(runs: (\d+), calls: (\d+), reverts: (\d+)\)/;
const FAIL_LINE = /^\[FAIL(?:: (.*))?\]\s*$/;
const COUNTS_LINE = /^\s*invariant_\w+\(\) \(runs: (\d+), calls: (\d+), reverts: (\d+)\)/;
const SEQUENCE_LINE = /\[Sequence\] \(original: (\d+), shrunk: (\d+)\)/;

/** The per-suite outcomes in forge's output (the first report of each suite). */
export function parseOutcomes(output: string): SuiteOutcome[] {
  const outcomes: SuiteOutcome[] = [];
  let suite: string | undefined;
  let pending: SuiteOutcome | undefined;
  for (const line of output.split("\n")) {
    const s = SUITE_LINE.exec(line);
    if (s) {
      suite = s[1];
      continue;
    }
    if (!suite || outcomes.some((o) => o.suite === suite)) continue;
    const r = RESULT_LINE.exec(line);
    if (r) {
      outcomes.push({
        suite,
        passed: r[1] === "PASS",
        failure: r[2],
        runs: Number(r[3]),
        calls: Number(r[4]),
        reverts: Number(r[5]),
      });
      continue;
    }
    const f = FAIL_LINE.exec(line);
    if (f) {
      pending = { suite, passed: false, failure: f[1], runs: 0, calls: 0, reverts: 0 };
      continue;
    }
    const q = SEQUENCE_LINE.exec(line);
    if (q && pending) pending.sequence = { original: Number(q[1]), shrunk: Number(q[2]) };
    const c = COUNTS_LINE.exec(line);
    if (c && pending) {
      pending.runs = Number(c[1]);
      pending.calls = Number(c[2]);
      pending.reverts = Number(c[3]);
      outcomes.push(pending);
      pending = undefined;
    }
  }
  return outcomes;
}
