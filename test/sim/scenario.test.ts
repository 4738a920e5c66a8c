import { expect } from "chai";
import { loadScenario, parseScenario, shippedScenarioNames } from "../../sim/scenario/loadScenario";
import { applyOverrides, parseAssignments } from "../../sim/scenario/overrides";
import { buildPricePath } from "../../sim/paths/pricePath";
import { deployConfigFor } from "../../sim/protocol/deployment";
import { Prng } from "../../sim/random/prng";
import { ScenarioError } from "../../sim/errors";

const DEPLOYER = "0x0000000000000000000000000000000000000001";

describe("sim/scenario", () => {
  it("every shipped scenario validates, builds its path and its deployment config", () => {
    const names = shippedScenarioNames();
    expect(names).to.include.members(["smoke", "gap-40", "cascade-60", "squeeze-80", "gbm-jumps", "bench-1000x500"]);
    for (const name of names) {
      const { scenario, sourceDir } = loadScenario(name);
      const path = buildPricePath(scenario, sourceDir, new Prng(scenario.seed));
      expect(path.timeline.offsetsSeconds.length, name).to.be.greaterThan(1);
      const config = deployConfigFor(scenario, path, DEPLOYER);
      expect(config.markets.map((m) => m.symbol)).to.deep.equal(Object.keys(scenario.markets));
    }
  });

  it("a bad scenario names the offending field", () => {
    const bad = {
      name: "bad",
      seed: 1,
      steps: 3,
      markets: { "ETH-USD": { path: { kind: "gap", startPriceUsd: 2000, changePct: -40 } } },
      population: {
        traders: 1,
        leverage: { kind: "uniform", min: 5, max: 2 },
        notionalUsd: { kind: "fixed", value: 1 },
      },
      lps: { count: 1, depositUsd: { kind: "fixed", value: 1 } },
    };
    expect(() => parseScenario(bad)).to.throw(ScenarioError, /markets\.ETH-USD\.path\.atStep/);
    expect(() => parseScenario(bad)).to.throw(ScenarioError, /population\.leverage: max must be ≥ min/);
  });

  it("an unknown scenario name lists the shipped ones", () => {
    expect(() => loadScenario("no-such-scenario")).to.throw(ScenarioError, /no shipped scenario.*smoke/);
  });

  it("overrides map sweep parameters onto the scenario and keep MM below IM", () => {
    const { scenario } = loadScenario("smoke");
    const cell = applyOverrides(
      scenario,
      parseAssignments(["maintenanceMarginBps=300", "maxLeverage=10", "insuranceFundUsd=0"]),
    );
    expect(cell.protocol.allMarkets).to.deep.include({ maintenanceMarginBps: 300, initialMarginBps: 1000 });
    expect(cell.protocol.insuranceFundUsd).to.equal(0);
    const inverted = applyOverrides(scenario, { maintenanceMarginBps: 600, maxLeverage: 20 });
    const path = buildPricePath(inverted, loadScenario("smoke").sourceDir, new Prng(1));
    expect(() => deployConfigFor(inverted, path, DEPLOYER)).to.throw(ScenarioError, /maintenance margin must be below/);
    expect(() => applyOverrides(scenario, { noSuchKnob: 1 })).to.throw(ScenarioError, /unknown parameter/);
  });
});
