/**
 * Builds the price path of a scenario: one shared timeline and, per market, one price per step.
 * Step 0 is the opening price (the population opens its positions at it); steps 1..N are feed updates.
 *
 * The timeline comes from the CSV markets (all must share their timestamps) or, without any, from
 * `steps` × `secondsPerStep`. Synthetic markets follow whichever timeline there is.
 */
import { PriceDataError, ScenarioError } from "../errors";
import type { Prng } from "../random/prng";
import { resolveDataFile } from "../scenario/loadScenario";
import type { PathSpec, Scenario } from "../scenario/schema";
import { readPriceSeries, type SeriesPoint } from "./csvSeries";
import { syntheticPrices } from "./synthetic";

/** Decimals every path price is rounded to (the mock feeds' decimals). */
export const PATH_PRICE_DECIMALS = 8;

export interface Timeline {
  /** Seconds since step 0, strictly increasing (step 0 = 0). */
  offsetsSeconds: number[];
  /** A label per step: the source's UTC time for CSV timelines, "+Nh" style otherwise. */
  labels: string[];
}

export interface PricePath {
  timeline: Timeline;
  /** Per market symbol, the USD price at every step as a decimal string (≤ 8 decimals). */
  pricesUsd: Record<string, string[]>;
  /** Per market symbol, where its prices came from (file name or path kind). */
  sources: Record<string, string>;
}

/** A positive number as a decimal string with at most 8 decimals. */
export function formatPathPrice(price: number): string {
  if (!Number.isFinite(price) || price <= 0) throw new PriceDataError("synthetic price left the positive range");
  const fixed = price.toFixed(PATH_PRICE_DECIMALS);
  const trimmed = fixed.replace(/0+$/, "").replace(/\.$/, "");
  if (Number(trimmed) === 0) throw new PriceDataError("synthetic price rounds to 0", { price });
  return trimmed;
}

function relativeLabel(offsetSeconds: number): string {
  const minutes = Math.round(offsetSeconds / 60);
  const hours = Math.floor(minutes / 60);
  return `+${hours}h${String(minutes % 60).padStart(2, "0")}`;
}

function csvTimeline(
  csvSeries: Map<string, SeriesPoint[]>,
  maxSteps: number | undefined,
): { timeline: Timeline; points: Map<string, SeriesPoint[]> } | undefined {
  const entries = [...csvSeries.entries()];
  if (entries.length === 0) return undefined;
  const [firstSymbol, firstPoints] = entries[0];
  for (const [symbol, points] of entries.slice(1)) {
    const same =
      points.length === firstPoints.length && points.every((p, i) => p.unixSeconds === firstPoints[i].unixSeconds);
    if (!same) {
      throw new ScenarioError("CSV markets must share one timeline", { first: firstSymbol, other: symbol });
    }
  }
  const count = maxSteps === undefined ? firstPoints.length : Math.min(firstPoints.length, maxSteps + 1);
  const trimmed = new Map(entries.map(([symbol, points]) => [symbol, points.slice(0, count)]));
  const start = firstPoints[0].unixSeconds;
  return {
    timeline: {
      offsetsSeconds: firstPoints.slice(0, count).map((p) => p.unixSeconds - start),
      labels: firstPoints.slice(0, count).map((p) => p.label),
    },
    points: trimmed,
  };
}

/** The scenario's whole price path (deterministic in the seed). */
export function buildPricePath(scenario: Scenario, sourceDir: string, prng: Prng): PricePath {
  const csvSeries = new Map<string, SeriesPoint[]>();
  const sources: Record<string, string> = {};
  for (const [symbol, { path }] of Object.entries(scenario.markets)) {
    if (path.kind === "csv") {
      csvSeries.set(symbol, readPriceSeries(resolveDataFile(path.file, sourceDir)));
      sources[symbol] = path.file;
    } else {
      sources[symbol] = path.kind;
    }
  }
  const fromCsv = csvTimeline(csvSeries, scenario.steps);
  let timeline: Timeline;
  if (fromCsv) {
    timeline = fromCsv.timeline;
  } else {
    if (scenario.steps === undefined) throw new ScenarioError("a scenario without a CSV path needs `steps`");
    const offsetsSeconds = Array.from({ length: scenario.steps + 1 }, (_, i) => i * scenario.secondsPerStep);
    timeline = { offsetsSeconds, labels: offsetsSeconds.map(relativeLabel) };
  }
  if (timeline.offsetsSeconds.length < 2) throw new ScenarioError("the price path needs at least one update");

  const pricesUsd: Record<string, string[]> = {};
  for (const [symbol, { path }] of Object.entries(scenario.markets)) {
    if (path.kind === "csv") {
      pricesUsd[symbol] = fromCsv!.points.get(symbol)!.map((p) => p.priceUsd);
    } else {
      const synthetic = path as Exclude<PathSpec, { kind: "csv" }>;
      const numbers = syntheticPrices(synthetic, timeline.offsetsSeconds, prng.fork(`path:${symbol}`));
      pricesUsd[symbol] = numbers.map(formatPathPrice);
    }
  }
  return { timeline, pricesUsd, sources };
}
