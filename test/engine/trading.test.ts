import { expect } from "chai";
import fc from "fast-check";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { keccak256, toUtf8Bytes } from "ethers";

import { LOCAL_CONFIG, type SystemDeployConfig } from "../../deploy/config";
import type { MarketParamsStruct } from "../../typechain-types/contracts/PerpEngine";
import { deployLocalSystem, deployWith, ETH, usd, size, ANY_BUY_PRICE, ANY_SELL_PRICE } from "../helpers/fixtures";
import {
  WAD,
  BPS,
  ETH_DEFAULTS,
  act,
  divFloor,
  divCeil,
  expectedFill,
  expectedFee,
  expectedPnl,
  expectedFundingOwed,
  expectedIndexAt,
  expectedInitialRequirement,
  expectedMaintenanceRequirement,
  expectedNotional,
  expectedInsuranceShare,
  minBig,
  pinNextTimestamp,
  predictNext,
  readStart,
  type RiskParams,
} from "../helpers/engineHelpers";

// Tests for the TRADING section of contracts/PerpEngine.sol (DESIGN §4): fills against the vault with skew
// impact, fees, open / increase / reduce / flip / close, margin moves, the initial-margin and minimum-margin
// checks, slippage bounds, open-interest and vault-exposure caps, and the oracle deviation breaker.
// Every expected number is derived in the test (test/helpers/engineHelpers.ts) from the documented formulas;
// a few are also written out by hand as anchors.

const P = ETH_DEFAULTS;
const P2000 = usd("2000");
const UNLISTED = keccak256(toUtf8Bytes("DOGE-USD"));

function withEthParams(overrides: Partial<MarketParamsStruct>): SystemDeployConfig {
  return {
    ...LOCAL_CONFIG,
    markets: LOCAL_CONFIG.markets.map((m) => (m.symbol === ETH ? { ...m, params: { ...m.params, ...overrides } } : m)),
  };
}

const LOW_OI_CAP = size("10");
const LOW_OI_CONFIG = withEthParams({ maxOpenInterestPerSide: LOW_OI_CAP });
async function deployLowOiCap() {
  return deployWith(LOW_OI_CONFIG);
}

const SMALL_SKEW_SCALE = size("10");
const SMALL_SKEW_CONFIG = withEthParams({ skewScale: SMALL_SKEW_SCALE, maxOpenInterestPerSide: size("9") });
async function deploySmallSkewScale() {
  return deployWith(SMALL_SKEW_CONFIG);
}

/** The standard system with the first four traders holding 50,000 USDC each in the engine. */
async function deployFunded() {
  const s = await deployLocalSystem();
  for (const t of s.traders.slice(0, 4)) await s.engine.connect(t).deposit(s.tokens("50000"));
  return s;
}

/** Extracts the custom error name of a failed call, if the engine declared it. */
function engineErrorName(engine: { interface: { parseError(data: string): { name: string } | null } }, err: unknown) {
  const e = err as { data?: string | { data?: string }; error?: { data?: string } };
  const raw = e.data ?? e.error?.data;
  const data = typeof raw === "string" ? raw : raw?.data;
  if (!data) return undefined;
  return engine.interface.parseError(data)?.name;
}

describe("PerpEngine trading", () => {
  describe("open", () => {
    it("open_long_fills_above_price_rounding_up_and_charges_fee", async () => {
      const s = await loadFixture(deployFunded);
      const [alice, bob] = s.traders;
      const eth = s.market(ETH).marketId;
      const { e } = await act(s.engine, alice, eth, P, P2000, size("1"), usd("500"));
      // Hand-computed anchors: 2000 × (1 + (0 + 1)/(2 × 100,000)); fee 5 bps; 20% of it to the fund.
      expect(e.fill).to.equal(usd("2000.01"));
      expect(e.fee).to.equal(usd("1.000005"));
      expect(e.insuranceFee).to.equal(usd("0.200001"));
      expect(e.newMargin).to.equal(usd("498.999995"));
      expect(await s.engine.vaultCashUsd()).to.equal(usd("1000000") + usd("0.800004"));
      const st = await s.engine.getMarketState(eth);
      expect(st.longOpenInterest).to.equal(size("1"));
      expect(st.shortOpenInterest).to.equal(0n);

      // Buying 1 ETH + 1 wei from a skew of 1 ETH: the adjustment 0.03 + 1e-20 USD rounds up to 0.03 + 1 wei.
      const { e: e2 } = await act(s.engine, bob, eth, P, P2000, size("1") + 1n, usd("500"));
      expect(e2.fill).to.equal(usd("2000.03") + 1n);
    });

    it("open_short_fills_below_price_rounding_down", async () => {
      const s = await loadFixture(deployFunded);
      const [alice] = s.traders;
      const eth = s.market(ETH).marketId;
      const { e } = await act(s.engine, alice, eth, P, P2000, -(size("1") + 1n), usd("500"));
      expect(e.fill).to.equal(usd("1999.99") - 1n);
      const st = await s.engine.getMarketState(eth);
      expect(st.shortOpenInterest).to.equal(size("1") + 1n);
      expect(st.netSize).to.equal(-(size("1") + 1n));
    });

    it("trade_that_reduces_skew_fills_with_price_improvement", async () => {
      const s = await loadFixture(deployFunded);
      const [alice, bob] = s.traders;
      const eth = s.market(ETH).marketId;
      const { e: long } = await act(s.engine, bob, eth, P, P2000, size("100"), usd("15000"));
      expect(long.fill).to.equal(usd("2001")); // 2000 × (1 + 100/200,000)
      const { e: short } = await act(s.engine, alice, eth, P, P2000, size("-40"), usd("5000"));
      expect(short.fill).to.equal(usd("2001.6")); // 2000 × (1 + (200 − 40)/200,000): above the oracle price
    });

    it("open_reverts_when_initial_margin_not_met", async () => {
      const s = await loadFixture(deployFunded);
      const [alice] = s.traders;
      const eth = s.market(ETH).marketId;
      const q = size("10");
      const fill = expectedFill(P2000, 0n, q, P.skewScale);
      const fee = expectedFee(q, fill, P.takerFeeBps);
      const pnlAtOracle = expectedPnl(q, fill, P2000); // the skew premium is an immediate unrealised loss
      const required = expectedInitialRequirement(q, P2000, P.keeperReward);
      const minimumMargin = required + fee - minBig(pnlAtOracle, 0n);
      expect(required).to.equal(usd("1002"));
      expect(minimumMargin).to.equal(usd("1013.0005"));

      await expect(s.engine.connect(alice).modifyPosition(eth, q, minimumMargin - 1n, ANY_BUY_PRICE))
        .to.be.revertedWithCustomError(s.engine, "InitialMarginNotMet")
        .withArgs(alice.address, eth, required - 1n, required);
      const { e } = await act(s.engine, alice, eth, P, P2000, q, minimumMargin);
      expect(e.newMargin + pnlAtOracle).to.equal(required); // exactly at the bound
    });

    it("open_reverts_when_margin_below_minimum", async () => {
      const s = await loadFixture(deployFunded);
      const [alice] = s.traders;
      const eth = s.market(ETH).marketId;
      const q = size("0.001"); // notional $2: IM is only $0.10 + $2 keeper reward
      const fill = expectedFill(P2000, 0n, q, P.skewScale);
      const fee = expectedFee(q, fill, P.takerFeeBps);
      await expect(s.engine.connect(alice).modifyPosition(eth, q, usd("5"), ANY_BUY_PRICE))
        .to.be.revertedWithCustomError(s.engine, "MarginBelowMinimum")
        .withArgs(alice.address, eth, usd("5") - fee, P.minMargin);
      await expect(s.engine.connect(alice).modifyPosition(eth, q, P.minMargin + fee - 1n, ANY_BUY_PRICE))
        .to.be.revertedWithCustomError(s.engine, "MarginBelowMinimum")
        .withArgs(alice.address, eth, P.minMargin - 1n, P.minMargin);
      const { e } = await act(s.engine, alice, eth, P, P2000, q, P.minMargin + fee);
      expect(e.newMargin).to.equal(P.minMargin);
    });

    it("opened_position_is_never_immediately_liquidatable", async () => {
      let opened = 0;
      const allowed = new Set(["InitialMarginNotMet", "MarginBelowMinimum", "VaultExposureCapExceeded"]);
      await fc.assert(
        fc.asyncProperty(
          fc.bigInt({ min: -150_000_000n, max: 150_000_000n }), // other trader's skew, 1e-6 ETH
          fc.bigInt({ min: 1_000n, max: 200_000_000n }), // |size|, 1e-6 ETH
          fc.boolean(),
          fc.bigInt({ min: 400n, max: 3_000n }), // margin, bps of notional
          fc.bigInt({ min: 0n, max: 60n * WAD }), // plus a flat amount
          async (skewMicro, sizeMicro, isLong, marginBps, extra) => {
            const s = await loadFixture(deployFunded);
            const [alice, bob] = s.traders;
            const eth = s.market(ETH).marketId;
            const preSkew = skewMicro * 10n ** 12n;
            if (preSkew !== 0n) {
              const bobMargin = (expectedNotional(preSkew, P2000) * 700n) / BPS + usd("20");
              await s.engine
                .connect(bob)
                .modifyPosition(eth, preSkew, bobMargin, preSkew > 0n ? ANY_BUY_PRICE : ANY_SELL_PRICE);
            }
            const q = (isLong ? 1n : -1n) * sizeMicro * 10n ** 12n;
            const margin = minBig((expectedNotional(q, P2000) * marginBps) / BPS + extra + 1n, usd("49000"));
            try {
              await s.engine.connect(alice).modifyPosition(eth, q, margin, isLong ? ANY_BUY_PRICE : ANY_SELL_PRICE);
            } catch (err) {
              const name = engineErrorName(s.engine, err);
              expect(allowed.has(name ?? ""), `unexpected failure ${name ?? String(err)}`).to.equal(true);
              return;
            }
            opened++;
            const [equity, requirement] = await s.engine.positionEquity(alice.address, eth);
            expect(requirement).to.equal(expectedMaintenanceRequirement(q, P2000, P.keeperReward));
            expect(equity >= BigInt(requirement), "equity ≥ maintenance requirement right after opening").to.equal(
              true,
            );
          },
        ),
        { numRuns: 30 },
      );
      expect(opened, "enough successful opens to make the property meaningful").to.be.greaterThan(10);
    });
  });

  describe("increase", () => {
    it("increase_long_averages_entry_rounding_up", async () => {
      const s = await loadFixture(deployFunded);
      const [alice] = s.traders;
      const eth = s.market(ETH).marketId;
      await act(s.engine, alice, eth, P, P2000, size("1"), usd("500"));
      await s.setPrice(ETH, "2003.17");
      const before = await s.engine.getPosition(alice.address, eth);
      const added = size("2") + 1n;
      const { e } = await act(s.engine, alice, eth, P, usd("2003.17"), added, usd("300"));
      const weighted = size("1") * before.entryPriceWad + added * e.fill;
      const total = size("1") + added;
      expect(weighted % total, "the average must not be exact").to.not.equal(0n);
      expect(e.newEntry).to.equal(weighted / total + 1n);
      expect(e.fundingPaid, "funding of the old size is settled first").to.be.greaterThan(0n);
    });

    it("increase_short_averages_entry_rounding_down", async () => {
      const s = await loadFixture(deployFunded);
      const [alice] = s.traders;
      const eth = s.market(ETH).marketId;
      await act(s.engine, alice, eth, P, P2000, size("-1"), usd("500"));
      await s.setPrice(ETH, "1997.31");
      const before = await s.engine.getPosition(alice.address, eth);
      const added = size("2") + 1n;
      const { e } = await act(s.engine, alice, eth, P, usd("1997.31"), -added, 0n);
      const weighted = size("1") * before.entryPriceWad + added * e.fill;
      const total = size("1") + added;
      expect(weighted % total, "the average must not be exact").to.not.equal(0n);
      expect(e.newEntry).to.equal(weighted / total);
    });
  });

  describe("reduce, flip, close", () => {
    it("reduce_realises_pnl_into_margin_and_keeps_entry", async () => {
      const s = await loadFixture(deployFunded);
      const [alice] = s.traders;
      const eth = s.market(ETH).marketId;
      await act(s.engine, alice, eth, P, P2000, size("2"), usd("1000"));
      const entry = (await s.engine.getPosition(alice.address, eth)).entryPriceWad;
      await s.setPrice(ETH, "2100");
      const { e } = await act(s.engine, alice, eth, P, usd("2100"), size("-0.5"), 0n);
      expect(e.realizedPnl).to.equal(expectedPnl(size("0.5"), entry, e.fill));
      expect(e.realizedPnl).to.be.greaterThan(usd("49"));
      expect(e.newEntry).to.equal(entry);
      expect(e.freeDelta, "a reduce releases no margin by itself").to.equal(0n);
    });

    it("reduce_at_a_loss_rounds_realised_pnl_down", async () => {
      const s = await loadFixture(deployFunded);
      const [alice] = s.traders;
      const eth = s.market(ETH).marketId;
      await act(s.engine, alice, eth, P, P2000, size("2"), usd("1000"));
      const entry = (await s.engine.getPosition(alice.address, eth)).entryPriceWad;
      await s.setPrice(ETH, "1900");
      const closed = 123_456_789_123_456_789n;
      const { e } = await act(s.engine, alice, eth, P, usd("1900"), -closed, 0n);
      const exact = closed * (e.fill - entry);
      expect(exact % WAD, "the PnL must not be a whole number of wei").to.not.equal(0n);
      expect(e.realizedPnl).to.equal(exact / WAD - 1n); // toward −∞, not toward zero
      expect(e.newEntry).to.equal(entry);
    });

    it("flip_closes_at_fill_and_opens_the_rest_at_fill", async () => {
      const s = await loadFixture(deployFunded);
      const [alice] = s.traders;
      const eth = s.market(ETH).marketId;
      await act(s.engine, alice, eth, P, P2000, size("1"), usd("600"));
      const entry = (await s.engine.getPosition(alice.address, eth)).entryPriceWad;
      await s.setPrice(ETH, "2050");
      const { e } = await act(s.engine, alice, eth, P, usd("2050"), size("-3"), 0n);
      expect(e.newSize).to.equal(size("-2"));
      expect(e.newEntry).to.equal(e.fill);
      expect(e.realizedPnl).to.equal(expectedPnl(size("1"), entry, e.fill));
      expect(e.fee).to.equal(expectedFee(size("3"), e.fill, P.takerFeeBps));
      const st = await s.engine.getMarketState(eth);
      expect(st.longOpenInterest).to.equal(0n);
      expect(st.shortOpenInterest).to.equal(size("2"));
    });

    it("close_returns_margin_to_free_balance", async () => {
      const s = await loadFixture(deployFunded);
      const [alice] = s.traders;
      const eth = s.market(ETH).marketId;
      await act(s.engine, alice, eth, P, P2000, size("-1.5"), usd("700"));
      await s.setPrice(ETH, "1950");
      const freeBefore = await s.engine.freeBalance(alice.address);
      const { e } = await act(s.engine, alice, eth, P, usd("1950"), size("1.5"), 0n, { close: true });
      expect(e.marginAfter).to.be.greaterThan(usd("700")); // a short in profit
      expect(await s.engine.freeBalance(alice.address)).to.equal(freeBefore + e.marginAfter);
      const p = await s.engine.getPosition(alice.address, eth);
      expect([p.size, p.entryPriceWad, p.marginUsd, p.fundingIndexSnapshotWad]).to.deep.equal([0n, 0n, 0n, 0n]);
      const st = await s.engine.getMarketState(eth);
      expect([st.netSize, st.longOpenInterest, st.shortOpenInterest, st.sumSizeTimesEntry]).to.deep.equal([
        0n,
        0n,
        0n,
        0n,
      ]);
    });

    it("close_honours_acceptable_price", async () => {
      const s = await loadFixture(deployFunded);
      const [alice] = s.traders;
      const eth = s.market(ETH).marketId;
      await act(s.engine, alice, eth, P, P2000, size("1"), usd("500"));
      const fill = expectedFill(P2000, size("1"), size("-1"), P.skewScale);
      await expect(s.engine.connect(alice).closePosition(eth, fill + 1n))
        .to.be.revertedWithCustomError(s.engine, "SlippageExceeded")
        .withArgs(fill, fill + 1n);
      await act(s.engine, alice, eth, P, P2000, size("-1"), 0n, { close: true, acceptablePrice: fill });
    });

    it("close_reverts_when_position_would_be_bankrupt_after_a_gap", async () => {
      const s = await loadFixture(deployFunded);
      const [alice] = s.traders;
      const eth = s.market(ETH).marketId;
      await act(s.engine, alice, eth, P, P2000, size("10"), usd("1100"));
      await s.setPrice(ETH, "1600"); // −20%: the loss exceeds the margin
      const before = await s.engine.getPosition(alice.address, eth);
      const e = await predictNext(s.engine, alice.address, eth, P, usd("1600"), -before.size, 0n);
      expect(e.marginAfter).to.be.lessThan(0n);
      await expect(s.engine.connect(alice).closePosition(eth, ANY_SELL_PRICE))
        .to.be.revertedWithCustomError(s.engine, "PositionBankrupt")
        .withArgs(alice.address, eth, e.marginAfter);
      // A partial reduce that still leaves negative margin is refused the same way.
      const e2 = await predictNext(s.engine, alice.address, eth, P, usd("1600"), size("-9"), 0n);
      await expect(s.engine.connect(alice).modifyPosition(eth, size("-9"), 0n, ANY_SELL_PRICE))
        .to.be.revertedWithCustomError(s.engine, "PositionBankrupt")
        .withArgs(alice.address, eth, e2.marginAfter);
      const after = await s.engine.getPosition(alice.address, eth);
      expect(after.size).to.equal(before.size);
      expect(after.marginUsd).to.equal(before.marginUsd);
    });
  });

  describe("PnL and fees", () => {
    it("position_equity_tracks_price_moves_with_pnl_rounded_down", async () => {
      const s = await loadFixture(deployFunded);
      const [alice, bob] = s.traders;
      const eth = s.market(ETH).marketId;
      await act(s.engine, alice, eth, P, P2000, size("2"), usd("1000"));
      await act(s.engine, bob, eth, P, P2000, -333_333_333_333_333_333n, usd("500"));
      await s.setPrice(ETH, "2100.12345678");
      const price = usd("2100.12345678");
      const latest = BigInt(await time.latest());
      for (const t of [alice, bob]) {
        const { pos, state } = await readStart(s.engine, t.address, eth);
        const index = expectedIndexAt(state, P, price, latest);
        const pnl = expectedPnl(pos.size, pos.entryPriceWad, price);
        const [equity, requirement] = await s.engine.positionEquity(t.address, eth);
        expect(equity).to.equal(
          pos.marginUsd + pnl - expectedFundingOwed(pos.size, index, pos.fundingIndexSnapshotWad),
        );
        expect(requirement).to.equal(expectedMaintenanceRequirement(pos.size, price, P.keeperReward));
      }
      const bobPos = await s.engine.getPosition(bob.address, eth);
      const exact = bobPos.size * (price - bobPos.entryPriceWad);
      expect(exact % WAD).to.not.equal(0n);
      expect(expectedPnl(bobPos.size, bobPos.entryPriceWad, price)).to.equal(divFloor(exact, WAD));
      expect(expectedPnl(bobPos.size, bobPos.entryPriceWad, price)).to.be.lessThan(0n);
      // Anchor for the long: 2 × (2100.12345678 − 2000.02) and a requirement of 2.5% of 4200.24691356 + $2.
      const [, longRequirement] = await s.engine.positionEquity(alice.address, eth);
      expect(longRequirement).to.equal(divCeil(usd("4200.24691356") * 250n, BPS) + usd("2"));
    });

    it("fees_split_between_insurance_fund_and_vault_cash", async () => {
      const s = await loadFixture(deployFunded);
      const [alice, bob] = s.traders;
      const eth = s.market(ETH).marketId;
      const cash0 = await s.engine.vaultCashUsd();
      const { e: a } = await act(s.engine, alice, eth, P, P2000, size("3.7"), usd("1000"));
      const { e: b } = await act(s.engine, bob, eth, P, P2000, size("-1.3"), usd("1000"));
      expect(a.insuranceFee).to.equal((a.fee * 2_000n) / BPS);
      expect(await s.engine.insuranceFund()).to.equal(a.insuranceFee + b.insuranceFee);
      // Alice paid no funding yet (new position); Bob's short paid none either: the vault got the rest.
      expect(await s.engine.vaultCashUsd()).to.equal(cash0 + a.fee - a.insuranceFee + b.fee - b.insuranceFee);
    });
  });

  describe("margin moves", () => {
    it("margin_moves_in_and_out_in_the_same_call_as_a_trade", async () => {
      const s = await loadFixture(deployFunded);
      const [alice] = s.traders;
      const eth = s.market(ETH).marketId;
      await act(s.engine, alice, eth, P, P2000, size("1"), usd("500"));
      const { e: inc } = await act(s.engine, alice, eth, P, P2000, size("1"), usd("300"));
      expect(inc.freeDelta).to.equal(-usd("300"));
      const { e: red } = await act(s.engine, alice, eth, P, P2000, size("-1"), -usd("200"));
      expect(red.freeDelta).to.equal(usd("200"));
      const { e: add } = await act(s.engine, alice, eth, P, P2000, 0n, usd("50"));
      expect(add.fill).to.equal(0n);
      expect(add.fee).to.equal(0n);
      const { e: rem } = await act(s.engine, alice, eth, P, P2000, 0n, -usd("75.5"));
      expect(rem.newMargin).to.equal(add.newMargin - rem.fundingPaid - usd("75.5"));
    });

    it("margin_removal_reverts_when_it_exceeds_position_margin", async () => {
      const s = await loadFixture(deployFunded);
      const [alice] = s.traders;
      const eth = s.market(ETH).marketId;
      await act(s.engine, alice, eth, P, P2000, size("1"), usd("500"));
      const e = await predictNext(s.engine, alice.address, eth, P, P2000, 0n, -usd("1000"));
      await expect(s.engine.connect(alice).modifyPosition(eth, 0n, -usd("1000"), 0n))
        .to.be.revertedWithCustomError(s.engine, "InsufficientPositionMargin")
        .withArgs(alice.address, eth, e.pos.marginUsd - e.fundingPaid, usd("1000"));
      // Without a position there is no margin to move, in either direction.
      const btc = s.market("BTC-USD").marketId;
      for (const marginDelta of [-1n, 1n]) {
        await expect(s.engine.connect(alice).modifyPosition(btc, 0n, marginDelta, 0n))
          .to.be.revertedWithCustomError(s.engine, "NoPosition")
          .withArgs(alice.address, btc);
      }
    });

    it("margin_removal_cannot_withdraw_unrealised_profit", async () => {
      const s = await loadFixture(deployFunded);
      const [alice] = s.traders;
      const eth = s.market(ETH).marketId;
      const q = size("10");
      await act(s.engine, alice, eth, P, P2000, q, usd("2000"));
      await s.setPrice(ETH, "2200"); // +10%: about $1,999 of unrealised profit
      const price = usd("2200");
      const required = expectedInitialRequirement(q, price, P.keeperReward);
      expect(required).to.equal(usd("1102"));

      const e1 = await predictNext(s.engine, alice.address, eth, P, price, 0n, 0n);
      const pnl = expectedPnl(q, e1.pos.entryPriceWad, price);
      expect(pnl).to.be.greaterThan(usd("1990"));
      const removable = e1.pos.marginUsd - e1.fundingPaid - required; // the original margin − IM, no profit
      await expect(s.engine.connect(alice).modifyPosition(eth, 0n, -(removable + 1n), 0n))
        .to.be.revertedWithCustomError(s.engine, "InitialMarginNotMet")
        .withArgs(alice.address, eth, required - 1n, required);
      // Taking the whole margin would be covered if profit counted (profit > IM); it does not.
      const eAll = await predictNext(s.engine, alice.address, eth, P, price, 0n, 0n);
      const wholeMargin = eAll.pos.marginUsd - eAll.fundingPaid;
      expect(pnl).to.be.greaterThan(required);
      await expect(s.engine.connect(alice).modifyPosition(eth, 0n, -wholeMargin, 0n))
        .to.be.revertedWithCustomError(s.engine, "InitialMarginNotMet")
        .withArgs(alice.address, eth, 0n, required);

      const e2 = await predictNext(s.engine, alice.address, eth, P, price, 0n, 0n);
      const removableNow = e2.pos.marginUsd - e2.fundingPaid - required;
      const { e } = await act(s.engine, alice, eth, P, price, 0n, -removableNow);
      expect(e.newMargin).to.equal(required);
    });

    it("margin_removal_counts_unrealised_losses", async () => {
      const s = await loadFixture(deployFunded);
      const [alice] = s.traders;
      const eth = s.market(ETH).marketId;
      const q = size("10");
      await act(s.engine, alice, eth, P, P2000, q, usd("2000"));
      await s.setPrice(ETH, "1950");
      const price = usd("1950");
      const required = expectedInitialRequirement(q, price, P.keeperReward);
      const e1 = await predictNext(s.engine, alice.address, eth, P, price, 0n, 0n);
      const pnl = expectedPnl(q, e1.pos.entryPriceWad, price);
      expect(pnl).to.be.lessThan(0n);
      const removable = e1.pos.marginUsd - e1.fundingPaid + pnl - required;
      await expect(s.engine.connect(alice).modifyPosition(eth, 0n, -(removable + 1n), 0n))
        .to.be.revertedWithCustomError(s.engine, "InitialMarginNotMet")
        .withArgs(alice.address, eth, required - 1n, required);
    });

    it("margin_removal_reverts_when_margin_would_fall_below_minimum", async () => {
      const s = await loadFixture(deployFunded);
      const [alice] = s.traders;
      const eth = s.market(ETH).marketId;
      await act(s.engine, alice, eth, P, P2000, size("0.001"), usd("50"));
      const e = await predictNext(s.engine, alice.address, eth, P, P2000, 0n, 0n);
      const removable = e.pos.marginUsd - e.fundingPaid - P.minMargin;
      await expect(s.engine.connect(alice).modifyPosition(eth, 0n, -(removable + 1n), 0n))
        .to.be.revertedWithCustomError(s.engine, "MarginBelowMinimum")
        .withArgs(alice.address, eth, P.minMargin - 1n, P.minMargin);
    });

    it("reduce_is_allowed_without_extra_margin_when_below_initial_margin", async () => {
      const s = await loadFixture(deployFunded);
      const [alice] = s.traders;
      const eth = s.market(ETH).marketId;
      const q = size("10");
      await act(s.engine, alice, eth, P, P2000, q, usd("1100"));
      await s.setPrice(ETH, "1900");
      const price = usd("1900");
      const before = await readStart(s.engine, alice.address, eth);
      const required = expectedInitialRequirement(q, price, P.keeperReward);
      const lossyEquity = before.pos.marginUsd + expectedPnl(q, before.pos.entryPriceWad, price);
      expect(lossyEquity).to.be.lessThan(required); // below initial margin now

      // Increasing is refused …
      await expect(
        s.engine.connect(alice).modifyPosition(eth, size("1"), 0n, ANY_BUY_PRICE),
      ).to.be.revertedWithCustomError(s.engine, "InitialMarginNotMet");
      // … reducing is allowed with no new margin, and its margin ratio does not fall.
      const { e } = await act(s.engine, alice, eth, P, price, size("-5"), 0n);
      const oldEquity = before.pos.marginUsd - e.fundingPaid + expectedPnl(q, before.pos.entryPriceWad, price);
      const newEquity = e.newMargin + expectedPnl(e.newSize, e.newEntry, price);
      expect(newEquity * expectedNotional(q, price) >= oldEquity * expectedNotional(e.newSize, price)).to.equal(true);
    });

    it("reduce_reverts_when_it_lowers_margin_ratio_below_initial_margin", async () => {
      const s = await loadFixture(deployFunded);
      const [alice] = s.traders;
      const eth = s.market(ETH).marketId;
      const q = size("10");
      await act(s.engine, alice, eth, P, P2000, q, usd("1015"));
      await s.setPrice(ETH, "1900"); // equity ≈ $4: less than the fee and impact of selling half
      const price = usd("1900");
      const e = await predictNext(s.engine, alice.address, eth, P, price, size("-5"), 0n);
      const oldEquity = e.pos.marginUsd - e.fundingPaid + expectedPnl(q, e.pos.entryPriceWad, price);
      const newEquity = e.marginAfter + expectedPnl(e.newSize, e.newEntry, price);
      expect(oldEquity).to.be.greaterThan(0n);
      expect(e.marginAfter).to.be.greaterThan(0n);
      expect(newEquity * expectedNotional(q, price) < oldEquity * expectedNotional(e.newSize, price)).to.equal(true);
      await expect(s.engine.connect(alice).modifyPosition(eth, size("-5"), 0n, ANY_SELL_PRICE))
        .to.be.revertedWithCustomError(s.engine, "MarginRatioDecreased")
        .withArgs(alice.address, eth);
      // Bringing margin in the same call keeps the ratio up, so the reduce goes through.
      await act(s.engine, alice, eth, P, price, size("-5"), usd("100"));
    });
  });

  describe("slippage", () => {
    it("buy_fills_when_acceptable_price_equals_fill_and_reverts_one_wei_below", async () => {
      const s = await loadFixture(deployFunded);
      const [alice] = s.traders;
      const eth = s.market(ETH).marketId;
      const fill = expectedFill(P2000, 0n, size("1"), P.skewScale);
      await expect(s.engine.connect(alice).modifyPosition(eth, size("1"), usd("500"), fill - 1n))
        .to.be.revertedWithCustomError(s.engine, "SlippageExceeded")
        .withArgs(fill, fill - 1n);
      await act(s.engine, alice, eth, P, P2000, size("1"), usd("500"), { acceptablePrice: fill });
    });

    it("sell_fills_when_acceptable_price_equals_fill_and_reverts_one_wei_above", async () => {
      const s = await loadFixture(deployFunded);
      const [alice, bob] = s.traders;
      const eth = s.market(ETH).marketId;
      await act(s.engine, bob, eth, P, P2000, size("3"), usd("1000"));
      const fill = expectedFill(P2000, size("3"), -size("1.1"), P.skewScale);
      await expect(s.engine.connect(alice).modifyPosition(eth, -size("1.1"), usd("500"), fill + 1n))
        .to.be.revertedWithCustomError(s.engine, "SlippageExceeded")
        .withArgs(fill, fill + 1n);
      await act(s.engine, alice, eth, P, P2000, -size("1.1"), usd("500"), { acceptablePrice: fill });
    });
  });

  describe("rejections", () => {
    it("close_reverts_when_no_position", async () => {
      const s = await loadFixture(deployFunded);
      const [alice] = s.traders;
      const eth = s.market(ETH).marketId;
      await expect(s.engine.connect(alice).closePosition(eth, ANY_SELL_PRICE))
        .to.be.revertedWithCustomError(s.engine, "NoPosition")
        .withArgs(alice.address, eth);
      await act(s.engine, alice, eth, P, P2000, size("1"), usd("500"));
      await s.engine.connect(alice).closePosition(eth, ANY_SELL_PRICE);
      await expect(s.engine.connect(alice).closePosition(eth, ANY_SELL_PRICE))
        .to.be.revertedWithCustomError(s.engine, "NoPosition")
        .withArgs(alice.address, eth);
    });

    it("modify_reverts_when_action_empty", async () => {
      const s = await loadFixture(deployFunded);
      await expect(
        s.engine.connect(s.traders[0]).modifyPosition(s.market(ETH).marketId, 0n, 0n, ANY_BUY_PRICE),
      ).to.be.revertedWithCustomError(s.engine, "EmptyAction");
    });

    it("modify_reverts_when_market_not_listed", async () => {
      const s = await loadFixture(deployFunded);
      const [alice] = s.traders;
      await expect(s.engine.connect(alice).modifyPosition(UNLISTED, size("1"), usd("100"), ANY_BUY_PRICE))
        .to.be.revertedWithCustomError(s.engine, "MarketNotListed")
        .withArgs(UNLISTED);
      await expect(s.engine.pokeFunding(UNLISTED))
        .to.be.revertedWithCustomError(s.engine, "MarketNotListed")
        .withArgs(UNLISTED);
      await expect(s.engine.markPrice(UNLISTED))
        .to.be.revertedWithCustomError(s.engine, "MarketNotListed")
        .withArgs(UNLISTED);
      await expect(s.engine.positionEquity(alice.address, UNLISTED))
        .to.be.revertedWithCustomError(s.engine, "MarketNotListed")
        .withArgs(UNLISTED);
      // An unlisted market can hold no position, so closing one reports that first.
      await expect(s.engine.connect(alice).closePosition(UNLISTED, 0n))
        .to.be.revertedWithCustomError(s.engine, "NoPosition")
        .withArgs(alice.address, UNLISTED);
    });

    it("sell_reverts_when_fill_price_would_be_non_positive", async () => {
      const s = await loadFixture(deploySmallSkewScale);
      const [alice] = s.traders;
      await s.engine.connect(alice).deposit(s.tokens("50000"));
      const eth = s.market(ETH).marketId;
      // fill = 2000 × (1 − 25/20) = −500 and 2000 × (1 − 20/20) = 0
      await expect(s.engine.connect(alice).modifyPosition(eth, size("-25"), usd("40000"), 0n))
        .to.be.revertedWithCustomError(s.engine, "FillPriceNonPositive")
        .withArgs(-usd("500"));
      await expect(s.engine.connect(alice).modifyPosition(eth, size("-20"), usd("40000"), 0n))
        .to.be.revertedWithCustomError(s.engine, "FillPriceNonPositive")
        .withArgs(0n);
      expect(expectedFill(P2000, 0n, size("-19.99"), SMALL_SKEW_SCALE)).to.be.greaterThan(0n);
    });

    it("fill_price_stays_positive_for_every_trade_within_the_oi_cap", async () => {
      // Listing keeps the OI cap below the skew scale, so |skew| < skewScale and a full-cap sell against a
      // full-cap short skew still fills above zero: 2000 × (1 + (−9 − 18)/20) would be negative only beyond it.
      const worstSkew = -size("9");
      expect(expectedFill(P2000, worstSkew, size("9") * 2n, SMALL_SKEW_SCALE)).to.be.greaterThan(0n);
      expect(expectedFill(P2000, 0n, -size("9"), SMALL_SKEW_SCALE)).to.be.greaterThan(0n);
    });
  });

  describe("caps", () => {
    it("open_reverts_when_open_interest_cap_exceeded", async () => {
      const s = await loadFixture(deployLowOiCap);
      const [alice, bob, carol] = s.traders;
      for (const t of [alice, bob, carol]) await s.engine.connect(t).deposit(s.tokens("20000"));
      const eth = s.market(ETH).marketId;
      const params: RiskParams = { ...P, maxOi: LOW_OI_CAP };
      await act(s.engine, alice, eth, params, P2000, LOW_OI_CAP, usd("2000")); // exactly at the cap
      await expect(s.engine.connect(bob).modifyPosition(eth, 1n, usd("100"), ANY_BUY_PRICE))
        .to.be.revertedWithCustomError(s.engine, "OpenInterestCapExceeded")
        .withArgs(eth, LOW_OI_CAP + 1n, LOW_OI_CAP);
      // Sides are capped separately.
      await act(s.engine, bob, eth, params, P2000, -LOW_OI_CAP, usd("2000"));
      await expect(s.engine.connect(carol).modifyPosition(eth, -1n, usd("100"), ANY_SELL_PRICE))
        .to.be.revertedWithCustomError(s.engine, "OpenInterestCapExceeded")
        .withArgs(eth, LOW_OI_CAP + 1n, LOW_OI_CAP);
      // A position's own old size is replaced, not added: reduce then increase back to the cap is fine …
      await act(s.engine, alice, eth, params, P2000, -size("1"), 0n);
      await act(s.engine, alice, eth, params, P2000, size("1"), 0n);
      // … one wei more is not; neither is a flip onto a full side.
      await expect(s.engine.connect(alice).modifyPosition(eth, 1n, 0n, ANY_BUY_PRICE))
        .to.be.revertedWithCustomError(s.engine, "OpenInterestCapExceeded")
        .withArgs(eth, LOW_OI_CAP + 1n, LOW_OI_CAP);
      await expect(s.engine.connect(alice).modifyPosition(eth, -size("11"), usd("3000"), ANY_SELL_PRICE))
        .to.be.revertedWithCustomError(s.engine, "OpenInterestCapExceeded")
        .withArgs(eth, LOW_OI_CAP + size("1"), LOW_OI_CAP);
      // Caps never bind closes.
      await s.engine.connect(alice).closePosition(eth, ANY_SELL_PRICE);
      await s.engine.connect(bob).closePosition(eth, ANY_BUY_PRICE);
    });

    it("open_reverts_when_vault_exposure_cap_exceeded", async () => {
      const s = await loadFixture(deployFunded);
      const [alice] = s.traders;
      const eth = s.market(ETH).marketId;
      const q = size("260"); // $520,000 of vault exposure against a cap of 50% × ~$1,000,000
      const fill = expectedFill(P2000, 0n, q, P.skewScale);
      const fee = expectedFee(q, fill, P.takerFeeBps);
      const vaultCashAfter = usd("1000000") + fee - expectedInsuranceShare(fee, P.insuranceShareBps);
      // The vault's gain from the skew premium is excluded from the equity the cap is measured on.
      const capUsd = (vaultCashAfter * P.maxVaultExposureBps) / BPS;
      await expect(s.engine.connect(alice).modifyPosition(eth, q, usd("30000"), ANY_BUY_PRICE))
        .to.be.revertedWithCustomError(s.engine, "VaultExposureCapExceeded")
        .withArgs(eth, usd("520000"), capUsd);
      const { e } = await act(s.engine, alice, eth, P, P2000, size("250"), usd("30000"));
      const capAfter = ((usd("1000000") + e.fee - e.insuranceFee) * P.maxVaultExposureBps) / BPS;
      expect(expectedNotional(size("250"), P2000) <= capAfter).to.equal(true);
    });

    it("trades_that_shrink_vault_exposure_pass_when_the_vault_is_over_its_cap", async () => {
      const s = await loadFixture(deployFunded);
      const [alice, bob] = s.traders;
      const eth = s.market(ETH).marketId;
      await act(s.engine, alice, eth, P, P2000, size("250"), usd("30000"));
      await s.setPrice(ETH, "2400"); // the vault's short loses ~$100k: its exposure is now over the cap
      const price = usd("2400");

      const qb = size("0.1");
      const { pos: alicePos, state } = await readStart(s.engine, alice.address, eth);
      const cash = await s.engine.vaultCashUsd();
      const t = await pinNextTimestamp();
      const index = expectedIndexAt(state, P, price, t);
      const fillB = expectedFill(price, state.netSize, qb, P.skewScale);
      const feeB = expectedFee(qb, fillB, P.takerFeeBps);
      const net = state.netSize + qb;
      const value = divFloor(
        alicePos.size * (alicePos.entryPriceWad - price) +
          qb * (fillB - price) +
          alicePos.size * (index - alicePos.fundingIndexSnapshotWad),
        WAD,
      );
      expect(value).to.be.lessThan(0n);
      const equity = cash + feeB - expectedInsuranceShare(feeB, P.insuranceShareBps) + value;
      const capUsd = (equity * P.maxVaultExposureBps) / BPS;
      await expect(s.engine.connect(bob).modifyPosition(eth, qb, usd("1000"), ANY_BUY_PRICE))
        .to.be.revertedWithCustomError(s.engine, "VaultExposureCapExceeded")
        .withArgs(eth, expectedNotional(net, price), capUsd);

      // Shrinking the exposure is always allowed: a new short, a reduce, a close.
      await act(s.engine, bob, eth, P, price, size("-1"), usd("1000"));
      await act(s.engine, alice, eth, P, price, size("-10"), 0n);
      const left = (await s.engine.getPosition(alice.address, eth)).size;
      await act(s.engine, alice, eth, P, price, -left, 0n, { close: true });
    });
  });

  describe("deviation breaker", () => {
    it("volatile_market_blocks_open_and_increase_but_allows_reduce_and_close_until_cooldown_ends", async () => {
      const s = await loadFixture(deployFunded);
      const [alice, bob] = s.traders;
      const eth = s.market(ETH).marketId;
      const cooldown = await s.market(ETH).adapter.volatilityCooldownSeconds();
      expect(cooldown).to.equal(300n);
      await act(s.engine, alice, eth, P, P2000, size("2"), usd("1000"));
      await s.setPrice(ETH, "2600"); // +30% in one update: beyond the 25% breaker, volatile for 300 s from it
      const tJump = BigInt(await time.latest());
      const price = usd("2600");

      for (const [who, delta] of [
        [bob, size("1")],
        [bob, size("-1")],
        [alice, size("0.1")], // increase
        [alice, size("-3")], // flip
      ] as const) {
        await expect(
          s.engine.connect(who).modifyPosition(eth, delta, usd("500"), delta > 0n ? ANY_BUY_PRICE : ANY_SELL_PRICE),
        )
          .to.be.revertedWithCustomError(s.engine, "MarketVolatile")
          .withArgs(eth);
      }
      // Adding margin, reducing and closing keep working.
      await act(s.engine, alice, eth, P, price, 0n, usd("10"));
      await act(s.engine, alice, eth, P, price, size("-0.5"), 0n);
      await act(s.engine, alice, eth, P, price, size("-1.5"), 0n, { close: true });

      // Still volatile one second before the cooldown ends (counted from the feed update); open again at its end.
      await time.setNextBlockTimestamp(tJump + cooldown - 1n);
      await expect(s.engine.connect(bob).modifyPosition(eth, size("1"), usd("500"), ANY_BUY_PRICE))
        .to.be.revertedWithCustomError(s.engine, "MarketVolatile")
        .withArgs(eth);
      const gap = tJump + cooldown - BigInt(await time.latest());
      await act(s.engine, bob, eth, P, price, size("1"), usd("500"), { gap });

      // Much later the feed must be refreshed (heartbeat 1 h); at the same price the market stays calm.
      await time.increase(4_000);
      await s.setPrice(ETH, "2600");
      await act(s.engine, alice, eth, P, price, size("1"), usd("500"));
    });

    // Issue 10 §2 regression. The old adapter recorded accepted prices and started the cooldown when a successful
    // call recorded the jump; a reverted open (MarketVolatile) also reverted that record, so after a jump that
    // nobody else touched, a trader who waited out the cooldown was refused again, and kept being refused until
    // some other call (a poke, a close, a liquidation) recorded the price. Now the cooldown runs from the feed
    // update itself.
    it("after_a_jump_an_open_succeeds_once_the_cooldown_has_passed_since_the_feed_update_with_nobody_touching_the_market", async () => {
      const s = await loadFixture(deployFunded);
      const [bob] = s.traders;
      const eth = s.market(ETH).marketId;
      const cooldown = await s.market(ETH).adapter.volatilityCooldownSeconds();
      await s.setPrice(ETH, "2600");
      const tJump = BigInt(await time.latest());
      // The only call on the market in between is the refused open itself.
      await expect(s.engine.connect(bob).modifyPosition(eth, size("1"), usd("500"), ANY_BUY_PRICE))
        .to.be.revertedWithCustomError(s.engine, "MarketVolatile")
        .withArgs(eth);
      const gap = tJump + cooldown - BigInt(await time.latest());
      await act(s.engine, bob, eth, P, usd("2600"), size("1"), usd("500"), { gap });
    });

    it("a_move_split_over_two_feed_updates_inside_the_cooldown_trips_the_breaker_though_the_market_traded_in_between", async () => {
      const s = await loadFixture(deployFunded);
      const [alice, bob] = s.traders;
      const eth = s.market(ETH).marketId;
      await s.setPrice(ETH, "2300"); // +15%: calm, and someone trades at it
      await act(s.engine, alice, eth, P, usd("2300"), size("1"), usd("500"));
      await s.setPrice(ETH, "2645"); // +15% again: +32.25% from 2,000 within the cooldown
      await expect(s.engine.connect(bob).modifyPosition(eth, size("1"), usd("500"), ANY_BUY_PRICE))
        .to.be.revertedWithCustomError(s.engine, "MarketVolatile")
        .withArgs(eth);
      expect((await s.market(ETH).adapter.latestPrice()).isVolatile).to.equal(true);
    });

    // Regression: margin removal used to be allowed while volatile. A suspect jump that erases a position's
    // unrealised loss would let its owner take margin out against the suspect price; when the price
    // corrects, the position is bankrupt.
    it("margin_removal_reverts_while_market_volatile", async () => {
      const s = await loadFixture(deployFunded);
      const [alice] = s.traders;
      const eth = s.market(ETH).marketId;
      await s.engine.connect(alice).modifyPosition(eth, size("10"), usd("4000"), ANY_BUY_PRICE);
      await s.setPrice(ETH, "1700"); // −15%: a $3,001 unrealised loss; at most ~$140 of margin is removable
      await s.setPrice(ETH, "2200"); // +29.4% from the window's low: the breaker trips, the loss disappears
      expect((await s.market(ETH).adapter.latestPrice())[1]).to.equal(true);
      // Without the guard this succeeds (margin 3,990 → 1,190 ≥ IM 1,102 at 2,200); back at 1,700 equity ≈ −1,811.
      await expect(s.engine.connect(alice).modifyPosition(eth, 0n, -usd("2800"), 0n))
        .to.be.revertedWithCustomError(s.engine, "MarketVolatile")
        .withArgs(eth);
    });
  });
});
