/**
 * The command lines that build and serve the dApp, for whoever starts it as a child process (the devnet,
 * the end-to-end tests). This file imports nothing from Vite, so any TypeScript config can compile it; the
 * CLI itself (`./cli.ts`) is type-checked by `tsc -p app/server`.
 */
import { join } from "node:path";

export const APP_SERVER_DIR = __dirname;
const PROJECT_ROOT = join(__dirname, "..", "..");
const CLI_PATH = join(__dirname, "cli.ts");
const SERVER_TSCONFIG = join(__dirname, "tsconfig.json");

export interface AppCommand {
  command: string;
  args: string[];
  cwd: string;
  env: NodeJS.ProcessEnv;
}

export interface AppServeArgs {
  port: number;
  rpcUrl: string;
  addressBookPath: string;
  host?: string;
  /** The built app to serve (default app/dist). */
  distDir?: string;
  /** Vite's dev server instead of the built app. */
  dev?: boolean;
  /** How often the page polls the node for a new block (ms). */
  pollIntervalMs?: number;
}

function cli(args: string[]): AppCommand {
  return {
    command: process.execPath,
    // Transpile only: startup stays fast; `npm run app:typecheck` checks these files.
    args: ["-r", "ts-node/register/transpile-only", CLI_PATH, ...args],
    cwd: PROJECT_ROOT,
    env: { ...process.env, TS_NODE_PROJECT: SERVER_TSCONFIG },
  };
}

/** `app build --out-dir <dir>`. */
export function appBuildCommand(outDir: string): AppCommand {
  return cli(["build", "--out-dir", outDir]);
}

/** `app serve …`: serves the app on `port` against `rpcUrl` and the address book at `addressBookPath`. */
export function appServeCommand(options: AppServeArgs): AppCommand {
  const args = [
    "serve",
    "--port",
    String(options.port),
    "--host",
    options.host ?? "127.0.0.1",
    "--rpc-url",
    options.rpcUrl,
    "--address-book",
    options.addressBookPath,
  ];
  if (options.distDir) args.push("--dist-dir", options.distDir);
  if (options.dev) args.push("--dev");
  if (options.pollIntervalMs !== undefined) args.push("--poll-interval-ms", String(options.pollIntervalMs));
  return cli(args);
}
