/**
 * Connect (one button per discovered wallet), the connected account and its chain, disconnect. Switching a
 * wrong chain is offered by the page's banner.
 */
import { formatAddress } from "../../format/format";
import { useChain } from "../../chain/ChainContext";
import { useWallet } from "../../wallet/WalletContext";

export function WalletBar() {
  const { book } = useChain();
  const wallet = useWallet();
  if (wallet.status !== "connected" || wallet.account === null) {
    return (
      <div className="wallet-bar">
        {wallet.options.length === 0 && <span className="muted">No wallet found: install a browser wallet.</span>}
        {wallet.options.map((option) => (
          <button
            key={option.id}
            type="button"
            disabled={wallet.status === "connecting"}
            onClick={() => void wallet.connect(option)}
          >
            {option.icon && <img src={option.icon} alt="" width={16} height={16} />} Connect {option.name}
          </button>
        ))}
        {wallet.walletError && (
          <span className="field-error" role="alert">
            {wallet.walletError}
          </span>
        )}
      </div>
    );
  }
  const onRightChain = wallet.chainId === book.chainId;
  return (
    <div className="wallet-bar">
      <span className="account" data-testid="connected-account" title={wallet.account}>
        {formatAddress(wallet.account)}
      </span>
      <span className={onRightChain ? "chain ok" : "chain wrong"} data-testid="wallet-chain">
        chain {wallet.chainId}
      </span>
      <button type="button" onClick={wallet.disconnect}>
        Disconnect
      </button>
    </div>
  );
}
