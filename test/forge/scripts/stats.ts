// The campaign's own statistics: one JSON line per run, appended by PerpInvariantsBase.afterInvariant (Ghosts.
// reportJson), aggregated here into calls and reverts by reason per action and the events the campaign reached.
import fs from "node:fs";

export interface ActionStats {
  calls: number;
  ok: number;
  reverts: Record<string, number>;
}

export interface RunStats {
  calls: number;
  actions: Record<string, ActionStats>;
  events: Record<string, number>;
  violations: number;
}

export interface CampaignStats {
  runs: number;
  actionCalls: number;
  actions: Record<string, ActionStats>;
  events: Record<string, number>;
}

/**
 * The runs recorded in a stats file. forge replays a campaign's last run once more after it (to collect its logs),
 * calling afterInvariant again: a last line identical to the one before it is that replay and is dropped.
 */
export function readRuns(file: string): RunStats[] {
  if (!fs.existsSync(file)) return [];
  const lines = fs
    .readFileSync(file, "utf8")
    .split("\n")
    .filter((l) => l.trim() !== "");
  if (lines.length >= 2 && lines[lines.length - 1] === lines[lines.length - 2]) lines.pop();
  return lines.map((l) => JSON.parse(l) as RunStats);
}

export function aggregate(runs: RunStats[]): CampaignStats {
  const total: CampaignStats = { runs: runs.length, actionCalls: 0, actions: {}, events: {} };
  for (const run of runs) {
    total.actionCalls += run.calls;
    for (const [name, a] of Object.entries(run.actions)) {
      const t = (total.actions[name] ??= { calls: 0, ok: 0, reverts: {} });
      t.calls += a.calls;
      t.ok += a.ok;
      for (const [reason, n] of Object.entries(a.reverts)) t.reverts[reason] = (t.reverts[reason] ?? 0) + n;
    }
    for (const [name, n] of Object.entries(run.events)) total.events[name] = (total.events[name] ?? 0) + n;
  }
  return total;
}

export function merge(parts: CampaignStats[]): CampaignStats {
  const runs: RunStats[] = parts.map((p) => ({
    calls: p.actionCalls,
    actions: p.actions,
    events: p.events,
    violations: 0,
  }));
  const merged = aggregate(runs);
  merged.runs = parts.reduce((n, p) => n + p.runs, 0);
  return merged;
}

const fmt = (n: number) => n.toLocaleString("en-US");

/** Markdown tables: actions (calls, ok, reverts by reason, most frequent first) and events reached. */
export function formatStats(stats: CampaignStats): string {
  const rows = Object.entries(stats.actions).sort((a, b) => b[1].calls - a[1].calls);
  const out: string[] = [];
  out.push("| action | calls | ok | reverts by reason |", "| --- | ---: | ---: | --- |");
  for (const [name, a] of rows) {
    const reasons = Object.entries(a.reverts)
      .sort((x, y) => y[1] - x[1])
      .map(([reason, n]) => `${reason} ${fmt(n)}`)
      .join(", ");
    out.push(`| ${name} | ${fmt(a.calls)} | ${fmt(a.ok)} | ${reasons || "—"} |`);
  }
  out.push("", "| event reached | count |", "| --- | ---: |");
  for (const [name, n] of Object.entries(stats.events)) out.push(`| ${name} | ${fmt(n)} |`);
  return out.join("\n");
}
