import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";

import { deployWith, usd, size, ETH, ANY_BUY_PRICE as MAX_BUY, ANY_SELL_PRICE as ANY_SELL } from "../helpers/fixtures";
import {
  WAD,
  abs,
  divCeil,
  divFloor,
  depositFromTraders,
  ethConfig,
  minOpenMargin,
  predictLiquidation,
  expectLiquidationMatches,
  liquidationBalances,
  expectConservation,
  readMarket,
  lossPaidOf,
  engineEvents,
  withAdlOff,
  type LiquidationParams as LiqParams,
  type System,
} from "../helpers/engineHelpers";
import { withParams, marketIds } from "./liquidationFixtures";

// The loss waterfall (DESIGN §8, §10; LiquidationLogic `_coverDeficitAndPay`, `_socialize`, `_store`):
// a bankrupt close's deficit D is paid by the insurance fund I = min(D, fund after the keeper top-up),
// ADL (places nothing yet: adlPaid = 0), and the rest S = D − I is socialized over the opposite side's open
// interest as it stood when the position went bankrupt, i.e. before the close: the opposite traders plus the
// vault with the size it held on that side before taking over the bankrupt position (vault = −netSize, netSize
// still including the bankrupt size). Every amount is predicted with test/helpers/engineHelpers.ts and checked
// to the wei, together with the accounting identity balanceOf(engine)·scale == Σfree + Σmargin + vaultCash +
// fund.

const NO_FUNDING = { maxFundingRatePerDayWad: 0n };
/** Funding off (so equity moves only with price and socialized loss) and default fee share. */
const SEEDED_CONFIG = ethConfig(NO_FUNDING);
const SEEDED_PARAMS = withParams({ maxFundingRate: 0n });
/** Funding off and no fee share to the fund: the fund is exactly empty. */
const EMPTY_FUND_CONFIG = ethConfig({ ...NO_FUNDING, insuranceFeeShareBps: 0n });
const EMPTY_FUND_PARAMS = withParams({ maxFundingRate: 0n, insuranceShareBps: 0n });
/** A high funding rate on a small skew scale (OI cap below it): funding can bankrupt a position. */
const FUNDING_CONFIG = ethConfig({
  skewScale: size("1000"),
  maxOpenInterestPerSide: size("999"),
  maxFundingRatePerDayWad: WAD, // 100%/day at a skew equal to the skew scale (the hard cap)
});
const FUNDING_PARAMS = withParams({ skewScale: size("1000"), maxFundingRate: WAD });

const P2000 = usd("2000");

async function depositAll(s: System) {
  await withAdlOff(s);
  await depositFromTraders(s, 8, "20000");
  return s;
}
const deploySeeded = async () => depositAll(await deployWith(SEEDED_CONFIG));
const deployEmptyFund = async () => depositAll(await deployWith(EMPTY_FUND_CONFIG));
const deployFundingMarket = async () => depositAll(await deployWith(FUNDING_CONFIG));

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

/** Liquidates a bankrupt `account` at `priceWad` and checks the model, the waterfall events and the split. */
async function liquidateBankrupt(s: System, p: LiqParams, account: string, priceWad: bigint) {
  const id = s.market(ETH).marketId;
  const e = await predictLiquidation(s.engine, p, account, id, priceWad);
  expect(e.liquidatable).to.equal(true);
  expect(e.deficit > 0n, "bankrupt").to.equal(true);
  expect(e.partial).to.equal(false);
  const before = await liquidationBalances(s.engine, s.keeper.address, account);
  const fundBefore = await s.engine.insuranceFund();
  const tx = await s.engine.connect(s.keeper).liquidate(account, id);
  await expectLiquidationMatches(s.engine, tx, e, { account, keeper: s.keeper.address, marketId: id }, before);
  // The split is exact and sums to the deficit (DESIGN §8.4).
  const ev = (await engineEvents(s.engine, tx)).find((x) => x.name === "Liquidated")!;
  const a = ev.args as unknown as Record<string, bigint>;
  expect(a.insurancePaidUsd + a.adlPaidUsd + a.socializedUsd).to.equal(a.deficitUsd);
  expect(a.adlPaidUsd, "ADL places nothing yet").to.equal(0n);
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
  if (e.socialized > 0n) {
    const st = await readMarket(s.engine, id);
    const index = e.pos.size > 0n ? st.shortLossIndexWad : st.longLossIndexWad;
    await expect(tx)
      .to.emit(s.engine, "LossSocialized")
      .withArgs(id, e.pos.size < 0n, e.socialized, e.chargedOpenInterest, index);
    expect(index - (e.pos.size > 0n ? e.st.shortLossIndexWad : e.st.longLossIndexWad)).to.equal(e.lossIndexDelta);
  } else {
    await expect(tx).not.to.emit(s.engine, "LossSocialized");
  }
  expect((await s.engine.insuranceFund()) >= 0n).to.equal(true);
  return { e, tx };
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
      expect(e.socialized).to.equal(0n);
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
      expect(e.socialized).to.equal(0n);
      await expectConservation(s.engine, everyone(s), marketIds(s));
    });

    it("partially_funded_fund_pays_what_it_has_after_the_top_up_and_the_rest_is_socialized", async () => {
      const s = await loadFixture(deploySeeded);
      const id = s.market(ETH).marketId;
      await openWith(s, s.traders[1], -size("4"), "2000");
      await openAtMaxLeverage(s, SEEDED_PARAMS, s.traders[0], size("10"));
      await s.collateral.mint(s.deployer.address, s.tokens("1000"));
      await s.collateral.approve(await s.engine.getAddress(), ethers.MaxUint256);
      await s.engine.donateToInsurance(s.tokens("1000"));
      const fundBefore = await s.engine.insuranceFund();
      await s.setPrice(ETH, "1200");
      const { e } = await liquidateBankrupt(s, SEEDED_PARAMS, s.traders[0].address, usd("1200"));
      expect(e.keeperTopUp).to.equal(usd("2"));
      expect(e.insurancePaid).to.equal(fundBefore - usd("2"));
      expect(e.socialized).to.equal(e.deficit - e.insurancePaid);
      expect(e.socialized > 0n).to.equal(true);
      // Before the close the market is net long 6 (10 − 4), so the vault is short 6: the charged short side
      // is the 4 ETH short plus the vault's 6, not the short alone.
      expect(e.chargedOpenInterest).to.equal(size("10"));
      expect(e.lossIndexDelta).to.equal(divCeil(e.socialized * WAD, size("10")));
      expect(await s.engine.insuranceFund(), "fund drained to exactly zero, never negative").to.equal(0n);
      await expectConservation(s.engine, everyone(s), marketIds(s));
      // The short's share (4 ETH of the 10) is settled on its next touch.
      await time.increase(301); // let the volatility window from the gap lapse
      await s.setPrice(ETH, "1200"); // refresh the feed
      // (It exceeds the short's margin, so a margin-only touch would revert; closing realises its gain.)
      const shortMargin = (await s.engine.getPosition(s.traders[1].address, id)).marginUsd;
      expect(4n * e.lossIndexDelta > shortMargin, "share above the short's margin").to.equal(true);
      const t = await s.engine.connect(s.traders[1]).closePosition(id, MAX_BUY);
      expect(await lossPaidOf(s.engine, t, s.traders[1].address)).to.equal(4n * e.lossIndexDelta);
      await expectConservation(s.engine, everyone(s), marketIds(s));
    });
  });

  describe("empty fund: socialized over the opposite side", () => {
    // The vault is charged with the size it held on the opposite side before taking over the bankrupt
    // position: it is there when the bankrupt side (the victim included) outweighs the opposite traders,
    // and then holds the difference.
    const cases: {
      side: "long" | "short";
      q: bigint;
      sameSide: bigint;
      opposite: readonly [bigint, bigint, bigint];
      gapTo: string;
      name?: string;
    }[] = [
      { side: "long", q: 10n, sameSide: 20n, opposite: [3n, 5n, 7n], gapTo: "1200" },
      { side: "short", q: 10n, sameSide: 20n, opposite: [3n, 5n, 7n], gapTo: "2800" },
      { side: "long", q: 10n, sameSide: 0n, opposite: [4n, 6n, 9n], gapTo: "1200" },
      // The victim alone (10) outweighs the opposite side (6): the vault was short 4 before the close and
      // pays 4/10 of S; it would be long 6 after taking the victim over, which no longer matters.
      {
        side: "long",
        q: 10n,
        sameSide: 0n,
        opposite: [1n, 2n, 3n],
        gapTo: "1200",
        name: "bankrupt_long_outweighing_the_opposite_side_alone_socializes_pro_rata_with_the_vaults_pre_close_short_included",
      },
    ];
    for (const c of cases) {
      const oppositeSum = c.opposite.reduce((x, y) => x + y, 0n);
      const vaultCharged = c.q + c.sameSide > oppositeSum;
      const name =
        c.name ??
        `bankrupt_${c.side}_with_empty_fund_socializes_exactly_pro_rata_${vaultCharged ? "vault_included" : "vault_not_on_that_side"}`;
      it(name, async () => {
        const s = await loadFixture(deployEmptyFund);
        const p = EMPTY_FUND_PARAMS;
        const id = s.market(ETH).marketId;
        const sign = c.side === "long" ? 1n : -1n;
        const [victim, a, b, d, flat, closedEarly, late, sameSide] = s.traders;
        const opposite = [a, b, d];
        for (let i = 0; i < 3; i++) await openWith(s, opposite[i], -sign * c.opposite[i] * WAD, "3000");
        if (c.sameSide > 0n) await openWith(s, sameSide, sign * c.sameSide * WAD, "18000");
        await openWith(s, closedEarly, -sign * size("2"), "1000");
        await s.engine.connect(closedEarly).closePosition(id, sign > 0n ? MAX_BUY : ANY_SELL);
        await openAtMaxLeverage(s, p, victim, sign * c.q * WAD);
        expect(await s.engine.insuranceFund()).to.equal(0n);

        await s.setPrice(ETH, c.gapTo);
        const equityBefore = [];
        for (const t of opposite) equityBefore.push((await s.engine.positionEquity(t.address, id))[0]);
        const flatBefore = [await s.engine.freeBalance(flat.address), await s.engine.freeBalance(closedEarly.address)];
        const vaultBefore = await s.engine.vaultEquityUsd(true);

        const { e } = await liquidateBankrupt(s, p, victim.address, usd(c.gapTo));
        expect(e.insurancePaid).to.equal(0n);
        expect(e.keeperTopUp, "an empty fund cannot top the keeper up").to.equal(0n);
        expect(e.socialized).to.equal(e.deficit);
        // Charged open interest: the opposite traders plus the vault when, before the close, it is on that
        // side (it then holds the bankrupt side's total, victim included, less the opposite traders').
        const oppositeTotal = oppositeSum * WAD;
        const vaultOnSide = vaultCharged ? (c.q + c.sameSide) * WAD - oppositeTotal : 0n;
        expect(e.st.netSize, "pre-close skew: the vault holds its negative").to.equal(
          sign * (c.q + c.sameSide - oppositeSum) * WAD,
        );
        expect(e.chargedOpenInterest).to.equal(oppositeTotal + vaultOnSide);
        const delta = divCeil(e.deficit * WAD, oppositeTotal + vaultOnSide);
        expect(e.lossIndexDelta).to.equal(delta);

        // Each opposite position's equity drops by exactly its share (funding is off, the price unchanged).
        const shares = c.opposite.map((q) => divCeil(q * WAD * delta, WAD));
        for (let i = 0; i < 3; i++) {
          const [equityAfter] = await s.engine.positionEquity(opposite[i].address, id);
          expect(equityBefore[i] - equityAfter, `share of position ${i}`).to.equal(shares[i]);
          expect(equityAfter > 0n, "nobody negative").to.equal(true);
        }
        // The vault bears its own share: its equity changes by −D_P + I + Σ |size|·Δ (D_P the deficit at the
        // oracle price), i.e. it absorbs the deficit and is owed the traders' shares, to within one wei of
        // the floor in its valuation.
        const deficitAtOracle = -(e.settledMargin + divFloor(e.pos.size * (usd(c.gapTo) - e.pos.entryPriceWad), WAD));
        const owedByTraders = divFloor(oppositeTotal * delta, WAD);
        const vaultAfter = await s.engine.vaultEquityUsd(true);
        const expectedChange = -deficitAtOracle + e.insurancePaid + owedByTraders;
        expect(abs(vaultAfter - vaultBefore - expectedChange) <= 1n, "vault equity change").to.equal(true);
        // Its share of S is pro rata to its size (up to the rounding of each trader's share).
        const vaultShare = e.socialized - shares.reduce((x, y) => x + y, 0n);
        const proRata = (e.socialized * vaultOnSide) / (oppositeTotal + vaultOnSide);
        // Rounding: Δ is rounded up (≤ 1 wei per unit of charged size) and each share up (≤ 1 wei each).
        const roundingSlack = (oppositeTotal + vaultOnSide) / WAD + 3n;
        expect(abs(vaultShare - proRata) <= roundingSlack, "vault pays its pro-rata share").to.equal(true);
        // Flat accounts are not charged.
        expect(await s.engine.freeBalance(flat.address)).to.equal(flatBefore[0]);
        expect(await s.engine.freeBalance(closedEarly.address)).to.equal(flatBefore[1]);
        await expectConservation(s.engine, everyone(s), marketIds(s));

        // The share is realised on the next touch (PositionModified.lossPaidUsd): a margin add, a partial
        // reduce and a full close all settle exactly the share.
        await time.increase(301); // let the volatility window from the gap lapse
        await s.setPrice(ETH, c.gapTo); // refresh the feed
        const t0 = await s.engine.connect(a).modifyPosition(id, 0n, usd("1"), 0n);
        expect(await lossPaidOf(s.engine, t0, a.address)).to.equal(shares[0]);
        const t1 = await s.engine.connect(b).modifyPosition(id, sign * WAD, 0n, sign > 0n ? MAX_BUY : ANY_SELL);
        expect(await lossPaidOf(s.engine, t1, b.address)).to.equal(shares[1]);
        const t2 = await s.engine.connect(d).closePosition(id, sign > 0n ? MAX_BUY : ANY_SELL);
        expect(await lossPaidOf(s.engine, t2, d.address)).to.equal(shares[2]);
        // Settled once: the next touch owes nothing.
        const t3 = await s.engine.connect(a).modifyPosition(id, 0n, usd("1"), 0n);
        expect(await lossPaidOf(s.engine, t3, a.address)).to.equal(0n);

        // A position opened after the event pays nothing.
        await openWith(s, late, -sign * size("5"), "2000");
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
    it("a_single_small_opposite_position_pays_only_its_pro_rata_share_because_the_vaults_pre_close_short_counts", async () => {
      const s = await loadFixture(deployEmptyFund);
      const p = EMPTY_FUND_PARAMS;
      const id = s.market(ETH).marketId;
      const [victim, thinShort] = s.traders;
      // The only short trader holds 1 ETH against a 10 ETH long, so before the close the vault is short 9.
      // (After taking the long over it would be long 1 and the short alone would carry the whole deficit.)
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
      // so D = −(1,002.8 + 10 × (1,200.048 − 2,000.08)) = 6,997.52, all of it socialized (the fund is empty).
      expect(e.exec).to.equal(usd("1200.048"));
      expect(e.deficit).to.equal(usd("6997.52"));
      expect(e.socialized).to.equal(usd("6997.52"));
      // Charged: the 1 ETH short plus the vault's pre-close 9 ETH short, Δ = 6,997.52 / 10 per ETH.
      expect(e.chargedOpenInterest).to.equal(size("10"));
      expect(e.lossIndexDelta).to.equal(usd("699.752"));
      // The short pays exactly 1/10 of S, not all of it, and stays healthy.
      const [equityAfter] = await s.engine.positionEquity(thinShort.address, id);
      expect(equityBefore - equityAfter, "the short's share").to.equal(usd("699.752"));
      expect(equityAfter).to.equal(usd("299.238005"));
      expect(await s.engine.isLiquidatable(thinShort.address, id)).to.equal(false);
      // The vault bears the other 9/10 (6,297.768): it absorbs the deficit at the oracle price and is owed
      // only the short's 699.752 (within one wei of the floor in its valuation).
      const deficitAtOracle = -(e.settledMargin + divFloor(e.pos.size * (usd("1200") - e.pos.entryPriceWad), WAD));
      expect(deficitAtOracle).to.equal(usd("6998"));
      const vaultChange = (await s.engine.vaultEquityUsd(true)) - vaultBefore;
      expect(abs(vaultChange - (-deficitAtOracle + usd("699.752"))) <= 1n, "vault equity change").to.equal(true);
      const st = await readMarket(s.engine, id);
      expect([st.netSize, st.longOpenInterest, st.shortOpenInterest]).to.deep.equal([-size("1"), 0n, size("1")]);
      await expectConservation(s.engine, everyone(s), marketIds(s));

      // The share is realised on the short's next touch, once. It exceeds the short's margin (199.000005;
      // its gain covers it), so a margin-only touch must bring enough margin to settle it from margin.
      await time.increase(301); // let the volatility window from the gap lapse
      await s.setPrice(ETH, "1200"); // refresh the feed
      await expect(s.engine.connect(thinShort).modifyPosition(id, 0n, usd("500"), 0n))
        .to.be.revertedWithCustomError(s.engine, "PositionBankrupt")
        .withArgs(thinShort.address, id, usd("199.000005") + usd("500") - usd("699.752"));
      const t0 = await s.engine.connect(thinShort).modifyPosition(id, 0n, usd("600"), 0n);
      expect(await lossPaidOf(s.engine, t0, thinShort.address)).to.equal(usd("699.752"));
      expect((await s.engine.getPosition(thinShort.address, id)).marginUsd).to.equal(usd("99.248005"));
      const t1 = await s.engine.connect(thinShort).closePosition(id, MAX_BUY);
      expect(await lossPaidOf(s.engine, t1, thinShort.address)).to.equal(0n);
      await expectConservation(s.engine, everyone(s), marketIds(s));
    });

    it("a_short_opened_after_the_gap_is_charged_a_share_above_its_margin_and_its_own_bankrupt_close_falls_on_the_vaults_pre_close_long", async () => {
      const s = await loadFixture(deployEmptyFund);
      const p = EMPTY_FUND_PARAMS;
      const id = s.market(ETH).marketId;
      const [victim, lateShort] = s.traders;
      // A 10 ETH long at maximum leverage from a zero skew: entry 2,000.1, margin after the fee 1,003.
      await openAtMaxLeverage(s, p, victim, size("10"));
      await s.setPrice(ETH, "1200");
      expect(await s.engine.isLiquidatable(victim.address, id)).to.equal(true);
      await s.engine.pokeFunding(id); // records the gap price, which trips the volatility breaker
      // Before anyone liquidates it, a short opens at the gap price at maximum leverage: it has gained
      // nothing from the move, and its margin (IM 60 + reward 2) is far below a share of the deficit.
      await time.increase(301); // let the volatility window from the gap lapse
      await s.setPrice(ETH, "1200"); // refresh the feed
      await openAtMaxLeverage(s, p, lateShort, -size("1"));
      // It sells 1 at skew +10: 1,200 × (1 + (20 − 1)/200,000) = 1,200.114, fee 0.600057, margin 62.
      const late = await s.engine.getPosition(lateShort.address, id);
      expect([late.entryPriceWad, late.marginUsd]).to.deep.equal([usd("1200.114"), usd("62")]);

      // The long's close sells 10 at skew +9: 1,200.048, D = −(1,003 + 10 × (1,200.048 − 2,000.1)) = 6,997.52.
      // Charged: the 1 ETH short plus the vault's pre-close 9 ETH short, Δ = 699.752 per ETH.
      const first = await liquidateBankrupt(s, p, victim.address, usd("1200"));
      expect(first.e.exec).to.equal(usd("1200.048"));
      expect(first.e.deficit).to.equal(usd("6997.52"));
      expect(first.e.socialized).to.equal(usd("6997.52"));
      expect(first.e.chargedOpenInterest).to.equal(size("10"));
      expect(first.e.lossIndexDelta).to.equal(usd("699.752"));
      // Its share exceeds its margin and its gain: 62 + 0.114 − 699.752 = −637.638.
      expect(await s.engine.isLiquidatable(lateShort.address, id)).to.equal(true);
      const [equity] = await s.engine.positionEquity(lateShort.address, id);
      expect(equity, "the share bankrupts it").to.equal(-usd("637.638"));
      await expectConservation(s.engine, everyone(s), marketIds(s));

      // Its liquidation settles the share (lossPaid) and is itself bankrupt: it buys 1 back at skew −1,
      // 1,200 × (1 − 1/200,000) = 1,199.994, so D = −(62 − 699.752 + (1,200.114 − 1,199.994)) = 637.632.
      // No trader is long, but before the close the vault is long 1 (against the short): it is the whole
      // charged open interest and bears all of it through the long loss index, which nobody else holds.
      const vaultBefore = await s.engine.vaultEquityUsd(true);
      const second = await liquidateBankrupt(s, p, lateShort.address, usd("1200"));
      expect(second.e.lossPaid).to.equal(usd("699.752"));
      expect(second.e.exec).to.equal(usd("1199.994"));
      expect(second.e.deficit).to.equal(usd("637.632"));
      expect(second.e.socialized).to.equal(usd("637.632"));
      expect(second.e.chargedOpenInterest).to.equal(size("1"));
      expect(second.e.lossIndexDelta).to.equal(usd("637.632"));
      // The vault absorbs the deficit at the oracle price (637.638) and nobody owes it anything back.
      const vaultChange = (await s.engine.vaultEquityUsd(true)) - vaultBefore;
      expect(abs(vaultChange + usd("637.638")) <= 1n, "vault equity change").to.equal(true);
      const st = await readMarket(s.engine, id);
      expect([st.netSize, st.longOpenInterest, st.shortOpenInterest]).to.deep.equal([0n, 0n, 0n]);
      expect(await s.engine.insuranceFund()).to.equal(0n);
      await expectConservation(s.engine, everyone(s), marketIds(s));
    });
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
      // The fund holds only fee shares, less than the deficit: partially funded.
      expect(fundBefore < e.deficit).to.equal(true);
      expect(e.insurancePaid).to.equal(fundBefore - e.keeperTopUp);
      expect(e.socialized).to.equal(e.deficit - e.insurancePaid);
      // Before the close the market is net long 109 (victim 10 + whale 100 − short 1), so the vault is
      // short 109: the charged short side is the 1 ETH short plus the vault's 109.
      expect(e.chargedOpenInterest).to.equal(size("110"));
      expect(e.lossIndexDelta).to.equal(divCeil(e.socialized * WAD, size("110")));
      expect(await s.engine.insuranceFund()).to.equal(0n);
      await expectConservation(s.engine, everyone(s), marketIds(s));
      // The whale stays healthy; the short is charged its share and receives funding.
      expect(await s.engine.isLiquidatable(whale.address, id)).to.equal(false);
      const t = await s.engine.connect(short).modifyPosition(id, 0n, usd("1"), 0n);
      expect(await lossPaidOf(s.engine, t, short.address)).to.equal(divCeil(size("1") * e.lossIndexDelta, WAD));
      await expectConservation(s.engine, everyone(s), marketIds(s));
    });
  });
});
