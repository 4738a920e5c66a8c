// The fuzz session: `fc.commands` + `fc.asyncModelRun` over the deployed system, one run per fast-check
// check (seed = base seed + run index) until the step budget is spent, each run starting from the base
// snapshot (evm_revert) and ending with the end-of-run liveness wind-down. A failure is shrunk (bounded by
// FUZZ_SHRINK_SECONDS) and printed with the exact replay command.
import fc from "fast-check";

import { latestTimestamp, readFeedRounds, readLens, resetToBase, type FuzzSystem } from "./chain";
import { MAX_HISTORY_ROUNDS, type FeedRound } from "../../sdk/math/oracleAdapter";
import { commandArbitrary, commandsFromSpecs, initialAnswers, type CmdSpec } from "./commands";
import { shrinkSeconds, type FuzzProfile } from "./config";
import { StepFailure } from "./invariants";
import { cloneState, initialModel, modelConfigOf, type ModelState } from "./model/state";
import { CanaryBroken, type ActiveCanary, type ModelBox, type RunContext } from "./runner";
import { FuzzStats } from "./stats";
import { windDown } from "./windDown";

type Cmds = Iterable<fc.AsyncCommand<ModelBox, RunContext, false>>;

export interface SessionOptions {
  profile: FuzzProfile;
  /** Steps to execute (runs continue until this many). */
  stepBudget: number;
  canary?: ActiveCanary;
  /**
   * Replay one counterexample: the run's seed, fast-check path and, for a shrunk one, the commands'
   * `replayPath` (which commands had run: fast-check needs it to rebuild the shrink tree).
   */
  replay?: { seed: number; path: string; withExamples: boolean; commandsReplayPath?: string };
  /** Known past counterexamples, run first (fast-check `examples`). */
  examples?: CmdSpec[][];
  windDown: boolean;
}

export interface SessionFailure {
  seed: number;
  path: string;
  /** Whether the failing run was one of the examples (replay with FUZZ_WITH_EXAMPLES=1). */
  inExamples: boolean;
  message: string;
  replayCommand: string;
  canaryBrokeAtStep?: number;
}

export interface SessionResult {
  stats: FuzzStats;
  failure?: SessionFailure;
}

async function readFeeds(f: FuzzSystem): Promise<FeedRound[][]> {
  const out: FeedRound[][] = [];
  for (const m of f.markets) out.push(await readFeedRounds(m.feed, Number(MAX_HISTORY_ROUNDS) + 1));
  return out;
}

/** Builds the base model once (the only read of the chain that is not a check) and runs the session. */
export async function runSession(f: FuzzSystem, opts: SessionOptions): Promise<SessionResult> {
  const cfg = modelConfigOf(f);
  await resetToBase(f);
  const snap = await readLens(f);
  if (snap.timestamp !== (await latestTimestamp())) throw new Error("lens timestamp mismatch");
  const feeds = await readFeeds(f);
  feeds.forEach((rounds, i) => (initialAnswers[i] = rounds[rounds.length - 1].answer));
  const baseModel: ModelState = initialModel(cfg, snap, feeds);
  const stats = new FuzzStats();
  let shrinkDeadline: number | undefined;
  const shrinkMs = shrinkSeconds() * 1000;

  const property = fc.asyncProperty(
    fc.commands([commandArbitrary()], {
      maxCommands: opts.profile.maxCommands,
      size: "max",
      replayPath: opts.replay?.commandsReplayPath,
    }),
    async (cmds) => {
      // Past the shrink budget every candidate "passes": fast-check keeps the smallest failure found so far.
      if (shrinkDeadline !== undefined && Date.now() > shrinkDeadline) return;
      const rc: RunContext = {
        f,
        cfg,
        stats,
        canary: opts.canary,
        trace: [],
        stepInRun: 0,
        windingDown: false,
        baseEngineTokens: baseModel.engineTokens,
      };
      let box: ModelBox = { s: baseModel };
      try {
        await fc.asyncModelRun(async () => {
          await resetToBase(f);
          box = { s: cloneState(baseModel) };
          return { model: box, real: rc };
        }, cmds);
        if (opts.windDown) await windDown(rc, box);
        stats.runs++;
      } catch (e) {
        if (shrinkDeadline === undefined) shrinkDeadline = Date.now() + shrinkMs;
        if (e instanceof StepFailure) {
          e.message += `\n  last steps of the run:\n    ${rc.trace.join("\n    ")}`;
        }
        throw e;
      }
    },
  );

  const endOnFailure = opts.canary !== undefined || shrinkMs === 0;
  const report = (details: fc.RunDetails<[Cmds]>, inExamples: boolean): SessionFailure => {
    const path = details.counterexamplePath ?? "";
    const err = details.errorInstance;
    // The commands' own replay metadata, printed by fast-check as `/*replayPath="…"*/`.
    const printed = String(details.counterexample?.[0] ?? "");
    const meta = /\/\*replayPath=("[^"]*")\*\/$/.exec(printed);
    const commandsReplayPath = meta ? (JSON.parse(meta[1]) as string) : "";
    const replayCommand =
      (process.env.FUZZ_STRICT_SOLVENCY === "0" ? "FUZZ_STRICT_SOLVENCY=0 " : "") +
      `FUZZ_SEED=${details.seed} FUZZ_PATH=${path}` +
      (path.includes(":") && commandsReplayPath !== "" ? ` FUZZ_REPLAY_PATH='${commandsReplayPath}'` : "") +
      ` FUZZ_PROFILE=${opts.profile.name}` +
      (opts.profile.maxCommands !== defaultMaxCommands(opts.profile)
        ? ` FUZZ_MAX_COMMANDS=${opts.profile.maxCommands}`
        : "") +
      (inExamples ? " FUZZ_WITH_EXAMPLES=1" : "") +
      (inExamples && process.env.FUZZ_KNOWN_BUGS === "1" ? " FUZZ_KNOWN_BUGS=1" : "") +
      " npm run fuzz:replay";
    return {
      seed: details.seed,
      path,
      inExamples,
      message:
        `${err instanceof Error ? err.message : String(err)}\n\n` +
        `seed ${details.seed}, path ${path}, shrunk ${details.numShrinks} time(s); counterexample (the commands that ` +
        `ran, as specs):\n[${printed.replace(/ \/\*replayPath=.*$/, "").replace(/\},\{"type"/g, '},\n {"type"')}]`,
      replayCommand,
      canaryBrokeAtStep: err instanceof CanaryBroken ? err.atStep : undefined,
    };
  };
  const params = (extra: Partial<fc.Parameters<[Cmds]>>): fc.Parameters<[Cmds]> => ({
    endOnFailure,
    ...extra,
  });

  const examples = (opts.examples ?? []).map((specs) => [commandsFromSpecs(specs) as Cmds] as [Cmds]);
  if (opts.replay) {
    const details = await fc.check(
      property,
      params({
        seed: opts.replay.seed,
        path: opts.replay.path,
        endOnFailure: true,
        examples: opts.replay.withExamples ? examples : [],
      }),
    );
    return { stats, failure: details.failed ? report(details, opts.replay.withExamples) : undefined };
  }
  if (examples.length > 0) {
    const details = await fc.check(property, params({ seed: opts.profile.seed, numRuns: examples.length, examples }));
    if (details.failed) return { stats, failure: report(details, true) };
  }
  for (let k = 0; stats.steps < opts.stepBudget && k < opts.profile.maxRuns; k++) {
    const seed = (opts.profile.seed + k) | 0;
    const details = await fc.check(property, params({ seed, numRuns: 1 }));
    if (details.failed) return { stats, failure: report(details, false) };
  }
  return { stats };
}

function defaultMaxCommands(profile: FuzzProfile): number {
  return { ci: 400, long: 600, smoke: 200 }[profile.name];
}
