/**
 * Operating the keeper as a process: a bad configuration exits 2 with one clear line; dry-run sends nothing; two
 * keepers racing liquidate each position once and leave no failed or pending transaction.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { expect } from "chai";
import type { JsonRpcSigner } from "ethers";
import { rpcCall } from "../../sdk/chain/rpc";
import { startLocalNode, type LocalNode } from "../support/localChain";
import { stopAllChildren, waitFor } from "../support/processes";
import { spawnKeeper, startKeeperProcess, type KeeperProcess } from "./support/keeperProcess";
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

const CONFIG_ERROR_EXIT_CODE = 2;
const POSITIONS = 12;
const DRY_RUN_KEEPER = 4;
const RACING_KEEPERS = [5, 6];

async function runToExit(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number | null; output: string }> {
  const child = spawnKeeper("keeper-config", args, env);
  const code = await child.exited;
  return { code, output: child.output() };
}

describe("keeper: operations (process tests)", function () {
  this.timeout(300_000);

  after(async function () {
    await stopAllChildren();
  });

  describe("bad configuration", function () {
    it("exits_2_with_one_line_for_an_unknown_network", async function () {
      const { code, output } = await runToExit(["--network", "no-such-network"]);
      expect(code).to.equal(CONFIG_ERROR_EXIT_CODE);
      expect(output.trim().split("\n")).to.have.length(1);
      expect(output).to.match(/keeper: bad configuration: address book not found/);
    });

    it("exits_2_for_an_invalid_value_naming_the_flag", async function () {
      const { code, output } = await runToExit(["--network", "localhost", "--poll-interval-ms", "soon"]);
      expect(code).to.equal(CONFIG_ERROR_EXIT_CODE);
      expect(output).to.match(/bad configuration: --poll-interval-ms: /);
    });

    it("exits_2_without_a_signer_and_never_prints_a_key", async function () {
      const dir = join(__dirname, "..", "..", "keeper-data");
      const { mkdirSync } = await import("node:fs");
      mkdirSync(dir, { recursive: true });
      const book = join(dir, "config-test-book.json");
      writeFileSync(
        book,
        JSON.stringify({
          network: "localhost",
          chainId: 31337,
          startBlock: 0,
          collateral: { address: `0x${"1".repeat(40)}`, symbol: "USDC", decimals: 6 },
          engine: `0x${"2".repeat(40)}`,
          vault: `0x${"3".repeat(40)}`,
          governance: { timelock: `0x${"4".repeat(40)}`, guardian: `0x${"5".repeat(40)}`, timelockMinDelaySeconds: 0 },
          markets: [
            {
              symbol: "ETH-USD",
              marketId: `0x${"6".repeat(64)}`,
              oracleAdapter: `0x${"7".repeat(40)}`,
              priceFeed: `0x${"8".repeat(40)}`,
              priceFeedDecimals: 8,
            },
          ],
          periphery: { keeperLens: `0x${"9".repeat(40)}` },
        }),
      );
      const missing = await runToExit(["--address-book", book], { KEEPER_PRIVATE_KEY: "" });
      expect(missing.code).to.equal(CONFIG_ERROR_EXIT_CODE);
      expect(missing.output).to.match(/no signer: set KEEPER_PRIVATE_KEY/);
      const badKey = await runToExit(["--address-book", book], { KEEPER_PRIVATE_KEY: "0xnot-a-key-0123" });
      expect(badKey.code).to.equal(CONFIG_ERROR_EXIT_CODE);
      expect(badKey.output).to.not.contain("0xnot-a-key-0123");
    });
  });

  describe("on a chain", function () {
    let node: LocalNode;
    let protocol: TestProtocol;
    let traders: JsonRpcSigner[];
    const keepers: KeeperProcess[] = [];

    before(async function () {
      node = await startLocalNode();
      protocol = await deployProtocol(node);
      await seedVault(protocol, "1000000");
      traders = await Promise.all(Array.from({ length: POSITIONS }, (_, i) => node.signer(FIRST_TRADER_ACCOUNT + i)));
      await fundTraders(protocol, traders, "1000");
      const opened = await Promise.all(
        traders.map((t, i) => trade(protocol, t, "ETH-USD", usd("1"), usd(String(150 + i)))),
      );
      await Promise.all(opened.map((tx) => tx.wait()));
    });

    afterEach(function () {
      if (this.currentTest?.state === "failed") for (const k of keepers) console.log(k.child.output().slice(-3_000));
    });

    after(async function () {
      await stopAllChildren();
      protocol?.cleanup();
    });

    const start = (account: number, extraArgs: string[]) =>
      startKeeperProcess({
        name: `keeper-${account}`,
        rpcUrl: node.url,
        addressBook: protocol.bookPath,
        privateKey: accountPrivateKey(account),
        checkpoint: join(protocol.dir, `keeper-${account}.json`),
        extraArgs: ["--poll-interval-ms", "100", ...extraArgs],
      });

    it("sends_nothing_in_dry_run", async function () {
      const keeper = await start(DRY_RUN_KEEPER, ["--dry-run"]);
      keepers.push(keeper);
      await setPrice(protocol, "ETH-USD", "1860");
      const block = Number(await rpcCall<string>(node.url, "eth_blockNumber", []));
      await keeper.waitForBlock(block);
      await waitFor(
        "dry-run decision",
        async () => (await keeper.metric("keeper_liquidations_skipped_total", { reason: "dry-run" })) > 0,
        20_000,
      );
      expect(await keeper.metric("keeper_dry_run")).to.equal(1);
      expect(await keeper.metric("keeper_liquidations_sent_total")).to.equal(0);
      const address = (await node.signer(DRY_RUN_KEEPER)).address;
      expect(await node.provider.getTransactionCount(address, "pending")).to.equal(0);
      expect(keeper.child.output()).to.contain("dry-run: would liquidate");
      expect(await keeper.stop()).to.equal(0);
    });

    it("liquidates_each_position_once_when_two_keepers_race_and_leaves_nothing_failed_or_pending", async function () {
      const { engine } = protocol.system;
      const marketId = marketIdOf(protocol, "ETH-USD");
      const accounts = await Promise.all(traders.map((t) => t.getAddress()));
      const liquidatable = (await Promise.all(accounts.map((a) => engine.isLiquidatable(a, marketId)))).filter(
        Boolean,
      ).length;
      expect(liquidatable).to.be.greaterThan(0);
      const fromBlock = Number(await rpcCall<string>(node.url, "eth_blockNumber", []));
      // Both start on the same state and see the same blocks: they race for every position.
      await node.setIntervalMining(1_000);
      const racing = await Promise.all(RACING_KEEPERS.map((account) => start(account, [])));
      keepers.push(...racing);
      await waitFor(
        "every liquidatable position liquidated",
        async () => (await Promise.all(accounts.map((a) => engine.isLiquidatable(a, marketId)))).every((l) => !l),
        60_000,
        250,
      );
      const events = await engine.queryFilter(engine.filters.Liquidated(), fromBlock, "latest");
      const perAccount = new Map<string, number>();
      for (const e of events) perAccount.set(e.args.account, (perAccount.get(e.args.account) ?? 0) + 1);
      expect(
        [...perAccount.values()].every((count) => count === 1),
        JSON.stringify([...perAccount]),
      ).to.equal(true);
      expect(perAccount.size).to.equal(liquidatable);
      // Let both keepers see their transactions mined, then check nothing failed or is left pending.
      await new Promise((resolve) => setTimeout(resolve, 4_000));
      for (const [i, keeper] of racing.entries()) {
        const address = (await node.signer(RACING_KEEPERS[i])).address;
        expect(await node.provider.getTransactionCount(address, "pending")).to.equal(
          await node.provider.getTransactionCount(address, "latest"),
        );
        expect(await keeper.metric("keeper_liquidations_failed_total")).to.equal(0);
        expect(await keeper.metric("keeper_transactions_total", { kind: "liquidation", outcome: "reverted" })).to.equal(
          0,
        );
        expect(await keeper.metric("keeper_pending_transactions")).to.equal(0);
      }
      const succeeded = await Promise.all(racing.map((k) => k.metric("keeper_liquidations_succeeded_total")));
      expect(succeeded[0] + succeeded[1]).to.equal(liquidatable);
    });
  });
});
