/**
 * The keeper as a library: `startKeeper` validates a configuration (the same flags and environment variables as
 * the CLI), loads the signer, checks the chain, starts /metrics and /health and runs the loop. `npm start` (the
 * devnet) and the simulator use it; `keeper/main.ts` is the CLI around it.
 */
import type { Logger } from "pino";
import { HelpShown, readRawOptions } from "./config/cli";
import { validateConfig, type KeeperConfig } from "./config/schema";
import { loadSigner } from "./config/signer";
import { configSummary } from "./config/summary";
import { ConfigError } from "./errors";
import { Keeper } from "./keeper";
import { createLogger } from "./log";

export { Keeper } from "./keeper";
export { ConfigError, CONFIG_ERROR_EXIT_CODE, KeeperError } from "./errors";
export { HelpShown } from "./config/cli";
export type { KeeperConfig } from "./config/schema";

export interface RunningKeeper {
  keeper: Keeper;
  config: KeeperConfig;
  /** The port /metrics and /health listen on. */
  metricsPort: number;
  log: Logger;
  /** Resolves when the loop ends (after `stop`). */
  done: Promise<void>;
  stop(): Promise<void>;
}

/**
 * Starts a keeper. `argv` are CLI arguments (e.g. `["--network", "localhost"]`), `env` the environment (the
 * signer's private key is read from it). Throws `ConfigError` for a bad configuration (the CLI exits 2).
 */
export async function startKeeper(
  argv: readonly string[],
  env: NodeJS.ProcessEnv = process.env,
): Promise<RunningKeeper> {
  const config = validateConfig(readRawOptions(argv, env));
  const wallet = await loadSigner(config.signer, env);
  const log = createLogger(config.logLevel);
  log.info({ config: configSummary(config, wallet.address) }, "keeper configuration");
  const keeper = new Keeper(config, wallet, log);
  await checkChain(keeper, config, log);
  let metricsPort: number;
  try {
    metricsPort = await keeper.startEndpoints();
  } catch (cause) {
    throw new ConfigError(
      `cannot listen on ${config.metricsHost}:${config.metricsPort}: ${(cause as Error).message}`,
      {},
      { cause },
    );
  }
  log.info({ url: `http://${config.metricsHost}:${metricsPort}/metrics` }, "metrics and health endpoints listening");
  const done = keeper.run();
  return { keeper, config, metricsPort, log, done, stop: () => keeper.stop() };
}

/** Waits for the RPC to answer (an outage at start is not a config error), then refuses a wrong chain. */
async function checkChain(keeper: Keeper, config: KeeperConfig, log: Logger): Promise<void> {
  const retryMs = 1_000;
  for (let attempt = 1; ; attempt++) {
    try {
      const chainId = await keeper.chain.chainId();
      if (chainId !== config.book.chainId) {
        throw new ConfigError(
          `the RPC serves chain ${chainId} but the address book is for chain ${config.book.chainId}`,
        );
      }
      return;
    } catch (error) {
      if (error instanceof ConfigError) throw error;
      if (attempt === 1 || attempt % 30 === 0)
        log.warn({ err: error, url: config.rpcUrl }, "RPC not answering yet; retrying");
      await new Promise((resolve) => setTimeout(resolve, retryMs));
    }
  }
}

export { HelpShown as _HelpShown };
export const isHelp = (error: unknown): boolean => error instanceof HelpShown;
export { createLogger };
