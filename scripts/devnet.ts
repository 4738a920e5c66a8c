/**
 * `npm start`: the whole devnet in one command (issue 14). A local `hardhat node`, the protocol deployed with
 * `DEVNET_CONFIG` (delayed orders, 5 s) and its address book in deployments/localhost.json, the demo state
 * (LPs, ~30 traders, the insurance fund at its target), the price feeder, the keeper and the dApp, then a
 * summary with every URL and the wallet keys. Ctrl-C stops everything. See the README, *Quick start*.
 *
 *   npm start                                   # defaults: RPC 8545, dApp 5173, keeper 9464, feeder 8547
 *   DEVNET_PORT=8645 npm start -- --crash ETH-USD:40
 */
import { CommanderError } from "commander";
import { DevnetError, EXIT_CONFIG, EXIT_STOPPED, oneLine } from "./devnet/errors";
import { Devnet } from "./devnet/run";
import { readSettings } from "./devnet/settings";

function main(): void {
  let devnet: Devnet;
  try {
    devnet = new Devnet(readSettings(process.argv.slice(2), process.env));
  } catch (error) {
    if (error instanceof CommanderError) process.exit(EXIT_STOPPED); // --help was printed
    console.error(`devnet: ${oneLine(error)}`);
    process.exit(error instanceof DevnetError ? error.exitCode : EXIT_CONFIG);
  }
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.on(signal, () => void devnet.stop(EXIT_STOPPED, `devnet: ${signal}: stopping every process …`));
  }
  devnet.start().catch((error: unknown) => void devnet.fail(error));
  process.on("uncaughtException", (error) => void devnet.fail(error));
  process.on("unhandledRejection", (error) => void devnet.fail(error));
}

main();
