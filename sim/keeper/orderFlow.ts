/**
 * How a simulated trader's trade reaches the market, whichever keeper runs: `commitOrder` in a market with an
 * execution delay (issue 11: the keeper executes it once the delay is over), `modifyPosition`/`closePosition` at
 * once otherwise. The trader sends it; the keeper has no part in it.
 */
import type { ProtocolCalls } from "../protocol/calls";
import type { SimDeployment } from "../protocol/deployment";
import type { OrderRequest, OrderSubmission } from "./keeperAdapter";

export class MarketOrderFlow {
  constructor(
    private readonly deployment: SimDeployment,
    private readonly calls: ProtocolCalls,
  ) {}

  async submitOrder(order: OrderRequest): Promise<OrderSubmission> {
    const market = this.deployment.markets.find((m) => m.marketId.toLowerCase() === order.marketId.toLowerCase());
    if (market && market.params.executionDelaySeconds > 0n) {
      const outcome = await this.calls.commitOrder(
        order.account,
        order.marketId,
        order.sizeDelta,
        order.marginDeltaUsd,
        order.acceptablePrice,
      );
      return { status: outcome.ok ? "committed" : "rejected", outcome };
    }
    const outcome = order.closeAll
      ? await this.calls.closePosition(order.account, order.marketId, order.acceptablePrice)
      : await this.calls.modifyPosition(
          order.account,
          order.marketId,
          order.sizeDelta,
          order.marginDeltaUsd,
          order.acceptablePrice,
        );
    return { status: outcome.ok ? "executed" : "rejected", outcome };
  }
}
