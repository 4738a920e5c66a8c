/**
 * Sends one transaction through the connected wallet and tracks it: waiting for the wallet → pending (with
 * its hash) → confirmed, or failed with the decoded custom error in plain words. Errors the wallet raises
 * before sending (a revert during gas estimation, a rejection) are decoded the same way.
 */
import { useCallback, useState } from "react";
import type { ContractTransactionResponse, JsonRpcSigner } from "ethers";
import { useChain } from "../chain/ChainContext";
import type { DecodedFailure } from "../errors/decodeError";
import { useWallet } from "../wallet/WalletContext";

export type TxState =
  | { status: "idle" }
  | { status: "awaiting-wallet"; label: string }
  | { status: "pending"; label: string; hash: string }
  | { status: "confirmed"; label: string; hash: string; blockNumber: number }
  | { status: "failed"; label: string; hash: string | null; failure: DecodedFailure };

export interface Transaction {
  state: TxState;
  /** Sends; resolves true once confirmed, false when it failed (the state says why). */
  run(label: string, send: (signer: JsonRpcSigner) => Promise<ContractTransactionResponse>): Promise<boolean>;
  reset(): void;
}

export function useTransaction(): Transaction {
  const { decoder, errorContext } = useChain();
  const wallet = useWallet();
  const [state, setState] = useState<TxState>({ status: "idle" });

  const run = useCallback(
    async (label: string, send: (signer: JsonRpcSigner) => Promise<ContractTransactionResponse>) => {
      let hash: string | null = null;
      setState({ status: "awaiting-wallet", label });
      try {
        const response = await send(await wallet.signer());
        hash = response.hash;
        setState({ status: "pending", label, hash });
        const receipt = await response.wait();
        if (receipt === null) throw new Error("the transaction was dropped");
        setState({ status: "confirmed", label, hash: receipt.hash, blockNumber: receipt.blockNumber });
        return true;
      } catch (error) {
        setState({ status: "failed", label, hash, failure: decoder.describe(error, errorContext) });
        return false;
      }
    },
    [wallet, decoder, errorContext],
  );

  const reset = useCallback(() => setState({ status: "idle" }), []);
  return { state, run, reset };
}
