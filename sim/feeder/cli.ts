/**
 * `npm run feeder -- --network localhost [--crash ETH-USD:40] [--control-port 8547]`: moves the devnet's mock
 * feeds (seeded random walk) and keeps them fresh; type commands on stdin (`help`) or POST them to the control
 * endpoint. Ctrl-C stops it.
 */
import { Command } from "commander";
import { loadAddressBook } from "../../sdk/addressBook";
import { SimError } from "../errors";
import { FEEDER_HELP } from "./feederControl";
import { DEFAULT_FEEDER_SETTINGS } from "./priceFeeder";
import { DEFAULT_FEEDER_ACCOUNT_INDEX, startFeeder } from "./startFeeder";

const LOCAL_RPC_URL = "http://127.0.0.1:8545";

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

function parseShock(value: string, sign: 1 | -1): { symbol: string; changePct: number } {
  const match = /^([A-Za-z0-9-]+):(\d+(?:\.\d+)?)$/.exec(value);
  if (!match) throw new SimError(`expected MARKET:pct (e.g. ETH-USD:40), got "${value}"`);
  return { symbol: match[1], changePct: sign * Number(match[2]) };
}

async function main(argv: string[]): Promise<void> {
  const options = new Command()
    .name("feeder")
    .description(`Price feeder for the local mock feeds. Commands on stdin or POST /command:\n${FEEDER_HELP}`)
    .option("-n, --network <name>", "address book deployments/<name>.json", "localhost")
    .option("--address-book <path>", "an address book file instead of --network")
    .option("--rpc-url <url>", "JSON-RPC endpoint", process.env.RPC_URL ?? LOCAL_RPC_URL)
    .option("--seed <seed>", "random walk seed", "1")
    .option("--interval-ms <ms>", "wall-clock time between ticks", String(DEFAULT_FEEDER_SETTINGS.intervalMs))
    .option("--volatility-bps <bps>", "σ of one tick's move, bps", String(DEFAULT_FEEDER_SETTINGS.volatilityBpsPerTick))
    .option(
      "--mean-reversion <share>",
      "pull towards the start price per tick",
      String(DEFAULT_FEEDER_SETTINGS.meanReversionPerTick),
    )
    .option("--account-index <n>", "node account that sends the updates", String(DEFAULT_FEEDER_ACCOUNT_INDEX))
    .option("--crash <MARKET:pct>", "crash a market right after start (repeatable)", collect, [])
    .option("--squeeze <MARKET:pct>", "squeeze a market right after start (repeatable)", collect, [])
    .option("--control-port <port>", "serve POST /command and GET /status on 127.0.0.1:<port> (0: any free port)")
    .option("--no-stdin", "do not read commands from stdin")
    .parse(argv)
    .opts<{
      network: string;
      addressBook?: string;
      rpcUrl: string;
      seed: string;
      intervalMs: string;
      volatilityBps: string;
      meanReversion: string;
      accountIndex: string;
      crash: string[];
      squeeze: string[];
      controlPort?: string;
      stdin: boolean;
    }>();
  const book = loadAddressBook(options.addressBook ?? options.network);
  const running = await startFeeder({
    rpcUrl: options.rpcUrl,
    book,
    seed: options.seed,
    intervalMs: Number(options.intervalMs),
    volatilityBpsPerTick: Number(options.volatilityBps),
    meanReversionPerTick: Number(options.meanReversion),
    accountIndex: Number(options.accountIndex),
    controlPort: options.controlPort === undefined ? undefined : Number(options.controlPort),
    stdin: options.stdin,
    shocksAtStart: [...options.crash.map((c) => parseShock(c, -1)), ...options.squeeze.map((s) => parseShock(s, 1))],
  });
  console.log(
    `feeder: moving ${running.feeder
      .status()
      .map((s) => s.symbol)
      .join(", ")} from ${running.sender} every ${options.intervalMs} ms` +
      (running.control ? `; control: http://127.0.0.1:${running.control.port}/command` : ""),
  );
  const shutdown = () => {
    running.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on("SIGINT", shutdown);
  process.on("SIGTERM", shutdown);
}

main(process.argv).catch((error: unknown) => {
  console.error(`error: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(2);
});
