/**
 * The engine's event log, parsed into typed records. Events emitted by the libraries the engine
 * DELEGATECALLs come from the engine's address and are declared on `IPerpEngine`, so one interface parses
 * them all. Fields follow the Solidity names; an event gaining a field (e.g. `Liquidated.vaultPaidUsd`,
 * issue 10) reads as `null` until the contracts emit it.
 */
import { Interface, type Log } from "ethers";
import { PERP_ENGINE_ABI } from "./abis";

/** Where an event happened. */
export interface EventPosition {
  blockNumber: number;
  logIndex: number;
  transactionHash: string;
}

export interface LiquidatedEvent extends EventPosition {
  name: "Liquidated";
  account: string;
  marketId: string;
  keeper: string;
  closedSize: bigint;
  executionPriceWad: bigint;
  remainingSize: bigint;
  penaltyUsd: bigint;
  keeperRewardUsd: bigint;
  deficitUsd: bigint;
  insurancePaidUsd: bigint;
  adlPaidUsd: bigint;
  /** The vault's absorbed part of the deficit; null while the deployed engine does not emit it. */
  vaultPaidUsd: bigint | null;
  socializedUsd: bigint;
}

export interface DeleveragedEvent extends EventPosition {
  name: "Deleveraged";
  account: string;
  marketId: string;
  size: bigint;
  priceWad: bigint;
}

export interface LossSocializedEvent extends EventPosition {
  name: "LossSocialized";
  marketId: string;
  chargedSideIsLong: boolean;
  amountUsd: bigint;
  openInterestCharged: bigint;
  lossIndexWad: bigint;
}

export interface VaultDeleveragedEvent extends EventPosition {
  name: "VaultDeleveraged";
  marketId: string;
  lossBeforeUsd: bigint;
  lossAfterUsd: bigint;
  targetUsd: bigint;
}

/** Every insurance-fund movement: its events all end with the fund's balance after the movement. */
export const INSURANCE_EVENT_NAMES = [
  "InsuranceFeeCredited",
  "InsurancePenaltyCredited",
  "InsuranceDeficitPaid",
  "InsuranceKeeperTopUp",
  "InsuranceDonated",
  "InsuranceWithdrawn",
] as const;
export type InsuranceEventName = (typeof INSURANCE_EVENT_NAMES)[number];

export interface InsuranceEvent extends EventPosition {
  name: InsuranceEventName;
  /** The fund's balance after the movement (USD, 1e18). */
  insuranceFundUsd: bigint;
}

export interface OrderCommittedEvent extends EventPosition {
  name: "OrderCommitted";
  account: string;
  marketId: string;
  sizeDelta: bigint;
  marginDeltaUsd: bigint;
  acceptablePriceWad: bigint;
  sizeAtCommit: bigint;
  escrowedMarginUsd: bigint;
  executionFeeUsd: bigint;
  executableAt: bigint;
  expiresAt: bigint;
}

export interface OrderExecutedEvent extends EventPosition {
  name: "OrderExecuted";
  account: string;
  marketId: string;
  executor: string;
  sizeDelta: bigint;
  fillPriceWad: bigint;
  takerFeeUsd: bigint;
  newSize: bigint;
  executionFeeUsd: bigint;
}

export interface OrderCancelledEvent extends EventPosition {
  name: "OrderCancelled";
  account: string;
  marketId: string;
  by: string;
  /** The custom error that cancelled it, ABI-encoded (decode with the dApp's error decoder). */
  reason: string;
  refundedMarginUsd: bigint;
  executionFeeUsd: bigint;
}

/** Any other engine event, kept by name for whoever needs it. */
export interface OtherEngineEvent extends EventPosition {
  name: string;
  args: Readonly<Record<string, unknown>>;
}

export type EngineEvent =
  | OrderCommittedEvent
  | OrderExecutedEvent
  | OrderCancelledEvent
  | LiquidatedEvent
  | DeleveragedEvent
  | LossSocializedEvent
  | VaultDeleveragedEvent
  | InsuranceEvent
  | OtherEngineEvent;

const engineInterface = new Interface(PERP_ENGINE_ABI);

function isInsuranceEvent(name: string): name is InsuranceEventName {
  return (INSURANCE_EVENT_NAMES as readonly string[]).includes(name);
}

/** Parses one engine log; null for a log the engine's ABI does not know. */
export function parseEngineLog(log: Log): EngineEvent | null {
  const parsed = engineInterface.parseLog({ topics: [...log.topics], data: log.data });
  if (parsed === null) return null;
  const where: EventPosition = {
    blockNumber: log.blockNumber,
    logIndex: log.index,
    transactionHash: log.transactionHash,
  };
  const args: Record<string, unknown> = {};
  parsed.fragment.inputs.forEach((input, i) => {
    args[input.name] = parsed.args[i];
  });
  const name = parsed.name;
  if (name === "Liquidated") {
    return {
      ...where,
      name,
      ...(args as Omit<LiquidatedEvent, keyof EventPosition | "name" | "vaultPaidUsd">),
      vaultPaidUsd: (args.vaultPaidUsd as bigint | undefined) ?? null,
    };
  }
  if (name === "Deleveraged")
    return { ...where, name, ...(args as Omit<DeleveragedEvent, keyof EventPosition | "name">) };
  if (name === "LossSocialized") {
    return { ...where, name, ...(args as Omit<LossSocializedEvent, keyof EventPosition | "name">) };
  }
  if (name === "VaultDeleveraged") {
    return { ...where, name, ...(args as Omit<VaultDeleveragedEvent, keyof EventPosition | "name">) };
  }
  if (name === "OrderCommitted" || name === "OrderExecuted" || name === "OrderCancelled") {
    return { ...where, name, ...args } as unknown as OrderCommittedEvent | OrderExecutedEvent | OrderCancelledEvent;
  }
  if (isInsuranceEvent(name)) return { ...where, name, insuranceFundUsd: args.insuranceFundUsd as bigint };
  return { ...where, name, args };
}
