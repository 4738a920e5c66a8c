/**
 * Differential tests: `sdk/math` against the contracts, to the wei.
 *
 * 1. Every PositionMath / SignedMath function through `PositionMathHarness`, and every LiquidationMath
 *    function through `LiquidationMathHarness`, against its SDK mirror on edge-biased random inputs,
 *    including the inputs where Solidity panics (same panic code expected).
 * 2. `exactLiquidationBoundaryWad` against `positionHealth` on exact bigint prices, and the closed-form
 *    `liquidationPriceWad` within `liquidationPriceToleranceWad` of it (SDK only).
 * 3. Random sequences through the real engine — trades, small moves and ±10–45% price gaps, funding over
 *    up to months, insurance donations, and `liquidate` / `liquidateMany` by a keeper — with an SDK-only
 *    model of every balance (`simulateModifyPosition`, `simulateLiquidation`), checked after every step
 *    against the engine's views and events, plus the accounting identity and zero-sum equity.
 * 4. The engine's `liquidationPrice` view against the SDK closed form on random positions (with funding and
 *    socialized loss owed), and `isLiquidatable` on both sides of it beyond the documented tolerance.
 *
 * Knobs: `LIQ_RUNS=20000` runs the SDK-only boundary properties longer; `FC_SEED=… FC_PATH=…` replays an
 * engine-sequence counterexample that fast-check printed.
 */
import { expect } from "chai";
import { ethers, network } from "hardhat";
import { time } from "@nomicfoundation/hardhat-network-helpers";
import fc from "fast-check";
import { parseUnits, type ContractTransactionReceipt, type LogDescription, type Signer } from "ethers";
import { deployLocalSystem, ETH, BTC } from "../helpers/fixtures";
import type { EngineLensHarness, LiquidationMathHarness, PositionMathHarness } from "../../typechain-types";
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
/** Random sequences through the engine. */
const ENGINE_RUNS = 30;
/** Random positions whose liquidation price is confirmed on-chain. */
const ONCHAIN_LIQUIDATION_RUNS = 12;

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

const toPosition = (p: {
  size: bigint;
  entryPriceWad: bigint;
  marginUsd: bigint;
  fundingIndexSnapshotWad: bigint;
  lossIndexSnapshotWad: bigint;
}): Position => ({
  size: p.size,
  entryPriceWad: p.entryPriceWad,
  marginUsd: p.marginUsd,
  fundingIndexSnapshotWad: p.fundingIndexSnapshotWad,
  lossIndexSnapshotWad: p.lossIndexSnapshotWad,
});
const toMarketState = (s: MarketState): MarketState => ({
  netSize: s.netSize,
  longOpenInterest: s.longOpenInterest,
  shortOpenInterest: s.shortOpenInterest,
  sumSizeTimesEntry: s.sumSizeTimesEntry,
  sumSizeTimesFundingSnapshot: s.sumSizeTimesFundingSnapshot,
  fundingIndexWad: s.fundingIndexWad,
  lastFundingTimestamp: s.lastFundingTimestamp,
  longLossIndexWad: s.longLossIndexWad,
  shortLossIndexWad: s.shortLossIndexWad,
  sumLongSizeTimesLossSnapshot: s.sumLongSizeTimesLossSnapshot,
  sumShortSizeTimesLossSnapshot: s.sumShortSizeTimesLossSnapshot,
});
const toMarketParams = (p: MarketParams): MarketParams => ({
  minPositionMarginUsd: p.minPositionMarginUsd,
  keeperRewardUsd: p.keeperRewardUsd,
  maxOpenInterestPerSide: p.maxOpenInterestPerSide,
  skewScale: p.skewScale,
  maxFundingRatePerDayWad: p.maxFundingRatePerDayWad,
  takerFeeBps: p.takerFeeBps,
  insuranceFeeShareBps: p.insuranceFeeShareBps,
  maxVaultExposureBps: p.maxVaultExposureBps,
  liquidationPenaltyBps: p.liquidationPenaltyBps,
  keeperPenaltyShareBps: p.keeperPenaltyShareBps,
  liquidationBufferBps: p.liquidationBufferBps,
  maxLiquidationSlippageBps: p.maxLiquidationSlippageBps,
  vaultReserveBps: p.vaultReserveBps,
});
const EMPTY_POSITION: Position = {
  size: 0n,
  entryPriceWad: 0n,
  marginUsd: 0n,
  fundingIndexSnapshotWad: 0n,
  lossIndexSnapshotWad: 0n,
};
const EMPTY_STATE: MarketState = {
  netSize: 0n,
  longOpenInterest: 0n,
  shortOpenInterest: 0n,
  sumSizeTimesEntry: 0n,
  sumSizeTimesFundingSnapshot: 0n,
  fundingIndexWad: 0n,
  lastFundingTimestamp: 0n,
  longLossIndexWad: 0n,
  shortLossIndexWad: 0n,
  sumLongSizeTimesLossSnapshot: 0n,
  sumShortSizeTimesLossSnapshot: 0n,
};

async function latestTimestamp(): Promise<bigint> {
  const block = await ethers.provider.getBlock("latest");
  if (!block) throw new Error("no latest block");
  return BigInt(block.timestamp);
}

/** The revert data of a failed call or transaction (ethers v6 + Hardhat put it on `error.data`). */
function revertData(error: unknown): string | undefined {
  const data = (error as { data?: unknown }).data;
  return typeof data === "string" && data.length >= 10 ? data : undefined;
}

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

    it("executionPriceWad (fills inside and clamped to both bounds)", () =>
      property(
        fc.asyncProperty(priceArb, skewCaseArb, bpsParamArb, (price, { skewScale, skew, closingDelta }, slippage) =>
          check(
            () => h.executionPriceWad(price, skew, closingDelta, skewScale, slippage),
            () => executionPriceWad(price, skew, closingDelta, skewScale, slippage),
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

  describe("engine sequences: SDK model == PerpEngine after every step", () => {
    type System = Awaited<ReturnType<typeof deployLocalSystem>>;
    let s: System;
    let traders: Signer[];
    let traderAddresses: string[];
    let keeperAddress: string;
    let engineAddress: string;
    let collateralScale: bigint;
    let snapshotId: string;
    let lens: EngineLensHarness;
    const TRADER_COUNT = 4;

    interface ModelMarket {
      symbol: string;
      marketId: string;
      params: MarketParams;
      tiers: MarginTier[];
      state: MarketState;
      /** Current feed answer (8 decimals); the oracle price is answer × 1e10. */
      answer: bigint;
      /** The feed answer at deployment; gaps stay within [/20, ×20] of it (inside the adapter's bounds). */
      initialAnswer: bigint;
      positions: Position[];
    }
    interface Model {
      markets: ModelMarket[];
      vaultCashUsd: bigint;
      insuranceFundUsd: bigint;
      freeBalances: bigint[];
      keeperFreeUsd: bigint;
      /** `adlConfig().maxSteps`: 0 in the fixture (ADL off), which `simulateLiquidation` requires to mirror a deficit. */
      adlMaxSteps: bigint;
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
        const answer = (await deployed.feed.latestRoundData()).answer;
        markets.push({
          symbol,
          marketId: deployed.marketId,
          params: toMarketParams(params),
          tiers,
          state: toMarketState(await s.engine.getMarketState(deployed.marketId)),
          answer,
          initialAnswer: answer,
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
        keeperFreeUsd: await s.engine.freeBalance(keeperAddress),
        adlMaxSteps: (await s.engine.adlConfig()).maxSteps,
      };
    }

    /** Largest rounding gap seen in the zero-sum check, and how many steps checked it. */
    let largestZeroSumGapWad = 0n;

    /**
     * Every engine view the SDK can predict, compared to the wei, at the latest block's timestamp (where
     * `eth_call` runs): per market the mark price, funding index and full state; per position the stored
     * position, `positionEquity`, `isLiquidatable` and `liquidationPrice`; then vault cash, insurance fund,
     * `vaultEquityUsd(true/false)` and every free balance. Then two invariants over those exact values:
     * the accounting identity (DESIGN §12.1: token balance × scale == Σ free + Σ margins + vault cash +
     * insurance) and zero-sum equity (§12.4: Σ equity + Σ free + vault equity + insurance == token balance,
     * up to the documented roundings — each position's equity rounds down by < 3 wei, each market's vault
     * value by < 1 wei — all in the protocol's favour).
     */
    async function checkAgainstEngine(model: Model, context: string) {
      const now = await latestTimestamp();
      const snap = await lens.snapshot(
        engineAddress,
        model.markets.map((m) => m.marketId),
        traderAddresses,
        [...traderAddresses, keeperAddress],
      );
      let equitySumUsd = 0n;
      let marginSumUsd = 0n;
      let openPositions = 0n;
      for (const [i, m] of model.markets.entries()) {
        const market = snap.markets[i];
        const price = priceOf(m);
        const index = currentFundingIndexWad(m.state, m.params, price, now);
        expect(market.markPriceWad, `${context} ${m.symbol} mark price`).to.equal(price);
        expect(market.currentFundingIndexWad, `${context} ${m.symbol} currentFundingIndexWad`).to.equal(index);
        expect(toMarketState(market.state), `${context} ${m.symbol} market state`).to.deep.equal(m.state);
        for (const [t, position] of m.positions.entries()) {
          const views = market.positions[t];
          const label = `${context} ${m.symbol} trader ${t}`;
          expect(toPosition(views.position), `${label} position`).to.deep.equal(position);
          const health = positionHealth(m.state, position, price, index, m.tiers, m.params.keeperRewardUsd);
          expect(views.equityUsd, `${label} equity`).to.equal(health.equityUsd);
          expect(views.maintenanceRequirementUsd, `${label} requirement`).to.equal(health.maintenanceRequirementUsd);
          expect(views.liquidatable, `${label} isLiquidatable`).to.equal(health.isLiquidatable);
          expect(views.liquidationPriceWad, `${label} liquidationPrice`).to.equal(
            liquidationPrice(m.state, m.params, m.tiers, position, price, now),
          );
          equitySumUsd += health.equityUsd;
          marginSumUsd += position.marginUsd;
          if (position.size !== 0n) openPositions++;
        }
      }
      const vaultMarkets = model.markets.map((m) => ({ state: m.state, params: m.params, priceWad: priceOf(m) }));
      const vaultEquityForDepositUsd = vaultEquityUsd(model.vaultCashUsd, vaultMarkets, now, true);
      expect(snap.vaultCashUsd, `${context} vaultCashUsd`).to.equal(model.vaultCashUsd);
      expect(snap.insuranceFundUsd, `${context} insuranceFund`).to.equal(model.insuranceFundUsd);
      expect(snap.vaultEquityForDepositUsd, `${context} vaultEquityUsd(true)`).to.equal(vaultEquityForDepositUsd);
      expect(snap.vaultEquityForWithdrawUsd, `${context} vaultEquityUsd(false)`).to.equal(
        vaultEquityUsd(model.vaultCashUsd, vaultMarkets, now, false),
      );
      // Plain view calls (the lens does not read them): they run at the latest block, like the lens.
      expect(await s.engine.vaultRequiredEquityUsd(), `${context} vaultRequiredEquityUsd`).to.equal(
        vaultRequiredEquityUsd(vaultMarkets),
      );
      expect(await s.engine.maxVaultWithdrawalUsd(), `${context} maxVaultWithdrawalUsd`).to.equal(
        maxVaultWithdrawalUsd(model.vaultCashUsd, vaultMarkets, now),
      );
      expect([...snap.freeBalancesUsd], `${context} free balances (traders, keeper)`).to.deep.equal([
        ...model.freeBalances,
        model.keeperFreeUsd,
      ]);

      const freeSumUsd = model.freeBalances.reduce((a, b) => a + b, 0n) + model.keeperFreeUsd;
      const balanceUsd = snap.collateralBalance * collateralScale;
      expect(balanceUsd, `${context} accounting identity`).to.equal(
        freeSumUsd + marginSumUsd + model.vaultCashUsd + model.insuranceFundUsd,
      );
      const zeroSumGapUsd =
        balanceUsd - (equitySumUsd + freeSumUsd + vaultEquityForDepositUsd + model.insuranceFundUsd);
      expect(
        zeroSumGapUsd >= 0n && zeroSumGapUsd < 3n * openPositions + BigInt(model.markets.length),
        `${context} zero-sum equity gap ${zeroSumGapUsd} wei over ${openPositions} positions`,
      ).to.equal(true);
      if (zeroSumGapUsd > largestZeroSumGapWad) largestZeroSumGapWad = zeroSumGapUsd;
    }

    const traderArb = fc.nat(TRADER_COUNT - 1);
    const stepArb = fc.oneof(
      {
        arbitrary: fc.record({
          kind: fc.constant("deposit" as const),
          trader: traderArb,
          usd: fc.integer({ min: 1, max: 20_000 }),
        }),
        weight: 1,
      },
      {
        arbitrary: fc.record({
          kind: fc.constant("trade" as const),
          trader: traderArb,
          market: fc.nat(1),
          mode: fc.constantFrom("open", "open", "increase", "reduce", "close", "closePosition", "flip", "margin"),
          // ETH-scaled size: mostly 0.1..100 ETH ($200..$200k, where the flat $12 margin add-on does not
          // dominate, so leverage is what `marginBps` says), sometimes 1e-6..0.1 ETH or dust down to 1 wei.
          size: fc.oneof(
            { arbitrary: logUniform(17, 19), weight: 8 },
            { arbitrary: logUniform(12, 16), weight: 2 },
            { arbitrary: logUniform(0, 11), weight: 1 },
          ),
          isLong: fc.boolean(),
          fractionBps: fc.bigInt({ min: 1n, max: 9_999n }),
          // Margin in as a share of notional: mostly 5–8% (12–20x, a few % from liquidation), else 3% (33x,
          // rejected) .. 120%, or none.
          marginBps: fc.oneof(
            { arbitrary: fc.constant(0n), weight: 1 },
            { arbitrary: fc.bigInt({ min: 500n, max: 800n }), weight: 4 },
            { arbitrary: fc.bigInt({ min: 300n, max: 12_000n }), weight: 2 },
          ),
          marginOutBps: fc.oneof(fc.constant(0n), fc.bigInt({ min: 1n, max: 9_000n })),
        }),
        weight: 6,
      },
      {
        // Ordinary moves: small ones walk 20x positions into the partial-liquidation window, larger ones past it.
        arbitrary: fc.record({
          kind: fc.constant("price" as const),
          market: fc.nat(1),
          moveBps: fc.oneof(fc.bigInt({ min: -200n, max: 200n }), fc.bigInt({ min: -800n, max: 800n })),
        }),
        weight: 4,
      },
      {
        // Gaps of 10–45%: bankruptcies, insurance payouts, socialized loss (and the >25% volatility breaker).
        arbitrary: fc.record({
          kind: fc.constant("gap" as const),
          market: fc.nat(1),
          gapBps: fc.bigInt({ min: 1_000n, max: 4_500n }),
          down: fc.boolean(),
        }),
        weight: 2,
      },
      {
        arbitrary: fc.record({
          kind: fc.constant("time" as const),
          // Seconds, hours to days, and 1–12 months: the skews here are ~1e-3 of the skew scale (rate
          // ~0.01%/day), so only months of funding move a 20x position's equity by percents of its margin.
          seconds: fc.oneof(
            fc.integer({ min: 1, max: 600 }),
            fc.integer({ min: 600, max: 3 * 86_400 }),
            fc.integer({ min: 30 * 86_400, max: 365 * 86_400 }),
          ),
        }),
        weight: 2,
      },
      {
        arbitrary: fc.record({
          kind: fc.constant("liquidate" as const),
          pick: fc.constantFrom("liquidatable", "liquidatable", "liquidatable", "any"),
          trader: traderArb,
          market: fc.nat(1),
          index: fc.nat(),
        }),
        weight: 4,
      },
      {
        arbitrary: fc.record({
          kind: fc.constant("liquidateMany" as const),
          entries: fc.array(fc.record({ trader: traderArb, market: fc.nat(1) }), { minLength: 1, maxLength: 4 }),
          // Prepend every position the SDK predicts liquidatable (as a keeper would), or not.
          liquidatableFirst: fc.boolean(),
        }),
        weight: 2,
      },
      {
        // The price walks one open position into its partial-liquidation window (equity at 55–95% of the
        // maintenance requirement), usually followed at once by a keeper's `liquidate`.
        arbitrary: fc.record({
          kind: fc.constant("squeeze" as const),
          index: fc.nat(),
          perMille: fc.bigInt({ min: 550n, max: 950n }),
          thenLiquidate: fc.constantFrom(true, true, true, false),
        }),
        weight: 2,
      },
      {
        arbitrary: fc.record({
          kind: fc.constant("donate" as const),
          trader: traderArb,
          usd: fc.integer({ min: 1, max: 5_000 }),
        }),
        weight: 1,
      },
    );
    type Step = typeof stepArb extends fc.Arbitrary<infer T> ? T : never;
    /**
     * The opening book of every sequence: one position per (trader, market), random side, 0.1–50
     * ETH-equivalent at 12–20x (a few % from liquidation), opened through the same checked trade path.
     */
    const openingBookArb = fc
      .array(
        fc.record({ isLong: fc.boolean(), size: logUniform(17, 19), marginBps: fc.bigInt({ min: 500n, max: 800n }) }),
        { minLength: TRADER_COUNT * 2, maxLength: TRADER_COUNT * 2 },
      )
      .map((opens) =>
        opens.map((open, i): Step => ({
          kind: "trade",
          trader: i % TRADER_COUNT,
          market: Math.floor(i / TRADER_COUNT),
          mode: "open",
          size: open.size / 2n,
          isLong: open.isLong,
          fractionBps: 1n,
          marginBps: open.marginBps,
          marginOutBps: 0n,
        })),
      );

    /** Revert reasons of rejected trades, tallied for the log. */
    const rejected = new Map<string, number>();
    let executedTrades = 0;
    let checkedSteps = 0;
    let onChainLiquidationChecks = 0;
    /** Executed trades by what they did, and how many settled non-zero funding / socialized loss. */
    const executedKinds = new Map<string, number>();
    /** Liquidation outcomes by kind (partial, full, bankrupt, socialized, reverts, batch skips, ...). */
    const liquidationKinds = new Map<string, number>();
    const tally = (map: Map<string, number>, key: string) => map.set(key, (map.get(key) ?? 0) + 1);

    function revertName(error: unknown): string {
      const data = revertData(error);
      if (data) {
        const parsed = s.engine.interface.parseError(data);
        if (parsed) return parsed.name;
        if (data.startsWith(PANIC_SELECTOR)) return `Panic(${BigInt("0x" + data.slice(10))})`;
      }
      return (error as Error).message.slice(0, 80);
    }

    async function refreshFeeds(model: Model) {
      for (const m of model.markets) await (await s.market(m.symbol).feed.updateAnswer(m.answer)).wait();
    }

    async function setAnswer(m: ModelMarket, answer: bigint) {
      const lowest = m.initialAnswer / 20n;
      const highest = m.initialAnswer * 20n;
      m.answer = answer < lowest ? lowest : answer > highest ? highest : answer;
      await (await s.market(m.symbol).feed.updateAnswer(m.answer)).wait();
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
        tally(rejected, revertName(error));
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
      const event = parseEngineLogs(receipt).find((parsed) => parsed.name === "PositionModified");
      expect(event, "PositionModified emitted").to.not.equal(undefined);
      const args = event!.args;
      const label = `${m.symbol} trade ${sizeDelta}/${marginDelta}`;
      expect(args.fillPriceWad, `${label} fill`).to.equal(result.trade.fillPriceWad);
      expect(args.feeUsd, `${label} fee`).to.equal(result.trade.feeUsd);
      expect(args.realizedPnlUsd, `${label} realized pnl`).to.equal(result.trade.realizedPnlUsd);
      expect(args.fundingPaidUsd, `${label} funding paid`).to.equal(result.fundingPaidUsd);
      expect(args.lossPaidUsd, `${label} loss paid`).to.equal(result.lossPaidUsd);
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
      tally(executedKinds, kind);
      if (result.fundingPaidUsd !== 0n) tally(executedKinds, "fundingSettled");
      if (result.lossPaidUsd !== 0n) tally(executedKinds, "lossSettled");
      m.positions[step.trader] = result.position;
      m.state = result.state;
      model.vaultCashUsd += result.vaultCashDeltaUsd;
      model.insuranceFundUsd += result.trade.insuranceFeeUsd;
      model.freeBalances[step.trader] += result.freeBalanceDeltaUsd;
    }

    function parseEngineLogs(receipt: ContractTransactionReceipt): LogDescription[] {
      return receipt.logs
        .filter((log) => log.address.toLowerCase() === engineAddress.toLowerCase())
        .map((log) => s.engine.interface.parseLog(log))
        .filter((parsed): parsed is LogDescription => parsed !== null);
    }

    /** The SDK's prediction of one liquidation of (trader, market) at `nowSeconds`, on the model's state. */
    const predict = (model: Model, m: ModelMarket, trader: number, nowSeconds: bigint) =>
      simulateLiquidation({
        params: m.params,
        tiers: m.tiers,
        state: m.state,
        position: m.positions[trader],
        priceWad: priceOf(m),
        nowSeconds,
        insuranceFundUsd: model.insuranceFundUsd,
        adlMaxSteps: model.adlMaxSteps,
      });

    /** Folds a prediction into the model (a skipped batch entry keeps only the funding accrual). */
    function apply(model: Model, m: ModelMarket, trader: number, sim: LiquidationResult) {
      m.state = sim.state;
      if (!sim.isLiquidatable) return;
      m.positions[trader] = sim.position;
      model.insuranceFundUsd = sim.insuranceFundUsd;
      model.vaultCashUsd += sim.vaultCashDeltaUsd;
      model.freeBalances[trader] += sim.traderFreeCreditUsd;
      model.keeperFreeUsd += sim.keeperFreeCreditUsd;
    }

    /** The `Liquidated` event against the prediction, and the liquidation invariants (DESIGN §12.5, §12.7). */
    function checkLiquidated(
      event: LogDescription,
      m: ModelMarket,
      trader: number,
      sim: LiquidationResult,
      label: string,
    ) {
      const old = m.positions[trader];
      const args = event.args;
      expect(event.name, `${label} event`).to.equal("Liquidated");
      expect(args.account, `${label} account`).to.equal(traderAddresses[trader]);
      expect(args.marketId, `${label} market`).to.equal(m.marketId);
      expect(args.keeper, `${label} keeper`).to.equal(keeperAddress);
      expect(args.closedSize, `${label} closedSize`).to.equal(sim.closedSize);
      expect(args.executionPriceWad, `${label} executionPriceWad`).to.equal(sim.executionPriceWad);
      expect(args.remainingSize, `${label} remainingSize`).to.equal(sim.position.size);
      expect(args.penaltyUsd, `${label} penaltyUsd`).to.equal(sim.penaltyUsd);
      expect(args.keeperRewardUsd, `${label} keeperRewardUsd`).to.equal(sim.keeperRewardUsd);
      expect(args.deficitUsd, `${label} deficitUsd`).to.equal(sim.deficitUsd);
      expect(args.insurancePaidUsd, `${label} insurancePaidUsd`).to.equal(sim.insurancePaidUsd);
      expect(args.adlPaidUsd, `${label} adlPaidUsd`).to.equal(sim.adlPaidUsd);
      expect(args.socializedUsd, `${label} socializedUsd`).to.equal(sim.socializedUsd);
      // Waterfall exactness, and liquidation only shrinks the position.
      expect(args.insurancePaidUsd + args.adlPaidUsd + args.socializedUsd, `${label} waterfall sum`).to.equal(
        args.deficitUsd,
      );
      expect(args.closedSize !== 0n && args.closedSize > 0n === old.size > 0n, `${label} closes`).to.equal(true);
      expect(abs(args.closedSize) <= abs(old.size), `${label} at most the size`).to.equal(true);
      // After `liquidate` the position is healthy (and above the minimum margin) or closed.
      if (sim.position.size !== 0n) {
        const after = positionHealth(
          sim.state,
          sim.position,
          priceOf(m),
          sim.state.fundingIndexWad,
          m.tiers,
          m.params.keeperRewardUsd,
        );
        expect(after.isLiquidatable, `${label} remainder healthy`).to.equal(false);
        expect(sim.position.marginUsd >= m.params.minPositionMarginUsd, `${label} remainder margin`).to.equal(true);
      }
      tally(
        liquidationKinds,
        sim.isPartial ? "partial" : sim.plannedCloseSizeAbs < abs(old.size) ? "partialRejectedFull" : "full",
      );
      if (sim.deficitUsd !== 0n) tally(liquidationKinds, "bankrupt");
      if (sim.insurancePaidUsd !== 0n) tally(liquidationKinds, "insurancePaid");
      if (sim.socializedUsd !== 0n) tally(liquidationKinds, "socialized");
      if (sim.keeperTopUpUsd !== 0n) tally(liquidationKinds, "keeperTopUp");
      if (sim.lossPaidUsd !== 0n) tally(liquidationKinds, "lossSettled");
    }

    /** `LossSocialized` events in order against the predictions that socialized. */
    function checkSocialized(events: LogDescription[], sims: LiquidationResult[], label: string) {
      const expected = sims.flatMap((sim) => (sim.socialization ? [sim.socialization] : []));
      const actual = events
        .filter((e) => e.name === "LossSocialized")
        .map((e) => ({
          chargedSideIsLong: e.args.chargedSideIsLong as boolean,
          amountUsd: e.args.amountUsd as bigint,
          openInterestCharged: e.args.openInterestCharged as bigint,
          lossIndexWad: e.args.lossIndexWad as bigint,
        }));
      expect(actual, `${label} LossSocialized`).to.deep.equal(expected);
    }

    /** Pins the next block to latest + 1 s and returns that timestamp (the SDK predicts at it). */
    async function pinNextBlock(): Promise<bigint> {
      const next = (await latestTimestamp()) + 1n;
      await time.setNextBlockTimestamp(next);
      return next;
    }

    /** Every (trader, market) the SDK predicts liquidatable at `nowSeconds`. */
    function liquidatableTargets(model: Model, nowSeconds: bigint) {
      const targets: { trader: number; market: number }[] = [];
      model.markets.forEach((m, market) =>
        m.positions.forEach((_, trader) => {
          if (predict(model, m, trader, nowSeconds).isLiquidatable) targets.push({ trader, market });
        }),
      );
      return targets;
    }

    /** Every (trader, market) with an open position in the model. */
    function openTargets(model: Model) {
      return model.markets.flatMap((m, market) =>
        m.positions.flatMap((position, trader) => (position.size !== 0n ? [{ trader, market }] : [])),
      );
    }

    async function runLiquidate(model: Model, step: Extract<Step, { kind: "liquidate" }>) {
      const now = await pinNextBlock();
      // "liquidatable": a predicted-liquidatable position, else an open one (a healthy revert); "any": the step's.
      const liquidatable = step.pick === "liquidatable" ? liquidatableTargets(model, now) : [];
      const open = step.pick === "liquidatable" ? openTargets(model) : [];
      const candidates = liquidatable.length > 0 ? liquidatable : open;
      const target = candidates.length > 0 ? candidates[step.index % candidates.length] : step;
      await liquidateOne(model, target, now);
    }

    /** `liquidate(trader, market)` by the keeper in a block pinned at `now`, against `simulateLiquidation`. */
    async function liquidateOne(model: Model, target: { trader: number; market: number }, now: bigint) {
      const m = model.markets[target.market];
      const sim = predict(model, m, target.trader, now);
      const label = `${m.symbol} liquidate trader ${target.trader}`;
      let receipt: ContractTransactionReceipt | null;
      try {
        // An explicit gas limit skips estimation, so the call is mined at the pinned timestamp even when it reverts.
        const tx = await s.engine
          .connect(s.keeper)
          .liquidate(traderAddresses[target.trader], m.marketId, { gasLimit: 3_000_000n });
        receipt = await tx.wait();
      } catch (error) {
        const data = revertData(error);
        expect(data, `${label}: reverted without data (${(error as Error).message.slice(0, 120)})`).to.not.equal(
          undefined,
        );
        const parsed = s.engine.interface.parseError(data!);
        expect(sim.isLiquidatable, `${label}: engine reverted ${parsed?.name}, SDK predicted a liquidation`).to.equal(
          false,
        );
        expect(parsed?.name, `${label} revert`).to.equal(sim.revert!.errorName);
        if (parsed!.name === "PositionNotLiquidatable") {
          expect(parsed!.args.equityUsd, `${label} revert equity`).to.equal(sim.equityUsd);
          expect(parsed!.args.maintenanceRequirementUsd, `${label} revert requirement`).to.equal(
            sim.maintenanceRequirementUsd,
          );
        }
        tally(liquidationKinds, `revert:${parsed!.name}`);
        return; // reverted: nothing changed, not even the funding accrual
      }
      expect(sim.isLiquidatable, `${label}: engine liquidated, SDK predicted ${sim.skipReason}`).to.equal(true);
      const block = await ethers.provider.getBlock(receipt!.blockNumber);
      expect(BigInt(block!.timestamp), `${label} pinned timestamp`).to.equal(now);
      const events = parseEngineLogs(receipt!);
      const liquidated = events.filter((e) => e.name === "Liquidated");
      expect(liquidated.length, `${label} one Liquidated event`).to.equal(1);
      checkLiquidated(liquidated[0], m, target.trader, sim, label);
      checkSocialized(events, [sim], label);
      apply(model, m, target.trader, sim);
    }

    /**
     * Sets the feed answer at which one open position's equity is just below `perMille`‰ of its
     * maintenance requirement (found by bisection on the SDK's `positionHealth`), then optionally liquidates
     * it. Nothing happens when no answer within the feed's range gets there.
     */
    async function runSqueeze(model: Model, step: Extract<Step, { kind: "squeeze" }>) {
      const open = openTargets(model);
      if (open.length === 0) return;
      const target = open[step.index % open.length];
      const m = model.markets[target.market];
      const position = m.positions[target.trader];
      const isLong = position.size > 0n;
      const index = currentFundingIndexWad(m.state, m.params, priceOf(m), (await latestTimestamp()) + 1n);
      const belowTarget = (answer: bigint) => {
        const health = positionHealth(
          m.state,
          position,
          answer * FEED_STEP_WAD,
          index,
          m.tiers,
          m.params.keeperRewardUsd,
        );
        return health.equityUsd * 1_000n < health.maintenanceRequirementUsd * step.perMille;
      };
      // Long: below target at low prices (find the highest such answer); short: the mirror.
      let [healthy, squeezed] = isLong
        ? [m.initialAnswer * 20n, m.initialAnswer / 20n]
        : [m.initialAnswer / 20n, m.initialAnswer * 20n];
      if (belowTarget(healthy) || !belowTarget(squeezed)) return;
      while (abs(healthy - squeezed) > 1n) {
        const middle = (healthy + squeezed) / 2n;
        if (belowTarget(middle)) squeezed = middle;
        else healthy = middle;
      }
      await setAnswer(m, squeezed);
      tally(liquidationKinds, "squeeze");
      if (step.thenLiquidate) await liquidateOne(model, target, await pinNextBlock());
    }

    async function runLiquidateMany(model: Model, step: Extract<Step, { kind: "liquidateMany" }>) {
      const now = await pinNextBlock();
      const entries = [...step.entries];
      const candidates = step.liquidatableFirst ? liquidatableTargets(model, now) : [];
      entries.unshift(...candidates);
      const tx = await s.engine.connect(s.keeper).liquidateMany(
        entries.map((e) => traderAddresses[e.trader]),
        entries.map((e) => model.markets[e.market].marketId),
        { gasLimit: 12_000_000n },
      );
      const receipt = await tx.wait();
      const events = parseEngineLogs(receipt!);
      const outcomes = events.filter((e) => e.name === "Liquidated" || e.name === "LiquidationSkipped");
      expect(outcomes.length, "liquidateMany: one outcome per entry").to.equal(entries.length);
      const sims: LiquidationResult[] = [];
      for (const [i, entry] of entries.entries()) {
        // Entries run in order within one transaction: each sees the state the previous ones left.
        const m = model.markets[entry.market];
        const sim = predict(model, m, entry.trader, now);
        const label = `${m.symbol} liquidateMany[${i}] trader ${entry.trader}`;
        if (sim.isLiquidatable) {
          checkLiquidated(outcomes[i], m, entry.trader, sim, label);
        } else {
          expect(outcomes[i].name, `${label}: skipped (${sim.skipReason})`).to.equal("LiquidationSkipped");
          expect(outcomes[i].args.account, `${label} account`).to.equal(traderAddresses[entry.trader]);
          const reason = Number(outcomes[i].args.reason);
          expect(reason, `${label} reason`).to.equal(sim.skipReason === "NoPosition" ? 2 : 3);
          tally(liquidationKinds, `batchSkip:${sim.skipReason}`);
        }
        sims.push(sim);
        apply(model, m, entry.trader, sim);
      }
      checkSocialized(events, sims, "liquidateMany");
    }

    async function runStep(model: Model, step: Step) {
      switch (step.kind) {
        case "deposit": {
          const tokens = parseUnits(String(step.usd), s.collateralDecimals);
          await (await s.engine.connect(traders[step.trader]).deposit(tokens)).wait();
          model.freeBalances[step.trader] += tokens * collateralScale;
          break;
        }
        case "donate": {
          const tokens = parseUnits(String(step.usd), s.collateralDecimals);
          await (await s.engine.connect(traders[step.trader]).donateToInsurance(tokens)).wait();
          model.insuranceFundUsd += tokens * collateralScale;
          break;
        }
        case "trade":
          await runTrade(model, step);
          break;
        case "price": {
          const m = model.markets[step.market];
          await setAnswer(m, (m.answer * (BPS + step.moveBps)) / BPS);
          break;
        }
        case "gap": {
          const m = model.markets[step.market];
          await setAnswer(m, (m.answer * (step.down ? BPS - step.gapBps : BPS + step.gapBps)) / BPS);
          break;
        }
        case "time":
          await time.increase(step.seconds);
          await refreshFeeds(model); // keep the feeds inside their 1 h heartbeat
          break;
        case "liquidate":
          await runLiquidate(model, step);
          break;
        case "liquidateMany":
          await runLiquidateMany(model, step);
          break;
        case "squeeze":
          await runSqueeze(model, step);
          break;
      }
    }

    before(async () => {
      s = await deployLocalSystem();
      // The SDK does not mirror the ADL walk (simulateLiquidation throws AdlNotMirroredError), so these
      // sequences run with ADL off and exercise the insurance → socialization path; ADL is covered by
      // test/adl/adlExecution.test.ts against its own model.
      const adl = await s.engine.adlConfig();
      await (
        await s.engine.setAdlConfig({
          minQueueNotionalUsd: adl.minQueueNotionalUsd,
          maxSteps: 0n,
          vaultLossUpperBps: adl.vaultLossUpperBps,
          vaultLossLowerBps: adl.vaultLossLowerBps,
        })
      ).wait();
      traders = s.traders.slice(0, TRADER_COUNT);
      traderAddresses = await Promise.all(traders.map((t) => t.getAddress()));
      keeperAddress = await s.keeper.getAddress();
      engineAddress = await s.engine.getAddress();
      collateralScale = await s.engine.collateralScale();
      lens = await ethers.deployContract("EngineLensHarness");
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
      console.log(`      liquidations: ${JSON.stringify(Object.fromEntries(liquidationKinds))}`);
      console.log(`      zero-sum equity: largest rounding gap ${largestZeroSumGapWad} wei`);
      console.log(`      liquidation price: ${onChainLiquidationChecks} feed prices confirmed on-chain`);
    });

    it("positions, equity, health, liquidation price, funding and loss indices, vault value, fund and balances match after every step", async () => {
      await fc.assert(
        fc.asyncProperty(openingBookArb, fc.array(stepArb, { minLength: 15, maxLength: 35 }), async (book, steps) => {
          await network.provider.send("evm_revert", [snapshotId]);
          snapshotId = await network.provider.send("evm_snapshot");
          let model = await readModel();
          await refreshFeeds(model);
          model = await readModel();
          await checkAgainstEngine(model, "start");
          for (const step of book) await runStep(model, step);
          await checkAgainstEngine(model, "opening book");
          for (const [i, step] of steps.entries()) {
            await runStep(model, step);
            await checkAgainstEngine(model, `step ${i} (${step.kind})`);
            checkedSteps++;
          }
        }),
        {
          numRuns: ENGINE_RUNS,
          ...(process.env.FC_SEED
            ? { seed: Number(process.env.FC_SEED), path: process.env.FC_PATH, endOnFailure: true }
            : {}),
        },
      );
    });

    /**
     * `liquidationPrice` (the closed form) against the SDK, then `isLiquidatable` on both sides of it.
     *
     * Tolerance: the closed form ignores the engine's 1-wei roundings (PnL down, notional and tiered
     * margin up), so health is only guaranteed to agree with it beyond `liquidationPriceToleranceWad(|size|,
     * tiers)` wei of price (from 8 wei for 1 ETH to ~1.4e4 wei for the smallest BTC size here under the default
     * tiers; see its doc for the derivation, property-tested above). The feed can only
     * express multiples of 1e10 wei, so we check the nearest feed prices strictly beyond P* ± tolerance:
     * healthy on the safe side, liquidatable on the other. To hold the funding index still while we move
     * the price, the long and the short(s) are sized so the skew is zero (funding rate 0); with `withLoss`,
     * a 20x long is first bankrupted by a gap and liquidated so that the short owes socialized loss.
     */
    it("liquidationPrice == SDK closed form; isLiquidatable agrees beyond the documented tolerance", async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.record({
            market: fc.nat(1),
            size: logUniform(16, 18), // 0.01 .. 10 ETH-equivalent: margin stays within the $30k deposit
            longLeverageBps: fc.bigInt({ min: 15_000n, max: 150_000n }), // 1.5x .. 15x
            shortLeverageBps: fc.bigInt({ min: 10_000n, max: 150_000n }),
            waitSeconds: fc.integer({ min: 60, max: 30 * 86_400 }),
            moveBps: fc.bigInt({ min: -1_500n, max: 1_500n }),
            withLoss: fc.boolean(),
            gapBps: fc.bigInt({ min: 1_000n, max: 2_400n }),
          }),
          async (c) => {
            await network.provider.send("evm_revert", [snapshotId]);
            snapshotId = await network.provider.send("evm_snapshot");
            const model = await readModel();
            await refreshFeeds(model);
            const m = model.markets[c.market];
            const feed = s.market(m.symbol).feed;
            const size = c.market === 0 ? c.size : c.size / 30n;
            const [longTrader, shortTrader, bankruptTrader] = [0, 1, 2].map((t) => s.engine.connect(traders[t]));
            const marginFor = (q: bigint, leverageBps: bigint) =>
              (notionalUsd(q, priceOf(m)) * BPS) / leverageBps + 15n * WAD;

            // A long alone accrues funding for a while, at a moved price.
            await (
              await longTrader.modifyPosition(m.marketId, size, marginFor(size, c.longLeverageBps), ethers.MaxUint256)
            ).wait();
            await time.increase(c.waitSeconds);
            await setAnswer(m, (m.answer * (BPS + c.moveBps)) / BPS);
            // 5 ETH-equivalent at 19x: a 10–24% gap takes 2–4.5× its margin, far beyond what the fees put in
            // the insurance fund, so most of the deficit is socialized over the shorts.
            const bankruptSize = c.withLoss ? (c.market === 0 ? 5n * WAD : (5n * WAD) / 30n) : 0n;
            if (c.withLoss) {
              await (await s.engine.connect(traders[1]).deposit(s.tokens("30000"))).wait();
              await (
                await bankruptTrader.modifyPosition(
                  m.marketId,
                  bankruptSize,
                  marginFor(bankruptSize, 190_000n),
                  ethers.MaxUint256,
                )
              ).wait();
            }
            await (
              await shortTrader.modifyPosition(
                m.marketId,
                -(size + bankruptSize),
                marginFor(size + bankruptSize, c.shortLeverageBps),
                0n,
              )
            ).wait();
            if (c.withLoss) {
              await setAnswer(m, (m.answer * (BPS - c.gapBps)) / BPS);
              await (await s.engine.connect(s.keeper).liquidate(traderAddresses[2], m.marketId)).wait();
              // Re-open the same long (the gap stays below the 25% breaker) so the skew is zero again.
              await (
                await bankruptTrader.modifyPosition(
                  m.marketId,
                  bankruptSize,
                  marginFor(bankruptSize, 50_000n),
                  ethers.MaxUint256,
                )
              ).wait();
            }
            const state = toMarketState(await s.engine.getMarketState(m.marketId));
            expect(state.netSize, "skew is zero: funding frozen").to.equal(0n);
            if (c.withLoss)
              expect(state.shortLossIndexWad > 0n, "the gap socialized a loss over the shorts").to.equal(true);
            const index = await s.engine.currentFundingIndexWad(m.marketId);

            for (const [t, isLong] of [
              [0, true],
              [1, false],
            ] as const) {
              const trader = traderAddresses[t];
              const position = toPosition(await s.engine.getPosition(trader, m.marketId));
              const now = await latestTimestamp();
              const closedForm = liquidationPrice(state, m.params, m.tiers, position, priceOf(m), now);
              expect(await s.engine.liquidationPrice(trader, m.marketId), "liquidationPrice view").to.equal(closedForm);
              if (c.withLoss && !isLong) {
                expect(owedUsd(state, position, index).lossOwedUsd > 0n, "the short owes socialized loss").to.equal(
                  true,
                );
              }
              const tolerance = liquidationPriceToleranceWad(abs(position.size), m.tiers);
              const exact = exactLiquidationBoundaryWad(
                position.size,
                position.entryPriceWad,
                netMarginUsd(state, position, index),
                m.tiers,
                m.params.keeperRewardUsd,
              );
              expect(abs(exact - closedForm) <= tolerance, `exact ${exact} vs closed form ${closedForm}`).to.equal(
                true,
              );
              if (isLong && closedForm === 0n) continue; // never liquidatable at a positive price
              // The nearest feed prices strictly beyond P* ± tolerance on each side.
              const healthyAnswer = isLong
                ? (closedForm + tolerance) / FEED_STEP_WAD + 1n
                : (closedForm - tolerance - 1n) / FEED_STEP_WAD;
              const liquidatableAnswer = isLong
                ? (closedForm - tolerance - 1n) / FEED_STEP_WAD
                : (closedForm + tolerance) / FEED_STEP_WAD + 1n;
              for (const [answer, expectLiquidatable] of [
                [healthyAnswer, false],
                [liquidatableAnswer, true],
              ] as const) {
                if (answer <= 1n) continue; // the adapter rejects answers at its min bound
                await (await feed.updateAnswer(answer)).wait();
                const label = `${isLong ? "long" : "short"} at ${answer} (liquidation price ${closedForm})`;
                const [[equityUsd, requirementUsd], liquidatable] = await Promise.all([
                  s.engine.positionEquity(trader, m.marketId),
                  s.engine.isLiquidatable(trader, m.marketId),
                ]);
                const health = positionHealth(
                  state,
                  position,
                  answer * FEED_STEP_WAD,
                  index,
                  m.tiers,
                  m.params.keeperRewardUsd,
                );
                expect(equityUsd, `${label} equity`).to.equal(health.equityUsd);
                expect(requirementUsd, `${label} requirement`).to.equal(health.maintenanceRequirementUsd);
                expect(liquidatable, `${label} isLiquidatable`).to.equal(expectLiquidatable);
                expect(await s.engine.currentFundingIndexWad(m.marketId), `${label} index frozen`).to.equal(index);
                expect(await s.engine.liquidationPrice(trader, m.marketId), `${label} view unchanged`).to.equal(
                  closedForm,
                );
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
