/** Close, reduce, add or remove margin of one position, each previewed by the SDK before it is sent. */
import { useMemo, useState } from "react";
import { parsePercentToBps, parseWad, tryParse } from "../../format/parse";
import { useEngineCall } from "../../hooks/useEngineCall";
import { useTradePreview } from "../../hooks/useTradePreview";
import type { PositionView } from "../../model/positionView";
import type { TradeAction } from "../../model/tradePreview";
import { AmountField, Choice } from "../common/Field";
import { SendButton } from "../common/SendButton";
import { TxStatus } from "../common/TxStatus";
import { PreviewPanel } from "../Trade/PreviewPanel";

type ActionKind = "close" | "reduce" | "add-margin" | "remove-margin";

const ACTION_LABELS: Readonly<Record<ActionKind, string>> = {
  close: "Close",
  reduce: "Reduce",
  "add-margin": "Add margin",
  "remove-margin": "Remove margin",
};

const DEFAULT_SLIPPAGE_PERCENT = "0.5";

export function PositionActions(props: { position: PositionView }) {
  const p = props.position;
  const [kind, setKind] = useState<ActionKind>("close");
  const [amountInput, setAmountInput] = useState("");
  const [slippageInput, setSlippageInput] = useState(DEFAULT_SLIPPAGE_PERCENT);
  const engineCall = useEngineCall();
  const amount = tryParse(() => parseWad(amountInput, kind === "reduce" ? "Size" : "Amount"));
  const slippage = tryParse(() => parsePercentToBps(slippageInput, "Slippage"));

  const action = useMemo((): TradeAction | null => {
    if (kind === "close") return slippage.value === null ? null : { kind: "close", slippageBps: slippage.value };
    if (amount.value === null || amount.value === 0n) return null;
    if (kind === "reduce") {
      if (slippage.value === null) return null;
      // Reducing trades against the position's side and moves no margin.
      return {
        kind: "trade",
        side: p.side === "long" ? "short" : "long",
        sizeWad: amount.value,
        marginUsd: 0n,
        slippageBps: slippage.value,
      };
    }
    return { kind, amountUsd: amount.value };
  }, [kind, amount.value, slippage.value, p.side]);
  const preview = useTradePreview(p.marketId, action);
  const blocked =
    preview.kind === "none" ? preview.reason : preview.preview.revert ? "The engine would refuse this." : null;
  const isOrder = preview.kind === "ready" && preview.preview.call.method === "commitOrder";
  const label = `${ACTION_LABELS[kind]} ${p.symbol}${isOrder ? " (order)" : ""}`;
  const needsSlippage = kind === "close" || kind === "reduce";

  return (
    <div className="position-actions">
      <Choice
        legend={`Action on ${p.symbol}`}
        value={kind}
        options={(Object.keys(ACTION_LABELS) as ActionKind[]).map((value) => ({ value, label: ACTION_LABELS[value] }))}
        onChange={(value) => {
          setKind(value);
          setAmountInput("");
        }}
      />
      {kind !== "close" && (
        <AmountField
          label={kind === "reduce" ? `Reduce by (${p.baseAsset})` : `${ACTION_LABELS[kind]} (USD)`}
          value={amountInput}
          onChange={setAmountInput}
          unit={kind === "reduce" ? p.baseAsset : "USD"}
          error={amount.error?.reason}
        />
      )}
      {needsSlippage && (
        <AmountField
          label={`Slippage for ${p.symbol} (%)`}
          value={slippageInput}
          onChange={setSlippageInput}
          unit="%"
          error={slippage.error?.reason}
        />
      )}
      <PreviewPanel preview={preview} baseAsset={p.baseAsset} title={`${ACTION_LABELS[kind]} preview`} />
      <SendButton
        label={label}
        blockedReason={blocked}
        txState={engineCall.state}
        onClick={() => {
          if (preview.kind === "ready" && !preview.preview.revert) {
            void engineCall.send(label, preview.preview.call).then((ok) => ok && setAmountInput(""));
          }
        }}
      />
      <TxStatus state={engineCall.state} testId={`position-action-status-${p.symbol}`} />
    </div>
  );
}
