import { expect } from "chai";
import fc from "fast-check";
import { ethers, network } from "hardhat";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";

import { deployLocalSystem, deployWith, usd, ETH, BTC } from "../helpers/fixtures";
import {
  WAD,
  BPS,
  ETH_LIQUIDATION_DEFAULTS as ETH_PARAMS,
  abs,
  divCeil,
  expectedPenalty as penaltyOf,
  expectedClose as priceClose,
  expectedPnl as pnl,
  expectedMaintenanceFor as maintenance,
  depositFromTraders,
  expectedLiquidation,
  predictLiquidation,
  expectLiquidationMatches,
  liquidationBalances,
  expectConservation,
  readPosition,
  readMarket,
  engineEvents,
  openPosition as open,
  withAdlOff,
  type System,
} from "../helpers/engineHelpers";
import { UNLISTED, eth18Config, setPriceWad, feedUnit, marketIds } from "./liquidationFixtures";

// Tests for `liquidate` (DESIGN §7; contracts/liquidation/LiquidationLogic.sol): reverts, the health
// boundary to the wei, partial vs full, the exact penalty / keeper / insurance split, internal keeper
// credit, one penalty per block, size never grows, volatility, and the `isLiquidatable` /
// `liquidationPrice` views. Every expected number comes from test/helpers/engineHelpers.ts (bigint
// restatement of the documented formulas) with the block timestamp pinned, plus a few numbers written out
// by hand.

const P = ETH_PARAMS;
const P2000 = usd("2000");

/** Standard system; traders 0–5 hold 20,000 USDC each in the engine. */
async function deployFunded() {
  const s = await withAdlOff(await deployLocalSystem());
  await depositFromTraders(s, 6, "20000");
  return s;
}

/** Standard system with 5M more LP liquidity (room for $1M+ positions); traders 0–1 hold 90,000. */
async function deployDeepVault() {
  const s = await withAdlOff(await deployLocalSystem());
  await s.collateral.mint(s.lp.address, s.tokens("5000000"));
  await s.vault.connect(s.lp).deposit(s.tokens("5000000"), s.lp.address);
  await depositFromTraders(s, 2, "90000");
  return s;
}

/** Same, with ETH-USD on an 18-decimal feed. */
async function deployFunded18() {
  const s = await withAdlOff(await deployWith(eth18Config()));
  await depositFromTraders(s, 4, "20000");
  return s;
}

/** A 10 ETH long at ~18x (margin 1,100 USD) opened at 2,000; the typical partial-liquidation victim. */
async function deployTenEthLong() {
  const s = await deployFunded();
  await open(s, s.traders[0], ETH, "10", "1100");
  return s;
}

/** Liquidates `account` as the keeper in a pinned block and checks everything against the model. */
async function liquidateAndCheck(s: System, account: string, priceWad: bigint, symbol = ETH) {
  const id = s.market(symbol).marketId;
  const e = await predictLiquidation(s.engine, P, account, id, priceWad);
  expect(e.liquidatable, "model: liquidatable").to.equal(true);
  const before = await liquidationBalances(s.engine, s.keeper.address, account);
  const tx = await s.engine.connect(s.keeper).liquidate(account, id);
  await expectLiquidationMatches(s.engine, tx, e, { account, keeper: s.keeper.address, marketId: id }, before);
  return { e, tx };
}

const actors = (s: System, n = 6) => [s.keeper.address, ...s.traders.slice(0, n).map((t) => t.address)];

describe("liquidate", () => {
  describe("reverts", () => {
    it("liquidate_reverts_MarketNotListed_for_an_unlisted_market", async () => {
      const s = await loadFixture(deployTenEthLong);
      await expect(s.engine.connect(s.keeper).liquidate(s.traders[0].address, UNLISTED))
        .to.be.revertedWithCustomError(s.engine, "MarketNotListed")
        .withArgs(UNLISTED);
    });

    it("liquidate_reverts_NoPosition_for_a_flat_account", async () => {
      const s = await loadFixture(deployTenEthLong);
      const id = s.market(ETH).marketId;
      await expect(s.engine.connect(s.keeper).liquidate(s.traders[1].address, id))
        .to.be.revertedWithCustomError(s.engine, "NoPosition")
        .withArgs(s.traders[1].address, id);
      // A position in another market does not count.
      await expect(s.engine.connect(s.keeper).liquidate(s.traders[0].address, s.market(BTC).marketId))
        .to.be.revertedWithCustomError(s.engine, "NoPosition")
        .withArgs(s.traders[0].address, s.market(BTC).marketId);
    });

    it("liquidate_reverts_PositionNotLiquidatable_with_equity_and_requirement_when_healthy", async () => {
      const s = await loadFixture(deployFunded);
      const id = s.market(ETH).marketId;
      // A hedged pair keeps the skew at zero, so no funding accrues and the revert arguments are exact.
      await open(s, s.traders[0], ETH, "10", "1100");
      await open(s, s.traders[1], ETH, "-10", "1100");
      await s.setPrice(ETH, "1950");
      const pos = await readPosition(s.engine, s.traders[0].address, id);
      const st = await readMarket(s.engine, id);
      const e = expectedLiquidation({
        p: P,
        pos,
        st,
        priceWad: usd("1950"),
        timestamp: st.lastFundingTimestamp,
        fund: 0n,
      });
      expect(e.liquidatable).to.equal(false);
      const [equity, mm] = await s.engine.positionEquity(s.traders[0].address, id);
      expect([equity, mm]).to.deep.equal([e.equity, e.mm]);
      await expect(s.engine.connect(s.keeper).liquidate(s.traders[0].address, id))
        .to.be.revertedWithCustomError(s.engine, "PositionNotLiquidatable")
        .withArgs(s.traders[0].address, id, e.equity, e.mm);
    });
  });

  describe("health boundary", () => {
    it("equity_equal_to_maintenance_is_healthy_and_one_wei_below_is_liquidated", async () => {
      const s = await loadFixture(deployFunded18);
      const id = s.market(ETH).marketId;
      const [long, short] = s.traders;
      // 1 ETH: PnL is P − entry to the wei and MM = ceil(P/40) + K, so equity − MM steps by 0 or 1 per wei
      // of price and takes every integer value. A hedged pair keeps the skew (and the funding rate) at 0.
      await open(s, long, ETH, "1", "110");
      await open(s, short, ETH, "-1", "110");
      const pos = await readPosition(s.engine, long.address, id);
      const st = await readMarket(s.engine, id);
      expect(st.netSize).to.equal(0n);
      const gap = (priceWad: bigint) => {
        const e = expectedLiquidation({ p: P, pos, st, priceWad, timestamp: st.lastFundingTimestamp + 10n, fund: 0n });
        return e.equity - e.mm;
      };
      // Smallest price at which equity ≥ MM (binary search; equity − MM is non-decreasing in price).
      let lo = usd("1800");
      let hi = P2000;
      while (hi - lo > 1n) {
        const mid = (lo + hi) / 2n;
        if (gap(mid) >= 0n) hi = mid;
        else lo = mid;
      }
      const boundary = hi;
      expect(gap(boundary), "equity == MM exactly at the boundary").to.equal(0n);
      expect(gap(boundary - 1n), "one wei of price lower: equity == MM − 1").to.equal(-1n);

      // The liquidationPrice view rounds toward the healthy side and is exact to a few wei (its NatSpec).
      const lp = await s.engine.liquidationPrice(long.address, id);
      expect(gap(lp) >= 0n, "healthy at liquidationPrice").to.equal(true);
      expect(lp - boundary <= 3n, "within a few wei of the exact boundary").to.equal(true);

      await setPriceWad(s, ETH, boundary);
      const [equity, mm] = await s.engine.positionEquity(long.address, id);
      expect(equity).to.equal(mm);
      expect(await s.engine.isLiquidatable(long.address, id)).to.equal(false);
      await expect(s.engine.connect(s.keeper).liquidate(long.address, id))
        .to.be.revertedWithCustomError(s.engine, "PositionNotLiquidatable")
        .withArgs(long.address, id, equity, mm);
      await expect(s.engine.connect(s.keeper).liquidateMany([long.address], [id]))
        .to.emit(s.engine, "LiquidationSkipped")
        .withArgs(long.address, id, 3n /* Healthy */);

      await setPriceWad(s, ETH, boundary - 1n);
      const [equity2, mm2] = await s.engine.positionEquity(long.address, id);
      expect(equity2).to.equal(mm2 - 1n);
      expect(await s.engine.isLiquidatable(long.address, id)).to.equal(true);
      await liquidateAndCheck(s, long.address, boundary - 1n);
      await expectConservation(s.engine, actors(s, 4), marketIds(s));
    });
  });

  describe("partial or full", () => {
    it("partial_liquidation_closes_the_documented_size_and_leaves_a_healthy_remainder", async () => {
      const s = await loadFixture(deployTenEthLong);
      const id = s.market(ETH).marketId;
      const trader = s.traders[0].address;
      await s.setPrice(ETH, "1939");
      const price = usd("1939");
      const { e } = await liquidateAndCheck(s, trader, price);
      expect(e.partial, "partial").to.equal(true);
      // Anchor, by hand: equity ≈ 1,089.9995 + 10 × (1,939 − 2,000.1) = 478.9995; MM = 484.75 + 2 = 486.75.
      // (funding of a few seconds at a 10 ETH skew costs ~2e-6 USD per second).
      expect(e.equity <= usd("478.9995") && e.equity > usd("478.9994")).to.equal(true);
      expect(e.mm).to.equal(usd("486.75"));
      // The partial size is the documented formula with cost = penalty + full-close adverse slippage.
      expect(e.closedSize > 0n && e.closedSize < size10()).to.equal(true);
      const pos = await s.engine.getPosition(trader, id);
      expect(pos.size).to.equal(size10() - e.closedSize);
      expect(pos.marginUsd >= P.minMargin, "remainder keeps the minimum margin").to.equal(true);
      const [equityAfter, mmAfter] = await s.engine.positionEquity(trader, id);
      expect(equityAfter >= mmAfter, "remainder healthy").to.equal(true);
      expect(await s.engine.isLiquidatable(trader, id)).to.equal(false);
      // The buffer target (DESIGN §7): the remainder holds MM × (1 + 25%)…
      expect(equityAfter * BPS >= mmAfter * (BPS + P.bufferBps), "remainder holds the 25% buffer").to.equal(true);
      // …and the size is close to the smallest that does: closing 1% less would miss the buffer.
      const smaller = (e.closedSize * 99n) / 100n;
      const c = priceClose(P, e.pos, e.st, price, e.settledMargin, smaller);
      const rest = e.pos.size - smaller;
      const restEquity = c.remainingMargin + pnl(rest, e.pos.entryPriceWad, price);
      expect(restEquity * BPS < maintenance(P, rest, price) * (BPS + P.bufferBps), "1% less misses").to.equal(true);
      // Measured: 31.9% of the position closes here.
      expect((e.closedSize * 1000n) / size10()).to.equal(318n);
      await expectConservation(s.engine, actors(s, 6), marketIds(s));
    });

    it("partial_liquidation_of_a_short_mirrors_the_long", async () => {
      const s = await loadFixture(deployFunded);
      const id = s.market(ETH).marketId;
      const trader = s.traders[2].address;
      await open(s, s.traders[2], ETH, "-10", "1100");
      await s.setPrice(ETH, "2061");
      const { e } = await liquidateAndCheck(s, trader, usd("2061"));
      expect(e.partial).to.equal(true);
      const [equityAfter, mmAfter] = await s.engine.positionEquity(trader, id);
      expect(equityAfter >= mmAfter).to.equal(true);
      expect((await s.engine.getPosition(trader, id)).size).to.equal(-size10() - e.closedSize);
      await expectConservation(s.engine, actors(s, 6), marketIds(s));
    });

    it("full_liquidation_when_equity_is_below_half_the_maintenance_requirement", async () => {
      const s = await loadFixture(deployTenEthLong);
      const trader = s.traders[0].address;
      // equity ≈ 1,089.9995 + 10 × (1,915 − 2,000.1) = 238.9995 < MM/2 = (478.75 + 2)/2 = 240.375.
      await s.setPrice(ETH, "1915");
      const { e } = await liquidateAndCheck(s, trader, usd("1915"));
      expect(e.equity * 2n < e.mm).to.equal(true);
      expect(e.equity > 0n, "not bankrupt").to.equal(true);
      expect(e.partial).to.equal(false);
      expect(e.closedSize).to.equal(size10());
      // Margin pays keeper and penalty; the trader gets what is left back in its free balance.
      expect(e.deficit).to.equal(0n);
      expect(e.traderCredit > 0n).to.equal(true);
      expect((await s.engine.getPosition(trader, s.market(ETH).marketId)).size).to.equal(0n);
      await expectConservation(s.engine, actors(s, 6), marketIds(s));
    });

    it("full_liquidation_when_a_partial_would_leave_less_than_the_minimum_margin", async () => {
      const s = await loadFixture(deployFunded);
      const trader = s.traders[3].address;
      // 0.1 ETH with 12.5 USD: MM ≈ 4.85 + 2; any partial remainder would hold < 10 USD of margin.
      await open(s, s.traders[3], ETH, "0.1", "12.5");
      await s.setPrice(ETH, "1940");
      const { e } = await liquidateAndCheck(s, trader, usd("1940"));
      expect(e.equity * 2n >= e.mm, "not below half MM: the minimum margin forces the full close").to.equal(true);
      expect(e.partial).to.equal(false);
      expect(e.closedSize).to.equal(usd("0.1"));
      await expectConservation(s.engine, actors(s, 6), marketIds(s));
    });
  });

  describe("payouts", () => {
    it("penalty_keeper_and_insurance_split_exactly_with_the_flat_reward_first", async () => {
      const s = await loadFixture(deployTenEthLong);
      const fundBefore = await s.engine.insuranceFund();
      await s.setPrice(ETH, "1915");
      const { e, tx } = await liquidateAndCheck(s, s.traders[0].address, usd("1915"));
      // Written out: full close of 10 ETH; the skew equals the position, so the closing sell fills above
      // the oracle price by P × q / (2·skewScale) = 1915 × 10 / 200,000 = 0.09575.
      expect(e.exec).to.equal(usd("1915.09575"));
      const penalty = penaltyOf(e.closedSize, e.exec, P.penaltyBps); // 1% of 19,150.9575 = 191.509575
      expect(penalty).to.equal(usd("191.509575"));
      expect(e.penalty).to.equal(penalty);
      expect(e.keeperFromMargin).to.equal(P.keeperReward);
      expect(e.keeperPenalty).to.equal(usd("47.87739375"));
      expect(e.keeperCredit).to.equal(usd("2") + usd("47.87739375"));
      expect(e.keeperTopUp).to.equal(0n);
      await expect(tx)
        .to.emit(s.engine, "InsurancePenaltyCredited")
        .withArgs(
          s.market(ETH).marketId,
          s.traders[0].address,
          penalty - e.keeperPenalty,
          fundBefore + penalty - e.keeperPenalty,
        );
      await expect(tx).not.to.emit(s.engine, "InsuranceKeeperTopUp");
      await expect(tx).not.to.emit(s.engine, "InsuranceDeficitPaid");
    });

    it("fund_tops_up_only_the_part_of_the_keeper_reward_that_margin_could_not_pay", async () => {
      const s = await loadFixture(deployTenEthLong);
      const id = s.market(ETH).marketId;
      const trader = s.traders[0].address;
      // Find (with the model) a price where the close leaves 0 < margin < K: the keeper takes all of it.
      const pos = await readPosition(s.engine, trader, id);
      const st = await readMarket(s.engine, id);
      const fund = await s.engine.insuranceFund();
      let target = 0n;
      for (let cents = 190_000n; cents > 188_000n; cents--) {
        const x = expectedLiquidation({
          p: P,
          pos,
          st,
          priceWad: cents * 10n ** 16n,
          timestamp: st.lastFundingTimestamp + 3n,
          fund,
        });
        if (x.keeperFromMargin > usd("0.5") && x.keeperFromMargin < usd("1.5") && x.deficit === 0n) {
          target = cents * 10n ** 16n;
          break;
        }
      }
      expect(target > 0n, "a price leaving between 0.5 and 1.5 USD exists").to.equal(true);
      await setPriceWad(s, ETH, target);
      const { e, tx } = await liquidateAndCheck(s, trader, target);
      expect(e.penalty, "nothing left for the penalty").to.equal(0n);
      expect(e.keeperTopUp).to.equal(P.keeperReward - e.keeperFromMargin);
      expect(e.keeperCredit).to.equal(P.keeperReward);
      await expect(tx)
        .to.emit(s.engine, "InsuranceKeeperTopUp")
        .withArgs(id, s.keeper.address, P.keeperReward - e.keeperFromMargin, fund - e.keeperTopUp);
      await expect(tx).not.to.emit(s.engine, "InsurancePenaltyCredited");
      await expectConservation(s.engine, actors(s, 6), marketIds(s));
    });

    it("keeper_is_paid_by_internal_credit_and_no_token_moves", async () => {
      const s = await loadFixture(deployTenEthLong);
      const engineAddress = await s.engine.getAddress();
      const tokensBefore = {
        engine: await s.collateral.balanceOf(engineAddress),
        keeper: await s.collateral.balanceOf(s.keeper.address),
        trader: await s.collateral.balanceOf(s.traders[0].address),
      };
      await s.setPrice(ETH, "1915");
      const { e, tx } = await liquidateAndCheck(s, s.traders[0].address, usd("1915"));
      await expect(tx).not.to.emit(s.collateral, "Transfer");
      expect(await s.collateral.balanceOf(engineAddress)).to.equal(tokensBefore.engine);
      expect(await s.collateral.balanceOf(s.keeper.address)).to.equal(tokensBefore.keeper);
      expect(await s.collateral.balanceOf(s.traders[0].address)).to.equal(tokensBefore.trader);
      // The credit is withdrawable (rounded down to token units).
      const tokenAmount = e.keeperCredit / (await s.engine.collateralScale());
      await s.engine.connect(s.keeper).withdraw(tokenAmount);
      expect(await s.collateral.balanceOf(s.keeper.address)).to.equal(tokensBefore.keeper + tokenAmount);
    });
  });

  describe("one penalty per position per block", () => {
    it("two_liquidations_of_one_position_in_one_block_pay_one_penalty", async () => {
      const s = await loadFixture(deployTenEthLong);
      const id = s.market(ETH).marketId;
      const trader = s.traders[0].address;
      await s.setPrice(ETH, "1939");
      const e = await predictLiquidation(s.engine, P, trader, id, usd("1939"));
      expect(e.partial).to.equal(true);
      const keeperBefore = await s.engine.freeBalance(s.keeper.address);
      const otherKeeper = s.traders[5];
      const otherBefore = await s.engine.freeBalance(otherKeeper.address);
      await network.provider.send("evm_setAutomine", [false]);
      let first, second;
      try {
        first = await s.engine.connect(s.keeper).liquidate(trader, id, { gasLimit: 3_000_000 });
        second = await s.engine.connect(otherKeeper).liquidate(trader, id, { gasLimit: 3_000_000 });
        await network.provider.send("evm_mine", []);
      } finally {
        await network.provider.send("evm_setAutomine", [true]);
      }
      const r1 = await ethers.provider.getTransactionReceipt(first.hash);
      const r2 = await ethers.provider.getTransactionReceipt(second.hash);
      expect(r1!.blockNumber).to.equal(r2!.blockNumber);
      expect(r1!.status).to.equal(1);
      expect(r2!.status, "the second liquidation finds a healthy remainder and reverts").to.equal(0);
      const liquidated = (await engineEvents(s.engine, first)).filter((x) => x.name === "Liquidated");
      expect(liquidated.length).to.equal(1);
      expect(liquidated[0].args.penaltyUsd).to.equal(e.penalty);
      expect(await s.engine.freeBalance(s.keeper.address)).to.equal(keeperBefore + e.keeperCredit);
      expect(await s.engine.freeBalance(otherKeeper.address)).to.equal(otherBefore);
      expect(await s.engine.insuranceFund()).to.equal(e.fundAfter);
    });

    it("liquidateMany_with_the_same_entry_twice_pays_one_penalty", async () => {
      const s = await loadFixture(deployTenEthLong);
      const id = s.market(ETH).marketId;
      const trader = s.traders[0].address;
      await s.setPrice(ETH, "1939");
      const e = await predictLiquidation(s.engine, P, trader, id, usd("1939"));
      const keeperBefore = await s.engine.freeBalance(s.keeper.address);
      const tx = await s.engine.connect(s.keeper).liquidateMany([trader, trader], [id, id]);
      const evs = await engineEvents(s.engine, tx);
      expect(evs.filter((x) => x.name === "Liquidated").length).to.equal(1);
      await expect(tx).to.emit(s.engine, "LiquidationSkipped").withArgs(trader, id, 3n /* Healthy */);
      expect(await s.engine.freeBalance(s.keeper.address)).to.equal(keeperBefore + e.keeperCredit);
      expect(await s.engine.insuranceFund()).to.equal(e.fundAfter);
    });
  });

  describe("properties", () => {
    it("liquidation_never_increases_size_and_leaves_the_position_healthy_or_closed", async () => {
      let liquidations = 0;
      await fc.assert(
        fc.asyncProperty(
          fc.boolean(),
          fc.integer({ min: 3, max: 19 }), // leverage
          fc.integer({ min: 1, max: 100 }), // sizes in 0.1 ETH
          fc.integer({ min: 0, max: 300 }), // extra adverse move beyond the liquidation threshold, in 0.1%
          async (isLong, leverage, tenths, extraPermille) => {
            const s = await loadFixture(deployFunded);
            const id = s.market(ETH).marketId;
            const trader = s.traders[4];
            const q = BigInt(tenths) * 10n ** 17n;
            const sizeEth = (isLong ? "" : "-") + (Number(q) / 1e18).toString();
            // Margin: notional / leverage + fee + keeper reward + impact, rounded up to whole dollars.
            const marginUsd = Math.ceil((2000 * tenths) / 10 / leverage + 5 + 2);
            await open(s, trader, ETH, sizeEth, marginUsd.toString());
            // Move the price adversely to about where it turns liquidatable, then beyond.
            const threshold = 1 / leverage - 0.025;
            const move = Math.max(0, threshold) + extraPermille / 1000;
            const priceUsd = (2000 * (isLong ? 1 - move : 1 + move)).toFixed(2);
            await s.setPrice(ETH, priceUsd);
            const before = await s.engine.getPosition(trader.address, id);
            if (!(await s.engine.isLiquidatable(trader.address, id))) return;
            const { e } = await liquidateAndCheck(s, trader.address, usd(priceUsd));
            liquidations++;
            const after = await s.engine.getPosition(trader.address, id);
            expect(abs(after.size) <= abs(before.size), "size never grows").to.equal(true);
            expect(after.size === 0n || after.size > 0n === before.size > 0n, "never flips").to.equal(true);
            if (after.size !== 0n) {
              expect(e.partial).to.equal(true);
              expect(await s.engine.isLiquidatable(trader.address, id)).to.equal(false);
              expect(after.marginUsd >= P.minMargin).to.equal(true);
            }
            await expectConservation(s.engine, actors(s, 6), marketIds(s));
          },
        ),
        { numRuns: 25, interruptAfterTimeLimit: 20_000 },
      );
      expect(liquidations, "most runs reach a liquidation").to.be.greaterThan(10);
    });
  });

  describe("volatility", () => {
    it("liquidation_proceeds_while_the_market_is_volatile_and_opening_is_paused", async () => {
      const s = await loadFixture(deployFunded);
      const id = s.market(ETH).marketId;
      // ~3.2x long: a 30% drop leaves equity between MM/2 and MM.
      await open(s, s.traders[0], ETH, "10", "6200");
      await s.setPrice(ETH, "1400"); // −30% in one update: the breaker flags the market volatile
      expect((await s.market(ETH).adapter.latestPrice()).isVolatile).to.equal(true);
      await expect(open(s, s.traders[1], ETH, "1", "500")).to.be.revertedWithCustomError(s.engine, "MarketVolatile");
      const { e } = await liquidateAndCheck(s, s.traders[0].address, usd("1400"));
      expect(e.closedSize > 0n).to.equal(true);
      expect(await s.engine.isLiquidatable(s.traders[0].address, id)).to.equal(false);
      await expect(open(s, s.traders[1], ETH, "1", "500")).to.be.revertedWithCustomError(s.engine, "MarketVolatile");
      await expectConservation(s.engine, actors(s, 6), marketIds(s));
    });
  });

  describe("views agree with behaviour", () => {
    // 7 ETH sits in the first margin tier; 600 ETH (~$1.2M) in the second, where the requirement is 2.5% of
    // the first $1M of notional plus 5% of the rest.
    const viewCases = [
      { side: "long", sizeEth: "7", margin: "900", fixture: deployFunded },
      { side: "short", sizeEth: "7", margin: "900", fixture: deployFunded },
      { side: "long", sizeEth: "600", margin: "80000", fixture: deployDeepVault },
      { side: "short", sizeEth: "600", margin: "80000", fixture: deployDeepVault },
    ] as const;
    for (const c of viewCases) {
      it(`liquidationPrice_of_a_${c.sizeEth}_eth_${c.side}_separates_healthy_from_liquidatable_to_one_feed_unit`, async () => {
        const s = await loadFixture(c.fixture);
        const id = s.market(ETH).marketId;
        const victim = c.side === "long" ? s.traders[0] : s.traders[1];
        // The hedge keeps the skew at zero: no funding moves the boundary between blocks.
        await open(s, s.traders[0], ETH, c.sizeEth, c.margin);
        await open(s, s.traders[1], ETH, `-${c.sizeEth}`, c.margin);
        const lp = await s.engine.liquidationPrice(victim.address, id);
        if (c.sizeEth === "600") expect(lp * 600n > usd("1000000"), "in the second tier").to.equal(true);
        const unit = feedUnit(s, ETH);
        // Longs are liquidatable below lp, shorts above it.
        const healthy = c.side === "long" ? divCeil(lp, unit) * unit : (lp / unit) * unit;
        const liquidatable = c.side === "long" ? healthy - unit : healthy + unit;
        // Independent check: the model agrees on both sides of the boundary.
        const pos = await readPosition(s.engine, victim.address, id);
        const st = await readMarket(s.engine, id);
        const at = (priceWad: bigint) =>
          expectedLiquidation({ p: P, pos, st, priceWad, timestamp: st.lastFundingTimestamp, fund: 0n }).liquidatable;
        expect(at(healthy)).to.equal(false);
        expect(at(liquidatable)).to.equal(true);

        await setPriceWad(s, ETH, healthy);
        expect(await s.engine.isLiquidatable(victim.address, id)).to.equal(false);
        await expect(s.engine.connect(s.keeper).liquidate(victim.address, id)).to.be.revertedWithCustomError(
          s.engine,
          "PositionNotLiquidatable",
        );
        await setPriceWad(s, ETH, liquidatable);
        expect(await s.engine.isLiquidatable(victim.address, id)).to.equal(true);
        await liquidateAndCheck(s, victim.address, liquidatable);
        expect(await s.engine.isLiquidatable(victim.address, id)).to.equal(false);
        await expectConservation(s.engine, actors(s, 6), marketIds(s));
      });
    }

    it("isLiquidatable_is_false_for_a_flat_account_and_liquidationPrice_is_zero", async () => {
      const s = await loadFixture(deployFunded);
      const id = s.market(ETH).marketId;
      expect(await s.engine.isLiquidatable(s.traders[0].address, id)).to.equal(false);
      expect(await s.engine.liquidationPrice(s.traders[0].address, id)).to.equal(0n);
    });
  });
});

function size10() {
  return 10n * WAD;
}
