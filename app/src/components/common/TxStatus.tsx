/** One transaction's progress: waiting for the wallet, pending (hash), confirmed, or failed with the reason. */
import type { TxState } from "../../hooks/useTransaction";
import { formatAddress, formatInteger } from "../../format/format";

export function TxStatus(props: { state: TxState; testId?: string }) {
  const { state } = props;
  if (state.status === "idle") return null;
  const testId = props.testId ?? "tx-status";
  switch (state.status) {
    case "awaiting-wallet":
      return (
        <p className="tx tx-pending" role="status" data-testid={testId} data-status={state.status}>
          {state.label}: confirm in your wallet…
        </p>
      );
    case "pending":
      return (
        <p className="tx tx-pending" role="status" data-testid={testId} data-status={state.status}>
          {state.label}: pending ({formatAddress(state.hash)})…
        </p>
      );
    case "confirmed":
      return (
        <p className="tx tx-confirmed" role="status" data-testid={testId} data-status={state.status}>
          {state.label}: confirmed in block {formatInteger(BigInt(state.blockNumber))}.
        </p>
      );
    case "failed":
      return (
        <p className="tx tx-failed" role="alert" data-testid={testId} data-status={state.status}>
          {state.label} failed: {state.failure.message}
        </p>
      );
  }
}
