/**
 * The protocol's books rebuilt from its events alone (no `eth_call`): every open position with its funding
 * and loss snapshots and its place in its ADL queue, each market's funding and loss indices and aggregates, and the
 * insurance fund.
 * The events carry the post-state an indexer needs (see contracts/interfaces/IPerpEngine.sol): after
 * `PositionModified`, a partial `Liquidated` and `Deleveraged`, the position's funding snapshot is the
 * market's funding index and its loss snapshot its side's loss index, both as last emitted.
 *
 * The stand-in keeper decides liquidations from it, the agents read their positions from it, and the report
 * recomputes open interest from it (and checks that against the chain every step).
 */
import type { MarketState, Position } from "../../sdk/math/types";
import { isAdlEligible } from "../../sdk/adl/adlMath";
import type { AdlQueueMember } from "../../sdk/adl/adlQueue";
import { bigArg, strArg, type ChainEvent } from "./decodeEvents";

/** Insurance-fund events whose `insuranceFundUsd` argument is the fund after the event. */
export const INSURANCE_EVENTS = new Set([
  "InsuranceFeeCredited",
  "InsurancePenaltyCredited",
  "InsuranceDeficitPaid",
  "InsuranceKeeperTopUp",
  "InsuranceDonated",
  "InsuranceWithdrawn",
]);

interface MarketIndices {
  fundingIndexWad: bigint;
  lastFundingTimestamp: bigint;
  longLossIndexWad: bigint;
  shortLossIndexWad: bigint;
}

const key = (value: string) => value.toLowerCase();

export class ProtocolLedger {
  /** marketId → account → open position (closed positions are removed). */
  private readonly positions = new Map<string, Map<string, Position>>();
  private readonly indices = new Map<string, MarketIndices>();
  /** marketId → account → when the engine last re-keyed the position in its ADL queue (block × 2^32 + logIndex). */
  private readonly sequences = new Map<string, Map<string, bigint>>();
  insuranceFundUsd = 0n;
  /** The last event applied (block, logIndex), to refuse out-of-order input. */
  private lastApplied: [number, number] = [-1, -1];

  private indicesOf(marketId: string): MarketIndices {
    let indices = this.indices.get(key(marketId));
    if (!indices) {
      indices = { fundingIndexWad: 0n, lastFundingTimestamp: 0n, longLossIndexWad: 0n, shortLossIndexWad: 0n };
      this.indices.set(key(marketId), indices);
    }
    return indices;
  }

  private book(marketId: string): Map<string, Position> {
    let book = this.positions.get(key(marketId));
    if (!book) {
      book = new Map();
      this.positions.set(key(marketId), book);
    }
    return book;
  }

  /** Stores a position after an event that resets its snapshots (or removes it when closed). */
  private store(marketId: string, account: string, size: bigint, marginUsd: bigint, entryPriceWad: bigint): void {
    const book = this.book(marketId);
    if (size === 0n) {
      book.delete(key(account));
      return;
    }
    const indices = this.indicesOf(marketId);
    book.set(key(account), {
      size,
      entryPriceWad,
      marginUsd,
      fundingIndexSnapshotWad: indices.fundingIndexWad,
      lossIndexSnapshotWad: size > 0n ? indices.longLossIndexWad : indices.shortLossIndexWad,
    });
  }

  /** Applies one event; events must come in chain order. */
  apply(event: ChainEvent): void {
    if (
      event.block < this.lastApplied[0] ||
      (event.block === this.lastApplied[0] && event.logIndex <= this.lastApplied[1])
    ) {
      throw new Error(`ProtocolLedger: event ${event.block}/${event.logIndex} applied out of order`);
    }
    this.lastApplied = [event.block, event.logIndex];
    if (event.contract !== "engine") return;
    if (INSURANCE_EVENTS.has(event.name)) {
      this.insuranceFundUsd = bigArg(event, "insuranceFundUsd");
      return;
    }
    switch (event.name) {
      case "FundingAccrued": {
        const indices = this.indicesOf(strArg(event, "marketId"));
        indices.fundingIndexWad = bigArg(event, "fundingIndexWad");
        indices.lastFundingTimestamp = bigArg(event, "timestamp");
        return;
      }
      case "LossSocialized": {
        const indices = this.indicesOf(strArg(event, "marketId"));
        if (event.args.chargedSideIsLong === true) indices.longLossIndexWad = bigArg(event, "lossIndexWad");
        else indices.shortLossIndexWad = bigArg(event, "lossIndexWad");
        return;
      }
      case "PositionModified":
        this.noteRekey(event, bigArg(event, "newSize"));
        this.store(
          strArg(event, "marketId"),
          strArg(event, "account"),
          bigArg(event, "newSize"),
          bigArg(event, "newMarginUsd"),
          bigArg(event, "newEntryPriceWad"),
        );
        return;
      case "Liquidated":
      case "Deleveraged": {
        const marketId = strArg(event, "marketId");
        const account = strArg(event, "account");
        const before = this.position(marketId, account);
        const isLiquidation = event.name === "Liquidated";
        this.noteRekey(event, bigArg(event, isLiquidation ? "remainingSize" : "newSize"));
        this.store(
          marketId,
          account,
          bigArg(event, isLiquidation ? "remainingSize" : "newSize"),
          bigArg(event, isLiquidation ? "remainingMarginUsd" : "newMarginUsd"),
          before?.entryPriceWad ?? 0n,
        );
        return;
      }
      case "SettledPositionClosed":
        this.book(strArg(event, "marketId")).delete(key(strArg(event, "account")));
        this.noteRekey(event, 0n);
        return;
      default:
        return;
    }
  }

  /**
   * Every event that stores a position comes from a store that re-keys it in the ADL queues (`AdlLogic.rekey`:
   * out of its queue, back in at the tail of its key's tick when open and eligible), so its place is the event's.
   */
  private noteRekey(event: ChainEvent, newSize: bigint): void {
    const marketId = key(strArg(event, "marketId"));
    let sequences = this.sequences.get(marketId);
    if (!sequences) {
      sequences = new Map();
      this.sequences.set(marketId, sequences);
    }
    if (newSize === 0n) sequences.delete(key(strArg(event, "account")));
    else sequences.set(key(strArg(event, "account")), (BigInt(event.block) << 32n) | BigInt(event.logIndex));
  }

  /** A side's ADL queue as the engine holds it (eligible open positions with their insertion order), for the SDK. */
  adlQueue(marketId: string, isLong: boolean, minQueueNotionalUsd: bigint): AdlQueueMember[] {
    const sequences = this.sequences.get(key(marketId));
    const members: AdlQueueMember[] = [];
    for (const [account, position] of this.openPositions(marketId)) {
      const sequence = sequences?.get(account);
      if (position.size > 0n !== isLong || sequence === undefined) continue;
      if (!isAdlEligible(position, minQueueNotionalUsd)) continue;
      members.push({ account, position, sequence });
    }
    return members;
  }

  position(marketId: string, account: string): Position | undefined {
    return this.positions.get(key(marketId))?.get(key(account));
  }

  /** Every open position of a market as [account (lower case), position]. */
  openPositions(marketId: string): [string, Position][] {
    return [...(this.positions.get(key(marketId))?.entries() ?? [])];
  }

  /**
   * The market's aggregates as `getMarketState` returns them, recomputed from the mirrored positions
   * (exact: the contract keeps the same sums).
   */
  marketState(marketId: string): MarketState {
    const indices = this.indicesOf(marketId);
    const state: MarketState = {
      netSize: 0n,
      longOpenInterest: 0n,
      shortOpenInterest: 0n,
      sumSizeTimesEntry: 0n,
      sumSizeTimesFundingSnapshot: 0n,
      fundingIndexWad: indices.fundingIndexWad,
      lastFundingTimestamp: indices.lastFundingTimestamp,
      longLossIndexWad: indices.longLossIndexWad,
      shortLossIndexWad: indices.shortLossIndexWad,
      sumLongSizeTimesLossSnapshot: 0n,
      sumShortSizeTimesLossSnapshot: 0n,
    };
    for (const [, position] of this.openPositions(marketId)) {
      state.netSize += position.size;
      state.sumSizeTimesEntry += position.size * position.entryPriceWad;
      state.sumSizeTimesFundingSnapshot += position.size * position.fundingIndexSnapshotWad;
      if (position.size > 0n) {
        state.longOpenInterest += position.size;
        state.sumLongSizeTimesLossSnapshot += position.size * position.lossIndexSnapshotWad;
      } else {
        state.shortOpenInterest += -position.size;
        state.sumShortSizeTimesLossSnapshot += -position.size * position.lossIndexSnapshotWad;
      }
    }
    return state;
  }
}
