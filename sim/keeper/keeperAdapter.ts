/**
 * THE ONE PLACE where the simulator meets the keeper and the order flow (issue 14: "the real keeper code";
 * issue 11: trades are orders that a keeper executes).
 *
 * The simulator calls only these two interfaces:
 * - `KeeperAdapter.processBlock()` once per keeper cycle (after every price update): find and liquidate
 *   every liquidatable position, run vault protection, execute due orders. Its transactions go through the
 *   same chain (and so the simulated clock) as everything else.
 * - `OrderFlow.submitOrder()` for every trade a trader wants (open, close, size changes, margin removal).
 *   Adding margin stays instant and does not go through it.
 *
 * Today both are implemented by `StandInKeeper` (sim/keeper/standInKeeper.ts): the SDK decides
 * liquidatability from an event-sourced mirror, `liquidateMany` executes, due delayed orders are executed
 * with `executeOrder` (expired ones cancelled), and trades are committed with `commitOrder` in markets with
 * an execution delay (instant `modifyPosition` otherwise). When the real keeper (branch `keeper`, folder
 * keeper/) lands, plug it in here by implementing these interfaces in a new file and returning it from
 * `createKeeper`; nothing else in sim/ changes. The simulator mines an empty block at the simulated time
 * before each cycle, so a keeper that watches the head sees orders become executable.
 */
import type { ProtocolCalls } from "../protocol/calls";
import type { SimChain, TxOutcome } from "../chain/simChain";
import type { SimDeployment } from "../protocol/deployment";
import { StandInKeeper, type StandInKeeperOptions } from "./standInKeeper";

/** One trade as the trader wants it; `acceptablePrice` bounds the fill as in `modifyPosition`. */
export interface OrderRequest {
  account: string;
  marketId: string;
  sizeDelta: bigint;
  marginDeltaUsd: bigint;
  acceptablePrice: bigint;
  /** Close the whole position (sizeDelta is then ignored). */
  closeAll?: boolean;
}

/** What submitting did: executed at once (instant markets) or committed for a keeper to execute. */
export interface OrderSubmission {
  status: "executed" | "committed" | "rejected";
  outcome: TxOutcome;
}

/** What one keeper cycle did. */
export interface KeeperStepResult {
  /** Every transaction the keeper sent this cycle ("liquidateMany", "deleverageVault", "executeOrder" …). */
  transactions: { kind: string; outcome: TxOutcome }[];
  /** Positions it asked `liquidateMany` to liquidate (account, marketId). */
  liquidationsAttempted: number;
  /** `deleverageVault` calls sent. */
  vaultProtectionCalls: number;
  /** Delayed orders executed or cancelled. */
  ordersProcessed: number;
}

export interface KeeperAdapter {
  /** Shown in reports. */
  readonly name: string;
  /** The address the keeper sends from (its rewards land in its free balance). */
  readonly address: string;
  /** Called once after deployment, before the population trades. */
  start(): Promise<void>;
  /** One keeper cycle on the current chain head. */
  processBlock(): Promise<KeeperStepResult>;
  stop(): Promise<void>;
}

export interface OrderFlow {
  submitOrder(order: OrderRequest): Promise<OrderSubmission>;
}

export interface KeeperContext {
  chain: SimChain;
  deployment: SimDeployment;
  calls: ProtocolCalls;
  keeperAddress: string;
  options: StandInKeeperOptions;
}

/** The keeper and order flow the simulator runs with. */
export function createKeeper(context: KeeperContext): KeeperAdapter & OrderFlow {
  return new StandInKeeper(context.chain, context.deployment, context.calls, context.keeperAddress, context.options);
}
