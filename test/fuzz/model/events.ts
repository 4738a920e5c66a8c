// Events the model expects a transaction to emit, compared per event name (in emission order) with the
// events the chain actually emitted. Only the names in TRACKED_EVENTS are compared.
import type { LogDescription } from "ethers";

export type EventArgs = Record<string, bigint | string | boolean>;

export interface ExpectedEvent {
  name: string;
  args: EventArgs;
}

export const TRACKED_EVENTS = [
  "Deposited",
  "Withdrawn",
  "PositionModified",
  "FundingAccrued",
  "Liquidated",
  "LiquidationSkipped",
  "Deleveraged",
  "LossSocialized",
  "InsuranceDeficitPaid",
  "InsuranceKeeperTopUp",
  "InsurancePenaltyCredited",
  "InsuranceDonated",
  "VaultDeleveraged",
  "VaultDeposited",
  "VaultWithdrawn",
  "SwitchPaused",
  "SwitchUnpaused",
] as const;

const TRACKED = new Set<string>(TRACKED_EVENTS);

export class EventLog {
  readonly events: ExpectedEvent[] = [];

  emit(name: string, args: EventArgs): void {
    this.events.push({ name, args });
  }

  count(name: string): number {
    return this.events.filter((e) => e.name === name).length;
  }
}

function normalize(value: unknown): bigint | string | boolean {
  if (typeof value === "bigint" || typeof value === "boolean") return value;
  if (typeof value === "string") return value.toLowerCase();
  if (typeof value === "number") return BigInt(value);
  return String(value);
}

/** The tracked events of a transaction as name + named args (addresses and bytes32 lower-cased). */
export function actualEvents(parsed: (LogDescription | null)[]): ExpectedEvent[] {
  const out: ExpectedEvent[] = [];
  for (const log of parsed) {
    if (!log || !TRACKED.has(log.name)) continue;
    const args: EventArgs = {};
    log.fragment.inputs.forEach((input, i) => {
      args[input.name] = normalize(log.args[i]);
    });
    out.push({ name: log.name, args });
  }
  return out;
}

/** Differences between expected and actual tracked events (empty when they agree). */
export function diffEvents(expected: ExpectedEvent[], actual: ExpectedEvent[]): string[] {
  const problems: string[] = [];
  for (const name of TRACKED_EVENTS) {
    const exp = expected.filter((e) => e.name === name);
    const act = actual.filter((e) => e.name === name);
    if (exp.length !== act.length) {
      problems.push(`${name}: expected ${exp.length} event(s), got ${act.length}: ${JSON.stringify(act, jsonBig)}`);
      continue;
    }
    exp.forEach((e, i) => {
      for (const [key, value] of Object.entries(e.args)) {
        const got = act[i].args[key];
        const want = normalize(value);
        if (got !== want) problems.push(`${name}[${i}].${key}: expected ${String(want)}, got ${String(got)}`);
      }
    });
  }
  return problems;
}

export function jsonBig(_key: string, value: unknown): unknown {
  return typeof value === "bigint" ? value.toString() : value;
}
