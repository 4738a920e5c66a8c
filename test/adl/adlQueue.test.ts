import { expect } from "chai";
import fc from "fast-check";
import { ethers, network } from "hardhat";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import type { AdlQueueHarness } from "../../typechain-types";
import {
  signedAdlOrder as adlOrder,
  signedTickOf as tickOf,
  HALF_TICK_COUNT,
  MANTISSA_BITS,
  TICK_COUNT,
  type QueueEntry,
} from "./adlQueueModel";

const WAD = 10n ** 18n;
const ACCOUNTS = Array.from({ length: 24 }, (_, i) => ethers.getAddress(`0x${(i + 1).toString(16).padStart(40, "0")}`));

async function deployHarness() {
  const harness = await (await ethers.getContractFactory("AdlQueueHarness")).deploy();
  return { harness: harness as unknown as AdlQueueHarness };
}

const INT256_MIN = -(1n << 255n);
const INT256_MAX = (1n << 255n) - 1n;

/**
 * Keys biased to edges: 0 and ±1, tiny, realistic prices of either sign (with near-duplicates in one tick), huge
 * of either sign including the int256 extremes. Keys go negative once cumulative funding passes a position's
 * entry − margin/size (issue 18 §4).
 */
const keyArb = fc.oneof(
  fc.constantFrom(0n, 1n, -1n, INT256_MIN, INT256_MAX),
  fc.bigInt({ min: -(1n << 20n), max: 1n << 20n }),
  fc.bigInt({ min: 1_000n * WAD, max: 3_000n * WAD }),
  fc.bigInt({ min: -3_000n * WAD, max: -1_000n * WAD }),
  fc.bigInt({ min: 2_000n * WAD, max: 2_000n * WAD + 10n ** 14n }),
  fc.bigInt({ min: -2_000n * WAD - 10n ** 14n, max: -2_000n * WAD }),
  fc.bigInt({ min: INT256_MIN, max: INT256_MAX }),
);

describe("AdlQueue", () => {
  it("tickOf_is_monotone_over_signed_keys_and_buckets_are_at_most_0_61_bp_of_the_magnitude_wide", async () => {
    const { harness } = await loadFixture(deployHarness);
    await fc.assert(
      fc.asyncProperty(keyArb, keyArb, async (a, b) => {
        const [ta, tb] = [await harness.tickOf(a), await harness.tickOf(b)];
        expect(ta).to.equal(tickOf(a));
        expect(tb).to.equal(tickOf(b));
        expect(ta < TICK_COUNT && tb < TICK_COUNT, "within the bitmap").to.equal(true);
        if (a <= b) expect(ta <= tb).to.equal(true);
        // A tick holds keys of one sign only, 0 with the positive ones.
        if (ta === tb) expect(a >= 0n).to.equal(b >= 0n);
        // Two keys in one tick differ by less than 2^-14 of the larger magnitude (magnitudes ≥ 2^14 wei).
        const [ma, mb] = [a < 0n ? -a : a, b < 0n ? -b : b];
        if (ta === tb && ma >= 1n << 14n && mb >= 1n << 14n) {
          const [lo, hi] = ma < mb ? [ma, mb] : [mb, ma];
          expect((hi - lo) * (1n << 14n) < hi).to.equal(true);
        }
      }),
      { numRuns: 300 },
    );
  });

  // Issue 18 §4 regression: the old tickOf put every key ≤ 0 in tick 0, so once cumulative funding pushed keys
  // below zero the queue became oldest-first among them. This walk would have been [5, −3,000, −1,000, −2,000, 0]
  // (FIFO in tick 0 after the positive key).
  it("negative_keys_keep_their_exact_order_instead_of_sharing_one_tick", async () => {
    const { harness } = await loadFixture(deployHarness);
    const keys = [5n * WAD, -3_000n * WAD, -1_000n * WAD, -2_000n * WAD, 0n];
    for (let i = 0; i < keys.length; i++) await harness.insert(ACCOUNTS[i], keys[i]);
    const [five, minus3000, minus1000, minus2000, zero] = ACCOUNTS;
    expect(await harness.walk(true)).to.deep.equal([five, zero, minus1000, minus2000, minus3000]);
    expect(await harness.walk(false)).to.deep.equal([minus3000, minus2000, minus1000, zero, five]);
    expect(await harness.tickOf(-1n)).to.equal((await harness.tickOf(0n)) - 1n);
    // The extremes: |int256.min| = 2^255 has the highest exponent (255) of all magnitudes, mantissa 0.
    expect(await harness.tickOf(INT256_MIN)).to.equal(HALF_TICK_COUNT - 1n - (255n << MANTISSA_BITS));
    expect(await harness.tickOf(INT256_MAX)).to.equal(
      HALF_TICK_COUNT + (254n << MANTISSA_BITS) + (1n << MANTISSA_BITS) - 1n,
    );
  });

  it("walk_order_equals_the_model_after_random_inserts_removes_and_rekeys", async () => {
    const { harness } = await loadFixture(deployHarness);
    const op = fc.oneof(
      fc.record({ kind: fc.constant("upsert" as const), account: fc.integer({ min: 0, max: 23 }), key: keyArb }),
      fc.record({ kind: fc.constant("remove" as const), account: fc.integer({ min: 0, max: 23 }) }),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 40 }), async (ops) => {
        const snapshot = await network.provider.send("evm_snapshot", []);
        try {
          const model = new Map<string, QueueEntry>();
          let sequence = 0;
          for (const o of ops) {
            const account = ACCOUNTS[o.account];
            if (o.kind === "upsert") {
              await harness.update(account, o.key);
              model.set(account, { account, key: o.key, sequence: sequence++ });
            } else {
              await harness.remove(account);
              model.delete(account);
            }
          }
          const entries = [...model.values()];
          for (const highestFirst of [true, false]) {
            const expected = adlOrder(entries, highestFirst).map((e) => e.account);
            expect(await harness.walk(highestFirst)).to.deep.equal(expected);
            expect(await harness.head(highestFirst)).to.equal(expected[0] ?? ethers.ZeroAddress);
            for (let rank = 0; rank < expected.length; rank++) {
              expect(await harness.rankOf(expected[rank], highestFirst)).to.equal(BigInt(rank));
            }
          }
          expect(await harness.length()).to.equal(BigInt(entries.length));
          for (const account of ACCOUNTS) expect(await harness.contains(account)).to.equal(model.has(account));
        } finally {
          await network.provider.send("evm_revert", [snapshot]);
        }
      }),
      { numRuns: 40 },
    );
  });

  it("remove_returns_false_for_an_absent_account", async () => {
    const { harness } = await loadFixture(deployHarness);
    expect(await harness.remove.staticCall(ACCOUNTS[0])).to.equal(false);
    await harness.insert(ACCOUNTS[0], 5n * WAD);
    expect(await harness.remove.staticCall(ACCOUNTS[0])).to.equal(true);
  });

  it("entries_of_one_tick_leave_in_insertion_order", async () => {
    const { harness } = await loadFixture(deployHarness);
    // Three keys within one tick (2,000 USD ± 1e-6 USD): FIFO, not key order.
    await harness.insert(ACCOUNTS[0], 2_000n * WAD + 3n);
    await harness.insert(ACCOUNTS[1], 2_000n * WAD + 1n);
    await harness.insert(ACCOUNTS[2], 2_000n * WAD + 2n);
    expect(await harness.walk(true)).to.deep.equal([ACCOUNTS[0], ACCOUNTS[1], ACCOUNTS[2]]);
    expect(await harness.walk(false)).to.deep.equal([ACCOUNTS[0], ACCOUNTS[1], ACCOUNTS[2]]);
  });
});
