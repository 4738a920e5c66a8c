/** `collateral.approve(spender, amount)`: an exact amount or an unlimited allowance. */
import { MaxUint256 } from "ethers";
import { useChain } from "../chain/ChainContext";
import { erc20At } from "../chain/contracts";
import { useTransaction } from "./useTransaction";

/** The allowance an "unlimited" approval sets. */
export const UNLIMITED_ALLOWANCE = MaxUint256;

export function useApprove(spender: string) {
  const { book } = useChain();
  const tx = useTransaction();
  return {
    ...tx,
    send: (tokenAmount: bigint) =>
      tx.run(tokenAmount === UNLIMITED_ALLOWANCE ? "Approve unlimited" : "Approve", (signer) =>
        erc20At(book.collateral.address, signer).approve(spender, tokenAmount),
      ),
  };
}
