/**
 * Draws the population a scenario describes: traders (market, side, leverage, notional, behaviour) and LPs
 * (deposit, panic or not). Deterministic in the seed; addresses are derived from the agent's index so that
 * two scenarios name the same agents the same way.
 */
import { getAddress, keccak256, toUtf8Bytes } from "ethers";
import type { Prng } from "../random/prng";
import type { Distribution, Scenario } from "../scenario/schema";
import { ScenarioError } from "../errors";

export type Behaviour = "hold" | "topUp" | "takeProfit" | "reenter";
const BEHAVIOURS: readonly Behaviour[] = ["hold", "topUp", "takeProfit", "reenter"];

export interface TraderSpec {
  index: number;
  address: string;
  symbol: string;
  isLong: boolean;
  /** Leverage drawn from the scenario (the opened leverage may be lower: see sim/agents/openingPlan.ts). */
  leverage: number;
  notionalUsd: number;
  behaviour: Behaviour;
}

export interface LpSpec {
  index: number;
  address: string;
  depositUsd: number;
  panics: boolean;
}

export interface Population {
  traders: TraderSpec[];
  lps: LpSpec[];
}

/** A deterministic address for an agent role and index (nobody holds its key: it is impersonated). */
export function agentAddress(role: string, index: number): string {
  return getAddress("0x" + keccak256(toUtf8Bytes(`nbp-sim/${role}/${index}`)).slice(26));
}

/** One draw from a scenario distribution. */
export function sample(distribution: Distribution, prng: Prng): number {
  switch (distribution.kind) {
    case "fixed":
      return distribution.value;
    case "uniform":
      return prng.uniform(distribution.min, distribution.max);
    case "logNormal": {
      const value = distribution.median * Math.exp(distribution.sigma * prng.normal());
      const low = distribution.min ?? 0;
      const high = distribution.max ?? Number.POSITIVE_INFINITY;
      return Math.min(high, Math.max(low, value));
    }
    case "choice": {
      const weights = distribution.weights ?? distribution.values.map(() => 1);
      return distribution.values[prng.weightedIndex(weights)];
    }
  }
}

export function buildPopulation(scenario: Scenario, prng: Prng): Population {
  const symbols = Object.keys(scenario.markets);
  const { population } = scenario;
  const weights = symbols.map((symbol) => population.marketWeights?.[symbol] ?? (population.marketWeights ? 0 : 1));
  for (const symbol of Object.keys(population.marketWeights ?? {})) {
    if (!symbols.includes(symbol)) throw new ScenarioError(`population.marketWeights names unknown market ${symbol}`);
  }
  const behaviourWeights = BEHAVIOURS.map((behaviour) => population.behaviours[behaviour]);
  const traders: TraderSpec[] = [];
  const traderPrng = prng.fork("traders");
  for (let index = 0; index < population.traders; index++) {
    const symbol = symbols[traderPrng.weightedIndex(weights)];
    const isLong = traderPrng.chance(population.longShare);
    const leverage = Math.max(1, sample(population.leverage, traderPrng));
    const notionalUsd = sample(population.notionalUsd, traderPrng);
    const behaviour = BEHAVIOURS[traderPrng.weightedIndex(behaviourWeights)];
    traders.push({ index, address: agentAddress("trader", index), symbol, isLong, leverage, notionalUsd, behaviour });
  }
  const lpPrng = prng.fork("lps");
  const lps: LpSpec[] = [];
  for (let index = 0; index < scenario.lps.count; index++) {
    lps.push({
      index,
      address: agentAddress("lp", index),
      depositUsd: sample(scenario.lps.depositUsd, lpPrng),
      panics: lpPrng.chance(scenario.lps.panic.share),
    });
  }
  return { traders, lps };
}
