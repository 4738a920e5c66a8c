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
 * Two implementations (the scenario's `keeper.implementation`, or `--keeper`):
 * - `RealKeeper` (sim/keeper/realKeeper.ts, the default): the project's keeper (keeper/) in this process, one
 *   `Keeper.step()` per block it should act on, over a JSON-RPC bridge that stamps its transactions with the
 *   simulated clock;
 * - `StandInKeeper` (sim/keeper/standInKeeper.ts): the simulator's own minimal keeper (the SDK's health on an
 *   event mirror, `liquidateMany`, `deleverageVault`, due orders), kept as a cross-check and for the demo
 *   seeding, which executes its own orders on a devnet where the real keeper also runs.
 * Trades are committed by the traders themselves through `MarketOrderFlow` (sim/keeper/orderFlow.ts) with
 * either. The simulator mines an empty block at the simulated time before each order cycle, so a keeper that
 * watches the head sees orders become executable.
 */
import type { ProtocolCalls } from "../protocol/calls";
import type { SimChain, TxOutcome } from "../chain/simChain";
import type { SimDeployment } from "../protocol/deployment";
import type { KeeperImplementation } from "../scenario/schema";
import { RealKeeper } from "./realKeeper";
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
  options: StandInKeeperOptions & { implementation: KeeperImplementation };
  /** The stand-in's sending address (impersonated); the real keeper signs with its own key. */
  standInAddress: string;
}

/** The keeper and order flow the simulator runs with. */
export function createKeeper(context: KeeperContext): KeeperAdapter & OrderFlow {
  if (context.options.implementation === "keeper") {
    return new RealKeeper(context.chain, context.deployment, context.calls, context.options);
  }
  return new StandInKeeper(context.chain, context.deployment, context.calls, context.standInAddress, context.options);
}
