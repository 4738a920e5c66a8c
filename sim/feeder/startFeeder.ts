/**
 * What `npm start` (scripts/devnet.ts) calls to run the price feeder against the devnet:
 *
 *   const feeder = await startFeeder({ rpcUrl, book, controlPort: 0 });
 *   await feeder.feeder.crash("ETH-USD", 40);     // or POST "crash ETH-USD 40" to http://127.0.0.1:<port>/command
 *   await feeder.stop();
 */
import type { AddressBook } from "../../sdk/addressBook";
import { SimChain } from "../chain/simChain";
import { SimError } from "../errors";
import { startControlServer, attachStdin, type ControlServer } from "./feederControl";
import { DEFAULT_FEEDER_SETTINGS, PriceFeeder } from "./priceFeeder";

/** Node account the feeder sends from by default (0 deploys, 10–12 own the guardian Safe). */
export const DEFAULT_FEEDER_ACCOUNT_INDEX = 13;

export interface StartFeederOptions {
  rpcUrl: string;
  book: AddressBook;
  seed?: number | string;
  intervalMs?: number;
  volatilityBpsPerTick?: number;
  meanReversionPerTick?: number;
  heartbeatSeconds?: number;
  accountIndex?: number;
  /** HTTP control endpoint on 127.0.0.1: a port, 0 for any free port, undefined for none. */
  controlPort?: number;
  /** Read commands from stdin. */
  stdin?: boolean;
  /** Shocks applied right after start: e.g. [{ symbol: "ETH-USD", changePct: -40 }]. */
  shocksAtStart?: { symbol: string; changePct: number }[];
  markets?: string[];
  log?: (line: string) => void;
}

export interface RunningFeeder {
  feeder: PriceFeeder;
  control?: ControlServer;
  sender: string;
  stop(): Promise<void>;
}

export async function startFeeder(options: StartFeederOptions): Promise<RunningFeeder> {
  const chain = await SimChain.connect({ kind: "url", url: options.rpcUrl }, "node");
  const accounts = await chain.accounts();
  const accountIndex = options.accountIndex ?? DEFAULT_FEEDER_ACCOUNT_INDEX;
  const sender = accounts[accountIndex];
  if (!sender) {
    await chain.close();
    throw new SimError(`the node has no unlocked account #${accountIndex} (it has ${accounts.length})`);
  }
  const log = options.log ?? ((line: string) => console.log(line));
  const feeder = await PriceFeeder.start({
    chain,
    book: options.book,
    sender,
    seed: options.seed ?? 1,
    intervalMs: options.intervalMs ?? DEFAULT_FEEDER_SETTINGS.intervalMs,
    volatilityBpsPerTick: options.volatilityBpsPerTick ?? DEFAULT_FEEDER_SETTINGS.volatilityBpsPerTick,
    meanReversionPerTick: options.meanReversionPerTick ?? DEFAULT_FEEDER_SETTINGS.meanReversionPerTick,
    heartbeatSeconds: options.heartbeatSeconds ?? DEFAULT_FEEDER_SETTINGS.heartbeatSeconds,
    markets: options.markets,
    log,
  });
  for (const shock of options.shocksAtStart ?? []) await feeder.shock(shock.symbol, shock.changePct);
  const control = options.controlPort === undefined ? undefined : await startControlServer(feeder, options.controlPort);
  const detachStdin = options.stdin ? attachStdin(feeder, log) : undefined;
  return {
    feeder,
    control,
    sender,
    async stop() {
      detachStdin?.();
      await control?.close();
      await feeder.stop();
      await chain.close();
    },
  };
}
