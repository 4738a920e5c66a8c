/**
 * Open, increase or reduce a position: side, size (or leverage on the margin entered), margin and slippage.
 * The SDK preview is shown before sending; a trade it predicts will revert is not sent.
 */
import { useMemo, useState } from "react";
import { formatDuration, WAD_DECIMALS } from "../../format/format";
import { parseDecimal, parsePercentToBps, parseWad, tryParse } from "../../format/parse";
import { useEngineCall } from "../../hooks/useEngineCall";
import { useTradePreview } from "../../hooks/useTradePreview";
import type { MarketView } from "../../model/marketView";
import { sizeFromLeverage, type TradeAction, type TradeSide } from "../../model/tradePreview";
import { AmountField, Choice } from "../common/Field";
import { SendButton } from "../common/SendButton";
import { TxStatus } from "../common/TxStatus";
import { PreviewPanel } from "./PreviewPanel";

/** Default slippage tolerance (%), a common wallet default. */
const DEFAULT_SLIPPAGE_PERCENT = "0.5";

type SizeMode = "size" | "leverage";

export function TradeForm(props: { market: MarketView }) {
  const { market } = props;
  const [side, setSide] = useState<TradeSide>("long");
  const [sizeMode, setSizeMode] = useState<SizeMode>("size");
  const [sizeInput, setSizeInput] = useState("");
  const [leverageInput, setLeverageInput] = useState("");
  const [marginInput, setMarginInput] = useState("");
  const [slippageInput, setSlippageInput] = useState(DEFAULT_SLIPPAGE_PERCENT);
  const engineCall = useEngineCall();

  const size = tryParse(() => parseWad(sizeInput, "Size"));
  const leverage = tryParse(() => parseDecimal(leverageInput, WAD_DECIMALS, "Leverage"));
  const margin = tryParse(() => parseWad(marginInput, "Margin"));
  const slippage = tryParse(() => parsePercentToBps(slippageInput, "Slippage"));

  const sizeWad =
    sizeMode === "size"
      ? size.value
      : leverage.value !== null && margin.value !== null && market.priceWad !== null
        ? sizeFromLeverage(margin.value, leverage.value, market.priceWad)
        : null;

  const action = useMemo((): TradeAction | null => {
    if (sizeWad === null || sizeWad === 0n || slippage.value === null) return null;
    return { kind: "trade", side, sizeWad, marginUsd: margin.value ?? 0n, slippageBps: slippage.value };
  }, [side, sizeWad, margin.value, slippage.value]);
  const preview = useTradePreview(market.marketId, action);
  const blocked =
    preview.kind === "none" ? preview.reason : preview.preview.revert ? "The engine would refuse this trade." : null;
  const delayed = market.executionDelaySeconds !== 0n;
  // Shown before the form so the two-step flow is no surprise.
  const orderNote = delayed
    ? `${market.symbol} trades through delayed orders: a keeper executes yours ${formatDuration(market.executionDelaySeconds)} after you commit it, at the price then.`
    : null;
  const label = `${delayed ? "Commit" : "Place"} ${side} ${market.baseAsset}${delayed ? " order" : ""}`;

  return (
    <section className="panel" aria-labelledby="trade-title">
      <h2 id="trade-title">Trade {market.symbol}</h2>
      {orderNote && <p className="muted small">{orderNote}</p>}
      <Choice<TradeSide>
        legend="Side"
        value={side}
        options={[
          { value: "long", label: "Long" },
          { value: "short", label: "Short" },
        ]}
        onChange={setSide}
      />
      <Choice<SizeMode>
        legend="Enter"
        value={sizeMode}
        options={[
          { value: "size", label: "Size" },
          { value: "leverage", label: "Leverage" },
        ]}
        onChange={setSizeMode}
      />
      {sizeMode === "size" ? (
        <AmountField
          label={`Size (${market.baseAsset})`}
          value={sizeInput}
          onChange={setSizeInput}
          unit={market.baseAsset}
          error={size.error?.reason}
        />
      ) : (
        <AmountField
          label="Leverage (x)"
          value={leverageInput}
          onChange={setLeverageInput}
          unit="x"
          error={leverage.error?.reason}
        />
      )}
      <AmountField
        label="Margin to add (USD)"
        value={marginInput}
        onChange={setMarginInput}
        unit="USD"
        error={margin.error?.reason}
      />
      <AmountField
        label="Slippage (%)"
        value={slippageInput}
        onChange={setSlippageInput}
        unit="%"
        error={slippage.error?.reason}
      />
      <PreviewPanel preview={preview} baseAsset={market.baseAsset} title="Trade preview" />
      <SendButton
        label={label}
        blockedReason={blocked}
        txState={engineCall.state}
        onClick={() => {
          if (preview.kind === "ready" && !preview.preview.revert) {
            void engineCall.send(label, preview.preview.call).then((ok) => {
              if (ok) {
                setSizeInput("");
                setLeverageInput("");
                setMarginInput("");
              }
            });
          }
        }}
      />
      <TxStatus state={engineCall.state} testId="trade-status" />
    </section>
  );
}
