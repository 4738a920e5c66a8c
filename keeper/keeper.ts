/**
 * The keeper process: follow the chain into the mirror, read prices once per new block, find the liquidatable
 * positions through the index, act, and keep the operator informed (metrics, /health, logs, checkpoint).
 * `step()` is one iteration (usable in-process, e.g. by the simulator); `run()` loops until `stop()`, which
 * lets the iteration in progress finish, writes the checkpoint and closes the endpoints.
 */
import type { Server } from "node:http";
import type { HDNodeWallet, Wallet } from "ethers";
import type { Logger } from "pino";
import { vaultMarketValueUsd } from "../sdk/math/engineMath";
import { BPS } from "../sdk/math/constants";
import { ChainClient } from "./chain/chainClient";
import { ChainFollower, type SyncResult } from "./chain/chainFollower";
import { LensReader, type ChainSnapshot } from "./chain/lensReader";
import { RpcClient, type RpcRequestError } from "./chain/rpcClient";
import type { KeeperConfig } from "./config/schema";
import { MirrorError } from "./errors";
import { Executor, type OrderJob, type VaultProtectionNeed } from "./execution/executor";
import { TxManager } from "./execution/txManager";
import { KeeperMetrics, wadToNumber } from "./metrics/metrics";
import { startEndpoints, type HealthStatus } from "./metrics/server";
import { readCheckpoint, writeCheckpoint, type CheckpointIdentity } from "./mirror/checkpoint";
import { PositionMirror } from "./mirror/positionMirror";
import { fundingIndexAt, mirroredHealth } from "./pricing/health";
import { LiquidationIndex, type LiquidationCandidate, type QueryStats } from "./pricing/liquidationIndex";

/** Back-off after a failed iteration: doubles from the poll interval up to this. */
const MAX_ERROR_BACKOFF_MS = 5_000;
/** Recent block arrival times kept to estimate the block interval (for timing polls). */
const ARRIVALS_KEPT = 8;
/** The first poll after a block comes this fraction of the block interval after it (just after the next block). */
const POLL_AFTER_EXPECTED_FACTOR = 1.02;
/** The first poll after a block never waits more than this many poll intervals. */
const MAX_POLL_INTERVALS = 8;

export interface StepResult {
  syncedTo?: number;
  newBlocks: number;
  candidates: number;
  rolledBackTo?: number;
}

export class Keeper {
  readonly metrics = new KeeperMetrics();
  readonly chain: ChainClient;
  private mirror: PositionMirror;
  private index: LiquidationIndex;
  private follower: ChainFollower;
  private readonly lens: LensReader;
  private readonly txs: TxManager;
  private executor: Executor;
  private readonly identity: CheckpointIdentity;
  private server?: Server;
  private stopping = false;
  private running?: Promise<void>;
  private wake?: () => void;
  private lastCheckpointAt = Date.now();
  private lastRpcOkAt = 0;
  private headNumber = 0;
  private lastBlockTimestamp = 0;
  private lastSnapshot?: ChainSnapshot;
  /** Hash of the block `lastSnapshot` was read at (a reorg may replace a block of the same number). */
  private lastSnapshotHash?: string;
  /** Hash of the last block whose work (prices, candidates, transactions) completed: an iteration that failed
   * half-way is redone on the next poll even if no new block arrives. */
  private lastActedHash?: string;
  private lastCandidates: LiquidationCandidate[] = [];
  private arrivals: number[] = [];
  private fundBelowTarget = false;

  constructor(
    readonly config: KeeperConfig,
    wallet: Wallet | HDNodeWallet,
    private readonly log: Logger,
  ) {
    const metrics = this.metrics;
    const rpc = new RpcClient(config.rpcUrl, config.rpcTimeoutMs, {
      onRequest: (method) => metrics.rpcRequests.inc({ method }),
      onError: (method: string, _error: RpcRequestError) => metrics.rpcErrors.inc({ method }),
      onSuccess: () => {
        this.lastRpcOkAt = Date.now();
      },
    });
    this.chain = new ChainClient(rpc);
    this.identity = { chainId: config.book.chainId, engine: config.book.engine };
    this.mirror = this.loadMirror();
    this.index = new LiquidationIndex(this.mirror);
    this.follower = this.makeFollower();
    this.lens = new LensReader(this.chain, config.book, wallet.address);
    this.txs = new TxManager(this.chain, wallet, metrics, log, {
      chainId: config.book.chainId,
      caps: { maxFeePerGasWei: config.maxFeePerGasWei, maxPriorityFeePerGasWei: config.maxPriorityFeePerGasWei },
      stuckBlocks: config.stuckBlocks,
      maxFeeBumps: config.maxFeeBumps,
      feeBumpPercent: config.feeBumpPercent,
    });
    this.executor = new Executor(this.chain, this.txs, this.mirror, metrics, log, config);
    metrics.dryRun.set(config.dryRun ? 1 : 0);
  }

  get address(): string {
    return this.txs.address;
  }

  get positionMirror(): PositionMirror {
    return this.mirror;
  }

  private loadMirror(): PositionMirror {
    const kept = this.config.reorgDepth + 1;
    try {
      const restored = readCheckpoint(this.config.checkpointPath, this.identity, kept);
      if (restored) {
        this.log.info(
          { path: this.config.checkpointPath, block: restored.head?.number, positions: restored.positionCount() },
          "checkpoint loaded",
        );
        return restored;
      }
    } catch (error) {
      if (!(error instanceof MirrorError)) throw error;
      this.log.warn({ err: error }, "checkpoint unusable; backfilling from the start block");
    }
    return new PositionMirror(kept);
  }

  private makeFollower(): ChainFollower {
    return new ChainFollower(this.chain, this.mirror, this.log, {
      engine: this.config.book.engine,
      feeds: this.config.book.markets.map((m) => m.priceFeed),
      startBlock: this.config.startBlock,
      confirmations: this.config.confirmations,
      reorgDepth: this.config.reorgDepth,
      logRangeBlocks: this.config.logRangeBlocks,
      shouldStop: () => this.stopping,
      sleep: (ms) => this.sleep(ms),
    });
  }

  /** Starts /metrics and /health; returns the port they listen on. */
  async startEndpoints(): Promise<number> {
    const { server, port } = await startEndpoints(this.config.metricsHost, this.config.metricsPort, {
      registry: this.metrics.registry,
      health: () => this.health(),
      mirror: this.config.exposeMirror ? () => this.mirrorView() : undefined,
    });
    this.server = server;
    return port;
  }

  /** Loops until `stop()`. */
  run(): Promise<void> {
    this.running = this.loop();
    return this.running;
  }

  private async loop(): Promise<void> {
    let failures = 0;
    while (!this.stopping) {
      let delayMs: number;
      try {
        const result = await this.step();
        failures = 0;
        delayMs = this.nextPollDelayMs(result.newBlocks > 0);
      } catch (error) {
        failures += 1;
        delayMs = Math.min(MAX_ERROR_BACKOFF_MS, this.config.pollIntervalMs * 2 ** Math.min(failures, 8));
        if (error instanceof MirrorError) this.resetMirror(error);
        else this.log.warn({ err: error, attempt: failures, delayMs }, "iteration failed; retrying");
      }
      if (!this.stopping) await this.sleep(delayMs);
    }
  }

  /** A reorg deeper than the kept history: start over from the start block rather than act on a wrong mirror. */
  private resetMirror(error: MirrorError): void {
    this.log.error({ err: error }, "mirror cannot follow the chain; rebuilding it from the start block");
    this.mirror = new PositionMirror(this.config.reorgDepth + 1);
    this.index = new LiquidationIndex(this.mirror);
    this.follower = this.makeFollower();
    this.executor = new Executor(this.chain, this.txs, this.mirror, this.metrics, this.log, this.config);
  }

  /**
   * Time the next poll: when blocks come at a steady rhythm, just after the next one is expected (so a block costs
   * one poll), never later than `MAX_POLL_INTERVALS` poll intervals; otherwise every poll interval. The rhythm is
   * the smaller of the median and the last gap between arrivals, so a chain that speeds up is followed at once.
   */
  private nextPollDelayMs(sawNewBlock: boolean): number {
    const now = Date.now();
    if (sawNewBlock) {
      this.arrivals.push(now);
      if (this.arrivals.length > ARRIVALS_KEPT) this.arrivals.shift();
    }
    if (!sawNewBlock || this.arrivals.length < 3) return this.config.pollIntervalMs;
    const gaps = this.arrivals.slice(1).map((t, i) => t - this.arrivals[i]);
    const lastGapMs = gaps[gaps.length - 1];
    const medianGapMs = [...gaps].sort((a, b) => a - b)[Math.floor(gaps.length / 2)];
    const rhythmMs = Math.min(lastGapMs, medianGapMs) * POLL_AFTER_EXPECTED_FACTOR;
    const waitMs = this.arrivals[this.arrivals.length - 1] + rhythmMs - now;
    return Math.min(this.config.pollIntervalMs * MAX_POLL_INTERVALS, Math.max(this.config.pollIntervalMs, waitMs));
  }

  /** One iteration: sync the mirror, read prices if a block arrived, update metrics, act. */
  async step(): Promise<StepResult> {
    const sync = await this.follower.sync();
    this.headNumber = sync.head.number;
    this.metrics.backfilledEvents.inc(sync.backfilledEvents);
    if (sync.rolledBackTo !== undefined) this.metrics.reorgs.inc();
    const processed = this.mirror.head;
    const result: StepResult = {
      syncedTo: processed?.number,
      newBlocks: sync.applied.length,
      candidates: 0,
      rolledBackTo: sync.rolledBackTo,
    };
    if (processed) {
      this.metrics.lastProcessedBlock.set(processed.number);
      this.metrics.blockLag.set(sync.head.number - processed.number);
    }
    // Act once per block; again only when the previous iteration failed half-way or a reorg rolled back.
    if (!processed || (processed.hash === this.lastActedHash && sync.rolledBackTo === undefined)) {
      await this.maybeCheckpoint();
      return result;
    }
    const stepStarted = Date.now();
    const snapshot = await this.lens.read(processed.number);
    this.lastSnapshot = snapshot;
    this.lastSnapshotHash = processed.hash;
    this.lastBlockTimestamp = snapshot.timestamp;
    this.logPriceUpdates(sync);

    for (const mined of await this.txs.poll(processed.number, this.executor.stillNeeded))
      this.executor.recordMined(mined);

    const started = process.hrtime.bigint();
    const stats: QueryStats = { walked: 0, checked: 0, liquidatable: 0 };
    const candidates = this.liquidatable(snapshot, stats);
    this.metrics.candidateSetMs.set(Number(process.hrtime.bigint() - started) / 1e6);
    this.lastCandidates = candidates;
    result.candidates = candidates.length;
    const vaultNeeds = this.vaultNeeds(snapshot);
    const orders = this.orderJobs(snapshot);
    this.updateMetrics(snapshot);

    const readMs = Date.now() - stepStarted;
    await this.executor.act({
      blockNumber: processed.number,
      blockGasLimit: sync.head.gasLimit,
      snapshot,
      candidates,
      vaultNeeds,
      orders,
    });
    this.log.debug(
      { block: processed.number, candidates: candidates.length, readMs, totalMs: Date.now() - stepStarted },
      "block processed",
    );
    this.lastActedHash = processed.hash;
    await this.maybeCheckpoint();
    return result;
  }

  private liquidatable(snapshot: ChainSnapshot, stats: QueryStats): LiquidationCandidate[] {
    const now = BigInt(snapshot.timestamp);
    const all: LiquidationCandidate[] = [];
    for (const market of snapshot.markets) {
      if (!market.priceOk) continue;
      all.push(...this.index.liquidatable(market.marketId, market.priceWad, now, stats));
    }
    return all.sort((a, b) => (a.shortfallUsd > b.shortfallUsd ? -1 : a.shortfallUsd < b.shortfallUsd ? 1 : 0));
  }

  /** Markets where the vault's unrealised loss is over `vaultLossUpperBps` of its equity. */
  private vaultNeeds(snapshot: ChainSnapshot): VaultProtectionNeed[] {
    const needs: VaultProtectionNeed[] = [];
    const upperBps = this.mirror.globals.adlConfig.vaultLossUpperBps;
    const equity = snapshot.vaultEquityUsd;
    for (const reading of snapshot.markets) {
      const market = this.mirror.markets.get(reading.marketId);
      if (!market || !reading.priceOk) continue;
      const funding = fundingIndexAt(market, reading.priceWad, BigInt(snapshot.timestamp));
      const value = vaultMarketValueUsd(market.state, reading.priceWad, funding);
      const lossUsd = value < 0n ? -value : 0n;
      this.metrics.vaultLossRatio.set(
        { market: reading.symbol },
        equity > 0n ? wadToNumber(lossUsd) / wadToNumber(equity) : 0,
      );
      if (!snapshot.vaultEquityOk || market.settlementPriceWad !== 0n || this.mirror.globals.pauses.liquidations)
        continue;
      const upperUsd = equity <= 0n ? 0n : (equity * upperBps) / BPS;
      if (lossUsd > upperUsd) needs.push({ marketId: reading.marketId, lossUsd, upperUsd });
    }
    return needs;
  }

  /**
   * Orders the next block can act on. Block timestamps strictly increase, so the next block is at least one second
   * after the snapshot's: an order whose delay ends by then is executed, one expired by then (or in a settled
   * market) is cancelled.
   */
  private orderJobs(snapshot: ChainSnapshot): OrderJob[] {
    const next = BigInt(snapshot.timestamp) + 1n;
    const jobs: OrderJob[] = [];
    for (const order of this.mirror.orders.values()) {
      const settled = (this.mirror.markets.get(order.marketId)?.settlementPriceWad ?? 0n) !== 0n;
      if (settled || next > order.expiresAt) jobs.push({ order, action: "cancel" });
      else if (next >= order.executableAt) jobs.push({ order, action: "execute" });
    }
    this.metrics.pendingOrders.set(this.mirror.orders.size);
    return jobs.sort((a, b) =>
      a.order.executableAt < b.order.executableAt ? -1 : a.order.executableAt > b.order.executableAt ? 1 : 0,
    );
  }

  private logPriceUpdates(sync: SyncResult): void {
    for (const block of sync.applied) {
      for (const event of block.events) {
        if (event.name === "AnswerUpdated") {
          this.log.debug(
            { feed: event.feed, answer: event.answer.toString(), block: event.blockNumber },
            "price update",
          );
        }
      }
    }
  }

  private updateMetrics(snapshot: ChainSnapshot): void {
    const m = this.metrics;
    m.positionsTracked.set(this.mirror.positionCount());
    m.liquidatableNow.set(this.lastCandidates.length);
    for (const market of snapshot.markets) {
      m.priceValid.set({ market: market.symbol }, market.priceOk ? 1 : 0);
      if (market.feedUpdatedAt > 0)
        m.oracleAgeSeconds.set({ market: market.symbol }, snapshot.timestamp - market.feedUpdatedAt);
    }
    m.insuranceFundUsd.set(wadToNumber(snapshot.insuranceFundUsd));
    m.insuranceFundTargetUsd.set(wadToNumber(snapshot.insuranceFundTargetUsd));
    const target = snapshot.insuranceFundTargetUsd;
    m.insuranceFundRatio.set(target === 0n ? 1 : wadToNumber(snapshot.insuranceFundUsd) / wadToNumber(target));
    m.signerBalanceEth.set(wadToNumber(snapshot.keeperBalanceWei));
    const below = snapshot.insuranceFundUsd < target;
    if (below !== this.fundBelowTarget) {
      this.fundBelowTarget = below;
      const details = { fundUsd: wadToNumber(snapshot.insuranceFundUsd), targetUsd: wadToNumber(target) };
      if (below) this.log.warn(details, "ALERT insurance fund below its target");
      else this.log.info(details, "insurance fund back at its target");
    }
  }

  private async maybeCheckpoint(force = false): Promise<void> {
    if (!force && Date.now() - this.lastCheckpointAt < this.config.checkpointIntervalSeconds * 1_000) return;
    if (!this.mirror.head) return;
    writeCheckpoint(this.config.checkpointPath, this.mirror, this.identity);
    this.lastCheckpointAt = Date.now();
    this.log.debug({ block: this.mirror.head.number, path: this.config.checkpointPath }, "checkpoint written");
  }

  health(): HealthStatus {
    const reasons: string[] = [];
    const processed = this.mirror.head?.number;
    const lag = processed === undefined ? undefined : this.headNumber - processed;
    if (processed === undefined) reasons.push("no block processed yet");
    if (lag !== undefined && lag > this.config.healthMaxLagBlocks) reasons.push(`${lag} blocks behind the head`);
    const silenceSeconds = (Date.now() - this.lastRpcOkAt) / 1_000;
    if (silenceSeconds > this.config.healthMaxSilenceSeconds)
      reasons.push(`RPC silent for ${Math.round(silenceSeconds)} s`);
    if (this.config.healthMaxBlockAgeSeconds > 0 && this.lastBlockTimestamp > 0) {
      const ageSeconds = Date.now() / 1_000 - this.lastBlockTimestamp;
      if (ageSeconds > this.config.healthMaxBlockAgeSeconds)
        reasons.push(`last processed block is ${Math.round(ageSeconds)} s old`);
    }
    return { healthy: reasons.length === 0, reasons, lastProcessedBlock: processed, blockLag: lag };
  }

  /** `/mirror`: every mirrored position with the SDK's equity and requirement at the last snapshot. */
  mirrorView(): unknown {
    const snapshot = this.lastSnapshot;
    const positions: unknown[] = [];
    const consistent = snapshot && this.mirror.head && this.lastSnapshotHash === this.mirror.head.hash;
    if (snapshot && consistent) {
      const now = BigInt(snapshot.timestamp);
      for (const reading of snapshot.markets) {
        const market = this.mirror.markets.get(reading.marketId);
        if (!market || !reading.priceOk) continue;
        const funding = fundingIndexAt(market, reading.priceWad, now);
        for (const [account, position] of this.mirror.positions.get(reading.marketId) ?? []) {
          const health = mirroredHealth(market, market.state, position, reading.priceWad, now, funding);
          positions.push({ marketId: reading.marketId, account, ...position, ...health });
        }
      }
    }
    return {
      block: this.mirror.head,
      snapshotBlock: consistent ? snapshot?.blockNumber : undefined,
      timestamp: consistent ? snapshot?.timestamp : undefined,
      markets: [...this.mirror.markets.values()].map((m) => ({ marketId: m.marketId, state: m.state })),
      positions,
    };
  }

  /** Finishes the iteration in progress, writes the checkpoint, closes the endpoints. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.wake?.();
    await this.running;
    await this.maybeCheckpoint(true);
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
    this.log.info({ block: this.mirror.head?.number }, "stopped; checkpoint written");
  }

  private sleep(ms: number): Promise<void> {
    if (this.stopping) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wake = done;
    });
  }
}
