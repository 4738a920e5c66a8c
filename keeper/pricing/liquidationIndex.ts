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
 * own division), so the index never misses a liquidatable position; the exact check removes the few extra.
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

/** A position the exact check found liquidatable, with how far below maintenance it is. */
export interface LiquidationCandidate {
  marketId: string;
  account: string;
  position: Position;
  health: MirroredHealth;
  /** maintenance requirement − equity (USD, 1e18; > 0). */
  shortfallUsd: bigint;
}

/** What a query looked at (for the benchmark and the logs). */
export interface QueryStats {
  /** Positions the index walked and checked exactly. */
  checked: number;
  liquidatable: number;
}

/** The widened static key of a position (see the header); `undefined` for an empty position. */
export function liquidationKey(market: MarketMirror, position: Position): bigint | undefined {
  if (position.size === 0n) return undefined;
  const sizeAbs = position.size < 0n ? -position.size : position.size;
  const perUnitMargin = ((position.marginUsd - market.params.keeperRewardUsd) * WAD) / sizeAbs;
  const slack = KEY_DIVISION_SLACK + (ROUNDING_BOUND_USD * WAD + sizeAbs - 1n) / sizeAbs;
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
    const accounts = new Set<string>();

    // Longs: liquidatable (first tier) only if key > P·(1 − m0) − F − L_long.
    const longThreshold = (priceWad * (BPS - firstRateBps)) / BPS - fundingIndexWad - state.longLossIndexWad;
    for (let i = sides.long.byKey.firstAbove(longThreshold); i < sides.long.byKey.items.length; ++i) {
      accounts.add(sides.long.byKey.items[i].account);
    }
    // Shorts: only if key < P·(1 + m0) − F + L_short (rounded up).
    const shortThreshold =
      (priceWad * (BPS + firstRateBps) + BPS - 1n) / BPS - fundingIndexWad + state.shortLossIndexWad;
    const shortEnd = sides.short.byKey.firstAtLeast(shortThreshold);
    for (let i = 0; i < shortEnd; ++i) accounts.add(sides.short.byKey.items[i].account);
    // Above the first tier's notional the rate is higher: check those few positions one by one.
    if (market.tiers.length > 1) {
      const largeFromSizeAbs = (market.tiers[1].notionalFloorUsd * WAD) / priceWad;
      for (const side of [sides.long, sides.short]) {
        for (let i = side.bySize.firstAtLeast(largeFromSizeAbs); i < side.bySize.items.length; ++i) {
          accounts.add(side.bySize.items[i].account);
        }
      }
    }

    const candidates: LiquidationCandidate[] = [];
    for (const account of accounts) {
      const position = this.mirror.getPosition(marketId, account);
      const health = mirroredHealth(market, state, position, priceWad, nowSeconds, fundingIndexWad);
      if (!health.isLiquidatable) continue;
      candidates.push({
        marketId,
        account,
        position,
        health,
        shortfallUsd: health.maintenanceRequirementUsd - health.equityUsd,
      });
    }
    if (stats) {
      stats.checked += accounts.size;
      stats.liquidatable += candidates.length;
    }
    return candidates.sort((a, b) => (a.shortfallUsd > b.shortfallUsd ? -1 : a.shortfallUsd < b.shortfallUsd ? 1 : 0));
  }
}
