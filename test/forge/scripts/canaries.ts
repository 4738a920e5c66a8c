// `npm run fuzz:forge:canaries`: proves every invariant of the forge campaign can fail. Each canary (a planted bug or
// a "never reaches X" claim, test/forge/canaries/) runs the campaign once under the CI profile's budget (one suite,
// the CI seed, no shrinking) with FORGE_CANARY=<name>; the run must fail and its failure must name the canary's
// invariant. Prints one row per canary (calls until it broke, seconds) and exits non-zero if any canary survived,
// failed for another reason, or if this list and test/forge/canaries/CanaryNames.sol disagree.
import fs from "node:fs";
import path from "node:path";
import { profileFromEnv } from "./profiles";
import { parseOutcomes, REPO_ROOT, runForge } from "./forgeRun";

/** Every canary and the invariant (InvariantNames.sol) its failure must name. */
const CANARY_TARGETS: Record<string, string> = {
  // state mutants (Canaries.mutate writes one field of the engine)
  leakToken: "invariant_conservation",
  mintToEngine: "invariant_tokenFlows",
  wrappedBalance: "invariant_noNegativeBalance",
  sizeDrift: "invariant_sizesSumToZero",
  entryDrift: "invariant_zeroSumEquity",
  fundingAggregateDrift: "invariant_fundingZeroSum",
  silentBalanceChange: "invariant_bystandersUntouched",
  staleAdlKey: "invariant_adlOrder",
  insolventVault: "invariant_vaultSolvent",
  // behaviour mutants (one point in a handler)
  drainedFund: "invariant_waterfallExact",
  healthyLiquidated: "invariant_liquidateIffUnhealthy",
  sweepSkipsOne: "invariant_keeperSweepComplete",
  bystanderCharged: "invariant_noBystanderBelowZero",
  marginBookedShort: "invariant_imAfterValueRemoval",
  unannouncedPause: "invariant_liveness",
  absurdSize: "invariant_noUnexpectedRevert",
  // reachability ("the campaign never reaches X")
  reachLiquidation: "canary_reached",
  reachPartialLiquidation: "canary_reached",
  reachBankruptcy: "canary_reached",
  reachInsurancePayout: "canary_reached",
  reachAdl: "canary_reached",
  reachVaultAbsorbs: "canary_reached",
  reachSocializedLoss: "canary_reached",
  reachBreakerTrip: "canary_reached",
  reachVaultProtection: "canary_reached",
  reachOrderExecuted: "canary_reached",
  reachOrderCancelled: "canary_reached",
};

const CANARY_SOURCE = path.join(REPO_ROOT, "test", "forge", "canaries", "CanaryNames.sol");
const DEFAULT_SUITE = "PerpInvariants6DecimalsTest";

interface CanaryResult {
  name: string;
  target: string;
  broke: boolean;
  calls: number;
  seconds: number;
  message: string;
}

/** The canary names CanaryNames.sol declares (`bytes32 internal constant X = "name";`). */
function declaredCanaries(): string[] {
  const source = fs.readFileSync(CANARY_SOURCE, "utf8");
  return [...source.matchAll(/bytes32 internal constant \w+ = "(\w+)";/g)].map((m) => m[1]);
}

async function runCanary(name: string, target: string, suite: string): Promise<CanaryResult> {
  const profile = profileFromEnv("ci");
  const runName = `canary-${name}`;
  // Each canary must break afresh: a sequence saved by an earlier run would be replayed first.
  fs.rmSync(path.join(REPO_ROOT, "forge-cache", "invariant", runName), { recursive: true, force: true });
  const args = ["test", "--match-path", "test/forge/PerpInvariants.t.sol", "--match-contract", `^${suite}$`];
  if (profile.seed) args.push("--fuzz-seed", profile.seed);
  const result = await runForge(
    args,
    {
      FORGE_CANARY: name,
      FOUNDRY_INVARIANT_RUNS: String(profile.runs),
      FOUNDRY_INVARIANT_DEPTH: String(profile.depth),
      FOUNDRY_INVARIANT_CHECK_INTERVAL: String(profile.checkInterval),
      // Only the failure matters here, not its shortest form.
      FOUNDRY_INVARIANT_SHRINK_RUN_LIMIT: "0",
      FOUNDRY_INVARIANT_SHOW_METRICS: "false",
      FOUNDRY_INVARIANT_FAILURE_PERSIST_DIR: path.join("forge-cache", "invariant", runName),
    },
    false,
  );
  const outcome = parseOutcomes(result.output).find((o) => o.suite === suite);
  const message = outcome?.failure ?? (outcome ? "" : `no result from forge (exit ${result.exitCode})`);
  const broke = outcome !== undefined && !outcome.passed && message.startsWith(`${target}:`);
  // forge counts the calls of completed runs; the failing run's calls are its sequence.
  const calls = (outcome?.calls ?? 0) + (outcome?.sequence?.original ?? 0);
  return { name, target, broke, calls, seconds: result.seconds, message };
}

async function main(): Promise<number> {
  const declared = declaredCanaries().sort();
  const listed = Object.keys(CANARY_TARGETS).sort();
  if (declared.join() !== listed.join()) {
    console.error(
      `canaries.ts and CanaryNames.sol disagree:\n  declared ${declared.join(", ")}\n  listed   ${listed.join(", ")}`,
    );
    return 1;
  }
  const only = process.argv.slice(2);
  const names = only.length > 0 ? only : listed;
  for (const name of names) {
    if (!(name in CANARY_TARGETS)) throw new Error(`unknown canary "${name}" (${listed.join(", ")})`);
  }
  const suite = process.env.FORGE_SUITE || DEFAULT_SUITE;
  const profile = profileFromEnv("ci");
  console.log(
    `forge canaries: ${names.length} canaries, each one run of ${suite} within the CI budget ` +
      `(${profile.runs} runs × ${profile.depth} calls, invariants every ${profile.checkInterval} call(s), seed ${profile.seed})`,
  );
  const build = await runForge(["build"], {}, true);
  if (build.exitCode !== 0) return build.exitCode ?? 1;

  const results: CanaryResult[] = [];
  for (const name of names) {
    const r = await runCanary(name, CANARY_TARGETS[name], suite);
    results.push(r);
    console.log(
      `${r.broke ? "broke   " : "SURVIVED"} ${name} (${r.calls} calls, ${r.seconds.toFixed(1)} s): ${r.message}`,
    );
  }

  console.log("\n| canary | invariant it must break | result | calls until it broke | seconds |");
  console.log("| --- | --- | --- | ---: | ---: |");
  for (const r of results) {
    const result = r.broke ? "broke" : "**survived**";
    console.log(
      `| ${r.name} | ${r.target} | ${result} | ${r.calls.toLocaleString("en-US")} | ${r.seconds.toFixed(1)} |`,
    );
  }
  const survivors = results.filter((r) => !r.broke);
  const total = results.reduce((s, r) => s + r.seconds, 0);
  console.log(
    `\n${results.length - survivors.length}/${results.length} canaries broke their invariant in ${total.toFixed(0)} s`,
  );
  if (survivors.length > 0) {
    console.log(`FAILED: ${survivors.map((r) => `${r.name} (${r.message || "passed"})`).join("; ")}`);
    return 1;
  }
  return 0;
}

if (require.main === module) {
  main().then(
    (code) => process.exit(code),
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
}
