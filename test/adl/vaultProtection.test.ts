import { expect } from "chai";
import { network } from "hardhat";
import type { ContractTransactionResponse } from "ethers";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";

import { ETH, usd, size as units, ANY_BUY_PRICE as MAX_BUY, ANY_SELL_PRICE as ANY_SELL } from "../helpers/fixtures";
import {
  WAD,
  BPS,
  abs,
  minBig,
  assertConservation,
  expectedExecutionPrice,
  divCeil,
  mintAndDeposit as fund,
  deployWithAdl,
  ethConfig,
  readPosition as positionOf,
  deleveragedEvents,
  engineEventArgs as eventsOf,
  expectedVaultMarketValue as vaultValueModel,
  expectedPnl as pnl,
  expectedFundingOwed,
  ADL_DEFAULTS as DEFAULT_ADL,
  type System,
} from "../helpers/engineHelpers";
import { compareAdlPriority, type AdlPosition } from "../../sdk/adl/adlMath";
import { movePrice, stepPrice, maxLeverageMargin, indicesOf, readQueues, type Signer } from "./helpers";
import { Switch } from "../governance/governanceHelpers";

// Vault protection (DESIGN §4 "the vault must never go bankrupt"; AdlLogic `deleverageVault`,
// `_walkVaultProtection`, `_protectVaultOne`): while the vault's unrealised loss in a market exceeds
// vaultLossUpperBps of its equity, anyone may close the most leveraged profitable positions winning against
// it, through the ADL queue, until the loss is at most vaultLossLowerBps of equity — never further. Each close is
// sized from the profit per unit at the oracle price and executed at the skew fill of that close (like every forced
// close: the impact does not depend on the path, issue 18 §2); a position not in profit at the oracle price or at
// that fill is skipped. `deleverageVault(maxSteps)` closes at most maxSteps positions and passes over at most
// adlConfig.maxSkips; the automatic protection at most min(4, adlConfig.maxSteps) of each. The loss is
// −min(vault market value, 0), the market value being the documented aggregate (traders' Σ size·(entry − P) +
// funding and socialized loss they owe), recomputed here from the positions.

const UPPER_BPS = DEFAULT_ADL.vaultLossUpperBps;
const LOWER_BPS = DEFAULT_ADL.vaultLossLowerBps;

/** Exposure cap 200% of vault equity so traders can win big; funding off, so every view is timestamp-free. */
const CONFIG = ethConfig({ maxVaultExposureBps: 20_000n, maxFundingRatePerDayWad: 0n });

interface Book {
  s: System;
  marketId: string;
  /** The longs winning against the vault, most leveraged first (the expected queue order at 3,300). */
  head: Signer; // entered at 3,600 at max leverage: most leveraged, never in profit below 3,600
  a: Signer; // 5 ETH at max leverage
  b: Signer; // 60 ETH, margin 7,500
  c: Signer; // 60 ETH, margin 12,000
  d: Signer; // 60 ETH, margin 24,000
  e: Signer; // 60 ETH, margin 48,000
  tiny: Signer; // 0.04 ETH long, below minQueueNotionalUsd
  short: Signer; // 5 ETH short, losing
  accounts: string[];
}

/**
 * Longs of 5 and 4 × 60 ETH opened at 2,000 (in shuffled order), a tiny long, a losing short; the price walks
 * up in steps below the 25% breaker, a cooldown apart, to 3,600, where one more long opens at max leverage.
 */
async function deployBook(): Promise<Book> {
  // adl.maxSteps = 0 turns off the automatic protection trades and pokes run, so that the keeper's
  // `deleverageVault` walk (its own maxSteps) is tested on its own; the automatic one has its own tests below.
  const s = await deployWithAdl(CONFIG, { maxSteps: 0n });
  const marketId = s.market(ETH).marketId;
  const [head, a, b, c, d, e, tiny, short] = s.traders;
  for (const t of [head, a, b, c, d, e, tiny, short]) await fund(s, t, "100000");
  const open = (t: Signer, size: bigint, margin: bigint) =>
    s.engine.connect(t).modifyPosition(marketId, size, margin, size > 0n ? MAX_BUY : ANY_SELL);

  await open(c, units("60"), usd("12000"));
  await open(a, units("5"), await maxLeverageMargin(s, marketId, units("5"), usd("2000")));
  await open(e, units("60"), usd("48000"));
  await open(b, units("60"), usd("7500"));
  await open(d, units("60"), usd("24000"));
  await open(tiny, units("0.04"), usd("11"));
  await open(short, -units("5"), usd("20000"));
  for (const price of ["2450", "3000", "3600"]) await stepPrice(s, price);
  await open(head, units("5"), await maxLeverageMargin(s, marketId, units("5"), usd("3600")));

  const accounts = [s.deployer, s.keeper, head, a, b, c, d, e, tiny, short].map((x) => x.address);
  return { s, marketId, head, a, b, c, d, e, tiny, short, accounts };
}

/**
 * The vault's loss in the market and the thresholds, from the engine's views (one market has positions).
 * With `at`, the views are read in a block mined at that timestamp and the chain is rewound (funding accrues
 * with time: the next transaction, pinned to `at`, sees exactly these values).
 */
async function vaultState(s: System, marketId: string, accounts: string[], at?: bigint) {
  if (at !== undefined) {
    const snapshot = await network.provider.send("evm_snapshot", []);
    await network.provider.send("evm_mine", [Number(at)]);
    try {
      return await vaultState(s, marketId, accounts);
    } finally {
      await network.provider.send("evm_revert", [snapshot]);
    }
  }
  const equity = await s.engine.vaultEquityUsd(true);
  const cash = await s.engine.vaultCashUsd();
  const priceWad = await s.engine.markPrice(marketId);
  const indices = await indicesOf(s.engine, marketId);
  const positions = new Map<string, AdlPosition>();
  for (const a of accounts) positions.set(a, await positionOf(s.engine, a, marketId));
  const value = vaultValueModel(positions.values(), priceWad, indices);
  // Only ETH-USD has positions: equity = cash + the ETH market's value (BTC-USD is worth 0).
  expect(equity - cash, "vault market value == cash-free equity").to.equal(value);
  const loss = value < 0n ? -value : 0n;
  const share = (bps: bigint) => (equity <= 0n ? 0n : (equity * bps) / BPS);
  return { equity, cash, priceWad, indices, positions, loss, upper: share(UPPER_BPS), lower: share(LOWER_BPS) };
}

interface Step {
  account: string;
  take: bigint;
  /** The skew fill of this close: the price it is executed at. */
  priceWad: bigint;
  /** The model's loss just before this step (what the walk sizes the take from). */
  lossBefore: bigint;
}

/** How far one walk may go: positions closed, and entries passed over (the walk stops at the next skip). */
interface WalkLimits {
  maxCloses: number;
  maxSkips: number;
}

/**
 * The documented walk: the winning side's queue from the most leveraged end; a position not in profit at P is
 * skipped; otherwise the least size c (at most the whole position) whose close brings the loss to at most `lower`
 * (the loss is the market value at P, so the size follows from the profit per unit at P) — closing also settles
 * what the position owes (funding, socialized loss) into the vault's cash, which moves the market value by that
 * amount too; that close executes at the skew fill of selling (buying) c at the current net size, and a position
 * not in profit at that fill is skipped too. Stop when the loss is at most `lower`, after `maxCloses` closes, or
 * at a skip beyond `maxSkips`. The loss is recomputed from the model after every close.
 */
function expectedWalk(
  order: string[],
  positions: Map<string, AdlPosition>,
  priceWad: bigint,
  indices: Awaited<ReturnType<typeof indicesOf>>,
  startLoss: bigint,
  lower: bigint,
  limits: WalkLimits,
  market: { netSize: bigint; skewScale: bigint },
) {
  const model = new Map([...positions].map(([k, v]) => [k, { ...v }]));
  const lossOf = () => {
    const v = vaultValueModel(model.values(), priceWad, indices);
    return v < 0n ? -v : 0n;
  };
  /** Closes `take` of `account` in the model (settling its funding), or only evaluates it when `dryRun`. */
  const close = (account: string, take: bigint, dryRun = false) => {
    const p = model.get(account)!;
    const saved = { ...p };
    p.size -= p.size > 0n ? take : -take;
    p.fundingIndexSnapshotWad = indices.fundingIndexWad;
    const loss = lossOf();
    if (dryRun) model.set(account, saved);
    return loss;
  };
  let loss = startLoss;
  let netSize = market.netSize;
  const steps: Step[] = [];
  let skips = 0;
  for (const account of order) {
    if (steps.length >= limits.maxCloses || loss <= lower) break;
    const p = model.get(account)!;
    const profit = p.size > 0n ? priceWad - p.entryPriceWad : p.entryPriceWad - priceWad;
    let take = 0n;
    let fill = 0n;
    if (profit > 0n) {
      // Closing c lowers the loss by c·profit and raises it by the funding the position owed the vault.
      const owed36 = p.size * (indices.fundingIndexWad - p.fundingIndexSnapshotWad);
      take = minBig(
        abs(p.size),
        divCeil((loss - lower) * WAD + owed36 > 0n ? (loss - lower) * WAD + owed36 : 0n, profit),
      );
      while (take > 0n && close(account, take - 1n, true) <= lower) take--;
      while (take < abs(p.size) && close(account, take, true) > lower) take++;
      fill = expectedExecutionPrice(priceWad, netSize, p.size > 0n ? -take : take, market.skewScale);
    }
    if (take === 0n || pnl(p.size, p.entryPriceWad, fill) <= 0n) {
      if (skips === limits.maxSkips) break;
      skips++;
      continue;
    }
    steps.push({ account, take, priceWad: fill, lossBefore: loss });
    netSize -= p.size > 0n ? take : -take;
    loss = close(account, take);
  }
  return { steps, lossAfter: loss, lossOf, model, skips };
}

async function expectNotNeeded(book: Book) {
  const { s, marketId } = book;
  const v = await vaultState(s, marketId, book.accounts);
  expect(v.loss > 0n && v.loss <= v.upper, "a loss below the upper threshold").to.equal(true);
  await expect(s.engine.deleverageVault(marketId, 16n))
    .to.be.revertedWithCustomError(s.engine, "VaultDeleverageNotNeeded")
    .withArgs(marketId, v.loss, v.upper);
  return v;
}

/**
 * Runs deleverageVault(maxSteps) from the keeper — or `send`, any call that runs the same walk within `limits`
 * — and checks it against the model walk (`actor`'s own action is not checked). Without `limits` the keeper's
 * bounds apply: `maxSteps` closes and adlConfig.maxSkips skips.
 */
async function deleverageAndCheck(
  book: Pick<Book, "s" | "marketId" | "accounts">,
  maxSteps: number,
  send?: () => Promise<ContractTransactionResponse>,
  actor?: string,
  limits?: WalkLimits,
) {
  const { s, marketId } = book;
  const bounds = limits ?? { maxCloses: maxSteps, maxSkips: Number((await s.engine.adlConfig()).maxSkips) };
  const t = BigInt(await time.latest()) + 1n;
  const v = await vaultState(s, marketId, book.accounts, t);
  expect(v.loss > v.upper, "the loss exceeds the upper threshold").to.equal(true);
  const q = await readQueues(s.engine, marketId, book.accounts, DEFAULT_ADL.minQueueNotionalUsd);
  const [, params] = await s.engine.getMarketConfig(marketId);
  const market = { netSize: (await s.engine.getMarketState(marketId)).netSize, skewScale: params.skewScale };
  const walk = expectedWalk(q.long.order, v.positions, v.priceWad, v.indices, v.loss, v.lower, bounds, market);
  const freeBefore = new Map<string, bigint>();
  for (const a of book.accounts) freeBefore.set(a, await s.engine.freeBalance(a));

  await time.setNextBlockTimestamp(t);
  const tx = send ? await send() : await s.engine.connect(s.keeper).deleverageVault(marketId, BigInt(maxSteps));
  const receipt = (await tx.wait())!;

  const events = await deleveragedEvents(s.engine, tx);
  expect(
    events.map((x) => x.account),
    "deleveraged accounts, in queue order",
  ).to.deep.equal(walk.steps.map((x) => x.account));
  for (let i = 0; i < events.length; i++) {
    expect(events[i].size, `size #${i}`).to.equal(walk.steps[i].take);
    expect(events[i].priceWad, `#${i} at the skew fill of its close`).to.equal(walk.steps[i].priceWad);
  }
  const after = await vaultState(s, marketId, book.accounts);
  expect(after.loss, "loss after == model").to.equal(walk.lossAfter);
  const [emitted] = await eventsOf(s.engine, receipt, "VaultDeleveraged");
  expect([emitted.marketId, emitted.lossBeforeUsd, emitted.lossAfterUsd, emitted.targetUsd]).to.deep.equal([
    marketId,
    v.loss,
    walk.lossAfter,
    v.lower,
  ]);

  // Each deleveraged position realised exactly its PnL at its fill into its margin (freed if closed); the vault
  // pays (or earns) the difference between that fill and the oracle price, the impact every close pays.
  let impactForVault = 0n;
  for (const [i, step] of walk.steps.entries()) {
    const old = v.positions.get(step.account)!;
    const now = await positionOf(s.engine, step.account, marketId);
    const owed = expectedFundingOwed(old.size, v.indices.fundingIndexWad, old.fundingIndexSnapshotWad);
    const closed = old.size > 0n ? step.take : -step.take;
    const realized = pnl(closed, old.entryPriceWad, step.priceWad);
    expect(events[i].realizedPnlUsd, `realised #${i}`).to.equal(realized);
    expect(events[i].fundingPaidUsd, `funding #${i}`).to.equal(owed);
    const margin = old.marginUsd - owed + realized;
    impactForVault += pnl(closed, old.entryPriceWad, v.priceWad) - realized;
    expect(now.size).to.equal(old.size - closed);
    expect([events[i].newSize, events[i].newMarginUsd], `post-state #${i}`).to.deep.equal([
      now.size,
      now.size === 0n ? 0n : margin,
    ]);
    if (now.size === 0n) {
      expect(await s.engine.freeBalance(step.account)).to.equal(freeBefore.get(step.account)! + margin);
    } else {
      expect(now.marginUsd).to.equal(margin);
      expect(now.entryPriceWad).to.equal(old.entryPriceWad);
    }
  }
  // Nobody else moved.
  const touched = new Set(walk.steps.map((x) => x.account));
  for (const a of book.accounts) {
    if (touched.has(a) || a === actor) continue;
    expect(await positionOf(s.engine, a, marketId), `untouched ${a}`).to.deep.equal(v.positions.get(a));
    expect(await s.engine.freeBalance(a)).to.equal(freeBefore.get(a));
  }
  // Apart from that impact the close is value-neutral for the vault: its equity moves by it, to rounding dust
  // (one wei per rounded PnL and valuation), and stays positive under both valuations.
  const dust = 10n + BigInt(walk.steps.length);
  expect(abs(after.equity - v.equity - impactForVault) <= dust, "vault equity moves by the impact only").to.equal(true);
  expect(after.equity > 0n).to.equal(true);
  expect((await s.engine.vaultEquityUsd(false)) > 0n).to.equal(true);
  await assertConservation({ engine: s.engine, accounts: book.accounts, marketIds: s.markets.map((m) => m.marketId) });
  return { v, walk, events, after, receipt, impactForVault };
}

/**
 * Funding on (skew scale 5,000 ETH, up to 100%/day): three longs of 60 ETH (margins 16,000 / 24,000 / 36,000)
 * held for two days, unsettled, then the price walks up to `topUsd`. With `whale`, a 400 ETH short makes the
 * skew short for those two days, so the longs are OWED ≈ 176 USD per ETH of funding by the vault; without it
 * the longs OWE the vault ≈ 144 USD per ETH.
 */
async function deployFundingBook(whale: boolean, topUsd: string) {
  const s = await deployWithAdl(
    ethConfig({
      maxVaultExposureBps: 20_000n,
      skewScale: units("5000"),
      maxOpenInterestPerSide: units("4000"),
      maxFundingRatePerDayWad: WAD,
    }),
    { maxSteps: 0n }, // no automatic protection: see deployBook
  );
  const marketId = s.market(ETH).marketId;
  const [b, c, d, whaleTrader] = s.traders;
  for (const t of [b, c, d]) await fund(s, t, "100000");
  await fund(s, whaleTrader, "200000");
  const open = (t: Signer, size: bigint, margin: bigint) =>
    s.engine.connect(t).modifyPosition(marketId, size, margin, size > 0n ? MAX_BUY : ANY_SELL);
  await open(b, units("60"), usd("16000"));
  await open(c, units("60"), usd("24000"));
  await open(d, units("60"), usd("36000"));
  if (whale) await open(whaleTrader, -units("400"), usd("150000"));
  await time.increase(2 * 86_400);
  await movePrice(s, "2000"); // heartbeat refresh
  if (whale) await s.engine.connect(whaleTrader).closePosition(marketId, MAX_BUY);
  for (const price of ["2450", "3000", topUsd]) await stepPrice(s, price);
  const accounts = [s.deployer, s.keeper, b, c, d, whaleTrader].map((x) => x.address);
  return { s, marketId, b, c, d, accounts };
}
const longsOwedFunding = () => deployFundingBook(true, "3400");
const longsOwingFunding = () => deployFundingBook(false, "3600");

describe("vault protection (deleverageVault)", () => {
  it("reverts_VaultDeleverageNotNeeded_with_the_exact_loss_and_threshold_below_the_upper_bound", async () => {
    const book = await loadFixture(deployBook);
    await movePrice(book.s, "2900");
    await expectNotNeeded(book);
  });

  it("closes_the_most_leveraged_profitable_longs_first_at_their_skew_fill_down_to_the_lower_threshold_and_no_further", async () => {
    const book = await loadFixture(deployBook);
    const { s, marketId } = book;
    await movePrice(s, "2900");
    await movePrice(s, "3300");

    // The queue, most leveraged first, equals the effective-leverage order at 3,300.
    const v = await vaultState(s, marketId, book.accounts);
    const q = await readQueues(s.engine, marketId, book.accounts, DEFAULT_ADL.minQueueNotionalUsd);
    const expectedOrder = [book.head, book.a, book.b, book.c, book.d, book.e].map((x) => x.address);
    expect(q.long.order).to.deep.equal(expectedOrder);
    const byLeverage = [...expectedOrder].sort((x, y) =>
      compareAdlPriority(v.positions.get(x)!, v.positions.get(y)!, v.priceWad, v.indices),
    );
    expect(byLeverage).to.deep.equal(expectedOrder);

    const { walk, events, after } = await deleverageAndCheck(book, 16);
    // head (entered at 3,600) is skipped; a, b, c close in full; d partially; e untouched.
    expect(events.map((x) => x.account)).to.deep.equal([book.a, book.b, book.c, book.d].map((x) => x.address));
    expect(events.slice(0, 3).map((x) => x.size)).to.deep.equal([units("5"), units("60"), units("60")]);
    const last = walk.steps[walk.steps.length - 1];
    expect(last.take < units("60"), "the last one is partial").to.equal(true);
    expect(after.loss <= v.lower, "loss at most the lower threshold").to.equal(true);
    // No more than needed: one wei of size less on the last position leaves the loss above the target.
    const model = walk.model.get(last.account)!;
    model.size += 1n;
    expect(walk.lossOf() > v.lower, "one wei less would not have been enough").to.equal(true);
    // And the overshoot is below one wei of size's worth of profit (plus the valuation's floor).
    const profit = v.priceWad - v.positions.get(last.account)!.entryPriceWad;
    expect(v.lower - after.loss <= profit / WAD + 1n).to.equal(true);
    // A second call has nothing to do.
    await expectNotNeeded(book);
  });

  it("maxSteps_bounds_the_walk_and_a_second_call_continues_where_it_stopped", async () => {
    const book = await loadFixture(deployBook);
    const { s, marketId } = book;
    await movePrice(s, "2900");
    await movePrice(s, "3300");
    // One close: head is skipped (not in profit at 3,300; a skip does not count as a step), a closes in full;
    // the loss stays above upper.
    const first = await deleverageAndCheck(book, 1);
    expect(first.walk.skips).to.equal(1);
    expect(first.events.map((x) => x.account)).to.deep.equal([book.a.address]);
    expect(first.after.loss > first.after.upper, "still above the upper threshold").to.equal(true);
    expect(await s.engine.adlQueueHead(marketId, true)).to.equal(book.head.address);
    // The second call walks on from the head again: skips it, then b, c, d.
    const second = await deleverageAndCheck(book, 16);
    expect(second.events.map((x) => x.account)).to.deep.equal([book.b, book.c, book.d].map((x) => x.address));
    expect(second.after.loss <= second.v.lower, "at most the lower threshold the walk aimed for").to.equal(true);
    // The tiny long (not queued) and the losing short were never touched.
    expect((await positionOf(s.engine, book.tiny.address, marketId)).size).to.equal(units("0.04"));
    expect((await positionOf(s.engine, book.short.address, marketId)).size).to.equal(-units("5"));
  });

  it("maxSkips_bounds_the_entries_passed_over_and_the_walk_stops_at_the_next_skip", async () => {
    const book = await loadFixture(deployBook);
    const { s, marketId } = book;
    await movePrice(s, "2900");
    await movePrice(s, "3300");
    // maxSkips 0: the head is not in profit, and skipping it would be one skip too many: nothing closes.
    await s.engine.connect(s.deployer).setAdlConfig({ ...DEFAULT_ADL, maxSteps: 0n, maxSkips: 0n });
    const none = await deleverageAndCheck(book, 16);
    expect(none.events).to.deep.equal([]);
    expect(none.after.loss, "nothing changed").to.equal(none.v.loss);
    // maxSkips 1: the head is passed over and the walk goes on to a, b, c, d.
    await s.engine.connect(s.deployer).setAdlConfig({ ...DEFAULT_ADL, maxSteps: 0n, maxSkips: 1n });
    const one = await deleverageAndCheck(book, 16);
    expect(one.events.map((x) => x.account)).to.deep.equal([book.a, book.b, book.c, book.d].map((x) => x.address));
  });

  describe("with unsettled funding", () => {
    // Regression (fixed in the contract): AdlLogic._protectVaultOne sizes the close as ceil((loss − lower)·1e18 / profitPerUnit), but
    // `_reduceAt` also settles the position's funding (and socialized loss) into the vault's cash, which moves
    // the vault's market value — the loss the walk measures — by what the position owed. When the vault owed
    // the position funding, the close overshoots. Repro (fixture `longsOwedFunding`: three 60 ETH longs at
    // ≈ 2,012/2,036/2,060 owed ≈ 10,559 USD of funding each by a 400 ETH short skew held two days, price 3,400,
    // vault loss 277,199 > upper 238,196, lower 158,797): deleverageVault closes 60 ETH of the first long and
    // 18.007 ETH of the second, where 10.266 ETH suffices — the loss ends ≈ 10,559 USD (7.7 ETH) below the
    // lower threshold, i.e. more than needed (DESIGN §4). Fix: size the take from (loss − lower) plus the
    // position's owed funding and loss (what settlement moves out of the market value).
    it("when_the_vault_owes_the_longs_funding_it_still_closes_no_more_than_needed", async () => {
      const book = await loadFixture(longsOwedFunding);
      const { walk, events, after, v } = await deleverageAndCheck(book, 16);
      expect(events.map((x) => x.account)).to.deep.equal([book.b.address, book.c.address]);
      const last = walk.steps[walk.steps.length - 1];
      walk.model.get(last.account)!.size += 1n;
      expect(walk.lossOf() > v.lower, "one wei less would not have been enough").to.equal(true);
      expect(after.loss <= v.lower).to.equal(true);
    });

    // Regression (fixed in the contract): when the position owed the vault funding, settling it raises
    // the measured loss, so a partial close undershoots and the walk goes on to the NEXT, less leveraged
    // position. Repro: fixture `longsOwingFunding` (the same longs owing ≈ 8,640 USD each after two days of a
    // long skew, price 3,600, loss 255,598 > upper, lower 148,910): Deleveraged b 60, c 12.819, d 5.611, then c
    // again 5.525 ETH (c, re-keyed after its partial close, now ranks behind d). d's close is wasted — settling
    // d's own funding cancels its effect on the loss — where closing ≈ 18.35 ETH of c alone suffices.
    it("when_the_longs_owe_the_vault_funding_it_does_not_touch_a_less_leveraged_position_first", async () => {
      const book = await loadFixture(longsOwingFunding);
      const { events, after, v } = await deleverageAndCheck(book, 16);
      expect(events.map((x) => x.account)).to.deep.equal([book.b.address, book.c.address]);
      expect(after.loss <= v.lower).to.equal(true);
    });
  });

  describe("automatic protection (trades, margin moves, closes and funding pokes)", () => {
    // Fix of a fuzz finding (test/fuzz/regressions.test.ts): the vault's solvency must not rest on a keeper
    // calling deleverageVault after every price update. Every modifyPosition, closePosition and pokeFunding ends
    // with the same walk, at most min(4, adl.maxSteps) visits, when the vault's loss is over the upper threshold.
    const withAutomaticProtection = async () => {
      const book = await loadFixture(deployBook);
      await book.s.engine.connect(book.s.deployer).setAdlConfig(DEFAULT_ADL);
      return book;
    };

    it("a_funding_poke_runs_four_steps_of_the_walk_and_the_next_trade_continues_it", async () => {
      const book = await withAutomaticProtection();
      const { s, marketId } = book;
      await s.setPrice(ETH, "2900");
      await s.setPrice(ETH, "4000");
      // At most four closes (and four skips): at 4,000 every queued long is in profit, head (entered at 3,600)
      // included, so head, a, b and c close in full and the loss is still above the upper threshold.
      const automatic = { maxCloses: 4, maxSkips: 4 };
      const poke = await deleverageAndCheck(
        book,
        4,
        () => s.engine.connect(s.traders[10]).pokeFunding(marketId),
        undefined,
        automatic,
      );
      expect(poke.walk.skips).to.equal(0);
      expect(poke.events.map((x) => x.account)).to.deep.equal(
        [book.head, book.a, book.b, book.c].map((x) => x.address),
      );
      expect(poke.after.loss > poke.after.upper, "four closes stopped short: still above the upper threshold").to.equal(
        true,
      );
      // Any action in the market continues the walk (the model check is the whole assertion): the short tops up
      // its margin, and d (then e, as needed) closes.
      const topUp = await deleverageAndCheck(
        book,
        4,
        () => s.engine.connect(book.short).modifyPosition(marketId, 0n, usd("1"), 0n),
        book.short.address, // the actor's own margin moved
        automatic,
      );
      expect(topUp.events[0].account).to.equal(book.d.address);
    });

    it("does_nothing_below_the_upper_threshold_or_while_liquidations_are_paused", async () => {
      const book = await withAutomaticProtection();
      const { s, marketId } = book;
      await s.setPrice(ETH, "2900");
      await expect(s.engine.pokeFunding(marketId)).not.to.emit(s.engine, "VaultDeleveraged");
      await s.setPrice(ETH, "3300");
      await s.engine.connect(s.deployer).pause(Switch.Liquidations);
      await expect(s.engine.pokeFunding(marketId)).not.to.emit(s.engine, "VaultDeleveraged");
      await expect(s.engine.connect(book.short).modifyPosition(marketId, 0n, usd("1"), 0n)).not.to.emit(
        s.engine,
        "VaultDeleveraged",
      );
      // The explicit call is refused while paused, and allowed (no grace period) right after unpausing.
      await expect(s.engine.deleverageVault(marketId, 16n)).to.be.revertedWithCustomError(
        s.engine,
        "LiquidationsPaused",
      );
      await s.engine.connect(s.deployer).unpause(Switch.Liquidations);
      expect((await s.engine.pauseState()).liquidationsResumeAt).to.be.gt(BigInt(await time.latest()));
      await expect(s.engine.connect(s.keeper).deleverageVault(marketId, 16n)).to.emit(s.engine, "VaultDeleveraged");
    });

    it("does_nothing_while_another_market_with_open_interest_has_no_valid_price", async () => {
      const book = await withAutomaticProtection();
      const { s, marketId } = book;
      const btc = s.market("BTC-USD").marketId;
      await fund(s, s.traders[10], "10000");
      await s.engine.connect(s.traders[10]).modifyPosition(btc, units("0.01"), usd("100"), MAX_BUY);
      await s.setPrice(ETH, "2900");
      await s.setPrice(ETH, "3300");
      await s.setPrice("BTC-USD", "0"); // invalid: the vault cannot be valued
      // The trade itself goes through (a margin top-up needs only its own market's price); no protection runs.
      await expect(s.engine.connect(book.short).modifyPosition(marketId, 0n, usd("1"), 0n)).not.to.emit(
        s.engine,
        "VaultDeleveraged",
      );
      // With BTC valid again the same action runs it.
      await s.setPrice("BTC-USD", "60000");
      await expect(s.engine.connect(book.short).modifyPosition(marketId, 0n, usd("1"), 0n)).to.emit(
        s.engine,
        "VaultDeleveraged",
      );
    });
  });

  it("deleverageVault_rejects_zero_maxSteps", async () => {
    const book = await loadFixture(deployBook);
    await expect(book.s.engine.deleverageVault(book.marketId, 0n)).to.be.revertedWithCustomError(
      book.s.engine,
      "ZeroAmount",
    );
  });
});
