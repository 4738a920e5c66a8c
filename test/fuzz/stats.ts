// Counters of one fuzz session: steps, per-command outcomes and the deep events the profile must reach
// (liquidations, insurance payouts, ADL, socialized losses), printed as one summary line plus a table.
import type { ExpectedEvent } from "./model/events";

export interface CommandTally {
  ok: number;
  rejected: Map<string, number>;
}

export class FuzzStats {
  steps = 0;
  runs = 0;
  windDownTxs = 0;
  readonly commands = new Map<string, CommandTally>();
  liquidations = 0;
  partialLiquidations = 0;
  bankruptLiquidations = 0;
  insurancePayouts = 0;
  keeperTopUps = 0;
  adlLiquidations = 0;
  vaultAbsorptions = 0;
  deleveragedEvents = 0;
  socializedEvents = 0;
  vaultDeleverages = 0;
  liquidationSkips = 0;
  /** Markets that turned volatile (the breaker flags them) between one step and the next. */
  volatilityTrips = 0;
  /** Trades and margin removals the breaker refused (`MarketVolatile`). */
  breakerRefusals = 0;
  /** Markets the last checked step saw volatile (to count trips). */
  readonly volatileMarkets = new Set<number>();
  /** Liquidations that pushed another account below zero (allowed only when the vault had nothing left). */
  bystandersPushedBelowZero = 0;
  livenessProbes = 0;
  vaultInsolventSteps = 0;
  minVaultEquityUsd: bigint | undefined;
  readonly startedAt = Date.now();

  record(command: string, outcome: string): void {
    let tally = this.commands.get(command);
    if (!tally) {
      tally = { ok: 0, rejected: new Map() };
      this.commands.set(command, tally);
    }
    if (outcome === "MarketVolatile") this.breakerRefusals++;
    if (outcome === "ok") tally.ok++;
    else tally.rejected.set(outcome, (tally.rejected.get(outcome) ?? 0) + 1);
  }

  countEvents(events: ExpectedEvent[]): void {
    for (const e of events) {
      switch (e.name) {
        case "Liquidated":
          this.liquidations++;
          if (e.args.remainingSize !== 0n) this.partialLiquidations++;
          if ((e.args.deficitUsd as bigint) > 0n) this.bankruptLiquidations++;
          if ((e.args.insurancePaidUsd as bigint) > 0n) this.insurancePayouts++;
          if ((e.args.adlPaidUsd as bigint) > 0n) this.adlLiquidations++;
          if ((e.args.vaultPaidUsd as bigint) > 0n) this.vaultAbsorptions++;
          break;
        case "InsuranceKeeperTopUp":
          this.keeperTopUps++;
          break;
        case "Deleveraged":
          this.deleveragedEvents++;
          break;
        case "LossSocialized":
          this.socializedEvents++;
          break;
        case "VaultDeleveraged":
          this.vaultDeleverages++;
          break;
        case "LiquidationSkipped":
          this.liquidationSkips++;
          break;
      }
    }
  }

  seconds(): number {
    return (Date.now() - this.startedAt) / 1000;
  }

  summaryLine(profile: string): string {
    const secs = this.seconds();
    return (
      `fuzz[${profile}]: ${this.steps} steps in ${secs.toFixed(1)} s (${(this.steps / secs).toFixed(1)} steps/s), ` +
      `${this.runs} runs, ${this.windDownTxs} wind-down txs; liquidations ${this.liquidations} ` +
      `(partial ${this.partialLiquidations}, bankrupt ${this.bankruptLiquidations}), insurance payouts ` +
      `${this.insurancePayouts}, keeper top-ups ${this.keeperTopUps}, ADL liquidations ${this.adlLiquidations} ` +
      `(Deleveraged events ${this.deleveragedEvents}), vault absorptions ${this.vaultAbsorptions}, socialized-loss ` +
      `events ${this.socializedEvents}, bystanders pushed below zero ${this.bystandersPushedBelowZero}, vault ` +
      `deleverages ${this.vaultDeleverages}, liquidateMany skips ${this.liquidationSkips}, breaker trips ` +
      `${this.volatilityTrips} (refusals ${this.breakerRefusals}), liveness probes ${this.livenessProbes}, ` +
      `vault-insolvent steps ${this.vaultInsolventSteps}`
    );
  }

  commandTable(): string {
    const rows = [...this.commands.entries()].sort(([a], [b]) => a.localeCompare(b));
    const lines = ["command                               ok  rejected (by error)"];
    for (const [name, tally] of rows) {
      const rejected = [...tally.rejected.entries()]
        .sort((a, b) => b[1] - a[1])
        .map(([error, n]) => `${error}×${n}`)
        .join(" ");
      lines.push(`${name.padEnd(34)} ${String(tally.ok).padStart(6)}  ${rejected}`);
    }
    return lines.join("\n");
  }
}
