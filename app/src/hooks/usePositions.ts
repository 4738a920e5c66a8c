/** The connected account's stored position and ADL lights in every market, at the latest block. */
import { useChain } from "../chain/ChainContext";
import { readPositions, type PositionSnapshot } from "../chain/snapshots";
import { useWallet } from "../wallet/WalletContext";
import { useBlockQuery } from "./useBlockQuery";

export function usePositions() {
  const { book, contracts } = useChain();
  const { account } = useWallet();
  return useBlockQuery<PositionSnapshot[]>(
    ["positions", book.engine, account],
    (pin) => readPositions(contracts.engine, book, account as string, pin),
    account !== null,
  );
}
