/**
 * `npm run simulate -- --scenario <name|file> [options]`: the agent-based stress simulator (issue 14).
 * Also `--sweep name=v1,v2 …` (a grid of runs in worker processes), `--rebuild <run.jsonl>` (reports from a
 * run log, no chain) and `--list` (shipped scenarios). With `--fork <url> --chain <network>` the same run happens
 * on a fork of a live network (sim/fork). Exit code: 0 when every invariant passed, 1 when one failed, 2 on bad
 * input or a run that could not complete.
 */
import { writeFileSync, mkdirSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { Command } from "commander";
import { SimError } from "../errors";
import type { ChainSourceSpec } from "../chain/simChain";
import { buildReport } from "../report/buildReport";
import { readRunLog } from "../report/runLog";
import { terminalSummary } from "../report/terminalSummary";
import { writeReports } from "../report/writeOutputs";
import { loadScenario, shippedScenarioNames } from "../scenario/loadScenario";
import { parseAssignments, SWEEP_PARAMETER_DOCS } from "../scenario/overrides";
import { KEEPER_IMPLEMENTATIONS, type KeeperImplementation } from "../scenario/schema";
import { runAndReport } from "../engine/runAndReport";
import { parseSweepAxes, type SweepAxes } from "../sweep/sweepPlan";
import { runSweep } from "../sweep/runSweep";
import { sweepHtml, sweepTable } from "../sweep/sweepReport";
import { addForkOptions, runForkCommand } from "../fork/forkCli";
import { forkRequestFrom } from "../fork/forkRequest";

const EXIT_INVARIANT_FAILED = 1;
const EXIT_BAD_INPUT = 2;
const DEFAULT_OUTPUT_ROOT = join(__dirname, "..", "..", "sim-output");

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/** `in-process` (default), `node` (spawns a hardhat node), `anvil` (spawns an anvil) or an http(s) JSON-RPC URL. */
export function parseChainOption(value: string): ChainSourceSpec {
  if (value === "in-process" || value === "node" || value === "anvil") return { kind: value };
  if (/^https?:\/\//.test(value)) return { kind: "url", url: value };
  throw new SimError(`--chain must be in-process, node, anvil or an http(s) URL, got "${value}"`);
}

interface CliOptions {
  scenario?: string;
  chain?: string;
  out?: string;
  set: string[];
  sweep: string[];
  workers?: string;
  progress: boolean;
  html: boolean;
  rebuild?: string;
  list?: boolean;
  fork?: string;
  block?: string;
  sequencerOutage?: string;
  keeper?: string;
}

/** `--keeper`: which keeper drives the run (overrides the scenario's `keeper.implementation`). */
export function parseKeeperOption(value: string): KeeperImplementation {
  const known: readonly string[] = KEEPER_IMPLEMENTATIONS;
  if (known.includes(value)) return value as KeeperImplementation;
  throw new SimError(`--keeper must be ${KEEPER_IMPLEMENTATIONS.join(" or ")}, got "${value}"`);
}

async function main(argv: string[]): Promise<number> {
  const program = new Command()
    .name("simulate")
    .description("Agent-based stress simulation of the protocol on a local chain (issue 14).")
    .option(
      "-s, --scenario <name|file>",
      `a shipped scenario (${shippedScenarioNames().join(", ")}) or a YAML/JSON file`,
    )
    .option("--chain <source>", "in-process (default) | node | anvil | <JSON-RPC URL>; with --fork: the network")
    .option("-o, --out <dir>", "output folder (default sim-output/<scenario>-<seed>)")
    .option(
      "--set <name=value>",
      `override a parameter (repeatable): ${Object.keys(SWEEP_PARAMETER_DOCS).join(", ")}`,
      collect,
      [],
    )
    .option("--sweep <name=v1,v2,...>", "sweep a parameter over values (repeatable, 1–3 axes)", collect, [])
    .option("--workers <n>", "sweep worker processes (default: one per core)")
    .option("--no-progress", "no progress bar")
    .option("--no-html", "skip the HTML report")
    .option("--rebuild <run.jsonl>", "rebuild report.json/report.html from a run log without a chain")
    .option("--list", "list the shipped scenarios and the sweepable parameters")
    .option("--keeper <keeper|stand-in>", "the project's keeper (default) or the simulator's stand-in keeper")
    .exitOverride();
  addForkOptions(program);
  program.parse(argv);
  const options = program.opts<CliOptions>();

  if (options.list) {
    for (const name of shippedScenarioNames()) {
      const { scenario } = loadScenario(name);
      console.log(`${name.padEnd(24)} ${scenario.description}`);
    }
    console.log("\nparameters for --set / --sweep:");
    for (const [name, doc] of Object.entries(SWEEP_PARAMETER_DOCS)) console.log(`  ${name.padEnd(24)} ${doc}`);
    return 0;
  }

  if (options.rebuild) {
    const report = buildReport(readRunLog(resolve(options.rebuild)));
    const outDir = options.out ? resolve(options.out) : dirname(resolve(options.rebuild));
    const paths = writeReports(outDir, report, { html: options.html });
    console.log(terminalSummary(report));
    console.log(`\nreport rebuilt from the run log: ${paths.reportJson}${options.html ? `, ${paths.reportHtml}` : ""}`);
    return report.invariants.every((inv) => inv.pass) ? 0 : EXIT_INVARIANT_FAILED;
  }

  if (!options.scenario) throw new SimError("--scenario <name|file> is required (or --list, --rebuild)");
  const loaded = loadScenario(options.scenario);
  const keeperImplementation = options.keeper ? parseKeeperOption(options.keeper) : undefined;
  if (keeperImplementation) loaded.scenario.keeper.implementation = keeperImplementation;
  const overrides = parseAssignments(options.set);
  const fork = forkRequestFrom(options, process.env);
  if (fork) {
    return runForkCommand({
      loaded,
      overrides,
      fork,
      sweep: options.sweep.length > 0 || loaded.scenario.sweep !== undefined,
      out: options.out,
      outputRoot: DEFAULT_OUTPUT_ROOT,
      progress: options.progress && process.stderr.isTTY === true,
      html: options.html,
    });
  }
  const chain = parseChainOption(options.chain ?? "in-process");
  const baseName = `${loaded.scenario.name}-${loaded.scenario.seed}`;

  const sweepArgs = options.sweep;
  const axes: SweepAxes | undefined = sweepArgs.length
    ? parseSweepAxes(sweepArgs)
    : loaded.scenario.sweep?.axes
      ? (loaded.scenario.sweep.axes as SweepAxes)
      : undefined;
  if (axes) {
    if (Object.keys(overrides).length) throw new SimError("--set and --sweep cannot be combined");
    const outDir = resolve(options.out ?? join(DEFAULT_OUTPUT_ROOT, `${baseName}-sweep`));
    const started = Date.now();
    const result = await runSweep({
      loaded,
      axes,
      chain,
      outDir,
      keeperImplementation,
      workers: options.workers ? Number(options.workers) : undefined,
      progress: options.progress,
      html: options.html,
    });
    mkdirSync(outDir, { recursive: true });
    writeFileSync(join(outDir, "sweep.json"), JSON.stringify(result, null, 2) + "\n");
    writeFileSync(join(outDir, "sweep.html"), sweepHtml(result));
    console.log(sweepTable(result));
    console.log(
      `\n${result.cells.length} cells in ${((Date.now() - started) / 1_000).toFixed(1)} s → ${join(outDir, "sweep.html")}`,
    );
    return result.cells.every((cell) => cell.failedInvariants.length === 0) ? 0 : EXIT_INVARIANT_FAILED;
  }

  const outDir = resolve(options.out ?? join(DEFAULT_OUTPUT_ROOT, baseName));
  const { report, stats, paths } = await runAndReport({
    loaded,
    overrides,
    chain,
    outDir,
    progress: options.progress && process.stderr.isTTY === true,
    html: options.html,
  });
  console.log(terminalSummary(report));
  console.log(
    `\n${stats.steps} steps × ${stats.traders} traders, ${stats.transactions} transactions in ${stats.wallSeconds.toFixed(1)} s ` +
      `(setup ${stats.setupSeconds.toFixed(1)} s) on ${chain.kind}`,
  );
  console.log(
    "step phases: " +
      Object.entries(stats.phaseSeconds)
        .map(([phase, seconds]) => `${phase} ${seconds.toFixed(1)} s`)
        .join(", "),
  );
  console.log(
    `run log ${paths.runLog}\nreport  ${paths.reportJson}${options.html ? `\nhtml    ${paths.reportHtml}` : ""}`,
  );
  return report.invariants.every((inv) => inv.pass) ? 0 : EXIT_INVARIANT_FAILED;
}

if (require.main === module) {
  main(process.argv)
    .then((code) => process.exit(code))
    .catch((error: unknown) => {
      const name = (error as { code?: string }).code;
      if (name === "commander.helpDisplayed" || name === "commander.version") process.exit(0);
      console.error(error instanceof SimError ? `error: ${error.message}` : error);
      process.exit(EXIT_BAD_INPUT);
    });
}

export { main };
