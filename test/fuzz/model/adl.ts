// The model's ADL queues and the engine's two vault-protection entry points. The walks themselves are the SDK's
// (sdk/adl/adlExecution: `simulateDeleverageVault`, `simulateVaultProtectionAfterAction`; the liquidation walk runs
// inside `simulateLiquidation`); this file keeps each queued position's key and insertion order (FIFO inside a
// tick, which no key carries), hands the SDK the queue members and folds the SDK's results back into the model:
// positions, queue order, balances, ledgers and the `Deleveraged` / `VaultDeleveraged` events.
import { EngineRevertError, type Position } from "../../../sdk/math";
import { adlKey, isAdlEligible } from "../../../sdk/adl/adlMath";
import { adlOrder, type AdlQueueMember, type QueueEntry as SdkQueueEntry } from "../../../sdk/adl/adlQueue";
import {
  simulateDeleverageVault,
  simulateVaultProtectionAfterAction,
  type DeleveragedEvent,
  type OtherMarketInput,
  type TouchedPosition,
  type VaultProtectionInput,
  type VaultProtectionResult,
} from "../../../sdk/adl/adlExecution";
import { Revert, readPrice, tryReadPrice, type PriceCache } from "./oracle";
import { addFree, ledgerOf, positionOf, setPosition, type MarketModel } from "./state";
import { accrue, vaultEquityModel, type ActionContext } from "./engine";

// ───────────────────────────── queue ─────────────────────────────

function queueOf(m: MarketModel, isLong: boolean): Map<string, { key: bigint; seq: number }> {
  return isLong ? m.longQueue : m.shortQueue;
}

/** `AdlLogic._rekey`: out of the old side's queue, into the new side's at the tail of its key's tick. */
export function rekey(ctx: ActionContext, mi: number, account: string, oldSize: bigint, updated: Position): void {
  const m = ctx.s.markets[mi];
  if (oldSize !== 0n) queueOf(m, oldSize > 0n).delete(account);
  if (updated.size === 0n) return;
  if (!isAdlEligible(updated, ctx.cfg.adl.minQueueNotionalUsd)) return;
  queueOf(m, updated.size > 0n).set(account, { key: adlKey(updated), seq: ++ctx.s.seq });
}

/** The queue in ADL order (longs: highest tick first; shorts: lowest; FIFO inside a tick). */
export function queueOrder(m: MarketModel, isLong: boolean): string[] {
  const entries: SdkQueueEntry[] = [...queueOf(m, isLong).entries()].map(([account, e]) => ({
    account,
    key: e.key,
    sequence: e.seq,
  }));
  return adlOrder(entries, isLong).map((e) => e.account);
}

/** A side's queue as the SDK takes it: members with their stored positions and insertion order. */
export function queueMembers(m: MarketModel, isLong: boolean): AdlQueueMember[] {
  return [...queueOf(m, isLong).entries()].map(([account, e]) => ({
    account,
    position: positionOf(m, account),
    sequence: BigInt(e.seq),
  }));
}

/**
 * Folds positions changed by an SDK walk or liquidation into the model, in the engine's re-key order: the
 * stored position, the queue (re-inserted at the tail of its tick when `requeued`), the free-balance credit.
 */
export function applyTouched(ctx: ActionContext, mi: number, touched: TouchedPosition[]): void {
  const m = ctx.s.markets[mi];
  for (const change of touched) {
    setPosition(m, change.account, change.after);
    rekey(ctx, mi, change.account, change.before.size, change.after);
    const queued = queueOf(m, change.after.size > 0n).has(change.account);
    if (change.after.size !== 0n && queued !== change.requeued) {
      throw new Error(`model: queue membership of ${change.account} disagrees with the SDK's requeued flag`);
    }
    if (change.freeCreditUsd !== 0n) addFree(ctx.s, change.account, change.freeCreditUsd);
  }
}

/** Emits the `Deleveraged` events and books each counterparty's settlement in its ledger. */
export function emitDeleveraged(ctx: ActionContext, events: DeleveragedEvent[]): void {
  for (const e of events) {
    const l = ledgerOf(ctx.s, e.account);
    l.realizedPnlUsd += e.realizedPnlUsd;
    l.fundingPaidUsd += e.fundingPaidUsd;
    l.lossPaidUsd += e.lossPaidUsd;
    ctx.ev.emit("Deleveraged", { ...e });
  }
}

/** The other markets as the vault's valuation reads them in this transaction (null price = invalid). */
export function otherMarketsOf(ctx: ActionContext, mi: number, cache: PriceCache): OtherMarketInput[] {
  const { cfg, s, t } = ctx;
  const out: OtherMarketInput[] = [];
  s.markets.forEach((m, i) => {
    if (i === mi) return;
    const hasOpenInterest = m.state.longOpenInterest + m.state.shortOpenInterest !== 0n;
    out.push({
      marketId: cfg.markets[i].id,
      state: m.state,
      params: cfg.markets[i].params,
      // Markets without open interest are not priced by the engine's valuation.
      priceWad: hasOpenInterest ? tryReadPrice(cfg.markets, s, i, t, cache, ctx.ev) : null,
    });
  });
  return out;
}

// ───────────────────────────── vault protection ─────────────────────────────

function protectionInput(ctx: ActionContext, mi: number, priceWad: bigint, cache: PriceCache): VaultProtectionInput {
  const { cfg, s, t } = ctx;
  const m = s.markets[mi];
  return {
    marketId: cfg.markets[mi].id,
    params: cfg.markets[mi].params,
    state: m.state,
    priceWad,
    nowSeconds: t,
    queue: queueMembers(m, m.state.netSize > 0n),
    adlConfig: cfg.adl,
    vault: { cashUsd: s.vaultCashUsd, otherMarkets: otherMarketsOf(ctx, mi, cache) },
  };
}

function applyProtection(ctx: ActionContext, mi: number, r: VaultProtectionResult): void {
  const m = ctx.s.markets[mi];
  m.state = r.state;
  emitDeleveraged(ctx, r.deleveraged);
  applyTouched(ctx, mi, r.touched);
  ctx.s.vaultCashUsd += r.vaultCashDeltaUsd;
  if (r.vaultDeleveraged) ctx.ev.emit("VaultDeleveraged", { ...r.vaultDeleveraged });
}

/** `deleverageVault(marketId, maxSteps)`: refused while liquidations are paused, allowed during the grace period. */
export function deleverageVault(ctx: ActionContext, mi: number, maxSteps: bigint): void {
  const { cfg, s, t } = ctx;
  if (maxSteps === 0n) throw new Revert("ZeroAmount");
  if (s.pauses.liquidations) throw new Revert("LiquidationsPaused");
  const cache: PriceCache = new Map();
  const { priceWad } = readPrice(cfg.markets, s, mi, t, cache, ctx.ev);
  accrue(ctx, mi, priceWad);
  // The thresholds value the vault: a market with open interest and no valid price reverts with its error.
  vaultEquityModel(cfg, s, t, true, cache);
  let r: VaultProtectionResult;
  try {
    r = simulateDeleverageVault(protectionInput(ctx, mi, priceWad, cache), maxSteps);
  } catch (e) {
    if (e instanceof EngineRevertError) throw new Revert(e.errorName);
    throw e;
  }
  applyProtection(ctx, mi, r);
}

/**
 * `AdlLogic.protectVaultAfterAction` as `modifyPosition`, `closePosition` and `pokeFunding` run it after their own
 * work (same transaction, so the same price cache): at most min(4, adl.maxSteps) closes and as many skips.
 */
export function protectVaultAfterAction(ctx: ActionContext, mi: number, cache: PriceCache): void {
  const { cfg, s, t } = ctx;
  const { priceWad } = readPrice(cfg.markets, s, mi, t, cache, ctx.ev);
  const r = simulateVaultProtectionAfterAction(protectionInput(ctx, mi, priceWad, cache), {
    liquidationsPaused: s.pauses.liquidations,
    isSettled: false,
  });
  if (r.ran) applyProtection(ctx, mi, r);
}
