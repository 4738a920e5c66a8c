/** The Trade screen: pick a market, see it (panel and chart), manage collateral, and trade. */
import { lazy, Suspense, useState } from "react";
import { useChain } from "../../chain/ChainContext";
import { useMarketViews } from "../../hooks/useMarketViews";
import { useMarkets } from "../../hooks/useMarkets";
import { usePositionViews } from "../../hooks/usePositionViews";
import { usePriceHistory } from "../../hooks/usePriceHistory";
import { AccountPanel } from "../Account/AccountPanel";
import { OrdersPanel } from "../Positions/OrdersPanel";
import { MarketPanel } from "./MarketPanel";

// lightweight-charts loads after the rest of the screen: the numbers should not wait for the chart.
const PriceChart = lazy(() => import("./PriceChart").then((m) => ({ default: m.PriceChart })));
import { TradeForm } from "./TradeForm";

export function TradeScreen() {
  const { book } = useChain();
  const [marketId, setMarketId] = useState(book.markets[0].marketId);
  const entry = book.markets.find((m) => m.marketId === marketId) ?? book.markets[0];
  const marketViews = useMarketViews();
  const snapshot = useMarkets().data?.find((m) => m.entry.marketId === marketId);
  const market = marketViews?.find((m) => m.marketId === marketId);
  const position = usePositionViews()?.find((p) => p.marketId === marketId);
  const points = usePriceHistory(entry, snapshot);

  return (
    <div className="screen trade-screen">
      <div className="column">
        <div className="field">
          <label htmlFor="market-select">Market</label>
          <select id="market-select" value={marketId} onChange={(event) => setMarketId(event.target.value)}>
            {book.markets.map((m) => (
              <option key={m.marketId} value={m.marketId}>
                {m.symbol}
              </option>
            ))}
          </select>
        </div>
        {market ? <MarketPanel market={market} /> : <p className="muted">Loading the market…</p>}
        <Suspense fallback={<div className="chart" />}>
          <PriceChart
            symbol={entry.symbol}
            points={points}
            marks={{
              entryPriceWad: position?.entryPriceWad ?? null,
              liquidationPriceWad: position?.liquidationPriceWad ?? null,
            }}
          />
        </Suspense>
      </div>
      <div className="column">
        {market && <TradeForm market={market} />}
        <OrdersPanel marketId={marketId} title={`${entry.symbol} orders`} />
        <AccountPanel />
      </div>
    </div>
  );
}
