/**
 * Assembles what the engine reads for one owner action (`EngineActionState`) from one block's snapshots.
 */
import type { Position } from "../../../sdk/math";
import type { Order } from "../../../sdk/orders/orderRules";
import type { MarketSnapshot, ProtocolSnapshot } from "../chain/snapshots";
import type { DecodedFailure } from "../errors/decodeError";
import type { EngineActionState } from "../sdkMirror/engineChecks";
import { stateForValuation } from "./settlement";

export interface ActionStateInput {
  account: string;
  market: MarketSnapshot;
  /** Every listed market (this one included). */
  markets: readonly MarketSnapshot[];
  position: Position;
  /** The account's pending order in this market (all zero when none). */
  pendingOrder: Order;
  protocol: ProtocolSnapshot;
  freeBalanceUsd: bigint;
  nowSeconds: bigint;
}

/** Either the state, or the oracle failure that makes every action in this market revert now. */
export type ActionStateResult = { ok: true; state: EngineActionState } | { ok: false; failure: DecodedFailure };

const EMPTY_POSITION: Position = {
  size: 0n,
  entryPriceWad: 0n,
  marginUsd: 0n,
  fundingIndexSnapshotWad: 0n,
  lossIndexSnapshotWad: 0n,
};

export function emptyPosition(): Position {
  return { ...EMPTY_POSITION };
}

/** `getOrder`'s answer when there is no pending order. */
export function noOrder(): Order {
  return {
    sizeDelta: 0n,
    sizeAtCommit: 0n,
    marginDeltaUsd: 0n,
    acceptablePriceWad: 0n,
    executableAt: 0n,
    expiresAt: 0n,
    executionFeeUsd: 0n,
  };
}

export function buildActionState(input: ActionStateInput): ActionStateResult {
  const { market } = input;
  if (!market.price.ok) return { ok: false, failure: market.price.failure };
  let unpricedMarketError: EngineActionState["unpricedMarketError"] = null;
  const vaultMarkets = input.markets.map((m) => {
    const hasOpenInterest = m.state.longOpenInterest !== 0n || m.state.shortOpenInterest !== 0n;
    if (!m.price.ok && hasOpenInterest && unpricedMarketError === null && m.price.failure.errorName !== null) {
      unpricedMarketError = { errorName: m.price.failure.errorName, args: m.price.failure.args };
    }
    // A market without open interest is never priced by the vault valuation.
    return {
      marketId: m.entry.marketId,
      state: stateForValuation(m, input.nowSeconds),
      params: m.params,
      priceWad: m.price.ok ? m.price.priceWad : 0n,
    };
  });
  return {
    ok: true,
    state: {
      account: input.account,
      marketId: market.entry.marketId,
      params: market.params,
      tiers: market.tiers,
      state: market.state,
      position: input.position,
      pendingOrder: input.pendingOrder,
      priceWad: market.price.priceWad,
      isVolatile: market.price.isVolatile,
      nowSeconds: input.nowSeconds,
      freeBalanceUsd: input.freeBalanceUsd,
      tradingPaused: input.protocol.tradingPaused,
      reduceOnly: input.market.reduceOnly,
      settlementPriceWad: market.settlementPriceWad,
      vaultCashUsd: input.protocol.vaultCashUsd,
      vaultMarkets,
      unpricedMarketError,
    },
  };
}
