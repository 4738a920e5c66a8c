/**
 * `npm run bench:gas`: deploys the local system on the in-process Hardhat network, runs each user action
 * once in a realistic state, and prints the gas of each (receipt gasUsed, 21k base included) and the
 * deployed code sizes as Markdown tables. The numbers in bench/BASELINE.md come from here.
 */
import hre from "hardhat";
import { parseUnits, type ContractTransactionResponse } from "ethers";
import { LOCAL_CONFIG } from "../../deploy/config";
import { deploySystem } from "../../deploy/deploySystem";

const MAX_RUNTIME_CODE_BYTES = 24_576;
const PRODUCTION_CONTRACTS: Record<string, string> = {
  PerpEngine: "contracts/PerpEngine.sol:PerpEngine",
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
  const s = await deploySystem(deployer, LOCAL_CONFIG, hre.network.name);
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

  console.log("| action | gas used |\n| --- | ---: |");
  for (const [name, gas] of rows) console.log(`| ${name} | ${gas.toLocaleString("en-US")} |`);

  console.log("\n| contract | runtime bytes | limit |\n| --- | ---: | ---: |");
  for (const [name, fqn] of Object.entries(PRODUCTION_CONTRACTS)) {
    const artifact = await hre.artifacts.readArtifact(fqn);
    const bytes = (artifact.deployedBytecode.length - 2) / 2;
    console.log(`| ${name} | ${bytes.toLocaleString("en-US")} | ${MAX_RUNTIME_CODE_BYTES.toLocaleString("en-US")} |`);
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
