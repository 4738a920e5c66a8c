/** Approve a spender for the exact amount about to be used, or without limit; shows the current allowance. */
import { formatAllowance, formatTokenAmount } from "../../format/format";
import { useChain } from "../../chain/ChainContext";
import { UNLIMITED_ALLOWANCE, useApprove } from "../../hooks/useApprove";
import { approvalNeed } from "../../model/approval";
import { SendButton } from "../common/SendButton";
import { TxStatus } from "../common/TxStatus";

export function ApprovalControls(props: {
  spender: string;
  spenderLabel: string;
  allowance: bigint | undefined;
  amount: bigint | null;
}) {
  const { book } = useChain();
  const approve = useApprove(props.spender);
  const { decimals, symbol } = book.collateral;
  const need = props.allowance === undefined ? { needed: false as const } : approvalNeed(props.allowance, props.amount);
  return (
    <div className="approval">
      <p className="muted" data-testid={`allowance-${props.spenderLabel}`}>
        Allowance to the {props.spenderLabel}:{" "}
        {props.allowance === undefined ? "—" : formatAllowance(props.allowance, decimals, symbol)}
      </p>
      {need.needed && (
        <div className="button-row">
          <SendButton
            label={`Approve ${formatTokenAmount(need.exactAmount, decimals, symbol)}`}
            onClick={() => void approve.send(need.exactAmount)}
            txState={approve.state}
          />
          <SendButton
            label="Approve unlimited"
            onClick={() => void approve.send(UNLIMITED_ALLOWANCE)}
            txState={approve.state}
          />
        </div>
      )}
      <TxStatus state={approve.state} testId={`approve-status-${props.spenderLabel}`} />
    </div>
  );
}
