/**
 * A market's price history for the chart: the prices the engine accrued funding at since deployment, plus
 * the oracle price of each new block while the page is open.
 */
import { useEffect, useMemo, useState } from "react";
import type { MarketEntry } from "../../../sdk/addressBookSchema";
import { useChain } from "../chain/ChainContext";
import type { MarketSnapshot } from "../chain/snapshots";
import { chartSeries, fundingAccruedTopics, parseFundingAccrued, type PricePoint } from "../model/priceHistory";
import { useLogStream } from "./useLogStream";

/** Points kept for the chart (older ones scroll out). */
const MAX_CHART_POINTS = 1_000;

export function usePriceHistory(entry: MarketEntry, snapshot: MarketSnapshot | undefined): readonly PricePoint[] {
  const { book, latestBlock } = useChain();
  const topics = useMemo(() => fundingAccruedTopics(entry.marketId), [entry.marketId]);
  const accrued = useLogStream(book.engine, topics, parseFundingAccrued);
  const [live, setLive] = useState<{ marketId: string; points: PricePoint[] }>({
    marketId: entry.marketId,
    points: [],
  });

  const price = snapshot?.price.ok ? snapshot.price.priceWad : null;
  useEffect(() => {
    if (price === null || latestBlock === null) return;
    const point = { timeSeconds: latestBlock.timestampSeconds, priceWad: price };
    setLive((previous) => ({
      marketId: entry.marketId,
      points: [...(previous.marketId === entry.marketId ? previous.points : []), point].slice(-MAX_CHART_POINTS),
    }));
  }, [price, latestBlock, entry.marketId]);

  const livePoints = live.marketId === entry.marketId ? live.points : [];
  return useMemo(() => chartSeries([...accrued.items, ...livePoints], MAX_CHART_POINTS), [accrued.items, livePoints]);
}
