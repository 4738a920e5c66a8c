/**
 * The preview shown before anything is sent: what a trade, close or margin move would do, from the SDK at
 * the latest block, and whether the engine would accept it. A preview with `revert` set is never sent; the
 * reason is shown through the same sentence table as a real revert.
 *
 * The numbers come from `simulateModifyPosition` (sdk/math/engineMath.ts); the accept/refuse decision from
 * the SDK's checks through `../sdkMirror/engineChecks`. Slippage turns the predicted fill into the
 * `acceptablePrice` bound the engine enforces. In a market with an execution delay, size changes and
 * margin removals become `commitOrder` calls: the preview then also says what the commit takes and whether
 * the order would execute at the current price (a keeper executes it later, at the price then).
 */
import {
  BPS,
  UINT256_MAX,
  EngineRevertError,
  liquidationPrice,
  notionalUsd,
  simulateModifyPosition,
  unrealizedPnlUsd,
  type ModifyPositionResult,
} from "../../../sdk/math";
import { effectiveLeverage } from "../../../sdk/adl/adlMath";
import {
  PredictedRevertError,
  initialMarginCheck,
  previewClosePosition,
  previewCommitOrder,
  previewModifyPosition,
  type EngineActionState,
  type ErrorArgs,
  type InitialMarginCheck,
} from "../sdkMirror/engineChecks";
import { marginRatioWad, priceImpactWad } from "./ratios";

export type TradeSide = "long" | "short";

/** What the user asked for. */
export type TradeAction =
  /** Buy (long) or sell (short) `sizeWad`, moving `marginUsd` from the free balance into the position. */
  | { kind: "trade"; side: TradeSide; sizeWad: bigint; marginUsd: bigint; slippageBps: bigint }
  | { kind: "close"; slippageBps: bigint }
  | { kind: "add-margin"; amountUsd: bigint }
  | { kind: "remove-margin"; amountUsd: bigint };

/** The contract call a preview stands for, with its exact arguments. */
export type EngineCall =
  | { method: "modifyPosition"; marketId: string; sizeDelta: bigint; marginDelta: bigint; acceptablePrice: bigint }
  | { method: "closePosition"; marketId: string; acceptablePrice: bigint }
  /** Markets with an execution delay: size changes and margin removals are committed, a keeper executes. */
  | { method: "commitOrder"; marketId: string; sizeDelta: bigint; marginDelta: bigint; acceptablePrice: bigint };

/** The terms of a delayed order (null for an instant call). */
export interface OrderTerms {
  /** Seconds between commit and the earliest execution. */
  delaySeconds: bigint;
  /** If committed in the next block at the latest block's time: when it becomes executable and expires. */
  executableAt: bigint;
  expiresAt: bigint;
  /** Paid to whoever executes (or cancels) the order, even when execution cancels it. */
  executionFeeUsd: bigint;
  /** Taken from the free balance at commit: escrowed margin + execution fee. */
  debitedUsd: bigint;
}

/** The position right after the action (all from the SDK's post-action state). */
export interface ResultingPosition {
  sizeWad: bigint;
  entryPriceWad: bigint;
  marginUsd: bigint;
  /** margin + unrealised PnL at the oracle price (nothing is owed right after settlement). */
  equityUsd: bigint;
  notionalUsd: bigint;
  marginRatioWad: bigint;
  leverageWad: bigint | null;
  /** The `liquidationPrice` view of the new position (0 when no positive price liquidates it). */
  liquidationPriceWad: bigint;
}

/** Why the engine would refuse, as a custom error with its arguments. */
export interface PredictedRevert {
  errorName: string;
  args: ErrorArgs;
  /** "call": the transaction itself reverts; "execution": an order commits but its execution at the
   * current price would cancel it (its fee lost). */
  stage: "call" | "execution";
}

export interface TradePreview {
  call: EngineCall;
  /** The oracle price the preview used. */
  oraclePriceWad: bigint;
  /** null for a pure margin move. */
  fillPriceWad: bigint | null;
  /** (fill − oracle) / oracle, 1e18 = 100%; null for a pure margin move. */
  priceImpactWad: bigint | null;
  feeUsd: bigint;
  realizedPnlUsd: bigint;
  fundingPaidUsd: bigint;
  lossPaidUsd: bigint;
  /** Change of the free balance: margin in (−), margin out or released on close (+). */
  freeBalanceDeltaUsd: bigint;
  /** null once the position is closed. */
  after: ResultingPosition | null;
  /** The initial-margin test on the resulting position (null once closed). */
  initialMargin: InitialMarginCheck | null;
  /** The order's terms in a market with an execution delay (null when the call is instant). */
  order: OrderTerms | null;
  /** null when the engine should accept the call. */
  revert: PredictedRevert | null;
}

/** Thrown when a preview is asked for something that is not an action (zero size and no margin, …). */
export class InvalidTradeRequestError extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = "InvalidTradeRequestError";
  }
}

/**
 * The `acceptablePrice` for a fill and a slippage tolerance: buys accept up to fill × (1 + slippage)
 * (rounded down), sells down to fill × (1 − slippage) (rounded up), so the bound never exceeds the tolerance.
 */
export function acceptablePriceWad(fillPriceWad: bigint, isBuy: boolean, slippageBps: bigint): bigint {
  if (slippageBps < 0n || slippageBps >= BPS) throw new InvalidTradeRequestError("slippage must be in [0%, 100%)");
  if (isBuy) return (fillPriceWad * (BPS + slippageBps)) / BPS;
  const scaled = fillPriceWad * (BPS - slippageBps);
  return (scaled + BPS - 1n) / BPS;
}

/** The size a margin and a leverage give at a price: margin × leverage / price (base units, rounded down). */
export function sizeFromLeverage(marginUsd: bigint, leverageWad: bigint, priceWad: bigint): bigint {
  if (priceWad <= 0n) throw new InvalidTradeRequestError("no valid price");
  return (marginUsd * leverageWad) / priceWad;
}

/** The never-binding bound for a direction (the engine's "any price"). */
function unboundedAcceptablePrice(isBuy: boolean): bigint {
  return isBuy ? UINT256_MAX : 0n;
}

/** sizeDelta and marginDelta of an action (close: the whole position the other way). */
function deltas(s: EngineActionState, action: TradeAction): { sizeDelta: bigint; marginDelta: bigint } {
  switch (action.kind) {
    case "trade":
      if (action.sizeWad <= 0n && action.marginUsd === 0n) throw new InvalidTradeRequestError("enter a size");
      return { sizeDelta: action.side === "long" ? action.sizeWad : -action.sizeWad, marginDelta: action.marginUsd };
    case "close":
      return { sizeDelta: -s.position.size, marginDelta: 0n };
    case "add-margin":
      return { sizeDelta: 0n, marginDelta: action.amountUsd };
    case "remove-margin":
      return { sizeDelta: 0n, marginDelta: -action.amountUsd };
  }
}

function slippageOf(action: TradeAction): bigint {
  return action.kind === "trade" || action.kind === "close" ? action.slippageBps : 0n;
}

function resultingPosition(s: EngineActionState, result: ModifyPositionResult): ResultingPosition | null {
  const position = result.position;
  if (position.size === 0n) return null;
  const equityUsd = position.marginUsd + unrealizedPnlUsd(position.size, position.entryPriceWad, s.priceWad);
  const notional = notionalUsd(position.size, s.priceWad);
  const leverage = effectiveLeverage(position, s.priceWad, {
    fundingIndexWad: result.state.fundingIndexWad,
    longLossIndexWad: result.state.longLossIndexWad,
    shortLossIndexWad: result.state.shortLossIndexWad,
  });
  return {
    sizeWad: position.size,
    entryPriceWad: position.entryPriceWad,
    marginUsd: position.marginUsd,
    equityUsd,
    notionalUsd: notional,
    marginRatioWad: marginRatioWad(equityUsd, notional),
    leverageWad: leverage.leverageWad,
    liquidationPriceWad: liquidationPrice(result.state, s.params, s.tiers, position, s.priceWad, s.nowSeconds),
  };
}

/**
 * Previews `action` for `s.account` in `s.marketId`. Numbers come from the SDK's simulation with an
 * unbounded price (so they show even when a check fails); the decision from the full mirror with the
 * slippage bound. When the simulation itself reverts (a bankrupt close, removing more margin than the
 * position holds), only the revert is known and the numbers are null/zero.
 */
export function previewTradeAction(s: EngineActionState, action: TradeAction): TradePreview {
  const { sizeDelta, marginDelta } = deltas(s, action);
  const isBuy = sizeDelta > 0n;
  let simulated: ModifyPositionResult | null = null;
  let revert: PredictedRevert | null = null;
  try {
    simulated = simulateModifyPosition({
      params: s.params,
      state: s.state,
      position: s.position,
      sizeDelta,
      marginDelta,
      priceWad: s.priceWad,
      nowSeconds: s.nowSeconds,
      acceptablePrice: unboundedAcceptablePrice(isBuy),
    });
  } catch (error) {
    if (!(error instanceof EngineRevertError)) throw error;
  }
  const acceptablePrice =
    simulated === null || sizeDelta === 0n
      ? unboundedAcceptablePrice(isBuy)
      : acceptablePriceWad(simulated.trade.fillPriceWad, isBuy, slippageOf(action));
  // Adding margin only lowers risk: it stays instant in a market with delayed orders.
  const delayed = s.params.executionDelaySeconds !== 0n && (sizeDelta !== 0n || marginDelta < 0n);
  let order: OrderTerms | null = null;
  let call: EngineCall;
  if (delayed) {
    call = { method: "commitOrder", marketId: s.marketId, sizeDelta, marginDelta, acceptablePrice };
  } else if (action.kind === "close") {
    call = { method: "closePosition", marketId: s.marketId, acceptablePrice };
  } else {
    call = { method: "modifyPosition", marketId: s.marketId, sizeDelta, marginDelta, acceptablePrice };
  }
  try {
    if (call.method === "commitOrder") {
      const commit = previewCommitOrder(s, sizeDelta, marginDelta, acceptablePrice);
      order = {
        delaySeconds: s.params.executionDelaySeconds,
        executableAt: commit.order.executableAt,
        expiresAt: commit.order.expiresAt,
        executionFeeUsd: commit.order.executionFeeUsd,
        debitedUsd: commit.debitedUsd,
      };
      if (commit.execution.outcome === "cancelled") {
        const reason = commit.execution.reason;
        revert = { errorName: reason.errorName, args: reason.args, stage: "execution" };
      }
    } else if (call.method === "closePosition") {
      previewClosePosition(s, acceptablePrice);
    } else {
      previewModifyPosition(s, sizeDelta, marginDelta, acceptablePrice);
    }
  } catch (error) {
    if (!(error instanceof PredictedRevertError)) throw error;
    revert = { errorName: error.errorName, args: error.args, stage: "call" };
  }
  const traded = simulated !== null && sizeDelta !== 0n;
  return {
    call,
    oraclePriceWad: s.priceWad,
    fillPriceWad: traded ? simulated!.trade.fillPriceWad : null,
    priceImpactWad: traded ? priceImpactWad(simulated!.trade.fillPriceWad, s.priceWad) : null,
    feeUsd: simulated?.trade.feeUsd ?? 0n,
    realizedPnlUsd: simulated?.trade.realizedPnlUsd ?? 0n,
    fundingPaidUsd: simulated?.fundingPaidUsd ?? 0n,
    lossPaidUsd: simulated?.lossPaidUsd ?? 0n,
    freeBalanceDeltaUsd: simulated?.freeBalanceDeltaUsd ?? 0n,
    after: simulated === null ? null : resultingPosition(s, simulated),
    initialMargin:
      simulated === null || simulated.position.size === 0n
        ? null
        : initialMarginCheck(s.params, s.tiers, simulated.position, s.priceWad),
    order,
    revert,
  };
}
