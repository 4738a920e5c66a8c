/** RFC 4180 CSV: a header from the first row's keys (or `columns`), fields quoted when they need it. */
export function toCsv(rows: readonly Record<string, string | number>[], columns?: readonly string[]): string {
  const header = columns ?? (rows[0] ? Object.keys(rows[0]) : []);
  const field = (value: string | number | undefined) => {
    const text = value === undefined ? "" : String(value);
    return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
  };
  return [header.join(","), ...rows.map((row) => header.map((name) => field(row[name])).join(","))].join("\n") + "\n";
}
