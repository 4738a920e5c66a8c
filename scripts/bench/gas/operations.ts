/**
 * Every user and keeper operation the gas bench measures (issue 16), each as a function of a populated world.
 * Each runs from the world's snapshot (`isolated`), so none sees another's state. Gas is the measured
 * transaction's receipt `gasUsed` (21k base included); set-up transactions are not counted.
 */
import hre from "hardhat";
import type { Wallet } from "ethers";
import { elapse, gasOf, type World } from "./world";

export interface Operation {
  name: string;
  /** Returns the gas of the measured transaction (or a derived figure, e.g. per position). */
  run(world: World): Promise<bigint>;
}

const MAX = hre.ethers.MaxUint256;

/** An ethers `Result` (a struct returned by a view) as a plain object with its field names. */
function plain<T>(result: unknown): T {
  return (result as { toObject(): T }).toObject();
}
const ORDER_DELAY_SECONDS = 5;
const ORDER_EXPIRY_SECONDS = 300;

/** A trader with `sizeEth` long at the current price and `marginUsd` margin (instant trading). */
async function openLong(world: World, sizeEth: string, marginUsd: string, depositUsd = "20000"): Promise<Wallet> {
  const trader = await world.freshTrader(depositUsd);
  await (
    await world.s.engine
      .connect(trader)
      .modifyPosition(world.eth.marketId, world.usd(sizeEth), world.usd(marginUsd), MAX)
  ).wait();
  return trader;
}

async function modify(world: World, trader: Wallet, sizeEth: string, marginUsd: string) {
  const size = world.usd(sizeEth);
  return world.s.engine
    .connect(trader)
    .modifyPosition(world.eth.marketId, size, world.usd(marginUsd), size >= 0n ? MAX : 0n);
}

/** Switches ETH-USD to two-step orders (5 s delay, $0.50 fee) through the admin (the deployer here). */
async function enableOrders(world: World): Promise<void> {
  const [, params] = await world.s.engine.getMarketConfig(world.eth.marketId);
  const tiers = await world.s.engine.getMarginTiers(world.eth.marketId);
  await (
    await world.s.engine.setMarketParams(
      world.eth.marketId,
      {
        ...plain<typeof params>(params),
        executionDelaySeconds: ORDER_DELAY_SECONDS,
        orderExpirySeconds: ORDER_EXPIRY_SECONDS,
        executionFeeUsd: world.usd("0.5"),
      },
      tiers.map((t) => plain<typeof t>(t)),
    )
  ).wait();
}

/** Commits `sizeEth`/`marginUsd` for `trader`, waits the delay, and returns [commit gas, execute gas]. */
async function orderRoundTrip(
  world: World,
  trader: Wallet,
  sizeEth: string,
  marginUsd: string,
): Promise<[bigint, bigint]> {
  const size = world.usd(sizeEth);
  const commit = await gasOf(
    world.s.engine.connect(trader).commitOrder(world.eth.marketId, size, world.usd(marginUsd), size >= 0n ? MAX : 0n),
  );
  await elapse(world, ORDER_DELAY_SECONDS);
  const execute = await gasOf(world.s.engine.connect(world.keeper).executeOrder(trader.address, world.eth.marketId));
  return [commit, execute];
}

/** Empties the insurance fund (target 0, excess withdrawn) so that a deficit reaches ADL and the vault. */
async function emptyInsuranceFund(world: World): Promise<void> {
  const engine = world.s.engine;
  await (await engine.setInsuranceFundTarget(0n)).wait();
  const fundTokens = (await engine.insuranceFund()) / 10n ** BigInt(18 - world.s.collateralDecimals);
  if (fundTokens > 0n) {
    const [deployer] = await hre.ethers.getSigners();
    await (await engine.withdrawInsuranceExcess(deployer.address, fundTokens)).wait();
  }
}

async function setAdlSteps(world: World, maxSteps: number): Promise<void> {
  const config = await world.s.engine.adlConfig();
  await (await world.s.engine.setAdlConfig({ ...plain<typeof config>(config), maxSteps })).wait();
}

/**
 * A bankrupt 20 ETH long (10x) after a 40% gap, with an empty fund; `counterparties` 19x shorts of
 * 20/counterparties ETH each opened before the gap lead the short queue (the background is at most 16x), so the
 * ADL walk deleverages exactly them.
 */
async function bankruptLongWithAdl(world: World, counterparties: number): Promise<bigint> {
  const victim = await openLong(world, "20", "4000", "10000");
  const each = (world.usd("20") / BigInt(counterparties)).toString();
  for (let i = 0; i < counterparties; i++) {
    const short = await world.freshTrader("10000");
    const size = -BigInt(each);
    const margin = (BigInt(each) * 2000n) / 19n; // about 19x
    await (await world.s.engine.connect(short).modifyPosition(world.eth.marketId, size, margin, 0n)).wait();
  }
  await emptyInsuranceFund(world);
  await world.setPrice("ETH", "1200");
  await world.setPrice("BTC", "60000");
  return gasOf(world.s.engine.connect(world.keeper).liquidate(victim.address, world.eth.marketId));
}

/** 50 longs at about 18x (4 ETH, $440), then a price at which they are all liquidatable in full. */
async function liquidatableLongs(world: World, count: number): Promise<Wallet[]> {
  const traders: Wallet[] = [];
  for (let i = 0; i < count; i++) traders.push(await openLong(world, "4", "440", "1000"));
  await world.setPrice("ETH", "1912");
  return traders;
}

/** Longs against the vault, then a rally that puts the vault's loss in ETH over its upper threshold. */
async function vaultUnderwater(world: World): Promise<void> {
  // 20M of LP equity: the exposure cap (50%) allows 5,000 ETH net; the upper threshold is 30% of equity.
  for (let i = 0; i < 8; i++) await openLong(world, "600", "300000", "400000");
  await world.setPrice("ETH", "3500"); // loss ≈ 4,800 × 1,500 = 7.2M > 30% of ~20M
  await world.setPrice("BTC", "60000");
}

export const OPERATIONS: Operation[] = [
  {
    name: "deposit (first)",
    run: async (w) => {
      const trader = await w.freshTrader();
      await (await w.s.collateral.connect(trader).mint(trader.address, w.tokens("1000"))).wait();
      await (await w.s.collateral.connect(trader).approve(await w.s.engine.getAddress(), MAX)).wait();
      return gasOf(w.s.engine.connect(trader).deposit(w.tokens("1000")));
    },
  },
  {
    name: "withdraw",
    run: async (w) => gasOf(w.s.engine.connect(await w.freshTrader("1000")).withdraw(w.tokens("500"))),
  },
  {
    name: "open",
    run: async (w) => gasOf(modify(w, await w.freshTrader("20000"), "1", "500")),
  },
  {
    name: "increase",
    run: async (w) => {
      const trader = await openLong(w, "1", "500");
      await elapse(w, 60);
      return gasOf(modify(w, trader, "0.5", "0"));
    },
  },
  {
    name: "reduce",
    run: async (w) => {
      const trader = await openLong(w, "1", "500");
      await elapse(w, 60);
      return gasOf(modify(w, trader, "-0.5", "0"));
    },
  },
  {
    name: "close",
    run: async (w) => {
      const trader = await openLong(w, "1", "500");
      await elapse(w, 60);
      return gasOf(w.s.engine.connect(trader).closePosition(w.eth.marketId, 0n));
    },
  },
  {
    name: "add margin",
    run: async (w) => {
      const trader = await openLong(w, "1", "500");
      await elapse(w, 60);
      return gasOf(modify(w, trader, "0", "100"));
    },
  },
  {
    name: "remove margin",
    run: async (w) => {
      const trader = await openLong(w, "1", "500");
      await elapse(w, 60);
      return gasOf(modify(w, trader, "0", "-50"));
    },
  },
  ...(["open", "increase", "reduce", "close", "add margin", "remove margin"] as const).flatMap((kind) => {
    const roundTrip = async (w: World): Promise<[bigint, bigint]> => {
      await enableOrders(w);
      const trader = await w.freshTrader("20000");
      if (kind === "open") return orderRoundTrip(w, trader, "1", "500");
      await orderRoundTrip(w, trader, "1", "500");
      await elapse(w, 60);
      if (kind === "increase") return orderRoundTrip(w, trader, "0.5", "0");
      if (kind === "reduce") return orderRoundTrip(w, trader, "-0.5", "0");
      if (kind === "close") return orderRoundTrip(w, trader, "-1", "0");
      if (kind === "add margin") return orderRoundTrip(w, trader, "0", "100");
      return orderRoundTrip(w, trader, "0", "-50");
    };
    return [
      { name: `commit (${kind})`, run: async (w: World) => (await roundTrip(w))[0] },
      { name: `execute (${kind})`, run: async (w: World) => (await roundTrip(w))[1] },
    ];
  }),
  {
    name: "LP deposit",
    run: async (w) => {
      const lp = await w.freshTrader();
      await (await w.s.collateral.connect(lp).mint(lp.address, w.tokens("100000"))).wait();
      await (await w.s.collateral.connect(lp).approve(await w.s.vault.getAddress(), MAX)).wait();
      return gasOf(w.s.vault.connect(lp).deposit(w.tokens("100000"), lp.address));
    },
  },
  {
    name: "LP withdraw",
    run: async (w) => {
      const lp = await w.freshTrader();
      await (await w.s.collateral.connect(lp).mint(lp.address, w.tokens("100000"))).wait();
      await (await w.s.collateral.connect(lp).approve(await w.s.vault.getAddress(), MAX)).wait();
      await (await w.s.vault.connect(lp).deposit(w.tokens("100000"), lp.address)).wait();
      return gasOf(w.s.vault.connect(lp).withdraw(w.tokens("50000"), lp.address, lp.address));
    },
  },
  {
    name: "liquidate (partial)",
    run: async (w) => {
      const trader = await openLong(w, "4", "440", "1000");
      await w.setPrice("ETH", "1935");
      return gasOf(w.s.engine.connect(w.keeper).liquidate(trader.address, w.eth.marketId));
    },
  },
  {
    name: "liquidate (full)",
    run: async (w) => {
      const trader = await openLong(w, "4", "440", "1000");
      await w.setPrice("ETH", "1912");
      return gasOf(w.s.engine.connect(w.keeper).liquidate(trader.address, w.eth.marketId));
    },
  },
  {
    name: "liquidate (bankrupt, insurance pays)",
    run: async (w) => {
      const trader = await openLong(w, "4", "440", "1000");
      const donor = await w.freshTrader();
      await (await w.s.collateral.connect(donor).mint(donor.address, w.tokens("10000"))).wait();
      await (await w.s.collateral.connect(donor).approve(await w.s.engine.getAddress(), MAX)).wait();
      await (await w.s.engine.connect(donor).donateToInsurance(w.tokens("10000"))).wait();
      await w.setPrice("ETH", "1200");
      return gasOf(w.s.engine.connect(w.keeper).liquidate(trader.address, w.eth.marketId));
    },
  },
  ...[1, 5, 20].map((k) => ({
    name: `liquidate (bankrupt, ADL of ${k})`,
    run: async (w: World) => {
      await setAdlSteps(w, 20);
      return bankruptLongWithAdl(w, k);
    },
  })),
  {
    name: "liquidate (bankrupt, vault absorbs)",
    run: async (w) => {
      await setAdlSteps(w, 0);
      const trader = await openLong(w, "4", "440", "1000");
      await emptyInsuranceFund(w);
      await w.setPrice("ETH", "1200");
      await w.setPrice("BTC", "60000");
      return gasOf(w.s.engine.connect(w.keeper).liquidate(trader.address, w.eth.marketId));
    },
  },
  {
    name: "liquidate (bankrupt, socialized)",
    run: async (w) => {
      // The vault cannot be valued (BTC's feed is stale): the rest is socialized over the opposite traders.
      await setAdlSteps(w, 0);
      const trader = await openLong(w, "4", "440", "1000");
      await emptyInsuranceFund(w);
      await hre.network.provider.send("evm_increaseTime", [3_601]);
      await w.setPrice("ETH", "1200");
      return gasOf(w.s.engine.connect(w.keeper).liquidate(trader.address, w.eth.marketId));
    },
  },
  ...[10, 50].flatMap((n) => [
    {
      name: `liquidateMany (${n})`,
      run: async (w: World) => {
        const traders = await liquidatableLongs(w, n);
        return gasOf(
          w.s.engine.connect(w.keeper).liquidateMany(
            traders.map((t) => t.address),
            traders.map(() => w.eth.marketId),
          ),
        );
      },
    },
    {
      name: `liquidateMany (${n}), per position`,
      run: async (w: World) => {
        const traders = await liquidatableLongs(w, n);
        const gas = await gasOf(
          w.s.engine.connect(w.keeper).liquidateMany(
            traders.map((t) => t.address),
            traders.map(() => w.eth.marketId),
          ),
        );
        return gas / BigInt(n);
      },
    },
  ]),
  {
    name: "deleverageVault (16 steps)",
    run: async (w) => {
      await vaultUnderwater(w);
      return gasOf(w.s.engine.connect(w.keeper).deleverageVault(w.eth.marketId, 16));
    },
  },
  {
    name: "automatic vault protection (a trade's walk)",
    run: async (w) => {
      const trader = await openLong(w, "1", "500");
      await vaultUnderwater(w);
      // The same margin add with and without the protection walk it triggers.
      return gasOf(modify(w, trader, "0", "100"));
    },
  },
];
