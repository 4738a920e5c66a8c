/**
 * The command line (commander 14) and the environment → raw option strings. Precedence: flag, then the
 * option's environment variable, then the schema's default. Validation happens in `./schema.ts`.
 */
import { Command, CommanderError } from "commander";
import { ConfigError } from "../errors";
import { OPTION_SPECS } from "./options";

/** Raw values before validation: strings, booleans for switches, undefined when unset. */
export type RawOptions = Record<string, string | boolean | undefined>;

const TRUE_WORDS = new Set(["1", "true", "on", "yes"]);
const FALSE_WORDS = new Set(["0", "false", "off", "no"]);

function buildProgram(): Command {
  const program = new Command("keeper")
    .description("NBP Perps keeper bot: liquidations, vault protection, order execution")
    .allowExcessArguments(false)
    .exitOverride()
    .configureOutput({ writeErr: () => undefined, writeOut: (text) => process.stdout.write(text) });
  for (const spec of OPTION_SPECS) {
    program.option(spec.flag, `${spec.description} (env ${spec.env}; default: ${spec.defaultText})`);
    if (spec.isSwitch) program.option(spec.flag.replace(/^--/, "--no-"), `turn ${spec.flag} off`);
  }
  return program;
}

/** Thrown for `--help`: the caller prints nothing more and exits 0. */
export class HelpShown extends Error {}

/** Parses `argv` (without node and the script) and fills unset options from `env`. */
export function readRawOptions(argv: readonly string[], env: NodeJS.ProcessEnv): RawOptions {
  const program = buildProgram();
  try {
    program.parse([...argv], { from: "user" });
  } catch (error) {
    if (error instanceof CommanderError) {
      if (error.code === "commander.helpDisplayed" || error.code === "commander.version") throw new HelpShown();
      throw new ConfigError(error.message.replace(/^error: /, ""));
    }
    throw error;
  }
  const fromCli = program.opts<Record<string, string | boolean>>();
  const raw: RawOptions = {};
  for (const spec of OPTION_SPECS) {
    if (fromCli[spec.key] !== undefined) {
      raw[spec.key] = fromCli[spec.key];
      continue;
    }
    const fromEnv = env[spec.env];
    if (fromEnv === undefined || fromEnv === "") continue;
    if (!spec.isSwitch) {
      raw[spec.key] = fromEnv;
      continue;
    }
    const word = fromEnv.trim().toLowerCase();
    if (TRUE_WORDS.has(word)) raw[spec.key] = true;
    else if (FALSE_WORDS.has(word)) raw[spec.key] = false;
    else throw new ConfigError(`${spec.env} must be one of true/false/1/0/on/off/yes/no`, { value: fromEnv });
  }
  return raw;
}

/** `--help` text (the README's option table is generated from the same specs). */
export function helpText(): string {
  return buildProgram().helpInformation();
}
