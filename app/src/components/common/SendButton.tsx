/**
 * A button that sends a transaction: disabled when the wallet cannot send (wrong chain, not connected),
 * when the preview predicts a revert, or while a transaction is in flight.
 */
import type { TxState } from "../../hooks/useTransaction";
import { useWallet } from "../../wallet/WalletContext";

export function SendButton(props: {
  label: string;
  onClick(): void;
  /** Why this particular action cannot be sent now (a predicted revert, an empty input), or null. */
  blockedReason?: string | null;
  txState?: TxState;
}) {
  const { canSend, sendBlockedReason } = useWallet();
  const busy = props.txState?.status === "awaiting-wallet" || props.txState?.status === "pending";
  const disabled = !canSend || busy || Boolean(props.blockedReason);
  // The wallet's reason is shown once, in the page's banner; the button carries it as its title.
  const title = (!canSend ? sendBlockedReason : props.blockedReason) ?? undefined;
  return (
    <button type="button" className="primary" disabled={disabled} title={title} onClick={props.onClick}>
      {props.label}
    </button>
  );
}
