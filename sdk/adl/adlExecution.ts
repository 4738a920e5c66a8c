/**
 * The ADL walks of [`contracts/adl/AdlLogic.sol`](../../contracts/adl/AdlLogic.sol), mirrored step by step:
 * the walk a bankrupt liquidation runs against the opposite queue (`deleverage`, used by
 * `simulateLiquidation` in ../math/liquidationEngine), `deleverageVault` and the automatic vault protection
 * every trade, close and funding poke runs (`protectVaultAfterAction`). Each close is `_reduceAt`: settle the
 * counterparty's funding and socialized loss, realise PnL on the closed size, write the position and the
 * market totals, pay the vault, re-key the queue, emit `Deleveraged`.
 *
 * Everything is bigint with the contract's rounding, so every `Deleveraged` field, every position and the
 * market state equal the engine's to the wei (test/sdk/engineSequences.test.ts, test/fuzz). Inputs are never
 * mutated: a walk runs on a copy (`AdlBook`) and returns the changes.
 */
import { BPS, WAD, VAULT_PROTECTION_STEPS_PER_ACTION } from "../math/constants";
import {
  accrueFunding,
  lossIndexWad,
  owedUsd,
  updateMarketTotals,
  vaultEquityUsd,
  vaultMarketValueUsd,
  type VaultMarketInput,
} from "../math/engineMath";
import { executionPriceWad } from "../math/liquidationMath";
import { unrealizedPnlUsd } from "../math/positionMath";
import { abs, divCeilU, int256, toInt256, toUint256, uint256 } from "../math/signedMath";
import {
  EngineRevertError,
  PerpMathError,
  type AdlConfig,
  type MarketParams,
  type MarketState,
  type Position,
} from "../math/types";
import { adlClosePriceWad } from "./adlMath";
import { AdlQueueInputError, AdlQueueMirror, rekeyAdlQueues, type AdlQueueMember } from "./adlQueue";

// ═════════════════════════════ types ═════════════════════════════

/** The `Deleveraged` event (IPerpEngine.sol), field by field. */
export interface DeleveragedEvent {
  account: string;
  marketId: string;
  /** Size closed (sign of the position). */
  size: bigint;
  /** The close price: the ADL price in a liquidation (`adlClosePriceWad`), the close's skew fill in vault protection. */
  priceWad: bigint;
  /** PnL realised on the closed size at `priceWad`. */
  realizedPnlUsd: bigint;
  /** Funding settled into margin first (+ = paid). */
  fundingPaidUsd: bigint;
  /** Socialized loss settled from margin first. */
  lossPaidUsd: bigint;
  /** Size left (0 once closed). */
  newSize: bigint;
  /** Margin left (0 once closed: released to the free balance). */
  newMarginUsd: bigint;
}

/** The `VaultDeleveraged` event. */
export interface VaultDeleveragedEvent {
  marketId: string;
  lossBeforeUsd: bigint;
  lossAfterUsd: bigint;
  targetUsd: bigint;
}

/** A position a walk (or a liquidation) changed: its stored value before and after, in re-key order. */
export interface TouchedPosition {
  account: string;
  before: Position;
  /** The stored position afterwards (all zero once closed). */
  after: Position;
  /** Margin released to the account's free balance (a close to zero; the remaining margin after a full liquidation). */
  freeCreditUsd: bigint;
  /**
   * Whether it is (again) in its side's ADL queue afterwards: it was re-inserted at the TAIL of its key's tick,
   * so a caller that mirrors queue order gives it a new, larger sequence (touched positions are listed in the
   * order the engine re-inserted them).
   */
  requeued: boolean;
}

/** Another listed market as the vault's valuation reads it; `priceWad` null = no valid price now. */
export interface OtherMarketInput extends Omit<VaultMarketInput, "priceWad"> {
  marketId: string;
  priceWad: bigint | null;
}

/** The vault's books outside the market being simulated. */
export interface VaultInput {
  /** `vaultCashUsd()` before the transaction (signed USD, 1e18). */
  cashUsd: bigint;
  /** Every OTHER listed market (the simulated one is valued from its own post-state). */
  otherMarkets: readonly OtherMarketInput[];
}

/**
 * Thrown where the engine would revert because the vault must be valued and a market with open interest
 * has no valid price (the engine reverts with that market's oracle error).
 */
export class PriceUnavailableError extends PerpMathError {
  readonly marketId: string;

  constructor(marketId: string) {
    super("a market with open interest has no valid price", { marketId });
    this.name = "PriceUnavailableError";
    this.marketId = marketId;
  }
}

// ═════════════════════════════ the working book ═════════════════════════════

/**
 * One market's books while a transaction is simulated: a private copy of the market state, the positions the
 * walk may touch and the walked queues, plus what the walk changed (vault cash, events, touched positions).
 */
export class AdlBook {
  state: MarketState;
  vaultCashDeltaUsd = 0n;
  readonly deleveraged: DeleveragedEvent[] = [];
  private readonly positions = new Map<string, Position>();
  private readonly touchedByAccount = new Map<string, TouchedPosition>();
  private readonly touchOrder: string[] = [];

  constructor(
    readonly marketId: string,
    readonly params: MarketParams,
    state: MarketState,
    readonly queues: { long: AdlQueueMirror; short: AdlQueueMirror },
    readonly minQueueNotionalUsd: bigint,
  ) {
    this.state = { ...state };
  }

  /** A book over `state` whose `side` queue holds `members` (the other side's queue starts empty). */
  static withQueue(
    marketId: string,
    params: MarketParams,
    state: MarketState,
    members: readonly AdlQueueMember[],
    isLong: boolean,
    minQueueNotionalUsd: bigint,
  ): AdlBook {
    const walked = AdlQueueMirror.fromMembers(members, isLong);
    const other = new AdlQueueMirror(!isLong);
    const book = new AdlBook(
      marketId,
      params,
      state,
      isLong ? { long: walked, short: other } : { long: other, short: walked },
      minQueueNotionalUsd,
    );
    for (const m of members) book.positions.set(m.account, { ...m.position } as Position);
    return book;
  }

  position(account: string): Position {
    const p = this.positions.get(account);
    if (!p) throw new AdlQueueInputError("queued account without a position", { account });
    return p;
  }

  /** Every position changed so far, in the order the engine re-keyed them. */
  touched(): TouchedPosition[] {
    return this.touchOrder.map((a) => ({ ...this.touchedByAccount.get(a)! }));
  }

  /** Records a position change (first `before`, latest `after`, credits summed) and re-keys the queues. */
  record(account: string, before: Position, after: Position, freeCreditUsd: bigint): void {
    this.positions.set(account, after);
    const requeued = rekeyAdlQueues(this.queues, account, before.size, after, this.minQueueNotionalUsd);
    const seen = this.touchedByAccount.get(account);
    if (seen) {
      seen.after = after;
      seen.freeCreditUsd += freeCreditUsd;
      seen.requeued = requeued;
      // Re-inserted again: it is now the latest insertion.
      this.touchOrder.splice(this.touchOrder.indexOf(account), 1);
    } else {
      this.touchedByAccount.set(account, { account, before, after, freeCreditUsd, requeued });
    }
    this.touchOrder.push(account);
  }
}

const EMPTY_POSITION: Position = {
  size: 0n,
  entryPriceWad: 0n,
  marginUsd: 0n,
  fundingIndexSnapshotWad: 0n,
  lossIndexSnapshotWad: 0n,
};

// ═════════════════════════════ shared step ═════════════════════════════

/**
 * `AdlLogic._reduceAt`: closes `takeAbs` of `account`'s position at `priceWad` against the vault's books,
 * after settling its funding and socialized loss; realised PnL lands in its margin (the whole margin in its
 * free balance once closed). Returns false, changing nothing, when its margin cannot cover what it owes.
 */
function reduceAt(book: AdlBook, account: string, old: Position, takeAbs: bigint, priceWad: bigint): boolean {
  const state = book.state;
  const { fundingOwedUsd, lossOwedUsd } = owedUsd(state, old, state.fundingIndexWad);
  const closedSize = old.size > 0n ? takeAbs : int256(-takeAbs);
  const realizedPnlUsd = unrealizedPnlUsd(closedSize, old.entryPriceWad, priceWad);
  const marginUsd = int256(
    int256(int256(toInt256(old.marginUsd) - fundingOwedUsd) - toInt256(lossOwedUsd)) + realizedPnlUsd,
  );
  if (marginUsd < 0n) return false;

  const newSize = int256(old.size - closedSize);
  let updated: Position = { ...EMPTY_POSITION };
  let freeCreditUsd = 0n;
  if (newSize === 0n) {
    freeCreditUsd = toUint256(marginUsd);
  } else {
    updated = {
      size: newSize,
      entryPriceWad: old.entryPriceWad,
      marginUsd: toUint256(marginUsd),
      fundingIndexSnapshotWad: state.fundingIndexWad,
      lossIndexSnapshotWad: lossIndexWad(state, newSize),
    };
  }
  book.state = updateMarketTotals(state, old, updated, int256(-closedSize));
  book.vaultCashDeltaUsd = int256(
    book.vaultCashDeltaUsd + int256(int256(fundingOwedUsd + toInt256(lossOwedUsd)) - realizedPnlUsd),
  );
  book.record(account, old, updated, freeCreditUsd);
  book.deleveraged.push({
    account,
    marketId: book.marketId,
    size: closedSize,
    priceWad,
    realizedPnlUsd,
    fundingPaidUsd: fundingOwedUsd,
    lossPaidUsd: lossOwedUsd,
    newSize: updated.size,
    newMarginUsd: updated.marginUsd,
  });
  return true;
}

// ═════════════════════════════ ADL in liquidation ═════════════════════════════

/**
 * `AdlLogic.deleverage` → `_walkAdl` → `_deleverageOne`: walks the queue opposite `bankruptSize` from its
 * head; each counterparty closes min(remaining, |size|) at `adlClosePriceWad` (skew = the market's net size at
 * that step) and is skipped (places 0) when not in profit there or when `_reduceAt` fails. Stops when the
 * target is placed, after `maxSteps` counterparties were deleveraged, or at the (maxSkips + 1)-th skip.
 * Returns the size placed; the book holds the changes.
 */
export function deleverage(
  book: AdlBook,
  bankruptSize: bigint,
  bankruptcyPriceWad: bigint,
  priceWad: bigint,
  targetSizeAbs: bigint,
  config: Pick<AdlConfig, "maxSteps" | "maxSkips">,
): bigint {
  const queue = bankruptSize < 0n ? book.queues.long : book.queues.short;
  let remainingAbs = targetSizeAbs;
  let steps = 0n;
  let skips = 0n;
  let cursor = queue.head();
  while (cursor !== undefined && remainingAbs !== 0n && steps < config.maxSteps) {
    const following = queue.next(cursor);
    const placed = deleverageOne(book, cursor, bankruptcyPriceWad, priceWad, remainingAbs);
    if (placed === 0n) {
      if (skips === config.maxSkips) break;
      skips++;
    } else {
      remainingAbs = uint256(remainingAbs - placed);
      steps++;
    }
    cursor = following;
  }
  return uint256(targetSizeAbs - remainingAbs);
}

/** `AdlLogic._deleverageOne`: the size placed with `account` (0 when skipped). */
function deleverageOne(
  book: AdlBook,
  account: string,
  bankruptcyPriceWad: bigint,
  priceWad: bigint,
  remainingAbs: bigint,
): bigint {
  const position = book.position(account);
  const sizeAbs = abs(position.size);
  const takeAbs = sizeAbs < remainingAbs ? sizeAbs : remainingAbs;
  const closePriceWad = adlClosePriceWad(
    bankruptcyPriceWad,
    priceWad,
    book.state.netSize,
    position.size,
    takeAbs,
    book.params.skewScale,
  );
  if (unrealizedPnlUsd(position.size, position.entryPriceWad, closePriceWad) <= 0n) return 0n;
  return reduceAt(book, account, position, takeAbs, closePriceWad) ? takeAbs : 0n;
}

// ═════════════════════════════ vault protection ═════════════════════════════

/** Inputs of the vault-protection mirrors. */
export interface VaultProtectionInput {
  marketId: string;
  params: MarketParams;
  /**
   * The market state as stored when the walk starts. For `simulateDeleverageVault`: before the call (its
   * funding is accrued here). For `simulateVaultProtectionAfterAction`: after the trade or poke that runs it
   * (already accrued at `nowSeconds`).
   */
  state: MarketState;
  /** The oracle price of the transaction (USD per base unit, 1e18). */
  priceWad: bigint;
  nowSeconds: bigint;
  /**
   * The queue of the side winning against the vault — longs when traders are net long (`netSize` > 0), shorts
   * otherwise — with every member's stored position and insertion order. May be empty when no walk can run.
   */
  queue: readonly AdlQueueMember[];
  adlConfig: AdlConfig;
  /** The vault's cash and the other markets, for the equity the thresholds are shares of. */
  vault: VaultInput;
}

/** What a vault-protection call did. */
export interface VaultProtectionResult {
  /** False when the walk did not run (after-action protection that exits early). */
  ran: boolean;
  /** The `VaultDeleveraged` event when it ran. */
  vaultDeleveraged?: VaultDeleveragedEvent;
  /** One `Deleveraged` per close, in order. */
  deleveraged: DeleveragedEvent[];
  /** Positions closed or reduced (re-key order). */
  touched: TouchedPosition[];
  /** The market state afterwards (funding accrued). */
  state: MarketState;
  /** Change of `vaultCashUsd`. */
  vaultCashDeltaUsd: bigint;
}

/**
 * `deleverageVault(marketId, maxSteps)` once the engine's own checks passed (listed, not settled, liquidations
 * not paused, `maxSteps` ≠ 0): accrue funding; measure the vault's loss in the market and the thresholds on its
 * deposit-side equity; revert `VaultDeleverageNotNeeded` unless the loss is over the upper one; walk at most
 * `maxSteps` closes and `adlConfig.maxSkips` skips. Mirrors `AdlLogic.deleverageVault`.
 * Throws `EngineRevertError("VaultDeleverageNotNeeded")` and `PriceUnavailableError` where the engine reverts.
 */
export function simulateDeleverageVault(input: VaultProtectionInput, maxSteps: bigint): VaultProtectionResult {
  const state = accrueFunding(input.state, input.params, input.priceWad, input.nowSeconds);
  const { lossUsd, upperUsd, lowerUsd } = vaultLossAndThresholds(input, state);
  if (lossUsd <= upperUsd) {
    throw new EngineRevertError("VaultDeleverageNotNeeded", { vaultLossUsd: lossUsd, thresholdUsd: upperUsd });
  }
  return walkVaultProtection(input, state, lossUsd, lowerUsd, maxSteps, input.adlConfig.maxSkips);
}

/**
 * The protection `modifyPosition`, `closePosition` and `pokeFunding` run after their own work
 * (`AdlLogic.protectVaultAfterAction` with min(`VAULT_PROTECTION_STEPS_PER_ACTION`, adlConfig.maxSteps) as both
 * the close and the skip bound). It never reverts: it does not run while liquidations are paused, in a settled
 * market, with no vault position in the market, when the vault is not losing there, when some market with
 * open interest has no valid price, or when the loss is not over the upper threshold.
 */
export function simulateVaultProtectionAfterAction(
  input: VaultProtectionInput,
  flags: { liquidationsPaused: boolean; isSettled: boolean },
): VaultProtectionResult {
  const configured = input.adlConfig.maxSteps;
  const maxSteps = configured < VAULT_PROTECTION_STEPS_PER_ACTION ? configured : VAULT_PROTECTION_STEPS_PER_ACTION;
  const state = accrueFunding(input.state, input.params, input.priceWad, input.nowSeconds);
  const idle: VaultProtectionResult = { ran: false, deleveraged: [], touched: [], state, vaultCashDeltaUsd: 0n };
  if (maxSteps === 0n || flags.liquidationsPaused) return idle;
  if (flags.isSettled || state.netSize === 0n) return idle;
  if (vaultLossUsd(state, input.priceWad) === 0n) return idle;
  if (input.vault.otherMarkets.some((m) => hasOpenInterest(m.state) && m.priceWad === null)) return idle;
  const { lossUsd, upperUsd, lowerUsd } = vaultLossAndThresholds(input, state);
  if (lossUsd <= upperUsd) return idle;
  return walkVaultProtection(input, state, lossUsd, lowerUsd, maxSteps, maxSteps);
}

function hasOpenInterest(state: MarketState): boolean {
  return state.longOpenInterest + state.shortOpenInterest !== 0n;
}

/** `AdlLogic._vaultLossUsd`: the vault's unrealised loss in the market (0 when it is in profit there). */
function vaultLossUsd(state: MarketState, priceWad: bigint): bigint {
  const valueUsd = vaultMarketValueUsd(state, priceWad, state.fundingIndexWad);
  return valueUsd < 0n ? -valueUsd : 0n;
}

/**
 * The vault's deposit-side equity (`MarketLogic.vaultEquityUsd(st, true)`) with `market` valued from `state`
 * and the cash changed by `cashDeltaUsd`; throws `PriceUnavailableError` where the engine's valuation reverts.
 */
export function vaultEquityWith(
  vault: VaultInput,
  market: { params: MarketParams; priceWad: bigint },
  state: MarketState,
  cashDeltaUsd: bigint,
  nowSeconds: bigint,
): bigint {
  const markets: VaultMarketInput[] = [{ state, params: market.params, priceWad: market.priceWad }];
  for (const m of vault.otherMarkets) {
    if (!hasOpenInterest(m.state)) continue;
    if (m.priceWad === null) throw new PriceUnavailableError(m.marketId);
    markets.push({ state: m.state, params: m.params, priceWad: m.priceWad, isSettled: m.isSettled });
  }
  return vaultEquityUsd(int256(vault.cashUsd + cashDeltaUsd), markets, nowSeconds, true);
}

/** `AdlLogic._vaultLossAndThresholds`. */
function vaultLossAndThresholds(
  input: VaultProtectionInput,
  state: MarketState,
): { lossUsd: bigint; upperUsd: bigint; lowerUsd: bigint } {
  const equityUsd = vaultEquityWith(input.vault, input, state, 0n, input.nowSeconds);
  return {
    lossUsd: vaultLossUsd(state, input.priceWad),
    upperUsd: shareOf(equityUsd, input.adlConfig.vaultLossUpperBps),
    lowerUsd: shareOf(equityUsd, input.adlConfig.vaultLossLowerBps),
  };
}

function shareOf(equityUsd: bigint, bps: bigint): bigint {
  return equityUsd <= 0n ? 0n : uint256(toUint256(equityUsd) * bps) / BPS;
}

/** `AdlLogic._walkVaultProtection` and the `VaultDeleveraged` event. */
function walkVaultProtection(
  input: VaultProtectionInput,
  state: MarketState,
  lossBeforeUsd: bigint,
  lowerUsd: bigint,
  maxCloses: bigint,
  maxSkips: bigint,
): VaultProtectionResult {
  const closeLongs = state.netSize > 0n;
  const book = AdlBook.withQueue(
    input.marketId,
    input.params,
    state,
    input.queue,
    closeLongs,
    input.adlConfig.minQueueNotionalUsd,
  );
  const queue = closeLongs ? book.queues.long : book.queues.short;
  let lossUsd = lossBeforeUsd;
  let cursor = queue.head();
  let closes = 0n;
  let skips = 0n;
  while (closes < maxCloses && cursor !== undefined && lossUsd > lowerUsd) {
    const following = queue.next(cursor);
    if (protectVaultOne(book, cursor, input.priceWad, uint256(lossUsd - lowerUsd))) {
      lossUsd = vaultLossUsd(book.state, input.priceWad);
      closes++;
    } else {
      if (skips === maxSkips) break;
      skips++;
    }
    cursor = following;
  }
  return {
    ran: true,
    vaultDeleveraged: { marketId: input.marketId, lossBeforeUsd, lossAfterUsd: lossUsd, targetUsd: lowerUsd },
    deleveraged: book.deleveraged,
    touched: book.touched(),
    state: book.state,
    vaultCashDeltaUsd: book.vaultCashDeltaUsd,
  };
}

/** `AdlLogic._protectVaultOne`: a close of the needed size at its skew fill; false when skipped. */
function protectVaultOne(book: AdlBook, account: string, priceWad: bigint, excessLossUsd: bigint): boolean {
  const position = book.position(account);
  const takeAbs = vaultProtectionCloseAbs(book.state, position, priceWad, excessLossUsd);
  if (takeAbs === 0n) return false;
  const closePriceWad = executionPriceWad(
    priceWad,
    book.state.netSize,
    position.size > 0n ? int256(-takeAbs) : takeAbs,
    book.params.skewScale,
  );
  if (unrealizedPnlUsd(position.size, position.entryPriceWad, closePriceWad) <= 0n) return false;
  return reduceAt(book, account, position, takeAbs, closePriceWad);
}

/**
 * `AdlLogic._vaultProtectionCloseAbs`: the size that lowers the vault's loss by `excessLossUsd` plus what the
 * position owes (settling it moves that from the vault's receivables to its cash), at the profit per unit at the
 * oracle price; 0 when not in profit there.
 */
function vaultProtectionCloseAbs(
  state: MarketState,
  position: Position,
  priceWad: bigint,
  excessLossUsd: bigint,
): bigint {
  const profitPerUnitWad =
    position.size > 0n
      ? int256(toInt256(priceWad) - toInt256(position.entryPriceWad))
      : int256(toInt256(position.entryPriceWad) - toInt256(priceWad));
  if (profitPerUnitWad <= 0n) return 0n;
  const { fundingOwedUsd, lossOwedUsd } = owedUsd(state, position, state.fundingIndexWad);
  const toCoverUsd = int256(int256(toInt256(excessLossUsd) + fundingOwedUsd) + toInt256(lossOwedUsd));
  const sizeAbs = abs(position.size);
  if (toCoverUsd <= 0n) return 1n;
  const neededAbs = divCeilU(uint256(toUint256(toCoverUsd) * WAD), toUint256(profitPerUnitWad));
  return sizeAbs < neededAbs ? sizeAbs : neededAbs;
}
