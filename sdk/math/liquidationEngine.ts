/**
 * One liquidation, end to end: what
 * [`contracts/liquidation/LiquidationLogic.sol`](../../contracts/liquidation/LiquidationLogic.sol) does to
 * the position, the market, the insurance fund, the vault's cash and the keeper's and trader's free
 * balances when `PerpEngine.liquidate` (or one entry of `liquidateMany`) runs — plus the engine's
 * `liquidationPrice` view. Built only from the one-to-one mirrors in `./positionMath`,
 * `./liquidationMath` and `./engineMath`, in the contract's operation order, so every amount equals the
 * contract's to the wei (checked against the `Liquidated` event and the engine's state by
 * `test/sdk/differential.test.ts`). The keeper bot uses it to predict outcomes without an `eth_call`.
 */
import { WAD, BPS } from "./constants";
import {
  accrueFunding,
  currentFundingIndexWad,
  lossIndexWad,
  netMarginUsd,
  owedUsd,
  updateMarketTotals,
} from "./engineMath";
import {
  adverseSlippageBps,
  executionPriceWad,
  liquidationPriceWad,
  partialCloseSizeAbs,
  penaltyUsd,
} from "./liquidationMath";
import { maintenanceRequirementUsd, notionalUsd, unrealizedPnlUsd } from "./positionMath";
import { abs, divCeilU, int256, toInt256, toUint256, uint256 } from "./signedMath";
import {
  EngineRevertError,
  PerpMathError,
  type MarginTier,
  type MarketParams,
  type MarketState,
  type Position,
} from "./types";

// ═════════════════════════════ types ═════════════════════════════

/** Inputs of `simulateLiquidation`: the market and the position as stored before the call. */
export interface LiquidationInput {
  params: MarketParams;
  tiers: readonly MarginTier[];
  /** The market state before the call (funding not yet accrued). */
  state: MarketState;
  /** The stored position (funding and socialized loss not yet settled). */
  position: Position;
  /** The oracle price of the transaction (USD per base unit, 1e18). */
  priceWad: bigint;
  /** The transaction's block timestamp. */
  nowSeconds: bigint;
  /** The insurance fund before the call (USD, 1e18). */
  insuranceFundUsd: bigint;
  /**
   * `adlConfig().maxSteps` of the engine (default 0: ADL disabled). The ADL queue walk
   * (`LiquidationLogic._autoDeleverage` → `AdlLogic.deleverage`) is not mirrored yet: when it is enabled
   * and a deficit exceeds the insurance fund, `simulateLiquidation` throws `AdlNotMirroredError` instead
   * of returning a wrong prediction.
   */
  adlMaxSteps?: bigint;
}

/**
 * Thrown by `simulateLiquidation` where the engine would run its ADL step (enabled ADL and a deficit the
 * insurance fund cannot cover): the outcome then depends on the ADL queue, which the SDK does not mirror.
 */
export class AdlNotMirroredError extends PerpMathError {
  constructor(details: { deficitUsd: bigint; insuranceBudgetUsd: bigint; adlMaxSteps: bigint }) {
    super("ADL step not mirrored by the SDK", details);
    this.name = "AdlNotMirroredError";
  }
}

/** Why a liquidation did not happen; names match `IPerpEngine.LiquidationSkipReason`. */
export type LiquidationSkipReason = "NoPosition" | "Healthy";

/** The `LossSocialized` event of a liquidation whose deficit reached step 3 of the waterfall. */
export interface LossSocialization {
  /** True when longs pay (a short went bankrupt). */
  chargedSideIsLong: boolean;
  /** The socialized amount (USD, 1e18). */
  amountUsd: bigint;
  /** Size the loss is spread over: traders on the charged side + the vault if it is on it. */
  openInterestCharged: bigint;
  /** The charged side's loss index afterwards (unchanged when `openInterestCharged` is 0). */
  lossIndexWad: bigint;
}

/**
 * Everything one liquidation computes (the fields of `LiquidationLogic.Liquidation`, same names) and
 * every balance it changes. All amounts USD 1e18 unless stated.
 */
export interface LiquidationResult {
  /** Equity < maintenance requirement at the oracle price after settling funding and socialized loss. */
  isLiquidatable: boolean;
  /** Set when not liquidatable: `liquidateMany` skips with this reason, `liquidate` reverts with `revert`. */
  skipReason?: LiquidationSkipReason;
  /** The error `liquidate` reverts with when not liquidatable (`NoPosition` / `PositionNotLiquidatable`). */
  revert?: EngineRevertError;
  /** Equity at the oracle price after settlement (0 for an empty position). */
  equityUsd: bigint;
  /** Maintenance requirement (tiered + keeper reward) at the oracle price (0 for an empty position). */
  maintenanceRequirementUsd: bigint;
  /** Funding settled (+ = paid by the position). */
  fundingPaidUsd: bigint;
  /** Socialized loss settled. */
  lossPaidUsd: bigint;
  /** `LiquidationMath.partialCloseSizeAbs` for this position (|size| when a full close is planned). */
  plannedCloseSizeAbs: bigint;
  /** True when the partial close was kept (the remainder is healthy and above the minimum margin). */
  isPartial: boolean;
  /** Size closed (sign of the position); the whole size unless `isPartial`. */
  closedSize: bigint;
  /** Execution price of the close (USD per base unit, 1e18). */
  executionPriceWad: bigint;
  /** PnL realised on the closed size at the execution price. */
  realizedPnlUsd: bigint;
  /** Penalty charged (capped at what is left after the keeper's flat reward). */
  penaltyUsd: bigint;
  /** The flat keeper reward paid from margin. */
  keeperFromMarginUsd: bigint;
  /** The keeper's share of the penalty. */
  keeperPenaltyUsd: bigint;
  /** The insurance fund's top-up of the flat keeper reward. */
  keeperTopUpUsd: bigint;
  /** keeperFromMarginUsd + keeperPenaltyUsd + keeperTopUpUsd (the event's `keeperRewardUsd`). */
  keeperRewardUsd: bigint;
  /** Margin left to the trader (kept in the position after a partial, credited to free balance after a full close). */
  remainingMarginUsd: bigint;
  /** D: how far the close left the margin below zero. */
  deficitUsd: bigint;
  /** The part of D left after the ADL step (== D while ADL places nothing); insurance, then socialization, cover it. */
  residualDeficitUsd: bigint;
  /** Part of D paid by the insurance fund. */
  insurancePaidUsd: bigint;
  /** Part of D absorbed by auto-deleveraging (always 0 here: see `LiquidationInput.adlMaxSteps`). */
  adlPaidUsd: bigint;
  /** Part of D socialized over the opposite side; insurance + adl + socialized == deficit. */
  socializedUsd: bigint;
  /** The `LossSocialized` event, when `socializedUsd` > 0. */
  socialization?: LossSocialization;
  /** The stored position afterwards (all zero after a full close; unchanged when not liquidatable). */
  position: Position;
  /** The market state afterwards (funding accrued even when not liquidatable, as `liquidateMany` leaves it). */
  state: MarketState;
  /** The insurance fund afterwards. */
  insuranceFundUsd: bigint;
  /** Change of `vaultCashUsd`: funding + loss − realised PnL − residual deficit + insurance paid. */
  vaultCashDeltaUsd: bigint;
  /** Credit to the trader's free balance (the remaining margin after a full close). */
  traderFreeCreditUsd: bigint;
  /** Credit to the keeper's free balance (= keeperRewardUsd). */
  keeperFreeCreditUsd: bigint;
}

// ═════════════════════════════ simulateLiquidation ═════════════════════════════

/**
 * What `liquidate(account, marketId)` does, given the stored state: accrue funding → settle funding and
 * socialized loss → health check → plan the close (partial if it leaves the position healthy, else full)
 * → pay the keeper and the penalty → waterfall (insurance budget → ADL → insurance → socialized) →
 * store. Mirrors `LiquidationLogic._liquidate` with `_planClose`, `_partialCloseSizeAbs`,
 * `_partialLeavesHealthy`, `_priceClose`, `_coverDeficitAndPay`, `_store` and `_socialize` in
 * contracts/liquidation/LiquidationLogic.sol. Never throws for a healthy or empty position: it returns
 * `isLiquidatable: false` with the `revert` that `liquidate` would raise; `liquidateMany` skips such an
 * entry but keeps the funding accrual, which `state` reflects. Throws `SolidityPanicError` where the
 * contract's checked arithmetic would panic, and `AdlNotMirroredError` where the engine would run its ADL
 * step (see `LiquidationInput.adlMaxSteps`); with ADL disabled (the default) every outcome is mirrored.
 * `AdlLogic.rekey` (the queue bookkeeping in `_store`) changes no state this function returns.
 */
export function simulateLiquidation(input: LiquidationInput): LiquidationResult {
  const { params, tiers, position, priceWad } = input;
  const state = accrueFunding(input.state, params, priceWad, input.nowSeconds);
  const unchanged = {
    plannedCloseSizeAbs: 0n,
    isPartial: false,
    closedSize: 0n,
    executionPriceWad: 0n,
    realizedPnlUsd: 0n,
    penaltyUsd: 0n,
    keeperFromMarginUsd: 0n,
    keeperPenaltyUsd: 0n,
    keeperTopUpUsd: 0n,
    keeperRewardUsd: 0n,
    remainingMarginUsd: 0n,
    deficitUsd: 0n,
    residualDeficitUsd: 0n,
    insurancePaidUsd: 0n,
    adlPaidUsd: 0n,
    socializedUsd: 0n,
    position,
    state,
    insuranceFundUsd: input.insuranceFundUsd,
    vaultCashDeltaUsd: 0n,
    traderFreeCreditUsd: 0n,
    keeperFreeCreditUsd: 0n,
  };
  if (position.size === 0n) {
    return {
      ...unchanged,
      isLiquidatable: false,
      skipReason: "NoPosition",
      revert: new EngineRevertError("NoPosition", {}),
      equityUsd: 0n,
      maintenanceRequirementUsd: 0n,
      fundingPaidUsd: 0n,
      lossPaidUsd: 0n,
    };
  }

  const { fundingOwedUsd: fundingPaidUsd, lossOwedUsd: lossPaidUsd } = owedUsd(state, position, state.fundingIndexWad);
  const settledMarginUsd = int256(int256(toInt256(position.marginUsd) - fundingPaidUsd) - toInt256(lossPaidUsd));
  const equityUsd = int256(settledMarginUsd + unrealizedPnlUsd(position.size, position.entryPriceWad, priceWad));
  const maintenanceUsd = maintenanceRequirementUsd(tiers, notionalUsd(position.size, priceWad), params.keeperRewardUsd);
  if (equityUsd >= toInt256(maintenanceUsd)) {
    return {
      ...unchanged,
      isLiquidatable: false,
      skipReason: "Healthy",
      revert: new EngineRevertError("PositionNotLiquidatable", {
        equityUsd,
        maintenanceRequirementUsd: maintenanceUsd,
      }),
      equityUsd,
      maintenanceRequirementUsd: maintenanceUsd,
      fundingPaidUsd,
      lossPaidUsd,
    };
  }

  // _planClose
  const sizeAbs = abs(position.size);
  const plannedCloseSizeAbs = partialCloseSize(
    params,
    state.netSize,
    position.size,
    priceWad,
    equityUsd,
    maintenanceUsd,
  );
  let close: PricedClose | undefined;
  if (plannedCloseSizeAbs < sizeAbs) {
    const closedSize = position.size > 0n ? plannedCloseSizeAbs : -plannedCloseSizeAbs;
    const partial = priceClose(params, state.netSize, position, priceWad, closedSize, settledMarginUsd);
    if (partialLeavesHealthy(tiers, params, position, priceWad, partial)) close = partial;
  }
  const isPartial = close !== undefined;
  close ??= priceClose(params, state.netSize, position, priceWad, position.size, settledMarginUsd);

  // _coverDeficitAndPay
  let fundUsd = input.insuranceFundUsd;
  let keeperTopUpUsd = 0n;
  let insurancePaidUsd = 0n;
  let socializedUsd = 0n;
  const shortfallUsd = uint256(params.keeperRewardUsd - close.keeperFromMarginUsd);
  if (shortfallUsd !== 0n && fundUsd !== 0n) {
    keeperTopUpUsd = shortfallUsd < fundUsd ? shortfallUsd : fundUsd;
    fundUsd = uint256(fundUsd - keeperTopUpUsd);
  }
  const residualDeficitUsd = close.deficitUsd;
  if (close.deficitUsd !== 0n) {
    const insuranceBudgetUsd = close.deficitUsd < fundUsd ? close.deficitUsd : fundUsd;
    const adlMaxSteps = input.adlMaxSteps ?? 0n;
    if (insuranceBudgetUsd < close.deficitUsd && adlMaxSteps !== 0n) {
      throw new AdlNotMirroredError({ deficitUsd: close.deficitUsd, insuranceBudgetUsd, adlMaxSteps });
    }
    insurancePaidUsd = residualDeficitUsd < fundUsd ? residualDeficitUsd : fundUsd;
    fundUsd = uint256(fundUsd - insurancePaidUsd);
    socializedUsd = uint256(residualDeficitUsd - insurancePaidUsd);
  }
  const adlPaidUsd = uint256(close.deficitUsd - residualDeficitUsd);
  const fundPenaltyUsd = uint256(close.penaltyUsd - close.keeperPenaltyUsd);
  fundUsd = uint256(fundUsd + fundPenaltyUsd);

  // _store
  const newSize = int256(position.size - close.closedSize);
  let updated: Position = {
    size: 0n,
    entryPriceWad: 0n,
    marginUsd: 0n,
    fundingIndexSnapshotWad: 0n,
    lossIndexSnapshotWad: 0n,
  };
  let traderFreeCreditUsd = 0n;
  if (newSize !== 0n) {
    updated = {
      size: newSize,
      entryPriceWad: position.entryPriceWad,
      marginUsd: close.remainingMarginUsd,
      fundingIndexSnapshotWad: state.fundingIndexWad,
      lossIndexSnapshotWad: lossIndexWad(state, newSize),
    };
  } else {
    traderFreeCreditUsd = close.remainingMarginUsd;
  }
  // Socialized over the opposite side as it stood when the position went bankrupt (before the totals drop it).
  let nextState = state;
  let socialization: LossSocialization | undefined;
  if (socializedUsd !== 0n) ({ state: nextState, socialization } = socialize(state, position.size, socializedUsd));
  nextState = updateMarketTotals(nextState, position, updated, int256(-close.closedSize));
  const vaultCashDeltaUsd = int256(
    int256(
      int256(int256(fundingPaidUsd + toInt256(lossPaidUsd)) - close.realizedPnlUsd) - toInt256(residualDeficitUsd),
    ) + toInt256(insurancePaidUsd),
  );
  const keeperRewardUsd = uint256(uint256(close.keeperFromMarginUsd + close.keeperPenaltyUsd) + keeperTopUpUsd);

  return {
    isLiquidatable: true,
    equityUsd,
    maintenanceRequirementUsd: maintenanceUsd,
    fundingPaidUsd,
    lossPaidUsd,
    plannedCloseSizeAbs,
    isPartial,
    ...close,
    keeperTopUpUsd,
    keeperRewardUsd,
    residualDeficitUsd,
    insurancePaidUsd,
    adlPaidUsd,
    socializedUsd,
    socialization,
    position: updated,
    state: nextState,
    insuranceFundUsd: fundUsd,
    vaultCashDeltaUsd,
    traderFreeCreditUsd,
    keeperFreeCreditUsd: keeperRewardUsd,
  };
}

// ═════════════════════════════ liquidationPrice view ═════════════════════════════

/**
 * The engine's `liquidationPrice(account, marketId)` view: the closed-form `liquidationPriceWad` of the
 * position with what it owes at `nowSeconds` (funding at the current index, socialized loss at its side's
 * index) folded into its margin; 0 for an empty position. Mirrors `LiquidationLogic.liquidationPriceWad`
 * in contracts/liquidation/LiquidationLogic.sol.
 * @param priceWad The oracle price the view reads (it values the funding accrued since the last accrual).
 * @param nowSeconds The latest block's timestamp (where `eth_call` runs).
 */
export function liquidationPrice(
  state: MarketState,
  params: MarketParams,
  tiers: readonly MarginTier[],
  position: Position,
  priceWad: bigint,
  nowSeconds: bigint,
): bigint {
  if (position.size === 0n) return 0n;
  const fundingIndexWad = currentFundingIndexWad(state, params, priceWad, nowSeconds);
  return liquidationPriceWad(
    position.size,
    position.entryPriceWad,
    netMarginUsd(state, position, fundingIndexWad),
    tiers,
    params.keeperRewardUsd,
  );
}

// ═════════════════════════════ private steps ═════════════════════════════

/** A priced close: the fields `_priceClose` sets. */
interface PricedClose {
  closedSize: bigint;
  executionPriceWad: bigint;
  realizedPnlUsd: bigint;
  keeperFromMarginUsd: bigint;
  penaltyUsd: bigint;
  keeperPenaltyUsd: bigint;
  remainingMarginUsd: bigint;
  deficitUsd: bigint;
}

/** Mirrors `LiquidationLogic._partialCloseSizeAbs`: cost = penalty + adverse slippage of a full close. */
function partialCloseSize(
  params: MarketParams,
  skew: bigint,
  size: bigint,
  priceWad: bigint,
  equityUsd: bigint,
  maintenanceUsd: bigint,
): bigint {
  const fullCloseFillWad = executionPriceWad(
    priceWad,
    skew,
    int256(-size),
    params.skewScale,
    params.maxLiquidationSlippageBps,
  );
  const slippageBps = adverseSlippageBps(priceWad, fullCloseFillWad, size > 0n);
  return partialCloseSizeAbs(
    abs(size),
    equityUsd,
    uint256(maintenanceUsd - params.keeperRewardUsd),
    params.keeperRewardUsd,
    notionalUsd(size, priceWad),
    params.liquidationBufferBps,
    uint256(slippageBps + params.liquidationPenaltyBps),
  );
}

/**
 * Mirrors `LiquidationLogic._priceClose`: closes `closedSize` against the vault at the bounded execution
 * price and splits the margin left after the realised PnL — flat keeper reward first, then the penalty
 * (capped at what is left), then the trader. A negative result is the deficit.
 */
function priceClose(
  params: MarketParams,
  skew: bigint,
  position: Position,
  priceWad: bigint,
  closedSize: bigint,
  settledMarginUsd: bigint,
): PricedClose {
  const execution = executionPriceWad(
    priceWad,
    skew,
    int256(-closedSize),
    params.skewScale,
    params.maxLiquidationSlippageBps,
  );
  const realizedPnlUsd = unrealizedPnlUsd(closedSize, position.entryPriceWad, execution);
  const afterCloseUsd = int256(settledMarginUsd + realizedPnlUsd);
  const priced: PricedClose = {
    closedSize,
    executionPriceWad: execution,
    realizedPnlUsd,
    keeperFromMarginUsd: 0n,
    penaltyUsd: 0n,
    keeperPenaltyUsd: 0n,
    remainingMarginUsd: 0n,
    deficitUsd: 0n,
  };
  if (afterCloseUsd < 0n) {
    priced.deficitUsd = toUint256(int256(-afterCloseUsd));
    return priced;
  }
  let leftUsd = toUint256(afterCloseUsd);
  priced.keeperFromMarginUsd = leftUsd < params.keeperRewardUsd ? leftUsd : params.keeperRewardUsd;
  leftUsd = uint256(leftUsd - priced.keeperFromMarginUsd);
  const penalty = penaltyUsd(closedSize, execution, params.liquidationPenaltyBps);
  priced.penaltyUsd = penalty < leftUsd ? penalty : leftUsd;
  priced.keeperPenaltyUsd = uint256(priced.penaltyUsd * params.keeperPenaltyShareBps) / BPS;
  priced.remainingMarginUsd = uint256(leftUsd - priced.penaltyUsd);
  return priced;
}

/**
 * Mirrors `LiquidationLogic._partialLeavesHealthy`: no deficit, the keeper paid in full from margin, at
 * least the minimum margin left, and the remainder healthy at the oracle price.
 */
function partialLeavesHealthy(
  tiers: readonly MarginTier[],
  params: MarketParams,
  position: Position,
  priceWad: bigint,
  close: PricedClose,
): boolean {
  if (close.deficitUsd !== 0n || close.keeperFromMarginUsd !== params.keeperRewardUsd) return false;
  if (close.remainingMarginUsd < params.minPositionMarginUsd) return false;
  const remainingSize = int256(position.size - close.closedSize);
  const remainingEquityUsd = int256(
    toInt256(close.remainingMarginUsd) + unrealizedPnlUsd(remainingSize, position.entryPriceWad, priceWad),
  );
  const remainingMaintenanceUsd = maintenanceRequirementUsd(
    tiers,
    notionalUsd(remainingSize, priceWad),
    params.keeperRewardUsd,
  );
  return remainingEquityUsd >= toInt256(remainingMaintenanceUsd);
}

/**
 * Mirrors `LiquidationLogic._socialize`: raises the charged side's loss index by
 * ceil(amount · 1e18 / openInterest), the vault counting toward that side's open interest when it is on
 * it (it bears its own share); with nobody on that side the index is unchanged (the vault bears it all).
 * As in `_store`, `state` still holds the bankrupt position (the totals are updated afterwards), so the
 * vault counts with the size it held against that position before taking it over.
 */
function socialize(
  state: MarketState,
  bankruptSize: bigint,
  amountUsd: bigint,
): { state: MarketState; socialization: LossSocialization } {
  const chargeLongs = bankruptSize < 0n;
  const netSize = state.netSize;
  const vaultOnSide = chargeLongs
    ? netSize < 0n
      ? toUint256(int256(-netSize))
      : 0n
    : netSize > 0n
      ? toUint256(netSize)
      : 0n;
  const openInterest = uint256((chargeLongs ? state.longOpenInterest : state.shortOpenInterest) + vaultOnSide);
  let indexWad = chargeLongs ? state.longLossIndexWad : state.shortLossIndexWad;
  const next = { ...state };
  if (openInterest !== 0n) {
    indexWad = uint256(indexWad + divCeilU(uint256(amountUsd * WAD), openInterest));
    if (chargeLongs) next.longLossIndexWad = indexWad;
    else next.shortLossIndexWad = indexWad;
  }
  return {
    state: next,
    socialization: {
      chargedSideIsLong: chargeLongs,
      amountUsd,
      openInterestCharged: openInterest,
      lossIndexWad: indexWad,
    },
  };
}
