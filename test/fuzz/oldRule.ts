// `npm run fuzz:old-rule`: checks that invariant_noBystanderPushedBelowZeroWhileTheVaultCovers (DESIGN §12.6) has
// teeth. It copies the worktree to a temporary directory, puts the OLD waterfall rule back into that copy's
// contracts/liquidation/LiquidationLogic.sol (nothing absorbed by the vault; the rest socialized over the
// opposite side including the vault's position on it), and runs test/fuzz/oldRule.test.ts there with
// FUZZ_WATERFALL=old, so the fuzz model mirrors the same old rule (model == chain still holds) and the invariant
// must break. The copy is removed afterwards (FUZZ_KEEP_COPY=1 keeps it). Only runs when executed directly.
import { spawnSync } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative, resolve } from "node:path";

const ROOT = resolve(__dirname, "../..");
const LIQUIDATION_LOGIC = "contracts/liquidation/LiquidationLogic.sol";
/** Not copied: dependencies (symlinked instead), build outputs, git metadata. */
const SKIPPED = new Set(["node_modules", "artifacts", "cache", "typechain-types", ".git", "coverage", "deployments"]);

/** The old `_splitRest`: the vault absorbs nothing; with nobody (trader or vault) on the charged side it bears it. */
const OLD_SPLIT_REST = `    function _splitRest(
        EngineState storage st,
        bytes32 marketId,
        int256 bankruptSize,
        uint256 restUsd
    ) private returns (uint256 vaultPaidUsd, uint256 socializedUsd) {
        // OLD RULE (fuzz:old-rule mutant): nothing absorbed; socialized over the side including the vault.
        if (_oldRuleOpenInterest(st.marketStates[marketId], bankruptSize < 0) == 0) return (restUsd, 0);
        return (0, restUsd);
    }

    function _oldRuleOpenInterest(MarketState storage state, bool chargeLongs) private view returns (uint256) {
        int256 net = state.netSize;
        uint256 vaultOnSide = chargeLongs ? (net < 0 ? uint256(-net) : 0) : (net > 0 ? uint256(net) : 0);
        return (chargeLongs ? state.longOpenInterest : state.shortOpenInterest) + vaultOnSide;
    }
`;
const SOCIALIZE_OPEN_INTEREST =
  "uint256 openInterest = chargeLongs ? state.longOpenInterest : state.shortOpenInterest;";
const OLD_SOCIALIZE_OPEN_INTEREST = "uint256 openInterest = _oldRuleOpenInterest(state, chargeLongs);";

/** Replaces `_splitRest` and `_socialize`'s open interest; throws if the source no longer has them. */
export function patchOldRule(source: string): string {
  const start = source.indexOf("    function _splitRest(");
  if (start < 0) throw new Error(`${LIQUIDATION_LOGIC}: _splitRest not found (update test/fuzz/oldRule.ts)`);
  const end = source.indexOf("\n    }\n", start);
  if (end < 0) throw new Error(`${LIQUIDATION_LOGIC}: end of _splitRest not found`);
  if (!source.includes(SOCIALIZE_OPEN_INTEREST)) {
    throw new Error(`${LIQUIDATION_LOGIC}: _socialize's open interest line changed (update test/fuzz/oldRule.ts)`);
  }
  const patched = source.slice(0, start) + OLD_SPLIT_REST + source.slice(end + "\n    }\n".length);
  return patched.replace(SOCIALIZE_OPEN_INTEREST, OLD_SOCIALIZE_OPEN_INTEREST);
}

function main(): void {
  const copy = mkdtempSync(join(tmpdir(), "nbp-old-rule-"));
  try {
    cpSync(ROOT, copy, {
      recursive: true,
      filter: (src) => !SKIPPED.has(relative(ROOT, src).split("/")[0]),
    });
    symlinkSync(realpathSync(join(ROOT, "node_modules")), join(copy, "node_modules"));
    const file = join(copy, LIQUIDATION_LOGIC);
    writeFileSync(file, patchOldRule(readFileSync(file, "utf8")));
    console.log(`fuzz:old-rule: the old waterfall rule is in ${file}; compiling and fuzzing there`);
    const run = spawnSync("npx", ["hardhat", "test", "test/fuzz/oldRule.test.ts"], {
      cwd: copy,
      stdio: "inherit",
      env: { ...process.env, FUZZ_WATERFALL: "old", FUZZ_SHRINK_SECONDS: process.env.FUZZ_SHRINK_SECONDS ?? "0" },
    });
    process.exitCode = run.status ?? 1;
  } finally {
    if (process.env.FUZZ_KEEP_COPY === "1") console.log(`fuzz:old-rule: kept ${copy}`);
    else rmSync(copy, { recursive: true, force: true });
  }
}

if (require.main === module) main();
