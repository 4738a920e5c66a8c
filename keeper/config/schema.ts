/**
 * Validation of the raw options (zod) into the keeper's typed configuration, with the documented defaults of
 * `./options.ts`. Defaults that depend on the chain (dry-run, protocol safety, poll interval) are resolved
 * from the address book's chain id, so no RPC call is needed to validate a configuration.
 */
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseUnits } from "ethers";
import { z } from "zod";
import { addressBookPath, loadAddressBook, type AddressBook } from "../../sdk/addressBook";
import { ConfigError } from "../errors";
import type { RawOptions } from "./cli";
import { LOCAL_CHAIN_ID, OPTION_SPECS } from "./options";

const PROJECT_ROOT = join(__dirname, "..", "..");
const LOCAL_NETWORKS = new Set(["localhost", "hardhat"]);
const LOCAL_RPC_URL = "http://127.0.0.1:8545";
const LOCAL_POLL_INTERVAL_MS = 250;
const REMOTE_POLL_INTERVAL_MS = 1_000;

/** How the signer is loaded (the secret itself is read by `./signer.ts` and never kept in the config). */
export type SignerSource =
  { kind: "privateKeyEnv"; envName: string } | { kind: "keystore"; path: string; passwordFile: string };

export interface KeeperConfig {
  network: string;
  addressBookPath: string;
  book: AddressBook;
  rpcUrl: string;
  signer: SignerSource;
  startBlock: number;
  pollIntervalMs: number;
  confirmations: number;
  reorgDepth: number;
  maxFeePerGasWei: bigint;
  maxPriorityFeePerGasWei: bigint;
  /** USD, 1e18. */
  minProfitUsd: bigint;
  protocolSafety: boolean;
  batchSize: number;
  blockGasFraction: number;
  gasPerLiquidation: bigint;
  stuckBlocks: number;
  maxFeeBumps: number;
  feeBumpPercent: number;
  vaultProtectionSteps: number;
  nativePriceMarket: string;
  dryRun: boolean;
  metricsHost: string;
  metricsPort: number;
  healthMaxLagBlocks: number;
  healthMaxSilenceSeconds: number;
  healthMaxBlockAgeSeconds: number;
  checkpointPath: string;
  checkpointIntervalSeconds: number;
  logRangeBlocks: number;
  rpcTimeoutMs: number;
  logLevel: "fatal" | "error" | "warn" | "info" | "debug" | "trace";
  exposeMirror: boolean;
}

const int = (min: number, max = Number.MAX_SAFE_INTEGER) => z.coerce.number().int().min(min).max(max);
const decimal = z.string().regex(/^\d+(\.\d+)?$/, "expected a non-negative decimal number");

const rawSchema = z.object({
  network: z.string().min(1).optional(),
  addressBook: z.string().min(1).optional(),
  rpcUrl: z
    .string()
    .url()
    .refine((url) => /^https?:\/\//.test(url), "expected an http(s) URL")
    .optional(),
  privateKeyEnv: z
    .string()
    .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "expected an environment variable name")
    .default("KEEPER_PRIVATE_KEY"),
  keystore: z.string().min(1).optional(),
  keystorePasswordFile: z.string().min(1).optional(),
  startBlock: int(0).optional(),
  pollIntervalMs: int(10, 600_000).optional(),
  confirmations: int(0, 1_000).default(0),
  reorgDepth: int(1, 10_000).default(64),
  maxFeePerGasGwei: decimal.default("300"),
  maxPriorityFeePerGasGwei: decimal.default("10"),
  minProfitUsd: decimal.default("0"),
  protocolSafety: z.boolean().optional(),
  batchSize: int(1, 10_000).default(100),
  blockGasFraction: z.coerce.number().gt(0).max(1).default(0.8),
  gasPerLiquidation: int(21_000, 30_000_000).default(150_000),
  stuckBlocks: int(1, 1_000).default(3),
  maxFeeBumps: int(0, 100).default(3),
  feeBumpPercent: int(10, 1_000).default(25),
  vaultProtectionSteps: int(1, 64).default(16),
  nativePriceMarket: z.string().min(1).default("ETH-USD"),
  dryRun: z.boolean().optional(),
  metricsHost: z.string().min(1).default("127.0.0.1"),
  metricsPort: int(0, 65_535).default(9464),
  healthMaxLagBlocks: int(0).default(3),
  healthMaxSilenceSeconds: int(1).default(30),
  healthMaxBlockAgeSeconds: int(0).default(0),
  checkpoint: z.string().min(1).optional(),
  checkpointIntervalSeconds: int(1).default(30),
  logRangeBlocks: int(1, 1_000_000).default(2_000),
  rpcTimeoutMs: int(100, 600_000).default(5_000),
  logLevel: z.enum(["fatal", "error", "warn", "info", "debug", "trace"]).default("info"),
  exposeMirror: z.boolean().default(false),
});

function flagOf(key: string): string {
  const spec = OPTION_SPECS.find((s) => s.key === key);
  return spec ? spec.flag.split(" ")[0] : key;
}

/** Validates raw options into a `KeeperConfig`; throws `ConfigError` naming the offending flag. */
export function validateConfig(raw: RawOptions): KeeperConfig {
  const parsed = rawSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ConfigError(`${flagOf(String(issue.path[0]))}: ${issue.message}`);
  }
  const options = parsed.data;

  if (!options.network && !options.addressBook) throw new ConfigError("give --network <name> or --address-book <path>");
  const bookPath = resolve(options.addressBook ?? addressBookPath(options.network as string, PROJECT_ROOT));
  if (!existsSync(bookPath)) throw new ConfigError("address book not found", { path: bookPath });
  let book: AddressBook;
  try {
    book = loadAddressBook(bookPath);
  } catch (cause) {
    const detail =
      cause instanceof z.ZodError ? cause.issues[0]?.path.join(".") + ": " + cause.issues[0]?.message : String(cause);
    throw new ConfigError(`address book ${bookPath} is invalid: ${detail}`, {}, { cause });
  }
  if (!book.periphery) {
    throw new ConfigError(
      `address book ${bookPath} has no periphery.keeperLens; deploy it with npx hardhat run deploy/periphery.ts --network ${book.network}`,
    );
  }
  const network = options.network ?? book.network;
  const isLocalChain = book.chainId === LOCAL_CHAIN_ID;
  const rpcUrl = options.rpcUrl ?? (LOCAL_NETWORKS.has(network) ? LOCAL_RPC_URL : undefined);
  if (!rpcUrl) throw new ConfigError(`--rpc-url is required for network ${network}`);

  let signer: SignerSource;
  if (options.keystore) {
    if (!options.keystorePasswordFile) throw new ConfigError("--keystore needs --keystore-password-file");
    if (!existsSync(options.keystore)) throw new ConfigError("keystore not found", { path: options.keystore });
    if (!existsSync(options.keystorePasswordFile)) {
      throw new ConfigError("keystore password file not found", { path: options.keystorePasswordFile });
    }
    signer = { kind: "keystore", path: resolve(options.keystore), passwordFile: resolve(options.keystorePasswordFile) };
  } else {
    signer = { kind: "privateKeyEnv", envName: options.privateKeyEnv };
  }

  const maxFeePerGasWei = parseUnits(options.maxFeePerGasGwei, "gwei");
  const maxPriorityFeePerGasWei = parseUnits(options.maxPriorityFeePerGasGwei, "gwei");
  if (maxPriorityFeePerGasWei > maxFeePerGasWei) {
    throw new ConfigError("--max-priority-fee-per-gas-gwei must not exceed --max-fee-per-gas-gwei");
  }
  if (options.startBlock !== undefined && options.startBlock < 0) throw new ConfigError("--start-block must be ≥ 0");

  return {
    network,
    addressBookPath: bookPath,
    book,
    rpcUrl,
    signer,
    startBlock: options.startBlock ?? book.startBlock,
    pollIntervalMs: options.pollIntervalMs ?? (isLocalChain ? LOCAL_POLL_INTERVAL_MS : REMOTE_POLL_INTERVAL_MS),
    confirmations: options.confirmations,
    reorgDepth: options.reorgDepth,
    maxFeePerGasWei,
    maxPriorityFeePerGasWei,
    minProfitUsd: parseUnits(options.minProfitUsd, 18),
    protocolSafety: options.protocolSafety ?? isLocalChain,
    batchSize: options.batchSize,
    blockGasFraction: options.blockGasFraction,
    gasPerLiquidation: BigInt(options.gasPerLiquidation),
    stuckBlocks: options.stuckBlocks,
    maxFeeBumps: options.maxFeeBumps,
    feeBumpPercent: options.feeBumpPercent,
    vaultProtectionSteps: options.vaultProtectionSteps,
    nativePriceMarket: options.nativePriceMarket,
    dryRun: options.dryRun ?? !isLocalChain,
    metricsHost: options.metricsHost,
    metricsPort: options.metricsPort,
    healthMaxLagBlocks: options.healthMaxLagBlocks,
    healthMaxSilenceSeconds: options.healthMaxSilenceSeconds,
    healthMaxBlockAgeSeconds: options.healthMaxBlockAgeSeconds,
    checkpointPath: resolve(
      options.checkpoint ?? join(PROJECT_ROOT, "keeper-data", `${network}-${book.chainId}.checkpoint.json`),
    ),
    checkpointIntervalSeconds: options.checkpointIntervalSeconds,
    logRangeBlocks: options.logRangeBlocks,
    rpcTimeoutMs: options.rpcTimeoutMs,
    logLevel: options.logLevel,
    exposeMirror: options.exposeMirror,
  };
}
