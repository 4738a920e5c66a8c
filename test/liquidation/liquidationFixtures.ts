// Shared setup of the liquidation tests: configs, funded actors, opening positions, setting prices exactly.
import { ethers } from "hardhat";
import { parseUnits, keccak256, toUtf8Bytes } from "ethers";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";

import { LOCAL_CONFIG, type SystemDeployConfig, type MarketDeployConfig } from "../../deploy/config";
import type { MarketParamsStruct } from "../../typechain-types/contracts/PerpEngine";
import { deployWith, ETH, BTC } from "../helpers/fixtures";
import { ETH_PARAMS, type LiqParams } from "./liquidationModel";

export { ETH, BTC };
export type System = Awaited<ReturnType<typeof deployWith>>;

export const UNLISTED = keccak256(toUtf8Bytes("DOGE-USD"));
export const MAX_BUY = ethers.MaxUint256;
export const ANY_SELL = 0n;

/** LOCAL_CONFIG with ETH-USD market overrides (params, feed decimals). */
export function ethConfig(
  params: Partial<MarketParamsStruct> = {},
  market: Partial<MarketDeployConfig> = {},
): SystemDeployConfig {
  return {
    ...LOCAL_CONFIG,
    markets: LOCAL_CONFIG.markets.map((m) =>
      m.symbol === ETH ? { ...m, ...market, params: { ...m.params, ...params } } : m,
    ),
  };
}

/** ETH-USD over an 18-decimal feed, so that prices can be set to the wei. */
export function eth18Config(params: Partial<MarketParamsStruct> = {}): SystemDeployConfig {
  const base = LOCAL_CONFIG.markets.find((m) => m.symbol === ETH)!;
  return ethConfig(params, {
    feedDecimals: 18,
    oracle: { ...base.oracle, maxAnswer: parseUnits("10000000", 18) },
  });
}

/** The model's parameters with overrides matching a custom config. */
export const withParams = (o: Partial<LiqParams>): LiqParams => ({ ...ETH_PARAMS, ...o });

/** Mints collateral to `signer`, approves the engine and deposits `usd` dollars. */
export async function fund(s: System, signer: HardhatEthersSigner, usd: string) {
  const amount = s.tokens(usd);
  await s.collateral.mint(signer.address, amount);
  await s.collateral.connect(signer).approve(await s.engine.getAddress(), ethers.MaxUint256);
  await s.engine.connect(signer).deposit(amount);
}

/** Opens (or changes) a position with `marginUsd` dollars of margin moved in from the free balance. */
export async function open(s: System, signer: HardhatEthersSigner, symbol: string, sizeEth: string, marginUsd: string) {
  const delta = parseUnits(sizeEth, 18);
  return s.engine
    .connect(signer)
    .modifyPosition(s.market(symbol).marketId, delta, parseUnits(marginUsd, 18), delta > 0n ? MAX_BUY : ANY_SELL);
}

/** Sets a feed to an exact 1e18 price (must be representable in the feed's decimals). */
export async function setPriceWad(s: System, symbol: string, priceWad: bigint) {
  const m = s.market(symbol);
  const unit = 10n ** BigInt(18 - m.feedDecimals);
  if (priceWad % unit !== 0n) throw new Error(`price ${priceWad} not representable with ${m.feedDecimals} decimals`);
  await m.feed.updateAnswer(priceWad / unit);
}

/** One feed unit of a market, in 1e18. */
export const feedUnit = (s: System, symbol: string) => 10n ** BigInt(18 - s.market(symbol).feedDecimals);

/** Every account the tests may credit: deployer, keeper and all traders. */
export const allAccounts = (s: System) => [s.deployer.address, s.keeper.address, ...s.traders.map((t) => t.address)];

export const marketIds = (s: System) => s.markets.map((m) => m.marketId);

/**
 * These tests pin the waterfall as specified for them: ADL places nothing (adlPaid = 0), so a deficit the
 * fund cannot pay is socialized. ADL is off by default (maxSteps = 0); if a deployment turns it on, it is
 * switched off here so that the socialization path stays under test (ADL has its own tests).
 */
export async function withAdlOff<T extends System>(s: T): Promise<T> {
  const config = await s.engine.adlConfig();
  if (config.maxSteps !== 0n) {
    await s.engine.connect(s.deployer).setAdlConfig({
      minQueueNotionalUsd: config.minQueueNotionalUsd,
      maxSteps: 0n,
      vaultLossUpperBps: config.vaultLossUpperBps,
      vaultLossLowerBps: config.vaultLossLowerBps,
    });
  }
  return s;
}
