/**
 * Deploys the real protocol for a scenario with the one deployment the project has (deploy/deploySystem.ts),
 * starting from the local configuration (deploy/config.ts) with the scenario's overrides, and a FuzzLens
 * (contracts/test) for reading every account's free balance in one call.
 */
import { parseUnits, type Result } from "ethers";
import type { MarginTierStruct, MarketParamsStruct } from "../../typechain-types/contracts/PerpEngine";
import { FuzzLens__factory, PerpEngine__factory } from "../../typechain-types";
import { LOCAL_CONFIG, type MarketDeployConfig, type SystemDeployConfig } from "../../deploy/config";
import { deploySystem } from "../../deploy/deploySystem";
import type { AddressBook } from "../../sdk/addressBook";
import type { MarginTier, MarketParams } from "../../sdk/math/types";
import { ScenarioError } from "../errors";
import { usdWad } from "../agents/openingPlan";
import type { PricePath } from "../paths/pricePath";
import type { MarketOverrides, Scenario } from "../scenario/schema";
import type { SimChain } from "../chain/simChain";

const USD_DECIMALS = 18;
const SIZE_DECIMALS = 18;

export interface SimMarket {
  symbol: string;
  marketId: string;
  feed: string;
  adapter: string;
  feedDecimals: number;
  params: MarketParams;
  tiers: MarginTier[];
}

export interface SimDeployment {
  addressBook: AddressBook;
  engine: string;
  vault: string;
  collateral: string;
  collateralDecimals: number;
  /** 10^(18 − decimals): USD-wei per token unit. */
  collateralScale: bigint;
  /** FuzzLens for batched reads (absent when attached to an existing deployment). */
  lens?: string;
  deployer: string;
  markets: SimMarket[];
}

/** The market's parameters with the scenario's overrides (all markets first, then this symbol's). */
function overriddenMarket(
  base: MarketDeployConfig,
  overrides: MarketOverrides,
  startPriceUsd: string,
  orders: Scenario["protocol"]["orders"],
) {
  const params: MarketParamsStruct = { ...base.params };
  const delayed = orders.executionDelaySeconds > 0;
  params.executionDelaySeconds = BigInt(orders.executionDelaySeconds);
  params.orderExpirySeconds = delayed ? BigInt(orders.orderExpirySeconds) : 0n;
  params.executionFeeUsd = delayed ? usdWad(orders.executionFeeUsd) : 0n;
  if (overrides.maxOpenInterestPerSide !== undefined) {
    params.maxOpenInterestPerSide = parseUnits(String(overrides.maxOpenInterestPerSide), SIZE_DECIMALS);
  }
  if (overrides.skewScale !== undefined) params.skewScale = parseUnits(String(overrides.skewScale), SIZE_DECIMALS);
  for (const field of [
    "takerFeeBps",
    "liquidationPenaltyBps",
    "liquidationBufferBps",
    "maxVaultExposureBps",
    "vaultReserveBps",
  ] as const) {
    const value = overrides[field];
    if (value !== undefined) params[field] = BigInt(value);
  }
  const first = base.tiers[0];
  const initialMarginBps = BigInt(overrides.initialMarginBps ?? Number(first.initialMarginBps));
  const maintenanceMarginBps = BigInt(overrides.maintenanceMarginBps ?? Number(first.maintenanceMarginBps));
  if (maintenanceMarginBps >= initialMarginBps) {
    throw new ScenarioError("maintenance margin must be below initial margin", {
      market: base.symbol,
      maintenanceMarginBps: Number(maintenanceMarginBps),
      initialMarginBps: Number(initialMarginBps),
    });
  }
  // Later tiers keep their own rates unless the first tier now exceeds them (rates must not decrease).
  const tiers: MarginTierStruct[] = base.tiers.map((tier, index) => {
    const im = index === 0 ? initialMarginBps : maxOf(BigInt(tier.initialMarginBps), initialMarginBps);
    const mm = index === 0 ? maintenanceMarginBps : maxOf(BigInt(tier.maintenanceMarginBps), maintenanceMarginBps);
    return { notionalFloorUsd: tier.notionalFloorUsd, initialMarginBps: im, maintenanceMarginBps: mm };
  });
  return { ...base, mockInitialPriceUsd: startPriceUsd, params, tiers };
}

function maxOf(a: bigint, b: bigint): bigint {
  return a > b ? a : b;
}

/**
 * The system configuration for a scenario: its markets only, overrides applied, the deployer as guardian.
 * `base` is the local configuration, or a live network's on a fork (deploy/networks/resolveNetwork.ts).
 */
export function deployConfigFor(
  scenario: Scenario,
  path: PricePath,
  deployer: string,
  base: SystemDeployConfig = LOCAL_CONFIG,
): SystemDeployConfig {
  const available = new Map(base.markets.map((market) => [market.symbol, market]));
  const markets = Object.keys(scenario.markets).map((symbol) => {
    const base = available.get(symbol);
    if (!base) {
      throw new ScenarioError(`market ${symbol} is not in the deployment configuration`, {
        available: [...available.keys()].join(", "),
      });
    }
    const overrides = { ...scenario.protocol.allMarkets, ...(scenario.protocol.markets[symbol] ?? {}) };
    return overriddenMarket(base, overrides, path.pricesUsd[symbol][0], scenario.protocol.orders);
  });
  for (const symbol of Object.keys(scenario.protocol.markets)) {
    if (!scenario.markets[symbol]) throw new ScenarioError(`protocol.markets.${symbol} names no scenario market`);
  }
  const adl = { ...base.adl };
  for (const [field, value] of Object.entries(scenario.protocol.adl)) {
    if (value !== undefined) (adl as Record<string, unknown>)[field] = BigInt(value);
  }
  return {
    ...base,
    adl,
    markets,
    // The deployer stays admin and is the guardian: no Safe (it needs the node's accounts 10–12) and no
    // timelock hand-over; the simulator changes nothing after deployment.
    governance: { ...base.governance, guardian: { address: deployer }, handOverAdmin: false },
  };
}

/** The contract's market parameters in the SDK's bigint form. */
function toSdkParams(params: MarketParamsStruct): MarketParams {
  const entries = Object.entries(params).map(([name, value]) => [name, BigInt(value as bigint)]);
  return Object.fromEntries(entries) as unknown as MarketParams;
}

function toSdkTiers(tiers: MarginTierStruct[]): MarginTier[] {
  return tiers.map((tier) => ({
    notionalFloorUsd: BigInt(tier.notionalFloorUsd),
    initialMarginBps: BigInt(tier.initialMarginBps),
    maintenanceMarginBps: BigInt(tier.maintenanceMarginBps),
  }));
}

/** The chain's first unlocked account, which deploys and stays admin. */
export async function deployerOf(chain: SimChain): Promise<string> {
  const [deployer] = await chain.accounts();
  if (!deployer) throw new ScenarioError("the chain has no unlocked account to deploy from");
  return deployer;
}

export async function deployProtocol(
  chain: SimChain,
  config: SystemDeployConfig,
  deployer: string,
): Promise<SimDeployment> {
  const signer = await chain.provider.getSigner(deployer);
  const system = await deploySystem(signer, config, "sim");
  const lens = await (await new FuzzLens__factory(signer).deploy()).waitForDeployment();
  return { ...(await attachToDeployment(chain, system.addressBook, deployer)), lens: await lens.getAddress() };
}

/** The simulator's view of an existing deployment (parameters and tiers read from the engine). */
export async function attachToDeployment(chain: SimChain, book: AddressBook, deployer: string): Promise<SimDeployment> {
  const engine = PerpEngine__factory.connect(book.engine, chain.provider);
  const markets: SimMarket[] = [];
  for (const market of book.markets) {
    const [, params] = await engine.getMarketConfig(market.marketId);
    const tiers = await engine.getMarginTiers(market.marketId);
    markets.push({
      symbol: market.symbol,
      marketId: market.marketId,
      feed: market.priceFeed,
      adapter: market.oracleAdapter,
      feedDecimals: market.priceFeedDecimals,
      params: toSdkParams((params as unknown as Result).toObject() as MarketParamsStruct),
      tiers: toSdkTiers(tiers.map((tier) => (tier as unknown as Result).toObject() as MarginTierStruct)),
    });
  }
  const collateralDecimals = book.collateral.decimals;
  return {
    addressBook: book,
    engine: book.engine,
    vault: book.vault,
    collateral: book.collateral.address,
    collateralDecimals,
    collateralScale: 10n ** BigInt(USD_DECIMALS - collateralDecimals),
    deployer,
    markets,
  };
}
