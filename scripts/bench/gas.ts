/**
 * `npm run bench:gas`: deploys the local system on the in-process Hardhat network, runs each user action
 * once in a realistic state, and prints the gas of each (receipt gasUsed, 21k base included) and the
 * deployed code sizes as Markdown tables. The numbers in bench/BASELINE.md come from here.
 */
import hre from "hardhat";
import { parseUnits, type ContractTransactionResponse } from "ethers";
import { LOCAL_CONFIG, DEVNET_ORDERS, withDelayedOrders } from "../../deploy/config";
import { deploySystem } from "../../deploy/deploySystem";

const MAX_RUNTIME_CODE_BYTES = 24_576;
/** The local deployment with the deployer kept as admin, so the bench can change settings directly. */
const BENCH_CONFIG = { ...LOCAL_CONFIG, governance: { ...LOCAL_CONFIG.governance, handOverAdmin: false } };
const PRODUCTION_CONTRACTS: Record<string, string> = {
  PerpEngine: "contracts/PerpEngine.sol:PerpEngine",
  MarketAdminLogic: "contracts/governance/MarketAdminLogic.sol:MarketAdminLogic",
  LiquidationLogic: "contracts/liquidation/LiquidationLogic.sol:LiquidationLogic",
  AdlLogic: "contracts/adl/AdlLogic.sol:AdlLogic",
  OrderLogic: "contracts/orders/OrderLogic.sol:OrderLogic",
  LiquidityVault: "contracts/LiquidityVault.sol:LiquidityVault",
  ChainlinkOracleAdapter: "contracts/oracle/ChainlinkOracleAdapter.sol:ChainlinkOracleAdapter",
};

async function gasOf(tx: Promise<ContractTransactionResponse>): Promise<bigint> {
  const receipt = await (await tx).wait();
  if (!receipt) throw new Error("no receipt");
  return receipt.gasUsed;
}

async function main(): Promise<void> {
  const [deployer, lp, alice, bob] = await hre.ethers.getSigners();
  const s = await deploySystem(deployer, BENCH_CONFIG, hre.network.name);
  const tokens = (usd: string) => parseUnits(usd, s.collateralDecimals);
  const usd = (amount: string) => parseUnits(amount, 18);
  const eth = s.markets.find((m) => m.symbol === "ETH-USD")!;
  const engine = await s.engine.getAddress();
  const vault = await s.vault.getAddress();
  const MAX = hre.ethers.MaxUint256;

  const rows: [string, bigint][] = [];
  for (const who of [lp, alice, bob]) {
    await s.collateral.mint(who.address, tokens("2000000"));
    await s.collateral.connect(who).approve(engine, MAX);
    await s.collateral.connect(who).approve(vault, MAX);
  }
  rows.push(["LP vault deposit (first)", await gasOf(s.vault.connect(lp).deposit(tokens("1000000"), lp.address))]);
  // Bob gives the market a non-zero skew and funding history, as on a live market.
  await s.engine.connect(bob).deposit(tokens("10000"));
  await s.engine.connect(bob).modifyPosition(eth.marketId, usd("-2"), usd("1000"), 0n);
  await hre.network.provider.send("evm_increaseTime", [60]);

  rows.push(["deposit (first, cold balance)", await gasOf(s.engine.connect(alice).deposit(tokens("10000")))]);
  rows.push(["deposit (warm balance)", await gasOf(s.engine.connect(alice).deposit(tokens("1000")))]);
  rows.push([
    "open (new position + margin)",
    await gasOf(s.engine.connect(alice).modifyPosition(eth.marketId, usd("1"), usd("500"), MAX)),
  ]);
  await hre.network.provider.send("evm_increaseTime", [60]);
  rows.push(["increase", await gasOf(s.engine.connect(alice).modifyPosition(eth.marketId, usd("1"), 0n, MAX))]);
  await hre.network.provider.send("evm_increaseTime", [60]);
  rows.push([
    "addMargin (modifyPosition size 0)",
    await gasOf(s.engine.connect(alice).modifyPosition(eth.marketId, 0n, usd("100"), 0n)),
  ]);
  await hre.network.provider.send("evm_increaseTime", [60]);
  rows.push(["removeMargin", await gasOf(s.engine.connect(alice).modifyPosition(eth.marketId, 0n, -usd("50"), 0n))]);
  await hre.network.provider.send("evm_increaseTime", [60]);
  rows.push(["reduce", await gasOf(s.engine.connect(alice).modifyPosition(eth.marketId, -usd("0.5"), 0n, 0n))]);
  await hre.network.provider.send("evm_increaseTime", [60]);
  rows.push(["close", await gasOf(s.engine.connect(alice).closePosition(eth.marketId, 0n))]);
  rows.push(["withdraw", await gasOf(s.engine.connect(alice).withdraw(tokens("1000")))]);
  rows.push(["LP vault withdraw", await gasOf(s.vault.connect(lp).withdraw(tokens("1000"), lp.address, lp.address))]);

  rows.push(...(await liquidationRows(s)));
  rows.push(...(await adlRows(deployer)));
  rows.push(...(await orderRows(deployer)));

  console.log("| action | gas used |\n| --- | ---: |");
  for (const [name, gas] of rows) console.log(`| ${name} | ${gas.toLocaleString("en-US")} |`);

  console.log("\n| contract | runtime bytes | limit |\n| --- | ---: | ---: |");
  for (const [name, fqn] of Object.entries(PRODUCTION_CONTRACTS)) {
    const artifact = await hre.artifacts.readArtifact(fqn);
    const bytes = (artifact.deployedBytecode.length - 2) / 2;
    console.log(`| ${name} | ${bytes.toLocaleString("en-US")} | ${MAX_RUNTIME_CODE_BYTES.toLocaleString("en-US")} |`);
  }
}

type System = Awaited<ReturnType<typeof deploySystem>>;

/**
 * Liquidation scenarios on ETH-USD at $2,000: traders open 4 ETH longs at about 18x, then the price
 * drops. Each scenario starts from the same snapshot.
 */
async function liquidationRows(s: System): Promise<[string, bigint][]> {
  const signers = await hre.ethers.getSigners();
  const keeper = signers[3];
  const traders = signers.slice(4, 4 + BATCH_LARGE);
  const eth = s.markets.find((m) => m.symbol === "ETH-USD")!;
  const engine = await s.engine.getAddress();
  const tokens = (usd: string) => parseUnits(usd, s.collateralDecimals);
  const usd = (amount: string) => parseUnits(amount, 18);
  const setPrice = (price: string) => eth.feed.updateAnswer(parseUnits(price, eth.feedDecimals));
  await setPrice("2000");
  for (const trader of traders) {
    await s.collateral.mint(trader.address, tokens("2000"));
    await s.collateral.connect(trader).approve(engine, hre.ethers.MaxUint256);
    await s.engine.connect(trader).deposit(tokens("2000"));
    await s.engine.connect(trader).modifyPosition(eth.marketId, usd("4"), usd("440"), hre.ethers.MaxUint256);
  }
  // evm_revert consumes its snapshot, so every restore takes a fresh one.
  let snapshot: string = await hre.network.provider.send("evm_snapshot", []);
  const restore = async () => {
    await hre.network.provider.send("evm_revert", [snapshot]);
    snapshot = await hre.network.provider.send("evm_snapshot", []);
  };
  const rows: [string, bigint][] = [];

  await setPrice("1935"); // equity ≈ 440 < MM ≈ 486: partial
  rows.push(["liquidate (partial)", await gasOf(s.engine.connect(keeper).liquidate(traders[0].address, eth.marketId))]);
  await restore();
  await setPrice("1912"); // equity < MM / 2: full, solvent
  rows.push([
    "liquidate (full, solvent)",
    await gasOf(s.engine.connect(keeper).liquidate(traders[0].address, eth.marketId)),
  ]);
  await restore();
  await setPrice("1200"); // 40% gap: bankrupt, fund too small, the vault absorbs the rest
  rows.push([
    "liquidate (bankrupt, fund + vault)",
    await gasOf(s.engine.connect(keeper).liquidate(traders[0].address, eth.marketId)),
  ]);
  for (const size of [BATCH_SMALL, BATCH_LARGE]) {
    await restore();
    await setPrice("1912");
    const batch = traders.slice(0, size);
    const gas = await gasOf(
      s.engine.connect(keeper).liquidateMany(
        batch.map((t) => t.address),
        batch.map(() => eth.marketId),
      ),
    );
    rows.push([`liquidateMany of ${size} (full, solvent)`, gas]);
    rows.push([`  per position`, gas / BigInt(size)]);
  }
  await hre.network.provider.send("evm_revert", [snapshot]);
  return rows;
}

/**
 * A bankrupt long whose deficit the (empty) insurance fund cannot cover is auto-deleveraged against N
 * profitable shorts of 1 ETH each: the liquidation's gas for N = 1, 5 and 10 ADL steps gives the gas per step.
 */
async function adlRows(
  deployer: Awaited<ReturnType<typeof hre.ethers.getSigners>>[number],
): Promise<[string, bigint][]> {
  const s = await deploySystem(deployer, BENCH_CONFIG, hre.network.name);
  const signers = await hre.ethers.getSigners();
  const [lp, keeper, whale] = signers.slice(1, 4);
  const shorts = signers.slice(4, 4 + ADL_STEP_COUNTS[ADL_STEP_COUNTS.length - 1]);
  const eth = s.markets.find((m) => m.symbol === "ETH-USD")!;
  const tokens = (usd: string) => parseUnits(usd, s.collateralDecimals);
  const usd = (amount: string) => parseUnits(amount, 18);
  const MAX = hre.ethers.MaxUint256;
  await s.engine.setAdlConfig({
    minQueueNotionalUsd: usd("100"),
    maxSteps: 16,
    maxSkips: 128,
    vaultLossUpperBps: 3_000,
    vaultLossLowerBps: 2_000,
  });
  for (const who of [lp, whale, ...shorts]) {
    await s.collateral.mint(who.address, tokens("1000000"));
    await s.collateral.connect(who).approve(await s.engine.getAddress(), MAX);
    await s.collateral.connect(who).approve(await s.vault.getAddress(), MAX);
  }
  await s.vault.connect(lp).deposit(tokens("1000000"), lp.address);
  for (const short of shorts) {
    await s.engine.connect(short).deposit(tokens("1000"));
    await s.engine.connect(short).modifyPosition(eth.marketId, -usd("1"), usd("500"), 0n);
  }
  await s.engine.connect(whale).deposit(tokens("10000"));
  await s.engine.connect(whale).modifyPosition(eth.marketId, usd("40"), usd("4100"), MAX);
  let snapshot: string = await hre.network.provider.send("evm_snapshot", []);
  const rows: [string, bigint][] = [];
  const gasBySteps = new Map<number, bigint>();
  for (const steps of ADL_STEP_COUNTS) {
    await s.engine.setAdlConfig({
      minQueueNotionalUsd: usd("100"),
      maxSteps: steps,
      maxSkips: 128,
      vaultLossUpperBps: 3_000,
      vaultLossLowerBps: 2_000,
    });
    await eth.feed.updateAnswer(parseUnits("1300", eth.feedDecimals)); // a 35% gap: the long is bankrupt
    const gas = await gasOf(s.engine.connect(keeper).liquidate(whale.address, eth.marketId));
    gasBySteps.set(steps, gas);
    rows.push([`liquidate (bankrupt, ${steps} ADL step${steps > 1 ? "s" : ""})`, gas]);
    await hre.network.provider.send("evm_revert", [snapshot]);
    snapshot = await hre.network.provider.send("evm_snapshot", []);
  }
  const first = ADL_STEP_COUNTS[0];
  const last = ADL_STEP_COUNTS[ADL_STEP_COUNTS.length - 1];
  rows.push(["  per ADL step", (gasBySteps.get(last)! - gasBySteps.get(first)!) / BigInt(last - first)]);
  return rows;
}

const ADL_STEP_COUNTS = [1, 5, 10];
const BATCH_SMALL = 10;
const BATCH_LARGE = 50;

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});

/**
 * Two-step orders (DESIGN §4) on a market with the devnet's delay: commit and execute of an open, a margin
 * removal and a close, an execution that cancels (slippage), and the cancellation of an expired order.
 */
async function orderRows(
  deployer: Awaited<ReturnType<typeof hre.ethers.getSigners>>[number],
): Promise<[string, bigint][]> {
  const s = await deploySystem(deployer, withDelayedOrders(BENCH_CONFIG, DEVNET_ORDERS), hre.network.name);
  const [, lp, alice, bob, keeper] = await hre.ethers.getSigners();
  const eth = s.markets.find((m) => m.symbol === "ETH-USD")!;
  const tokens = (usd: string) => parseUnits(usd, s.collateralDecimals);
  const usd = (amount: string) => parseUnits(amount, 18);
  const MAX = hre.ethers.MaxUint256;
  const delay = Number(DEVNET_ORDERS.executionDelaySeconds);
  const wait = async (seconds: number) => {
    await hre.network.provider.send("evm_increaseTime", [seconds]);
    await eth.feed.updateAnswer(parseUnits("2000", eth.feedDecimals));
  };
  for (const who of [lp, alice, bob]) {
    await s.collateral.mint(who.address, tokens("2000000"));
    await s.collateral.connect(who).approve(await s.engine.getAddress(), MAX);
    await s.collateral.connect(who).approve(await s.vault.getAddress(), MAX);
  }
  await s.vault.connect(lp).deposit(tokens("1000000"), lp.address);
  await s.engine.connect(alice).deposit(tokens("10000"));
  await s.engine.connect(bob).deposit(tokens("10000"));
  const rows: [string, bigint][] = [];
  const commit = (sizeDelta: bigint, marginDelta: bigint, acceptable: bigint) =>
    gasOf(s.engine.connect(alice).commitOrder(eth.marketId, sizeDelta, marginDelta, acceptable));
  const execute = async () => {
    await wait(delay);
    return gasOf(s.engine.connect(keeper).executeOrder(alice.address, eth.marketId));
  };
  rows.push(["commitOrder (open)", await commit(usd("1"), usd("500"), MAX)]);
  rows.push(["executeOrder (open)", await execute()]);
  rows.push(["commitOrder (remove margin)", await commit(0n, -usd("50"), 0n)]);
  rows.push(["executeOrder (remove margin)", await execute()]);
  rows.push(["commitOrder (close)", await commit(-usd("1"), 0n, 0n)]);
  rows.push(["executeOrder (close)", await execute()]);
  await commit(usd("1"), usd("500"), usd("1900"));
  rows.push(["executeOrder that cancels (slippage)", await execute()]);
  await commit(usd("1"), usd("500"), MAX);
  await wait(Number(DEVNET_ORDERS.executionDelaySeconds + DEVNET_ORDERS.orderExpirySeconds) + 1);
  rows.push(["cancelOrder (expired)", await gasOf(s.engine.connect(bob).cancelOrder(alice.address, eth.marketId))]);
  return rows;
}
