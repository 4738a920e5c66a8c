import { expect } from "chai";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";

import { deployWith, ETH, usd, size, ANY_BUY_PRICE as MAX_BUY, ANY_SELL_PRICE as ANY_SELL } from "../helpers/fixtures";
import {
  BPS,
  ETH_LIQUIDATION_DEFAULTS,
  engineEventArgs,
  ethConfig,
  expectConservation,
  expectedExecutionPrice,
  expectedFee,
  expectedInsuranceShare,
  liquidatedEvent,
  mintAndDeposit,
  type System,
} from "../helpers/engineHelpers";
import { marketIds } from "./liquidationFixtures";

// Issue 18 §2: a liquidation executes at the exact skew fill of its close (LiquidationMath.executionPriceWad, no
// clamp), like a voluntary close, so every close pays the same impact integral and the vault's impact income does not
// depend on the path. A keeper who sells m before liquidating a long of size Q and buys m back after gains
// p·m·Q/skewScale, and that gain is exactly the liquidated trader's worse fill: it comes out of the trader's margin,
// not out of the vault. The old code clamped the execution price within 1% of the oracle price: the trader's fill
// moved by at most 1%, and the vault paid the rest of the keeper's gain.

/** Skew scale 10,000 ETH (500 ETH of skew moves the fill 2.5%), funding off, exposure cap 200% of vault equity. */
const SKEW_SCALE = size("10000");
const CONFIG = ethConfig({
  skewScale: SKEW_SCALE,
  maxOpenInterestPerSide: size("9999"),
  maxFundingRatePerDayWad: 0n,
  maxVaultExposureBps: 20_000n,
});
const P = ETH_LIQUIDATION_DEFAULTS;
const Q = size("500");
const M = size("250");
const GAP_PRICE = usd("1900");

/**
 * A 500 ETH long opened at 2,000 (fill 2,050) with 85,500 of margin after its fee; the price falls to 1,900, where
 * its equity (10,500) is under half its maintenance requirement (23,752): a full liquidation that leaves margin.
 */
async function deployVictim(): Promise<System> {
  const s = await deployWith(CONFIG);
  const [victim] = s.traders;
  await mintAndDeposit(s, victim, "100000");
  await mintAndDeposit(s, s.keeper, "50000");
  const id = s.market(ETH).marketId;
  await s.engine.connect(victim).modifyPosition(id, Q, usd("86012.5"), MAX_BUY);
  await s.setPrice(ETH, "1900");
  return s;
}

/** Liquidates the victim from the keeper; returns the execution price, the trader's credit and the vault's equity. */
async function liquidateVictim(s: System) {
  const id = s.market(ETH).marketId;
  const victim = s.traders[0].address;
  const freeBefore = await s.engine.freeBalance(victim);
  const liq = await liquidatedEvent(s.engine, await s.engine.connect(s.keeper).liquidate(victim, id));
  expect(liq.closedSize, "a full liquidation").to.equal(Q);
  expect(liq.deficitUsd, "not bankrupt").to.equal(0n);
  return { liq, traderCredit: (await s.engine.freeBalance(victim)) - freeBefore };
}

describe("forced-close pricing (issue 18 §2)", () => {
  it("a_keepers_sell_liquidate_buy_sandwich_gains_exactly_the_liquidated_traders_worse_fill_and_the_vault_pays_none_of_it", async () => {
    const id = (s: System) => s.market(ETH).marketId;

    // Path A: the keeper just liquidates. The close sells 500 into a 500 long skew: 1,900 × (1 + (1,000 − 500) /
    // 20,000) = 1,947.5 (the old clamp: 1,919). The trader keeps 85,500 + 500 × (1,947.5 − 2,050) − 2 − 1% × 500 ×
    // 1,947.5 = 24,510.5.
    const a = await loadFixture(deployVictim);
    const pathA = await liquidateVictim(a);
    expect(pathA.liq.executionPriceWad).to.equal(usd("1947.5"));
    expect(pathA.liq.executionPriceWad).to.equal(expectedExecutionPrice(GAP_PRICE, Q, -Q, SKEW_SCALE));
    expect(pathA.traderCredit).to.equal(usd("24510.5"));
    const vaultA = await a.engine.vaultEquityUsd(true);
    const fundA = await a.engine.insuranceFund();

    // Path B, from the same state: the keeper sells 250 first (1,900 × (1 + (1,000 − 250)/20,000) = 1,971.25),
    // liquidates at skew 250 (1,900 × (1 + (500 − 500)/20,000) = 1,900), then buys its 250 back at skew −250
    // (1,900 × (1 + (−500 + 250)/20,000) = 1,876.25).
    const b = await loadFixture(deployVictim);
    const sell = await b.engine.connect(b.keeper).modifyPosition(id(b), -M, usd("30000"), ANY_SELL);
    const [sold] = await engineEventArgs(b.engine, sell, "PositionModified");
    expect(sold.fillPriceWad).to.equal(usd("1971.25"));
    const pathB = await liquidateVictim(b);
    expect(pathB.liq.executionPriceWad).to.equal(usd("1900"));
    const buy = await b.engine.connect(b.keeper).closePosition(id(b), MAX_BUY);
    const [bought] = await engineEventArgs(b.engine, buy, "PositionModified");
    expect(bought.fillPriceWad).to.equal(usd("1876.25"));

    // The keeper's round trip realises 250 × (1,971.25 − 1,876.25) = 23,750 = p·m·Q/skewScale
    // (1,900 × 250 × 500 / 10,000) ...
    const keeperGain = bought.realizedPnlUsd as bigint;
    expect(keeperGain).to.equal(usd("23750"));
    expect(keeperGain).to.equal((GAP_PRICE * M * Q) / (SKEW_SCALE * 10n ** 18n));
    // ... which is exactly the liquidated trader's worse fill: 500 × (1,947.5 − 1,900). The trader's credit drops by
    // that, less the smaller penalty on the lower price (1% × 500 × 47.5 = 237.5): 998 = 24,510.5 − 23,512.5.
    const worseFill = (Q * (pathA.liq.executionPriceWad - pathB.liq.executionPriceWad)) / 10n ** 18n;
    expect(worseFill).to.equal(keeperGain);
    expect(pathB.traderCredit).to.equal(usd("998"));
    expect(pathA.traderCredit - pathB.traderCredit).to.equal(worseFill - (pathA.liq.penaltyUsd - pathB.liq.penaltyUsd));
    expect(pathA.liq.penaltyUsd - pathB.liq.penaltyUsd).to.equal(usd("237.5"));

    // The vault ends flat on both paths with the same impact income: path B only adds its share of the keeper's two
    // taker fees (80% of 246.40625 + 234.53125 = 384.75). It paid none of the keeper's gain (the old clamp left it
    // paying 23,750 − 500 × (1,919 − 1,900) = 14,250 of it).
    const fees = [expectedFee(M, usd("1971.25"), P.takerFeeBps), expectedFee(M, usd("1876.25"), P.takerFeeBps)];
    expect([sold.feeUsd, bought.feeUsd]).to.deep.equal(fees);
    const vaultFeeShare = fees.reduce((x, f) => x + f - expectedInsuranceShare(f, P.insuranceShareBps), 0n);
    expect(vaultFeeShare).to.equal(usd("384.75"));
    expect((await b.engine.vaultEquityUsd(true)) - vaultA, "the vault's equity differs by its fee share only").to.equal(
      vaultFeeShare,
    );
    // The fund: the fee shares of the keeper's trades, less its smaller penalty share ((1 − 25%) of 237.5).
    const fundFeeShare = fees.reduce((x, f) => x + expectedInsuranceShare(f, P.insuranceShareBps), 0n);
    const penaltyShareDrop = ((pathA.liq.penaltyUsd - pathB.liq.penaltyUsd) * (BPS - P.keeperShareBps)) / BPS;
    expect((await b.engine.insuranceFund()) - fundA).to.equal(fundFeeShare - penaltyShareDrop);
    await expectConservation(b.engine, [b.keeper.address, b.traders[0].address], marketIds(b));
  });
});
