/** One open position: every number the engine would use to liquidate it, its ADL lights, and its actions. */
import {
  formatLeverage,
  formatPrice,
  formatRatioWad,
  formatSignedUsd,
  formatSize,
  formatUsd,
} from "../../format/format";
import type { PositionView } from "../../model/positionView";
import { AdlLights } from "../common/AdlLights";
import { Stats } from "../common/Stats";
import { PositionActions } from "./PositionActions";
import { SettledPositionClose } from "./SettledPositionClose";

export function PositionCard(props: { position: PositionView }) {
  const p = props.position;
  return (
    <article className="panel position" aria-labelledby={`position-${p.symbol}`} data-testid={`position-${p.symbol}`}>
      <h2 id={`position-${p.symbol}`}>
        {p.symbol} <span className={`side side-${p.side}`}>{p.side}</span>
        {p.isLiquidatable && <span className="badge badge-stale">liquidatable</span>}
      </h2>
      <Stats
        label={`${p.symbol} position`}
        stats={[
          { label: "Size", value: formatSize(p.sizeWad, p.baseAsset), testId: "position-size" },
          { label: "Entry price", value: formatPrice(p.entryPriceWad), testId: "position-entry" },
          { label: "Mark price", value: formatPrice(p.markPriceWad), testId: "position-mark" },
          { label: "Unrealised PnL", value: formatSignedUsd(p.unrealizedPnlUsd), testId: "position-pnl" },
          { label: "Margin", value: formatUsd(p.marginUsd), testId: "position-margin" },
          { label: "Equity", value: formatUsd(p.equityUsd), testId: "position-equity" },
          {
            label: "Maintenance requirement",
            value: formatUsd(p.maintenanceRequirementUsd),
            testId: "position-maintenance",
          },
          { label: "Margin ratio", value: formatRatioWad(p.marginRatioWad), testId: "position-margin-ratio" },
          { label: "Leverage", value: formatLeverage(p.leverageWad), testId: "position-leverage" },
          {
            label: "Liquidation price",
            value: p.liquidationPriceWad === 0n ? "none" : formatPrice(p.liquidationPriceWad),
            testId: "position-liquidation-price",
          },
          { label: "Funding owed", value: formatSignedUsd(p.fundingOwedUsd), testId: "position-funding-owed" },
          { label: "Socialized loss owed", value: formatUsd(p.lossOwedUsd), testId: "position-loss-owed" },
          { label: "ADL", value: <AdlLights adl={p.adl} />, testId: "position-adl" },
        ]}
      />
      {p.settlementPriceWad === 0n ? <PositionActions position={p} /> : <SettledPositionClose position={p} />}
    </article>
  );
}
