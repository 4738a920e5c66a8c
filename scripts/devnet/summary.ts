/**
 * The block `npm start` prints once everything runs: where each part answers, the accounts to import into a
 * browser wallet, how long the start took, how to stop. Its first line (`DEVNET_READY_MARKER …`) is what
 * scripts and the devnet test wait for.
 */
import { relative } from "node:path";
import type { DevAccount } from "./accounts";

export const DEVNET_READY_MARKER = "devnet ready";

export interface StepTiming {
  step: string;
  seconds: number;
}

export interface DevnetSummary {
  rpcUrl: string;
  chainId: number;
  appUrl: string;
  keeperHealthUrl: string;
  keeperMetricsUrl: string;
  keeper: DevAccount;
  feederControlUrl: string;
  feederPrices: { symbol: string; priceUsd: number }[];
  feederIntervalMs: number;
  addressBookPath: string;
  contracts: { engine: string; vault: string; usdc: string; usdcDecimals: number };
  demo: { lps: number; tradersOpen: number; traders: number; insuranceFundUsd: string };
  wallets: DevAccount[];
  walletUsdcGrant: string;
  logFiles: string[];
  projectRoot: string;
  /** Seconds from the process start to the dApp answering. */
  appReadySeconds: number;
  /** True when the contracts and the dApp were already built (a warm start). */
  warm: boolean;
  timings: StepTiming[];
}

const usd = (value: string | number) =>
  `$${Number(value).toLocaleString("en-US", { maximumFractionDigits: 2, minimumFractionDigits: 0 })}`;

export function formatSummary(s: DevnetSummary): string {
  const rel = (path: string) => relative(s.projectRoot, path) || path;
  const rule = "─".repeat(100);
  const label = (name: string) => name.padEnd(13);
  const lines = [
    rule,
    `${DEVNET_READY_MARKER}: app ready ${s.appReadySeconds.toFixed(1)} s after start (${s.warm ? "warm" : "cold"}: ` +
      `${s.timings.map((t) => `${t.step} ${t.seconds.toFixed(1)} s`).join(", ")})`,
    rule,
    `${label("RPC")}${s.rpcUrl}   chain id ${s.chainId}`,
    `${label("dApp")}${s.appUrl}`,
    `${label("keeper")}${s.keeperHealthUrl}   metrics ${s.keeperMetricsUrl}   signer #${s.keeper.index} ${s.keeper.address}`,
    `${label("price feeder")}${s.feederPrices.map((p) => `${p.symbol} ${usd(p.priceUsd)}`).join(", ")}, a move every ` +
      `${s.feederIntervalMs / 1_000} s; type "crash ETH-USD 40" (or squeeze, set, pause, resume, status, help) here,`,
    `${label("")}or: curl -d "crash ETH-USD 40" ${s.feederControlUrl}`,
    `${label("demo")}${s.demo.lps} LPs, ${s.demo.tradersOpen} of ${s.demo.traders} traders open, insurance fund ${usd(s.demo.insuranceFundUsd)}`,
    `${label("address book")}${rel(s.addressBookPath)}: engine ${s.contracts.engine}, vault ${s.contracts.vault}`,
    `${label("")}mock USDC ${s.contracts.usdc} (${s.contracts.usdcDecimals} decimals: add it to the wallet as a token)`,
    `${label("logs")}${s.logFiles.map(rel).join(", ")}`,
    "",
    `Wallet: add the network (RPC ${s.rpcUrl}, chain id ${s.chainId}, currency ETH), then import a key.`,
    `Each account holds 10,000 ETH and ${usd(s.walletUsdcGrant).slice(1)} mock USDC. These keys are public: never use them on a real network.`,
    ...s.wallets.map((w) => `  #${w.index}  ${w.address}  ${w.privateKey}`),
    "",
    "Stop: Ctrl-C (stops the node, keeper, feeder and dApp server and frees their ports).",
    rule,
  ];
  return lines.join("\n");
}
