/**
 * A liquidation's loss waterfall (DESIGN §8) as the Protocol screen shows it: who paid the deficit, in
 * order — insurance fund, auto-deleveraged counterparties, the vault, socialized loss — straight from the
 * `Liquidated` event's exact split.
 */
import type { LiquidatedEvent } from "../chain/engineEvents";

export type WaterfallPayer = "insurance" | "adl" | "vault" | "socialized";

export const WATERFALL_PAYER_LABELS: Readonly<Record<WaterfallPayer, string>> = {
  insurance: "Insurance fund",
  adl: "ADL",
  vault: "Vault",
  socialized: "Socialized",
};

export interface WaterfallPart {
  payer: WaterfallPayer;
  /** USD, 1e18; null when the deployed engine does not report this part. */
  amountUsd: bigint | null;
}

export interface LiquidationWaterfall {
  /** Loss beyond the position's margin (USD, 1e18); 0 when not bankrupt. */
  deficitUsd: bigint;
  parts: WaterfallPart[];
  /** The event's split adds up to the deficit (the engine guarantees it; shown as a check). */
  isExact: boolean;
  /** Full (remaining size 0) or partial. */
  isFull: boolean;
}

export function liquidationWaterfall(event: LiquidatedEvent): LiquidationWaterfall {
  const parts: WaterfallPart[] = [
    { payer: "insurance", amountUsd: event.insurancePaidUsd },
    { payer: "adl", amountUsd: event.adlPaidUsd },
    { payer: "vault", amountUsd: event.vaultPaidUsd },
    { payer: "socialized", amountUsd: event.socializedUsd },
  ];
  const paidUsd = parts.reduce((sum, part) => sum + (part.amountUsd ?? 0n), 0n);
  return {
    deficitUsd: event.deficitUsd,
    parts,
    isExact: paidUsd === event.deficitUsd,
    isFull: event.remainingSize === 0n,
  };
}
