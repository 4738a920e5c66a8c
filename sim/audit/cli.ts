/**
 * `npm run report -- --network <name> [--rpc-url URL] [--from-block N] [--to-block N]`: the audit trail of
 * every liquidation, ADL, vault absorption, socialized loss, vault deleverage and insurance-fund movement as
 * CSV and JSON, with per-day totals and the split check. Exit code 1 when a split does not sum to its
 * deficit, 2 on bad input or an unreachable node.
 */
import { join, resolve } from "node:path";
import { Command } from "commander";
import { loadAddressBook } from "../../sdk/addressBook";
import { rpcAnswers } from "../../sdk/chain/rpc";
import { httpEip1193 } from "../chain/eip1193";
import { SimError } from "../errors";
import { textTable } from "../report/terminalSummary";
import { runAudit } from "./auditReport";

const EXIT_SPLIT_MISMATCH = 1;
const EXIT_BAD_INPUT = 2;
const RPC_PROBE_TIMEOUT_MS = 3_000;
const LOCAL_RPC_URL = "http://127.0.0.1:8545";
const DEFAULT_REPORTS_ROOT = join(__dirname, "..", "..", "reports");

interface CliOptions {
  network?: string;
  addressBook?: string;
  rpcUrl?: string;
  fromBlock?: string;
  toBlock?: string;
  confirmations: string;
  out?: string;
  db?: string;
  progress: boolean;
}

function blockNumberOption(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const block = Number(value);
  if (!Number.isInteger(block) || block < 0) throw new SimError(`${name} must be a block number, got "${value}"`);
  return block;
}

export async function main(argv: string[]): Promise<number> {
  const options = new Command()
    .name("report")
    .description(
      "Audit-trail export of liquidations, ADL, vault absorptions, socialized losses and insurance movements.",
    )
    .option("-n, --network <name>", "address book deployments/<name>.json")
    .option("--address-book <path>", "an address book file instead of --network")
    .option("--rpc-url <url>", `JSON-RPC endpoint (default $RPC_URL, or ${LOCAL_RPC_URL} for localhost)`)
    .option("--from-block <n>", "first block (default: the deployment's startBlock)")
    .option("--to-block <n>", "last block (default: head − confirmations)")
    .option("--confirmations <n>", "blocks to stay behind the head", "0")
    .option("-o, --out <dir>", "output folder (default reports/<network>)")
    .option("--db <path>", "SQLite event index (default <out>/index.sqlite)")
    .option("--no-progress", "no progress bar")
    .exitOverride()
    .parse(argv)
    .opts<CliOptions>();

  if (!options.network && !options.addressBook) throw new SimError("give --network <name> or --address-book <path>");
  const book = loadAddressBook(options.addressBook ? resolve(options.addressBook) : options.network!);
  const rpcUrl = options.rpcUrl ?? process.env.RPC_URL ?? (book.network === "localhost" ? LOCAL_RPC_URL : undefined);
  if (!rpcUrl) throw new SimError(`no RPC URL for network ${book.network}: pass --rpc-url or set RPC_URL`);
  if (!(await rpcAnswers(rpcUrl, RPC_PROBE_TIMEOUT_MS))) {
    throw new SimError(`no JSON-RPC answer from ${rpcUrl} within ${RPC_PROBE_TIMEOUT_MS} ms`);
  }
  const chainId = Number(await httpEip1193(rpcUrl).request({ method: "eth_chainId" }));
  if (chainId !== book.chainId) {
    throw new SimError(`the node at ${rpcUrl} is chain ${chainId}, the address book says ${book.chainId}`);
  }
  const outDir = resolve(options.out ?? join(DEFAULT_REPORTS_ROOT, book.network));
  const result = await runAudit({
    client: httpEip1193(rpcUrl),
    book,
    fromBlock: blockNumberOption("--from-block", options.fromBlock),
    toBlock: blockNumberOption("--to-block", options.toBlock),
    confirmations: blockNumberOption("--confirmations", options.confirmations) ?? 0,
    outDir,
    dbPath: resolve(options.db ?? join(outDir, "index.sqlite")),
    progress: options.progress && process.stderr.isTTY === true,
  });
  const { trail } = result;
  console.log(
    textTable(
      ["export", "rows"],
      [
        ["liquidations", String(trail.liquidations.length)],
        ["ADL (deleveraged positions)", String(trail.adl.length)],
        ["vault absorptions", String(trail.vaultAbsorptions.length)],
        ["socialized losses", String(trail.socializedLosses.length)],
        ["vault deleverages", String(trail.vaultDeleverages.length)],
        ["insurance-fund movements", String(trail.insuranceFund.length)],
        ["days", String(trail.dailyTotals.length)],
      ],
      [false, true],
    ),
  );
  const fetched = result.fetchedRanges.length
    ? result.fetchedRanges.map(([a, b]) => `${a}–${b}`).join(", ")
    : "nothing (the index already covered the range)";
  console.log(
    `\nblocks ${result.fromBlock}–${result.toBlock}; fetched ${fetched} in ${result.getLogsCalls} eth_getLogs calls`,
  );
  if (result.rolledBackFrom !== undefined) console.log(`reorg: re-indexed from block ${result.rolledBackFrom}`);
  console.log(`written to ${outDir}`);
  const mismatches = trail.splitCheck.mismatches;
  if (mismatches.length) {
    console.error(
      `\nSPLIT CHECK FAILED: ${mismatches.length} of ${trail.splitCheck.checked} deficits do not equal their split`,
    );
    for (const m of mismatches)
      console.error(
        `  block ${m.block} tx ${m.tx} ${m.event} ${m.account}: deficit ${m.deficitUsd} ≠ ${m.splitSumUsd}`,
      );
    return EXIT_SPLIT_MISMATCH;
  }
  console.log(`split check: ${trail.splitCheck.checked} deficits, every split sums exactly`);
  return 0;
}

if (require.main === module) {
  main(process.argv)
    .then((code) => process.exit(code))
    .catch((error: unknown) => {
      const code = (error as { code?: string }).code;
      if (code === "commander.helpDisplayed") process.exit(0);
      console.error(`error: ${error instanceof Error ? error.message : String(error)}`);
      process.exit(EXIT_BAD_INPUT);
    });
}
