import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";

import {
  deployWith,
  usd,
  size,
  ETH,
  BTC,
  ANY_BUY_PRICE as MAX_BUY,
  ANY_SELL_PRICE as ANY_SELL,
} from "../helpers/fixtures";
import {
  WAD,
  abs,
  minBig,
  divCeil,
  divFloor,
  depositFromTraders,
  ethConfig,
  minOpenMargin,
  mintAndDeposit,
  predictLiquidation,
  predictLiquidationWithVault,
  expectLiquidationMatches,
  liquidationBalances,
  liquidatedEvent,
  expectConservation,
  readMarket,
  lossPaidOf,
  engineEvents,
  vaultMarketValue36,
  withAdlOff,
  type LiquidationParams as LiqParams,
  type System,
} from "../helpers/engineHelpers";
import { withParams, marketIds } from "./liquidationFixtures";

// The loss waterfall (DESIGN §8, §10; LiquidationLogic `_coverDeficitAndPay`, `_store`, `_splitRest`,
// `_socialize`): a bankrupt close's deficit D is paid by the insurance fund I = min(D, fund after the keeper
// top-up), ADL (off here: adlPaid = 0; see test/adl/adlExecution.test.ts), then the vault, which took the bankrupt
// position over, absorbs the rest up to its equity (marked to market, gains included, once the liquidation's books
// are written); only what exceeds the vault's equity is socialized, per unit of size over the opposite side's open
// TRADERS: their loss index rises by ⌈S·1e18 / OI⌉ (issue 10 §1). With no opposite trader the vault bears all of it;
// with some market's price invalid the vault cannot be valued, absorbs nothing, and the rest is socialized.
// insurance + adl + vault + socialized == D, in one `Liquidated` event. Every amount is predicted with
// test/helpers/engineHelpers.ts (the vault's equity from the market totals) and checked to the wei, together with the
// accounting identity balanceOf(engine)·scale == Σfree + Σmargin + vaultCash + fund.

const NO_FUNDING = { maxFundingRatePerDayWad: 0n };
/** Funding off (so equity moves only with price and socialized loss) and default fee share. */
const SEEDED_CONFIG = ethConfig(NO_FUNDING);
const SEEDED_PARAMS = withParams({ maxFundingRate: 0n });
/** Funding off and no fee share to the fund: the fund is exactly empty. */
const EMPTY_FUND_CONFIG = ethConfig({ ...NO_FUNDING, insuranceFeeShareBps: 0n });
const EMPTY_FUND_PARAMS = withParams({ maxFundingRate: 0n, insuranceShareBps: 0n });
/**
 * As EMPTY_FUND_CONFIG with the vault's exposure cap at its hard maximum (655% of vault equity), so that a vault of
 * a few thousand dollars can take the other side of the book: a gap then costs it more than its equity.
 */
const MAX_VAULT_EXPOSURE_BPS = 65_535n;
const SMALL_VAULT_CONFIG = ethConfig({
  ...NO_FUNDING,
  insuranceFeeShareBps: 0n,
  maxVaultExposureBps: MAX_VAULT_EXPOSURE_BPS,
});
const SMALL_VAULT_PARAMS = withParams({
  maxFundingRate: 0n,
  insuranceShareBps: 0n,
  maxVaultExposureBps: MAX_VAULT_EXPOSURE_BPS,
});
/** A high funding rate on a small skew scale (OI cap below it): funding can bankrupt a position. */
const FUNDING_CONFIG = ethConfig({
  skewScale: size("1000"),
  maxOpenInterestPerSide: size("999"),
  maxFundingRatePerDayWad: WAD, // 100%/day at a skew equal to the skew scale (the hard cap)
});
const FUNDING_PARAMS = withParams({ skewScale: size("1000"), maxFundingRate: WAD });

const P2000 = usd("2000");
/** The breaker's cooldown (deploy/config.ts): after a jump, new exposure waits this long after the feed update. */
const BREAKER_COOLDOWN_SECONDS = 300;

async function depositAll(s: System) {
  await withAdlOff(s);
  await depositFromTraders(s, 8, "20000");
  return s;
}
const deploySeeded = async () => depositAll(await deployWith(SEEDED_CONFIG));
const deployEmptyFund = async () => depositAll(await deployWith(EMPTY_FUND_CONFIG));
const deployFundingMarket = async () => depositAll(await deployWith(FUNDING_CONFIG));
async function deployVault6000() {
  return depositAll(await deployWith(SMALL_VAULT_CONFIG, { vaultSeedUsd: "6000" }));
}
async function deployVault2000() {
  return depositAll(await deployWith(SMALL_VAULT_CONFIG, { vaultSeedUsd: "2000" }));
}

/** Opens `q` at exactly maximum leverage (the minimal margin; one wei less reverts). */
async function openAtMaxLeverage(s: System, p: LiqParams, trader: HardhatEthersSigner, q: bigint) {
  const id = s.market(ETH).marketId;
  const skew = (await readMarket(s.engine, id)).netSize;
  const price = await s.engine.markPrice(id);
  const margin = minOpenMargin(p, price, skew, q);
  const bound = q > 0n ? MAX_BUY : ANY_SELL;
  await expect(s.engine.connect(trader).modifyPosition(id, q, margin - 1n, bound)).to.be.revertedWithCustomError(
    s.engine,
    "InitialMarginNotMet",
  );
  await s.engine.connect(trader).modifyPosition(id, q, margin, bound);
  return margin;
}

async function openWith(s: System, trader: HardhatEthersSigner, q: bigint, marginUsd: string) {
  await s.engine.connect(trader).modifyPosition(s.market(ETH).marketId, q, usd(marginUsd), q > 0n ? MAX_BUY : ANY_SELL);
}

const everyone = (s: System) => [s.deployer.address, s.keeper.address, ...s.traders.slice(0, 8).map((t) => t.address)];

/**
 * Liquidates a bankrupt `account` at `priceWad` and checks the model, the waterfall events and the split: the
 * vault absorbs what the fund leaves up to its equity after the books; only the excess is socialized over the
 * opposite traders, after which the vault's equity is zero up to the index's round-up.
 */
async function liquidateBankrupt(s: System, p: LiqParams, account: string, priceWad: bigint) {
  const id = s.market(ETH).marketId;
  const e = await predictLiquidationWithVault(s.engine, p, account, id, priceWad);
  expect(e.liquidatable).to.equal(true);
  expect(e.deficit > 0n, "bankrupt").to.equal(true);
  expect(e.partial).to.equal(false);
  const before = await liquidationBalances(s.engine, s.keeper.address, account);
  const fundBefore = await s.engine.insuranceFund();
  const tx = await s.engine.connect(s.keeper).liquidate(account, id);
  await expectLiquidationMatches(s.engine, tx, e, { account, keeper: s.keeper.address, marketId: id }, before);
  // The split is exact and sums to the deficit (DESIGN §8.5).
  const a = await liquidatedEvent(s.engine, tx);
  expect(a.insurancePaidUsd + a.adlPaidUsd + a.vaultPaidUsd + a.socializedUsd).to.equal(a.deficitUsd);
  expect(a.adlPaidUsd, "ADL is off").to.equal(0n);
  // Margin pays nothing: no flat reward, no penalty, nothing back to the trader.
  expect(a.penaltyUsd).to.equal(0n);
  expect(e.keeperFromMargin).to.equal(0n);
  expect(await s.engine.freeBalance(account), "trader ends at exactly zero").to.equal(before.traderFree);
  const pos = await s.engine.getPosition(account, id);
  expect([pos.size, pos.marginUsd]).to.deep.equal([0n, 0n]);
  // Fund events.
  if (e.keeperTopUp > 0n) {
    await expect(tx)
      .to.emit(s.engine, "InsuranceKeeperTopUp")
      .withArgs(id, s.keeper.address, e.keeperTopUp, fundBefore - e.keeperTopUp);
  } else {
    await expect(tx).not.to.emit(s.engine, "InsuranceKeeperTopUp");
  }
  if (e.insurancePaid > 0n) {
    await expect(tx)
      .to.emit(s.engine, "InsuranceDeficitPaid")
      .withArgs(id, account, e.insurancePaid, fundBefore - e.keeperTopUp - e.insurancePaid);
  } else {
    await expect(tx).not.to.emit(s.engine, "InsuranceDeficitPaid");
  }
  // The vault and the opposite traders.
  const oppositeTraders = e.pos.size > 0n ? e.st.shortOpenInterest : e.st.longOpenInterest;
  const vaultAfter = await s.engine.vaultEquityUsd(true);
  const booked36 = vaultMarketValue36(e.bookedTotals, priceWad, e.indexWad);
  if (e.socialized > 0n) {
    expect(e.vaultEquityAfterBooksUsd < 0n, "socialized only beyond the vault's equity").to.equal(true);
    expect(e.socialized, "exactly the excess over the vault's equity").to.equal(
      minBig(e.deficit - e.insurancePaid, -e.vaultEquityAfterBooksUsd),
    );
    const st = await readMarket(s.engine, id);
    const index = e.pos.size > 0n ? st.shortLossIndexWad : st.longLossIndexWad;
    await expect(tx)
      .to.emit(s.engine, "LossSocialized")
      .withArgs(id, e.pos.size < 0n, e.socialized, oppositeTraders, index);
    expect(e.chargedOpenInterest, "the opposite traders only").to.equal(oppositeTraders);
    expect(index - (e.pos.size > 0n ? e.st.shortLossIndexWad : e.st.longLossIndexWad)).to.equal(e.lossIndexDelta);
    expect(e.lossIndexDelta).to.equal(divCeil(e.socialized * WAD, oppositeTraders));
    // The traders now owe the vault |size|·Δ each: it ends at zero, up to the index's round-up (< 1 wei per unit
    // of charged size) and the floor of its valuation.
    const cashAfterBooks = e.vaultEquityAfterBooksUsd - divFloor(booked36, WAD);
    expect(vaultAfter, "vault equity after").to.equal(
      cashAfterBooks + divFloor(booked36 + e.lossIndexDelta * oppositeTraders, WAD),
    );
    expect(vaultAfter >= 0n && vaultAfter <= oppositeTraders / WAD + 1n, `vault ends at ~0: ${vaultAfter}`).to.equal(
      true,
    );
  } else {
    await expect(tx).not.to.emit(s.engine, "LossSocialized");
    expect(e.vaultPaid, "the vault absorbs the rest").to.equal(e.deficit - e.insurancePaid);
    expect(vaultAfter, "vault equity after == after the books").to.equal(e.vaultEquityAfterBooksUsd);
  }
  expect((await s.engine.insuranceFund()) >= 0n).to.equal(true);
  return { e, tx };
}

/**
 * Sets the feed to `priceUsd` and waits out the breaker's cooldown from that update: whatever the move, new
 * exposure is allowed again (and the feed is fresh for another heartbeat less the cooldown).
 */
async function calmAt(s: System, priceUsd: string) {
  await s.setPrice(ETH, priceUsd);
  await time.increase(BREAKER_COOLDOWN_SECONDS);
}

describe("loss waterfall", () => {
  describe("insurance fund covers the deficit", () => {
    it("max_leverage_long_gapping_40pct_down_ends_at_zero_and_the_fund_pays_exactly_the_deficit", async () => {
      const s = await loadFixture(deploySeeded);
      const trader = s.traders[0];
      await openAtMaxLeverage(s, SEEDED_PARAMS, trader, size("10"));
      // Seed the fund with a donation.
      await s.collateral.mint(s.deployer.address, s.tokens("20000"));
      await s.collateral.approve(await s.engine.getAddress(), ethers.MaxUint256);
      await s.engine.donateToInsurance(s.tokens("20000"));
      const fundBefore = await s.engine.insuranceFund();

      await s.setPrice(ETH, "1200"); // −40% in one oracle update
      const { e } = await liquidateBankrupt(s, SEEDED_PARAMS, trader.address, usd("1200"));
      // Written out: entry 2,000.1 (10 ETH against a zero skew), margin after the fee 1,013.0005 − 10.0005
      // = 1,003; the closing sell fills at 1,200 × (1 + 10/200,000) = 1,200.06, so
      // D = −(1,003 + 10 × (1,200.06 − 2,000.1)) = 6,997.4.
      expect(e.exec).to.equal(usd("1200.06"));
      expect(e.deficit).to.equal(usd("6997.4"));
      expect(e.insurancePaid).to.equal(e.deficit);
      expect([e.vaultPaid, e.socialized]).to.deep.equal([0n, 0n]);
      expect(e.keeperTopUp).to.equal(SEEDED_PARAMS.keeperReward);
      expect(await s.engine.insuranceFund()).to.equal(fundBefore - usd("6997.4") - usd("2"));
      await expectConservation(s.engine, everyone(s), marketIds(s));
    });

    it("mirror_max_leverage_short_gapping_40pct_up_is_covered_by_the_fund", async () => {
      const s = await loadFixture(deploySeeded);
      const trader = s.traders[0];
      await openAtMaxLeverage(s, SEEDED_PARAMS, trader, -size("10"));
      await s.collateral.mint(s.deployer.address, s.tokens("20000"));
      await s.collateral.approve(await s.engine.getAddress(), ethers.MaxUint256);
      await s.engine.donateToInsurance(s.tokens("20000"));
      await s.setPrice(ETH, "2800");
      const { e } = await liquidateBankrupt(s, SEEDED_PARAMS, trader.address, usd("2800"));
      expect(e.insurancePaid).to.equal(e.deficit);
      expect([e.vaultPaid, e.socialized]).to.deep.equal([0n, 0n]);
      await expectConservation(s.engine, everyone(s), marketIds(s));
    });

    it("partially_funded_fund_pays_what_it_has_after_the_top_up_and_the_vault_absorbs_the_rest", async () => {
      const s = await loadFixture(deploySeeded);
      const id = s.market(ETH).marketId;
      await openWith(s, s.traders[1], -size("4"), "2000");
      await openAtMaxLeverage(s, SEEDED_PARAMS, s.traders[0], size("10"));
      await s.collateral.mint(s.deployer.address, s.tokens("1000"));
      await s.collateral.approve(await s.engine.getAddress(), ethers.MaxUint256);
      await s.engine.donateToInsurance(s.tokens("1000"));
      const fundBefore = await s.engine.insuranceFund();
      await s.setPrice(ETH, "1200");
      const [shortEquityBefore] = await s.engine.positionEquity(s.traders[1].address, id);
      const { e } = await liquidateBankrupt(s, SEEDED_PARAMS, s.traders[0].address, usd("1200"));
      expect(e.keeperTopUp).to.equal(usd("2"));
      expect(e.insurancePaid).to.equal(fundBefore - usd("2"));
      // The vault (1,000,000 seeded) absorbs all the fund leaves; the 4 ETH short is not charged.
      expect(e.vaultPaid).to.equal(e.deficit - e.insurancePaid);
      expect(e.vaultPaid > 0n).to.equal(true);
      expect(e.socialized).to.equal(0n);
      expect(await s.engine.insuranceFund(), "fund drained to exactly zero, never negative").to.equal(0n);
      expect((await s.engine.positionEquity(s.traders[1].address, id))[0], "the short's equity").to.equal(
        shortEquityBefore,
      );
      await expectConservation(s.engine, everyone(s), marketIds(s));
      // It owes nothing on its next touch.
      await calmAt(s, "1200");
      const t = await s.engine.connect(s.traders[1]).closePosition(id, MAX_BUY);
      expect(await lossPaidOf(s.engine, t, s.traders[1].address)).to.equal(0n);
      await expectConservation(s.engine, everyone(s), marketIds(s));
    });
  });

  describe("the vault absorbs the rest up to its equity", () => {
    it("a_single_small_opposite_position_is_untouched_while_the_vault_absorbs_the_whole_deficit", async () => {
      const s = await loadFixture(deployEmptyFund);
      const p = EMPTY_FUND_PARAMS;
      const id = s.market(ETH).marketId;
      const [victim, thinShort] = s.traders;
      // The only short trader holds 1 ETH against a 10 ETH long.
      await openWith(s, thinShort, -size("1"), "200");
      await openAtMaxLeverage(s, p, victim, size("10"));
      // Entries: the short sells 1 at a zero skew, 2,000 × (1 − 1/200,000) = 1,999.99; the long buys 10 at
      // skew −1, 2,000 × (1 + (−2 + 10)/200,000) = 2,000.08.
      expect((await s.engine.getPosition(thinShort.address, id)).entryPriceWad).to.equal(usd("1999.99"));
      expect((await s.engine.getPosition(victim.address, id)).entryPriceWad).to.equal(usd("2000.08"));
      await s.setPrice(ETH, "1200");
      // The short: margin 200 − fee 0.999995 plus its gain 799.99.
      const [equityBefore] = await s.engine.positionEquity(thinShort.address, id);
      expect(equityBefore).to.equal(usd("998.990005"));
      const vaultBefore = await s.engine.vaultEquityUsd(true);

      const { e } = await liquidateBankrupt(s, p, victim.address, usd("1200"));
      // Written out: the long's margin after the 10.0004 fee is 1,002.8 (IM 1,000 + reward 2 + the 0.8 it
      // was under water at open); the close sells 10 at skew +9, 1,200 × (1 + (18 − 10)/200,000) = 1,200.048,
      // so D = −(1,002.8 + 10 × (1,200.048 − 2,000.08)) = 6,997.52, all of it on the vault (the fund is empty).
      expect(e.exec).to.equal(usd("1200.048"));
      expect(e.deficit).to.equal(usd("6997.52"));
      expect(e.vaultPaid).to.equal(usd("6997.52"));
      expect(e.socialized).to.equal(0n);
      // Under the old rule 6,997.52 was socialized over the short and the vault's pre-close 9 ETH short: the
      // short paid 699.752. Now it pays nothing and stays exactly where it was.
      const [equityAfter] = await s.engine.positionEquity(thinShort.address, id);
      expect(equityAfter, "the short's equity is untouched").to.equal(usd("998.990005"));
      expect(await s.engine.isLiquidatable(thinShort.address, id)).to.equal(false);
      // The vault absorbs the deficit at the oracle price: 6,998 = −(1,002.8 + 10 × (1,200 − 2,000.08)) (its
      // equity already counted the long's loss at the oracle price; the 0.48 of impact it earned is in D).
      const deficitAtOracle = -(e.settledMargin + divFloor(e.pos.size * (usd("1200") - e.pos.entryPriceWad), WAD));
      expect(deficitAtOracle).to.equal(usd("6998"));
      const vaultChange = (await s.engine.vaultEquityUsd(true)) - vaultBefore;
      expect(abs(vaultChange + deficitAtOracle) <= 1n, "vault equity change").to.equal(true);
      const st = await readMarket(s.engine, id);
      expect([st.netSize, st.longOpenInterest, st.shortOpenInterest]).to.deep.equal([-size("1"), 0n, size("1")]);
      expect(st.shortLossIndexWad, "no loss index moved").to.equal(0n);
      await expectConservation(s.engine, everyone(s), marketIds(s));

      // It owes nothing on its next touches: a margin top-up and the close.
      await calmAt(s, "1200");
      const t0 = await s.engine.connect(thinShort).modifyPosition(id, 0n, usd("100"), 0n);
      expect(await lossPaidOf(s.engine, t0, thinShort.address)).to.equal(0n);
      expect((await s.engine.getPosition(thinShort.address, id)).marginUsd).to.equal(usd("299.000005"));
      const t1 = await s.engine.connect(thinShort).closePosition(id, MAX_BUY);
      expect(await lossPaidOf(s.engine, t1, thinShort.address)).to.equal(0n);
      await expectConservation(s.engine, everyone(s), marketIds(s));
    });

    it("a_max_leverage_short_opened_after_the_gap_keeps_its_equity_while_the_vault_absorbs_the_deficit", async () => {
      const s = await loadFixture(deployEmptyFund);
      const p = EMPTY_FUND_PARAMS;
      const id = s.market(ETH).marketId;
      const [victim, lateShort] = s.traders;
      // A 10 ETH long at maximum leverage from a zero skew: entry 2,000.1, margin after the fee 1,003.
      await openAtMaxLeverage(s, p, victim, size("10"));
      await s.setPrice(ETH, "1200");
      expect(await s.engine.isLiquidatable(victim.address, id)).to.equal(true);
      // Before anyone liquidates it, once the breaker has cooled down, a short opens at the gap price at maximum
      // leverage: it has gained nothing from the move and its margin (IM 60 + reward 2) is thin.
      await calmAt(s, "1200");
      await openAtMaxLeverage(s, p, lateShort, -size("1"));
      // It sells 1 at skew +10: 1,200 × (1 + (20 − 1)/200,000) = 1,200.114, fee 0.600057, margin 62.
      const late = await s.engine.getPosition(lateShort.address, id);
      expect([late.entryPriceWad, late.marginUsd]).to.deep.equal([usd("1200.114"), usd("62")]);
      const [equityBefore] = await s.engine.positionEquity(lateShort.address, id);
      expect(equityBefore).to.equal(usd("62.114"));

      // The long's close sells 10 at skew +9: 1,200.048, D = −(1,003 + 10 × (1,200.048 − 2,000.1)) = 6,997.52.
      const { e } = await liquidateBankrupt(s, p, victim.address, usd("1200"));
      expect(e.exec).to.equal(usd("1200.048"));
      expect(e.deficit).to.equal(usd("6997.52"));
      expect([e.vaultPaid, e.socialized]).to.deep.equal([usd("6997.52"), 0n]);
      // Under the old rule its share (Δ = 6,997.52 / (1 + 9) per ETH) took it to −637.638 and made it
      // liquidatable. Now nothing moves.
      expect((await s.engine.positionEquity(lateShort.address, id))[0]).to.equal(usd("62.114"));
      expect(await s.engine.isLiquidatable(lateShort.address, id)).to.equal(false);
      const t = await s.engine.connect(lateShort).closePosition(id, MAX_BUY);
      expect(await lossPaidOf(s.engine, t, lateShort.address)).to.equal(0n);
      const st = await readMarket(s.engine, id);
      expect([st.netSize, st.longOpenInterest, st.shortOpenInterest]).to.deep.equal([0n, 0n, 0n]);
      expect(await s.engine.insuranceFund()).to.equal(0n);
      await expectConservation(s.engine, everyone(s), marketIds(s));
    });

    it("with_no_opposite_trader_left_the_vault_bears_the_whole_rest_even_beyond_its_equity", async () => {
      const s = await loadFixture(deployVault6000);
      const p = SMALL_VAULT_PARAMS;
      const id = s.market(ETH).marketId;
      const [victim, a, b] = s.traders;
      await openWith(s, a, -size("7"), "3000");
      await openWith(s, b, -size("8"), "3000");
      await openAtMaxLeverage(s, p, victim, size("10"));
      await s.setPrice(ETH, "1200");
      // The winners close first (closes are never capped), taking 12,000 of gains out of the 6,000 vault.
      await s.engine.connect(a).closePosition(id, MAX_BUY);
      await s.engine.connect(b).closePosition(id, MAX_BUY);
      expect((await readMarket(s.engine, id)).shortOpenInterest).to.equal(0n);
      const { e } = await liquidateBankrupt(s, p, victim.address, usd("1200"));
      // Nobody is left to charge: the vault takes all of it, and its equity goes below zero.
      expect(e.vaultEquityAfterBooksUsd < 0n, "the vault cannot absorb it").to.equal(true);
      expect([e.vaultPaid, e.socialized]).to.deep.equal([e.deficit, 0n]);
      expect(await s.engine.vaultEquityUsd(true)).to.equal(e.vaultEquityAfterBooksUsd);
      await expectConservation(s.engine, everyone(s), marketIds(s));
    });

    it("an_invalid_price_in_another_market_leaves_the_vault_unvalued_so_it_absorbs_nothing_and_the_rest_is_socialized", async () => {
      const s = await loadFixture(deployEmptyFund);
      const p = EMPTY_FUND_PARAMS;
      const id = s.market(ETH).marketId;
      const btc = s.market(BTC).marketId;
      const [victim, a, b, btcTrader] = s.traders;
      await openWith(s, a, -size("5"), "3000");
      await openWith(s, b, -size("10"), "6000");
      await openAtMaxLeverage(s, p, victim, size("10"));
      await mintAndDeposit(s, btcTrader, "1000");
      await s.engine.connect(btcTrader).modifyPosition(btc, size("0.1"), usd("1000"), MAX_BUY);
      await s.setPrice(ETH, "1200");
      await s.setPrice(BTC, "0"); // BTC has open interest and no valid price: the vault cannot be valued
      await expect(s.engine.vaultEquityUsd(true)).to.be.revertedWithCustomError(
        s.market(BTC).adapter,
        "PriceNonPositive",
      );
      const e = await predictLiquidation(s.engine, p, victim.address, id, usd("1200"));
      expect(e.deficit > 0n && !e.partial).to.equal(true);
      const equities = [];
      for (const t of [a, b]) equities.push((await s.engine.positionEquity(t.address, id))[0]);
      // The liquidation does not revert; the vault absorbs nothing (conservative: no loss is put on LPs on an
      // unverifiable valuation) and the whole rest is socialized over the 15 ETH of shorts.
      const tx = await s.engine.connect(s.keeper).liquidate(victim.address, id);
      const liq = await liquidatedEvent(s.engine, tx);
      expect([liq.deficitUsd, liq.insurancePaidUsd, liq.adlPaidUsd, liq.vaultPaidUsd, liq.socializedUsd]).to.deep.equal(
        [e.deficit, 0n, 0n, 0n, e.deficit],
      );
      const delta = divCeil(e.deficit * WAD, size("15"));
      await expect(tx).to.emit(s.engine, "LossSocialized").withArgs(id, false, e.deficit, size("15"), delta);
      expect((await s.engine.positionEquity(a.address, id))[0]).to.equal(equities[0] - divCeil(size("5") * delta, WAD));
      expect((await s.engine.positionEquity(b.address, id))[0]).to.equal(
        equities[1] - divCeil(size("10") * delta, WAD),
      );
      await expectConservation(s.engine, everyone(s), marketIds(s));
    });

    it("with_every_price_valid_the_same_liquidation_is_absorbed_by_the_vault", async () => {
      // The control of the test above: the same book, BTC's price valid.
      const s = await loadFixture(deployEmptyFund);
      const p = EMPTY_FUND_PARAMS;
      const id = s.market(ETH).marketId;
      const btc = s.market(BTC).marketId;
      const [victim, a, b, btcTrader] = s.traders;
      await openWith(s, a, -size("5"), "3000");
      await openWith(s, b, -size("10"), "6000");
      await openAtMaxLeverage(s, p, victim, size("10"));
      await mintAndDeposit(s, btcTrader, "1000");
      await s.engine.connect(btcTrader).modifyPosition(btc, size("0.1"), usd("1000"), MAX_BUY);
      await s.setPrice(ETH, "1200");
      const e = await predictLiquidation(s.engine, p, victim.address, id, usd("1200"));
      const tx = await s.engine.connect(s.keeper).liquidate(victim.address, id);
      const liq = await liquidatedEvent(s.engine, tx);
      expect([liq.deficitUsd, liq.vaultPaidUsd, liq.socializedUsd]).to.deep.equal([e.deficit, e.deficit, 0n]);
      await expect(tx).not.to.emit(s.engine, "LossSocialized");
      await expectConservation(s.engine, everyone(s), marketIds(s));
    });
  });

  describe("a vault too small to absorb: only the excess is socialized, over the opposite traders", () => {
    // A vault seeded with a few thousand dollars holds the opposite of the book. The gap costs it its own
    // exposure's loss and the bankrupt position's deficit; what exceeds its equity is socialized over the opposite
    // traders only (the vault is not in the base: it has no equity left to give).
    const cases: {
      side: "long" | "short";
      opposite: readonly [bigint, bigint, bigint];
      gapTo: string;
      fixture: () => Promise<System>;
      name: string;
      /** Deficit, vault part and socialized part written out (USD). */
      writtenOut?: [string, string, string];
      /** Size of a position on the bankrupt side (never charged), in ETH. */
      sameSide?: bigint;
    }[] = [
      // Written out. Fees (5 bps, all to the vault): a 2 ETH short opened at 1,999.98 and closed at 1,999.98
      // (2 × 1.99998), the shorts sell 3 at 1,999.97, 5 at 1,999.89, 7 at 1,999.77 (2.999955 + 4.999725 +
      // 6.999195), the long buys 10 at skew −15: 2,000 × (1 − 20/200,000) = 1,999.8 (9.999, margin left 1,002):
      // vault cash 6,028.997835. At 1,200 the long sells 10 at skew −5: 1,199.88, D = −(1,002 + 10 × (1,199.88 −
      // 1,999.8)) = 6,997.2, and the books move the long's 1,002 of margin to the vault: cash 7,030.997835. The
      // shorts' gains are the vault's loss: 3 × 799.97 + 5 × 799.89 + 7 × 799.77 = 11,997.75. Equity after the
      // books −4,966.752165: the vault pays 6,997.2 − 4,966.752165 = 2,030.447835, the shorts 4,966.752165.
      {
        side: "long",
        opposite: [3n, 5n, 7n],
        gapTo: "1200",
        fixture: deployVault6000,
        name: "bankrupt_long_with_a_small_vault_socializes_exactly_the_excess_pro_rata_over_the_open_shorts",
        writtenOut: ["6997.2", "2030.447835", "4966.752165"],
      },
      {
        side: "short",
        opposite: [3n, 5n, 7n],
        gapTo: "2800",
        fixture: deployVault6000,
        name: "bankrupt_short_with_a_small_vault_socializes_exactly_the_excess_pro_rata_over_the_open_longs",
        sameSide: 1n,
      },
      // The victim (10) outweighs the opposite traders (6): the old rule counted the vault's pre-close 4 ETH short
      // in the base; now the 6 ETH of shorts carry the excess alone, and the vault bears everything up to it.
      {
        side: "long",
        opposite: [1n, 2n, 3n],
        gapTo: "1200",
        fixture: deployVault2000,
        name: "a_thin_opposite_side_is_charged_only_the_excess_over_its_own_open_interest",
        sameSide: 1n,
      },
    ];
    for (const c of cases) {
      it(c.name, async () => {
        const s = await loadFixture(c.fixture);
        const p = SMALL_VAULT_PARAMS;
        const id = s.market(ETH).marketId;
        const sign = c.side === "long" ? 1n : -1n;
        const [victim, a, b, d, flat, closedEarly, late, sameSide] = s.traders;
        const opposite = [a, b, d];
        await openWith(s, closedEarly, -sign * size("2"), "1000");
        await s.engine.connect(closedEarly).closePosition(id, sign > 0n ? MAX_BUY : ANY_SELL);
        for (let i = 0; i < 3; i++) await openWith(s, opposite[i], -sign * c.opposite[i] * WAD, "3000");
        if (c.sameSide) await openWith(s, sameSide, sign * c.sameSide * WAD, "1000");
        await openAtMaxLeverage(s, p, victim, sign * size("10"));
        expect(await s.engine.insuranceFund()).to.equal(0n);

        await s.setPrice(ETH, c.gapTo);
        const equityBefore = [];
        for (const t of opposite) equityBefore.push((await s.engine.positionEquity(t.address, id))[0]);
        const flatBefore = [await s.engine.freeBalance(flat.address), await s.engine.freeBalance(closedEarly.address)];
        const [sameSideBefore] = await s.engine.positionEquity(sameSide.address, id);

        const { e } = await liquidateBankrupt(s, p, victim.address, usd(c.gapTo));
        expect(e.insurancePaid).to.equal(0n);
        expect(e.keeperTopUp, "an empty fund cannot top the keeper up").to.equal(0n);
        // The vault pays up to its equity after the books; the excess over it, and only that, is socialized.
        expect(e.socialized > 0n && e.vaultPaid > 0n, "both the vault and the traders pay").to.equal(true);
        expect(e.socialized).to.equal(-e.vaultEquityAfterBooksUsd);
        if (c.writtenOut) expect([e.deficit, e.vaultPaid, e.socialized]).to.deep.equal(c.writtenOut.map((x) => usd(x)));
        expect(e.vaultPaid + e.socialized).to.equal(e.deficit);
        const oppositeTotal = c.opposite.reduce((x, y) => x + y, 0n) * WAD;
        expect(e.chargedOpenInterest, "the opposite traders, not the vault").to.equal(oppositeTotal);
        const delta = divCeil(e.socialized * WAD, oppositeTotal);
        expect(e.lossIndexDelta).to.equal(delta);

        // Each opposite position's equity drops by exactly |size| × Δ, rounded up (funding is off, the price
        // unchanged), and stays positive.
        const shares = c.opposite.map((q) => divCeil(q * WAD * delta, WAD));
        for (let i = 0; i < 3; i++) {
          const [equityAfter] = await s.engine.positionEquity(opposite[i].address, id);
          expect(equityBefore[i] - equityAfter, `share of position ${i}`).to.equal(shares[i]);
          expect(equityAfter > 0n, "nobody negative").to.equal(true);
        }
        // The shares add up to the socialized amount, rounded up by less than one wei per ETH (plus one per share).
        const charged = shares.reduce((x, y) => x + y, 0n);
        expect(charged >= e.socialized && charged - e.socialized <= oppositeTotal / WAD + 3n).to.equal(true);
        // The bankrupt side is not charged, nor are flat accounts.
        expect((await s.engine.positionEquity(sameSide.address, id))[0], "same side").to.equal(sameSideBefore);
        expect(await s.engine.freeBalance(flat.address)).to.equal(flatBefore[0]);
        expect(await s.engine.freeBalance(closedEarly.address)).to.equal(flatBefore[1]);
        await expectConservation(s.engine, everyone(s), marketIds(s));

        // The share is realised on the next touch (PositionModified.lossPaidUsd): a margin add, a partial
        // reduce and a full close all settle exactly the share.
        await calmAt(s, c.gapTo);
        const t0 = await s.engine.connect(a).modifyPosition(id, 0n, usd("1"), 0n);
        expect(await lossPaidOf(s.engine, t0, a.address)).to.equal(shares[0]);
        const t1 = await s.engine.connect(b).modifyPosition(id, sign * WAD, 0n, sign > 0n ? MAX_BUY : ANY_SELL);
        expect(await lossPaidOf(s.engine, t1, b.address)).to.equal(shares[1]);
        const t2 = await s.engine.connect(d).closePosition(id, sign > 0n ? MAX_BUY : ANY_SELL);
        expect(await lossPaidOf(s.engine, t2, d.address)).to.equal(shares[2]);
        // Settled once: the next touch owes nothing.
        const t3 = await s.engine.connect(a).modifyPosition(id, 0n, usd("1"), 0n);
        expect(await lossPaidOf(s.engine, t3, a.address)).to.equal(0n);

        // A position opened after the event pays nothing. (Back at 2,000 the vault's own exposure no longer
        // shows a loss, so its cap leaves room for new exposure.)
        await calmAt(s, "2000");
        await openWith(s, late, -sign * size("1"), "2000");
        expect((await s.engine.getPosition(late.address, id)).lossIndexSnapshotWad).to.equal(
          sign > 0n
            ? (await readMarket(s.engine, id)).shortLossIndexWad
            : (await readMarket(s.engine, id)).longLossIndexWad,
        );
        const t4 = await s.engine.connect(late).closePosition(id, sign > 0n ? MAX_BUY : ANY_SELL);
        expect(await lossPaidOf(s.engine, t4, late.address)).to.equal(0n);
        await expectConservation(s.engine, everyone(s), marketIds(s));
      });
    }
  });

  describe("funding-driven bankruptcy", () => {
    it("max_leverage_long_paying_the_max_funding_rate_for_days_goes_bankrupt_and_the_waterfall_splits_exactly", async () => {
      const s = await loadFixture(deployFundingMarket);
      const id = s.market(ETH).marketId;
      const [victim, whale, short] = s.traders;
      await openAtMaxLeverage(s, FUNDING_PARAMS, victim, size("10"));
      // The whale pushes the skew to +110 ETH: longs pay 11%/day of notional.
      await s.collateral.mint(whale.address, s.tokens("100000"));
      await s.engine.connect(whale).deposit(s.tokens("100000"));
      await openWith(s, whale, size("100"), "90000");
      await openWith(s, short, -size("1"), "1000");
      expect((await readMarket(s.engine, id)).netSize).to.equal(size("109"));
      await time.increase(2 * 86_400);
      await s.setPrice(ETH, "2000"); // refresh the feed (1 h heartbeat); the price itself is unchanged
      const [equity] = await s.engine.positionEquity(victim.address, id);
      expect(equity < 0n, "funding alone made it bankrupt").to.equal(true);
      const fundBefore = await s.engine.insuranceFund();
      const { e } = await liquidateBankrupt(s, FUNDING_PARAMS, victim.address, P2000);
      expect(e.fundingPaid > e.pos.marginUsd, "funding owed exceeds the margin").to.equal(true);
      // The fund holds only fee shares, less than the deficit: partially funded; the vault takes the rest.
      expect(fundBefore < e.deficit).to.equal(true);
      expect(e.insurancePaid).to.equal(fundBefore - e.keeperTopUp);
      expect(e.vaultPaid).to.equal(e.deficit - e.insurancePaid);
      expect(e.socialized).to.equal(0n);
      expect(await s.engine.insuranceFund()).to.equal(0n);
      await expectConservation(s.engine, everyone(s), marketIds(s));
      // The whale stays healthy; the short owes no socialized loss and receives funding.
      expect(await s.engine.isLiquidatable(whale.address, id)).to.equal(false);
      const t = await s.engine.connect(short).modifyPosition(id, 0n, usd("1"), 0n);
      expect(await lossPaidOf(s.engine, t, short.address)).to.equal(0n);
      const [modified] = (await engineEvents(s.engine, t)).filter((x) => x.name === "PositionModified");
      expect((modified.args.fundingPaidUsd as bigint) < 0n, "the short receives funding").to.equal(true);
      await expectConservation(s.engine, everyone(s), marketIds(s));
    });
  });
});
