/**
 * Predicts one owner call exactly like the engine: success with the SDK's accounting, or the custom error
 * with the ABI's arguments. The accounting and the health and cap checks are the SDK's
 * (`simulateModifyPosition`, `checkModifyPosition` in sdk/math/tradeChecks.ts, `commitOrderPreview` in
 * sdk/orders/orderRules.ts); this file adds, in the engine's order, what they leave to the caller (SDK
 * candidates, to move into `sdk/`):
 *
 * - `PerpEngine.modifyPosition` / `closePosition` pre-checks (`EmptyAction`, `NoPosition`) and
 *   `_checkInstantTrading` (`ExecutionDelayActive`);
 * - `_applyAction`'s settled-market check and free-balance debit (`InsufficientFreeBalance`);
 * - the oracle error of another market with open interest whose price is invalid, which the vault
 *   valuation of the exposure check reverts with;
 * - `OrderLogic.commitOrder`'s settled-market, pending-order and escrow checks, and what the order's
 *   execution would do at the current price;
 * - `PerpEngine.executeOrder`: when it reverts, and whether it executes or cancels the order (and why);
 *   `OrderLogic.cancelOrder`: when an order may be cancelled.
 *
 * `test/app/engineChecks.test.ts` runs random actions and orders through the contract and this file and
 * requires the same outcome (success, or the same error with the same arguments).
 */
import { checkModifyPosition, vaultExposureGrew } from "../../../sdk/math/tradeChecks";
import {
  EngineRevertError,
  initialRequirementUsd,
  notionalUsd,
  unrealizedPnlUsd,
  simulateModifyPosition,
  type MarginTier,
  type MarketParams,
  type MarketState,
  type ModifyPositionInput,
  type ModifyPositionResult,
  type Position,
  type VaultMarketInput,
} from "../../../sdk/math";
import { commitOrderPreview, isPending, OrderRuleError, type Order } from "../../../sdk/orders/orderRules";
import { abiErrorArgs } from "../errors/errorArgs";
import type { ErrorArgs } from "../errors/errorMessages";

export type { ErrorArgs };

/** Everything the engine reads to decide one owner action in one market. */
export interface EngineActionState {
  account: string;
  marketId: string;
  params: MarketParams;
  tiers: readonly MarginTier[];
  /** The stored market state (funding not yet accrued). */
  state: MarketState;
  /** The stored position (funding and socialized loss not yet settled). */
  position: Position;
  /** The account's pending order in this market (all zero when none). */
  pendingOrder: Order;
  /** The price the action reads: the oracle's (or the settlement price once settled). */
  priceWad: bigint;
  /** The deviation breaker's flag for this market. */
  isVolatile: boolean;
  /** Timestamp the action is evaluated at (the latest block's, as `eth_call` does). */
  nowSeconds: bigint;
  /** The account's free balance (USD, 1e18). */
  freeBalanceUsd: bigint;
  tradingPaused: boolean;
  reduceOnly: boolean;
  /** 0 while the market trades normally. */
  settlementPriceWad: bigint;
  /** The vault's cash inside the engine (USD, 1e18). */
  vaultCashUsd: bigint;
  /** Every listed market as the vault valuation reads it, this one included (matched by `marketId`). */
  vaultMarkets: readonly (VaultMarketInput & { marketId: string })[];
  /**
   * The oracle error of another market with open interest whose price is invalid, or null. Valuing the vault
   * reads every such market, so the exposure check reverts with this error (README: "Opening or increasing
   * needs valid prices for every market").
   */
  unpricedMarketError: { errorName: string; args: ErrorArgs } | null;
}

/** The engine would revert with custom error `errorName(args…)` (arguments by their ABI names). */
export class PredictedRevertError extends Error {
  constructor(
    readonly errorName: string,
    readonly args: ErrorArgs,
  ) {
    super(`predicted revert ${errorName}`);
    this.name = "PredictedRevertError";
  }
}

function revert(s: EngineActionState, errorName: string, details: ErrorArgs = {}): PredictedRevertError {
  return new PredictedRevertError(
    errorName,
    abiErrorArgs(errorName, details, { account: s.account, marketId: s.marketId }),
  );
}

function fromSdk(s: EngineActionState, error: EngineRevertError): PredictedRevertError {
  return revert(s, error.errorName, error.details as ErrorArgs);
}

/** Mirrors `PerpEngine._checkInstantTrading`: a market with an execution delay trades only through orders. */
function checkInstantTrading(s: EngineActionState): void {
  const delaySeconds = s.params.executionDelaySeconds;
  if (delaySeconds !== 0n) throw revert(s, "ExecutionDelayActive", { executionDelaySeconds: delaySeconds });
}

/**
 * Predicts `modifyPosition(marketId, sizeDelta, marginDelta, acceptablePrice)` sent by `s.account`.
 * Mirrors `PerpEngine.modifyPosition`. The automatic vault protection that runs afterwards never reverts and
 * is not modelled.
 */
export function previewModifyPosition(
  s: EngineActionState,
  sizeDelta: bigint,
  marginDelta: bigint,
  acceptablePrice: bigint,
): ModifyPositionResult {
  if (sizeDelta === 0n) {
    if (marginDelta === 0n) throw revert(s, "EmptyAction");
    if (s.position.size === 0n) throw revert(s, "NoPosition");
  }
  if (sizeDelta !== 0n || marginDelta < 0n) checkInstantTrading(s);
  return applyAction(s, sizeDelta, marginDelta, acceptablePrice, s.freeBalanceUsd);
}

/** Predicts `closePosition(marketId, acceptablePrice)`. Mirrors `PerpEngine.closePosition`. */
export function previewClosePosition(s: EngineActionState, acceptablePrice: bigint): ModifyPositionResult {
  if (s.position.size === 0n) throw revert(s, "NoPosition");
  checkInstantTrading(s);
  return applyAction(s, -s.position.size, 0n, acceptablePrice, s.freeBalanceUsd);
}

/** What committing an order does, and what executing it at the current price would do. */
export interface CommitPreview {
  /** The order `commitOrder` stores (acceptable price capped at uint128). */
  order: Order;
  /** Taken from the free balance now: the margin to add (escrowed) + the execution fee. */
  debitedUsd: bigint;
  /** The trade at the current price and state (the escrowed margin back in the free balance first). */
  execution:
    { outcome: "executed"; result: ModifyPositionResult } | { outcome: "cancelled"; reason: PredictedRevertError };
}

/**
 * Predicts `commitOrder(marketId, sizeDelta, marginDelta, acceptablePrice)`: throws the commit's revert
 * (mirrors `OrderLogic.commitOrder`), else returns the order and its predicted execution at today's price —
 * the keeper executes it later at the price then, so that part is an estimate, exact only if nothing moves.
 */
export function previewCommitOrder(
  s: EngineActionState,
  sizeDelta: bigint,
  marginDelta: bigint,
  acceptablePrice: bigint,
): CommitPreview {
  if (s.settlementPriceWad !== 0n) throw revert(s, "MarketIsSettled");
  let commit: ReturnType<typeof commitOrderPreview>;
  try {
    commit = commitOrderPreview({
      params: s.params,
      sizeNow: s.position.size,
      sizeDelta,
      marginDelta,
      acceptablePrice,
      nowSeconds: s.nowSeconds,
    });
  } catch (error) {
    if (error instanceof OrderRuleError) throw revert(s, error.errorName);
    if (error instanceof EngineRevertError) throw fromSdk(s, error);
    throw error;
  }
  if (isPending(s.pendingOrder)) throw revert(s, "OrderAlreadyPending");
  if (s.freeBalanceUsd < commit.debitedUsd) {
    throw revert(s, "InsufficientFreeBalance", { availableUsd: s.freeBalanceUsd, requestedUsd: commit.debitedUsd });
  }
  // At execution the escrowed margin is back in the free balance and the fee is gone.
  const freeAtExecutionUsd = s.freeBalanceUsd - commit.order.executionFeeUsd;
  let execution: CommitPreview["execution"];
  try {
    execution = {
      outcome: "executed",
      result: applyAction(s, sizeDelta, marginDelta, commit.order.acceptablePriceWad, freeAtExecutionUsd),
    };
  } catch (error) {
    if (!(error instanceof PredictedRevertError)) throw error;
    execution = { outcome: "cancelled", reason: error };
  }
  return { ...commit, execution };
}

/** What `executeOrder` does with a pending order. */
export type ExecutionPreview =
  { outcome: "executed"; result: ModifyPositionResult } | { outcome: "cancelled"; reason: PredictedRevertError };

/**
 * Predicts `executeOrder(s.account, s.marketId)` at `s.nowSeconds` for the pending order `s.pendingOrder`:
 * throws the call's revert (`NoPendingOrder`, `OrderNotReady`, `OrderExpired`), else returns whether it
 * executes (with the SDK's accounting) or is cancelled, and why. Mirrors `PerpEngine.executeOrder` with
 * `OrderLogic.takeForExecution` (the escrowed margin returns to the free balance before the trade).
 */
export function previewExecuteOrder(s: EngineActionState): ExecutionPreview {
  const order = s.pendingOrder;
  if (!isPending(order)) throw revert(s, "NoPendingOrder");
  if (s.nowSeconds < order.executableAt) throw revert(s, "OrderNotReady", { executableAt: order.executableAt });
  const settled = s.settlementPriceWad !== 0n;
  if (s.nowSeconds > order.expiresAt && !settled) throw revert(s, "OrderExpired", { expiresAt: order.expiresAt });
  if (settled) return { outcome: "cancelled", reason: revert(s, "MarketIsSettled") };
  if (s.position.size !== order.sizeAtCommit) {
    return {
      outcome: "cancelled",
      reason: revert(s, "PositionChangedSinceCommit", { sizeAtCommit: order.sizeAtCommit, sizeNow: s.position.size }),
    };
  }
  try {
    if (order.sizeDelta === 0n && s.position.size === 0n) throw revert(s, "NoPosition");
    const freeUsd = s.freeBalanceUsd + (order.marginDeltaUsd > 0n ? order.marginDeltaUsd : 0n);
    return {
      outcome: "executed",
      result: applyAction(s, order.sizeDelta, order.marginDeltaUsd, order.acceptablePriceWad, freeUsd),
    };
  } catch (error) {
    if (!(error instanceof PredictedRevertError)) throw error;
    return { outcome: "cancelled", reason: error };
  }
}

/**
 * Predicts `cancelOrder(s.account, s.marketId)` at `s.nowSeconds`: the reason the order is cancelled with
 * (`OrderExpired` or `MarketIsSettled`), or throws the call's revert (`NoPendingOrder`, `OrderNotExpired`:
 * a live order cannot be cancelled). Mirrors `OrderLogic.cancelOrder`.
 */
export function previewCancelOrder(s: EngineActionState): PredictedRevertError {
  const order = s.pendingOrder;
  if (!isPending(order)) throw revert(s, "NoPendingOrder");
  if (s.settlementPriceWad !== 0n) return revert(s, "MarketIsSettled");
  if (s.nowSeconds > order.expiresAt) return revert(s, "OrderExpired", { expiresAt: order.expiresAt });
  throw revert(s, "OrderNotExpired", { expiresAt: order.expiresAt });
}

/** Mirrors `PerpEngine._applyAction` (the shared path of instant trades and order executions). */
function applyAction(
  s: EngineActionState,
  sizeDelta: bigint,
  marginDelta: bigint,
  acceptablePrice: bigint,
  freeBalanceUsd: bigint,
): ModifyPositionResult {
  if (s.settlementPriceWad !== 0n) throw revert(s, "MarketIsSettled");
  if (marginDelta > 0n && freeBalanceUsd < marginDelta) {
    throw revert(s, "InsufficientFreeBalance", { availableUsd: freeBalanceUsd, requestedUsd: marginDelta });
  }
  const input: ModifyPositionInput = {
    params: s.params,
    state: s.state,
    position: s.position,
    sizeDelta,
    marginDelta,
    priceWad: s.priceWad,
    nowSeconds: s.nowSeconds,
    acceptablePrice,
  };
  let result: ModifyPositionResult;
  try {
    result = simulateModifyPosition(input);
    checkModifyPosition(input, result, {
      tiers: s.tiers,
      tradingPaused: s.tradingPaused,
      reduceOnly: s.reduceOnly,
      isVolatile: s.isVolatile,
      vaultCashUsd: s.vaultCashUsd,
      vaultMarkets: s.vaultMarkets,
      marketIndex: s.vaultMarkets.findIndex((m) => m.marketId === s.marketId),
    });
  } catch (error) {
    if (!(error instanceof EngineRevertError)) throw error;
    // The exposure check is the last one; with a market unpriced the engine reverts there with the oracle's error.
    if (error.errorName === "VaultExposureCapExceeded" && s.unpricedMarketError) throw unpriced(s);
    throw fromSdk(s, error);
  }
  if (s.unpricedMarketError && result.trade.openedSize !== 0n && vaultExposureGrew(result.state.netSize, sizeDelta)) {
    throw unpriced(s);
  }
  return result;
}

function unpriced(s: EngineActionState): PredictedRevertError {
  const error = s.unpricedMarketError!;
  return new PredictedRevertError(error.errorName, error.args);
}

/** The initial-margin test of `_meetsInitialMargin`, for display (the decision is `checkModifyPosition`'s). */
export interface InitialMarginCheck {
  /** margin + min(unrealised PnL, 0) (USD, 1e18). */
  equityWithoutProfitUsd: bigint;
  /** Tiered initial margin + keeper reward at the price (USD, 1e18). */
  requiredUsd: bigint;
  meets: boolean;
}

/** The numbers of `PerpEngine._meetsInitialMargin` for a position after an action, from the SDK's functions. */
export function initialMarginCheck(
  params: MarketParams,
  tiers: readonly MarginTier[],
  position: Position,
  priceWad: bigint,
): InitialMarginCheck {
  const pnlUsd = unrealizedPnlUsd(position.size, position.entryPriceWad, priceWad);
  const equityWithoutProfitUsd = position.marginUsd + (pnlUsd < 0n ? pnlUsd : 0n);
  const requiredUsd = initialRequirementUsd(tiers, notionalUsd(position.size, priceWad), params.keeperRewardUsd);
  return { equityWithoutProfitUsd, requiredUsd, meets: equityWithoutProfitUsd >= requiredUsd };
}
