/**
 * `npm run bench:adl`: gas of the ADL queue's operations at 10, 1,000 and 10,000 positions, measured on
 * `AdlQueueHarness` (the library's internal functions behind one external call each, 21k base included).
 * Keys are spread over realistic bankruptcy prices ($1,000–$3,000), so most positions sit in their own tick.
 */
import hre from "hardhat";
import type { AdlQueueHarness } from "../../typechain-types";

const WAD = 10n ** 18n;
const SIZES = [10, 1_000, 10_000];
const INSERTS_PER_TX = 150;
const FIRST_KEY = 1_000n * WAD;
const KEY_SPAN = 2_000n * WAD;
const PROBE_ACCOUNT = "0x00000000000000000000000000000000000fffff";
const FIRST_ID = 1n << 32n;

async function gasOf(promise: Promise<{ wait: () => Promise<{ gasUsed: bigint } | null> }>): Promise<bigint> {
  const receipt = await (await promise).wait();
  if (!receipt) throw new Error("no receipt");
  return receipt.gasUsed;
}

async function main(): Promise<void> {
  console.log("| positions | insert | remove | re-key (remove + insert) | head (view) | next (view) |");
  console.log("| ---: | ---: | ---: | ---: | ---: | ---: |");
  for (const size of SIZES) {
    const harness = (await (
      await hre.ethers.getContractFactory("AdlQueueHarness")
    ).deploy()) as unknown as AdlQueueHarness;
    const step = KEY_SPAN / BigInt(size);
    for (let done = 0; done < size; done += INSERTS_PER_TX) {
      const count = Math.min(INSERTS_PER_TX, size - done);
      await (await harness.insertMany(FIRST_ID + BigInt(done), count, FIRST_KEY + BigInt(done) * step, step)).wait();
    }
    const middleKey = FIRST_KEY + KEY_SPAN / 2n + step / 3n;
    const insert = await gasOf(harness.insert(PROBE_ACCOUNT, middleKey));
    const remove = await gasOf(harness.remove(PROBE_ACCOUNT));
    await (await harness.insert(PROBE_ACCOUNT, middleKey)).wait();
    const rekey = await gasOf(harness.update(PROBE_ACCOUNT, middleKey + KEY_SPAN / 7n));
    const head = await harness.head.estimateGas(true);
    const next = await harness.next.estimateGas(PROBE_ACCOUNT, true);
    const fmt = (gas: bigint) => gas.toLocaleString("en-US");
    console.log(
      `| ${size.toLocaleString("en-US")} | ${fmt(insert)} | ${fmt(remove)} | ${fmt(rekey)} | ${fmt(head)} | ${fmt(next)} |`,
    );
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
