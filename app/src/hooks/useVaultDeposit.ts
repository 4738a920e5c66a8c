/** `vault.deposit(assets, receiver)`: LP collateral into the vault for shares. */
import { useChain } from "../chain/ChainContext";
import { liquidityVaultAt } from "../chain/contracts";
import { useWallet } from "../wallet/WalletContext";
import { useTransaction } from "./useTransaction";

export function useVaultDeposit() {
  const { book } = useChain();
  const { account } = useWallet();
  const tx = useTransaction();
  return {
    ...tx,
    send: (assets: bigint) =>
      tx.run("LP deposit", (signer) => liquidityVaultAt(book.vault, signer).deposit(assets, account as string)),
  };
}
