// Shared setup of the ADL tests (test/adl/adl*.test.ts, vaultProtection.test.ts): a system with ADL enabled,
// funded actors, event decoding, queue reads through the public views, and the documented formulas
// (DESIGN §7–§9) restated in bigint for expected values.
import { expect } from "chai";
import { ethers } from "hardhat";
import { parseUnits } from "ethers";
import type { ContractTransactionReceipt, ContractTransactionResponse, EventLog, Log } from "ethers";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";

import { LOCAL_CONFIG, type MarketDeployConfig, type SystemDeployConfig } from "../../deploy/config";
import type { MarketParamsStruct } from "../../typechain-types/contracts/PerpEngine";
import type { PerpEngine } from "../../typechain-types";
import { deployWith, ETH } from "../helpers/fixtures";
import { divCeil, divFloor, expectedFill, WAD, BPS } from "../helpers/engineHelpers";
import { adlKey, isAdlEligible, type AdlIndices, type AdlPosition } from "../../sdk/adl/adlMath";

export { ETH, WAD, BPS };
export type System = Awaited<ReturnType<typeof deployWith>>;
export type Signer = HardhatEthersSigner;

export const MAX_BUY = ethers.MaxUint256;
export const ANY_SELL = 0n;
export const usd = (amount: string) => parseUnits(amount, 18);
export const units = (amount: string) => parseUnits(amount, 18);

/** The ADL settings the tests enable (deployment leaves ADL off: maxSteps == 0). */
export interface AdlSettings {
  minQueueNotionalUsd: bigint;
  maxSteps: bigint;
  vaultLossUpperBps: bigint;
  vaultLossLowerBps: bigint;
}

export const DEFAULT_ADL: AdlSettings = {
  minQueueNotionalUsd: usd("100"),
  maxSteps: 16n,
  vaultLossUpperBps: 3_000n,
  vaultLossLowerBps: 2_000n,
};

/** LOCAL_CONFIG with ETH-USD overrides. */
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

/** Deploys `config`, then enables ADL from the deployer (admin). */
export async function deployWithAdl(config: SystemDeployConfig = LOCAL_CONFIG, adl: Partial<AdlSettings> = {}) {
  const s = await deployWith(config);
  await setAdl(s, adl);
  return s;
}

export async function setAdl(s: System, adl: Partial<AdlSettings> = {}) {
  await s.engine.connect(s.deployer).setAdlConfig({ ...DEFAULT_ADL, ...adl });
}

/** Mints `amountUsd` dollars of collateral to `signer`, approves the engine and deposits it all. */
export async function fund(s: System, signer: Signer, amountUsd: string) {
  const amount = s.tokens(amountUsd);
  await s.collateral.mint(signer.address, amount);
  await s.collateral.connect(signer).approve(await s.engine.getAddress(), ethers.MaxUint256);
  await s.engine.connect(signer).deposit(amount);
}

/** Opens or changes a position on ETH-USD with `marginUsd` dollars moved in from the free balance. */
export async function open(s: System, signer: Signer, sizeEth: string, marginUsd: string, symbol = ETH) {
  const delta = units(sizeEth);
  return s.engine
    .connect(signer)
    .modifyPosition(s.market(symbol).marketId, delta, usd(marginUsd), delta > 0n ? MAX_BUY : ANY_SELL);
}

/** Sets a feed to `priceUsd` and records it with a funding poke, so the deviation breaker's reference follows. */
export async function movePrice(s: System, priceUsd: string, symbol = ETH) {
  await s.setPrice(symbol, priceUsd);
  await s.engine.pokeFunding(s.market(symbol).marketId);
}

/** A stored position with plain bigint fields. */
export async function positionOf(engine: PerpEngine, account: string, marketId: string): Promise<AdlPosition> {
  const p = await engine.getPosition(account, marketId);
  return {
    size: p.size,
    entryPriceWad: p.entryPriceWad,
    marginUsd: p.marginUsd,
    fundingIndexSnapshotWad: p.fundingIndexSnapshotWad,
    lossIndexSnapshotWad: p.lossIndexSnapshotWad,
  };
}

/** The market's indices as of the latest block (views): funding index accrued to now, both loss indices. */
export async function indicesOf(engine: PerpEngine, marketId: string): Promise<AdlIndices> {
  const st = await engine.getMarketState(marketId);
  return {
    fundingIndexWad: await engine.currentFundingIndexWad(marketId),
    longLossIndexWad: st.longLossIndexWad,
    shortLossIndexWad: st.shortLossIndexWad,
  };
}

/**
 * The minimal margin that opens `size` on a market at oracle price `priceWad` against its current skew:
 * initial requirement (first tier, on the oracle notional) + keeper reward + taker fee + the loss of the fill
 * against the oracle price. One wei less reverts `InitialMarginNotMet`: maximum leverage.
 */
export async function maxLeverageMargin(s: System, marketId: string, size: bigint, priceWad: bigint) {
  const [, params] = await s.engine.getMarketConfig(marketId);
  const [tier] = await s.engine.getMarginTiers(marketId);
  const skew = (await s.engine.getMarketState(marketId)).netSize;
  const fill = expectedFill(priceWad, skew, size, params.skewScale);
  const initial = divCeil(divCeil(abs(size) * priceWad, WAD) * tier.initialMarginBps, BPS) + params.keeperRewardUsd;
  const fee = divCeil(abs(size) * fill * params.takerFeeBps, WAD * BPS);
  const pnlAtOracle = divFloor(size * (priceWad - fill), WAD);
  return initial + fee + (pnlAtOracle < 0n ? -pnlAtOracle : 0n);
}

// ───────────────────────────── events ─────────────────────────────

/** Decoded events named `name` of a transaction, in log order. */
export async function eventsOf(
  engine: PerpEngine,
  txOrReceipt: ContractTransactionResponse | ContractTransactionReceipt,
  name: string,
) {
  const receipt =
    "wait" in txOrReceipt && typeof txOrReceipt.wait === "function"
      ? await (txOrReceipt as ContractTransactionResponse).wait()
      : (txOrReceipt as ContractTransactionReceipt);
  const out = [];
  for (const log of receipt!.logs as (Log | EventLog)[]) {
    let parsed;
    try {
      parsed = engine.interface.parseLog(log);
    } catch {
      continue;
    }
    if (parsed && parsed.name === name) out.push(parsed.args);
  }
  return out;
}

export async function deleveragedEvents(engine: PerpEngine, tx: ContractTransactionResponse) {
  return (await eventsOf(engine, tx, "Deleveraged")).map((a) => ({
    account: a.account as string,
    marketId: a.marketId as string,
    size: a.size as bigint,
    priceWad: a.priceWad as bigint,
  }));
}

export async function liquidatedEvent(engine: PerpEngine, tx: ContractTransactionResponse) {
  const all = await eventsOf(engine, tx, "Liquidated");
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
    socializedUsd: a.socializedUsd as bigint,
  };
}

// ───────────────────────────── queues through the views ─────────────────────────────

export interface QueueView {
  /** Queue members in ADL order (rank 0 first), read from `adlLight` ranks. */
  order: string[];
  /** The queue length every member's `adlLight` reports. */
  length: bigint;
}

/**
 * Reads both queues of a market from `adlLight` for `accounts`, checking that the ranks of each side's
 * members are exactly 0..length−1, that `adlQueueHead` is rank 0, that the lights follow
 * 5 − floor(5·rank/length), and that membership is size ≠ 0 with entry notional ≥ minQueueNotionalUsd
 * (non-members read (0, 0, ·)). `accounts` must hold every account with a position in the market.
 */
export async function readQueues(
  engine: PerpEngine,
  marketId: string,
  accounts: string[],
  minQueueNotionalUsd: bigint,
): Promise<{ long: QueueView; short: QueueView; positions: Map<string, AdlPosition> }> {
  const positions = new Map<string, AdlPosition>();
  const lights = new Map<string, { light: bigint; rank: bigint; queueLength: bigint }>();
  await Promise.all(
    accounts.map(async (a) => {
      const [p, l] = await Promise.all([positionOf(engine, a, marketId), engine.adlLight(a, marketId)]);
      positions.set(a, p);
      lights.set(a, { light: l.light, rank: l.rank, queueLength: l.queueLength });
    }),
  );
  const [longHead, shortHead] = await Promise.all([
    engine.adlQueueHead(marketId, true),
    engine.adlQueueHead(marketId, false),
  ]);
  const side = (isLong: boolean, head: string): QueueView => {
    const members = accounts.filter((a) => {
      const p = positions.get(a)!;
      return p.size !== 0n && p.size > 0n === isLong && isAdlEligible(p, minQueueNotionalUsd);
    });
    const length = BigInt(members.length);
    const byRank: string[] = new Array(members.length);
    for (const a of members) {
      const l = lights.get(a)!;
      expect(l.queueLength, `queue length seen by ${a}`).to.equal(length);
      expect(l.rank < length, `rank of ${a} within the queue`).to.equal(true);
      expect(byRank[Number(l.rank)], `rank ${l.rank} is unique`).to.equal(undefined);
      byRank[Number(l.rank)] = a;
      expect(l.light, `light of ${a}`).to.equal(5n - (5n * l.rank) / length);
    }
    expect(head, `${isLong ? "long" : "short"} queue head`).to.equal(byRank[0] ?? ethers.ZeroAddress);
    return { order: byRank, length };
  };
  const long = side(true, longHead);
  const short = side(false, shortHead);
  for (const a of accounts) {
    const p = positions.get(a)!;
    if (p.size !== 0n && isAdlEligible(p, minQueueNotionalUsd)) continue;
    const l = lights.get(a)!;
    expect(l.light, `non-member ${a} has no light`).to.equal(0n);
    expect(l.rank, `non-member ${a} has rank 0`).to.equal(0n);
    const expectedLength = p.size === 0n ? 0n : p.size > 0n ? long.length : short.length;
    expect(l.queueLength, `non-member ${a} sees its side's length`).to.equal(expectedLength);
  }
  return { long, short, positions };
}

/** Accounts sorted by their key in ADL order (longs: highest key first; shorts: lowest first), stable. */
export function sortByKey(accounts: string[], positions: Map<string, AdlPosition>, isLong: boolean) {
  return [...accounts].sort((a, b) => {
    const ka = adlKey(positions.get(a)!);
    const kb = adlKey(positions.get(b)!);
    if (ka === kb) return 0;
    return (isLong ? ka > kb : ka < kb) ? -1 : 1;
  });
}

// ───────────────────────────── documented formulas ─────────────────────────────

/**
 * DESIGN §7: the liquidation executes against the vault at the skew-adjusted fill of the closing trade,
 * clamped to [ceil(P·(1 − s)), floor(P·(1 + s))] with s = maxLiquidationSlippageBps (rounded toward the
 * liquidated trader).
 */
export function expectedExecutionPrice(
  priceWad: bigint,
  skew: bigint,
  closingDelta: bigint,
  skewScale: bigint,
  maxSlippageBps: bigint,
): bigint {
  const fill = expectedFill(priceWad, skew, closingDelta, skewScale);
  const lowest = divCeil(priceWad * (BPS - maxSlippageBps), BPS);
  const highest = (priceWad * (BPS + maxSlippageBps)) / BPS;
  if (fill < lowest) return lowest;
  if (fill > highest) return highest;
  return fill;
}

/** PnL of `size` entered at `entry`, closed at `price`, rounded down (toward −∞). */
export const pnl = (size: bigint, entryWad: bigint, priceWad: bigint) => divFloor(size * (priceWad - entryWad), WAD);

/** Funding owed (+ = pays), rounded up; socialized loss owed, rounded up. */
export const fundingOwed = (size: bigint, indexWad: bigint, snapshotWad: bigint) =>
  divCeil(size * (indexWad - snapshotWad), WAD);
export const lossOwed = (size: bigint, sideIndexWad: bigint, snapshotWad: bigint) =>
  size === 0n ? 0n : divCeil((size < 0n ? -size : size) * (sideIndexWad - snapshotWad), WAD);

/**
 * The vault's value in one market from the traders' stored positions, as DESIGN §4 defines it:
 * floor((Σ size·(entry − P) + Σ size·(F − fundingSnapshot) + Σ |size|·(L_side − lossSnapshot)) / 1e18).
 */
export function vaultValueModel(positions: Iterable<AdlPosition>, priceWad: bigint, indices: AdlIndices): bigint {
  let scaled = 0n;
  for (const p of positions) {
    if (p.size === 0n) continue;
    const side = p.size > 0n ? indices.longLossIndexWad : indices.shortLossIndexWad;
    scaled += p.size * (p.entryPriceWad - priceWad) + p.size * (indices.fundingIndexWad - p.fundingIndexSnapshotWad);
    scaled += (p.size < 0n ? -p.size : p.size) * (side - p.lossIndexSnapshotWad);
  }
  return divFloor(scaled, WAD);
}

export const abs = (x: bigint) => (x < 0n ? -x : x);
export const minBig = (a: bigint, b: bigint) => (a < b ? a : b);
