/**
 * A populated market for gas benchmarks: the local system (deployer kept as admin), a large LP vault, and `N`
 * existing positions in ETH-USD (EIP-1167 clones from `BenchPositionFactory`, alternating long and short,
 * leverage 2x–16x), plus a BTC position so that every vault valuation reads two markets. Fresh funded EOAs
 * act in the measured transactions, so every measurement pays the cold costs a new user pays.
 */
import hre from "hardhat";
import { Wallet, keccak256, parseUnits, toBeHex, type ContractTransactionResponse } from "ethers";
import { LOCAL_CONFIG } from "../../../deploy/config";
import { deploySystem, type DeployedSystem } from "../../../deploy/deploySystem";
import type { BenchPositionFactory } from "../../../typechain-types";

/** The bench's deployment: the devnet's markets, the deployer kept as admin, delay 0 (orders switched on later). */
export const BENCH_CONFIG = { ...LOCAL_CONFIG, governance: { ...LOCAL_CONFIG.governance, handOverAdmin: false } };
/** LP capital: large enough that 10,000 positions' gross-OI reserve and the exposure caps never bind. */
const LP_SEED_USD = "20000000";
/** Positions created per transaction (each ~340k gas; the transaction gas cap is 2^24). */
const POSITIONS_PER_TX = 20;
/** Each background position: 0.5 ETH at about $2,000. */
const BACKGROUND_SIZE = parseUnits("0.5", 18);
const ETH_PRICE_USD = "2000";
const BTC_PRICE_USD = "60000";
const WALLET_ETH = toBeHex(parseUnits("1000", 18));

export interface World {
  s: DeployedSystem;
  eth: DeployedSystem["markets"][number];
  btc: DeployedSystem["markets"][number];
  keeper: Wallet;
  /** Existing positions in ETH-USD. */
  positions: number;
  tokens(usd: string): bigint;
  usd(amount: string): bigint;
  setPrice(market: "ETH" | "BTC", priceUsd: string): Promise<void>;
  /** A new EOA with ETH for gas and `depositUsd` of collateral already in the engine (0 = none, not even an approval). */
  freshTrader(depositUsd?: string): Promise<Wallet>;
}

let walletCounter = 0;

/** Gas used by a transaction (receipt `gasUsed`, 21k base included). */
export async function gasOf(tx: Promise<ContractTransactionResponse>): Promise<bigint> {
  const receipt = await (await tx).wait();
  if (!receipt) throw new Error("no receipt");
  return receipt.gasUsed;
}

async function newWallet(): Promise<Wallet> {
  walletCounter += 1;
  const wallet = new Wallet(keccak256(toBeHex(walletCounter + 0x6a5, 32)), hre.ethers.provider);
  await hre.network.provider.send("hardhat_setBalance", [wallet.address, WALLET_ETH]);
  return wallet;
}

export async function buildWorld(positions: number): Promise<World> {
  await hre.network.provider.send("hardhat_reset", []);
  walletCounter = 0;
  const [deployer] = await hre.ethers.getSigners();
  const s = await deploySystem(deployer, BENCH_CONFIG, hre.network.name);
  const eth = s.markets.find((m) => m.symbol === "ETH-USD")!;
  const btc = s.markets.find((m) => m.symbol === "BTC-USD")!;
  const tokens = (usd: string) => parseUnits(usd, s.collateralDecimals);
  const usd = (amount: string) => parseUnits(amount, 18);
  const setPrice = async (market: "ETH" | "BTC", priceUsd: string) => {
    const m = market === "ETH" ? eth : btc;
    await (await m.feed.updateAnswer(parseUnits(priceUsd, m.feedDecimals))).wait();
  };
  const engineAddress = await s.engine.getAddress();
  const freshTrader = async (depositUsd = "0") => {
    const wallet = await newWallet();
    if (depositUsd !== "0") {
      await (await s.collateral.connect(wallet).mint(wallet.address, tokens(depositUsd))).wait();
      await (await s.collateral.connect(wallet).approve(engineAddress, hre.ethers.MaxUint256)).wait();
      await (await s.engine.connect(wallet).deposit(tokens(depositUsd))).wait();
    }
    return wallet;
  };

  const lp = await newWallet();
  await (await s.collateral.connect(lp).mint(lp.address, tokens(LP_SEED_USD))).wait();
  await (await s.collateral.connect(lp).approve(await s.vault.getAddress(), hre.ethers.MaxUint256)).wait();
  await (await s.vault.connect(lp).deposit(tokens(LP_SEED_USD), lp.address)).wait();

  const factory = (await (
    await hre.ethers.getContractFactory("BenchPositionFactory")
  ).deploy()) as unknown as BenchPositionFactory;
  const tokenScale = 10n ** BigInt(18 - s.collateralDecimals);
  for (let done = 0; done < positions; done += POSITIONS_PER_TX) {
    const count = Math.min(POSITIONS_PER_TX, positions - done);
    await (
      await factory.populate(
        engineAddress,
        await s.collateral.getAddress(),
        eth.marketId,
        count,
        BACKGROUND_SIZE,
        usd(ETH_PRICE_USD),
        tokenScale,
        { gasLimit: 16_000_000 },
      )
    ).wait();
  }
  // One BTC position: every vault valuation then reads both markets, as on a live deployment.
  const btcTrader = await freshTrader("20000");
  await (
    await s.engine.connect(btcTrader).modifyPosition(btc.marketId, usd("0.1"), usd("2000"), hre.ethers.MaxUint256)
  ).wait();
  const keeper = await newWallet();
  await setPrice("ETH", ETH_PRICE_USD);
  await setPrice("BTC", BTC_PRICE_USD);
  return { s, eth, btc, keeper, positions, tokens, usd, setPrice, freshTrader };
}

/** Runs `measure` from the current state and restores it afterwards (evm_snapshot / evm_revert). */
export async function isolated<T>(measure: () => Promise<T>): Promise<T> {
  const snapshot: string = await hre.network.provider.send("evm_snapshot", []);
  try {
    return await measure();
  } finally {
    await hre.network.provider.send("evm_revert", [snapshot]);
  }
}

/** Moves time forward and keeps both feeds fresh at their current answers. */
export async function elapse(world: World, seconds: number): Promise<void> {
  await hre.network.provider.send("evm_increaseTime", [seconds]);
  for (const m of [world.eth, world.btc]) {
    const [, answer] = await m.feed.latestRoundData();
    await (await m.feed.updateAnswer(answer)).wait();
  }
}
