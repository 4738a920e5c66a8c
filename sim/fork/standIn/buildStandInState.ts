/**
 * `npm run fork:build-stand-in [-- --chain <name>]`: regenerates the offline stand-in state files
 * (sim/fork/standIn/state/<network>.json) the fork tests and `--fork stand-in` load.
 *
 * For each network it starts an empty anvil under the network's stand-in chain id with a fixed genesis time,
 * then, from anvil's first dev account:
 * 1. deploys a `StandInAggregator` per feed (the feed's description, 8 decimals, $0.01 and Chainlink's usual
 *    maximum as clamps) and, on an L2, one for the sequencer-uptime status;
 * 2. puts `StandInAggregatorProxy` code at each real proxy address (`hardhat_setCode`) and initializes it with
 *    that aggregator as phase 1;
 * 3. puts `StandInFiatToken` code at the real USDC address, initializes it (USD Coin, USDC, 6 decimals) and mints
 *    to the network's holder list;
 * 4. on an L2 reports the sequencer up, then lets a week pass;
 * 5. posts a day of hourly rounds per feed (a seeded walk, at most ±0.4% a round), each in its own block at a
 *    fixed time, so the state is the same every time it is built;
 * 6. dumps the state with `anvil_dumpState` (historical states included, so a fork can start at an older
 *    block), writes it as JSON, and checks the file by loading it into a fresh anvil.
 */
import { mkdirSync } from "node:fs";
import { parseUnits, toQuantity, type Interface } from "ethers";
import { Command } from "commander";
import { NETWORKS, networkByName, type NetworkConfig } from "../../../deploy/networks";
import { rpcCall } from "../../../sdk/chain/rpc";
import {
  StandInAggregator__factory,
  StandInAggregatorProxy__factory,
  StandInFiatToken__factory,
} from "../../../typechain-types";
import { startAnvil } from "../anvilProcess";
import { ForkError } from "../forkErrors";
import { runtimeCodeOf } from "../runtimeCode";
import {
  ROUND_INTERVAL_SECONDS,
  SEQUENCER_FEED_DESCRIPTION,
  SEQUENCER_UP_FOR_SECONDS,
  STAND_IN_FEEDS,
  STAND_IN_GENESIS_TIMESTAMP,
  STAND_IN_HISTORY_ROUNDS,
  STAND_IN_HOLDER_BALANCES_USD,
  STAND_IN_STATE_DIR,
  STAND_IN_FEED_DECIMALS,
  STAND_IN_FIRST_ROUND_BLOCK,
  standInAnswers,
  standInStatePath,
} from "./standInSpec";

const READY_TIMEOUT_MS = 30_000;
const RPC_TIMEOUT_MS = 60_000;
/** States of the last blocks kept in the file: a fork may start at any of these blocks (`--block`). */
const KEPT_HISTORICAL_STATES = 4;
/** Key of the uptime aggregator among the feeds' (no market has this symbol). */
const SEQUENCER = "sequencer-uptime";
const DEPLOY_GAS = 3_000_000n;
const CALL_GAS = 500_000n;

const USDC_DECIMALS = 6;

const aggregatorInterface = StandInAggregator__factory.createInterface() as Interface;
const proxyInterface = StandInAggregatorProxy__factory.createInterface() as Interface;
const tokenInterface = StandInFiatToken__factory.createInterface() as Interface;

/** Plain JSON-RPC to the builder's anvil: automine off, transactions queued and mined in blocks at chosen times. */
class Builder {
  private nextTimestamp = STAND_IN_GENESIS_TIMESTAMP + 1;
  private readonly pending: string[] = [];

  constructor(
    private readonly url: string,
    readonly deployer: string,
  ) {}

  static async connect(url: string): Promise<Builder> {
    const [deployer] = await rpcCall<string[]>(url, "eth_accounts", [], RPC_TIMEOUT_MS);
    await rpcCall(url, "evm_setAutomine", [false], RPC_TIMEOUT_MS);
    return new Builder(url, deployer);
  }

  rpc<T>(method: string, params: unknown[] = []): Promise<T> {
    return rpcCall<T>(this.url, method, params, RPC_TIMEOUT_MS);
  }

  /** The next block is mined at `timestamp` or later (never backwards). */
  jumpTo(timestamp: number): void {
    this.nextTimestamp = Math.max(this.nextTimestamp, timestamp);
  }

  /** Queues a transaction from the deployer for the next block. */
  async queue(to: string | null, data: string, gas: bigint): Promise<string> {
    const hash = await this.rpc<string>("eth_sendTransaction", [
      { from: this.deployer, ...(to ? { to } : {}), data, gas: toQuantity(gas) },
    ]);
    this.pending.push(hash);
    return hash;
  }

  /** Mines the queued transactions in one block; every one must succeed. Returns their receipts by hash. */
  async mine(): Promise<Map<string, { contractAddress: string | null }>> {
    await this.rpc("evm_setNextBlockTimestamp", [this.nextTimestamp++]);
    await this.rpc("evm_mine", []);
    const receipts = new Map<string, { contractAddress: string | null }>();
    for (const hash of this.pending.splice(0)) {
      const receipt = await this.rpc<{ status: string; contractAddress: string | null } | null>(
        "eth_getTransactionReceipt",
        [hash],
      );
      if (!receipt) throw new ForkError("stand-in build transaction was not mined", { hash });
      if (Number(receipt.status) !== 1) throw new ForkError("stand-in build transaction reverted", { hash });
      receipts.set(hash, receipt);
    }
    return receipts;
  }

  async setCode(address: string, code: string): Promise<void> {
    await this.rpc("hardhat_setCode", [address, code]);
  }
}

async function queueAggregator(builder: Builder, decimals: number, description: string, min: bigint, max: bigint) {
  const factory = new StandInAggregator__factory();
  const { data } = await factory.getDeployTransaction(builder.deployer, decimals, description, min, max);
  return builder.queue(null, data, DEPLOY_GAS);
}

/** A proxy at `address` (code only, then `initialize`, queued) over `aggregator` as phase 1. */
async function placeProxy(builder: Builder, address: string, aggregator: string): Promise<void> {
  await builder.setCode(address, runtimeCodeOf("fork/standIn/StandInAggregatorProxy.sol", "StandInAggregatorProxy"));
  await builder.queue(
    address,
    proxyInterface.encodeFunctionData("initialize", [builder.deployer, aggregator]),
    CALL_GAS,
  );
}

async function placeToken(builder: Builder, network: NetworkConfig): Promise<void> {
  const token = network.collateral.address;
  await builder.setCode(token, runtimeCodeOf("fork/standIn/StandInFiatToken.sol", "StandInFiatToken"));
  const init = tokenInterface.encodeFunctionData("initialize", ["USD Coin", "USDC", USDC_DECIMALS, builder.deployer]);
  await builder.queue(token, init, CALL_GAS);
  for (const [index, holder] of network.collateralHolders.entries()) {
    const balance = STAND_IN_HOLDER_BALANCES_USD[index];
    if (balance === undefined) break;
    const mint = tokenInterface.encodeFunctionData("mint", [holder.address, parseUnits(balance, USDC_DECIMALS)]);
    await builder.queue(token, mint, CALL_GAS);
  }
}

async function buildState(network: NetworkConfig): Promise<void> {
  const anvil = await startAnvil(
    [
      "--dump-state",
      standInStatePath(network),
      "--chain-id",
      String(network.standInChainId),
      "--timestamp",
      String(STAND_IN_GENESIS_TIMESTAMP),
      "--preserve-historical-states",
      "--prune-history",
      String(KEPT_HISTORICAL_STATES),
      "--silent",
    ],
    `stand-in builder for ${network.name}`,
    READY_TIMEOUT_MS,
    true,
  );
  try {
    const builder = await Builder.connect(anvil.url);
    // Block 1: the aggregators.
    const deployments = new Map<string, string>();
    for (const feed of network.feeds) {
      const spec = STAND_IN_FEEDS.find((candidate) => candidate.symbol === feed.symbol);
      if (!spec) throw new ForkError(`no stand-in prices for ${feed.symbol}`);
      deployments.set(
        feed.symbol,
        await queueAggregator(builder, STAND_IN_FEED_DECIMALS, feed.description, spec.minAnswer, spec.maxAnswer),
      );
    }
    if (network.sequencerUptimeFeed) {
      deployments.set(SEQUENCER, await queueAggregator(builder, 0, SEQUENCER_FEED_DESCRIPTION, 0n, 1n));
    }
    const receipts = await builder.mine();
    const aggregators = new Map([...deployments].map(([key, hash]) => [key, receipts.get(hash)!.contractAddress!]));
    // Block 2: proxies and the token at the real addresses, the holders funded, the sequencer reported up.
    for (const feed of network.feeds) await placeProxy(builder, feed.address, aggregators.get(feed.symbol)!);
    await placeToken(builder, network);
    if (network.sequencerUptimeFeed) {
      const uptime = aggregators.get(SEQUENCER)!;
      await placeProxy(builder, network.sequencerUptimeFeed.address, uptime);
      await builder.queue(uptime, aggregatorInterface.encodeFunctionData("transmit", [0n]), CALL_GAS);
    }
    await builder.mine();
    // Then one block per round of history, every feed in it.
    const historyStart = STAND_IN_GENESIS_TIMESTAMP + SEQUENCER_UP_FOR_SECONDS;
    const walks = new Map(
      STAND_IN_FEEDS.map((spec) => [
        spec.symbol,
        standInAnswers(network.name, spec.symbol, spec.startPriceUsd, STAND_IN_HISTORY_ROUNDS),
      ]),
    );
    for (let round = 0; round < STAND_IN_HISTORY_ROUNDS; round++) {
      for (const feed of network.feeds) {
        const transmit = aggregatorInterface.encodeFunctionData("transmit", [walks.get(feed.symbol)![round]]);
        await builder.queue(aggregators.get(feed.symbol)!, transmit, CALL_GAS);
      }
      builder.jumpTo(historyStart + round * ROUND_INTERVAL_SECONDS);
      await builder.mine();
      const block = Number(await builder.rpc<string>("eth_blockNumber"));
      if (block !== STAND_IN_FIRST_ROUND_BLOCK + round) {
        throw new ForkError("stand-in round landed in an unexpected block", { round, block });
      }
    }
  } finally {
    // anvil writes --dump-state (with the historical states) when it is stopped.
    await anvil.stop();
  }
}

/** Loads the written file into a fresh anvil and checks the chain id and that every address has code. */
async function checkStateFile(network: NetworkConfig): Promise<number> {
  const anvil = await startAnvil(
    ["--load-state", standInStatePath(network), "--chain-id", String(network.standInChainId), "--silent"],
    `check of the ${network.name} stand-in`,
    READY_TIMEOUT_MS,
  );
  try {
    const chainId = Number(await rpcCall(anvil.url, "eth_chainId", [], RPC_TIMEOUT_MS));
    if (chainId !== network.standInChainId) throw new ForkError("stand-in has the wrong chain id", { chainId });
    const addresses = [network.collateral.address, ...network.feeds.map((feed) => feed.address)];
    if (network.sequencerUptimeFeed) addresses.push(network.sequencerUptimeFeed.address);
    for (const address of addresses) {
      const code = await rpcCall<string>(anvil.url, "eth_getCode", [address, "latest"], RPC_TIMEOUT_MS);
      if (code === "0x") throw new ForkError("stand-in state lacks code", { address });
    }
    return Number(await rpcCall(anvil.url, "eth_blockNumber", [], RPC_TIMEOUT_MS));
  } finally {
    await anvil.stop();
  }
}

async function main(argv: string[]): Promise<void> {
  const options = new Command()
    .name("build-stand-in")
    .option("--chain <name>", "only this network (default: all)")
    .parse(argv)
    .opts<{ chain?: string }>();
  const networks = options.chain ? [networkByName(options.chain)] : NETWORKS;
  mkdirSync(STAND_IN_STATE_DIR, { recursive: true });
  for (const network of networks) {
    await buildState(network);
    const path = standInStatePath(network);
    const head = await checkStateFile(network);
    console.log(`${network.name}: chain id ${network.standInChainId}, ${head} blocks → ${path}`);
  }
}

if (require.main === module) {
  main(process.argv).catch((error: unknown) => {
    console.error(error instanceof Error ? `error: ${error.message}` : error);
    process.exit(1);
  });
}
