/**
 * Vault protection by the keeper process: traders hold a net long the vault is short of; the price climbs in steps
 * (each under the deviation breaker) with no trade in between, so the engine's own after-action protection never
 * runs, until the vault's loss in the market is over `vaultLossUpperBps` of its equity. The keeper (its decision is
 * the SDK's mirror of `deleverageVault`) then calls `deleverageVault`, which brings the loss down to the lower
 * threshold. It also raises the insurance-fund-below-target alert.
 */
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

const KEEPER_ACCOUNT = 9;
const TRADERS = 3;
/** A small vault, so a few traders' gains are a large share of it (its exposure cap is 50% of its equity). */
const VAULT_USD = "20000";
/** 3 × 1.5 ETH long at $2,000: the vault is short 4.5 ETH ($9,000, under its cap). */
const SIZE_ETH = "1.5";
/** Each step is under the 25% deviation breaker; at $3,400 the vault has lost ~$6,300 of ~$13,700 (over 30%). */
const PRICE_STEPS = ["2400", "2880", "3400"];

describe("keeper: vault protection (process test)", function () {
  this.timeout(240_000);
  let node: LocalNode;
  let protocol: TestProtocol;
  let keeper: KeeperProcess;
  let traders: JsonRpcSigner[];

  before(async function () {
    node = await startLocalNode();
    protocol = await deployProtocol(node);
    await seedVault(protocol, VAULT_USD);
    traders = await Promise.all(Array.from({ length: TRADERS }, (_, i) => node.signer(FIRST_TRADER_ACCOUNT + i)));
    await fundTraders(protocol, traders, "5000");
    for (const trader of traders) await (await trade(protocol, trader, "ETH-USD", usd(SIZE_ETH), usd("1000"))).wait();
    keeper = await startKeeperProcess({
      name: "keeper-vault",
      rpcUrl: node.url,
      addressBook: protocol.bookPath,
      privateKey: accountPrivateKey(KEEPER_ACCOUNT),
      checkpoint: join(protocol.dir, "vault.checkpoint.json"),
    });
  });

  afterEach(function () {
    if (this.currentTest?.state === "failed" && keeper) console.log(keeper.child.output().slice(-4_000));
  });

  after(async function () {
    await stopAllChildren();
    protocol?.cleanup();
  });

  it("deleverages_the_vault_once_its_loss_is_over_the_upper_threshold", async function () {
    const { engine } = protocol.system;
    const marketId = marketIdOf(protocol, "ETH-USD");
    const firstBlock = await node.provider.getBlockNumber();
    for (const price of PRICE_STEPS) await setPrice(protocol, "ETH-USD", price);
    await waitFor(
      "the keeper's deleverageVault",
      async () =>
        (await engine.queryFilter(engine.filters.VaultDeleveraged(marketId), firstBlock, "latest")).length > 0,
      60_000,
      250,
    );
    const [event] = await engine.queryFilter(engine.filters.VaultDeleveraged(marketId), firstBlock, "latest");
    const tx = await node.provider.getTransaction(event.transactionHash);
    expect(tx!.from.toLowerCase()).to.equal((await node.signer(KEEPER_ACCOUNT)).address.toLowerCase());
    expect(event.args.lossBeforeUsd).to.be.greaterThan(event.args.lossAfterUsd);
    expect(event.args.lossAfterUsd).to.be.at.most(event.args.targetUsd);
    const closes = await engine.queryFilter(engine.filters.Deleveraged(undefined, marketId), event.blockNumber);
    expect(closes.length, "profitable longs closed").to.be.greaterThan(0);
    await waitFor(
      "the outcome metric",
      async () => (await keeper.metric("keeper_vault_deleverages_total", { outcome: "succeeded" })) === 1,
      15_000,
    );
    expect(await keeper.metric("keeper_vault_deleverages_total", { outcome: "sent" })).to.equal(1);
    expect(keeper.child.output()).to.contain("ALERT insurance fund below its target");
  });
});
