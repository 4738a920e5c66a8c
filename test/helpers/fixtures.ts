import { ethers, network } from "hardhat";
import { parseUnits } from "ethers";
import { LOCAL_CONFIG, type SystemDeployConfig } from "../../deploy/config";
import { deploySystem } from "../../deploy/deploySystem";

export const ETH = "ETH-USD";
export const BTC = "BTC-USD";
/** LP liquidity seeded into the vault by the standard fixture (token units are derived per decimals). */
export const VAULT_SEED_USD = "1000000";
/** Collateral minted to each trader by the standard fixture. */
export const TRADER_FUNDS_USD = "100000";

/** Options of `deployWith`. */
export interface DeployOptions {
  /** Hand the admin role over to the timelock as `npm start` does (default: the deployer stays admin). */
  handOverAdmin?: boolean;
  /** LP liquidity seeded into the vault, in USD (default `VAULT_SEED_USD`): small to test a vault too small
   * to absorb a deficit. */
  vaultSeedUsd?: string;
}

/**
 * Deploys the local system with a given config, seeds the vault and funds traders. Unless
 * `handOverAdmin` is set, the deployer stays admin so unit tests can call admin functions directly.
 */
export async function deployWith(config: SystemDeployConfig, options: DeployOptions = {}) {
  const signers = await ethers.getSigners();
  const [deployer, lp, keeper, ...traders] = signers;
  const governance = { ...config.governance, handOverAdmin: options.handOverAdmin ?? false };
  const system = await deploySystem(deployer, { ...config, governance }, network.name);
  const { collateral, vault, engine } = system;
  const tokens = (usd: string) => parseUnits(usd, system.collateralDecimals);

  const vaultSeed = tokens(options.vaultSeedUsd ?? VAULT_SEED_USD);
  await collateral.mint(lp.address, vaultSeed);
  await collateral.connect(lp).approve(await vault.getAddress(), ethers.MaxUint256);
  await vault.connect(lp).deposit(vaultSeed, lp.address);

  for (const trader of traders.slice(0, 8)) {
    await collateral.mint(trader.address, tokens(TRADER_FUNDS_USD));
    await collateral.connect(trader).approve(await engine.getAddress(), ethers.MaxUint256);
  }
  const market = (symbol: string) => {
    const m = system.markets.find((x) => x.symbol === symbol);
    if (!m) throw new Error(`no market ${symbol}`);
    return m;
  };
  /** Sets a market's feed to `priceUsd` (feed decimals handled). */
  const setPrice = async (symbol: string, priceUsd: string) => {
    const m = market(symbol);
    await m.feed.updateAnswer(parseUnits(priceUsd, m.feedDecimals));
  };
  return { ...system, deployer, lp, keeper, traders, tokens, market, setPrice };
}

export async function deployLocalSystem() {
  return deployWith(LOCAL_CONFIG);
}

/** The same system over 18-decimal collateral. */
export async function deployLocalSystem18() {
  return deployWith({ ...LOCAL_CONFIG, mockCollateralDecimals: 18 });
}

/** The local system exactly as `npm start` deploys it: the timelock is the engine's only admin. */
export async function deployGovernedSystem() {
  return deployWith(LOCAL_CONFIG, { handOverAdmin: true });
}

export const usd = (amount: string) => parseUnits(amount, 18);
export const size = (amount: string) => parseUnits(amount, 18);
/** An acceptable price that never binds: for buys pass MAX, for sells 0. */
export const ANY_BUY_PRICE = ethers.MaxUint256;
export const ANY_SELL_PRICE = 0n;
