/**
 * Shared types of the math mirror: the Solidity structs of
 * [`contracts/interfaces/IPerpTypes.sol`](../../contracts/interfaces/IPerpTypes.sol) with every integer as a
 * `bigint`, the engine's `TradeResult`, and the errors the math throws where Solidity reverts.
 * Units follow the Solidity docs: sizes in base units (1e18), prices in USD per base unit (1e18), USD
 * amounts in 1e18, rates in bps of 10_000.
 */

/** One bracket of a progressive margin schedule (`MarginTier` in IPerpTypes.sol). */
export interface MarginTier {
  /** USD, 1e18 (uint128). The first tier's floor is 0; floors strictly increase. */
  notionalFloorUsd: bigint;
  /** Initial margin rate in bps of notional (uint16). */
  initialMarginBps: bigint;
  /** Maintenance margin rate in bps of notional (uint16); strictly below `initialMarginBps`. */
  maintenanceMarginBps: bigint;
}

/** Risk parameters of one market (`MarketParams` in IPerpTypes.sol). */
export interface MarketParams {
  /** USD, 1e18 (uint128). Every open position keeps at least this margin. */
  minPositionMarginUsd: bigint;
  /** USD, 1e18 (uint128). Flat liquidator reward, part of the maintenance requirement. */
  keeperRewardUsd: bigint;
  /** Base units, 1e18 (uint128). Cap on traders' open interest per side. */
  maxOpenInterestPerSide: bigint;
  /** Base units, 1e18 (uint128). Skew at which the price impact reaches 100% and funding its cap. */
  skewScale: bigint;
  /** 1e18 = 100% of notional per day (uint64). Cap on the funding rate. */
  maxFundingRatePerDayWad: bigint;
  /** Taker fee in bps of filled notional (uint16). */
  takerFeeBps: bigint;
  /** Share of each fee credited to the insurance fund, bps (uint16). */
  insuranceFeeShareBps: bigint;
  /** Cap on the vault's net exposure in bps of vault equity (uint16). */
  maxVaultExposureBps: bigint;
  /** Liquidation penalty in bps of the closed notional, capped at the remaining equity (uint16). */
  liquidationPenaltyBps: bigint;
  /** Share of the penalty paid to the liquidator on top of the flat keeper reward, bps (uint16). */
  keeperPenaltyShareBps: bigint;
  /** A partial liquidation aims for equity ≥ maintenance × (1 + buffer), buffer in bps (uint16). */
  liquidationBufferBps: bigint;
  /**
   * Equity the vault keeps against gross open interest, bps of its notional (uint16); binds LP withdrawals
   * only (see `vaultRequiredEquityUsd`).
   */
  vaultReserveBps: bigint;
  /** Seconds between an order's commit and its earliest execution (uint32); 0 = instant trading. */
  executionDelaySeconds: bigint;
  /** Seconds after it becomes executable during which an order may be executed (uint32). */
  orderExpirySeconds: bigint;
  /** The feed's deviation threshold in bps (uint16); listing checks 2 × takerFeeBps ≥ it. */
  oracleDeviationThresholdBps: bigint;
  /** USD, 1e18 (uint96): escrowed with each order, paid to whoever executes or cancels it. */
  executionFeeUsd: bigint;
}

/** Auto-deleveraging settings shared by all markets (`AdlConfig` in IPerpTypes.sol). */
export interface AdlConfig {
  /** USD, 1e18 (uint128). Positions whose notional at entry is below this stay out of the ADL queue. */
  minQueueNotionalUsd: bigint;
  /** Counterparties one ADL walk may deleverage (only entries actually deleveraged count); 0 disables ADL (uint16). */
  maxSteps: bigint;
  /** Queue entries one walk may pass over without placing anything (not in profit, or unable to pay) (uint16). */
  maxSkips: bigint;
  /** `deleverageVault` is allowed while the vault's loss in a market exceeds this share of its equity, bps (uint16). */
  vaultLossUpperBps: bigint;
  /** ... and brings the loss back to at most this share, bps (uint16). */
  vaultLossLowerBps: bigint;
}

/** A trader's isolated position in one market (`Position` in IPerpTypes.sol). */
export interface Position {
  /** Base units, 1e18 (int256); positive = long, negative = short, 0 = none. */
  size: bigint;
  /** USD per base unit, 1e18 (uint256): size-weighted average fill price of the open size. */
  entryPriceWad: bigint;
  /** USD, 1e18 (uint256): collateral isolated in this position. */
  marginUsd: bigint;
  /** The market's cumulative funding index when funding was last settled (int256). */
  fundingIndexSnapshotWad: bigint;
  /** The socialized-loss index of the position's side when it was last settled (USD per unit, 1e18; uint256). */
  lossIndexSnapshotWad: bigint;
}

/** Per-market aggregates (`MarketState` in IPerpTypes.sol). */
export interface MarketState {
  /** Σ trader sizes (base units, 1e18); positive = traders net long. */
  netSize: bigint;
  /** Σ trader long sizes (base units, 1e18). */
  longOpenInterest: bigint;
  /** Σ |trader short sizes| (base units, 1e18). */
  shortOpenInterest: bigint;
  /** Σ size × entryPriceWad over traders (1e36, exact). */
  sumSizeTimesEntry: bigint;
  /** Σ size × fundingIndexSnapshotWad over traders (1e36, exact). */
  sumSizeTimesFundingSnapshot: bigint;
  /** Cumulative funding owed per unit of long size since listing (USD per base unit, 1e18). */
  fundingIndexWad: bigint;
  /** Timestamp (seconds) of the last funding accrual (uint64). */
  lastFundingTimestamp: bigint;
  /** Cumulative socialized loss owed per unit of long size (USD per base unit, 1e18): raised by bankrupt shorts. */
  longLossIndexWad: bigint;
  /** Cumulative socialized loss owed per unit of |short size|: raised by bankrupt longs. */
  shortLossIndexWad: bigint;
  /** Σ size × lossIndexSnapshotWad over trader longs (1e36, exact). */
  sumLongSizeTimesLossSnapshot: bigint;
  /** Σ |size| × lossIndexSnapshotWad over trader shorts (1e36, exact). */
  sumShortSizeTimesLossSnapshot: bigint;
}

/** What one trade did (`TradeResult` in contracts/PerpEngine.sol, returned by `_trade`). */
export interface TradeResult {
  /** Fill price, USD per base unit, 1e18. */
  fillPriceWad: bigint;
  /** Taker fee paid from margin, USD 1e18. */
  feeUsd: bigint;
  /** The insurance fund's share of `feeUsd`, USD 1e18 (the rest goes to the vault). */
  insuranceFeeUsd: bigint;
  /** PnL realised on the closed part at the fill price, USD 1e18. */
  realizedPnlUsd: bigint;
  /** The part of `sizeDelta` that opens new exposure (sign of `sizeDelta`, or 0). */
  openedSize: bigint;
  /** Entry price of the position after the trade (0 once closed). */
  newEntryPriceWad: bigint;
}

// ───────────────────────────── errors ─────────────────────────────

/**
 * Base class of every error thrown by `sdk/math`: a short message, structured details and an optional
 * cause, so callers can match on the class and still print something readable.
 */
export class PerpMathError extends Error {
  readonly shortMessage: string;
  readonly details: Readonly<Record<string, bigint | string | number | boolean>>;

  constructor(
    shortMessage: string,
    details: Readonly<Record<string, bigint | string | number | boolean>> = {},
    options: { cause?: unknown } = {},
  ) {
    const rendered = Object.entries(details)
      .map(([key, value]) => `${key}=${String(value)}`)
      .join(", ");
    super(rendered ? `${shortMessage} (${rendered})` : shortMessage, options);
    this.name = "PerpMathError";
    this.shortMessage = shortMessage;
    this.details = details;
  }
}

/** Solidity panic codes the math can raise (`Panic(uint256)`). */
export const PanicCode = {
  /** Checked arithmetic overflowed or underflowed. */
  ARITHMETIC_OVERFLOW: 0x11n,
  /** Division or modulo by zero. */
  DIVISION_BY_ZERO: 0x12n,
} as const;

/**
 * Thrown exactly where the Solidity code would revert with `Panic(code)`: checked 0.8 arithmetic leaving
 * the int256/uint256 range (0x11) or a division by zero (0x12).
 */
export class SolidityPanicError extends PerpMathError {
  readonly code: bigint;

  constructor(code: bigint, operation: string) {
    super(code === PanicCode.DIVISION_BY_ZERO ? "division by zero" : "arithmetic overflow", { code, operation });
    this.name = "SolidityPanicError";
    this.code = code;
  }
}

/** Names of the engine's custom errors that the SDK reproduces (same names as IPerpEngine.sol). */
export type EngineErrorName =
  | "FillPriceNonPositive"
  | "SlippageExceeded"
  | "InsufficientPositionMargin"
  | "PositionBankrupt"
  | "InvalidMarginTier"
  | "NoPosition"
  | "PositionNotLiquidatable"
  | "TradingPaused"
  | "MarketReduceOnly"
  | "MarketVolatile"
  | "MarketIsSettled"
  | "OpenInterestCapExceeded"
  | "InitialMarginNotMet"
  | "MarginBelowMinimum"
  | "MarginRatioDecreased"
  | "VaultExposureCapExceeded"
  | "EmptyAction"
  | "PositionChangedSinceCommit"
  | "VaultDeleverageNotNeeded";

/**
 * Thrown where the engine would revert with one of its custom errors; `errorName` matches the Solidity
 * error (see contracts/interfaces/IPerpEngine.sol) and `args` are its numeric arguments in order (the
 * `account` / `marketId` arguments, which the math does not know, are left out).
 */
export class EngineRevertError extends PerpMathError {
  readonly errorName: EngineErrorName;
  readonly args: readonly bigint[];

  constructor(errorName: EngineErrorName, args: Readonly<Record<string, bigint>>) {
    super(errorName, args);
    this.name = "EngineRevertError";
    this.errorName = errorName;
    this.args = Object.values(args);
  }
}
