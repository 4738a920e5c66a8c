import { expect } from "chai";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";

import { deployWith, ETH, usd, size, ANY_BUY_PRICE as MAX_BUY, ANY_SELL_PRICE as ANY_SELL } from "../helpers/fixtures";
import {
  WAD,
  divCeil,
  deleveragedEvents,
  ethConfig,
  expectConservation,
  liquidatedEvent,
  mintAndDeposit,
  readPosition,
  type System,
} from "../helpers/engineHelpers";
import { maxLeverageMargin } from "../adl/helpers";
import { marketIds } from "./liquidationFixtures";

// Issue 10 §1: a bystander is never bankrupted by someone else's loss while the vault has equity. After the insurance
// fund and ADL, the vault takes the unplaced size over and absorbs the rest of the deficit up to its equity; only what
// exceeds it would be socialized over the opposite traders. The reproductions of the issue, with ADL on (defaults) and
// an empty insurance fund. Each test also computes what the old rule (the rest socialized per unit over the whole
// opposite side, the vault's pre-close exposure included) would have charged the bystander, as documentation: more
// than its equity.

/** Funding off (equities move only with the price), no fee share to the fund: the fund stays empty. */
const CONFIG = ethConfig({ maxFundingRatePerDayWad: 0n, insuranceFeeShareBps: 0n });
/** The breaker's cooldown (deploy/config.ts). */
const COOLDOWN_SECONDS = 300;

async function deployReproduction() {
  const s = await deployWith(CONFIG);
  for (const t of s.traders.slice(0, 4)) await mintAndDeposit(s, t, "100000");
  return s;
}

/** Every account the engine may credit here: the keeper and the funded traders. */
const everyone = (s: System) => [s.keeper.address, ...s.traders.slice(0, 4).map((t) => t.address)];

async function openAt(s: System, trader: System["traders"][number], q: bigint, margin: bigint) {
  const id = s.market(ETH).marketId;
  return s.engine.connect(trader).modifyPosition(id, q, margin, q > 0n ? MAX_BUY : ANY_SELL);
}

/**
 * What the old rule would have charged a bystander of size `bystanderAbs`: the rest socialized over the opposite
 * traders left after ADL plus the vault's exposure on that side before the liquidation, ⌈rest·1e18/OI⌉ per unit.
 */
function oldRuleCharge(restUsd: bigint, oppositeTradersAbs: bigint, vaultPreCloseAbs: bigint, bystanderAbs: bigint) {
  const delta = divCeil(restUsd * WAD, oppositeTradersAbs + vaultPreCloseAbs);
  return divCeil(bystanderAbs * delta, WAD);
}

describe("bystanders (issue 10 §1)", () => {
  it("a_2x_short_opened_after_the_gap_keeps_its_equity_and_the_vault_absorbs_the_20x_longs_deficit", async () => {
    const s = await loadFixture(deployReproduction);
    const id = s.market(ETH).marketId;
    const [long, short] = s.traders;
    // ETH at 2,000: a 20x long of 100,000 notional (50 ETH at the minimal margin).
    await openAt(s, long, size("50"), await maxLeverageMargin(s, id, size("50"), usd("2000")));
    expect(await s.engine.insuranceFund(), "empty fund").to.equal(0n);
    // The price gaps 40%: the breaker refuses new exposure until it has cooled down, then a 2x short of 10,000
    // (8.33 ETH with 5,000 of margin) opens at 1,200.
    await s.setPrice(ETH, "1200");
    const shortSize = -((usd("10000") * WAD) / usd("1200"));
    await expect(openAt(s, short, shortSize, usd("5000"))).to.be.revertedWithCustomError(s.engine, "MarketVolatile");
    await time.increase(COOLDOWN_SECONDS);
    await openAt(s, short, shortSize, usd("5000"));
    // The price moves a little further; the long is liquidated.
    await s.setPrice(ETH, "1180");
    const [shortEquityBefore] = await s.engine.positionEquity(short.address, id);
    const shortBefore = await readPosition(s.engine, short.address, id);
    const netBefore = (await s.engine.getMarketState(id)).netSize;
    const tx = await s.engine.connect(s.keeper).liquidate(long.address, id);

    // Nothing is in profit at the long's bankruptcy price (≈ 1,900): ADL places nothing. The vault absorbs it all.
    expect(await deleveragedEvents(s.engine, tx)).to.deep.equal([]);
    const liq = await liquidatedEvent(s.engine, tx);
    expect(liq.deficitUsd > usd("35000"), `deficit ${liq.deficitUsd}`).to.equal(true);
    expect([liq.insurancePaidUsd, liq.adlPaidUsd, liq.socializedUsd]).to.deep.equal([0n, 0n, 0n]);
    expect(liq.vaultPaidUsd, "vaultPaid == the rest").to.equal(liq.deficitUsd);
    await expect(tx).not.to.emit(s.engine, "LossSocialized");
    // The 2x short is untouched: same position, same equity, not liquidatable.
    expect(await readPosition(s.engine, short.address, id)).to.deep.equal(shortBefore);
    expect((await s.engine.positionEquity(short.address, id))[0]).to.equal(shortEquityBefore);
    expect(await s.engine.isLiquidatable(short.address, id)).to.equal(false);

    // The old rule: the rest (35,988.17) over the short (8.33) and the vault's pre-close short (50 − 8.33): 8.33/50 of
    // it, 5,998.03, more than the short's whole equity (5,166.25): it would have been bankrupt and liquidatable.
    const charge = oldRuleCharge(liq.deficitUsd, -shortSize, netBefore, -shortSize);
    expect(charge > shortEquityBefore, `old charge ${charge} > equity ${shortEquityBefore}`).to.equal(true);
    await expectConservation(s.engine, everyone(s), marketIds(s));
  });

  it("a_thin_18x_short_opened_after_the_gap_keeps_its_equity_when_ADL_places_only_part_of_the_deficit", async () => {
    const s = await loadFixture(deployReproduction);
    const id = s.market(ETH).marketId;
    const [long, profitable, thin] = s.traders;
    // Before the gap: a 10 ETH short at 2,000 (in profit at the long's B: ADL's counterparty) and the 20x long.
    await openAt(s, profitable, -size("10"), usd("4000"));
    await openAt(s, long, size("50"), await maxLeverageMargin(s, id, size("50"), usd("2000")));
    await s.setPrice(ETH, "1200");
    await time.increase(COOLDOWN_SECONDS);
    // After the cooldown a thin 18x short: 1.5 ETH (1,800 notional) with 100 of margin.
    await openAt(s, thin, -size("1.5"), usd("100"));
    await s.setPrice(ETH, "1180");
    const [thinEquityBefore] = await s.engine.positionEquity(thin.address, id);
    const thinBefore = await readPosition(s.engine, thin.address, id);
    const netBefore = (await s.engine.getMarketState(id)).netSize;
    expect(await s.engine.adlQueueHead(id, false), "the thin short heads the short queue").to.equal(thin.address);
    const tx = await s.engine.connect(s.keeper).liquidate(long.address, id);

    // ADL: the thin short heads the queue (most leveraged) but is not in profit at B: skipped; the 10 ETH short
    // closes in full; the other 40 ETH of the long go to the vault, which absorbs their deficit.
    const events = await deleveragedEvents(s.engine, tx);
    expect(events.map((x) => [x.account, x.size])).to.deep.equal([[profitable.address, -size("10")]]);
    const liq = await liquidatedEvent(s.engine, tx);
    expect(liq.adlPaidUsd > 0n, "partial ADL").to.equal(true);
    expect([liq.insurancePaidUsd, liq.socializedUsd]).to.deep.equal([0n, 0n]);
    expect(liq.vaultPaidUsd, "vaultPaid == the rest").to.equal(liq.deficitUsd - liq.adlPaidUsd);
    expect(await readPosition(s.engine, thin.address, id)).to.deep.equal(thinBefore);
    expect((await s.engine.positionEquity(thin.address, id))[0]).to.equal(thinEquityBefore);
    expect(await s.engine.isLiquidatable(thin.address, id)).to.equal(false);

    // The old rule: the rest (28,792.03) over the thin short (1.5) and the vault's pre-close short (50 − 10 − 1.5 =
    // 38.5): 1,079.70 charged to a short whose equity is 129.81.
    const rest = liq.deficitUsd - liq.adlPaidUsd;
    const charge = oldRuleCharge(rest, size("1.5"), netBefore, size("1.5"));
    expect(charge > thinEquityBefore, `old charge ${charge} > equity ${thinEquityBefore}`).to.equal(true);
    await expectConservation(s.engine, everyone(s), marketIds(s));
  });
});
