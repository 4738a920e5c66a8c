// `npm run fuzz:forge` (CI profile, part of `npm test`) and `npm run fuzz:forge:long`: builds with forge, runs both
// suites of test/forge/PerpInvariants.t.sol under the profile (test/forge/scripts/profiles.ts), prints forge's
// report, then the campaign's figures: calls, calls/s, reverts by reason per action, events reached. Exits non-zero
// when forge does (an invariant broke: the failing sequence is printed above, as Solidity too, and saved for replay).
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { profileFromEnv, SUITES, type ProfileName } from "./profiles";
import { parseOutcomes, REPO_ROOT, runForge } from "./forgeRun";
import { aggregate, formatStats, merge, readRuns } from "./stats";

const fmt = (n: number) => n.toLocaleString("en-US");

async function main(): Promise<number> {
  const fallback = (process.argv[2] as ProfileName | undefined) ?? "ci";
  const profile = profileFromEnv(fallback);
  // One folder per profile (and canary): a long run in the background keeps its figures while CI runs.
  const runName = process.env.FORGE_CANARY ? `canary-${process.env.FORGE_CANARY}` : profile.name;
  const statsDir = path.join(REPO_ROOT, "forge-cache", "campaign", runName);
  const suites = profile.suite ? [profile.suite] : [...SUITES];
  console.log(
    `forge invariant campaign, profile ${profile.name}: ${suites.length} suite(s) × ${fmt(profile.runs)} runs × ` +
      `${fmt(profile.depth)} calls, invariants checked every ${profile.checkInterval} call(s), seed ` +
      `${profile.seed ?? "random"}`,
  );

  const build = await runForge(["build"], {}, true);
  if (build.exitCode !== 0) return build.exitCode ?? 1;
  console.log(`forge build: ${build.seconds.toFixed(1)} s`);

  fs.rmSync(statsDir, { recursive: true, force: true });
  fs.mkdirSync(statsDir, { recursive: true });
  const args = ["test", "--match-path", "test/forge/PerpInvariants.t.sol"];
  if (profile.suite) args.push("--match-contract", `^${profile.suite}$`);
  if (profile.seed) args.push("--fuzz-seed", profile.seed);
  const env: Record<string, string> = {
    FOUNDRY_INVARIANT_RUNS: String(profile.runs),
    FOUNDRY_INVARIANT_DEPTH: String(profile.depth),
    FOUNDRY_INVARIANT_CHECK_INTERVAL: String(profile.checkInterval),
    FOUNDRY_INVARIANT_SHRINK_RUN_LIMIT: String(profile.shrinkRuns),
    FOUNDRY_INVARIANT_SHOW_SOLIDITY: "true",
    FORGE_STATS_DIR: path.relative(REPO_ROOT, statsDir),
    // A failing sequence is saved per profile (and canary) and replayed first by the next run of the same command.
    FOUNDRY_INVARIANT_FAILURE_PERSIST_DIR: path.join("forge-cache", "invariant", runName),
  };
  const result = await runForge(args, env, true);
  const outcomes = parseOutcomes(result.output);

  const perSuite = suites.map((suite) => aggregate(readRuns(path.join(statsDir, `${suite}.jsonl`))));
  const calls = outcomes.reduce((n, o) => n + o.calls, 0);
  console.log("\n## forge invariant campaign\n");
  console.log("| suite | result | runs | calls | reverted calls |", "\n| --- | --- | ---: | ---: | ---: |");
  for (const o of outcomes) {
    console.log(
      `| ${o.suite} | ${o.passed ? "pass" : "FAIL"} | ${fmt(o.runs)} | ${fmt(o.calls)} | ${fmt(o.reverts)} |`,
    );
  }
  console.log(
    `\n${fmt(calls)} calls in ${result.seconds.toFixed(1)} s (suites in parallel; forge build ` +
      `${build.seconds.toFixed(1)} s before) = ${fmt(Math.round(calls / result.seconds))} calls/s\n`,
  );
  // The machine is shared: the load average tells how much of the wall time was waiting for a core.
  const [load1, load5] = os.loadavg();
  console.log(
    `load average at the end: ${load1.toFixed(1)} (1 min), ${load5.toFixed(1)} (5 min) on ${os.cpus().length} cores\n`,
  );
  console.log(formatStats(merge(perSuite)));
  const failed = outcomes.filter((o) => !o.passed);
  if (result.exitCode !== 0 || failed.length > 0 || outcomes.length !== suites.length) {
    console.log(
      `\nFAILED: ${failed.map((o) => `${o.suite}: ${o.failure ?? "?"}`).join("; ") || "forge exited " + result.exitCode}` +
        `\nThe failing sequence is printed above (also as Solidity) and saved in forge-cache/invariant/${runName}/: the next run` +
        ` of this command replays it first. See test/forge/README.md, "Replay".`,
    );
    return result.exitCode && result.exitCode !== 0 ? result.exitCode : 1;
  }
  return 0;
}

// `hardhat test` loads every .ts file under test/: run only when executed directly.
if (require.main === module) {
  main().then(
    (code) => process.exit(code),
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
}
