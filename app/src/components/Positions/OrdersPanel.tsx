/**
 * Delayed orders: the pending ones with their countdown (and Cancel once expired), and the recent ones with
 * their fill or the decoded reason they were cancelled. Shown for one market on the Trade screen and for
 * all on the Positions screen; renders nothing where no market uses orders and the account has none.
 */
import { formatDuration, formatPrice, formatSize, formatUsd } from "../../format/format";
import { useChain } from "../../chain/ChainContext";
import { useCancelOrder } from "../../hooks/useCancelOrder";
import { useChainClock } from "../../hooks/useChainClock";
import { useEngineEvents } from "../../hooks/useEngineEvents";
import { useMarkets } from "../../hooks/useMarkets";
import { usePositions } from "../../hooks/usePositions";
import { orderHistory, pendingOrderView, type OrderHistoryEntry, type PendingOrderView } from "../../model/orderView";
import { useWallet } from "../../wallet/WalletContext";
import { SendButton } from "../common/SendButton";
import { TxStatus } from "../common/TxStatus";

/** Recent orders listed (most recent first). */
const RECENT_ORDERS_SHOWN = 5;

function describeOrder(symbol: string, o: { sizeDelta: bigint; marginDeltaUsd: bigint }): string {
  const asset = symbol.split("-")[0];
  const size =
    o.sizeDelta === 0n
      ? ""
      : `${o.sizeDelta > 0n ? "Buy" : "Sell"} ${formatSize(o.sizeDelta < 0n ? -o.sizeDelta : o.sizeDelta, asset)}`;
  const margin =
    o.marginDeltaUsd === 0n
      ? ""
      : `${o.marginDeltaUsd > 0n ? "add" : "remove"} ${formatUsd(o.marginDeltaUsd < 0n ? -o.marginDeltaUsd : o.marginDeltaUsd)} margin`;
  return [size, margin].filter(Boolean).join(", ");
}

function statusText(order: PendingOrderView): string {
  switch (order.status) {
    case "waiting":
      return `executable in ${formatDuration(order.secondsUntilExecutable)}`;
    case "executable":
      return `executable now: waiting for a keeper (expires in ${formatDuration(order.secondsUntilExpiry)})`;
    case "cancellable":
      return "expired: cancel it to get the margin back";
    case "none":
      return "";
  }
}

export function OrdersPanel(props: { marketId?: string; title: string }) {
  const { book, decoder, errorContext } = useChain();
  const { account } = useWallet();
  const positions = usePositions().data;
  const markets = useMarkets().data;
  const now = useChainClock();
  const events = useEngineEvents();
  const cancel = useCancelOrder();
  if (account === null || !positions || !markets || now === null) return null;

  const symbolOf = (marketId: string) => book.markets.find((m) => m.marketId === marketId)?.symbol ?? marketId;
  const inScope = (marketId: string) => props.marketId === undefined || props.marketId === marketId;
  const pending = positions.flatMap((p) => {
    if (!inScope(p.marketId)) return [];
    const settled = markets.find((m) => m.entry.marketId === p.marketId)?.settlementPriceWad !== 0n;
    const view = pendingOrderView(p.marketId, p.order, now, settled);
    return view ? [view] : [];
  });
  const history = orderHistory(events.items, account)
    .filter((entry) => inScope(entry.committed.marketId))
    .slice(-RECENT_ORDERS_SHOWN)
    .reverse();
  const ordersUsed = markets.some((m) => inScope(m.entry.marketId) && m.params.executionDelaySeconds !== 0n);
  if (!ordersUsed && pending.length === 0 && history.length === 0) return null;

  const outcome = (entry: OrderHistoryEntry): string => {
    const symbol = symbolOf(entry.committed.marketId);
    switch (entry.outcome.kind) {
      case "pending":
        return "pending";
      case "executed": {
        const e = entry.outcome.event;
        return `executed at ${formatPrice(e.fillPriceWad)} (fee ${formatUsd(e.takerFeeUsd)}); size now ${formatSize(e.newSize, symbol.split("-")[0])}`;
      }
      case "cancelled": {
        const e = entry.outcome.event;
        const why = decoder.describe({ data: e.reason }, errorContext).message;
        const refund = e.refundedMarginUsd === 0n ? "" : ` ${formatUsd(e.refundedMarginUsd)} of margin returned.`;
        return `cancelled: ${why}${refund}`;
      }
    }
  };

  return (
    <section className="panel" aria-labelledby={`orders-${props.marketId ?? "all"}`} data-testid="orders-panel">
      <h2 id={`orders-${props.marketId ?? "all"}`}>{props.title}</h2>
      {pending.length === 0 ? (
        <p className="muted">No pending order.</p>
      ) : (
        <ul className="event-list">
          {pending.map((order) => {
            const symbol = symbolOf(order.marketId);
            return (
              <li key={order.marketId} data-testid={`pending-order-${symbol}`} data-status={order.status}>
                <strong>{symbol}</strong>: {describeOrder(symbol, order)}
                {order.acceptablePriceWad !== null && `, worst price ${formatPrice(order.acceptablePriceWad)}`}, keeper
                fee {formatUsd(order.executionFeeUsd)} — {statusText(order)}
                {order.status === "cancellable" && (
                  <SendButton
                    label={`Cancel ${symbol} order`}
                    txState={cancel.state}
                    onClick={() => void cancel.send(order.marketId)}
                  />
                )}
              </li>
            );
          })}
        </ul>
      )}
      <TxStatus state={cancel.state} testId="cancel-order-status" />
      {history.length > 0 && (
        <>
          <h3 className="small muted">Recent orders</h3>
          <ul className="event-list" data-testid="order-history">
            {history.map((entry) => {
              const symbol = symbolOf(entry.committed.marketId);
              return (
                <li
                  key={`${entry.committed.transactionHash}-${entry.committed.logIndex}`}
                  data-testid="order-outcome"
                  data-outcome={entry.outcome.kind}
                >
                  <strong>{symbol}</strong> {describeOrder(symbol, entry.committed)}: {outcome(entry)}
                </li>
              );
            })}
          </ul>
        </>
      )}
    </section>
  );
}
