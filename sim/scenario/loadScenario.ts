/**
 * Finds a scenario by name (`sim/scenarios/<name>.yaml`) or path (YAML or JSON) and validates it.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { basename, dirname, extname, join, resolve } from "node:path";
import { parse as parseYaml } from "yaml";
import type { ZodError } from "zod";
import { ScenarioError } from "../errors";
import { scenarioSchema, type Scenario } from "./schema";

export const SCENARIOS_DIR = join(__dirname, "..", "scenarios");
export const SIM_DATA_DIR = join(__dirname, "..", "data");

const SCENARIO_EXTENSIONS = [".yaml", ".yml", ".json"];

export interface LoadedScenario {
  scenario: Scenario;
  /** Absolute path of the file it came from. */
  sourcePath: string;
  /** Folder relative CSV paths resolve against first. */
  sourceDir: string;
}

/** Names of the scenarios shipped in sim/scenarios/. */
export function shippedScenarioNames(): string[] {
  return readdirSync(SCENARIOS_DIR)
    .filter((file) => SCENARIO_EXTENSIONS.includes(extname(file)))
    .map((file) => basename(file, extname(file)))
    .sort();
}

function resolveScenarioPath(nameOrPath: string): string {
  const looksLikePath = nameOrPath.includes("/") || SCENARIO_EXTENSIONS.includes(extname(nameOrPath));
  if (looksLikePath) {
    const path = resolve(nameOrPath);
    if (!existsSync(path)) throw new ScenarioError("scenario file not found", { path });
    return path;
  }
  for (const extension of SCENARIO_EXTENSIONS) {
    const path = join(SCENARIOS_DIR, `${nameOrPath}${extension}`);
    if (existsSync(path)) return path;
  }
  throw new ScenarioError(`no shipped scenario named "${nameOrPath}"`, {
    shipped: shippedScenarioNames().join(", "),
  });
}

function describeZodError(error: ZodError): string {
  return error.issues.map((issue) => `${issue.path.join(".") || "(root)"}: ${issue.message}`).join("; ");
}

/** Validates an already parsed scenario object. */
export function parseScenario(raw: unknown, source = "(inline)"): Scenario {
  const result = scenarioSchema.safeParse(raw);
  if (!result.success) {
    throw new ScenarioError(`invalid scenario ${source}: ${describeZodError(result.error)}`, { source });
  }
  return result.data;
}

/** Loads `nameOrPath` (a shipped name such as "gap-40" or a .yaml/.json file). */
export function loadScenario(nameOrPath: string): LoadedScenario {
  const sourcePath = resolveScenarioPath(nameOrPath);
  let raw: unknown;
  try {
    const text = readFileSync(sourcePath, "utf8");
    raw = extname(sourcePath) === ".json" ? JSON.parse(text) : parseYaml(text);
  } catch (cause) {
    throw new ScenarioError(`cannot parse scenario file: ${(cause as Error).message}`, { path: sourcePath }, cause);
  }
  return { scenario: parseScenario(raw, sourcePath), sourcePath, sourceDir: dirname(sourcePath) };
}

/** Resolves a data file named by a scenario: next to the scenario first, then under sim/data/. */
export function resolveDataFile(file: string, sourceDir: string): string {
  const candidates = [resolve(sourceDir, file), resolve(SIM_DATA_DIR, file)];
  const found = candidates.find((candidate) => existsSync(candidate));
  if (!found) throw new ScenarioError("price file not found", { file, searched: candidates.join(" | ") });
  return found;
}
