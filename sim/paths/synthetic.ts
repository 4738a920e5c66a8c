/**
 * Synthetic price paths on a given timeline: flat, geometric Brownian motion with Merton jumps, a gap (one
 * update), a cascade (a fall spread over several updates) and a squeeze (the same upwards). Every draw
 * comes from the market's own seeded stream, so the same seed gives the same path.
 */
import type { Prng } from "../random/prng";
import type { PathSpec } from "../scenario/schema";

const SECONDS_PER_YEAR = 365 * 86_400;
const SECONDS_PER_DAY = 86_400;
const PERCENT = 100;

interface Noise {
  annualVolatility: number;
  annualDrift: number;
}

/** One GBM factor over `dtSeconds`: exp((μ − σ²/2)·dt + σ·√dt·Z). */
function gbmFactor(noise: Noise, dtSeconds: number, prng: Prng): number {
  if (noise.annualVolatility === 0 && noise.annualDrift === 0) return 1;
  const dtYears = dtSeconds / SECONDS_PER_YEAR;
  const sigma = noise.annualVolatility;
  return Math.exp((noise.annualDrift - (sigma * sigma) / 2) * dtYears + sigma * Math.sqrt(dtYears) * prng.normal());
}

/** Merton jump factor over `dtSeconds`: a Poisson number of lognormal moves. */
function jumpFactor(jumps: { perDay: number; meanPct: number; stdPct: number }, dtSeconds: number, prng: Prng): number {
  const count = prng.poisson((jumps.perDay * dtSeconds) / SECONDS_PER_DAY);
  let factor = 1;
  const logMean = Math.log(1 + jumps.meanPct / PERCENT);
  for (let i = 0; i < count; i++) factor *= Math.exp(logMean + (jumps.stdPct / PERCENT) * prng.normal());
  return factor;
}

/** The multiplicative shock a gap/cascade/squeeze applies at `step` (1 when outside its window). */
function shockFactor(spec: Extract<PathSpec, { kind: "gap" | "cascade" | "squeeze" }>, step: number): number {
  const total = 1 + spec.changePct / PERCENT;
  if (spec.kind === "gap") return step === spec.atStep ? total : 1;
  const inWindow = step >= spec.atStep && step < spec.atStep + spec.overSteps;
  return inWindow ? Math.pow(total, 1 / spec.overSteps) : 1;
}

/**
 * Prices (as numbers) of a synthetic path at each step; `offsetsSeconds[0]` is step 0 (the start price).
 */
export function syntheticPrices(
  spec: Exclude<PathSpec, { kind: "csv" }>,
  offsetsSeconds: readonly number[],
  prng: Prng,
): number[] {
  const prices = [spec.startPriceUsd];
  for (let step = 1; step < offsetsSeconds.length; step++) {
    const dtSeconds = offsetsSeconds[step] - offsetsSeconds[step - 1];
    const previous = prices[step - 1];
    let factor: number;
    switch (spec.kind) {
      case "flat":
        factor = 1;
        break;
      case "gbm":
        factor = gbmFactor(spec, dtSeconds, prng) * (spec.jumps ? jumpFactor(spec.jumps, dtSeconds, prng) : 1);
        break;
      case "gap":
      case "cascade":
      case "squeeze": {
        const shock = shockFactor(spec, step);
        factor = shock !== 1 ? shock : spec.noise ? gbmFactor(spec.noise, dtSeconds, prng) : 1;
        break;
      }
    }
    prices.push(previous * factor);
  }
  return prices;
}
