/**
 * Differential tests: `sdk/math` against the contracts, to the wei.
 *
 * 1. Every PositionMath / SignedMath function through `PositionMathHarness` against its SDK mirror on
 *    edge-biased random inputs, including the inputs where Solidity panics (same panic code expected).
 * 2. `liquidationPriceWad` against `positionHealth` on exact bigint prices (SDK only).
 * 3. Random trading sequences through the real engine, with an SDK-only model of every balance, checked
 *    after every step against the engine's views and events.
 * 4. `liquidationPriceWad` confirmed on-chain with the engine's `positionEquity` at feed-unit prices.
 */
import { expect } from "chai";
import { ethers, network } from "hardhat";
import { time } from "@nomicfoundation/hardhat-network-helpers";
import fc from "fast-check";
import { parseUnits, type ContractTransactionReceipt, type Signer } from "ethers";
import { deployLocalSystem, ETH, BTC } from "../helpers/fixtures";
import type { PerpEngine, PositionMathHarness } from "../../typechain-types";
import {
  INT256_MAX,
  INT256_MIN,
  UINT128_MAX,
  UINT256_MAX,
  WAD,
  BPS,
  SolidityPanicError,
  abs,
  currentFundingIndexWad,
  divCeil,
  divCeilU,
  divFloor,
  fillPriceWad,
  fundingIndexDeltaWad,
  fundingOwedUsd,
  fundingRatePerDayWad,
  increasedEntryPriceWad,
  initialRequirementUsd,
  liquidationPriceWad,
  maintenanceRequirementUsd,
  min,
  notionalUsd,
  positionHealth,
  simulateModifyPosition,
  takerFeeUsd,
  tieredMarginUsd,
  unrealizedPnlUsd,
  vaultMarketValueUsd,
  type MarginTier,
  type MarketParams,
  type MarketState,
  type Position,
} from "../../sdk/math";

/** Runs per pure-function property. */
const PURE_RUNS = 250;
/** Runs of the SDK-only liquidation-price properties. */
const LIQUIDATION_RUNS = 300;
/** Random trading sequences through the engine. */
const ENGINE_RUNS = 25;
/** Random positions whose liquidation price is confirmed on-chain. */
const ONCHAIN_LIQUIDATION_RUNS = 6;

/** 1e-8 USD in wad: one unit of the 8-decimal mock feeds, the smallest on-chain price step. */
const FEED_STEP_WAD = 10n ** 10n;

// ═════════════════════════════ helpers ═════════════════════════════

type Outcome = { ok: bigint } | { panic: bigint };

const PANIC_SELECTOR = "0x4e487b71";

/** A harness call's result, or the code of the `Panic(uint256)` it reverted with. */
async function onChain(call: () => Promise<bigint>): Promise<Outcome> {
  try {
    return { ok: await call() };
  } catch (error) {
    const data = (error as { data?: unknown }).data;
    if (typeof data === "string" && data.startsWith(PANIC_SELECTOR)) return { panic: BigInt("0x" + data.slice(10)) };
    throw error;
  }
}

/** The SDK's result, or the panic code of the `SolidityPanicError` it threw. */
function inSdk(compute: () => bigint): Outcome {
  try {
    return { ok: compute() };
  } catch (error) {
    if (error instanceof SolidityPanicError) return { panic: error.code };
    throw error;
  }
}

const pow10 = (exponent: number) => 10n ** BigInt(exponent);
/** Log-uniform bigint in [10^minExp, 10^(maxExp+1)). */
const logUniform = (minExp: number, maxExp: number) =>
  fc.integer({ min: minExp, max: maxExp }).chain((e) => fc.bigInt({ min: pow10(e), max: pow10(e + 1) - 1n }));
const signed = (arb: fc.Arbitrary<bigint>) => fc.tuple(fc.boolean(), arb).map(([negative, v]) => (negative ? -v : v));

const INT_EDGES = [0n, 1n, -1n, 2n, -2n, WAD, -WAD, INT256_MAX, INT256_MIN, INT256_MAX - 1n, INT256_MIN + 1n];
const UINT_EDGES = [0n, 1n, 2n, WAD, INT256_MAX, INT256_MAX + 1n, UINT256_MAX, UINT256_MAX - 1n];

/** Any int256, biased toward 0, ±1, the extremes and every order of magnitude. */
const anyInt = fc.oneof(
  { arbitrary: fc.constantFrom(...INT_EDGES), weight: 2 },
  { arbitrary: fc.bigInt({ min: -1000n, max: 1000n }), weight: 1 },
  { arbitrary: signed(logUniform(0, 75)), weight: 4 },
  { arbitrary: fc.bigInt({ min: INT256_MIN, max: INT256_MAX }), weight: 1 },
);
/** Any uint256, biased the same way. */
const anyUint = fc.oneof(
  { arbitrary: fc.constantFrom(...UINT_EDGES), weight: 2 },
  { arbitrary: fc.bigInt({ min: 0n, max: 1000n }), weight: 1 },
  { arbitrary: logUniform(0, 76), weight: 4 },
  { arbitrary: fc.bigInt({ min: 0n, max: UINT256_MAX }), weight: 1 },
);
/** Sizes from 1 wei to 1e24 base units (either sign), plus 0 and rare extremes. */
const sizeArb = fc.oneof(
  { arbitrary: fc.constantFrom(0n, 1n, -1n, pow10(24), -pow10(24)), weight: 1 },
  { arbitrary: signed(logUniform(0, 23)), weight: 8 },
  { arbitrary: anyInt, weight: 1 },
);
/** Prices from 1e8 to 1e24 wei (1e-10 .. 1e6 USD), plus rare extremes. */
const priceArb = fc.oneof(
  { arbitrary: fc.constantFrom(pow10(8), pow10(24), 0n, 1n), weight: 1 },
  { arbitrary: logUniform(8, 23), weight: 8 },
  { arbitrary: anyUint, weight: 1 },
);
/** Funding indices / snapshots: small, realistic, and extreme. */
const indexArb = fc.oneof(
  { arbitrary: signed(logUniform(0, 24)), weight: 6 },
  { arbitrary: fc.constantFrom(0n, 1n, -1n), weight: 1 },
  { arbitrary: anyInt, weight: 1 },
);
const uint16Arb = fc.oneof(
  fc.constantFrom(0n, 1n, 9_999n, 10_000n, 65_535n),
  fc.bigInt({ min: 0n, max: 10_000n }),
  fc.bigInt({ min: 0n, max: 65_535n }),
);

/** 1–4 tiers with sorted floors from 0 and arbitrary uint16 rates (the math does not need valid rates). */
const sortedTiersArb = fc
  .tuple(
    fc.array(logUniform(0, 26), { minLength: 0, maxLength: 3 }),
    fc.array(fc.tuple(uint16Arb, uint16Arb), { minLength: 4, maxLength: 4 }),
  )
  .map(([gaps, rates]) => {
    let floor = 0n;
    return [0n, ...gaps].map((gap, i): MarginTier => {
      floor += i === 0 ? 0n : gap;
      return { notionalFloorUsd: floor, initialMarginBps: rates[i][0], maintenanceMarginBps: rates[i][1] };
    });
  });
/** 1–4 tiers with arbitrary uint128 floors (unsorted tiers make the loop underflow: panics must agree). */
const rawTiersArb = fc.array(
  fc.record({
    notionalFloorUsd: fc.oneof(fc.constantFrom(0n, UINT128_MAX), fc.bigInt({ min: 0n, max: UINT128_MAX })),
    initialMarginBps: uint16Arb,
    maintenanceMarginBps: uint16Arb,
  }),
  { minLength: 1, maxLength: 4 },
);
const tiersArb = fc.oneof({ arbitrary: sortedTiersArb, weight: 4 }, { arbitrary: rawTiersArb, weight: 1 });
/** Notionals around tier floors and everywhere else. */
const notionalArb = fc.oneof(
  { arbitrary: logUniform(0, 28), weight: 6 },
  { arbitrary: fc.constantFrom(0n, 1n, UINT256_MAX), weight: 1 },
  { arbitrary: anyUint, weight: 1 },
);

/** Tiers with a notional that is random or within 1 wei of one of their floors. */
const tiersAndNotionalArb = fc
  .tuple(tiersArb, notionalArb, fc.boolean(), fc.nat(), fc.constantFrom(-1n, 0n, 1n))
  .map(([tiers, notional, atFloor, index, delta]) => {
    const floor = tiers[index % tiers.length].notionalFloorUsd;
    return { tiers, notional: atFloor && floor + delta >= 0n ? floor + delta : notional };
  });

/** Tiers the engine would list: floors from 0, 0 < MM < IM ≤ 100%, rates non-decreasing. */
const validTiersArb = fc.integer({ min: 1, max: 4 }).chain((n) =>
  fc
    .tuple(
      fc.array(logUniform(20, 25), { minLength: n - 1, maxLength: n - 1 }),
      fc.array(fc.oneof(fc.bigInt({ min: 1n, max: 1_000n }), fc.bigInt({ min: 1n, max: 9_998n })), {
        minLength: n,
        maxLength: n,
      }),
      fc.array(fc.bigInt({ min: 2n, max: 10_000n }), { minLength: n, maxLength: n }),
    )
    .map(([gaps, mms, ims]) => {
      const mmSorted = [...mms].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
      const imSorted = [...ims].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
      let floor = 0n;
      let previousIm = 0n;
      return mmSorted.map((mm, i): MarginTier => {
        floor += i === 0 ? 0n : gaps[i - 1];
        const im = [imSorted[i], mm + 1n, previousIm].reduce((a, b) => (a > b ? a : b));
        previousIm = im;
        return { notionalFloorUsd: floor, initialMarginBps: im, maintenanceMarginBps: mm };
      });
    }),
);

const toPosition = (p: {
  size: bigint;
  entryPriceWad: bigint;
  marginUsd: bigint;
  fundingIndexSnapshotWad: bigint;
}): Position => ({
  size: p.size,
  entryPriceWad: p.entryPriceWad,
  marginUsd: p.marginUsd,
  fundingIndexSnapshotWad: p.fundingIndexSnapshotWad,
});
const toMarketState = (s: MarketState): MarketState => ({
  netSize: s.netSize,
  longOpenInterest: s.longOpenInterest,
  shortOpenInterest: s.shortOpenInterest,
  sumSizeTimesEntry: s.sumSizeTimesEntry,
  sumSizeTimesFundingSnapshot: s.sumSizeTimesFundingSnapshot,
  fundingIndexWad: s.fundingIndexWad,
  lastFundingTimestamp: s.lastFundingTimestamp,
});
const EMPTY_POSITION: Position = { size: 0n, entryPriceWad: 0n, marginUsd: 0n, fundingIndexSnapshotWad: 0n };

async function latestTimestamp(): Promise<bigint> {
  const block = await ethers.provider.getBlock("latest");
  if (!block) throw new Error("no latest block");
  return BigInt(block.timestamp);
}

// ═════════════════════════════ tests ═════════════════════════════

describe("sdk/math differential", function () {
  this.timeout(600_000);

  describe("PositionMath and SignedMath: SDK == PositionMathHarness to the wei (panics included)", () => {
    let h: PositionMathHarness;

    /** Per function: how many inputs returned a value and how many panicked (on both sides alike). */
    const outcomes = new Map<string, { ok: number; panic: number }>();
    let current = "";

    before(async () => {
      h = await ethers.deployContract("PositionMathHarness");
    });
    beforeEach(function () {
      current = this.currentTest?.title.split(" ")[0] ?? "";
      outcomes.set(current, { ok: 0, panic: 0 });
    });
    after(() => {
      const summary = [...outcomes].map(([name, o]) => `${name} ${o.ok}/${o.panic}`).join(", ");
      console.log(`      value/panic counts: ${summary}`);
    });

    const check = async (chainCall: () => Promise<bigint>, sdkCall: () => bigint) => {
      const expected = inSdk(sdkCall);
      expect(await onChain(chainCall)).to.deep.equal(expected);
      outcomes.get(current)!["ok" in expected ? "ok" : "panic"]++;
    };
    const property = <T extends [unknown, ...unknown[]]>(prop: fc.IAsyncProperty<T>) =>
      fc.assert(prop, { numRuns: PURE_RUNS });

    it("divFloor", () =>
      property(
        fc.asyncProperty(anyInt, anyInt, (x, d) =>
          check(
            () => h.divFloor(x, d),
            () => divFloor(x, d),
          ),
        ),
      ));
    it("divCeil", () =>
      property(
        fc.asyncProperty(anyInt, anyInt, (x, d) =>
          check(
            () => h.divCeil(x, d),
            () => divCeil(x, d),
          ),
        ),
      ));
    it("abs", () =>
      property(
        fc.asyncProperty(anyInt, (x) =>
          check(
            () => h.abs(x),
            () => abs(x),
          ),
        ),
      ));
    it("divCeilU", () =>
      property(
        fc.asyncProperty(anyUint, anyUint, (x, d) =>
          check(
            () => h.divCeilU(x, d),
            () => divCeilU(x, d),
          ),
        ),
      ));
    it("min", () =>
      property(
        fc.asyncProperty(anyInt, anyInt, (a, b) =>
          check(
            () => h.min(a, b),
            () => min(a, b),
          ),
        ),
      ));

    it("unrealizedPnlUsd", () =>
      property(
        fc.asyncProperty(sizeArb, priceArb, priceArb, (size, entry, price) =>
          check(
            () => h.unrealizedPnlUsd(size, entry, price),
            () => unrealizedPnlUsd(size, entry, price),
          ),
        ),
      ));
    it("fundingOwedUsd", () =>
      property(
        fc.asyncProperty(sizeArb, indexArb, indexArb, (size, index, snapshot) =>
          check(
            () => h.fundingOwedUsd(size, index, snapshot),
            () => fundingOwedUsd(size, index, snapshot),
          ),
        ),
      ));
    it("notionalUsd", () =>
      property(
        fc.asyncProperty(sizeArb, priceArb, (size, price) =>
          check(
            () => h.notionalUsd(size, price),
            () => notionalUsd(size, price),
          ),
        ),
      ));
    it("tieredMarginUsd (initial and maintenance, notionals at tier floors ±1)", () =>
      property(
        fc.asyncProperty(tiersAndNotionalArb, fc.boolean(), ({ tiers, notional }, initial) =>
          check(
            () => h.tieredMarginUsd(tiers, notional, initial),
            () => tieredMarginUsd(tiers, notional, initial),
          ),
        ),
      ));
    it("maintenanceRequirementUsd", () =>
      property(
        fc.asyncProperty(tiersAndNotionalArb, fc.oneof(logUniform(0, 20), anyUint), ({ tiers, notional }, keeper) =>
          check(
            () => h.maintenanceRequirementUsd(tiers, notional, keeper),
            () => maintenanceRequirementUsd(tiers, notional, keeper),
          ),
        ),
      ));
    it("initialRequirementUsd", () =>
      property(
        fc.asyncProperty(tiersAndNotionalArb, fc.oneof(logUniform(0, 20), anyUint), ({ tiers, notional }, keeper) =>
          check(
            () => h.initialRequirementUsd(tiers, notional, keeper),
            () => initialRequirementUsd(tiers, notional, keeper),
          ),
        ),
      ));
    it("fillPriceWad (skews of both signs, sells past the skew scale)", () =>
      property(
        fc.asyncProperty(
          priceArb,
          sizeArb,
          sizeArb,
          fc.oneof(logUniform(0, 24), anyUint),
          (price, skew, sizeDelta, skewScale) =>
            check(
              () => h.fillPriceWad(price, skew, sizeDelta, skewScale),
              () => fillPriceWad(price, skew, sizeDelta, skewScale),
            ),
        ),
      ));
    it("takerFeeUsd", () =>
      property(
        fc.asyncProperty(
          sizeArb,
          priceArb,
          fc.oneof(fc.bigInt({ min: 0n, max: 1_000n }), anyUint),
          (sizeDelta, fill, feeBps) =>
            check(
              () => h.takerFeeUsd(sizeDelta, fill, feeBps),
              () => takerFeeUsd(sizeDelta, fill, feeBps),
            ),
        ),
      ));
    it("increasedEntryPriceWad", () =>
      property(
        fc.asyncProperty(sizeArb, priceArb, sizeArb, priceArb, (size, entry, added, fill) => {
          // Same sign as `size` most of the time (the engine's use), any sign otherwise.
          const sameSign =
            size !== 0n && added !== 0n && added !== INT256_MIN && size > 0n !== added > 0n && fill % 4n !== 0n
              ? -added
              : added;
          return check(
            () => h.increasedEntryPriceWad(size, entry, sameSign, fill),
            () => increasedEntryPriceWad(size, entry, sameSign, fill),
          );
        }),
      ));
    it("fundingRatePerDayWad (clamped both ways)", () =>
      property(
        fc.asyncProperty(
          sizeArb,
          fc.oneof(logUniform(0, 24), anyUint),
          fc.oneof(fc.bigInt({ min: 0n, max: WAD }), anyUint),
          (skew, skewScale, maxRate) =>
            check(
              () => h.fundingRatePerDayWad(skew, skewScale, maxRate),
              () => fundingRatePerDayWad(skew, skewScale, maxRate),
            ),
        ),
      ));
    it("fundingIndexDeltaWad", () =>
      property(
        fc.asyncProperty(
          fc.oneof(signed(fc.bigInt({ min: 0n, max: WAD })), anyInt),
          priceArb,
          fc.oneof(fc.bigInt({ min: 0n, max: 10n ** 9n }), anyUint),
          (rate, price, elapsed) =>
            check(
              () => h.fundingIndexDeltaWad(rate, price, elapsed),
              () => fundingIndexDeltaWad(rate, price, elapsed),
            ),
        ),
      ));
  });

  describe("liquidationPriceWad (SDK only, exact bigint prices)", () => {
    /** A random position with margin between 0 and 2× its notional at entry, and some funding owed. */
    const liquidationCaseArb = fc.record({
      size: signed(fc.oneof({ arbitrary: logUniform(0, 23), weight: 4 }, { arbitrary: logUniform(15, 21), weight: 4 })),
      entryPriceWad: logUniform(8, 23),
      marginBps: fc.oneof(fc.bigInt({ min: 0n, max: 2_000n }), fc.bigInt({ min: 0n, max: 20_000n })),
      extraMarginUsd: fc.oneof(fc.constant(0n), logUniform(0, 21)),
      fundingIndexWad: signed(fc.oneof(fc.constant(0n), logUniform(0, 20))),
      fundingIndexSnapshotWad: signed(fc.oneof(fc.constant(0n), logUniform(0, 20))),
      tiers: validTiersArb,
      keeperRewardUsd: fc.oneof(fc.constant(0n), logUniform(15, 19)),
    });
    type LiquidationCase = typeof liquidationCaseArb extends fc.Arbitrary<infer T> ? T : never;
    const build = (c: LiquidationCase) => {
      const position: Position = {
        size: c.size,
        entryPriceWad: c.entryPriceWad,
        marginUsd: (notionalUsd(c.size, c.entryPriceWad) * c.marginBps) / BPS + c.extraMarginUsd,
        fundingIndexSnapshotWad: c.fundingIndexSnapshotWad,
      };
      const liquidatable = (priceWad: bigint) =>
        positionHealth(position, priceWad, c.fundingIndexWad, c.tiers, c.keeperRewardUsd).isLiquidatable;
      return { position, liquidatable };
    };

    it("long: healthy at the returned price and above it, liquidatable one wei below", () =>
      fc.assert(
        fc.property(liquidationCaseArb, fc.bigInt({ min: 1n, max: 10n ** 30n }), (raw, offset) => {
          const c = { ...raw, size: abs(raw.size) };
          const { position, liquidatable } = build(c);
          const price = liquidationPriceWad(position, c.tiers, c.keeperRewardUsd, c.fundingIndexWad);
          if (price === 0n) {
            // No positive price liquidates it: spot-check small and large prices.
            for (const p of [1n, 2n, 3n, c.entryPriceWad / 2n + 1n, c.entryPriceWad, offset]) {
              expect(liquidatable(p), `price ${p}`).to.equal(false);
            }
            return;
          }
          expect(price >= 2n).to.equal(true);
          expect(liquidatable(price), "at the returned price").to.equal(false);
          expect(liquidatable(price - 1n), "one wei below").to.equal(true);
          for (let q = 1n; q <= 32n; q++) expect(liquidatable(price + q), `above, at +${q}`).to.equal(false);
          for (const p of [price + 1000n, price + offset, price * 2n]) {
            expect(liquidatable(p), `above, at ${p}`).to.equal(false);
          }
        }),
        { numRuns: LIQUIDATION_RUNS },
      ));

    it("short: healthy at the returned price and below it, liquidatable one wei above", () =>
      fc.assert(
        fc.property(liquidationCaseArb, fc.bigInt({ min: 1n, max: 10n ** 30n }), (raw, offset) => {
          const c = { ...raw, size: -abs(raw.size) };
          const { position, liquidatable } = build(c);
          const price = liquidationPriceWad(position, c.tiers, c.keeperRewardUsd, c.fundingIndexWad);
          expect(liquidatable(price + 1n), "one wei above").to.equal(true);
          if (price === 0n) return; // liquidatable at every positive price
          expect(liquidatable(price), "at the returned price").to.equal(false);
          for (let q = 1n; q <= 32n && q < price; q++) {
            expect(liquidatable(price - q), `below, at -${q}`).to.equal(false);
          }
          const below = [price - 1000n, price - offset, price / 2n, 1n];
          for (const p of below.filter((q) => q >= 1n)) {
            expect(liquidatable(p), `below, at ${p}`).to.equal(false);
          }
        }),
        { numRuns: LIQUIDATION_RUNS },
      ));

    it("health is not monotone in price at the wei level: the returned price bounds the sure-healthy region", () => {
      // 0.3 ETH long from $2000 with margin such that equity == requirement at exactly $1950: one wei
      // higher the notional (rounded up) ticks the requirement up by 1 wei while the PnL (rounded down)
      // has not moved yet, so the position is liquidatable again until $1950 + 4 wei. Harmless (1 wei of
      // USD, invisible at 8-decimal feed prices for any non-dust size) but it is why the liquidation price
      // is defined as the edge of the region that is healthy at every price beyond it.
      const tiers: MarginTier[] = [{ notionalFloorUsd: 0n, initialMarginBps: 500n, maintenanceMarginBps: 250n }];
      const position: Position = {
        size: 3n * 10n ** 17n,
        entryPriceWad: 2_000n * WAD,
        marginUsd: 31_625_000_000_000_000_000n,
        fundingIndexSnapshotWad: 0n,
      };
      const keeper = 2n * WAD;
      const liquidatable = (p: bigint) => positionHealth(position, p, 0n, tiers, keeper).isLiquidatable;
      const p1950 = 1_950n * WAD;
      expect([-1n, 0n, 1n, 2n, 3n, 4n].map((d) => liquidatable(p1950 + d))).to.deep.equal([
        true,
        false, // equity == requirement
        true,
        true,
        true,
        false,
      ]);
      expect(liquidationPriceWad(position, tiers, keeper, 0n)).to.equal(p1950 + 4n);
    });

    it("returns 0n for an empty position and for an over-collateralised long", () => {
      const tiers: MarginTier[] = [{ notionalFloorUsd: 0n, initialMarginBps: 500n, maintenanceMarginBps: 250n }];
      expect(liquidationPriceWad(EMPTY_POSITION, tiers, 0n, 0n)).to.equal(0n);
      const fullyBacked: Position = {
        size: WAD,
        entryPriceWad: 2_000n * WAD,
        marginUsd: 2_100n * WAD,
        fundingIndexSnapshotWad: 0n,
      };
      expect(liquidationPriceWad(fullyBacked, tiers, 2n * WAD, 0n)).to.equal(0n);
      // The mirrored short always has one: equity falls without bound as the price rises.
      const short = { ...fullyBacked, size: -WAD };
      const price = liquidationPriceWad(short, tiers, 2n * WAD, 0n);
      expect(price > 2_000n * WAD).to.equal(true);
    });
  });

  describe("engine sequences: SDK model == PerpEngine after every step", () => {
    type System = Awaited<ReturnType<typeof deployLocalSystem>>;
    let s: System;
    let traders: Signer[];
    let traderAddresses: string[];
    let snapshotId: string;
    const TRADER_COUNT = 3;

    interface ModelMarket {
      symbol: string;
      marketId: string;
      params: MarketParams;
      tiers: MarginTier[];
      state: MarketState;
      /** Current feed answer (8 decimals); the oracle price is answer × 1e10. */
      answer: bigint;
      positions: Position[];
    }
    interface Model {
      markets: ModelMarket[];
      vaultCashUsd: bigint;
      insuranceFundUsd: bigint;
      freeBalances: bigint[];
    }

    const priceOf = (m: ModelMarket) => m.answer * FEED_STEP_WAD;

    async function readModel(): Promise<Model> {
      const markets: ModelMarket[] = [];
      for (const symbol of [ETH, BTC]) {
        const deployed = s.market(symbol);
        const [, params] = await s.engine.getMarketConfig(deployed.marketId);
        const tiers = (await s.engine.getMarginTiers(deployed.marketId)).map((t) => ({
          notionalFloorUsd: t.notionalFloorUsd,
          initialMarginBps: t.initialMarginBps,
          maintenanceMarginBps: t.maintenanceMarginBps,
        }));
        markets.push({
          symbol,
          marketId: deployed.marketId,
          params: {
            minPositionMarginUsd: params.minPositionMarginUsd,
            keeperRewardUsd: params.keeperRewardUsd,
            maxOpenInterestPerSide: params.maxOpenInterestPerSide,
            skewScale: params.skewScale,
            maxFundingRatePerDayWad: params.maxFundingRatePerDayWad,
            takerFeeBps: params.takerFeeBps,
            insuranceFeeShareBps: params.insuranceFeeShareBps,
            maxVaultExposureBps: params.maxVaultExposureBps,
          },
          tiers,
          state: toMarketState(await s.engine.getMarketState(deployed.marketId)),
          answer: (await deployed.feed.latestRoundData()).answer,
          positions: await Promise.all(
            traderAddresses.map(async (a) => toPosition(await s.engine.getPosition(a, deployed.marketId))),
          ),
        });
      }
      return {
        markets,
        vaultCashUsd: await s.engine.vaultCashUsd(),
        insuranceFundUsd: await s.engine.insuranceFund(),
        freeBalances: await Promise.all(traderAddresses.map((a) => s.engine.freeBalance(a))),
      };
    }

    /** Every engine view that the SDK can predict, compared to the wei. */
    async function checkAgainstEngine(model: Model, context: string) {
      const now = await latestTimestamp();
      let vaultValueUsd = 0n;
      let vaultValueForWithdrawUsd = 0n;
      for (const m of model.markets) {
        const price = priceOf(m);
        const index = currentFundingIndexWad(m.state, m.params, price, now);
        const [markPrice, engineIndex, engineState] = await Promise.all([
          s.engine.markPrice(m.marketId),
          s.engine.currentFundingIndexWad(m.marketId),
          s.engine.getMarketState(m.marketId),
        ]);
        expect(markPrice, `${context} ${m.symbol} mark price`).to.equal(price);
        expect(engineIndex, `${context} ${m.symbol} currentFundingIndexWad`).to.equal(index);
        expect(toMarketState(engineState), `${context} ${m.symbol} market state`).to.deep.equal(m.state);
        const value = vaultMarketValueUsd(m.state, price, index);
        vaultValueUsd += value;
        vaultValueForWithdrawUsd += min(value, 0n);
        await Promise.all(
          traderAddresses.map(async (address, t) => {
            const [stored, [equityUsd, requirementUsd]] = await Promise.all([
              s.engine.getPosition(address, m.marketId),
              s.engine.positionEquity(address, m.marketId),
            ]);
            const position = m.positions[t];
            expect(toPosition(stored), `${context} ${m.symbol} trader ${t} position`).to.deep.equal(position);
            const health = positionHealth(position, price, index, m.tiers, m.params.keeperRewardUsd);
            expect(equityUsd, `${context} ${m.symbol} trader ${t} equity`).to.equal(health.equityUsd);
            expect(requirementUsd, `${context} ${m.symbol} trader ${t} requirement`).to.equal(
              health.maintenanceRequirementUsd,
            );
          }),
        );
      }
      const [cash, insurance, equityForDeposit, equityForWithdraw, free] = await Promise.all([
        s.engine.vaultCashUsd(),
        s.engine.insuranceFund(),
        s.engine.vaultEquityUsd(true),
        s.engine.vaultEquityUsd(false),
        Promise.all(traderAddresses.map((a) => s.engine.freeBalance(a))),
      ]);
      expect(cash, `${context} vaultCashUsd`).to.equal(model.vaultCashUsd);
      expect(insurance, `${context} insuranceFund`).to.equal(model.insuranceFundUsd);
      expect(equityForDeposit, `${context} vaultEquityUsd(true)`).to.equal(model.vaultCashUsd + vaultValueUsd);
      expect(equityForWithdraw, `${context} vaultEquityUsd(false)`).to.equal(
        model.vaultCashUsd + vaultValueForWithdrawUsd,
      );
      expect(free, `${context} free balances`).to.deep.equal(model.freeBalances);
    }

    const stepArb = fc.oneof(
      {
        arbitrary: fc.record({
          kind: fc.constant("deposit" as const),
          trader: fc.nat(TRADER_COUNT - 1),
          usd: fc.integer({ min: 1, max: 20_000 }),
        }),
        weight: 1,
      },
      {
        arbitrary: fc.record({
          kind: fc.constant("trade" as const),
          trader: fc.nat(TRADER_COUNT - 1),
          market: fc.nat(1),
          mode: fc.constantFrom("open", "open", "increase", "reduce", "close", "closePosition", "flip", "margin"),
          // ETH-scaled size: mostly 1e-6..100 ETH, sometimes dust down to 1 wei.
          size: fc.oneof({ arbitrary: logUniform(12, 19), weight: 6 }, { arbitrary: logUniform(0, 11), weight: 1 }),
          isLong: fc.boolean(),
          fractionBps: fc.bigInt({ min: 1n, max: 9_999n }),
          marginBps: fc.oneof(
            { arbitrary: fc.constant(0n), weight: 1 },
            { arbitrary: fc.bigInt({ min: 300n, max: 12_000n }), weight: 3 },
          ),
          marginOutBps: fc.oneof(fc.constant(0n), fc.bigInt({ min: 1n, max: 9_000n })),
        }),
        weight: 6,
      },
      {
        arbitrary: fc.record({
          kind: fc.constant("price" as const),
          market: fc.nat(1),
          moveBps: fc.bigInt({ min: -2_000n, max: 2_000n }),
        }),
        weight: 2,
      },
      {
        arbitrary: fc.record({
          kind: fc.constant("time" as const),
          seconds: fc.oneof(fc.integer({ min: 1, max: 600 }), fc.integer({ min: 600, max: 3 * 86_400 })),
        }),
        weight: 2,
      },
    );
    type Step = typeof stepArb extends fc.Arbitrary<infer T> ? T : never;

    /** Revert reasons of rejected trades, tallied for the log. */
    const rejected = new Map<string, number>();
    let executedTrades = 0;
    let checkedSteps = 0;
    let onChainLiquidationChecks = 0;
    /** Executed trades by what they did, and how many settled non-zero funding. */
    const executedKinds = new Map<string, number>();

    function revertName(error: unknown): string {
      const data = (error as { data?: unknown }).data;
      if (typeof data === "string" && data.length >= 10) {
        const parsed = s.engine.interface.parseError(data);
        if (parsed) return parsed.name;
        if (data.startsWith(PANIC_SELECTOR)) return `Panic(${BigInt("0x" + data.slice(10))})`;
      }
      return (error as Error).message.slice(0, 80);
    }

    async function refreshFeeds(model: Model) {
      for (const m of model.markets) await (await s.market(m.symbol).feed.updateAnswer(m.answer)).wait();
    }

    /** Resolves a trade step against the model into the engine call's arguments. */
    function resolveTrade(model: Model, step: Extract<Step, { kind: "trade" }>) {
      const m = model.markets[step.market];
      const old = m.positions[step.trader];
      // BTC is ~30× ETH's price: scale the size so notionals are comparable.
      const randomSize = step.market === 0 ? step.size : step.size / 30n + 1n;
      const signedRandom = step.isLong ? randomSize : -randomSize;
      let sizeDelta: bigint;
      let mode = step.mode;
      if (old.size === 0n && mode !== "open" && mode !== "margin") mode = "open";
      switch (mode) {
        case "open":
          sizeDelta = signedRandom;
          break;
        case "increase":
          sizeDelta = old.size > 0n ? randomSize : -randomSize;
          break;
        case "reduce": {
          const cut = (abs(old.size) * step.fractionBps) / BPS;
          sizeDelta = old.size > 0n ? -(cut === 0n ? 1n : cut) : cut === 0n ? 1n : cut;
          break;
        }
        case "close":
        case "closePosition":
          sizeDelta = -old.size;
          break;
        case "flip":
          sizeDelta = -old.size + (old.size > 0n ? -randomSize : randomSize);
          break;
        case "margin":
          sizeDelta = 0n;
          break;
      }
      // Margin in: a share of the new trade's notional (+ $12 for the minimum margin and keeper reward);
      // margin out: a share of the current margin.
      let marginDelta = 0n;
      if (step.marginBps !== 0n) {
        marginDelta =
          (notionalUsd(sizeDelta === 0n ? old.size : sizeDelta, priceOf(m)) * step.marginBps) / BPS + 12n * WAD;
      } else if (step.marginOutBps !== 0n && old.size !== 0n) {
        marginDelta = -((old.marginUsd * step.marginOutBps) / BPS + 1n);
      }
      if (sizeDelta === 0n && marginDelta === 0n) marginDelta = 50n * WAD;
      return { m, old, sizeDelta, marginDelta, useClosePosition: mode === "closePosition" };
    }

    async function runTrade(model: Model, step: Extract<Step, { kind: "trade" }>) {
      const { m, old, sizeDelta, marginDelta, useClosePosition } = resolveTrade(model, step);
      const trader = s.engine.connect(traders[step.trader]);
      const acceptable = sizeDelta > 0n ? ethers.MaxUint256 : 0n;
      let receipt: ContractTransactionReceipt | null;
      try {
        const tx = useClosePosition
          ? await trader.closePosition(m.marketId, acceptable)
          : await trader.modifyPosition(m.marketId, sizeDelta, marginDelta, acceptable);
        receipt = await tx.wait();
      } catch (error) {
        const name = revertName(error);
        rejected.set(name, (rejected.get(name) ?? 0) + 1);
        return; // the engine rejected it: nothing changed, the model stays as it is
      }
      if (!receipt) throw new Error("no receipt");
      executedTrades++;
      const block = await ethers.provider.getBlock(receipt.blockNumber);
      const result = simulateModifyPosition({
        params: m.params,
        state: m.state,
        position: old,
        sizeDelta,
        marginDelta: useClosePosition ? 0n : marginDelta,
        priceWad: priceOf(m),
        nowSeconds: BigInt(block!.timestamp),
      });
      const event = receipt.logs
        .map((log) => s.engine.interface.parseLog(log))
        .find((parsed) => parsed?.name === "PositionModified");
      expect(event, "PositionModified emitted").to.not.equal(undefined);
      const args = event!.args;
      const label = `${m.symbol} trade ${sizeDelta}/${marginDelta}`;
      expect(args.fillPriceWad, `${label} fill`).to.equal(result.trade.fillPriceWad);
      expect(args.feeUsd, `${label} fee`).to.equal(result.trade.feeUsd);
      expect(args.realizedPnlUsd, `${label} realized pnl`).to.equal(result.trade.realizedPnlUsd);
      expect(args.fundingPaidUsd, `${label} funding paid`).to.equal(result.fundingPaidUsd);
      expect(args.newSize, `${label} new size`).to.equal(result.position.size);
      expect(args.newMarginUsd, `${label} new margin`).to.equal(result.position.marginUsd);

      const kind =
        sizeDelta === 0n
          ? "margin"
          : old.size === 0n
            ? "open"
            : result.position.size === 0n
              ? "close"
              : old.size > 0n !== result.position.size > 0n
                ? "flip"
                : abs(result.position.size) > abs(old.size)
                  ? "increase"
                  : "reduce";
      executedKinds.set(kind, (executedKinds.get(kind) ?? 0) + 1);
      if (result.fundingPaidUsd !== 0n)
        executedKinds.set("fundingSettled", (executedKinds.get("fundingSettled") ?? 0) + 1);
      m.positions[step.trader] = result.position;
      m.state = result.state;
      model.vaultCashUsd += result.vaultCashDeltaUsd;
      model.insuranceFundUsd += result.trade.insuranceFeeUsd;
      model.freeBalances[step.trader] += result.freeBalanceDeltaUsd;
    }

    async function runStep(model: Model, step: Step) {
      switch (step.kind) {
        case "deposit": {
          const tokens = parseUnits(String(step.usd), s.collateralDecimals);
          await (await s.engine.connect(traders[step.trader]).deposit(tokens)).wait();
          model.freeBalances[step.trader] += tokens * (await s.engine.collateralScale());
          break;
        }
        case "trade":
          await runTrade(model, step);
          break;
        case "price": {
          const m = model.markets[step.market];
          const next = (m.answer * (BPS + step.moveBps)) / BPS;
          m.answer = next > 10n ** 8n ? next : 10n ** 8n; // stay above $1
          await (await s.market(m.symbol).feed.updateAnswer(m.answer)).wait();
          break;
        }
        case "time":
          await time.increase(step.seconds);
          await refreshFeeds(model); // keep the feeds inside their 1 h heartbeat
          break;
      }
    }

    before(async () => {
      s = await deployLocalSystem();
      traders = s.traders.slice(0, TRADER_COUNT);
      traderAddresses = await Promise.all(traders.map((t) => t.getAddress()));
      for (const trader of traders) await (await s.engine.connect(trader).deposit(s.tokens("30000"))).wait();
      snapshotId = await network.provider.send("evm_snapshot");
    });

    after(() => {
      console.log(
        `      engine sequences: ${checkedSteps} steps checked, ${executedTrades} trades executed`,
        JSON.stringify(Object.fromEntries(executedKinds)),
        "rejected:",
        JSON.stringify(Object.fromEntries(rejected)),
      );
      console.log(`      liquidation price: ${onChainLiquidationChecks} feed prices confirmed on-chain`);
    });

    it("positions, equity, requirements, funding index, vault value and balances match after every step", async () => {
      await fc.assert(
        fc.asyncProperty(fc.array(stepArb, { minLength: 10, maxLength: 30 }), async (steps) => {
          await network.provider.send("evm_revert", [snapshotId]);
          snapshotId = await network.provider.send("evm_snapshot");
          let model = await readModel();
          await refreshFeeds(model);
          model = await readModel();
          await checkAgainstEngine(model, "start");
          for (const [i, step] of steps.entries()) {
            await runStep(model, step);
            await checkAgainstEngine(model, `step ${i} (${step.kind})`);
            checkedSteps++;
          }
        }),
        { numRuns: ENGINE_RUNS },
      );
    });

    it("liquidationPriceWad: healthy at the feed price on the safe side, liquidatable one feed unit beyond", async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.record({
            market: fc.nat(1),
            size: logUniform(16, 18), // 0.01 .. 10 ETH-equivalent: margin stays within the $30k deposit
            longLeverageBps: fc.bigInt({ min: 15_000n, max: 150_000n }), // 1.5x .. 15x
            shortLeverageBps: fc.bigInt({ min: 10_000n, max: 150_000n }),
            waitSeconds: fc.integer({ min: 60, max: 3 * 86_400 }),
            moveBps: fc.bigInt({ min: -1_500n, max: 1_500n }),
          }),
          async (c) => {
            await network.provider.send("evm_revert", [snapshotId]);
            snapshotId = await network.provider.send("evm_snapshot");
            const model = await readModel();
            await refreshFeeds(model);
            const m = model.markets[c.market];
            const feed = s.market(m.symbol).feed;
            const size = c.market === 0 ? c.size : c.size / 30n;
            const [longTrader, shortTrader] = [s.engine.connect(traders[0]), s.engine.connect(traders[1])];
            const marginFor = (leverageBps: bigint) => (notionalUsd(size, priceOf(m)) * BPS) / leverageBps + 15n * WAD;

            // A long alone accrues funding; a short of the same size then zeroes the skew, which freezes
            // the funding index (rate 0), so the index no longer depends on the price we set below.
            await (
              await longTrader.modifyPosition(m.marketId, size, marginFor(c.longLeverageBps), ethers.MaxUint256)
            ).wait();
            await time.increase(c.waitSeconds);
            m.answer = (m.answer * (BPS + c.moveBps)) / BPS;
            await (await feed.updateAnswer(m.answer)).wait();
            await (await shortTrader.modifyPosition(m.marketId, -size, marginFor(c.shortLeverageBps), 0n)).wait();
            expect((await s.engine.getMarketState(m.marketId)).netSize).to.equal(0n);
            const index = await s.engine.currentFundingIndexWad(m.marketId);

            for (const [trader, isLong] of [
              [traderAddresses[0], true],
              [traderAddresses[1], false],
            ] as const) {
              const position = toPosition(await s.engine.getPosition(trader, m.marketId));
              const liquidationPrice = liquidationPriceWad(position, m.tiers, m.params.keeperRewardUsd, index);
              if (isLong && liquidationPrice === 0n) continue; // never liquidatable at a positive price
              // The healthy feed price nearest the boundary, and the first liquidatable one beyond it.
              const safeAnswer = isLong
                ? (liquidationPrice + FEED_STEP_WAD - 1n) / FEED_STEP_WAD
                : liquidationPrice / FEED_STEP_WAD;
              const beyondAnswer = isLong ? safeAnswer - 1n : safeAnswer + 1n;
              for (const [answer, expectLiquidatable] of [
                [safeAnswer, false],
                [beyondAnswer, true],
              ] as const) {
                if (answer <= 1n) continue; // the adapter rejects answers at its min bound
                await (await feed.updateAnswer(answer)).wait();
                const [equityUsd, requirementUsd] = await s.engine.positionEquity(trader, m.marketId);
                const health = positionHealth(
                  position,
                  answer * FEED_STEP_WAD,
                  index,
                  m.tiers,
                  m.params.keeperRewardUsd,
                );
                const label = `${isLong ? "long" : "short"} at ${answer} (liquidation price ${liquidationPrice})`;
                expect(equityUsd, `${label} equity`).to.equal(health.equityUsd);
                expect(requirementUsd, `${label} requirement`).to.equal(health.maintenanceRequirementUsd);
                expect(equityUsd < requirementUsd, `${label} liquidatable`).to.equal(expectLiquidatable);
                expect(await s.engine.currentFundingIndexWad(m.marketId), `${label} index frozen`).to.equal(index);
                onChainLiquidationChecks++;
              }
            }
          },
        ),
        { numRuns: ONCHAIN_LIQUIDATION_RUNS },
      );
    });
  });
});
