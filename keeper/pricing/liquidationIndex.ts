/**
 * The candidate index: per market and side, positions ordered by a price-invariant liquidation key, so that a
 * price update yields the liquidatable set by a binary search and a walk over the candidates only — never a scan
 * of every position. Every candidate is then checked exactly with the SDK (`mirroredHealth`).
 *
 * Why the key works (isolated margin, per-unit indices): with s = |size|, m0 the first tier's maintenance rate and
 * K the flat keeper reward, a long is liquidatable iff
 *   P·(1 − T(s·P)/(s·P)) < k + F + L_long,   k = entry − (margin − K)/s − fundingSnapshot − lossSnapshot,
 * where F is the market's funding index and L_long the long loss index (both the same for every long), and
 * T(n) the tiered maintenance margin of notional n. For a position whose notional is inside the first tier
 * T(n)/n = m0, so the test is k > P·(1 − m0) − F − L_long: a suffix of the positions sorted by k. Shorts mirror
 * it (k = entry + (margin − K)/s − fundingSnapshot + lossSnapshot, liquidatable iff k < P·(1 + m0) − F + L_short:
 * a prefix). Positions whose notional reaches the second tier have a higher rate, so they may be liquidatable
 * before that test says so; they are exactly the positions with s > floor₁/P, a suffix of the same side sorted by
 * size, and they are checked one by one (few: each is above the first tier's notional).
 *
 * Rounding: the engine's integer equity and requirement differ from the real-valued ones by less than 5 wei of
 * USD, i.e. 5·1e18/s wei of price per unit; each stored key is widened by that bound (plus 2 wei for the key's
 * own division), so the index never misses a liquidatable position. Positions whose key is past the threshold by
 * more than that band are liquidatable for sure (the integer equity is never above the real one, the integer
 * requirement never below), so only the band and the positions above the first tier are checked exactly with the
 * SDK — except during a maintenance ramp, when everything the walk finds is.
 * During a maintenance ramp the current (target) schedule is used: the ramped requirement is never above it.
 * Complexity: insert/remove O(log n) search plus an array splice; query O(log n + candidates).
 */
import { BPS, WAD } from "../../sdk/math/constants";
import type { Position } from "../../sdk/math/types";
import type { MarketMirror } from "../mirror/marketMirror";
import type { MirrorListener, PositionMirror } from "../mirror/positionMirror";
import { fundingIndexAt, mirroredHealth, type MirroredHealth } from "./health";

/** Wei of USD by which the engine's integer health may differ from the real-valued one (see the header). */
const ROUNDING_BOUND_USD = 5n;
/** Extra wei of price for the key's own truncating division. */
const KEY_DIVISION_SLACK = 2n;

interface Entry {
  key: bigint;
  sizeAbs: bigint;
  account: string;
}

/** Entries sorted ascending by one field (ties by account), with binary search. */
class SortedEntries {
  readonly items: Entry[] = [];

  constructor(private readonly field: "key" | "sizeAbs") {}

  private compare(a: Entry, b: Entry): number {
    const x = a[this.field];
    const y = b[this.field];
    if (x !== y) return x < y ? -1 : 1;
    return a.account < b.account ? -1 : a.account > b.account ? 1 : 0;
  }

  /** First index whose entry is ≥ `probe` in the sort order. */
  private lowerBound(probe: Entry): number {
    let lo = 0;
    let hi = this.items.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.compare(this.items[mid], probe) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  insert(entry: Entry): void {
    this.items.splice(this.lowerBound(entry), 0, entry);
  }

  remove(entry: Entry): void {
    const index = this.lowerBound(entry);
    if (index < this.items.length && this.items[index].account === entry.account) this.items.splice(index, 1);
  }

  /** First index whose value is > `value` (every entry from there on has a larger value). */
  firstAbove(value: bigint): number {
    let lo = 0;
    let hi = this.items.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.items[mid][this.field] <= value) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** First index whose value is ≥ `value`. */
  firstAtLeast(value: bigint): number {
    let lo = 0;
    let hi = this.items.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.items[mid][this.field] < value) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Sorts in bulk (after many unordered pushes). */
  sort(): void {
    this.items.sort((a, b) => this.compare(a, b));
  }
}

interface SideIndex {
  byKey: SortedEntries;
  bySize: SortedEntries;
  entries: Map<string, Entry>;
}

function emptySide(): SideIndex {
  return { byKey: new SortedEntries("key"), bySize: new SortedEntries("sizeAbs"), entries: new Map() };
}

/** A liquidatable position, with how far below maintenance it is. */
export interface LiquidationCandidate {
  marketId: string;
  account: string;
  position: Position;
  /** maintenance requirement − equity (USD, 1e18; > 0): exact near the boundary, the real-valued one (within a
   * few wei) for positions far past it. */
  shortfallUsd: bigint;
  /** The SDK's exact equity and requirement (computed on first use for positions far past the boundary). */
  health(): MirroredHealth;
}

/** What a query looked at (for the benchmark and the logs). */
export interface QueryStats {
  /** Positions the index walked. */
  walked: number;
  /** Of those, positions near the boundary (or above the first tier) checked exactly with the SDK. */
  checked: number;
  liquidatable: number;
}

/** The key's widening for a size (see the header): the rounding bound per unit plus the division's slack. */
function keySlack(sizeAbs: bigint): bigint {
  return KEY_DIVISION_SLACK + (ROUNDING_BOUND_USD * WAD + sizeAbs - 1n) / sizeAbs;
}

/** The widened static key of a position (see the header); `undefined` for an empty position. */
export function liquidationKey(market: MarketMirror, position: Position): bigint | undefined {
  if (position.size === 0n) return undefined;
  const sizeAbs = position.size < 0n ? -position.size : position.size;
  const perUnitMargin = ((position.marginUsd - market.params.keeperRewardUsd) * WAD) / sizeAbs;
  const slack = keySlack(sizeAbs);
  if (position.size > 0n) {
    return (
      position.entryPriceWad - perUnitMargin - position.fundingIndexSnapshotWad - position.lossIndexSnapshotWad + slack
    );
  }
  return (
    position.entryPriceWad + perUnitMargin - position.fundingIndexSnapshotWad + position.lossIndexSnapshotWad - slack
  );
}

export class LiquidationIndex implements MirrorListener {
  private readonly sides = new Map<string, { long: SideIndex; short: SideIndex }>();

  constructor(private readonly mirror: PositionMirror) {
    mirror.addListener(this);
    this.rebuildAll();
  }

  rebuildAll(): void {
    this.sides.clear();
    for (const marketId of this.mirror.markets.keys()) this.rebuildMarket(marketId);
  }

  private rebuildMarket(marketId: string): void {
    const market = this.mirror.markets.get(marketId);
    if (!market) {
      this.sides.delete(marketId);
      return;
    }
    const sides = { long: emptySide(), short: emptySide() };
    this.sides.set(marketId, sides);
    for (const [account, position] of this.mirror.positions.get(marketId) ?? []) {
      const entry = this.entryOf(market, account, position);
      if (!entry) continue;
      const side = position.size > 0n ? sides.long : sides.short;
      side.entries.set(account, entry);
      side.byKey.items.push(entry);
      side.bySize.items.push(entry);
    }
    for (const side of [sides.long, sides.short]) {
      side.byKey.sort();
      side.bySize.sort();
    }
  }

  private entryOf(market: MarketMirror, account: string, position: Position): Entry | undefined {
    const key = liquidationKey(market, position);
    if (key === undefined) return undefined;
    return { key, sizeAbs: position.size < 0n ? -position.size : position.size, account };
  }

  positionChanged(
    marketId: string,
    account: string,
    previous: Position | undefined,
    current: Position | undefined,
  ): void {
    const sides = this.sides.get(marketId);
    const market = this.mirror.markets.get(marketId);
    if (!sides || !market) return;
    if (previous && previous.size !== 0n) {
      const side = previous.size > 0n ? sides.long : sides.short;
      const entry = side.entries.get(account);
      if (entry) {
        side.byKey.remove(entry);
        side.bySize.remove(entry);
        side.entries.delete(account);
      }
    }
    const entry = current ? this.entryOf(market, account, current) : undefined;
    if (current && entry) {
      const side = current.size > 0n ? sides.long : sides.short;
      side.entries.set(account, entry);
      side.byKey.insert(entry);
      side.bySize.insert(entry);
    }
  }

  marketConfigChanged(marketId: string): void {
    this.rebuildMarket(marketId);
  }

  /**
   * The liquidatable positions of one market at `priceWad` and block time `nowSeconds`, most underwater first
   * (largest shortfall in USD). Settled markets have none.
   */
  liquidatable(marketId: string, priceWad: bigint, nowSeconds: bigint, stats?: QueryStats): LiquidationCandidate[] {
    const market = this.mirror.markets.get(marketId);
    const sides = this.sides.get(marketId);
    if (!market || !sides || market.settlementPriceWad !== 0n || priceWad === 0n) return [];
    const fundingIndexWad = fundingIndexAt(market, priceWad, nowSeconds);
    const state = market.state;
    const firstRateBps = market.tiers[0].maintenanceMarginBps;
    const candidates: LiquidationCandidate[] = [];
    const seen = new Set<string>();
    const exactly = (account: string) => {
      const position = this.mirror.getPosition(marketId, account);
      const health = mirroredHealth(market, state, position, priceWad, nowSeconds, fundingIndexWad);
      if (stats) stats.checked += 1;
      if (!health.isLiquidatable) return;
      const shortfallUsd = health.maintenanceRequirementUsd - health.equityUsd;
      candidates.push({ marketId, account, position, shortfallUsd, health: () => health });
    };
    /** Far past the boundary: liquidatable for sure; the shortfall is s·distance (the real-valued one). */
    const surely = (entry: Entry, distanceWad: bigint) => {
      const position = this.mirror.getPosition(marketId, entry.account);
      let cached: MirroredHealth | undefined;
      candidates.push({
        marketId,
        account: entry.account,
        position,
        shortfallUsd: (entry.sizeAbs * distanceWad) / WAD,
        health: () => (cached ??= mirroredHealth(market, state, position, priceWad, nowSeconds, fundingIndexWad)),
      });
    };

    // Above the first tier's notional the rate is higher: those few positions are checked one by one.
    const largeFromSizeAbs = market.tiers.length > 1 ? (market.tiers[1].notionalFloorUsd * WAD) / priceWad : undefined;
    if (largeFromSizeAbs !== undefined) {
      for (const side of [sides.long, sides.short]) {
        for (let i = side.bySize.firstAtLeast(largeFromSizeAbs); i < side.bySize.items.length; ++i) {
          seen.add(side.bySize.items[i].account);
          exactly(side.bySize.items[i].account);
        }
      }
    }
    const isLarge = (entry: Entry) => largeFromSizeAbs !== undefined && entry.sizeAbs >= largeFromSizeAbs;
    // During a maintenance ramp the requirement may be below the current schedule's: check everything exactly.
    const rampActive = nowSeconds < market.ramp.endTime;

    // Longs: liquidatable (first tier) only if key > P·(1 − m0) − F − L_long; surely if key − slack − 1 exceeds
    // the threshold rounded up (the real-valued equity is then below the requirement).
    const longFloor = (priceWad * (BPS - firstRateBps)) / BPS - fundingIndexWad - state.longLossIndexWad;
    const longCeil = (priceWad * (BPS - firstRateBps) + BPS - 1n) / BPS - fundingIndexWad - state.longLossIndexWad;
    for (let i = sides.long.byKey.firstAbove(longFloor); i < sides.long.byKey.items.length; ++i) {
      const entry = sides.long.byKey.items[i];
      if (stats) stats.walked += 1;
      if (seen.has(entry.account) || isLarge(entry)) continue;
      const lowKey = entry.key - keySlack(entry.sizeAbs) - 1n;
      if (!rampActive && lowKey > longCeil) surely(entry, lowKey - longCeil);
      else exactly(entry.account);
    }
    // Shorts: only if key < P·(1 + m0) − F + L_short; surely if key + slack + 1 is below the threshold rounded down.
    const shortCeil = (priceWad * (BPS + firstRateBps) + BPS - 1n) / BPS - fundingIndexWad + state.shortLossIndexWad;
    const shortFloor = (priceWad * (BPS + firstRateBps)) / BPS - fundingIndexWad + state.shortLossIndexWad;
    const shortEnd = sides.short.byKey.firstAtLeast(shortCeil);
    for (let i = 0; i < shortEnd; ++i) {
      const entry = sides.short.byKey.items[i];
      if (stats) stats.walked += 1;
      if (seen.has(entry.account) || isLarge(entry)) continue;
      const highKey = entry.key + keySlack(entry.sizeAbs) + 1n;
      if (!rampActive && highKey < shortFloor) surely(entry, shortFloor - highKey);
      else exactly(entry.account);
    }
    if (stats) stats.liquidatable += candidates.length;
    return candidates.sort((a, b) => (a.shortfallUsd > b.shortfallUsd ? -1 : a.shortfallUsd < b.shortfallUsd ? 1 : 0));
  }
}
