/**
 * Two-step orders (DESIGN §4), mirrored from [contracts/orders/OrderLogic.sol](../../contracts/orders/OrderLogic.sol)
 * and `PerpEngine.executeOrder`: what a commit escrows, when an order may be executed or cancelled, and what
 * its execution at a given price will do — execute with every amount, or cancel with the custom error the
 * trade would have reverted with.
 */
import { simulateModifyPosition, type ModifyPositionInput, type ModifyPositionResult } from "../math/engineMath";
import { checkModifyPosition, type TradeCheckContext } from "../math/tradeChecks";
import { EngineRevertError, type MarketParams } from "../math/types";

/** `type(uint128).max`: a commit's acceptable price is capped here ("any price" for buys). */
export const MAX_ACCEPTABLE_PRICE_WAD = (1n << 128n) - 1n;

/** A pending order (`Order` in IPerpTypes.sol, every integer a bigint). */
export interface Order {
  sizeDelta: bigint;
  sizeAtCommit: bigint;
  marginDeltaUsd: bigint;
  acceptablePriceWad: bigint;
  executableAt: bigint;
  expiresAt: bigint;
  executionFeeUsd: bigint;
}

/** `getOrder` returns all zeros when there is none. */
export function isPending(order: Order): boolean {
  return order.sizeDelta !== 0n || order.marginDeltaUsd !== 0n;
}

/** Margin a commit escrows: its positive margin delta. */
export function escrowedMarginUsd(order: Pick<Order, "marginDeltaUsd">): bigint {
  return order.marginDeltaUsd > 0n ? order.marginDeltaUsd : 0n;
}

/**
 * The order `commitOrder(sizeDelta, marginDelta, acceptablePrice)` would store at `nowSeconds`, and the
 * amount it takes from the free balance (escrowed margin + execution fee). Throws where the commit reverts
 * for reasons the math knows: `OrderRuleError("OrdersNotEnabled")` without a delay, `EmptyAction`, and
 * `NoPosition` for a margin-only order without a position (the free balance and a pending order are the
 * caller's to check).
 */
export function commitOrderPreview(args: {
  params: MarketParams;
  sizeNow: bigint;
  sizeDelta: bigint;
  marginDelta: bigint;
  acceptablePrice: bigint;
  nowSeconds: bigint;
}): { order: Order; debitedUsd: bigint } {
  const { params, sizeNow, sizeDelta, marginDelta, acceptablePrice, nowSeconds } = args;
  if (params.executionDelaySeconds === 0n) throw new OrderRuleError("OrdersNotEnabled");
  if (sizeDelta === 0n && marginDelta === 0n) throw new EngineRevertError("EmptyAction", {});
  if (sizeDelta === 0n && sizeNow === 0n) throw new EngineRevertError("NoPosition", {});
  const executableAt = nowSeconds + params.executionDelaySeconds;
  const order: Order = {
    sizeDelta,
    sizeAtCommit: sizeNow,
    marginDeltaUsd: marginDelta,
    acceptablePriceWad: acceptablePrice > MAX_ACCEPTABLE_PRICE_WAD ? MAX_ACCEPTABLE_PRICE_WAD : acceptablePrice,
    executableAt,
    expiresAt: executableAt + params.orderExpirySeconds,
    executionFeeUsd: params.executionFeeUsd,
  };
  return { order, debitedUsd: escrowedMarginUsd(order) + order.executionFeeUsd };
}

/** Where an order stands at `nowSeconds`. */
export type OrderStatus =
  /** no order */
  | "none"
  /** committed, its delay not yet over: nobody can execute or cancel it */
  | "waiting"
  /** anyone can execute it now */
  | "executable"
  /** past its expiry, or its market settled: anyone can cancel it for the fee (executing a settled market's
   * order once its delay is over cancels it too) */
  | "cancellable";

export function orderStatus(order: Order, nowSeconds: bigint, marketSettled: boolean): OrderStatus {
  if (!isPending(order)) return "none";
  if (marketSettled) return "cancellable";
  if (nowSeconds < order.executableAt) return "waiting";
  if (nowSeconds <= order.expiresAt) return "executable";
  return "cancellable";
}

/** Seconds until an order can be executed (0 when it can be now). */
export function secondsUntilExecutable(order: Order, nowSeconds: bigint): bigint {
  return order.executableAt > nowSeconds ? order.executableAt - nowSeconds : 0n;
}

/** Errors of the order rules that the engine reports without an `EngineRevertError` counterpart. */
export class OrderRuleError extends Error {
  constructor(readonly errorName: "OrdersNotEnabled") {
    super(errorName);
    this.name = "OrderRuleError";
  }
}

/** What executing an order will do. */
export type OrderExecutionPreview =
  { outcome: "executed"; result: ModifyPositionResult } | { outcome: "cancelled"; reason: EngineRevertError };

/**
 * The outcome of `executeOrder` for `order` at the transaction's price and time: cancelled when its market
 * settled or its position changed since commit, cancelled with the trade's custom error when the trade
 * would revert (slippage, margin, caps, switches, volatility), else executed exactly as `modifyPosition`
 * (the escrowed margin returns to the free balance first, and the trade takes it from there).
 * `trade` is the `ModifyPositionInput` of the current position and market (its size/margin deltas and
 * acceptable price are taken from the order).
 */
export function previewOrderExecution(
  order: Order,
  trade: Omit<ModifyPositionInput, "sizeDelta" | "marginDelta" | "acceptablePrice">,
  context: TradeCheckContext & { marketSettled: boolean },
): OrderExecutionPreview {
  if (context.marketSettled) return { outcome: "cancelled", reason: new EngineRevertError("MarketIsSettled", {}) };
  if (trade.position.size !== order.sizeAtCommit) {
    return {
      outcome: "cancelled",
      reason: new EngineRevertError("PositionChangedSinceCommit", {
        sizeAtCommit: order.sizeAtCommit,
        sizeNow: trade.position.size,
      }),
    };
  }
  const input: ModifyPositionInput = {
    ...trade,
    sizeDelta: order.sizeDelta,
    marginDelta: order.marginDeltaUsd,
    acceptablePrice: order.acceptablePriceWad,
  };
  try {
    if (order.sizeDelta === 0n && trade.position.size === 0n) throw new EngineRevertError("NoPosition", {});
    const result = simulateModifyPosition(input);
    checkModifyPosition(input, result, context);
    return { outcome: "executed", result };
  } catch (error) {
    if (error instanceof EngineRevertError) return { outcome: "cancelled", reason: error };
    throw error;
  }
}
