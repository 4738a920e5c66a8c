/** The connected account's balances and allowances at the latest block (disabled until connected). */
import { useChain } from "../chain/ChainContext";
import { readAccount, type AccountSnapshot } from "../chain/snapshots";
import { useWallet } from "../wallet/WalletContext";
import { useBlockQuery } from "./useBlockQuery";

export function useAccountState() {
  const { book, contracts } = useChain();
  const { account } = useWallet();
  return useBlockQuery<AccountSnapshot>(
    ["account", book.engine, account],
    (pin) => readAccount(contracts, book, account as string, pin),
    account !== null,
  );
}
