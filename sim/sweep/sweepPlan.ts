/**
 * A sweep's cells: the cartesian product of its axes (1 to 3 parameters from SWEEP_PARAMETERS), in axis
 * order, each cell a set of overrides on the scenario.
 */
import { ScenarioError } from "../errors";
import { SWEEP_PARAMETERS } from "../scenario/schema";

export interface SweepCell {
  index: number;
  overrides: Record<string, number>;
  /** "maintenanceMarginBps=250_insuranceFundUsd=0": names the cell's output folder. */
  id: string;
}

export type SweepAxes = Record<string, number[]>;

/** Parses repeatable `--sweep name=v1,v2,…` arguments. */
export function parseSweepAxes(args: readonly string[]): SweepAxes {
  const axes: SweepAxes = {};
  for (const arg of args) {
    const match = /^([A-Za-z]+)=(.+)$/.exec(arg.trim());
    if (!match) throw new ScenarioError(`expected --sweep name=v1,v2,…, got "${arg}"`);
    const [, name, list] = match;
    if (!(SWEEP_PARAMETERS as readonly string[]).includes(name)) {
      throw new ScenarioError(`cannot sweep "${name}"`, { sweepable: SWEEP_PARAMETERS.join(", ") });
    }
    const values = list.split(",").map((v) => Number(v.trim()));
    if (values.some((v) => !Number.isFinite(v))) throw new ScenarioError(`--sweep ${name}: values must be numbers`);
    axes[name] = values;
  }
  const count = Object.keys(axes).length;
  if (count < 1 || count > 3) throw new ScenarioError("a sweep has 1 to 3 axes", { axes: count });
  return axes;
}

export function sweepCells(axes: SweepAxes): SweepCell[] {
  let combos: Record<string, number>[] = [{}];
  for (const [name, values] of Object.entries(axes)) {
    combos = combos.flatMap((combo) => values.map((value) => ({ ...combo, [name]: value })));
  }
  return combos.map((overrides, index) => ({
    index,
    overrides,
    id: Object.entries(overrides)
      .map(([name, value]) => `${name}=${value}`)
      .join("_"),
  }));
}
