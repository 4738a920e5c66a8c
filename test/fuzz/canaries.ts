// Canary properties: statements that are FALSE for a working fuzzer. Each must be broken within the canary
// step budget (`npm run fuzz:canary`), which proves the command mix reaches the deep states the invariants
// are about: liquidations, insurance payouts, ADL, the vault absorbing a deficit, socialized losses, partial
// liquidations, the breaker, the grace period, vault protection.
import type { ActiveCanary } from "./runner";

export const CANARIES: ActiveCanary[] = [
  {
    name: "canary_noLiquidationEverHappens",
    broken: (step) => step.events.some((e) => e.name === "Liquidated"),
  },
  {
    name: "canary_noPartialLiquidationEverHappens",
    broken: (step) => step.events.some((e) => e.name === "Liquidated" && e.args.remainingSize !== 0n),
  },
  {
    name: "canary_insuranceFundNeverPaysADeficit",
    broken: (step) => step.events.some((e) => e.name === "InsuranceDeficitPaid"),
  },
  {
    name: "canary_adlNeverTriggers",
    broken: (step) => step.events.some((e) => e.name === "Liquidated" && (e.args.adlPaidUsd as bigint) > 0n),
  },
  {
    name: "canary_noLossIsEverSocialized",
    broken: (step) => step.events.some((e) => e.name === "LossSocialized"),
  },
  {
    name: "canary_vaultNeverAbsorbsADeficit",
    broken: (step) => step.events.some((e) => e.name === "Liquidated" && (e.args.vaultPaidUsd as bigint) > 0n),
  },
  {
    name: "canary_deviationBreakerNeverRefusesATrade",
    broken: (_step, outcomes) => outcomes.includes("MarketVolatile"),
  },
  {
    name: "canary_gracePeriodNeverBlocksALiquidation",
    broken: (_step, outcomes) => outcomes.includes("LiquidationGracePeriodActive"),
  },
  {
    name: "canary_vaultProtectionNeverRuns",
    broken: (step) => step.events.some((e) => e.name === "VaultDeleveraged"),
  },
];
