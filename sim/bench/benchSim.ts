/**
 * `npm run bench:sim -- [--scenario bench-1000x500] [--chains in-process,node] [--keepers keeper,stand-in]
 * [--set traders=N --set steps=N]`: times a scenario on each chain source with each keeper and prints a table (issue 14's speed target: 1,000 traders ×
 * 500 price steps in ≤ 10 minutes on the 2-core machine). CPU is this process's own (user + system); a `node`
 * run's chain works in its child process, so compare wall time there.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Command } from "commander";
import { parseChainOption, parseKeeperOption } from "../cli/simulate";
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
    .option("--keepers <list>", "keepers to compare (keeper, stand-in)", "keeper")
    .option("--set <name=value>", "override (repeatable), e.g. traders=200", collect, [])
    .parse(argv)
    .opts<{ scenario: string; chains: string; keepers: string; set: string[] }>();
  const overrides = parseAssignments(options.set);
  const runs = options.chains
    .split(",")
    .flatMap((source) => options.keepers.split(",").map((keeper) => ({ source, keeper: parseKeeperOption(keeper) })));
  const rows: string[][] = [];
  for (const { source, keeper } of runs) {
    const loaded = loadScenario(options.scenario);
    loaded.scenario.keeper.implementation = keeper;
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
      keeper,
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
      `\nJSON-RPC on ${chain.kind} with ${keeper}:\n${textTable(["method", "calls", "seconds", "ms/call"], rpc, [false, true, true, true])}\n`,
    );
  }
  const headers = [
    "chain",
    "keeper",
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
      headers.map((_, i) => i >= 2 && i <= 10),
    ),
  );
}

main(process.argv).catch((error: unknown) => {
  console.error(error);
  process.exit(2);
});
