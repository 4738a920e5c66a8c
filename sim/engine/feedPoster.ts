/**
 * Posts the path's prices to the mock Chainlink feeds, and re-posts the current price when a feed would go
 * stale (a long setup or a long step must not trip the adapter's heartbeat check by accident).
 */
import { parseUnits } from "ethers";
import type { RunContext } from "./runContext";

/** Re-post the same answer once a feed is this old (half the 1-hour heartbeat of deploy/config.ts). */
export const FEED_REFRESH_SECONDS = 1_800;

export class FeedPoster {
  private readonly answers = new Map<string, bigint>();
  private readonly updatedAt = new Map<string, number>();

  constructor(
    private readonly context: RunContext,
    private readonly feeder: string,
  ) {}

  /** Posts `priceUsd` (decimal string) for `symbol`; logs the action. */
  async post(symbol: string, priceUsd: string): Promise<void> {
    const market = this.context.market(symbol);
    const answer = parseUnits(priceUsd, market.feedDecimals);
    const timestamp = this.context.chain.clock.peek();
    const outcome = await this.context.calls.updateFeed(this.feeder, market.feed, answer);
    this.context.logAction("feeder", this.feeder, "feedUpdate", outcome);
    this.context.required(`price update of ${symbol}`, outcome);
    this.answers.set(symbol, answer);
    this.updatedAt.set(symbol, timestamp);
  }

  /** Marks a feed as posted at deployment (its constructor set the first answer). */
  seeded(symbol: string, priceUsd: string, timestamp: number): void {
    this.answers.set(symbol, parseUnits(priceUsd, this.context.market(symbol).feedDecimals));
    this.updatedAt.set(symbol, timestamp);
  }

  /** Re-posts every feed whose last update is older than FEED_REFRESH_SECONDS at the next block. */
  async refreshStale(): Promise<void> {
    const now = this.context.chain.clock.peek();
    for (const [symbol, answer] of this.answers) {
      if (now - (this.updatedAt.get(symbol) ?? 0) < FEED_REFRESH_SECONDS) continue;
      const market = this.context.market(symbol);
      const timestamp = this.context.chain.clock.peek();
      const outcome = await this.context.calls.updateFeed(this.feeder, market.feed, answer);
      this.context.logAction("feeder", this.feeder, "feedRefresh", outcome);
      this.context.required(`price refresh of ${symbol}`, outcome);
      this.updatedAt.set(symbol, timestamp);
    }
  }
}
