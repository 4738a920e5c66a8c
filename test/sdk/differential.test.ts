/**
 * Differential tests: `sdk/math` against the contracts, to the wei.
 *
 * 1. Every PositionMath / SignedMath function through `PositionMathHarness`, and every LiquidationMath
 *    function through `LiquidationMathHarness`, against its SDK mirror on edge-biased random inputs,
 *    including the inputs where Solidity panics (same panic code expected).
 * 2. `exactLiquidationBoundaryWad` against `positionHealth` on exact bigint prices, and the closed-form
 *    `liquidationPriceWad` within `liquidationPriceToleranceWad` of it (SDK only).
 * 3. The ADL ranking: `tickOf` (signed keys) against `AdlQueueHarness.tickOf`, and `AdlQueueMirror` /
 *    `orderAdlQueue` against a real `AdlQueue` under random inserts, removals and re-keys (keys clustered so
 *    that ticks are shared and FIFO decides): the walk in both directions, head, next, rank, length.
 * 4. The oracle adapter's read path and history-based deviation breaker (`readAdapterPrice`) against a real
 *    `ChainlinkOracleAdapter` over random round histories of a `MockV3Aggregator` (window edges, exactly the
 *    threshold and one unit over it, moves split over rounds, more than MAX_HISTORY_ROUNDS rounds, broken
 *    rounds, phased round ids, an L2 sequencer feed): the price and volatile flag, or the same custom error.
 *
 * Random sequences through the whole engine (with ADL on) are in engineSequences.test.ts.
 * Knob: `LIQ_RUNS=20000` runs the SDK-only boundary properties longer.
 */
import { expect } from "chai";
import { ethers, network } from "hardhat";
import fc from "fast-check";
import type {
  AdlQueueHarness,
  ChainlinkOracleAdapter,
  LiquidationMathHarness,
  MockV3Aggregator,
  PositionMathHarness,
} from "../../typechain-types";
import { AdlQueueMirror, orderAdlQueue, tickOf, type AdlQueueMember } from "../../sdk/adl/adlQueue";
import { adlKey } from "../../sdk/adl/adlMath";
import {
  OracleRevertError,
  readAdapterPrice,
  type FeedRound,
  type OracleAdapterConfig,
  type SequencerStatus,
} from "../../sdk/math/oracleAdapter";
import { EMPTY_POSITION, EMPTY_STATE, PANIC_SELECTOR, latestTimestamp, logUniform, pow10, signed } from "./support";
import {
  INT256_MAX,
  INT256_MIN,
  UINT128_MAX,
  UINT256_MAX,
  WAD,
  BPS,
  SolidityPanicError,
  abs,
  adverseSlippageBps,
  currentFundingIndexWad,
  divCeil,
  divCeilU,
  divFloor,
  exactLiquidationBoundaryWad,
  executionPriceWad,
  fillPriceWad,
  fundingIndexDeltaWad,
  fundingOwedUsd,
  fundingRatePerDayWad,
  increasedEntryPriceWad,
  initialRequirementUsd,
  liquidationPrice,
  liquidationPriceToleranceWad,
  liquidationPriceWad,
  maintenanceRequirementUsd,
  min,
  netMarginUsd,
  notionalUsd,
  owedUsd,
  partialCloseSizeAbs,
  penaltyUsd,
  positionHealth,
  simulateLiquidation,
  simulateModifyPosition,
  socializedLossOwedUsd,
  takerFeeUsd,
  tieredMarginUsd,
  unrealizedPnlUsd,
  maxVaultWithdrawalUsd,
  vaultEquityUsd,
  vaultRequiredEquityUsd,
  type LiquidationResult,
  type MarginTier,
  type MarketParams,
  type MarketState,
  type Position,
} from "../../sdk/math";

/** Runs per pure-function property. */
const PURE_RUNS = 250;
/** Runs of the SDK-only liquidation-boundary properties. */
const LIQUIDATION_RUNS = Number(process.env.LIQ_RUNS ?? 250);

// ═════════════════════════════ helpers ═════════════════════════════

type Outcome = { ok: bigint } | { panic: bigint };

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
/** Loss indices (uint256): realistic magnitudes, 0/1, and extremes. */
const lossIndexArb = fc.oneof(
  { arbitrary: logUniform(0, 24), weight: 6 },
  { arbitrary: fc.constantFrom(0n, 1n), weight: 1 },
  { arbitrary: anyUint, weight: 1 },
);
/** (index, snapshot): mostly index ≥ snapshot as on-chain, sometimes any pair (the subtraction underflows). */
const lossIndexPairArb = fc.oneof(
  {
    arbitrary: fc
      .tuple(lossIndexArb, lossIndexArb)
      .map(([snapshot, delta]) => [snapshot + delta > UINT256_MAX ? snapshot : snapshot + delta, snapshot] as const),
    weight: 5,
  },
  { arbitrary: fc.tuple(anyUint, anyUint).map(([a, b]) => [a, b] as const), weight: 1 },
);
const uint16Arb = fc.oneof(
  fc.constantFrom(0n, 1n, 9_999n, 10_000n, 65_535n),
  fc.bigInt({ min: 0n, max: 10_000n }),
  fc.bigInt({ min: 0n, max: 65_535n }),
);
/** Bps parameters: mostly within the engine's hard bounds (≤ 10%), sometimes any uint16, rarely any uint256. */
const bpsParamArb = fc.oneof(
  { arbitrary: fc.bigInt({ min: 0n, max: 1_000n }), weight: 5 },
  { arbitrary: uint16Arb, weight: 2 },
  { arbitrary: anyUint, weight: 1 },
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

/**
 * A liquidation-price case: a position whose net margin (margin − funding − loss owed) is a random
 * fraction of its notional, or — edge bias — chosen so that equity == requirement exactly at a price whose
 * notional is within a few wei of a tier floor (the closed form's segment check).
 */
const liquidationPriceCaseArb = fc.oneof(
  {
    arbitrary: fc
      .record({
        size: signed(
          fc.oneof({ arbitrary: logUniform(0, 23), weight: 1 }, { arbitrary: logUniform(15, 21), weight: 3 }),
        ),
        entryPriceWad: logUniform(8, 23),
        netMarginBps: fc.oneof(fc.bigInt({ min: -500n, max: 2_000n }), fc.bigInt({ min: -20_000n, max: 20_000n })),
        extraUsd: signed(fc.oneof(fc.constant(0n), logUniform(0, 21))),
        tiers: validTiersArb,
        keeperRewardUsd: fc.oneof(fc.constant(0n), logUniform(15, 19)),
      })
      .map((c) => ({
        size: c.size,
        entryPriceWad: c.entryPriceWad,
        netMarginUsd: (notionalUsd(c.size, c.entryPriceWad) * c.netMarginBps) / BPS + c.extraUsd,
        tiers: c.tiers,
        keeperRewardUsd: c.keeperRewardUsd,
      })),
    weight: 3,
  },
  {
    arbitrary: fc
      .record({
        size: signed(logUniform(14, 22)),
        entryPriceWad: logUniform(17, 22),
        tiers: validTiersArb.filter((t) => t.length > 1),
        tierIndex: fc.nat(),
        notionalOffsetUsd: fc.bigInt({ min: -3n, max: 3n }),
        marginOffsetUsd: fc.bigInt({ min: -3n, max: 3n }),
        keeperRewardUsd: fc.oneof(fc.constant(0n), logUniform(15, 19)),
      })
      .map((c) => {
        const floor = c.tiers[1 + (c.tierIndex % (c.tiers.length - 1))].notionalFloorUsd;
        const sizeAbs = abs(c.size);
        const atFloor = ((floor + c.notionalOffsetUsd) * WAD) / sizeAbs;
        const priceWad = atFloor > 0n ? atFloor : 1n;
        const requirement = maintenanceRequirementUsd(c.tiers, notionalUsd(c.size, priceWad), c.keeperRewardUsd);
        return {
          size: c.size,
          entryPriceWad: c.entryPriceWad,
          netMarginUsd: requirement - unrealizedPnlUsd(c.size, c.entryPriceWad, priceWad) + c.marginOffsetUsd,
          tiers: c.tiers,
          keeperRewardUsd: c.keeperRewardUsd,
        };
      }),
    weight: 1,
  },
);

// ═════════════════════════════ tests ═════════════════════════════

describe("sdk/math differential", function () {
  this.timeout(600_000);

  /** Per function: how many inputs returned a value and how many panicked (on both sides alike). */
  const outcomes = new Map<string, { ok: number; panic: number }>();
  let current = "";
  const check = async (chainCall: () => Promise<bigint>, sdkCall: () => bigint) => {
    const expected = inSdk(sdkCall);
    expect(await onChain(chainCall)).to.deep.equal(expected);
    outcomes.get(current)!["ok" in expected ? "ok" : "panic"]++;
  };
  const property = <T extends [unknown, ...unknown[]]>(prop: fc.IAsyncProperty<T>) =>
    fc.assert(prop, { numRuns: PURE_RUNS });
  const trackOutcomes = () => {
    beforeEach(function () {
      current = this.currentTest?.title.split(" ")[0] ?? "";
      outcomes.set(current, { ok: 0, panic: 0 });
    });
    after(() => {
      const summary = [...outcomes].map(([name, o]) => `${name} ${o.ok}/${o.panic}`).join(", ");
      console.log(`      value/panic counts: ${summary}`);
      outcomes.clear();
    });
  };

  describe("PositionMath and SignedMath: SDK == PositionMathHarness to the wei (panics included)", () => {
    let h: PositionMathHarness;
    before(async () => {
      h = await ethers.deployContract("PositionMathHarness");
    });
    trackOutcomes();

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
    it("socializedLossOwedUsd (index below snapshot panics alike)", () =>
      property(
        fc.asyncProperty(sizeArb, lossIndexPairArb, (size, [index, snapshot]) =>
          check(
            () => h.socializedLossOwedUsd(size, index, snapshot),
            () => socializedLossOwedUsd(size, index, snapshot),
          ),
        ),
      ));
  });

  describe("LiquidationMath: SDK == LiquidationMathHarness to the wei (panics included)", () => {
    let h: LiquidationMathHarness;
    before(async () => {
      h = await ethers.deployContract("LiquidationMathHarness");
    });
    trackOutcomes();

    /** A skew scale with a skew and a closing trade that are realistic fractions of it, or anything. */
    const skewCaseArb = fc.oneof(
      {
        arbitrary: fc
          .tuple(logUniform(18, 26), fc.bigInt({ min: -12_000n, max: 12_000n }), signed(logUniform(0, 4)))
          .map(([skewScale, skewBps, deltaMillionths]) => ({
            skewScale,
            skew: (skewScale * skewBps) / BPS,
            closingDelta: (skewScale * deltaMillionths) / 100_000n,
          })),
        weight: 3,
      },
      {
        arbitrary: fc
          .tuple(fc.oneof(logUniform(0, 24), anyUint), sizeArb, sizeArb)
          .map(([skewScale, skew, closingDelta]) => ({ skewScale, skew, closingDelta })),
        weight: 1,
      },
    );

    it("executionPriceWad (the exact skew fill, floored at 1 wei)", () =>
      property(
        fc.asyncProperty(priceArb, skewCaseArb, (price, { skewScale, skew, closingDelta }) =>
          check(
            () => h.executionPriceWad(price, skew, closingDelta, skewScale),
            () => executionPriceWad(price, skew, closingDelta, skewScale),
          ),
        ),
      ));
    it("adverseSlippageBps (both sides, favourable fills give 0)", () =>
      property(
        fc.asyncProperty(
          priceArb,
          fc.oneof(
            { arbitrary: fc.bigInt({ min: -1_500n, max: 1_500n }).map((bps) => ({ bps })), weight: 4 },
            { arbitrary: anyUint.map((raw) => ({ raw })), weight: 1 },
          ),
          fc.boolean(),
          (price, move, closingLong) => {
            const moved = "raw" in move ? move.raw : price + (price * move.bps) / BPS;
            const execution = moved < 0n ? 0n : moved > UINT256_MAX ? UINT256_MAX : moved;
            return check(
              () => h.adverseSlippageBps(price, execution, closingLong),
              () => adverseSlippageBps(price, execution, closingLong),
            );
          },
        ),
      ));
    it("penaltyUsd", () =>
      property(
        fc.asyncProperty(sizeArb, priceArb, bpsParamArb, (closedSize, price, penaltyBps) =>
          check(
            () => h.penaltyUsd(closedSize, price, penaltyBps),
            () => penaltyUsd(closedSize, price, penaltyBps),
          ),
        ),
      ));

    /** Equity around the maintenance requirement (both sides of half of it), or anything. */
    const partialCaseArb = fc.oneof(
      {
        arbitrary: fc
          .record({
            sizeAbs: logUniform(0, 24),
            notionalUsd: logUniform(10, 26),
            rateBps: fc.bigInt({ min: 1n, max: 2_000n }),
            keeperRewardUsd: fc.oneof(fc.constant(0n), logUniform(15, 20)),
            equityPerMille: fc.oneof(
              fc.bigInt({ min: -200n, max: 1_200n }),
              fc.constantFrom(499n, 500n, 501n, 999n, 1_000n),
            ),
            equityNudgeUsd: fc.bigInt({ min: -2n, max: 2n }),
            bufferBps: fc.oneof(fc.bigInt({ min: 0n, max: 10_000n }), uint16Arb),
            costBps: fc.oneof(fc.bigInt({ min: 0n, max: 2_000n }), uint16Arb),
          })
          .map((c) => {
            const tieredMaintenanceUsd = divCeil(c.notionalUsd * c.rateBps, BPS);
            const maintenanceUsd = tieredMaintenanceUsd + c.keeperRewardUsd;
            return {
              ...c,
              tieredMaintenanceUsd,
              equityUsd: (maintenanceUsd * c.equityPerMille) / 1_000n + c.equityNudgeUsd,
            };
          }),
        weight: 4,
      },
      {
        arbitrary: fc.record({
          sizeAbs: fc.oneof(logUniform(0, 24), anyUint),
          equityUsd: fc.oneof(signed(logUniform(0, 24)), anyInt),
          tieredMaintenanceUsd: fc.oneof(logUniform(0, 24), anyUint),
          keeperRewardUsd: fc.oneof(logUniform(0, 20), anyUint),
          notionalUsd: fc.oneof(logUniform(0, 26), anyUint),
          bufferBps: fc.oneof(uint16Arb, anyUint),
          costBps: fc.oneof(uint16Arb, anyUint),
        }),
        weight: 1,
      },
    );
    it("partialCloseSizeAbs (equity around half the requirement, buffer unreachable, full size)", () =>
      property(
        fc.asyncProperty(partialCaseArb, (c) =>
          check(
            () =>
              h.partialCloseSizeAbs(
                c.sizeAbs,
                c.equityUsd,
                c.tieredMaintenanceUsd,
                c.keeperRewardUsd,
                c.notionalUsd,
                c.bufferBps,
                c.costBps,
              ),
            () =>
              partialCloseSizeAbs(
                c.sizeAbs,
                c.equityUsd,
                c.tieredMaintenanceUsd,
                c.keeperRewardUsd,
                c.notionalUsd,
                c.bufferBps,
                c.costBps,
              ),
          ),
        ),
      ));
    it("liquidationPriceWad (closed form; roots at tier floors, rates ≥ 100%, unsorted tiers)", () =>
      property(
        fc.asyncProperty(
          fc.oneof(
            { arbitrary: liquidationPriceCaseArb, weight: 5 },
            {
              arbitrary: fc.record({
                size: sizeArb,
                entryPriceWad: priceArb,
                netMarginUsd: fc.oneof(signed(logUniform(0, 24)), anyInt),
                tiers: tiersArb,
                keeperRewardUsd: fc.oneof(logUniform(0, 20), anyUint),
              }),
              weight: 1,
            },
          ),
          (c) =>
            check(
              () => h.liquidationPriceWad(c.size, c.entryPriceWad, c.netMarginUsd, c.tiers, c.keeperRewardUsd),
              () => liquidationPriceWad(c.size, c.entryPriceWad, c.netMarginUsd, c.tiers, c.keeperRewardUsd),
            ),
        ),
      ));
  });

  describe("exactLiquidationBoundaryWad and the closed form (SDK only, exact bigint prices)", () => {
    /** A random position with margin between 0 and 2× its notional at entry, funding and loss owed. */
    const boundaryCaseArb = fc.record({
      size: signed(fc.oneof({ arbitrary: logUniform(0, 23), weight: 4 }, { arbitrary: logUniform(15, 21), weight: 4 })),
      entryPriceWad: logUniform(8, 23),
      marginBps: fc.oneof(fc.bigInt({ min: 0n, max: 2_000n }), fc.bigInt({ min: 0n, max: 20_000n })),
      extraMarginUsd: fc.oneof(fc.constant(0n), logUniform(0, 21)),
      fundingIndexWad: signed(fc.oneof(fc.constant(0n), logUniform(0, 20))),
      fundingIndexSnapshotWad: signed(fc.oneof(fc.constant(0n), logUniform(0, 20))),
      lossIndexSnapshotWad: fc.oneof(fc.constant(0n), logUniform(0, 20)),
      lossIndexDeltaWad: fc.oneof(fc.constant(0n), logUniform(0, 19)),
      tiers: validTiersArb,
      keeperRewardUsd: fc.oneof(fc.constant(0n), logUniform(15, 19)),
    });
    type BoundaryCase = typeof boundaryCaseArb extends fc.Arbitrary<infer T> ? T : never;
    const build = (c: BoundaryCase) => {
      const position: Position = {
        size: c.size,
        entryPriceWad: c.entryPriceWad,
        marginUsd: (notionalUsd(c.size, c.entryPriceWad) * c.marginBps) / BPS + c.extraMarginUsd,
        fundingIndexSnapshotWad: c.fundingIndexSnapshotWad,
        lossIndexSnapshotWad: c.lossIndexSnapshotWad,
      };
      const lossIndex = c.lossIndexSnapshotWad + c.lossIndexDeltaWad;
      const state: MarketState = { ...EMPTY_STATE, longLossIndexWad: lossIndex, shortLossIndexWad: lossIndex };
      const liquidatable = (priceWad: bigint) =>
        positionHealth(state, position, priceWad, c.fundingIndexWad, c.tiers, c.keeperRewardUsd).isLiquidatable;
      const boundary = () =>
        exactLiquidationBoundaryWad(
          position.size,
          position.entryPriceWad,
          netMarginUsd(state, position, c.fundingIndexWad),
          c.tiers,
          c.keeperRewardUsd,
        );
      return { position, liquidatable, boundary };
    };

    it("long: healthy at the returned price and above it, liquidatable one wei below", () =>
      fc.assert(
        fc.property(boundaryCaseArb, fc.bigInt({ min: 1n, max: 10n ** 30n }), (raw, offset) => {
          const c = { ...raw, size: abs(raw.size) };
          const { liquidatable, boundary } = build(c);
          const price = boundary();
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
        fc.property(boundaryCaseArb, fc.bigInt({ min: 1n, max: 10n ** 30n }), (raw, offset) => {
          const c = { ...raw, size: -abs(raw.size) };
          const { liquidatable, boundary } = build(c);
          const price = boundary();
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

    /** The case where the closed form came closest to the tolerance (gap / tolerance). */
    let tightest = { gap: 0n, tolerance: 1n };
    after(() =>
      console.log(
        `      closed form vs exact boundary: tightest case ${tightest.gap} of ${tightest.tolerance} wei tolerance`,
      ),
    );
    it("closed-form liquidationPriceWad is within liquidationPriceToleranceWad of the exact boundary", () =>
      fc.assert(
        fc.property(liquidationPriceCaseArb, (c) => {
          const closed = liquidationPriceWad(c.size, c.entryPriceWad, c.netMarginUsd, c.tiers, c.keeperRewardUsd);
          const exact = exactLiquidationBoundaryWad(
            c.size,
            c.entryPriceWad,
            c.netMarginUsd,
            c.tiers,
            c.keeperRewardUsd,
          );
          const tolerance = liquidationPriceToleranceWad(abs(c.size), c.tiers);
          const gap = abs(closed - exact);
          expect(gap <= tolerance, `closed ${closed} exact ${exact} tolerance ${tolerance}`).to.equal(true);
          if (gap * tightest.tolerance > tightest.gap * tolerance) tightest = { gap, tolerance };
        }),
        { numRuns: LIQUIDATION_RUNS },
      ));

    it("health is not monotone in price at the wei level: the exact boundary bounds the sure-healthy region", () => {
      // 0.3 ETH long from $2000 with margin such that equity == requirement at exactly $1950: one wei
      // higher the notional (rounded up) ticks the requirement up by 1 wei while the PnL (rounded down)
      // has not moved yet, so the position is liquidatable again until $1950 + 4 wei. Harmless (1 wei of
      // USD, invisible at 8-decimal feed prices for any non-dust size) but it is why the exact boundary is
      // defined as the edge of the region that is healthy at every price beyond it — and why the closed
      // form (which ignores these roundings) may differ from it by a few wei.
      const tiers: MarginTier[] = [{ notionalFloorUsd: 0n, initialMarginBps: 500n, maintenanceMarginBps: 250n }];
      const position: Position = {
        ...EMPTY_POSITION,
        size: 3n * 10n ** 17n,
        entryPriceWad: 2_000n * WAD,
        marginUsd: 31_625_000_000_000_000_000n,
      };
      const keeper = 2n * WAD;
      const liquidatable = (p: bigint) => positionHealth(EMPTY_STATE, position, p, 0n, tiers, keeper).isLiquidatable;
      const p1950 = 1_950n * WAD;
      expect([-1n, 0n, 1n, 2n, 3n, 4n].map((d) => liquidatable(p1950 + d))).to.deep.equal([
        true,
        false, // equity == requirement
        true,
        true,
        true,
        false,
      ]);
      const net = position.marginUsd;
      expect(exactLiquidationBoundaryWad(position.size, position.entryPriceWad, net, tiers, keeper)).to.equal(
        p1950 + 4n,
      );
      expect(liquidationPriceWad(position.size, position.entryPriceWad, net, tiers, keeper)).to.equal(p1950);
    });

    it("returns 0n for an empty position and for an over-collateralised long", () => {
      const tiers: MarginTier[] = [{ notionalFloorUsd: 0n, initialMarginBps: 500n, maintenanceMarginBps: 250n }];
      expect(exactLiquidationBoundaryWad(0n, 0n, 0n, tiers, 0n)).to.equal(0n);
      expect(liquidationPriceWad(0n, 0n, 0n, tiers, 0n)).to.equal(0n);
      const margin = 2_100n * WAD;
      expect(exactLiquidationBoundaryWad(WAD, 2_000n * WAD, margin, tiers, 2n * WAD)).to.equal(0n);
      expect(liquidationPriceWad(WAD, 2_000n * WAD, margin, tiers, 2n * WAD)).to.equal(0n);
      // The mirrored short always has one: equity falls without bound as the price rises.
      const price = exactLiquidationBoundaryWad(-WAD, 2_000n * WAD, margin, tiers, 2n * WAD);
      expect(price > 2_000n * WAD).to.equal(true);
      expect(abs(liquidationPriceWad(-WAD, 2_000n * WAD, margin, tiers, 2n * WAD) - price) <= 6n).to.equal(true);
    });
  });

  describe("ADL ranking: tickOf and AdlQueueMirror == AdlQueue", () => {
    let h: AdlQueueHarness;
    let snapshot: string;
    before(async () => {
      h = await ethers.deployContract("AdlQueueHarness");
      snapshot = await network.provider.send("evm_snapshot");
    });

    /** Signed keys: both signs, every magnitude, 0, ±1, powers of two and their neighbours, the extremes. */
    const keyArb = fc.oneof(
      { arbitrary: signed(logUniform(0, 75)), weight: 4 },
      {
        arbitrary: fc
          .tuple(fc.nat(254), fc.constantFrom(-1n, 0n, 1n), fc.boolean())
          .map(([e, d, negative]) => (negative ? -(2n ** BigInt(e) + d) : 2n ** BigInt(e) + d)),
        weight: 2,
      },
      { arbitrary: fc.constantFrom(0n, 1n, -1n, INT256_MAX, INT256_MIN, INT256_MIN + 1n), weight: 1 },
    );

    it("tickOf (signed keys: monotone, mirrored below zero)", () =>
      fc.assert(
        fc.asyncProperty(keyArb, keyArb, async (a, b) => {
          expect(await h.tickOf(a), `tickOf(${a})`).to.equal(tickOf(a));
          // Monotone non-decreasing in the key (the order the queue relies on).
          if (a < b) expect(tickOf(a) <= tickOf(b), `tickOf order ${a} < ${b}`).to.equal(true);
        }),
        { numRuns: PURE_RUNS },
      ));

    /** Keys clustered around a few bases (shared ticks: FIFO decides), both signs. */
    const clusteredKeyArb = fc
      .tuple(
        fc.constantFrom(1_900n * WAD, 1_900n * WAD + 1n, -(50n * WAD), 0n, 5n * WAD, 123_456_789n),
        fc.oneof(fc.bigInt({ min: -3n, max: 3n }), fc.bigInt({ min: -(10n ** 15n), max: 10n ** 15n })),
      )
      .map(([base, offset]) => base + offset);
    const opArb = fc.record({
      kind: fc.constantFrom("insert", "insert", "insert", "remove", "rekey"),
      account: fc.nat(11),
      key: clusteredKeyArb,
    });

    it("random inserts, removals and re-keys: same walk both ways, heads, next, ranks and length", async () => {
      const addressOf = (i: number) => ethers.getAddress("0x" + (0x1000 + i).toString(16).padStart(40, "0"));
      await fc.assert(
        fc.asyncProperty(fc.array(opArb, { minLength: 1, maxLength: 40 }), async (ops) => {
          await network.provider.send("evm_revert", [snapshot]);
          snapshot = await network.provider.send("evm_snapshot");
          const longs = new AdlQueueMirror(true);
          const shorts = new AdlQueueMirror(false);
          for (const op of ops) {
            const account = addressOf(op.account);
            const queued = longs.contains(account);
            if (op.kind === "remove" || (op.kind === "rekey" && queued)) {
              await (await h.remove(account)).wait();
              longs.remove(account);
              shorts.remove(account);
            }
            if (op.kind === "remove" || (op.kind === "insert" && queued)) continue;
            await (await h.insert(account, op.key)).wait();
            longs.insert(account, op.key);
            shorts.insert(account, op.key);
          }
          expect([...(await h.walk(true))], "walk highest first").to.deep.equal(longs.order());
          expect([...(await h.walk(false))], "walk lowest first").to.deep.equal(shorts.order());
          expect(await h.length(), "length").to.equal(BigInt(longs.length));
          expect(await h.head(true), "head (longs)").to.equal(longs.head() ?? ethers.ZeroAddress);
          expect(await h.head(false), "head (shorts)").to.equal(shorts.head() ?? ethers.ZeroAddress);
          for (const account of longs.order()) {
            expect(await h.next(account, true), `next(${account}, true)`).to.equal(
              longs.next(account) ?? ethers.ZeroAddress,
            );
            expect(await h.next(account, false), `next(${account}, false)`).to.equal(
              shorts.next(account) ?? ethers.ZeroAddress,
            );
            expect(await h.rankOf(account, true), `rankOf(${account}, true)`).to.equal(BigInt(longs.rankOf(account)));
          }
        }),
        { numRuns: 60 },
      );
    });

    it("orderAdlQueue (positions + insertion order) == the queue after inserting them in that order", async () => {
      const memberArb = fc.record({
        isLong: fc.boolean(),
        entryPriceWad: fc.constantFrom(1_900n * WAD, 2_000n * WAD, 2_000n * WAD + 1n),
        sizeAbs: fc.oneof(fc.constantFrom(WAD, 2n * WAD), logUniform(15, 21)),
        marginUsd: fc.oneof(fc.constantFrom(100n * WAD, 100n * WAD + 1n), logUniform(18, 22)),
        fundingIndexSnapshotWad: fc.oneof(fc.constant(0n), signed(logUniform(18, 22))),
        lossIndexSnapshotWad: fc.oneof(fc.constant(0n), logUniform(15, 21)),
      });
      await fc.assert(
        fc.asyncProperty(fc.array(memberArb, { minLength: 1, maxLength: 12 }), fc.boolean(), async (raw, isLong) => {
          await network.provider.send("evm_revert", [snapshot]);
          snapshot = await network.provider.send("evm_snapshot");
          const members: AdlQueueMember[] = raw.map((r, i) => ({
            account: ethers.getAddress("0x" + (0x2000 + i).toString(16).padStart(40, "0")),
            position: {
              size: isLong ? r.sizeAbs : -r.sizeAbs,
              entryPriceWad: r.entryPriceWad,
              marginUsd: r.marginUsd,
              fundingIndexSnapshotWad: r.fundingIndexSnapshotWad,
              lossIndexSnapshotWad: r.lossIndexSnapshotWad,
            },
            // Sequences in a shuffled order: only their order matters.
            sequence: BigInt((i * 7) % raw.length) * 10n + BigInt(i % 3),
          }));
          const bySequence = [...members].sort((a, b) => (a.sequence < b.sequence ? -1 : 1));
          if (new Set(members.map((m) => m.sequence)).size !== members.length) return; // ambiguous FIFO
          for (const m of bySequence) await (await h.insert(m.account, adlKey(m.position))).wait();
          const expected = [...(await h.walk(isLong))];
          expect(
            orderAdlQueue(members, isLong).map((m) => m.account),
            "orderAdlQueue",
          ).to.deep.equal(expected);
          expect(AdlQueueMirror.fromMembers(members, isLong).order(), "fromMembers").to.deep.equal(expected);
        }),
        { numRuns: 40 },
      );
    });
  });

  describe("ChainlinkOracleAdapter: readAdapterPrice == latestPrice over random round histories", () => {
    const FEED_DECIMALS = 8;
    const BASE_ANSWER = 2_000n * 10n ** 8n;
    const MAX_ANSWER = 10_000_000n * 10n ** 8n;
    let snapshot: string;
    before(async () => {
      snapshot = await network.provider.send("evm_snapshot");
    });
    after(async () => {
      await network.provider.send("evm_revert", [snapshot]);
    });
    const outcomeCounts = new Map<string, number>();
    after(() => console.log(`      adapter outcomes: ${JSON.stringify(Object.fromEntries(outcomeCounts))}`));

    /** One past round: its age beyond the next round's (edges of the window), answer move, or broken. */
    const roundArb = fc.record({
      extraAgeSeconds: fc.oneof(
        fc.constantFrom(0, 1, 2, 60, 150, 299, 300, 301),
        fc.integer({ min: 0, max: 4_000 }),
        fc.integer({ min: -400, max: -1 }), // out of order (only used when ages are not sorted)
      ),
      move: fc.oneof(
        { arbitrary: fc.integer({ min: -2_400, max: 2_400 }).map((bps) => ({ bps })), weight: 4 },
        // The base answer, the reference the threshold cases below are measured from.
        { arbitrary: fc.constant({ bps: 0 }), weight: 3 },
        // Exactly the threshold (does not trip) and one feed unit over it (trips), from the base answer.
        { arbitrary: fc.constantFrom("threshold", "threshold+1", "-threshold", "-threshold-1"), weight: 3 },
        { arbitrary: fc.integer({ min: -6_000, max: 8_000 }).map((bps) => ({ bps })), weight: 1 },
        { arbitrary: fc.constantFrom("zero", "negative", "atMin", "atMax", "incomplete"), weight: 1 },
      ),
      missing: fc.constantFrom(false, false, false, false, false, false, false, false, false, true),
    });
    const historyArb = fc.record({
      /** Past rounds, oldest first; the latest round is `latest`. */
      rounds: fc.oneof(
        { arbitrary: fc.array(roundArb, { minLength: 0, maxLength: 8 }), weight: 6 },
        {
          // Around MAX_HISTORY_ROUNDS (32) rounds, most of them inside the window: the read-back bound decides.
          arbitrary: fc.array(
            fc.record({
              extraAgeSeconds: fc.oneof(
                { arbitrary: fc.constantFrom(0, 1, 2), weight: 12 },
                { arbitrary: fc.constant(5_000), weight: 1 },
              ),
              move: fc.constant({ bps: 0 }) as fc.Arbitrary<{ bps: number } | string>,
              missing: fc.constant(false),
            }),
            { minLength: 30, maxLength: 34 },
          ),
          weight: 2,
        },
      ),
      latest: fc.record({
        ageSeconds: fc.oneof(
          { arbitrary: fc.constantFrom(0, 1, 2, 60, 150, 299), weight: 8 },
          { arbitrary: fc.constantFrom(300, 301, 3_600, 3_601), weight: 1 },
          { arbitrary: fc.integer({ min: -30, max: -1 }), weight: 1 },
        ),
        move: roundArb.map((r) => r.move),
      }),
      /** Most histories have increasing update times (as a real feed); some are in any order. */
      monotone: fc.constantFrom(true, true, true, false),
      maxDeviationBps: fc.constantFrom(2_500n, 2_500n, 1n, 10_000n, 700n),
      cooldownSeconds: fc.constantFrom(300n, 300n, 1n, 3_600n),
      minAnswer: fc.constantFrom(1n, 1n, 100n * 10n ** 8n),
      phase: fc.constantFrom(0n, 0n, 0n, 1n, 2n),
      sequencer: fc.oneof(
        { arbitrary: fc.constant(undefined), weight: 4 },
        {
          arbitrary: fc.record({
            answer: fc.constantFrom(0n, 0n, 0n, 1n),
            startedAgo: fc.constantFrom(0, 1, 3_599, 3_600, 3_601, 100_000, -5),
          }),
          weight: 1,
        },
      ),
    });

    it("price and volatile flag, or the same custom error", async () => {
      const SEQUENCER_GRACE_SECONDS = 3_600n;
      await fc.assert(
        fc.asyncProperty(historyArb, async (c) => {
          await network.provider.send("evm_revert", [snapshot]);
          snapshot = await network.provider.send("evm_snapshot");
          const feed = (await ethers.deployContract("MockV3Aggregator", [
            FEED_DECIMALS,
            BASE_ANSWER,
          ])) as unknown as MockV3Aggregator;
          let sequencerFeed: MockV3Aggregator | undefined;
          if (c.sequencer) {
            sequencerFeed = (await ethers.deployContract("MockV3Aggregator", [0, 0])) as unknown as MockV3Aggregator;
          }
          const adapter = (await ethers.deployContract("ChainlinkOracleAdapter", [
            {
              feed: await feed.getAddress(),
              heartbeatSeconds: 3_600n,
              minAnswer: c.minAnswer,
              maxAnswer: MAX_ANSWER,
              sequencerUptimeFeed: sequencerFeed ? await sequencerFeed.getAddress() : ethers.ZeroAddress,
              sequencerGracePeriodSeconds: sequencerFeed ? SEQUENCER_GRACE_SECONDS : 0n,
              maxDeviationBps: c.maxDeviationBps,
              volatilityCooldownSeconds: c.cooldownSeconds,
            },
          ])) as unknown as ChainlinkOracleAdapter;
          const now = (await latestTimestamp()) + 10_000n;
          // Ages from the latest round backwards: each past round is older than the next by its extra age.
          const all = [...c.rounds, { extraAgeSeconds: 0, move: c.latest.move, missing: false }];
          const ages: bigint[] = new Array(all.length);
          ages[all.length - 1] = BigInt(c.latest.ageSeconds);
          for (let i = all.length - 2; i >= 0; i--) {
            const extra = BigInt(c.monotone ? Math.abs(all[i].extraAgeSeconds) : all[i].extraAgeSeconds);
            ages[i] = ages[i + 1] + extra;
          }
          const thresholdUnits = (BASE_ANSWER * c.maxDeviationBps) / 10_000n;
          const rounds: FeedRound[] = [];
          for (const [i, r] of all.entries()) {
            const roundId = (c.phase << 64n) + BigInt(i + 1);
            let answer: bigint;
            let updatedAt = now - ages[i];
            const move = r.move;
            if (typeof move === "object") answer = BASE_ANSWER + (BASE_ANSWER * BigInt(move.bps)) / 10_000n;
            else if (move === "threshold") answer = BASE_ANSWER + thresholdUnits;
            else if (move === "threshold+1") answer = BASE_ANSWER + thresholdUnits + 1n;
            else if (move === "-threshold") answer = BASE_ANSWER - thresholdUnits;
            else if (move === "-threshold-1") answer = BASE_ANSWER - thresholdUnits - 1n;
            else if (move === "zero") answer = 0n;
            else if (move === "negative") answer = -BASE_ANSWER;
            else if (move === "atMin") answer = c.minAnswer;
            else if (move === "atMax") answer = MAX_ANSWER;
            else {
              answer = BASE_ANSWER;
              updatedAt = 0n;
            }
            // A missing round (never written) ends the history like a broken one; the latest always exists.
            if (r.missing) continue;
            await (await feed.updateRoundData(roundId, answer, updatedAt, updatedAt)).wait();
            rounds.push({ roundId, answer, updatedAt });
          }
          let sequencer: SequencerStatus | undefined;
          if (c.sequencer && sequencerFeed) {
            const startedAt = now - BigInt(c.sequencer.startedAgo);
            await (await sequencerFeed.updateRoundData(1n, c.sequencer.answer, startedAt, startedAt)).wait();
            sequencer = { answer: c.sequencer.answer, startedAt };
          }
          await network.provider.send("evm_mine", [Number(now)]);
          expect(await latestTimestamp()).to.equal(now);
          const latest = rounds[rounds.length - 1];
          const config: OracleAdapterConfig = {
            heartbeatSeconds: 3_600n,
            minAnswer: c.minAnswer,
            maxAnswer: MAX_ANSWER,
            feedDecimals: FEED_DECIMALS,
            maxDeviationBps: c.maxDeviationBps,
            volatilityCooldownSeconds: c.cooldownSeconds,
            sequencerGracePeriodSeconds: SEQUENCER_GRACE_SECONDS,
          };
          let expected: { priceWad: bigint; isVolatile: boolean } | { error: string; args: readonly bigint[] };
          try {
            expected = readAdapterPrice(latest, rounds.slice(0, -1), config, now, sequencer);
          } catch (error) {
            if (!(error instanceof OracleRevertError)) throw error;
            expected = { error: error.errorName, args: error.args };
          }
          let actual: typeof expected;
          try {
            const [priceWad, isVolatile] = await adapter.latestPrice();
            actual = { priceWad, isVolatile };
          } catch (error) {
            const data = (error as { data?: string }).data;
            const parsed = data ? adapter.interface.parseError(data) : null;
            if (!parsed) throw error;
            actual = { error: parsed.name, args: parsed.args.map((a) => BigInt(a)) };
          }
          const label = "error" in expected ? expected.error : expected.isVolatile ? "volatile" : "calm";
          outcomeCounts.set(label, (outcomeCounts.get(label) ?? 0) + 1);
          expect(
            actual,
            `rounds ${JSON.stringify(rounds, (_k, v) => (typeof v === "bigint" ? v.toString() : v))}`,
          ).to.deep.equal(expected);
          // `readPrice` is the same view.
          if (!("error" in expected)) {
            const [priceWad, isVolatile] = await adapter.readPrice.staticCall();
            expect({ priceWad, isVolatile }, "readPrice == latestPrice").to.deep.equal(expected);
          }
        }),
        { numRuns: 150 },
      );
    });
  });
});
