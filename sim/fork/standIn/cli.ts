/**
 * `npm run fork:stand-in -- --chain <network>`: serves a network's offline stand-in as a JSON-RPC fork source
 * until Ctrl-C, and prints the command that forks it — the same command a real RPC URL takes:
 *   npm run simulate -- --fork http://127.0.0.1:<port> --chain mainnet --scenario gap-40
 */
import { Command } from "commander";
import { networkByName } from "../../../deploy/networks";
import { standInStateFile } from "./standInSpec";
import { startStandInSource } from "./standInSource";

async function main(argv: string[]): Promise<void> {
  const options = new Command()
    .name("fork:stand-in")
    .requiredOption("--chain <network>", "mainnet | arbitrum")
    .parse(argv)
    .opts<{ chain: string }>();
  const network = networkByName(options.chain);
  const source = await startStandInSource(network);
  console.log(`offline stand-in of ${network.displayName} (chain id ${network.standInChainId}) at ${source.url}`);
  console.log(`state: ${standInStateFile(network)}`);
  console.log(`fork it: npm run simulate -- --fork ${source.url} --chain ${network.name} --scenario <name>`);
  console.log("Ctrl-C stops it.");
  const shutdown = () => {
    void source.stop().then(() => process.exit(0));
  };
  process.on("SIGINT", shutdown);
  process.on("SIGTERM", shutdown);
}

main(process.argv).catch((error: unknown) => {
  console.error(error instanceof Error ? `error: ${error.message}` : error);
  process.exit(1);
});
