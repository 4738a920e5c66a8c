/** What a sweep keeps from each cell's report. */
import type { SimReport } from "../report/reportTypes";

export interface CellResult {
  index: number;
  overrides: Record<string, number>;
  liquidations: number;
  bankrupt: number;
  badDebtUsd: number;
  adlPaidUsd: number;
  vaultPaidUsd: number;
  socializedUsd: number;
  insurancePaidUsd: number;
  vaultWorstDrawdownPct: number;
  failedInvariants: string[];
  outDir: string;
}

export function cellResultOf(
  index: number,
  overrides: Record<string, number>,
  report: SimReport,
  outDir: string,
): CellResult {
  const split = report.summary.deficitSplitUsd;
  return {
    index,
    overrides,
    liquidations: report.summary.liquidations.total,
    bankrupt: report.summary.liquidations.bankrupt,
    badDebtUsd: Number(report.summary.badDebtUsd),
    adlPaidUsd: Number(split.adl),
    vaultPaidUsd: Number(split.vault),
    socializedUsd: Number(split.socialized),
    insurancePaidUsd: Number(split.insurance),
    vaultWorstDrawdownPct: report.summary.vault.worstDrawdownPct,
    failedInvariants: report.invariants.filter((inv) => !inv.pass).map((inv) => inv.name),
    outDir,
  };
}
