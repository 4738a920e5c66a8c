/**
 * A market's price history for the chart: the prices its oracle adapter accepted since deployment (timed by
 * their blocks) plus the price read at each new block while the page is open.
 */
import { useEffect, useMemo, useRef, useState } from "react";
import type { MarketEntry } from "../../../sdk/addressBookSchema";
import { useChain } from "../chain/ChainContext";
import type { MarketSnapshot } from "../chain/snapshots";
import { chartSeries, parsePriceAccepted, priceAcceptedTopic, type PricePoint } from "../model/priceHistory";
import { useLogStream } from "./useLogStream";

/** Points kept for the chart (older ones scroll out). */
const MAX_CHART_POINTS = 1_000;

export function usePriceHistory(entry: MarketEntry, snapshot: MarketSnapshot | undefined): readonly PricePoint[] {
  const { provider, latestBlock } = useChain();
  const topics = useMemo(() => [priceAcceptedTopic()], []);
  const accepted = useLogStream(entry.oracleAdapter, topics, parsePriceAccepted);
  const blockTimes = useRef(new Map<number, bigint>());
  const [timedAccepted, setTimedAccepted] = useState<PricePoint[]>([]);
  const [live, setLive] = useState<PricePoint[]>([]);

  // Time the accepted prices by their blocks (each block's timestamp is fetched once).
  useEffect(() => {
    let cancelled = false;
    const recent = accepted.items.slice(-MAX_CHART_POINTS);
    const missing = [...new Set(recent.map((p) => p.blockNumber))].filter((n) => !blockTimes.current.has(n));
    Promise.all(missing.map((n) => provider.getBlock(n))).then(
      (blocks) => {
        for (const block of blocks) if (block) blockTimes.current.set(block.number, BigInt(block.timestamp));
        if (cancelled) return;
        setTimedAccepted(
          recent.flatMap((p) => {
            const time = blockTimes.current.get(p.blockNumber);
            return time === undefined ? [] : [{ timeSeconds: time, priceWad: p.priceWad }];
          }),
        );
      },
      () => undefined,
    );
    return () => {
      cancelled = true;
    };
  }, [accepted.items, provider]);

  // The price of every new block.
  const price = snapshot?.price.ok ? snapshot.price.priceWad : null;
  useEffect(() => {
    if (price === null || latestBlock === null) return;
    const point = { timeSeconds: latestBlock.timestampSeconds, priceWad: price };
    setLive((previous) => [...previous, point].slice(-MAX_CHART_POINTS));
  }, [price, latestBlock]);

  return useMemo(() => chartSeries([...timedAccepted, ...live], MAX_CHART_POINTS), [timedAccepted, live]);
}
