/**
 * One liquidation, end to end: what
 * [`contracts/liquidation/LiquidationLogic.sol`](../../contracts/liquidation/LiquidationLogic.sol) does to
 * the position, the ADL counterparties, the market, the insurance fund, the vault's cash and the keeper's and
 * trader's free balances when `PerpEngine.liquidate` (or one entry of `liquidateMany`) runs — the whole loss
 * waterfall (insurance → ADL walk → insurance → the vault up to its equity → socialization over the opposite
 * traders) — plus the engine's `liquidationPrice` view. Built only from the one-to-one mirrors in
 * `./positionMath`, `./liquidationMath`, `./engineMath` and `../adl` (the queue and the walk), in the
 * contract's operation order, so every amount equals the contract's to the wei (checked against the
 * `Liquidated`, `Deleveraged` and `LossSocialized` events and the engine's state by
 * test/sdk/engineSequences.test.ts and the fuzz suite). The keeper bot uses it to predict outcomes without an
 * `eth_call`.
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
  type AdlConfig,
  type MarginTier,
  type MarketParams,
  type MarketState,
  type Position,
} from "./types";
import { bankruptcyPriceFromSettledMarginWad } from "../adl/adlMath";
import {
  AdlBook,
  deleverage,
  vaultEquityWith,
  type DeleveragedEvent,
  type TouchedPosition,
  type VaultInput,
} from "../adl/adlExecution";
import type { AdlQueueMember } from "../adl/adlQueue";

// ═════════════════════════════ types ═════════════════════════════

/** Inputs of `simulateLiquidation`: who, the market, the position and everything the waterfall may read. */
export interface LiquidationInput {
  /** The liquidated account (the `Liquidated` event's `account`). */
  account: string;
  /** The market id (bytes32 hex), for the events. */
  marketId: string;
  /** The caller of `liquidate` (the `Liquidated` event's `keeper`). */
  keeper: string;
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
  /** `adlConfig()` of the engine (maxSteps 0 disables ADL). */
  adlConfig: AdlConfig;
  /**
   * The ADL queue of the side opposite the position (shorts for a long) as the engine holds it: every member's
   * stored position and insertion order (see `AdlQueueMember`; `orderAdlQueue` gives the walking order). Read
   * only when the ADL step runs (a deficit the insurance fund cannot cover, ADL enabled).
   */
  oppositeQueue: readonly AdlQueueMember[];
  /**
   * The vault's cash and every other listed market (a null price = invalid now). Read only when a deficit is
   * left after the fund and ADL: the vault absorbs it up to its equity.
   */
  vault: VaultInput;
}

/** Why a liquidation did not happen; names match `IPerpEngine.LiquidationSkipReason`. */
export type LiquidationSkipReason = "NoPosition" | "Healthy";

/** The `LossSocialized` event of a liquidation whose deficit exceeded the vault's equity. */
export interface LossSocialization {
  /** True when longs pay (a short went bankrupt). */
  chargedSideIsLong: boolean;
  /** The socialized amount (USD, 1e18). */
  amountUsd: bigint;
  /** The charged side's traders' open interest after the liquidation (the vault is not charged). */
  openInterestCharged: bigint;
  /** The charged side's loss index afterwards. */
  lossIndexWad: bigint;
}

/** The `Liquidated` event (IPerpEngine.sol), field by field. */
export interface LiquidatedEvent {
  account: string;
  marketId: string;
  keeper: string;
  closedSize: bigint;
  executionPriceWad: bigint;
  remainingSize: bigint;
  /** Margin left in the position (0 after a full liquidation). */
  remainingMarginUsd: bigint;
  penaltyUsd: bigint;
  keeperRewardUsd: bigint;
  deficitUsd: bigint;
  insurancePaidUsd: bigint;
  adlPaidUsd: bigint;
  vaultPaidUsd: bigint;
  socializedUsd: bigint;
}

/** An insurance-fund event of a liquidation: the amount and the fund's balance right after it. */
export interface InsuranceMovement {
  amountUsd: bigint;
  insuranceFundUsd: bigint;
}

/**
 * How the part of the deficit the fund and ADL left (`restUsd`) was split (`LiquidationLogic._splitRest`):
 * - "noOppositeTraders": nobody else holds the opposite side, the vault bears it all;
 * - "priceInvalid": some market with open interest has no valid price, the vault cannot be valued, all of it
 *   is socialized (conservative);
 * - "vaultEquity": the vault absorbs up to its equity measured after the liquidation's books.
 */
export type RestSplitRule = "noOppositeTraders" | "priceInvalid" | "vaultEquity";

/**
 * Everything one liquidation computes (the fields of `LiquidationLogic.Liquidation`, same names), every event
 * and every balance it changes. All amounts USD 1e18 unless stated.
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
  /** Execution price of the vault's part of the close: its exact skew fill (USD per base unit, 1e18). */
  executionPriceWad: bigint;
  /** PnL realised on the closed size (the ADL'd part at the bankruptcy price, the rest at the execution price). */
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
  /** D: how far the close at the execution price left the margin below zero. */
  deficitUsd: bigint;
  /** The part of D left after the ADL step (== D while ADL places nothing). */
  residualDeficitUsd: bigint;
  /** Part of D paid by the insurance fund. */
  insurancePaidUsd: bigint;
  /** Part of D absorbed by auto-deleveraged counterparties (D − residual). */
  adlPaidUsd: bigint;
  /** Part of D absorbed by the vault (up to its equity). */
  vaultPaidUsd: bigint;
  /** Part of D socialized over the opposite traders; insurance + adl + vault + socialized == deficit. */
  socializedUsd: bigint;
  /** The bankruptcy price the ADL step used (0 when it did not run or B was not positive). */
  bankruptcyPriceWad: bigint;
  /** Size the ADL step tried to place, ⌊|size| × (D − I) / D⌋ (0 when it did not run). */
  adlTargetAbs: bigint;
  /** Size the ADL walk placed with counterparties. */
  adlPlacedAbs: bigint;
  /** How the rest after the fund and ADL was split (absent when nothing was left). */
  restSplitRule?: RestSplitRule;
  /** The vault's deposit-side equity measured after the books, when the "vaultEquity" rule valued it. */
  vaultEquityAfterBooksUsd?: bigint;
  /** The `InsuranceKeeperTopUp` event. */
  insuranceKeeperTopUp?: InsuranceMovement;
  /** One `Deleveraged` event per ADL counterparty, in order. */
  deleveraged: DeleveragedEvent[];
  /** The `InsuranceDeficitPaid` event. */
  insuranceDeficitPaid?: InsuranceMovement;
  /** The `InsurancePenaltyCredited` event. */
  insurancePenaltyCredited?: InsuranceMovement;
  /** The `LossSocialized` event, when `socializedUsd` > 0. */
  socialization?: LossSocialization;
  /** The `Liquidated` event, when liquidatable. */
  liquidated?: LiquidatedEvent;
  /** The liquidated position afterwards (all zero after a full close; unchanged when not liquidatable). */
  position: Position;
  /**
   * Every position the call changed — ADL counterparties in walk order, then the liquidated one — before and
   * after, with free-balance credits and whether each is queued again (at the tail of its tick, in this order).
   */
  touched: TouchedPosition[];
  /** The market state afterwards (funding accrued even when not liquidatable, as `liquidateMany` leaves it). */
  state: MarketState;
  /** The insurance fund afterwards. */
  insuranceFundUsd: bigint;
  /** Change of `vaultCashUsd`: the counterparties' settlements and −PnL, then funding + loss − realised PnL −
   * residual deficit + insurance paid of the liquidated position. */
  vaultCashDeltaUsd: bigint;
  /** Credit to the trader's free balance (the remaining margin after a full close). */
  traderFreeCreditUsd: bigint;
  /** Credit to the keeper's free balance (= keeperRewardUsd). */
  keeperFreeCreditUsd: bigint;
}

// ═════════════════════════════ simulateLiquidation ═════════════════════════════

/**
 * What `liquidate(account, marketId)` does, given the stored state: accrue funding → settle funding and
 * socialized loss → health check → plan the close (partial if it leaves the position healthy, else full, at the
 * exact skew fill) → keeper top-up → insurance budget I = min(D, fund) → ADL of ⌊|size|·(D − I)/D⌋ at the
 * bankruptcy price against the opposite queue → insurance pays the residual up to its balance → penalty share to
 * the fund → books → the vault absorbs the rest up to its equity, only the excess is socialized over the opposite
 * traders. Mirrors `LiquidationLogic._liquidate` with `_planClose`, `_partialCloseSizeAbs`,
 * `_partialLeavesHealthy`, `_priceClose`, `_coverDeficitAndPay`, `_autoDeleverage`, `_bankruptcyPriceWad`,
 * `_store`, `_splitRest`, `_tryVaultEquityUsd` and `_socialize` in contracts/liquidation/LiquidationLogic.sol,
 * and the walk of `AdlLogic.deleverage` (../adl/adlExecution). Never throws for a healthy or empty position: it
 * returns `isLiquidatable: false` with the `revert` that `liquidate` would raise; `liquidateMany` skips such an
 * entry but keeps the funding accrual, which `state` reflects. Throws `SolidityPanicError` where the contract's
 * checked arithmetic would panic and `AdlQueueInputError` for a queue the engine could not hold. The maintenance
 * requirement is the target schedule's (a maintenance ramp in progress is not mirrored).
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
    vaultPaidUsd: 0n,
    socializedUsd: 0n,
    bankruptcyPriceWad: 0n,
    adlTargetAbs: 0n,
    adlPlacedAbs: 0n,
    deleveraged: [],
    position,
    touched: [],
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
    const closedSize = position.size > 0n ? plannedCloseSizeAbs : int256(-plannedCloseSizeAbs);
    const partial = priceClose(params, state.netSize, position, priceWad, closedSize, settledMarginUsd);
    if (partialLeavesHealthy(tiers, params, position, priceWad, partial)) close = partial;
  }
  const isPartial = close !== undefined;
  close ??= priceClose(params, state.netSize, position, priceWad, position.size, settledMarginUsd);

  // _coverDeficitAndPay
  let fundUsd = input.insuranceFundUsd;
  let keeperTopUpUsd = 0n;
  let insuranceKeeperTopUp: InsuranceMovement | undefined;
  const shortfallUsd = uint256(params.keeperRewardUsd - close.keeperFromMarginUsd);
  if (shortfallUsd !== 0n && fundUsd !== 0n) {
    keeperTopUpUsd = shortfallUsd < fundUsd ? shortfallUsd : fundUsd;
    fundUsd = uint256(fundUsd - keeperTopUpUsd);
    insuranceKeeperTopUp = { amountUsd: keeperTopUpUsd, insuranceFundUsd: fundUsd };
  }
  const book = AdlBook.withQueue(
    input.marketId,
    params,
    state,
    input.oppositeQueue,
    position.size < 0n,
    input.adlConfig.minQueueNotionalUsd,
  );
  const adl: AdlOutcome = {
    realizedPnlUsd: close.realizedPnlUsd,
    residualDeficitUsd: close.deficitUsd,
    remainingMarginUsd: close.remainingMarginUsd,
    bankruptcyPriceWad: 0n,
    targetAbs: 0n,
    placedAbs: 0n,
  };
  let insurancePaidUsd = 0n;
  let insuranceDeficitPaid: InsuranceMovement | undefined;
  if (close.deficitUsd !== 0n) {
    const insuranceBudgetUsd = close.deficitUsd < fundUsd ? close.deficitUsd : fundUsd;
    if (insuranceBudgetUsd < close.deficitUsd && input.adlConfig.maxSteps !== 0n) {
      autoDeleverage(input, book, close, settledMarginUsd, insuranceBudgetUsd, adl);
    }
    insurancePaidUsd = adl.residualDeficitUsd < fundUsd ? adl.residualDeficitUsd : fundUsd;
    if (insurancePaidUsd !== 0n) {
      fundUsd = uint256(fundUsd - insurancePaidUsd);
      insuranceDeficitPaid = { amountUsd: insurancePaidUsd, insuranceFundUsd: fundUsd };
    }
  }
  const adlPaidUsd = uint256(close.deficitUsd - adl.residualDeficitUsd);
  let insurancePenaltyCredited: InsuranceMovement | undefined;
  const fundPenaltyUsd = uint256(close.penaltyUsd - close.keeperPenaltyUsd);
  if (fundPenaltyUsd !== 0n) {
    fundUsd = uint256(fundUsd + fundPenaltyUsd);
    insurancePenaltyCredited = { amountUsd: fundPenaltyUsd, insuranceFundUsd: fundUsd };
  }

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
      marginUsd: adl.remainingMarginUsd,
      fundingIndexSnapshotWad: book.state.fundingIndexWad,
      lossIndexSnapshotWad: lossIndexWad(book.state, newSize),
    };
  } else {
    traderFreeCreditUsd = adl.remainingMarginUsd;
  }
  // The ADL'd part moved to the counterparties (already booked), so only the rest leaves Σ sizes.
  book.state = updateMarketTotals(book.state, position, updated, int256(-close.closedSize));
  book.record(input.account, position, updated, traderFreeCreditUsd);
  book.vaultCashDeltaUsd = int256(
    book.vaultCashDeltaUsd +
      int256(
        int256(
          int256(int256(fundingPaidUsd + toInt256(lossPaidUsd)) - adl.realizedPnlUsd) -
            toInt256(adl.residualDeficitUsd),
        ) + toInt256(insurancePaidUsd),
      ),
  );
  const keeperRewardUsd = uint256(uint256(close.keeperFromMarginUsd + close.keeperPenaltyUsd) + keeperTopUpUsd);
  const restUsd = uint256(adl.residualDeficitUsd - insurancePaidUsd);
  const split = restUsd === 0n ? undefined : splitRest(input, book, position.size, restUsd);
  if (split && split.socializedUsd !== 0n) book.state = split.stateAfter;

  const vaultPaidUsd = split?.vaultPaidUsd ?? 0n;
  const socializedUsd = split?.socializedUsd ?? 0n;
  return {
    isLiquidatable: true,
    equityUsd,
    maintenanceRequirementUsd: maintenanceUsd,
    fundingPaidUsd,
    lossPaidUsd,
    plannedCloseSizeAbs,
    isPartial,
    closedSize: close.closedSize,
    executionPriceWad: close.executionPriceWad,
    realizedPnlUsd: adl.realizedPnlUsd,
    penaltyUsd: close.penaltyUsd,
    keeperFromMarginUsd: close.keeperFromMarginUsd,
    keeperPenaltyUsd: close.keeperPenaltyUsd,
    keeperTopUpUsd,
    keeperRewardUsd,
    remainingMarginUsd: adl.remainingMarginUsd,
    deficitUsd: close.deficitUsd,
    residualDeficitUsd: adl.residualDeficitUsd,
    insurancePaidUsd,
    adlPaidUsd,
    vaultPaidUsd,
    socializedUsd,
    bankruptcyPriceWad: adl.bankruptcyPriceWad,
    adlTargetAbs: adl.targetAbs,
    adlPlacedAbs: adl.placedAbs,
    restSplitRule: split?.rule,
    vaultEquityAfterBooksUsd: split?.vaultEquityUsd,
    insuranceKeeperTopUp,
    deleveraged: book.deleveraged,
    insuranceDeficitPaid,
    insurancePenaltyCredited,
    socialization: split?.socialization,
    liquidated: {
      account: input.account,
      marketId: input.marketId,
      keeper: input.keeper,
      closedSize: close.closedSize,
      executionPriceWad: close.executionPriceWad,
      remainingSize: newSize,
      remainingMarginUsd: newSize === 0n ? 0n : adl.remainingMarginUsd,
      penaltyUsd: close.penaltyUsd,
      keeperRewardUsd,
      deficitUsd: close.deficitUsd,
      insurancePaidUsd,
      adlPaidUsd,
      vaultPaidUsd,
      socializedUsd,
    },
    position: updated,
    touched: book.touched(),
    state: book.state,
    insuranceFundUsd: fundUsd,
    vaultCashDeltaUsd: book.vaultCashDeltaUsd,
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

/** What the ADL step changed in the liquidation (`_autoDeleverage` writes these fields of `liq`). */
interface AdlOutcome {
  realizedPnlUsd: bigint;
  residualDeficitUsd: bigint;
  remainingMarginUsd: bigint;
  bankruptcyPriceWad: bigint;
  targetAbs: bigint;
  placedAbs: bigint;
}

/**
 * `LiquidationLogic._autoDeleverage` (DESIGN §8 step 2): the fraction (D − I)/D of the bankrupt size is closed
 * against the opposite queue at the bankruptcy price B (rounded against the bankrupt trader); the rest closes
 * against the vault at the execution price. Size the walk cannot place stays with the vault part.
 */
function autoDeleverage(
  input: LiquidationInput,
  book: AdlBook,
  close: PricedClose,
  settledMarginUsd: bigint,
  insuranceBudgetUsd: bigint,
  out: AdlOutcome,
): void {
  const { position } = input;
  const sizeAbs = abs(position.size);
  const bankruptcyPriceWad = bankruptcyPriceFromSettledMarginWad(position, settledMarginUsd);
  if (bankruptcyPriceWad === 0n) return;
  out.bankruptcyPriceWad = bankruptcyPriceWad;
  out.targetAbs = uint256(sizeAbs * uint256(close.deficitUsd - insuranceBudgetUsd)) / close.deficitUsd;
  out.placedAbs = deleverage(book, position.size, bankruptcyPriceWad, input.priceWad, out.targetAbs, input.adlConfig);
  if (out.placedAbs === 0n) return;
  const placedSize = position.size > 0n ? out.placedAbs : int256(-out.placedAbs);
  out.realizedPnlUsd = int256(
    unrealizedPnlUsd(placedSize, position.entryPriceWad, bankruptcyPriceWad) +
      unrealizedPnlUsd(int256(position.size - placedSize), position.entryPriceWad, close.executionPriceWad),
  );
  const afterCloseUsd = int256(settledMarginUsd + out.realizedPnlUsd);
  if (afterCloseUsd >= 0n) {
    // Only rounding can leave the trader a few wei; they are the trader's.
    out.residualDeficitUsd = 0n;
    out.remainingMarginUsd = toUint256(afterCloseUsd);
  } else {
    out.residualDeficitUsd = toUint256(int256(-afterCloseUsd));
  }
}

/** `LiquidationLogic._splitRest` then `_socialize`. */
function splitRest(
  input: LiquidationInput,
  book: AdlBook,
  bankruptSize: bigint,
  restUsd: bigint,
): {
  rule: RestSplitRule;
  vaultPaidUsd: bigint;
  socializedUsd: bigint;
  vaultEquityUsd?: bigint;
  socialization?: LossSocialization;
  stateAfter: MarketState;
} {
  const state = book.state;
  const oppositeTradersSize = bankruptSize > 0n ? state.shortOpenInterest : state.longOpenInterest;
  if (oppositeTradersSize === 0n) {
    return { rule: "noOppositeTraders", vaultPaidUsd: restUsd, socializedUsd: 0n, stateAfter: state };
  }
  const valued = !input.vault.otherMarkets.some(
    (m) => m.state.longOpenInterest + m.state.shortOpenInterest !== 0n && m.priceWad === null,
  );
  let rule: RestSplitRule = "priceInvalid";
  let vaultEquityUsd: bigint | undefined;
  let socializedUsd = restUsd;
  if (valued) {
    rule = "vaultEquity";
    vaultEquityUsd = vaultEquityWith(input.vault, input, state, book.vaultCashDeltaUsd, input.nowSeconds);
    if (vaultEquityUsd >= 0n)
      return { rule, vaultPaidUsd: restUsd, socializedUsd: 0n, vaultEquityUsd, stateAfter: state };
    const shortfallUsd = toUint256(int256(-vaultEquityUsd));
    socializedUsd = shortfallUsd < restUsd ? shortfallUsd : restUsd;
  }
  const { state: stateAfter, socialization } = socialize(state, bankruptSize, socializedUsd);
  return {
    rule,
    vaultPaidUsd: uint256(restUsd - socializedUsd),
    socializedUsd,
    vaultEquityUsd,
    socialization,
    stateAfter,
  };
}

/**
 * `LiquidationLogic._socialize`: raises the opposite traders' loss index by ceil(amount · 1e18 / their open
 * interest) so that they owe at least the amount (the vault, which has no equity left to give, is not charged).
 */
function socialize(
  state: MarketState,
  bankruptSize: bigint,
  amountUsd: bigint,
): { state: MarketState; socialization: LossSocialization } {
  const chargeLongs = bankruptSize < 0n;
  const openInterest = chargeLongs ? state.longOpenInterest : state.shortOpenInterest;
  const indexWad = uint256(
    (chargeLongs ? state.longLossIndexWad : state.shortLossIndexWad) + divCeilU(uint256(amountUsd * WAD), openInterest),
  );
  const next = { ...state };
  if (chargeLongs) next.longLossIndexWad = indexWad;
  else next.shortLossIndexWad = indexWad;
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
  const fullCloseFillWad = executionPriceWad(priceWad, skew, int256(-size), params.skewScale);
  const slippageBps = adverseSlippageBps(priceWad, fullCloseFillWad, size > 0n);
  return partialCloseSizeAbs(
    abs(size),
    equityUsd,
    // During a keeper-reward ramp the requirement may hold less than the new reward.
    maintenanceUsd > params.keeperRewardUsd ? maintenanceUsd - params.keeperRewardUsd : 0n,
    params.keeperRewardUsd,
    notionalUsd(size, priceWad),
    params.liquidationBufferBps,
    uint256(slippageBps + params.liquidationPenaltyBps),
  );
}

/**
 * Mirrors `LiquidationLogic._priceClose`: closes `closedSize` against the vault at its exact skew fill and splits the margin left after the realised PnL — flat keeper reward first, then the penalty
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
  const execution = executionPriceWad(priceWad, skew, int256(-closedSize), params.skewScale);
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
