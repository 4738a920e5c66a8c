/**
 * The SDK's preview of an action before it is sent: fill, impact, fee, the slippage bound, the resulting
 * position and its health, and — when the engine would refuse — the reason, in the same words a real
 * revert would get.
 */
import {
  formatDuration,
  formatLeverage,
  formatPrice,
  formatRateWad,
  formatRatioWad,
  formatSignedUsd,
  formatSize,
  formatUsd,
} from "../../format/format";
import { useChain } from "../../chain/ChainContext";
import { errorSentence } from "../../errors/errorMessages";
import type { PreviewState } from "../../hooks/useTradePreview";
import { Stats, type Stat } from "../common/Stats";

export function PreviewPanel(props: { preview: PreviewState; baseAsset: string; title?: string }) {
  const { errorContext } = useChain();
  if (props.preview.kind === "none") {
    return (
      <div className="preview" aria-label={props.title ?? "Preview"}>
        <p className="muted">{props.preview.reason}</p>
      </div>
    );
  }
  const p = props.preview.preview;
  const stats: Stat[] = [];
  if (p.fillPriceWad !== null) {
    stats.push({ label: "Fill price", value: formatPrice(p.fillPriceWad), testId: "preview-fill" });
    stats.push({ label: "Price impact", value: formatRateWad(p.priceImpactWad ?? 0n) });
    stats.push({ label: "Fee", value: formatUsd(p.feeUsd), testId: "preview-fee" });
    stats.push({ label: "Worst accepted price", value: formatPrice(p.call.acceptablePrice) });
  }
  if (p.realizedPnlUsd !== 0n) stats.push({ label: "Realised PnL", value: formatSignedUsd(p.realizedPnlUsd) });
  if (p.after === null) {
    stats.push({ label: "Resulting position", value: "closed" });
    stats.push({ label: "Returned to free balance", value: formatUsd(p.freeBalanceDeltaUsd) });
  } else {
    const a = p.after;
    stats.push(
      { label: "Resulting size", value: formatSize(a.sizeWad, props.baseAsset), testId: "preview-size" },
      { label: "Entry price", value: formatPrice(a.entryPriceWad) },
      { label: "Margin", value: formatUsd(a.marginUsd), testId: "preview-margin" },
      { label: "Margin ratio", value: formatRatioWad(a.marginRatioWad) },
      { label: "Leverage", value: formatLeverage(a.leverageWad), testId: "preview-leverage" },
      {
        label: "Liquidation price",
        value: a.liquidationPriceWad === 0n ? "none" : formatPrice(a.liquidationPriceWad),
        testId: "preview-liquidation-price",
      },
    );
  }
  if (p.order) {
    stats.push(
      { label: "Keeper fee", value: formatUsd(p.order.executionFeeUsd), testId: "preview-execution-fee" },
      { label: "Taken from free balance now", value: formatUsd(p.order.debitedUsd) },
      { label: "Executes", value: `after ${formatDuration(p.order.delaySeconds)}, at the price then` },
    );
  }
  if (p.initialMargin) {
    stats.push({
      label: "Initial margin",
      value: `${p.initialMargin.meets ? "holds" : "fails"}: equity ${formatUsd(p.initialMargin.equityWithoutProfitUsd)}, required ${formatUsd(p.initialMargin.requiredUsd)}`,
      testId: "preview-initial-margin",
    });
  }
  const refusal = p.revert
    ? (errorSentence(p.revert.errorName, p.revert.args, errorContext) ??
      `The engine would refuse (${p.revert.errorName}).`)
    : null;
  return (
    <div className="preview" aria-label={props.title ?? "Preview"}>
      <Stats stats={stats} label={props.title ?? "Preview"} />
      {refusal && (
        <p className="refusal" role="alert" data-testid="preview-refusal" data-error={p.revert?.errorName}>
          Not sent:{" "}
          {p.revert?.stage === "execution"
            ? "at the current price the order would be cancelled when executed (and its keeper fee lost): "
            : ""}
          {refusal}
        </p>
      )}
    </div>
  );
}
