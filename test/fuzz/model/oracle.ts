// Mirror of contracts/oracle/ChainlinkOracleAdapter.sol over a MockV3Aggregator (no sequencer feed on the
// local chain) and of the engine's per-transaction price cache (contracts/libraries/PriceCache.sol). The adapter
// is stateless: its read checks and its history-based deviation breaker are the SDK's `readAdapterPrice` over the
// feed's recent rounds, which the model keeps (FeedState.rounds).
import {
  OracleRevertError,
  oracleFailure as sdkOracleFailure,
  readAdapterPrice,
} from "../../../sdk/math/oracleAdapter";
import type { OracleAdapterConfig } from "../../../sdk/math/oracleAdapter";
import type { MarketInfo } from "../chain";
import type { EventLog } from "./events";
import type { MarketModel, ModelState } from "./state";

/** A revert the model predicts, by custom-error name (as decoded from the chain). */
export class Revert extends Error {
  constructor(readonly errorName: string) {
    super(`revert ${errorName}`);
  }
}

function adapterConfig(info: MarketInfo): OracleAdapterConfig {
  return {
    heartbeatSeconds: info.heartbeatSeconds,
    minAnswer: info.minAnswer,
    maxAnswer: info.maxAnswer,
    feedDecimals: info.feedDecimals,
    maxDeviationBps: info.maxDeviationBps,
    volatilityCooldownSeconds: info.volatilityCooldownSeconds,
  };
}

function latestRound(m: MarketModel) {
  return { roundId: m.feed.roundId, answer: m.feed.answer, updatedAt: m.feed.updatedAt };
}

/** The first failed adapter check at time `t` (`_check` order), or null when the answer is valid. */
export function oracleFailure(info: MarketInfo, m: MarketModel, t: bigint): string | null {
  return sdkOracleFailure(latestRound(m), adapterConfig(info), t)?.errorName ?? null;
}

/** Whether an answer would pass the value checks (not the staleness one). */
export function answerIsValid(info: MarketInfo, answer: bigint): boolean {
  return answer > 0n && answer > info.minAnswer && answer < info.maxAnswer;
}

/** `latestPrice()` / `readPrice()` (one view now): price and volatile flag; throws the adapter's error. */
export function oracleEvaluate(info: MarketInfo, m: MarketModel, t: bigint): { priceWad: bigint; isVolatile: boolean } {
  try {
    return readAdapterPrice(latestRound(m), m.feed.rounds.slice(0, -1), adapterConfig(info), t);
  } catch (e) {
    if (e instanceof OracleRevertError) throw new Revert(e.errorName);
    throw e;
  }
}

/** Per-transaction price cache: market index → the price (and volatile flag) read first in the transaction. */
export type PriceCache = Map<number, { priceWad: bigint; isVolatile: boolean }>;

/** `MarketLogic.readPrice` → `adapter.readPrice()`: validates and caches (the adapter records nothing). */
export function readPrice(
  infos: MarketInfo[],
  s: ModelState,
  mi: number,
  t: bigint,
  cache: PriceCache,
  ev?: EventLog,
): { priceWad: bigint; isVolatile: boolean } {
  void ev; // the stateless adapter emits nothing
  const cached = cache.get(mi);
  if (cached) return cached;
  const read = oracleEvaluate(infos[mi], s.markets[mi], t);
  cache.set(mi, read);
  return read;
}

/** `MarketLogic.tryReadPrice`: like `readPrice` but reports an invalid price instead of reverting. */
export function tryReadPrice(
  infos: MarketInfo[],
  s: ModelState,
  mi: number,
  t: bigint,
  cache: PriceCache,
  ev?: EventLog,
): bigint | null {
  try {
    return readPrice(infos, s, mi, t, cache, ev).priceWad;
  } catch (e) {
    if (e instanceof Revert) return null;
    throw e;
  }
}

/** `MarketLogic.priceView`: the transaction's cached price, else the adapter's view. */
export function priceView(infos: MarketInfo[], s: ModelState, mi: number, t: bigint, cache?: PriceCache): bigint {
  const cached = cache?.get(mi);
  if (cached) return cached.priceWad;
  return oracleEvaluate(infos[mi], s.markets[mi], t).priceWad;
}

/** The price at `t` or null when invalid (views). */
export function validPriceOrNull(infos: MarketInfo[], s: ModelState, mi: number, t: bigint): bigint | null {
  return oracleFailure(infos[mi], s.markets[mi], t) === null ? s.markets[mi].feed.answer * infos[mi].toWad : null;
}
