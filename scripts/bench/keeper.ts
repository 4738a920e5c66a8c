/**
 * `npm run bench:keeper`: the keeper's performance figures, printed as Markdown tables (issue 12's benchmark).
 * 1. Price update → candidate set (the index plus the SDK's exact check) at 1,000 / 10,000 / 100,000 mirrored
 *    positions (synthetic mirror, in process), against a full scan with the same exact check.
 * 2. RPC requests per block in steady state (a real `hardhat node` mining a block a second, the keeper in
 *    process) with 100 real positions and with 10,000 mirrored positions (9,900 synthetic, healthy).
 * 3. Blocks from a price update to the last liquidation receipt, 1,000 real positions of which 200 turn
 *    liquidatable, 1-second blocks.
 * 4. Blocks from an order's delay passing to its execution receipt.
 * 5. Backfill speed (events per second) over the 1,000-position history.
 * Environment: BENCH_SIZES (default "1000,10000,100000"), BENCH_SKIP_CHAIN=1 to run part 1 only.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { HDNodeWallet, MaxUint256, Wallet, parseUnits, toQuantity, type JsonRpcSigner } from "ethers";
import pino from "pino";
import { rpcCall } from "../../sdk/chain/rpc";
import { writeAddressBook, type AddressBook } from "../../sdk/addressBook";
import { LOCAL_CONFIG, withDelayedOrders } from "../../deploy/config";
import { deployToNode, startLocalNode, type LocalNode } from "../../test/support/localChain";
import { stopAllChildren } from "../../test/support/processes";
import { validateConfig } from "../../keeper/config/schema";
import { Keeper } from "../../keeper/keeper";
import { PositionMirror } from "../../keeper/mirror/positionMirror";
import { emptyMarketState, toSdkParams } from "../../keeper/mirror/marketMirror";
import { LiquidationIndex } from "../../keeper/pricing/liquidationIndex";
import { fundingIndexAt, mirroredHealth } from "../../keeper/pricing/health";
import { updateMarketTotals } from "../../sdk/math/engineMath";
import type { Position } from "../../sdk/math/types";
import type { DeployedSystem } from "../../deploy/deploySystem";

const WAD = 10n ** 18n;
const usd = (amount: string) => parseUnits(amount, 18);
const SYNTHETIC_MARKET = "0x" + "ab".repeat(32);
const silent = pino({ level: "silent" });
/** Seeding requests can be slow on a loaded machine (a block of hundreds of transactions). */
const SLOW_RPC_TIMEOUT_MS = 300_000;

// ───────────────────────── 1. candidate set ─────────────────────────

/** A mirror with `count` positions in one ETH-like market around $2,000, leverage 2x–19x, both sides. */
function syntheticMirror(count: number, seed = 7): PositionMirror {
  let state = seed;
  const random = () => {
    state = (Math.imul(state, 1_664_525) + 1_013_904_223) >>> 0;
    return state / 4_294_967_296;
  };
  const mirror = new PositionMirror(2);
  const params = toSdkParams(
    Object.fromEntries(
      Object.entries(LOCAL_CONFIG.markets[0].params).map(([k, v]) => [k, BigInt(v as bigint)]),
    ) as Record<string, bigint>,
  );
  const tiers = LOCAL_CONFIG.markets[0].tiers.map((t) => ({
    notionalFloorUsd: BigInt(t.notionalFloorUsd),
    initialMarginBps: BigInt(t.initialMarginBps),
    maintenanceMarginBps: BigInt(t.maintenanceMarginBps),
  }));
  mirror.markets.set(SYNTHETIC_MARKET, {
    marketId: SYNTHETIC_MARKET,
    oracle: "0x0",
    params,
    tiers,
    previousTiers: [],
    ramp: { startTime: 0n, endTime: 0n, previousKeeperRewardUsd: 0n },
    state: emptyMarketState(0n),
    settlementPriceWad: 0n,
    reduceOnly: false,
  });
  const market = mirror.markets.get(SYNTHETIC_MARKET)!;
  const positions = new Map<string, Position>();
  const calm = usd("2000");
  for (let i = 0; positions.size < count; ++i) {
    const isLong = random() < 0.5;
    const sizeUnits = 0.05 + random() * 20; // up to 20 ETH ($40k): a few reach the second tier at $1M? no; mostly tier 1
    const size = BigInt(Math.round(sizeUnits * 1e6)) * 10n ** 12n * (isLong ? 1n : -1n);
    const entry = usd((1_900 + random() * 200).toFixed(2));
    const leverage = 2 + random() * 17;
    const notional = ((size < 0n ? -size : size) * entry) / WAD;
    const margin = BigInt(Math.round(Number(notional) / leverage / 1e6)) * 10n ** 6n;
    const position = {
      size,
      entryPriceWad: entry,
      marginUsd: margin,
      fundingIndexSnapshotWad: 0n,
      lossIndexSnapshotWad: 0n,
    };
    // The keeper has done its job: nothing is liquidatable at the calm price before the update.
    if (mirroredHealth(market, market.state, position, calm, 0n, 0n).isLiquidatable) continue;
    const account = `0x${i.toString(16).padStart(40, "0")}`;
    positions.set(account, position);
    market.state = updateMarketTotals(
      market.state,
      { size: 0n, entryPriceWad: 0n, marginUsd: 0n, fundingIndexSnapshotWad: 0n, lossIndexSnapshotWad: 0n },
      position,
      size,
    );
  }
  mirror.positions.set(SYNTHETIC_MARKET, positions);
  return mirror;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

function benchCandidateSet(sizes: number[]): string {
  const rows: string[] = [];
  for (const [count, dropPrice] of sizes.flatMap(
    (n) =>
      [
        [n, "1998"],
        [n, "1980"],
        [n, "1880"],
      ] as const,
  )) {
    const mirror = syntheticMirror(count);
    const index = new LiquidationIndex(mirror);
    const market = mirror.markets.get(SYNTHETIC_MARKET)!;
    const price = usd(dropPrice);
    const now = 0n;
    const indexRuns: number[] = [];
    let found = 0;
    let checked = 0;
    let walked = 0;
    for (let run = 0; run < 15; ++run) {
      const stats = { walked: 0, checked: 0, liquidatable: 0 };
      const started = process.hrtime.bigint();
      found = index.liquidatable(SYNTHETIC_MARKET, price, now, stats).length;
      indexRuns.push(Number(process.hrtime.bigint() - started) / 1e6);
      checked = stats.checked;
      walked = stats.walked;
    }
    const scanRuns: number[] = [];
    let scanned = 0;
    for (let run = 0; run < 3; ++run) {
      const started = process.hrtime.bigint();
      const funding = fundingIndexAt(market, price, now);
      scanned = 0;
      for (const position of mirror.positions.get(SYNTHETIC_MARKET)!.values()) {
        if (mirroredHealth(market, market.state, position, price, now, funding).isLiquidatable) scanned += 1;
      }
      scanRuns.push(Number(process.hrtime.bigint() - started) / 1e6);
    }
    if (scanned !== found) throw new Error(`index found ${found}, full scan ${scanned} at ${count} positions`);
    rows.push(
      `| ${count.toLocaleString("en-US")} | ${{ "1998": "−0.1%", "1980": "−1%", "1880": "−6%" }[dropPrice]} | ${found} | ${walked} | ${checked} | ${median(indexRuns).toFixed(2)} | ${median(scanRuns).toFixed(1)} |`,
    );
  }
  return [
    "| mirrored positions | price update from $2,000 (none liquidatable before) | liquidatable after | walked | checked exactly (near the boundary) | index → candidate set (ms, median of 15) | full scan with the exact check (ms) |",
    "| ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ...rows,
  ].join("\n");
}

// ───────────────────────── chain helpers ─────────────────────────

interface Chain {
  node: LocalNode;
  system: DeployedSystem;
  book: AddressBook;
  bookPath: string;
  dir: string;
}

async function deployChain(orders = false): Promise<Chain> {
  const node = await startLocalNode();
  const config = orders
    ? withDelayedOrders(LOCAL_CONFIG, {
        executionDelaySeconds: 5n,
        orderExpirySeconds: 300n,
        executionFeeUsd: usd("0.5"),
      })
    : LOCAL_CONFIG;
  const system = await deployToNode(node, config);
  const dir = mkdtempSync(join(tmpdir(), "keeper-bench-"));
  const bookPath = writeAddressBook(system.addressBook, join(dir, "localhost.json"));
  const lp = await node.signer(0);
  const amount = parseUnits("50000000", 6);
  await (await system.collateral.connect(lp).mint(await lp.getAddress(), amount)).wait();
  await (await system.collateral.connect(lp).approve(await system.vault.getAddress(), MaxUint256)).wait();
  await (await system.vault.connect(lp).deposit(amount, await lp.getAddress())).wait();
  return { node, system, book: system.addressBook, bookPath, dir };
}

/**
 * Opens `count` 1-ETH longs from fresh wallets, margins spread so that `liquidatableAt` makes `liquidatableCount` of
 * them liquidatable (but solvent) and leaves the rest healthy. All transactions are signed with explicit nonces
 * and sent at once; blocks are mined until everything is in.
 */
async function openPositions(chain: Chain, count: number, liquidatableCount: number): Promise<void> {
  const { node, system } = chain;
  const chainId = 31337n;
  const engine = await system.engine.getAddress();
  const collateral = await system.collateral.getAddress();
  const marketId = system.markets[0].marketId;
  const wallets = Array.from({ length: count }, (_, i) =>
    HDNodeWallet.fromSeed(`0x${(i + 1).toString(16).padStart(64, "0")}`),
  );
  await rpcCall(node.url, "evm_setAutomine", [false]);
  for (const wallet of wallets)
    await rpcCall(node.url, "hardhat_setBalance", [wallet.address, toQuantity(10n ** 20n)], SLOW_RPC_TIMEOUT_MS);
  const fee = { maxFeePerGas: 10n ** 11n, maxPriorityFeePerGas: 10n ** 9n, type: 2, chainId };
  const hashes: string[] = [];
  for (const [i, wallet] of wallets.entries()) {
    // Liquidatable ones get $150–$160 margin (liquidatable but solvent at $1,860), the others $400–$600.
    const margin = i < liquidatableCount ? 150 + (10 * i) / liquidatableCount : 400 + (200 * i) / count;
    const calls = [
      {
        to: collateral,
        data: system.collateral.interface.encodeFunctionData("mint", [wallet.address, parseUnits("1000", 6)]),
        gasLimit: 100_000n,
      },
      {
        to: collateral,
        data: system.collateral.interface.encodeFunctionData("approve", [engine, MaxUint256]),
        gasLimit: 100_000n,
      },
      {
        to: engine,
        data: system.engine.interface.encodeFunctionData("deposit", [parseUnits("1000", 6)]),
        gasLimit: 150_000n,
      },
      {
        to: engine,
        data: system.engine.interface.encodeFunctionData("modifyPosition", [
          marketId,
          usd("1"),
          usd(margin.toFixed(4)),
          MaxUint256,
        ]),
        gasLimit: 1_000_000n,
      },
    ];
    for (const [nonce, call] of calls.entries()) {
      const signed = await (wallet as unknown as Wallet).signTransaction({ ...fee, ...call, nonce });
      hashes.push(await rpcCall<string>(node.url, "eth_sendRawTransaction", [signed], SLOW_RPC_TIMEOUT_MS));
    }
  }
  for (let mined = 0; ;) {
    await rpcCall(node.url, "evm_mine", [], SLOW_RPC_TIMEOUT_MS);
    const last = await rpcCall<{ status: string } | null>(node.url, "eth_getTransactionReceipt", [
      hashes[hashes.length - 1],
    ]);
    if (last) break;
    if (++mined > 10_000) throw new Error("seeding did not finish");
  }
  const failed = (
    await Promise.all(
      hashes
        .slice(-40)
        .map((h) => rpcCall<{ status: string }>(node.url, "eth_getTransactionReceipt", [h], SLOW_RPC_TIMEOUT_MS)),
    )
  ).filter((r) => r.status !== "0x1").length;
  if (failed) throw new Error(`${failed} seeding transactions failed`);
  await rpcCall(node.url, "evm_setAutomine", [true]);
}

async function setPrice(chain: Chain, priceUsd: string): Promise<number> {
  const market = chain.system.markets[0];
  const tx = await market.feed
    .connect(await chain.node.signer(0))
    .updateAnswer(parseUnits(priceUsd, market.feedDecimals));
  return (await tx.wait())!.blockNumber;
}

function keeperFor(chain: Chain, account: number, extra: string[] = []): Keeper {
  const config = validateConfig({
    rpcUrl: chain.node.url,
    addressBook: chain.bookPath,
    checkpoint: join(chain.dir, `bench-${account}-${Date.now()}.json`),
    metricsPort: "0",
    ...Object.fromEntries(extra.map((flag, i) => [flag, extra[i + 1]]).filter((_, i) => i % 2 === 0)),
  });
  const key = HDNodeWallet.fromPhrase(
    "test test test test test test test test test test test junk",
    undefined,
    `m/44'/60'/0'/0/${account}`,
  );
  return new Keeper(config, new Wallet(key.privateKey), silent);
}

async function counter(keeper: Keeper, name: string): Promise<number> {
  const metric = (await keeper.metrics.registry.getMetricsAsJSON()).find((m) => m.name === name);
  return (metric?.values ?? []).reduce((sum, v) => sum + v.value, 0);
}

// ───────────────────────── 2–5. on a chain ─────────────────────────

async function benchChain(): Promise<string[]> {
  const tables: string[] = [];
  const chain = await deployChain();
  try {
    let started = Date.now();
    await openPositions(chain, 1_000, 200);
    const seedSeconds = (Date.now() - started) / 1_000;

    // 5. Backfill: a fresh keeper reads the whole history.
    const backfiller = keeperFor(chain, 9, ["reorgDepth", "4"]);
    started = Date.now();
    await backfiller.step();
    const backfillMs = Date.now() - started;
    const events = await counter(backfiller, "keeper_backfilled_events_total");
    const positions = backfiller.positionMirror.positionCount();

    // 3. Price update → last liquidation receipt, 1-second blocks.
    const keeper = keeperFor(chain, 1);
    await keeper.step();
    const running = keeper.run();
    await chain.node.setIntervalMining(1_000);
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    const requestsBefore = await counter(keeper, "keeper_rpc_requests_total");
    const blockBefore = Number(await rpcCall<string>(chain.node.url, "eth_blockNumber", []));
    await new Promise((resolve) => setTimeout(resolve, 20_000));
    const blockAfter = Number(await rpcCall<string>(chain.node.url, "eth_blockNumber", []));
    const requestsAfter = await counter(keeper, "keeper_rpc_requests_total");
    const steady100 = (requestsAfter - requestsBefore) / (blockAfter - blockBefore);

    const priceBlock = await setPrice(chain, "1860");
    const engine = chain.system.engine;
    let lastLiquidationBlock = 0;
    for (let waited = 0; waited < 60; ++waited) {
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      const liquidations = await engine.queryFilter(engine.filters.Liquidated(), priceBlock, "latest");
      if (liquidations.length >= 200) {
        lastLiquidationBlock = Math.max(...liquidations.map((e) => e.blockNumber));
        break;
      }
    }
    await keeper.stop();
    await running;

    // 2 (continued). 10,000 mirrored positions: the same keeper code with 9,900 synthetic healthy positions added.
    const big = keeperFor(chain, 2);
    await big.step();
    const synthetic = syntheticMirror(9_900);
    for (const [marketId, byAccount] of synthetic.positions) {
      const real = big.positionMirror.markets.get(chain.system.markets[0].marketId)!;
      void marketId;
      const map = big.positionMirror.positions.get(real.marketId) ?? new Map<string, Position>();
      for (const [account, position] of byAccount) {
        // Healthy at any price the bench uses: 2x or less.
        map.set(`0x9${account.slice(3)}`, { ...position, marginUsd: position.marginUsd * 10n });
      }
      big.positionMirror.positions.set(real.marketId, map);
    }
    (big as unknown as { index: LiquidationIndex }).index.rebuildAll();
    const bigRunning = big.run();
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    const bigBefore = await counter(big, "keeper_rpc_requests_total");
    const bigBlockBefore = Number(await rpcCall<string>(chain.node.url, "eth_blockNumber", []));
    await new Promise((resolve) => setTimeout(resolve, 20_000));
    const bigBlockAfter = Number(await rpcCall<string>(chain.node.url, "eth_blockNumber", []));
    const bigAfter = await counter(big, "keeper_rpc_requests_total");
    const tracked = big.positionMirror.positionCount();
    await big.stop();
    await bigRunning;

    tables.push(
      [
        "| steady state (1-second blocks, 20 s) | mirrored positions | RPC requests per block |",
        "| --- | ---: | ---: |",
        `| real positions only | ${positions} | ${steady100.toFixed(2)} |`,
        `| the same chain + 9,900 synthetic healthy positions in the mirror | ${tracked} | ${((bigAfter - bigBefore) / (bigBlockAfter - bigBlockBefore)).toFixed(2)} |`,
      ].join("\n"),
    );
    tables.push(
      [
        "| scenario | figure |",
        "| --- | ---: |",
        `| 1,000 positions, 200 turn liquidatable: blocks from the price update to the last liquidation receipt | ${lastLiquidationBlock ? lastLiquidationBlock - priceBlock : "not all liquidated in 60 s"} |`,
        `| backfill: ${events.toLocaleString("en-US")} events over the seeding history | ${((events / backfillMs) * 1_000).toFixed(0)} events/s (${backfillMs} ms) |`,
        `| seeding 1,000 positions (4,000 transactions) | ${seedSeconds.toFixed(0)} s |`,
      ].join("\n"),
    );
  } finally {
    await stopAllChildren();
    rmSync(chain.dir, { recursive: true, force: true });
  }

  // 4. Orders: blocks from the delay passing to the execution receipt.
  const orderChain = await deployChain(true);
  try {
    const keeper = keeperFor(orderChain, 1);
    await keeper.step();
    const running = keeper.run();
    await orderChain.node.setIntervalMining(1_000);
    const engine = orderChain.system.engine;
    const marketId = orderChain.system.markets[0].marketId;
    const traders: JsonRpcSigner[] = await Promise.all([13, 14, 15, 16, 17].map((i) => orderChain.node.signer(i)));
    const delays: number[] = [];
    for (const trader of traders) {
      const address = await trader.getAddress();
      await (await orderChain.system.collateral.connect(trader).mint(address, parseUnits("1000", 6))).wait();
      await (await orderChain.system.collateral.connect(trader).approve(await engine.getAddress(), MaxUint256)).wait();
      await (await engine.connect(trader).deposit(parseUnits("1000", 6))).wait();
      const receipt = await (
        await engine.connect(trader).commitOrder(marketId, usd("0.5"), usd("200"), MaxUint256)
      ).wait();
      const committed = (
        await engine.queryFilter(engine.filters.OrderCommitted(address), receipt!.blockNumber, receipt!.blockNumber)
      )[0];
      let executed;
      for (let waited = 0; waited < 30 && !executed; ++waited) {
        await new Promise((resolve) => setTimeout(resolve, 1_000));
        executed = (await engine.queryFilter(engine.filters.OrderExecuted(address), receipt!.blockNumber, "latest"))[0];
      }
      if (!executed) throw new Error("order not executed in 30 s");
      let firstReady = receipt!.blockNumber + 1;
      while ((await orderChain.node.provider.getBlock(firstReady))!.timestamp < Number(committed.args.executableAt))
        firstReady += 1;
      delays.push(executed.blockNumber - firstReady);
    }
    await keeper.stop();
    await running;
    tables.push(
      [
        "| orders (5 s delay, 1-second blocks) | blocks from the delay passing to the execution receipt |",
        "| --- | ---: |",
        `| ${delays.length} orders | ${delays.join(", ")} (max ${Math.max(...delays)}) |`,
      ].join("\n"),
    );
  } finally {
    await stopAllChildren();
    rmSync(orderChain.dir, { recursive: true, force: true });
  }
  return tables;
}

async function main(): Promise<void> {
  const sizes = (process.env.BENCH_SIZES ?? "1000,10000,100000").split(",").map(Number);
  console.log("## Keeper benchmark\n");
  console.log(benchCandidateSet(sizes));
  if (process.env.BENCH_SKIP_CHAIN !== "1") {
    for (const table of await benchChain()) console.log(`\n${table}`);
  }
}

main().catch(async (error: unknown) => {
  console.error(error);
  await stopAllChildren();
  process.exit(1);
});
