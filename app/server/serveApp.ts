/**
 * Build and serve the dApp against a given RPC URL and address book: `buildApp` writes the production
 * bundle; `serveApp` serves it (or runs Vite's dev server with `dev: true`) on a port, with the run-time
 * files the page loads. This is what `npm start` calls (see app/README.md).
 */
import { build, createServer, preview, type PreviewServer, type ViteDevServer } from "vite";
import { appViteConfig, DEFAULT_OUT_DIR, type RuntimeSettings } from "./viteConfig";

export interface ServeOptions extends RuntimeSettings {
  port: number;
  /** Interface to listen on (default 127.0.0.1). */
  host?: string;
  /** Vite's dev server (hot reload) instead of the built bundle. */
  dev?: boolean;
  /** The built bundle to serve (default app/dist); ignored with `dev`. */
  distDir?: string;
}

export interface ServedApp {
  url: string;
  close(): Promise<void>;
}

const DEFAULT_HOST = "127.0.0.1";

/** Production build into `outDir` (default app/dist). */
export async function buildApp(outDir: string = DEFAULT_OUT_DIR): Promise<void> {
  await build(appViteConfig({ outDir }));
}

export async function serveApp(options: ServeOptions): Promise<ServedApp> {
  const host = options.host ?? DEFAULT_HOST;
  const url = `http://${host}:${options.port}/`;
  if (options.dev) {
    const config = appViteConfig({ settings: options });
    const server: ViteDevServer = await createServer({
      ...config,
      server: { ...config.server, host, port: options.port, strictPort: true },
    });
    await server.listen();
    return { url, close: () => server.close() };
  }
  const outDir = options.distDir ?? DEFAULT_OUT_DIR;
  const config = appViteConfig({ settings: options, outDir });
  const server: PreviewServer = await preview({
    ...config,
    preview: { host, port: options.port, strictPort: true, open: false },
  });
  return { url, close: () => server.close() };
}
