/**
 * SDK candidate (to move into `sdk/math/`): the checks of one owner action that
 * `simulateModifyPosition` (sdk/math/engineMath.ts) leaves out, mirrored from
 * [`contracts/PerpEngine.sol`](../../../contracts/PerpEngine.sol) in the order the engine runs them:
 *
 * `modifyPosition` / `closePosition` pre-checks → `_applyAction`: settled market → free balance
 * (`_debitFree`) → trade and margin out (the SDK's `simulateModifyPosition`) → `_checkAction` (pause,
 * reduce-only, breaker, `_checkOpenInterestCap`, `_meetsInitialMargin`, the margin-ratio rule of a reduce)
 * → `_checkVaultExposure`.
 *
 * A predicted revert is thrown as `PredictedRevertError` carrying the Solidity error's name and its
 * arguments under their ABI names, so the dApp renders it with the same sentence as a real revert.
 * `test/app/engineChecks.test.ts` runs random actions through the contract and this mirror and requires
 * the same outcome (success, or the same error with the same arguments).
 */
import {
  BPS,
  EngineRevertError,
  initialRequirementUsd,
  notionalUsd,
  simulateModifyPosition,
  unrealizedPnlUsd,
  vaultEquityUsd,
  abs,
  type MarginTier,
  type MarketParams,
  type MarketState,
  type ModifyPositionResult,
  type Position,
  type VaultMarketInput,
} from "../../../sdk/math";

/** Everything the engine reads to decide one owner action in one market. */
export interface EngineActionState {
  account: string;
  marketId: string;
  params: MarketParams;
  tiers: readonly MarginTier[];
  /** The stored market state (funding not yet accrued). */
  state: MarketState;
  /** The stored position (funding and socialized loss not yet settled). */
  position: Position;
  /** The price the action reads: the oracle's (or the settlement price once settled). */
  priceWad: bigint;
  /** The deviation breaker's flag for this market. */
  isVolatile: boolean;
  /** Timestamp the action is evaluated at (the latest block's, as `eth_call` does). */
  nowSeconds: bigint;
  /** The account's free balance (USD, 1e18). */
  freeBalanceUsd: bigint;
  tradingPaused: boolean;
  reduceOnly: boolean;
  /** 0 while the market trades normally. */
  settlementPriceWad: bigint;
  /** The vault's cash inside the engine (USD, 1e18). */
  vaultCashUsd: bigint;
  /** Every listed market as the vault valuation reads it, this one included (matched by `marketId`). */
  vaultMarkets: readonly (VaultMarketInput & { marketId: string })[];
  /**
   * The oracle error of another market with open interest whose price is invalid, or null. Valuing the vault
   * reads every such market, so the exposure check reverts with this error (README: "Opening or increasing
   * needs valid prices for every market").
   */
  unpricedMarketError: { errorName: string; args: ErrorArgs } | null;
}

/** Argument values of a custom error, by their ABI names. */
export type ErrorArgs = Readonly<Record<string, bigint | string | boolean>>;

/** The engine would revert with custom error `errorName(args…)`. */
export class PredictedRevertError extends Error {
  constructor(
    readonly errorName: string,
    readonly args: ErrorArgs,
  ) {
    super(`predicted revert ${errorName}`);
    this.name = "PredictedRevertError";
  }
}

/** The SDK names some arguments without the account and market, which the ABI has first. */
const ERRORS_WITH_ACCOUNT_AND_MARKET = new Set(["InsufficientPositionMargin", "PositionBankrupt"]);

function fromSdkRevert(error: EngineRevertError, account: string, marketId: string): PredictedRevertError {
  const args: Record<string, bigint | string> = { ...(error.details as Record<string, bigint>) };
  if (ERRORS_WITH_ACCOUNT_AND_MARKET.has(error.errorName)) {
    return new PredictedRevertError(error.errorName, { account, marketId, ...args });
  }
  return new PredictedRevertError(error.errorName, args);
}

/**
 * Predicts `modifyPosition(marketId, sizeDelta, marginDelta, acceptablePrice)` sent by `s.account`: the
 * SDK's accounting of the call, or a thrown `PredictedRevertError`. Mirrors `PerpEngine.modifyPosition`.
 * The automatic vault protection that runs afterwards never reverts and is not modelled.
 */
export function previewModifyPosition(
  s: EngineActionState,
  sizeDelta: bigint,
  marginDelta: bigint,
  acceptablePrice: bigint,
): ModifyPositionResult {
  if (sizeDelta === 0n) {
    if (marginDelta === 0n) throw new PredictedRevertError("EmptyAction", {});
    if (s.position.size === 0n)
      throw new PredictedRevertError("NoPosition", { account: s.account, marketId: s.marketId });
  }
  return applyAction(s, sizeDelta, marginDelta, acceptablePrice);
}

/** Predicts `closePosition(marketId, acceptablePrice)`. Mirrors `PerpEngine.closePosition`. */
export function previewClosePosition(s: EngineActionState, acceptablePrice: bigint): ModifyPositionResult {
  if (s.position.size === 0n)
    throw new PredictedRevertError("NoPosition", { account: s.account, marketId: s.marketId });
  return applyAction(s, -s.position.size, 0n, acceptablePrice);
}

/** Mirrors `PerpEngine._applyAction`. */
function applyAction(
  s: EngineActionState,
  sizeDelta: bigint,
  marginDelta: bigint,
  acceptablePrice: bigint,
): ModifyPositionResult {
  if (s.settlementPriceWad !== 0n) throw new PredictedRevertError("MarketIsSettled", { marketId: s.marketId });
  if (marginDelta > 0n && s.freeBalanceUsd < marginDelta) {
    throw new PredictedRevertError("InsufficientFreeBalance", {
      account: s.account,
      availableUsd: s.freeBalanceUsd,
      requestedUsd: marginDelta,
    });
  }
  let result: ModifyPositionResult;
  try {
    result = simulateModifyPosition({
      params: s.params,
      state: s.state,
      position: s.position,
      sizeDelta,
      marginDelta,
      priceWad: s.priceWad,
      nowSeconds: s.nowSeconds,
      acceptablePrice,
    });
  } catch (error) {
    if (error instanceof EngineRevertError) throw fromSdkRevert(error, s.account, s.marketId);
    throw error;
  }
  if (result.position.size !== 0n) checkAction(s, result, sizeDelta, marginDelta);
  if (result.trade.openedSize !== 0n && vaultExposureGrew(result.state.netSize, sizeDelta)) {
    checkVaultExposure(s, result);
  }
  return result;
}

/** Mirrors `PerpEngine._checkAction` (with `_checkOpenInterestCap` and `_meetsInitialMargin`). */
function checkAction(s: EngineActionState, result: ModifyPositionResult, sizeDelta: bigint, marginDelta: bigint): void {
  const old = s.position;
  const updated = result.position;
  const openedSize = result.trade.openedSize;
  const { account, marketId } = s;
  if (openedSize !== 0n || marginDelta < 0n) {
    if (s.tradingPaused) throw new PredictedRevertError("TradingPaused", {});
    if (s.reduceOnly) throw new PredictedRevertError("MarketReduceOnly", { marketId });
    if (s.isVolatile) throw new PredictedRevertError("MarketVolatile", { marketId });
  }
  if (openedSize !== 0n) checkOpenInterestCap(s, old.size, updated.size);

  const enforceInitial = openedSize !== 0n || marginDelta < 0n;
  const initial = initialMarginCheck(s.params, s.tiers, updated, s.priceWad);
  if (enforceInitial) {
    if (!initial.meets) {
      throw new PredictedRevertError("InitialMarginNotMet", {
        account,
        marketId,
        equityUsd: initial.equityWithoutProfitUsd,
        requiredUsd: initial.requiredUsd,
      });
    }
    if (updated.marginUsd < s.params.minPositionMarginUsd) {
      throw new PredictedRevertError("MarginBelowMinimum", {
        account,
        marketId,
        marginUsd: updated.marginUsd,
        minimumUsd: s.params.minPositionMarginUsd,
      });
    }
  } else if (!initial.meets && sizeDelta !== 0n) {
    // A pure reduce of a position below initial margin: its margin ratio must not fall (cross-multiplied).
    const oldEquity =
      old.marginUsd -
      result.fundingPaidUsd -
      result.lossPaidUsd +
      unrealizedPnlUsd(old.size, old.entryPriceWad, s.priceWad);
    const newEquity = updated.marginUsd + unrealizedPnlUsd(updated.size, updated.entryPriceWad, s.priceWad);
    const oldNotional = notionalUsd(old.size, s.priceWad);
    const newNotional = notionalUsd(updated.size, s.priceWad);
    if (newEquity * oldNotional < oldEquity * newNotional) {
      throw new PredictedRevertError("MarginRatioDecreased", { account, marketId });
    }
  }
}

/** The initial-margin test of `_meetsInitialMargin`: unrealised losses count, unrealised profit never does. */
export interface InitialMarginCheck {
  /** margin + min(unrealised PnL, 0) (USD, 1e18). */
  equityWithoutProfitUsd: bigint;
  /** Tiered initial margin + keeper reward at the price (USD, 1e18). */
  requiredUsd: bigint;
  meets: boolean;
}

/** Mirrors the computation of `PerpEngine._meetsInitialMargin` for a position after an action. */
export function initialMarginCheck(
  params: MarketParams,
  tiers: readonly MarginTier[],
  position: Position,
  priceWad: bigint,
): InitialMarginCheck {
  const pnlUsd = unrealizedPnlUsd(position.size, position.entryPriceWad, priceWad);
  const equityWithoutProfitUsd = position.marginUsd + (pnlUsd < 0n ? pnlUsd : 0n);
  const requiredUsd = initialRequirementUsd(tiers, notionalUsd(position.size, priceWad), params.keeperRewardUsd);
  return { equityWithoutProfitUsd, requiredUsd, meets: equityWithoutProfitUsd >= requiredUsd };
}

/** Mirrors `PerpEngine._checkOpenInterestCap`: the side's OI with this position's new size. */
function checkOpenInterestCap(s: EngineActionState, oldSize: bigint, newSize: bigint): void {
  const isLong = newSize > 0n;
  let sideOpenInterest = isLong ? s.state.longOpenInterest : s.state.shortOpenInterest;
  if (oldSize !== 0n && oldSize > 0n === isLong) sideOpenInterest -= abs(oldSize);
  const projected = sideOpenInterest + abs(newSize);
  const cap = s.params.maxOpenInterestPerSide;
  if (projected > cap) {
    throw new PredictedRevertError("OpenInterestCapExceeded", { marketId: s.marketId, openInterest: projected, cap });
  }
}

/** Mirrors `PerpEngine._vaultExposureGrew`. */
function vaultExposureGrew(netSizeAfter: bigint, sizeDelta: bigint): boolean {
  return abs(netSizeAfter - sizeDelta) < abs(netSizeAfter);
}

/**
 * Mirrors `PerpEngine._checkVaultExposure` after the action is stored: |skew| × price within
 * `maxVaultExposureBps` of the vault's withdrawal-side equity (with the action's cash and market changes).
 */
function checkVaultExposure(s: EngineActionState, result: ModifyPositionResult): void {
  if (s.unpricedMarketError)
    throw new PredictedRevertError(s.unpricedMarketError.errorName, s.unpricedMarketError.args);
  const exposureUsd = notionalUsd(result.state.netSize, s.priceWad);
  const markets = s.vaultMarkets.map((market) =>
    market.marketId === s.marketId ? { ...market, state: result.state, priceWad: s.priceWad } : market,
  );
  const equityUsd = vaultEquityUsd(s.vaultCashUsd + result.vaultCashDeltaUsd, markets, s.nowSeconds, false);
  const capUsd = equityUsd <= 0n ? 0n : (equityUsd * s.params.maxVaultExposureBps) / BPS;
  if (exposureUsd > capUsd) {
    throw new PredictedRevertError("VaultExposureCapExceeded", { marketId: s.marketId, exposureUsd, capUsd });
  }
}
