/**
 * Named parameters a sweep (or `--set name=value`) changes on a scenario, each mapped onto the scenario's
 * fields. The result is validated again by the schema.
 */
import { ScenarioError } from "../errors";
import { parseScenario } from "./loadScenario";
import { SWEEP_PARAMETERS, type Scenario, type SweepParameter } from "./schema";

const BPS_PER_UNIT = 10_000;

function withAllMarkets(scenario: Scenario, patch: Record<string, number>): Scenario {
  return {
    ...scenario,
    protocol: { ...scenario.protocol, allMarkets: { ...scenario.protocol.allMarkets, ...patch } },
  };
}

/** What each sweep parameter means. */
export const SWEEP_PARAMETER_DOCS: Record<SweepParameter, string> = {
  maintenanceMarginBps: "first-tier maintenance margin of every market (bps)",
  initialMarginBps: "first-tier initial margin of every market (bps): the leverage cap is 10,000 / IM",
  maxLeverage: "leverage cap: initialMarginBps = 10,000 / value (traders drawing more open at the cap)",
  insuranceFundUsd: "insurance fund donated before step 1 (USD)",
  liquidationPenaltyBps: "liquidation penalty of every market (bps of closed notional)",
  vaultDepositUsd: "each LP's deposit (USD, replaces the scenario's distribution)",
  traders: "number of traders",
  steps: "price steps (a CSV path is cut to this many rows after the first)",
};

function applyOne(scenario: Scenario, parameter: SweepParameter, value: number): Scenario {
  switch (parameter) {
    case "maintenanceMarginBps":
    case "initialMarginBps":
    case "liquidationPenaltyBps":
      return withAllMarkets(scenario, { [parameter]: Math.round(value) });
    case "maxLeverage":
      // Traders who draw more leverage open at the cap: sim/agents/openingPlan.ts meets the initial margin.
      return withAllMarkets(scenario, { initialMarginBps: Math.round(BPS_PER_UNIT / value) });
    case "insuranceFundUsd":
      return { ...scenario, protocol: { ...scenario.protocol, insuranceFundUsd: value } };
    case "vaultDepositUsd":
      return { ...scenario, lps: { ...scenario.lps, depositUsd: { kind: "fixed", value } } };
    case "traders":
      return { ...scenario, population: { ...scenario.population, traders: Math.round(value) } };
    case "steps":
      return { ...scenario, steps: Math.round(value) };
  }
}

/** Applies `overrides` and validates the result. */
export function applyOverrides(scenario: Scenario, overrides: Record<string, number>): Scenario {
  let next = scenario;
  for (const [name, value] of Object.entries(overrides)) {
    if (!(SWEEP_PARAMETERS as readonly string[]).includes(name)) {
      throw new ScenarioError(`unknown parameter "${name}"`, { known: SWEEP_PARAMETERS.join(", ") });
    }
    if (!Number.isFinite(value)) throw new ScenarioError(`parameter ${name} needs a number`);
    next = applyOne(next, name as SweepParameter, value);
  }
  return parseScenario(next, "(with overrides)");
}

/** Parses "name=value" pairs (repeatable `--set`). */
export function parseAssignments(pairs: readonly string[]): Record<string, number> {
  const result: Record<string, number> = {};
  for (const pair of pairs) {
    const match = /^([A-Za-z]+)=(-?[\d.]+(?:e\d+)?)$/.exec(pair.trim());
    if (!match) throw new ScenarioError(`expected name=number, got "${pair}"`);
    result[match[1]] = Number(match[2]);
  }
  return result;
}
