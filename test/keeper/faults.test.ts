/**
 * The keeper behind a fault-injecting JSON-RPC proxy: errors, timeouts, dropped connections and "range too large"
 * answers, then the node unreachable for a while as activity continues on chain. The keeper recovers and misses
 * nothing: every position that became liquidatable is liquidated, and its mirror ends equal to the chain.
 */
import { join } from "node:path";
import { expect } from "chai";
import type { JsonRpcSigner } from "ethers";
import { rpcCall } from "../../sdk/chain/rpc";
import { startLocalNode, type LocalNode } from "../support/localChain";
import { stopAllChildren, waitFor } from "../support/processes";
import { startFaultProxy, NO_FAULTS, type FaultProxy } from "./support/faultProxy";
import { startKeeperProcess, type KeeperProcess } from "./support/keeperProcess";
import {
  FIRST_TRADER_ACCOUNT,
  accountPrivateKey,
  deployProtocol,
  fundTraders,
  marketIdOf,
  seedVault,
  setPrice,
  trade,
  usd,
  type TestProtocol,
} from "./support/protocol";

const KEEPER_ACCOUNT = 7;
const FIRST_WAVE = 6;
const SECOND_WAVE = 6;

describe("keeper: RPC faults (process test)", function () {
  this.timeout(300_000);
  let node: LocalNode;
  let protocol: TestProtocol;
  let proxy: FaultProxy;
  let keeper: KeeperProcess;
  let traders: JsonRpcSigner[];

  before(async function () {
    node = await startLocalNode();
    protocol = await deployProtocol(node);
    await seedVault(protocol, "1000000");
    traders = await Promise.all(
      Array.from({ length: FIRST_WAVE + SECOND_WAVE }, (_, i) => node.signer(FIRST_TRADER_ACCOUNT + i)),
    );
    await fundTraders(protocol, traders, "2000");
    proxy = await startFaultProxy(node.url, 12);
    // Small log ranges only, and a steady rate of errors, timeouts and dropped connections from the start.
    proxy.settings = { ...NO_FAULTS, maxLogRange: 8, errorRate: 0.1, timeoutRate: 0.03, dropRate: 0.05 };
    keeper = await startKeeperProcess({
      name: "keeper-faults",
      rpcUrl: proxy.url,
      addressBook: protocol.bookPath,
      privateKey: accountPrivateKey(KEEPER_ACCOUNT),
      checkpoint: join(protocol.dir, "faults.checkpoint.json"),
      extraArgs: [
        "--poll-interval-ms",
        "100",
        "--rpc-timeout-ms",
        "800",
        "--reorg-depth",
        "16",
        "--health-max-silence-seconds",
        "3",
      ],
    });
  });

  afterEach(function () {
    if (this.currentTest?.state === "failed" && keeper) console.log(keeper.child.output().slice(-4_000));
  });

  after(async function () {
    await stopAllChildren();
    await proxy?.close();
    protocol?.cleanup();
  });

  /** Every position of the test's traders in the keeper's mirror equals the chain at its block. */
  async function expectMirrorEqualsChain(): Promise<void> {
    const block = Number(await rpcCall<string>(node.url, "eth_blockNumber", []));
    await keeper.waitForBlock(block, 60_000);
    const view = await keeper.mirror();
    const { engine } = protocol.system;
    const marketId = marketIdOf(protocol, "ETH-USD");
    for (const trader of traders) {
      const account = (await trader.getAddress()).toLowerCase();
      const stored = await engine.getPosition(account, marketId, { blockTag: block });
      const mine = view.positions.find((p) => p.account === account && p.marketId === marketId);
      if (stored.size === 0n) {
        expect(mine).to.equal(undefined);
        continue;
      }
      const [equity, maintenance] = await engine.positionEquity(account, marketId, { blockTag: block });
      expect(BigInt(mine!.size)).to.equal(stored.size);
      expect(BigInt(mine!.equityUsd)).to.equal(equity);
      expect(BigInt(mine!.maintenanceRequirementUsd)).to.equal(maintenance);
    }
  }

  async function liquidatedAll(wave: JsonRpcSigner[]): Promise<void> {
    const { engine } = protocol.system;
    const marketId = marketIdOf(protocol, "ETH-USD");
    await waitFor(
      "every liquidatable position liquidated",
      async () => {
        const flags = await Promise.all(wave.map(async (t) => engine.isLiquidatable(await t.getAddress(), marketId)));
        return flags.every((flag) => !flag);
      },
      90_000,
      500,
    );
  }

  it("liquidates_through_errors_timeouts_dropped_connections_and_refused_log_ranges", async function () {
    const wave = traders.slice(0, FIRST_WAVE);
    const opened = await Promise.all(wave.map((t, i) => trade(protocol, t, "ETH-USD", usd("1"), usd(String(150 + i)))));
    await Promise.all(opened.map((tx) => tx.wait()));
    await expectMirrorEqualsChain();
    await setPrice(protocol, "ETH-USD", "1860");
    await liquidatedAll(wave);
    await expectMirrorEqualsChain();
    expect(proxy.stats.errors + proxy.stats.timeouts + proxy.stats.drops).to.be.greaterThan(0);
    expect(proxy.stats.rangeRefusals, "the backfill met refused ranges").to.be.greaterThan(0);
    expect(keeper.child.output()).to.contain("halving");
    expect(await keeper.metric("keeper_liquidations_failed_total")).to.equal(0);
  });

  it("catches_up_after_the_node_was_unreachable_and_misses_nothing", async function () {
    const wave = traders.slice(FIRST_WAVE);
    proxy.settings = { ...proxy.settings, down: true };
    // While the keeper cannot reach the node, positions open and the price falls under them.
    const opened = await Promise.all(wave.map((t, i) => trade(protocol, t, "ETH-USD", usd("1"), usd(String(150 + i)))));
    await Promise.all(opened.map((tx) => tx.wait()));
    await setPrice(protocol, "ETH-USD", "1700");
    for (let i = 0; i < 20; ++i) await rpcCall(node.url, "evm_mine", []);
    await waitFor("health to fail", async () => (await keeper.health()).status === 503, 60_000, 500);
    proxy.settings = { ...proxy.settings, down: false };
    await liquidatedAll(wave);
    await expectMirrorEqualsChain();
    await waitFor("health to recover", async () => (await keeper.health()).status === 200, 30_000, 500);
    expect(await keeper.metric("keeper_rpc_errors_total", { method: "eth_getBlockByNumber" })).to.be.greaterThan(0);
    expect(await keeper.stop()).to.equal(0);
  });
});
