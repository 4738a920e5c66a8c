/** `engine.closeSettledPosition(account, marketId)`: closes a position of a settled market at its final price. */
import { useChain } from "../chain/ChainContext";
import { perpEngineAt } from "../chain/contracts";
import { useWallet } from "../wallet/WalletContext";
import { useTransaction } from "./useTransaction";

export function useCloseSettled() {
  const { book } = useChain();
  const { account } = useWallet();
  const tx = useTransaction();
  return {
    ...tx,
    send: (marketId: string) =>
      tx.run("Close at settlement", (signer) =>
        perpEngineAt(book.engine, signer).closeSettledPosition(account as string, marketId),
      ),
  };
}
