// Test-side reference math and helpers for the engine and vault tests (test/engine, test/vault).
//
// The functions below re-derive every expected value from the formulas documented in DESIGN.md §3–5 and
// the NatSpec of contracts/libraries/PositionMath.sol, with plain bigint arithmetic written for the tests
// (they do not import the SDK or call the contracts), so a contract that rounds the wrong way fails.
import { expect } from "chai";
import { ethers, network } from "hardhat";
import { time } from "@nomicfoundation/hardhat-network-helpers";
import type { ContractTransactionResponse, EventLog, Log, Signer } from "ethers";
import type { PerpEngine } from "../../typechain-types";
import { PerpEngine__factory } from "../../typechain-types";
import { deployEngineLibraries } from "../../deploy/deploySystem";

export const WAD = 10n ** 18n;
export const BPS = 10_000n;
export const SECONDS_PER_DAY = 86_400n;

// ───────────────────────────── deployment ─────────────────────────────

/** Fully qualified name of the external library PerpEngine links against (see deploy/deploySystem.ts). */
export const LIQUIDATION_LOGIC_FQN = "contracts/liquidation/LiquidationLogic.sol:LiquidationLogic";

/**
 * A PerpEngine factory linked to a freshly deployed LiquidationLogic library, for tests that deploy an
 * engine outside `deploySystem` (e.g. over an unusual collateral token). Defaults to the first signer.
 */
export async function linkedPerpEngineFactory(signer?: Signer): Promise<PerpEngine__factory> {
  const deployer = signer ?? (await ethers.getSigners())[0];
  return new PerpEngine__factory(await deployEngineLibraries(deployer), deployer);
}

/** Deploys a bare PerpEngine (no vault, no markets) over `collateral`, with its library linked. */
export async function deployPerpEngine(collateral: string, admin: string, signer?: Signer): Promise<PerpEngine> {
  const factory = await linkedPerpEngineFactory(signer);
  return (await factory.deploy(collateral, admin)).waitForDeployment();
}

// ───────────────────────────── integer helpers ─────────────────────────────

/** floor(a / b) for b > 0 (toward −∞). BigInt `/` truncates toward zero. */
export function divFloor(a: bigint, b: bigint): bigint {
  if (b <= 0n) throw new Error("divFloor: b must be > 0");
  const q = a / b;
  return a % b !== 0n && a < 0n ? q - 1n : q;
}

/** ceil(a / b) for b > 0 (toward +∞). */
export function divCeil(a: bigint, b: bigint): bigint {
  if (b <= 0n) throw new Error("divCeil: b must be > 0");
  const q = a / b;
  return a % b !== 0n && a > 0n ? q + 1n : q;
}

/** Truncating division (toward zero), as Solidity's `/`. */
export function divTrunc(a: bigint, b: bigint): bigint {
  return a / b;
}

export function abs(x: bigint): bigint {
  return x < 0n ? -x : x;
}

export function minBig(a: bigint, b: bigint): bigint {
  return a < b ? a : b;
}

// ───────────────────────────── documented formulas ─────────────────────────────

/**
 * fill = price × (1 + (skewBefore + skewAfter) / (2·skewScale)); skewAfter = skewBefore + Δ.
 * The adjustment price·(2·skew + Δ)/(2·skewScale) rounds up for buys and down for sells.
 */
export function expectedFill(priceWad: bigint, skewBefore: bigint, sizeDelta: bigint, skewScale: bigint): bigint {
  const numerator = priceWad * (skewBefore + (skewBefore + sizeDelta));
  const denominator = 2n * skewScale;
  const adjustment = sizeDelta > 0n ? divCeil(numerator, denominator) : divFloor(numerator, denominator);
  return priceWad + adjustment;
}

/** fee = |Δ| · fill · bps / 10,000, rounded up (USD 1e18). */
export function expectedFee(sizeDelta: bigint, fillWad: bigint, feeBps: bigint): bigint {
  return divCeil(abs(sizeDelta) * fillWad * feeBps, WAD * BPS);
}

/** Share of a fee credited to the insurance fund, rounded down. */
export function expectedInsuranceShare(feeUsd: bigint, shareBps: bigint): bigint {
  return (feeUsd * shareBps) / BPS;
}

/** PnL of `size` entered at `entry` marked at `price`, rounded down (toward −∞). */
export function expectedPnl(size: bigint, entryWad: bigint, priceWad: bigint): bigint {
  return divFloor(size * (priceWad - entryWad), WAD);
}

/** Funding owed since a snapshot (+ = the position pays), rounded up (toward +∞). */
export function expectedFundingOwed(size: bigint, indexWad: bigint, snapshotWad: bigint): bigint {
  return divCeil(size * (indexWad - snapshotWad), WAD);
}

/**
 * Socialized loss owed by a position since its snapshot of its side's loss index, rounded up (the position
 * pays at least its exact share): |size| × (sideIndex − snapshot) / 1e18. 0 for an empty position.
 */
export function expectedLossOwed(size: bigint, sideLossIndexWad: bigint, snapshotWad: bigint): bigint {
  if (size === 0n) return 0n;
  return divCeil(abs(size) * (sideLossIndexWad - snapshotWad), WAD);
}

/** The loss index of the side `size` is on (longs: the long index; shorts: the short index; flat: 0). */
export function sideLossIndex(size: bigint, lossIndexes: { longLossIndexWad: bigint; shortLossIndexWad: bigint }) {
  if (size > 0n) return lossIndexes.longLossIndexWad;
  if (size < 0n) return lossIndexes.shortLossIndexWad;
  return 0n;
}

/** |size| × price rounded up. */
export function expectedNotional(size: bigint, priceWad: bigint): bigint {
  return divCeil(abs(size) * priceWad, WAD);
}

export interface Tier {
  floorUsd: bigint;
  imBps: bigint;
  mmBps: bigint;
}

/** The local config's default tiers (deploy/config.ts DEFAULT_TIERS), restated. */
export const DEFAULT_TIERS: Tier[] = [
  { floorUsd: 0n, imBps: 500n, mmBps: 250n },
  { floorUsd: 1_000_000n * WAD, imBps: 1_000n, mmBps: 500n },
  { floorUsd: 5_000_000n * WAD, imBps: 2_000n, mmBps: 1_000n },
];

/** Progressive (marginal) tiered margin, rounded up. */
export function expectedTieredMargin(tiers: Tier[], notionalUsd: bigint, initial: boolean): bigint {
  let weighted = 0n;
  for (let i = 0; i < tiers.length; i++) {
    const floor = tiers[i].floorUsd;
    if (notionalUsd <= floor) break;
    const ceiling = i + 1 < tiers.length ? tiers[i + 1].floorUsd : notionalUsd;
    const portion = (notionalUsd < ceiling ? notionalUsd : ceiling) - floor;
    weighted += portion * (initial ? tiers[i].imBps : tiers[i].mmBps);
  }
  return divCeil(weighted, BPS);
}

/** Initial requirement (tiered IM + keeper reward) of a position of `size` at `price`. */
export function expectedInitialRequirement(
  size: bigint,
  priceWad: bigint,
  keeperReward: bigint,
  tiers = DEFAULT_TIERS,
) {
  return expectedTieredMargin(tiers, expectedNotional(size, priceWad), true) + keeperReward;
}

/** Maintenance requirement (tiered MM + keeper reward) of a position of `size` at `price`. */
export function expectedMaintenanceRequirement(
  size: bigint,
  priceWad: bigint,
  keeperReward: bigint,
  tiers = DEFAULT_TIERS,
) {
  return expectedTieredMargin(tiers, expectedNotional(size, priceWad), false) + keeperReward;
}

/** rate = clamp(skew / skewScale, −1, 1) · maxRate, each step truncated toward zero. */
export function expectedFundingRate(skew: bigint, skewScale: bigint, maxRatePerDayWad: bigint): bigint {
  let proportional = divTrunc(skew * WAD, skewScale);
  if (proportional > WAD) proportional = WAD;
  if (proportional < -WAD) proportional = -WAD;
  return divTrunc(proportional * maxRatePerDayWad, WAD);
}

/** Δindex = rate · price · elapsed / (1e18 · 86,400), truncated toward zero. */
export function expectedFundingIndexDelta(ratePerDayWad: bigint, priceWad: bigint, elapsed: bigint): bigint {
  return divTrunc(ratePerDayWad * priceWad * elapsed, WAD * SECONDS_PER_DAY);
}

/** Size-weighted entry after adding `added` (same sign) at `fill`: longs round up, shorts down. */
export function expectedIncreasedEntry(size: bigint, entryWad: bigint, added: bigint, fillWad: bigint): bigint {
  const weighted = abs(size) * entryWad + abs(added) * fillWad;
  const total = abs(size) + abs(added);
  return added > 0n ? divCeil(weighted, total) : weighted / total;
}

// ───────────────────────────── market parameters ─────────────────────────────

export interface RiskParams {
  minMargin: bigint;
  keeperReward: bigint;
  maxOi: bigint;
  skewScale: bigint;
  maxFundingRate: bigint;
  takerFeeBps: bigint;
  insuranceShareBps: bigint;
  maxVaultExposureBps: bigint;
}

/** The documented local ETH-USD defaults (deploy/config.ts), restated so tests do not trust the chain. */
export const ETH_DEFAULTS: RiskParams = {
  minMargin: 10n * WAD,
  keeperReward: 2n * WAD,
  maxOi: 10_000n * WAD,
  skewScale: 100_000n * WAD,
  maxFundingRate: WAD / 10n,
  takerFeeBps: 5n,
  insuranceShareBps: 2_000n,
  maxVaultExposureBps: 5_000n,
};

// ───────────────────────────── chain helpers ─────────────────────────────

/** Pins the next block's timestamp to latest + `gap` and returns it. */
export async function pinNextTimestamp(gap = 1n): Promise<bigint> {
  const t = BigInt(await time.latest()) + gap;
  await time.setNextBlockTimestamp(t);
  return t;
}

/** Timestamp of the block that mined `tx`. */
export async function txTimestamp(tx: ContractTransactionResponse): Promise<bigint> {
  const receipt = await tx.wait();
  const block = await ethers.provider.getBlock(receipt!.blockNumber);
  return BigInt(block!.timestamp);
}

/** The funding index the engine should hold after an accrual at `atTimestamp` from `stateBefore`. */
export function expectedIndexAt(
  stateBefore: { netSize: bigint; fundingIndexWad: bigint; lastFundingTimestamp: bigint },
  params: Pick<RiskParams, "skewScale" | "maxFundingRate">,
  priceWad: bigint,
  atTimestamp: bigint,
): bigint {
  const elapsed = atTimestamp - stateBefore.lastFundingTimestamp;
  if (elapsed === 0n) return stateBefore.fundingIndexWad;
  const rate = expectedFundingRate(stateBefore.netSize, params.skewScale, params.maxFundingRate);
  return stateBefore.fundingIndexWad + expectedFundingIndexDelta(rate, priceWad, elapsed);
}

/** Decoded `PositionModified` events of a transaction. */
export async function positionModifiedEvents(engine: PerpEngine, tx: ContractTransactionResponse) {
  const receipt = await tx.wait();
  const out = [];
  for (const log of receipt!.logs as (Log | EventLog)[]) {
    let parsed;
    try {
      parsed = engine.interface.parseLog(log);
    } catch {
      continue;
    }
    if (parsed && parsed.name === "PositionModified") {
      const a = parsed.args;
      out.push({
        account: a.account as string,
        marketId: a.marketId as string,
        sizeDelta: a.sizeDelta as bigint,
        fillPriceWad: a.fillPriceWad as bigint,
        feeUsd: a.feeUsd as bigint,
        realizedPnlUsd: a.realizedPnlUsd as bigint,
        fundingPaidUsd: a.fundingPaidUsd as bigint,
        lossPaidUsd: a.lossPaidUsd as bigint,
        marginDeltaUsd: a.marginDeltaUsd as bigint,
        newSize: a.newSize as bigint,
        newMarginUsd: a.newMarginUsd as bigint,
      });
    }
  }
  return out;
}

/** Runs `body` with views evaluated in a block mined at `t`, then rewinds the chain. */
export async function viewsAt<T>(t: bigint, body: () => Promise<T>): Promise<T> {
  const snapshot = await network.provider.send("evm_snapshot", []);
  try {
    await network.provider.send("evm_mine", [Number(t)]);
    return await body();
  } finally {
    await network.provider.send("evm_revert", [snapshot]);
  }
}

// ───────────────────────────── accounting identity ─────────────────────────────

export interface ConservationInput {
  engine: PerpEngine;
  /** Every account that ever held a free balance or a position (traders; the vault's cash is separate). */
  accounts: string[];
  /** Every listed market id. */
  marketIds: string[];
  /** Tokens sent to the engine outside `deposit`/`vaultDeposit` (native units): they show up only as surplus. */
  donatedTokens?: bigint;
}

/**
 * DESIGN §12.1 / PerpEngine's NatSpec: balanceOf(engine) × collateralScale ==
 * Σ free balances + Σ position margins + vaultCashUsd + insuranceFund() + donations × collateralScale.
 * `accounts` must include every account credited by the engine: traders, and keepers once liquidations
 * pay rewards into free balances. Insurance-fund donations (`donateToInsurance`) are part of
 * `insuranceFund()`, not of `donatedTokens`. Also checks that a flat position keeps no margin and no
 * snapshots. Returns the breakdown for further assertions.
 */
export async function assertConservation({ engine, accounts, marketIds, donatedTokens = 0n }: ConservationInput) {
  const collateral = await ethers.getContractAt("IERC20", await engine.collateral());
  const scale = await engine.collateralScale();
  const tokenBalance = await collateral.balanceOf(await engine.getAddress());
  let free = 0n;
  let margins = 0n;
  for (const account of accounts) {
    free += await engine.freeBalance(account);
    for (const marketId of marketIds) {
      const p = await engine.getPosition(account, marketId);
      margins += p.marginUsd;
      if (p.size === 0n) {
        expect(p.marginUsd, "a closed position keeps no margin").to.equal(0n);
        expect(p.entryPriceWad, "a closed position keeps no entry price").to.equal(0n);
        expect(p.fundingIndexSnapshotWad, "a closed position keeps no funding snapshot").to.equal(0n);
        expect(p.lossIndexSnapshotWad, "a closed position keeps no loss snapshot").to.equal(0n);
      }
    }
  }
  const vaultCash = await engine.vaultCashUsd();
  const insurance = await engine.insuranceFund();
  const lhs = tokenBalance * scale;
  const rhs = free + margins + vaultCash + insurance + donatedTokens * scale;
  expect(lhs, "balanceOf(engine)·scale == Σfree + Σmargin + vaultCash + insurance + donations").to.equal(rhs);
  return { tokenBalance, scale, free, margins, vaultCash, insurance };
}

/**
 * The vault's implied position value in one market, computed from the traders' stored positions:
 * floor((Σ size·(entry − price) + Σ size·(index − snapshot) + Σ |size|·(sideLossIndex − lossSnapshot)) / 1e18)
 * (MarketLogic.vaultMarketValueUsd). The last term is the socialized loss traders owe the vault and have not
 * settled. Also returns the three parts exact (1e36-scaled) so callers can separate PnL, funding and loss.
 * `lossIndexes` defaults to the market's stored loss indexes (they only move when a loss is socialized, and
 * nothing accrues them over time); pass them to check against independently expected indexes.
 */
export async function vaultMarketValue(
  engine: PerpEngine,
  marketId: string,
  traders: string[],
  priceWad: bigint,
  indexWad: bigint,
  lossIndexes?: { longLossIndexWad: bigint; shortLossIndexWad: bigint },
) {
  const indexes = lossIndexes ?? (await engine.getMarketState(marketId));
  let pnl36 = 0n;
  let funding36 = 0n;
  let loss36 = 0n;
  for (const t of traders) {
    const p = await engine.getPosition(t, marketId);
    if (p.size === 0n) continue;
    pnl36 += p.size * (p.entryPriceWad - priceWad);
    funding36 += p.size * (indexWad - p.fundingIndexSnapshotWad);
    loss36 += abs(p.size) * (sideLossIndex(p.size, indexes) - p.lossIndexSnapshotWad);
  }
  return { valueUsd: divFloor(pnl36 + funding36 + loss36, WAD), pnl36, funding36, loss36 };
}

// ───────────────────────────── one owner action, predicted ─────────────────────────────

export interface StoredPosition {
  size: bigint;
  entryPriceWad: bigint;
  marginUsd: bigint;
  fundingIndexSnapshotWad: bigint;
  /** The position's snapshot of its side's socialized-loss index (0 when omitted). */
  lossIndexSnapshotWad?: bigint;
}

export interface StoredMarketState {
  netSize: bigint;
  fundingIndexWad: bigint;
  lastFundingTimestamp: bigint;
  /** Socialized-loss index charged to longs (0 when omitted). */
  longLossIndexWad?: bigint;
  /** Socialized-loss index charged to shorts (0 when omitted). */
  shortLossIndexWad?: bigint;
}

export interface ExpectedAction {
  indexWad: bigint;
  fundingPaid: bigint;
  /** Socialized loss settled from the margin (always ≥ 0). */
  lossPaid: bigint;
  fill: bigint;
  fee: bigint;
  insuranceFee: bigint;
  realizedPnl: bigint;
  openedSize: bigint;
  newSize: bigint;
  newEntry: bigint;
  /** Margin of the position after the action, before a full close releases it (may be negative). */
  marginAfter: bigint;
  /** Stored margin after the action (0 once closed). */
  newMargin: bigint;
  /** Stored loss-index snapshot after the action: the new side's index (0 once closed). */
  newLossSnapshot: bigint;
  /** Change of the caller's free balance. */
  freeDelta: bigint;
  /** Change of vaultCashUsd. */
  vaultCashDelta: bigint;
}

/**
 * What `modifyPosition(sizeDelta, marginDelta)` should do at `timestamp` and oracle price `priceWad`,
 * from the documented rules: accrue funding, settle the position's funding and socialized loss, move margin
 * in, trade against the vault at the skew-adjusted fill (closing first at the old entry, opening the rest),
 * move margin out. Owner actions never move the loss indexes; they only settle against them.
 */
export function expectedAction(args: {
  pos: StoredPosition;
  state: StoredMarketState;
  params: RiskParams;
  priceWad: bigint;
  timestamp: bigint;
  sizeDelta: bigint;
  marginDelta: bigint;
}): ExpectedAction {
  const { pos, state, params, priceWad, timestamp, sizeDelta, marginDelta } = args;
  const lossIndexes = {
    longLossIndexWad: state.longLossIndexWad ?? 0n,
    shortLossIndexWad: state.shortLossIndexWad ?? 0n,
  };
  const indexWad = expectedIndexAt(state, params, priceWad, timestamp);
  const fundingPaid = expectedFundingOwed(pos.size, indexWad, pos.fundingIndexSnapshotWad);
  const lossPaid = expectedLossOwed(pos.size, sideLossIndex(pos.size, lossIndexes), pos.lossIndexSnapshotWad ?? 0n);
  let margin = pos.marginUsd - fundingPaid - lossPaid + (marginDelta > 0n ? marginDelta : 0n);
  let fill = 0n;
  let fee = 0n;
  let insuranceFee = 0n;
  let realizedPnl = 0n;
  let openedSize = 0n;
  let newEntry = pos.entryPriceWad;
  if (sizeDelta !== 0n) {
    fill = expectedFill(priceWad, state.netSize, sizeDelta, params.skewScale);
    fee = expectedFee(sizeDelta, fill, params.takerFeeBps);
    insuranceFee = expectedInsuranceShare(fee, params.insuranceShareBps);
    let closed = 0n;
    if (pos.size !== 0n && pos.size > 0n !== sizeDelta > 0n) {
      closed = abs(sizeDelta) >= abs(pos.size) ? pos.size : -sizeDelta;
      realizedPnl = expectedPnl(closed, pos.entryPriceWad, fill);
    }
    openedSize = sizeDelta + closed;
    const remaining = pos.size - closed;
    if (openedSize === 0n) newEntry = remaining === 0n ? 0n : pos.entryPriceWad;
    else if (remaining === 0n) newEntry = fill;
    else newEntry = expectedIncreasedEntry(pos.size, pos.entryPriceWad, openedSize, fill);
    margin += realizedPnl - fee;
  }
  if (marginDelta < 0n) margin += marginDelta;
  const newSize = pos.size + sizeDelta;
  const closedOut = newSize === 0n;
  return {
    indexWad,
    fundingPaid,
    lossPaid,
    fill,
    fee,
    insuranceFee,
    realizedPnl,
    openedSize,
    newSize,
    newEntry: closedOut ? 0n : newEntry,
    marginAfter: margin,
    newMargin: closedOut ? 0n : margin,
    newLossSnapshot: sideLossIndex(newSize, lossIndexes),
    // Margin in debits the free balance, margin out credits it, a full close releases what is left.
    freeDelta: -marginDelta + (closedOut ? margin : 0n),
    // The vault books the funding and loss the position settled, its share of the fee, minus the PnL paid.
    vaultCashDelta: fundingPaid + lossPaid + fee - insuranceFee - realizedPnl,
  };
}

/** Reads the stored position and market state an action starts from. */
export async function readStart(engine: PerpEngine, account: string, marketId: string) {
  const p = await engine.getPosition(account, marketId);
  const st = await engine.getMarketState(marketId);
  const pos: StoredPosition = {
    size: p.size,
    entryPriceWad: p.entryPriceWad,
    marginUsd: p.marginUsd,
    fundingIndexSnapshotWad: p.fundingIndexSnapshotWad,
    lossIndexSnapshotWad: p.lossIndexSnapshotWad,
  };
  const state: StoredMarketState = {
    netSize: st.netSize,
    fundingIndexWad: st.fundingIndexWad,
    lastFundingTimestamp: st.lastFundingTimestamp,
    longLossIndexWad: st.longLossIndexWad,
    shortLossIndexWad: st.shortLossIndexWad,
  };
  return { pos, state };
}

/** Predicts an action for the next block (timestamp pinned to latest + `gap`). */
export async function predictNext(
  engine: PerpEngine,
  account: string,
  marketId: string,
  params: RiskParams,
  priceWad: bigint,
  sizeDelta: bigint,
  marginDelta: bigint,
  gap = 1n,
) {
  const { pos, state } = await readStart(engine, account, marketId);
  const timestamp = await pinNextTimestamp(gap);
  return {
    pos,
    state,
    timestamp,
    ...expectedAction({ pos, state, params, priceWad, timestamp, sizeDelta, marginDelta }),
  };
}

/** A signer-like object with an address (ethers HardhatEthersSigner). */
type Caller = Parameters<PerpEngine["connect"]>[0] & { address: string };

/**
 * Sends `modifyPosition` (or `closePosition` when `close` is set) in a block pinned to latest + `gap`
 * and checks every observable effect against `expectedAction`: the `PositionModified` and
 * `InsuranceFeeCredited` events, the stored position (loss snapshot included), the free balance, the
 * vault's cash, the insurance fund, the market's funding index and clock, its open interest and
 * loss-snapshot aggregates, and its loss indexes (unchanged). Returns the prediction and the transaction.
 */
export async function act(
  engine: PerpEngine,
  caller: Caller,
  marketId: string,
  params: RiskParams,
  priceWad: bigint,
  sizeDelta: bigint,
  marginDelta: bigint,
  opts: { acceptablePrice?: bigint; close?: boolean; gap?: bigint } = {},
) {
  const account = caller.address;
  const freeBefore = await engine.freeBalance(account);
  const cashBefore = await engine.vaultCashUsd();
  const insuranceBefore = await engine.insuranceFund();
  const stateBefore = await engine.getMarketState(marketId);
  const e = await predictNext(engine, account, marketId, params, priceWad, sizeDelta, marginDelta, opts.gap);
  const acceptable = opts.acceptablePrice ?? (sizeDelta >= 0n ? ethers.MaxUint256 : 0n);
  const tx = opts.close
    ? await engine.connect(caller).closePosition(marketId, acceptable)
    : await engine.connect(caller).modifyPosition(marketId, sizeDelta, marginDelta, acceptable);
  expect(await txTimestamp(tx)).to.equal(e.timestamp);
  await expect(tx)
    .to.emit(engine, "PositionModified")
    .withArgs(
      account,
      marketId,
      sizeDelta,
      e.fill,
      e.fee,
      e.realizedPnl,
      e.fundingPaid,
      e.lossPaid,
      marginDelta,
      e.newSize,
      e.newMargin,
    );
  if (e.insuranceFee > 0n) {
    await expect(tx)
      .to.emit(engine, "InsuranceFeeCredited")
      .withArgs(marketId, e.insuranceFee, insuranceBefore + e.insuranceFee);
  } else {
    await expect(tx).not.to.emit(engine, "InsuranceFeeCredited");
  }
  const p = await engine.getPosition(account, marketId);
  expect(p.size, "size").to.equal(e.newSize);
  expect(p.entryPriceWad, "entry").to.equal(e.newEntry);
  expect(p.marginUsd, "margin").to.equal(e.newMargin);
  expect(p.fundingIndexSnapshotWad, "funding snapshot").to.equal(e.newSize === 0n ? 0n : e.indexWad);
  expect(p.lossIndexSnapshotWad, "loss snapshot").to.equal(e.newLossSnapshot);
  expect(await engine.freeBalance(account), "free balance").to.equal(freeBefore + e.freeDelta);
  expect(await engine.vaultCashUsd(), "vault cash").to.equal(cashBefore + e.vaultCashDelta);
  expect(await engine.insuranceFund(), "insurance fund").to.equal(insuranceBefore + e.insuranceFee);
  const st = await engine.getMarketState(marketId);
  expect(st.fundingIndexWad, "funding index").to.equal(e.indexWad);
  expect(st.lastFundingTimestamp, "funding clock").to.equal(e.timestamp);
  expect(st.netSize, "net size").to.equal(e.state.netSize + sizeDelta);
  // Open interest and Σ |size|·lossSnapshot per side: the old position leaves its side, the new one joins.
  const oldSnapshot = e.pos.lossIndexSnapshotWad ?? 0n;
  const long = (x: bigint) => (x > 0n ? x : 0n);
  const short = (x: bigint) => (x < 0n ? -x : 0n);
  expect(st.longOpenInterest, "long OI").to.equal(stateBefore.longOpenInterest - long(e.pos.size) + long(e.newSize));
  expect(st.shortOpenInterest, "short OI").to.equal(
    stateBefore.shortOpenInterest - short(e.pos.size) + short(e.newSize),
  );
  expect(st.sumLongSizeTimesLossSnapshot, "Σ long size·loss snapshot").to.equal(
    stateBefore.sumLongSizeTimesLossSnapshot - long(e.pos.size) * oldSnapshot + long(e.newSize) * e.newLossSnapshot,
  );
  expect(st.sumShortSizeTimesLossSnapshot, "Σ short size·loss snapshot").to.equal(
    stateBefore.sumShortSizeTimesLossSnapshot - short(e.pos.size) * oldSnapshot + short(e.newSize) * e.newLossSnapshot,
  );
  expect(st.longLossIndexWad, "long loss index").to.equal(stateBefore.longLossIndexWad);
  expect(st.shortLossIndexWad, "short loss index").to.equal(stateBefore.shortLossIndexWad);
  return { tx, e };
}
