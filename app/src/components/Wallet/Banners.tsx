/** Page-wide notices: the node cannot be read, the wallet is on the wrong chain, a pause switch is on. */
import { formatTimestamp } from "../../format/format";
import { useChain } from "../../chain/ChainContext";
import { useProtocol } from "../../hooks/useProtocol";
import { useWallet } from "../../wallet/WalletContext";

export function Banners() {
  const { connectionError, latestBlock } = useChain();
  const wallet = useWallet();
  const protocol = useProtocol().data;
  const pauses: string[] = [];
  if (protocol?.tradingPaused)
    pauses.push(
      "Trading is paused: opening, increasing and removing margin are stopped; reduce, close and add margin still work.",
    );
  if (protocol?.liquidationsPaused) pauses.push("Liquidations are paused.");
  if (protocol?.withdrawalsPaused) pauses.push("Withdrawals are paused: free-balance and LP withdrawals are stopped.");
  const now = latestBlock?.timestampSeconds ?? null;
  if (protocol && now !== null && !protocol.liquidationsPaused && protocol.liquidationsResumeAtSeconds > now) {
    pauses.push(
      `Liquidations resumed; a grace period runs until ${formatTimestamp(protocol.liquidationsResumeAtSeconds)} for positions to add margin or close.`,
    );
  }
  return (
    <div className="banners">
      {connectionError && (
        <div className="banner banner-error" role="alert">
          {connectionError}
        </div>
      )}
      {wallet.status === "connected" && !wallet.canSend && wallet.sendBlockedReason && (
        <div className="banner banner-warning" role="alert" data-testid="wrong-network">
          {wallet.sendBlockedReason}{" "}
          <button type="button" className="primary" onClick={() => void wallet.switchChain()}>
            Switch network
          </button>
        </div>
      )}
      {pauses.map((text) => (
        <div key={text} className="banner banner-pause" role="alert" data-testid="pause-banner">
          {text}
        </div>
      ))}
    </div>
  );
}
