/**
 * The self-contained HTML report: the summary and invariant tables as static HTML, and the charts drawn
 * by uPlot (1.6.32, inlined with its CSS) from the report's series embedded as JSON. Nothing is fetched
 * when the page is opened; it works from a file:// URL without a network.
 */
import { readFileSync } from "node:fs";
import { formatUsd } from "./terminalSummary";
import type { SimReport } from "./reportTypes";

const UPLOT_JS = require.resolve("uplot/dist/uPlot.iife.min.js");
const UPLOT_CSS = require.resolve("uplot/dist/uPlot.min.css");

/** Escapes text for HTML element content and attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);
}

/** JSON inside a <script> element: `<` is escaped so the data can never close the element. */
export function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, "\\u003c");
}

export const REPORT_STYLES = `
  body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 24px; color: #1d2430; background: #fafbfc; }
  h1 { font-size: 22px; margin: 0 0 4px; } h2 { font-size: 17px; margin: 28px 0 8px; }
  .muted { color: #5b6575; }
  table { border-collapse: collapse; background: #fff; box-shadow: 0 1px 2px #0001; }
  th, td { padding: 5px 10px; border-bottom: 1px solid #e6e9ee; text-align: left; vertical-align: top; }
  th { background: #f1f3f6; font-weight: 600; }
  td.num { text-align: right; font-variant-numeric: tabular-nums; }
  .pass { color: #117a3d; font-weight: 600; } .fail { color: #b42318; font-weight: 600; }
  .grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(600px, 1fr)); gap: 18px; }
  .chart { background: #fff; box-shadow: 0 1px 2px #0001; padding: 8px; }
  .chart h3 { font-size: 14px; margin: 2px 4px 6px; }
  .cols { display: flex; gap: 24px; flex-wrap: wrap; align-items: flex-start; }
`;

function row(cells: string[], numeric: boolean[] = []): string {
  return `<tr>${cells.map((cell, i) => `<td${numeric[i] ? ' class="num"' : ""}>${cell}</td>`).join("")}</tr>`;
}

function summaryTable(report: SimReport): string {
  const s = report.summary;
  const split = s.deficitSplitUsd;
  const rows: [string, string][] = [
    [
      "Liquidations",
      `${s.liquidations.total} (partial ${s.liquidations.partial}, full ${s.liquidations.full}, bankrupt ${s.liquidations.bankrupt})`,
    ],
    ["Bad debt (Σ deficits)", formatUsd(s.badDebtUsd)],
    ["… paid by the insurance fund", formatUsd(split.insurance)],
    [
      "… absorbed by ADL",
      `${formatUsd(split.adl)} (${s.adl.liquidationsWithAdl} liquidations, ${s.adl.counterpartiesDeleveraged} counterparties)`,
    ],
    ["… absorbed by the vault", formatUsd(split.vault)],
    ["… socialized", `${formatUsd(split.socialized)} (${s.socializedLoss.events} events)`],
    ["Vault protection walks", `${s.vaultProtection.walks} (${s.vaultProtection.positionsReduced} positions reduced)`],
    [
      "Insurance fund",
      `${formatUsd(s.insuranceFund.startUsd)} → ${formatUsd(s.insuranceFund.endUsd)} (min ${formatUsd(s.insuranceFund.minUsd)})`,
    ],
    [
      "Vault equity",
      `${formatUsd(s.vault.startEquityUsd)} → ${formatUsd(s.vault.endEquityUsd)} (min ${formatUsd(s.vault.minEquityUsd)})`,
    ],
    ["Vault worst drawdown", `${s.vault.worstDrawdownPct.toFixed(2)}% of the share price`],
    ["Keeper rewards / penalties", `${formatUsd(s.keeperRewardsUsd)} / ${formatUsd(s.penaltiesUsd)}`],
    [
      "Delayed orders",
      `${s.orders.committed} committed, ${s.orders.executed} executed, ${s.orders.cancelled} cancelled` +
        (s.orders.cancelled
          ? ` (${Object.entries(s.orders.cancelReasons)
              .map(([reason, n]) => `${reason} ${n}`)
              .join(", ")})`
          : ""),
    ],
    ["Open positions at the end", String(s.openPositionsAtEnd)],
  ];
  return `<table><tr><th>Figure</th><th>Value</th></tr>${rows.map(([a, b]) => row([escapeHtml(a), escapeHtml(b)])).join("")}</table>`;
}

function invariantsTable(report: SimReport): string {
  const rows = report.invariants.map((inv) =>
    row(
      [
        `<code>${escapeHtml(inv.name)}</code><div class="muted">${escapeHtml(inv.description)}</div>` +
          inv.examples.map((e) => `<div class="fail">${escapeHtml(e)}</div>`).join(""),
        String(inv.checked),
        String(inv.failures),
        inv.pass
          ? `<span class="pass">PASS</span>${inv.notEvaluated ? ` <span class="muted">(${inv.notEvaluated} n/e)</span>` : ""}`
          : '<span class="fail">FAIL</span>',
      ],
      [false, true, true, false],
    ),
  );
  return `<table><tr><th>Invariant</th><th>Checked</th><th>Failed</th><th>Result</th></tr>${rows.join("")}</table>`;
}

function populationTable(report: SimReport): string {
  const p = report.population;
  const rows: [string, string][] = [
    ["Traders", `${p.traders} (${p.longs} long, ${p.shorts} short)`],
    [
      "Behaviours",
      Object.entries(p.byBehaviour)
        .map(([k, v]) => `${k} ${v}`)
        .join(", "),
    ],
    [
      "Leverage opened",
      `min ${p.leverage.min.toFixed(1)}×, median ${p.leverage.median.toFixed(1)}×, max ${p.leverage.max.toFixed(1)}×`,
    ],
    ["Total notional", formatUsd(p.totalNotionalUsd)],
    ["LPs", `${p.lps} (${formatUsd(p.lpDepositsUsd)} deposited)`],
  ];
  const markets = report.markets.map((m) =>
    row([
      escapeHtml(m.symbol),
      escapeHtml(m.source),
      `${formatUsd(m.startPriceUsd)} → ${formatUsd(m.endPriceUsd)}`,
      `${formatUsd(m.minPriceUsd)} / ${formatUsd(m.maxPriceUsd)}`,
      `${m.largestStepMovePct.toFixed(2)}%`,
    ]),
  );
  return (
    `<table><tr><th>Population</th><th></th></tr>${rows.map(([a, b]) => row([escapeHtml(a), escapeHtml(b)])).join("")}</table>` +
    `<table><tr><th>Market</th><th>Path</th><th>Start → end</th><th>Min / max</th><th>Largest step</th></tr>${markets.join("")}</table>`
  );
}

function actionsTable(report: SimReport): string {
  const rows = Object.entries(report.summary.actions).map(([kind, counts]) =>
    row([escapeHtml(kind), String(counts.ok), String(counts.failed)], [false, true, true]),
  );
  const rejections = Object.entries(report.summary.rejections).map(([reason, count]) =>
    row([escapeHtml(reason), String(count)], [false, true]),
  );
  return (
    `<table><tr><th>Action</th><th>OK</th><th>Failed</th></tr>${rows.join("")}</table>` +
    (rejections.length ? `<table><tr><th>Failed with</th><th>Count</th></tr>${rejections.join("")}</table>` : "")
  );
}

/** Browser code: draws every chart from the embedded series with uPlot. */
const CHART_SCRIPT = `
const report = JSON.parse(document.getElementById("report-data").textContent);
const s = report.series;
const x = s.step;
const palette = ["#2563eb", "#dc2626", "#059669", "#d97706", "#7c3aed", "#0891b2"];
const usd = (v) => v == null ? "" : "$" + Number(v).toLocaleString("en-US", { maximumFractionDigits: 0 });
const width = () => Math.min(760, Math.max(560, document.querySelector(".grid").clientWidth / 2 - 40));
function chart(title, series, opts = {}) {
  const box = document.createElement("div"); box.className = "chart";
  const heading = document.createElement("h3"); heading.textContent = title; box.appendChild(heading);
  document.querySelector(".grid").appendChild(box);
  const bars = opts.bars ? uPlot.paths.bars({ size: [0.7, 40] }) : undefined;
  // Stacked bars: each series shows its cumulative sum, drawn tallest first so every part stays visible.
  let shown = series;
  if (opts.bars) {
    let running = x.map(() => 0);
    shown = series.map((item) => {
      running = running.map((total, i) => total + (item.data[i] ?? 0));
      return { ...item, data: running };
    }).reverse();
  }
  new uPlot({
    width: width(), height: 230,
    scales: { x: { time: false } },
    axes: [
      { label: "step", incrs: [1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000], values: (u, ticks) => ticks.map((t) => s.label[t] ?? t) },
      { values: (u, ticks) => ticks.map(opts.format ?? usd), size: 90 },
      ...(opts.secondAxis ? [{ scale: "y2", side: 1, grid: { show: false }, values: (u, t) => t.map((v) => v.toFixed(4)) }] : []),
    ],
    series: [{ label: "step", value: (u, v) => v == null ? "" : s.label[v] ?? v }, ...shown.map((item, i) => ({
      label: item.label, stroke: item.color ?? palette[i % palette.length], width: 1.5,
      fill: opts.bars ? (item.color ?? palette[i % palette.length]) + "aa" : undefined,
      paths: bars, scale: item.scale ?? "y", spanGaps: false,
    }))],
  }, [x, ...shown.map((item) => item.data)], box);
}
for (const symbol of Object.keys(s.pricesUsd)) {
  chart(symbol + " price", [{ label: "price", data: s.pricesUsd[symbol] }]);
  chart(symbol + " open interest by side (USD)", [
    { label: "long", data: s.longOpenInterestUsd[symbol], color: "#059669" },
    { label: "short", data: s.shortOpenInterestUsd[symbol], color: "#dc2626" },
  ]);
}
chart("Insurance fund", [{ label: "insurance fund", data: s.insuranceFundUsd }]);
chart("Vault equity and share price", [
  { label: "vault equity", data: s.vaultEquityUsd },
  { label: "share price", data: s.sharePrice, scale: "y2", color: "#7c3aed" },
], { secondAxis: true });
chart("Liquidations per step (stacked)", [
  { label: "partial", data: s.liquidationsPartial, color: "#2563eb" },
  { label: "full", data: s.liquidationsFull, color: "#d97706" },
  { label: "bankrupt", data: s.liquidationsBankrupt, color: "#dc2626" },
], { bars: true, format: (v) => String(v) });
chart("Deficits per step: ADL, vault, socialized (stacked)", [
  { label: "ADL", data: s.adlPaidUsd, color: "#7c3aed" },
  { label: "vault", data: s.vaultPaidUsd, color: "#0891b2" },
  { label: "socialized", data: s.socializedUsd, color: "#dc2626" },
], { bars: true });
chart("Bad debt (cumulative Σ deficits)", [{ label: "bad debt", data: s.cumulativeBadDebtUsd, color: "#b42318" }]);
`;

export function htmlReport(report: SimReport): string {
  const title = `Simulation report — ${report.scenario.name}`;
  const overrides = Object.entries(report.scenario.overrides)
    .map(([k, v]) => `${k}=${v}`)
    .join(", ");
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>
<style>${readFileSync(UPLOT_CSS, "utf8")}</style><style>${REPORT_STYLES}</style></head>
<body>
<h1>${escapeHtml(title)}</h1>
<div class="muted">${escapeHtml(report.scenario.description)} — seed ${escapeHtml(report.scenario.seed)}, ${report.steps} steps,
chain: ${escapeHtml(report.scenario.chain)}${overrides ? `, overrides: ${escapeHtml(overrides)}` : ""}. Keeper: ${escapeHtml(report.scenario.keeper)}.</div>
<h2>Summary</h2><div class="cols">${summaryTable(report)}${invariantsTable(report)}</div>
<h2>Charts</h2><div class="grid"></div>
<h2>Population and paths</h2><div class="cols">${populationTable(report)}</div>
<h2>Actions</h2><div class="cols">${actionsTable(report)}</div>
<script type="application/json" id="report-data">${scriptJson(report)}</script>
<script>${readFileSync(UPLOT_JS, "utf8")}</script>
<script>${CHART_SCRIPT}</script>
</body></html>
`;
}
