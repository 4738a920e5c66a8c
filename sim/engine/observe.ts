/**
 * Reads what the checks and charts need from the chain's views at the head block and records it: per
 * market the price and aggregates, the engine's totals (token balance, vault cash, insurance fund, vault
 * equity both ways, share supply, Σ free balances), and — with the SDK over the event mirror — every open
 * position's equity: which are negative, how many are still liquidatable, Σ of the positive ones.
 */
import { currentFundingIndexWad, positionHealth } from "../../sdk/math/engineMath";
import type { MarketObservation, ObservationRecord, PositionEquity } from "../report/runLog";
import type { FreeBalanceBook } from "./freeBalances";
import type { RunContext } from "./runContext";

/**
 * @param freeBalances For the step's end: the book of free balances and whether to re-read every account.
 * Without it (after the keeper) only the markets and the insurance fund are read.
 */
export async function observe(
  context: RunContext,
  phase: ObservationRecord["phase"],
  freeBalances?: { book: FreeBalanceBook; full: boolean },
): Promise<ObservationRecord> {
  const { chain, calls } = context;
  const block = await chain.blockNumber();
  const timestamp = await chain.blockTimestamp(block);
  const markets: Record<string, MarketObservation> = {};
  const negativeEquity: PositionEquity[] = [];
  let liquidatableCount = 0;
  let positiveEquityUsd = 0n;
  let openPositions = 0;
  for (const market of context.deployment.markets) {
    const price = await calls.markPrice(market.marketId, block);
    const state = await calls.marketState(market.marketId, block);
    markets[market.symbol] = {
      priceWad: price === undefined ? null : price.toString(),
      netSize: state.netSize.toString(),
      longOpenInterest: state.longOpenInterest.toString(),
      shortOpenInterest: state.shortOpenInterest.toString(),
      fundingIndexWad: state.fundingIndexWad.toString(),
      longLossIndexWad: state.longLossIndexWad.toString(),
      shortLossIndexWad: state.shortLossIndexWad.toString(),
      sumSizeTimesEntry: state.sumSizeTimesEntry.toString(),
      sumSizeTimesFundingSnapshot: state.sumSizeTimesFundingSnapshot.toString(),
      sumLongSizeTimesLossSnapshot: state.sumLongSizeTimesLossSnapshot.toString(),
      sumShortSizeTimesLossSnapshot: state.sumShortSizeTimesLossSnapshot.toString(),
    };
    const positions = context.ledger.openPositions(market.marketId);
    openPositions += positions.length;
    if (price === undefined) continue;
    const fundingIndex = currentFundingIndexWad(state, market.params, price, BigInt(timestamp));
    for (const [account, position] of positions) {
      const health = positionHealth(state, position, price, fundingIndex, market.tiers, market.params.keeperRewardUsd);
      if (health.isLiquidatable) liquidatableCount++;
      if (health.equityUsd < 0n) {
        negativeEquity.push({ account, marketId: market.marketId, equityUsd: health.equityUsd.toString() });
      } else {
        positiveEquityUsd += health.equityUsd;
      }
    }
  }
  const totals = freeBalances ? await calls.totals(block) : undefined;
  const free = freeBalances ? await freeBalances.book.total(calls, block, freeBalances.full) : undefined;
  const insuranceFundUsd = totals ? totals.insuranceFundUsd : await calls.insuranceFund(block);
  const escrowedOrdersUsd = freeBalances ? await calls.escrowedOrders(block) : undefined;
  const record: ObservationRecord = {
    type: "observation",
    step: context.step,
    phase,
    block,
    timestamp,
    markets,
    negativeEquity,
    liquidatableCount,
    positiveEquityUsd: positiveEquityUsd.toString(),
    openPositions,
    insuranceFundUsd: insuranceFundUsd.toString(),
    engineTokenBalance: totals?.engineTokenBalance.toString() ?? null,
    vaultCashUsd: totals?.vaultCashUsd.toString() ?? null,
    vaultShareSupply: totals?.vaultShareSupply.toString() ?? null,
    vaultEquityForDepositUsd: totals?.vaultEquityForDepositUsd?.toString() ?? null,
    vaultEquityForWithdrawUsd: totals?.vaultEquityForWithdrawUsd?.toString() ?? null,
    freeBalancesUsd: free?.toString() ?? null,
    escrowedOrdersUsd: escrowedOrdersUsd?.toString() ?? null,
  };
  context.records.push(record);
  return record;
}
