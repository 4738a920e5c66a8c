// The old waterfall rule must break the bystander invariant (`npm run fuzz:old-rule`, FUZZ_WATERFALL=old):
// against contracts compiled with the old rule (test/fuzz/oldRule.ts) and a model applying the same rule
// (model/oldWaterfall.ts), the fuzz session — issue 10's scenario first, then random commands — must fail on
// invariant_noBystanderPushedBelowZeroWhileTheVaultCovers and on nothing else (in particular the model still
// equals the chain). Skipped in every other mode.
import { expect } from "chai";

import { deployFuzzSystem, type FuzzSystem } from "./chain";
import { oldWaterfall, profileFromEnv } from "./config";
import { runSession } from "./harness";
import type { CmdSpec } from "./commands";

/** Issue 10's reproduction on each market and side, then the random mix. */
const OLD_RULE_EXAMPLES: CmdSpec[][] = [
  [
    { type: "thinSideAfterGap", market: 0, bankruptLong: true, gapBps: 1_000, pick: 0 },
    { type: "thinSideAfterGap", market: 1, bankruptLong: false, gapBps: 1_000, pick: 1 },
  ],
];

describe("fuzz: the old waterfall rule breaks the bystander invariant (must fail)", function () {
  this.timeout(0);
  let f: FuzzSystem;

  before(async function () {
    if (!oldWaterfall()) this.skip();
    f = await deployFuzzSystem();
  });

  it("old_rule_pushes_a_bystander_below_zero_while_the_vault_has_equity", async function () {
    const profile = profileFromEnv();
    const started = Date.now();
    const result = await runSession(f, {
      profile,
      stepBudget: profile.steps,
      // FUZZ_OLD_RULE_EXAMPLES=0: random commands only (the scenario is also in the random mix).
      examples: process.env.FUZZ_OLD_RULE_EXAMPLES === "0" ? [] : OLD_RULE_EXAMPLES,
      windDown: true,
    });
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    const message = result.failure?.message ?? "";
    console.log(`      ${result.stats.summaryLine("old-rule")}`);
    expect(result.failure, "the old rule must break the invariant").to.not.equal(undefined);
    const first = message.split("\n").find((l) => l.includes("invariant_") || l.includes("model")) ?? message;
    console.log(`      broke after ${result.stats.steps} steps (${seconds} s): ${first.trim()}`);
    console.log(`      replay in the old-rule copy: ${result.failure!.replayCommand}`);
    expect(message, "the failure is the bystander invariant").to.include(
      "invariant_noBystanderPushedBelowZeroWhileTheVaultCovers",
    );
    expect(message, "the model still equals the chain under the old rule").to.not.include("model≠chain");
    expect(message, "the model still predicts every transaction").to.not.include("model predicted");
  });
});
