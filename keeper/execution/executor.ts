/**
 * Turns one block's work into transactions, in priority order — liquidations (most underwater first), then vault
 * protection, then (issue 11) order execution — through one pipeline: simulate (`eth_call`), size to the block
 * gas limit (the lens's gas-measuring simulation, halving a batch that does not fit), check profitability (unless in
 * protocol-safety mode), then send through the nonce manager, or only log in dry-run mode. Mined receipts are
 * turned into the outcome metrics. Racing keepers are normal: an entry already liquidated is skipped by
 * `liquidateMany` itself and counted as skipped, quietly.
 */
import type { Logger } from "pino";
import { WAD } from "../../sdk/math/constants";
import type { LiquidationResult } from "../../sdk/math/liquidationEngine";
import type { ChainClient } from "../chain/chainClient";
import { CallSimulator, gasLimitFor, type Simulation } from "../chain/callSimulator";
import { isTransientRpcError, revertDataOf } from "../chain/rpcClient";
import type { ChainSnapshot } from "../chain/lensReader";
import type { KeeperConfig } from "../config/schema";
import { decodeLogs, engineInterface } from "../mirror/engineEvents";
import type { PendingOrder, PositionMirror } from "../mirror/positionMirror";
import type { LiquidationCandidate } from "../pricing/liquidationIndex";
import { WaterfallPredictor } from "../pricing/waterfall";
import { KeeperMetrics, wadToNumber } from "../metrics/metrics";
import { quoteFees, type FeeQuote } from "./fees";
import { SendError, type MinedTx, type TxManager, type TxRequest } from "./txManager";

/** Names of `IPerpEngine.LiquidationSkipReason`, in enum order. */
const SKIP_REASONS = ["MarketNotListed", "PriceInvalid", "NoPosition", "Healthy", "MarketSettled"] as const;

/** A market where `deleverageVault` is due, as the SDK's mirror of it predicts at the block's snapshot. */
export interface VaultProtectionNeed {
  marketId: string;
  /** The vault's loss in the market before the walk (over the upper threshold). */
  lossUsd: bigint;
  /** The loss the walk aims at (the lower threshold). */
  targetUsd: bigint;
  /** The loss left after the predicted walk, and the closes it makes. */
  predictedLossAfterUsd: bigint;
  predictedCloses: number;
}

/** A pending order the next block can execute (its delay has passed) or must cancel (expired, or settled market). */
export interface OrderJob {
  order: PendingOrder;
  action: "execute" | "cancel";
}

export interface BlockWork {
  blockNumber: number;
  blockGasLimit: bigint;
  snapshot: ChainSnapshot;
  /** Liquidatable positions of every market, most underwater first. */
  candidates: LiquidationCandidate[];
  vaultNeeds: VaultProtectionNeed[];
  /** Orders to execute or cancel, earliest first. */
  orders: OrderJob[];
}

export function liquidationKeyOf(marketId: string, account: string): string {
  return `liq:${marketId}:${account.toLowerCase()}`;
}

export function vaultKeyOf(marketId: string): string {
  return `vault:${marketId}`;
}

export function orderJobKeyOf(order: PendingOrder): string {
  return `order:${order.marketId}:${order.account}`;
}

/** Orders run through the engine's own try/catch: the 63/64 rule needs more than the measured gas. */
const ORDER_GAS_MULTIPLIER_PERCENT = 150n;

/** The engine's custom error name in revert data (its selector when unknown). */
/** EIP-7825's per-transaction gas cap (2^24), enforced by nodes since the Osaka upgrade. */
const MAX_TRANSACTION_GAS = 16_777_216n;

function revertName(data: string): string {
  try {
    return engineInterface.parseError(data)?.name ?? data.slice(0, 10);
  } catch {
    return data.slice(0, 10);
  }
}

/** Whether revert data is one of the engine's custom errors (then a smaller batch would revert the same way). */
function isEngineError(data: string | undefined): boolean {
  if (!data || data === "0x") return false;
  try {
    return engineInterface.parseError(data) !== null;
  } catch {
    return false;
  }
}

function errorNameOf(error: unknown): string {
  const data = revertDataOf(error);
  return data ? revertName(data) : ((error as Error).message ?? String(error));
}

/**
 * Rethrows a transient RPC failure (also as a send's cause): the keeper's iteration then fails and is redone on the
 * next poll, even without a new block, instead of the work being counted as skipped or failed.
 */
function rethrowIfTransient(error: unknown): void {
  if (isTransientRpcError(error)) throw error;
  if (error instanceof SendError && isTransientRpcError(error.cause)) throw error;
}

class SimulationReverted extends Error {
  constructor(readonly data: string) {
    super("simulation reverted");
  }
}

export class Executor {
  private readonly dryRunReported = new Set<string>();
  /** Keys still needing work at the last block (a pending transaction whose keys left this set is cancelled). */
  private needs = new Set<string>();
  private readonly simulator: CallSimulator;

  constructor(
    private readonly chain: ChainClient,
    private readonly txs: TxManager,
    private readonly mirror: PositionMirror,
    private readonly metrics: KeeperMetrics,
    private readonly log: Logger,
    private readonly config: KeeperConfig,
  ) {
    this.simulator = new CallSimulator(chain, config.book.periphery!.keeperLens);
  }

  /** Whether a pending request's work still needs doing (used to replace stuck transactions by cancellations). */
  stillNeeded = (request: TxRequest): boolean => request.keys.some((key) => this.needs.has(key));

  async act(work: BlockWork): Promise<void> {
    this.needs = new Set([
      ...work.candidates.map((c) => liquidationKeyOf(c.marketId, c.account)),
      ...work.vaultNeeds.map((n) => vaultKeyOf(n.marketId)),
      ...work.orders.map((job) => orderJobKeyOf(job.order)),
    ]);
    for (const key of this.dryRunReported) if (!this.needs.has(key)) this.dryRunReported.delete(key);
    const inFlight = this.txs.inFlightKeys();
    const candidates = work.candidates.filter((c) => !inFlight.has(liquidationKeyOf(c.marketId, c.account)));
    const vaultNeeds = work.vaultNeeds.filter((n) => !inFlight.has(vaultKeyOf(n.marketId)));
    const orders = work.orders.filter((job) => !inFlight.has(orderJobKeyOf(job.order)));
    if (candidates.length === 0 && vaultNeeds.length === 0 && orders.length === 0) return;

    // The fee quote is fetched while the first batch is simulated.
    const fees = quoteFees(this.chain, {
      maxFeePerGasWei: this.config.maxFeePerGasWei,
      maxPriorityFeePerGasWei: this.config.maxPriorityFeePerGasWei,
    });
    fees.catch(() => undefined);

    if (candidates.length > 0 && this.liquidationsLive(work.snapshot.timestamp)) {
      const maxEntries = this.maxEntriesPerBatch(work.blockGasLimit);
      for (let i = 0; i < candidates.length; i += maxEntries) {
        await this.liquidateBatch(candidates.slice(i, i + maxEntries), work, fees);
      }
    }
    for (const need of vaultNeeds) await this.protectVault(need, work, fees);
    // Orders last: liquidations and vault protection take the lower nonces, so they land first in a block.
    // Simulated together (one round trip of latency for all), sent one by one in order.
    const simulations = await Promise.all(orders.map((job) => this.simulateOrder(job)));
    for (const [i, job] of orders.entries()) {
      const gas = simulations[i];
      if (gas !== undefined) await this.sendOrder(job, gas, work, fees);
    }
  }

  private liquidationsLive(nowSeconds: number): boolean {
    const pauses = this.mirror.globals.pauses;
    return !pauses.liquidations && BigInt(nowSeconds) >= pauses.liquidationsResumeAt;
  }

  /**
   * Most gas one transaction may use: `--block-gas-fraction` of the block, and never above the per-transaction
   * cap (EIP-7825, 2^24) that nodes enforce since Osaka: 80% of a 30M block is above it.
   */
  private transactionGasBudget(blockGasLimit: bigint): bigint {
    const byBlock = (blockGasLimit * BigInt(Math.round(this.config.blockGasFraction * 1_000))) / 1_000n;
    return byBlock < MAX_TRANSACTION_GAS ? byBlock : MAX_TRANSACTION_GAS;
  }

  /** Liquidates a batch as two halves, in order (each is simulated, and split again when needed). */
  private async splitBatch(
    batch: LiquidationCandidate[],
    work: BlockWork,
    feeQuote: Promise<FeeQuote | undefined>,
  ): Promise<void> {
    const half = Math.ceil(batch.length / 2);
    await this.liquidateBatch(batch.slice(0, half), work, feeQuote);
    await this.liquidateBatch(batch.slice(half), work, feeQuote);
  }

  private maxEntriesPerBatch(blockGasLimit: bigint): number {
    const gasBudget = this.transactionGasBudget(blockGasLimit);
    const byGas = Number(gasBudget / this.config.gasPerLiquidation);
    return Math.max(1, Math.min(this.config.batchSize, byGas));
  }

  // ───────────────────────── liquidations ─────────────────────────

  private async liquidateBatch(
    batch: LiquidationCandidate[],
    work: BlockWork,
    feeQuote: Promise<FeeQuote | undefined>,
  ): Promise<void> {
    const engine = this.config.book.engine;
    const fullData = this.encodeLiquidateMany(batch);
    // One static call of liquidateMany through the lens: which entries would liquidate (its return value) and the
    // gas (an upper bound for the entries kept, since skipped entries cost gas too).
    let simulation: Simulation;
    try {
      simulation = await this.simulator.simulate(engine, fullData);
    } catch (error) {
      rethrowIfTransient(error);
      if (batch.length > 1 && !isEngineError(revertDataOf(error))) return this.splitBatch(batch, work, feeQuote);
      this.metrics.liquidationsSkipped.inc({ reason: `simulation-${errorNameOf(error)}` }, batch.length);
      this.log.info(
        { entries: batch.length, error: (error as Error).message },
        "liquidateMany simulation failed; batch skipped",
      );
      return;
    }
    if (!simulation.success) {
      // Out of gas (no revert data) or anything but the engine's own error: smaller batches may still go through.
      if (batch.length > 1 && !isEngineError(simulation.result)) return this.splitBatch(batch, work, feeQuote);
      const reason = revertName(simulation.result);
      this.metrics.liquidationsSkipped.inc({ reason: `simulation-${reason}` }, batch.length);
      this.log.info({ entries: batch.length, reason }, "liquidateMany simulation reverted; batch skipped");
      return;
    }
    const flags = [...engineInterface.decodeFunctionResult("liquidateMany", simulation.result)[0]] as boolean[];
    const live = batch.filter((_, i) => flags[i]);
    if (live.length < batch.length) {
      this.metrics.liquidationsSkipped.inc({ reason: "not-liquidatable-on-chain" }, batch.length - live.length);
    }
    if (live.length === 0) return;

    const data = this.encodeLiquidateMany(live);
    const gas = simulation.gasUsed;
    const gasBudget = this.transactionGasBudget(work.blockGasLimit);
    const gasLimit = gasLimitFor(data, gas);
    if (gasLimit > gasBudget && live.length > 1) return this.splitBatch(live, work, feeQuote);

    const fees = await feeQuote;
    const keys = live.map((c) => liquidationKeyOf(c.marketId, c.account));
    // The prediction is on the critical path only when profitability needs it; otherwise it runs after the send.
    let predictions = this.config.protocolSafety ? undefined : this.predict(live, work);
    if (!this.config.protocolSafety && !this.isProfitable(predictions, gas, work, fees)) {
      this.metrics.liquidationsSkipped.inc({ reason: "unprofitable" }, live.length);
      return;
    }
    if (this.config.dryRun) {
      const fresh = keys.filter((key) => !this.dryRunReported.has(key));
      if (fresh.length > 0) {
        for (const key of fresh) this.dryRunReported.add(key);
        this.metrics.liquidationsSkipped.inc({ reason: "dry-run" }, fresh.length);
        this.log.info(
          { entries: live.length, gas: gas.toString(), accounts: live.map((c) => c.account) },
          "dry-run: would liquidate",
        );
      }
      return;
    }
    if (!fees) {
      this.metrics.liquidationsSkipped.inc({ reason: "fee-cap" }, live.length);
      this.log.warn({ entries: live.length }, "next base fee above --max-fee-per-gas-gwei; not sending");
      return;
    }
    const request: TxRequest = {
      kind: "liquidation",
      to: engine,
      data,
      gasLimit: gasLimit > gasBudget ? gasBudget : gasLimit,
      keys,
      description: `liquidateMany(${live.length})`,
    };
    try {
      await this.txs.send(request, fees, work.blockNumber);
      this.metrics.liquidationsSent.inc(live.length);
      predictions ??= this.predict(live, work);
      if (predictions) this.logDeficits(live, predictions);
    } catch (error) {
      rethrowIfTransient(error);
      this.metrics.liquidationsFailed.inc(live.length);
      this.metrics.transactions.inc({ kind: "liquidation", outcome: "refused" });
      this.log.error(
        { err: error instanceof SendError ? error.cause : error, entries: live.length },
        "liquidation not sent",
      );
    }
  }

  private encodeLiquidateMany(batch: LiquidationCandidate[]): string {
    return engineInterface.encodeFunctionData("liquidateMany", [
      batch.map((c) => c.account),
      batch.map((c) => c.marketId),
    ]);
  }

  /**
   * The SDK's whole-waterfall prediction of each live entry, in batch order (each starts from the books the
   * previous ones left, as in one `liquidateMany`): the keeper reward for the profitability check, and the deficit's
   * split (insurance, ADL, vault, socialized) for the logs and metrics. Undefined when the mirror cannot predict
   * (the static call has already said the entries liquidate; only the estimate is missing).
   */
  private predict(batch: LiquidationCandidate[], work: BlockWork): LiquidationResult[] | undefined {
    const predictor = new WaterfallPredictor(this.mirror, work.snapshot);
    try {
      return batch.map((c) => predictor.liquidation(c.marketId, c.account, this.txs.address));
    } catch (error) {
      this.metrics.predictionFailures.inc();
      this.log.warn({ err: error, entries: batch.length }, "waterfall prediction failed");
      return undefined;
    }
  }

  private logDeficits(batch: LiquidationCandidate[], predictions: LiquidationResult[]): void {
    for (const [i, p] of predictions.entries()) {
      if (!p.isLiquidatable || p.deficitUsd === 0n) continue;
      this.metrics.predictedDeficitUsd.inc({ part: "insurance" }, wadToNumber(p.insurancePaidUsd));
      this.metrics.predictedDeficitUsd.inc({ part: "adl" }, wadToNumber(p.adlPaidUsd));
      this.metrics.predictedDeficitUsd.inc({ part: "vault" }, wadToNumber(p.vaultPaidUsd));
      this.metrics.predictedDeficitUsd.inc({ part: "socialized" }, wadToNumber(p.socializedUsd));
      this.log.info(
        {
          marketId: batch[i].marketId,
          account: batch[i].account,
          deficitUsd: wadToNumber(p.deficitUsd),
          insuranceUsd: wadToNumber(p.insurancePaidUsd),
          adlUsd: wadToNumber(p.adlPaidUsd),
          vaultUsd: wadToNumber(p.vaultPaidUsd),
          socializedUsd: wadToNumber(p.socializedUsd),
          adlCounterparties: p.deleveraged.length,
        },
        "bankrupt position: predicted loss waterfall",
      );
    }
  }

  /** Predicted rewards ≥ gas cost (valued at the native-price market) + the minimum profit. */
  private isProfitable(
    predictions: LiquidationResult[] | undefined,
    gas: bigint,
    work: BlockWork,
    fees: FeeQuote | undefined,
  ): boolean {
    const native = work.snapshot.markets.find((m) => m.symbol === this.config.nativePriceMarket);
    if (!native?.priceOk || !fees || !predictions) return false;
    const rewardUsd = predictions.reduce((sum, p) => sum + p.keeperRewardUsd, 0n);
    const costUsd = (gas * fees.expectedGasPriceWei * native.priceWad) / WAD;
    return rewardUsd >= costUsd + this.config.minProfitUsd;
  }

  // ───────────────────────── vault protection ─────────────────────────

  private async protectVault(
    need: VaultProtectionNeed,
    work: BlockWork,
    feeQuote: Promise<FeeQuote | undefined>,
  ): Promise<void> {
    const engine = this.config.book.engine;
    const data = engineInterface.encodeFunctionData("deleverageVault", [
      need.marketId,
      this.config.vaultProtectionSteps,
    ]);
    let gas: bigint;
    try {
      const simulation = await this.simulator.simulate(engine, data);
      if (!simulation.success) throw new SimulationReverted(simulation.result);
      gas = simulation.gasUsed;
    } catch (error) {
      rethrowIfTransient(error);
      const reason = error instanceof SimulationReverted ? revertName(error.data) : errorNameOf(error);
      this.metrics.vaultDeleverages.inc({ outcome: `simulation-${reason}` });
      this.log.info({ marketId: need.marketId, reason }, "deleverageVault simulation reverted");
      return;
    }
    const key = vaultKeyOf(need.marketId);
    const fees = await feeQuote;
    if (this.config.dryRun) {
      if (!this.dryRunReported.has(key)) {
        this.dryRunReported.add(key);
        this.metrics.vaultDeleverages.inc({ outcome: "dry-run" });
        this.log.info(
          {
            marketId: need.marketId,
            lossUsd: wadToNumber(need.lossUsd),
            predictedLossAfterUsd: wadToNumber(need.predictedLossAfterUsd),
            predictedCloses: need.predictedCloses,
          },
          "dry-run: would deleverage the vault",
        );
      }
      return;
    }
    if (!fees) {
      this.metrics.vaultDeleverages.inc({ outcome: "fee-cap" });
      return;
    }
    const request: TxRequest = {
      kind: "vault-protection",
      to: engine,
      data,
      gasLimit: gasLimitFor(data, gas),
      keys: [key],
      description: `deleverageVault(${need.marketId.slice(0, 10)})`,
    };
    try {
      await this.txs.send(request, fees, work.blockNumber);
      this.metrics.vaultDeleverages.inc({ outcome: "sent" });
    } catch (error) {
      rethrowIfTransient(error);
      this.metrics.vaultDeleverages.inc({ outcome: "refused" });
      this.log.error({ err: error instanceof SendError ? error.cause : error }, "deleverageVault not sent");
    }
  }

  // ───────────────────────── orders ─────────────────────────

  private orderCall(job: OrderJob): { method: string; data: string } {
    const method = job.action === "execute" ? "executeOrder" : "cancelOrder";
    return { method, data: engineInterface.encodeFunctionData(method, [job.order.account, job.order.marketId]) };
  }

  /** The gas of running the order in the next block's context, or undefined (logged) when it would revert. */
  private async simulateOrder(job: OrderJob): Promise<bigint | undefined> {
    const { account, marketId } = job.order;
    try {
      // "pending": the next block's timestamp is the one the delay must have passed by.
      const simulation = await this.simulator.simulate(this.config.book.engine, this.orderCall(job).data, "pending");
      if (!simulation.success) throw new SimulationReverted(simulation.result);
      return simulation.gasUsed;
    } catch (error) {
      rethrowIfTransient(error);
      const reason = error instanceof SimulationReverted ? revertName(error.data) : errorNameOf(error);
      this.metrics.orders.inc({ outcome: `simulation-${reason}` });
      this.log.info({ account, marketId, action: job.action, reason }, "order simulation reverted");
      return undefined;
    }
  }

  private async sendOrder(
    job: OrderJob,
    gas: bigint,
    work: BlockWork,
    feeQuote: Promise<FeeQuote | undefined>,
  ): Promise<void> {
    const engine = this.config.book.engine;
    const { account, marketId } = job.order;
    const { method, data } = this.orderCall(job);
    const key = orderJobKeyOf(job.order);
    const fees = await feeQuote;
    if (this.config.dryRun) {
      if (!this.dryRunReported.has(key)) {
        this.dryRunReported.add(key);
        this.metrics.orders.inc({ outcome: "dry-run" });
        this.log.info({ account, marketId, action: job.action }, "dry-run: would run the order");
      }
      return;
    }
    if (!fees) {
      this.metrics.orders.inc({ outcome: "fee-cap" });
      return;
    }
    const request: TxRequest = {
      kind: job.action === "execute" ? "order-execution" : "order-cancel",
      to: engine,
      data,
      gasLimit: gasLimitFor(data, (gas * ORDER_GAS_MULTIPLIER_PERCENT) / 100n),
      keys: [key],
      description: `${method}(${account.slice(0, 10)})`,
    };
    try {
      await this.txs.send(request, fees, work.blockNumber);
      this.metrics.orders.inc({ outcome: "sent" });
    } catch (error) {
      rethrowIfTransient(error);
      this.metrics.orders.inc({ outcome: "refused" });
      this.log.error({ err: error instanceof SendError ? error.cause : error }, "order transaction not sent");
    }
  }

  // ───────────────────────── outcomes ─────────────────────────

  /** Books a mined (or replaced) transaction into the metrics. */
  recordMined(mined: MinedTx): void {
    const { pending, receipt } = mined;
    const kind = pending.request.kind;
    const entries = kind === "liquidation" ? pending.request.keys.length : 0;
    if (!receipt) {
      this.metrics.transactions.inc({ kind, outcome: "dropped" });
      if (entries) this.metrics.liquidationsFailed.inc(entries);
      this.log.warn({ nonce: pending.nonce, hashes: pending.hashes }, "transaction replaced by another with its nonce");
      return;
    }
    this.metrics.gasSpentWei.inc({ kind }, Number(receipt.gasUsed * receipt.effectiveGasPrice));
    if (pending.cancelled && receipt.logs.length === 0) {
      this.metrics.transactions.inc({ kind, outcome: "cancelled" });
      return;
    }
    if (receipt.status !== 1) {
      this.metrics.transactions.inc({ kind, outcome: "reverted" });
      if (entries) this.metrics.liquidationsFailed.inc(entries);
      this.log.error({ hash: receipt.transactionHash, kind }, "transaction reverted");
      return;
    }
    this.metrics.transactions.inc({ kind, outcome: "succeeded" });
    const me = this.txs.address.toLowerCase();
    for (const event of decodeLogs(receipt.logs, this.config.book.engine, new Set())) {
      if (event.name === "Liquidated" && event.keeper === me) {
        this.metrics.liquidationsSucceeded.inc();
        this.metrics.rewardsUsd.inc({ kind: "liquidation" }, wadToNumber(event.keeperRewardUsd));
      } else if (event.name === "LiquidationSkipped") {
        // Another keeper got there first (NoPosition) or a price moved back (Healthy): normal, not an error.
        this.metrics.liquidationsSkipped.inc({ reason: `raced-${SKIP_REASONS[event.reason] ?? event.reason}` });
      } else if (event.name === "VaultDeleveraged") {
        this.metrics.vaultDeleverages.inc({ outcome: "succeeded" });
      } else if (event.name === "OrderExecuted" && event.executor === me) {
        this.metrics.orders.inc({ outcome: "executed" });
        this.metrics.rewardsUsd.inc({ kind: "order" }, wadToNumber(event.executionFeeUsd));
      } else if (event.name === "OrderCancelled" && event.by === me) {
        this.metrics.orders.inc({ outcome: "cancelled" });
        this.metrics.rewardsUsd.inc({ kind: "order" }, wadToNumber(event.executionFeeUsd));
      }
    }
    this.log.info(
      { hash: receipt.transactionHash, kind, block: receipt.blockNumber, gasUsed: receipt.gasUsed.toString() },
      "mined",
    );
  }
}
