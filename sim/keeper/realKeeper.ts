/**
 * The project's keeper (keeper/: mirror, liquidation index, executor, nonce manager) driving the simulation,
 * behind the interfaces of sim/keeper/keeperAdapter.ts. It runs in this process: `Keeper.step()` is called for
 * each cycle instead of its polling loop, so the simulator decides when the keeper looks at the chain. It talks
 * JSON-RPC over HTTP to a bridge in front of the simulator's chain (sim/keeper/rpcBridge.ts), which stamps its
 * transactions with the simulated clock and records them for the run log. Its signer is a fixed development key
 * (same run, same keeper address), funded with ETH on the chain.
 *
 * A cycle calls `step()` until a step sends nothing: the keeper acts once per block, and each of its
 * transactions is mined in a block of its own, so the next step sees their effects (a socialized loss can push
 * more positions under; liquidated entries leave the index) and acts again.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { keccak256, toUtf8Bytes, Wallet, type Interface } from "ethers";
import pino from "pino";
import { PerpEngine__factory } from "../../typechain-types";
import { writeAddressBook } from "../../sdk/addressBook";
import { readRawOptions } from "../../keeper/config/cli";
import { validateConfig } from "../../keeper/config/schema";
import { Keeper } from "../../keeper/keeper";
import { ChainSourceError } from "../errors";
import { GAS, type ProtocolCalls } from "../protocol/calls";
import type { SimDeployment } from "../protocol/deployment";
import { ACTOR_ETH_WEI, type SimChain } from "../chain/simChain";
import { MarketOrderFlow } from "./orderFlow";
import { RpcBridge } from "./rpcBridge";
import type { KeeperAdapter, KeeperStepResult, OrderFlow, OrderRequest, OrderSubmission } from "./keeperAdapter";

/** The simulator keeper's private key: a fixed development key, so that the same seed gives the same report. */
export const SIM_KEEPER_PRIVATE_KEY = keccak256(toUtf8Bytes("nbp-perps simulator keeper"));
/** The environment variable the keeper's configuration reads the key from (only in the object passed to it). */
const KEY_ENV = "SIM_KEEPER_PRIVATE_KEY";
/** A file for the keeper's JSON logs (pino), and their level (default info): off unless set. */
const LOG_PATH_ENV = "SIM_KEEPER_LOG";
const LOG_LEVEL_ENV = "SIM_KEEPER_LOG_LEVEL";
/** The keeper checkpoints only when asked: the simulator never restarts it. */
const NEVER_CHECKPOINT_SECONDS = 1_000_000_000;
/** Gas fraction precision the keeper applies (it rounds `--block-gas-fraction` to thousandths). */
const GAS_FRACTION_STEPS = 1_000;
/** The keeper's default share of the block gas limit per transaction. */
const DEFAULT_BLOCK_GAS_FRACTION = 0.8;
/** The keeper's own default market for gas-price conversion; the first market stands in when it is absent. */
const NATIVE_PRICE_MARKET = "ETH-USD";

export interface RealKeeperOptions {
  /** Entries per `liquidateMany` transaction (before the keeper's own gas-based splitting). */
  batchSize: number;
  /** Keeper steps per cycle at most (each step acts on the block its previous step's transactions made). */
  maxRoundsPerStep: number;
}

const engineInterface = PerpEngine__factory.createInterface() as Interface;

export class RealKeeper implements KeeperAdapter, OrderFlow {
  readonly name = "keeper (keeper/, in-process Keeper.step over a JSON-RPC bridge)";
  readonly address = new Wallet(SIM_KEEPER_PRIVATE_KEY).address;
  private readonly orderFlow: MarketOrderFlow;
  private bridge?: RpcBridge;
  private keeper?: Keeper;
  private workDir?: string;

  constructor(
    private readonly chain: SimChain,
    private readonly deployment: SimDeployment,
    calls: ProtocolCalls,
    private readonly options: RealKeeperOptions,
  ) {
    this.orderFlow = new MarketOrderFlow(deployment, calls);
  }

  async start(): Promise<void> {
    const book = this.deployment.addressBook;
    if (!book.periphery) {
      throw new ChainSourceError("the deployment has no periphery.keeperLens, which the keeper reads every block", {
        network: book.network,
      });
    }
    await this.chain.impersonate(this.address, ACTOR_ETH_WEI);
    this.bridge = await RpcBridge.start(this.chain, engineInterface);
    this.workDir = mkdtempSync(join(tmpdir(), "sim-keeper-"));
    const bookPath = writeAddressBook(book, join(this.workDir, "address-book.json"));
    const symbols = this.deployment.markets.map((m) => m.symbol);
    // The keeper sizes batches by a share of the block gas limit, but Osaka chains (EIP-7825) also cap one
    // transaction at 2^24 gas: 80% of Hardhat's 30M block is over it and big batches are refused. Keep its
    // budget under the simulator's per-transaction bound.
    const head = (await this.chain.raw.request({ method: "eth_getBlockByNumber", params: ["latest", false] })) as {
      gasLimit: string;
    };
    const capFraction = Number(GAS.keeperMax) / Number(BigInt(head.gasLimit));
    const blockGasFraction =
      Math.floor(Math.min(DEFAULT_BLOCK_GAS_FRACTION, capFraction) * GAS_FRACTION_STEPS) / GAS_FRACTION_STEPS;
    const argv = [
      "--address-book",
      bookPath,
      "--rpc-url",
      this.bridge.url,
      "--private-key-env",
      KEY_ENV,
      "--checkpoint",
      join(this.workDir, "checkpoint.json"),
      "--checkpoint-interval-seconds",
      String(NEVER_CHECKPOINT_SECONDS),
      "--batch-size",
      String(this.options.batchSize),
      "--block-gas-fraction",
      String(blockGasFraction),
      // Every liquidation is sent whatever it earns, and for real (a fork's chain id would default to dry-run).
      "--protocol-safety",
      "--no-dry-run",
      "--native-price-market",
      symbols.includes(NATIVE_PRICE_MARKET) ? NATIVE_PRICE_MARKET : symbols[0],
    ];
    const config = validateConfig(readRawOptions(argv, { [KEY_ENV]: SIM_KEEPER_PRIVATE_KEY }));
    // Its logs would break the progress bar: silent unless SIM_KEEPER_LOG names a file (what it sent and how each
    // transaction ended is in the run log anyway).
    const logPath = process.env[LOG_PATH_ENV];
    const log = logPath
      ? pino({ level: process.env[LOG_LEVEL_ENV] ?? "info" }, pino.destination({ dest: logPath, sync: true }))
      : pino({ level: "silent" });
    this.keeper = new Keeper(config, new Wallet(SIM_KEEPER_PRIVATE_KEY), log);
  }

  async processBlock(): Promise<KeeperStepResult> {
    const keeper = this.keeper;
    const bridge = this.bridge;
    if (!keeper || !bridge) throw new ChainSourceError("the keeper was not started");
    const transactions: KeeperStepResult["transactions"] = [];
    let liquidationsAttempted = 0;
    let vaultProtectionCalls = 0;
    let ordersProcessed = 0;
    for (let round = 0; round < this.options.maxRoundsPerStep; round++) {
      await keeper.step();
      const sent = bridge.takeRecorded();
      if (sent.length === 0) break;
      for (const tx of sent) {
        transactions.push({ kind: tx.kind, outcome: tx.outcome });
        if (tx.kind === "liquidateMany") {
          const [accounts] = engineInterface.decodeFunctionData("liquidateMany", tx.data);
          liquidationsAttempted += (accounts as string[]).length;
        } else if (tx.kind === "deleverageVault") vaultProtectionCalls++;
        else if (tx.kind === "executeOrder" || tx.kind === "cancelOrder") ordersProcessed++;
      }
    }
    return { transactions, liquidationsAttempted, vaultProtectionCalls, ordersProcessed };
  }

  async stop(): Promise<void> {
    await this.bridge?.stop();
    if (this.workDir) rmSync(this.workDir, { recursive: true, force: true });
    this.bridge = undefined;
    this.keeper = undefined;
  }

  submitOrder(order: OrderRequest): Promise<OrderSubmission> {
    return this.orderFlow.submitOrder(order);
  }
}
