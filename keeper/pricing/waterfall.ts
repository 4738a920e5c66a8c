/**
 * What a liquidation or a vault protection will do, predicted with the SDK's whole-waterfall mirror — insurance,
 * the ADL walk, the vault's absorption up to its equity, socialization (`simulateLiquidation` in
 * sdk/math/liquidationEngine.ts) and the vault's deleveraging walk (`simulateDeleverageVault` in
 * sdk/adl/adlExecution.ts) — fed with the mirror (positions, their ADL queue order, market states, ADL config) and
 * the block's snapshot (prices, the vault's cash, the insurance fund). No formula of its own, no RPC call.
 *
 * A batch of liquidations runs through one `WaterfallPredictor` in order: each prediction starts from the books the
 * previous ones left (market state, insurance fund, vault cash, the ADL counterparties they changed), as the
 * entries of one `liquidateMany` do. The predictions are at the snapshot's block time; the transaction lands a block
 * later, so funding accrued in between can move amounts by a little (the static call decides what is sent).
 */
import { simulateDeleverageVault, type VaultInput, type VaultProtectionResult } from "../../sdk/adl/adlExecution";
import { isAdlEligible } from "../../sdk/adl/adlMath";
import type { AdlQueueMember } from "../../sdk/adl/adlQueue";
import { simulateLiquidation, type LiquidationResult } from "../../sdk/math/liquidationEngine";
import { EngineRevertError, type MarketState, type Position } from "../../sdk/math/types";
import type { ChainSnapshot, MarketPrice } from "../chain/lensReader";
import type { MarketMirror } from "../mirror/marketMirror";
import type { PositionMirror } from "../mirror/positionMirror";

/** A position as the predictor sees it: the mirror's, or the one an earlier prediction of the batch left. */
interface BookPosition {
  position: Position;
  adlSequence: bigint;
}

export class WaterfallPredictor {
  private readonly prices = new Map<string, MarketPrice>();
  private readonly states = new Map<string, MarketState>();
  /** marketId → account (lower case) → position changed by an earlier prediction (size 0 = closed). */
  private readonly changed = new Map<string, Map<string, BookPosition>>();
  private readonly queues = new Map<string, AdlQueueMember[]>();
  private insuranceFundUsd: bigint;
  private vaultCashUsd: bigint;
  /** Re-queued positions go to the tail of their tick: after every sequence the mirror holds. */
  private nextSequence: bigint;

  constructor(
    private readonly mirror: PositionMirror,
    private readonly snapshot: ChainSnapshot,
  ) {
    for (const reading of snapshot.markets) this.prices.set(reading.marketId, reading);
    this.insuranceFundUsd = snapshot.insuranceFundUsd;
    this.vaultCashUsd = snapshot.vaultCashUsd;
    this.nextSequence = BigInt(snapshot.blockNumber + 1) << 32n;
  }

  private get nowSeconds(): bigint {
    return BigInt(this.snapshot.timestamp);
  }

  private market(marketId: string): MarketMirror {
    const market = this.mirror.markets.get(marketId);
    if (!market) throw new Error(`market ${marketId} is not mirrored`);
    return market;
  }

  private stateOf(marketId: string): MarketState {
    return this.states.get(marketId) ?? this.market(marketId).state;
  }

  private positionOf(marketId: string, account: string): Position {
    return (
      this.changed.get(marketId)?.get(account.toLowerCase())?.position ?? this.mirror.getPosition(marketId, account)
    );
  }

  /** The engine's ADL queue of one market and side: every eligible position with its insertion order. */
  adlQueue(marketId: string, isLong: boolean): AdlQueueMember[] {
    const cacheKey = `${marketId}:${isLong}`;
    const cached = this.queues.get(cacheKey);
    if (cached) return cached;
    const minNotionalUsd = this.mirror.globals.adlConfig.minQueueNotionalUsd;
    const overlay = this.changed.get(marketId);
    const members: AdlQueueMember[] = [];
    const add = (account: string, position: Position, sequence: bigint) => {
      if (position.size === 0n || position.size > 0n !== isLong || !isAdlEligible(position, minNotionalUsd)) return;
      members.push({ account, position, sequence });
    };
    for (const [account, position] of this.mirror.positions.get(marketId) ?? []) {
      if (!overlay?.has(account)) add(account, position, position.adlSequence);
    }
    for (const [account, { position, adlSequence }] of overlay ?? []) add(account, position, adlSequence);
    this.queues.set(cacheKey, members);
    return members;
  }

  /** The vault's cash and every listed market other than `marketId` (null price = none valid now). */
  vaultInput(marketId: string): VaultInput {
    const otherMarkets = [...this.mirror.markets.values()]
      .filter((m) => m.marketId !== marketId)
      .map((m) => {
        const reading = this.prices.get(m.marketId);
        return {
          marketId: m.marketId,
          state: this.stateOf(m.marketId),
          params: m.params,
          priceWad: reading?.priceOk ? reading.priceWad : null,
          isSettled: m.settlementPriceWad !== 0n,
        };
      });
    return { cashUsd: this.vaultCashUsd, otherMarkets };
  }

  /**
   * `liquidate(account, marketId)` sent by `keeper` after the predictions already made on this predictor; the
   * books move on as the engine's would. Throws what `simulateLiquidation` throws (a panic the engine would hit).
   */
  liquidation(marketId: string, account: string, keeper: string): LiquidationResult {
    const market = this.market(marketId);
    const reading = this.prices.get(marketId);
    if (!reading?.priceOk) throw new Error(`no valid price for market ${marketId}`);
    const position = this.positionOf(marketId, account);
    const isLong = position.size > 0n;
    const result = simulateLiquidation({
      account,
      marketId,
      keeper,
      params: market.params,
      tiers: market.tiers,
      state: this.stateOf(marketId),
      position,
      priceWad: reading.priceWad,
      nowSeconds: this.nowSeconds,
      insuranceFundUsd: this.insuranceFundUsd,
      adlConfig: this.mirror.globals.adlConfig,
      oppositeQueue: this.adlQueue(marketId, !isLong),
      vault: this.vaultInput(marketId),
    });
    this.states.set(marketId, result.state);
    this.insuranceFundUsd = result.insuranceFundUsd;
    this.vaultCashUsd += result.vaultCashDeltaUsd;
    this.recordTouched(marketId, result.touched);
    return result;
  }

  /**
   * `deleverageVault(marketId, maxSteps)` at the snapshot: undefined when the engine would revert with
   * `VaultDeleverageNotNeeded` (the vault's loss there is not over its upper threshold). Throws
   * `PriceUnavailableError` when the vault cannot be valued (the engine reverts too).
   */
  vaultProtection(marketId: string, maxSteps: bigint): VaultProtectionResult | undefined {
    const market = this.market(marketId);
    const reading = this.prices.get(marketId);
    if (!reading?.priceOk) return undefined;
    const state = this.stateOf(marketId);
    try {
      return simulateDeleverageVault(
        {
          marketId,
          params: market.params,
          state,
          priceWad: reading.priceWad,
          nowSeconds: this.nowSeconds,
          queue: state.netSize === 0n ? [] : this.adlQueue(marketId, state.netSize > 0n),
          adlConfig: this.mirror.globals.adlConfig,
          vault: this.vaultInput(marketId),
        },
        maxSteps,
      );
    } catch (error) {
      if (error instanceof EngineRevertError && error.errorName === "VaultDeleverageNotNeeded") return undefined;
      throw error;
    }
  }

  private recordTouched(marketId: string, touched: LiquidationResult["touched"]): void {
    if (touched.length === 0) return;
    let overlay = this.changed.get(marketId);
    if (!overlay) {
      overlay = new Map();
      this.changed.set(marketId, overlay);
    }
    for (const t of touched) {
      overlay.set(t.account.toLowerCase(), { position: t.after, adlSequence: this.nextSequence++ });
    }
    this.queues.delete(`${marketId}:true`);
    this.queues.delete(`${marketId}:false`);
  }
}
