/** A position in a settled market: it can only close at the settlement price, paid its equity there. */
import { formatPrice, formatUsd } from "../../format/format";
import { useCloseSettled } from "../../hooks/useCloseSettled";
import type { PositionView } from "../../model/positionView";
import { SendButton } from "../common/SendButton";
import { TxStatus } from "../common/TxStatus";

export function SettledPositionClose(props: { position: PositionView }) {
  const p = props.position;
  const close = useCloseSettled();
  return (
    <div className="position-actions">
      <p className="notice">
        {p.symbol} was settled at {formatPrice(p.settlementPriceWad)}. Closing credits{" "}
        {formatUsd(p.settlementPayoutUsd ?? 0n)} to your free balance.
      </p>
      <SendButton
        label={`Close ${p.symbol} at settlement`}
        txState={close.state}
        onClick={() => void close.send(p.marketId)}
      />
      <TxStatus state={close.state} testId={`settled-close-status-${p.symbol}`} />
    </div>
  );
}
