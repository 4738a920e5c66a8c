/**
 * One table from every custom error in the ABIs the dApp talks to (engine and its libraries, vault,
 * oracle adapter) to a sentence a trader understands, with the error's values formatted (USD, prices,
 * sizes, token amounts). `test/app/errorMessages.test.ts` enumerates the Hardhat artifacts and fails when an
 * error has no sentence, so a new error in the contracts cannot reach users as a hex blob.
 */
import {
  formatAddress,
  formatBps,
  formatDuration,
  formatInteger,
  formatPrice,
  formatSize,
  formatTimestamp,
  formatTokenAmount,
  formatUsd,
} from "../format/format";

/** Argument values of a custom error, by their ABI names. */
export type ErrorArgs = Readonly<Record<string, bigint | string | boolean>>;

/** What the sentences need to know beyond the error itself. */
export interface ErrorFormatContext {
  /** "ETH-USD" for a market id, or null when it is not in the address book. */
  marketSymbol(marketId: string): string | null;
  collateralSymbol: string;
  collateralDecimals: number;
  /** The LP share token's symbol and decimals. */
  shareSymbol: string;
  shareDecimals: number;
  /** Seconds since the epoch of the latest block, for "in 5m" style messages; null when unknown. */
  nowSeconds: bigint | null;
}

/** Thrown when a sentence is asked for an argument the error does not have (an ABI changed). */
export class ErrorArgumentMissing extends Error {
  constructor(errorName: string, argument: string) {
    super(`error ${errorName} has no argument "${argument}" of the expected type`);
    this.name = "ErrorArgumentMissing";
  }
}

type Sentence = (args: ArgReader, ctx: ErrorFormatContext) => string;

/** Typed access to an error's arguments; a wrong name or type throws instead of printing "undefined". */
export class ArgReader {
  constructor(
    readonly errorName: string,
    readonly args: ErrorArgs,
  ) {}

  int(name: string): bigint {
    const value = this.args[name];
    if (typeof value !== "bigint") throw new ErrorArgumentMissing(this.errorName, name);
    return value;
  }

  text(name: string): string {
    const value = this.args[name];
    if (typeof value !== "string") throw new ErrorArgumentMissing(this.errorName, name);
    return value;
  }
}

function market(a: ArgReader, c: ErrorFormatContext, name = "marketId"): string {
  const id = a.text(name);
  return c.marketSymbol(id) ?? `market ${formatAddress(id)}`;
}

function tokens(a: ArgReader, c: ErrorFormatContext, name: string): string {
  return formatTokenAmount(a.int(name), c.collateralDecimals, c.collateralSymbol);
}

function shares(a: ArgReader, c: ErrorFormatContext, name: string): string {
  return formatTokenAmount(a.int(name), c.shareDecimals, c.shareSymbol);
}

function sizeOf(a: ArgReader, c: ErrorFormatContext, name: string, marketArg = "marketId"): string {
  const symbol = c.marketSymbol(a.text(marketArg)) ?? "units";
  return formatSize(a.int(name), symbol.split("-")[0]);
}

function until(a: ArgReader, c: ErrorFormatContext, name: string): string {
  const at = a.int(name);
  const wait = c.nowSeconds === null ? "" : ` (in ${formatDuration(at - c.nowSeconds)})`;
  return `${formatTimestamp(at)}${wait}`;
}

/** bytes32 parameter names are short ASCII strings padded with zeros ("takerFeeBps"). */
function bytes32Name(hex: string): string {
  const HEX_PREFIX_LENGTH = 2;
  const bytes = hex.slice(HEX_PREFIX_LENGTH).match(/../g) ?? [];
  return bytes
    .map((byte) => parseInt(byte, 16))
    .filter((code) => code !== 0)
    .map((code) => String.fromCharCode(code))
    .join("");
}

/** Custom error name → sentence. Keep alphabetical within each group. */
export const ERROR_SENTENCES: Readonly<Record<string, Sentence>> = {
  // ── trading ──
  EmptyAction: () => "Nothing to do: enter a size or a margin amount.",
  FillPriceNonPositive: (a) =>
    `This trade is so large against the market's skew that its fill price would be ${formatPrice(a.int("fillPriceWad"))}; trade a smaller size.`,
  InitialMarginNotMet: (a) =>
    `Not enough margin: after this action the position's equity (unrealised profit not counted) would be ${formatUsd(a.int("equityUsd"))}, but the initial margin requires ${formatUsd(a.int("requiredUsd"))}. Add margin or trade a smaller size.`,
  InsufficientFreeBalance: (a) =>
    `Your free balance is ${formatUsd(a.int("availableUsd"))}, but this needs ${formatUsd(a.int("requestedUsd"))}. Deposit more collateral first.`,
  InsufficientPositionMargin: (a, c) =>
    `The ${market(a, c)} position holds ${formatUsd(a.int("marginUsd"))} of margin; you asked to remove ${formatUsd(a.int("requestedUsd"))}.`,
  MarginBelowMinimum: (a, c) =>
    `A ${market(a, c)} position must keep at least ${formatUsd(a.int("minimumUsd"))} of margin; this would leave ${formatUsd(a.int("marginUsd"))}.`,
  MarginRatioDecreased: (a, c) =>
    `The ${market(a, c)} position is below initial margin, so a reduce may not lower its margin ratio; close it or add margin first.`,
  MarketIsSettled: (a, c) =>
    `${market(a, c)} has been settled (delisted): positions can only be closed at the settlement price.`,
  MarketNotListed: (a, c) => `${market(a, c)} is not a listed market.`,
  MarketReduceOnly: (a, c) =>
    `${market(a, c)} is reduce-only: you can reduce or close positions, not open or add to them.`,
  MarketVolatile: (a, c) =>
    `${market(a, c)}'s price just jumped past the deviation breaker: opening, increasing and removing margin are paused until it cools down. Reducing and closing still work.`,
  NoPosition: (a, c) => `You have no ${market(a, c)} position.`,
  OpenInterestCapExceeded: (a, c) =>
    `This would take ${market(a, c)}'s open interest on that side to ${sizeOf(a, c, "openInterest")}, above its cap of ${sizeOf(a, c, "cap")}.`,
  PositionBankrupt: (a, c) =>
    `The ${market(a, c)} position would be left with ${formatUsd(a.int("marginAfterUsd"))} of margin: it is bankrupt and can only be liquidated.`,
  SlippageExceeded: (a) =>
    `The price moved: the fill would be ${formatPrice(a.int("fillPriceWad"))}, beyond your limit of ${formatPrice(a.int("acceptablePriceWad"))}. Widen the slippage or try again.`,
  TradingPaused: () =>
    "Trading is paused by the guardian: you can reduce, close and add margin, but not open, increase or remove margin.",
  VaultExposureCapExceeded: (a, c) =>
    `The liquidity vault would be exposed ${formatUsd(a.int("exposureUsd"))} in ${market(a, c)}, above its cap of ${formatUsd(a.int("capUsd"))}. Trade a smaller size or the other side.`,

  // ── delayed orders ──
  ExecutionDelayActive: (a, c) =>
    `${market(a, c)} trades through delayed orders (executed ${formatDuration(a.int("executionDelaySeconds"))} after you commit them, at the price then): commit an order instead.`,
  NoPendingOrder: (a, c) => `There is no pending ${market(a, c)} order for ${formatAddress(a.text("account"))}.`,
  OnlyEngine: (a) => `Only the engine itself may run an order's trade (called by ${formatAddress(a.text("caller"))}).`,
  OrderAlreadyPending: (a, c) =>
    `You already have a pending ${market(a, c)} order: wait for it to execute (or expire) before committing another.`,
  OrderExecutionOutOfGas: (a, c) =>
    `Executing the ${market(a, c)} order ran out of gas; the order stays pending — send the execution with more gas.`,
  OrderExpired: (a, c) =>
    `The ${market(a, c)} order expired at ${until(a, c, "expiresAt")} without being executed; its margin went back to the free balance.`,
  OrderNotExpired: (a, c) =>
    `The ${market(a, c)} order is still live until ${until(a, c, "expiresAt")}: it can be cancelled only after it expires.`,
  OrderNotReady: (a, c) => `The ${market(a, c)} order can be executed from ${until(a, c, "executableAt")}.`,
  OrdersNotEnabled: (a, c) => `${market(a, c)} trades instantly: no order is needed.`,
  PositionChangedSinceCommit: (a, c) =>
    `The ${market(a, c)} position changed between the order and its execution (from ${sizeOf(a, c, "sizeAtCommit")} to ${sizeOf(a, c, "sizeNow")}: liquidated, deleveraged or settled), so the order was not executed.`,
  TakerFeeBelowOracleDeviation: (a) =>
    `A taker fee of ${formatBps(a.int("takerFeeBps"))} does not cover the feed's ${formatBps(a.int("oracleDeviationThresholdBps"))} deviation threshold (twice the fee must be at least the threshold).`,

  // ── accounts and tokens ──
  CollateralDecimalsUnsupported: (a) =>
    `The collateral token has ${formatInteger(a.int("decimals"))} decimals; at most 18 are supported.`,
  ERC20InsufficientAllowance: (a, c) =>
    `The allowance given to ${formatAddress(a.text("spender"))} is ${tokens(a, c, "allowance")}, but ${tokens(a, c, "needed")} is needed. Approve a larger amount first.`,
  ERC20InsufficientBalance: (a, c) =>
    `The balance of ${formatAddress(a.text("sender"))} is ${tokens(a, c, "balance")}, but ${tokens(a, c, "needed")} is needed.`,
  ERC20InvalidApprover: (a) => `${formatAddress(a.text("approver"))} cannot approve tokens.`,
  ERC20InvalidReceiver: (a) => `${formatAddress(a.text("receiver"))} cannot receive tokens.`,
  ERC20InvalidSender: (a) => `${formatAddress(a.text("sender"))} cannot send tokens.`,
  ERC20InvalidSpender: (a) => `${formatAddress(a.text("spender"))} cannot be approved as a spender.`,
  SafeCastOverflowedIntDowncast: (a) =>
    `The value ${formatInteger(a.int("value"))} does not fit in ${formatInteger(a.int("bits"))} bits: use a smaller amount.`,
  SafeCastOverflowedUintDowncast: (a) =>
    `The value ${formatInteger(a.int("value"))} does not fit in ${formatInteger(a.int("bits"))} bits: use a smaller amount.`,
  SafeERC20FailedOperation: (a) => `The token ${formatAddress(a.text("token"))} refused the transfer.`,
  TransferAmountMismatch: (a, c) =>
    `The token delivered ${tokens(a, c, "received")} instead of ${tokens(a, c, "expected")}; fee-on-transfer tokens are not accepted here.`,
  WithdrawalsPaused: () => "Withdrawals are paused by the guardian. Your balance is safe; try again once they resume.",
  ZeroAmount: () => "Enter an amount greater than zero.",

  // ── liquidity vault ──
  ERC4626ExceededMaxDeposit: (a, c) =>
    `The vault accepts at most ${tokens(a, c, "max")} now; you asked to deposit ${tokens(a, c, "assets")}.`,
  ERC4626ExceededMaxMint: (a, c) =>
    `The vault can mint at most ${shares(a, c, "max")} now; you asked for ${shares(a, c, "shares")}.`,
  ERC4626ExceededMaxRedeem: (a, c) =>
    `You can redeem at most ${shares(a, c, "max")} now (the vault keeps equity for its exposure caps and open-interest reserve); you asked for ${shares(a, c, "shares")}.`,
  ERC4626ExceededMaxWithdraw: (a, c) =>
    `You can withdraw at most ${tokens(a, c, "max")} now (the vault keeps equity for its exposure caps and open-interest reserve); you asked for ${tokens(a, c, "assets")}.`,
  OnlyVault: (a) => `Only the liquidity vault may call this (called by ${formatAddress(a.text("caller"))}).`,
  VaultAlreadySet: (a) => `The vault is already connected (${formatAddress(a.text("vault"))}).`,
  VaultCashInsufficient: (a) =>
    `The vault holds ${formatUsd(a.int("cashUsd"))} in cash, less than the ${formatUsd(a.int("requestedUsd"))} requested.`,
  VaultEquityBelowRequirement: (a) =>
    `After this withdrawal the vault's equity would be ${formatUsd(a.int("equityUsd"))}, below the ${formatUsd(a.int("requiredUsd"))} its exposure caps and open-interest reserve require.`,

  // ── liquidation and ADL ──
  ArrayLengthMismatch: (a) =>
    `A batch needs one market per account: ${formatInteger(a.int("accountsLength"))} accounts, ${formatInteger(a.int("marketIdsLength"))} markets.`,
  LiquidationGracePeriodActive: (a, c) =>
    `Liquidations resumed recently; positions have a grace period until ${until(a, c, "resumeAt")} to add margin or close.`,
  LiquidationsPaused: () => "Liquidations are paused by the guardian.",
  PositionNotLiquidatable: (a, c) =>
    `The ${market(a, c)} position is healthy: equity ${formatUsd(a.int("equityUsd"))} is not below its maintenance requirement of ${formatUsd(a.int("maintenanceRequirementUsd"))}.`,
  VaultDeleverageNotNeeded: (a, c) =>
    `The vault's loss in ${market(a, c)} is ${formatUsd(a.int("vaultLossUsd"))}, not above the ${formatUsd(a.int("thresholdUsd"))} threshold: no deleveraging is needed.`,

  // ── governance ──
  AccessControlBadConfirmation: () => "Role renouncement must be confirmed by the account itself.",
  AccessControlUnauthorizedAccount: (a) =>
    `${formatAddress(a.text("account"))} lacks the role this needs (${formatAddress(a.text("neededRole"))}); only governance can do this.`,
  InsuranceWithdrawalExceedsExcess: (a) =>
    `The insurance fund holds ${formatUsd(a.int("insuranceFundUsd"))} against a target of ${formatUsd(a.int("targetUsd"))}; only the excess can be withdrawn, not ${formatUsd(a.int("requestedUsd"))}.`,
  InvalidMarginTier: (a) =>
    `Margin tier #${formatInteger(a.int("index"))} is invalid (tiers must be sorted, at most 8, with maintenance below initial margin).`,
  MaintenanceRampInProgress: (a, c) =>
    `${market(a, c)} is still phasing in a maintenance-margin raise until ${until(a, c, "endsAt")}.`,
  MarketAlreadyListed: (a, c) => `${market(a, c)} is already listed.`,
  MarketNotSettled: (a, c) => `${market(a, c)} is not settled, so positions cannot be closed at a settlement price.`,
  OpenInterestCapNotLowered: (a, c) =>
    `The new cap ${sizeOf(a, c, "requestedCap")} does not lower ${market(a, c)}'s current cap of ${sizeOf(a, c, "currentCap")}.`,
  ParameterOutOfBounds: (a) =>
    `Parameter ${bytes32Name(a.text("name"))} = ${formatInteger(a.int("value"))} is outside its bounds [${formatInteger(a.int("minValue"))}, ${formatInteger(a.int("maxValue"))}].`,
  ReentrancyGuardReentrantCall: () => "The protocol refused a re-entrant call.",
  TooManyMarkets: (a) => `At most ${formatInteger(a.int("maxMarkets"))} markets can be listed.`,

  // ── oracle: invalid answers ──
  PriceAtBound: () =>
    "The price feed's answer sits at its aggregator bound, so the real price may be beyond it; trading waits for a valid answer.",
  PriceNonPositive: () => "The price feed reported a zero or negative price; trading waits for a valid answer.",
  PriceRoundIncomplete: (a) =>
    `The price feed's latest round (#${formatInteger(a.int("roundId"))}) is incomplete; trading waits for a valid answer.`,
  PriceStale: (a) =>
    `The price is stale: the feed last updated at ${formatTimestamp(a.int("updatedAt"))}, more than ${formatDuration(a.int("heartbeatSeconds"))} ago. Trading waits for a fresh price.`,
  PriceUpdatedInFuture: (a) =>
    `The price feed's answer is timestamped in the future (${formatTimestamp(a.int("updatedAt"))}); trading waits for a valid answer.`,
  SequencerDown: () => "The L2 sequencer is down; prices cannot be trusted until it is back.",
  SequencerGracePeriodNotOver: (a) =>
    `The L2 sequencer came back up recently; prices are trusted again ${formatDuration(a.int("gracePeriodSeconds"))} after it restarted.`,

  // ── oracle: configuration (deployment only) ──
  FeedDecimalsTooHigh: (a) =>
    `The price feed has ${formatInteger(a.int("feedDecimals"))} decimals; at most 18 are supported.`,
  InvalidAnswerBounds: () => "The oracle's answer bounds are not strictly ordered.",
  InvalidMaxDeviationBps: (a) =>
    `The deviation breaker threshold ${formatBps(a.int("maxDeviationBps"))} must be above 0% and at most 100%.`,
  MaxAnswerTooLarge: () => "The oracle's maximum answer is too large for the deviation arithmetic.",
  ZeroFeedAddress: () => "The oracle has no price feed address.",
  ZeroHeartbeat: () => "The oracle's heartbeat must be positive.",
  ZeroSequencerGracePeriod: () => "A sequencer uptime feed needs a positive grace period.",
  ZeroVolatilityCooldown: () => "The deviation breaker's cooldown must be positive.",
};

/** The sentence for `errorName(args)`, or null when the table has none (a test keeps that from happening). */
export function errorSentence(errorName: string, args: ErrorArgs, ctx: ErrorFormatContext): string | null {
  const sentence = ERROR_SENTENCES[errorName];
  return sentence ? sentence(new ArgReader(errorName, args), ctx) : null;
}
