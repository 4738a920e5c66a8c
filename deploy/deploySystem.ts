import type { Signer } from "ethers";
import { parseUnits, ZeroAddress } from "ethers";
import { deploySafe } from "./safe";
import { deployPeriphery } from "./periphery";
import {
  ChainlinkOracleAdapter__factory,
  LiquidationLogic__factory,
  AdlLogic__factory,
  LiquidityVault__factory,
  MockERC20__factory,
  MockV3Aggregator__factory,
  PerpEngine__factory,
  MarketAdminLogic__factory,
  OrderLogic__factory,
  TimelockController__factory,
  type TimelockController,
  type LiquidityVault,
  type MockERC20,
  type MockV3Aggregator,
  type PerpEngine,
  type ChainlinkOracleAdapter,
} from "../typechain-types";
import type { PerpEngineLibraryAddresses } from "../typechain-types/factories/contracts/PerpEngine__factory";
import { marketIdOf, type AddressBook } from "../sdk/addressBook";
import type { SystemDeployConfig } from "./config";

export interface DeployedMarket {
  symbol: string;
  marketId: string;
  adapter: ChainlinkOracleAdapter;
  /** Typed as the mock; on live networks only its AggregatorV3Interface functions exist. */
  feed: MockV3Aggregator;
  feedDecimals: number;
}

export interface DeployedSystem {
  engine: PerpEngine;
  vault: LiquidityVault;
  /** Typed as the mock; on live networks only its ERC-20 functions exist. */
  collateral: MockERC20;
  collateralDecimals: number;
  markets: DeployedMarket[];
  timelock: TimelockController;
  /** The guardian multisig (a Safe on local chains). */
  guardian: string;
  addressBook: AddressBook;
  /** The engine's external libraries, keyed as its factory links them. */
  libraries: PerpEngineLibraryAddresses;
}

/** Deploys the engine's external libraries and returns them keyed as PerpEngine's factory links them. */
export async function deployEngineLibraries(deployer: Signer): Promise<PerpEngineLibraryAddresses> {
  const adlLogic = await (await new AdlLogic__factory(deployer).deploy()).waitForDeployment();
  const adlLogicAddress = await adlLogic.getAddress();
  const liquidationLogic = await (
    await new LiquidationLogic__factory({ "contracts/adl/AdlLogic.sol:AdlLogic": adlLogicAddress }, deployer).deploy()
  ).waitForDeployment();
  const marketAdminLogic = await (
    await new MarketAdminLogic__factory({ "contracts/adl/AdlLogic.sol:AdlLogic": adlLogicAddress }, deployer).deploy()
  ).waitForDeployment();
  const orderLogic = await (await new OrderLogic__factory(deployer).deploy()).waitForDeployment();
  return {
    "contracts/adl/AdlLogic.sol:AdlLogic": adlLogicAddress,
    "contracts/liquidation/LiquidationLogic.sol:LiquidationLogic": await liquidationLogic.getAddress(),
    "contracts/governance/MarketAdminLogic.sol:MarketAdminLogic": await marketAdminLogic.getAddress(),
    "contracts/orders/OrderLogic.sol:OrderLogic": await orderLogic.getAddress(),
  };
}

/**
 * Deploys the whole system in order: collateral (mock when not given) → engine → vault → for each
 * market its feed (mock when not given) and oracle adapter → listing. The deployer is the admin.
 */
export async function deploySystem(
  deployer: Signer,
  config: SystemDeployConfig,
  network: string,
): Promise<DeployedSystem> {
  const provider = deployer.provider;
  if (!provider) throw new Error("deployer signer has no provider");
  const startBlock = await provider.getBlockNumber();
  const admin = await deployer.getAddress();

  const collateral = config.collateral
    ? MockERC20__factory.connect(config.collateral, deployer)
    : await (
        await new MockERC20__factory(deployer).deploy("Mock USD Coin", "USDC", config.mockCollateralDecimals)
      ).waitForDeployment();
  const collateralAddress = await collateral.getAddress();
  const collateralDecimals = Number(await collateral.decimals());

  // Liquidation and ADL logic are external libraries the engine DELEGATECALLs (keeps it under 24 KiB).
  const engineLibraries = await deployEngineLibraries(deployer);
  const engine = await (
    await new PerpEngine__factory(engineLibraries, deployer).deploy(collateralAddress, admin)
  ).waitForDeployment();
  const engineAddress = await engine.getAddress();
  const vault = await (
    await new LiquidityVault__factory(deployer).deploy(engineAddress, config.vaultName, config.vaultSymbol)
  ).waitForDeployment();
  await (await engine.setVault(await vault.getAddress())).wait();

  const markets: DeployedMarket[] = [];
  for (const market of config.markets) {
    let feed: MockV3Aggregator;
    if (market.priceFeed) {
      feed = MockV3Aggregator__factory.connect(market.priceFeed, deployer);
    } else {
      if (!market.mockInitialPriceUsd) throw new Error(`${market.symbol}: give priceFeed or mockInitialPriceUsd`);
      const answer = parseUnits(market.mockInitialPriceUsd, market.feedDecimals);
      feed = await (
        await new MockV3Aggregator__factory(deployer).deploy(market.feedDecimals, answer)
      ).waitForDeployment();
    }
    const adapter = await (
      await new ChainlinkOracleAdapter__factory(deployer).deploy({ feed: await feed.getAddress(), ...market.oracle })
    ).waitForDeployment();
    const marketId = marketIdOf(market.symbol);
    await (await engine.listMarket(marketId, await adapter.getAddress(), market.params, market.tiers)).wait();
    markets.push({ symbol: market.symbol, marketId, adapter, feed, feedDecimals: market.feedDecimals });
  }

  const { timelock, guardian } = await wireGovernance(deployer, engine, config);

  const chainId = Number((await provider.getNetwork()).chainId);
  const addressBook: AddressBook = {
    network,
    chainId,
    startBlock,
    collateral: { address: collateralAddress, symbol: await collateral.symbol(), decimals: collateralDecimals },
    engine: engineAddress,
    vault: await vault.getAddress(),
    governance: {
      timelock: await timelock.getAddress(),
      guardian,
      timelockMinDelaySeconds: Number(config.governance.timelockMinDelaySeconds),
    },
    markets: await Promise.all(
      markets.map(async (m) => ({
        symbol: m.symbol,
        marketId: m.marketId,
        oracleAdapter: await m.adapter.getAddress(),
        priceFeed: await m.feed.getAddress(),
        priceFeedDecimals: m.feedDecimals,
      })),
    ),
    periphery: await deployPeriphery(deployer),
  };
  return {
    engine,
    vault,
    collateral,
    collateralDecimals,
    markets,
    timelock,
    guardian,
    addressBook,
    libraries: engineLibraries,
  };
}

/**
 * DESIGN §11: risk settings, the guardian multisig (a real Safe on local chains) with GUARDIAN_ROLE, and
 * a TimelockController that becomes the engine's only admin (the deployer renounces) when `handOverAdmin`.
 */
async function wireGovernance(
  deployer: Signer,
  engine: PerpEngine,
  config: SystemDeployConfig,
): Promise<{ timelock: TimelockController; guardian: string }> {
  const governance = config.governance;
  const deployerAddress = await deployer.getAddress();
  await (await engine.setAdlConfig(config.adl)).wait();
  await (
    await engine.setGovernanceConfig({
      liquidationGracePeriodSeconds: governance.liquidationGracePeriodSeconds,
      maintenanceRampSeconds: governance.maintenanceRampSeconds,
    })
  ).wait();
  await (await engine.setInsuranceFundTarget(governance.insuranceFundTargetUsd)).wait();

  const guardian =
    "address" in governance.guardian
      ? governance.guardian.address
      : await deploySafe(deployer, governance.guardian.safeOwnerAccountIndexes, governance.guardian.threshold);
  await (await engine.grantRole(await engine.GUARDIAN_ROLE(), guardian)).wait();

  const proposers = [guardian, ...governance.extraProposers.map(() => deployerAddress)];
  // Executors: anyone may execute an operation once its delay has passed (address(0) = open role).
  const timelock = await (
    await new TimelockController__factory(deployer).deploy(
      governance.timelockMinDelaySeconds,
      proposers,
      [ZeroAddress],
      ZeroAddress,
    )
  ).waitForDeployment();
  if (governance.handOverAdmin) {
    const adminRole = await engine.DEFAULT_ADMIN_ROLE();
    await (await engine.grantRole(adminRole, await timelock.getAddress())).wait();
    await (await engine.renounceRole(adminRole, deployerAddress)).wait();
  }
  return { timelock, guardian };
}
