import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";

import { LOCAL_CONFIG } from "../../deploy/config";
import { ETH, usd, size as units, ANY_BUY_PRICE as MAX_BUY, ANY_SELL_PRICE as ANY_SELL } from "../helpers/fixtures";
import {
  WAD,
  abs,
  minBig,
  assertConservation,
  expectedIndexAt,
  expectedFill,
  divCeil,
  divFloor,
  mintAndDeposit as fund,
  setAdl,
  deployWithAdl,
  ethConfig,
  readPosition as positionOf,
  deleveragedEvents,
  liquidatedEvent,
  engineEventArgs as eventsOf,
  expectedExecutionPrice,
  expectedPnl as pnl,
  expectedFundingOwed as fundingOwed,
  expectedLossOwed as lossOwed,
  expectedInsuranceShare,
  viewsAt,
  type System,
} from "../helpers/engineHelpers";
import {
  adlKey,
  bankruptcyPriceFromKeyWad,
  bankruptcyPriceWad,
  compareAdlPriority,
  effectiveLeverage,
  isAdlEligible,
} from "../../sdk/adl/adlMath";
import { movePrice, maxLeverageMargin, indicesOf, readQueues, sortByKey, type Signer } from "./helpers";

// ADL inside a liquidation (DESIGN §8 step 2–3, §9; LiquidationLogic `_coverDeficitAndPay`, `_autoDeleverage`,
// `_bankruptcyPriceWad`, `_store`; AdlLogic `deleverage`, `_reduceAt`). A bankrupt position of size q with
// deficit D at the liquidation's execution price P_exec and an insurance budget I = min(D, fund after the
// keeper top-up) has floor(q·(D − I)/D) closed at its bankruptcy price B against the most leveraged opposite
// positions in profit at B; the rest closes against the vault at P_exec and its deficit goes to the fund, then
// to socialized loss. Every amount below is restated from those formulas and checked to the wei.

const ETH_PARAMS = LOCAL_CONFIG.markets.find((m) => m.symbol === ETH)!.params;
const SKEW_SCALE = BigInt(ETH_PARAMS.skewScale);
const MAX_FUNDING_RATE = BigInt(ETH_PARAMS.maxFundingRatePerDayWad);
const INSURANCE_FEE_SHARE_BPS = BigInt(ETH_PARAMS.insuranceFeeShareBps);
const KEEPER_REWARD = BigInt(ETH_PARAMS.keeperRewardUsd);

/** Margins of the six profitable counterparties (10 ETH each): all different leverages. */
const COUNTERPARTY_MARGINS = ["1100", "1400", "1800", "2500", "3500", "6000"];
/** The order they open in, so that the queue order is not the opening order. */
const OPENING_ORDER = [2, 5, 0, 4, 1, 3];
const DONATION_USD = "2000";

interface Scenario {
  s: System;
  marketId: string;
  /** +1: a bankrupt long, shorts deleveraged (gap down); −1: the mirror. */
  dir: bigint;
  bankrupt: Signer;
  /** Profitable opposite positions, most leveraged first (ascending margin). */
  counterparties: Signer[];
  /** Opposite position entered beyond B (not in profit there): ranked first, always skipped. */
  losing: Signer;
  sameSide: Signer;
  /** Opposite position below minQueueNotionalUsd: never queued, never deleveraged. */
  tiny: Signer;
  flat: Signer;
  gapPriceWad: bigint;
  /** Σ fee shares credited to the fund by the openings (from the PositionModified events). */
  feeShares: bigint;
  /** Donated to the fund (USD, 1e18). */
  donated: bigint;
  accounts: string[];
}

/** Opens a position; returns the fee share it credited to the fund (documented: fee × share, rounded down). */
async function openWith(s: System, trader: Signer, size: bigint, margin: bigint, shareBps: bigint) {
  const marketId = s.market(ETH).marketId;
  const tx = await s.engine.connect(trader).modifyPosition(marketId, size, margin, size > 0n ? MAX_BUY : ANY_SELL);
  const [modified] = await eventsOf(s.engine, tx, "PositionModified");
  return expectedInsuranceShare(modified.feeUsd as bigint, shareBps);
}

interface ScenarioOptions {
  /** No fee share to the fund and no donation: the fund is exactly empty (no keeper top-up, I = 0). */
  emptyFund?: boolean;
  /** Size of the losing opposite position (default 100 ETH, margin 300 per ETH). */
  losingEth?: string;
}

/**
 * ETH at 2,000. The "losing" opposite position (100 ETH, margin 30,000) enters 200 beyond where the bankrupt
 * position's B will be; then the bankrupt position opens `bankruptEth` at maximum leverage, six profitable
 * counterparties of 10 ETH with margins 1,100 … 6,000, a same-side position, a tiny opposite one (0.04 ETH,
 * notional 80 < 100 = minQueueNotionalUsd), and a flat account; 2,000 USD is donated to the fund.
 */
async function buildScenario(dir: bigint, bankruptEth: string, options: ScenarioOptions = {}): Promise<Scenario> {
  const emptyFund = options.emptyFund ?? false;
  const losingEth = options.losingEth ?? "100";
  const shareBps = emptyFund ? 0n : INSURANCE_FEE_SHARE_BPS;
  const config = emptyFund ? ethConfig({ insuranceFeeShareBps: 0n }) : LOCAL_CONFIG;
  const s = await deployWithAdl(config, { minQueueNotionalUsd: usd("100") });
  const marketId = s.market(ETH).marketId;
  const [bankrupt, c0, c1, c2, c3, c4, c5, losing, sameSide, tiny, flat] = s.traders;
  const counterparties = [c0, c1, c2, c3, c4, c5];
  for (const t of [bankrupt, ...counterparties, losing, sameSide, tiny, flat]) await fund(s, t, "100000");
  let feeShares = 0n;

  await movePrice(s, dir > 0n ? "1800" : "2200");
  const losingSize = -dir * units(losingEth);
  feeShares += await openWith(s, losing, losingSize, (abs(losingSize) * usd("300")) / WAD, shareBps);
  await movePrice(s, "2000");

  const q = dir * units(bankruptEth);
  const margin = await maxLeverageMargin(s, marketId, q, usd("2000"));
  // Maximum leverage: one wei less of margin does not meet the initial requirement.
  await expect(
    s.engine.connect(bankrupt).modifyPosition(marketId, q, margin - 1n, q > 0n ? MAX_BUY : ANY_SELL),
  ).to.be.revertedWithCustomError(s.engine, "InitialMarginNotMet");
  feeShares += await openWith(s, bankrupt, q, margin, shareBps);

  for (const i of OPENING_ORDER) {
    feeShares += await openWith(s, counterparties[i], -dir * units("10"), usd(COUNTERPARTY_MARGINS[i]), shareBps);
  }
  feeShares += await openWith(s, sameSide, dir * units("1"), usd("1000"), shareBps);
  feeShares += await openWith(s, tiny, -dir * units("0.04"), usd("11"), shareBps);

  const donated = emptyFund ? 0n : usd(DONATION_USD);
  if (!emptyFund) {
    await s.collateral.mint(s.deployer.address, s.tokens(DONATION_USD));
    await s.collateral.connect(s.deployer).approve(await s.engine.getAddress(), ethers.MaxUint256);
    await s.engine.connect(s.deployer).donateToInsurance(s.tokens(DONATION_USD));
  }

  const accounts = [s.deployer, s.keeper, bankrupt, ...counterparties, losing, sameSide, tiny, flat].map(
    (x) => x.address,
  );
  const gapPriceWad = dir > 0n ? usd("1200") : usd("2800");
  return {
    s,
    marketId,
    dir,
    bankrupt,
    counterparties,
    losing,
    sameSide,
    tiny,
    flat,
    gapPriceWad,
    feeShares,
    donated,
    accounts,
  };
}

const longBankrupt50 = () => buildScenario(1n, "50");
const shortBankrupt50 = () => buildScenario(-1n, "50");
const longBankrupt80 = () => buildScenario(1n, "80");
/** With a 50 ETH losing short the traders' net size changes sign while ADL moves 60 ETH (vault long before/after). */
const longBankrupt80SmallLosing = () => buildScenario(1n, "80", { losingEth: "50" });
/** A size for which settledMargin·1e18 is not a multiple of |size| (so B is not exact). */
const ODD_ETH = "47.123456789012345679";
const longBankruptOddEmptyFund = () => buildScenario(1n, ODD_ETH, { emptyFund: true });
const shortBankruptOddEmptyFund = () => buildScenario(-1n, ODD_ETH, { emptyFund: true });
const shortBankruptOdd = () => buildScenario(-1n, ODD_ETH);

/** Everything the liquidation should do, restated from DESIGN §7–§8 and computed from the stored state. */
interface Expected {
  timestamp: bigint;
  fundingIndexWad: bigint;
  settled: bigint;
  bankruptcyPriceWad: bigint;
  executionPriceWad: bigint;
  deficit: bigint;
  topUp: bigint;
  insuranceBudget: bigint;
  targetAbs: bigint;
  steps: { account: string; size: bigint; skipped: boolean }[];
  placedAbs: bigint;
  residual: bigint;
  insurancePaid: bigint;
  adlPaid: bigint;
  socialized: bigint;
  fundBefore: bigint;
  vaultEquityBefore: bigint;
}

/**
 * Gaps the price, predicts the liquidation of the bankrupt position for the next block, sends it from the
 * keeper and checks every effect. `maxSteps` is the ADL walk bound in force.
 */
async function gapAndLiquidate(sc: Scenario, maxSteps: bigint) {
  const { s, marketId, dir, bankrupt } = sc;
  await s.setPrice(ETH, ethers.formatUnits(sc.gapPriceWad, 18));
  const P = sc.gapPriceWad;
  const pos = await positionOf(s.engine, bankrupt.address, marketId);
  const stBefore = await s.engine.getMarketState(marketId);
  const fundBefore = await s.engine.insuranceFund();
  const freeBefore = await s.engine.freeBalance(bankrupt.address);
  const cashBefore = await s.engine.vaultCashUsd();

  // The fund holds the donation plus the fee shares of every opening, nothing else.
  expect(fundBefore, "fund = donation + fee shares").to.equal(sc.donated + sc.feeShares);

  // Read the vault's equity as of the liquidation's own block, then mine the liquidation at that timestamp.
  const t = BigInt(await time.latest()) + 1n;
  const { vaultEquityBefore, fundingViewAtT, queuesBefore } = await viewsAt(t, async () => ({
    vaultEquityBefore: await s.engine.vaultEquityUsd(true),
    fundingViewAtT: await s.engine.currentFundingIndexWad(marketId),
    queuesBefore: await readQueues(s.engine, marketId, sc.accounts, usd("100")),
  }));

  // Funding accrues first, then the position's settled margin and B (DESIGN §8: the price where equity is 0).
  const F = expectedIndexAt(stBefore, { skewScale: SKEW_SCALE, maxFundingRate: MAX_FUNDING_RATE }, P, t);
  expect(F, "funding index view at t").to.equal(fundingViewAtT);
  const q = pos.size;
  const fundingPaid = fundingOwed(q, F, pos.fundingIndexSnapshotWad);
  const lossPaid = lossOwed(
    q,
    dir > 0n ? stBefore.longLossIndexWad : stBefore.shortLossIndexWad,
    pos.lossIndexSnapshotWad,
  );
  const settled = pos.marginUsd - fundingPaid - lossPaid;
  // long B = entry − settled/size rounded down; short B = entry + settled/|size| rounded up (against the trader).
  const B =
    dir > 0n ? divFloor(pos.entryPriceWad * q - settled * WAD, q) : pos.entryPriceWad + divCeil(settled * WAD, -q);
  const indices = {
    fundingIndexWad: F,
    longLossIndexWad: stBefore.longLossIndexWad,
    shortLossIndexWad: stBefore.shortLossIndexWad,
  };
  expect(bankruptcyPriceWad(pos, F, indices.longLossIndexWad, indices.shortLossIndexWad), "SDK B").to.equal(B);

  // Full close at the execution price: deficit D; the fund first tops the keeper up, then I = min(D, fund).
  const Pexec = expectedExecutionPrice(P, stBefore.netSize, -q, SKEW_SCALE);
  const afterFullClose = settled + pnl(q, pos.entryPriceWad, Pexec);
  expect(afterFullClose < 0n, "the position is bankrupt at the execution price").to.equal(true);
  const D = -afterFullClose;
  const topUp = minBig(KEEPER_REWARD, fundBefore);
  const fundAfterTopUp = fundBefore - topUp;
  const I = minBig(D, fundAfterTopUp);
  const targetAbs = (abs(q) * (D - I)) / D;

  // The walk: opposite queue from the most leveraged end, skipping those not in profit at B, ≤ maxSteps visits.
  const opposite = dir > 0n ? queuesBefore.short : queuesBefore.long;
  const steps: Expected["steps"] = [];
  let placedAbs = 0n;
  for (const account of opposite.order) {
    if (BigInt(steps.length) >= maxSteps || placedAbs >= targetAbs) break;
    const p = queuesBefore.positions.get(account)!;
    if (pnl(p.size, p.entryPriceWad, B) <= 0n) {
      steps.push({ account, size: 0n, skipped: true });
      continue;
    }
    const take = minBig(abs(p.size), targetAbs - placedAbs);
    steps.push({ account, size: p.size > 0n ? take : -take, skipped: false });
    placedAbs += take;
  }
  const placed = dir * placedAbs;
  const realized = pnl(placed, pos.entryPriceWad, B) + pnl(q - placed, pos.entryPriceWad, Pexec);
  const afterClose = settled + realized;
  const residual = afterClose < 0n ? -afterClose : 0n;
  const insurancePaid = minBig(residual, fundAfterTopUp);
  const socialized = residual - insurancePaid;
  const e: Expected = {
    timestamp: t,
    fundingIndexWad: F,
    settled,
    bankruptcyPriceWad: B,
    executionPriceWad: Pexec,
    deficit: D,
    topUp,
    insuranceBudget: I,
    targetAbs,
    steps,
    placedAbs,
    residual,
    insurancePaid,
    adlPaid: placedAbs === 0n ? 0n : D - residual,
    socialized,
    fundBefore,
    vaultEquityBefore,
  };

  // Bystanders: everything about them before.
  const bystanders = [sc.losing, sc.sameSide, sc.tiny, sc.flat, ...sc.counterparties].map((x) => x.address);
  const before = new Map<string, { pos: Awaited<ReturnType<typeof positionOf>>; free: bigint }>();
  for (const a of bystanders) {
    before.set(a, { pos: await positionOf(s.engine, a, marketId), free: await s.engine.freeBalance(a) });
  }

  await time.setNextBlockTimestamp(t);
  const tx = await s.engine.connect(s.keeper).liquidate(bankrupt.address, marketId);
  const receipt = (await tx.wait())!;

  // Deleveraged events: exactly the expected steps, in order, at B.
  const events = await deleveragedEvents(s.engine, tx);
  const placedSteps = steps.filter((x) => !x.skipped);
  expect(events.map((x) => x.account)).to.deep.equal(placedSteps.map((x) => x.account));
  for (let i = 0; i < events.length; i++) {
    expect(events[i].marketId).to.equal(marketId);
    expect(events[i].size, `Deleveraged size #${i}`).to.equal(placedSteps[i].size);
    expect(events[i].priceWad, `Deleveraged price #${i}`).to.equal(B);
  }
  expect(abs(events.reduce((acc, x) => acc + x.size, 0n)), "Σ deleveraged size").to.equal(placedAbs);

  // Liquidated: the exact split, insurance + adl + socialized == D.
  const liq = await liquidatedEvent(s.engine, tx);
  expect(liq.closedSize).to.equal(q);
  expect(liq.remainingSize).to.equal(0n);
  expect(liq.executionPriceWad).to.equal(Pexec);
  expect(liq.penaltyUsd, "no penalty out of a bankrupt close").to.equal(0n);
  expect(liq.keeperRewardUsd, "the keeper is paid by the fund's top-up").to.equal(topUp);
  expect(liq.deficitUsd, "D").to.equal(D);
  expect(liq.insurancePaidUsd, "insurance").to.equal(insurancePaid);
  expect(liq.adlPaidUsd, "adl").to.equal(e.adlPaid);
  expect(liq.socializedUsd, "socialized").to.equal(socialized);
  expect(liq.insurancePaidUsd + liq.adlPaidUsd + liq.socializedUsd).to.equal(liq.deficitUsd);

  // The bankrupt account ends at exactly 0: position gone, free balance unchanged.
  const after = await positionOf(s.engine, bankrupt.address, marketId);
  expect(after.size).to.equal(0n);
  expect(after.marginUsd).to.equal(0n);
  expect(await s.engine.freeBalance(bankrupt.address), "bankrupt free balance").to.equal(freeBefore);
  expect(await s.engine.adlLight(bankrupt.address, marketId)).to.deep.equal([0n, 0n, 0n]);

  // The fund: top-up and insurance paid out, nothing else (no penalty share).
  expect(await s.engine.insuranceFund(), "fund after").to.equal(fundAfterTopUp - insurancePaid);

  // Socialized loss over the opposite side's open interest (vault included when on that side), rounded up.
  const stAfter = await s.engine.getMarketState(marketId);
  const sideIndexBefore = dir > 0n ? stBefore.shortLossIndexWad : stBefore.longLossIndexWad;
  const sideIndexAfter = dir > 0n ? stAfter.shortLossIndexWad : stAfter.longLossIndexWad;
  if (socialized > 0n) {
    // The open interest charged: the opposite side's traders after ADL, plus the vault if it is on that side.
    // The vault's size is −netSize before the liquidation (what it held against the bankrupt position); in
    // every scenario here it is on the same side after the liquidation too.
    const netBefore = stBefore.netSize;
    const netAfter = netBefore - q + placed;
    expect(netBefore > 0n, "the vault stays on one side").to.equal(netAfter > 0n);
    const oppositeOi = dir > 0n ? stBefore.shortOpenInterest - placedAbs : stBefore.longOpenInterest - placedAbs;
    const vaultOnSide = dir > 0n ? (netBefore > 0n ? netBefore : 0n) : netBefore < 0n ? -netBefore : 0n;
    const oi = oppositeOi + vaultOnSide;
    const delta = divCeil(socialized * WAD, oi);
    await expect(tx)
      .to.emit(s.engine, "LossSocialized")
      .withArgs(marketId, dir < 0n, socialized, oi, sideIndexBefore + delta);
    expect(sideIndexAfter - sideIndexBefore, "loss index delta").to.equal(delta);
  } else {
    await expect(tx).not.to.emit(s.engine, "LossSocialized");
    expect(sideIndexAfter).to.equal(sideIndexBefore);
  }

  // Counterparties: reduced by exactly their step at B, PnL and owed amounts settled into their margin.
  let counterpartyCashDelta = 0n;
  for (const step of placedSteps) {
    const b = before.get(step.account)!;
    const owedF = fundingOwed(b.pos.size, F, b.pos.fundingIndexSnapshotWad);
    const owedL = lossOwed(b.pos.size, sideIndexBefore, b.pos.lossIndexSnapshotWad);
    const closed = step.size; // the counterparty's closed size (sign of its position)
    const gain = pnl(closed, b.pos.entryPriceWad, B);
    const margin = b.pos.marginUsd - owedF - owedL + gain;
    counterpartyCashDelta += owedF + owedL - gain;
    const now = await positionOf(s.engine, step.account, marketId);
    expect(now.size, "counterparty size").to.equal(b.pos.size - closed);
    if (now.size === 0n) {
      expect(await s.engine.freeBalance(step.account), "closed counterparty's margin freed").to.equal(b.free + margin);
    } else {
      expect(now.marginUsd, "partial counterparty margin").to.equal(margin);
      expect(now.entryPriceWad).to.equal(b.pos.entryPriceWad);
      expect(now.fundingIndexSnapshotWad).to.equal(F);
      expect(await s.engine.freeBalance(step.account)).to.equal(b.free);
    }
  }
  // Everyone else (same side, flat, skipped, tiny, counterparties past the target): untouched.
  const touched = new Set(placedSteps.map((x) => x.account));
  for (const a of bystanders) {
    if (touched.has(a)) continue;
    expect(await positionOf(s.engine, a, marketId), `untouched position of ${a}`).to.deep.equal(before.get(a)!.pos);
    expect(await s.engine.freeBalance(a), `untouched free balance of ${a}`).to.equal(before.get(a)!.free);
  }

  // The vault: its implied position takes only the part not deleveraged; its cash moves by what the
  // counterparties and the bankrupt position settled, less the residual deficit, plus the insurance payment.
  expect(stAfter.netSize, "vault takes q − placed").to.equal(stBefore.netSize - q + placed);
  expect(await s.engine.vaultCashUsd(), "vault cash").to.equal(
    cashBefore + counterpartyCashDelta + fundingPaid + lossPaid - realized - residual + insurancePaid,
  );
  // Its equity moves only by the liquidation slippage it earns on the part it takes over (the ADL part is
  // value-neutral for it: it pays the counterparties at B what it receives from the bankrupt position at B; the
  // fund and the socialized loss cover the rest of the deficit). Dust: each valuation is floored, the PnL and
  // owed amounts are rounded per position, and the loss index is rounded up (≤ 1 wei per unit of open interest).
  const vaultEquityAfter = await s.engine.vaultEquityUsd(true);
  const slippageGain = pnl(q - placed, Pexec, P);
  const dust = 10n + (stBefore.longOpenInterest + stBefore.shortOpenInterest) / WAD;
  expect(abs(vaultEquityAfter - vaultEquityBefore - slippageGain) <= dust, "vault equity moves by its slippage gain").to
    .be.true;
  return { tx, receipt, e, liq, events, queuesBefore };
}

async function conservation(sc: Scenario) {
  await assertConservation({
    engine: sc.s.engine,
    accounts: sc.accounts,
    marketIds: sc.s.markets.map((m) => m.marketId),
  });
}

describe("ADL execution", () => {
  describe("bankrupt long on a 40% gap down, shorts deleveraged", () => {
    it("deleverages_the_most_leveraged_profitable_shorts_at_B_in_leverage_order_for_exactly_the_uninsured_fraction", async () => {
      const sc = await loadFixture(longBankrupt50);
      const { s, marketId } = sc;
      const { e, liq, events, queuesBefore } = await gapAndLiquidate(sc, 16n);

      // The short queue was: the losing short (entered at 1,800, key ≈ 2,100) first, then the six in margin order.
      const expectedQueue = [sc.losing, ...sc.counterparties].map((x) => x.address);
      expect(queuesBefore.short.order, "short queue before").to.deep.equal(expectedQueue);
      // Leverage order at the gap price, computed from the positions and the indices independently of the keys.
      const idx = { ...(await indicesOf(s.engine, marketId)), fundingIndexWad: e.fundingIndexWad };
      const byLeverage = [...expectedQueue].sort((a, b) =>
        compareAdlPriority(queuesBefore.positions.get(a)!, queuesBefore.positions.get(b)!, sc.gapPriceWad, idx),
      );
      expect(byLeverage, "queue order == descending effective leverage").to.deep.equal(expectedQueue);
      expect(sortByKey(expectedQueue, queuesBefore.positions, false), "== ascending short key").to.deep.equal(
        expectedQueue,
      );
      // DESIGN §9 equivalences, per queued short at the gap price P: B = K + F − L_short (to the rounding of the
      // key and the owed amounts), and leverage = notional / equity = P / (B − P) (to the rounding of equity).
      for (const account of expectedQueue) {
        const p = queuesBefore.positions.get(account)!;
        const B = bankruptcyPriceWad(p, idx.fundingIndexWad, idx.longLossIndexWad, idx.shortLossIndexWad);
        expect(abs(bankruptcyPriceFromKeyWad(adlKey(p), false, idx) - B) <= 2n, "B from the key").to.equal(true);
        const { leverageWad } = effectiveLeverage(p, sc.gapPriceWad, idx);
        const fromB = (sc.gapPriceWad * WAD) / (B - sc.gapPriceWad);
        expect(abs(leverageWad! - fromB) * 10n ** 12n <= fromB, "L = P / (B − P)").to.equal(true);
      }

      // The losing short is visited and skipped; then four full closes and a partial fifth.
      expect(e.steps[0]).to.deep.equal({ account: sc.losing.address, size: 0n, skipped: true });
      expect(events.map((x) => x.account)).to.deep.equal(sc.counterparties.slice(0, 5).map((x) => x.address));
      expect(events.slice(0, 4).map((x) => x.size)).to.deep.equal([1n, 1n, 1n, 1n].map(() => -units("10")));
      expect(events[4].size < 0n && events[4].size > -units("10"), "fifth is partial").to.equal(true);

      // The placed size is exactly floor(q·(D − I)/D), with I = the whole fund after the top-up.
      expect(e.insuranceBudget, "the fund is smaller than D").to.equal(e.fundBefore - e.topUp);
      expect(e.placedAbs, "total deleveraged == floor(q·(D − I)/D)").to.equal(e.targetAbs);
      expect(e.targetAbs).to.equal((units("50") * (e.deficit - e.insuranceBudget)) / e.deficit);
      // The fund pays exactly I and ends at 0; the rounding of the target (down, by < 1 wei of size) and of B
      // (down, against the trader) can only leave the vault part's deficit a few wei above I, socialized.
      expect(liq.insurancePaidUsd).to.equal(e.insuranceBudget);
      expect(await s.engine.insuranceFund(), "fund ends at 0").to.equal(0n);
      expect(liq.socializedUsd <= 1_000n, `socialized rounding dust ${liq.socializedUsd} wei`).to.equal(true);
      expect(liq.adlPaidUsd, "the counterparties absorb D − I up to that dust").to.equal(
        e.deficit - e.insuranceBudget - liq.socializedUsd,
      );
      await conservation(sc);
    });

    it("re_keys_a_partially_deleveraged_short_and_keeps_the_queue_in_leverage_order", async () => {
      const sc = await loadFixture(longBankrupt50);
      const { s, marketId } = sc;
      await gapAndLiquidate(sc, 16n);
      const [, , , , partial, last] = sc.counterparties.map((x) => x.address);
      // The fifth short realised its profit at B into its margin on 60% of its size: far less leveraged now,
      // so it moved behind the sixth.
      const q = await readQueues(s.engine, marketId, sc.accounts, usd("100"));
      expect(q.short.order).to.deep.equal([sc.losing.address, last, partial]);
      expect(sortByKey(q.short.order, q.positions, false)).to.deep.equal(q.short.order);
      const idx = await indicesOf(s.engine, marketId);
      const byLeverage = [...q.short.order].sort((a, b) =>
        compareAdlPriority(q.positions.get(a)!, q.positions.get(b)!, sc.gapPriceWad, idx),
      );
      expect(byLeverage).to.deep.equal(q.short.order);
      expect(await s.engine.adlLight(partial, marketId)).to.deep.equal([2n, 2n, 3n]);
      expect(await s.engine.adlLight(last, marketId)).to.deep.equal([4n, 1n, 3n]);
      expect(await s.engine.adlQueueHead(marketId, false)).to.equal(sc.losing.address);
      // The long queue lost the bankrupt position and kept the same-side long.
      expect(q.long.order).to.deep.equal([sc.sameSide.address]);
    });
  });

  describe("the unplaced part falls through to insurance, then socialized loss", () => {
    it("with_maxSteps_2_places_one_short_and_socializes_exactly_the_rest_after_the_fund", async () => {
      const sc = await loadFixture(longBankrupt50);
      await setAdl(sc.s, { maxSteps: 2n });
      const { e, liq, events } = await gapAndLiquidate(sc, 2n);
      // Visits: the losing short (skipped), the first counterparty (closed in full). Nothing else.
      expect(e.steps.map((x) => x.skipped)).to.deep.equal([true, false]);
      expect(events.map((x) => x.account)).to.deep.equal([sc.counterparties[0].address]);
      expect(e.placedAbs).to.equal(units("10"));
      expect(e.placedAbs < e.targetAbs).to.equal(true);
      // insurance pays everything it has, the rest of the vault part's deficit is socialized.
      expect(liq.insurancePaidUsd).to.equal(e.fundBefore - e.topUp);
      expect(liq.socializedUsd > usd("10000"), "a large socialized loss").to.equal(true);
      expect(await sc.s.engine.insuranceFund()).to.equal(0n);
      await conservation(sc);
    });

    it("with_maxSteps_1_only_the_losing_head_is_visited_and_skipped_so_ADL_places_nothing", async () => {
      const sc = await loadFixture(longBankrupt50);
      await setAdl(sc.s, { maxSteps: 1n });
      const { e, liq, events } = await gapAndLiquidate(sc, 1n);
      expect(e.steps).to.deep.equal([{ account: sc.losing.address, size: 0n, skipped: true }]);
      expect(events).to.deep.equal([]);
      expect(liq.adlPaidUsd).to.equal(0n);
      expect(liq.insurancePaidUsd + liq.socializedUsd).to.equal(liq.deficitUsd);
      await conservation(sc);
    });

    it("with_ADL_disabled_maxSteps_0_the_whole_uninsured_deficit_is_socialized", async () => {
      const sc = await loadFixture(longBankrupt50);
      await setAdl(sc.s, { maxSteps: 0n });
      const { e, liq, events } = await gapAndLiquidate(sc, 0n);
      expect(events).to.deep.equal([]);
      expect(liq.adlPaidUsd).to.equal(0n);
      expect(liq.socializedUsd).to.equal(e.deficit - e.insuranceBudget);
      await conservation(sc);
    });

    it("a_deficit_larger_than_all_profitable_shorts_closes_them_all_and_socializes_the_rest_tiny_short_untouched", async () => {
      const sc = await loadFixture(longBankrupt80);
      const { s, marketId } = sc;
      const { e, liq, events } = await gapAndLiquidate(sc, 16n);
      // Six counterparties closed in full (60 of the ~75 ETH target); the losing short skipped; the tiny short
      // is not in the queue, so it is never deleveraged although it is in profit at B.
      expect(events.map((x) => x.account)).to.deep.equal(sc.counterparties.map((x) => x.address));
      expect(e.placedAbs).to.equal(units("60"));
      expect(e.targetAbs > units("60")).to.equal(true);
      expect(liq.socializedUsd > 0n).to.equal(true);
      const tiny = await positionOf(s.engine, sc.tiny.address, marketId);
      expect(tiny.size).to.equal(-units("0.04"));
      expect(await s.engine.adlLight(sc.tiny.address, marketId)).to.deep.equal([0n, 0n, 1n]);
      await conservation(sc);
    });

    // Regression (fixed in the contract): `_socialize` reads the vault's side from a netSize that still holds the whole
    // bankrupt size while the deleveraged counterparties are already reduced, i.e. −(netBefore + placed), a
    // position the vault never held. Repro: losing short 50 ETH, bankrupt long 80 ETH, gap 2,000 → 1,200: the
    // traders' net size is −29.04 ETH before and −49.04 after (the vault is long throughout), but ADL placed
    // 60 ETH, so at the socialization netSize = +30.96 and the vault is counted as a 30.96 ETH short:
    // LossSocialized reports openInterestCharged = 81e18 instead of 50.04e18 (the open shorts), the short loss
    // index rises by socialized/81 and the vault silently absorbs 30.96/81 of the socialized loss. Fix: take the
    // vault's size from the net size before the liquidation (or after it), never from the mid-state.
    it("socialized_loss_is_spread_over_the_open_shorts_when_ADL_moves_more_than_the_vault_holds", async () => {
      const sc = await loadFixture(longBankrupt80SmallLosing);
      const { e, liq } = await gapAndLiquidate(sc, 16n);
      expect(e.placedAbs).to.equal(units("60"));
      expect(liq.socializedUsd > 0n).to.equal(true);
      await conservation(sc);
    });
  });

  describe("rounding and dust", () => {
    it("a_fully_deleveraged_long_with_an_empty_fund_ends_at_exactly_zero_its_B_rounded_down", async () => {
      const sc = await loadFixture(longBankruptOddEmptyFund);
      const { e, liq } = await gapAndLiquidate(sc, 16n);
      // I = 0, so the whole size is deleveraged at B; B rounded down makes the ADL part a loss of at least the
      // settled margin, so the trader keeps nothing and at most |q|/1e18 wei of rounding is socialized.
      expect(e.insuranceBudget).to.equal(0n);
      expect(e.placedAbs).to.equal(units(ODD_ETH));
      expect(liq.insurancePaidUsd).to.equal(0n);
      expect(liq.socializedUsd <= 48n, `dust ${liq.socializedUsd}`).to.equal(true);
      expect(liq.adlPaidUsd + liq.socializedUsd).to.equal(liq.deficitUsd);
      await conservation(sc);
    });

    // Regression (fixed in the contract): LiquidationLogic._bankruptcyPriceWad computes a short's B as `numerator.divCeil(size)` with
    // size < 0, but SignedMath.divCeil is only defined for d > 0: with x < 0 and d < 0 it truncates, so B is
    // rounded DOWN (in the bankrupt short's favour) instead of up as its NatSpec and DESIGN §3 require.
    // Repro: this scenario (short 47.123456789012345679 ETH at max leverage from 2,000, gap to 2,800, empty
    // fund): Deleveraged priceWad is 1 wei below entry + ceil(settled·1e18/|q|), and since the whole size is
    // deleveraged at that B the bankrupt short ends with floor((settled·1e18 mod |q|)/1e18) wei (18 wei here)
    // credited to its free balance instead of exactly 0. Fix: `-(numerator.divFloor(-size))` or
    // `entry + divCeil(settled·1e18, |size|)`. The long side is correct (test above).
    it("a_fully_deleveraged_short_with_an_empty_fund_ends_at_exactly_zero_its_B_rounded_up", async () => {
      const sc = await loadFixture(shortBankruptOddEmptyFund);
      const { e, liq } = await gapAndLiquidate(sc, 16n);
      expect(e.placedAbs).to.equal(units(ODD_ETH));
      expect(liq.adlPaidUsd + liq.socializedUsd).to.equal(liq.deficitUsd);
      await conservation(sc);
    });

    // Same bug with a funded insurance fund: only B's last wei differs (everything else is exact).
    it("a_short_of_odd_size_is_deleveraged_at_B_rounded_up_against_it", async () => {
      const sc = await loadFixture(shortBankruptOdd);
      await gapAndLiquidate(sc, 16n);
      await conservation(sc);
    });
  });

  describe("queue membership", () => {
    it("a_position_below_minQueueNotionalUsd_is_never_queued_and_one_at_exactly_the_minimum_is", async () => {
      const sc = await loadFixture(longBankrupt50);
      const { s, marketId } = sc;
      // The tiny short (notional 80 < 100) reads no light; its side's length counts the 7 queued shorts only.
      expect(await s.engine.adlLight(sc.tiny.address, marketId)).to.deep.equal([0n, 0n, 7n]);
      // A new short whose entry notional is exactly the minimum joins; the same size one fill lower does not.
      const [atMin, belowMin] = [s.traders[11], s.traders[12]];
      for (const t of [atMin, belowMin]) await fund(s, t, "1000");
      const size = -units("0.5");
      const skew = (await s.engine.getMarketState(marketId)).netSize;
      const fill = expectedFill(usd("2000"), skew, size, SKEW_SCALE);
      const minimum = (abs(size) * fill) / WAD;
      await setAdl(s, { minQueueNotionalUsd: minimum });
      await s.engine.connect(atMin).modifyPosition(marketId, size, usd("100"), ANY_SELL);
      await s.engine.connect(belowMin).modifyPosition(marketId, size, usd("100"), ANY_SELL);
      const p1 = await positionOf(s.engine, atMin.address, marketId);
      const p2 = await positionOf(s.engine, belowMin.address, marketId);
      expect(isAdlEligible(p1, minimum)).to.equal(true);
      expect(isAdlEligible(p2, minimum), "the second short fills lower").to.equal(false);
      expect((await s.engine.adlLight(atMin.address, marketId)).queueLength).to.equal(8n);
      expect((await s.engine.adlLight(atMin.address, marketId)).light > 0n).to.equal(true);
      expect(await s.engine.adlLight(belowMin.address, marketId)).to.deep.equal([0n, 0n, 8n]);
    });

    it("the_vault_is_never_in_a_queue_and_never_deleveraged", async () => {
      const sc = await loadFixture(longBankrupt50);
      const { s, marketId } = sc;
      const vault = await s.vault.getAddress();
      expect(await s.engine.adlLight(vault, marketId)).to.deep.equal([0n, 0n, 0n]);
      // Queue lengths count the eligible traders only: 2 longs; 7 shorts (the tiny one excluded). The vault is
      // net long here (traders net short) and is not among them.
      const q = await readQueues(s.engine, marketId, sc.accounts, usd("100"));
      expect(q.long.length).to.equal(2n);
      expect(q.short.length).to.equal(7n);
      expect((await s.engine.getMarketState(marketId)).netSize < 0n, "traders net short: vault long").to.equal(true);
      const { events } = await gapAndLiquidate(sc, 16n);
      expect(events.some((x) => x.account === vault)).to.equal(false);
      expect(await s.engine.adlLight(vault, marketId)).to.deep.equal([0n, 0n, 0n]);
    });
  });

  describe("mirror: bankrupt short on a 40% gap up, longs deleveraged", () => {
    it("deleverages_the_most_leveraged_profitable_longs_at_B_for_exactly_the_uninsured_fraction", async () => {
      const sc = await loadFixture(shortBankrupt50);
      const { s, marketId } = sc;
      const { e, liq, events, queuesBefore } = await gapAndLiquidate(sc, 16n);
      const expectedQueue = [sc.losing, ...sc.counterparties].map((x) => x.address);
      expect(queuesBefore.long.order, "long queue before").to.deep.equal(expectedQueue);
      expect(sortByKey(expectedQueue, queuesBefore.positions, true)).to.deep.equal(expectedQueue);
      const idx = { ...(await indicesOf(s.engine, marketId)), fundingIndexWad: e.fundingIndexWad };
      const byLeverage = [...expectedQueue].sort((a, b) =>
        compareAdlPriority(queuesBefore.positions.get(a)!, queuesBefore.positions.get(b)!, sc.gapPriceWad, idx),
      );
      expect(byLeverage).to.deep.equal(expectedQueue);
      expect(e.steps[0].skipped).to.equal(true);
      expect(events.map((x) => x.account)).to.deep.equal(sc.counterparties.slice(0, 5).map((x) => x.address));
      expect(
        events.every((x) => x.size > 0n),
        "longs reduced",
      ).to.equal(true);
      expect(e.placedAbs).to.equal(e.targetAbs);
      expect(liq.insurancePaidUsd).to.equal(e.insuranceBudget);
      expect(await s.engine.insuranceFund()).to.equal(0n);
      await conservation(sc);
    });
  });
});
