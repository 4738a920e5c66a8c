import { expect } from "chai";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readPriceSeries } from "../../sim/paths/csvSeries";
import { buildPricePath } from "../../sim/paths/pricePath";
import { syntheticPrices } from "../../sim/paths/synthetic";
import { Prng } from "../../sim/random/prng";
import { parseScenario, SIM_DATA_DIR } from "../../sim/scenario/loadScenario";
import { PriceDataError, ScenarioError } from "../../sim/errors";

const HOURLY = Array.from({ length: 25 }, (_, i) => i * 3_600);
const base = {
  name: "t",
  seed: 1,
  population: { traders: 0, leverage: { kind: "fixed", value: 2 }, notionalUsd: { kind: "fixed", value: 1000 } },
  lps: { count: 1, depositUsd: { kind: "fixed", value: 1000 } },
};

describe("sim/paths", () => {
  it("reads a close series verbatim, with its timestamps", () => {
    const points = readPriceSeries(join(SIM_DATA_DIR, "crashes", "eth_2021-05-19_10m.csv"));
    expect(points).to.have.length(144);
    expect(points[0]).to.deep.equal({ unixSeconds: 1621383000, label: "2021-05-19T00:10:00Z", priceUsd: "3423.99" });
    expect(points[78].priceUsd).to.equal("1944.91"); // the 13:10 low named in PROVENANCE.md
  });

  it("walks OHLC bars open → high/low → close in time order", () => {
    const dir = mkdtempSync(join(tmpdir(), "ohlc-"));
    const file = join(dir, "bars.csv");
    writeFileSync(
      file,
      "bar_open_utc_iso,bar_close_unix_seconds,open,high,low,close\n" +
        "2021-05-18T00:00:00Z,1621299600,100,110,90,95\n" + // falling bar: high then low
        "2021-05-18T01:00:00Z,1621303200,95,120,94,118\n", // rising bar: low then high
    );
    const points = readPriceSeries(file);
    expect(points.map((p) => p.priceUsd)).to.deep.equal(["100", "110", "90", "95", "94", "120", "118"]);
    expect(points.map((p) => p.unixSeconds - 1621296000)).to.deep.equal([0, 1200, 2400, 3600, 4800, 6000, 7200]);
  });

  it("rejects a file whose timestamps go backwards", () => {
    const dir = mkdtempSync(join(tmpdir(), "bad-"));
    const file = join(dir, "bad.csv");
    writeFileSync(file, "timestamp_utc_iso,unix_seconds,price_usd\na,100,1\nb,90,2\n");
    expect(() => readPriceSeries(file)).to.throw(PriceDataError, /strictly increase/);
  });

  it("a gap moves the price by exactly its percentage in one update", () => {
    const prices = syntheticPrices(
      { kind: "gap", startPriceUsd: 2000, changePct: -40, atStep: 5 },
      HOURLY,
      new Prng(1),
    );
    expect(prices.slice(0, 5)).to.deep.equal([2000, 2000, 2000, 2000, 2000]);
    expect(prices[5]).to.be.closeTo(1200, 1e-9);
    expect(prices[6]).to.be.closeTo(1200, 1e-9);
  });

  it("a cascade spreads −60% over its steps, a squeeze +80%", () => {
    const cascade = syntheticPrices(
      { kind: "cascade", startPriceUsd: 1000, changePct: -60, atStep: 2, overSteps: 12 },
      HOURLY,
      new Prng(1),
    );
    expect(cascade[13]).to.be.closeTo(400, 1e-6);
    for (let step = 2; step <= 13; step++)
      expect(cascade[step] / cascade[step - 1]).to.be.closeTo(Math.pow(0.4, 1 / 12), 1e-12);
    const squeeze = syntheticPrices(
      { kind: "squeeze", startPriceUsd: 1000, changePct: 80, atStep: 1, overSteps: 4 },
      HOURLY,
      new Prng(1),
    );
    expect(squeeze[4]).to.be.closeTo(1800, 1e-6);
  });

  it("GBM with jumps is reproducible from the seed and moves", () => {
    const spec = {
      kind: "gbm" as const,
      startPriceUsd: 100,
      annualVolatility: 0.8,
      annualDrift: 0,
      jumps: { perDay: 2, meanPct: -5, stdPct: 5 },
    };
    const a = syntheticPrices(spec, HOURLY, new Prng(9));
    expect(syntheticPrices(spec, HOURLY, new Prng(9))).to.deep.equal(a);
    expect(syntheticPrices(spec, HOURLY, new Prng(10))).to.not.deep.equal(a);
    expect(new Set(a).size).to.be.greaterThan(20);
  });

  it("a CSV market sets the timeline and synthetic markets follow it", () => {
    const scenario = parseScenario({
      ...base,
      steps: 10,
      markets: {
        "ETH-USD": { path: { kind: "csv", file: "crashes/eth_2021-05-18_1h.csv" } },
        "BTC-USD": { path: { kind: "flat", startPriceUsd: 60000 } },
      },
    });
    const path = buildPricePath(scenario, SIM_DATA_DIR, new Prng(1));
    expect(path.timeline.offsetsSeconds).to.deep.equal(HOURLY.slice(0, 11));
    expect(path.timeline.labels[0]).to.equal("2021-05-18T01:00:00Z");
    expect(path.pricesUsd["ETH-USD"][0]).to.equal("3355.43");
    expect(path.pricesUsd["BTC-USD"]).to.deep.equal(Array(11).fill("60000"));
  });

  it("CSV markets on different timelines are refused", () => {
    const scenario = parseScenario({
      ...base,
      markets: {
        "ETH-USD": { path: { kind: "csv", file: "crashes/eth_2021-05-18_1h.csv" } },
        "BTC-USD": { path: { kind: "csv", file: "crashes/btc_2022-06-12_1h.csv" } },
      },
    });
    expect(() => buildPricePath(scenario, SIM_DATA_DIR, new Prng(1))).to.throw(ScenarioError, /share one timeline/);
  });
});
