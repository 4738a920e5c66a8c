/**
 * A sweep's outputs: the table of every cell (terminal and `sweep.json`) and `sweep.html`, heat maps of bad
 * debt and ADL per cell (first axis across, second down, one panel per value of a third axis), inline HTML
 * with no script.
 */
import { escapeHtml, REPORT_STYLES } from "../report/htmlReport";
import { formatUsd, textTable } from "../report/terminalSummary";
import type { CellResult } from "./cellResult";
import type { SweepResult } from "./runSweep";

export function sweepTable(result: SweepResult): string {
  const axisNames = Object.keys(result.axes);
  const rows = result.cells.map((cell) => [
    ...axisNames.map((name) => String(cell.overrides[name])),
    String(cell.liquidations),
    String(cell.bankrupt),
    formatUsd(cell.badDebtUsd),
    formatUsd(cell.insurancePaidUsd),
    formatUsd(cell.adlPaidUsd),
    formatUsd(cell.vaultPaidUsd),
    formatUsd(cell.socializedUsd),
    `${cell.vaultWorstDrawdownPct.toFixed(2)}%`,
    cell.failedInvariants.length ? `FAIL ${cell.failedInvariants.join(",")}` : "PASS",
  ]);
  const headers = [
    ...axisNames,
    "liq.",
    "bankrupt",
    "bad debt",
    "insurance",
    "ADL",
    "vault",
    "socialized",
    "vault DD",
    "invariants",
  ];
  return textTable(
    headers,
    rows,
    headers.map((_, i) => i >= axisNames.length && i < headers.length - 1),
  );
}

/** Background colour for a value on a white → red scale. */
function heat(value: number, max: number): string {
  const t = max > 0 ? Math.min(1, value / max) : 0;
  const channel = Math.round(255 - t * 170);
  return `rgb(255, ${channel}, ${channel})`;
}

function heatMap(
  result: SweepResult,
  metric: keyof Pick<CellResult, "badDebtUsd" | "adlPaidUsd">,
  title: string,
): string {
  const names = Object.keys(result.axes);
  const [xName, yName, panelName] = names;
  const xs = result.axes[xName];
  const ys = yName ? result.axes[yName] : [undefined];
  const panels = panelName ? result.axes[panelName] : [undefined];
  const max = Math.max(0, ...result.cells.map((cell) => cell[metric]));
  const find = (x: number, y: number | undefined, p: number | undefined) =>
    result.cells.find(
      (cell) =>
        cell.overrides[xName] === x &&
        (y === undefined || cell.overrides[yName] === y) &&
        (p === undefined || cell.overrides[panelName] === p),
    );
  const panelHtml = panels.map((p) => {
    const header = `<tr><th>${escapeHtml(yName ?? "")} \\ ${escapeHtml(xName)}</th>${xs.map((x) => `<th>${x}</th>`).join("")}</tr>`;
    const rows = ys.map((y) => {
      const cells = xs.map((x) => {
        const cell = find(x, y, p);
        if (!cell) return "<td>—</td>";
        const failed = cell.failedInvariants.length
          ? ' title="invariant failed" style="outline:2px solid #b42318"'
          : "";
        return `<td class="num" style="background:${heat(cell[metric], max)}"${failed}>${escapeHtml(formatUsd(cell[metric]))}</td>`;
      });
      return `<tr><th>${y ?? ""}</th>${cells.join("")}</tr>`;
    });
    const caption = p === undefined ? "" : `<caption>${escapeHtml(panelName)} = ${p}</caption>`;
    return `<table>${caption}${header}${rows.join("")}</table>`;
  });
  return `<h2>${escapeHtml(title)}</h2><div class="cols">${panelHtml.join("")}</div>`;
}

export function sweepHtml(result: SweepResult): string {
  const title = `Sweep — ${result.scenario} (seed ${result.seed})`;
  const table = result.cells
    .map((cell) => {
      const axes = Object.keys(result.axes).map((name) => `<td class="num">${cell.overrides[name]}</td>`);
      return `<tr>${axes.join("")}<td class="num">${cell.liquidations}</td><td class="num">${escapeHtml(formatUsd(cell.badDebtUsd))}</td><td class="num">${escapeHtml(formatUsd(cell.adlPaidUsd))}</td><td class="num">${escapeHtml(formatUsd(cell.socializedUsd))}</td><td>${cell.failedInvariants.length ? `<span class="fail">FAIL ${escapeHtml(cell.failedInvariants.join(", "))}</span>` : '<span class="pass">PASS</span>'}</td><td><a href="${escapeHtml(cell.outDir.split("/").pop() ?? "")}/report.html">report</a></td></tr>`;
    })
    .join("");
  const head = Object.keys(result.axes)
    .map((name) => `<th>${escapeHtml(name)}</th>`)
    .join("");
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title><style>${REPORT_STYLES}
  caption { font-weight: 600; padding: 4px; text-align: left; }</style></head><body>
<h1>${escapeHtml(title)}</h1>
${heatMap(result, "badDebtUsd", "Bad debt (Σ deficits) per cell")}
${heatMap(result, "adlPaidUsd", "ADL (deficit absorbed by auto-deleveraging) per cell")}
<h2>All cells</h2><table><tr>${head}<th>Liquidations</th><th>Bad debt</th><th>ADL</th><th>Socialized</th><th>Invariants</th><th></th></tr>${table}</table>
</body></html>
`;
}
