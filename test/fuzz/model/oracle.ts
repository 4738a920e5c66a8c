// Mirror of contracts/oracle/ChainlinkOracleAdapter.sol over a MockV3Aggregator (no sequencer feed on the
// local chain) and of the engine's per-transaction price cache (contracts/libraries/PriceCache.sol).
import type { MarketInfo } from "../chain";
import type { EventLog } from "./events";
import type { MarketModel, ModelState } from "./state";

/** A revert the model predicts, by custom-error name (as decoded from the chain). */
export class Revert extends Error {
  constructor(readonly errorName: string) {
    super(`revert ${errorName}`);
  }
}

/** The first failed adapter check at time `t` (`_check` order), or null when the answer is valid. */
export function oracleFailure(info: MarketInfo, m: MarketModel, t: bigint): string | null {
  const feed = m.feed;
  if (feed.updatedAt === 0n) return "PriceRoundIncomplete";
  if (feed.answer <= 0n) return "PriceNonPositive";
  if (feed.answer <= info.minAnswer || feed.answer >= info.maxAnswer) return "PriceAtBound";
  if (feed.updatedAt > t) return "PriceUpdatedInFuture";
  if (t - feed.updatedAt > info.heartbeatSeconds) return "PriceStale";
  return null;
}

/** Whether an answer would pass the value checks (not the staleness one). */
export function answerIsValid(info: MarketInfo, answer: bigint): boolean {
  return answer > 0n && answer > info.minAnswer && answer < info.maxAnswer;
}

/** `_evaluate`: price, volatile flag and whether the breaker trips now; throws the adapter's error. */
export function oracleEvaluate(
  info: MarketInfo,
  m: MarketModel,
  t: bigint,
): { priceWad: bigint; isVolatile: boolean; jumped: boolean } {
  const failure = oracleFailure(info, m, t);
  if (failure) throw new Revert(failure);
  const priceWad = m.feed.answer * info.toWad;
  const ref = m.adapter.lastAcceptedPriceWad;
  let jumped = false;
  if (ref !== 0n) {
    const move = priceWad > ref ? priceWad - ref : ref - priceWad;
    jumped = move * 10_000n > info.maxDeviationBps * ref;
  }
  return { priceWad, isVolatile: jumped || t < m.adapter.volatileUntil, jumped };
}

/** Per-transaction price cache: market index → the price (and volatile flag) read first in the transaction. */
export type PriceCache = Map<number, { priceWad: bigint; isVolatile: boolean }>;

/** `MarketLogic.readPrice` → `adapter.readPrice()`: validates, records the reference, trips the breaker. */
export function readPrice(
  infos: MarketInfo[],
  s: ModelState,
  mi: number,
  t: bigint,
  cache: PriceCache,
  ev?: EventLog,
): { priceWad: bigint; isVolatile: boolean } {
  const cached = cache.get(mi);
  if (cached) return cached;
  const m = s.markets[mi];
  const e = oracleEvaluate(infos[mi], m, t);
  if (e.jumped) {
    m.adapter.volatileUntil = t + infos[mi].volatilityCooldownSeconds;
    ev?.emit("VolatilityTripped", {
      previousPriceWad: m.adapter.lastAcceptedPriceWad,
      newPriceWad: e.priceWad,
      volatileUntil: m.adapter.volatileUntil,
    });
  }
  m.adapter.lastAcceptedPriceWad = e.priceWad;
  const read = { priceWad: e.priceWad, isVolatile: e.isVolatile };
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

/** `MarketLogic.priceView`: the transaction's cached price, else the adapter's view (records nothing). */
export function priceView(infos: MarketInfo[], s: ModelState, mi: number, t: bigint, cache?: PriceCache): bigint {
  const cached = cache?.get(mi);
  if (cached) return cached.priceWad;
  return oracleEvaluate(infos[mi], s.markets[mi], t).priceWad;
}

/** The price at `t` or null when invalid (views). */
export function validPriceOrNull(infos: MarketInfo[], s: ModelState, mi: number, t: bigint): bigint | null {
  return oracleFailure(infos[mi], s.markets[mi], t) === null ? s.markets[mi].feed.answer * infos[mi].toWad : null;
}
