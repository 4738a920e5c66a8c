/**
 * Delayed orders as the screens show them: a pending order with its status and countdown (the SDK's
 * `orderStatus`, `secondsUntilExecutable`), and the account's recent orders with their outcome — the fill
 * of an executed order, or the custom error that cancelled it (decoded by the component).
 */
import {
  isPending,
  MAX_ACCEPTABLE_PRICE_WAD,
  orderStatus,
  secondsUntilExecutable,
  type Order,
  type OrderStatus,
} from "../../../sdk/orders/orderRules";
import type { EngineEvent, OrderCancelledEvent, OrderCommittedEvent, OrderExecutedEvent } from "../chain/engineEvents";

export interface PendingOrderView {
  marketId: string;
  /** "buy"/"sell" for a size change, "margin" for a margin-only order. */
  direction: "buy" | "sell" | "margin";
  sizeDelta: bigint;
  marginDeltaUsd: bigint;
  /** The worst accepted fill, or null when the order accepts any price. */
  acceptablePriceWad: bigint | null;
  executionFeeUsd: bigint;
  executableAt: bigint;
  expiresAt: bigint;
  status: OrderStatus;
  /** Seconds until it can be executed (0 once it can). */
  secondsUntilExecutable: bigint;
  /** Seconds until it expires (0 once expired). */
  secondsUntilExpiry: bigint;
}

/** The pending order's view at `nowSeconds`, or null when there is none. */
export function pendingOrderView(
  marketId: string,
  order: Order,
  nowSeconds: bigint,
  marketSettled: boolean,
): PendingOrderView | null {
  if (!isPending(order)) return null;
  const isBuy = order.sizeDelta > 0n;
  const anyPrice = isBuy ? order.acceptablePriceWad >= MAX_ACCEPTABLE_PRICE_WAD : order.acceptablePriceWad === 0n;
  return {
    marketId,
    direction: order.sizeDelta === 0n ? "margin" : isBuy ? "buy" : "sell",
    sizeDelta: order.sizeDelta,
    marginDeltaUsd: order.marginDeltaUsd,
    acceptablePriceWad: order.sizeDelta === 0n || anyPrice ? null : order.acceptablePriceWad,
    executionFeeUsd: order.executionFeeUsd,
    executableAt: order.executableAt,
    expiresAt: order.expiresAt,
    status: orderStatus(order, nowSeconds, marketSettled),
    secondsUntilExecutable: secondsUntilExecutable(order, nowSeconds),
    secondsUntilExpiry: order.expiresAt > nowSeconds ? order.expiresAt - nowSeconds : 0n,
  };
}

/** One committed order and what became of it. */
export interface OrderHistoryEntry {
  committed: OrderCommittedEvent;
  outcome:
    | { kind: "pending" }
    | { kind: "executed"; event: OrderExecutedEvent }
    | { kind: "cancelled"; event: OrderCancelledEvent };
}

/** `account`'s orders in chain order (most recent last), each matched with its execution or cancellation. */
export function orderHistory(events: readonly EngineEvent[], account: string): OrderHistoryEntry[] {
  const mine = (e: { account: string }) => e.account.toLowerCase() === account.toLowerCase();
  const entries: OrderHistoryEntry[] = [];
  const openByMarket = new Map<string, OrderHistoryEntry>();
  for (const event of events) {
    if (event.name === "OrderCommitted") {
      const committed = event as unknown as OrderCommittedEvent;
      if (!mine(committed)) continue;
      const entry: OrderHistoryEntry = { committed, outcome: { kind: "pending" } };
      entries.push(entry);
      openByMarket.set(committed.marketId, entry);
    } else if (event.name === "OrderExecuted" || event.name === "OrderCancelled") {
      const done = event as unknown as OrderExecutedEvent | OrderCancelledEvent;
      if (!mine(done)) continue;
      const entry = openByMarket.get(done.marketId);
      if (!entry) continue;
      entry.outcome =
        done.name === "OrderExecuted"
          ? { kind: "executed", event: done as OrderExecutedEvent }
          : { kind: "cancelled", event: done as OrderCancelledEvent };
      openByMarket.delete(done.marketId);
    }
  }
  return entries;
}
