import { expect } from "chai";
import { network } from "hardhat";
import { loadFixture, takeSnapshot, time } from "@nomicfoundation/hardhat-network-helpers";
import { keccak256, toUtf8Bytes, type ContractTransactionResponse } from "ethers";

import { LOCAL_CONFIG, type SystemDeployConfig } from "../../deploy/config";
import { deployLocalSystem, deployWith, ETH, usd, size, ANY_BUY_PRICE, ANY_SELL_PRICE } from "../helpers/fixtures";
import {
  WAD,
  SECONDS_PER_DAY,
  ETH_DEFAULTS,
  act,
  divCeil,
  divFloor,
  expectedFundingOwed,
  expectedFundingRate,
  expectedFundingIndexDelta,
  expectedIndexAt,
  expectedPnl,
  pinNextTimestamp,
  positionModifiedEvents,
  readStart,
  txTimestamp,
  vaultMarketValue,
  viewsAt,
  type RiskParams,
} from "../helpers/engineHelpers";

// Tests for the FUNDING section of contracts/PerpEngine.sol (DESIGN §5): a cumulative per-market index
// accrued lazily at the start of every state-changing call, rate = clamp(skew/skewScale)·maxRate (longs pay
// when longs dominate), settled into a position's margin on its next touch, zero-sum against the vault with
// rounding that favours the protocol.

const P = ETH_DEFAULTS;
const P2000 = usd("2000");
const UNLISTED = keccak256(toUtf8Bytes("DOGE-USD"));

async function deployFunded() {
  const s = await deployLocalSystem();
  for (const t of s.traders.slice(0, 4)) await s.engine.connect(t).deposit(s.tokens("50000"));
  return s;
}

const SMALL_SKEW_SCALE = size("10");
const SMALL_SKEW_CONFIG: SystemDeployConfig = {
  ...LOCAL_CONFIG,
  markets: LOCAL_CONFIG.markets.map((m) =>
    m.symbol === ETH
      ? { ...m, params: { ...m.params, skewScale: SMALL_SKEW_SCALE, maxOpenInterestPerSide: size("9") } }
      : m,
  ),
};
async function deploySmallSkewScaleFunded() {
  const s = await deployWith(SMALL_SKEW_CONFIG);
  for (const t of s.traders.slice(0, 2)) await s.engine.connect(t).deposit(s.tokens("50000"));
  return s;
}

/** Lets `seconds` pass and refreshes the feed at `priceUsd` (the heartbeat is one hour). */
async function elapse(s: Awaited<ReturnType<typeof deployFunded>>, seconds: number, priceUsd = "2000") {
  await time.increase(seconds);
  await s.setPrice(ETH, priceUsd);
}

/** Mines the given sends in one block at `t` and returns their responses. */
async function inOneBlock(t: bigint, sends: (() => Promise<ContractTransactionResponse>)[]) {
  await network.provider.send("evm_setAutomine", [false]);
  const txs: ContractTransactionResponse[] = [];
  try {
    for (const send of sends) txs.push(await send());
    await network.provider.send("evm_mine", [Number(t)]);
  } finally {
    await network.provider.send("evm_setAutomine", [true]);
  }
  for (const tx of txs) expect(await txTimestamp(tx)).to.equal(t);
  return txs;
}

describe("PerpEngine funding", () => {
  it("funding_does_not_accrue_without_skew", async () => {
    const s = await loadFixture(deployFunded);
    const [alice, bob] = s.traders;
    const eth = s.market(ETH).marketId;
    await time.increase(1_000);
    const t = await pinNextTimestamp();
    await expect(s.engine.pokeFunding(eth)).to.emit(s.engine, "FundingAccrued").withArgs(eth, 0n, 0n, P2000, t);
    const st = await s.engine.getMarketState(eth);
    expect(st.fundingIndexWad).to.equal(0n);
    expect(st.lastFundingTimestamp).to.equal(t);

    // Balanced traders (opened in the same second): no skew, so nobody pays even over a long interval.
    await inOneBlock(BigInt(await time.latest()) + 1n, [
      () => s.engine.connect(alice).modifyPosition(eth, size("5"), usd("1000"), ANY_BUY_PRICE),
      () => s.engine.connect(bob).modifyPosition(eth, size("-5"), usd("1000"), ANY_SELL_PRICE),
    ]);
    await elapse(s, 3_000);
    const { e } = await act(s.engine, alice, eth, P, P2000, 0n, usd("1"));
    const { e: e2 } = await act(s.engine, bob, eth, P, P2000, 0n, usd("1"));
    expect(await s.engine.currentFundingRatePerDayWad(eth)).to.equal(0n);
    expect(e.fundingPaid).to.equal(0n);
    expect(e2.fundingPaid).to.equal(0n);
  });

  it("longs_pay_and_shorts_receive_when_longs_dominate", async () => {
    const s = await loadFixture(deployFunded);
    const [alice, bob] = s.traders;
    const eth = s.market(ETH).marketId;
    await act(s.engine, alice, eth, P, P2000, size("10"), usd("2000"));
    await act(s.engine, bob, eth, P, P2000, size("-4"), usd("2000"));
    expect(await s.engine.currentFundingRatePerDayWad(eth)).to.equal(6n * 10n ** 12n); // 6/100,000 × 10%/day
    await elapse(s, 7_200);
    const cash = await s.engine.vaultCashUsd();
    const { e: a } = await act(s.engine, alice, eth, P, P2000, 0n, usd("1"));
    const { e: b } = await act(s.engine, bob, eth, P, P2000, 0n, usd("1"));
    expect(a.fundingPaid).to.be.greaterThan(0n);
    expect(b.fundingPaid).to.be.lessThan(0n);
    // The vault (short 6 ETH) is on the receiving side too: it nets what the long pays beyond the short.
    expect(await s.engine.vaultCashUsd()).to.equal(cash + a.fundingPaid + b.fundingPaid);
    expect(a.fundingPaid + b.fundingPaid).to.be.greaterThan(0n);
  });

  it("shorts_pay_and_longs_receive_when_shorts_dominate", async () => {
    const s = await loadFixture(deployFunded);
    const [alice, bob] = s.traders;
    const eth = s.market(ETH).marketId;
    await act(s.engine, alice, eth, P, P2000, size("2"), usd("1000"));
    await act(s.engine, bob, eth, P, P2000, size("-7"), usd("2000"));
    expect(await s.engine.currentFundingRatePerDayWad(eth)).to.equal(-5n * 10n ** 12n);
    await elapse(s, 5_000);
    const { e: a } = await act(s.engine, alice, eth, P, P2000, 0n, usd("1"));
    const { e: b } = await act(s.engine, bob, eth, P, P2000, 0n, usd("1"));
    expect((await s.engine.getMarketState(eth)).fundingIndexWad).to.be.lessThan(0n);
    expect(a.fundingPaid).to.be.lessThan(0n);
    expect(b.fundingPaid).to.be.greaterThan(0n);
  });

  it("funding_index_after_time_increase_matches_formula", async () => {
    const s = await loadFixture(deployFunded);
    const [alice] = s.traders;
    const eth = s.market(ETH).marketId;
    const { e: open } = await act(s.engine, alice, eth, P, P2000, size("37.5"), usd("10000"));
    await elapse(s, 12_345);
    const before = await s.engine.getMarketState(eth);
    const t = await pinNextTimestamp();
    const rate = 375n * 10n ** 11n; // 37.5/100,000 × 0.1 = 3.75e-5 per day
    expect(expectedFundingRate(size("37.5"), P.skewScale, P.maxFundingRate)).to.equal(rate);
    const elapsed = t - open.timestamp;
    const index = (rate * P2000 * elapsed) / (WAD * SECONDS_PER_DAY);
    expect(index).to.equal(expectedIndexAt(before, P, P2000, t));
    await expect(s.engine.connect(s.keeper).pokeFunding(eth))
      .to.emit(s.engine, "FundingAccrued")
      .withArgs(eth, rate, index, P2000, t);
    const st = await s.engine.getMarketState(eth);
    expect(st.fundingIndexWad).to.equal(index);
    expect(st.lastFundingTimestamp).to.equal(t);
    // The views: nothing elapsed in the latest block, then 100 s more.
    expect(await s.engine.currentFundingIndexWad(eth)).to.equal(index);
    await time.increase(100);
    expect(await s.engine.currentFundingIndexWad(eth)).to.equal(index + expectedFundingIndexDelta(rate, P2000, 100n));
    expect(await s.engine.currentFundingRatePerDayWad(eth)).to.equal(rate);
  });

  it("negative_index_delta_truncates_toward_zero", async () => {
    const s = await loadFixture(deployFunded);
    const [alice] = s.traders;
    const eth = s.market(ETH).marketId;
    await act(s.engine, alice, eth, P, P2000, -size("3.3"), usd("1000"));
    await elapse(s, 777, "1987.65432101");
    const price = usd("1987.65432101");
    const before = await s.engine.getMarketState(eth);
    const t = await pinNextTimestamp();
    const rate = expectedFundingRate(-size("3.3"), P.skewScale, P.maxFundingRate);
    const numerator = rate * price * (t - before.lastFundingTimestamp);
    expect(numerator % (WAD * SECONDS_PER_DAY), "the delta must not be a whole number of wei").to.not.equal(0n);
    const truncated = before.fundingIndexWad + numerator / (WAD * SECONDS_PER_DAY);
    expect(truncated).to.equal(before.fundingIndexWad + divFloor(numerator, WAD * SECONDS_PER_DAY) + 1n);
    await expect(s.engine.pokeFunding(eth))
      .to.emit(s.engine, "FundingAccrued")
      .withArgs(eth, rate, truncated, price, t);
  });

  it("accrual_values_the_elapsed_interval_at_the_current_price", async () => {
    const s = await loadFixture(deployFunded);
    const [alice] = s.traders;
    const eth = s.market(ETH).marketId;
    await act(s.engine, alice, eth, P, P2000, size("10"), usd("2000"));
    await elapse(s, 1_000, "2200");
    const before = await s.engine.getMarketState(eth);
    const t = await pinNextTimestamp();
    const expected = expectedIndexAt(before, P, usd("2200"), t);
    expect(expected).to.not.equal(expectedIndexAt(before, P, P2000, t));
    await s.engine.pokeFunding(eth);
    expect((await s.engine.getMarketState(eth)).fundingIndexWad).to.equal(expected);
  });

  it("zero_elapsed_time_accrues_nothing", async () => {
    const s = await loadFixture(deployFunded);
    const [alice, bob] = s.traders;
    const eth = s.market(ETH).marketId;
    await act(s.engine, alice, eth, P, P2000, size("10"), usd("2000"));
    await elapse(s, 600);
    const before = await s.engine.getMarketState(eth);
    const t = BigInt(await time.latest()) + 1n;
    const [poke1, poke2, open, touch] = await inOneBlock(t, [
      () => s.engine.pokeFunding(eth),
      () => s.engine.pokeFunding(eth),
      () => s.engine.connect(bob).modifyPosition(eth, size("1"), usd("500"), ANY_BUY_PRICE),
      () => s.engine.connect(bob).modifyPosition(eth, 0n, usd("1"), 0n),
    ]);
    const index = expectedIndexAt(before, P, P2000, t);
    await expect(poke1)
      .to.emit(s.engine, "FundingAccrued")
      .withArgs(eth, expectedFundingRate(size("10"), P.skewScale, P.maxFundingRate), index, P2000, t);
    await expect(poke2).not.to.emit(s.engine, "FundingAccrued");
    await expect(open).not.to.emit(s.engine, "FundingAccrued");
    // Bob's position was opened and touched in the same second: it owes nothing.
    const [touched] = await positionModifiedEvents(s.engine, touch);
    expect(touched.fundingPaidUsd).to.equal(0n);
    expect((await s.engine.getMarketState(eth)).fundingIndexWad).to.equal(index);
    expect(await s.engine.currentFundingIndexWad(eth)).to.equal(index);
  });

  it("funding_settles_into_margin_on_next_touch", async () => {
    const s = await loadFixture(deployFunded);
    const [alice] = s.traders;
    const eth = s.market(ETH).marketId;
    await act(s.engine, alice, eth, P, P2000, size("10"), usd("1100"));
    const stored = await s.engine.getPosition(alice.address, eth);
    await elapse(s, 3_000);
    // Lazy: the stored position is untouched, but its equity already counts the funding owed.
    const { pos, state } = await readStart(s.engine, alice.address, eth);
    expect(pos.marginUsd).to.equal(stored.marginUsd);
    expect(pos.fundingIndexSnapshotWad).to.equal(stored.fundingIndexSnapshotWad);
    const latest = BigInt(await time.latest());
    const owedNow = expectedFundingOwed(
      pos.size,
      expectedIndexAt(state, P, P2000, latest),
      pos.fundingIndexSnapshotWad,
    );
    expect(owedNow).to.be.greaterThan(0n);
    const [equity] = await s.engine.positionEquity(alice.address, eth);
    expect(equity).to.equal(pos.marginUsd + expectedPnl(pos.size, pos.entryPriceWad, P2000) - owedNow);

    const { e } = await act(s.engine, alice, eth, P, P2000, 0n, usd("25"));
    expect(e.fundingPaid).to.equal(divCeil(pos.size * (e.indexWad - pos.fundingIndexSnapshotWad), WAD));
    expect(e.newMargin).to.equal(pos.marginUsd - e.fundingPaid + usd("25"));
  });

  it("funding_is_zero_sum_between_traders_and_vault_with_dust_to_the_protocol", async () => {
    // Bound: the traders settle ceil(size·Δindex) each (payers pay at least, receivers get at most the exact
    // amount) while the vault books floor(PnL + funding) − floor(PnL); so with n open trader positions
    // 0 ≤ Σ paid − vault receivable ≤ n wei.
    const s = await loadFixture(deployFunded);
    const [alice, bob, carol] = s.traders;
    const eth = s.market(ETH).marketId;
    const traders = [alice, bob, carol];
    await act(s.engine, alice, eth, P, P2000, size("10"), usd("3000"));
    await act(s.engine, bob, eth, P, P2000, -size("4.321"), usd("3000"));
    await act(s.engine, carol, eth, P, P2000, 777_777_777_777_777_777n, usd("500"));
    await elapse(s, 3_333, "2050.5");
    const price = usd("2050.5");
    const state = await s.engine.getMarketState(eth);
    const t = BigInt(await time.latest()) + 1n;
    const index = expectedIndexAt(state, P, price, t);
    const addresses = traders.map((x) => x.address);

    const { receivable, cash } = await viewsAt(t, async () => {
      const c = await s.engine.vaultCashUsd();
      const equity = await s.engine.vaultEquityUsd(true);
      const { valueUsd, pnl36 } = await vaultMarketValue(s.engine, eth, addresses, price, index);
      expect(await s.engine.currentFundingIndexWad(eth)).to.equal(index);
      expect(equity - c, "vault value = floor(PnL + funding receivable)").to.equal(valueUsd);
      return { receivable: equity - c - divFloor(pnl36, WAD), cash: c };
    });
    expect(receivable).to.be.greaterThan(0n); // longs dominate: the short vault receives

    const expectedPaid: bigint[] = [];
    for (const x of traders) {
      const p = await s.engine.getPosition(x.address, eth);
      expectedPaid.push(expectedFundingOwed(p.size, index, p.fundingIndexSnapshotWad));
    }
    const txs = await inOneBlock(
      t,
      traders.map((x) => () => s.engine.connect(x).modifyPosition(eth, 0n, 1n, 0n)),
    );
    let paid = 0n;
    for (let i = 0; i < txs.length; i++) {
      const [ev] = await positionModifiedEvents(s.engine, txs[i]);
      expect(ev.fundingPaidUsd).to.equal(expectedPaid[i]);
      paid += ev.fundingPaidUsd;
    }
    const dust = paid - receivable;
    expect(dust >= 0n && dust <= BigInt(traders.length), `0 ≤ Σpaid − receivable (${dust}) ≤ n`).to.equal(true);
    // Everything the traders paid is now the vault's cash; nothing is left receivable.
    expect(await s.engine.vaultCashUsd()).to.equal(cash + paid);
    const after = await vaultMarketValue(s.engine, eth, addresses, price, index);
    expect(after.funding36).to.equal(0n);
    expect((await s.engine.vaultEquityUsd(true)) - (await s.engine.vaultCashUsd())).to.equal(
      divFloor(after.pnl36, WAD),
    );
  });

  it("funding_rate_is_proportional_to_skew_up_to_the_oi_cap", async () => {
    // Listing keeps the OI cap below the skew scale, so the clamp at ±maxFundingRatePerDayWad is a safety
    // net that trading cannot reach (the clamp itself is covered by test/sdk/differential.test.ts against
    // PositionMath). Here: a full-cap 9 ETH long against a 10 ETH skew scale pays 90% of the max rate.
    const s = await loadFixture(deploySmallSkewScaleFunded);
    const [alice, bob] = s.traders;
    const eth = s.market(ETH).marketId;
    const params: RiskParams = { ...P, skewScale: SMALL_SKEW_SCALE };
    await act(s.engine, alice, eth, params, P2000, size("9"), usd("40000"));
    const ninetyPercent = (P.maxFundingRate * 9n) / 10n;
    expect(await s.engine.currentFundingRatePerDayWad(eth)).to.equal(ninetyPercent);
    expect(expectedFundingRate(size("9"), SMALL_SKEW_SCALE, P.maxFundingRate)).to.equal(ninetyPercent);
    await elapse(s, 600);
    const before = await s.engine.getMarketState(eth);
    const t = await pinNextTimestamp();
    const index =
      before.fundingIndexWad + (ninetyPercent * P2000 * (t - before.lastFundingTimestamp)) / (WAD * SECONDS_PER_DAY);
    await expect(s.engine.pokeFunding(eth))
      .to.emit(s.engine, "FundingAccrued")
      .withArgs(eth, ninetyPercent, index, P2000, t);

    // A 9 ETH short brings the skew to 0 (no funding); shorts then dominate: −4 ETH ⇒ −40%.
    await act(s.engine, bob, eth, params, P2000, -size("9"), usd("5000"));
    expect(await s.engine.currentFundingRatePerDayWad(eth)).to.equal(0n);
    await act(s.engine, alice, eth, params, P2000, -size("4"), 0n);
    expect(await s.engine.currentFundingRatePerDayWad(eth)).to.equal(-(P.maxFundingRate * 4n) / 10n);
  });

  it("poke_funding_is_permissionless_and_reverts_for_unlisted_market", async () => {
    const s = await loadFixture(deployFunded);
    const [alice] = s.traders;
    const eth = s.market(ETH).marketId;
    await act(s.engine, alice, eth, P, P2000, size("3"), usd("1000"));
    await elapse(s, 900);
    const before = await s.engine.getMarketState(eth);
    const t = await pinNextTimestamp();
    const rate = expectedFundingRate(size("3"), P.skewScale, P.maxFundingRate);
    await expect(s.engine.connect(s.keeper).pokeFunding(eth))
      .to.emit(s.engine, "FundingAccrued")
      .withArgs(eth, rate, expectedIndexAt(before, P, P2000, t), P2000, t);
    await expect(s.engine.pokeFunding(UNLISTED))
      .to.be.revertedWithCustomError(s.engine, "MarketNotListed")
      .withArgs(UNLISTED);
    await expect(s.engine.currentFundingIndexWad(UNLISTED))
      .to.be.revertedWithCustomError(s.engine, "MarketNotListed")
      .withArgs(UNLISTED);
    await expect(s.engine.currentFundingRatePerDayWad(UNLISTED))
      .to.be.revertedWithCustomError(s.engine, "MarketNotListed")
      .withArgs(UNLISTED);
  });

  it("funding_index_does_not_depend_on_how_often_it_is_poked", async () => {
    // At a constant price and skew, poking k times instead of once changes the index by < k wei
    // (each accrual truncates), so nobody gains by poking or by not poking.
    const s = await loadFixture(deployFunded);
    const [alice] = s.traders;
    const eth = s.market(ETH).marketId;
    await act(s.engine, alice, eth, P, P2000, size("7.77"), usd("2000"));
    const start = BigInt(await time.latest());
    const end = start + 3_000n;
    const snapshot = await takeSnapshot();
    await time.setNextBlockTimestamp(end);
    await s.engine.pokeFunding(eth);
    const once = (await s.engine.getMarketState(eth)).fundingIndexWad;
    await snapshot.restore();
    for (const at of [start + 701n, start + 1_403n, start + 2_222n, end]) {
      await time.setNextBlockTimestamp(at);
      await s.engine.pokeFunding(eth);
    }
    const often = (await s.engine.getMarketState(eth)).fundingIndexWad;
    expect(once - often >= 0n && once - often < 4n, `once ${once} vs often ${often}`).to.equal(true);
    expect(once).to.be.greaterThan(0n);
  });

  it("funding_views_follow_the_skew", async () => {
    const s = await loadFixture(deployFunded);
    const [alice, bob] = s.traders;
    const eth = s.market(ETH).marketId;
    expect(await s.engine.currentFundingRatePerDayWad(eth)).to.equal(0n);
    await s.engine.connect(alice).modifyPosition(eth, size("12.5"), usd("3000"), ANY_BUY_PRICE);
    expect(await s.engine.currentFundingRatePerDayWad(eth)).to.equal(
      expectedFundingRate(size("12.5"), P.skewScale, P.maxFundingRate),
    );
    await s.engine.connect(bob).modifyPosition(eth, -size("20"), usd("3000"), ANY_SELL_PRICE);
    expect(await s.engine.currentFundingRatePerDayWad(eth)).to.equal(
      expectedFundingRate(-size("7.5"), P.skewScale, P.maxFundingRate),
    );
    expect(await s.engine.currentFundingRatePerDayWad(eth)).to.equal(-75n * 10n ** 11n);
  });
});
