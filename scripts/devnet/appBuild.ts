/**
 * Whether the dApp's production build is older than what goes into it, like `make`: the build is redone only
 * when a source file is newer than `<dist>/index.html`. That keeps a warm `npm start` from paying Vite's build
 * every time, while an edited component, SDK function or recompiled contract (its ABI) is always picked up.
 */
import { existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";

/** What the bundle is made from, relative to the project root. */
const APP_INPUTS = [
  "app/index.html",
  "app/src",
  "app/server/viteConfig.ts",
  "sdk",
  "artifacts/contracts",
  "package.json",
];

function newestMtimeMs(path: string): number {
  if (!existsSync(path)) return 0;
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  let newest = stat.mtimeMs;
  for (const entry of readdirSync(path)) newest = Math.max(newest, newestMtimeMs(join(path, entry)));
  return newest;
}

export interface BuildFreshness {
  upToDate: boolean;
  /** Why a build is needed (for the terminal). */
  reason?: string;
}

export function appBuildFreshness(projectRoot: string, distDir: string): BuildFreshness {
  const builtIndex = join(distDir, "index.html");
  if (!existsSync(builtIndex)) return { upToDate: false, reason: `no build in ${distDir}` };
  const builtAt = statSync(builtIndex).mtimeMs;
  for (const input of APP_INPUTS) {
    if (newestMtimeMs(join(projectRoot, input)) > builtAt) return { upToDate: false, reason: `${input} changed` };
  }
  return { upToDate: true };
}
