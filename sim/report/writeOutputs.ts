/**
 * Writes a run's outputs into its folder: the run log (`run.jsonl`), the JSON report (`report.json`) and the
 * self-contained HTML report (`report.html`).
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { htmlReport } from "./htmlReport";
import type { SimReport } from "./reportTypes";
import { writeRunLog, type RunRecord } from "./runLog";

export interface OutputPaths {
  runLog: string;
  reportJson: string;
  reportHtml: string;
}

export function outputPaths(outDir: string): OutputPaths {
  return {
    runLog: join(outDir, "run.jsonl"),
    reportJson: join(outDir, "report.json"),
    reportHtml: join(outDir, "report.html"),
  };
}

/** The JSON report as written: stable key order, two-space indent, trailing newline. */
export function reportJsonText(report: SimReport): string {
  return JSON.stringify(report, null, 2) + "\n";
}

export function writeReports(outDir: string, report: SimReport, options: { html: boolean }): OutputPaths {
  mkdirSync(outDir, { recursive: true });
  const paths = outputPaths(outDir);
  writeFileSync(paths.reportJson, reportJsonText(report));
  if (options.html) writeFileSync(paths.reportHtml, htmlReport(report));
  return paths;
}

export function writeRunOutputs(
  outDir: string,
  records: readonly RunRecord[],
  report: SimReport,
  options: { html: boolean },
): OutputPaths {
  mkdirSync(outDir, { recursive: true });
  writeRunLog(outputPaths(outDir).runLog, records);
  return writeReports(outDir, report, options);
}
