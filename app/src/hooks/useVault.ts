/** The LP vault's share supply, valuation and share price at the latest block. */
import { useChain } from "../chain/ChainContext";
import { readVault, type VaultSnapshot } from "../chain/snapshots";
import { useBlockQuery } from "./useBlockQuery";

export function useVault() {
  const { book, contracts } = useChain();
  return useBlockQuery<VaultSnapshot>(["vault", book.vault], (pin) => readVault(contracts.vault, pin));
}
