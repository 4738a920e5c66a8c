// Canary mode (`npm run fuzz:canary`, FUZZ_MODE=canary): each canary is a property that MUST fail; the table
// shows after how many fuzz steps the fuzzer broke it, proving it reaches liquidations, insurance payouts,
// ADL, socialized losses and the other deep states. Skipped in every other mode.
import { expect } from "chai";

import { CANARIES } from "./canaries";
import { deployFuzzSystem, type FuzzSystem } from "./chain";
import { canaryStepBudget, isCanaryMode, profileFromEnv } from "./config";
import { runSession } from "./harness";

describe("fuzz: canary properties (must fail)", function () {
  this.timeout(0);
  let f: FuzzSystem;

  before(async function () {
    if (!isCanaryMode()) this.skip();
    f = await deployFuzzSystem();
  });

  it("every_canary_is_broken_within_the_step_budget", async function () {
    const profile = profileFromEnv();
    const budget = canaryStepBudget();
    const rows: { name: string; steps?: number; seconds: number; seed?: number; replay?: string }[] = [];
    for (const canary of CANARIES) {
      const started = Date.now();
      const result = await runSession(f, { profile, stepBudget: budget, canary, windDown: false });
      const seconds = (Date.now() - started) / 1000;
      const broke = result.failure?.canaryBrokeAtStep;
      if (result.failure && broke === undefined)
        throw new Error(`canary run failed for another reason:\n${result.failure.message}`);
      rows.push({
        name: canary.name,
        steps: broke,
        seconds,
        seed: result.failure?.seed,
        replay: result.failure ? `FUZZ_CANARY=${canary.name} ${result.failure.replayCommand}` : undefined,
      });
    }
    const lines = ["canary                                         broke after (steps)   seconds   run seed"];
    for (const r of rows) {
      lines.push(
        `${r.name.padEnd(46)} ${r.steps === undefined ? `NOT BROKEN (${budget})` : String(r.steps).padStart(10)}` +
          `${r.seconds.toFixed(1).padStart(12)}   ${r.seed ?? "-"}`,
      );
    }
    console.log(lines.map((l) => `      ${l}`).join("\n"));
    for (const r of rows) if (r.replay) console.log(`      replay ${r.name}: ${r.replay}`);
    const unbroken = rows.filter((r) => r.steps === undefined).map((r) => r.name);
    expect(unbroken, "canaries the fuzzer never broke").to.deep.equal([]);
  });
});
