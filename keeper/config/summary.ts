/**
 * The configuration summary printed at start: every setting, secrets masked (the private key never appears; the
 * RPC URL loses its credentials and any path or query that may carry an API key).
 */
import { formatUnits } from "ethers";
import type { KeeperConfig } from "./schema";

/** `https://user:pass@host/v3/KEY?x=y` → `https://***@host/***`. */
export function maskUrl(url: string): string {
  const parsed = new URL(url);
  const credentials = parsed.username || parsed.password ? "***@" : "";
  const rest = parsed.pathname !== "/" || parsed.search ? "/***" : "";
  return `${parsed.protocol}//${credentials}${parsed.host}${rest}`;
}

export function configSummary(config: KeeperConfig, signerAddress: string): Record<string, string | number | boolean> {
  return {
    network: config.network,
    chainId: config.book.chainId,
    addressBook: config.addressBookPath,
    engine: config.book.engine,
    keeperLens: config.book.periphery?.keeperLens ?? "none",
    rpcUrl: maskUrl(config.rpcUrl),
    signer: config.signer.kind === "keystore" ? `keystore ${config.signer.path}` : `env ${config.signer.envName}`,
    signerAddress,
    startBlock: config.startBlock,
    pollIntervalMs: config.pollIntervalMs,
    confirmations: config.confirmations,
    reorgDepth: config.reorgDepth,
    maxFeePerGasGwei: formatUnits(config.maxFeePerGasWei, "gwei"),
    maxPriorityFeePerGasGwei: formatUnits(config.maxPriorityFeePerGasWei, "gwei"),
    minProfitUsd: formatUnits(config.minProfitUsd, 18),
    protocolSafety: config.protocolSafety,
    batchSize: config.batchSize,
    blockGasFraction: config.blockGasFraction,
    gasPerLiquidation: config.gasPerLiquidation.toString(),
    stuckBlocks: config.stuckBlocks,
    maxFeeBumps: config.maxFeeBumps,
    feeBumpPercent: config.feeBumpPercent,
    vaultProtectionSteps: config.vaultProtectionSteps,
    nativePriceMarket: config.nativePriceMarket,
    dryRun: config.dryRun,
    metrics: `${config.metricsHost}:${config.metricsPort}`,
    healthMaxLagBlocks: config.healthMaxLagBlocks,
    healthMaxSilenceSeconds: config.healthMaxSilenceSeconds,
    healthMaxBlockAgeSeconds: config.healthMaxBlockAgeSeconds,
    checkpoint: config.checkpointPath,
    checkpointIntervalSeconds: config.checkpointIntervalSeconds,
    logRangeBlocks: config.logRangeBlocks,
    rpcTimeoutMs: config.rpcTimeoutMs,
    logLevel: config.logLevel,
    exposeMirror: config.exposeMirror,
  };
}
