/**
 * One scenario run from file to outputs: overrides applied, the simulation run, the report built from the
 * run log and everything written to `outDir`. Used by the CLI and by sweep workers.
 */
import type { ChainSourceSpec, SimChain } from "../chain/simChain";
import { buildReport } from "../report/buildReport";
import type { SimReport } from "../report/reportTypes";
import { writeRunOutputs, type OutputPaths } from "../report/writeOutputs";
import type { LoadedScenario } from "../scenario/loadScenario";
import { applyOverrides } from "../scenario/overrides";
import type { SimEnvironment } from "./environment";
import { runSimulation, type RunStats } from "./runSimulation";

export interface RunAndReportOptions {
  loaded: LoadedScenario;
  overrides: Record<string, number>;
  chain: ChainSourceSpec | SimChain;
  outDir: string;
  progress: boolean;
  html: boolean;
  /** Where the protocol lives (default: the local chain's mocks; sim/fork for a fork). */
  environment?: SimEnvironment;
}

export interface RunAndReportResult {
  report: SimReport;
  stats: RunStats;
  paths: OutputPaths;
}

export async function runAndReport(options: RunAndReportOptions): Promise<RunAndReportResult> {
  const scenario = applyOverrides(options.loaded.scenario, options.overrides);
  const { records, stats } = await runSimulation({
    loaded: options.loaded,
    scenario,
    overrides: options.overrides,
    chain: options.chain,
    progress: options.progress,
    environment: options.environment,
  });
  const report = buildReport(records);
  const paths = writeRunOutputs(options.outDir, records, report, { html: options.html });
  return { report, stats, paths };
}
