/**
 * A sweep worker process: receives cells from the parent (sim/sweep/runSweep.ts) over IPC, runs each on its
 * own in-process chain and answers with the cell's result. One cell at a time; exits when told to stop.
 */
import { loadScenario } from "../scenario/loadScenario";
import type { KeeperImplementation } from "../scenario/schema";
import { runAndReport } from "../engine/runAndReport";
import type { ChainSourceSpec } from "../chain/simChain";
import { cellResultOf, type CellResult } from "./cellResult";

export interface WorkerJob {
  type: "run";
  index: number;
  scenarioPath: string;
  overrides: Record<string, number>;
  /** `--keeper`, applied over the scenario file's choice. */
  keeperImplementation?: KeeperImplementation;
  chain: ChainSourceSpec;
  outDir: string;
  html: boolean;
}

export type WorkerMessage = { type: "result"; result: CellResult } | { type: "error"; index: number; message: string };

function reply(message: WorkerMessage): void {
  process.send?.(message);
}

process.on("message", (message: WorkerJob | { type: "stop" }) => {
  if (message.type === "stop") {
    process.exit(0);
  }
  const job = message;
  const loaded = loadScenario(job.scenarioPath);
  if (job.keeperImplementation) loaded.scenario.keeper.implementation = job.keeperImplementation;
  runAndReport({
    loaded,
    overrides: job.overrides,
    chain: job.chain,
    outDir: job.outDir,
    progress: false,
    html: job.html,
  })
    .then(({ report }) => reply({ type: "result", result: cellResultOf(job.index, job.overrides, report, job.outDir) }))
    .catch((error: unknown) =>
      reply({ type: "error", index: job.index, message: error instanceof Error ? error.message : String(error) }),
    );
});
