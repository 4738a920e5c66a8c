/**
 * Price points for the chart. The history is the prices the engine valued funding at
 * (`FundingAccrued(marketId, rate, index, priceWad, timestamp)`, one per accrual), completed by the price read
 * at every new block while the page is open (a feed update shows before any transaction uses it).
 */
import { Interface, zeroPadValue, type InterfaceAbi, type Log } from "ethers";
import { PERP_ENGINE_ABI } from "../chain/abis";

export interface PricePoint {
  timeSeconds: bigint;
  priceWad: bigint;
}

const engineInterface = new Interface(PERP_ENGINE_ABI as InterfaceAbi);

/** Log topics selecting one market's `FundingAccrued` events. */
export function fundingAccruedTopics(marketId: string): string[] {
  const event = engineInterface.getEvent("FundingAccrued");
  if (event === null) throw new Error("the engine's ABI has no FundingAccrued event");
  return [event.topicHash, zeroPadValue(marketId, 32)];
}

export function parseFundingAccrued(log: Log): PricePoint | null {
  const parsed = engineInterface.parseLog({ topics: [...log.topics], data: log.data });
  if (parsed === null || parsed.name !== "FundingAccrued") return null;
  return { timeSeconds: BigInt(parsed.args.timestamp as bigint), priceWad: parsed.args.priceWad as bigint };
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
