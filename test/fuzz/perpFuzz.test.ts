// Stateful, model-based fuzzing of the whole protocol (DESIGN §12): random command sequences from 20 traders,
// 2 LPs, 2 keepers and the admin against the real contracts, every step predicted by the bigint model and
// followed by every invariant. Profiles: `npm test` (ci), `npm run fuzz:long`, `npm run fuzz:replay`
// (FUZZ_SEED + FUZZ_PATH of a printed failure). See test/fuzz/config.ts for the knobs.
import { expect } from "chai";

import { deployFuzzSystem, type FuzzSystem } from "./chain";
import { isCanaryMode, profileFromEnv, replayPathFromEnv } from "./config";
import { COUNTEREXAMPLES, PROTOCOL_BUG_COUNTEREXAMPLES } from "./counterexamples";
import { CANARIES } from "./canaries";
import { runSession } from "./harness";
import { TIMING } from "./runner";

describe("fuzz: stateful model-based invariants (DESIGN §12)", function () {
  this.timeout(0);
  let f: FuzzSystem;

  before(async function () {
    if (isCanaryMode()) this.skip();
    f = await deployFuzzSystem();
  });

  it("invariants_hold_over_random_command_sequences_and_every_run_winds_down", async function () {
    const profile = profileFromEnv();
    const path = replayPathFromEnv();
    // FUZZ_CANARY=<name> activates one canary (to replay a canary break printed by `npm run fuzz:canary`).
    const canary = CANARIES.find((c) => c.name === process.env.FUZZ_CANARY);
    if (process.env.FUZZ_CANARY && !canary) throw new Error(`unknown FUZZ_CANARY ${process.env.FUZZ_CANARY}`);
    const result = await runSession(f, {
      profile,
      stepBudget: profile.steps,
      canary,
      replay: path
        ? {
            seed: profile.seed,
            path,
            withExamples: process.env.FUZZ_WITH_EXAMPLES === "1",
            commandsReplayPath: process.env.FUZZ_REPLAY_PATH || undefined,
          }
        : undefined,
      examples:
        process.env.FUZZ_KNOWN_BUGS === "1" ? [...PROTOCOL_BUG_COUNTEREXAMPLES, ...COUNTEREXAMPLES] : COUNTEREXAMPLES,
      windDown: true,
    });
    console.log(`      ${result.stats.summaryLine(path ? "replay" : profile.name)}; base seed ${profile.seed}`);
    console.log(
      result.stats
        .commandTable()
        .split("\n")
        .map((l) => `      ${l}`)
        .join("\n"),
    );
    if (process.env.FUZZ_TIMING === "1") console.log(TIMING);
    if (result.failure) {
      console.log(`\n      FAILED — replay with:\n        ${result.failure.replayCommand}\n`);
      throw new Error(`${result.failure.message}\n\nreplay: ${result.failure.replayCommand}`);
    }
    if (!path) expect(result.stats.steps).to.be.gte(profile.steps);
  });
});
