/**
 * `npm run app:build` / `npm run app:serve` / `npm run app:dev` / `npm run app:size`:
 *
 *   ts-node app/server/cli.ts build [--out-dir app/dist]
 *   ts-node app/server/cli.ts size
 *   ts-node app/server/cli.ts serve --port 5173 --rpc-url http://127.0.0.1:8545 \
 *       --address-book deployments/localhost.json [--dev] [--host 127.0.0.1] [--dist-dir app/dist]
 *       [--poll-interval-ms 1000] [--chain-name "Localhost"]
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { Command, InvalidArgumentError } from "commander";
import { bundleTable, measureBundle } from "./bundleSize";
import { buildApp, serveApp } from "./serveApp";

const DEFAULT_PORT = 5173;
const DEFAULT_RPC_URL = "http://127.0.0.1:8545";
const DEFAULT_ADDRESS_BOOK = "deployments/localhost.json";

function port(value: string): number {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed <= 0 || parsed > 65_535) throw new InvalidArgumentError("not a TCP port");
  return parsed;
}

function positiveInteger(value: string): number {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed <= 0) throw new InvalidArgumentError("not a positive integer");
  return parsed;
}

interface ServeCliOptions {
  port: number;
  host: string;
  rpcUrl: string;
  addressBook: string;
  distDir: string;
  dev: boolean;
  pollIntervalMs?: number;
  chainName?: string;
}

const program = new Command("app").description("Build or serve the NBP Perps dApp");

program
  .command("build")
  .description("production build")
  .option("--out-dir <dir>", "output directory", "app/dist")
  .action(async (opts: { outDir: string }) => {
    await buildApp(resolve(opts.outDir));
    console.log(`built into ${resolve(opts.outDir)}`);
  });

program
  .command("size")
  .description("production build into a temporary directory; prints the JS and CSS sizes (raw and gzip)")
  .action(async () => {
    const outDir = mkdtempSync(join(tmpdir(), "nbp-app-size-"));
    try {
      await buildApp(outDir);
      console.log(bundleTable(measureBundle(outDir)));
    } finally {
      rmSync(outDir, { recursive: true, force: true });
    }
  });

program
  .command("serve")
  .description("serve the built app (or Vite's dev server with --dev) against an RPC URL and address book")
  .option("--port <port>", "port to listen on", port, DEFAULT_PORT)
  .option("--host <host>", "interface to listen on", "127.0.0.1")
  .option("--rpc-url <url>", "JSON-RPC endpoint the page reads from", DEFAULT_RPC_URL)
  .option("--address-book <path>", "deployments/<network>.json to serve", DEFAULT_ADDRESS_BOOK)
  .option("--dist-dir <dir>", "built app to serve", "app/dist")
  .option("--dev", "run Vite's dev server instead of serving the build", false)
  .option("--poll-interval-ms <ms>", "how often the page polls for a new block", positiveInteger)
  .option("--chain-name <name>", "chain name offered to wallets that add the chain")
  .action(async (opts: ServeCliOptions) => {
    const served = await serveApp({
      port: opts.port,
      host: opts.host,
      rpcUrl: opts.rpcUrl,
      addressBookPath: resolve(opts.addressBook),
      distDir: resolve(opts.distDir),
      dev: opts.dev,
      pollIntervalMs: opts.pollIntervalMs,
      chainName: opts.chainName,
    });
    console.log(`dApp at ${served.url} (RPC ${opts.rpcUrl}, address book ${resolve(opts.addressBook)})`);
    const stop = () => void served.close().then(() => process.exit(0));
    process.on("SIGINT", stop);
    process.on("SIGTERM", stop);
  });

program.parseAsync(process.argv).catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
