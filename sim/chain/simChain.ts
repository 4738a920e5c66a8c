/**
 * The simulator's chain: one connection (in-process Hardhat network, a spawned `hardhat node`, or any
 * JSON-RPC URL such as an anvil fork) with the simulated clock applied to every transaction, whoever sends
 * it (the simulator, the keeper, ethers contracts): each transaction is mined alone, in a block stamped
 * by the clock. Views are always read at an explicit block so that they never depend on the wall clock.
 */
import { BrowserProvider, toQuantity, Transaction } from "ethers";
import { rpcAnswers } from "../../sdk/chain/rpc";
import { ChainSourceError } from "../errors";
import { ChainClock } from "./clock";
import { httpEip1193, type Eip1193, type RequestArguments } from "./eip1193";
import { spawnAnvil, spawnHardhatNode } from "./localNodes";
import { createInProcessChain } from "./inProcessChain";
import { decodeRevertData, revertDataOf, type RevertReason } from "./revertReason";

/** Where the chain comes from. */
export type ChainSourceSpec =
  { kind: "in-process" } | { kind: "node" } | { kind: "anvil" } | { kind: "url"; url: string };

/** A URL must answer `eth_chainId` within this time or the run stops with a clear message. */
export const URL_PROBE_TIMEOUT_MS = 3_000;
/** ETH given to every impersonated actor for gas. */
export const ACTOR_ETH_WEI = 10n ** 21n;

export interface TxRequest {
  from: string;
  to: string;
  data: string;
  /** Always explicit: estimating would execute every transaction twice. */
  gas: bigint;
}

export type TxOutcome =
  | { ok: true; hash: string; timestamp: number }
  | { ok: false; hash?: string; timestamp: number; reason: RevertReason; message: string };

export interface RawLog {
  address: string;
  topics: string[];
  data: string;
  blockNumber: string;
  transactionHash: string;
  logIndex: string;
}

/**
 * Who sets block timestamps: `simulated` (the simulator: each transaction alone in a block stamped by the
 * clock; automine is turned on) or `node` (a live devnet others use too: the node's own mining and time are
 * left alone and the sender waits for each receipt).
 */
export type TimestampMode = "simulated" | "node";

/** How long a `node`-mode sender waits for a receipt (interval mining can take a few seconds). */
export const RECEIPT_TIMEOUT_MS = 60_000;
const RECEIPT_POLL_MS = 5;

/**
 * Told about every transaction just before it is sent (the chain still at its pre-state, `timestamp` the one it
 * will be mined with) and after (its hash, undefined when the node refused it or it reverted).
 */
export interface TransactionObserver {
  beforeSend(tx: { from: string; to: string; data: string; timestamp: number }): Promise<void>;
  afterSend(hash: string | undefined): void;
}

export interface ChainSourceInfo {
  kind: ChainSourceSpec["kind"];
  /** The URL for `node` and `url` sources (the node's own for `node`). */
  url?: string;
  clientVersion: string;
  chainId: number;
}

export class SimChain {
  readonly provider: BrowserProvider;
  /** Transactions sent through this chain (anyone's). */
  transactionCount = 0;
  /** Calls and wall milliseconds per JSON-RPC method (for the speed table). */
  readonly rpcStats = new Map<string, { calls: number; ms: number }>();
  /** Sees every transaction (simulated timestamps only: the node's own are not known in advance). */
  transactionObserver?: TransactionObserver;
  private constructor(
    /** The connection, without the clock. */
    readonly raw: Eip1193,
    readonly clock: ChainClock,
    readonly info: ChainSourceInfo,
    /** Hardhat throws on a reverted transaction (with its data); anvil returns a failed receipt. */
    private readonly revertsThrow: boolean,
    private readonly onClose: () => Promise<void>,
    readonly timestamps: TimestampMode,
  ) {
    const timestamped: Eip1193 = { request: (args) => this.request(args) };
    // cacheTimeout -1: ethers must not serve a cached block number while the simulator mines.
    this.provider = new BrowserProvider(timestamped, undefined, { cacheTimeout: -1, pollingInterval: 50 });
  }

  /** Connects to the source, checks that it answers, turns automine on and starts the clock after its head. */
  static async connect(spec: ChainSourceSpec, timestamps: TimestampMode = "simulated"): Promise<SimChain> {
    let raw: Eip1193;
    let onClose = async () => {};
    let url: string | undefined;
    if (spec.kind === "in-process") {
      raw = await createInProcessChain();
    } else if (spec.kind === "node" || spec.kind === "anvil") {
      const node = spec.kind === "node" ? await spawnHardhatNode() : await spawnAnvil();
      url = node.url;
      raw = httpEip1193(node.url);
      onClose = node.stop;
    } else {
      url = spec.url;
      if (!(await rpcAnswers(spec.url, URL_PROBE_TIMEOUT_MS))) {
        throw new ChainSourceError(`no JSON-RPC answer from ${spec.url} within ${URL_PROBE_TIMEOUT_MS} ms`, {
          url: spec.url,
        });
      }
      raw = httpEip1193(spec.url);
    }
    const clientVersion = String(await raw.request({ method: "web3_clientVersion" }));
    const chainId = Number(await raw.request({ method: "eth_chainId" }));
    if (timestamps === "simulated") await raw.request({ method: "evm_setAutomine", params: [true] });
    const head = (await raw.request({ method: "eth_getBlockByNumber", params: ["latest", false] })) as {
      timestamp: string;
    };
    const clock = new ChainClock(Number(head.timestamp) + 1);
    const revertsThrow = clientVersion.toLowerCase().startsWith("hardhat");
    const chain: SimChain = new SimChain(
      timedEip1193(raw, (method, ms) => chain.countRpc(method, ms)),
      clock,
      { kind: spec.kind, url, clientVersion, chainId },
      revertsThrow,
      onClose,
      timestamps,
    );
    return chain;
  }

  private countRpc(method: string, ms: number): void {
    const entry = this.rpcStats.get(method) ?? { calls: 0, ms: 0 };
    entry.calls++;
    entry.ms += ms;
    this.rpcStats.set(method, entry);
  }

  /** Every request; transactions get the clock's next timestamp first. */
  async request(args: RequestArguments): Promise<unknown> {
    const isSend = args.method === "eth_sendTransaction" || args.method === "eth_sendRawTransaction";
    if (!isSend) return this.raw.request(args);
    this.transactionCount++;
    const observer = this.timestamps === "simulated" ? this.transactionObserver : undefined;
    if (observer) await observer.beforeSend({ ...transactionOf(args), timestamp: this.clock.peek() });
    if (this.timestamps === "simulated")
      await this.raw.request({ method: "evm_setNextBlockTimestamp", params: [this.clock.take()] });
    let hash: string | undefined;
    try {
      const result = await this.raw.request(args);
      hash = String(result);
      return result;
    } finally {
      observer?.afterSend(hash);
    }
  }

  /** Sends one transaction from an unlocked or impersonated account and reports how it ended. */
  async sendTransaction(tx: TxRequest): Promise<TxOutcome> {
    const timestamp = this.clock.peek();
    const params = [{ from: tx.from, to: tx.to, data: tx.data, gas: toQuantity(tx.gas) }];
    let hash: string;
    try {
      hash = String(await this.request({ method: "eth_sendTransaction", params }));
    } catch (error) {
      const data = revertDataOf(error);
      if (data === undefined && !isRevertMessage(error)) throw error;
      return { ok: false, timestamp, reason: decodeRevertData(data ?? "0x"), message: (error as Error).message };
    }
    return this.settle(hash, params[0], timestamp);
  }

  /**
   * How a sent transaction ended: at once on the in-process network (a revert already threw), otherwise once its
   * receipt is there (anvil answers a send before it has mined); a failed one is replayed on its parent block for
   * its revert data. `call` is the transaction as an `eth_call` (from, to, data).
   */
  async settle(hash: string, call: { from: string; to: string; data: string }, timestamp: number): Promise<TxOutcome> {
    if (this.revertsThrow && this.timestamps === "simulated") return { ok: true, hash, timestamp };
    const receipt = await this.receipt(hash);
    if (Number(receipt.status) === 1) return { ok: true, hash, timestamp };
    // Mined alone in its block: replaying it on the parent block reproduces its revert.
    const parent = toQuantity(Number(receipt.blockNumber) - 1);
    let data = "0x";
    try {
      await this.raw.request({ method: "eth_call", params: [call, parent] });
    } catch (error) {
      data = revertDataOf(error) ?? "0x";
    }
    return { ok: false, hash, timestamp, reason: decodeRevertData(data), message: "reverted" };
  }

  /** The receipt of `hash`, polled (anvil answers before it has mined; interval mining takes seconds). */
  private async receipt(hash: string): Promise<{ status: string; blockNumber: string }> {
    const deadline = Date.now() + RECEIPT_TIMEOUT_MS;
    for (;;) {
      const receipt = (await this.raw.request({ method: "eth_getTransactionReceipt", params: [hash] })) as {
        status: string;
        blockNumber: string;
      } | null;
      if (receipt) return receipt;
      if (Date.now() >= deadline) throw new ChainSourceError("transaction not mined in time", { hash });
      await new Promise((resolve) => setTimeout(resolve, RECEIPT_POLL_MS));
    }
  }

  /**
   * The earliest timestamp the next transaction can get: the clock's next stamp in `simulated` mode; in `node`
   * mode a lower bound (one second after the head, and not before the wall clock).
   */
  async nextTimestamp(): Promise<number> {
    if (this.timestamps === "simulated") return this.clock.peek();
    const head = await this.blockTimestamp(await this.blockNumber());
    return Math.max(head + 1, Math.floor(Date.now() / 1_000));
  }

  /** Mines an empty block at the clock's next stamp, so that everyone watching the head sees the time move. */
  async mineEmptyBlock(): Promise<void> {
    if (this.timestamps !== "simulated") throw new ChainSourceError("only the simulator mines blocks");
    await this.raw.request({ method: "evm_setNextBlockTimestamp", params: [this.clock.take()] });
    await this.raw.request({ method: "evm_mine" });
  }

  /** `eth_call` at an explicit block (default: the head). Throws with the revert data on a revert. */
  async call(to: string, data: string, blockNumber?: number, from?: string): Promise<string> {
    const block = blockNumber === undefined ? await this.blockNumber() : blockNumber;
    return String(await this.raw.request({ method: "eth_call", params: [{ to, data, from }, toQuantity(block)] }));
  }

  async blockNumber(): Promise<number> {
    return Number(await this.raw.request({ method: "eth_blockNumber" }));
  }

  async blockTimestamp(blockNumber: number): Promise<number> {
    const block = (await this.raw.request({
      method: "eth_getBlockByNumber",
      params: [toQuantity(blockNumber), false],
    })) as { timestamp: string } | null;
    if (!block) throw new ChainSourceError("block not found", { blockNumber });
    return Number(block.timestamp);
  }

  async getLogs(addresses: string[], fromBlock: number, toBlock: number): Promise<RawLog[]> {
    if (toBlock < fromBlock) return [];
    return (await this.raw.request({
      method: "eth_getLogs",
      params: [{ address: addresses, fromBlock: toQuantity(fromBlock), toBlock: toQuantity(toBlock) }],
    })) as RawLog[];
  }

  async accounts(): Promise<string[]> {
    return (await this.raw.request({ method: "eth_accounts" })) as string[];
  }

  /** Lets the simulator send from `address` without its key, with ETH for gas. */
  async impersonate(address: string, ethWei = ACTOR_ETH_WEI): Promise<void> {
    await this.raw.request({ method: "hardhat_impersonateAccount", params: [address] });
    await this.raw.request({ method: "hardhat_setBalance", params: [address, toQuantity(ethWei)] });
  }

  async close(): Promise<void> {
    this.provider.destroy();
    await this.onClose();
  }
}

/** Wraps a connection to report each request's method and wall time. */
function timedEip1193(inner: Eip1193, report: (method: string, ms: number) => void): Eip1193 {
  return {
    async request(args) {
      const start = performance.now();
      try {
        return await inner.request(args);
      } finally {
        report(args.method, performance.now() - start);
      }
    },
  };
}

/** Sender, target and calldata of an `eth_sendTransaction` or `eth_sendRawTransaction` request. */
function transactionOf(args: RequestArguments): { from: string; to: string; data: string } {
  if (args.method === "eth_sendRawTransaction") {
    const tx = Transaction.from(String(args.params?.[0]));
    return { from: tx.from ?? "", to: tx.to ?? "", data: tx.data };
  }
  const tx = (args.params?.[0] ?? {}) as { from?: string; to?: string; data?: string };
  return { from: tx.from ?? "", to: tx.to ?? "", data: tx.data ?? "0x" };
}

function isRevertMessage(error: unknown): boolean {
  return /revert/i.test(String((error as Error)?.message ?? ""));
}
