/**
 * `npm run seed:demo -- --network localhost`: seeds a running devnet (LPs, ~30 traders across leverage on every
 * market, the insurance fund at its target). Needs valid prices: run after the deployment (the feeder keeps
 * them fresh).
 */
import { Command } from "commander";
import { loadAddressBook } from "../../sdk/addressBook";
import { textTable } from "../report/terminalSummary";
import { seedDemo } from "./seedDemo";

async function main(argv: string[]): Promise<void> {
  const options = new Command()
    .name("seed:demo")
    .option("-n, --network <name>", "address book deployments/<name>.json", "localhost")
    .option("--address-book <path>", "an address book file instead of --network")
    .option("--rpc-url <url>", "JSON-RPC endpoint", process.env.RPC_URL ?? "http://127.0.0.1:8545")
    .option("--traders <n>", "number of traders", "30")
    .option("--seed <seed>", "seed for the traders' sizes", "demo")
    .parse(argv)
    .opts<{ network: string; addressBook?: string; rpcUrl: string; traders: string; seed: string }>();
  const result = await seedDemo({
    rpcUrl: options.rpcUrl,
    book: loadAddressBook(options.addressBook ?? options.network),
    traders: Number(options.traders),
    seed: options.seed,
  });
  console.log(
    textTable(
      ["trader", "market", "side", "leverage", "notional", "opened"],
      result.traders.map((t) => [
        t.address,
        t.symbol,
        t.side,
        `${t.leverage.toFixed(1)}x`,
        `$${t.notionalUsd.toLocaleString("en-US")}`,
        t.opened ? "yes" : `no (${t.error})`,
      ]),
    ),
  );
  console.log(
    `\nLPs: ${result.lps.length}; insurance fund ${result.insuranceFundUsd} (target ${result.insuranceFundTargetUsd})`,
  );
}

main(process.argv).catch((error: unknown) => {
  console.error(`error: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(2);
});
