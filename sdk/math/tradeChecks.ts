/**
 * The health and cap checks of one owner action, mirrored from `PerpEngine._checkAction`,
 * `_meetsInitialMargin`, `_checkOpenInterestCap`, `_vaultExposureGrew` and `_checkVaultExposure` in
 * [contracts/PerpEngine.sol](../../contracts/PerpEngine.sol). `simulateModifyPosition` does the accounting;
 * these decide whether the engine accepts it. Together they predict a `modifyPosition` (or an order's
 * execution) exactly: success with every amount, or the custom error and its values.
 */
import { BPS } from "./constants";
import { abs, int256, min } from "./signedMath";
import { initialRequirementUsd, notionalUsd, unrealizedPnlUsd } from "./positionMath";
import {
  vaultEquityUsd,
  type ModifyPositionInput,
  type ModifyPositionResult,
  type VaultMarketInput,
} from "./engineMath";
import { EngineRevertError, type MarginTier } from "./types";

/** What the checks read beyond one position: switches, the oracle's volatility flag and, for new exposure,
 * the vault (every listed market, to value it after the trade). */
export interface TradeCheckContext {
  tiers: readonly MarginTier[];
  tradingPaused: boolean;
  reduceOnly: boolean;
  /** The oracle adapter's deviation breaker (`readPrice().isVolatile`). */
  isVolatile: boolean;
  /** The vault's cash before the action (`vaultCashUsd`). */
  vaultCashUsd: bigint;
  /** Every listed market as the vault values it, this market's entry with its state before the action. */
  vaultMarkets: readonly VaultMarketInput[];
  /** Index of this market in `vaultMarkets`. */
  marketIndex: number;
}

/**
 * Throws the `EngineRevertError` the engine would revert with after the accounting of
 * `simulateModifyPosition(input)` (= `result`), or returns when it accepts the action. The order of the
 * checks is the contract's: switches and volatility, open-interest cap, initial and minimum margin, margin
 * ratio of a pure reduce, then (after storing) the vault exposure cap.
 */
export function checkModifyPosition(
  input: ModifyPositionInput,
  result: ModifyPositionResult,
  context: TradeCheckContext,
): void {
  const { params, position: old, sizeDelta, marginDelta, priceWad } = input;
  const updated = result.position;
  const openedSize = result.trade.openedSize;
  if (updated.size !== 0n) {
    if (openedSize !== 0n || marginDelta < 0n) {
      if (context.tradingPaused) throw new EngineRevertError("TradingPaused", {});
      if (context.reduceOnly) throw new EngineRevertError("MarketReduceOnly", {});
      if (context.isVolatile) throw new EngineRevertError("MarketVolatile", {});
    }
    if (openedSize !== 0n) checkOpenInterestCap(input, old.size, updated.size);
    const enforceInitial = openedSize !== 0n || marginDelta < 0n;
    const pnlUsd = unrealizedPnlUsd(updated.size, updated.entryPriceWad, priceWad);
    const equityWithoutProfitUsd = int256(updated.marginUsd + min(pnlUsd, 0n));
    const requiredUsd = initialRequirementUsd(
      context.tiers,
      notionalUsd(updated.size, priceWad),
      params.keeperRewardUsd,
    );
    const meetsInitial = equityWithoutProfitUsd >= requiredUsd;
    if (enforceInitial) {
      if (!meetsInitial) {
        throw new EngineRevertError("InitialMarginNotMet", { equityUsd: equityWithoutProfitUsd, requiredUsd });
      }
      if (updated.marginUsd < params.minPositionMarginUsd) {
        throw new EngineRevertError("MarginBelowMinimum", {
          marginUsd: updated.marginUsd,
          minimumUsd: params.minPositionMarginUsd,
        });
      }
    }
    if (!enforceInitial && !meetsInitial && sizeDelta !== 0n) {
      // A pure reduce below initial margin must not lower the margin ratio (cross-multiplied).
      const oldEquity =
        old.marginUsd -
        result.fundingPaidUsd -
        result.lossPaidUsd +
        unrealizedPnlUsd(old.size, old.entryPriceWad, priceWad);
      const newEquity = updated.marginUsd + unrealizedPnlUsd(updated.size, updated.entryPriceWad, priceWad);
      const oldNotional = notionalUsd(old.size, priceWad);
      const newNotional = notionalUsd(updated.size, priceWad);
      if (newEquity * oldNotional < oldEquity * newNotional) throw new EngineRevertError("MarginRatioDecreased", {});
    }
  }
  if (openedSize !== 0n && vaultExposureGrew(result.state.netSize, sizeDelta)) {
    checkVaultExposure(input, result, context);
  }
}

/** `_checkOpenInterestCap`: the side's open interest with this position's old size replaced by its new one. */
function checkOpenInterestCap(input: ModifyPositionInput, oldSize: bigint, newSize: bigint): void {
  const isLong = newSize > 0n;
  let sideOpenInterest = isLong ? input.state.longOpenInterest : input.state.shortOpenInterest;
  if (oldSize !== 0n && oldSize > 0n === isLong) sideOpenInterest -= abs(oldSize);
  const projected = sideOpenInterest + abs(newSize);
  const cap = input.params.maxOpenInterestPerSide;
  if (projected > cap) throw new EngineRevertError("OpenInterestCapExceeded", { openInterest: projected, cap });
}

/** `_vaultExposureGrew`: |skew| grew with this trade. */
export function vaultExposureGrew(netSizeAfter: bigint, sizeDelta: bigint): boolean {
  return abs(netSizeAfter - sizeDelta) < abs(netSizeAfter);
}

/** `_checkVaultExposure` after the trade: |skew| × price ≤ withdrawal-side equity × cap / BPS. */
function checkVaultExposure(input: ModifyPositionInput, result: ModifyPositionResult, context: TradeCheckContext) {
  const markets = context.vaultMarkets.map((m, i) =>
    i === context.marketIndex ? { ...m, state: result.state, priceWad: input.priceWad } : m,
  );
  const equityUsd = vaultEquityUsd(context.vaultCashUsd + result.vaultCashDeltaUsd, markets, input.nowSeconds, false);
  const exposureUsd = notionalUsd(result.state.netSize, input.priceWad);
  const capUsd = equityUsd <= 0n ? 0n : (equityUsd * input.params.maxVaultExposureBps) / BPS;
  if (exposureUsd > capUsd) throw new EngineRevertError("VaultExposureCapExceeded", { exposureUsd, capUsd });
}
