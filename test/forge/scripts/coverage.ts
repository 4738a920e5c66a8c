// `npm run coverage:forge`: line and branch coverage of contracts/ (without contracts/test/) by the forge campaign.
// Runs `forge coverage` over one suite of test/forge/PerpInvariants.t.sol (coverage builds without the optimizer and
// instruments every call, so the profile is small: COVERAGE_RUNS × COVERAGE_DEPTH calls, overridable with
// FORGE_RUNS / FORGE_DEPTH), writes lcov to forge-cache/coverage/lcov.info and prints per-file figures, the totals
// and the lines never executed.
import fs from "node:fs";
import path from "node:path";
import { REPO_ROOT, runForge } from "./forgeRun";

const COVERAGE_RUNS = 8;
const COVERAGE_DEPTH = 500;
const COVERAGE_SEED = "0x1711";
const SUITE = "PerpInvariants6DecimalsTest";
const LCOV_FILE = path.join("forge-cache", "coverage", "lcov.info");
/** Sources counted: the protocol, not its test helpers. */
const INCLUDED = /^contracts\//;
const EXCLUDED = /^contracts\/test\//;
/** Counted but not deployed by the campaign (fork stand-ins, the keeper's lens: the Hardhat tests cover them). */
const NOT_DEPLOYED = /^contracts\/(fork|periphery)\//;

interface FileCoverage {
  file: string;
  linesFound: number;
  linesHit: number;
  branchesFound: number;
  branchesHit: number;
  uncoveredLines: number[];
}

/** The lcov records of the counted sources. */
export function parseLcov(text: string): FileCoverage[] {
  const files: FileCoverage[] = [];
  let current: FileCoverage | undefined;
  for (const line of text.split("\n")) {
    if (line.startsWith("SF:")) {
      const file = path.relative(REPO_ROOT, path.resolve(REPO_ROOT, line.slice(3).trim()));
      current = { file, linesFound: 0, linesHit: 0, branchesFound: 0, branchesHit: 0, uncoveredLines: [] };
    } else if (current && line.startsWith("DA:")) {
      const [lineNo, hits] = line.slice(3).split(",");
      current.linesFound += 1;
      if (Number(hits) > 0) current.linesHit += 1;
      else current.uncoveredLines.push(Number(lineNo));
    } else if (current && line.startsWith("BRDA:")) {
      const taken = line.slice(5).split(",")[3];
      current.branchesFound += 1;
      if (taken !== "-" && Number(taken) > 0) current.branchesHit += 1;
    } else if (current && line.startsWith("end_of_record")) {
      if (INCLUDED.test(current.file) && !EXCLUDED.test(current.file)) files.push(current);
      current = undefined;
    }
  }
  return files.sort((a, b) => a.file.localeCompare(b.file));
}

const pct = (hit: number, found: number) => (found === 0 ? "—" : `${((100 * hit) / found).toFixed(1)}%`);

/** Consecutive line numbers as ranges: 3-5, 9. */
function ranges(lines: number[]): string {
  const out: string[] = [];
  for (let i = 0; i < lines.length;) {
    let j = i;
    while (j + 1 < lines.length && lines[j + 1] === lines[j] + 1) ++j;
    out.push(i === j ? `${lines[i]}` : `${lines[i]}-${lines[j]}`);
    i = j + 1;
  }
  return out.join(", ");
}

function totalRow(label: string, files: FileCoverage[]): string {
  const sum = (pick: (f: FileCoverage) => number) => files.reduce((n, f) => n + pick(f), 0);
  const [lf, lh, bf, bh] = [
    sum((f) => f.linesFound),
    sum((f) => f.linesHit),
    sum((f) => f.branchesFound),
    sum((f) => f.branchesHit),
  ];
  return `| ${label} | ${pct(lh, lf)} (${lh}/${lf}) | ${pct(bh, bf)} (${bh}/${bf}) |`;
}

async function main(): Promise<number> {
  const runs = process.env.FORGE_RUNS || String(COVERAGE_RUNS);
  const depth = process.env.FORGE_DEPTH || String(COVERAGE_DEPTH);
  console.log(`forge coverage over ${SUITE}: ${runs} runs × ${depth} calls, seed ${COVERAGE_SEED} (unoptimized build)`);
  fs.mkdirSync(path.join(REPO_ROOT, path.dirname(LCOV_FILE)), { recursive: true });
  const result = await runForge(
    [
      "coverage",
      "--match-path",
      "test/forge/PerpInvariants.t.sol",
      "--match-contract",
      `^${SUITE}$`,
      "--fuzz-seed",
      COVERAGE_SEED,
      "--report",
      "lcov",
      "--lcov-version",
      "2",
      "--report-file",
      LCOV_FILE,
    ],
    {
      FOUNDRY_INVARIANT_RUNS: runs,
      FOUNDRY_INVARIANT_DEPTH: depth,
      FOUNDRY_INVARIANT_CHECK_INTERVAL: "10",
      FOUNDRY_INVARIANT_SHOW_METRICS: "false",
      FOUNDRY_INVARIANT_FAILURE_PERSIST_DIR: path.join("forge-cache", "invariant", "coverage"),
    },
    false,
  );
  if (result.exitCode !== 0) {
    console.log(result.output);
    return result.exitCode ?? 1;
  }
  const files = parseLcov(fs.readFileSync(path.join(REPO_ROOT, LCOV_FILE), "utf8"));
  console.log("\n| file | lines | branches |", "\n| --- | ---: | ---: |");
  for (const f of files) {
    console.log(`| ${f.file} | ${pct(f.linesHit, f.linesFound)} | ${pct(f.branchesHit, f.branchesFound)} |`);
  }
  console.log(totalRow("**total** (contracts/ without test/)", files));
  console.log(
    totalRow(
      "**deployed core** (without fork/, periphery/)",
      files.filter((f) => !NOT_DEPLOYED.test(f.file)),
    ),
  );
  console.log("\nLines never executed:");
  for (const f of files) if (f.uncoveredLines.length > 0) console.log(`- ${f.file}: ${ranges(f.uncoveredLines)}`);
  console.log(`\n${result.seconds.toFixed(0)} s (lcov: ${LCOV_FILE})`);
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
