/** The connected account's open positions as the Positions screen shows them, at the latest block. */
import { useMemo } from "react";
import { useChain } from "../chain/ChainContext";
import { positionView, type PositionView } from "../model/positionView";
import { useMarkets } from "./useMarkets";
import { usePositions } from "./usePositions";

export function usePositionViews(): PositionView[] | undefined {
  const { latestBlock } = useChain();
  const markets = useMarkets().data;
  const positions = usePositions().data;
  return useMemo(() => {
    if (!markets || !positions || latestBlock === null) return undefined;
    return positions.flatMap((snapshot) => {
      const market = markets.find((m) => m.entry.marketId === snapshot.marketId);
      const view = market ? positionView(snapshot, market, latestBlock.timestampSeconds) : null;
      return view ? [view] : [];
    });
  }, [markets, positions, latestBlock]);
}
