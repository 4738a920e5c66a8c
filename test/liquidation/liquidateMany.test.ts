import { expect } from "chai";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";

import { deployLocalSystem, usd, ETH, BTC } from "../helpers/fixtures";
import {
  ETH_LIQUIDATION_DEFAULTS as ETH_PARAMS,
  depositFromTraders,
  engineEvents,
  expectConservation,
  mintAndDeposit as fund,
  openPosition as open,
  predictLiquidation,
  withAdlOff,
} from "../helpers/engineHelpers";
import { UNLISTED } from "./liquidationFixtures";

// `liquidateMany` (DESIGN §7 batch entry point; LiquidationLogic.liquidateMany): liquidates what is
// liquidatable, skips the rest with `LiquidationSkipped(account, market, reason)` instead of reverting,
// returns one bool per entry, and after a sweep over every position at a price no liquidatable position
// is left.

const P = ETH_PARAMS;
enum Skip {
  MarketNotListed = 0,
  PriceInvalid = 1,
  NoPosition = 2,
  Healthy = 3,
}

/** Standard system: trader 0 a 10 ETH long at ~18x, trader 1 a healthy 2x long, trader 3 a BTC long. */
async function deployBatch() {
  const s = await withAdlOff(await deployLocalSystem());
  await depositFromTraders(s, 6, "20000");
  await open(s, s.traders[0], ETH, "10", "1100");
  await open(s, s.traders[1], ETH, "1", "1000");
  await open(s, s.traders[3], BTC, "0.1", "400");
  return s;
}

async function deployCascade() {
  return withAdlOff(await deployLocalSystem());
}

describe("liquidateMany", () => {
  it("liquidateMany_reverts_ArrayLengthMismatch_for_unequal_arrays", async () => {
    const s = await loadFixture(deployBatch);
    const id = s.market(ETH).marketId;
    await expect(s.engine.connect(s.keeper).liquidateMany([s.traders[0].address, s.traders[1].address], [id]))
      .to.be.revertedWithCustomError(s.engine, "ArrayLengthMismatch")
      .withArgs(2n, 1n);
  });

  it("liquidateMany_liquidates_the_liquidatable_entry_and_skips_healthy_empty_repeated_unlisted_and_invalid_price", async () => {
    const s = await loadFixture(deployBatch);
    const eth = s.market(ETH).marketId;
    const btc = s.market(BTC).marketId;
    const [victim, healthy, flat, btcTrader] = s.traders;
    // The BTC feed goes stale (1 h heartbeat); only ETH is refreshed, to a price that makes the victim liquidatable.
    await time.increase(3_601);
    await s.setPrice(ETH, "1915");
    // The strict entry point reverts with the adapter's error; the batch skips the entry.
    await expect(s.engine.connect(s.keeper).liquidate(btcTrader.address, btc)).to.be.revertedWithCustomError(
      s.market(BTC).adapter,
      "PriceStale",
    );
    const accounts = [victim.address, healthy.address, flat.address, victim.address, victim.address, btcTrader.address];
    const ids = [eth, eth, eth, eth, UNLISTED, btc];
    const result = await s.engine.connect(s.keeper).liquidateMany.staticCall(accounts, ids);
    expect(result).to.deep.equal([true, false, false, false, false, false]);

    const e = await predictLiquidation(s.engine, P, victim.address, eth, usd("1915"));
    expect(e.partial, "a full liquidation: the repeat finds no position").to.equal(false);
    const tx = await s.engine.connect(s.keeper).liquidateMany(accounts, ids);
    await expect(tx)
      .to.emit(s.engine, "Liquidated")
      .withArgs(
        victim.address,
        eth,
        s.keeper.address,
        e.closedSize,
        e.exec,
        0n,
        0n,
        e.penalty,
        e.keeperCredit,
        0n,
        0n,
        0n,
        0n,
        0n,
      );
    const skipped = (await engineEvents(s.engine, tx))
      .filter((x) => x.name === "LiquidationSkipped")
      .map((x) => [x.args.account, x.args.marketId, x.args.reason]);
    expect(skipped).to.deep.equal([
      [healthy.address, eth, BigInt(Skip.Healthy)],
      [flat.address, eth, BigInt(Skip.NoPosition)],
      [victim.address, eth, BigInt(Skip.NoPosition)],
      [victim.address, UNLISTED, BigInt(Skip.MarketNotListed)],
      [btcTrader.address, btc, BigInt(Skip.PriceInvalid)],
    ]);
    expect((await engineEvents(s.engine, tx)).filter((x) => x.name === "Liquidated").length).to.equal(1);
    expect(await s.engine.freeBalance(s.keeper.address)).to.equal(e.keeperCredit);
    await expectConservation(
      s.engine,
      [s.keeper.address, ...s.traders.slice(0, 6).map((t) => t.address)],
      s.markets.map((m) => m.marketId),
    );
  });

  it("liquidateMany_skips_a_repeated_partially_liquidated_entry_as_healthy", async () => {
    const s = await loadFixture(deployBatch);
    const eth = s.market(ETH).marketId;
    await s.setPrice(ETH, "1939");
    const e = await predictLiquidation(s.engine, P, s.traders[0].address, eth, usd("1939"));
    expect(e.partial).to.equal(true);
    const entries: [string[], string[]] = [
      [s.traders[0].address, s.traders[0].address],
      [eth, eth],
    ];
    // staticCall runs in a later block than the prediction was pinned for; its result does not depend on it.
    expect(await s.engine.connect(s.keeper).liquidateMany.staticCall(...entries)).to.deep.equal([true, false]);
    const tx = await s.engine.connect(s.keeper).liquidateMany(...entries);
    await expect(tx).to.emit(s.engine, "LiquidationSkipped").withArgs(s.traders[0].address, eth, BigInt(Skip.Healthy));
  });

  it("liquidateMany_with_nothing_liquidatable_returns_all_false_and_changes_nothing", async () => {
    const s = await loadFixture(deployBatch);
    const eth = s.market(ETH).marketId;
    const accounts = s.traders.slice(0, 3).map((t) => t.address);
    const ids = [eth, eth, eth];
    expect(await s.engine.connect(s.keeper).liquidateMany.staticCall(accounts, ids)).to.deep.equal([
      false,
      false,
      false,
    ]);
    const fundBefore = await s.engine.insuranceFund();
    await s.engine.connect(s.keeper).liquidateMany(accounts, ids);
    expect(await s.engine.insuranceFund()).to.equal(fundBefore);
    expect(await s.engine.freeBalance(s.keeper.address)).to.equal(0n);
  });

  it("cascade_of_20_accounts_over_a_stepped_price_path_leaves_nothing_liquidatable_after_each_sweep", async () => {
    const s = await loadFixture(deployCascade);
    const eth = s.market(ETH).marketId;
    const traders = s.traders.slice(0, 20);
    const leverages = [4, 6, 8, 10, 12, 14, 15, 16, 17, 18];
    for (let i = 0; i < traders.length; i++) {
      await fund(s, traders[i], "20000");
      const isLong = i % 2 === 0;
      const sizeEth = 1 + (i % 5); // 1..5 ETH
      const lev = leverages[i % leverages.length];
      const margin = Math.ceil((2000 * sizeEth) / lev + 5);
      await open(s, traders[i], ETH, `${isLong ? "" : "-"}${sizeEth}`, `${margin}`);
    }
    const accounts = traders.map((t) => t.address);
    const ids = accounts.map(() => eth);
    const everyone = [s.keeper.address, ...accounts];
    // Down in 2% steps to ~1,600, then up in 2% steps to ~2,500: longs fall first, then shorts.
    const path: number[] = [];
    for (let p = 2000; p > 1600; p *= 0.98) path.push(p);
    for (let p = path[path.length - 1]; p < 2500; p *= 1.02) path.push(p);
    let liquidations = 0;
    let partials = 0;
    for (const price of path) {
      await s.setPrice(ETH, price.toFixed(2));
      const tx = await s.engine.connect(s.keeper).liquidateMany(accounts, ids);
      for (const ev of await engineEvents(s.engine, tx)) {
        if (ev.name !== "Liquidated") continue;
        liquidations++;
        if ((ev.args.remainingSize as bigint) !== 0n) partials++;
      }
      for (const a of accounts) {
        expect(await s.engine.isLiquidatable(a, eth), `${a} liquidatable after the sweep at ${price}`).to.equal(false);
      }
      await expectConservation(s.engine, everyone, [eth]);
      expect((await s.engine.insuranceFund()) >= 0n).to.equal(true);
    }
    expect(liquidations, "the path liquidates most positions").to.be.greaterThan(12);
    expect(partials, "some liquidations are partial").to.be.greaterThan(0);
  });
});
