/**
 * Σ free balances for the solvency check without reading every account every step: a free balance changes
 * only in a transaction that emits an engine event naming the account (deposit, withdraw, trade, liquidation
 * of it or by it as keeper, ADL, settlement), so each step re-reads only the accounts its events named. A full
 * re-read every FULL_READ_EVERY_STEPS steps and at the end checks that assumption: a difference stops the run.
 */
import type { ChainEvent } from "../events/decodeEvents";
import { SimError } from "../errors";
import type { ProtocolCalls } from "../protocol/calls";

/** Steps between full re-reads of every account's free balance. */
export const FULL_READ_EVERY_STEPS = 100;
/** Engine event arguments that name an account whose free balance may have changed (owners, keepers, order
 * executors and cancellers). */
const ACCOUNT_ARGUMENTS = ["account", "keeper", "executor", "by"];

export class FreeBalanceBook {
  private readonly balances = new Map<string, bigint>();
  private readonly dirty = new Set<string>();

  constructor(private readonly accounts: readonly string[]) {
    for (const account of accounts) this.dirty.add(account.toLowerCase());
  }

  /** Marks the accounts an event names as changed (register as a RunContext event listener). */
  note(event: ChainEvent): void {
    if (event.contract !== "engine") return;
    for (const name of ACCOUNT_ARGUMENTS) {
      const value = event.args[name];
      if (typeof value === "string") this.dirty.add(value.toLowerCase());
    }
  }

  private async read(calls: ProtocolCalls, accounts: string[], block: number): Promise<Map<string, bigint>> {
    const values = await calls.freeBalances(accounts, block);
    return new Map(accounts.map((account, i) => [account, values[i]]));
  }

  /** Σ free balances at `block`: changed accounts re-read, or every account when `full` (and compared). */
  async total(calls: ProtocolCalls, block: number, full: boolean): Promise<bigint> {
    if (full) {
      const everyone = [
        ...new Set([...this.accounts.map((a) => a.toLowerCase()), ...this.balances.keys(), ...this.dirty]),
      ];
      const fresh = await this.read(calls, everyone, block);
      for (const [account, value] of fresh) {
        const cached = this.balances.get(account);
        if (cached !== undefined && !this.dirty.has(account) && cached !== value) {
          throw new SimError("a free balance changed without an engine event naming its account", {
            account,
            cached: cached.toString(),
            chain: value.toString(),
          });
        }
        this.balances.set(account, value);
      }
    } else if (this.dirty.size > 0) {
      for (const [account, value] of await this.read(calls, [...this.dirty], block)) this.balances.set(account, value);
    }
    this.dirty.clear();
    let sum = 0n;
    for (const value of this.balances.values()) sum += value;
    return sum;
  }
}
