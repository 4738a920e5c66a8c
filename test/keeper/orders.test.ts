/**
 * Delayed orders (issue 11) executed by the keeper process: 30 orders committed in one block are each executed
 * within 2 blocks of their delay passing, on a node mining a block every second; the execution fees count in the
 * keeper's rewards.
 */
import { join } from "node:path";
import { expect } from "chai";
import { MaxUint256, type JsonRpcSigner } from "ethers";
import { rpcCall } from "../../sdk/chain/rpc";
import { LOCAL_CONFIG, withDelayedOrders } from "../../deploy/config";
import { startLocalNode, type LocalNode } from "../support/localChain";
import { stopAllChildren, waitFor } from "../support/processes";
import { startKeeperProcess, type KeeperProcess } from "./support/keeperProcess";
import {
  FIRST_TRADER_ACCOUNT,
  accountPrivateKey,
  deployProtocol,
  fundTraders,
  marketIdOf,
  seedVault,
  usd,
  type TestProtocol,
} from "./support/protocol";

const ORDERS = 30;
const KEEPER_ACCOUNT = 8;
const DELAY_SECONDS = 5n;
const EXECUTION_FEE_USD = "0.5";

describe("keeper: delayed orders (process test)", function () {
  this.timeout(300_000);
  let node: LocalNode;
  let protocol: TestProtocol;
  let keeper: KeeperProcess;
  let traders: JsonRpcSigner[];

  before(async function () {
    node = await startLocalNode();
    const config = withDelayedOrders(LOCAL_CONFIG, {
      executionDelaySeconds: DELAY_SECONDS,
      orderExpirySeconds: 300n,
      executionFeeUsd: usd(EXECUTION_FEE_USD),
    });
    protocol = await deployProtocol(node, config);
    await seedVault(protocol, "2000000");
    traders = await Promise.all(Array.from({ length: ORDERS }, (_, i) => node.signer(FIRST_TRADER_ACCOUNT + i)));
    await fundTraders(protocol, traders, "1000");
    keeper = await startKeeperProcess({
      name: "keeper-orders",
      rpcUrl: node.url,
      addressBook: protocol.bookPath,
      privateKey: accountPrivateKey(KEEPER_ACCOUNT),
      checkpoint: join(protocol.dir, "orders.checkpoint.json"),
    });
  });

  afterEach(function () {
    if (this.currentTest?.state === "failed" && keeper) console.log(keeper.child.output().slice(-4_000));
  });

  after(async function () {
    await stopAllChildren();
    protocol?.cleanup();
  });

  it("executes_30_orders_committed_in_one_block_within_2_blocks_of_their_delay", async function () {
    const { engine } = protocol.system;
    const marketId = marketIdOf(protocol, "ETH-USD");
    // All 30 commits land in one block: mining paused while they are sent.
    await rpcCall(node.url, "evm_setAutomine", [false]);
    const sent = await Promise.all(
      traders.map((t, i) =>
        engine
          .connect(t)
          .commitOrder(marketId, usd(i % 2 === 0 ? "0.5" : "-0.5"), usd("200"), i % 2 === 0 ? MaxUint256 : 0n),
      ),
    );
    await rpcCall(node.url, "evm_mine", []);
    const receipts = await Promise.all(sent.map((tx) => tx.wait()));
    const commitBlock = receipts[0]!.blockNumber;
    expect(receipts.every((r) => r!.blockNumber === commitBlock)).to.equal(true);
    await node.setIntervalMining(1_000);

    await waitFor(
      "every order executed",
      async () => (await engine.queryFilter(engine.filters.OrderExecuted(), commitBlock, "latest")).length === ORDERS,
      60_000,
      250,
    );
    const executed = await engine.queryFilter(engine.filters.OrderExecuted(), commitBlock, "latest");
    const committed = await engine.queryFilter(engine.filters.OrderCommitted(), commitBlock, commitBlock);
    const executableAt = Number(committed[0].args.executableAt);
    // The first block whose timestamp has passed the delay.
    let firstReady = commitBlock + 1;
    while ((await node.provider.getBlock(firstReady))!.timestamp < executableAt) firstReady += 1;
    const keeperAddress = (await node.signer(KEEPER_ACCOUNT)).address.toLowerCase();
    for (const event of executed) {
      expect(event.args.executor.toLowerCase()).to.equal(keeperAddress);
      expect(
        event.blockNumber - firstReady,
        `executed in ${event.blockNumber}, ready from ${firstReady}`,
      ).to.be.at.most(2);
    }
    await waitFor(
      "order rewards",
      async () => (await keeper.metric("keeper_orders_total", { outcome: "executed" })) === ORDERS,
      15_000,
    );
    expect(await keeper.metric("keeper_rewards_usd_total", { kind: "order" })).to.be.closeTo(
      ORDERS * Number(EXECUTION_FEE_USD),
      1e-9,
    );
  });
});
