/**
 * A scenario's price path starts where the scenario says (a CSV's first close, `startPriceUsd`); on a fork it
 * must start at the feed's real answer at the fork block. Every price of a market is multiplied by
 * answer / firstPrice, exactly in integers (feed units, rounded half up), so the path keeps its relative moves —
 * a −40% gap stays −40%, the breaker and the liquidations see the same shape — and its first price is the
 * on-chain answer to the last unit.
 */
import { formatUnits, parseUnits } from "ethers";
import type { PricePath } from "../paths/pricePath";
import { ForkError } from "./forkErrors";

export interface OnChainAnswer {
  symbol: string;
  /** The feed's answer at the fork block, in feed units. */
  answer: bigint;
  decimals: number;
}

export interface RescaledPath {
  path: PricePath;
  /** Per market, the factor applied (answer / first price), as a decimal string. */
  scales: Record<string, string>;
}

/** Decimals of the reported scale factors. */
const SCALE_DECIMALS = 8;

/** `price × answer / first` in feed units, rounded half up. */
function scaled(priceUnits: bigint, answer: bigint, firstUnits: bigint): bigint {
  return (2n * priceUnits * answer + firstUnits) / (2n * firstUnits);
}

/** Trims trailing zeros of a fixed-point decimal ("2000.50000000" → "2000.5"). */
function trimDecimal(text: string): string {
  return text.includes(".") ? text.replace(/0+$/, "").replace(/\.$/, "") : text;
}

/** The path with every market scaled to start at its on-chain answer; markets without an answer are an error. */
export function rescalePathToAnswers(path: PricePath, answers: readonly OnChainAnswer[]): RescaledPath {
  const pricesUsd: Record<string, string[]> = {};
  const sources: Record<string, string> = {};
  const scales: Record<string, string> = {};
  for (const [symbol, prices] of Object.entries(path.pricesUsd)) {
    const onChain = answers.find((candidate) => candidate.symbol === symbol);
    if (!onChain) throw new ForkError(`the forked network has no feed for the scenario's market ${symbol}`);
    if (onChain.answer <= 0n) throw new ForkError(`the ${symbol} feed's answer at the fork block is not positive`);
    // Path prices have at most 8 decimals (sim/paths/pricePath.ts); read them at the finer of 8 and the feed's.
    const unitsDecimals = Math.max(onChain.decimals, 8);
    const toUnits = (price: string) => parseUnits(price, unitsDecimals);
    const answerUnits = onChain.answer * 10n ** BigInt(unitsDecimals - onChain.decimals);
    const firstUnits = toUnits(prices[0]);
    const feedScale = 10n ** BigInt(unitsDecimals - onChain.decimals);
    pricesUsd[symbol] = prices.map((price) => {
      const feedUnits = scaled(toUnits(price), answerUnits, firstUnits) / feedScale;
      if (feedUnits <= 0n) throw new ForkError(`the rescaled ${symbol} path reaches 0`, { price });
      return trimDecimal(formatUnits(feedUnits, onChain.decimals));
    });
    const scale = (answerUnits * 10n ** BigInt(SCALE_DECIMALS)) / firstUnits;
    scales[symbol] = trimDecimal(formatUnits(scale, SCALE_DECIMALS));
    sources[symbol] = `${path.sources[symbol]} ×${scales[symbol]} (from the on-chain answer)`;
  }
  return { path: { timeline: path.timeline, pricesUsd, sources }, scales };
}
