/**
 * `npm run report`'s engine: brings the SQLite index up to the requested block (fetching only blocks it
 * does not cover, with adaptive `eth_getLogs` chunks and a progress bar), then exports the audit trail of
 * the requested range as CSV and JSON and runs the split check.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { SingleBar, Presets } from "cli-progress";
import { toQuantity } from "ethers";
import type { AddressBook } from "../../sdk/addressBook";
import type { Eip1193 } from "../chain/eip1193";
import { EventDecoder } from "../events/decodeEvents";
import { AUDIT_COLUMNS, buildAuditTrail, type AuditTrail } from "./auditRows";
import { toCsv } from "./csv";
import { EventIndex, REORG_DEPTH_BLOCKS, type IndexedEvent } from "./eventIndex";
import { DEFAULT_FETCH_OPTIONS, fetchLogsAdaptive, type FetchOptions } from "./fetchLogs";

export interface AuditOptions {
  client: Eip1193;
  book: AddressBook;
  /** Default: the address book's startBlock. */
  fromBlock?: number;
  /** Default: the head minus `confirmations`. */
  toBlock?: number;
  confirmations: number;
  outDir: string;
  dbPath: string;
  progress: boolean;
  fetch?: Partial<FetchOptions>;
}

export interface AuditResult {
  fromBlock: number;
  toBlock: number;
  trail: AuditTrail;
  /** Block ranges fetched from the node this run (empty when the index already covered everything). */
  fetchedRanges: [number, number][];
  getLogsCalls: number;
  rolledBackFrom?: number;
  files: string[];
}

export const AUDIT_FILES = {
  liquidations: "liquidations.csv",
  adl: "adl.csv",
  vaultAbsorptions: "vault-absorptions.csv",
  socializedLosses: "socialized-losses.csv",
  vaultDeleverages: "vault-deleverages.csv",
  insuranceFund: "insurance-fund.csv",
  dailyTotals: "daily-totals.csv",
  splitMismatches: "split-mismatches.csv",
  json: "audit.json",
} as const;

async function blockHeader(client: Eip1193, block: number): Promise<{ hash: string; timestamp: number }> {
  const header = (await client.request({ method: "eth_getBlockByNumber", params: [toQuantity(block), false] })) as {
    hash: string;
    timestamp: string;
  } | null;
  if (!header) throw new Error(`block ${block} not found`);
  return { hash: header.hash, timestamp: Number(header.timestamp) };
}

export async function runAudit(options: AuditOptions): Promise<AuditResult> {
  const { client, book } = options;
  const head = Number(await client.request({ method: "eth_blockNumber" }));
  const fromBlock = options.fromBlock ?? book.startBlock;
  const toBlock = Math.min(options.toBlock ?? head - options.confirmations, head);
  if (toBlock < fromBlock) throw new Error(`empty block range ${fromBlock}–${toBlock} (head ${head})`);
  const index = new EventIndex(options.dbPath, { chainId: book.chainId, engine: book.engine });
  const decoder = new EventDecoder({ engine: book.engine, vault: book.vault, feeds: [] });
  const fetchOptions = { ...DEFAULT_FETCH_OPTIONS, ...options.fetch };
  const fetchedRanges: [number, number][] = [];
  let getLogsCalls = 0;
  let rolledBackFrom: number | undefined;
  try {
    // Reorg check: the chain must still have the block the index ends at (a shorter chain is a reorg too).
    let covered = index.covered();
    if (covered) {
      const stillThere =
        covered.toBlock <= head && (await blockHeader(client, covered.toBlock)).hash === covered.toBlockHash;
      if (!stillThere) {
        const keep = Math.max(covered.fromBlock - 1, Math.min(head, covered.toBlock) - REORG_DEPTH_BLOCKS);
        const keepHash = keep >= covered.fromBlock ? (await blockHeader(client, keep)).hash : "";
        index.rollback(keep, keepHash);
        rolledBackFrom = keep + 1;
        covered = index.covered();
      }
    }
    const missing: [number, number][] = [];
    if (!covered) missing.push([fromBlock, toBlock]);
    else {
      if (fromBlock < covered.fromBlock) missing.push([fromBlock, covered.fromBlock - 1]);
      // From the end of the covered range, even when the request starts later: the index stays one interval.
      if (toBlock > covered.toBlock) missing.push([covered.toBlock + 1, toBlock]);
    }
    const total = missing.reduce((sum, [a, b]) => sum + (b - a + 1), 0);
    const bar =
      options.progress && total > 0
        ? new SingleBar(
            { format: " indexing {bar} {value}/{total} blocks | ETA {eta_formatted}", stream: process.stderr },
            Presets.shades_classic,
          )
        : undefined;
    bar?.start(total, 0);
    let done = 0;
    try {
      for (const [start, end] of missing) {
        const { logs, stats } = await fetchLogsAdaptive(client, [book.engine], start, end, {
          ...fetchOptions,
          onProgress: (to) => bar?.update(done + (to - start + 1)),
        });
        getLogsCalls += stats.calls;
        done += end - start + 1;
        const timestamps = new Map<number, number>();
        const events: IndexedEvent[] = [];
        for (const log of logs) {
          const event = decoder.decode(log);
          if (!event) continue;
          const block = Number(log.blockNumber);
          if (!timestamps.has(block)) timestamps.set(block, (await blockHeader(client, block)).timestamp);
          events.push({ ...event, blockHash: log.blockHash, timestamp: timestamps.get(block)! });
        }
        index.store(events, start, end, (await blockHeader(client, end)).hash);
        fetchedRanges.push([start, end]);
      }
    } finally {
      bar?.stop();
    }
    const symbols = new Map(book.markets.map((m) => [m.marketId.toLowerCase(), m.symbol]));
    const trail = buildAuditTrail(index.events(fromBlock, toBlock), {
      symbols,
      collateralDecimals: book.collateral.decimals,
    });
    const files = writeAuditFiles(options.outDir, book, fromBlock, toBlock, trail);
    return { fromBlock, toBlock, trail, fetchedRanges, getLogsCalls, rolledBackFrom, files };
  } finally {
    index.close();
  }
}

export function writeAuditFiles(
  outDir: string,
  book: AddressBook,
  fromBlock: number,
  toBlock: number,
  trail: AuditTrail,
): string[] {
  mkdirSync(outDir, { recursive: true });
  const written: [string, string][] = [
    [AUDIT_FILES.liquidations, toCsv(trail.liquidations, AUDIT_COLUMNS.liquidations)],
    [AUDIT_FILES.adl, toCsv(trail.adl, AUDIT_COLUMNS.adl)],
    [AUDIT_FILES.vaultAbsorptions, toCsv(trail.vaultAbsorptions, AUDIT_COLUMNS.vaultAbsorptions)],
    [AUDIT_FILES.socializedLosses, toCsv(trail.socializedLosses, AUDIT_COLUMNS.socializedLosses)],
    [AUDIT_FILES.vaultDeleverages, toCsv(trail.vaultDeleverages, AUDIT_COLUMNS.vaultDeleverages)],
    [AUDIT_FILES.insuranceFund, toCsv(trail.insuranceFund, AUDIT_COLUMNS.insuranceFund)],
    [AUDIT_FILES.dailyTotals, toCsv(trail.dailyTotals, AUDIT_COLUMNS.dailyTotals)],
    [AUDIT_FILES.splitMismatches, toCsv(trail.splitCheck.mismatches, AUDIT_COLUMNS.splitMismatches)],
    [
      AUDIT_FILES.json,
      JSON.stringify(
        { network: book.network, chainId: book.chainId, engine: book.engine, fromBlock, toBlock, ...trail },
        null,
        2,
      ) + "\n",
    ],
  ];
  for (const [name, text] of written) writeFileSync(join(outDir, name), text);
  return written.map(([name]) => join(outDir, name));
}
