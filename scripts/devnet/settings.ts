/**
 * `npm start`'s settings: environment variables for ports and paths (so tests and a second devnet can run
 * beside the first), flags for the price shocks applied at start. Validated before anything starts; a bad
 * value is a `DevnetConfigError` (one line, exit code 2).
 */
import { isAbsolute, join } from "node:path";
import { Command, CommanderError } from "commander";
import { DevnetConfigError } from "./errors";

export const PROJECT_ROOT = join(__dirname, "..", "..");

export interface PriceShock {
  symbol: string;
  /** Signed percent: −40 is a crash by 40%, +80 a squeeze by 80%. */
  changePct: number;
}

export interface DevnetSettings {
  /** Interface the node and the dApp listen on. */
  host: string;
  rpcPort: number;
  appPort: number;
  /** The keeper's /metrics and /health (127.0.0.1). */
  keeperPort: number;
  /** The price feeder's control endpoint, POST /command and GET /status (127.0.0.1). */
  feederPort: number;
  /** Where the deployment's address book is written (absolute). */
  addressBookPath: string;
  /** The built dApp (absolute); rebuilt when its sources are newer. */
  appDistDir: string;
  /** Each child's output goes to `<logDir>/<child>.log` (absolute). */
  logDir: string;
  traders: number;
  seed: string;
  feederIntervalMs: number;
  /** The node also mines an empty block this often (0: only a block per transaction). */
  blockIntervalMs: number;
  /** Rebuild the dApp even when the build looks up to date. */
  rebuildApp: boolean;
  shocksAtStart: PriceShock[];
}

/** Every environment variable the devnet reads, with its default (the README's table lists the same). */
export const DEVNET_ENV = {
  DEVNET_HOST: "127.0.0.1",
  DEVNET_PORT: "8545",
  DEVNET_APP_PORT: "5173",
  DEVNET_KEEPER_PORT: "9464",
  DEVNET_FEEDER_PORT: "8547",
  DEVNET_ADDRESS_BOOK: "deployments/localhost.json",
  DEVNET_APP_DIST: "app/dist",
  DEVNET_LOG_DIR: "logs/devnet",
  DEVNET_TRADERS: "30",
  DEVNET_SEED: "demo",
  // The oracle adapter treats more than MAX_HISTORY_ROUNDS (32) updates inside one volatility cooldown (5 min)
  // as volatile, which pauses opening: 12.5 s keeps the walk to 24 rounds a window, 8 left for shocks.
  DEVNET_FEEDER_INTERVAL_MS: "12500",
  DEVNET_BLOCK_INTERVAL_MS: "1000",
  DEVNET_REBUILD_APP: "0",
} as const;

type DevnetEnvName = keyof typeof DEVNET_ENV;

const MAX_PORT = 65_535;
const MAX_TRADERS = 200;
const MIN_FEEDER_INTERVAL_MS = 100;

function read(env: NodeJS.ProcessEnv, name: DevnetEnvName): string {
  const value = env[name];
  return value === undefined || value.trim() === "" ? DEVNET_ENV[name] : value.trim();
}

function integer(env: NodeJS.ProcessEnv, name: DevnetEnvName, min: number, max: number, what: string): number {
  const text = read(env, name);
  const value = Number(text);
  if (!/^\d+$/.test(text) || value < min || value > max) {
    throw new DevnetConfigError(`${name}=${text} is not ${what} (an integer from ${min} to ${max})`);
  }
  return value;
}

function path(env: NodeJS.ProcessEnv, name: DevnetEnvName): string {
  const value = read(env, name);
  return isAbsolute(value) ? value : join(PROJECT_ROOT, value);
}

function flag(env: NodeJS.ProcessEnv, name: DevnetEnvName): boolean {
  const value = read(env, name).toLowerCase();
  if (["1", "true", "yes", "on"].includes(value)) return true;
  if (["0", "false", "no", "off"].includes(value)) return false;
  throw new DevnetConfigError(`${name}=${value} must be 1/0 (true/false, yes/no, on/off)`);
}

function parseShock(value: string, sign: 1 | -1, option: string): PriceShock {
  const match = /^([A-Za-z0-9-]+):(\d+(?:\.\d+)?)$/.exec(value);
  if (!match) throw new DevnetConfigError(`${option} expects MARKET:pct (e.g. ETH-USD:40), got "${value}"`);
  return { symbol: match[1], changePct: sign * Number(match[2]) };
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/** Reads the environment and the command line (`npm start -- --crash ETH-USD:40`). */
export function readSettings(argv: readonly string[], env: NodeJS.ProcessEnv): DevnetSettings {
  const program = new Command("npm start --")
    .description("the whole devnet: node, protocol, demo state, price feeder, keeper and dApp")
    .option("--crash <MARKET:pct>", "crash a market by pct% right after the feeder starts (repeatable)", collect, [])
    .option(
      "--squeeze <MARKET:pct>",
      "squeeze a market by pct% right after the feeder starts (repeatable)",
      collect,
      [],
    )
    .addHelpText(
      "after",
      `\nEnvironment (default):\n${Object.entries(DEVNET_ENV)
        .map(([name, value]) => `  ${name.padEnd(26)}${value}`)
        .join("\n")}`,
    )
    .allowExcessArguments(false)
    .exitOverride()
    .configureOutput({ writeErr: () => undefined });
  try {
    program.parse([...argv], { from: "user" });
  } catch (error) {
    if (error instanceof CommanderError && error.code === "commander.helpDisplayed") throw error;
    throw new DevnetConfigError((error as Error).message.replace(/^error: /, ""));
  }
  const options = program.opts<{ crash: string[]; squeeze: string[] }>();

  const settings: DevnetSettings = {
    host: read(env, "DEVNET_HOST"),
    rpcPort: integer(env, "DEVNET_PORT", 1, MAX_PORT, "a TCP port"),
    appPort: integer(env, "DEVNET_APP_PORT", 1, MAX_PORT, "a TCP port"),
    keeperPort: integer(env, "DEVNET_KEEPER_PORT", 1, MAX_PORT, "a TCP port"),
    feederPort: integer(env, "DEVNET_FEEDER_PORT", 1, MAX_PORT, "a TCP port"),
    addressBookPath: path(env, "DEVNET_ADDRESS_BOOK"),
    appDistDir: path(env, "DEVNET_APP_DIST"),
    logDir: path(env, "DEVNET_LOG_DIR"),
    traders: integer(env, "DEVNET_TRADERS", 0, MAX_TRADERS, "a trader count"),
    seed: read(env, "DEVNET_SEED"),
    feederIntervalMs: integer(env, "DEVNET_FEEDER_INTERVAL_MS", MIN_FEEDER_INTERVAL_MS, 3_600_000, "an interval in ms"),
    blockIntervalMs: integer(env, "DEVNET_BLOCK_INTERVAL_MS", 0, 3_600_000, "an interval in ms (0: off)"),
    rebuildApp: flag(env, "DEVNET_REBUILD_APP"),
    shocksAtStart: [
      ...options.crash.map((c) => parseShock(c, -1, "--crash")),
      ...options.squeeze.map((s) => parseShock(s, 1, "--squeeze")),
    ],
  };
  const ports = [settings.rpcPort, settings.appPort, settings.keeperPort, settings.feederPort];
  if (new Set(ports).size !== ports.length) {
    throw new DevnetConfigError(
      `DEVNET_PORT, DEVNET_APP_PORT, DEVNET_KEEPER_PORT and DEVNET_FEEDER_PORT must differ (got ${ports.join(", ")})`,
    );
  }
  return settings;
}

/** The host a browser or a client on this machine uses to reach a server listening on `host`. */
export function reachableHost(host: string): string {
  return host === "0.0.0.0" || host === "::" ? "127.0.0.1" : host;
}

export function rpcUrlOf(settings: DevnetSettings): string {
  return `http://${reachableHost(settings.host)}:${settings.rpcPort}`;
}
