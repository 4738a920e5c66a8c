// Test-side reference model of a liquidation and of the loss waterfall (DESIGN §7, §8, §10), restated
// from the documented formulas with plain bigint arithmetic. It does not import the SDK or the contract
// libraries, so a contract that rounds the wrong way or splits a payout differently fails the tests.
//
// Kept local to test/liquidation (rather than test/helpers) so that these tests do not break while the
// shared helpers change.
import { expect } from "chai";
import { ethers } from "hardhat";
import { time } from "@nomicfoundation/hardhat-network-helpers";
import type { ContractTransactionResponse, EventLog, Log } from "ethers";
import type { PerpEngine } from "../../typechain-types";

export const WAD = 10n ** 18n;
export const BPS = 10_000n;
export const SECONDS_PER_DAY = 86_400n;

// ───────────────────────────── integer helpers ─────────────────────────────

/** floor(a / b), b > 0. */
export function divFloor(a: bigint, b: bigint): bigint {
  const q = a / b;
  return a % b !== 0n && a < 0n ? q - 1n : q;
}

/** ceil(a / b), b > 0. */
export function divCeil(a: bigint, b: bigint): bigint {
  const q = a / b;
  return a % b !== 0n && a > 0n ? q + 1n : q;
}

export const abs = (x: bigint) => (x < 0n ? -x : x);
export const minBig = (a: bigint, b: bigint) => (a < b ? a : b);

// ───────────────────────────── parameters (restated from deploy/config.ts) ─────────────────────────────

export interface Tier {
  floorUsd: bigint;
  imBps: bigint;
  mmBps: bigint;
}

/** deploy/config.ts DEFAULT_TIERS: 20x/40x to $1M, 10x/20x to $5M, 5x/10x above (marginal rates). */
export const DEFAULT_TIERS: Tier[] = [
  { floorUsd: 0n, imBps: 500n, mmBps: 250n },
  { floorUsd: 1_000_000n * WAD, imBps: 1_000n, mmBps: 500n },
  { floorUsd: 5_000_000n * WAD, imBps: 2_000n, mmBps: 1_000n },
];

export interface LiqParams {
  minMargin: bigint;
  keeperReward: bigint;
  skewScale: bigint;
  maxFundingRate: bigint;
  takerFeeBps: bigint;
  insuranceShareBps: bigint;
  penaltyBps: bigint;
  keeperShareBps: bigint;
  bufferBps: bigint;
  maxSlippageBps: bigint;
  tiers: Tier[];
}

/** The documented ETH-USD defaults (DESIGN §4, §7; deploy/config.ts), restated, not read from the chain. */
export const ETH_PARAMS: LiqParams = {
  minMargin: 10n * WAD,
  keeperReward: 2n * WAD,
  skewScale: 100_000n * WAD,
  maxFundingRate: WAD / 10n,
  takerFeeBps: 5n,
  insuranceShareBps: 2_000n,
  penaltyBps: 100n,
  keeperShareBps: 2_500n,
  bufferBps: 2_500n,
  maxSlippageBps: 100n,
  tiers: DEFAULT_TIERS,
};

// ───────────────────────────── documented formulas ─────────────────────────────

/** |size| × price, rounded up. */
export const notional = (size: bigint, priceWad: bigint) => divCeil(abs(size) * priceWad, WAD);

/** Progressive tiered margin, rounded up. */
export function tieredMargin(tiers: Tier[], notionalUsd: bigint, initial: boolean): bigint {
  let weighted = 0n;
  for (let i = 0; i < tiers.length; i++) {
    const floor = tiers[i].floorUsd;
    if (notionalUsd <= floor) break;
    const ceiling = i + 1 < tiers.length ? tiers[i + 1].floorUsd : notionalUsd;
    weighted += (minBig(notionalUsd, ceiling) - floor) * (initial ? tiers[i].imBps : tiers[i].mmBps);
  }
  return divCeil(weighted, BPS);
}

/** Maintenance requirement: tiered MM + flat keeper reward. */
export const maintenance = (p: LiqParams, size: bigint, priceWad: bigint) =>
  tieredMargin(p.tiers, notional(size, priceWad), false) + p.keeperReward;

/** Skew fill: price × (1 + (2·skew + Δ)/(2·skewScale)), buys rounded up, sells down. */
export function fill(priceWad: bigint, skew: bigint, delta: bigint, skewScale: bigint): bigint {
  const num = priceWad * (2n * skew + delta);
  const den = 2n * skewScale;
  return priceWad + (delta > 0n ? divCeil(num, den) : divFloor(num, den));
}

export const takerFee = (delta: bigint, fillWad: bigint, feeBps: bigint) =>
  divCeil(abs(delta) * fillWad * feeBps, WAD * BPS);

/** PnL rounded toward −∞. */
export const pnl = (size: bigint, entryWad: bigint, priceWad: bigint) => divFloor(size * (priceWad - entryWad), WAD);

/** Liquidation execution price: the skew fill clamped to [ceil(P·(1−s)), floor(P·(1+s))]. */
export function executionPrice(priceWad: bigint, skew: bigint, closingDelta: bigint, p: LiqParams): bigint {
  const f = fill(priceWad, skew, closingDelta, p.skewScale);
  const lowest = divCeil(priceWad * (BPS - p.maxSlippageBps), BPS);
  const highest = (priceWad * (BPS + p.maxSlippageBps)) / BPS;
  if (f < lowest) return lowest;
  if (f > highest) return highest;
  return f;
}

/** Adverse slippage of the execution against the liquidated trader, in bps rounded up. */
export function adverseSlippageBps(priceWad: bigint, execWad: bigint, closingLong: boolean): bigint {
  let adverse = 0n;
  if (closingLong && execWad < priceWad) adverse = priceWad - execWad;
  if (!closingLong && execWad > priceWad) adverse = execWad - priceWad;
  return divCeil(adverse * BPS, priceWad);
}

/** Penalty on the closed notional at the execution price, rounded up (before the cap). */
export const penaltyOf = (closed: bigint, execWad: bigint, penaltyBps: bigint) =>
  divCeil(abs(closed) * execWad * penaltyBps, WAD * BPS);

/**
 * DESIGN §7 partial size: c ≥ q·[(1+b)(tiered+K) + K − E] / [(1+b)·tiered − cost·n], rounded up; the whole
 * size when E < MM/2 or when no partial close can restore the buffer.
 */
export function partialCloseSizeAbs(
  sizeAbs: bigint,
  equity: bigint,
  tieredMm: bigint,
  keeperReward: bigint,
  notionalUsd: bigint,
  bufferBps: bigint,
  costBps: bigint,
): bigint {
  const mm = tieredMm + keeperReward;
  if (equity * 2n < mm) return sizeAbs;
  const den = (BPS + bufferBps) * tieredMm - notionalUsd * costBps;
  if (den <= 0n) return sizeAbs;
  const num = (BPS + bufferBps) * mm + BPS * keeperReward - BPS * equity;
  if (num <= 0n) return sizeAbs;
  const c = divCeil(sizeAbs * num, den);
  return c >= sizeAbs ? sizeAbs : c;
}

/** rate = clamp(skew/skewScale, ±1) × maxRate (each step truncated); Δindex = rate·price·dt/(1e18·86,400). */
export function fundingIndexAt(
  state: { netSize: bigint; fundingIndexWad: bigint; lastFundingTimestamp: bigint },
  p: LiqParams,
  priceWad: bigint,
  timestamp: bigint,
): bigint {
  const elapsed = timestamp - state.lastFundingTimestamp;
  if (elapsed === 0n) return state.fundingIndexWad;
  let prop = (state.netSize * WAD) / p.skewScale;
  if (prop > WAD) prop = WAD;
  if (prop < -WAD) prop = -WAD;
  const rate = (prop * p.maxFundingRate) / WAD;
  return state.fundingIndexWad + (rate * priceWad * elapsed) / (WAD * SECONDS_PER_DAY);
}

// ───────────────────────────── one liquidation, predicted ─────────────────────────────

export interface PositionState {
  size: bigint;
  entryPriceWad: bigint;
  marginUsd: bigint;
  fundingIndexSnapshotWad: bigint;
  lossIndexSnapshotWad: bigint;
}

export interface MarketStateLike {
  netSize: bigint;
  longOpenInterest: bigint;
  shortOpenInterest: bigint;
  fundingIndexWad: bigint;
  lastFundingTimestamp: bigint;
  longLossIndexWad: bigint;
  shortLossIndexWad: bigint;
}

export interface ExpectedLiquidation {
  liquidatable: boolean;
  indexWad: bigint;
  fundingPaid: bigint;
  lossPaid: bigint;
  settledMargin: bigint;
  equity: bigint;
  mm: bigint;
  partial: boolean;
  closedSize: bigint;
  exec: bigint;
  realized: bigint;
  keeperFromMargin: bigint;
  penalty: bigint;
  keeperPenalty: bigint;
  remainingMargin: bigint;
  deficit: bigint;
  // waterfall, given the fund before
  keeperTopUp: bigint;
  insurancePaid: bigint;
  socialized: bigint;
  fundAfter: bigint;
  keeperCredit: bigint;
  /** Free-balance credit to the trader (remaining margin of a full close). */
  traderCredit: bigint;
  vaultCashDelta: bigint;
  /** Loss index rise of the charged side (0 when nothing socialized). */
  lossIndexDelta: bigint;
  chargedOpenInterest: bigint;
}

const lossIndexOf = (st: MarketStateLike, size: bigint) =>
  size > 0n ? st.longLossIndexWad : size < 0n ? st.shortLossIndexWad : 0n;

/** Prices the close of `closed` and splits what is left: keeper reward first, penalty (capped), trader. */
export function priceClose(
  p: LiqParams,
  pos: PositionState,
  st: MarketStateLike,
  priceWad: bigint,
  settled: bigint,
  closed: bigint,
) {
  const exec = executionPrice(priceWad, st.netSize, -closed, p);
  const realized = pnl(closed, pos.entryPriceWad, exec);
  const after = settled + realized;
  if (after < 0n) {
    return {
      exec,
      realized,
      keeperFromMargin: 0n,
      penalty: 0n,
      keeperPenalty: 0n,
      remainingMargin: 0n,
      deficit: -after,
    };
  }
  let left = after;
  const keeperFromMargin = minBig(left, p.keeperReward);
  left -= keeperFromMargin;
  const penalty = minBig(penaltyOf(closed, exec, p.penaltyBps), left);
  const keeperPenalty = (penalty * p.keeperShareBps) / BPS;
  return { exec, realized, keeperFromMargin, penalty, keeperPenalty, remainingMargin: left - penalty, deficit: 0n };
}

/**
 * What `liquidate` should do at `priceWad` in a block at `timestamp`, with the insurance fund at `fund`:
 * settle funding and socialized loss, check health, choose partial or full, pay keeper, penalty and
 * the waterfall (insurance → ADL (0 for now) → socialized over the opposite side incl. the vault).
 */
export function expectedLiquidation(args: {
  p: LiqParams;
  pos: PositionState;
  st: MarketStateLike;
  priceWad: bigint;
  timestamp: bigint;
  fund: bigint;
}): ExpectedLiquidation {
  const { p, pos, st, priceWad, timestamp, fund } = args;
  const indexWad = fundingIndexAt(st, p, priceWad, timestamp);
  const fundingPaid = divCeil(pos.size * (indexWad - pos.fundingIndexSnapshotWad), WAD);
  const lossPaid = divCeil(abs(pos.size) * (lossIndexOf(st, pos.size) - pos.lossIndexSnapshotWad), WAD);
  const settledMargin = pos.marginUsd - fundingPaid - lossPaid;
  const equity = settledMargin + pnl(pos.size, pos.entryPriceWad, priceWad);
  const mm = maintenance(p, pos.size, priceWad);
  const base = { indexWad, fundingPaid, lossPaid, settledMargin, equity, mm, liquidatable: equity < mm };

  const sizeAbs = abs(pos.size);
  const fullExec = executionPrice(priceWad, st.netSize, -pos.size, p);
  const slip = adverseSlippageBps(priceWad, fullExec, pos.size > 0n);
  const closeAbs = partialCloseSizeAbs(
    sizeAbs,
    equity,
    mm - p.keeperReward,
    p.keeperReward,
    notional(pos.size, priceWad),
    p.bufferBps,
    slip + p.penaltyBps,
  );
  let close = priceClose(p, pos, st, priceWad, settledMargin, pos.size);
  let closedSize = pos.size;
  let partial = false;
  if (closeAbs < sizeAbs) {
    const c = pos.size > 0n ? closeAbs : -closeAbs;
    const pc = priceClose(p, pos, st, priceWad, settledMargin, c);
    const rest = pos.size - c;
    const healthy =
      pc.deficit === 0n &&
      pc.keeperFromMargin === p.keeperReward &&
      pc.remainingMargin >= p.minMargin &&
      pc.remainingMargin + pnl(rest, pos.entryPriceWad, priceWad) >= maintenance(p, rest, priceWad);
    if (healthy) {
      close = pc;
      closedSize = c;
      partial = true;
    }
  }

  // Waterfall (DESIGN §8, §10): keeper top-up first, then insurance, ADL (nothing yet), socialized.
  let fundLeft = fund;
  const shortfall = p.keeperReward - close.keeperFromMargin;
  const keeperTopUp = minBig(shortfall, fundLeft);
  fundLeft -= keeperTopUp;
  const insurancePaid = minBig(close.deficit, fundLeft);
  fundLeft -= insurancePaid;
  const socialized = close.deficit - insurancePaid;
  fundLeft += close.penalty - close.keeperPenalty;

  // Socialized loss over the opposite side as it stood when the position went bankrupt, i.e. before the
  // close: that side's traders plus the vault with the size it held on that side BEFORE taking over the
  // bankrupt position (vault size = −netSize, netSize still including the bankrupt size; no ADL here).
  // The charged side's trader open interest does not hold the bankrupt position, so the close leaves it
  // unchanged. Δindex = ceil(S·1e18 / OI).
  let lossIndexDelta = 0n;
  let chargedOpenInterest = 0n;
  if (socialized > 0n) {
    const chargeLongs = pos.size < 0n;
    const vaultSize = -st.netSize;
    const vaultOnSide = chargeLongs ? (vaultSize > 0n ? vaultSize : 0n) : vaultSize < 0n ? -vaultSize : 0n;
    chargedOpenInterest = (chargeLongs ? st.longOpenInterest : st.shortOpenInterest) + vaultOnSide;
    if (chargedOpenInterest > 0n) lossIndexDelta = divCeil(socialized * WAD, chargedOpenInterest);
  }

  return {
    ...base,
    partial,
    closedSize,
    ...close,
    keeperTopUp,
    insurancePaid,
    socialized,
    fundAfter: fundLeft,
    keeperCredit: close.keeperFromMargin + close.keeperPenalty + keeperTopUp,
    traderCredit: partial ? 0n : close.remainingMargin,
    vaultCashDelta: fundingPaid + lossPaid - close.realized - close.deficit + insurancePaid,
    lossIndexDelta,
    chargedOpenInterest,
  };
}

// ───────────────────────────── chain readers ─────────────────────────────

export async function readPosition(engine: PerpEngine, account: string, marketId: string): Promise<PositionState> {
  const p = await engine.getPosition(account, marketId);
  return {
    size: p.size,
    entryPriceWad: p.entryPriceWad,
    marginUsd: p.marginUsd,
    fundingIndexSnapshotWad: p.fundingIndexSnapshotWad,
    lossIndexSnapshotWad: p.lossIndexSnapshotWad,
  };
}

export async function readMarket(engine: PerpEngine, marketId: string): Promise<MarketStateLike> {
  const s = await engine.getMarketState(marketId);
  return {
    netSize: s.netSize,
    longOpenInterest: s.longOpenInterest,
    shortOpenInterest: s.shortOpenInterest,
    fundingIndexWad: s.fundingIndexWad,
    lastFundingTimestamp: s.lastFundingTimestamp,
    longLossIndexWad: s.longLossIndexWad,
    shortLossIndexWad: s.shortLossIndexWad,
  };
}

/** Pins the next block's timestamp to latest + gap and returns it. */
export async function pinNext(gap = 1n): Promise<bigint> {
  const t = BigInt(await time.latest()) + gap;
  await time.setNextBlockTimestamp(t);
  return t;
}

/** Predicts the liquidation of `account` in the next block (timestamp pinned) at oracle price `priceWad`. */
export async function predictLiquidation(
  engine: PerpEngine,
  p: LiqParams,
  account: string,
  marketId: string,
  priceWad: bigint,
  gap = 1n,
) {
  const pos = await readPosition(engine, account, marketId);
  const st = await readMarket(engine, marketId);
  const fund = await engine.insuranceFund();
  const timestamp = await pinNext(gap);
  return { pos, st, timestamp, ...expectedLiquidation({ p, pos, st, priceWad, timestamp, fund }) };
}

/** Decoded engine events of one transaction, by name. */
export async function engineEvents(engine: PerpEngine, tx: ContractTransactionResponse | { hash: string }) {
  const receipt = await ethers.provider.getTransactionReceipt(tx.hash);
  const out: { name: string; args: Record<string, unknown> & unknown[] }[] = [];
  const engineAddress = (await engine.getAddress()).toLowerCase();
  for (const log of receipt!.logs as (Log | EventLog)[]) {
    if (log.address.toLowerCase() !== engineAddress) continue;
    const parsed = engine.interface.parseLog(log);
    if (parsed) out.push({ name: parsed.name, args: parsed.args as unknown as Record<string, unknown> & unknown[] });
  }
  return out;
}

/** The `lossPaidUsd` field of the `PositionModified` event of `tx` for `account`. */
export async function lossPaidOf(engine: PerpEngine, tx: ContractTransactionResponse, account: string) {
  const evs = (await engineEvents(engine, tx)).filter(
    (e) => e.name === "PositionModified" && (e.args.account as string).toLowerCase() === account.toLowerCase(),
  );
  expect(evs.length, "one PositionModified").to.equal(1);
  return evs[0].args.lossPaidUsd as bigint;
}

/**
 * Asserts `liquidate` did exactly what `e` predicts: the Liquidated event field by field, the stored
 * position, the keeper's and the trader's free balances, the vault's cash and the insurance fund.
 */
export async function expectLiquidationMatches(
  engine: PerpEngine,
  tx: ContractTransactionResponse,
  e: ExpectedLiquidation & { pos: PositionState },
  who: { account: string; keeper: string; marketId: string },
  before: { keeperFree: bigint; traderFree: bigint; vaultCash: bigint },
) {
  await expect(tx)
    .to.emit(engine, "Liquidated")
    .withArgs(
      who.account,
      who.marketId,
      who.keeper,
      e.closedSize,
      e.exec,
      e.pos.size - e.closedSize,
      e.penalty,
      e.keeperCredit,
      e.deficit,
      e.insurancePaid,
      0n,
      e.socialized,
    );
  const after = await engine.getPosition(who.account, who.marketId);
  expect(after.size, "remaining size").to.equal(e.pos.size - e.closedSize);
  expect(after.marginUsd, "remaining margin").to.equal(e.partial ? e.remainingMargin : 0n);
  if (e.partial) expect(after.entryPriceWad, "entry kept").to.equal(e.pos.entryPriceWad);
  expect(await engine.freeBalance(who.keeper), "keeper credit").to.equal(before.keeperFree + e.keeperCredit);
  expect(await engine.freeBalance(who.account), "trader credit").to.equal(before.traderFree + e.traderCredit);
  expect(await engine.vaultCashUsd(), "vault cash").to.equal(before.vaultCash + e.vaultCashDelta);
  expect(await engine.insuranceFund(), "insurance fund").to.equal(e.fundAfter);
}

/**
 * DESIGN §12.1 / PerpEngine NatSpec: balanceOf(engine) × scale == Σ free + Σ margins + vaultCash + fund
 * (+ donated tokens). `accounts` must list every account that holds a free balance or a position.
 */
export async function expectConservation(
  engine: PerpEngine,
  accounts: string[],
  marketIds: string[],
  donatedTokens = 0n,
) {
  const token = await ethers.getContractAt("IERC20", await engine.collateral());
  const scale = await engine.collateralScale();
  const balance = await token.balanceOf(await engine.getAddress());
  let free = 0n;
  let margins = 0n;
  for (const a of new Set(accounts)) {
    free += await engine.freeBalance(a);
    for (const m of marketIds) {
      const pos = await engine.getPosition(a, m);
      margins += pos.marginUsd;
      if (pos.size === 0n) expect(pos.marginUsd, "flat position keeps no margin").to.equal(0n);
    }
  }
  const vaultCash = await engine.vaultCashUsd();
  const fund = await engine.insuranceFund();
  expect(balance * scale, "balanceOf(engine)·scale == Σfree + Σmargin + vaultCash + fund").to.equal(
    free + margins + vaultCash + fund + donatedTokens * scale,
  );
  return { free, margins, vaultCash, fund };
}

/**
 * The smallest margin that opens `q` from flat at oracle price `priceWad` and skew `skew` (maximum
 * leverage): equity without profit after the fee must meet tiered IM + keeper reward (DESIGN §4).
 */
export function minOpenMargin(p: LiqParams, priceWad: bigint, skew: bigint, q: bigint): bigint {
  const f = fill(priceWad, skew, q, p.skewScale);
  const fee = takerFee(q, f, p.takerFeeBps);
  const openPnl = pnl(q, f, priceWad);
  const required = tieredMargin(p.tiers, notional(q, priceWad), true) + p.keeperReward;
  const margin = required + fee - (openPnl < 0n ? openPnl : 0n);
  return margin > p.minMargin + fee ? margin : p.minMargin + fee;
}
