/** `engine.withdraw(tokenAmount)`: collateral from the free balance back to the wallet. */
import { useChain } from "../chain/ChainContext";
import { perpEngineAt } from "../chain/contracts";
import { useTransaction } from "./useTransaction";

export function useWithdraw() {
  const { book } = useChain();
  const tx = useTransaction();
  return {
    ...tx,
    send: (tokenAmount: bigint) =>
      tx.run("Withdraw", (signer) => perpEngineAt(book.engine, signer).withdraw(tokenAmount)),
  };
}
