/** The insurance fund's balance per block (uPlot), with its target as a second line. */
import { useEffect, useRef } from "react";
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";
import { formatUsd, toChartNumber } from "../../format/format";
import type { FundPoint } from "../../model/insuranceHistory";

const CHART_HEIGHT_PX = 200;
const MIN_CHART_WIDTH_PX = 240;
const FUND_COLOR = "#0b7a75";
const TARGET_COLOR = "#9e9e9e";

export function InsuranceChart(props: { points: readonly FundPoint[]; targetUsd: bigint }) {
  const container = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);

  useEffect(() => {
    const element = container.current;
    if (!element) return;
    const width = () => Math.max(MIN_CHART_WIDTH_PX, element.clientWidth);
    plot.current = new uPlot(
      {
        width: width(),
        height: CHART_HEIGHT_PX,
        scales: { x: { time: false } },
        axes: [{ label: "block" }, { size: 70 }],
        series: [
          { label: "block" },
          { label: "fund (USD)", stroke: FUND_COLOR, width: 2 },
          { label: "target (USD)", stroke: TARGET_COLOR, dash: [6, 4] },
        ],
      },
      [[], [], []],
      element,
    );
    const observer = new ResizeObserver(() => plot.current?.setSize({ width: width(), height: CHART_HEIGHT_PX }));
    observer.observe(element);
    return () => {
      observer.disconnect();
      plot.current?.destroy();
      plot.current = null;
    };
  }, []);

  useEffect(() => {
    const target = toChartNumber(props.targetUsd);
    plot.current?.setData([
      props.points.map((p) => p.blockNumber),
      props.points.map((p) => toChartNumber(p.insuranceFundUsd)),
      props.points.map(() => target),
    ]);
  }, [props.points, props.targetUsd]);

  const last = props.points[props.points.length - 1];
  return (
    <div
      className="chart"
      ref={container}
      role="img"
      aria-label={`Insurance fund history: ${props.points.length} points${last ? `, latest ${formatUsd(last.insuranceFundUsd)}` : ""}`}
      data-testid="insurance-chart"
    />
  );
}
