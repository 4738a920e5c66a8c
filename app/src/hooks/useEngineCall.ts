/**
 * Sends a previewed engine call (`modifyPosition`, `closePosition` or `commitOrder`) with exactly the
 * previewed arguments.
 */
import { useChain } from "../chain/ChainContext";
import { perpEngineAt } from "../chain/contracts";
import type { EngineCall } from "../model/tradePreview";
import { useTransaction } from "./useTransaction";

export function useEngineCall() {
  const { book } = useChain();
  const tx = useTransaction();
  return {
    ...tx,
    send: (label: string, call: EngineCall) =>
      tx.run(label, (signer) => {
        const engine = perpEngineAt(book.engine, signer);
        switch (call.method) {
          case "closePosition":
            return engine.closePosition(call.marketId, call.acceptablePrice);
          case "commitOrder":
            return engine.commitOrder(call.marketId, call.sizeDelta, call.marginDelta, call.acceptablePrice);
          case "modifyPosition":
            return engine.modifyPosition(call.marketId, call.sizeDelta, call.marginDelta, call.acceptablePrice);
        }
      }),
  };
}
