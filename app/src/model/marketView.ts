/**
 * What the Market panel shows, derived from one block's snapshot: oracle price and its age, the market's
 * statuses, skew and open interest against the caps, and the funding rate per hour, day and year. Every
 * number is an SDK value (or a chain view); the only arithmetic here converts the SDK's per-day funding
 * rate into other periods.
 */
import { fundingRatePerDayWad } from "../../../sdk/math";
import type { DecodedFailure } from "../errors/decodeError";
import type { MarketSnapshot, ProtocolSnapshot } from "../chain/snapshots";

export type MarketStatus = "ok" | "stale" | "invalid-price" | "volatile" | "reduce-only" | "settled" | "paused";

/** Labels of the statuses, for badges. */
export const MARKET_STATUS_LABELS: Readonly<Record<MarketStatus, string>> = {
  ok: "ok",
  stale: "stale",
  "invalid-price": "invalid price",
  volatile: "volatile",
  "reduce-only": "reduce-only",
  settled: "settled",
  paused: "paused",
};

const HOURS_PER_DAY = 24n;
/** Funding is annualised over calendar days (it accrues every second, weekends included). */
const DAYS_PER_YEAR = 365n;

export interface FundingRates {
  /** 1e18 = 100% of notional; positive: longs pay shorts. */
  perHourWad: bigint;
  perDayWad: bigint;
  perYearWad: bigint;
}

/** The SDK's per-day funding rate (`fundingRatePerDayWad`) over an hour, a day and a year. */
export function fundingRates(perDayWad: bigint): FundingRates {
  return { perHourWad: perDayWad / HOURS_PER_DAY, perDayWad, perYearWad: perDayWad * DAYS_PER_YEAR };
}

export interface MarketView {
  marketId: string;
  symbol: string;
  baseAsset: string;
  /** null while the oracle's answer is invalid. */
  priceWad: bigint | null;
  /** Why the price is invalid (stale, at a bound, …), or null. */
  priceFailure: DecodedFailure | null;
  /** Seconds since the feed's latest answer (null when unknown). */
  priceAgeSeconds: bigint | null;
  /** Every status that applies, "ok" alone when none does. */
  statuses: MarketStatus[];
  /** Traders' net size (base units, 1e18): positive = longs dominate. */
  skewWad: bigint;
  longOpenInterestWad: bigint;
  shortOpenInterestWad: bigint;
  /** Cap on each side's open interest (base units, 1e18). */
  openInterestCapWad: bigint;
  funding: FundingRates;
  /** How long the breaker stays tripped after the feed update that jumped (seconds). */
  volatilityCooldownSeconds: bigint;
  settlementPriceWad: bigint;
  /** 0: trades are instant; otherwise size changes and margin removals are delayed orders. */
  executionDelaySeconds: bigint;
  /** Paid with each order to the keeper that executes (or cancels) it. */
  executionFeeUsd: bigint;
}

export function marketView(market: MarketSnapshot, protocol: ProtocolSnapshot, nowSeconds: bigint): MarketView {
  const statuses: MarketStatus[] = [];
  if (market.settlementPriceWad !== 0n) statuses.push("settled");
  if (!market.price.ok) statuses.push(market.price.failure.errorName === "PriceStale" ? "stale" : "invalid-price");
  if (market.price.ok && market.price.isVolatile) statuses.push("volatile");
  if (market.reduceOnly && market.settlementPriceWad === 0n) statuses.push("reduce-only");
  if (protocol.tradingPaused) statuses.push("paused");
  if (statuses.length === 0) statuses.push("ok");
  const { state, params } = market;
  return {
    marketId: market.entry.marketId,
    symbol: market.entry.symbol,
    baseAsset: market.baseAsset,
    priceWad: market.price.ok ? market.price.priceWad : null,
    priceFailure: market.price.ok ? null : market.price.failure,
    priceAgeSeconds: market.feedUpdatedAtSeconds === null ? null : nowSeconds - market.feedUpdatedAtSeconds,
    statuses,
    skewWad: state.netSize,
    longOpenInterestWad: state.longOpenInterest,
    shortOpenInterestWad: state.shortOpenInterest,
    openInterestCapWad: params.maxOpenInterestPerSide,
    // Funding stops once a market is settled.
    funding: fundingRates(
      market.settlementPriceWad !== 0n
        ? 0n
        : fundingRatePerDayWad(state.netSize, params.skewScale, params.maxFundingRatePerDayWad),
    ),
    volatilityCooldownSeconds: market.volatilityCooldownSeconds,
    settlementPriceWad: market.settlementPriceWad,
    executionDelaySeconds: params.executionDelaySeconds,
    executionFeeUsd: params.executionFeeUsd,
  };
}
