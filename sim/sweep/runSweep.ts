/**
 * Sweep mode: every cell of the parameter grid is a full simulation run in a worker process (one per core
 * by default, each with its own in-process chain); the parent hands out cells, collects their results and
 * writes the sweep table and heat maps.
 */
import { fork, type ChildProcess } from "node:child_process";
import { cpus } from "node:os";
import { extname, join } from "node:path";
import { SingleBar, Presets } from "cli-progress";
import { SimError } from "../errors";
import type { ChainSourceSpec } from "../chain/simChain";
import type { LoadedScenario } from "../scenario/loadScenario";
import type { KeeperImplementation } from "../scenario/schema";
import { applyOverrides } from "../scenario/overrides";
import type { CellResult } from "./cellResult";
import { sweepCells, type SweepAxes, type SweepCell } from "./sweepPlan";
import type { WorkerJob, WorkerMessage } from "./sweepWorker";

export interface SweepOptions {
  loaded: LoadedScenario;
  axes: SweepAxes;
  chain: ChainSourceSpec;
  outDir: string;
  /** Overrides the scenario's keeper in every cell (`--keeper`). */
  keeperImplementation?: KeeperImplementation;
  workers?: number;
  progress: boolean;
  html: boolean;
}

export interface SweepResult {
  scenario: string;
  seed: string;
  axes: SweepAxes;
  cells: CellResult[];
}

function startWorker(): ChildProcess {
  const isTypeScript = extname(__filename) === ".ts";
  const worker = join(__dirname, `sweepWorker${isTypeScript ? ".ts" : ".js"}`);
  return fork(worker, [], {
    execArgv: isTypeScript ? ["-r", "ts-node/register/transpile-only"] : [],
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
}

export async function runSweep(options: SweepOptions): Promise<SweepResult> {
  const cells = sweepCells(options.axes);
  // Validate every cell before starting anything: a bad combination fails at once, not after an hour.
  for (const cell of cells) applyOverrides(options.loaded.scenario, cell.overrides);
  const workerCount = Math.max(1, Math.min(options.workers ?? cpus().length, cells.length));
  const queue: SweepCell[] = [...cells];
  const results: CellResult[] = [];
  const workers: ChildProcess[] = [];
  const bar = options.progress
    ? new SingleBar(
        { format: " sweep {bar} {value}/{total} cells | {duration_formatted}", stream: process.stderr },
        Presets.shades_classic,
      )
    : undefined;
  bar?.start(cells.length, 0);
  try {
    await new Promise<void>((resolve, reject) => {
      let running = 0;
      const next = (worker: ChildProcess) => {
        const cell = queue.shift();
        if (!cell) {
          if (running === 0) resolve();
          return;
        }
        running++;
        const job: WorkerJob = {
          type: "run",
          index: cell.index,
          scenarioPath: options.loaded.sourcePath,
          overrides: cell.overrides,
          keeperImplementation: options.keeperImplementation,
          chain: options.chain,
          outDir: join(options.outDir, cell.id),
          html: options.html,
        };
        worker.send(job);
      };
      for (let i = 0; i < workerCount; i++) {
        const worker = startWorker();
        workers.push(worker);
        worker.on("message", (message: WorkerMessage) => {
          running--;
          if (message.type === "error") {
            reject(new SimError(`sweep cell ${message.index} failed: ${message.message}`));
            return;
          }
          results.push(message.result);
          bar?.increment();
          if (queue.length === 0 && running === 0) resolve();
          else next(worker);
        });
        worker.on("exit", (code) => {
          if (code !== 0 && code !== null) reject(new SimError(`a sweep worker exited with code ${code}`));
        });
        next(worker);
      }
    });
  } finally {
    bar?.stop();
    for (const worker of workers) {
      if (worker.connected) worker.send({ type: "stop" });
      worker.kill("SIGTERM");
    }
  }
  results.sort((a, b) => a.index - b.index);
  return {
    scenario: options.loaded.scenario.name,
    seed: String(options.loaded.scenario.seed),
    axes: options.axes,
    cells: results,
  };
}
