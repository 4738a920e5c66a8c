/** Collateral: wallet balance, free balance in the engine, deposit (with approval) and withdraw. */
import { useState } from "react";
import { formatTokenAmount, formatUsd } from "../../format/format";
import { parseDecimal, tryParse } from "../../format/parse";
import { useChain } from "../../chain/ChainContext";
import { useAccountState } from "../../hooks/useAccountState";
import { useDeposit } from "../../hooks/useDeposit";
import { useWithdraw } from "../../hooks/useWithdraw";
import { tokensFromUsdDown } from "../../model/units";
import { useWallet } from "../../wallet/WalletContext";
import { AmountField } from "../common/Field";
import { SendButton } from "../common/SendButton";
import { Stats } from "../common/Stats";
import { TxStatus } from "../common/TxStatus";
import { ApprovalControls } from "./ApprovalControls";

export function AccountPanel() {
  const { book } = useChain();
  const { account } = useWallet();
  const state = useAccountState().data;
  const deposit = useDeposit();
  const withdraw = useWithdraw();
  const [depositInput, setDepositInput] = useState("");
  const [withdrawInput, setWithdrawInput] = useState("");
  const { decimals, symbol } = book.collateral;
  const depositAmount = tryParse(() => parseDecimal(depositInput, decimals, "Deposit amount"));
  const withdrawAmount = tryParse(() => parseDecimal(withdrawInput, decimals, "Withdraw amount"));
  const maxWithdrawTokens = state ? tokensFromUsdDown(state.freeBalanceUsd, decimals) : null;

  if (account === null) {
    return (
      <section className="panel" aria-labelledby="account-title">
        <h2 id="account-title">Collateral</h2>
        <p className="muted">Connect a wallet to deposit collateral.</p>
      </section>
    );
  }
  const depositBlocked =
    depositAmount.value === null || depositAmount.value === 0n
      ? "Enter an amount to deposit."
      : state && state.engineAllowance < depositAmount.value
        ? "Approve the engine first."
        : state && state.walletTokens < depositAmount.value
          ? `Your wallet holds only ${formatTokenAmount(state.walletTokens, decimals, symbol)}.`
          : null;
  const withdrawBlocked =
    withdrawAmount.value === null || withdrawAmount.value === 0n
      ? "Enter an amount to withdraw."
      : maxWithdrawTokens !== null && withdrawAmount.value > maxWithdrawTokens
        ? `Your free balance allows at most ${formatTokenAmount(maxWithdrawTokens, decimals, symbol)}.`
        : null;

  return (
    <section className="panel" aria-labelledby="account-title">
      <h2 id="account-title">Collateral</h2>
      <Stats
        label="Balances"
        stats={[
          {
            label: "Wallet",
            value: state ? formatTokenAmount(state.walletTokens, decimals, symbol) : "—",
            testId: "wallet-balance",
          },
          { label: "Free balance", value: state ? formatUsd(state.freeBalanceUsd) : "—", testId: "free-balance" },
        ]}
      />
      <div className="form-block">
        <AmountField
          label={`Deposit amount (${symbol})`}
          value={depositInput}
          onChange={setDepositInput}
          unit={symbol}
          error={depositAmount.error?.reason}
        />
        <ApprovalControls
          spender={book.engine}
          spenderLabel="engine"
          allowance={state?.engineAllowance}
          amount={depositAmount.value}
        />
        <SendButton
          label="Deposit"
          blockedReason={depositBlocked}
          txState={deposit.state}
          onClick={() => {
            if (depositAmount.value !== null)
              void deposit.send(depositAmount.value).then((ok) => ok && setDepositInput(""));
          }}
        />
        {depositBlocked && depositInput !== "" && <p className="muted">{depositBlocked}</p>}
        <TxStatus state={deposit.state} testId="deposit-status" />
      </div>
      <div className="form-block">
        <AmountField
          label={`Withdraw amount (${symbol})`}
          value={withdrawInput}
          onChange={setWithdrawInput}
          unit={symbol}
          error={withdrawAmount.error?.reason}
        />
        <SendButton
          label="Withdraw"
          blockedReason={withdrawBlocked}
          txState={withdraw.state}
          onClick={() => {
            if (withdrawAmount.value !== null)
              void withdraw.send(withdrawAmount.value).then((ok) => ok && setWithdrawInput(""));
          }}
        />
        {withdrawBlocked && withdrawInput !== "" && <p className="muted">{withdrawBlocked}</p>}
        <TxStatus state={withdraw.state} testId="withdraw-status" />
      </div>
    </section>
  );
}
