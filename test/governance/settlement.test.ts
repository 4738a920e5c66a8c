import { expect } from "chai";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";

import { DEFAULT_ADL, LOCAL_CONFIG } from "../../deploy/config";
import { currentFundingIndexWad } from "../../sdk/math/engineMath";
import type { MarketParams, MarketState } from "../../sdk/math/types";
import { deployWith, ETH, BTC, usd, size, ANY_BUY_PRICE, ANY_SELL_PRICE } from "../helpers/fixtures";
import {
  ETH_DEFAULTS,
  assertConservation,
  expectedFundingOwed,
  expectedFundingRate,
  expectedIndexAt,
  expectedLossOwed,
  expectedPnl,
  minBig,
  pinNextTimestamp,
  sideLossIndex,
  vaultMarketValue,
} from "../helpers/engineHelpers";
import { ADMIN_ROLE, HOUR, ethParams, ethTiers, withTraders } from "./governanceHelpers";

// Settlement of a market at a final price (contracts/governance/MarketAdminLogic.sol `settleMarket`,
// `closeSettledPosition`; DESIGN §11): funding accrues up to the settlement at the settlement price and then
// stops, the price replaces the (possibly dead) oracle everywhere, every position closes at it with no fee,
// impact or penalty and its owner receives exactly its equity
//   margin − funding owed (rounded up) − socialized loss owed (rounded up) + size·(P − entry) (rounded down),
// an underwater position's deficit is paid by the insurance fund and then absorbed by the vault, and the
// engine's books still balance to the wei once everything is closed.

const SETTLEMENT_PRICE = usd("2150");
/** LiquidationSkipReason.MarketSettled */
const SKIP_MARKET_SETTLED = 4;

/** ADL off, so that a bankrupt liquidation's deficit goes past the insurance fund to the vault or the shorts. */
async function deploySettleable() {
  return withTraders(await deployWith({ ...LOCAL_CONFIG, adl: { ...DEFAULT_ADL, maxSteps: 0n } }), 7);
}

/**
 * A market with history, then settled at $2,150 while its feed is dead:
 *  - t0 at $2,000: A long 10 ($2,000), B short 6 ($1,500), C long 4 ($1,500), D long 10 at 20x, E short 8 ($830);
 *  - 2 h of funding (traders net long), then C adds 2 long and B adds 2 short at new entries;
 *  - F opens a small BTC long and the BTC feed then answers 0: with a market that has open interest and no valid
 *    price the vault cannot be valued, so it absorbs nothing (DESIGN §8, issue 10);
 *  - $1,880: D is bankrupt; its liquidation's deficit beyond the tiny insurance fund is socialized on the shorts
 *    (B and E now owe a socialized loss); BTC is valid again and F closes it;
 *  - back to $2,000, 2 h more funding, F opens 1 short (owes no loss); $100 donated to the insurance fund;
 *  - 2 h without a feed update (stale), then `settleMarket(ETH, 2150)`: E is underwater at that price.
 */
async function deploySettledMarket() {
  const s = await deploySettleable();
  const [a, b, c, d, e, f] = s.traders;
  await s.trade(a, "10", "2000");
  await s.trade(b, "-6", "1500");
  await s.trade(c, "4", "1500");
  await s.trade(d, "10", "1030");
  await s.trade(e, "-8", "830");

  await time.increase(2n * HOUR);
  await s.setPrice(ETH, "2000");
  await s.trade(c, "2");
  await s.trade(b, "-2");

  await s.setPrice(BTC, "60000"); // fresh (1 h heartbeat)
  await s.engine.connect(f).modifyPosition(s.btc, size("0.01"), usd("200"), ANY_BUY_PRICE);
  await s.setPrice(BTC, "0");
  await s.setPrice(ETH, "1880");
  const [equityD] = await s.engine.positionEquity(d.address, s.eth);
  expect(equityD < 0n, "D is bankrupt at $1,880").to.equal(true);
  const liquidation = await (await s.engine.connect(s.keeper).liquidate(d.address, s.eth)).wait();
  const liquidated = liquidation!.logs
    .map((log) => s.engine.interface.parseLog(log))
    .find((event) => event?.name === "Liquidated")!;
  expect(liquidated.args.vaultPaidUsd, "the vault cannot be valued: it absorbs nothing").to.equal(0n);
  expect(liquidated.args.socializedUsd > 0n, "part of D's deficit was socialized").to.equal(true);
  expect((await s.engine.getMarketState(s.eth)).shortLossIndexWad > 0n).to.equal(true);
  await s.setPrice(BTC, "60000");
  await s.engine.connect(f).closePosition(s.btc, ANY_SELL_PRICE);

  await s.setPrice(ETH, "2000");
  await time.increase(2n * HOUR);
  await s.setPrice(ETH, "2000");
  await s.trade(f, "-1", "500");
  await s.collateral.mint(s.deployer.address, s.tokens("100"));
  await s.collateral.approve(await s.engine.getAddress(), s.tokens("100"));
  await s.engine.donateToInsurance(s.tokens("100"));

  await time.increase(2n * HOUR); // the feed (1 h heartbeat) is now stale: a dead market
  const stateBefore = await s.engine.getMarketState(s.eth);
  const vaultCashBefore = await s.engine.vaultCashUsd();
  const tSettle = await pinNextTimestamp();
  const settleTx = await s.engine.settleMarket(s.eth, SETTLEMENT_PRICE);
  const holders = [a, b, c, e, f];
  return { ...s, a, b, c, d, e, f, holders, stateBefore, vaultCashBefore, tSettle, settleTx };
}

type Settled = Awaited<ReturnType<typeof deploySettledMarket>>;

/** The equity `closeSettledPosition` must pay, recomputed from the stored position and market state. */
async function expectedSettlement(s: Settled, account: string) {
  const p = await s.engine.getPosition(account, s.eth);
  const st = await s.engine.getMarketState(s.eth);
  const fundingOwed = expectedFundingOwed(p.size, st.fundingIndexWad, p.fundingIndexSnapshotWad);
  const lossOwed = expectedLossOwed(p.size, sideLossIndex(p.size, st), p.lossIndexSnapshotWad);
  const pnl = expectedPnl(p.size, p.entryPriceWad, SETTLEMENT_PRICE);
  const equity = p.marginUsd - fundingOwed - lossOwed + pnl;
  return { size: p.size, fundingOwed, lossOwed, pnl, equity };
}

/** An ethers struct result as the SDK's plain object of the same field names. */
function plain<T>(result: unknown): T {
  return (result as { toObject(): unknown }).toObject() as T;
}

describe("Governance market settlement", () => {
  it("settle_accrues_funding_to_now_at_the_settlement_price_and_marks_the_market_reduce_only", async () => {
    const s = await loadFixture(deploySettledMarket);
    const rate = expectedFundingRate(s.stateBefore.netSize, ETH_DEFAULTS.skewScale, ETH_DEFAULTS.maxFundingRate);
    const index = expectedIndexAt(s.stateBefore, ETH_DEFAULTS, SETTLEMENT_PRICE, s.tSettle);
    expect(index).to.not.equal(s.stateBefore.fundingIndexWad);
    await expect(s.settleTx).to.emit(s.engine, "MarketSettled").withArgs(s.eth, SETTLEMENT_PRICE);
    await expect(s.settleTx)
      .to.emit(s.engine, "FundingAccrued")
      .withArgs(s.eth, rate, index, SETTLEMENT_PRICE, s.tSettle);
    const st = await s.engine.getMarketState(s.eth);
    expect([st.fundingIndexWad, st.lastFundingTimestamp]).to.deep.equal([index, s.tSettle]);
    expect(await s.engine.marketStatus(s.eth)).to.deep.equal([true, SETTLEMENT_PRICE]);
    expect(await s.engine.markPrice(s.eth)).to.equal(SETTLEMENT_PRICE);
  });

  it("settle_works_with_a_dead_feed_and_closing_never_reads_it", async () => {
    const s = await loadFixture(deploySettledMarket);
    await expect(s.market(ETH).adapter.latestPrice()).to.be.revertedWithCustomError(
      s.market(ETH).adapter,
      "PriceStale",
    );
    await time.increase(3n * 86_400n);
    await expect(s.engine.connect(s.keeper).closeSettledPosition(s.a.address, s.eth)).to.emit(
      s.engine,
      "SettledPositionClosed",
    );
  });

  it("funding_no_longer_accrues_after_settlement", async () => {
    const s = await loadFixture(deploySettledMarket);
    const index = (await s.engine.getMarketState(s.eth)).fundingIndexWad;
    expect(await s.engine.currentFundingIndexWad(s.eth)).to.equal(index);
    await time.increase(10n * 86_400n);
    expect(await s.engine.currentFundingIndexWad(s.eth)).to.equal(index);
    await expect(s.engine.pokeFunding(s.eth)).not.to.emit(s.engine, "FundingAccrued");
    const st = await s.engine.getMarketState(s.eth);
    expect([st.fundingIndexWad, st.lastFundingTimestamp]).to.deep.equal([index, s.tSettle]);
    // Equity views keep valuing at the settlement price and the frozen index.
    const { equity } = await expectedSettlement(s, s.b.address);
    expect((await s.engine.positionEquity(s.b.address, s.eth))[0]).to.equal(equity);
    // The SDK mirror freezes the index the same way when told the settlement price (and would not otherwise).
    const state = plain<MarketState>(st);
    const params = plain<MarketParams>((await s.engine.getMarketConfig(s.eth)).params);
    const [, settlementPriceWad] = await s.engine.marketStatus(s.eth);
    const now = BigInt(await time.latest());
    expect(state.netSize).to.not.equal(0n);
    expect(currentFundingIndexWad(state, params, settlementPriceWad, now, settlementPriceWad)).to.equal(index);
    expect(currentFundingIndexWad(state, params, settlementPriceWad, now)).to.not.equal(index);
  });

  it("vault_is_valued_at_the_settlement_price", async () => {
    const s = await loadFixture(deploySettledMarket);
    const index = (await s.engine.getMarketState(s.eth)).fundingIndexWad;
    const holders = s.holders.map((t) => t.address);
    const { valueUsd } = await vaultMarketValue(s.engine, s.eth, holders, SETTLEMENT_PRICE, index);
    const cash = await s.engine.vaultCashUsd();
    expect(await s.engine.vaultEquityUsd(true)).to.equal(cash + valueUsd);
    expect(await s.engine.vaultEquityUsd(false)).to.equal(cash + minBig(valueUsd, 0n));
  });

  it("close_settled_position_credits_each_owner_exactly_its_equity_and_covers_deficits_fund_then_vault", async () => {
    const s = await loadFixture(deploySettledMarket);
    const equityBefore = await s.engine.vaultEquityUsd(true);
    let absorbedByVault = 0n;
    let sawUnderwater = false;
    let sawLossOwed = false;

    for (const holder of s.holders) {
      const x = await expectedSettlement(s, holder.address);
      if (x.lossOwed > 0n) sawLossOwed = true;
      const freeBefore = await s.engine.freeBalance(holder.address);
      const keeperFreeBefore = await s.engine.freeBalance(s.keeper.address);
      const cashBefore = await s.engine.vaultCashUsd();
      const fundBefore = await s.engine.insuranceFund();
      // Anyone may close anyone's position; A closes its own, the keeper closes the rest.
      const closer = holder === s.a ? s.a : s.keeper;
      const tx = s.engine.connect(closer).closeSettledPosition(holder.address, s.eth);

      const payout = x.equity > 0n ? x.equity : 0n;
      const deficit = x.equity < 0n ? -x.equity : 0n;
      const insurancePaid = minBig(deficit, fundBefore);
      // The split is exact: insurancePaid + vaultPaid == deficit (nothing is socialized while a market winds down).
      await expect(tx)
        .to.emit(s.engine, "SettledPositionClosed")
        .withArgs(
          holder.address,
          s.eth,
          x.size,
          SETTLEMENT_PRICE,
          payout,
          deficit,
          insurancePaid,
          deficit - insurancePaid,
        );
      await expect(tx).not.to.emit(s.engine, "LossSocialized");
      expect(await s.engine.freeBalance(holder.address), "owner's free balance").to.equal(freeBefore + payout);
      if (closer !== holder) expect(await s.engine.freeBalance(s.keeper.address)).to.equal(keeperFreeBefore);

      let cashDelta = x.fundingOwed + x.lossOwed - x.pnl;
      if (deficit > 0n) {
        sawUnderwater = true;
        const paid = minBig(deficit, fundBefore);
        expect(paid > 0n && paid < deficit, "the fund covers part, the vault the rest").to.equal(true);
        await expect(tx)
          .to.emit(s.engine, "InsuranceDeficitPaid")
          .withArgs(s.eth, holder.address, paid, fundBefore - paid);
        expect(await s.engine.insuranceFund()).to.equal(fundBefore - paid);
        cashDelta += x.equity + paid;
        absorbedByVault += deficit - paid;
      } else {
        await expect(tx).not.to.emit(s.engine, "InsuranceDeficitPaid");
        expect(await s.engine.insuranceFund()).to.equal(fundBefore);
      }
      expect(await s.engine.vaultCashUsd(), "vault cash").to.equal(cashBefore + cashDelta);
      expect((await s.engine.getPosition(holder.address, s.eth)).size).to.equal(0n);
    }
    expect(sawUnderwater, "the scenario has an underwater position").to.equal(true);
    expect(sawLossOwed, "the scenario has a socialized loss owed").to.equal(true);

    // Nothing lost: the market is empty, the books balance, and the vault's equity is its cash.
    const st = await s.engine.getMarketState(s.eth);
    expect([st.netSize, st.longOpenInterest, st.shortOpenInterest]).to.deep.equal([0n, 0n, 0n]);
    await assertConservation({
      engine: s.engine,
      accounts: [...s.traders.map((t) => t.address), s.keeper.address, s.deployer.address, s.lp.address],
      marketIds: [s.eth, s.btc],
    });
    const cash = await s.engine.vaultCashUsd();
    expect(await s.engine.vaultEquityUsd(true)).to.equal(cash);
    expect(await s.engine.vaultEquityUsd(false)).to.equal(cash);
    // The vault ends with what it was valued at on settlement, less the deficit it absorbed, plus at most the
    // rounding each close takes in its favour (3 terms per position, < 1 wei each).
    const dust = cash - (equityBefore - absorbedByVault);
    expect(dust >= 0n && dust <= 3n * BigInt(s.holders.length), `rounding dust ${dust}`).to.equal(true);
  });

  it("closing_twice_or_an_empty_account_reverts_no_position", async () => {
    const s = await loadFixture(deploySettledMarket);
    await s.engine.closeSettledPosition(s.a.address, s.eth);
    for (const account of [s.a.address, s.d.address, s.keeper.address]) {
      await expect(s.engine.closeSettledPosition(account, s.eth))
        .to.be.revertedWithCustomError(s.engine, "NoPosition")
        .withArgs(account, s.eth);
    }
  });

  it("trading_liquidation_and_deleverage_on_the_settled_market_revert_market_is_settled", async () => {
    const s = await loadFixture(deploySettledMarket);
    const settled = (p: Promise<unknown>) =>
      expect(p).to.be.revertedWithCustomError(s.engine, "MarketIsSettled").withArgs(s.eth);
    await settled(s.trade(s.traders[6], "1", "1000")); // open
    await settled(s.trade(s.a, "1")); // increase
    await settled(s.trade(s.a, "-1")); // reduce
    await settled(s.trade(s.a, "0", "10")); // add margin
    await settled(s.engine.connect(s.a).closePosition(s.eth, ANY_SELL_PRICE));
    // E is underwater at the settlement price, yet cannot be liquidated: it closes at that price instead.
    expect(await s.engine.isLiquidatable(s.e.address, s.eth)).to.equal(true);
    await settled(s.engine.connect(s.keeper).liquidate(s.e.address, s.eth));
    await expect(s.engine.connect(s.keeper).liquidateMany([s.e.address], [s.eth]))
      .to.emit(s.engine, "LiquidationSkipped")
      .withArgs(s.e.address, s.eth, SKIP_MARKET_SETTLED);
    await settled(s.engine.connect(s.keeper).deleverageVault(s.eth, 1n));
    // Governance cannot re-open, re-parameterise or re-settle it.
    await settled(s.engine.setMarketParams(s.eth, ethParams(), ethTiers()));
    await settled(s.engine.setReduceOnly(s.eth, false));
    await settled(s.engine.settleMarket(s.eth, usd("2000")));
    expect(await s.engine.marketStatus(s.eth)).to.deep.equal([true, SETTLEMENT_PRICE]);
  });

  it("close_settled_position_on_an_unsettled_market_reverts_market_not_settled", async () => {
    const s = await loadFixture(deploySettleable);
    const [a] = s.traders;
    await s.trade(a, "1", "500");
    await expect(s.engine.closeSettledPosition(a.address, s.eth))
      .to.be.revertedWithCustomError(s.engine, "MarketNotSettled")
      .withArgs(s.eth);
    await expect(s.engine.closeSettledPosition(a.address, s.btc))
      .to.be.revertedWithCustomError(s.engine, "MarketNotSettled")
      .withArgs(s.btc);
  });

  it("settle_rejects_zero_price_and_non_admin", async () => {
    const s = await loadFixture(deploySettleable);
    await expect(s.engine.settleMarket(s.eth, 0n)).to.be.revertedWithCustomError(s.engine, "ZeroAmount");
    await expect(s.engine.connect(s.traders[0]).settleMarket(s.eth, usd("2000")))
      .to.be.revertedWithCustomError(s.engine, "AccessControlUnauthorizedAccount")
      .withArgs(s.traders[0].address, ADMIN_ROLE);
  });

  it("other_markets_keep_trading_after_one_is_settled", async () => {
    const s = await loadFixture(deploySettledMarket);
    await s.setPrice(BTC, "60000");
    await expect(s.engine.connect(s.traders[6]).modifyPosition(s.btc, size("0.1"), usd("1000"), ANY_BUY_PRICE)).to.emit(
      s.engine,
      "PositionModified",
    );
  });
});
