/**
 * Engine-level helpers: what [`contracts/libraries/MarketLogic.sol`](../../contracts/libraries/MarketLogic.sol)
 * and [`contracts/PerpEngine.sol`](../../contracts/PerpEngine.sol) compute for funding accrual, what a
 * position owes (funding and socialized loss), position equity and health, a trade, a whole
 * `modifyPosition` call, the market aggregates and the vault's value — built only from the one-to-one
 * mirrors in `./positionMath` and `./signedMath`, with the same operation order, so the results equal the
 * contract's to the wei (checked by `test/sdk/differential.test.ts`). Liquidation lives in
 * `./liquidationMath` (pure math) and `./liquidationEngine` (the whole `liquidate` call).
 */
import { BPS, UINT256_MAX, WAD_INT } from "./constants";
import {
  fillPriceWad,
  fundingIndexDeltaWad,
  fundingOwedUsd,
  fundingRatePerDayWad,
  increasedEntryPriceWad,
  maintenanceRequirementUsd,
  notionalUsd,
  socializedLossOwedUsd,
  takerFeeUsd,
  unrealizedPnlUsd,
} from "./positionMath";
import { abs, divCeilU, divFloor, int256, min, toInt256, toUint256, uint256 } from "./signedMath";
import {
  EngineRevertError,
  type MarginTier,
  type MarketParams,
  type MarketState,
  type Position,
  type TradeResult,
} from "./types";

/** A maintenance-margin raise being phased in (`MaintenanceRamp` in IPerpTypes.sol). */
export interface MaintenanceRampSchedule {
  startTime: bigint;
  endTime: bigint;
  previousKeeperRewardUsd: bigint;
}

/**
 * The maintenance requirement at `nowSeconds` (USD, 1e18), a raise being phased in included. Mirrors
 * `MarketLogic.maintenanceRequirementUsd` in contracts/libraries/MarketLogic.sol: tiered maintenance margin plus
 * the keeper reward; during a raise (`nowSeconds < ramp.endTime`) it moves linearly from the previous schedule's
 * requirement to the current one's, rounded down; a lower current schedule applies at once.
 */
export function rampedMaintenanceRequirementUsd(
  tiers: readonly MarginTier[],
  keeperRewardUsd: bigint,
  previousTiers: readonly MarginTier[],
  ramp: MaintenanceRampSchedule,
  notional: bigint,
  nowSeconds: bigint,
): bigint {
  const targetUsd = maintenanceRequirementUsd(tiers, notional, keeperRewardUsd);
  if (nowSeconds >= ramp.endTime) return targetUsd;
  const previousUsd = maintenanceRequirementUsd(previousTiers, notional, ramp.previousKeeperRewardUsd);
  if (targetUsd <= previousUsd) return targetUsd;
  return previousUsd + ((targetUsd - previousUsd) * (nowSeconds - ramp.startTime)) / (ramp.endTime - ramp.startTime);
}

// ═════════════════════════════ FUNDING ═════════════════════════════

/**
 * The funding index as `accrueFunding` would leave it at `nowSeconds` (USD per base unit, 1e18): the
 * rate set by the current skew, applied over the whole elapsed interval, valued at `priceWad`.
 * Mirrors `MarketLogic.currentFundingIndexWad` (and the engine's `currentFundingIndexWad` view) in
 * contracts/libraries/MarketLogic.sol.
 * @param nowSeconds The block timestamp (for a view: the latest block's timestamp).
 * @param settlementPriceWad The market's settlement price (0 while it trades): a settled market's index is frozen.
 */
export function currentFundingIndexWad(
  state: MarketState,
  params: MarketParams,
  priceWad: bigint,
  nowSeconds: bigint,
  settlementPriceWad = 0n,
): bigint {
  const elapsed = uint256(nowSeconds - state.lastFundingTimestamp);
  if (elapsed === 0n || settlementPriceWad !== 0n) return state.fundingIndexWad;
  const ratePerDayWad = fundingRatePerDayWad(state.netSize, params.skewScale, params.maxFundingRatePerDayWad);
  return int256(state.fundingIndexWad + fundingIndexDeltaWad(ratePerDayWad, priceWad, elapsed));
}

/**
 * The market state after `accrueFunding` at `nowSeconds`: index advanced, timestamp set (unchanged when
 * no time elapsed). Mirrors `MarketLogic.accrueFunding` in contracts/libraries/MarketLogic.sol. Does not
 * mutate `state`.
 */
export function accrueFunding(
  state: MarketState,
  params: MarketParams,
  priceWad: bigint,
  nowSeconds: bigint,
  settlementPriceWad = 0n,
): MarketState {
  const elapsed = uint256(nowSeconds - state.lastFundingTimestamp);
  if (elapsed === 0n || settlementPriceWad !== 0n) return { ...state };
  return {
    ...state,
    fundingIndexWad: currentFundingIndexWad(state, params, priceWad, nowSeconds),
    lastFundingTimestamp: nowSeconds,
  };
}

// ═════════════════════════════ WHAT A POSITION OWES ═════════════════════════════

/**
 * The socialized-loss index of the side `size` is on (0 for an empty position).
 * Mirrors `MarketLogic.lossIndexWad` in contracts/libraries/MarketLogic.sol.
 */
export function lossIndexWad(state: MarketState, size: bigint): bigint {
  if (size > 0n) return state.longLossIndexWad;
  if (size < 0n) return state.shortLossIndexWad;
  return 0n;
}

/** What a position owes since it was last settled (USD, 1e18). */
export interface OwedUsd {
  /** Funding owed; positive = the position pays (rounded up). */
  fundingOwedUsd: bigint;
  /** Socialized loss owed (rounded up). */
  lossOwedUsd: bigint;
}

/**
 * What a position owes since it was last settled: funding at `fundingIndexWad` and socialized loss at its
 * side's current loss index. Mirrors `MarketLogic.owedUsd` in contracts/libraries/MarketLogic.sol.
 */
export function owedUsd(state: MarketState, position: Position, fundingIndexWad: bigint): OwedUsd {
  return {
    fundingOwedUsd: fundingOwedUsd(position.size, fundingIndexWad, position.fundingIndexSnapshotWad),
    lossOwedUsd: socializedLossOwedUsd(
      position.size,
      lossIndexWad(state, position.size),
      position.lossIndexSnapshotWad,
    ),
  };
}

/**
 * Margin net of what the position owes: margin − funding owed − socialized loss owed (USD, 1e18; may be
 * negative). The `netMarginUsd` argument of `liquidationPriceWad` as
 * `LiquidationLogic.liquidationPriceWad` computes it, and the `settledMarginUsd` of
 * `LiquidationLogic._liquidate` (contracts/liquidation/LiquidationLogic.sol).
 */
export function netMarginUsd(state: MarketState, position: Position, fundingIndexWad: bigint): bigint {
  const owed = owedUsd(state, position, fundingIndexWad);
  return int256(int256(toInt256(position.marginUsd) - owed.fundingOwedUsd) - toInt256(owed.lossOwedUsd));
}

// ═════════════════════════════ EQUITY AND HEALTH ═════════════════════════════

/**
 * Equity of a position: margin + unrealised PnL − funding owed − socialized loss owed (USD, 1e18; may be
 * negative). `state` supplies the position's side's loss index; `fundingIndexWad` is the funding index
 * of the moment (see `currentFundingIndexWad`). Mirrors the `equityUsd` of `PerpEngine.positionEquity` in
 * contracts/PerpEngine.sol.
 */
export function positionEquityUsd(
  state: MarketState,
  position: Position,
  priceWad: bigint,
  fundingIndexWad: bigint,
): bigint {
  const owed = owedUsd(state, position, fundingIndexWad);
  return int256(
    int256(
      int256(toInt256(position.marginUsd) + unrealizedPnlUsd(position.size, position.entryPriceWad, priceWad)) -
        owed.fundingOwedUsd,
    ) - toInt256(owed.lossOwedUsd),
  );
}

/** Equity against the maintenance requirement, as `PerpEngine.positionEquity` reports them. */
export interface PositionHealth {
  /** margin + unrealised PnL − funding owed − socialized loss owed (USD, 1e18). */
  equityUsd: bigint;
  /** Tiered maintenance margin + keeper reward (USD, 1e18); 0 for an empty position. */
  maintenanceRequirementUsd: bigint;
  /** `equityUsd < maintenanceRequirementUsd` (equality is healthy); false for an empty position. */
  isLiquidatable: boolean;
}

/**
 * Health of a position at `priceWad` and `fundingIndexWad`. Mirrors `PerpEngine.positionEquity` and
 * `PerpEngine.isLiquidatable` in contracts/PerpEngine.sol; liquidatable iff equity < requirement.
 */
export function positionHealth(
  state: MarketState,
  position: Position,
  priceWad: bigint,
  fundingIndexWad: bigint,
  tiers: readonly MarginTier[],
  keeperRewardUsd: bigint,
): PositionHealth {
  const equityUsd = positionEquityUsd(state, position, priceWad, fundingIndexWad);
  const requirementUsd =
    position.size === 0n ? 0n : maintenanceRequirementUsd(tiers, notionalUsd(position.size, priceWad), keeperRewardUsd);
  return {
    equityUsd,
    maintenanceRequirementUsd: requirementUsd,
    isLiquidatable: position.size !== 0n && equityUsd < requirementUsd,
  };
}

// ═════════════════════════════ TRADING ═════════════════════════════

/**
 * Prices a trade of `sizeDelta` against the vault at oracle price `priceWad` with the market skew
 * `skew` (traders' net size before the trade) and splits it into the closed part (realising PnL at the
 * fill) and the opened part (averaged into the entry). Mirrors `PerpEngine._trade` in
 * contracts/PerpEngine.sol, including its reverts `FillPriceNonPositive` and `SlippageExceeded`.
 * @param acceptablePrice Worst fill accepted (buys: fill ≤ it, sells: fill ≥ it); defaults to a bound
 * that never binds.
 */
export function simulateTrade(
  params: MarketParams,
  skew: bigint,
  old: Position,
  sizeDelta: bigint,
  priceWad: bigint,
  acceptablePrice: bigint = sizeDelta > 0n ? UINT256_MAX : 0n,
): TradeResult {
  const fill = fillPriceWad(priceWad, skew, sizeDelta, params.skewScale);
  if (fill <= 0n) throw new EngineRevertError("FillPriceNonPositive", { fillPriceWad: fill });
  const fillPrice = fill;
  if (sizeDelta > 0n ? fillPrice > acceptablePrice : fillPrice < acceptablePrice) {
    throw new EngineRevertError("SlippageExceeded", { fillPriceWad: fillPrice, acceptablePriceWad: acceptablePrice });
  }
  const feeUsd = takerFeeUsd(sizeDelta, fillPrice, params.takerFeeBps);
  const insuranceFeeUsd = uint256(feeUsd * params.insuranceFeeShareBps) / BPS;

  // closedSize has the sign of the old position; the rest of sizeDelta opens new exposure.
  let closedSize = 0n;
  let realizedPnlUsd = 0n;
  if (old.size !== 0n && old.size > 0n !== sizeDelta > 0n) {
    closedSize = abs(sizeDelta) >= abs(old.size) ? old.size : int256(-sizeDelta);
    realizedPnlUsd = unrealizedPnlUsd(closedSize, old.entryPriceWad, fillPrice);
  }
  const openedSize = int256(sizeDelta + closedSize);

  const remainingOldSize = int256(old.size - closedSize);
  let newEntryPriceWad: bigint;
  if (openedSize === 0n) {
    newEntryPriceWad = remainingOldSize === 0n ? 0n : old.entryPriceWad;
  } else if (remainingOldSize === 0n) {
    newEntryPriceWad = fillPrice;
  } else {
    newEntryPriceWad = increasedEntryPriceWad(old.size, old.entryPriceWad, openedSize, fillPrice);
  }
  return { fillPriceWad: fillPrice, feeUsd, insuranceFeeUsd, realizedPnlUsd, openedSize, newEntryPriceWad };
}

/** Inputs of `simulateModifyPosition`: one owner action as `modifyPosition` receives it, plus the state. */
export interface ModifyPositionInput {
  params: MarketParams;
  /** The market state before the action (funding not yet accrued). */
  state: MarketState;
  /** The stored position before the action (funding and socialized loss not yet settled). */
  position: Position;
  /** Base units, 1e18; + buys, − sells; 0 for a pure margin move. */
  sizeDelta: bigint;
  /** USD, 1e18; + moves free balance into the position, − moves margin out. */
  marginDelta: bigint;
  /** The oracle price of the transaction (USD per base unit, 1e18). */
  priceWad: bigint;
  /** The transaction's block timestamp. */
  nowSeconds: bigint;
  /** Worst fill accepted; defaults to a bound that never binds. */
  acceptablePrice?: bigint;
}

/** What one `modifyPosition` call does to every balance it touches. */
export interface ModifyPositionResult {
  /** The stored position afterwards (all zero once closed). */
  position: Position;
  /** The market state afterwards (funding accrued, aggregates updated). */
  state: MarketState;
  /** The trade (all zero but the entry for a pure margin move). */
  trade: TradeResult;
  /** Funding settled into margin (+ = paid by the position), as in the `PositionModified` event. */
  fundingPaidUsd: bigint;
  /** Socialized loss settled from margin, as in the `PositionModified` event. */
  lossPaidUsd: bigint;
  /** Change of `vaultCashUsd`: funding and socialized loss received + its fee share − PnL paid to the trader. */
  vaultCashDeltaUsd: bigint;
  /** Change of the trader's free balance: margin moved in/out and, on a close, the released margin. */
  freeBalanceDeltaUsd: bigint;
}

/**
 * The accounting of one successful `modifyPosition` / `closePosition` call: accrue funding → settle the
 * position's funding and socialized loss → move margin in → trade → move margin out → store → update
 * aggregates. Mirrors `PerpEngine._applyAction` (with `_moveMarginOut` and `MarketLogic.updateMarketTotals`)
 * in contracts/PerpEngine.sol. Throws where those revert (`FillPriceNonPositive`, `SlippageExceeded`,
 * `InsufficientPositionMargin`, `PositionBankrupt`). It does NOT evaluate the checks that need more
 * context than one position — free balance, volatility, open-interest and vault-exposure caps,
 * initial/minimum margin, margin ratio — so a call the engine rejects for those reasons still gets a
 * result here.
 */
export function simulateModifyPosition(input: ModifyPositionInput): ModifyPositionResult {
  const { params, position: old, sizeDelta, marginDelta, priceWad } = input;
  const state = accrueFunding(input.state, params, priceWad, input.nowSeconds);

  const { fundingOwedUsd: fundingPaidUsd, lossOwedUsd: lossPaidUsd } = owedUsd(state, old, state.fundingIndexWad);
  let marginUsd = int256(int256(toInt256(old.marginUsd) - fundingPaidUsd) - toInt256(lossPaidUsd));
  let vaultCashDeltaUsd = int256(fundingPaidUsd + toInt256(lossPaidUsd));
  let freeBalanceDeltaUsd = 0n;

  if (marginDelta > 0n) {
    freeBalanceDeltaUsd -= marginDelta;
    marginUsd = int256(marginUsd + marginDelta);
  }

  let trade: TradeResult = {
    fillPriceWad: 0n,
    feeUsd: 0n,
    insuranceFeeUsd: 0n,
    realizedPnlUsd: 0n,
    openedSize: 0n,
    newEntryPriceWad: old.entryPriceWad,
  };
  if (sizeDelta !== 0n) {
    trade = simulateTrade(params, state.netSize, old, sizeDelta, priceWad, input.acceptablePrice);
    marginUsd = int256(marginUsd + int256(trade.realizedPnlUsd - toInt256(trade.feeUsd)));
    vaultCashDeltaUsd = int256(
      vaultCashDeltaUsd + int256(toInt256(uint256(trade.feeUsd - trade.insuranceFeeUsd)) - trade.realizedPnlUsd),
    );
  }

  // _moveMarginOut
  if (marginDelta < 0n) {
    const removedUsd = toUint256(-marginDelta);
    if (marginUsd < toInt256(removedUsd)) {
      throw new EngineRevertError("InsufficientPositionMargin", { marginUsd, requestedUsd: removedUsd });
    }
    marginUsd = int256(marginUsd - toInt256(removedUsd));
    freeBalanceDeltaUsd += removedUsd;
  }
  if (marginUsd < 0n) throw new EngineRevertError("PositionBankrupt", { marginAfterUsd: marginUsd });

  const newSize = int256(old.size + sizeDelta);
  const updated: Position = {
    size: newSize,
    entryPriceWad: trade.newEntryPriceWad,
    marginUsd: toUint256(marginUsd),
    fundingIndexSnapshotWad: state.fundingIndexWad,
    lossIndexSnapshotWad: lossIndexWad(state, newSize),
  };
  if (updated.size === 0n) {
    // Closed: all remaining margin returns to the free balance.
    freeBalanceDeltaUsd += updated.marginUsd;
    updated.marginUsd = 0n;
    updated.fundingIndexSnapshotWad = 0n;
  }
  return {
    position: updated,
    state: updateMarketTotals(state, old, updated, sizeDelta),
    trade,
    fundingPaidUsd,
    lossPaidUsd,
    vaultCashDeltaUsd,
    freeBalanceDeltaUsd,
  };
}

/**
 * The market aggregates after a position changed from `old` to `updated` by `sizeDelta`: net size, the
 * size × entry and size × funding-snapshot sums, open interest and the per-side size × loss-snapshot
 * sums. Mirrors `MarketLogic.updateMarketTotals` in contracts/libraries/MarketLogic.sol. Does not mutate
 * `state`.
 */
export function updateMarketTotals(
  state: MarketState,
  old: Position,
  updated: Position,
  sizeDelta: bigint,
): MarketState {
  const next = { ...state };
  next.netSize = int256(next.netSize + sizeDelta);
  next.sumSizeTimesEntry = int256(
    next.sumSizeTimesEntry +
      int256(int256(updated.size * toInt256(updated.entryPriceWad)) - int256(old.size * toInt256(old.entryPriceWad))),
  );
  next.sumSizeTimesFundingSnapshot = int256(
    next.sumSizeTimesFundingSnapshot +
      int256(int256(updated.size * updated.fundingIndexSnapshotWad) - int256(old.size * old.fundingIndexSnapshotWad)),
  );
  if (old.size > 0n) {
    next.longOpenInterest = uint256(next.longOpenInterest - toUint256(old.size));
    next.sumLongSizeTimesLossSnapshot = uint256(
      next.sumLongSizeTimesLossSnapshot - uint256(toUint256(old.size) * old.lossIndexSnapshotWad),
    );
  } else if (old.size < 0n) {
    const oldAbs = toUint256(int256(-old.size));
    next.shortOpenInterest = uint256(next.shortOpenInterest - oldAbs);
    next.sumShortSizeTimesLossSnapshot = uint256(
      next.sumShortSizeTimesLossSnapshot - uint256(oldAbs * old.lossIndexSnapshotWad),
    );
  }
  if (updated.size > 0n) {
    next.longOpenInterest = uint256(next.longOpenInterest + toUint256(updated.size));
    next.sumLongSizeTimesLossSnapshot = uint256(
      next.sumLongSizeTimesLossSnapshot + uint256(toUint256(updated.size) * updated.lossIndexSnapshotWad),
    );
  } else if (updated.size < 0n) {
    const updatedAbs = toUint256(int256(-updated.size));
    next.shortOpenInterest = uint256(next.shortOpenInterest + updatedAbs);
    next.sumShortSizeTimesLossSnapshot = uint256(
      next.sumShortSizeTimesLossSnapshot + uint256(updatedAbs * updated.lossIndexSnapshotWad),
    );
  }
  return next;
}

// ═════════════════════════════ VAULT ═════════════════════════════

/**
 * Value of the vault's implied position in one market (USD, 1e18): Σ size × (entry − price) +
 * Σ size × (fundingIndex − snapshot) + Σ |size| × (lossIndex − snapshot), all over traders, computed
 * exactly from the aggregates and rounded down (the vault claims at most the exact value). 0 when no
 * trader has a position. Mirrors `MarketLogic.vaultMarketValueUsd` in contracts/libraries/MarketLogic.sol;
 * pass the index from `currentFundingIndexWad`.
 */
export function vaultMarketValueUsd(state: MarketState, priceWad: bigint, fundingIndexWad: bigint): bigint {
  if (state.longOpenInterest === 0n && state.shortOpenInterest === 0n) return 0n;
  const lossReceivable = toInt256(
    uint256(
      uint256(
        uint256(uint256(state.longLossIndexWad * state.longOpenInterest) - state.sumLongSizeTimesLossSnapshot) +
          uint256(state.shortLossIndexWad * state.shortOpenInterest),
      ) - state.sumShortSizeTimesLossSnapshot,
    ),
  );
  const scaled = int256(
    int256(
      int256(
        int256(state.sumSizeTimesEntry - int256(state.netSize * toInt256(priceWad))) +
          int256(state.netSize * fundingIndexWad),
      ) - state.sumSizeTimesFundingSnapshot,
    ) + lossReceivable,
  );
  return divFloor(scaled, WAD_INT);
}

/** One listed market as `vaultEquityUsd` reads it. */
export interface VaultMarketInput {
  state: MarketState;
  params: MarketParams;
  /** The market's oracle price (USD per base unit, 1e18); its settlement price once settled. */
  priceWad: bigint;
  /** Settled (`settleMarket`): funding no longer accrues, the stored index is final. Default false. */
  isSettled?: boolean;
}

/**
 * Vault equity = cash + Σ markets of `vaultMarketValueUsd` at the funding index of `nowSeconds`. For
 * withdrawals (`forDeposit` false) each market's value is capped at 0 (gains excluded).
 * Mirrors `MarketLogic.vaultEquityUsd` (the engine's `vaultEquityUsd(forDeposit)` view) in
 * contracts/libraries/MarketLogic.sol.
 */
export function vaultEquityUsd(
  vaultCashUsd: bigint,
  markets: readonly VaultMarketInput[],
  nowSeconds: bigint,
  forDeposit: boolean,
): bigint {
  let equityUsd = vaultCashUsd;
  for (const market of markets) {
    const valueUsd =
      market.state.longOpenInterest === 0n && market.state.shortOpenInterest === 0n
        ? 0n
        : vaultMarketValueUsd(
            market.state,
            market.priceWad,
            market.isSettled
              ? market.state.fundingIndexWad
              : currentFundingIndexWad(market.state, market.params, market.priceWad, nowSeconds),
          );
    equityUsd = int256(equityUsd + (forDeposit ? valueUsd : min(valueUsd, 0n)));
  }
  return equityUsd;
}

/**
 * Withdrawal-side equity the vault must keep (USD, 1e18): the largest equity any market's exposure cap needs
 * (⌈|netSize × price| × BPS / maxVaultExposureBps⌉) plus Σ markets ⌈gross OI notional × vaultReserveBps / BPS⌉.
 * Markets without open interest are skipped (their price is not needed).
 * Mirrors `PerpEngine._vaultRequiredEquityUsd` (the `vaultRequiredEquityUsd` view).
 */
export function vaultRequiredEquityUsd(markets: readonly VaultMarketInput[]): bigint {
  let exposureNeedUsd = 0n;
  let reserveUsd = 0n;
  for (const { state, params, priceWad } of markets) {
    const grossOpenInterest = uint256(state.longOpenInterest + state.shortOpenInterest);
    if (grossOpenInterest === 0n) continue;
    const grossUsd = notionalUsd(grossOpenInterest, priceWad);
    reserveUsd = uint256(reserveUsd + divCeilU(uint256(grossUsd * params.vaultReserveBps), BPS));
    if (state.netSize === 0n) continue;
    const exposureUsd = notionalUsd(state.netSize, priceWad);
    const neededUsd = divCeilU(uint256(exposureUsd * BPS), params.maxVaultExposureBps);
    if (neededUsd > exposureNeedUsd) exposureNeedUsd = neededUsd;
  }
  return uint256(exposureNeedUsd + reserveUsd);
}

/**
 * The most the vault can pay LPs now (USD, 1e18): its cash, bounded by the withdrawal-side equity above
 * `vaultRequiredEquityUsd`; 0 when either is not positive.
 * Mirrors `PerpEngine.maxVaultWithdrawalUsd`.
 */
export function maxVaultWithdrawalUsd(
  vaultCashUsd: bigint,
  markets: readonly VaultMarketInput[],
  nowSeconds: bigint,
): bigint {
  const equityUsd = vaultEquityUsd(vaultCashUsd, markets, nowSeconds, false);
  const requiredUsd = vaultRequiredEquityUsd(markets);
  if (equityUsd <= requiredUsd || vaultCashUsd <= 0n) return 0n;
  const headroomUsd = equityUsd - requiredUsd;
  return headroomUsd < vaultCashUsd ? headroomUsd : vaultCashUsd;
}
