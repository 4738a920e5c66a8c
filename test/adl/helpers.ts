// ADL-only set-up of the ADL tests (test/adl/adl*.test.ts, vaultProtection.test.ts): prices recorded by a
// funding poke, the market's indices, queue reads through the public views. The formulas, event decoding,
// funding actors and enabling ADL are shared (test/helpers/engineHelpers.ts).
import { expect } from "chai";
import { ethers } from "hardhat";
import { time } from "@nomicfoundation/hardhat-network-helpers";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";

import type { PerpEngine } from "../../typechain-types";
import { ETH } from "../helpers/fixtures";
import { expectedExecutionPrice, minOpenMargin, readPosition, type System } from "../helpers/engineHelpers";
import { adlKey, isAdlEligible, type AdlIndices, type AdlPosition } from "../../sdk/adl/adlMath";

export type Signer = HardhatEthersSigner;

/**
 * Sets a feed to `priceUsd` and pokes the market's funding, which accrues the elapsed interval (at the new price)
 * and runs the automatic vault protection when it is on. (The poke records nothing in the oracle adapter: the
 * deviation breaker is judged from the feed's own rounds.)
 */
export async function movePrice(s: System, priceUsd: string, symbol = ETH) {
  await s.setPrice(symbol, priceUsd);
  await s.engine.pokeFunding(s.market(symbol).marketId);
}

/**
 * `movePrice` once the breaker's cooldown since the feed's last update has passed, so that a walk of steps each
 * within the deviation threshold never trips it: the breaker compares every round inside one cooldown window with
 * the window's running high and low (issue 10 §2), so steps closer together than the cooldown add up.
 */
export async function stepPrice(s: System, priceUsd: string, symbol = ETH) {
  await time.increase(await s.market(symbol).adapter.volatilityCooldownSeconds());
  await movePrice(s, priceUsd, symbol);
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
 * The minimal margin that opens `size` on a market at oracle price `priceWad` against its current skew, under
 * the market's configured params and tiers (`minOpenMargin`). One wei less reverts `InitialMarginNotMet`:
 * maximum leverage.
 */
export async function maxLeverageMargin(s: System, marketId: string, size: bigint, priceWad: bigint) {
  const [, params] = await s.engine.getMarketConfig(marketId);
  const tiers = await s.engine.getMarginTiers(marketId);
  const skew = (await s.engine.getMarketState(marketId)).netSize;
  const p = {
    minMargin: params.minPositionMarginUsd,
    keeperReward: params.keeperRewardUsd,
    skewScale: params.skewScale,
    takerFeeBps: params.takerFeeBps,
    tiers: tiers.map((t) => ({
      floorUsd: t.notionalFloorUsd,
      imBps: t.initialMarginBps,
      mmBps: t.maintenanceMarginBps,
    })),
  };
  return minOpenMargin(p, priceWad, skew, size);
}

/**
 * The price an ADL counterparty of size `size` closes `takeAbs` at (AdlLogic.adlClosePriceWad, restated): the
 * bankrupt position's B, or the skew fill of its own close at the market's current net size when that is worse for
 * it (higher for a short buying back, lower for a long selling) — ADL is never a better exit than a voluntary close.
 */
export function adlClosePriceWad(
  bankruptcyPriceWad: bigint,
  priceWad: bigint,
  netSize: bigint,
  size: bigint,
  takeAbs: bigint,
  skewScale: bigint,
): bigint {
  const fill = expectedExecutionPrice(priceWad, netSize, size > 0n ? -takeAbs : takeAbs, skewScale);
  if (size > 0n) return fill < bankruptcyPriceWad ? fill : bankruptcyPriceWad;
  return fill > bankruptcyPriceWad ? fill : bankruptcyPriceWad;
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
      const [p, l] = await Promise.all([readPosition(engine, a, marketId), engine.adlLight(a, marketId)]);
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
