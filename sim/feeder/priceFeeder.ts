/**
 * The devnet's price feeder (issue 14, `npm start`): moves the local mock Chainlink feeds along a seeded
 * random walk, keeps them fresh (a post at least every half heartbeat even when paused), and can crash or
 * squeeze a market at once (`crash`, `squeeze`: one update, or spread over a few ticks) or set a price.
 *
 * It sends from an unlocked account of the local node and leaves the node's mining and time alone.
 */
import type { Interface } from "ethers";
import { MockV3Aggregator__factory } from "../../typechain-types";
import type { AddressBook } from "../../sdk/addressBook";
import type { SimChain } from "../chain/simChain";
import { SimError } from "../errors";
import { Prng } from "../random/prng";

const feedInterface = MockV3Aggregator__factory.createInterface() as Interface;
const FEED_UPDATE_GAS = 250_000n;
const BPS = 10_000;
const PERCENT = 100;

export interface PriceFeederOptions {
  chain: SimChain;
  book: AddressBook;
  /** Unlocked account of the node that sends the updates. */
  sender: string;
  seed: number | string;
  /** Wall-clock time between ticks. */
  intervalMs: number;
  /** σ of one tick's log return, in bps. */
  volatilityBpsPerTick: number;
  /** Share of the log distance to the starting price pulled back each tick (keeps the demo near its levels). */
  meanReversionPerTick: number;
  /** The adapters' heartbeat: a feed is re-posted once half of it has passed without an update. */
  heartbeatSeconds: number;
  /** Symbols to move (default: every market of the address book). */
  markets?: string[];
  log?: (line: string) => void;
}

export const DEFAULT_FEEDER_SETTINGS = {
  // The adapter's breaker reads at most 32 rounds back: more updates than that inside one 5-minute cooldown keep a
  // market volatile. 12.5 s is 24 a window (room for crash/squeeze commands); 30 bps is 15 bps per 3 s scaled by √t.
  intervalMs: 12_500,
  volatilityBpsPerTick: 30,
  meanReversionPerTick: 0.01,
  heartbeatSeconds: 3_600,
} as const;

export class FeederCommandError extends SimError {
  constructor(message: string) {
    super(message);
    this.name = "FeederCommandError";
  }
}

interface FeedState {
  symbol: string;
  feed: string;
  decimals: number;
  anchorUsd: number;
  priceUsd: number;
  /** Shocks still to apply, one factor per tick. */
  pendingFactors: number[];
  lastPostedAt: number;
}

export interface FeedStatus {
  symbol: string;
  priceUsd: number;
  /** Chain time of the last update this feeder posted. */
  lastPostedAt: number;
}

export class PriceFeeder {
  private readonly prng: Prng;
  private readonly feeds = new Map<string, FeedState>();
  private timer: NodeJS.Timeout | undefined;
  private paused = false;
  private ticking: Promise<void> = Promise.resolve();

  private constructor(private readonly options: PriceFeederOptions) {
    this.prng = new Prng(options.seed).fork("feeder");
  }

  /** Reads each feed's current answer (the walk's anchor) and starts ticking. */
  static async start(options: PriceFeederOptions): Promise<PriceFeeder> {
    const feeder = new PriceFeeder(options);
    const symbols = options.markets ?? options.book.markets.map((m) => m.symbol);
    for (const symbol of symbols) {
      const market = options.book.markets.find((m) => m.symbol === symbol);
      if (!market) throw new FeederCommandError(`market ${symbol} is not in the address book`);
      const raw = await options.chain.call(market.priceFeed, feedInterface.encodeFunctionData("latestRoundData", []));
      const [, answer, , updatedAt] = feedInterface.decodeFunctionResult("latestRoundData", raw);
      const priceUsd = Number(answer) / 10 ** market.priceFeedDecimals;
      feeder.feeds.set(symbol, {
        symbol,
        feed: market.priceFeed,
        decimals: market.priceFeedDecimals,
        anchorUsd: priceUsd,
        priceUsd,
        pendingFactors: [],
        lastPostedAt: Number(updatedAt),
      });
    }
    feeder.timer = setInterval(() => void feeder.tick(), options.intervalMs);
    return feeder;
  }

  private state(symbol: string): FeedState {
    const state = this.feeds.get(symbol);
    if (!state)
      throw new FeederCommandError(`unknown market ${symbol} (feeding: ${[...this.feeds.keys()].join(", ")})`);
    return state;
  }

  private async post(state: FeedState, priceUsd: number): Promise<void> {
    const answer = BigInt(Math.round(priceUsd * 10 ** state.decimals));
    if (answer <= 0n) throw new FeederCommandError(`${state.symbol}: price ${priceUsd} rounds to 0`);
    const outcome = await this.options.chain.sendTransaction({
      from: this.options.sender,
      to: state.feed,
      data: feedInterface.encodeFunctionData("updateAnswer", [answer]),
      gas: FEED_UPDATE_GAS,
    });
    if (!outcome.ok) throw new SimError(`${state.symbol} update failed: ${outcome.reason.name}`);
    state.priceUsd = priceUsd;
    const head = await this.options.chain.blockNumber();
    state.lastPostedAt = await this.options.chain.blockTimestamp(head);
  }

  /** One tick: every feed moves (pending shock first, else the random walk) or is refreshed when paused. */
  tick(): Promise<void> {
    this.ticking = this.ticking
      .then(() => this.tickNow())
      .catch((error: unknown) => {
        this.options.log?.(`feeder: ${(error as Error).message}`);
      });
    return this.ticking;
  }

  private async tickNow(): Promise<void> {
    const head = await this.options.chain.blockNumber();
    const now = await this.options.chain.blockTimestamp(head);
    for (const state of this.feeds.values()) {
      const shock = state.pendingFactors.shift();
      if (shock !== undefined) {
        await this.post(state, state.priceUsd * shock);
        this.options.log?.(`feeder: ${state.symbol} → ${state.priceUsd.toFixed(2)} (shock)`);
      } else if (!this.paused) {
        const sigma = this.options.volatilityBpsPerTick / BPS;
        const pull = -this.options.meanReversionPerTick * Math.log(state.priceUsd / state.anchorUsd);
        await this.post(state, state.priceUsd * Math.exp(pull + sigma * this.prng.normal()));
      } else if (now - state.lastPostedAt >= this.options.heartbeatSeconds / 2) {
        await this.post(state, state.priceUsd);
      }
    }
  }

  /** Moves `symbol` by `changePct` (e.g. −40): at once with steps = 1, else over the next `steps` ticks. */
  async shock(symbol: string, changePct: number, steps = 1): Promise<void> {
    if (!(changePct > -PERCENT)) throw new FeederCommandError("a move must be above −100%");
    if (!Number.isInteger(steps) || steps < 1) throw new FeederCommandError("steps must be a positive integer");
    const state = this.state(symbol);
    const factor = Math.pow(1 + changePct / PERCENT, 1 / steps);
    state.pendingFactors = Array.from({ length: steps }, () => factor);
    if (steps === 1) await this.tick();
  }

  crash(symbol: string, dropPct: number, steps = 1): Promise<void> {
    return this.shock(symbol, -Math.abs(dropPct), steps);
  }

  squeeze(symbol: string, risePct: number, steps = 1): Promise<void> {
    return this.shock(symbol, Math.abs(risePct), steps);
  }

  /** Posts `priceUsd` for `symbol` now and makes it the walk's new anchor. */
  async setPrice(symbol: string, priceUsd: number): Promise<void> {
    if (!(priceUsd > 0)) throw new FeederCommandError("a price must be positive");
    const state = this.state(symbol);
    state.anchorUsd = priceUsd;
    state.pendingFactors = [priceUsd / state.priceUsd];
    await this.tick();
  }

  /** Stops the random walk (feeds stay fresh); `resume` restarts it. */
  pause(): void {
    this.paused = true;
  }

  resume(): void {
    this.paused = false;
  }

  status(): FeedStatus[] {
    return [...this.feeds.values()].map((s) => ({
      symbol: s.symbol,
      priceUsd: s.priceUsd,
      lastPostedAt: s.lastPostedAt,
    }));
  }

  /** Stops ticking and waits for the tick in flight. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.ticking;
  }
}
