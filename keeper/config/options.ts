/**
 * Every keeper setting in one table: its CLI flag, its environment variable and its documented default. The
 * commander program (`./cli.ts`) and the README's option table are both generated from this list, so they
 * cannot drift apart. Values arrive as strings and are validated by `./schema.ts`.
 */

/** Chain id of Hardhat's and Anvil's local chains: dry-run and protocol-safety defaults differ there. */
export const LOCAL_CHAIN_ID = 31337;

export interface OptionSpec {
  /** Key in the validated config. */
  key: string;
  /** commander flag, e.g. `--rpc-url <url>`; boolean flags have a `--no-…` twin. */
  flag: string;
  /** Environment variable read when the flag is absent. */
  env: string;
  description: string;
  /** The default as documented (the schema applies it). */
  defaultText: string;
  /** A boolean switch (`--x` / `--no-x`). */
  isSwitch?: boolean;
}

export const OPTION_SPECS: readonly OptionSpec[] = [
  {
    key: "network",
    flag: "--network <name>",
    env: "KEEPER_NETWORK",
    description: "network name: reads deployments/<name>.json (localhost and hardhat also default the RPC URL)",
    defaultText: "none (give --network or --address-book)",
  },
  {
    key: "addressBook",
    flag: "--address-book <path>",
    env: "KEEPER_ADDRESS_BOOK",
    description: "path of the deployment's address book (overrides --network's)",
    defaultText: "deployments/<network>.json",
  },
  {
    key: "rpcUrl",
    flag: "--rpc-url <url>",
    env: "KEEPER_RPC_URL",
    description: "JSON-RPC endpoint (http or https)",
    defaultText: "http://127.0.0.1:8545 for localhost/hardhat, required otherwise",
  },
  {
    key: "privateKeyEnv",
    flag: "--private-key-env <name>",
    env: "KEEPER_PRIVATE_KEY_ENV",
    description: "name of the environment variable holding the signer's private key (never logged)",
    defaultText: "KEEPER_PRIVATE_KEY",
  },
  {
    key: "keystore",
    flag: "--keystore <path>",
    env: "KEEPER_KEYSTORE",
    description: "encrypted JSON keystore of the signer (instead of a private key)",
    defaultText: "none",
  },
  {
    key: "keystorePasswordFile",
    flag: "--keystore-password-file <path>",
    env: "KEEPER_KEYSTORE_PASSWORD_FILE",
    description: "file holding the keystore's password (trailing newline ignored)",
    defaultText: "none (required with --keystore)",
  },
  {
    key: "startBlock",
    flag: "--start-block <n>",
    env: "KEEPER_START_BLOCK",
    description: "first block of the backfill when there is no checkpoint",
    defaultText: "the address book's startBlock",
  },
  {
    key: "pollIntervalMs",
    flag: "--poll-interval-ms <ms>",
    env: "KEEPER_POLL_INTERVAL_MS",
    description: "how often the head of the chain is polled",
    defaultText: "250 on the local chain, 1000 elsewhere",
  },
  {
    key: "confirmations",
    flag: "--confirmations <n>",
    env: "KEEPER_CONFIRMATIONS",
    description: "blocks behind the head the keeper treats as its head (0 = act on the newest block)",
    defaultText: "0",
  },
  {
    key: "reorgDepth",
    flag: "--reorg-depth <n>",
    env: "KEEPER_REORG_DEPTH",
    description: "recent blocks whose hashes and undo records are kept; a deeper reorg stops the keeper",
    defaultText: "64",
  },
  {
    key: "maxFeePerGasGwei",
    flag: "--max-fee-per-gas-gwei <gwei>",
    env: "KEEPER_MAX_FEE_PER_GAS_GWEI",
    description: "cap on maxFeePerGas; nothing is sent while the next base fee is above it",
    defaultText: "300",
  },
  {
    key: "maxPriorityFeePerGasGwei",
    flag: "--max-priority-fee-per-gas-gwei <gwei>",
    env: "KEEPER_MAX_PRIORITY_FEE_PER_GAS_GWEI",
    description: "cap on the tip taken from eth_feeHistory",
    defaultText: "10",
  },
  {
    key: "minProfitUsd",
    flag: "--min-profit-usd <usd>",
    env: "KEEPER_MIN_PROFIT_USD",
    description: "a batch is sent only if its estimated reward exceeds its gas cost by this much (USD)",
    defaultText: "0",
  },
  {
    key: "protocolSafety",
    flag: "--protocol-safety",
    env: "KEEPER_PROTOCOL_SAFETY",
    description: "liquidate unprofitable positions too (the protocol's safety before the keeper's profit)",
    defaultText: "on on the local chain, off elsewhere",
    isSwitch: true,
  },
  {
    key: "batchSize",
    flag: "--batch-size <n>",
    env: "KEEPER_BATCH_SIZE",
    description: "most entries in one liquidateMany transaction",
    defaultText: "100",
  },
  {
    key: "blockGasFraction",
    flag: "--block-gas-fraction <f>",
    env: "KEEPER_BLOCK_GAS_FRACTION",
    description: "a transaction's gas limit stays under this fraction of the block gas limit",
    defaultText: "0.8",
  },
  {
    key: "gasPerLiquidation",
    flag: "--gas-per-liquidation <gas>",
    env: "KEEPER_GAS_PER_LIQUIDATION",
    description: "gas assumed per liquidateMany entry to pre-size a batch (the gas-measuring simulation then decides)",
    defaultText: "150000",
  },
  {
    key: "stuckBlocks",
    flag: "--stuck-blocks <n>",
    env: "KEEPER_STUCK_BLOCKS",
    description: "a transaction not mined after this many blocks is replaced with higher fees",
    defaultText: "3",
  },
  {
    key: "maxFeeBumps",
    flag: "--max-fee-bumps <n>",
    env: "KEEPER_MAX_FEE_BUMPS",
    description: "replacements of one transaction at most",
    defaultText: "3",
  },
  {
    key: "feeBumpPercent",
    flag: "--fee-bump-percent <pct>",
    env: "KEEPER_FEE_BUMP_PERCENT",
    description: "fee increase per replacement (nodes require at least 10)",
    defaultText: "25",
  },
  {
    key: "vaultProtectionSteps",
    flag: "--vault-protection-steps <n>",
    env: "KEEPER_VAULT_PROTECTION_STEPS",
    description: "maxSteps passed to deleverageVault",
    defaultText: "16",
  },
  {
    key: "nativePriceMarket",
    flag: "--native-price-market <symbol>",
    env: "KEEPER_NATIVE_PRICE_MARKET",
    description: "market whose price values gas (the native token) in USD for the profitability check",
    defaultText: "ETH-USD",
  },
  {
    key: "dryRun",
    flag: "--dry-run",
    env: "KEEPER_DRY_RUN",
    description: "compute and simulate everything, send nothing",
    defaultText: "off on the local chain, on elsewhere",
    isSwitch: true,
  },
  {
    key: "metricsHost",
    flag: "--metrics-host <host>",
    env: "KEEPER_METRICS_HOST",
    description: "address /metrics and /health listen on",
    defaultText: "127.0.0.1",
  },
  {
    key: "metricsPort",
    flag: "--metrics-port <port>",
    env: "KEEPER_METRICS_PORT",
    description: "port of /metrics and /health (0 = any free port, printed at start)",
    defaultText: "9464",
  },
  {
    key: "healthMaxLagBlocks",
    flag: "--health-max-lag-blocks <n>",
    env: "KEEPER_HEALTH_MAX_LAG_BLOCKS",
    description: "/health fails while the keeper is more blocks than this behind the head",
    defaultText: "3",
  },
  {
    key: "healthMaxSilenceSeconds",
    flag: "--health-max-silence-seconds <s>",
    env: "KEEPER_HEALTH_MAX_SILENCE_SECONDS",
    description: "/health fails when the RPC has not answered a head poll for this long",
    defaultText: "30",
  },
  {
    key: "healthMaxBlockAgeSeconds",
    flag: "--health-max-block-age-seconds <s>",
    env: "KEEPER_HEALTH_MAX_BLOCK_AGE_SECONDS",
    description: "/health fails when the last processed block is older than this (0 = off, for idle local chains)",
    defaultText: "0",
  },
  {
    key: "checkpoint",
    flag: "--checkpoint <path>",
    env: "KEEPER_CHECKPOINT",
    description: "file the mirror is checkpointed to (written atomically)",
    defaultText: "keeper-data/<network>-<chainId>.checkpoint.json",
  },
  {
    key: "checkpointIntervalSeconds",
    flag: "--checkpoint-interval-seconds <s>",
    env: "KEEPER_CHECKPOINT_INTERVAL_SECONDS",
    description: "how often the checkpoint is written (also on shutdown)",
    defaultText: "30",
  },
  {
    key: "logRangeBlocks",
    flag: "--log-range-blocks <n>",
    env: "KEEPER_LOG_RANGE_BLOCKS",
    description: "largest eth_getLogs range; halves when the provider refuses a range, grows back after",
    defaultText: "2000",
  },
  {
    key: "rpcTimeoutMs",
    flag: "--rpc-timeout-ms <ms>",
    env: "KEEPER_RPC_TIMEOUT_MS",
    description: "timeout of one JSON-RPC request",
    defaultText: "5000",
  },
  {
    key: "logLevel",
    flag: "--log-level <level>",
    env: "KEEPER_LOG_LEVEL",
    description: "pino level: fatal, error, warn, info, debug, trace",
    defaultText: "info",
  },
  {
    key: "exposeMirror",
    flag: "--expose-mirror",
    env: "KEEPER_EXPOSE_MIRROR",
    description: "also serve GET /mirror (the mirrored positions with their health) for tests and audits",
    defaultText: "off",
    isSwitch: true,
  },
];
