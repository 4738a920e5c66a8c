import { expect } from "chai";
import fc from "fast-check";
import { network } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { formatUnits } from "ethers";

import { adlKey, compareAdlPriority, type AdlIndices, type AdlPosition } from "../../sdk/adl/adlMath";
import { signedTickOf as tickOf } from "./adlQueueModel";
import { ETH, usd, size as units, ANY_BUY_PRICE as MAX_BUY, ANY_SELL_PRICE as ANY_SELL } from "../helpers/fixtures";
import {
  WAD,
  BPS,
  assertConservation,
  mintAndDeposit as fund,
  deployWithAdl,
  engineEventArgs,
  ethConfig,
} from "../helpers/engineHelpers";
import { movePrice, indicesOf, readQueues } from "./helpers";

// DESIGN §12.11 / §9: after every state change, each ADL queue (read through `adlQueueHead` and the ranks of
// `adlLight`) is in effective-leverage order at the current price and indices, computed from `getPosition`,
// `getMarketState` and `currentFundingIndexWad` — ties allowed only between keys in one 2^-14 tick — its
// members are exactly the positions with size ≠ 0 and entry notional ≥ minQueueNotionalUsd, and the lights
// are 5 − floor(5·rank/length). Random opens, increases, reduces, flips, closes, margin moves, funding time
// and price moves for 10 traders; liquidations (with ADL) sweep every liquidatable position after each
// price or time step, and must never revert.

const MIN_QUEUE_NOTIONAL = usd("5000");
const TRADERS = 10;
/** A small skew scale and the maximum funding rate make funding move bankruptcy prices visibly. */
const CONFIG = ethConfig({
  skewScale: units("5000"),
  maxOpenInterestPerSide: units("4000"),
  maxFundingRatePerDayWad: WAD,
  maxVaultExposureBps: 20_000n,
});

async function deployOrderFixture() {
  const s = await deployWithAdl(CONFIG, { minQueueNotionalUsd: MIN_QUEUE_NOTIONAL, maxSteps: 16n });
  const traders = s.traders.slice(0, TRADERS);
  for (const t of traders) await fund(s, t, "300000");
  return { s, traders };
}

type Action =
  | { kind: "trade"; trader: number; milliEth: number; leverage: number }
  | { kind: "close"; trader: number }
  | { kind: "addMargin"; trader: number; usd: number }
  | { kind: "removeMargin"; trader: number; bps: number }
  | { kind: "time"; seconds: number }
  | { kind: "price"; bps: number };

const trader = fc.integer({ min: 0, max: TRADERS - 1 });
const actionArb: fc.Arbitrary<Action> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      kind: fc.constant("trade" as const),
      trader,
      // −40 … 40 ETH, biased to small sizes (some below the 2.5 ETH queue minimum at 2,000).
      milliEth: fc.oneof(fc.integer({ min: -40_000, max: 40_000 }), fc.integer({ min: -3_000, max: 3_000 })),
      leverage: fc.integer({ min: 1, max: 15 }),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("close" as const), trader }) },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant("addMargin" as const),
      trader,
      usd: fc.integer({ min: 10, max: 20_000 }),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant("removeMargin" as const),
      trader,
      bps: fc.integer({ min: 1, max: 6_000 }),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({ kind: fc.constant("time" as const), seconds: fc.integer({ min: 60, max: 172_800 }) }),
  },
  {
    weight: 2,
    arbitrary: fc.record({ kind: fc.constant("price" as const), bps: fc.integer({ min: -1_200, max: 1_200 }) }),
  },
);

const pairStats = { compared: 0, sameTick: 0 };

/** Consecutive queue members must be in leverage order unless their keys share a tick. */
function expectLeverageOrder(
  order: string[],
  positions: Map<string, AdlPosition>,
  priceWad: bigint,
  indices: AdlIndices,
  isLong: boolean,
) {
  for (let i = 0; i + 1 < order.length; i++) {
    const [a, b] = [positions.get(order[i])!, positions.get(order[i + 1])!];
    const [ta, tb] = [tickOf(adlKey(a)), tickOf(adlKey(b))];
    // The structure itself: ticks descend (longs) / ascend (shorts) along the queue.
    expect(isLong ? ta >= tb : ta <= tb, `${isLong ? "long" : "short"} ticks in queue order at ${i}`).to.equal(true);
    if (ta === tb) {
      pairStats.sameTick++;
      continue;
    }
    pairStats.compared++;
    expect(
      compareAdlPriority(a, b, priceWad, indices) <= 0,
      `${isLong ? "long" : "short"} #${i} (${order[i]}) is at least as leveraged as #${i + 1} (${order[i + 1]})`,
    ).to.equal(true);
  }
}

describe("ADL queue order", () => {
  it("invariant_queueOrderEqualsLeverageOrder_membershipAndLights_after_every_step", async () => {
    const { s, traders } = await loadFixture(deployOrderFixture);
    const marketId = s.market(ETH).marketId;
    const addresses = traders.map((t) => t.address);
    const accounts = [s.deployer.address, s.keeper.address, ...addresses];
    const done: Record<string, number> = {};
    let liquidations = 0;
    let deleveraged = 0;

    const check = async () => {
      const [priceWad, indices, q] = await Promise.all([
        s.engine.markPrice(marketId),
        indicesOf(s.engine, marketId),
        readQueues(s.engine, marketId, addresses, MIN_QUEUE_NOTIONAL),
      ]);
      expectLeverageOrder(q.long.order, q.positions, priceWad, indices, true);
      expectLeverageOrder(q.short.order, q.positions, priceWad, indices, false);
      // The vault holds no stored position and is in no queue.
      expect(await s.engine.adlLight(await s.vault.getAddress(), marketId)).to.deep.equal([0n, 0n, 0n]);
    };

    const sweepLiquidations = async () => {
      for (const t of addresses) {
        if (!(await s.engine.isLiquidatable(t, marketId))) continue;
        // Liveness: a liquidatable position can always be liquidated (ADL included).
        const tx = await s.engine.connect(s.keeper).liquidate(t, marketId);
        liquidations++;
        deleveraged += (await engineEventArgs(s.engine, tx, "Deleveraged")).length;
      }
    };

    /** Applies one step; returns the kind of change it made, or undefined when it did nothing. */
    const apply = async (a: Action): Promise<string | undefined> => {
      const signer = "trader" in a ? traders[a.trader] : s.keeper;
      const engine = s.engine.connect(signer);
      const position = "trader" in a ? await s.engine.getPosition(signer.address, marketId) : undefined;
      const priceWad = await s.engine.markPrice(marketId);
      switch (a.kind) {
        case "trade": {
          const delta = (BigInt(a.milliEth) * WAD) / 1000n;
          if (delta === 0n) return undefined;
          const old = position!.size;
          const absOf = (x: bigint) => (x < 0n ? -x : x);
          // New exposure (open, increase, flip) brings margin for the chosen leverage; a reduce brings none.
          const openedAbs =
            old === 0n || old > 0n === delta > 0n
              ? absOf(delta)
              : absOf(delta) > absOf(old)
                ? absOf(delta) - absOf(old)
                : 0n;
          const margin = (openedAbs * priceWad) / WAD / BigInt(a.leverage) + usd("20");
          await engine.modifyPosition(marketId, delta, openedAbs === 0n ? 0n : margin, delta > 0n ? MAX_BUY : ANY_SELL);
          if (old === 0n) return "open";
          if (old > 0n === delta > 0n) return "increase";
          if (absOf(delta) < absOf(old)) return "reduce";
          return absOf(delta) === absOf(old) ? "close" : "flip";
        }
        case "close":
          if (position!.size === 0n) return undefined;
          await engine.closePosition(marketId, position!.size > 0n ? ANY_SELL : MAX_BUY);
          return "close";
        case "addMargin":
          if (position!.size === 0n) return undefined;
          await engine.modifyPosition(marketId, 0n, usd(String(a.usd)), 0n);
          return "addMargin";
        case "removeMargin": {
          if (position!.size === 0n) return undefined;
          const amount = (position!.marginUsd * BigInt(a.bps)) / BPS;
          if (amount === 0n) return undefined;
          await engine.modifyPosition(marketId, 0n, -amount, 0n);
          return "removeMargin";
        }
        case "time":
          await time.increase(a.seconds);
          // Refresh the feed (1-hour heartbeat) at the same price, recorded by a funding poke.
          await movePrice(s, formatUnits(priceWad, 18));
          await sweepLiquidations();
          return "time";
        case "price": {
          let next = (priceWad * (BPS + BigInt(a.bps))) / BPS;
          next -= next % 10n ** 10n; // 8 feed decimals
          if (next < usd("500") || next > usd("8000")) return undefined;
          await movePrice(s, formatUnits(next, 18));
          await sweepLiquidations();
          return "price";
        }
      }
    };

    await fc.assert(
      fc.asyncProperty(fc.array(actionArb, { minLength: 20, maxLength: 35 }), async (actions) => {
        const snapshot = await network.provider.send("evm_snapshot", []);
        try {
          for (const a of actions) {
            let kind: string | undefined;
            try {
              kind = await apply(a);
            } catch (error) {
              // Owner actions may be rejected by the engine (margin, caps, volatility); nothing else may fail.
              const message = String((error as Error).message);
              if (!message.includes("reverted with custom error")) throw error;
            }
            if (kind) done[kind] = (done[kind] ?? 0) + 1;
            await check();
          }
          await assertConservation({ engine: s.engine, accounts, marketIds: s.markets.map((m) => m.marketId) });
        } finally {
          await network.provider.send("evm_revert", [snapshot]);
        }
      }),
      { numRuns: 20 },
    );
    // The random walk exercised every kind of step, and liquidations with ADL happened.
    for (const kind of ["open", "increase", "reduce", "flip", "close", "addMargin", "removeMargin", "time", "price"]) {
      expect(done[kind] ?? 0, `successful ${kind} steps`).to.be.greaterThan(0);
    }
    expect(liquidations, "liquidations").to.be.greaterThan(0);
    console.log(
      `      steps: ${JSON.stringify(done)}, liquidations: ${liquidations}, Deleveraged: ${deleveraged}, pairs ${JSON.stringify(pairStats)}`,
    );
  });
});
