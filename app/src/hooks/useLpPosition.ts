/** The connected LP's redeemable assets and ERC-4626 withdrawal limits at the latest block. */
import { useChain } from "../chain/ChainContext";
import { readLp, type LpSnapshot } from "../chain/snapshots";
import { useWallet } from "../wallet/WalletContext";
import { useAccountState } from "./useAccountState";
import { useBlockQuery } from "./useBlockQuery";

export function useLpPosition() {
  const { book, contracts } = useChain();
  const { account } = useWallet();
  const shares = useAccountState().data?.shares;
  return useBlockQuery<LpSnapshot>(
    ["lp", book.vault, account, shares?.toString()],
    (pin) => readLp(contracts.vault, account as string, shares as bigint, pin),
    account !== null && shares !== undefined,
  );
}
