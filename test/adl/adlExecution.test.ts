import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";

import { LOCAL_CONFIG } from "../../deploy/config";
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
  abs,
  minBig,
  ADL_DEFAULTS,
  assertConservation,
  readMarketTotals,
  withPositionChange,
  vaultMarketValue36,
  vaultMarketValueFromTotals,
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
import {
  adlClosePriceWad,
  movePrice,
  maxLeverageMargin,
  indicesOf,
  readQueues,
  sortByKey,
  type Signer,
} from "./helpers";

// ADL inside a liquidation (DESIGN §8 step 2–4, §9; LiquidationLogic `_coverDeficitAndPay`, `_autoDeleverage`,
// `_bankruptcyPriceWad`, `_store`, `_splitRest`; AdlLogic `deleverage`, `adlClosePriceWad`, `_reduceAt`). A bankrupt
// position of size q with deficit D at the liquidation's execution price P_exec (the exact skew fill of its close)
// and an insurance budget I = min(D, fund after the keeper top-up) has floor(q·(D − I)/D) closed at its bankruptcy
// price B against the most leveraged opposite positions. Each counterparty closes min(remaining, |size|) at the worse
// for it of B and the skew fill its own close would get now at the market's current net size (so ADL is never a
// better exit than a voluntary close: issue 18 §1), and is skipped when not in profit at that price or when its
// margin cannot cover what it owes. At most adlConfig.maxSteps counterparties are deleveraged; skipped entries are
// bounded separately by adlConfig.maxSkips (the walk stops at the next skip; issue 18 §3). The rest closes against
// the vault at P_exec; its deficit goes to the fund, then to the vault up to its equity after the books, and only the
// excess is socialized over the opposite traders. Every amount below is restated from those formulas and checked to
// the wei.

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
  /**
   * LP liquidity seeded into the vault (default 1,000,000 USD). A small vault gets the maximum exposure cap (655% of
   * its equity) so that it can take the book's other side.
   */
  vaultSeedUsd?: string;
}

/** The exposure cap's hard maximum, in bps of vault equity. */
const MAX_VAULT_EXPOSURE_BPS = 65_535n;

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
  const config = ethConfig({
    ...(emptyFund ? { insuranceFeeShareBps: 0n } : {}),
    ...(options.vaultSeedUsd ? { maxVaultExposureBps: MAX_VAULT_EXPOSURE_BPS } : {}),
  });
  const s = await deployWith(config, { vaultSeedUsd: options.vaultSeedUsd });
  await setAdl(s, { minQueueNotionalUsd: usd("100") });
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
/**
 * With a 50 ETH losing short the traders stay net short while ADL moves 60 ETH (the vault is long before and after),
 * and with a 15,000 USD vault the gap costs the vault more than its equity: the rest is socialized.
 */
const longBankrupt80SmallVault = () => buildScenario(1n, "80", { losingEth: "50", vaultSeedUsd: "15000" });
/** A size for which settledMargin·1e18 is not a multiple of |size| (so B is not exact). */
const ODD_ETH = "47.123456789012345679";
const longBankruptOddEmptyFund = () => buildScenario(1n, ODD_ETH, { emptyFund: true });
const shortBankruptOddEmptyFund = () => buildScenario(-1n, ODD_ETH, { emptyFund: true });
const shortBankruptOdd = () => buildScenario(-1n, ODD_ETH);

/** One entry of the ADL walk: deleveraged by `size` at `priceWad`, or skipped. */
interface WalkStep {
  account: string;
  size: bigint;
  priceWad: bigint;
  skipped: boolean;
}

/** AdlLogic.adlClosePriceWad at this market's skew scale. */
const adlClosePrice = (B: bigint, priceWad: bigint, netSize: bigint, size: bigint, takeAbs: bigint) =>
  adlClosePriceWad(B, priceWad, netSize, size, takeAbs, SKEW_SCALE);

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
  steps: WalkStep[];
  skips: number;
  placedAbs: bigint;
  residual: bigint;
  insurancePaid: bigint;
  adlPaid: bigint;
  vaultPaid: bigint;
  socialized: bigint;
  /** The vault's mark-to-market equity once the liquidation's books are written, before the split. */
  vaultEquityAfterBooks: bigint;
  /** What the vault received beyond B from counterparties whose own close was worse for them than B. */
  beyondB: bigint;
  fundBefore: bigint;
  vaultEquityBefore: bigint;
}

/**
 * Gaps the price, predicts the liquidation of the bankrupt position for the next block, sends it from the
 * keeper and checks every effect. `maxSteps` and `maxSkips` are the ADL walk bounds in force.
 */
async function gapAndLiquidate(sc: Scenario, maxSteps: bigint, maxSkips: bigint = ADL_DEFAULTS.maxSkips) {
  const { s, marketId, dir, bankrupt } = sc;
  await s.setPrice(ETH, ethers.formatUnits(sc.gapPriceWad, 18));
  const P = sc.gapPriceWad;
  const pos = await positionOf(s.engine, bankrupt.address, marketId);
  const stBefore = await s.engine.getMarketState(marketId);
  const totalsBefore = await readMarketTotals(s.engine, marketId);
  const fundBefore = await s.engine.insuranceFund();
  const freeBefore = await s.engine.freeBalance(bankrupt.address);
  const cashBefore = await s.engine.vaultCashUsd();
  expect((await s.engine.getMarketState(s.market("BTC-USD").marketId)).longOpenInterest, "BTC is empty").to.equal(0n);

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

  // The walk: the opposite queue from the most leveraged end. Each counterparty closes min(remaining, |size|) at
  // adlClosePrice (the net size moving with every close, the bankrupt position still in it), or is skipped when not
  // in profit there or when its margin cannot cover what it owes; ≤ maxSteps deleveraged, ≤ maxSkips skipped.
  const sideIndexBefore = dir > 0n ? stBefore.shortLossIndexWad : stBefore.longLossIndexWad;
  const opposite = dir > 0n ? queuesBefore.short : queuesBefore.long;
  const steps: WalkStep[] = [];
  let placedAbs = 0n;
  let deleveraged = 0n;
  let skips = 0;
  let netNow = stBefore.netSize;
  let booked = totalsBefore;
  let counterpartyCashDelta = 0n;
  let beyondB = 0n;
  if (targetAbs > 0n && maxSteps > 0n) {
    for (const account of opposite.order) {
      if (placedAbs >= targetAbs || deleveraged >= maxSteps) break;
      const p = queuesBefore.positions.get(account)!;
      const take = minBig(abs(p.size), targetAbs - placedAbs);
      const closed = p.size > 0n ? take : -take;
      const price = adlClosePrice(B, P, netNow, p.size, take);
      const owedF = fundingOwed(p.size, F, p.fundingIndexSnapshotWad);
      const owedL = lossOwed(p.size, sideIndexBefore, p.lossIndexSnapshotWad);
      const gain = pnl(closed, p.entryPriceWad, price);
      const marginAfter = p.marginUsd - owedF - owedL + gain;
      if (pnl(p.size, p.entryPriceWad, price) <= 0n || marginAfter < 0n) {
        if (skips === Number(maxSkips)) break;
        skips++;
        steps.push({ account, size: 0n, priceWad: price, skipped: true });
        continue;
      }
      steps.push({ account, size: closed, priceWad: price, skipped: false });
      placedAbs += take;
      deleveraged++;
      netNow -= closed;
      counterpartyCashDelta += owedF + owedL - gain;
      beyondB += pnl(closed, p.entryPriceWad, B) - gain;
      const rest = p.size - closed;
      const updated =
        rest === 0n
          ? { size: 0n, entryPriceWad: 0n, fundingIndexSnapshotWad: 0n, lossIndexSnapshotWad: 0n }
          : {
              size: rest,
              entryPriceWad: p.entryPriceWad,
              fundingIndexSnapshotWad: F,
              lossIndexSnapshotWad: sideIndexBefore,
            };
      booked = withPositionChange(booked, p, updated, -closed);
    }
  }
  const placed = dir * placedAbs;
  const realized =
    placedAbs === 0n
      ? pnl(q, pos.entryPriceWad, Pexec)
      : pnl(placed, pos.entryPriceWad, B) + pnl(q - placed, pos.entryPriceWad, Pexec);
  const afterClose = settled + realized;
  const residual = afterClose < 0n ? -afterClose : 0n;
  const insurancePaid = minBig(residual, fundAfterTopUp);

  // The books (cash, totals), then the split of what the fund left: the vault absorbs it up to its equity after
  // the books; only the excess is socialized over the opposite traders left after ADL (none left: the vault).
  const flat = { size: 0n, entryPriceWad: 0n, fundingIndexSnapshotWad: 0n, lossIndexSnapshotWad: 0n };
  booked = withPositionChange(booked, pos, flat, -q);
  const cashAfterBooks =
    cashBefore + counterpartyCashDelta + fundingPaid + lossPaid - realized - residual + insurancePaid;
  const vaultEquityAfterBooks = cashAfterBooks + vaultMarketValueFromTotals(booked, P, F);
  const oppositeTradersAfter = dir > 0n ? booked.shortOpenInterest : booked.longOpenInterest;
  const rest = residual - insurancePaid;
  const socialized =
    rest > 0n && oppositeTradersAfter > 0n && vaultEquityAfterBooks < 0n ? minBig(rest, -vaultEquityAfterBooks) : 0n;
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
    skips,
    placedAbs,
    residual,
    insurancePaid,
    adlPaid: placedAbs === 0n ? 0n : D - residual,
    vaultPaid: rest - socialized,
    socialized,
    vaultEquityAfterBooks,
    beyondB,
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

  // Deleveraged events: exactly the expected steps, in order, each at its close price, with its post-state.
  const events = await deleveragedEvents(s.engine, tx);
  const placedSteps = steps.filter((x) => !x.skipped);
  expect(events.map((x) => x.account)).to.deep.equal(placedSteps.map((x) => x.account));
  for (let i = 0; i < events.length; i++) {
    const b = before.get(placedSteps[i].account)!;
    const owedF = fundingOwed(b.pos.size, F, b.pos.fundingIndexSnapshotWad);
    const owedL = lossOwed(b.pos.size, sideIndexBefore, b.pos.lossIndexSnapshotWad);
    const gain = pnl(placedSteps[i].size, b.pos.entryPriceWad, placedSteps[i].priceWad);
    const newSize = b.pos.size - placedSteps[i].size;
    expect(events[i].marketId).to.equal(marketId);
    expect(events[i].size, `Deleveraged size #${i}`).to.equal(placedSteps[i].size);
    expect(events[i].priceWad, `Deleveraged price #${i}`).to.equal(placedSteps[i].priceWad);
    expect(
      [events[i].realizedPnlUsd, events[i].fundingPaidUsd, events[i].lossPaidUsd, events[i].newSize],
      `Deleveraged amounts #${i}`,
    ).to.deep.equal([gain, owedF, owedL, newSize]);
    expect(events[i].newMarginUsd).to.equal(newSize === 0n ? 0n : b.pos.marginUsd - owedF - owedL + gain);
  }
  expect(abs(events.reduce((acc, x) => acc + x.size, 0n)), "Σ deleveraged size").to.equal(placedAbs);

  // Liquidated: the exact split, insurance + adl + vault + socialized == D.
  const liq = await liquidatedEvent(s.engine, tx);
  expect(liq.closedSize).to.equal(q);
  expect(liq.remainingSize).to.equal(0n);
  expect(liq.remainingMarginUsd).to.equal(0n);
  expect(liq.executionPriceWad).to.equal(Pexec);
  expect(liq.penaltyUsd, "no penalty out of a bankrupt close").to.equal(0n);
  expect(liq.keeperRewardUsd, "the keeper is paid by the fund's top-up").to.equal(topUp);
  expect(liq.deficitUsd, "D").to.equal(D);
  expect(liq.insurancePaidUsd, "insurance").to.equal(insurancePaid);
  expect(liq.adlPaidUsd, "adl").to.equal(e.adlPaid);
  expect(liq.vaultPaidUsd, "vault").to.equal(e.vaultPaid);
  expect(liq.socializedUsd, "socialized").to.equal(socialized);
  expect(liq.insurancePaidUsd + liq.adlPaidUsd + liq.vaultPaidUsd + liq.socializedUsd).to.equal(liq.deficitUsd);

  // The bankrupt account ends at exactly 0: position gone, free balance unchanged.
  const after = await positionOf(s.engine, bankrupt.address, marketId);
  expect(after.size).to.equal(0n);
  expect(after.marginUsd).to.equal(0n);
  expect(await s.engine.freeBalance(bankrupt.address), "bankrupt free balance").to.equal(freeBefore);
  expect(await s.engine.adlLight(bankrupt.address, marketId)).to.deep.equal([0n, 0n, 0n]);

  // The fund: top-up and insurance paid out, nothing else (no penalty share).
  expect(await s.engine.insuranceFund(), "fund after").to.equal(fundAfterTopUp - insurancePaid);

  // Socialized loss, if any, over the opposite traders left after ADL (never the vault), rounded up.
  const stAfter = await s.engine.getMarketState(marketId);
  const sideIndexAfter = dir > 0n ? stAfter.shortLossIndexWad : stAfter.longLossIndexWad;
  const vaultEquityAfter = await s.engine.vaultEquityUsd(true);
  if (socialized > 0n) {
    const oppositeOi = dir > 0n ? stAfter.shortOpenInterest : stAfter.longOpenInterest;
    expect(oppositeOi, "the opposite traders after ADL").to.equal(oppositeTradersAfter);
    const delta = divCeil(socialized * WAD, oppositeOi);
    await expect(tx)
      .to.emit(s.engine, "LossSocialized")
      .withArgs(marketId, dir < 0n, socialized, oppositeOi, sideIndexBefore + delta);
    expect(sideIndexAfter - sideIndexBefore, "loss index delta").to.equal(delta);
    // The vault's equity ends at zero up to the index's round-up (< 1 wei per unit of charged size).
    const booked36 = vaultMarketValue36(booked, P, F);
    expect(vaultEquityAfter, "vault equity after").to.equal(
      cashAfterBooks + divFloor(booked36 + delta * oppositeOi, WAD),
    );
    expect(vaultEquityAfter >= 0n && vaultEquityAfter <= oppositeOi / WAD + 1n).to.equal(true);
  } else {
    await expect(tx).not.to.emit(s.engine, "LossSocialized");
    expect(sideIndexAfter).to.equal(sideIndexBefore);
    expect(vaultEquityAfter, "vault equity after == after the books").to.equal(vaultEquityAfterBooks);
  }

  // Counterparties: reduced by exactly their step, PnL and owed amounts settled into their margin.
  for (const step of placedSteps) {
    const b = before.get(step.account)!;
    const owedF = fundingOwed(b.pos.size, F, b.pos.fundingIndexSnapshotWad);
    const owedL = lossOwed(b.pos.size, sideIndexBefore, b.pos.lossIndexSnapshotWad);
    const closed = step.size; // the counterparty's closed size (sign of its position)
    const margin = b.pos.marginUsd - owedF - owedL + pnl(closed, b.pos.entryPriceWad, step.priceWad);
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
  expect(await s.engine.vaultCashUsd(), "vault cash").to.equal(cashAfterBooks);
  // Its equity moves by the slippage it earns on the part it takes over, plus what counterparties paid beyond B,
  // less what it absorbs (the ADL part at B is value-neutral for it: it pays the counterparties at B what it
  // receives from the bankrupt position at B; the fund and any socialized loss cover the rest of the deficit).
  // Dust: each valuation is floored, the PnL and owed amounts are rounded per position, and the loss index is
  // rounded up (≤ 1 wei per unit of open interest).
  const slippageGain = pnl(q - placed, Pexec, P);
  const dust = 10n + (stBefore.longOpenInterest + stBefore.shortOpenInterest) / WAD;
  const expectedChange = slippageGain + beyondB - e.vaultPaid;
  expect(abs(vaultEquityAfter - vaultEquityBefore - expectedChange) <= dust, "vault equity change").to.equal(true);
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

      // The losing short is visited and skipped; then four full closes and a partial fifth. The shorts' own
      // buy-back fills (at the gap price, around 1,198) are far below B, so every one of them closes at B.
      expect(e.steps[0].account).to.equal(sc.losing.address);
      expect(e.steps[0].skipped).to.equal(true);
      expect(
        events.every((x) => x.priceWad === e.bankruptcyPriceWad),
        "all at B",
      ).to.equal(true);
      expect(events.map((x) => x.account)).to.deep.equal(sc.counterparties.slice(0, 5).map((x) => x.address));
      expect(events.slice(0, 4).map((x) => x.size)).to.deep.equal([1n, 1n, 1n, 1n].map(() => -units("10")));
      expect(events[4].size < 0n && events[4].size > -units("10"), "fifth is partial").to.equal(true);

      // The placed size is exactly floor(q·(D − I)/D), with I = the whole fund after the top-up.
      expect(e.insuranceBudget, "the fund is smaller than D").to.equal(e.fundBefore - e.topUp);
      expect(e.placedAbs, "total deleveraged == floor(q·(D − I)/D)").to.equal(e.targetAbs);
      expect(e.targetAbs).to.equal((units("50") * (e.deficit - e.insuranceBudget)) / e.deficit);
      // The fund pays exactly I and ends at 0; the rounding of the target (down, by < 1 wei of size) and of B
      // (down, against the trader) can only leave the vault part's deficit a few wei above I, which the vault takes.
      expect(liq.insurancePaidUsd).to.equal(e.insuranceBudget);
      expect(await s.engine.insuranceFund(), "fund ends at 0").to.equal(0n);
      expect(liq.vaultPaidUsd <= 1_000n, `rounding dust on the vault: ${liq.vaultPaidUsd} wei`).to.equal(true);
      expect(liq.socializedUsd).to.equal(0n);
      expect(liq.adlPaidUsd, "the counterparties absorb D − I up to that dust").to.equal(
        e.deficit - e.insuranceBudget - liq.vaultPaidUsd,
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

  describe("the unplaced part falls through to insurance, then the vault, then socialized loss", () => {
    it("with_maxSteps_2_deleverages_two_shorts_past_the_skipped_head_and_the_vault_absorbs_the_rest_after_the_fund", async () => {
      const sc = await loadFixture(longBankrupt50);
      await setAdl(sc.s, { maxSteps: 2n });
      const { e, liq, events } = await gapAndLiquidate(sc, 2n);
      // The losing short is skipped (a skip does not count as a step), the first two counterparties close in full.
      expect(e.steps.map((x) => x.skipped)).to.deep.equal([true, false, false]);
      expect(events.map((x) => x.account)).to.deep.equal(sc.counterparties.slice(0, 2).map((x) => x.address));
      expect(e.placedAbs).to.equal(units("20"));
      expect(e.placedAbs < e.targetAbs).to.equal(true);
      // Insurance pays everything it has, the vault the rest of the vault part's deficit; nothing is socialized.
      expect(liq.insurancePaidUsd).to.equal(e.fundBefore - e.topUp);
      expect(liq.vaultPaidUsd > usd("10000"), "a large part on the vault").to.equal(true);
      expect(liq.socializedUsd).to.equal(0n);
      expect(await sc.s.engine.insuranceFund()).to.equal(0n);
      await conservation(sc);
    });

    // Issue 18 §3: skipped entries no longer count against maxSteps; the old walk counted every visit, so with
    // maxSteps 1 the losing head used up the walk and ADL placed nothing.
    it("with_maxSteps_1_the_skipped_head_does_not_use_up_the_step_and_one_short_is_deleveraged", async () => {
      const sc = await loadFixture(longBankrupt50);
      await setAdl(sc.s, { maxSteps: 1n });
      const { e, events } = await gapAndLiquidate(sc, 1n);
      expect(e.steps.map((x) => [x.account, x.skipped])).to.deep.equal([
        [sc.losing.address, true],
        [sc.counterparties[0].address, false],
      ]);
      expect(events.map((x) => x.account)).to.deep.equal([sc.counterparties[0].address]);
      await conservation(sc);
    });

    it("with_maxSkips_0_the_losing_head_stops_the_walk_so_ADL_places_nothing", async () => {
      const sc = await loadFixture(longBankrupt50);
      await setAdl(sc.s, { maxSkips: 0n });
      const { e, liq, events } = await gapAndLiquidate(sc, 16n, 0n);
      expect(e.skips, "skipping the head would be one skip too many").to.equal(0);
      expect(events).to.deep.equal([]);
      expect(liq.adlPaidUsd).to.equal(0n);
      expect(liq.insurancePaidUsd + liq.vaultPaidUsd).to.equal(liq.deficitUsd);
      await conservation(sc);
    });

    it("with_ADL_disabled_maxSteps_0_the_whole_uninsured_deficit_goes_to_the_vault", async () => {
      const sc = await loadFixture(longBankrupt50);
      await setAdl(sc.s, { maxSteps: 0n });
      const { e, liq, events } = await gapAndLiquidate(sc, 0n);
      expect(events).to.deep.equal([]);
      expect(liq.adlPaidUsd).to.equal(0n);
      expect(liq.vaultPaidUsd).to.equal(e.deficit - e.insuranceBudget);
      expect(liq.socializedUsd).to.equal(0n);
      await conservation(sc);
    });

    it("a_deficit_larger_than_all_profitable_shorts_closes_them_all_and_the_vault_absorbs_the_rest_tiny_short_untouched", async () => {
      const sc = await loadFixture(longBankrupt80);
      const { s, marketId } = sc;
      const { e, liq, events } = await gapAndLiquidate(sc, 16n);
      // Six counterparties closed in full (60 of the ~75 ETH target); the losing short skipped; the tiny short
      // is not in the queue, so it is never deleveraged although it is in profit at B.
      expect(events.map((x) => x.account)).to.deep.equal(sc.counterparties.map((x) => x.address));
      expect(e.placedAbs).to.equal(units("60"));
      expect(e.targetAbs > units("60")).to.equal(true);
      expect(liq.vaultPaidUsd > 0n).to.equal(true);
      expect(liq.socializedUsd).to.equal(0n);
      const tiny = await positionOf(s.engine, sc.tiny.address, marketId);
      expect(tiny.size).to.equal(-units("0.04"));
      expect(await s.engine.adlLight(sc.tiny.address, marketId)).to.deep.equal([0n, 0n, 1n]);
      await conservation(sc);
    });

    // Regression (fixed in the contract), kept under the new rule: `_socialize` once read the vault's side from a
    // netSize that still held the whole bankrupt size while the deleveraged counterparties were already reduced, and
    // charged a vault position that never existed (repro: losing short 50 ETH, bankrupt long 80 ETH, gap 2,000 →
    // 1,200, ADL places 60 ETH: openInterestCharged was 81e18 instead of the 50.04e18 open shorts). Now the vault is
    // never in the base: with a 15,000 USD vault the gap costs it more than its equity, it absorbs up to its equity,
    // and the excess is spread over the open shorts left after ADL (the losing 50 and the tiny 0.04) only.
    it("socialized_loss_after_ADL_is_spread_over_the_open_shorts_left_never_over_the_vault", async () => {
      const sc = await loadFixture(longBankrupt80SmallVault);
      const { e, liq } = await gapAndLiquidate(sc, 16n);
      expect(e.placedAbs).to.equal(units("60"));
      expect(e.vaultEquityAfterBooks < 0n, "the vault cannot absorb it all").to.equal(true);
      expect(liq.vaultPaidUsd > 0n && liq.socializedUsd > 0n).to.equal(true);
      expect(liq.socializedUsd).to.equal(-e.vaultEquityAfterBooks);
      // (gapAndLiquidate checked LossSocialized against the shorts left: 50 + 0.04 ETH.)
      expect((await sc.s.engine.getMarketState(sc.marketId)).shortOpenInterest).to.equal(units("50.04"));
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
      expect(liq.vaultPaidUsd <= 48n, `dust ${liq.vaultPaidUsd}`).to.equal(true);
      expect(liq.socializedUsd).to.equal(0n);
      expect(liq.adlPaidUsd + liq.vaultPaidUsd).to.equal(liq.deficitUsd);
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
      expect(liq.adlPaidUsd + liq.vaultPaidUsd).to.equal(liq.deficitUsd);
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
        events.every((x) => x.priceWad === e.bankruptcyPriceWad),
        "all at B",
      ).to.equal(true);
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
