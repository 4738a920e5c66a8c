/**
 * The fork options of `npm run simulate` (sim/cli/simulate.ts) and the forked run's command:
 *   --fork <url|stand-in>  fork this JSON-RPC source (or the network's offline stand-in); also FORK_URL
 *   --block <n>            fork at this block (default: the source's head); also FORK_BLOCK
 *   --chain <network>      with --fork: which network the source is (mainnet, arbitrum)
 *   --sequencer-outage F:T the L2 sequencer goes down at step F and comes back up at step T
 */
import { join, resolve } from "node:path";
import type { Command } from "commander";
import { terminalSummary } from "../report/terminalSummary";
import type { LoadedScenario } from "../scenario/loadScenario";
import { ForkError } from "./forkErrors";
import type { ForkRequest } from "./forkRequest";
import { forkRunSuffix, runForked } from "./runForked";

export function addForkOptions(command: Command): Command {
  return command
    .option("--fork <url|stand-in>", "fork a live network from this JSON-RPC URL (or its offline stand-in); FORK_URL")
    .option("--block <n>", "with --fork: fork at this block (default: the source's head); FORK_BLOCK")
    .option("--sequencer-outage <from:to>", "with --fork on an L2: sequencer down from step FROM, up at step TO");
}

export interface ForkCommandOptions {
  loaded: LoadedScenario;
  overrides: Record<string, number>;
  fork: ForkRequest;
  /** The scenario asks for a sweep (not supported on a fork). */
  sweep: boolean;
  out?: string;
  outputRoot: string;
  progress: boolean;
  html: boolean;
}

/** Runs the scenario on the fork, prints the summary and returns the CLI's exit code (0 when every invariant held). */
export async function runForkCommand(options: ForkCommandOptions): Promise<number> {
  if (options.sweep) throw new ForkError("--sweep runs cells in parallel workers and is not supported with --fork");
  const { loaded, fork } = options;
  const baseName = `${loaded.scenario.name}-${loaded.scenario.seed}-fork-${forkRunSuffix(fork)}`;
  const {
    report,
    stats,
    paths,
    fork: provenance,
  } = await runForked({
    loaded,
    overrides: options.overrides,
    fork,
    outDir: resolve(options.out ?? join(options.outputRoot, baseName)),
    progress: options.progress,
    html: options.html,
  });
  console.log(terminalSummary(report));
  for (const feed of provenance.feeds) {
    const gap = feed.observedMaxUpdateGapSeconds;
    if (gap !== null && gap > Number(feed.heartbeatSeconds)) {
      console.warn(
        `warning: ${feed.symbol}'s last updates before the fork block were up to ${gap} s apart, more than the ` +
          `heartbeat of ${feed.heartbeatSeconds} s in deploy/networks: check the feed's published heartbeat`,
      );
    }
  }
  console.log(
    `\n${stats.steps} steps × ${stats.traders} traders, ${stats.transactions} transactions in ` +
      `${stats.wallSeconds.toFixed(1)} s (setup ${stats.setupSeconds.toFixed(1)} s) on ${report.scenario.chain}`,
  );
  console.log(
    `run log ${paths.runLog}\nreport  ${paths.reportJson}${options.html ? `\nhtml    ${paths.reportHtml}` : ""}`,
  );
  return report.invariants.every((invariant) => invariant.pass) ? 0 : 1;
}
