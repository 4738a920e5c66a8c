/**
 * The keeper's turns in a step: one cycle right after the price update, and — when traders committed
 * delayed orders — another once their delay is over (the clock moves by the longest market delay and an
 * empty block is mined, so the keeper sees the orders executable at the step's price).
 */
import type { ChainEvent } from "../events/decodeEvents";
import type { RunContext } from "./runContext";

/** One keeper cycle; its transactions are logged and the events it caused collected. */
export async function keeperCycle(context: RunContext): Promise<ChainEvent[]> {
  const result = await context.keeper.processBlock();
  for (const tx of result.transactions) context.logAction("keeper", context.keeper.address, tx.kind, tx.outcome);
  return context.collectEvents();
}

/**
 * Runs a cycle for the orders waiting if the oldest was committed half an expiry ago: a long setup or a busy
 * step takes many seconds of chain time (one per transaction) and must not let early orders expire.
 */
export async function executeOrdersBeforeExpiry(context: RunContext): Promise<ChainEvent[]> {
  if (context.ordersAwaitingExecution === 0) return [];
  const expirySeconds = Math.min(...context.deployment.markets.map((m) => Number(m.params.orderExpirySeconds)));
  if (context.chain.clock.peek() - context.oldestAwaitingCommitAt < expirySeconds / 2) return [];
  return executeCommittedOrders(context);
}

/** Lets the orders committed since the last cycle mature, then runs a cycle to execute them. */
export async function executeCommittedOrders(context: RunContext): Promise<ChainEvent[]> {
  if (context.ordersAwaitingExecution === 0) return [];
  const delaySeconds = Math.max(...context.deployment.markets.map((m) => Number(m.params.executionDelaySeconds)));
  context.chain.clock.advanceTo(context.chain.clock.peek() + delaySeconds);
  await context.chain.mineEmptyBlock();
  context.ordersAwaitingExecution = 0;
  return keeperCycle(context);
}
