/**
 * `npm run bench:gas` (issue 16): every user and keeper operation with 10, 1,000 and 10,000 existing positions in
 * the market, as a Markdown table with the 10,000/10 ratio of each, written to bench/gas.json; a per-component
 * breakdown of `open` and `liquidate`; and the deployed code sizes.
 * `npm run bench:check` re-measures and exits 1 when any operation is more than 2% above bench/gas.json.
 *
 * Environment: GAS_BENCH_SIZES (comma-separated position counts, default 10,1000,10000) to measure fewer sizes
 * while iterating (bench:check always uses the sizes recorded in bench/gas.json).
 */
import hre from "hardhat";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { buildWorld, elapse, isolated, type World } from "./gas/world";
import { OPERATIONS } from "./gas/operations";
import { gasBreakdown, type Component } from "./gas/breakdown";

const GAS_JSON = join(__dirname, "..", "..", "bench", "gas.json");
const DEFAULT_SIZES = [10, 1_000, 10_000];
/** bench:check fails above this growth over the recorded figure. */
const REGRESSION_TOLERANCE_BPS = 200n;
const MAX_RUNTIME_CODE_BYTES = 24_576;
const PRODUCTION_CONTRACTS: Record<string, string> = {
  PerpEngine: "contracts/PerpEngine.sol:PerpEngine",
  MarketAdminLogic: "contracts/governance/MarketAdminLogic.sol:MarketAdminLogic",
  LiquidationLogic: "contracts/liquidation/LiquidationLogic.sol:LiquidationLogic",
  AdlLogic: "contracts/adl/AdlLogic.sol:AdlLogic",
  OrderLogic: "contracts/orders/OrderLogic.sol:OrderLogic",
  LiquidityVault: "contracts/LiquidityVault.sol:LiquidityVault",
  ChainlinkOracleAdapter: "contracts/oracle/ChainlinkOracleAdapter.sol:ChainlinkOracleAdapter",
};

interface GasReport {
  sizes: number[];
  /** operation → position count (as a string key) → gas */
  operations: Record<string, Record<string, string>>;
}

const fmt = (gas: bigint) => gas.toLocaleString("en-US");

async function measureSize(size: number): Promise<Map<string, bigint>> {
  const started = Date.now();
  const world = await buildWorld(size);
  console.error(`  ${size} positions ready in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  const results = new Map<string, bigint>();
  for (const op of OPERATIONS) {
    results.set(op.name, await isolated(() => op.run(world)));
  }
  // One ADL step: the difference between 20 and 1 counterparties, per counterparty.
  const adl1 = results.get("liquidate (bankrupt, ADL of 1)")!;
  const adl20 = results.get("liquidate (bankrupt, ADL of 20)")!;
  results.set("one ADL step", (adl20 - adl1) / 19n);
  results.set(
    "  of which the protection walk",
    results.get("automatic vault protection (a trade's walk)")! - results.get("add margin")!,
  );
  if (size === Math.max(...sizesToMeasure())) breakdowns = await measureBreakdowns(world);
  return results;
}

let breakdowns: Map<string, Map<Component, bigint>> | undefined;

/** The component breakdown of `open` and of a full and a bankrupt `liquidate`, in the largest world. */
async function measureBreakdowns(world: World): Promise<Map<string, Map<Component, bigint>>> {
  const owners = {
    oracle: new Set(
      await Promise.all([world.eth.adapter, world.btc.adapter].map(async (a) => (await a.getAddress()).toLowerCase())),
    ),
    adlQueue: new Set([world.s.libraries["contracts/adl/AdlLogic.sol:AdlLogic"].toLowerCase()]),
  };
  const out = new Map<string, Map<Component, bigint>>();
  await isolated(async () => {
    const trader = await world.freshTrader("20000");
    const tx = await world.s.engine
      .connect(trader)
      .modifyPosition(world.eth.marketId, world.usd("1"), world.usd("500"), hre.ethers.MaxUint256);
    await tx.wait();
    out.set("open", await gasBreakdown(tx.hash, owners));
  });
  await isolated(async () => {
    const trader = await world.freshTrader("20000");
    await (
      await world.s.engine
        .connect(trader)
        .modifyPosition(world.eth.marketId, world.usd("1"), world.usd("500"), hre.ethers.MaxUint256)
    ).wait();
    await elapse(world, 60);
    const tx = await world.s.engine.connect(trader).modifyPosition(world.eth.marketId, 0n, world.usd("100"), 0n);
    await tx.wait();
    out.set("add margin", await gasBreakdown(tx.hash, owners));
  });
  await isolated(async () => {
    const trader = await world.freshTrader("1000");
    await (
      await world.s.engine
        .connect(trader)
        .modifyPosition(world.eth.marketId, world.usd("4"), world.usd("440"), hre.ethers.MaxUint256)
    ).wait();
    await world.setPrice("ETH", "1912");
    const tx = await world.s.engine.connect(world.keeper).liquidate(trader.address, world.eth.marketId);
    await tx.wait();
    out.set("liquidate (full)", await gasBreakdown(tx.hash, owners));
  });
  return out;
}

function sizesToMeasure(): number[] {
  const env = process.env.GAS_BENCH_SIZES;
  return env ? env.split(",").map((x) => Number(x.trim())) : DEFAULT_SIZES;
}

function printTable(sizes: number[], bySize: Map<number, Map<string, bigint>>): void {
  const names = [...bySize.get(sizes[0])!.keys()];
  const first = sizes[0];
  const last = sizes[sizes.length - 1];
  console.log(
    `| operation | ${sizes.map((n) => `${n.toLocaleString("en-US")} positions`).join(" | ")} | ${last}/${first} |`,
  );
  console.log(`| --- | ${sizes.map(() => "---:").join(" | ")} | ---: |`);
  for (const name of names) {
    const values = sizes.map((n) => bySize.get(n)!.get(name)!);
    const ratio = values[0] === 0n ? "" : (Number(values[values.length - 1]) / Number(values[0])).toFixed(3);
    console.log(`| ${name} | ${values.map(fmt).join(" | ")} | ${ratio} |`);
  }
}

function printBreakdowns(): void {
  if (!breakdowns) return;
  for (const [name, parts] of breakdowns) {
    const total = [...parts.values()].reduce((a, b) => a + b, 0n);
    console.log(`\n**${name}** (${fmt(total)} gas)\n\n| component | gas | share |\n| --- | ---: | ---: |`);
    for (const [component, gas] of parts) {
      console.log(`| ${component} | ${fmt(gas)} | ${((Number(gas) / Number(total)) * 100).toFixed(1)}% |`);
    }
  }
}

async function printCodeSizes(): Promise<void> {
  console.log("\n| contract | runtime bytes | limit |\n| --- | ---: | ---: |");
  for (const [name, fqn] of Object.entries(PRODUCTION_CONTRACTS)) {
    const artifact = await hre.artifacts.readArtifact(fqn);
    const bytes = (artifact.deployedBytecode.length - 2) / 2;
    console.log(`| ${name} | ${bytes.toLocaleString("en-US")} | ${MAX_RUNTIME_CODE_BYTES.toLocaleString("en-US")} |`);
  }
}

function toReport(sizes: number[], bySize: Map<number, Map<string, bigint>>): GasReport {
  const operations: GasReport["operations"] = {};
  for (const name of bySize.get(sizes[0])!.keys()) {
    operations[name] = Object.fromEntries(sizes.map((n) => [String(n), bySize.get(n)!.get(name)!.toString()]));
  }
  return { sizes, operations };
}

/** Every recorded figure the new run exceeds by more than the tolerance (or no longer measures). */
function regressions(recorded: GasReport, current: GasReport): string[] {
  const out: string[] = [];
  for (const [name, bySize] of Object.entries(recorded.operations)) {
    for (const [size, gas] of Object.entries(bySize)) {
      const now = current.operations[name]?.[size];
      if (now === undefined) {
        out.push(`${name} @ ${size}: no longer measured`);
        continue;
      }
      const limit = (BigInt(gas) * (10_000n + REGRESSION_TOLERANCE_BPS)) / 10_000n;
      if (BigInt(now) > limit) out.push(`${name} @ ${size}: ${fmt(BigInt(now))} > ${fmt(BigInt(gas))} + 2%`);
    }
  }
  return out;
}

async function main(): Promise<void> {
  const check = process.env.GAS_BENCH_CHECK === "1";
  const recorded: GasReport | undefined = check ? JSON.parse(readFileSync(GAS_JSON, "utf8")) : undefined;
  const sizes = recorded ? recorded.sizes : sizesToMeasure();
  if (recorded) process.env.GAS_BENCH_SIZES = sizes.join(",");
  const bySize = new Map<number, Map<string, bigint>>();
  for (const size of sizes) {
    console.error(`measuring with ${size.toLocaleString("en-US")} existing positions …`);
    bySize.set(size, await measureSize(size));
  }
  printTable(sizes, bySize);
  printBreakdowns();
  await printCodeSizes();
  const report = toReport(sizes, bySize);
  if (recorded) {
    const failed = regressions(recorded, report);
    if (failed.length > 0) {
      console.error(`\n${failed.length} operation(s) regressed more than 2%:\n  ${failed.join("\n  ")}`);
      process.exitCode = 1;
    } else {
      console.error("\nno operation regressed more than 2% over bench/gas.json");
    }
    return;
  }
  if (sizes.join(",") === DEFAULT_SIZES.join(",")) {
    writeFileSync(GAS_JSON, JSON.stringify(report, null, 2) + "\n");
    console.error(`written ${GAS_JSON}`);
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
