/**
 * Typed JSON-RPC methods the keeper uses, on top of `RpcClient` (quantities decoded to bigint / number).
 */
import { toQuantity } from "ethers";
import type { RpcClient } from "./rpcClient";

export interface BlockHeader {
  number: number;
  hash: string;
  parentHash: string;
  timestamp: number;
  gasLimit: bigint;
  baseFeePerGas: bigint;
}

export interface RawLog {
  address: string;
  topics: string[];
  data: string;
  blockNumber: number;
  blockHash: string;
  transactionHash: string;
  transactionIndex: number;
  logIndex: number;
  removed?: boolean;
}

export interface TransactionReceipt {
  transactionHash: string;
  blockNumber: number;
  blockHash: string;
  status: number;
  gasUsed: bigint;
  effectiveGasPrice: bigint;
  logs: RawLog[];
}

export interface FeeHistory {
  baseFeePerGas: bigint[];
  /** Per block, the requested percentiles of the tips paid. */
  reward: bigint[][];
}

export type BlockTag = number | "latest" | "pending" | { blockHash: string };

interface RpcBlock {
  number: string;
  hash: string;
  parentHash: string;
  timestamp: string;
  gasLimit: string;
  baseFeePerGas?: string;
}

interface RpcLog {
  address: string;
  topics: string[];
  data: string;
  blockNumber: string;
  blockHash: string;
  transactionHash: string;
  transactionIndex: string;
  logIndex: string;
  removed?: boolean;
}

function tagParam(tag: BlockTag): unknown {
  if (typeof tag === "number") return toQuantity(tag);
  return tag;
}

function decodeBlock(block: RpcBlock): BlockHeader {
  return {
    number: Number(block.number),
    hash: block.hash,
    parentHash: block.parentHash,
    timestamp: Number(block.timestamp),
    gasLimit: BigInt(block.gasLimit),
    baseFeePerGas: BigInt(block.baseFeePerGas ?? 0),
  };
}

function decodeLog(log: RpcLog): RawLog {
  return {
    address: log.address,
    topics: log.topics,
    data: log.data,
    blockNumber: Number(log.blockNumber),
    blockHash: log.blockHash,
    transactionHash: log.transactionHash,
    transactionIndex: Number(log.transactionIndex),
    logIndex: Number(log.logIndex),
    removed: log.removed,
  };
}

export class ChainClient {
  constructor(readonly rpc: RpcClient) {}

  async chainId(): Promise<number> {
    return Number(await this.rpc.call<string>("eth_chainId"));
  }

  async blockNumber(): Promise<number> {
    return Number(await this.rpc.call<string>("eth_blockNumber"));
  }

  /** The header of a block; undefined when the node does not have it (yet). */
  async getBlock(tag: number | "latest" | string): Promise<BlockHeader | undefined> {
    const isHash = typeof tag === "string" && tag.length === 66;
    const block = isHash
      ? await this.rpc.call<RpcBlock | null>("eth_getBlockByHash", [tag, false])
      : await this.rpc.call<RpcBlock | null>("eth_getBlockByNumber", [
          typeof tag === "number" ? toQuantity(tag) : tag,
          false,
        ]);
    return block ? decodeBlock(block) : undefined;
  }

  async getLogs(
    filter: { addresses: string[]; fromBlock: number; toBlock: number } | { addresses: string[]; blockHash: string },
  ): Promise<RawLog[]> {
    const params =
      "blockHash" in filter
        ? { address: filter.addresses, blockHash: filter.blockHash }
        : { address: filter.addresses, fromBlock: toQuantity(filter.fromBlock), toBlock: toQuantity(filter.toBlock) };
    const logs = await this.rpc.call<RpcLog[]>("eth_getLogs", [params]);
    return logs.map(decodeLog);
  }

  async call(tx: { to: string; data: string; from?: string }, tag: BlockTag = "latest"): Promise<string> {
    return this.rpc.call<string>("eth_call", [tx, tagParam(tag)]);
  }

  async estimateGas(tx: { to: string; data: string; from: string }): Promise<bigint> {
    return BigInt(await this.rpc.call<string>("eth_estimateGas", [tx]));
  }

  async feeHistory(blockCount: number, percentiles: number[]): Promise<FeeHistory> {
    const answer = await this.rpc.call<{ baseFeePerGas: string[]; reward?: string[][] }>("eth_feeHistory", [
      toQuantity(blockCount),
      "latest",
      percentiles,
    ]);
    return {
      baseFeePerGas: answer.baseFeePerGas.map((fee) => BigInt(fee)),
      reward: (answer.reward ?? []).map((row) => row.map((tip) => BigInt(tip))),
    };
  }

  async getTransactionCount(address: string, tag: "latest" | "pending"): Promise<number> {
    return Number(await this.rpc.call<string>("eth_getTransactionCount", [address, tag]));
  }

  async getBalance(address: string): Promise<bigint> {
    return BigInt(await this.rpc.call<string>("eth_getBalance", [address, "latest"]));
  }

  async sendRawTransaction(signed: string): Promise<string> {
    return this.rpc.call<string>("eth_sendRawTransaction", [signed]);
  }

  async getTransactionReceipt(hash: string): Promise<TransactionReceipt | undefined> {
    const receipt = await this.rpc.call<
      | (Omit<TransactionReceipt, "blockNumber" | "status" | "gasUsed" | "effectiveGasPrice" | "logs"> & {
          blockNumber: string;
          status: string;
          gasUsed: string;
          effectiveGasPrice: string;
          logs: RpcLog[];
        })
      | null
    >("eth_getTransactionReceipt", [hash]);
    if (!receipt) return undefined;
    return {
      transactionHash: receipt.transactionHash,
      blockHash: receipt.blockHash,
      blockNumber: Number(receipt.blockNumber),
      status: Number(receipt.status),
      gasUsed: BigInt(receipt.gasUsed),
      effectiveGasPrice: BigInt(receipt.effectiveGasPrice),
      logs: receipt.logs.map(decodeLog),
    };
  }
}
