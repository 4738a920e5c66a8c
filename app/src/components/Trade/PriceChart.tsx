/**
 * The market's price over time (lightweight-charts), with the user's entry and liquidation prices marked
 * as horizontal lines.
 */
import { useEffect, useMemo, useRef } from "react";
import {
  createChart,
  LineSeries,
  LineStyle,
  type AutoscaleInfo,
  type IChartApi,
  type IPriceLine,
  type ISeriesApi,
  type UTCTimestamp,
} from "lightweight-charts";
import { formatPrice, toChartNumber } from "../../format/format";
import type { PricePoint } from "../../model/priceHistory";

const CHART_HEIGHT_PX = 260;
const ENTRY_LINE_COLOR = "#2962ff";
const LIQUIDATION_LINE_COLOR = "#d32f2f";
const PRICE_LINE_COLOR = "#0b7a75";

export interface PriceMarks {
  entryPriceWad: bigint | null;
  liquidationPriceWad: bigint | null;
}

export function PriceChart(props: { symbol: string; points: readonly PricePoint[]; marks: PriceMarks }) {
  const container = useRef<HTMLDivElement>(null);
  const chart = useRef<IChartApi | null>(null);
  const series = useRef<ISeriesApi<"Line"> | null>(null);
  const lines = useRef<IPriceLine[]>([]);
  /** The marked prices as chart numbers: the price scale stretches to keep them in view. */
  const markValues = useRef<number[]>([]);

  useEffect(() => {
    if (!container.current) return;
    chart.current = createChart(container.current, {
      height: CHART_HEIGHT_PX,
      autoSize: true,
      layout: { attributionLogo: true },
      timeScale: { timeVisible: true, secondsVisible: true },
    });
    series.current = chart.current.addSeries(LineSeries, {
      color: PRICE_LINE_COLOR,
      lineWidth: 2,
      autoscaleInfoProvider: (original: () => AutoscaleInfo | null) => {
        const info = original();
        if (info === null || info.priceRange === null || markValues.current.length === 0) return info;
        return {
          ...info,
          priceRange: {
            minValue: Math.min(info.priceRange.minValue, ...markValues.current),
            maxValue: Math.max(info.priceRange.maxValue, ...markValues.current),
          },
        };
      },
    });
    return () => {
      chart.current?.remove();
      chart.current = null;
      series.current = null;
      lines.current = [];
    };
  }, []);

  const data = useMemo(
    () => props.points.map((p) => ({ time: Number(p.timeSeconds) as UTCTimestamp, value: toChartNumber(p.priceWad) })),
    [props.points],
  );
  const { entryPriceWad, liquidationPriceWad } = props.marks;
  useEffect(() => {
    const s = series.current;
    if (!s) return;
    for (const line of lines.current) s.removePriceLine(line);
    lines.current = [];
    markValues.current = [entryPriceWad, liquidationPriceWad]
      .filter((price): price is bigint => price !== null && price !== 0n)
      .map((price) => toChartNumber(price));
    // Set after the marks so the price scale's autoscale includes them.
    s.setData(data);
    if (entryPriceWad !== null) {
      lines.current.push(
        s.createPriceLine({
          price: toChartNumber(entryPriceWad),
          color: ENTRY_LINE_COLOR,
          lineStyle: LineStyle.Dashed,
          title: "entry",
          axisLabelVisible: true,
        }),
      );
    }
    if (liquidationPriceWad !== null && liquidationPriceWad !== 0n) {
      lines.current.push(
        s.createPriceLine({
          price: toChartNumber(liquidationPriceWad),
          color: LIQUIDATION_LINE_COLOR,
          lineStyle: LineStyle.Dashed,
          title: "liquidation",
          axisLabelVisible: true,
        }),
      );
    }
  }, [entryPriceWad, liquidationPriceWad, data]);

  const description = [
    `${props.symbol} price chart`,
    entryPriceWad !== null ? `entry ${formatPrice(entryPriceWad)}` : null,
    liquidationPriceWad ? `liquidation ${formatPrice(liquidationPriceWad)}` : null,
  ]
    .filter(Boolean)
    .join(", ");
  return <div className="chart" ref={container} role="img" aria-label={description} data-testid="price-chart" />;
}
