import { expect } from "chai";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { anyValue } from "@nomicfoundation/hardhat-chai-matchers/withArgs";
import { encodeBytes32String, parseUnits } from "ethers";

import { DEFAULT_ADL } from "../../deploy/config";
import { deployLocalSystem, ETH, usd, size, ANY_BUY_PRICE, ANY_SELL_PRICE } from "../helpers/fixtures";
import {
  WAD,
  DEFAULT_TIERS,
  ETH_DEFAULTS,
  divCeil,
  expectedFundingIndexDelta,
  expectedFundingOwed,
  expectedFundingRate,
  expectedIndexAt,
  expectedLossOwed,
  expectedMaintenanceRequirement,
  expectedPnl,
  pinNextTimestamp,
  sideLossIndex,
  txTimestamp,
  type Tier,
} from "../helpers/engineHelpers";
import { DAY, HOUR, impersonate, ethParams, ethTiers, withTraders, type PlainTier } from "./governanceHelpers";

// Parameter safety of contracts/governance/MarketAdminLogic.sol and PerpEngine.sol (DESIGN §11): the hard
// bounds of `setMarketParams` (`validateParams`, `validateTiers`, the skew scale above current OI), of
// `setGovernanceConfig` and `setAdlConfig`; the guardian's one-way `lowerOpenInterestCap`; and the phased-in
// maintenance raise (MarketLogic.maintenanceRequirementUsd: requirement = min(target, previous +
// (target − previous)·elapsed/duration), rounded down), which must never turn a healthy position liquidatable
// at once. Expected requirements and equities are recomputed here from the documented formulas.

const U128_MAX = 2n ** 128n - 1n;
const U16_MAX = 65_535n;
const name = (n: string) => encodeBytes32String(n);

type Params = ReturnType<typeof ethParams>;
const withParams = (overrides: Partial<Params>): Params => ({ ...ethParams(), ...overrides });

/** Tiers in the engine's struct shape from the test-side `Tier` form. */
const toStruct = (tiers: Tier[]): PlainTier[] =>
  tiers.map((t) => ({ notionalFloorUsd: t.floorUsd, initialMarginBps: t.imBps, maintenanceMarginBps: t.mmBps }));

async function deployParams() {
  const s = await withTraders(await deployLocalSystem(), 6);
  return { ...s, guardian: await impersonate(s.guardian) };
}

type System = Awaited<ReturnType<typeof deployParams>>;

/**
 * Equity of `account`'s ETH position at `priceWad` and time `t`, from its stored fields and the market state:
 * margin − funding owed − socialized loss owed + size·(price − entry) (PnL rounded down).
 */
async function equityAt(s: System, account: string, priceWad: bigint, t: bigint, params = ETH_DEFAULTS) {
  const p = await s.engine.getPosition(account, s.eth);
  const st = await s.engine.getMarketState(s.eth);
  const index = expectedIndexAt(st, params, priceWad, t);
  return (
    p.marginUsd -
    expectedFundingOwed(p.size, index, p.fundingIndexSnapshotWad) -
    expectedLossOwed(p.size, sideLossIndex(p.size, st), p.lossIndexSnapshotWad) +
    expectedPnl(p.size, p.entryPriceWad, priceWad)
  );
}

describe("Governance parameter safety", () => {
  describe("setMarketParams bounds (ParameterOutOfBounds(name, value, min, max))", () => {
    interface BoundCase {
      field: keyof Params;
      /** Values at the boundary, each accepted (with any companion overrides needed to stay valid). */
      accepted: Partial<Params>[];
      /** One step beyond each bound, with the exact error arguments [value, min, max]. */
      rejected: [Partial<Params>, bigint, bigint, bigint][];
    }
    const SKEW = ETH_DEFAULTS.skewScale;
    const MIN_MARGIN = ETH_DEFAULTS.minMargin;
    // Upper bounds that equal the field's type maximum (uint128 / uint16) cannot be exceeded through the ABI;
    // only their boundary value is checked.
    const CASES: BoundCase[] = [
      {
        field: "minPositionMarginUsd",
        accepted: [{ minPositionMarginUsd: 1n, keeperRewardUsd: 0n }, { minPositionMarginUsd: U128_MAX }],
        rejected: [[{ minPositionMarginUsd: 0n, keeperRewardUsd: 0n }, 0n, 1n, U128_MAX]],
      },
      {
        field: "keeperRewardUsd",
        accepted: [{ keeperRewardUsd: 0n }, { keeperRewardUsd: MIN_MARGIN }],
        rejected: [[{ keeperRewardUsd: MIN_MARGIN + 1n }, MIN_MARGIN + 1n, 0n, MIN_MARGIN]],
      },
      {
        field: "skewScale",
        accepted: [{ skewScale: 2n, maxOpenInterestPerSide: 1n }, { skewScale: U128_MAX }],
        rejected: [[{ skewScale: 1n, maxOpenInterestPerSide: 1n }, 1n, 2n, U128_MAX]],
      },
      {
        field: "maxOpenInterestPerSide",
        accepted: [{ maxOpenInterestPerSide: 1n }, { maxOpenInterestPerSide: SKEW - 1n }],
        rejected: [
          [{ maxOpenInterestPerSide: 0n }, 0n, 1n, SKEW - 1n],
          [{ maxOpenInterestPerSide: SKEW }, SKEW, 1n, SKEW - 1n],
        ],
      },
      {
        field: "maxFundingRatePerDayWad",
        accepted: [{ maxFundingRatePerDayWad: 0n }, { maxFundingRatePerDayWad: WAD }],
        rejected: [[{ maxFundingRatePerDayWad: WAD + 1n }, WAD + 1n, 0n, WAD]],
      },
      {
        field: "takerFeeBps",
        // A zero fee is allowed only for a feed that states no deviation threshold (the fee floor, issue 11).
        accepted: [{ takerFeeBps: 0n, oracleDeviationThresholdBps: 0n }, { takerFeeBps: 1_000n }],
        rejected: [[{ takerFeeBps: 1_001n }, 1_001n, 0n, 1_000n]],
      },
      {
        field: "insuranceFeeShareBps",
        accepted: [{ insuranceFeeShareBps: 0n }, { insuranceFeeShareBps: 10_000n }],
        rejected: [[{ insuranceFeeShareBps: 10_001n }, 10_001n, 0n, 10_000n]],
      },
      {
        field: "maxVaultExposureBps",
        accepted: [{ maxVaultExposureBps: 1n }, { maxVaultExposureBps: U16_MAX }],
        rejected: [[{ maxVaultExposureBps: 0n }, 0n, 1n, U16_MAX]],
      },
      {
        field: "liquidationPenaltyBps",
        accepted: [{ liquidationPenaltyBps: 0n }, { liquidationPenaltyBps: 1_000n }],
        rejected: [[{ liquidationPenaltyBps: 1_001n }, 1_001n, 0n, 1_000n]],
      },
      {
        field: "keeperPenaltyShareBps",
        accepted: [{ keeperPenaltyShareBps: 0n }, { keeperPenaltyShareBps: 10_000n }],
        rejected: [[{ keeperPenaltyShareBps: 10_001n }, 10_001n, 0n, 10_000n]],
      },
      {
        field: "liquidationBufferBps",
        accepted: [{ liquidationBufferBps: 0n }, { liquidationBufferBps: 10_000n }],
        rejected: [[{ liquidationBufferBps: 10_001n }, 10_001n, 0n, 10_000n]],
      },
      {
        field: "vaultReserveBps",
        accepted: [{ vaultReserveBps: 0n }, { vaultReserveBps: 10_000n }],
        rejected: [[{ vaultReserveBps: 10_001n }, 10_001n, 0n, 10_000n]],
      },
      {
        field: "executionDelaySeconds",
        accepted: [{ executionDelaySeconds: 0n }, { executionDelaySeconds: 600n, orderExpirySeconds: 60n }],
        rejected: [[{ executionDelaySeconds: 601n, orderExpirySeconds: 60n }, 601n, 0n, 600n]],
      },
      {
        field: "orderExpirySeconds",
        accepted: [
          { executionDelaySeconds: 5n, orderExpirySeconds: 60n },
          { executionDelaySeconds: 5n, orderExpirySeconds: 86_400n },
        ],
        rejected: [
          [{ executionDelaySeconds: 5n, orderExpirySeconds: 59n }, 59n, 60n, 86_400n],
          [{ executionDelaySeconds: 5n, orderExpirySeconds: 86_401n }, 86_401n, 60n, 86_400n],
        ],
      },
      {
        field: "executionFeeUsd",
        accepted: [{ executionFeeUsd: 0n }, { executionFeeUsd: 100n * WAD }],
        rejected: [[{ executionFeeUsd: 100n * WAD + 1n }, 100n * WAD + 1n, 0n, 100n * WAD]],
      },
      {
        field: "oracleDeviationThresholdBps",
        accepted: [{ oracleDeviationThresholdBps: 0n }, { oracleDeviationThresholdBps: 10n }],
        rejected: [[{ oracleDeviationThresholdBps: 1_001n, takerFeeBps: 1_000n }, 1_001n, 0n, 1_000n]],
      },
    ];

    it("set_market_params_rejects_a_taker_fee_below_half_the_feed_deviation_threshold", async () => {
      const s = await loadFixture(deployParams);
      await expect(
        s.engine.setMarketParams(s.eth, withParams({ takerFeeBps: 5n, oracleDeviationThresholdBps: 11n }), ethTiers()),
      )
        .to.be.revertedWithCustomError(s.engine, "TakerFeeBelowOracleDeviation")
        .withArgs(5n, 11n);
    });

    for (const c of CASES) {
      it(`set_market_params_accepts_${c.field}_at_its_bounds_and_rejects_one_beyond`, async () => {
        for (const [overrides, value, min, max] of c.rejected) {
          const s = await loadFixture(deployParams);
          await expect(s.engine.setMarketParams(s.eth, withParams(overrides), ethTiers()))
            .to.be.revertedWithCustomError(s.engine, "ParameterOutOfBounds")
            .withArgs(name(c.field), value, min, max);
        }
        for (const overrides of c.accepted) {
          const s = await loadFixture(deployParams);
          await expect(s.engine.setMarketParams(s.eth, withParams(overrides), ethTiers())).to.emit(
            s.engine,
            "MarketParamsSet",
          );
          const [, stored] = await s.engine.getMarketConfig(s.eth);
          expect(stored[c.field], String(c.field)).to.equal(overrides[c.field]);
        }
      });
    }

    it("set_market_params_rejects_skew_scale_at_or_below_current_open_interest", async () => {
      const s = await loadFixture(deployParams);
      const [a, b] = s.traders;
      await s.trade(a, "100", "15000");
      await s.trade(b, "-40", "6000");
      const largestSide = size("100");
      await expect(
        s.engine.setMarketParams(
          s.eth,
          withParams({ skewScale: largestSide, maxOpenInterestPerSide: largestSide - 1n }),
          ethTiers(),
        ),
      )
        .to.be.revertedWithCustomError(s.engine, "ParameterOutOfBounds")
        .withArgs(name("skewScale"), largestSide, largestSide + 1n, U128_MAX);
      await expect(
        s.engine.setMarketParams(
          s.eth,
          withParams({ skewScale: largestSide + 1n, maxOpenInterestPerSide: largestSide }),
          ethTiers(),
        ),
      ).to.emit(s.engine, "MarketParamsSet");
      // Both sides can still close at a positive fill.
      await s.engine.connect(a).closePosition(s.eth, ANY_SELL_PRICE);
      await s.engine.connect(b).closePosition(s.eth, ANY_BUY_PRICE);
    });

    it("set_market_params_reverts_market_not_listed_for_unknown_market", async () => {
      const s = await loadFixture(deployParams);
      const unknown = encodeBytes32String("nope");
      await expect(s.engine.setMarketParams(unknown, ethParams(), ethTiers()))
        .to.be.revertedWithCustomError(s.engine, "MarketNotListed")
        .withArgs(unknown);
    });
  });

  describe("margin tiers (InvalidMarginTier(index))", () => {
    const base = () => DEFAULT_TIERS.map((t) => ({ ...t }));
    const eightTiers = (): Tier[] =>
      Array.from({ length: 8 }, (_, i) => ({
        floorUsd: BigInt(i) * usd("1000000"),
        imBps: 500n + BigInt(i) * 100n,
        mmBps: 250n + BigInt(i) * 50n,
      }));
    const INVALID: [string, () => Tier[], bigint][] = [
      ["no_tiers", () => [], 0n],
      ["nine_tiers", () => [...eightTiers(), { floorUsd: usd("9000000"), imBps: 2_000n, mmBps: 1_000n }], 9n],
      ["mm_equal_to_im", () => base().map((t, i) => (i === 0 ? { ...t, mmBps: t.imBps } : t)), 0n],
      ["mm_above_im_in_tier_1", () => base().map((t, i) => (i === 1 ? { ...t, mmBps: t.imBps + 1n } : t)), 1n],
      ["zero_mm", () => base().map((t, i) => (i === 0 ? { ...t, mmBps: 0n } : t)), 0n],
      ["im_above_100_percent", () => base().map((t, i) => (i === 2 ? { ...t, imBps: 10_001n } : t)), 2n],
      ["first_floor_not_zero", () => base().map((t, i) => (i === 0 ? { ...t, floorUsd: 1n } : t)), 0n],
      ["floors_not_increasing", () => base().map((t, i) => (i === 1 ? { ...t, floorUsd: 0n } : t)), 1n],
      ["im_decreasing", () => base().map((t, i) => (i === 2 ? { ...t, imBps: 900n, mmBps: 500n } : t)), 2n],
      ["mm_decreasing", () => base().map((t, i) => (i === 1 ? { ...t, mmBps: 200n } : t)), 1n],
    ];
    for (const [label, tiers, index] of INVALID) {
      it(`set_market_params_rejects_${label}_with_invalid_margin_tier_${index}`, async () => {
        const s = await loadFixture(deployParams);
        await expect(s.engine.setMarketParams(s.eth, ethParams(), toStruct(tiers())))
          .to.be.revertedWithCustomError(s.engine, "InvalidMarginTier")
          .withArgs(index);
      });
    }

    it("set_market_params_accepts_eight_tiers_mm_one_below_im_and_im_at_100_percent", async () => {
      const VALID: Tier[][] = [
        eightTiers(),
        base().map((t, i) => (i === 0 ? { ...t, mmBps: t.imBps - 1n } : t)),
        base().map((t, i) => (i === 2 ? { ...t, imBps: 10_000n } : t)),
      ];
      for (const tiers of VALID) {
        const s = await loadFixture(deployParams);
        await expect(s.engine.setMarketParams(s.eth, ethParams(), toStruct(tiers))).to.emit(
          s.engine,
          "MarketParamsSet",
        );
        const stored = await s.engine.getMarginTiers(s.eth);
        expect(stored.map((t) => [t.notionalFloorUsd, t.initialMarginBps, t.maintenanceMarginBps])).to.deep.equal(
          tiers.map((t) => [t.floorUsd, t.imBps, t.mmBps]),
        );
      }
    });
  });

  describe("setGovernanceConfig and setAdlConfig bounds", () => {
    it("set_governance_config_accepts_grace_0_to_1_day_and_ramp_1_hour_to_30_days", async () => {
      for (const [grace, ramp] of [
        [0n, HOUR],
        [DAY, 30n * DAY],
      ]) {
        const s = await loadFixture(deployParams);
        const config = { liquidationGracePeriodSeconds: grace, maintenanceRampSeconds: ramp };
        await expect(s.engine.setGovernanceConfig(config))
          .to.emit(s.engine, "GovernanceConfigSet")
          .withArgs([grace, ramp]);
        expect(await s.engine.governanceConfig()).to.deep.equal([grace, ramp]);
      }
    });

    it("set_governance_config_rejects_one_beyond_each_bound", async () => {
      const s = await loadFixture(deployParams);
      const REJECTED: [bigint, bigint, string, bigint, bigint, bigint][] = [
        [DAY + 1n, HOUR, "liquidationGracePeriodSeconds", DAY + 1n, 0n, DAY],
        [0n, HOUR - 1n, "maintenanceRampSeconds", HOUR - 1n, HOUR, 30n * DAY],
        [0n, 30n * DAY + 1n, "maintenanceRampSeconds", 30n * DAY + 1n, HOUR, 30n * DAY],
      ];
      for (const [grace, ramp, field, value, min, max] of REJECTED) {
        await expect(
          s.engine.setGovernanceConfig({ liquidationGracePeriodSeconds: grace, maintenanceRampSeconds: ramp }),
        )
          .to.be.revertedWithCustomError(s.engine, "ParameterOutOfBounds")
          .withArgs(name(field), value, min, max);
      }
    });

    it("set_adl_config_accepts_values_at_each_bound", async () => {
      const ACCEPTED = [
        { ...DEFAULT_ADL, maxSteps: 0n },
        { ...DEFAULT_ADL, maxSteps: 64n },
        { ...DEFAULT_ADL, maxSkips: 0n },
        { ...DEFAULT_ADL, maxSkips: 1_024n },
        { ...DEFAULT_ADL, vaultLossUpperBps: 1n, vaultLossLowerBps: 0n },
        { ...DEFAULT_ADL, vaultLossUpperBps: 10_000n, vaultLossLowerBps: 9_999n },
        { ...DEFAULT_ADL, vaultLossUpperBps: 3_000n, vaultLossLowerBps: 2_999n },
      ];
      for (const config of ACCEPTED) {
        const s = await loadFixture(deployParams);
        const expected = [
          config.minQueueNotionalUsd,
          config.maxSteps,
          config.maxSkips,
          config.vaultLossUpperBps,
          config.vaultLossLowerBps,
        ];
        await expect(s.engine.setAdlConfig(config)).to.emit(s.engine, "AdlConfigSet").withArgs(expected);
        expect(await s.engine.adlConfig()).to.deep.equal(expected);
      }
    });

    it("set_adl_config_rejects_one_beyond_each_bound", async () => {
      const s = await loadFixture(deployParams);
      const REJECTED: [typeof DEFAULT_ADL, string, bigint, bigint, bigint][] = [
        [{ ...DEFAULT_ADL, maxSteps: 65n }, "maxSteps", 65n, 0n, 64n],
        [{ ...DEFAULT_ADL, maxSkips: 1_025n }, "maxSkips", 1_025n, 0n, 1_024n],
        [{ ...DEFAULT_ADL, vaultLossUpperBps: 0n, vaultLossLowerBps: 0n }, "vaultLossUpperBps", 0n, 1n, 10_000n],
        [{ ...DEFAULT_ADL, vaultLossUpperBps: 10_001n }, "vaultLossUpperBps", 10_001n, 1n, 10_000n],
        [{ ...DEFAULT_ADL, vaultLossLowerBps: 3_000n }, "vaultLossLowerBps", 3_000n, 0n, 2_999n],
      ];
      for (const [config, field, value, min, max] of REJECTED) {
        await expect(s.engine.setAdlConfig(config))
          .to.be.revertedWithCustomError(s.engine, "ParameterOutOfBounds")
          .withArgs(name(field), value, min, max);
      }
    });
  });

  describe("open-interest cap lowering", () => {
    it("guardian_lowers_oi_cap_new_exposure_beyond_it_reverts_existing_positions_untouched", async () => {
      const s = await loadFixture(deployParams);
      const [a, b, c] = s.traders;
      await s.trade(a, "10", "3000");
      await s.trade(b, "-5", "2000");
      const before = await s.engine.getPosition(a.address, s.eth);
      const oldCap = ETH_DEFAULTS.maxOi;
      const newCap = size("8");
      await expect(s.engine.connect(s.guardian).lowerOpenInterestCap(s.eth, newCap))
        .to.emit(s.engine, "OpenInterestCapLowered")
        .withArgs(s.eth, oldCap, newCap, s.guardian.address);
      expect((await s.engine.getMarketConfig(s.eth))[1].maxOpenInterestPerSide).to.equal(newCap);
      expect(await s.engine.getPosition(a.address, s.eth)).to.deep.equal(before);

      const capExceeded = (p: Promise<unknown>, oi: bigint) =>
        expect(p).to.be.revertedWithCustomError(s.engine, "OpenInterestCapExceeded").withArgs(s.eth, oi, newCap);
      await capExceeded(s.trade(a, "1"), size("11")); // long side already above the new cap
      await capExceeded(s.trade(c, "0.5", "1000"), size("10.5"));
      await capExceeded(s.trade(b, "-4"), size("9"));
      await expect(s.trade(b, "-3")).to.emit(s.engine, "PositionModified"); // shorts exactly at the cap
      await expect(s.trade(a, "-1")).to.emit(s.engine, "PositionModified"); // reducing is always allowed
      await expect(s.engine.connect(a).closePosition(s.eth, ANY_SELL_PRICE)).to.emit(s.engine, "PositionModified");
    });

    it("lower_oi_cap_rejects_equal_higher_or_zero_cap", async () => {
      const s = await loadFixture(deployParams);
      const cap = ETH_DEFAULTS.maxOi;
      for (const requested of [cap, cap + 1n, 0n]) {
        await expect(s.engine.connect(s.guardian).lowerOpenInterestCap(s.eth, requested))
          .to.be.revertedWithCustomError(s.engine, "OpenInterestCapNotLowered")
          .withArgs(s.eth, cap, requested);
      }
      await s.engine.connect(s.guardian).lowerOpenInterestCap(s.eth, 1n);
      expect((await s.engine.getMarketConfig(s.eth))[1].maxOpenInterestPerSide).to.equal(1n);
    });
  });

  describe("maintenance raise is phased in", () => {
    const PRICE = usd("1951");
    const RAMP = 7n * DAY;
    /** The raise: 2.5% → 4% maintenance in the first tier (IM stays 5%). */
    const RAISED: Tier[] = DEFAULT_TIERS.map((t, i) => (i === 0 ? { ...t, mmBps: 400n } : t));

    /**
     * Trader A: 10 ETH long, $1,100 margin, entered ≈ $2,000; trader B: the matching short so the skew (and
     * funding) is 0. At $1,951 A is healthy under 2.5% but not under 4%.
     */
    async function deployRampScenario() {
      const s = await deployParams();
      const [a, b] = s.traders;
      await s.trade(a, "10", "1100");
      await s.trade(b, "-10", "3000");
      await s.setPrice(ETH, "1951");
      return { ...s, a, b };
    }

    const previousReq = expectedMaintenanceRequirement(size("10"), PRICE, ETH_DEFAULTS.keeperReward);
    const targetReq = expectedMaintenanceRequirement(size("10"), PRICE, ETH_DEFAULTS.keeperReward, RAISED);
    /** MarketLogic.maintenanceRequirementUsd during the ramp: previous + (target − previous)·elapsed/D, down. */
    const rampReq = (elapsed: bigint) =>
      elapsed >= RAMP ? targetReq : previousReq + ((targetReq - previousReq) * elapsed) / RAMP;

    /** Applies the raise at a pinned time; returns that time t0. */
    async function raise(s: System) {
      const t0 = await pinNextTimestamp();
      const tx = await s.engine.setMarketParams(s.eth, ethParams(), toStruct(RAISED));
      await expect(tx)
        .to.emit(s.engine, "MarketParamsSet")
        .withArgs(s.eth, anyValue, anyValue, t0 + RAMP);
      return t0;
    }

    /** Mines a feed refresh at `t` so the views below run at `t` with a fresh price. */
    async function at(s: System, t: bigint) {
      await time.setNextBlockTimestamp(t);
      await s.setPrice(ETH, "1951");
    }

    it("healthy_position_stays_healthy_at_the_raise_and_requirement_interpolates_linearly", async () => {
      const s = await loadFixture(deployRampScenario);
      const equity = await equityAt(s, s.a.address, PRICE, BigInt(await time.latest()));
      expect(equity >= previousReq && equity < targetReq, "healthy before, unhealthy under the target").to.equal(true);
      expect(await s.engine.positionEquity(s.a.address, s.eth)).to.deep.equal([equity, previousReq]);

      const t0 = await raise(s);
      expect(await s.engine.maintenanceRamp(s.eth)).to.deep.equal([t0, t0 + RAMP, ETH_DEFAULTS.keeperReward]);
      // At t0 nothing has moved: the requirement is still the previous schedule's.
      expect(await s.engine.positionEquity(s.a.address, s.eth)).to.deep.equal([equity, previousReq]);
      expect(await s.engine.isLiquidatable(s.a.address, s.eth)).to.equal(false);

      for (const [elapsed, liquidatable] of [
        [RAMP / 4n, false],
        [RAMP / 2n, true],
        [RAMP, true],
      ] as const) {
        await at(s, t0 + elapsed);
        const expected = rampReq(elapsed);
        expect(await s.engine.positionEquity(s.a.address, s.eth), `at ${elapsed}s`).to.deep.equal([equity, expected]);
        expect(await s.engine.isLiquidatable(s.a.address, s.eth), `at ${elapsed}s`).to.equal(liquidatable);
      }
      expect(rampReq(RAMP / 4n)).to.equal(previousReq + (targetReq - previousReq) / 4n);
      expect(rampReq(RAMP)).to.equal(targetReq);
    });

    it("position_becomes_liquidatable_exactly_when_the_ramped_requirement_passes_its_equity", async () => {
      const s = await loadFixture(deployRampScenario);
      const equity = await equityAt(s, s.a.address, PRICE, BigInt(await time.latest()));
      const t0 = await raise(s);
      // Smallest elapsed e with previous + floor((target − previous)·e/D) > equity.
      const crossing = divCeil((equity - previousReq + 1n) * RAMP, targetReq - previousReq);
      expect(crossing > RAMP / 4n && crossing < RAMP / 2n, "part-way through the ramp").to.equal(true);
      expect(rampReq(crossing - 1n) <= equity && rampReq(crossing) > equity).to.equal(true);

      await at(s, t0 + crossing - 30n);
      const keeper = s.engine.connect(s.keeper);
      await time.setNextBlockTimestamp(t0 + crossing - 1n);
      await expect(keeper.liquidate(s.a.address, s.eth))
        .to.be.revertedWithCustomError(s.engine, "PositionNotLiquidatable")
        .withArgs(s.a.address, s.eth, equity, rampReq(crossing - 1n));
      await time.setNextBlockTimestamp(t0 + crossing);
      const tx = await keeper.liquidate(s.a.address, s.eth);
      expect(await txTimestamp(tx)).to.equal(t0 + crossing);
      await expect(tx).to.emit(s.engine, "Liquidated");
    });

    it("second_raise_during_the_ramp_reverts_maintenance_ramp_in_progress_until_it_ends", async () => {
      const s = await loadFixture(deployRampScenario);
      const t0 = await raise(s);
      const end = t0 + RAMP;
      // A further raise must wait: the ramp's starting schedule has to be one that actually applied.
      const HIGHER: Tier[] = DEFAULT_TIERS.map((t, i) => (i === 0 ? { ...t, mmBps: 450n } : t));
      await expect(s.engine.setMarketParams(s.eth, ethParams(), toStruct(HIGHER)))
        .to.be.revertedWithCustomError(s.engine, "MaintenanceRampInProgress")
        .withArgs(s.eth, end);
      await at(s, end - 30n);
      await time.setNextBlockTimestamp(end - 1n);
      await expect(s.engine.setMarketParams(s.eth, ethParams(), toStruct(HIGHER)))
        .to.be.revertedWithCustomError(s.engine, "MaintenanceRampInProgress")
        .withArgs(s.eth, end);
      // From endTime on the market takes a new raise, with a fresh ramp.
      await time.setNextBlockTimestamp(end);
      await expect(s.engine.setMarketParams(s.eth, ethParams(), toStruct(HIGHER)))
        .to.emit(s.engine, "MarketParamsSet")
        .withArgs(s.eth, anyValue, anyValue, end + RAMP);
    });

    it("cut_or_restatement_during_a_ramp_applies_without_restarting_it", async () => {
      const s = await loadFixture(deployRampScenario);
      const t0 = await raise(s);
      const end = t0 + RAMP;
      // Restating the raised schedule is not a raise: accepted, no new ramp, the running one continues.
      await expect(s.engine.setMarketParams(s.eth, ethParams(), toStruct(RAISED)))
        .to.emit(s.engine, "MarketParamsSet")
        .withArgs(s.eth, anyValue, anyValue, 0n);
      expect((await s.engine.maintenanceRamp(s.eth)).endTime).to.equal(end);
      // An emergency cut back to the old schedule applies at once: the requirement is the minimum of the
      // ramp (from the old schedule) and the new target, i.e. the old schedule's requirement.
      await expect(s.engine.setMarketParams(s.eth, ethParams(), toStruct(DEFAULT_TIERS)))
        .to.emit(s.engine, "MarketParamsSet")
        .withArgs(s.eth, anyValue, anyValue, 0n);
      const [, requirement] = await s.engine.positionEquity(s.a.address, s.eth);
      expect(requirement).to.equal(expectedMaintenanceRequirement(size("10"), PRICE, usd("2"), DEFAULT_TIERS));
    });

    it("maintenance_cut_applies_at_once_without_a_ramp", async () => {
      const s = await loadFixture(deployRampScenario);
      const CUT: Tier[] = DEFAULT_TIERS.map((t, i) => (i === 0 ? { ...t, mmBps: 200n } : t));
      await expect(s.engine.setMarketParams(s.eth, withParams({ keeperRewardUsd: usd("1") }), toStruct(CUT)))
        .to.emit(s.engine, "MarketParamsSet")
        .withArgs(s.eth, anyValue, anyValue, 0n);
      expect(await s.engine.maintenanceRamp(s.eth)).to.deep.equal([0n, 0n, 0n]);
      const [, requirement] = await s.engine.positionEquity(s.a.address, s.eth);
      expect(requirement).to.equal(expectedMaintenanceRequirement(size("10"), PRICE, usd("1"), CUT));
      // No ramp, so another change goes through immediately.
      await expect(s.engine.setMarketParams(s.eth, ethParams(), toStruct(CUT))).to.emit(s.engine, "MarketParamsSet");
    });

    it("keeper_reward_raise_alone_starts_a_ramp_of_the_configured_duration", async () => {
      const s = await loadFixture(deployRampScenario);
      await s.engine.setGovernanceConfig({ liquidationGracePeriodSeconds: HOUR, maintenanceRampSeconds: HOUR });
      const t0 = await pinNextTimestamp();
      await expect(s.engine.setMarketParams(s.eth, withParams({ keeperRewardUsd: usd("5") }), ethTiers()))
        .to.emit(s.engine, "MarketParamsSet")
        .withArgs(s.eth, anyValue, anyValue, t0 + HOUR);
      expect(await s.engine.maintenanceRamp(s.eth)).to.deep.equal([t0, t0 + HOUR, ETH_DEFAULTS.keeperReward]);
      expect((await s.engine.positionEquity(s.a.address, s.eth))[1]).to.equal(previousReq);
      const half = HOUR / 2n;
      await at(s, t0 + half);
      expect((await s.engine.positionEquity(s.a.address, s.eth))[1]).to.equal(previousReq + (usd("3") * half) / HOUR);
    });

    it("mixed_change_ramps_the_raise_but_applies_the_cut_at_once_where_lower", async () => {
      const s = await loadFixture(deployRampScenario);
      // Lower for small positions (2.5% → 2%), higher above $5M (10% → 15%): a raise somewhere, so a ramp.
      const MIXED: Tier[] = DEFAULT_TIERS.map((t, i) =>
        i === 0 ? { ...t, mmBps: 200n } : i === 2 ? { ...t, mmBps: 1_500n } : t,
      );
      const t0 = await pinNextTimestamp();
      await expect(s.engine.setMarketParams(s.eth, ethParams(), toStruct(MIXED)))
        .to.emit(s.engine, "MarketParamsSet")
        .withArgs(s.eth, anyValue, anyValue, t0 + RAMP);
      // A $19,510 position is below the raised tier: its lower requirement applies immediately.
      const [, requirement] = await s.engine.positionEquity(s.a.address, s.eth);
      expect(requirement).to.equal(expectedMaintenanceRequirement(size("10"), PRICE, ETH_DEFAULTS.keeperReward, MIXED));
      expect(requirement).to.be.lessThan(previousReq);
    });

    it("raise_only_above_the_last_floor_is_detected_and_ramped", async () => {
      const s = await loadFixture(deployRampScenario);
      const TOP: Tier[] = DEFAULT_TIERS.map((t, i) => (i === 2 ? { ...t, mmBps: 1_001n } : t));
      const t0 = await pinNextTimestamp();
      await expect(s.engine.setMarketParams(s.eth, ethParams(), toStruct(TOP)))
        .to.emit(s.engine, "MarketParamsSet")
        .withArgs(s.eth, anyValue, anyValue, t0 + RAMP);
      expect((await s.engine.positionEquity(s.a.address, s.eth))[1]).to.equal(previousReq);
    });
  });

  describe("liquidation during a keeper-reward ramp", () => {
    // Regression (fixed in the contract): LiquidationLogic._partialCloseSizeAbs passes `maintenanceUsd − params.keeperRewardUsd` as
    // the tiered maintenance margin. During a ramp started by a keeper-reward raise, `maintenanceUsd` is
    // interpolated from the PREVIOUS keeper reward while `params.keeperRewardUsd` is already the NEW one, so
    // for a small position (tiered MM < new reward − old reward) the subtraction underflows and `liquidate`
    // reverts with Panic(0x11) (`liquidateMany` too, for the whole batch) until the ramp has advanced far
    // enough — a liquidatable position cannot be liquidated and can slide into bankruptcy meanwhile.
    // Repro: local system; trader opens 0.1 ETH long with $13 margin at $2,000; admin
    // setMarketParams(ETH, keeperRewardUsd = $10) (a raise → 7-day ramp); price → $1,900; the position is
    // liquidatable (equity ≈ $2.9 < requirement ≈ $6.75) but liquidate() reverts with panic 0x11.
    it("small_position_is_liquidatable_right_after_a_keeper_reward_raise", async () => {
      const s = await loadFixture(deployParams);
      const [a] = s.traders;
      await s.trade(a, "0.1", "13");
      const t0 = await pinNextTimestamp();
      await expect(s.engine.setMarketParams(s.eth, withParams({ keeperRewardUsd: usd("10") }), ethTiers()))
        .to.emit(s.engine, "MarketParamsSet")
        .withArgs(s.eth, anyValue, anyValue, t0 + 7n * DAY);
      await s.setPrice(ETH, "1900");
      const [equity, requirement] = await s.engine.positionEquity(a.address, s.eth);
      expect(equity > 0n && equity < requirement, "liquidatable, not bankrupt").to.equal(true);
      expect(await s.engine.isLiquidatable(a.address, s.eth)).to.equal(true);
      await expect(s.engine.connect(s.keeper).liquidate(a.address, s.eth)).to.emit(s.engine, "Liquidated");
    });
  });

  describe("funding across a parameter change", () => {
    it("funding_accrues_under_old_params_up_to_the_change_and_new_params_after", async () => {
      const s = await loadFixture(deployParams);
      const [a] = s.traders;
      await s.trade(a, "50", "10000");
      const price = usd("2000");
      const old = { skewScale: ETH_DEFAULTS.skewScale, maxFundingRate: ETH_DEFAULTS.maxFundingRate };
      const next = { skewScale: size("50000"), maxFundingRate: parseUnits("0.5", 18) };

      await time.increase(DAY);
      await s.setPrice(ETH, "2000");
      const before = await s.engine.getMarketState(s.eth);
      const t1 = await pinNextTimestamp();
      const oldRate = expectedFundingRate(before.netSize, old.skewScale, old.maxFundingRate);
      const index1 =
        before.fundingIndexWad + expectedFundingIndexDelta(oldRate, price, t1 - before.lastFundingTimestamp);
      await expect(
        s.engine.setMarketParams(
          s.eth,
          withParams({ skewScale: next.skewScale, maxFundingRatePerDayWad: next.maxFundingRate }),
          ethTiers(),
        ),
      )
        .to.emit(s.engine, "FundingAccrued")
        .withArgs(s.eth, oldRate, index1, price, t1);
      const after = await s.engine.getMarketState(s.eth);
      expect([after.fundingIndexWad, after.lastFundingTimestamp]).to.deep.equal([index1, t1]);
      expect(oldRate).to.equal(expectedFundingRate(size("50"), old.skewScale, old.maxFundingRate));

      await time.increase(DAY);
      await s.setPrice(ETH, "2000");
      const t2 = await pinNextTimestamp();
      const newRate = expectedFundingRate(before.netSize, next.skewScale, next.maxFundingRate);
      expect(newRate).to.equal(10n * oldRate);
      await expect(s.engine.pokeFunding(s.eth))
        .to.emit(s.engine, "FundingAccrued")
        .withArgs(s.eth, newRate, index1 + expectedFundingIndexDelta(newRate, price, t2 - t1), price, t2);
    });
  });
});
