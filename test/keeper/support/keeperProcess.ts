/**
 * The keeper as a child process for the keeper's tests (the real CLI, `keeper/main.ts`, through ts-node's
 * transpile-only loader), with helpers to read its /metrics, /health and /mirror endpoints.
 */
import { join } from "node:path";
import { PROJECT_ROOT } from "../../support/localChain";
import { freePort, startChild, waitFor, type ManagedChild } from "../../support/processes";

const KEEPER_READY_TIMEOUT_MS = 60_000;

export interface KeeperProcess {
  child: ManagedChild;
  metricsUrl: string;
  /** Parsed Prometheus text: `name{labels}` → value. */
  metrics(): Promise<Map<string, number>>;
  metric(name: string, labels?: Record<string, string>): Promise<number>;
  health(): Promise<{ status: number; body: { healthy: boolean; reasons: string[]; lastProcessedBlock?: number } }>;
  mirror(): Promise<MirrorView>;
  /** Waits until the keeper has processed `block` (or later). */
  waitForBlock(block: number, timeoutMs?: number): Promise<void>;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

export interface MirroredPositionView {
  marketId: string;
  account: string;
  size: string;
  entryPriceWad: string;
  marginUsd: string;
  fundingIndexSnapshotWad: string;
  lossIndexSnapshotWad: string;
  equityUsd: string;
  maintenanceRequirementUsd: string;
  isLiquidatable: boolean;
}

export interface MirrorView {
  block?: { number: number; hash: string };
  snapshotBlock?: number;
  timestamp?: number;
  positions: MirroredPositionView[];
}

/** Runs `keeper/main.ts` with `args`; the process environment plus `env`. Does not wait for readiness. */
export function spawnKeeper(name: string, args: string[], env: Record<string, string>): ManagedChild {
  return startChild(
    name,
    process.execPath,
    ["-r", "ts-node/register/transpile-only", join(PROJECT_ROOT, "keeper", "main.ts"), ...args],
    {
      cwd: PROJECT_ROOT,
      env: { ...process.env, TS_NODE_TRANSPILE_ONLY: "1", ...env },
    },
  );
}

function parseMetrics(text: string): Map<string, number> {
  const values = new Map<string, number>();
  for (const line of text.split("\n")) {
    if (!line || line.startsWith("#")) continue;
    const space = line.lastIndexOf(" ");
    values.set(line.slice(0, space), Number(line.slice(space + 1)));
  }
  return values;
}

/** Starts a keeper and waits until its /health answers (any status). */
export async function startKeeperProcess(options: {
  name?: string;
  rpcUrl: string;
  addressBook: string;
  privateKey: string;
  checkpoint: string;
  extraArgs?: string[];
  env?: Record<string, string>;
}): Promise<KeeperProcess> {
  const port = await freePort();
  const args = [
    "--rpc-url",
    options.rpcUrl,
    "--address-book",
    options.addressBook,
    "--checkpoint",
    options.checkpoint,
    "--metrics-port",
    String(port),
    "--expose-mirror",
    ...(options.extraArgs ?? []),
  ];
  const child = spawnKeeper(options.name ?? "keeper", args, { KEEPER_PRIVATE_KEY: options.privateKey, ...options.env });
  const metricsUrl = `http://127.0.0.1:${port}`;
  const get = async (path: string) => fetch(`${metricsUrl}${path}`, { signal: AbortSignal.timeout(2_000) });
  try {
    await waitFor(
      "keeper endpoints",
      async () => {
        if (child.process.exitCode !== null)
          throw new Error(`keeper exited ${child.process.exitCode}:\n${child.output().slice(-3_000)}`);
        try {
          await get("/health");
          return true;
        } catch {
          return false;
        }
      },
      KEEPER_READY_TIMEOUT_MS,
    );
  } catch (error) {
    await child.stop();
    throw error;
  }
  const keeper: KeeperProcess = {
    child,
    metricsUrl,
    async metrics() {
      return parseMetrics(await (await get("/metrics")).text());
    },
    async metric(name, labels) {
      const key = labels
        ? `${name}{${Object.entries(labels)
            .map(([k, v]) => `${k}="${v}"`)
            .join(",")}}`
        : name;
      return (await keeper.metrics()).get(key) ?? 0;
    },
    async health() {
      const response = await get("/health");
      return {
        status: response.status,
        body: (await response.json()) as { healthy: boolean; reasons: string[]; lastProcessedBlock?: number },
      };
    },
    async mirror() {
      return (await (await get("/mirror")).json()) as MirrorView;
    },
    async waitForBlock(block, timeoutMs = 30_000) {
      await waitFor(
        `keeper at block ${block}`,
        async () => {
          const view = await keeper.mirror();
          return (view.block?.number ?? -1) >= block && (view.snapshotBlock ?? -1) >= block;
        },
        timeoutMs,
        50,
      );
    },
    async stop(signal: NodeJS.Signals = "SIGTERM") {
      await child.stop(signal);
      return child.process.exitCode;
    },
  };
  return keeper;
}
