/**
 * A scenario on a fork: opens the fork (sim/fork/forkSession.ts), runs the local simulator's `runAndReport`
 * on it with the fork environment, and closes every process it started, whatever happened.
 */
import { runAndReport, type RunAndReportResult } from "../engine/runAndReport";
import type { LoadedScenario } from "../scenario/loadScenario";
import type { ForkRequest } from "./forkRequest";
import { ForkSession } from "./forkSession";
import type { ForkProvenance } from "./provenance";

export interface RunForkedOptions {
  loaded: LoadedScenario;
  overrides: Record<string, number>;
  fork: ForkRequest;
  outDir: string;
  progress: boolean;
  html: boolean;
}

export interface RunForkedResult extends RunAndReportResult {
  fork: ForkProvenance;
}

export async function runForked(options: RunForkedOptions): Promise<RunForkedResult> {
  const session = await ForkSession.open(options.fork);
  try {
    const result = await runAndReport({
      loaded: options.loaded,
      overrides: options.overrides,
      chain: session.chain,
      outDir: options.outDir,
      progress: options.progress,
      html: options.html,
      environment: session.environment,
    });
    return { ...result, fork: session.environment.provenance() };
  } finally {
    await session.close();
  }
}

/** The default output folder's suffix: network and block ("mainnet-21000000"). */
export function forkRunSuffix(fork: ForkRequest): string {
  return `${fork.network.name}-${fork.block ?? "head"}`;
}
