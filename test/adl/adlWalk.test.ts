import { expect } from "chai";
import { ethers, network } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";

import {
  deployWith,
  ETH,
  usd,
  size as units,
  ANY_BUY_PRICE as MAX_BUY,
  ANY_SELL_PRICE as ANY_SELL,
} from "../helpers/fixtures";
import {
  WAD,
  ADL_DEFAULTS,
  abs,
  assertConservation,
  deleveragedEvents,
  ethConfig,
  expectedFill,
  expectedPnl as pnl,
  liquidatedEvent,
  mintAndDeposit as fund,
  readPosition as positionOf,
  setAdl,
  viewsAt,
  type System,
} from "../helpers/engineHelpers";
import { adlKey, bankruptcyPriceWad, compareAdlPriority } from "../../sdk/adl/adlMath";
import { adlClosePriceWad, indicesOf, maxLeverageMargin, readQueues, type Signer } from "./helpers";

// Issue 18 regressions of the ADL walk (AdlLogic `deleverage`, `_walkAdl`, `adlClosePriceWad`; AdlQueue `tickOf`).
// Each test says what the old code did; each would fail on it:
// §1 a counterparty closes at the worse for it of B and its own close fill, so a short sold into a long skew (with a
//    rebate) just before a bankrupt long's liquidation cannot keep the rebate by being closed at B;
// §3 skipped entries no longer use up maxSteps (cheap unprofitable shorts at the head of the queue cannot switch ADL
//    off); they are bounded by maxSkips instead;
// §4 keys below zero (cumulative funding past entry − margin/size) keep their exact order.

const DAY = 86_400;

async function openAt(s: System, trader: Signer, size: bigint, margin: bigint) {
  const id = s.market(ETH).marketId;
  return s.engine.connect(trader).modifyPosition(id, size, margin, size > 0n ? MAX_BUY : ANY_SELL);
}

// ───────────────────────────── §1: no rebate kept ─────────────────────────────

/** Skew scale 5,000 ETH: 500 ETH of skew moves the fill by 5%. Funding off; the fund empty; ADL on (defaults). */
const REBATE_SKEW_SCALE = units("5000");
const REBATE_CONFIG = ethConfig({
  skewScale: REBATE_SKEW_SCALE,
  maxOpenInterestPerSide: units("4999"),
  maxFundingRatePerDayWad: 0n,
  insuranceFeeShareBps: 0n,
  maxVaultExposureBps: 20_000n,
});

/**
 * A 500 ETH long at maximum leverage from 2,000 (entry 2,100 after the impact), the price down to 1,850 where it is
 * bankrupt, and a 500 ETH short sold into the long skew at 1,850 × 1.05 = 1,942.5, above the long's B (≈ 1,900):
 * the "short at $1,881 deleveraged at $1,850".
 */
async function deployRebateShort() {
  const s = await deployWith(REBATE_CONFIG);
  const id = s.market(ETH).marketId;
  const [long, short] = s.traders;
  for (const t of [long, short]) await fund(s, t, "200000");
  await openAt(s, long, units("500"), await maxLeverageMargin(s, id, units("500"), usd("2000")));
  await s.setPrice(ETH, "1850");
  await openAt(s, short, -units("500"), usd("60000"));
  return { s, id, long, short };
}

describe("ADL walk (issue 18)", () => {
  describe("§1 a counterparty closes no better than its own voluntary close", () => {
    it("a_short_sold_with_a_skew_rebate_just_before_the_liquidation_at_the_same_price_is_skipped_and_gains_nothing", async () => {
      const { s, id, long, short } = await loadFixture(deployRebateShort);
      const entry = (await positionOf(s.engine, short.address, id)).entryPriceWad;
      expect(entry, "sold at 1,850 × (1 + (1,000 − 500)/10,000)").to.equal(usd("1942.5"));
      const p = await positionOf(s.engine, long.address, id);
      // The long: entry 2,000 × (1 + 500/10,000) = 2,100, margin after the fee 100,002 (IM 50,002 plus the 50,000 it
      // was under water at open), B = 2,100 − 100,002/500 = 1,899.996.
      expect(p.entryPriceWad).to.equal(usd("2100"));
      const B = bankruptcyPriceWad(p, 0n, 0n, 0n);
      expect(B).to.equal(usd("1899.996"));
      const before = await positionOf(s.engine, short.address, id);

      const tx = await s.engine.connect(s.keeper).liquidate(long.address, id);
      // Its own buy-back at the net size of the moment (the long still in it: 500 − 500 = 0) fills at its entry,
      // 1,942.5 > B: no profit there, so it is skipped. The old code closed it at B, a gain of 500 × (1,942.5 −
      // 1,899.996) = 21,252 USD paid by the vault, in one transaction.
      expect(adlClosePriceWad(B, usd("1850"), 0n, -units("500"), units("500"), REBATE_SKEW_SCALE)).to.equal(entry);
      expect(pnl(-units("500"), entry, B), "what the old code paid it").to.equal(usd("21252"));
      expect(await deleveragedEvents(s.engine, tx)).to.deep.equal([]);
      const liq = await liquidatedEvent(s.engine, tx);
      expect(liq.adlPaidUsd).to.equal(0n);
      expect(liq.vaultPaidUsd, "the vault takes the long over").to.equal(liq.deficitUsd);
      expect(await positionOf(s.engine, short.address, id), "the short is untouched").to.deep.equal(before);
    });

    it("after_a_further_move_it_is_deleveraged_at_its_own_restore_fill_and_the_vault_keeps_what_it_pays_beyond_B", async () => {
      const { s, id, long, short } = await loadFixture(deployRebateShort);
      await s.setPrice(ETH, "1840");
      const p = await positionOf(s.engine, long.address, id);
      const B = bankruptcyPriceWad(p, 0n, 0n, 0n);
      const netSize = (await s.engine.getMarketState(id)).netSize;
      expect(netSize).to.equal(0n);
      // Written out: its voluntary buy-back of 500 now fills at 1,840 × (1 + (0 + 500)/10,000) = 1,932 > B.
      const restoreFill = expectedFill(usd("1840"), netSize, units("500"), REBATE_SKEW_SCALE);
      expect(restoreFill).to.equal(usd("1932"));
      expect(adlClosePriceWad(B, usd("1840"), netSize, -units("500"), units("500"), REBATE_SKEW_SCALE)).to.equal(
        restoreFill,
      );
      const t = BigInt(await time.latest()) + 1n;
      const vaultBefore = await viewsAt(t, () => s.engine.vaultEquityUsd(true));
      await time.setNextBlockTimestamp(t);
      const tx = await s.engine.connect(s.keeper).liquidate(long.address, id);

      const [d] = await deleveragedEvents(s.engine, tx);
      expect([d.account, d.size, d.priceWad]).to.deep.equal([short.address, -units("500"), usd("1932")]);
      // It realises 500 × (1,942.5 − 1,932) = 5,250: exactly what closing by itself at that moment gives (the
      // 10 USD move × 1.05), none of the rebate. At B it would have realised 500 × (1,942.5 − B).
      expect(d.realizedPnlUsd).to.equal(usd("5250"));
      expect(d.realizedPnlUsd).to.equal(pnl(-units("500"), usd("1942.5"), restoreFill));
      expect(d.realizedPnlUsd < pnl(-units("500"), usd("1942.5"), B)).to.equal(true);
      // The whole long is deleveraged (the fund is empty): the long ends at zero at B, and the vault receives what the
      // short paid beyond B, 500 × (1,932 − B), up to rounding dust.
      const liq = await liquidatedEvent(s.engine, tx);
      expect(liq.adlPaidUsd + liq.vaultPaidUsd).to.equal(liq.deficitUsd);
      expect(liq.vaultPaidUsd <= 1_000n, "only rounding dust on the vault").to.equal(true);
      const beyondB = pnl(-units("500"), usd("1932"), B); // 500 × (1,932 − B)
      const change = (await s.engine.vaultEquityUsd(true)) - vaultBefore;
      expect(abs(change - beyondB) <= 1_010n, `vault gains ${change}, expected ${beyondB}`).to.equal(true);
      await assertConservation({
        engine: s.engine,
        accounts: [s.keeper, long, short].map((x) => x.address),
        marketIds: s.markets.map((m) => m.marketId),
      });
    });
  });

  // ───────────────────────────── §3: cheap entries cannot switch ADL off ─────────────────────────────

  describe("§3 skipped entries do not use up maxSteps; maxSkips bounds them", () => {
    /** Funding off, the fund empty (ADL takes the whole deficit), ADL defaults (16 steps, 128 skips). */
    const CONFIG = ethConfig({ maxFundingRatePerDayWad: 0n, insuranceFeeShareBps: 0n });
    const CHEAP_SHORTS = 16;

    /**
     * A 10 ETH short opened at 2,000 with 5,000 margin (in profit at the long's B), a 10 ETH long at maximum
     * leverage (B ≈ 1,900); the price slips to 1,880 (no breaker) and the long is bankrupt; then sixteen $101
     * shorts at the minimum margin open at the mark: the most leveraged shorts, at the head of the queue, and not
     * in profit at B.
     */
    async function deployCheapShorts() {
      const s = await deployWith(CONFIG);
      const id = s.market(ETH).marketId;
      const [long, profitable] = s.traders;
      for (const t of [long, profitable]) await fund(s, t, "20000");
      await openAt(s, profitable, -units("10"), usd("5000"));
      await openAt(s, long, units("10"), await maxLeverageMargin(s, id, units("10"), usd("2000")));
      await s.setPrice(ETH, "1880");
      const cheap: Signer[] = [];
      const sizeAbs = (usd("101") * WAD) / usd("1880");
      for (let i = 0; i < CHEAP_SHORTS; i++) {
        const w = ethers.Wallet.createRandom().connect(ethers.provider);
        await network.provider.send("hardhat_setBalance", [w.address, "0x56BC75E2D63100000"]);
        const signer = await ethers.getImpersonatedSigner(w.address);
        await fund(s, signer, "20");
        await openAt(s, signer, -sizeAbs, await maxLeverageMargin(s, id, -sizeAbs, usd("1880")));
        cheap.push(signer);
      }
      return { s, id, long, profitable, cheap };
    }

    it("sixteen_cheap_max_leverage_shorts_at_the_head_no_longer_switch_ADL_off", async () => {
      const { s, id, long, profitable, cheap } = await loadFixture(deployCheapShorts);
      const accounts = [long, profitable, ...cheap].map((x) => x.address);
      const q = await readQueues(s.engine, id, accounts, ADL_DEFAULTS.minQueueNotionalUsd);
      expect(q.short.order, "the cheap shorts head the queue").to.deep.equal([
        ...cheap.map((x) => x.address),
        profitable.address,
      ]);
      const B = bankruptcyPriceWad(await positionOf(s.engine, long.address, id), 0n, 0n, 0n);
      for (const c of cheap) {
        const p = await positionOf(s.engine, c.address, id);
        expect(pnl(p.size, p.entryPriceWad, B) < 0n, "not in profit at B").to.equal(true);
      }
      const netSize = (await s.engine.getMarketState(id)).netSize;
      const tx = await s.engine.connect(s.keeper).liquidate(long.address, id);
      // The old walk counted each of the 16 visits against maxSteps = 16 and placed nothing. Now the 16 are skipped
      // (16 ≤ maxSkips = 128) and the profitable short behind them is deleveraged for the whole 10 ETH.
      const events = await deleveragedEvents(s.engine, tx);
      expect(events.map((x) => [x.account, x.size])).to.deep.equal([[profitable.address, -units("10")]]);
      expect(events[0].priceWad).to.equal(
        adlClosePriceWad(B, usd("1880"), netSize, -units("10"), units("10"), units("100000")),
      );
      const liq = await liquidatedEvent(s.engine, tx);
      expect(liq.adlPaidUsd > 0n && liq.adlPaidUsd + liq.vaultPaidUsd === liq.deficitUsd).to.equal(true);
    });

    it("the_walk_stops_at_the_skip_beyond_maxSkips", async () => {
      const { s, id, long, profitable } = await loadFixture(deployCheapShorts);
      // maxSkips 15: the 16th cheap short would be one skip too many, so the walk stops before the profitable one.
      await setAdl(s, { maxSkips: BigInt(CHEAP_SHORTS - 1) });
      const tx = await s.engine.connect(s.keeper).liquidate(long.address, id);
      expect(await deleveragedEvents(s.engine, tx)).to.deep.equal([]);
      expect((await liquidatedEvent(s.engine, tx)).adlPaidUsd).to.equal(0n);
      expect((await positionOf(s.engine, profitable.address, id)).size).to.equal(-units("10"));
    });

    it("exactly_maxSkips_skipped_entries_still_reach_the_counterparty_behind_them", async () => {
      const { s, id, long, profitable } = await loadFixture(deployCheapShorts);
      await setAdl(s, { maxSkips: BigInt(CHEAP_SHORTS) });
      const tx = await s.engine.connect(s.keeper).liquidate(long.address, id);
      expect((await deleveragedEvents(s.engine, tx)).map((x) => x.account)).to.deep.equal([profitable.address]);
    });
  });

  // ───────────────────────────── §4: negative keys keep leverage order ─────────────────────────────

  describe("§4 keys below zero", () => {
    /** Skew scale 1,000 ETH and the 100%/day funding cap, so a 1 ETH skew moves the index 2 USD per day at 2,000. */
    const CONFIG = ethConfig({
      skewScale: units("1000"),
      maxOpenInterestPerSide: units("999"),
      maxFundingRatePerDayWad: WAD,
      maxVaultExposureBps: 20_000n,
    });
    /** Margins of four 1 ETH longs, in the order they open (neither leverage nor key order). */
    const MARGINS = ["600", "150", "1200", "300"];

    /**
     * A 1 ETH long pays funding for 1,100 days (index ≈ 2,200 USD per ETH, past every entry − margin/size), then
     * four 1 ETH longs open with margins 600, 150, 1,200, 300 and a 4 ETH short opens at maximum leverage.
     */
    async function deployNegativeKeys() {
      const s = await deployWith(CONFIG);
      await setAdl(s, { minQueueNotionalUsd: usd("100") });
      const id = s.market(ETH).marketId;
      const [payer, l0, l1, l2, l3, short] = s.traders;
      const longs = [l0, l1, l2, l3];
      for (const t of [payer, ...longs, short]) await fund(s, t, "10000");
      await openAt(s, payer, units("1"), usd("3000"));
      await time.increase(1_100 * DAY);
      await s.setPrice(ETH, "2000"); // fresh again (1 h heartbeat)
      await s.engine.pokeFunding(id);
      for (let i = 0; i < longs.length; i++) await openAt(s, longs[i], units("1"), usd(MARGINS[i]));
      await openAt(s, short, -units("4"), await maxLeverageMargin(s, id, -units("4"), usd("2000")));
      return { s, id, payer, longs, short };
    }

    it("after_cumulative_funding_passes_entry_minus_margin_per_size_the_ADL_order_is_still_leverage_order", async () => {
      const { s, id, payer, longs, short } = await loadFixture(deployNegativeKeys);
      const indices = await indicesOf(s.engine, id);
      expect(indices.fundingIndexWad > usd("2100"), `funding index ${indices.fundingIndexWad}`).to.equal(true);
      const everyLong = [payer, ...longs].map((x) => x.address);
      const positions = new Map<string, Awaited<ReturnType<typeof positionOf>>>();
      for (const a of everyLong) positions.set(a, await positionOf(s.engine, a, id));
      for (const a of everyLong) expect(adlKey(positions.get(a)!) < 0n, `key of ${a} below zero`).to.equal(true);
      // By leverage at the current price: margin 150, 300, 600, then the payer (margin 3,000 less 2,200 of unpaid
      // funding), then 1,200. The old ticks put every key ≤ 0 in tick 0: oldest first (payer, 600, 150, 1,200, 300).
      const byLeverage = [...everyLong].sort((a, b) =>
        compareAdlPriority(positions.get(a)!, positions.get(b)!, usd("2000"), indices),
      );
      expect(byLeverage).to.deep.equal([longs[1], longs[3], longs[0], payer, longs[2]].map((x) => x.address));
      const q = await readQueues(s.engine, id, [...everyLong, short.address], usd("100"));
      expect(q.long.order, "queue order == leverage order").to.deep.equal(byLeverage);

      // The short goes bankrupt on a 6% rise; ADL walks the longs in that order.
      await s.setPrice(ETH, "2120");
      const tx = await s.engine.connect(s.keeper).liquidate(short.address, id);
      const events = await deleveragedEvents(s.engine, tx);
      expect(events.length > 1, "several longs deleveraged").to.equal(true);
      expect(events.map((x) => x.account)).to.deep.equal(byLeverage.slice(0, events.length));
      await assertConservation({
        engine: s.engine,
        accounts: [s.keeper.address, ...everyLong, short.address],
        marketIds: s.markets.map((m) => m.marketId),
      });
    });
  });
});
