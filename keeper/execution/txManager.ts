/**
 * Sends the keeper's transactions: a local nonce manager (one signer, consecutive nonces, resynchronised from the
 * node after any failed send), EIP-1559 signing, confirmation tracking by nonce (one `eth_getTransactionCount` per
 * block while something is pending) and the replacement of stuck transactions: after `stuckBlocks` blocks a
 * transaction is re-sent with fees raised by `feeBumpPercent`, at most `maxFeeBumps` times and never above the
 * cap; a transaction whose work is no longer needed (another keeper got there first) is replaced by a 0-value
 * transfer to itself instead, so nothing that would do nothing is left pending.
 */
import type { Logger } from "pino";
import type { HDNodeWallet, Wallet } from "ethers";
import type { ChainClient, TransactionReceipt } from "../chain/chainClient";
import { RpcRequestError } from "../chain/rpcClient";
import { KeeperError } from "../errors";
import type { KeeperMetrics } from "../metrics/metrics";
import { bumpFees, type FeeCaps } from "./fees";

/** Gas of a plain transfer: the cancellation that replaces a transaction no longer needed. */
const CANCEL_GAS_LIMIT = 21_000n;

export type TxKind = "liquidation" | "vault-protection" | "order-execution" | "order-cancel";

export interface TxRequest {
  kind: TxKind;
  to: string;
  data: string;
  gasLimit: bigint;
  /** Work items this transaction covers (e.g. `liq:<market>:<account>`): not planned again while it is pending. */
  keys: string[];
  /** For logs. */
  description: string;
}

export interface PendingTx {
  nonce: number;
  request: TxRequest;
  maxFeePerGas: bigint;
  maxPriorityFeePerGas: bigint;
  hashes: string[];
  sentAtBlock: number;
  bumps: number;
  cancelled: boolean;
}

export interface MinedTx {
  pending: PendingTx;
  /** undefined when none of its hashes has a receipt (replaced by another transaction with the same nonce). */
  receipt?: TransactionReceipt;
}

export interface TxManagerOptions {
  chainId: number;
  caps: FeeCaps;
  stuckBlocks: number;
  maxFeeBumps: number;
  feeBumpPercent: number;
}

export class SendError extends KeeperError {
  constructor(shortMessage: string, details: Record<string, unknown>, cause: unknown) {
    super(shortMessage, details, { cause });
    this.name = "SendError";
  }
}

const NONCE_TOO_LOW = /nonce too low|nonce has already been used|already known|known transaction/i;

export class TxManager {
  private nextNonce: number | undefined;
  readonly pending = new Map<number, PendingTx>();

  constructor(
    private readonly chain: ChainClient,
    private readonly wallet: Wallet | HDNodeWallet,
    private readonly metrics: KeeperMetrics,
    private readonly log: Logger,
    private readonly options: TxManagerOptions,
  ) {}

  get address(): string {
    return this.wallet.address;
  }

  /** Work keys covered by pending transactions. */
  inFlightKeys(): Set<string> {
    const keys = new Set<string>();
    for (const tx of this.pending.values()) if (!tx.cancelled) for (const key of tx.request.keys) keys.add(key);
    return keys;
  }

  private async syncNonce(): Promise<number> {
    const chainNonce = await this.chain.getTransactionCount(this.wallet.address, "pending");
    const highestPending = Math.max(-1, ...this.pending.keys());
    this.nextNonce = Math.max(chainNonce, highestPending + 1);
    return this.nextNonce;
  }

  /** Signs and sends `request` with the given fees at the next nonce; throws `SendError` if the node refuses it. */
  async send(
    request: TxRequest,
    fees: { maxFeePerGas: bigint; maxPriorityFeePerGas: bigint },
    blockNumber: number,
  ): Promise<PendingTx> {
    const nonce = this.nextNonce ?? (await this.syncNonce());
    let hash: string;
    try {
      hash = await this.broadcast(nonce, request.to, request.data, request.gasLimit, fees);
    } catch (error) {
      this.nextNonce = undefined; // resynchronise before the next send: the nonce may or may not be used
      if (error instanceof RpcRequestError && error.kind === "rpc" && NONCE_TOO_LOW.test(error.message)) {
        const fresh = await this.syncNonce();
        if (fresh !== nonce) return this.send(request, fees, blockNumber);
      }
      throw new SendError("transaction refused", { kind: request.kind, nonce }, error);
    }
    this.nextNonce = nonce + 1;
    const pending: PendingTx = {
      nonce,
      request,
      maxFeePerGas: fees.maxFeePerGas,
      maxPriorityFeePerGas: fees.maxPriorityFeePerGas,
      hashes: [hash],
      sentAtBlock: blockNumber,
      bumps: 0,
      cancelled: false,
    };
    this.pending.set(nonce, pending);
    this.metrics.pendingTransactions.set(this.pending.size);
    this.log.info(
      { kind: request.kind, nonce, hash, gasLimit: request.gasLimit.toString(), what: request.description },
      "sent",
    );
    return pending;
  }

  private async broadcast(
    nonce: number,
    to: string,
    data: string,
    gasLimit: bigint,
    fees: { maxFeePerGas: bigint; maxPriorityFeePerGas: bigint },
  ): Promise<string> {
    const signed = await this.wallet.signTransaction({
      type: 2,
      chainId: this.options.chainId,
      nonce,
      to,
      data,
      value: 0n,
      gasLimit,
      maxFeePerGas: fees.maxFeePerGas,
      maxPriorityFeePerGas: fees.maxPriorityFeePerGas,
    });
    return this.chain.sendRawTransaction(signed);
  }

  /**
   * Once per block while something is pending: returns the transactions mined since the last call (with their
   * receipts) and replaces the stuck ones. `stillNeeded` tells whether a pending request's work is still to do.
   */
  async poll(blockNumber: number, stillNeeded: (request: TxRequest) => boolean): Promise<MinedTx[]> {
    if (this.pending.size === 0) return [];
    const minedBelow = await this.chain.getTransactionCount(this.wallet.address, "latest");
    const mined: MinedTx[] = [];
    for (const tx of [...this.pending.values()].sort((a, b) => a.nonce - b.nonce)) {
      if (tx.nonce < minedBelow) {
        this.pending.delete(tx.nonce);
        mined.push({ pending: tx, receipt: await this.findReceipt(tx) });
        continue;
      }
      if (blockNumber - tx.sentAtBlock >= this.options.stuckBlocks)
        await this.replace(tx, blockNumber, stillNeeded(tx.request));
    }
    this.metrics.pendingTransactions.set(this.pending.size);
    return mined;
  }

  private async findReceipt(tx: PendingTx): Promise<TransactionReceipt | undefined> {
    for (const hash of [...tx.hashes].reverse()) {
      const receipt = await this.chain.getTransactionReceipt(hash);
      if (receipt) return receipt;
    }
    return undefined;
  }

  private async replace(tx: PendingTx, blockNumber: number, needed: boolean): Promise<void> {
    if (tx.bumps >= this.options.maxFeeBumps) {
      this.log.warn(
        { nonce: tx.nonce, bumps: tx.bumps, hashes: tx.hashes },
        "transaction still pending after the last fee bump",
      );
      return;
    }
    const fees = bumpFees(tx, this.options.feeBumpPercent, this.options.caps);
    if (!fees) {
      this.log.warn({ nonce: tx.nonce }, "stuck transaction cannot be bumped under the fee cap");
      return;
    }
    const cancel = !needed || tx.cancelled;
    try {
      const hash = cancel
        ? await this.broadcast(tx.nonce, this.wallet.address, "0x", CANCEL_GAS_LIMIT, fees)
        : await this.broadcast(tx.nonce, tx.request.to, tx.request.data, tx.request.gasLimit, fees);
      tx.hashes.push(hash);
      tx.maxFeePerGas = fees.maxFeePerGas;
      tx.maxPriorityFeePerGas = fees.maxPriorityFeePerGas;
      tx.sentAtBlock = blockNumber;
      tx.bumps += 1;
      tx.cancelled = cancel;
      this.metrics.replacements.inc();
      this.log.info(
        { nonce: tx.nonce, hash, bumps: tx.bumps, cancel, maxFeePerGas: fees.maxFeePerGas.toString() },
        "replaced a stuck transaction",
      );
    } catch (error) {
      // Mined meanwhile ("nonce too low") or refused: the next poll sees which.
      this.log.info({ nonce: tx.nonce, error: (error as Error).message }, "replacement not accepted");
    }
  }
}
