/**
 * The dApp's view-model code on hand-built snapshots: market statuses and funding periods, the position
 * view, trade previews (slippage bound, leverage → size, refusals that keep their numbers), the waterfall
 * split, the insurance history, LP withdrawal limits, approvals, units and chart series.
 */
import { expect } from "chai";
import {
  fundingRatePerDayWad,
  liquidationPrice,
  type MarginTier,
  type MarketParams,
  type MarketState,
  type Position,
} from "../../sdk/math";
import type { LiquidatedEvent, EngineEvent } from "../../app/src/chain/engineEvents";
import type { MarketSnapshot, ProtocolSnapshot, VaultSnapshot } from "../../app/src/chain/snapshots";
import type { DecodedFailure } from "../../app/src/errors/decodeError";
import { buildActionState, emptyPosition, noOrder } from "../../app/src/model/actionState";
import { approvalNeed } from "../../app/src/model/approval";
import { insuranceFundHistory } from "../../app/src/model/insuranceHistory";
import { fundingRates, marketView } from "../../app/src/model/marketView";
import { orderHistory, pendingOrderView } from "../../app/src/model/orderView";
import { positionView } from "../../app/src/model/positionView";
import { chartSeries } from "../../app/src/model/priceHistory";
import {
  acceptablePriceWad,
  InvalidTradeRequestError,
  previewTradeAction,
  sizeFromLeverage,
} from "../../app/src/model/tradePreview";
import { tokensFromUsdDown, usdFromTokens } from "../../app/src/model/units";
import { vaultView } from "../../app/src/model/vaultView";
import { liquidationWaterfall } from "../../app/src/model/waterfall";

const WAD = 10n ** 18n;
const usd = (n: bigint) => n * WAD;
const NOW = 1_700_000_000n;
const ETH_ID = "0x" + "11".repeat(32);
const BTC_ID = "0x" + "22".repeat(32);
const ACCOUNT = "0x00000000000000000000000000000000000000a1";

const TIERS: MarginTier[] = [
  { notionalFloorUsd: 0n, initialMarginBps: 500n, maintenanceMarginBps: 250n },
  { notionalFloorUsd: usd(1_000_000n), initialMarginBps: 1_000n, maintenanceMarginBps: 500n },
];

const PARAMS: MarketParams = {
  minPositionMarginUsd: usd(10n),
  keeperRewardUsd: usd(2n),
  maxOpenInterestPerSide: usd(10_000n),
  skewScale: usd(100_000n),
  maxFundingRatePerDayWad: WAD / 10n,
  takerFeeBps: 5n,
  insuranceFeeShareBps: 2_000n,
  maxVaultExposureBps: 5_000n,
  liquidationPenaltyBps: 100n,
  keeperPenaltyShareBps: 2_500n,
  liquidationBufferBps: 2_500n,
  vaultReserveBps: 1_250n,
  executionDelaySeconds: 0n,
  orderExpirySeconds: 0n,
  oracleDeviationThresholdBps: 10n,
  executionFeeUsd: 0n,
};

function emptyState(): MarketState {
  return {
    netSize: 0n,
    longOpenInterest: 0n,
    shortOpenInterest: 0n,
    sumSizeTimesEntry: 0n,
    sumSizeTimesFundingSnapshot: 0n,
    fundingIndexWad: 0n,
    lastFundingTimestamp: NOW,
    longLossIndexWad: 0n,
    shortLossIndexWad: 0n,
    sumLongSizeTimesLossSnapshot: 0n,
    sumShortSizeTimesLossSnapshot: 0n,
  };
}

/** A market with one trader long `size` at `entry` (so the aggregates are consistent). */
function marketWithLong(size: bigint, entry: bigint): MarketState {
  return {
    ...emptyState(),
    netSize: size,
    longOpenInterest: size,
    sumSizeTimesEntry: size * entry,
  };
}

function failure(errorName: string): DecodedFailure {
  return { kind: "custom-error", errorName, args: {}, message: `${errorName} sentence` };
}

function market(overrides: Partial<MarketSnapshot> = {}, id = ETH_ID, symbol = "ETH-USD"): MarketSnapshot {
  return {
    entry: {
      symbol,
      marketId: id,
      oracleAdapter: "0x" + "0".repeat(40),
      priceFeed: "0x" + "0".repeat(40),
      priceFeedDecimals: 8,
    },
    baseAsset: symbol.split("-")[0],
    params: PARAMS,
    tiers: TIERS,
    state: emptyState(),
    price: { ok: true, priceWad: usd(2_000n), isVolatile: false },
    reduceOnly: false,
    settlementPriceWad: 0n,
    feedUpdatedAtSeconds: NOW - 30n,
    volatilityCooldownSeconds: 300n,
    ...overrides,
  };
}

const PROTOCOL: ProtocolSnapshot = {
  tradingPaused: false,
  liquidationsPaused: false,
  withdrawalsPaused: false,
  liquidationsResumeAtSeconds: 0n,
  insuranceFundUsd: usd(1_000n),
  insuranceFundTargetUsd: usd(50_000n),
  vaultCashUsd: usd(1_000_000n),
};

function actionState(position: Position, snapshot = market(), freeBalanceUsd = usd(10_000n)) {
  const built = buildActionState({
    account: ACCOUNT,
    market: snapshot,
    markets: [snapshot],
    position,
    pendingOrder: noOrder(),
    protocol: PROTOCOL,
    freeBalanceUsd,
    nowSeconds: NOW,
  });
  if (!built.ok) throw new Error("price invalid");
  return built.state;
}

describe("app view model", () => {
  describe("marketView", () => {
    it("lists_every_status_that_applies", () => {
      expect(marketView(market(), PROTOCOL, NOW).statuses).to.deep.equal(["ok"]);
      expect(
        marketView(market({ price: { ok: false, failure: failure("PriceStale") } }), PROTOCOL, NOW).statuses,
      ).to.deep.equal(["stale"]);
      expect(
        marketView(market({ price: { ok: false, failure: failure("PriceAtBound") } }), PROTOCOL, NOW).statuses,
      ).to.deep.equal(["invalid-price"]);
      const volatile = market({ price: { ok: true, priceWad: usd(2_000n), isVolatile: true }, reduceOnly: true });
      expect(marketView(volatile, { ...PROTOCOL, tradingPaused: true }, NOW).statuses).to.deep.equal([
        "volatile",
        "reduce-only",
        "paused",
      ]);
      expect(
        marketView(market({ settlementPriceWad: usd(1_900n), reduceOnly: true }), PROTOCOL, NOW).statuses,
      ).to.deep.equal(["settled"]);
    });

    it("shows_the_sdk_funding_rate_per_hour_day_and_year_and_the_price_age", () => {
      const skewed = market({ state: marketWithLong(usd(1_000n), usd(2_000n)) });
      const view = marketView(skewed, PROTOCOL, NOW);
      const perDay = fundingRatePerDayWad(usd(1_000n), PARAMS.skewScale, PARAMS.maxFundingRatePerDayWad);
      expect(view.funding.perDayWad).to.equal(perDay);
      expect(perDay).to.equal(WAD / 1_000n); // 1,000 / 100,000 × 10%/day = 0.1%/day
      expect(view.funding.perHourWad).to.equal(perDay / 24n);
      expect(view.funding.perYearWad).to.equal(perDay * 365n);
      expect(view.priceAgeSeconds).to.equal(30n);
      expect(fundingRates(-24n).perHourWad).to.equal(-1n);
    });
  });

  describe("positionView", () => {
    it("is_null_for_a_flat_position_and_mirrors_the_sdk_for_an_open_one", () => {
      const snapshot = market({ state: marketWithLong(usd(2n), usd(2_000n)) });
      const adl = { light: 3, rank: 2n, queueLength: 5n };
      expect(
        positionView({ marketId: ETH_ID, position: emptyPosition(), adl, order: noOrder() }, snapshot, NOW),
      ).to.equal(null);
      const position: Position = {
        ...emptyPosition(),
        size: usd(2n),
        entryPriceWad: usd(2_000n),
        marginUsd: usd(1_000n),
      };
      const down = market({ state: snapshot.state, price: { ok: true, priceWad: usd(1_900n), isVolatile: false } });
      const view = positionView({ marketId: ETH_ID, position, adl, order: noOrder() }, down, NOW)!;
      expect(view.side).to.equal("long");
      expect(view.unrealizedPnlUsd).to.equal(-usd(200n));
      expect(view.equityUsd).to.equal(usd(800n));
      expect(view.marginRatioWad).to.equal((usd(800n) * WAD) / usd(3_800n));
      expect(view.liquidationPriceWad).to.equal(
        liquidationPrice(down.state, PARAMS, TIERS, position, usd(1_900n), NOW),
      );
      expect(view.leverageWad).to.equal((usd(3_800n) * WAD) / usd(800n));
      expect(view.adl).to.deep.equal(adl);
    });
  });

  describe("settled markets", () => {
    it("freeze_funding_and_pay_the_equity_at_the_settlement_price", () => {
      const position: Position = {
        ...emptyPosition(),
        size: usd(2n),
        entryPriceWad: usd(2_000n),
        marginUsd: usd(1_000n),
        fundingIndexSnapshotWad: 0n,
      };
      const settled = market({
        state: {
          ...marketWithLong(usd(2n), usd(2_000n)),
          fundingIndexWad: usd(1n),
          lastFundingTimestamp: NOW - 86_400n,
        },
        settlementPriceWad: usd(1_900n),
        price: { ok: true, priceWad: usd(1_900n), isVolatile: false },
      });
      const adl = { light: 0, rank: 0n, queueLength: 0n };
      const later = positionView({ marketId: ETH_ID, position, adl, order: noOrder() }, settled, NOW + 86_400n)!;
      const now = positionView({ marketId: ETH_ID, position, adl, order: noOrder() }, settled, NOW)!;
      // Owed funding is 2 × $1 at the stored index, however much time passes.
      expect(later.fundingOwedUsd).to.equal(usd(2n));
      expect(now.fundingOwedUsd).to.equal(usd(2n));
      // 1,000 − 2 − 2 × 100 = $798.
      expect(now.settlementPayoutUsd).to.equal(usd(798n));
      expect(now.isLiquidatable).to.equal(false);
      expect(marketView(settled, PROTOCOL, NOW).funding.perDayWad).to.equal(0n);
      const deep = market({ ...settled, settlementPriceWad: usd(1_000n) });
      expect(
        positionView({ marketId: ETH_ID, position, adl, order: noOrder() }, deep, NOW)!.settlementPayoutUsd,
      ).to.equal(0n);
    });
  });

  describe("tradePreview", () => {
    it("turns_slippage_into_a_bound_rounded_toward_the_trader's_limit", () => {
      expect(acceptablePriceWad(10_001n, true, 50n)).to.equal(10_051n); // 10,051.005 down
      expect(acceptablePriceWad(10_001n, false, 50n)).to.equal(9_951n); // 9,950.995 up
      expect(acceptablePriceWad(10_001n, true, 0n)).to.equal(10_001n);
      expect(() => acceptablePriceWad(1n, true, 10_000n)).to.throw(InvalidTradeRequestError);
    });

    it("converts_a_leverage_on_the_margin_into_a_size", () => {
      expect(sizeFromLeverage(usd(1_000n), 5n * WAD, usd(2_000n))).to.equal(usd(5n) / 2n);
      expect(() => sizeFromLeverage(usd(1n), WAD, 0n)).to.throw(InvalidTradeRequestError);
    });

    it("previews_an_accepted_open_with_fill_fee_and_resulting_position", () => {
      const preview = previewTradeAction(actionState(emptyPosition()), {
        kind: "trade",
        side: "long",
        sizeWad: WAD,
        marginUsd: usd(500n),
        slippageBps: 50n,
      });
      expect(preview.revert).to.equal(null);
      expect(preview.fillPriceWad).to.equal(2_000_010_000_000_000_000_000n); // README worked example
      expect(preview.feeUsd).to.equal(1_000_005_000_000_000_000n);
      expect(preview.after!.marginUsd).to.equal(498_999_995_000_000_000_000n);
      expect(preview.initialMargin!.meets).to.equal(true);
      expect(preview.call).to.deep.include({ method: "modifyPosition", sizeDelta: WAD, marginDelta: usd(500n) });
      expect(preview.call.acceptablePrice).to.equal(acceptablePriceWad(preview.fillPriceWad!, true, 50n));
    });

    it("keeps_the_numbers_of_a_refused_trade_and_names_the_error", () => {
      const preview = previewTradeAction(actionState(emptyPosition()), {
        kind: "trade",
        side: "short",
        sizeWad: usd(10n),
        marginUsd: usd(100n),
        slippageBps: 50n,
      });
      expect(preview.revert?.errorName).to.equal("InitialMarginNotMet");
      expect(preview.revert?.args).to.include({ account: ACCOUNT, marketId: ETH_ID });
      expect(preview.after!.sizeWad).to.equal(-usd(10n));
      expect(preview.initialMargin!.meets).to.equal(false);
      expect(preview.initialMargin!.requiredUsd).to.equal(preview.revert?.args.requiredUsd);
    });

    it("previews_a_close_and_a_margin_removal_beyond_the_margin", () => {
      const position: Position = { ...emptyPosition(), size: WAD, entryPriceWad: usd(2_000n), marginUsd: usd(500n) };
      const state = actionState(position, market({ state: marketWithLong(WAD, usd(2_000n)) }));
      const close = previewTradeAction(state, { kind: "close", slippageBps: 50n });
      expect(close.revert).to.equal(null);
      expect(close.after).to.equal(null);
      expect(close.call.method).to.equal("closePosition");
      expect(close.freeBalanceDeltaUsd > usd(498n)).to.equal(true);
      const remove = previewTradeAction(state, { kind: "remove-margin", amountUsd: usd(600n) });
      expect(remove.revert?.errorName).to.equal("InsufficientPositionMargin");
      expect(remove.revert?.args).to.include({ account: ACCOUNT, marketId: ETH_ID, requestedUsd: usd(600n) });
    });

    it("refuses_new_exposure_while_another_market_with_open_interest_has_no_price", () => {
      const btc = market(
        {
          state: marketWithLong(WAD, usd(60_000n)),
          price: {
            ok: false,
            failure: { ...failure("PriceStale"), args: { updatedAt: 1n, heartbeatSeconds: 3_600n } },
          },
        },
        BTC_ID,
        "BTC-USD",
      );
      const eth = market();
      const built = buildActionState({
        account: ACCOUNT,
        market: eth,
        markets: [eth, btc],
        position: emptyPosition(),
        pendingOrder: noOrder(),
        protocol: PROTOCOL,
        freeBalanceUsd: usd(10_000n),
        nowSeconds: NOW,
      });
      if (!built.ok) throw new Error("ETH is priced");
      const open = previewTradeAction(built.state, {
        kind: "trade",
        side: "long",
        sizeWad: WAD,
        marginUsd: usd(500n),
        slippageBps: 50n,
      });
      expect(open.revert?.errorName).to.equal("PriceStale");
      const invalidHere = buildActionState({
        account: ACCOUNT,
        market: btc,
        markets: [eth, btc],
        position: emptyPosition(),
        pendingOrder: noOrder(),
        protocol: PROTOCOL,
        freeBalanceUsd: 0n,
        nowSeconds: NOW,
      });
      expect(invalidHere.ok).to.equal(false);
    });
  });

  describe("delayed orders", () => {
    const DELAYED: MarketParams = {
      ...PARAMS,
      executionDelaySeconds: 5n,
      orderExpirySeconds: 300n,
      executionFeeUsd: usd(1n) / 2n,
    };
    const delayedMarket = (state = emptyState()) => market({ params: DELAYED, state });

    it("turns_size_changes_and_margin_removals_into_commits_and_keeps_adding_margin_instant", () => {
      const open = previewTradeAction(actionState(emptyPosition(), delayedMarket()), {
        kind: "trade",
        side: "long",
        sizeWad: WAD,
        marginUsd: usd(500n),
        slippageBps: 50n,
      });
      expect(open.revert).to.equal(null);
      expect(open.call.method).to.equal("commitOrder");
      expect(open.order).to.deep.equal({
        delaySeconds: 5n,
        executableAt: NOW + 5n,
        expiresAt: NOW + 305n,
        executionFeeUsd: usd(1n) / 2n,
        debitedUsd: usd(500n) + usd(1n) / 2n,
      });
      const position: Position = { ...emptyPosition(), size: WAD, entryPriceWad: usd(2_000n), marginUsd: usd(500n) };
      const held = delayedMarket(marketWithLong(WAD, usd(2_000n)));
      expect(
        previewTradeAction(actionState(position, held), { kind: "add-margin", amountUsd: usd(10n) }).call.method,
      ).to.equal("modifyPosition");
      expect(
        previewTradeAction(actionState(position, held), { kind: "remove-margin", amountUsd: usd(10n) }).call.method,
      ).to.equal("commitOrder");
      const close = previewTradeAction(actionState(position, held), { kind: "close", slippageBps: 50n });
      expect(close.call).to.deep.include({ method: "commitOrder", sizeDelta: -WAD, marginDelta: 0n });
    });

    it("refuses_a_commit_whose_execution_would_be_cancelled_at_today's_price_and_a_second_pending_order", () => {
      const tooBig = previewTradeAction(actionState(emptyPosition(), delayedMarket()), {
        kind: "trade",
        side: "long",
        sizeWad: usd(10n),
        marginUsd: usd(100n),
        slippageBps: 50n,
      });
      expect(tooBig.revert).to.deep.include({ errorName: "InitialMarginNotMet", stage: "execution" });
      const state = actionState(emptyPosition(), delayedMarket());
      const pending = {
        ...state,
        pendingOrder: { ...noOrder(), sizeDelta: WAD, executableAt: NOW, expiresAt: NOW + 300n },
      };
      const second = previewTradeAction(pending, {
        kind: "trade",
        side: "long",
        sizeWad: WAD,
        marginUsd: usd(500n),
        slippageBps: 50n,
      });
      expect(second.revert).to.deep.include({ errorName: "OrderAlreadyPending", stage: "call" });
      expect(second.revert?.args).to.deep.equal({ account: ACCOUNT, marketId: ETH_ID });
    });

    it("shows_a_pending_order's_countdown_and_status", () => {
      const order = {
        ...noOrder(),
        sizeDelta: -WAD,
        marginDeltaUsd: 0n,
        acceptablePriceWad: usd(1_990n),
        executableAt: NOW + 5n,
        expiresAt: NOW + 305n,
        executionFeeUsd: usd(1n),
      };
      expect(pendingOrderView(ETH_ID, noOrder(), NOW, false)).to.equal(null);
      const waiting = pendingOrderView(ETH_ID, order, NOW, false)!;
      expect(waiting).to.deep.include({
        direction: "sell",
        status: "waiting",
        secondsUntilExecutable: 5n,
        acceptablePriceWad: usd(1_990n),
      });
      expect(pendingOrderView(ETH_ID, order, NOW + 5n, false)!.status).to.equal("executable");
      expect(pendingOrderView(ETH_ID, order, NOW + 306n, false)!.status).to.equal("cancellable");
      expect(pendingOrderView(ETH_ID, order, NOW, true)!.status).to.equal("cancellable");
      expect(pendingOrderView(ETH_ID, { ...order, acceptablePriceWad: 0n }, NOW, false)!.acceptablePriceWad).to.equal(
        null,
      );
    });

    it("matches_each_commit_with_its_execution_or_cancellation", () => {
      const at = (blockNumber: number) => ({ blockNumber, logIndex: 0, transactionHash: "0x0" + blockNumber });
      const committed = (blockNumber: number, account = ACCOUNT) =>
        ({
          ...at(blockNumber),
          name: "OrderCommitted",
          account,
          marketId: ETH_ID,
          sizeDelta: WAD,
          marginDeltaUsd: 0n,
          acceptablePriceWad: 0n,
          sizeAtCommit: 0n,
          escrowedMarginUsd: 0n,
          executionFeeUsd: 0n,
          executableAt: 0n,
          expiresAt: 0n,
        }) as EngineEvent;
      const events: EngineEvent[] = [
        committed(1),
        {
          ...at(2),
          name: "OrderExecuted",
          account: ACCOUNT,
          marketId: ETH_ID,
          executor: ACCOUNT,
          sizeDelta: WAD,
          fillPriceWad: usd(2_000n),
          takerFeeUsd: 0n,
          newSize: WAD,
          executionFeeUsd: 0n,
        } as EngineEvent,
        committed(3, "0x00000000000000000000000000000000000000b2"),
        committed(4),
        {
          ...at(5),
          name: "OrderCancelled",
          account: ACCOUNT,
          marketId: ETH_ID,
          by: ACCOUNT,
          reason: "0x",
          refundedMarginUsd: 0n,
          executionFeeUsd: 0n,
        } as EngineEvent,
        committed(6),
      ];
      const history = orderHistory(events, ACCOUNT);
      expect(history.map((h) => [h.committed.blockNumber, h.outcome.kind])).to.deep.equal([
        [1, "executed"],
        [4, "cancelled"],
        [6, "pending"],
      ]);
    });
  });

  describe("waterfall and insurance history", () => {
    const where = { blockNumber: 7, logIndex: 0, transactionHash: "0x01" };
    const liquidation = (vaultPaidUsd: bigint | null): LiquidatedEvent => ({
      ...where,
      name: "Liquidated",
      account: ACCOUNT,
      marketId: ETH_ID,
      keeper: ACCOUNT,
      closedSize: WAD,
      executionPriceWad: usd(1_400n),
      remainingSize: 0n,
      penaltyUsd: 0n,
      keeperRewardUsd: usd(2n),
      deficitUsd: usd(200n),
      insurancePaidUsd: usd(150n),
      adlPaidUsd: 0n,
      vaultPaidUsd,
      socializedUsd: 0n,
    });

    it("splits_the_deficit_in_waterfall_order_and_checks_it_adds_up", () => {
      const split = liquidationWaterfall(liquidation(usd(50n)));
      expect(split.parts.map((p) => p.payer)).to.deep.equal(["insurance", "adl", "vault", "socialized"]);
      expect(split.isExact).to.equal(true);
      expect(split.isFull).to.equal(true);
      expect(liquidationWaterfall(liquidation(usd(49n))).isExact).to.equal(false);
      expect(liquidationWaterfall(liquidation(null)).parts[2].amountUsd).to.equal(null);
    });

    it("keeps_the_last_insurance_balance_of_each_block", () => {
      const events: EngineEvent[] = [
        { ...where, blockNumber: 3, name: "InsuranceFeeCredited", insuranceFundUsd: usd(1n) },
        { ...where, blockNumber: 3, name: "InsuranceDonated", insuranceFundUsd: usd(5n) },
        { ...where, blockNumber: 4, name: "Deposited", args: {} },
        { ...where, blockNumber: 6, name: "InsuranceDeficitPaid", insuranceFundUsd: 0n },
      ];
      expect(insuranceFundHistory(events)).to.deep.equal([
        { blockNumber: 3, insuranceFundUsd: usd(5n) },
        { blockNumber: 6, insuranceFundUsd: 0n },
      ]);
    });
  });

  describe("vaultView", () => {
    const vault: VaultSnapshot = {
      shareSymbol: "pvUSDC",
      shareDecimals: 6,
      totalShares: 1_000_000n,
      totalAssets: 1_000_000n,
      totalAssetsForDeposit: 1_000_000n,
      assetsPerShare: 1_000_000n,
    };
    const lp = (ownerAssets: bigint, maxWithdraw: bigint) => ({
      shares: 1n,
      ownerAssets,
      maxWithdraw,
      maxRedeem: maxWithdraw,
    });

    it("says_nothing_limits_a_withdrawal_that_fits", () => {
      const view = vaultView({ vault, markets: [market()], protocol: PROTOCOL, nowSeconds: NOW, lp: lp(100n, 100n) });
      expect(view.lp!.limit).to.equal("none");
      expect(view.payout!.maxPayoutUsd).to.equal(PROTOCOL.vaultCashUsd);
    });

    it("names_the_binding_limit", () => {
      const skewed = market({ state: marketWithLong(usd(200n), usd(2_000n)) });
      const limited = (protocol: ProtocolSnapshot, markets: MarketSnapshot[]) =>
        vaultView({ vault, markets, protocol, nowSeconds: NOW, lp: lp(100n, 10n) }).lp!.limit;
      // Skew 200 ETH × $2,000 = $400k needs $800k of equity at a 50% cap; the reserve is 12.5% of $400k.
      expect(limited(PROTOCOL, [skewed])).to.equal("exposure-cap");
      const balanced = market({
        state: { ...emptyState(), longOpenInterest: usd(200n), shortOpenInterest: usd(200n) },
      });
      expect(limited(PROTOCOL, [balanced])).to.equal("gross-oi-reserve");
      expect(limited({ ...PROTOCOL, vaultCashUsd: usd(10n) }, [market()])).to.equal("vault-cash");
      expect(limited({ ...PROTOCOL, withdrawalsPaused: true }, [skewed])).to.equal("withdrawals-paused");
      const unpriced = market({ state: skewed.state, price: { ok: false, failure: failure("PriceStale") } });
      expect(limited(PROTOCOL, [unpriced])).to.equal("price-invalid");
    });
  });

  describe("small helpers", () => {
    it("asks_for_approval_only_when_the_allowance_is_short", () => {
      expect(approvalNeed(10n, 10n)).to.deep.equal({ needed: false });
      expect(approvalNeed(9n, 10n)).to.deep.equal({ needed: true, exactAmount: 10n, currentAllowance: 9n });
      expect(approvalNeed(0n, null)).to.deep.equal({ needed: false });
    });

    it("converts_token_units_like_the_engine", () => {
      expect(usdFromTokens(1_500_000n, 6)).to.equal(usd(3n) / 2n);
      expect(tokensFromUsdDown(usd(3n) / 2n + 1n, 6)).to.equal(1_500_000n);
      expect(tokensFromUsdDown(5n, 18)).to.equal(5n);
    });

    it("orders_chart_points_by_time_keeping_the_last_of_each_second_and_the_most_recent", () => {
      const points = [
        { timeSeconds: 5n, priceWad: 1n },
        { timeSeconds: 3n, priceWad: 2n },
        { timeSeconds: 5n, priceWad: 3n },
        { timeSeconds: 9n, priceWad: 4n },
      ];
      expect(chartSeries(points, 10)).to.deep.equal([
        { timeSeconds: 3n, priceWad: 2n },
        { timeSeconds: 5n, priceWad: 3n },
        { timeSeconds: 9n, priceWad: 4n },
      ]);
      expect(chartSeries(points, 2).map((p) => p.timeSeconds)).to.deep.equal([5n, 9n]);
    });
  });
});
