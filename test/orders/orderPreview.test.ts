import { expect } from "chai";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import fc from "fast-check";

import { LOCAL_CONFIG, withDelayedOrders } from "../../deploy/config";
import { deployWith, usd, size, ETH, BTC } from "../helpers/fixtures";
import { depositFromTraders, engineEventArgs, pinNextTimestamp, type System } from "../helpers/engineHelpers";
import { previewOrderExecution, commitOrderPreview, orderStatus, type Order } from "../../sdk/orders/orderRules";
import type { MarginTier } from "../../sdk/math/types";
import type { VaultMarketInput } from "../../sdk/math/engineMath";
import { toMarketParams, toMarketState, toPosition } from "../sdk/support";

// Differential test of the order mirror (sdk/orders/orderRules.ts, sdk/math/tradeChecks.ts) against the
// engine: random commits, price moves, pauses and reduce-only switches, time; before each execution the SDK
// predicts the outcome from the chain's state, and the engine must do exactly that (the fill and the
// position to the wei, or the cancellation with the same custom error and values).

const DELAY = 10n;
const EXPIRY = 120n;
const FEE = usd("0.5");
const RUNS = Number(process.env.ORDER_DIFF_RUNS ?? 20);
const ORDERS = { executionDelaySeconds: DELAY, orderExpirySeconds: EXPIRY, executionFeeUsd: FEE };

async function deployDiff() {
  const s = await deployWith(withDelayedOrders(LOCAL_CONFIG, ORDERS));
  await depositFromTraders(s, 6, "60000");
  return s;
}

function toOrder(x: Awaited<ReturnType<System["engine"]["getOrder"]>>): Order {
  return {
    sizeDelta: x.sizeDelta,
    sizeAtCommit: x.sizeAtCommit,
    marginDeltaUsd: x.marginDeltaUsd,
    acceptablePriceWad: x.acceptablePriceWad,
    executableAt: x.executableAt,
    expiresAt: x.expiresAt,
    executionFeeUsd: x.executionFeeUsd,
  };
}

/** The SDK's prediction of executing `account`'s ETH order in the next block (timestamp `now`). */
async function predict(s: System, account: string, now: bigint) {
  const eth = s.market(ETH).marketId;
  const ids = [eth, s.market(BTC).marketId];
  const vaultMarkets: VaultMarketInput[] = [];
  for (const id of ids) {
    const [, params] = await s.engine.getMarketConfig(id);
    vaultMarkets.push({
      state: toMarketState(await s.engine.getMarketState(id)),
      params: toMarketParams(params),
      priceWad: await s.engine.markPrice(id),
    });
  }
  const price = vaultMarkets[0].priceWad;
  const [, isVolatile] = await s.market(ETH).adapter.latestPrice();
  const [reduceOnly, settlement] = await s.engine.marketStatus(eth);
  const tiers: MarginTier[] = (await s.engine.getMarginTiers(eth)).map((t) => ({
    notionalFloorUsd: t.notionalFloorUsd,
    initialMarginBps: t.initialMarginBps,
    maintenanceMarginBps: t.maintenanceMarginBps,
  }));
  const order = toOrder(await s.engine.getOrder(account, eth));
  const preview = previewOrderExecution(
    order,
    {
      params: vaultMarkets[0].params,
      state: vaultMarkets[0].state,
      position: toPosition(await s.engine.getPosition(account, eth)),
      priceWad: price,
      nowSeconds: now,
    },
    {
      tiers,
      tradingPaused: (await s.engine.pauseState()).trading,
      reduceOnly,
      isVolatile,
      vaultCashUsd: await s.engine.vaultCashUsd(),
      vaultMarkets,
      marketIndex: 0,
      marketSettled: settlement !== 0n,
    },
  );
  return { order, preview };
}

const stepArb = fc.oneof(
  { depthSize: "small" },
  fc.record({
    kind: fc.constant("commit" as const),
    trader: fc.integer({ min: 0, max: 5 }),
    sizeCenti: fc.oneof(
      { weight: 6, arbitrary: fc.integer({ min: -2000, max: 2000 }) },
      { weight: 1, arbitrary: fc.constant(0) },
    ),
    // Margin as a leverage on the traded notional (edge: 25x is beyond the 20x initial margin), or a removal.
    leverage: fc.integer({ min: 1, max: 25 }),
    removeUsd: fc.oneof(
      { weight: 4, arbitrary: fc.constant(0) },
      { weight: 1, arbitrary: fc.integer({ min: 1, max: 400 }) },
    ),
    slippageBps: fc.oneof(fc.constant(-1), fc.integer({ min: 0, max: 80 })),
  }),
  fc.record({
    kind: fc.constant("price" as const),
    moveBps: fc.oneof(fc.integer({ min: -400, max: 400 }), fc.constant(3_000)),
  }),
  fc.record({ kind: fc.constant("time" as const), seconds: fc.integer({ min: 1, max: 40 }) }),
  fc.record({ kind: fc.constant("execute" as const) }),
  fc.record({
    kind: fc.constant("switch" as const),
    which: fc.constantFrom("pause", "unpause", "unpause", "reduceOnly", "lift", "lift"),
  }),
);

describe("order mirror (SDK vs engine)", () => {
  it("preview_of_every_execution_equals_the_engine_outcome_to_the_wei", async () => {
    const outcomes = new Map<string, number>();
    const count = (key: string) => outcomes.set(key, (outcomes.get(key) ?? 0) + 1);
    await fc.assert(
      fc.asyncProperty(fc.array(stepArb, { minLength: 8, maxLength: 24 }), async (steps) => {
        const s = await loadFixture(deployDiff);
        const eth = s.market(ETH).marketId;
        let priceUsdCents = 200_000n;
        // Times of the ETH feed's rounds: an execution exactly one cooldown after one is moved a second later,
        // so that the view read before it and the transaction see the same breaker window.
        const ethUpdates: bigint[] = [];
        let executed = 0;
        for (const step of steps) {
          if (step.kind === "commit") {
            const trader = s.traders[step.trader];
            const sizeDelta = (BigInt(step.sizeCenti) * size("1")) / 100n;
            const price = (priceUsdCents * usd("1")) / 100n;
            const notional = ((sizeDelta < 0n ? -sizeDelta : sizeDelta) * price) / usd("1");
            const positionNow = (await s.engine.getPosition(trader.address, eth)).size;
            const marginDelta =
              step.removeUsd > 0 && positionNow !== 0n
                ? -usd(String(step.removeUsd))
                : sizeDelta === 0n
                  ? usd("50")
                  : notional / BigInt(step.leverage);
            const acceptable =
              step.slippageBps < 0
                ? sizeDelta >= 0n
                  ? 2n ** 256n - 1n
                  : 0n
                : sizeDelta >= 0n
                  ? (price * (10_000n + BigInt(step.slippageBps))) / 10_000n
                  : (price * (10_000n - BigInt(step.slippageBps))) / 10_000n;
            const pending = await s.engine.getOrder(trader.address, eth);
            const sizeNow = (await s.engine.getPosition(trader.address, eth)).size;
            if (pending.sizeDelta !== 0n || pending.marginDeltaUsd !== 0n) continue;
            if (sizeDelta === 0n && (marginDelta === 0n || sizeNow === 0n)) continue;
            const [, params] = await s.engine.getMarketConfig(eth);
            const now = await pinNextTimestamp();
            const expected = commitOrderPreview({
              params: toMarketParams(params),
              sizeNow,
              sizeDelta,
              marginDelta,
              acceptablePrice: acceptable,
              nowSeconds: now,
            });
            const free = await s.engine.freeBalance(trader.address);
            if (free < expected.debitedUsd) continue;
            await s.engine.connect(trader).commitOrder(eth, sizeDelta, marginDelta, acceptable);
            count("commit");
            expect(toOrder(await s.engine.getOrder(trader.address, eth))).to.deep.equal(expected.order);
            expect(await s.engine.freeBalance(trader.address)).to.equal(free - expected.debitedUsd);
          } else if (step.kind === "price") {
            priceUsdCents = (priceUsdCents * BigInt(10_000 + step.moveBps)) / 10_000n;
            await s.setPrice(ETH, (Number(priceUsdCents) / 100).toFixed(2));
            ethUpdates.push(BigInt(await time.latest()));
          } else if (step.kind === "time") {
            await time.increase(step.seconds);
            // Keep the feeds fresh without moving them (a new round at the same answer).
            await s.setPrice(ETH, (Number(priceUsdCents) / 100).toFixed(2));
            ethUpdates.push(BigInt(await time.latest()));
            await s.setPrice(BTC, "60000");
          } else if (step.kind === "switch") {
            if (step.which === "pause") await s.engine.connect(s.deployer).pause(0);
            else if (step.which === "unpause") await s.engine.connect(s.deployer).unpause(0);
            else await s.engine.connect(s.deployer).setReduceOnly(eth, step.which === "reduceOnly");
          } else {
            count("sweep");
            // The keeper's sweep: every executable order, one per block, each predicted first.
            for (const trader of s.traders.slice(0, 6)) {
              const order = await s.engine.getOrder(trader.address, eth);
              if (order.sizeDelta === 0n && order.marginDeltaUsd === 0n) continue;
              const latest = BigInt(await time.latest());
              // The keeper waits for the delay when it has not passed yet.
              let now = latest + 1n > order.executableAt ? latest + 1n : order.executableAt;
              while (ethUpdates.some((u) => now - u === 300n || now - 1n - u === 300n)) now += 1n;
              if (orderStatus(toOrder(order), now, false) !== "executable") continue;
              // Views are evaluated at the latest block: make it the second before the execution.
              if (now - 1n > latest) await time.increaseTo(now - 1n);
              const { preview } = await predict(s, trader.address, now);
              await time.setNextBlockTimestamp(now);
              const tx = await s.engine.connect(s.keeper).executeOrder(trader.address, eth);
              const cancelled = await engineEventArgs(s.engine, tx, "OrderCancelled");
              if (preview.outcome === "executed") {
                expect(cancelled.length, `expected execution, got ${cancelled[0]?.reason}`).to.equal(0);
                const [done] = await engineEventArgs(s.engine, tx, "OrderExecuted");
                expect(done.fillPriceWad).to.equal(preview.result.trade.fillPriceWad);
                expect(done.takerFeeUsd).to.equal(preview.result.trade.feeUsd);
                expect(toPosition(await s.engine.getPosition(trader.address, eth))).to.deep.equal(
                  preview.result.position,
                );
                expect(toMarketState(await s.engine.getMarketState(eth))).to.deep.equal(preview.result.state);
                executed++;
                count("executed");
              } else {
                expect(cancelled.length, `expected cancel ${preview.reason.errorName}`).to.equal(1);
                const parsed = s.engine.interface.parseError(cancelled[0].reason as string)!;
                expect(parsed.name).to.equal(preview.reason.errorName);
                count(parsed.name);
                const numeric = parsed.args.filter((a: unknown) => typeof a === "bigint");
                expect(numeric).to.deep.equal([...preview.reason.args]);
              }
            }
          }
        }
        return executed >= 0;
      }),
      { numRuns: RUNS, seed: Number(process.env.ORDER_DIFF_SEED ?? 20261202) },
    );
    // The property must have exercised both outcomes, or it proves nothing.
    expect(outcomes.get("executed") ?? 0, JSON.stringify([...outcomes])).to.be.greaterThan(5);
    expect(outcomes.size, JSON.stringify([...outcomes])).to.be.greaterThan(2);
    if (process.env.ORDER_DIFF_VERBOSE) console.log(Object.fromEntries(outcomes));
  });
});
