/** `vault.redeem(shares, receiver, owner)`: LP shares back into collateral. */
import { useChain } from "../chain/ChainContext";
import { liquidityVaultAt } from "../chain/contracts";
import { useWallet } from "../wallet/WalletContext";
import { useTransaction } from "./useTransaction";

export function useVaultRedeem() {
  const { book } = useChain();
  const { account } = useWallet();
  const tx = useTransaction();
  return {
    ...tx,
    send: (shares: bigint) =>
      tx.run("LP redeem", (signer) =>
        liquidityVaultAt(book.vault, signer).redeem(shares, account as string, account as string),
      ),
  };
}
