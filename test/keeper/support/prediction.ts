/**
 * The keeper's waterfall predictions checked against the chain: an in-process keeper (dry-run, no endpoints)
 * follows the node into its mirror, and a `WaterfallPredictor` built from that mirror and the lens's snapshot
 * predicts the next block's liquidation; the test then mines that block at the predicted timestamp and compares
 * the events to the wei.
 */
import { join } from "node:path";
import { expect } from "chai";
import { Wallet, type Log } from "ethers";
import pino from "pino";
import { rpcCall } from "../../../sdk/chain/rpc";
import type { LiquidationResult } from "../../../sdk/math/liquidationEngine";
import { LensReader } from "../../../keeper/chain/lensReader";
import { validateConfig } from "../../../keeper/config/schema";
import { Keeper } from "../../../keeper/keeper";
import { WaterfallPredictor } from "../../../keeper/pricing/waterfall";
import { accountPrivateKey, type TestProtocol } from "./protocol";

/** An account no test sends from: the in-process keeper only reads. */
const OBSERVER_ACCOUNT = 9;

export function inProcessKeeper(protocol: TestProtocol): Keeper {
  const config = validateConfig({
    rpcUrl: protocol.node.url,
    addressBook: protocol.bookPath,
    checkpoint: join(protocol.dir, `observer-${Date.now()}.json`),
    metricsPort: "0",
    dryRun: true,
  });
  return new Keeper(config, new Wallet(accountPrivateKey(OBSERVER_ACCOUNT)), pino({ level: "silent" }));
}

/**
 * Syncs `keeper` to the node's head and returns a predictor for a transaction mined in the next block, which the
 * node is told to mine at `timestamp` (the head's + 1 s; no price moves in between).
 */
export async function predictNextBlock(
  keeper: Keeper,
  protocol: TestProtocol,
): Promise<{ predictor: WaterfallPredictor; timestamp: number }> {
  const head = Number(await rpcCall<string>(protocol.node.url, "eth_blockNumber", []));
  while ((keeper.positionMirror.head?.number ?? -1) < head) await keeper.step();
  const lens = new LensReader(keeper.chain, keeper.config.book, keeper.address);
  const snapshot = await lens.read(head);
  const timestamp = snapshot.timestamp + 1;
  await rpcCall(protocol.node.url, "evm_setNextBlockTimestamp", [timestamp]);
  return { predictor: new WaterfallPredictor(keeper.positionMirror, { ...snapshot, timestamp }), timestamp };
}

/** The receipt's `Liquidated` and `Deleveraged` events equal the prediction's, field by field. */
export function expectEventsAsPredicted(
  protocol: TestProtocol,
  predicted: LiquidationResult,
  logs: readonly Log[],
): void {
  const engine = protocol.system.engine;
  const parsed = logs.map((log) => engine.interface.parseLog(log)).filter((e) => e !== null);
  const liquidated = parsed.find((e) => e.name === "Liquidated");
  expect(liquidated, "a Liquidated event").to.not.equal(undefined);
  expect(predicted.liquidated, "the prediction liquidates").to.not.equal(undefined);
  const expected = predicted.liquidated!;
  for (const field of Object.keys(expected) as (keyof typeof expected)[]) {
    const actual = liquidated!.args[field];
    const want = expected[field];
    if (typeof want === "string") expect(String(actual).toLowerCase(), field).to.equal(want.toLowerCase());
    else expect(actual, field).to.equal(want);
  }
  const deleveraged = parsed.filter((e) => e.name === "Deleveraged");
  expect(deleveraged.length, "ADL closes").to.equal(predicted.deleveraged.length);
  predicted.deleveraged.forEach((want, i) => {
    const actual = deleveraged[i].args;
    for (const field of Object.keys(want) as (keyof typeof want)[]) {
      const value = want[field];
      if (typeof value === "string")
        expect(String(actual[field]).toLowerCase(), `ADL ${i} ${field}`).to.equal(value.toLowerCase());
      else expect(actual[field], `ADL ${i} ${field}`).to.equal(value);
    }
  });
}
