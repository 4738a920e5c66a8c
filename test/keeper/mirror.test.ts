/**
 * The mirror is exact: a random sequence of trades, margin moves, funding time, price moves and gaps, partial and
 * bankrupt liquidations (with ADL and socialized loss when they happen) runs against a real `hardhat node`, and
 * after every block each position's equity and maintenance requirement computed by the keeper (a child process,
 * dry-run) with the SDK equal `positionEquity` on chain at that block to the wei. Then a reorg (snapshot, mine,
 * revert, mine other blocks) is rolled back, and a restart resumes from the checkpoint without a re-scan.
 */
import { join } from "node:path";
import { expect } from "chai";
import { MaxUint256, type JsonRpcSigner } from "ethers";
import { rpcCall } from "../../sdk/chain/rpc";
import { startLocalNode, type LocalNode } from "../support/localChain";
import { stopAllChildren } from "../support/processes";
import { startKeeperProcess, type KeeperProcess } from "./support/keeperProcess";
import {
  FIRST_TRADER_ACCOUNT,
  accountPrivateKey,
  deployProtocol,
  fundTraders,
  marketIdOf,
  seedVault,
  setPrice,
  usd,
  type TestProtocol,
} from "./support/protocol";

/** Random-sequence traders; the scripted waterfall, the reorg and the restart use their own accounts after them. */
const TRADERS = 8;
const SCRIPTED_ACCOUNTS = 5;
const REORG_ACCOUNTS = 7;
const STEPS = Number(process.env.KEEPER_MIRROR_STEPS ?? 30);
const SEED = Number(process.env.KEEPER_MIRROR_SEED ?? 20261202);
const KEEPER_ACCOUNT = 2;
const LIQUIDATOR_ACCOUNT = 3;
const SYMBOLS = ["ETH-USD", "BTC-USD"] as const;
/** A small seeded generator (mulberry32): the sequence is reproducible from KEEPER_MIRROR_SEED. */
class SeededRandom {
  constructor(private state: number) {}
  private next(): number {
    this.state = (this.state + 0x6d2b79f5) | 0;
    let t = Math.imul(this.state ^ (this.state >>> 15), 1 | this.state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  }
  nextInt(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }
  nextBoolean(): boolean {
    return this.next() < 0.5;
  }
}

const BASE_PRICES: Record<(typeof SYMBOLS)[number], number> = { "ETH-USD": 2_000, "BTC-USD": 60_000 };

describe("keeper: the mirror equals the chain (process test)", function () {
  this.timeout(600_000);
  let node: LocalNode;
  let protocol: TestProtocol;
  let keeper: KeeperProcess;
  let traders: JsonRpcSigner[];
  let scripted: JsonRpcSigner[];
  let reorgTraders: JsonRpcSigner[];
  let accounts: string[];
  const prices: Record<string, number> = { ...BASE_PRICES };
  const checkpoint = () => join(protocol.dir, "mirror.checkpoint.json");

  const startKeeper = () =>
    startKeeperProcess({
      name: "keeper-mirror",
      rpcUrl: node.url,
      addressBook: protocol.bookPath,
      privateKey: accountPrivateKey(KEEPER_ACCOUNT),
      checkpoint: checkpoint(),
      extraArgs: ["--dry-run", "--poll-interval-ms", "50", "--reorg-depth", "32", "--checkpoint-interval-seconds", "1"],
    });

  /** Every position (and every empty slot) of the mirror equals the chain at the keeper's block, to the wei. */
  async function expectMirrorEqualsChain(): Promise<number> {
    // Straight from the node: ethers caches eth_blockNumber for a moment.
    const block = Number(await rpcCall<string>(node.url, "eth_blockNumber", []));
    await keeper.waitForBlock(block);
    const view = await keeper.mirror();
    expect(view.snapshotBlock).to.equal(block);
    const { engine } = protocol.system;
    const mirrored = new Map(view.positions.map((p) => [`${p.marketId}:${p.account}`, p]));
    let compared = 0;
    for (const symbol of SYMBOLS) {
      const marketId = marketIdOf(protocol, symbol);
      for (const account of accounts) {
        const stored = await engine.getPosition(account, marketId, { blockTag: block });
        const mine = mirrored.get(`${marketId}:${account.toLowerCase()}`);
        if (stored.size === 0n) {
          expect(mine, `${symbol} ${account} should be empty`).to.equal(undefined);
          continue;
        }
        expect(mine, `${symbol} ${account} missing in the mirror at block ${block}`).to.not.equal(undefined);
        const [equity, maintenance] = await engine.positionEquity(account, marketId, { blockTag: block });
        const where = `${symbol} ${account} at block ${block}`;
        expect(BigInt(mine!.size), `size ${where}`).to.equal(stored.size);
        expect(BigInt(mine!.marginUsd), `margin ${where}`).to.equal(stored.marginUsd);
        expect(BigInt(mine!.entryPriceWad), `entry ${where}`).to.equal(stored.entryPriceWad);
        expect(BigInt(mine!.fundingIndexSnapshotWad), `funding snapshot ${where}`).to.equal(
          stored.fundingIndexSnapshotWad,
        );
        expect(BigInt(mine!.lossIndexSnapshotWad), `loss snapshot ${where}`).to.equal(stored.lossIndexSnapshotWad);
        expect(BigInt(mine!.equityUsd), `equity ${where}`).to.equal(equity);
        expect(BigInt(mine!.maintenanceRequirementUsd), `maintenance ${where}`).to.equal(maintenance);
        compared += 1;
      }
    }
    return compared;
  }

  before(async function () {
    node = await startLocalNode();
    protocol = await deployProtocol(node);
    await seedVault(protocol, "3000000");
    const all = await Promise.all(
      Array.from({ length: TRADERS + SCRIPTED_ACCOUNTS + REORG_ACCOUNTS }, (_, i) =>
        node.signer(FIRST_TRADER_ACCOUNT + i),
      ),
    );
    traders = all.slice(0, TRADERS);
    scripted = all.slice(TRADERS, TRADERS + SCRIPTED_ACCOUNTS);
    reorgTraders = all.slice(TRADERS + SCRIPTED_ACCOUNTS);
    accounts = await Promise.all(all.map((t) => t.getAddress()));
    await fundTraders(protocol, all, "200000");
    keeper = await startKeeper();
  });

  afterEach(function () {
    if (this.currentTest?.state === "failed" && keeper) console.log(keeper.child.output().slice(-4_000));
  });

  after(async function () {
    await stopAllChildren();
    protocol?.cleanup();
  });

  /** One random action; reverts are part of the sequence (they mine nothing). */
  async function act(rng: SeededRandom): Promise<void> {
    const { engine } = protocol.system;
    const trader = traders[rng.nextInt(0, TRADERS - 1)];
    const symbol = SYMBOLS[rng.nextInt(0, 1)];
    const marketId = marketIdOf(protocol, symbol);
    const unit = symbol === "ETH-USD" ? 1 : 1 / 30;
    const choice = rng.nextInt(0, 99);
    const send = async (tx: Promise<{ wait(): Promise<unknown> }>) => {
      try {
        await (await tx).wait();
      } catch {
        /* a rejected action is part of the sequence */
      }
    };
    if (choice < 40) {
      const size = usd(((rng.nextInt(1, 40) / 4) * unit * (rng.nextBoolean() ? 1 : -1)).toFixed(6));
      const margin = usd(String(rng.nextInt(150, 3_000)));
      await send(engine.connect(trader).modifyPosition(marketId, size, margin, size > 0n ? MaxUint256 : 0n));
    } else if (choice < 50) {
      await send(
        engine
          .connect(trader)
          .closePosition(
            marketId,
            (await engine.getPosition(await trader.getAddress(), marketId)).size > 0n ? 0n : MaxUint256,
          ),
      );
    } else if (choice < 58) {
      const delta = usd(String(rng.nextInt(10, 300))) * (rng.nextBoolean() ? 1n : -1n);
      await send(engine.connect(trader).modifyPosition(marketId, 0n, delta, 0n));
    } else if (choice < 68) {
      await rpcCall(node.url, "evm_increaseTime", [rng.nextInt(60, 3 * 86_400)]);
      // Feeds go stale after an hour: refresh both at their current price (mines blocks).
      for (const s of SYMBOLS) await setPrice(protocol, s, prices[s].toFixed(2));
    } else if (choice < 85) {
      const move = rng.nextInt(0, 9) === 0 ? 0.7 + rng.nextInt(0, 20) / 100 : 0.96 + rng.nextInt(0, 8) / 100;
      prices[symbol] = Math.max(1, prices[symbol] * move);
      await setPrice(protocol, symbol, prices[symbol].toFixed(2));
    } else {
      // Liquidate whatever is liquidatable (partial, full, bankrupt with ADL or socialized loss).
      const liquidator = await node.signer(LIQUIDATOR_ACCOUNT);
      for (const account of accounts) {
        if (await engine.isLiquidatable(account, marketId))
          await send(engine.connect(liquidator).liquidate(account, marketId));
      }
    }
  }

  it("stays_exact_through_a_partial_liquidation_adl_and_a_socialized_loss", async function () {
    const { engine } = protocol.system;
    const eth = marketIdOf(protocol, "ETH-USD");
    const btc = marketIdOf(protocol, "BTC-USD");
    const liquidator = await node.signer(LIQUIDATOR_ACCOUNT);
    const [bankrupt, partial, adlShort, btcHolder, lateShort] = scripted;
    await expectMirrorEqualsChain();
    const open = async (trader: JsonRpcSigner, marketId: string, size: string, margin: string) =>
      (
        await engine.connect(trader).modifyPosition(marketId, usd(size), usd(margin), usd(size) > 0n ? MaxUint256 : 0n)
      ).wait();
    await open(bankrupt, eth, "10", "1100");
    await open(partial, eth, "1", "150");
    await open(adlShort, eth, "-3", "1000");
    await open(btcHolder, btc, "0.05", "600");
    await expectMirrorEqualsChain();

    // A price where the 1-ETH long's equity is 90% of its maintenance requirement: partially liquidated, a
    // healthy remainder stays open. equity = margin + (P − entry), requirement = 2.5%·P + $2.
    const stored = await engine.getPosition(await partial.getAddress(), eth);
    const toUsd = (wad: bigint) => Number(wad) / 1e18;
    const partialPrice = (toUsd(stored.entryPriceWad) - toUsd(stored.marginUsd) + 0.9 * 2) / (1 - 0.9 * 0.025);
    await setPrice(protocol, "ETH-USD", partialPrice.toFixed(2));
    await (await engine.connect(liquidator).liquidate(await partial.getAddress(), eth)).wait();
    expect((await engine.getPosition(await partial.getAddress(), eth)).size).to.be.greaterThan(0n);
    await expectMirrorEqualsChain();

    // A short entered at $1,800, below the bankrupt long's bankruptcy price (~$1,890): ADL skips it, and it stays
    // open on the opposite side to be charged.
    await setPrice(protocol, "ETH-USD", "1800");
    await open(lateShort, eth, "-1", "400");
    // BTC's feed goes stale, ETH gaps to $1,700: the 10-ETH long is bankrupt; the fund is short, the profitable
    // short is deleveraged (ADL) and, with BTC unpriced, the vault absorbs nothing: the rest is socialized.
    await rpcCall(node.url, "evm_increaseTime", [3_700]);
    await setPrice(protocol, "ETH-USD", "1700");
    const receipt = await (await engine.connect(liquidator).liquidate(await bankrupt.getAddress(), eth)).wait();
    const liquidated = receipt!.logs
      .map((log) => engine.interface.parseLog(log))
      .find((e) => e?.name === "Liquidated")!;
    await setPrice(protocol, "BTC-USD", "60000");
    expect(liquidated.args.adlPaidUsd, "ADL placed part of the deficit").to.be.greaterThan(0n);
    const split = liquidated.args.toObject();
    expect(
      liquidated.args.socializedUsd,
      `a loss was socialized: ${JSON.stringify(split, (_k, v) => (typeof v === "bigint" ? v.toString() : v))}`,
    ).to.be.greaterThan(0n);
    await expectMirrorEqualsChain();
    // The charged short owes its share (here more than its margin): its equity on chain counts it, so does the mirror.
    prices["ETH-USD"] = 1_700;
  });

  it("equals_positionEquity_to_the_wei_after_every_block_of_a_random_sequence", async function () {
    const rng = new SeededRandom(SEED);
    let compared = 0;
    for (let step = 0; step < STEPS; ++step) {
      await act(rng);
      compared += await expectMirrorEqualsChain();
    }
    const { engine } = protocol.system;
    const liquidations = await engine.queryFilter(engine.filters.Liquidated(), 0, "latest");
    console.log(
      `      ${STEPS} steps, ${compared} position comparisons, ${liquidations.length} liquidations, ` +
        `${(await engine.queryFilter(engine.filters.Deleveraged(), 0, "latest")).length} ADL closes, ` +
        `${(await engine.queryFilter(engine.filters.LossSocialized(), 0, "latest")).length} socializations`,
    );
    expect(compared).to.be.greaterThan(0);
  });

  it("rolls_back_a_reorg_and_ends_equal_to_the_chain", async function () {
    const { engine } = protocol.system;
    const marketId = marketIdOf(protocol, "ETH-USD");
    const snapshotId = await rpcCall<string>(node.url, "evm_snapshot", []);
    // Branch A: three trades the keeper follows...
    for (let i = 0; i < 3; ++i) {
      await (await engine.connect(reorgTraders[i]).modifyPosition(marketId, usd("2"), usd("1000"), MaxUint256)).wait();
    }
    await expectMirrorEqualsChain();
    const reorgsBefore = await keeper.metric("keeper_reorgs_total");
    // ...then dropped for branch B: other trades, one block more.
    expect(await rpcCall<boolean>(node.url, "evm_revert", [snapshotId])).to.equal(true);
    for (let i = 3; i < 7; ++i) {
      await (await engine.connect(reorgTraders[i]).modifyPosition(marketId, usd("-1"), usd("800"), 0n)).wait();
    }
    await expectMirrorEqualsChain();
    expect(await keeper.metric("keeper_reorgs_total")).to.be.greaterThan(reorgsBefore);
  });

  it("restarts_from_its_checkpoint_without_a_rescan_and_catches_up", async function () {
    const { engine } = protocol.system;
    const marketId = marketIdOf(protocol, "BTC-USD");
    expect(await keeper.stop("SIGTERM")).to.equal(0);
    // Calm, fresh prices first (the random sequence may have left a market volatile or stale).
    for (let round = 0; round < 2; ++round) {
      await rpcCall(node.url, "evm_increaseTime", [400]);
      for (const s of SYMBOLS) await setPrice(protocol, s, prices[s].toFixed(2));
    }
    // While it is down: more activity.
    for (let i = 0; i < 4; ++i) {
      await (
        await engine.connect(reorgTraders[i]).modifyPosition(marketId, usd("0.05"), usd("900"), MaxUint256)
      ).wait();
    }
    keeper = await startKeeper();
    await expectMirrorEqualsChain();
    const output = keeper.child.output();
    expect(output).to.contain("checkpoint loaded");
    // Resumed from the checkpoint's block: no backfill from the start block.
    expect(output).to.not.match(/"from":0,/);
  });
});
