/**
 * The keeper as a real process against a real `hardhat node` mining a block every second: a price drop makes 50
 * positions liquidatable and every one is liquidated within 2 blocks of the price update; SIGTERM then exits 0
 * with a checkpoint written.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { expect } from "chai";
import type { JsonRpcSigner } from "ethers";
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
  setPrice,
  trade,
  usd,
  type TestProtocol,
} from "./support/protocol";

const POSITIONS = 50;
const KEEPER_ACCOUNT = 1;
const BLOCK_INTERVAL_MS = 1_000;

describe("keeper: liquidations (process test)", function () {
  this.timeout(240_000);
  let node: LocalNode;
  let protocol: TestProtocol;
  let keeper: KeeperProcess;
  let traders: JsonRpcSigner[];

  before(async function () {
    node = await startLocalNode();
    protocol = await deployProtocol(node);
    await seedVault(protocol, "2000000");
    traders = await Promise.all(Array.from({ length: POSITIONS }, (_, i) => node.signer(FIRST_TRADER_ACCOUNT + i)));
    await fundTraders(protocol, traders, "1000");
    // 1 ETH long each at $2,000 with $150–$174.5 margin: at $1,860 every one is below maintenance ($48.5) but
    // still solvent, so each liquidation pays its keeper from the position's own margin.
    const opened = await Promise.all(
      traders.map((trader, i) => trade(protocol, trader, "ETH-USD", usd("1"), usd(String(150 + i / 2)))),
    );
    await Promise.all(opened.map((tx) => tx.wait()));
    keeper = await startKeeperProcess({
      rpcUrl: node.url,
      addressBook: protocol.bookPath,
      privateKey: accountPrivateKey(KEEPER_ACCOUNT),
      checkpoint: join(protocol.dir, "keeper.checkpoint.json"),
      env: { KEEPER_LOG_LEVEL: process.env.KEEPER_TEST_LOG_LEVEL ?? "info" },
    });
    await keeper.waitForBlock(await node.provider.getBlockNumber());
  });

  afterEach(function () {
    if (this.currentTest?.state === "failed" && keeper) console.log(keeper.child.output().slice(-6_000));
  });

  after(async function () {
    await stopAllChildren();
    protocol?.cleanup();
  });

  it("liquidates_every_position_within_2_blocks_of_the_price_update", async function () {
    const { engine } = protocol.system;
    const marketId = marketIdOf(protocol, "ETH-USD");
    expect((await keeper.mirror()).positions).to.have.length(POSITIONS);
    await node.setIntervalMining(BLOCK_INTERVAL_MS);
    const priceBlock = await setPrice(protocol, "ETH-USD", "1860");
    const accounts = await Promise.all(traders.map((t) => t.getAddress()));
    await waitFor(
      "every position liquidated",
      async () => (await engine.queryFilter(engine.filters.Liquidated(), priceBlock, "latest")).length >= POSITIONS,
      30_000,
      250,
    );
    const events = await engine.queryFilter(engine.filters.Liquidated(), priceBlock, "latest");
    expect(new Set(events.map((e) => e.args.account.toLowerCase()))).to.have.property("size", POSITIONS);
    // Partial liquidations leave healthy remainders: nothing is liquidatable any more.
    for (const account of accounts) expect(await engine.isLiquidatable(account, marketId)).to.equal(false);
    const keeperAddress = (await node.signer(KEEPER_ACCOUNT)).address.toLowerCase();
    for (const event of events) {
      expect(event.args.keeper.toLowerCase()).to.equal(keeperAddress);
      expect(
        event.blockNumber - priceBlock,
        `liquidated in block ${event.blockNumber}, price in ${priceBlock}`,
      ).to.be.at.most(2);
    }
    await waitFor(
      "success metric",
      async () => (await keeper.metric("keeper_liquidations_succeeded_total")) === POSITIONS,
      10_000,
    );
    expect(await keeper.metric("keeper_liquidations_failed_total")).to.equal(0);
    expect(await keeper.metric("keeper_rewards_usd_total", { kind: "liquidation" })).to.be.greaterThan(2 * POSITIONS);
    const health = await keeper.health();
    expect(health.status, JSON.stringify(health.body)).to.equal(200);
  });

  it("exits_0_on_sigterm_and_writes_its_checkpoint", async function () {
    const code = await keeper.stop("SIGTERM");
    expect(code, keeper.child.output().slice(-2_000)).to.equal(0);
    expect(existsSync(join(protocol.dir, "keeper.checkpoint.json"))).to.equal(true);
  });
});
