// Liquidation-test set-up that only these tests need: an 18-decimal ETH feed, exact prices, the model's
// parameters for a custom config. Funding actors, opening positions, configs and switching ADL off are
// shared (test/helpers/engineHelpers.ts).
import { parseUnits, keccak256, toUtf8Bytes } from "ethers";
import type { MarketParamsStruct } from "../../typechain-types/contracts/PerpEngine";
import { LOCAL_CONFIG, type SystemDeployConfig } from "../../deploy/config";
import { ETH } from "../helpers/fixtures";
import { ETH_LIQUIDATION_DEFAULTS, ethConfig, type LiquidationParams, type System } from "../helpers/engineHelpers";

export const UNLISTED = keccak256(toUtf8Bytes("DOGE-USD"));

/** ETH-USD over an 18-decimal feed, so that prices can be set to the wei. */
export function eth18Config(params: Partial<MarketParamsStruct> = {}): SystemDeployConfig {
  const base = LOCAL_CONFIG.markets.find((m) => m.symbol === ETH)!;
  return ethConfig(params, {
    feedDecimals: 18,
    oracle: { ...base.oracle, maxAnswer: parseUnits("10000000", 18) },
  });
}

/** The model's parameters with overrides matching a custom config. */
export const withParams = (o: Partial<LiquidationParams>): LiquidationParams => ({ ...ETH_LIQUIDATION_DEFAULTS, ...o });

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
