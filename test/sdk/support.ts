// Shared by the SDK differential tests (differential.test.ts, engineSequences.test.ts): converters from the
// engine's structs to the SDK's types, edge-biased bigint arbitraries and small chain helpers.
import { ethers } from "hardhat";
import fc from "fast-check";
import type { MarketParams, MarketState, Position } from "../../sdk/math";

/** 1e-8 USD in wad: one unit of the 8-decimal mock feeds, the smallest on-chain price step. */
export const FEED_STEP_WAD = 10n ** 10n;

export const PANIC_SELECTOR = "0x4e487b71";

export const pow10 = (exponent: number) => 10n ** BigInt(exponent);
/** Log-uniform bigint in [10^minExp, 10^(maxExp+1)). */
export const logUniform = (minExp: number, maxExp: number) =>
  fc.integer({ min: minExp, max: maxExp }).chain((e) => fc.bigInt({ min: pow10(e), max: pow10(e + 1) - 1n }));
export const signed = (arb: fc.Arbitrary<bigint>) =>
  fc.tuple(fc.boolean(), arb).map(([negative, v]) => (negative ? -v : v));

export const toPosition = (p: {
  size: bigint;
  entryPriceWad: bigint;
  marginUsd: bigint;
  fundingIndexSnapshotWad: bigint;
  lossIndexSnapshotWad: bigint;
}): Position => ({
  size: p.size,
  entryPriceWad: p.entryPriceWad,
  marginUsd: p.marginUsd,
  fundingIndexSnapshotWad: p.fundingIndexSnapshotWad,
  lossIndexSnapshotWad: p.lossIndexSnapshotWad,
});

export const toMarketState = (s: MarketState): MarketState => ({
  netSize: s.netSize,
  longOpenInterest: s.longOpenInterest,
  shortOpenInterest: s.shortOpenInterest,
  sumSizeTimesEntry: s.sumSizeTimesEntry,
  sumSizeTimesFundingSnapshot: s.sumSizeTimesFundingSnapshot,
  fundingIndexWad: s.fundingIndexWad,
  lastFundingTimestamp: s.lastFundingTimestamp,
  longLossIndexWad: s.longLossIndexWad,
  shortLossIndexWad: s.shortLossIndexWad,
  sumLongSizeTimesLossSnapshot: s.sumLongSizeTimesLossSnapshot,
  sumShortSizeTimesLossSnapshot: s.sumShortSizeTimesLossSnapshot,
});

export const toMarketParams = (p: MarketParams): MarketParams => ({
  minPositionMarginUsd: p.minPositionMarginUsd,
  keeperRewardUsd: p.keeperRewardUsd,
  maxOpenInterestPerSide: p.maxOpenInterestPerSide,
  skewScale: p.skewScale,
  maxFundingRatePerDayWad: p.maxFundingRatePerDayWad,
  takerFeeBps: p.takerFeeBps,
  insuranceFeeShareBps: p.insuranceFeeShareBps,
  maxVaultExposureBps: p.maxVaultExposureBps,
  liquidationPenaltyBps: p.liquidationPenaltyBps,
  keeperPenaltyShareBps: p.keeperPenaltyShareBps,
  liquidationBufferBps: p.liquidationBufferBps,
  vaultReserveBps: p.vaultReserveBps,
  executionDelaySeconds: p.executionDelaySeconds,
  orderExpirySeconds: p.orderExpirySeconds,
  oracleDeviationThresholdBps: p.oracleDeviationThresholdBps,
  executionFeeUsd: p.executionFeeUsd,
});

export const EMPTY_POSITION: Position = {
  size: 0n,
  entryPriceWad: 0n,
  marginUsd: 0n,
  fundingIndexSnapshotWad: 0n,
  lossIndexSnapshotWad: 0n,
};

export const EMPTY_STATE: MarketState = {
  netSize: 0n,
  longOpenInterest: 0n,
  shortOpenInterest: 0n,
  sumSizeTimesEntry: 0n,
  sumSizeTimesFundingSnapshot: 0n,
  fundingIndexWad: 0n,
  lastFundingTimestamp: 0n,
  longLossIndexWad: 0n,
  shortLossIndexWad: 0n,
  sumLongSizeTimesLossSnapshot: 0n,
  sumShortSizeTimesLossSnapshot: 0n,
};

export async function latestTimestamp(): Promise<bigint> {
  const block = await ethers.provider.getBlock("latest");
  if (!block) throw new Error("no latest block");
  return BigInt(block.timestamp);
}

/** The revert data of a failed call or transaction (ethers v6 + Hardhat put it on `error.data`). */
export function revertData(error: unknown): string | undefined {
  const data = (error as { data?: unknown }).data;
  return typeof data === "string" && data.length >= 10 ? data : undefined;
}
