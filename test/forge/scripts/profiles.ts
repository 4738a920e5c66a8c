// Profiles of the forge invariant campaign (test/forge/PerpInvariants.t.sol). Two suites run in parallel, one per
// collateral decimals (6 and 18), each `runs × depth` calls. Every knob can be overridden from the environment so
// that CI, the long run, canaries and replays run the same code:
//
//   FORGE_PROFILE         ci (default, part of `npm test`) | long (`npm run fuzz:forge:long`) | smoke
//   FORGE_RUNS            runs per suite (a run = one call sequence from the post-setUp state)
//   FORGE_DEPTH           calls per run
//   FORGE_CHECK_INTERVAL  the invariant function runs after every N-th call (and after each run's last call);
//                         handler-level rules (events, liveness, bystanders, margins) run on every call
//   FORGE_SEED            fuzz seed (hex or decimal; default fixed per profile so CI is deterministic; "random")
//   FORGE_SHRINK_RUNS     shrink attempts after a failure (forge's shrink_run_limit)
//   FORGE_SUITE           run one suite only: PerpInvariants6DecimalsTest or PerpInvariants18DecimalsTest

export type ProfileName = "ci" | "long" | "smoke";

export interface CampaignProfile {
  name: ProfileName;
  runs: number;
  depth: number;
  checkInterval: number;
  seed: string | undefined;
  shrinkRuns: number;
  suite: string | undefined;
}

/** The two suites of test/forge/PerpInvariants.t.sol. */
export const SUITES = ["PerpInvariants6DecimalsTest", "PerpInvariants18DecimalsTest"] as const;

const DEFAULTS: Record<ProfileName, Omit<CampaignProfile, "name" | "suite">> = {
  // 2 suites × 100 runs × 500 calls = 100,000 calls; the state invariants checked every 10th call (and after each
  // run's last), the handlers' rules on every call. A check costs about 1.5 calls (test/forge/README.md, "Cost").
  ci: { runs: 100, depth: 500, checkInterval: 10, seed: "0x1711", shrinkRuns: 64 },
  // 2 × 500 × 1,000 = 1,000,000 calls: longer sequences than CI reach deeper states (more liquidations, settlement).
  long: { runs: 500, depth: 1_000, checkInterval: 10, seed: "0x1712", shrinkRuns: 256 },
  smoke: { runs: 4, depth: 100, checkInterval: 1, seed: "0x1713", shrinkRuns: 16 },
};

function intEnv(name: string): number | undefined {
  const raw = process.env[name];
  if (raw === undefined || raw === "") return undefined;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0) throw new Error(`${name} must be a non-negative integer, got "${raw}"`);
  return value;
}

export function profileFromEnv(fallback: ProfileName = "ci"): CampaignProfile {
  const name = (process.env.FORGE_PROFILE ?? fallback) as ProfileName;
  if (!(name in DEFAULTS)) throw new Error(`unknown FORGE_PROFILE "${name}" (ci | long | smoke)`);
  const d = DEFAULTS[name];
  const seedRaw = process.env.FORGE_SEED;
  const seed =
    seedRaw === "random" ? undefined : seedRaw !== undefined && seedRaw !== "" ? seedRaw : (d.seed ?? undefined);
  const suite = process.env.FORGE_SUITE || undefined;
  if (suite !== undefined && !(SUITES as readonly string[]).includes(suite)) {
    throw new Error(`unknown FORGE_SUITE "${suite}" (${SUITES.join(" | ")})`);
  }
  return {
    name,
    runs: intEnv("FORGE_RUNS") ?? d.runs,
    depth: intEnv("FORGE_DEPTH") ?? d.depth,
    checkInterval: intEnv("FORGE_CHECK_INTERVAL") ?? d.checkInterval,
    seed,
    shrinkRuns: intEnv("FORGE_SHRINK_RUNS") ?? d.shrinkRuns,
    suite,
  };
}
