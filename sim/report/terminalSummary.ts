/**
 * The terminal summary of a report: the headline figures and every invariant with PASS or FAIL.
 */
import type { SimReport } from "./reportTypes";

/** Renders rows as an aligned text table with a header rule. */
export function textTable(headers: string[], rows: string[][], alignRight: boolean[] = []): string {
  const widths = headers.map((header, column) =>
    Math.max(header.length, ...rows.map((row) => (row[column] ?? "").length)),
  );
  const line = (cells: string[]) =>
    cells
      .map((cell, column) => (alignRight[column] ? cell.padStart(widths[column]) : cell.padEnd(widths[column])))
      .join("  ")
      .trimEnd();
  return [line(headers), widths.map((w) => "─".repeat(w)).join("  "), ...rows.map(line)].join("\n");
}

/** A USD decimal string as "$1,234,567.89". */
export function formatUsd(amount: string | number | null): string {
  if (amount === null) return "n/a";
  const value = Number(amount);
  const sign = value < 0 ? "-" : "";
  return `${sign}$${Math.abs(value).toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;
}

export function terminalSummary(report: SimReport): string {
  const s = report.summary;
  const split = s.deficitSplitUsd;
  const rows: [string, string][] = [
    [
      "scenario",
      `${report.scenario.name} (seed ${report.scenario.seed}, ${report.steps} steps, ${report.scenario.chain})`,
    ],
    ["population", `${report.population.traders} traders, ${report.population.lps} LPs`],
    [
      "liquidations",
      `${s.liquidations.total} (partial ${s.liquidations.partial}, full ${s.liquidations.full}, bankrupt ${s.liquidations.bankrupt})`,
    ],
    ["bad debt (Σ deficits)", formatUsd(s.badDebtUsd)],
    ["  paid by insurance", formatUsd(split.insurance)],
    [
      "  absorbed by ADL",
      `${formatUsd(split.adl)} (${s.adl.liquidationsWithAdl} liquidations, ${s.adl.counterpartiesDeleveraged} counterparties)`,
    ],
    ["  absorbed by the vault", formatUsd(split.vault)],
    ["  socialized", `${formatUsd(split.socialized)} (${s.socializedLoss.events} events)`],
    ["vault protection walks", `${s.vaultProtection.walks} (${s.vaultProtection.positionsReduced} positions reduced)`],
    [
      "insurance fund",
      `${formatUsd(s.insuranceFund.startUsd)} → ${formatUsd(s.insuranceFund.endUsd)} (min ${formatUsd(s.insuranceFund.minUsd)})`,
    ],
    [
      "vault equity",
      `${formatUsd(s.vault.startEquityUsd)} → ${formatUsd(s.vault.endEquityUsd)} (min ${formatUsd(s.vault.minEquityUsd)})`,
    ],
    ["vault worst drawdown", `${s.vault.worstDrawdownPct.toFixed(2)}% of share price`],
    ["keeper rewards / penalties", `${formatUsd(s.keeperRewardsUsd)} / ${formatUsd(s.penaltiesUsd)}`],
    [
      "delayed orders",
      `${s.orders.committed} committed, ${s.orders.executed} executed, ${s.orders.cancelled} cancelled` +
        (s.orders.cancelled
          ? ` (${Object.entries(s.orders.cancelReasons)
              .map(([reason, n]) => `${reason} ${n}`)
              .join(", ")})`
          : ""),
    ],
  ];
  const summary = textTable(
    ["figure", "value"],
    rows.map(([a, b]) => [a, b]),
  );
  const invariants = textTable(
    ["invariant", "checked", "failed", "result"],
    report.invariants.map((inv) => [
      inv.name,
      String(inv.checked),
      String(inv.failures),
      inv.pass ? (inv.notEvaluated ? `PASS (${inv.notEvaluated} not evaluated)` : "PASS") : "FAIL",
    ]),
    [false, true, true, false],
  );
  const failures = report.invariants
    .filter((inv) => !inv.pass)
    .flatMap((inv) => inv.examples.map((example) => `  ${inv.name}: ${example}`));
  return [summary, "", invariants, ...(failures.length ? ["", "failures:", ...failures] : [])].join("\n");
}
