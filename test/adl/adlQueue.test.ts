import { expect } from "chai";
import fc from "fast-check";
import { ethers, network } from "hardhat";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import type { AdlQueueHarness } from "../../typechain-types";
import { adlOrder, tickOf, type QueueEntry } from "../../sdk/adl/adlQueue";

const WAD = 10n ** 18n;
const ACCOUNTS = Array.from({ length: 24 }, (_, i) => ethers.getAddress(`0x${(i + 1).toString(16).padStart(40, "0")}`));

async function deployHarness() {
  const harness = await (await ethers.getContractFactory("AdlQueueHarness")).deploy();
  return { harness: harness as unknown as AdlQueueHarness };
}

/** Keys biased to edges: ≤ 0, tiny, realistic prices (with near-duplicates in one tick), huge. */
const keyArb = fc.oneof(
  fc.bigInt({ min: -(10n ** 24n), max: 0n }),
  fc.bigInt({ min: 1n, max: 1n << 20n }),
  fc.bigInt({ min: 1_000n * WAD, max: 3_000n * WAD }),
  fc.bigInt({ min: 2_000n * WAD, max: 2_000n * WAD + 10n ** 14n }),
  fc.bigInt({ min: 1n, max: (1n << 255n) - 1n }),
);

describe("AdlQueue", () => {
  it("tickOf_is_monotone_and_buckets_are_at_most_0_61_bp_wide", async () => {
    const { harness } = await loadFixture(deployHarness);
    await fc.assert(
      fc.asyncProperty(keyArb, keyArb, async (a, b) => {
        const [ta, tb] = [await harness.tickOf(a), await harness.tickOf(b)];
        expect(ta).to.equal(tickOf(a));
        expect(tb).to.equal(tickOf(b));
        if (a <= b) expect(ta <= tb).to.equal(true);
        // Two keys in one tick differ by less than 2^-14 of the larger (keys ≥ 2^14 wei).
        if (ta === tb && a >= 1n << 14n && b >= 1n << 14n) {
          const [lo, hi] = a < b ? [a, b] : [b, a];
          expect((hi - lo) * (1n << 14n) < hi).to.equal(true);
        }
      }),
      { numRuns: 300 },
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
