// Test-side reference math and helpers, shared by every test directory (engine, vault, liquidation, ADL,
// governance): the one place where the documented formulas are restated for expected values.
//
// The functions below re-derive every expected value from the formulas documented in DESIGN.md §3–10 and
// the NatSpec of contracts/libraries/PositionMath.sol, with plain bigint arithmetic written for the tests
// (they do not import the SDK or call the contracts), so a contract that rounds the wrong way fails.
import { expect } from "chai";
import { ethers, network } from "hardhat";
import { time } from "@nomicfoundation/hardhat-network-helpers";
import { parseUnits } from "ethers";
import type { ContractTransactionReceipt, ContractTransactionResponse, EventLog, Log, Signer } from "ethers";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import type { PerpEngine } from "../../typechain-types";
import { PerpEngine__factory } from "../../typechain-types";
import type { MarketParamsStruct } from "../../typechain-types/contracts/PerpEngine";
import { deployEngineLibraries } from "../../deploy/deploySystem";
import { LOCAL_CONFIG, type MarketDeployConfig, type SystemDeployConfig } from "../../deploy/config";
import { ANY_BUY_PRICE, ANY_SELL_PRICE, deployWith, ETH } from "./fixtures";

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
  vaultReserveBps: bigint;
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
  vaultReserveBps: 1_250n,
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
  const escrowed = await engine.escrowedOrdersUsd();
  const lhs = tokenBalance * scale;
  const rhs = free + margins + vaultCash + insurance + escrowed + donatedTokens * scale;
  expect(
    lhs,
    "balanceOf(engine)·scale == Σfree + Σmargin + vaultCash + insurance + escrowed orders + donations",
  ).to.equal(rhs);
  return { tokenBalance, scale, free, margins, vaultCash, insurance, escrowed };
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
  const positions = [];
  for (const t of traders) positions.push(await engine.getPosition(t, marketId));
  return vaultMarketValueParts(positions, priceWad, {
    fundingIndexWad: indexWad,
    longLossIndexWad: indexes.longLossIndexWad,
    shortLossIndexWad: indexes.shortLossIndexWad,
  });
}

/** The funding index and both sides' socialized-loss indexes of a market at one moment (1e18). */
export interface MarketIndexes {
  fundingIndexWad: bigint;
  longLossIndexWad: bigint;
  shortLossIndexWad: bigint;
}

/**
 * `vaultMarketValue` over given positions (pure, no chain reads): the value and its three exact parts
 * (1e36-scaled). Flat positions contribute nothing.
 */
export function vaultMarketValueParts(
  positions: Iterable<Omit<PositionState, "marginUsd">>,
  priceWad: bigint,
  indexes: MarketIndexes,
) {
  let pnl36 = 0n;
  let funding36 = 0n;
  let loss36 = 0n;
  for (const p of positions) {
    if (p.size === 0n) continue;
    pnl36 += p.size * (p.entryPriceWad - priceWad);
    funding36 += p.size * (indexes.fundingIndexWad - p.fundingIndexSnapshotWad);
    loss36 += abs(p.size) * (sideLossIndex(p.size, indexes) - p.lossIndexSnapshotWad);
  }
  return { valueUsd: divFloor(pnl36 + funding36 + loss36, WAD), pnl36, funding36, loss36 };
}

/** The vault's value in one market from the positions it trades against (DESIGN §4), rounded down. */
export function expectedVaultMarketValue(
  positions: Iterable<Omit<PositionState, "marginUsd">>,
  priceWad: bigint,
  indexes: MarketIndexes,
): bigint {
  return vaultMarketValueParts(positions, priceWad, indexes).valueUsd;
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
  const pos: StoredPosition = await readPosition(engine, account, marketId);
  const st = await engine.getMarketState(marketId);
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
      e.newEntry,
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

// ───────────────────────────── chain readers ─────────────────────────────

/** A stored position with plain bigint fields (every field of `getPosition`). */
export interface PositionState {
  size: bigint;
  entryPriceWad: bigint;
  marginUsd: bigint;
  fundingIndexSnapshotWad: bigint;
  lossIndexSnapshotWad: bigint;
}

/** The parts of a market's stored state the liquidation model reads. */
export interface MarketStateSnapshot {
  netSize: bigint;
  longOpenInterest: bigint;
  shortOpenInterest: bigint;
  fundingIndexWad: bigint;
  lastFundingTimestamp: bigint;
  longLossIndexWad: bigint;
  shortLossIndexWad: bigint;
}

/** `getPosition` as a plain object. */
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

/** `getMarketState` as a plain object (the fields of `MarketStateSnapshot`). */
export async function readMarket(engine: PerpEngine, marketId: string): Promise<MarketStateSnapshot> {
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

/**
 * `assertConservation` in positional form over the DISTINCT `accounts` (an account listed twice is counted
 * once), for callers that build their account lists from overlapping groups.
 */
export async function expectConservation(
  engine: PerpEngine,
  accounts: string[],
  marketIds: string[],
  donatedTokens = 0n,
) {
  return assertConservation({ engine, accounts: [...new Set(accounts)], marketIds, donatedTokens });
}

// ───────────────────────────── events ─────────────────────────────

export type EngineEventArgs = Record<string, unknown> & unknown[];

/**
 * The engine's decoded events of one mined transaction, in log order: logs of the engine's address only
 * (library events arrive there through DELEGATECALL); logs whose topic is not in the engine's ABI are skipped.
 * Accepts a transaction response (awaited), a receipt, or anything with the hash of a mined transaction.
 */
export async function engineEvents(
  engine: PerpEngine,
  tx: ContractTransactionResponse | ContractTransactionReceipt | { hash: string },
): Promise<{ name: string; args: EngineEventArgs }[]> {
  const receipt =
    "logs" in tx
      ? tx
      : "wait" in tx && typeof tx.wait === "function"
        ? await tx.wait()
        : await ethers.provider.getTransactionReceipt(tx.hash);
  const engineAddress = (await engine.getAddress()).toLowerCase();
  const out: { name: string; args: EngineEventArgs }[] = [];
  for (const log of receipt!.logs as (Log | EventLog)[]) {
    if (log.address.toLowerCase() !== engineAddress) continue;
    const parsed = engine.interface.parseLog(log);
    if (parsed) out.push({ name: parsed.name, args: parsed.args as unknown as EngineEventArgs });
  }
  return out;
}

/** The arguments of the engine's events named `name` in a transaction, in log order. */
export async function engineEventArgs(
  engine: PerpEngine,
  tx: ContractTransactionResponse | ContractTransactionReceipt | { hash: string },
  name: string,
): Promise<EngineEventArgs[]> {
  return (await engineEvents(engine, tx)).filter((e) => e.name === name).map((e) => e.args);
}

/** The `lossPaidUsd` field of the one `PositionModified` event of `tx` for `account`. */
export async function lossPaidOf(engine: PerpEngine, tx: ContractTransactionResponse, account: string) {
  const evs = (await engineEventArgs(engine, tx, "PositionModified")).filter(
    (a) => (a.account as string).toLowerCase() === account.toLowerCase(),
  );
  expect(evs.length, "one PositionModified").to.equal(1);
  return evs[0].lossPaidUsd as bigint;
}

/** The `Deleveraged` events of a transaction, typed. */
export async function deleveragedEvents(engine: PerpEngine, tx: ContractTransactionResponse) {
  return (await engineEventArgs(engine, tx, "Deleveraged")).map((a) => ({
    account: a.account as string,
    marketId: a.marketId as string,
    size: a.size as bigint,
    priceWad: a.priceWad as bigint,
    realizedPnlUsd: a.realizedPnlUsd as bigint,
    fundingPaidUsd: a.fundingPaidUsd as bigint,
    lossPaidUsd: a.lossPaidUsd as bigint,
    newSize: a.newSize as bigint,
    newMarginUsd: a.newMarginUsd as bigint,
  }));
}

/** The one `Liquidated` event of a transaction, typed. */
export async function liquidatedEvent(engine: PerpEngine, tx: ContractTransactionResponse) {
  const all = await engineEventArgs(engine, tx, "Liquidated");
  expect(all.length, "one Liquidated event").to.equal(1);
  const a = all[0];
  return {
    closedSize: a.closedSize as bigint,
    executionPriceWad: a.executionPriceWad as bigint,
    remainingSize: a.remainingSize as bigint,
    penaltyUsd: a.penaltyUsd as bigint,
    keeperRewardUsd: a.keeperRewardUsd as bigint,
    deficitUsd: a.deficitUsd as bigint,
    insurancePaidUsd: a.insurancePaidUsd as bigint,
    adlPaidUsd: a.adlPaidUsd as bigint,
    vaultPaidUsd: a.vaultPaidUsd as bigint,
    socializedUsd: a.socializedUsd as bigint,
    remainingMarginUsd: a.remainingMarginUsd as bigint,
  };
}

// ───────────────────────────── liquidation formulas (DESIGN §7, §8, §10) ─────────────────────────────

/** Market parameters the liquidation model reads: the trading ones plus penalty, buffer and tiers. */
export interface LiquidationParams extends RiskParams {
  penaltyBps: bigint;
  keeperShareBps: bigint;
  bufferBps: bigint;
  tiers: Tier[];
}

/** The documented local ETH-USD defaults (DESIGN §4, §7; deploy/config.ts), liquidation settings included. */
export const ETH_LIQUIDATION_DEFAULTS: LiquidationParams = {
  ...ETH_DEFAULTS,
  penaltyBps: 100n,
  keeperShareBps: 2_500n,
  bufferBps: 2_500n,
  tiers: DEFAULT_TIERS,
};

/** Maintenance requirement (tiered MM + keeper reward) under `p`'s tiers and keeper reward. */
export function expectedMaintenanceFor(
  p: Pick<LiquidationParams, "keeperReward" | "tiers">,
  size: bigint,
  priceWad: bigint,
) {
  return expectedMaintenanceRequirement(size, priceWad, p.keeperReward, p.tiers);
}

/**
 * Execution price of a forced close (liquidation, vault protection): the skew-adjusted fill of the closing
 * trade, exactly as a voluntary close of that size (no clamp; path-independent impact), floored at 1 wei.
 */
export function expectedExecutionPrice(
  priceWad: bigint,
  skew: bigint,
  closingDelta: bigint,
  skewScale: bigint,
): bigint {
  const fill = expectedFill(priceWad, skew, closingDelta, skewScale);
  return fill > 0n ? fill : 1n;
}

/** Adverse slippage of the execution against the liquidated trader, in bps rounded up. */
export function expectedAdverseSlippageBps(priceWad: bigint, execWad: bigint, closingLong: boolean): bigint {
  let adverse = 0n;
  if (closingLong && execWad < priceWad) adverse = priceWad - execWad;
  if (!closingLong && execWad > priceWad) adverse = execWad - priceWad;
  return divCeil(adverse * BPS, priceWad);
}

/** Penalty on the closed notional at the execution price, rounded up (before the cap). */
export function expectedPenalty(closed: bigint, execWad: bigint, penaltyBps: bigint): bigint {
  return divCeil(abs(closed) * execWad * penaltyBps, WAD * BPS);
}

/**
 * DESIGN §7 partial size: c ≥ q·[(1+b)(tiered+K) + K − E] / [(1+b)·tiered − cost·n], rounded up; the whole
 * size when E < MM/2 or when no partial close can restore the buffer.
 */
export function expectedPartialCloseSizeAbs(
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

/**
 * The smallest margin that opens `q` from flat at oracle price `priceWad` and skew `skew` (maximum
 * leverage, DESIGN §4): margin − fee + min(PnL at the oracle, 0) must meet tiered IM + keeper reward, and
 * the margin left after the fee must be at least the minimum position margin.
 */
export function minOpenMargin(
  p: Pick<LiquidationParams, "minMargin" | "keeperReward" | "skewScale" | "takerFeeBps" | "tiers">,
  priceWad: bigint,
  skew: bigint,
  q: bigint,
): bigint {
  const f = expectedFill(priceWad, skew, q, p.skewScale);
  const fee = expectedFee(q, f, p.takerFeeBps);
  const openPnl = expectedPnl(q, f, priceWad);
  const required = expectedInitialRequirement(q, priceWad, p.keeperReward, p.tiers);
  const margin = required + fee - (openPnl < 0n ? openPnl : 0n);
  return margin > p.minMargin + fee ? margin : p.minMargin + fee;
}

// ───────────────────────────── one liquidation, predicted ─────────────────────────────

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
  vaultPaid: bigint;
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

/** Prices the close of `closed` and splits what is left: keeper reward first, penalty (capped), trader. */
export function expectedClose(
  p: LiquidationParams,
  pos: PositionState,
  st: Pick<MarketStateSnapshot, "netSize">,
  priceWad: bigint,
  settled: bigint,
  closed: bigint,
) {
  const exec = expectedExecutionPrice(priceWad, st.netSize, -closed, p.skewScale);
  const realized = expectedPnl(closed, pos.entryPriceWad, exec);
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
  const penalty = minBig(expectedPenalty(closed, exec, p.penaltyBps), left);
  const keeperPenalty = (penalty * p.keeperShareBps) / BPS;
  return { exec, realized, keeperFromMargin, penalty, keeperPenalty, remainingMargin: left - penalty, deficit: 0n };
}

/**
 * What `liquidate` should do at `priceWad` in a block at `timestamp`, with the insurance fund at `fund` and
 * ADL placing nothing: settle funding and socialized loss, check health, choose partial or full, pay keeper,
 * penalty and the waterfall (insurance → the vault up to its equity → socialized over the opposite traders).
 * `vaultEquityAfterBooksUsd` is the vault's mark-to-market equity once the liquidation's books are written
 * and before the split (absent: the vault has ample equity and absorbs everything the fund leaves).
 */
export function expectedLiquidation(args: {
  p: LiquidationParams;
  pos: PositionState;
  st: MarketStateSnapshot;
  priceWad: bigint;
  timestamp: bigint;
  fund: bigint;
  vaultEquityAfterBooksUsd?: bigint;
}): ExpectedLiquidation {
  const { p, pos, st, priceWad, timestamp, fund, vaultEquityAfterBooksUsd } = args;
  const indexWad = expectedIndexAt(st, p, priceWad, timestamp);
  const fundingPaid = expectedFundingOwed(pos.size, indexWad, pos.fundingIndexSnapshotWad);
  const lossPaid = expectedLossOwed(pos.size, sideLossIndex(pos.size, st), pos.lossIndexSnapshotWad);
  const settledMargin = pos.marginUsd - fundingPaid - lossPaid;
  const equity = settledMargin + expectedPnl(pos.size, pos.entryPriceWad, priceWad);
  const mm = expectedMaintenanceFor(p, pos.size, priceWad);
  const base = { indexWad, fundingPaid, lossPaid, settledMargin, equity, mm, liquidatable: equity < mm };

  const sizeAbs = abs(pos.size);
  const fullExec = expectedExecutionPrice(priceWad, st.netSize, -pos.size, p.skewScale);
  const slip = expectedAdverseSlippageBps(priceWad, fullExec, pos.size > 0n);
  const closeAbs = expectedPartialCloseSizeAbs(
    sizeAbs,
    equity,
    mm - p.keeperReward,
    p.keeperReward,
    expectedNotional(pos.size, priceWad),
    p.bufferBps,
    slip + p.penaltyBps,
  );
  let close = expectedClose(p, pos, st, priceWad, settledMargin, pos.size);
  let closedSize = pos.size;
  let partial = false;
  if (closeAbs < sizeAbs) {
    const c = pos.size > 0n ? closeAbs : -closeAbs;
    const pc = expectedClose(p, pos, st, priceWad, settledMargin, c);
    const rest = pos.size - c;
    const healthy =
      pc.deficit === 0n &&
      pc.keeperFromMargin === p.keeperReward &&
      pc.remainingMargin >= p.minMargin &&
      pc.remainingMargin + expectedPnl(rest, pos.entryPriceWad, priceWad) >= expectedMaintenanceFor(p, rest, priceWad);
    if (healthy) {
      close = pc;
      closedSize = c;
      partial = true;
    }
  }

  // Waterfall (DESIGN §8, §10): keeper top-up first, then insurance, ADL (nothing here), socialized.
  let fundLeft = fund;
  const shortfall = p.keeperReward - close.keeperFromMargin;
  const keeperTopUp = minBig(shortfall, fundLeft);
  fundLeft -= keeperTopUp;
  const insurancePaid = minBig(close.deficit, fundLeft);
  fundLeft -= insurancePaid;
  const rest = close.deficit - insurancePaid;
  fundLeft += close.penalty - close.keeperPenalty;

  // DESIGN §8 steps 3–4: the vault absorbs the rest up to its equity; only what would take its equity below
  // zero is socialized, over the opposite side's traders (not the vault; they do not hold the bankrupt
  // position, so the close leaves their open interest unchanged). Δindex = ceil(S·1e18 / OI).
  const oppositeTraders = pos.size > 0n ? st.shortOpenInterest : st.longOpenInterest;
  let socialized = 0n;
  if (rest > 0n && oppositeTraders > 0n && vaultEquityAfterBooksUsd !== undefined && vaultEquityAfterBooksUsd < 0n) {
    socialized = minBig(rest, -vaultEquityAfterBooksUsd);
  }
  const vaultPaid = rest - socialized;
  const chargedOpenInterest = socialized > 0n ? oppositeTraders : 0n;
  const lossIndexDelta = socialized > 0n ? divCeil(socialized * WAD, oppositeTraders) : 0n;

  return {
    ...base,
    partial,
    closedSize,
    ...close,
    keeperTopUp,
    insurancePaid,
    vaultPaid,
    socialized,
    fundAfter: fundLeft,
    keeperCredit: close.keeperFromMargin + close.keeperPenalty + keeperTopUp,
    traderCredit: partial ? 0n : close.remainingMargin,
    vaultCashDelta: fundingPaid + lossPaid - close.realized - close.deficit + insurancePaid,
    lossIndexDelta,
    chargedOpenInterest,
  };
}

// ───────────────────────────── the vault's equity from the market totals ─────────────────────────────

/** The market aggregates that value the vault's implied position (`getMarketState`, 1e36-exact sums). */
export interface MarketTotals {
  netSize: bigint;
  longOpenInterest: bigint;
  shortOpenInterest: bigint;
  sumSizeTimesEntry: bigint;
  sumSizeTimesFundingSnapshot: bigint;
  longLossIndexWad: bigint;
  shortLossIndexWad: bigint;
  sumLongSizeTimesLossSnapshot: bigint;
  sumShortSizeTimesLossSnapshot: bigint;
}

/** `getMarketState` as `MarketTotals`. */
export async function readMarketTotals(engine: PerpEngine, marketId: string): Promise<MarketTotals> {
  const s = await engine.getMarketState(marketId);
  return {
    netSize: s.netSize,
    longOpenInterest: s.longOpenInterest,
    shortOpenInterest: s.shortOpenInterest,
    sumSizeTimesEntry: s.sumSizeTimesEntry,
    sumSizeTimesFundingSnapshot: s.sumSizeTimesFundingSnapshot,
    longLossIndexWad: s.longLossIndexWad,
    shortLossIndexWad: s.shortLossIndexWad,
    sumLongSizeTimesLossSnapshot: s.sumLongSizeTimesLossSnapshot,
    sumShortSizeTimesLossSnapshot: s.sumShortSizeTimesLossSnapshot,
  };
}

/**
 * The totals after a position changed from `old` to `updated` while Σ sizes moved by `sizeDelta` (the documented
 * bookkeeping of a position change: its old terms leave the sums, its new ones join; flat positions add nothing).
 */
export function withPositionChange(
  t: MarketTotals,
  old: Omit<PositionState, "marginUsd">,
  updated: Omit<PositionState, "marginUsd">,
  sizeDelta: bigint,
): MarketTotals {
  const out = { ...t };
  out.netSize += sizeDelta;
  out.sumSizeTimesEntry += updated.size * updated.entryPriceWad - old.size * old.entryPriceWad;
  out.sumSizeTimesFundingSnapshot +=
    updated.size * updated.fundingIndexSnapshotWad - old.size * old.fundingIndexSnapshotWad;
  for (const [p, sign] of [
    [old, -1n],
    [updated, 1n],
  ] as const) {
    if (p.size > 0n) {
      out.longOpenInterest += sign * p.size;
      out.sumLongSizeTimesLossSnapshot += sign * p.size * p.lossIndexSnapshotWad;
    } else if (p.size < 0n) {
      out.shortOpenInterest += sign * -p.size;
      out.sumShortSizeTimesLossSnapshot += sign * -p.size * p.lossIndexSnapshotWad;
    }
  }
  return out;
}

/**
 * The exact (1e36) value of the vault's implied position in one market: Σ size·(entry − P) + Σ size·(F − snapshot)
 * + Σ |size|·(sideLossIndex − lossSnapshot) over traders, from the totals (DESIGN §4).
 */
export function vaultMarketValue36(t: MarketTotals, priceWad: bigint, fundingIndexWad: bigint): bigint {
  const lossReceivable =
    t.longLossIndexWad * t.longOpenInterest -
    t.sumLongSizeTimesLossSnapshot +
    t.shortLossIndexWad * t.shortOpenInterest -
    t.sumShortSizeTimesLossSnapshot;
  return (
    t.sumSizeTimesEntry -
    t.netSize * priceWad +
    t.netSize * fundingIndexWad -
    t.sumSizeTimesFundingSnapshot +
    lossReceivable
  );
}

/** `vaultMarketValue36` rounded down to USD-wei (the vault claims at most the exact value); 0 with no open interest. */
export function vaultMarketValueFromTotals(t: MarketTotals, priceWad: bigint, fundingIndexWad: bigint): bigint {
  if (t.longOpenInterest === 0n && t.shortOpenInterest === 0n) return 0n;
  return divFloor(vaultMarketValue36(t, priceWad, fundingIndexWad), WAD);
}

/**
 * Predicts a FULL liquidation of `account` in the next block like `predictLiquidation`, and the split of what the
 * fund leaves between the vault and socialization: the vault's mark-to-market equity once the liquidation's books
 * are written (its cash moved by `vaultCashDelta`, the position gone from the market totals), from which the vault
 * absorbs up to its equity and only the excess is socialized over the opposite traders (DESIGN §8 steps 3–4). ADL
 * must place nothing (off, or no counterparty), and every other listed market must be empty (its value is then 0).
 * Returns the prediction and the equity it used.
 */
export async function predictLiquidationWithVault(
  engine: PerpEngine,
  p: LiquidationParams,
  account: string,
  marketId: string,
  priceWad: bigint,
  gap = 1n,
) {
  for (const other of await engine.marketIds()) {
    if (other === marketId) continue;
    const st = await engine.getMarketState(other);
    if (st.longOpenInterest + st.shortOpenInterest !== 0n) {
      throw new Error(`predictLiquidationWithVault: market ${other} has open interest; its value is not modelled`);
    }
  }
  const pos = await readPosition(engine, account, marketId);
  const st = await readMarket(engine, marketId);
  const totals = await readMarketTotals(engine, marketId);
  const fund = await engine.insuranceFund();
  const cash = await engine.vaultCashUsd();
  const timestamp = await pinNextTimestamp(gap);
  const plain = expectedLiquidation({ p, pos, st, priceWad, timestamp, fund });
  if (plain.partial) throw new Error("predictLiquidationWithVault: a partial liquidation leaves no deficit to split");
  const flat = { size: 0n, entryPriceWad: 0n, fundingIndexSnapshotWad: 0n, lossIndexSnapshotWad: 0n };
  const booked = withPositionChange(totals, pos, flat, -pos.size);
  const vaultEquityAfterBooksUsd =
    cash + plain.vaultCashDelta + vaultMarketValueFromTotals(booked, priceWad, plain.indexWad);
  return {
    pos,
    st,
    totals,
    timestamp,
    vaultEquityAfterBooksUsd,
    /** The totals once the books are written (before any loss index moves). */
    bookedTotals: booked,
    ...expectedLiquidation({ p, pos, st, priceWad, timestamp, fund, vaultEquityAfterBooksUsd }),
  };
}

/** Predicts the liquidation of `account` in the next block (timestamp pinned) at oracle price `priceWad`. */
export async function predictLiquidation(
  engine: PerpEngine,
  p: LiquidationParams,
  account: string,
  marketId: string,
  priceWad: bigint,
  gap = 1n,
) {
  const pos = await readPosition(engine, account, marketId);
  const st = await readMarket(engine, marketId);
  const fund = await engine.insuranceFund();
  const timestamp = await pinNextTimestamp(gap);
  return { pos, st, timestamp, ...expectedLiquidation({ p, pos, st, priceWad, timestamp, fund }) };
}

/** The balances `expectLiquidationMatches` compares against, read just before a liquidation. */
export async function liquidationBalances(engine: PerpEngine, keeper: string, account: string) {
  return {
    keeperFree: await engine.freeBalance(keeper),
    traderFree: await engine.freeBalance(account),
    vaultCash: await engine.vaultCashUsd(),
  };
}

/**
 * Asserts `liquidate` did exactly what `e` predicts: the Liquidated event field by field (adlPaid 0), the
 * stored position, the keeper's and the trader's free balances, the vault's cash and the insurance fund.
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
      e.partial ? e.remainingMargin : 0n,
      e.penalty,
      e.keeperCredit,
      e.deficit,
      e.insurancePaid,
      0n,
      e.vaultPaid,
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

// ───────────────────────────── fixtures ─────────────────────────────

/** What `deployWith` (test/helpers/fixtures.ts) returns. */
export type System = Awaited<ReturnType<typeof deployWith>>;

/** LOCAL_CONFIG with ETH-USD overrides: market params, and market-level fields such as feed decimals. */
export function ethConfig(
  params: Partial<MarketParamsStruct> = {},
  market: Partial<MarketDeployConfig> = {},
): SystemDeployConfig {
  return {
    ...LOCAL_CONFIG,
    markets: LOCAL_CONFIG.markets.map((m) =>
      m.symbol === ETH ? { ...m, ...market, params: { ...m.params, ...params } } : m,
    ),
  };
}

/** Mints `amountUsd` dollars of collateral to `signer`, approves the engine and deposits it all. */
export async function mintAndDeposit(s: System, signer: HardhatEthersSigner, amountUsd: string) {
  const amount = s.tokens(amountUsd);
  await s.collateral.mint(signer.address, amount);
  await s.collateral.connect(signer).approve(await s.engine.getAddress(), ethers.MaxUint256);
  await s.engine.connect(signer).deposit(amount);
}

/**
 * Deposits `amountUsd` dollars into the engine from each of the first `count` traders, in order (the
 * standard fixture has already minted and approved their collateral).
 */
export async function depositFromTraders(s: System, count: number, amountUsd: string) {
  for (const t of s.traders.slice(0, count)) await s.engine.connect(t).deposit(s.tokens(amountUsd));
}

/**
 * Opens or changes `signer`'s position in `symbol` by `sizeUnits` (decimal string, negative to sell) with
 * `marginUsd` dollars moved in from the free balance, at an acceptable price that never binds.
 */
export async function openPosition(
  s: System,
  signer: HardhatEthersSigner,
  symbol: string,
  sizeUnits: string,
  marginUsd: string,
) {
  const delta = parseUnits(sizeUnits, 18);
  return s.engine
    .connect(signer)
    .modifyPosition(
      s.market(symbol).marketId,
      delta,
      parseUnits(marginUsd, 18),
      delta > 0n ? ANY_BUY_PRICE : ANY_SELL_PRICE,
    );
}

/** ADL settings (`setAdlConfig`) with bigint fields. */
export interface AdlSettings {
  minQueueNotionalUsd: bigint;
  maxSteps: bigint;
  maxSkips: bigint;
  vaultLossUpperBps: bigint;
  vaultLossLowerBps: bigint;
}

/** The documented ADL defaults (DESIGN §9; deploy/config.ts DEFAULT_ADL), restated. */
export const ADL_DEFAULTS: AdlSettings = {
  minQueueNotionalUsd: 100n * WAD,
  maxSteps: 16n,
  maxSkips: 128n,
  vaultLossUpperBps: 3_000n,
  vaultLossLowerBps: 2_000n,
};

/** Sets the ADL config (from the deployer, admin) to `ADL_DEFAULTS` with `adl`'s overrides. */
export async function setAdl(s: System, adl: Partial<AdlSettings> = {}) {
  await s.engine.connect(s.deployer).setAdlConfig({ ...ADL_DEFAULTS, ...adl });
}

/** Deploys `config` (deployer stays admin), then sets the ADL config as `setAdl` does. */
export async function deployWithAdl(config: SystemDeployConfig = LOCAL_CONFIG, adl: Partial<AdlSettings> = {}) {
  const s = await deployWith(config);
  await setAdl(s, adl);
  return s;
}

/**
 * Switches ADL off (maxSteps = 0, the other settings kept) when it is on, so that a deficit the fund cannot
 * pay is socialized; a no-op when it is already off.
 */
export async function withAdlOff<T extends System>(s: T): Promise<T> {
  const config = await s.engine.adlConfig();
  if (config.maxSteps !== 0n) {
    await s.engine.connect(s.deployer).setAdlConfig({
      minQueueNotionalUsd: config.minQueueNotionalUsd,
      maxSteps: 0n,
      maxSkips: config.maxSkips,
      vaultLossUpperBps: config.vaultLossUpperBps,
      vaultLossLowerBps: config.vaultLossLowerBps,
    });
  }
  return s;
}
