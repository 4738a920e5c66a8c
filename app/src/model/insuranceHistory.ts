/**
 * The insurance fund's balance over time, from its movement events (each carries the balance after it):
 * one point per block, the last movement of the block winning.
 */
import type { EngineEvent, InsuranceEvent } from "../chain/engineEvents";
import { INSURANCE_EVENT_NAMES } from "../chain/engineEvents";

export interface FundPoint {
  blockNumber: number;
  insuranceFundUsd: bigint;
}

function isInsuranceEvent(event: EngineEvent): event is InsuranceEvent {
  return (INSURANCE_EVENT_NAMES as readonly string[]).includes(event.name);
}

/** Events in chain order → the fund's balance per block (ascending). */
export function insuranceFundHistory(events: readonly EngineEvent[]): FundPoint[] {
  const points: FundPoint[] = [];
  for (const event of events) {
    if (!isInsuranceEvent(event)) continue;
    const last = points[points.length - 1];
    if (last && last.blockNumber === event.blockNumber) last.insuranceFundUsd = event.insuranceFundUsd;
    else points.push({ blockNumber: event.blockNumber, insuranceFundUsd: event.insuranceFundUsd });
  }
  return points;
}
