/**
 * Price points for the chart. The history is the prices the protocol accepted (the oracle adapter's
 * `PriceAccepted(priceWad, roundId)` events, timed by their blocks), completed by the price read at every
 * new block while the page is open (a feed update shows before any transaction records it).
 */
import { Interface, type InterfaceAbi, type Log } from "ethers";
import { ORACLE_ADAPTER_ABI } from "../chain/abis";

export interface PricePoint {
  timeSeconds: bigint;
  priceWad: bigint;
}

/** A `PriceAccepted` log before its block's timestamp is known. */
export interface AcceptedPrice {
  blockNumber: number;
  priceWad: bigint;
}

const adapterInterface = new Interface(ORACLE_ADAPTER_ABI as InterfaceAbi);

export function priceAcceptedTopic(): string {
  const event = adapterInterface.getEvent("PriceAccepted");
  if (event === null) throw new Error("the oracle adapter's ABI has no PriceAccepted event");
  return event.topicHash;
}

export function parsePriceAccepted(log: Log): AcceptedPrice | null {
  const parsed = adapterInterface.parseLog({ topics: [...log.topics], data: log.data });
  if (parsed === null || parsed.name !== "PriceAccepted") return null;
  return { blockNumber: log.blockNumber, priceWad: parsed.args[0] as bigint };
}

/**
 * One series for the chart: strictly increasing times (the chart library requires it), the latest point
 * winning within one second, at most `maxPoints` (the most recent).
 */
export function chartSeries(points: readonly PricePoint[], maxPoints: number): PricePoint[] {
  const byTime = new Map<bigint, PricePoint>();
  for (const point of points) byTime.set(point.timeSeconds, point);
  const sorted = [...byTime.values()].sort((a, b) =>
    a.timeSeconds < b.timeSeconds ? -1 : a.timeSeconds > b.timeSeconds ? 1 : 0,
  );
  return sorted.slice(-maxPoints);
}
