/**
 * The pieces `npm start` will run, against a real `hardhat node` with the devnet's deployment: the demo
 * seeding (LPs, ~30 traders across leverage on both markets and sides, the insurance fund at its target) and
 * the price feeder (random walk, crash/squeeze/set through its HTTP control endpoint, fresh while paused).
 */
import { expect } from "chai";
import { parseUnits, type Interface } from "ethers";
import { MockV3Aggregator__factory, PerpEngine__factory } from "../../typechain-types";
import { rpcCall } from "../../sdk/chain/rpc";
import type { AddressBook } from "../../sdk/addressBook";
import { seedDemo, type SeedDemoResult } from "../../sim/demo/seedDemo";
import { startFeeder, type RunningFeeder } from "../../sim/feeder/startFeeder";
import { deployToNode, startLocalNode, type LocalNode } from "../support/localChain";
import { DEVNET_CONFIG } from "../../deploy/config";
import { stopAllChildren, waitFor } from "../support/processes";

const feedInterface = MockV3Aggregator__factory.createInterface() as Interface;
const engineInterface = PerpEngine__factory.createInterface() as Interface;
const FEEDER_INTERVAL_MS = 150;
const WAIT_MS = 20_000;

describe("sim: devnet seeding and price feeder", function () {
  this.timeout(300_000);
  let node: LocalNode;
  let book: AddressBook;
  let seeded: SeedDemoResult;
  let running: RunningFeeder | undefined;

  const answer = async (symbol: string) => {
    const market = book.markets.find((m) => m.symbol === symbol)!;
    const raw = await rpcCall<string>(node.url, "eth_call", [
      { to: market.priceFeed, data: feedInterface.encodeFunctionData("latestRoundData", []) },
      "latest",
    ]);
    const [roundId, value, , updatedAt] = feedInterface.decodeFunctionResult("latestRoundData", raw);
    return { roundId: roundId as bigint, value: value as bigint, updatedAt: updatedAt as bigint };
  };
  const engineView = async (fn: string, args: unknown[] = []) => {
    const raw = await rpcCall<string>(node.url, "eth_call", [
      { to: book.engine, data: engineInterface.encodeFunctionData(fn, args) },
      "latest",
    ]);
    return engineInterface.decodeFunctionResult(fn, raw);
  };
  const command = async (line: string) => {
    const response = await fetch(`http://127.0.0.1:${running!.control!.port}/command`, { method: "POST", body: line });
    return { status: response.status, text: await response.text() };
  };

  before(async () => {
    node = await startLocalNode();
    book = (await deployToNode(node, DEVNET_CONFIG)).addressBook; // as `npm start`: delayed orders on
    seeded = await seedDemo({ rpcUrl: node.url, book, traders: 30 });
  });

  after(async () => {
    await running?.stop();
    await node?.stop();
    await stopAllChildren();
  });

  it("seeds ~30 open positions across leverage on both markets and sides, LPs and the insurance target", async () => {
    expect(seeded.traders).to.have.length(30);
    expect(
      seeded.traders.every((t) => t.committed),
      "opens go through delayed orders",
    ).to.equal(true);
    expect(
      seeded.traders.filter((t) => !t.opened),
      JSON.stringify(seeded.traders.filter((t) => !t.opened)),
    ).to.deep.equal([]);
    for (const symbol of ["ETH-USD", "BTC-USD"]) {
      for (const side of ["long", "short"]) {
        expect(
          seeded.traders.some((t) => t.symbol === symbol && t.side === side),
          `${symbol} ${side}`,
        ).to.equal(true);
      }
    }
    const leverages = seeded.traders.map((t) => t.leverage);
    expect(Math.min(...leverages)).to.be.below(3);
    expect(Math.max(...leverages)).to.be.above(15);
    for (const trader of seeded.traders) {
      const market = book.markets.find((m) => m.symbol === trader.symbol)!;
      const [position] = await engineView("getPosition", [trader.address, market.marketId]);
      expect(position.size === 0n, trader.address).to.equal(false);
      expect(position.size > 0n).to.equal(trader.side === "long");
    }
    const [fund] = await engineView("insuranceFund");
    const [target] = await engineView("insuranceFundTarget");
    expect(fund >= target).to.equal(true);
    expect(seeded.lps).to.have.length(3);
  });

  it("the feeder walks the prices and keeps the feeds fresh", async () => {
    const start = await answer("ETH-USD");
    running = await startFeeder({
      rpcUrl: node.url,
      book,
      seed: 3,
      intervalMs: FEEDER_INTERVAL_MS,
      controlPort: 0,
      log: () => {},
    });
    await waitFor("two feeder ticks", async () => (await answer("ETH-USD")).roundId >= start.roundId + 2n, WAIT_MS, 50);
    expect((await answer("ETH-USD")).value).to.not.equal(start.value);

    expect((await command("pause")).status).to.equal(200);
    await running.feeder.tick(); // let any tick in flight finish
    const paused = await answer("BTC-USD");
    await rpcCall(node.url, "evm_increaseTime", [2_000]); // past half the 1-hour heartbeat
    await rpcCall(node.url, "evm_mine", []);
    await waitFor(
      "a refresh while paused",
      async () => (await answer("BTC-USD")).roundId > paused.roundId,
      WAIT_MS,
      50,
    );
    const refreshed = await answer("BTC-USD");
    expect(refreshed.value).to.equal(paused.value);
    expect(refreshed.updatedAt > paused.updatedAt).to.equal(true);
  });

  it("crashes, squeezes and sets a market at once through the control endpoint", async () => {
    const before = await answer("ETH-USD");
    const crash = await command("crash ETH-USD 40");
    expect(crash.status, crash.text).to.equal(200);
    const after = await answer("ETH-USD");
    expect(Number(after.value) / Number(before.value)).to.be.closeTo(0.6, 1e-6);

    const btc = await answer("BTC-USD");
    expect((await command("squeeze BTC-USD 80")).status).to.equal(200);
    expect(Number((await answer("BTC-USD")).value) / Number(btc.value)).to.be.closeTo(1.8, 1e-6);

    expect((await command("set BTC-USD 50000")).status).to.equal(200);
    expect((await answer("BTC-USD")).value).to.equal(parseUnits("50000", 8));

    const status = await fetch(`http://127.0.0.1:${running!.control!.port}/status`);
    const prices = (await status.json()) as { symbol: string; priceUsd: number }[];
    expect(prices.find((p) => p.symbol === "BTC-USD")?.priceUsd).to.equal(50_000);

    const bad = await command("crash DOGE-USD 10");
    expect(bad.status).to.equal(400);
    expect(bad.text).to.match(/unknown market DOGE-USD/);
  });

  it("stops cleanly: no more updates, the control port closed", async () => {
    const port = running!.control!.port;
    await running!.stop();
    running = undefined;
    const last = await answer("ETH-USD");
    await new Promise((resolve) => setTimeout(resolve, FEEDER_INTERVAL_MS * 4));
    expect((await answer("ETH-USD")).roundId).to.equal(last.roundId);
    let refused = false;
    try {
      await fetch(`http://127.0.0.1:${port}/status`);
    } catch {
      refused = true;
    }
    expect(refused).to.equal(true);
  });
});
