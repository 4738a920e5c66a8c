/** Every listed market's snapshot at the latest block (params, tiers, state, oracle price, status). */
import { useChain } from "../chain/ChainContext";
import { readMarket, type MarketSnapshot } from "../chain/snapshots";
import { useBlockQuery } from "./useBlockQuery";

export function useMarkets() {
  const { book, contracts, provider, decoder, errorContext } = useChain();
  return useBlockQuery<MarketSnapshot[]>(["markets", book.engine], (pin) =>
    Promise.all(book.markets.map((entry) => readMarket(entry, contracts.engine, provider, pin, decoder, errorContext))),
  );
}
