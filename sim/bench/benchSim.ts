/**
 * `npm run bench:sim -- [--scenario bench-1000x500] [--chains in-process,node] [--set traders=N --set steps=N]`:
 * times a scenario on each chain source and prints a Markdown table (issue 14's speed target: 1,000 traders ×
 * 500 price steps in ≤ 10 minutes on the 2-core machine). CPU is this process's own (user + system); a `node`
 * run's chain works in its child process, so compare wall time there.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Command } from "commander";
import { parseChainOption } from "../cli/simulate";
import { runAndReport } from "../engine/runAndReport";
import { loadScenario } from "../scenario/loadScenario";
import { parseAssignments } from "../scenario/overrides";
import { textTable } from "../report/terminalSummary";

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

async function main(argv: string[]): Promise<void> {
  const options = new Command()
    .option("-s, --scenario <name|file>", "scenario to time", "bench-1000x500")
    .option("--chains <list>", "chain sources to compare (in-process, node, or URLs)", "in-process")
    .option("--set <name=value>", "override (repeatable), e.g. traders=200", collect, [])
    .parse(argv)
    .opts<{ scenario: string; chains: string; set: string[] }>();
  const loaded = loadScenario(options.scenario);
  const overrides = parseAssignments(options.set);
  const rows: string[][] = [];
  for (const source of options.chains.split(",")) {
    const chain = parseChainOption(source.trim());
    const cpuStart = process.cpuUsage();
    const started = Date.now();
    const { stats, report } = await runAndReport({
      loaded,
      overrides,
      chain,
      outDir: mkdtempSync(join(tmpdir(), "bench-sim-")),
      progress: process.stderr.isTTY === true,
      html: false,
    });
    const wall = (Date.now() - started) / 1_000;
    const cpu = process.cpuUsage(cpuStart);
    const phases = Object.entries(stats.phaseSeconds)
      .map(([phase, seconds]) => `${phase} ${seconds.toFixed(0)}`)
      .join(", ");
    rows.push([
      chain.kind,
      String(stats.traders),
      String(stats.steps),
      String(stats.transactions),
      stats.setupSeconds.toFixed(1),
      wall.toFixed(1),
      ((cpu.user + cpu.system) / 1e6).toFixed(1),
      (stats.transactions / wall).toFixed(0),
      (process.resourceUsage().maxRSS / 1_048_576).toFixed(1),
      String(report.summary.liquidations.total),
      report.invariants.every((inv) => inv.pass) ? "pass" : "FAIL",
      phases,
    ]);
    const rpc = Object.entries(stats.rpc)
      .sort(([, a], [, b]) => b.seconds - a.seconds)
      .map(([method, { calls, seconds }]) => [
        method,
        String(calls),
        seconds.toFixed(1),
        ((seconds / calls) * 1_000).toFixed(2),
      ]);
    console.error(
      `\nJSON-RPC on ${chain.kind}:\n${textTable(["method", "calls", "seconds", "ms/call"], rpc, [false, true, true, true])}\n`,
    );
  }
  const headers = [
    "chain",
    "traders",
    "steps",
    "txs",
    "setup s",
    "wall s",
    "CPU s",
    "tx/s",
    "peak RSS GB",
    "liquidations",
    "invariants",
    "step phases (s)",
  ];
  console.log(
    textTable(
      headers,
      rows,
      headers.map((_, i) => i >= 1 && i <= 9),
    ),
  );
}

main(process.argv).catch((error: unknown) => {
  console.error(error);
  process.exit(2);
});
