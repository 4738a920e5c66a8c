import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import { id as keccakId } from "ethers";

import { LOCAL_CONFIG, withDelayedOrders, type OrderSettings } from "../../deploy/config";
import { deployWith, usd, size, ETH, BTC, ANY_BUY_PRICE, ANY_SELL_PRICE } from "../helpers/fixtures";
import {
  ETH_DEFAULTS,
  expectConservation,
  pinNextTimestamp,
  predictNext,
  engineEventArgs,
  depositFromTraders,
  expectedFill,
  type System,
} from "../helpers/engineHelpers";

// Two-step orders (DESIGN §4; contracts/orders/OrderLogic.sol, PerpEngine `executeOrder`): commit escrows the
// margin to add and the execution fee; anyone executes after `executionDelaySeconds`, at the price read then,
// through exactly `modifyPosition`'s path; an order that would revert, or whose position changed, is cancelled
// with the custom error as its reason; the executor is paid either way; an expired order can only be cancelled.

const DELAY = 10n;
const EXPIRY = 60n;
const FEE = usd("1");
const ORDERS: OrderSettings = { executionDelaySeconds: DELAY, orderExpirySeconds: EXPIRY, executionFeeUsd: FEE };
const P2000 = usd("2000");

async function deployOrders() {
  const s = await deployWith(withDelayedOrders(LOCAL_CONFIG, ORDERS));
  await depositFromTraders(s, 8, "20000");
  return s;
}

/** ABI-encoded custom error of the engine, as `OrderCancelled.reason` carries it. */
function encodedError(s: System, name: string, args: unknown[]): string {
  return s.engine.interface.encodeErrorResult(name, args);
}

/** An ETH open-interest cap of 5 ETH per side. */
async function deployOrdersWithSmallOiCap() {
  const markets = LOCAL_CONFIG.markets.map((m) =>
    m.symbol === ETH ? { ...m, params: { ...m.params, maxOpenInterestPerSide: size("5") } } : m,
  );
  const s = await deployWith(withDelayedOrders({ ...LOCAL_CONFIG, markets }, ORDERS));
  await depositFromTraders(s, 8, "20000");
  return s;
}

const everyone = (s: System) => [s.deployer.address, s.keeper.address, ...s.traders.map((t) => t.address)];
const marketIds = (s: System) => [s.market(ETH).marketId, s.market(BTC).marketId];

/** Commits in a block pinned 1 s after the latest; returns the commit timestamp. */
async function commit(
  s: System,
  trader: HardhatEthersSigner,
  sizeDelta: bigint,
  marginDelta: bigint,
  acceptablePrice = sizeDelta >= 0n ? ANY_BUY_PRICE : ANY_SELL_PRICE,
) {
  const t = await pinNextTimestamp();
  await s.engine.connect(trader).commitOrder(s.market(ETH).marketId, sizeDelta, marginDelta, acceptablePrice);
  return t;
}

/**
 * Sets the feed to `priceUsd` and makes `t` the next block's timestamp (or the earliest possible one after the
 * price update when `t` is too close): exact boundaries need `t ≥ latest + 2`.
 */
async function at(s: System, t: bigint, priceUsd = "2000") {
  const latest = BigInt(await time.latest());
  if (t - 1n > latest) await time.setNextBlockTimestamp(t - 1n);
  await s.setPrice(ETH, priceUsd);
  const updated = BigInt(await time.latest());
  await time.setNextBlockTimestamp(t > updated ? t : updated + 1n);
}

/** Opens a position through an order executed at the delay's end by the keeper. */
async function openThroughOrder(s: System, trader: HardhatEthersSigner, sizeDelta: bigint, marginUsd: string) {
  const t0 = await commit(s, trader, sizeDelta, usd(marginUsd));
  await at(s, t0 + DELAY);
  await s.engine.connect(s.keeper).executeOrder(trader.address, s.market(ETH).marketId);
  return t0;
}

describe("delayed orders", () => {
  describe("instant entry points in a delayed market", () => {
    it("modify_position_and_close_revert_ExecutionDelayActive_while_adding_margin_stays_instant", async () => {
      const s = await loadFixture(deployOrders);
      const [alice] = s.traders;
      const eth = s.market(ETH).marketId;
      await expect(s.engine.connect(alice).modifyPosition(eth, size("1"), usd("500"), ANY_BUY_PRICE))
        .to.be.revertedWithCustomError(s.engine, "ExecutionDelayActive")
        .withArgs(eth, DELAY);
      await openThroughOrder(s, alice, size("1"), "500");
      await expect(s.engine.connect(alice).closePosition(eth, ANY_SELL_PRICE))
        .to.be.revertedWithCustomError(s.engine, "ExecutionDelayActive")
        .withArgs(eth, DELAY);
      await expect(s.engine.connect(alice).modifyPosition(eth, 0n, -usd("1"), 0n))
        .to.be.revertedWithCustomError(s.engine, "ExecutionDelayActive")
        .withArgs(eth, DELAY);
      const before = (await s.engine.getPosition(alice.address, eth)).marginUsd;
      const add = await s.engine.connect(alice).modifyPosition(eth, 0n, usd("100"), 0n);
      const [modified] = await engineEventArgs(s.engine, add, "PositionModified");
      const settled = (modified.fundingPaidUsd as bigint) + (modified.lossPaidUsd as bigint);
      expect((await s.engine.getPosition(alice.address, eth)).marginUsd).to.equal(before + usd("100") - settled);
    });

    it("commit_reverts_OrdersNotEnabled_in_a_market_without_a_delay", async () => {
      const s = await deployWith(LOCAL_CONFIG);
      await depositFromTraders(s, 1, "1000");
      const eth = s.market(ETH).marketId;
      await expect(s.engine.connect(s.traders[0]).commitOrder(eth, size("1"), usd("500"), ANY_BUY_PRICE))
        .to.be.revertedWithCustomError(s.engine, "OrdersNotEnabled")
        .withArgs(eth);
    });
  });

  describe("commit", () => {
    it("commit_escrows_margin_and_fee_records_the_order_and_keeps_the_accounting_identity", async () => {
      const s = await loadFixture(deployOrders);
      const [alice] = s.traders;
      const eth = s.market(ETH).marketId;
      const freeBefore = await s.engine.freeBalance(alice.address);
      const t0 = await pinNextTimestamp();
      await expect(s.engine.connect(alice).commitOrder(eth, size("2"), usd("700"), usd("2100")))
        .to.emit(s.engine, "OrderCommitted")
        .withArgs(
          alice.address,
          eth,
          size("2"),
          usd("700"),
          usd("2100"),
          0n,
          usd("700"),
          FEE,
          t0 + DELAY,
          t0 + DELAY + EXPIRY,
        );
      expect(await s.engine.freeBalance(alice.address)).to.equal(freeBefore - usd("700") - FEE);
      expect(await s.engine.escrowedOrdersUsd()).to.equal(usd("700") + FEE);
      const order = await s.engine.getOrder(alice.address, eth);
      expect([order.sizeDelta, order.sizeAtCommit, order.marginDeltaUsd, order.acceptablePriceWad]).to.deep.equal([
        size("2"),
        0n,
        usd("700"),
        usd("2100"),
      ]);
      expect([order.executableAt, order.expiresAt, order.executionFeeUsd]).to.deep.equal([
        t0 + DELAY,
        t0 + DELAY + EXPIRY,
        FEE,
      ]);
      // Escrow is its own bucket: not margin, not free balance.
      expect((await s.engine.getPosition(alice.address, eth)).marginUsd).to.equal(0n);
      await expectConservation(s.engine, everyone(s), marketIds(s));
    });

    it("commit_caps_an_unbounded_acceptable_price_and_removes_nothing_from_a_margin_removal_order", async () => {
      const s = await loadFixture(deployOrders);
      const [alice] = s.traders;
      const eth = s.market(ETH).marketId;
      await openThroughOrder(s, alice, size("1"), "500");
      const freeBefore = await s.engine.freeBalance(alice.address);
      await commit(s, alice, size("1"), 0n); // ANY_BUY_PRICE = 2^256 − 1
      const order = await s.engine.getOrder(alice.address, eth);
      expect(order.acceptablePriceWad).to.equal((1n << 128n) - 1n);
      expect(order.sizeAtCommit).to.equal(size("1"));
      expect(await s.engine.freeBalance(alice.address), "only the fee is escrowed").to.equal(freeBefore - FEE);
    });

    it("commit_rejects_a_second_order_an_empty_order_a_margin_order_without_position_and_an_unfunded_one", async () => {
      const s = await loadFixture(deployOrders);
      const [alice, bob] = s.traders;
      const eth = s.market(ETH).marketId;
      await expect(s.engine.connect(alice).commitOrder(eth, 0n, 0n, 0n)).to.be.revertedWithCustomError(
        s.engine,
        "EmptyAction",
      );
      await expect(s.engine.connect(alice).commitOrder(eth, 0n, usd("10"), 0n))
        .to.be.revertedWithCustomError(s.engine, "NoPosition")
        .withArgs(alice.address, eth);
      await commit(s, alice, size("1"), usd("500"));
      await expect(s.engine.connect(alice).commitOrder(eth, size("1"), usd("500"), ANY_BUY_PRICE))
        .to.be.revertedWithCustomError(s.engine, "OrderAlreadyPending")
        .withArgs(alice.address, eth);
      const free = await s.engine.freeBalance(bob.address);
      await expect(s.engine.connect(bob).commitOrder(eth, size("1"), free, ANY_BUY_PRICE))
        .to.be.revertedWithCustomError(s.engine, "InsufficientFreeBalance")
        .withArgs(bob.address, free, free + FEE);
      await expect(s.engine.connect(bob).executeOrder(bob.address, eth))
        .to.be.revertedWithCustomError(s.engine, "NoPendingOrder")
        .withArgs(bob.address, eth);
      await expect(s.engine.connect(bob).cancelOrder(bob.address, eth))
        .to.be.revertedWithCustomError(s.engine, "NoPendingOrder")
        .withArgs(bob.address, eth);
    });
  });

  describe("execute", () => {
    it("execute_reverts_OrderNotReady_one_second_early_and_executes_at_the_boundary_exactly_as_modifyPosition", async () => {
      const s = await loadFixture(deployOrders);
      const [alice] = s.traders;
      const eth = s.market(ETH).marketId;
      const t0 = await commit(s, alice, size("3"), usd("1000"), usd("2010"));
      await at(s, t0 + DELAY - 1n, "2004");
      await expect(s.engine.connect(s.keeper).executeOrder(alice.address, eth))
        .to.be.revertedWithCustomError(s.engine, "OrderNotReady")
        .withArgs(alice.address, eth, t0 + DELAY);

      // At the boundary (the next second), at the price read then (2,004, not the 2,000 of the commit).
      const price = usd("2004");
      const keeperBefore = await s.engine.freeBalance(s.keeper.address);
      const freeBefore = await s.engine.freeBalance(alice.address);
      const e = await predictNext(s.engine, alice.address, eth, ETH_DEFAULTS, price, size("3"), usd("1000"));
      expect(e.timestamp).to.equal(t0 + DELAY);
      const tx = await s.engine.connect(s.keeper).executeOrder(alice.address, eth);
      await expect(tx)
        .to.emit(s.engine, "OrderExecuted")
        .withArgs(alice.address, eth, s.keeper.address, size("3"), e.fill, e.fee, size("3"), FEE);
      await expect(tx)
        .to.emit(s.engine, "PositionModified")
        .withArgs(
          alice.address,
          eth,
          size("3"),
          e.fill,
          e.fee,
          e.realizedPnl,
          e.fundingPaid,
          e.lossPaid,
          usd("1000"),
          e.newSize,
          e.newMargin,
          e.newEntry,
        );
      await expect(tx).not.to.emit(s.engine, "OrderCancelled");
      const pos = await s.engine.getPosition(alice.address, eth);
      expect([pos.size, pos.entryPriceWad, pos.marginUsd]).to.deep.equal([e.newSize, e.newEntry, e.newMargin]);
      expect(await s.engine.freeBalance(s.keeper.address), "executor paid the fee").to.equal(keeperBefore + FEE);
      expect(await s.engine.freeBalance(alice.address), "escrow consumed, nothing else").to.equal(freeBefore);
      expect(await s.engine.escrowedOrdersUsd()).to.equal(0n);
      expect((await s.engine.getOrder(alice.address, eth)).executableAt).to.equal(0n);
      await expectConservation(s.engine, everyone(s), marketIds(s));
    });

    it("execute_after_expiry_reverts_OrderExpired_and_the_last_second_still_executes", async () => {
      const s = await loadFixture(deployOrders);
      const [alice, bob] = s.traders;
      const eth = s.market(ETH).marketId;
      const ta = await commit(s, alice, size("1"), usd("500"));
      const tb = await commit(s, bob, size("1"), usd("500"));
      await at(s, ta + DELAY + EXPIRY);
      await expect(s.engine.connect(s.keeper).executeOrder(alice.address, eth)).to.emit(s.engine, "OrderExecuted");
      await at(s, tb + DELAY + EXPIRY + 1n);
      await expect(s.engine.connect(s.keeper).executeOrder(bob.address, eth))
        .to.be.revertedWithCustomError(s.engine, "OrderExpired")
        .withArgs(bob.address, eth, tb + DELAY + EXPIRY);
    });

    it("an_executor_that_sends_too_little_gas_cannot_cancel_the_order", async () => {
      const s = await loadFixture(deployOrders);
      const [alice] = s.traders;
      const eth = s.market(ETH).marketId;
      const t0 = await commit(s, alice, size("1"), usd("500"));
      await at(s, t0 + DELAY);
      // Enough for the order bookkeeping, not for the trade: the trade runs out of gas with no revert data,
      // which must not count as the order's failure.
      await expect(s.engine.connect(s.keeper).executeOrder(alice.address, eth, { gasLimit: 160_000 }))
        .to.be.revertedWithCustomError(s.engine, "OrderExecutionOutOfGas")
        .withArgs(alice.address, eth);
      expect((await s.engine.getOrder(alice.address, eth)).sizeDelta, "still pending").to.equal(size("1"));
      await expect(s.engine.connect(s.keeper).executeOrder(alice.address, eth)).to.emit(s.engine, "OrderExecuted");
    });

    it("executeOrderTrade_is_callable_only_by_the_engine", async () => {
      const s = await loadFixture(deployOrders);
      const [alice] = s.traders;
      await expect(
        s.engine
          .connect(alice)
          .executeOrderTrade(
            alice.address,
            s.market(ETH).marketId,
            alice.address,
            size("1"),
            usd("500"),
            ANY_BUY_PRICE,
            0n,
          ),
      )
        .to.be.revertedWithCustomError(s.engine, "OnlyEngine")
        .withArgs(alice.address);
    });
  });

  describe("cancel instead of revert", () => {
    /** Commits `sizeDelta` for alice, lets `between` run, executes at the delay's end and checks the cancel. */
    async function expectCancelled(
      s: System,
      sizeDelta: bigint,
      marginUsd: string,
      acceptablePrice: bigint,
      between: () => Promise<void>,
      reason: (t0: bigint) => string | ((encoded: string) => void),
      priceUsd = "2000",
    ) {
      const [alice] = s.traders;
      const eth = s.market(ETH).marketId;
      const t0 = await commit(s, alice, sizeDelta, usd(marginUsd), acceptablePrice);
      await between();
      const pos = await s.engine.getPosition(alice.address, eth);
      const freeBefore = await s.engine.freeBalance(alice.address);
      const keeperBefore = await s.engine.freeBalance(s.keeper.address);
      const now = BigInt(await time.latest());
      await at(s, now + 1n > t0 + DELAY ? now + 1n : t0 + DELAY, priceUsd);
      const tx = await s.engine.connect(s.keeper).executeOrder(alice.address, eth);
      const cancelled = await engineEventArgs(s.engine, tx, "OrderCancelled");
      expect(cancelled.length, "one OrderCancelled").to.equal(1);
      const [c] = cancelled;
      expect([c.account, c.marketId, c.by, c.refundedMarginUsd, c.executionFeeUsd]).to.deep.equal([
        alice.address,
        eth,
        s.keeper.address,
        usd(marginUsd),
        FEE,
      ]);
      const expected = reason(t0);
      if (typeof expected === "string") expect(c.reason, "cancel reason").to.equal(expected);
      else expected(c.reason as string);
      await expect(tx).not.to.emit(s.engine, "OrderExecuted");
      await expect(tx).not.to.emit(s.engine, "PositionModified");
      const after = await s.engine.getPosition(alice.address, eth);
      expect([after.size, after.marginUsd], "position untouched").to.deep.equal([pos.size, pos.marginUsd]);
      expect(await s.engine.freeBalance(alice.address), "margin refunded").to.equal(freeBefore + usd(marginUsd));
      expect(await s.engine.freeBalance(s.keeper.address), "executor still paid").to.equal(keeperBefore + FEE);
      expect(await s.engine.escrowedOrdersUsd()).to.equal(0n);
      await expectConservation(s.engine, everyone(s), marketIds(s));
      return tx;
    }

    it("slippage_beyond_the_acceptable_price_at_execution_cancels_with_SlippageExceeded", async () => {
      const s = await loadFixture(deployOrders);
      // Committed at 2,000 accepting at most 2,005; the price at execution is 2,010: fill 2,010.01005.
      const fill = expectedFill(usd("2010"), 0n, size("1"), size("100000"));
      expect(fill).to.equal(usd("2010.01005"));
      await expectCancelled(
        s,
        size("1"),
        "500",
        usd("2005"),
        async () => {},
        () => encodedError(s, "SlippageExceeded", [fill, usd("2005")]),
        "2010",
      );
    });

    it("a_price_move_that_breaks_initial_margin_cancels_with_InitialMarginNotMet", async () => {
      const s = await loadFixture(deployOrders);
      const [alice] = s.traders;
      const eth = s.market(ETH).marketId;
      const t0 = await commit(s, alice, size("10"), usd("1100"));
      await at(s, t0 + DELAY, "2200"); // IM 5% × 22,000 + 2 = 1,102 > 1,100 − the 11 fee
      const tx = await s.engine.connect(s.keeper).executeOrder(alice.address, eth);
      const [cancelled] = await engineEventArgs(s.engine, tx, "OrderCancelled");
      const reason = cancelled.reason as string;
      expect(reason.slice(0, 10)).to.equal(s.engine.interface.getError("InitialMarginNotMet")!.selector);
      const decoded = s.engine.interface.decodeErrorResult("InitialMarginNotMet", reason);
      expect(decoded[0]).to.equal(alice.address);
      expect(decoded[1]).to.equal(eth);
      expect(decoded[2] < decoded[3], "equity below the requirement").to.equal(true);
    });

    it("an_open_interest_cap_reached_in_between_cancels_with_OpenInterestCapExceeded", async () => {
      const s = await loadFixture(deployOrdersWithSmallOiCap);
      const [, bob] = s.traders;
      const eth = s.market(ETH).marketId;
      await expectCancelled(
        s,
        size("3"),
        "1000",
        ANY_BUY_PRICE,
        async () => {
          await openThroughOrder(s, bob, size("3"), "1000");
        },
        () => encodedError(s, "OpenInterestCapExceeded", [eth, size("6"), size("5")]),
      );
    });

    it("a_jump_beyond_the_breaker_between_commit_and_execution_cancels_an_open_with_MarketVolatile", async () => {
      const s = await loadFixture(deployOrders);
      const eth = s.market(ETH).marketId;
      await expectCancelled(
        s,
        size("1"),
        "500",
        ANY_BUY_PRICE,
        async () => {
          await s.setPrice(ETH, "2600"); // +30% in one feed update
        },
        () => encodedError(s, "MarketVolatile", [eth]),
        "2600",
      );
    });

    it("trading_paused_or_reduce_only_in_between_cancels_new_exposure", async () => {
      const s = await loadFixture(deployOrders);
      const eth = s.market(ETH).marketId;
      await expectCancelled(
        s,
        size("1"),
        "500",
        ANY_BUY_PRICE,
        async () => {
          await s.engine.connect(s.deployer).pause(0);
        },
        () => encodedError(s, "TradingPaused", []),
      );
      await s.engine.connect(s.deployer).unpause(0);
      await expectCancelled(
        s,
        size("1"),
        "500",
        ANY_BUY_PRICE,
        async () => {
          await s.engine.connect(s.deployer).setReduceOnly(eth, true);
        },
        () => encodedError(s, "MarketReduceOnly", [eth]),
      );
    });

    it("a_vault_exposure_cap_reached_in_between_cancels_with_VaultExposureCapExceeded", async () => {
      const s = await loadFixture(deployOrders);
      const [, bob, carol] = s.traders;
      const eth = s.market(ETH).marketId;
      // The vault holds 1M: its net exposure may reach 50% of its equity, 250 ETH at 2,000.
      for (const t of [bob, carol]) {
        await s.collateral.mint(t.address, s.tokens("200000"));
        await s.engine.connect(t).deposit(s.tokens("200000"));
      }
      await expectCancelled(
        s,
        size("10"),
        "2000",
        ANY_BUY_PRICE,
        async () => {
          await openThroughOrder(s, bob, size("120"), "20000");
          await openThroughOrder(s, carol, size("125"), "20000");
        },
        () => (encoded: string) => {
          const decoded = s.engine.interface.decodeErrorResult("VaultExposureCapExceeded", encoded);
          expect(decoded[0]).to.equal(eth);
          expect(decoded[1] > decoded[2], "exposure above the cap").to.equal(true);
        },
      );
    });

    it("a_position_changed_since_commit_cancels_and_a_reduce_never_becomes_an_open_of_the_other_side", async () => {
      const s = await loadFixture(deployOrders);
      const [alice] = s.traders;
      const eth = s.market(ETH).marketId;
      await openThroughOrder(s, alice, size("10"), "1100");
      // Alice commits to close 10 ETH; before execution a price drop makes her partially liquidated.
      const t0 = await commit(s, alice, -size("10"), 0n);
      await s.setPrice(ETH, "1935");
      await s.engine.connect(s.keeper).liquidate(alice.address, eth);
      const sizeNow = (await s.engine.getPosition(alice.address, eth)).size;
      expect(sizeNow > 0n && sizeNow < size("10"), "partially liquidated").to.equal(true);
      await at(s, t0 + DELAY, "1935");
      const tx = await s.engine.connect(s.keeper).executeOrder(alice.address, eth);
      // Executing −10 now would have sold more than she holds: it is cancelled instead.
      await expect(tx)
        .to.emit(s.engine, "OrderCancelled")
        .withArgs(
          alice.address,
          eth,
          s.keeper.address,
          encodedError(s, "PositionChangedSinceCommit", [alice.address, eth, size("10"), sizeNow]),
          0n,
          FEE,
        );
      expect((await s.engine.getPosition(alice.address, eth)).size, "no short opened").to.equal(sizeNow);
      await expectConservation(s.engine, everyone(s), marketIds(s));
    });

    it("a_pending_order_never_blocks_the_liquidation_of_its_position", async () => {
      const s = await loadFixture(deployOrders);
      const [alice] = s.traders;
      const eth = s.market(ETH).marketId;
      await openThroughOrder(s, alice, size("10"), "1100");
      await commit(s, alice, size("1"), usd("5000"));
      await s.setPrice(ETH, "1800");
      expect(await s.engine.isLiquidatable(alice.address, eth)).to.equal(true);
      // The escrowed 5,000 is not margin: the position is liquidated on its own margin.
      await expect(s.engine.connect(s.keeper).liquidate(alice.address, eth)).to.emit(s.engine, "Liquidated");
      expect((await s.engine.getPosition(alice.address, eth)).size).to.equal(0n);
      expect(await s.engine.escrowedOrdersUsd()).to.equal(usd("5000") + FEE);
      await expectConservation(s.engine, everyone(s), marketIds(s));
    });
  });

  describe("expiry and cancellation", () => {
    it("the_owner_cannot_cancel_a_live_order_and_anyone_cancels_an_expired_one_for_the_fee", async () => {
      const s = await loadFixture(deployOrders);
      const [alice, stranger] = s.traders;
      const eth = s.market(ETH).marketId;
      const t0 = await commit(s, alice, size("1"), usd("500"));
      const expiresAt = t0 + DELAY + EXPIRY;
      for (const t of [t0 + 1n, t0 + DELAY, expiresAt]) {
        await at(s, t);
        await expect(s.engine.connect(alice).cancelOrder(alice.address, eth))
          .to.be.revertedWithCustomError(s.engine, "OrderNotExpired")
          .withArgs(alice.address, eth, expiresAt);
      }
      const aliceFree = await s.engine.freeBalance(alice.address);
      const strangerFree = await s.engine.freeBalance(stranger.address);
      await at(s, expiresAt + 1n);
      await expect(s.engine.connect(stranger).cancelOrder(alice.address, eth))
        .to.emit(s.engine, "OrderCancelled")
        .withArgs(
          alice.address,
          eth,
          stranger.address,
          encodedError(s, "OrderExpired", [alice.address, eth, expiresAt]),
          usd("500"),
          FEE,
        );
      expect(await s.engine.freeBalance(alice.address)).to.equal(aliceFree + usd("500"));
      expect(await s.engine.freeBalance(stranger.address)).to.equal(strangerFree + FEE);
      expect(await s.engine.escrowedOrdersUsd()).to.equal(0n);
      await expectConservation(s.engine, everyone(s), marketIds(s));
    });

    it("the_owner_cancelling_an_expired_order_gets_margin_and_fee_back", async () => {
      const s = await loadFixture(deployOrders);
      const [alice] = s.traders;
      const eth = s.market(ETH).marketId;
      const freeBefore = await s.engine.freeBalance(alice.address);
      const t0 = await commit(s, alice, size("1"), usd("500"));
      await at(s, t0 + DELAY + EXPIRY + 1n);
      await s.engine.connect(alice).cancelOrder(alice.address, eth);
      expect(await s.engine.freeBalance(alice.address)).to.equal(freeBefore);
    });

    it("settling_a_market_cancels_its_pending_orders_at_once", async () => {
      const s = await loadFixture(deployOrders);
      const [alice, bob] = s.traders;
      const eth = s.market(ETH).marketId;
      const ta = await commit(s, alice, size("1"), usd("500"));
      await commit(s, bob, size("2"), usd("800"));
      await s.engine.connect(s.deployer).settleMarket(eth, P2000);
      // Before its delay even passed, anyone may cancel an order of a settled market.
      await expect(s.engine.connect(s.keeper).cancelOrder(alice.address, eth))
        .to.emit(s.engine, "OrderCancelled")
        .withArgs(alice.address, eth, s.keeper.address, encodedError(s, "MarketIsSettled", [eth]), usd("500"), FEE);
      // Executing one cancels it with the same reason.
      await at(s, ta + DELAY + 1n);
      await expect(s.engine.connect(s.keeper).executeOrder(bob.address, eth))
        .to.emit(s.engine, "OrderCancelled")
        .withArgs(bob.address, eth, s.keeper.address, encodedError(s, "MarketIsSettled", [eth]), usd("800"), FEE);
      await expect(s.engine.connect(s.keeper).commitOrder(eth, size("1"), usd("100"), ANY_BUY_PRICE))
        .to.be.revertedWithCustomError(s.engine, "MarketIsSettled")
        .withArgs(eth);
      expect(await s.engine.escrowedOrdersUsd()).to.equal(0n);
      await expectConservation(s.engine, everyone(s), marketIds(s));
    });
  });

  describe("why the delay exists", () => {
    /**
     * A trader who knows the next oracle answer (+1%: visible in the mempool before it lands) buys 10 ETH
     * before it and sells after it. Returns the trader's gain in USD (free balance after − before).
     */
    async function frontRun(delayed: boolean): Promise<bigint> {
      const s = delayed ? await deployOrders() : await deployWith(LOCAL_CONFIG);
      if (!delayed) await depositFromTraders(s, 1, "20000");
      const [trader] = s.traders;
      const eth = s.market(ETH).marketId;
      const before = await s.engine.freeBalance(trader.address);
      if (!delayed) {
        await s.engine.connect(trader).modifyPosition(eth, size("10"), usd("2000"), ANY_BUY_PRICE);
        await s.setPrice(ETH, "2020"); // the answer it saw coming
        await s.engine.connect(trader).closePosition(eth, ANY_SELL_PRICE);
      } else {
        const t0 = await commit(s, trader, size("10"), usd("2000"));
        await s.setPrice(ETH, "2020"); // lands within the delay
        await at(s, t0 + DELAY, "2020");
        await s.engine.connect(s.keeper).executeOrder(trader.address, eth);
        const t1 = await commit(s, trader, -size("10"), 0n);
        await at(s, t1 + DELAY, "2020");
        await s.engine.connect(s.keeper).executeOrder(trader.address, eth);
      }
      expect((await s.engine.getPosition(trader.address, eth)).size).to.equal(0n);
      return (await s.engine.freeBalance(trader.address)) - before;
    }

    it("a_trader_who_knows_the_next_answer_gains_with_instant_trading_and_loses_the_fees_with_the_delay", async () => {
      const instant = await frontRun(false);
      // 10 × (2,020 − 2,000) = 200 less two 5 bps fees and the impact of 10 ETH against 100,000.
      expect(instant > usd("170"), `instant gain ${instant}`).to.equal(true);
      const delayed = await frontRun(true);
      // Both legs fill at the new answer: the round trip costs the fees, the impact and two execution fees.
      expect(delayed < 0n, `delayed gain ${delayed}`).to.equal(true);
      expect(delayed > -usd("25")).to.equal(true);
    });
  });

  describe("parameters", () => {
    it("listing_checks_the_fee_floor_2x_taker_fee_at_least_the_feed_deviation_threshold", async () => {
      const s = await loadFixture(deployOrders);
      const [, params] = await s.engine.getMarketConfig(s.market(ETH).marketId);
      const tiers = await s.engine.getMarginTiers(s.market(ETH).marketId);
      const base = {
        minPositionMarginUsd: params.minPositionMarginUsd,
        keeperRewardUsd: params.keeperRewardUsd,
        maxOpenInterestPerSide: params.maxOpenInterestPerSide,
        skewScale: params.skewScale,
        maxFundingRatePerDayWad: params.maxFundingRatePerDayWad,
        takerFeeBps: 5n,
        insuranceFeeShareBps: params.insuranceFeeShareBps,
        maxVaultExposureBps: params.maxVaultExposureBps,
        liquidationPenaltyBps: params.liquidationPenaltyBps,
        keeperPenaltyShareBps: params.keeperPenaltyShareBps,
        liquidationBufferBps: params.liquidationBufferBps,
        vaultReserveBps: params.vaultReserveBps,
        executionDelaySeconds: DELAY,
        orderExpirySeconds: EXPIRY,
        oracleDeviationThresholdBps: 10n,
        executionFeeUsd: FEE,
      };
      const t = tiers.map((x) => ({
        notionalFloorUsd: x.notionalFloorUsd,
        initialMarginBps: x.initialMarginBps,
        maintenanceMarginBps: x.maintenanceMarginBps,
      }));
      const adapter = await s.market(ETH).adapter.getAddress();
      await expect(s.engine.listMarket(keccakId("SOL-USD"), adapter, { ...base, oracleDeviationThresholdBps: 11n }, t))
        .to.be.revertedWithCustomError(s.engine, "TakerFeeBelowOracleDeviation")
        .withArgs(5n, 11n);
      const bounds: [string, Partial<typeof base>, bigint, bigint, bigint][] = [
        ["executionDelaySeconds", { executionDelaySeconds: 601n }, 601n, 0n, 600n],
        ["orderExpirySeconds", { orderExpirySeconds: 59n }, 59n, 60n, 86_400n],
        ["orderExpirySeconds", { orderExpirySeconds: 86_401n }, 86_401n, 60n, 86_400n],
        ["executionFeeUsd", { executionFeeUsd: usd("100") + 1n }, usd("100") + 1n, 0n, usd("100")],
        [
          "oracleDeviationThresholdBps",
          { oracleDeviationThresholdBps: 1_001n, takerFeeBps: 1_000n },
          1_001n,
          0n,
          1_000n,
        ],
      ];
      for (const [name, override, value, min, max] of bounds) {
        await expect(s.engine.listMarket(keccakId(`X-${name}-${value}`), adapter, { ...base, ...override }, t))
          .to.be.revertedWithCustomError(s.engine, "ParameterOutOfBounds")
          .withArgs(ethers.encodeBytes32String(name), value, min, max);
      }
      // Without a delay the expiry is not checked; at the bounds everything lists.
      await s.engine.listMarket(
        keccakId("A-USD"),
        adapter,
        { ...base, executionDelaySeconds: 0n, orderExpirySeconds: 0n },
        t,
      );
      await s.engine.listMarket(
        keccakId("B-USD"),
        adapter,
        {
          ...base,
          executionDelaySeconds: 600n,
          orderExpirySeconds: 86_400n,
          executionFeeUsd: usd("100"),
          oracleDeviationThresholdBps: 10n,
        },
        t,
      );
    });
  });
});
