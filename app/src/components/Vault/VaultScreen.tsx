/**
 * The Vault screen for LPs: share price, what the vault holds and must keep, the LP's shares and how much
 * can leave now (and why not more), deposit with approval, and redeem.
 */
import { useState } from "react";
import { formatInputValue, formatSharePrice, formatTokenAmount, formatUsd } from "../../format/format";
import { parseDecimal, tryParse } from "../../format/parse";
import { useChain } from "../../chain/ChainContext";
import { useAccountState } from "../../hooks/useAccountState";
import { useProtocol } from "../../hooks/useProtocol";
import { useVaultDeposit } from "../../hooks/useVaultDeposit";
import { useVaultRedeem } from "../../hooks/useVaultRedeem";
import { useVaultView } from "../../hooks/useVaultView";
import type { VaultView, WithdrawLimit } from "../../model/vaultView";
import { useWallet } from "../../wallet/WalletContext";
import { ApprovalControls } from "../Account/ApprovalControls";
import { AmountField } from "../common/Field";
import { SendButton } from "../common/SendButton";
import { Stats } from "../common/Stats";
import { TxStatus } from "../common/TxStatus";

function limitSentence(limit: WithdrawLimit, view: VaultView): string | null {
  const breakdown = view.payout?.breakdown;
  switch (limit) {
    case "none":
      return null;
    case "withdrawals-paused":
      return "Withdrawals are paused by the guardian.";
    case "price-invalid":
      return "A market with open positions has no valid price, so the vault cannot be valued now.";
    case "exposure-cap":
      return `Limited by the exposure cap: the vault must keep ${formatUsd(breakdown?.exposureNeedUsd ?? 0n)} of equity for its net exposure in ${view.exposureMarketSymbol ?? "a market"} (plus ${formatUsd(breakdown?.reserveUsd ?? 0n)} of gross open-interest reserve).`;
    case "gross-oi-reserve":
      return `Limited by the gross open-interest reserve: the vault must keep ${formatUsd(breakdown?.reserveUsd ?? 0n)} against open positions on both sides (plus ${formatUsd(breakdown?.exposureNeedUsd ?? 0n)} for its exposure cap).`;
    case "vault-cash":
      return "Limited by the vault's cash: part of its equity is still in open positions.";
  }
}

export function VaultScreen() {
  const { book } = useChain();
  const { account } = useWallet();
  const view = useVaultView();
  const protocol = useProtocol().data;
  const accountState = useAccountState().data;
  const deposit = useVaultDeposit();
  const redeem = useVaultRedeem();
  const [depositInput, setDepositInput] = useState("");
  const [redeemInput, setRedeemInput] = useState("");
  const { decimals, symbol } = book.collateral;
  const shareDecimals = view?.vault.shareDecimals ?? decimals;
  const shareSymbol = view?.vault.shareSymbol ?? "shares";
  const depositAmount = tryParse(() => parseDecimal(depositInput, decimals, "LP deposit amount"));
  const redeemShares = tryParse(() => parseDecimal(redeemInput, shareDecimals, "Shares to redeem"));

  if (!view || !protocol) return <p className="muted">Loading the vault…</p>;
  const v = view.vault;
  const payout = view.payout;
  const lp = view.lp;
  const depositBlocked =
    depositAmount.value === null || depositAmount.value === 0n
      ? "Enter an amount to deposit."
      : accountState && accountState.vaultAllowance < depositAmount.value
        ? "Approve the vault first."
        : null;
  const redeemBlocked =
    redeemShares.value === null || redeemShares.value === 0n
      ? "Enter the shares to redeem."
      : lp && redeemShares.value > lp.maxRedeem
        ? `At most ${formatTokenAmount(lp.maxRedeem, shareDecimals, shareSymbol)} can be redeemed now.`
        : null;
  const limit = lp ? limitSentence(lp.limit, view) : null;

  return (
    <div className="screen vault-screen">
      <section className="panel" aria-labelledby="vault-title">
        <h2 id="vault-title">Liquidity vault</h2>
        <Stats
          label="Vault"
          stats={[
            {
              label: "Share price",
              value: v.assetsPerShare === null ? "—" : formatSharePrice(v.assetsPerShare, decimals, symbol),
              testId: "share-price",
            },
            {
              label: "Vault assets (withdrawal value)",
              value: v.totalAssets === null ? "—" : formatTokenAmount(v.totalAssets, decimals, symbol),
            },
            { label: "Shares outstanding", value: formatTokenAmount(v.totalShares, shareDecimals, v.shareSymbol) },
            { label: "Vault cash", value: formatUsd(protocol.vaultCashUsd) },
            { label: "Equity (gains excluded)", value: payout ? formatUsd(payout.equityUsd) : "—" },
            {
              label: "Kept for exposure caps",
              value: payout ? formatUsd(payout.breakdown.exposureNeedUsd) : "—",
              testId: "exposure-need",
            },
            {
              label: "Kept as gross-OI reserve",
              value: payout ? formatUsd(payout.breakdown.reserveUsd) : "—",
              testId: "oi-reserve",
            },
            { label: "Payable to LPs now", value: payout ? formatUsd(payout.maxPayoutUsd) : "—", testId: "max-payout" },
          ]}
        />
      </section>
      <section className="panel" aria-labelledby="lp-title">
        <h2 id="lp-title">Your liquidity</h2>
        {account === null || lp === null ? (
          <p className="muted">Connect a wallet to provide liquidity.</p>
        ) : (
          <>
            <Stats
              label="Your liquidity"
              stats={[
                {
                  label: "Your shares",
                  value: formatTokenAmount(lp.shares, shareDecimals, v.shareSymbol),
                  testId: "lp-shares",
                },
                {
                  label: "Worth",
                  value: lp.ownerAssets === null ? "—" : formatTokenAmount(lp.ownerAssets, decimals, symbol),
                  testId: "lp-worth",
                },
                {
                  label: "Max withdrawable",
                  value: formatTokenAmount(lp.maxWithdraw, decimals, symbol),
                  testId: "lp-max-withdraw",
                },
              ]}
            />
            {limit && (
              <p className="notice" data-testid="lp-limit">
                {limit}
              </p>
            )}
            <div className="form-block">
              <AmountField
                label={`LP deposit (${symbol})`}
                value={depositInput}
                onChange={setDepositInput}
                unit={symbol}
                error={depositAmount.error?.reason}
              />
              <ApprovalControls
                spender={book.vault}
                spenderLabel="vault"
                allowance={accountState?.vaultAllowance}
                amount={depositAmount.value}
              />
              <SendButton
                label="Deposit into vault"
                blockedReason={depositBlocked}
                txState={deposit.state}
                onClick={() => {
                  if (depositAmount.value !== null) {
                    void deposit.send(depositAmount.value).then((ok) => ok && setDepositInput(""));
                  }
                }}
              />
              <TxStatus state={deposit.state} testId="lp-deposit-status" />
            </div>
            <div className="form-block">
              <AmountField
                label={`Shares to redeem (${shareSymbol})`}
                value={redeemInput}
                onChange={setRedeemInput}
                unit={shareSymbol}
                error={redeemShares.error?.reason}
              />
              <button
                type="button"
                onClick={() => setRedeemInput(formatInputValue(lp.maxRedeem, shareDecimals))}
                disabled={lp.maxRedeem === 0n}
              >
                Max
              </button>
              <SendButton
                label="Redeem shares"
                blockedReason={redeemBlocked}
                txState={redeem.state}
                onClick={() => {
                  if (redeemShares.value !== null) {
                    void redeem.send(redeemShares.value).then((ok) => ok && setRedeemInput(""));
                  }
                }}
              />
              {redeemBlocked && redeemInput !== "" && <p className="muted">{redeemBlocked}</p>}
              <TxStatus state={redeem.state} testId="lp-redeem-status" />
            </div>
          </>
        )}
      </section>
    </div>
  );
}
