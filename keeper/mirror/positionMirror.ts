/**
 * The event-sourced mirror of the engine: every open position, every market's configuration and aggregates, and
 * the engine-wide settings the keeper acts on — rebuilt from events only (no `eth_call`), exactly as the engine
 * stores them, so that the SDK's math on it equals `positionEquity` on chain to the wei.
 *
 * How each event maps to storage (contracts/PerpEngine.sol, LiquidationLogic.sol, AdlLogic.sol,
 * MarketAdminLogic.sol):
 * - `PositionModified` / `Liquidated` / `Deleveraged` carry the position's new size and margin (and entry for a
 *   trade; liquidation and ADL keep it); its funding snapshot becomes the market's funding index and its loss
 *   snapshot its side's loss index, both as last emitted; a closed position is all zero. The market aggregates
 *   follow with the SDK's `updateMarketTotals`, exactly as `MarketLogic.updateMarketTotals`.
 * - `FundingAccrued` sets the funding index and its timestamp, `LossSocialized` a side's loss index.
 * - `MarketListed` / `MarketParamsSet` / `OpenInterestCapLowered` / `ReduceOnlySet` / `MarketSettled` the
 *   configuration; a maintenance raise starts its ramp at the block's timestamp with the old schedule.
 *
 * Reorgs: every block applied while following keeps an undo journal (the previous value of everything it
 * changed), so `rollbackTo` restores the state of any kept block exactly; blocks applied by the bulk backfill are
 * older than the reorg window and keep none.
 */
import { updateMarketTotals, lossIndexWad } from "../../sdk/math/engineMath";
import type { Position } from "../../sdk/math/types";
import { MirrorError } from "../errors";
import type { EngineEvent } from "./engineEvents";
import { cloneMarket, emptyMarketState, toSdkParams, type MarketMirror } from "./marketMirror";

export interface AdlConfigMirror {
  minQueueNotionalUsd: bigint;
  maxSteps: bigint;
  maxSkips: bigint;
  vaultLossUpperBps: bigint;
  vaultLossLowerBps: bigint;
}

export interface GlobalsMirror {
  adlConfig: AdlConfigMirror;
  pauses: { trading: boolean; liquidations: boolean; withdrawals: boolean; liquidationsResumeAt: bigint };
  insuranceFundTargetUsd: bigint;
  liquidationGracePeriodSeconds: bigint;
  maintenanceRampSeconds: bigint;
}

/** A committed order waiting for execution (`OrderCommitted`), until `OrderExecuted` or `OrderCancelled`. */
export interface PendingOrder {
  account: string;
  marketId: string;
  executableAt: bigint;
  expiresAt: bigint;
  executionFeeUsd: bigint;
}

export function orderKey(marketId: string, account: string): string {
  return `${marketId}:${account.toLowerCase()}`;
}

export type UndoRecord =
  | { kind: "position"; marketId: string; account: string; previous: Position | null }
  | { kind: "order"; key: string; previous: PendingOrder | null }
  | { kind: "market"; marketId: string; previous: MarketMirror | null }
  | { kind: "globals"; previous: GlobalsMirror };

export interface BlockRecord {
  number: number;
  hash: string;
  /** null for blocks applied without a journal (bulk backfill, older than the reorg window). */
  undo: UndoRecord[] | null;
}

/** Told about every change, including rollbacks (the candidate index keeps itself in step). */
export interface MirrorListener {
  positionChanged(
    marketId: string,
    account: string,
    previous: Position | undefined,
    current: Position | undefined,
  ): void;
  /** The market's configuration changed (parameters, tiers, ramp, settlement) or it was listed or unlisted. */
  marketConfigChanged(marketId: string): void;
}

/** Switch numbers of `IPerpEngine.PauseSwitch`. */
const PAUSE_TRADING = 0;
const PAUSE_LIQUIDATIONS = 1;

export const ZERO_POSITION: Readonly<Position> = Object.freeze({
  size: 0n,
  entryPriceWad: 0n,
  marginUsd: 0n,
  fundingIndexSnapshotWad: 0n,
  lossIndexSnapshotWad: 0n,
});

export function initialGlobals(): GlobalsMirror {
  return {
    adlConfig: { minQueueNotionalUsd: 0n, maxSteps: 0n, maxSkips: 0n, vaultLossUpperBps: 0n, vaultLossLowerBps: 0n },
    pauses: { trading: false, liquidations: false, withdrawals: false, liquidationsResumeAt: 0n },
    insuranceFundTargetUsd: 0n,
    liquidationGracePeriodSeconds: 0n,
    maintenanceRampSeconds: 0n,
  };
}

function cloneGlobals(globals: GlobalsMirror): GlobalsMirror {
  return { ...globals, adlConfig: { ...globals.adlConfig }, pauses: { ...globals.pauses } };
}

export class PositionMirror {
  readonly markets = new Map<string, MarketMirror>();
  /** marketId → account (lower case) → stored position; only non-empty positions are kept. */
  readonly positions = new Map<string, Map<string, Position>>();
  globals: GlobalsMirror = initialGlobals();
  /** Pending orders by `orderKey(marketId, account)`. */
  readonly orders = new Map<string, PendingOrder>();
  /** Blocks applied, oldest first; the last is the block the mirror is at. At most `keptBlocks` are kept. */
  blocks: BlockRecord[] = [];
  private journal: UndoRecord[] | null = null;
  /** Markets (and the globals) already saved in this block's journal: the oldest value is the one to restore. */
  private savedMarkets = new Set<string>();
  private savedGlobals = false;
  private readonly listeners: MirrorListener[] = [];

  constructor(private readonly keptBlocks: number) {}

  addListener(listener: MirrorListener): void {
    this.listeners.push(listener);
  }

  /** The block the mirror is at (undefined before the first block). */
  get head(): { number: number; hash: string } | undefined {
    return this.blocks[this.blocks.length - 1];
  }

  hashAt(blockNumber: number): string | undefined {
    for (let i = this.blocks.length - 1; i >= 0; --i) {
      if (this.blocks[i].number === blockNumber) return this.blocks[i].hash;
      if (this.blocks[i].number < blockNumber) return undefined;
    }
    return undefined;
  }

  positionCount(): number {
    let count = 0;
    for (const byAccount of this.positions.values()) count += byAccount.size;
    return count;
  }

  getPosition(marketId: string, account: string): Position {
    return this.positions.get(marketId)?.get(account.toLowerCase()) ?? ZERO_POSITION;
  }

  /**
   * Applies one block's events (in log order). `timestamps` must hold the timestamp of every block in which a
   * market is listed or a maintenance raise starts (see `blocksNeedingTimestamps`). `reversible` keeps an undo
   * journal so that the block can be rolled back.
   */
  applyBlock(
    block: { number: number; hash: string },
    events: readonly EngineEvent[],
    timestamps: ReadonlyMap<number, number>,
    reversible: boolean,
  ): void {
    const head = this.head;
    if (head && block.number <= head.number) {
      throw new MirrorError("block applied out of order", { block: block.number, head: head.number });
    }
    this.journal = reversible ? [] : null;
    this.savedMarkets = new Set();
    this.savedGlobals = false;
    for (const event of events) this.applyEvent(event, timestamps);
    this.blocks.push({ number: block.number, hash: block.hash, undo: this.journal });
    this.journal = null;
    if (this.blocks.length > this.keptBlocks) this.blocks.splice(0, this.blocks.length - this.keptBlocks);
  }

  /** Applies a range of blocks without journals (bulk backfill of blocks older than the reorg window). */
  applyRange(
    events: readonly EngineEvent[],
    timestamps: ReadonlyMap<number, number>,
    last: { number: number; hash: string },
  ): void {
    this.journal = null;
    for (const event of events) this.applyEvent(event, timestamps);
    this.blocks.push({ number: last.number, hash: last.hash, undo: null });
    if (this.blocks.length > this.keptBlocks) this.blocks.splice(0, this.blocks.length - this.keptBlocks);
  }

  /** True when every block after `blockNumber` is kept with its journal (a rollback to it is possible). */
  canRollbackTo(blockNumber: number): boolean {
    const index = this.blocks.findIndex((b) => b.number === blockNumber);
    if (index < 0) return false;
    return this.blocks.slice(index + 1).every((b) => b.undo !== null);
  }

  /** Undoes every block after `blockNumber` (which must be kept), newest first. */
  rollbackTo(blockNumber: number): void {
    if (!this.canRollbackTo(blockNumber)) throw new MirrorError("cannot roll back that far", { block: blockNumber });
    while (this.head && this.head.number > blockNumber) {
      const record = this.blocks.pop() as BlockRecord;
      const undo = record.undo as UndoRecord[];
      for (let i = undo.length - 1; i >= 0; --i) this.undoRecord(undo[i]);
    }
  }

  // ───────────────────────── events ─────────────────────────

  private applyEvent(event: EngineEvent, timestamps: ReadonlyMap<number, number>): void {
    switch (event.name) {
      case "MarketListed": {
        const timestamp = timestamps.get(event.blockNumber);
        if (timestamp === undefined)
          throw new MirrorError("no timestamp for a listing block", { block: event.blockNumber });
        this.saveMarket(event.marketId);
        this.markets.set(event.marketId, {
          marketId: event.marketId,
          oracle: event.oracle,
          params: toSdkParams(event.params),
          tiers: event.tiers,
          previousTiers: [],
          ramp: { startTime: 0n, endTime: 0n, previousKeeperRewardUsd: 0n },
          state: emptyMarketState(BigInt(timestamp)),
          settlementPriceWad: 0n,
          reduceOnly: false,
        });
        this.notifyConfig(event.marketId);
        return;
      }
      case "FundingAccrued": {
        const market = this.mutableMarket(event.marketId);
        market.state.fundingIndexWad = event.fundingIndexWad;
        market.state.lastFundingTimestamp = event.timestamp;
        return;
      }
      case "LossSocialized": {
        const market = this.mutableMarket(event.marketId);
        if (event.chargedSideIsLong) market.state.longLossIndexWad = event.lossIndexWad;
        else market.state.shortLossIndexWad = event.lossIndexWad;
        return;
      }
      case "PositionModified":
        this.storePosition(event.marketId, event.account, event.newSize, event.newMarginUsd, event.newEntryPriceWad);
        return;
      case "Liquidated": {
        const old = this.getPosition(event.marketId, event.account);
        this.storePosition(
          event.marketId,
          event.account,
          event.remainingSize,
          event.remainingMarginUsd,
          old.entryPriceWad,
        );
        return;
      }
      case "Deleveraged": {
        const old = this.getPosition(event.marketId, event.account);
        this.storePosition(event.marketId, event.account, event.newSize, event.newMarginUsd, old.entryPriceWad);
        return;
      }
      case "SettledPositionClosed":
        this.storePosition(event.marketId, event.account, 0n, 0n, 0n);
        return;
      case "MarketSettled": {
        const market = this.mutableMarket(event.marketId);
        market.settlementPriceWad = event.settlementPriceWad;
        market.reduceOnly = true;
        this.notifyConfig(event.marketId);
        return;
      }
      case "MarketParamsSet": {
        const market = this.mutableMarket(event.marketId);
        if (event.maintenanceRampEndsAt !== 0n) {
          const timestamp = timestamps.get(event.blockNumber);
          if (timestamp === undefined)
            throw new MirrorError("no timestamp for a ramp's block", { block: event.blockNumber });
          market.previousTiers = market.tiers.map((tier) => ({ ...tier }));
          market.ramp = {
            startTime: BigInt(timestamp),
            endTime: event.maintenanceRampEndsAt,
            previousKeeperRewardUsd: market.params.keeperRewardUsd,
          };
        }
        market.params = toSdkParams(event.params);
        market.tiers = event.tiers;
        this.notifyConfig(event.marketId);
        return;
      }
      case "OpenInterestCapLowered":
        this.mutableMarket(event.marketId).params.maxOpenInterestPerSide = event.newCap;
        return;
      case "ReduceOnlySet":
        this.mutableMarket(event.marketId).reduceOnly = event.reduceOnly;
        return;
      case "AdlConfigSet":
        this.mutableGlobals().adlConfig = {
          minQueueNotionalUsd: event.minQueueNotionalUsd,
          maxSteps: event.maxSteps,
          maxSkips: event.maxSkips,
          vaultLossUpperBps: event.vaultLossUpperBps,
          vaultLossLowerBps: event.vaultLossLowerBps,
        };
        return;
      case "SwitchPaused": {
        const pauses = this.mutableGlobals().pauses;
        if (event.which === PAUSE_TRADING) pauses.trading = true;
        else if (event.which === PAUSE_LIQUIDATIONS) pauses.liquidations = true;
        else pauses.withdrawals = true;
        return;
      }
      case "SwitchUnpaused": {
        const pauses = this.mutableGlobals().pauses;
        if (event.which === PAUSE_TRADING) pauses.trading = false;
        else if (event.which === PAUSE_LIQUIDATIONS) pauses.liquidations = false;
        else pauses.withdrawals = false;
        pauses.liquidationsResumeAt = event.liquidationsResumeAt;
        return;
      }
      case "InsuranceFundTargetSet":
        this.mutableGlobals().insuranceFundTargetUsd = event.targetUsd;
        return;
      case "GovernanceConfigSet": {
        const globals = this.mutableGlobals();
        globals.liquidationGracePeriodSeconds = event.liquidationGracePeriodSeconds;
        globals.maintenanceRampSeconds = event.maintenanceRampSeconds;
        return;
      }
      case "OrderCommitted":
        this.setOrder(orderKey(event.marketId, event.account), {
          account: event.account,
          marketId: event.marketId,
          executableAt: event.executableAt,
          expiresAt: event.expiresAt,
          executionFeeUsd: event.executionFeeUsd,
        });
        return;
      case "OrderExecuted":
      case "OrderCancelled":
        this.setOrder(orderKey(event.marketId, event.account), undefined);
        return;
      default:
        // LiquidationSkipped, VaultDeleveraged, AnswerUpdated change no stored state.
        return;
    }
  }

  /**
   * Writes a position as the engine does after an action (funding snapshot = the market's funding index, loss
   * snapshot = its side's loss index; all zero once closed) and folds the change into the market aggregates.
   */
  private storePosition(
    marketId: string,
    account: string,
    size: bigint,
    marginUsd: bigint,
    entryPriceWad: bigint,
  ): void {
    const market = this.mutableMarket(marketId);
    const old = this.getPosition(marketId, account);
    const updated: Position =
      size === 0n
        ? { ...ZERO_POSITION }
        : {
            size,
            entryPriceWad,
            marginUsd,
            fundingIndexSnapshotWad: market.state.fundingIndexWad,
            lossIndexSnapshotWad: lossIndexWad(market.state, size),
          };
    market.state = updateMarketTotals(market.state, old, updated, size - old.size);
    this.setPosition(marketId, account, updated.size === 0n ? undefined : updated);
  }

  private setPosition(marketId: string, account: string, position: Position | undefined): void {
    let byAccount = this.positions.get(marketId);
    if (!byAccount) {
      byAccount = new Map();
      this.positions.set(marketId, byAccount);
    }
    const previous = byAccount.get(account);
    this.journal?.push({ kind: "position", marketId, account, previous: previous ?? null });
    if (position) byAccount.set(account, position);
    else byAccount.delete(account);
    for (const listener of this.listeners) listener.positionChanged(marketId, account, previous, position);
  }

  private setOrder(key: string, order: PendingOrder | undefined): void {
    this.journal?.push({ kind: "order", key, previous: this.orders.get(key) ?? null });
    if (order) this.orders.set(key, order);
    else this.orders.delete(key);
  }

  private saveMarket(marketId: string): void {
    if (!this.journal || this.savedMarkets.has(marketId)) return;
    this.savedMarkets.add(marketId);
    const market = this.markets.get(marketId);
    this.journal.push({ kind: "market", marketId, previous: market ? cloneMarket(market) : null });
  }

  /** The market, with its current value saved to the journal first. */
  private mutableMarket(marketId: string): MarketMirror {
    const market = this.markets.get(marketId);
    if (!market) throw new MirrorError("event for a market that was never listed", { marketId });
    this.saveMarket(marketId);
    return market;
  }

  private mutableGlobals(): GlobalsMirror {
    if (this.journal && !this.savedGlobals) {
      this.savedGlobals = true;
      this.journal.push({ kind: "globals", previous: cloneGlobals(this.globals) });
    }
    return this.globals;
  }

  private notifyConfig(marketId: string): void {
    for (const listener of this.listeners) listener.marketConfigChanged(marketId);
  }

  private undoRecord(record: UndoRecord): void {
    switch (record.kind) {
      case "position": {
        const byAccount = this.positions.get(record.marketId) ?? new Map<string, Position>();
        this.positions.set(record.marketId, byAccount);
        const current = byAccount.get(record.account);
        if (record.previous) byAccount.set(record.account, record.previous);
        else byAccount.delete(record.account);
        for (const listener of this.listeners) {
          listener.positionChanged(record.marketId, record.account, current, record.previous ?? undefined);
        }
        return;
      }
      case "order":
        if (record.previous) this.orders.set(record.key, record.previous);
        else this.orders.delete(record.key);
        return;
      case "market":
        if (record.previous) this.markets.set(record.marketId, record.previous);
        else this.markets.delete(record.marketId);
        this.notifyConfig(record.marketId);
        return;
      case "globals":
        this.globals = record.previous;
        return;
    }
  }
}

/** Blocks whose timestamp `applyBlock`/`applyRange` needs: where a market is listed or a maintenance raise starts. */
export function blocksNeedingTimestamps(events: readonly EngineEvent[]): number[] {
  const blocks = new Set<number>();
  for (const event of events) {
    if (event.name === "MarketListed" || (event.name === "MarketParamsSet" && event.maintenanceRampEndsAt !== 0n)) {
      blocks.add(event.blockNumber);
    }
  }
  return [...blocks];
}
