/**
 * The dApp's Vite configuration, shared by the dev server, the production build and the static server,
 * and the plugin that serves the run-time files next to the page: `app-config.json` (RPC URL, network)
 * and `deployments/<network>.json` (the address book, re-read on every request so a redeploy shows up).
 */
import { readFileSync, realpathSync } from "node:fs";
import { join } from "node:path";
import type { IncomingMessage, ServerResponse } from "node:http";
import react from "@vitejs/plugin-react";
import type { InlineConfig, Plugin } from "vite";

export const APP_ROOT = join(__dirname, "..");
export const PROJECT_ROOT = join(APP_ROOT, "..");
/** Production build output (git-ignored). */
export const DEFAULT_OUT_DIR = join(APP_ROOT, "dist");
/** Vite's dependency cache: kept in the app's folder, never in the shared node_modules. */
const CACHE_DIR = join(APP_ROOT, ".vite-cache");

/** What the page is told at run time (`app-config.json`). */
export interface RuntimeSettings {
  rpcUrl: string;
  /** Path of the address book to serve as `deployments/<network>.json`. */
  addressBookPath: string;
  /** Block polling interval of the page's read provider (ms). */
  pollIntervalMs?: number;
  /** Name offered to wallets adding the chain. */
  chainName?: string;
}

interface AddressBookHeader {
  network: string;
}

function readJson(path: string): unknown {
  return JSON.parse(readFileSync(path, "utf8"));
}

function networkOf(addressBookPath: string): string {
  const book = readJson(addressBookPath) as AddressBookHeader;
  if (typeof book.network !== "string") throw new Error(`${addressBookPath} has no "network" field`);
  return book.network;
}

/** The `app-config.json` body for these settings. */
export function runtimeConfigBody(settings: RuntimeSettings): string {
  return JSON.stringify({
    rpcUrl: settings.rpcUrl,
    network: networkOf(settings.addressBookPath),
    pollIntervalMs: settings.pollIntervalMs,
    chainName: settings.chainName,
  });
}

function sendJson(res: ServerResponse, body: string): void {
  res.statusCode = 200;
  res.setHeader("content-type", "application/json");
  res.setHeader("cache-control", "no-store");
  res.end(body);
}

/** Serves the run-time files in the dev server and the preview (static) server. */
export function runtimeFilesPlugin(settings: RuntimeSettings): Plugin {
  const middleware = (req: IncomingMessage, res: ServerResponse, next: () => void) => {
    const path = (req.url ?? "").split("?")[0];
    try {
      if (path.endsWith("/app-config.json")) return sendJson(res, runtimeConfigBody(settings));
      const network = networkOf(settings.addressBookPath);
      if (path.endsWith(`/deployments/${network}.json`)) {
        return sendJson(res, readFileSync(settings.addressBookPath, "utf8"));
      }
    } catch (error) {
      res.statusCode = 500;
      res.end(`run-time configuration unavailable: ${(error as Error).message}`);
      return;
    }
    next();
  };
  return {
    name: "nbp-runtime-files",
    configureServer(server) {
      server.middlewares.use(middleware);
    },
    configurePreviewServer(server) {
      server.middlewares.use(middleware);
    },
  };
}

/** The inline Vite config (no config file is loaded). `settings` is needed to serve, not to build. */
export function appViteConfig(options: { settings?: RuntimeSettings; outDir?: string } = {}): InlineConfig {
  return {
    configFile: false,
    root: APP_ROOT,
    // Relative asset URLs: the build can be served from any path.
    base: "./",
    cacheDir: CACHE_DIR,
    logLevel: "warn",
    plugins: [react({}), ...(options.settings ? [runtimeFilesPlugin(options.settings)] : [])],
    build: { outDir: options.outDir ?? DEFAULT_OUT_DIR, emptyOutDir: true, chunkSizeWarningLimit: 2_000 },
    server: {
      // The app imports sdk/, artifacts/ and node_modules (a symlink on shared machines) above its root.
      fs: { allow: [PROJECT_ROOT, realpathSync(join(PROJECT_ROOT, "node_modules"))] },
    },
  };
}
