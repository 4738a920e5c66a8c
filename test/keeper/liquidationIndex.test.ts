/**
 * The candidate index finds exactly the positions the SDK's exact check calls liquidatable (no miss, no extra),
 * for random mirrors (both sides, funding and loss snapshots, positions above the first margin tier, during a
 * maintenance ramp) at random prices, funding and loss indices — compared with a full scan.
 */
import { expect } from "chai";
import fc from "fast-check";
import { updateMarketTotals } from "../../sdk/math/engineMath";
import type { Position } from "../../sdk/math/types";
import { emptyMarketState, toSdkParams } from "../../keeper/mirror/marketMirror";
import { PositionMirror, ZERO_POSITION } from "../../keeper/mirror/positionMirror";
import { fundingIndexAt, mirroredHealth } from "../../keeper/pricing/health";
import { LiquidationIndex } from "../../keeper/pricing/liquidationIndex";

const WAD = 10n ** 18n;
const MARKET = "0x" + "cd".repeat(32);
const TIERS = [
  { notionalFloorUsd: 0n, initialMarginBps: 500n, maintenanceMarginBps: 250n },
  { notionalFloorUsd: 1_000_000n * WAD, initialMarginBps: 1_000n, maintenanceMarginBps: 500n },
  { notionalFloorUsd: 5_000_000n * WAD, initialMarginBps: 2_000n, maintenanceMarginBps: 1_000n },
];

const positionArb = fc.record({
  long: fc.boolean(),
  sizeMilli: fc.integer({ min: 1, max: 4_000_000 }), // 0.001 to 4,000 units: some above $1M and $5M notional
  entry: fc.integer({ min: 1_500, max: 2_500 }),
  leverageTenths: fc.integer({ min: 12, max: 400 }),
  fundingSnap: fc.integer({ min: -50, max: 50 }),
  lossSnap: fc.integer({ min: 0, max: 20 }),
});

type PositionSpec = typeof positionArb extends fc.Arbitrary<infer T> ? T : never;

function buildMirror(
  positions: PositionSpec[],
  funding: bigint,
  longLoss: bigint,
  shortLoss: bigint,
  ramp: boolean,
): PositionMirror {
  const mirror = new PositionMirror(2);
  const state = emptyMarketState(0n);
  state.fundingIndexWad = funding;
  state.longLossIndexWad = longLoss;
  state.shortLossIndexWad = shortLoss;
  mirror.markets.set(MARKET, {
    marketId: MARKET,
    oracle: "0x0",
    params: toSdkParams({
      minPositionMarginUsd: 10n * WAD,
      keeperRewardUsd: 2n * WAD,
      skewScale: 100_000n * WAD,
      maxFundingRatePerDayWad: 0n,
      liquidationPenaltyBps: 100n,
      keeperPenaltyShareBps: 2_500n,
    }),
    tiers: TIERS,
    previousTiers: TIERS.map((t) => ({ ...t, maintenanceMarginBps: t.maintenanceMarginBps / 2n })),
    ramp: ramp
      ? { startTime: 0n, endTime: 1_000n, previousKeeperRewardUsd: WAD }
      : { startTime: 0n, endTime: 0n, previousKeeperRewardUsd: 0n },
    state,
    settlementPriceWad: 0n,
    reduceOnly: false,
  });
  const market = mirror.markets.get(MARKET)!;
  const byAccount = new Map<string, Position>();
  positions.forEach((p, i) => {
    const sizeAbs = BigInt(p.sizeMilli) * 10n ** 15n;
    const entry = BigInt(p.entry) * WAD;
    const margin = (sizeAbs * entry * 10n) / (WAD * BigInt(p.leverageTenths));
    const position: Position = {
      size: p.long ? sizeAbs : -sizeAbs,
      entryPriceWad: entry,
      marginUsd: margin,
      fundingIndexSnapshotWad: BigInt(p.fundingSnap) * WAD,
      lossIndexSnapshotWad: p.long ? (longLoss * BigInt(p.lossSnap)) / 20n : (shortLoss * BigInt(p.lossSnap)) / 20n,
    };
    byAccount.set(`0x${i.toString(16).padStart(40, "0")}`, position);
    market.state = updateMarketTotals(market.state, ZERO_POSITION, position, position.size);
  });
  mirror.positions.set(MARKET, byAccount);
  return mirror;
}

describe("keeper: liquidation index", function () {
  it("finds_exactly_the_liquidatable_positions_of_a_full_scan", function () {
    fc.assert(
      fc.property(
        fc.array(positionArb, { minLength: 1, maxLength: 300 }),
        fc.integer({ min: 1_300, max: 2_700 }),
        fc.integer({ min: -30, max: 30 }),
        fc.integer({ min: 0, max: 40 }),
        fc.integer({ min: 0, max: 40 }),
        fc.boolean(),
        fc.integer({ min: 0, max: 999 }),
        (positions, price, funding, longLoss, shortLoss, ramp, priceWei) => {
          const mirror = buildMirror(
            positions,
            BigInt(funding) * WAD,
            BigInt(longLoss) * WAD,
            BigInt(shortLoss) * WAD,
            ramp,
          );
          const index = new LiquidationIndex(mirror);
          const market = mirror.markets.get(MARKET)!;
          const priceWad = BigInt(price) * WAD + BigInt(priceWei);
          const now = 500n;
          const found = index
            .liquidatable(MARKET, priceWad, now)
            .map((c) => c.account)
            .sort();
          const fundingIndex = fundingIndexAt(market, priceWad, now);
          const scanned = [...mirror.positions.get(MARKET)!]
            .filter(([, p]) => mirroredHealth(market, market.state, p, priceWad, now, fundingIndex).isLiquidatable)
            .map(([account]) => account)
            .sort();
          expect(found).to.deep.equal(scanned);
        },
      ),
      { numRuns: 200 },
    );
  });

  it("keeps_itself_in_step_with_the_mirror_including_rollbacks", function () {
    const mirror = buildMirror([], 0n, 0n, 0n, false);
    const index = new LiquidationIndex(mirror);
    const account = "0x" + "11".repeat(20);
    const event = (size: bigint, margin: bigint) => ({
      name: "PositionModified" as const,
      account,
      marketId: MARKET,
      sizeDelta: 0n,
      fillPriceWad: 0n,
      feeUsd: 0n,
      newSize: size,
      newMarginUsd: margin,
      newEntryPriceWad: 2_000n * WAD,
      blockNumber: 1,
      blockHash: "0x01",
      logIndex: 0,
      transactionHash: "0x",
    });
    mirror.applyBlock({ number: 1, hash: "0x01" }, [event(WAD, 60n * WAD)], new Map(), true);
    expect(index.liquidatable(MARKET, 1_960n * WAD, 0n)).to.have.length(1);
    mirror.applyBlock({ number: 2, hash: "0x02" }, [{ ...event(WAD, 500n * WAD), blockNumber: 2 }], new Map(), true);
    expect(index.liquidatable(MARKET, 1_960n * WAD, 0n)).to.have.length(0);
    mirror.rollbackTo(1);
    expect(index.liquidatable(MARKET, 1_960n * WAD, 0n)).to.have.length(1);
  });
});
