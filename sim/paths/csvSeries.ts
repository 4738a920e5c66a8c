/**
 * Reads the crash-window price files (format in sim/data/crashes/PROVENANCE.md) into a series of
 * timestamped prices, keeping each price as the source's decimal string (no float round trip).
 *
 * Two formats, told apart by the header:
 * - close series `timestamp_utc_iso,unix_seconds,price_usd` (timestamp = bar close): one point per row;
 * - OHLC bars `bar_open_utc_iso,bar_close_unix_seconds,open,high,low,close`, walked bar by bar: the first
 *   bar's open at its start, then per bar the two extremes at one and two thirds of the bar and the close at
 *   its end. A falling bar (close < open) is walked high then low, a rising one low then high — the usual
 *   assumption when only OHLC is known; the later opens are not separate points (they equal the previous
 *   close to the cent in these files).
 */
import { readFileSync } from "node:fs";
import { basename } from "node:path";
import { PriceDataError } from "../errors";

export interface SeriesPoint {
  unixSeconds: number;
  /** ISO-8601 UTC label of the point. */
  label: string;
  /** USD price as a decimal string, verbatim from the file. */
  priceUsd: string;
}

const CLOSE_HEADER = "timestamp_utc_iso,unix_seconds,price_usd";
const OHLC_HEADER = "bar_open_utc_iso,bar_close_unix_seconds,open,high,low,close";
const DECIMAL = /^\d+(\.\d+)?$/;
/** Points per OHLC bar after the first: two extremes and the close. */
const OHLC_POINTS_PER_BAR = 3;

function checkedPrice(value: string, file: string, line: number): string {
  if (!DECIMAL.test(value) || Number(value) <= 0) {
    throw new PriceDataError("price is not a positive decimal", { file, line, value });
  }
  return value;
}

function checkedUnix(value: string, file: string, line: number): number {
  const unix = Number(value);
  if (!Number.isInteger(unix) || unix <= 0) throw new PriceDataError("bad unix timestamp", { file, line, value });
  return unix;
}

function isoOf(unixSeconds: number): string {
  return new Date(unixSeconds * 1_000).toISOString().replace(".000Z", "Z");
}

function barOpenUnix(iso: string, file: string, line: number): number {
  const millis = Date.parse(iso);
  if (Number.isNaN(millis)) throw new PriceDataError("bad bar open time", { file, line, value: iso });
  return millis / 1_000;
}

function parseCloseRows(rows: string[][], file: string): SeriesPoint[] {
  return rows.map((cells, index) => ({
    unixSeconds: checkedUnix(cells[1], file, index + 2),
    label: cells[0],
    priceUsd: checkedPrice(cells[2], file, index + 2),
  }));
}

function parseOhlcRows(rows: string[][], file: string): SeriesPoint[] {
  const points: SeriesPoint[] = [];
  rows.forEach((cells, index) => {
    const line = index + 2;
    const closeUnix = checkedUnix(cells[1], file, line);
    const [open, high, low, close] = cells.slice(2, 6).map((value) => checkedPrice(value, file, line));
    const barStart = index === 0 ? barOpenUnix(cells[0], file, line) : points[points.length - 1].unixSeconds;
    const barSeconds = closeUnix - barStart;
    if (barSeconds < OHLC_POINTS_PER_BAR) throw new PriceDataError("OHLC bars out of order", { file, line });
    if (index === 0) points.push({ unixSeconds: barStart, label: isoOf(barStart), priceUsd: open });
    const falling = Number(close) < Number(open);
    const extremes = falling ? [high, low] : [low, high];
    extremes.forEach((priceUsd, k) => {
      const unixSeconds = barStart + Math.round((barSeconds * (k + 1)) / OHLC_POINTS_PER_BAR);
      points.push({ unixSeconds, label: isoOf(unixSeconds), priceUsd });
    });
    points.push({ unixSeconds: closeUnix, label: isoOf(closeUnix), priceUsd: close });
  });
  return points;
}

/** Reads a close-series or OHLC price file; timestamps must strictly increase. */
export function readPriceSeries(path: string): SeriesPoint[] {
  const file = basename(path);
  const lines = readFileSync(path, "utf8")
    .split(/\r?\n/)
    .filter((line) => line.trim() !== "");
  if (lines.length < 2) throw new PriceDataError("price file has no rows", { file });
  const header = lines[0].trim();
  const rows = lines.slice(1).map((line) => line.split(",").map((cell) => cell.trim()));
  let points: SeriesPoint[];
  if (header === CLOSE_HEADER) {
    rows.forEach((cells, i) => {
      if (cells.length !== 3) throw new PriceDataError("expected 3 columns", { file, line: i + 2 });
    });
    points = parseCloseRows(rows, file);
  } else if (header === OHLC_HEADER) {
    rows.forEach((cells, i) => {
      if (cells.length !== 6) throw new PriceDataError("expected 6 columns", { file, line: i + 2 });
    });
    points = parseOhlcRows(rows, file);
  } else {
    throw new PriceDataError("unknown price file header", {
      file,
      header,
      expected: `${CLOSE_HEADER} | ${OHLC_HEADER}`,
    });
  }
  for (let i = 1; i < points.length; i++) {
    if (points[i].unixSeconds <= points[i - 1].unixSeconds) {
      throw new PriceDataError("timestamps must strictly increase", { file, at: points[i].label });
    }
  }
  return points;
}
