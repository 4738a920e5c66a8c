/** `engine.cancelOrder(account, marketId)`: cancels an expired order (the escrowed margin comes back). */
import { useChain } from "../chain/ChainContext";
import { perpEngineAt } from "../chain/contracts";
import { useWallet } from "../wallet/WalletContext";
import { useTransaction } from "./useTransaction";

export function useCancelOrder() {
  const { book } = useChain();
  const { account } = useWallet();
  const tx = useTransaction();
  return {
    ...tx,
    send: (marketId: string) =>
      tx.run("Cancel order", (signer) => perpEngineAt(book.engine, signer).cancelOrder(account as string, marketId)),
  };
}
