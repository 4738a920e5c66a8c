/**
 * The SDK preview of an action in one market for the connected account at the latest block, or why there
 * is none (not connected, still loading, the market's price is invalid).
 */
import { useMemo } from "react";
import { useChain } from "../chain/ChainContext";
import { buildActionState, emptyPosition, noOrder } from "../model/actionState";
import { previewTradeAction, type TradeAction, type TradePreview } from "../model/tradePreview";
import { useWallet } from "../wallet/WalletContext";
import { useAccountState } from "./useAccountState";
import { useMarkets } from "./useMarkets";
import { usePositions } from "./usePositions";
import { useProtocol } from "./useProtocol";

export type PreviewState = { kind: "none"; reason: string } | { kind: "ready"; preview: TradePreview };

export function useTradePreview(marketId: string, action: TradeAction | null): PreviewState {
  const { latestBlock } = useChain();
  const { account } = useWallet();
  const markets = useMarkets().data;
  const protocol = useProtocol().data;
  const accountState = useAccountState().data;
  const positions = usePositions().data;
  return useMemo((): PreviewState => {
    if (account === null) return { kind: "none", reason: "Connect a wallet to preview." };
    if (action === null) return { kind: "none", reason: "Enter an amount to preview." };
    if (!markets || !protocol || !accountState || !positions || latestBlock === null) {
      return { kind: "none", reason: "Loading…" };
    }
    const market = markets.find((m) => m.entry.marketId === marketId);
    if (!market) return { kind: "none", reason: "Unknown market." };
    const snapshot = positions.find((p) => p.marketId === marketId);
    const built = buildActionState({
      account,
      market,
      markets,
      position: snapshot?.position ?? emptyPosition(),
      pendingOrder: snapshot?.order ?? noOrder(),
      protocol,
      freeBalanceUsd: accountState.freeBalanceUsd,
      nowSeconds: latestBlock.timestampSeconds,
    });
    if (!built.ok) return { kind: "none", reason: built.failure.message };
    return { kind: "ready", preview: previewTradeAction(built.state, action) };
  }, [account, action, markets, protocol, accountState, positions, latestBlock, marketId]);
}
