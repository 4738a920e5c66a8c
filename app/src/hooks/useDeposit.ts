/** `engine.deposit(tokenAmount)`: collateral from the wallet into the free balance. */
import { useChain } from "../chain/ChainContext";
import { perpEngineAt } from "../chain/contracts";
import { useTransaction } from "./useTransaction";

export function useDeposit() {
  const { book } = useChain();
  const tx = useTransaction();
  return {
    ...tx,
    send: (tokenAmount: bigint) =>
      tx.run("Deposit", (signer) => perpEngineAt(book.engine, signer).deposit(tokenAmount)),
  };
}
