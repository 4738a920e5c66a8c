/** Every market's Market-panel view at the latest block (undefined until the reads arrive). */
import { useMemo } from "react";
import { useChain } from "../chain/ChainContext";
import { marketView, type MarketView } from "../model/marketView";
import { useMarkets } from "./useMarkets";
import { useProtocol } from "./useProtocol";

export function useMarketViews(): MarketView[] | undefined {
  const { latestBlock } = useChain();
  const markets = useMarkets().data;
  const protocol = useProtocol().data;
  return useMemo(() => {
    if (!markets || !protocol || latestBlock === null) return undefined;
    return markets.map((m) => marketView(m, protocol, latestBlock.timestampSeconds));
  }, [markets, protocol, latestBlock]);
}
