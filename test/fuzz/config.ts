// Profiles and environment switches of the stateful fuzz suite (test/fuzz). Every knob is an env variable so
// that CI, the long profile, canaries and replays run the same code:
//
//   FUZZ_PROFILE   ci (default, `npm test`) | long (`npm run fuzz:long`) | smoke (a quick local check)
//   FUZZ_STEPS     total command steps to execute (default: 6,000 for ci, 100,000 for long)
//   FUZZ_MAX_COMMANDS  maximum commands per run (a run = one command sequence from the deployed snapshot)
//   FUZZ_SEED      base seed (default: fixed per profile, so CI is deterministic; "random" picks one)
//   FUZZ_PATH      fast-check counterexample path: with FUZZ_SEED, replays exactly one failing run
//   FUZZ_REPLAY_PATH  fc.commands replayPath of a shrunk counterexample (printed with the replay command)
//   FUZZ_MODE      normal (default) | canary (`npm run fuzz:canary`: the canary properties that must fail)
//   FUZZ_CANARY_STEPS  step budget per canary (default 30,000)
//   FUZZ_SHRINK_SECONDS  time allowed for shrinking after the first failure (default 180; 0 = no shrinking)
//   FUZZ_VERBOSE   1: print every command and its outcome; 2: also every tracked event
//   FUZZ_TIMING    1: print where the time went (lens, transactions, liveness probes, checks)
//   FUZZ_CANARY    name of a canary to activate in perpFuzz (replays a canary break)
//   FUZZ_WITH_EXAMPLES  1: the replayed path indexes the examples (a failure printed from an example run)
//   FUZZ_STRICT_SOLVENCY 0: do not assert invariant_vaultSolvent (vault equity ≥ 0 after every step; on by
//                  default since both solvency bugs the suite found are fixed) — only to explore past a failure
//   FUZZ_KNOWN_BUGS 1: run the counterexamples of open protocol bugs first (they fail until fixed)
//   FUZZ_WATERFALL old: the model applies the OLD waterfall rule (no vault absorption; socialized over the side
//                  including the vault) — only for `npm run fuzz:old-rule`, which runs it against contracts
//                  compiled with that rule and expects the bystander invariant to break

export type FuzzProfileName = "ci" | "long" | "smoke";

export interface FuzzProfile {
  name: FuzzProfileName;
  /** Total steps (executed commands) to reach; runs continue until this many steps have executed. */
  steps: number;
  /** fast-check `maxCommands` of one run. */
  maxCommands: number;
  /** Upper bound on runs (fast-check `numRuns`); the step budget normally ends the property first. */
  maxRuns: number;
  seed: number;
}

const DEFAULT_SEEDS: Record<FuzzProfileName, number> = { ci: 20251121, long: 424242, smoke: 7 };

function intEnv(name: string): number | undefined {
  const raw = process.env[name];
  if (raw === undefined || raw === "") return undefined;
  const value = Number(raw);
  if (!Number.isInteger(value)) throw new Error(`${name} must be an integer, got "${raw}"`);
  return value;
}

export function profileFromEnv(): FuzzProfile {
  const name = (process.env.FUZZ_PROFILE ?? "ci") as FuzzProfileName;
  if (!["ci", "long", "smoke"].includes(name)) throw new Error(`unknown FUZZ_PROFILE "${name}"`);
  const defaults: Record<FuzzProfileName, { steps: number; maxCommands: number }> = {
    ci: { steps: 6_000, maxCommands: 400 },
    long: { steps: 100_000, maxCommands: 600 },
    smoke: { steps: 400, maxCommands: 200 },
  };
  const steps = intEnv("FUZZ_STEPS") ?? defaults[name].steps;
  const maxCommands = intEnv("FUZZ_MAX_COMMANDS") ?? defaults[name].maxCommands;
  const seedRaw = process.env.FUZZ_SEED;
  const seed =
    seedRaw === "random"
      ? Math.floor(Math.random() * 0x7fffffff)
      : seedRaw !== undefined && seedRaw !== ""
        ? Number(seedRaw)
        : DEFAULT_SEEDS[name];
  if (!Number.isInteger(seed)) throw new Error(`FUZZ_SEED must be an integer or "random", got "${seedRaw}"`);
  return { name, steps, maxCommands, maxRuns: 100_000, seed };
}

/** The fast-check path of a counterexample to replay (with FUZZ_SEED), or undefined. */
export function replayPathFromEnv(): string | undefined {
  const path = process.env.FUZZ_PATH;
  return path === undefined || path === "" ? undefined : path;
}

export function isCanaryMode(): boolean {
  return process.env.FUZZ_MODE === "canary";
}

export function canaryStepBudget(): number {
  return intEnv("FUZZ_CANARY_STEPS") ?? 30_000;
}

export function shrinkSeconds(): number {
  return intEnv("FUZZ_SHRINK_SECONDS") ?? 180;
}

/** FUZZ_VERBOSE=1 prints every step and its outcome; 2 also prints the tracked events. */
export function verbose(): boolean {
  return process.env.FUZZ_VERBOSE === "1" || process.env.FUZZ_VERBOSE === "2";
}

export function strictSolvency(): boolean {
  return process.env.FUZZ_STRICT_SOLVENCY !== "0";
}

/** FUZZ_WATERFALL=old: the old waterfall rule in the model (see model/oldWaterfall.ts). */
export function oldWaterfall(): boolean {
  const value = process.env.FUZZ_WATERFALL;
  if (value !== undefined && value !== "" && value !== "old" && value !== "current") {
    throw new Error(`FUZZ_WATERFALL must be "old" or "current", got "${value}"`);
  }
  return value === "old";
}
