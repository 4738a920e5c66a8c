/**
 * The invariants a simulation checks (issue 14, DESIGN §12), evaluated from the run log alone: each record
 * is fed in order; events rebuild the protocol's books (sim/events/protocolLedger.ts) and observations bring
 * what the chain's views said at that block.
 */
import { decodeRevertData } from "../chain/revertReason";
import { bigArg, strArg, type ChainEvent } from "../events/decodeEvents";
import { ProtocolLedger } from "../events/protocolLedger";
import type {
  AuditRecord,
  ObservationRecord,
  RunRecord,
  ActionRecord,
  PredictedLiquidation,
  PredictionRecord,
} from "./runLog";
import type { InvariantResult } from "./reportTypes";

const entryKey = (account: string, marketId: string) => `${account.toLowerCase()}/${marketId.toLowerCase()}`;

/** Failures quoted per invariant in the report. */
const EXAMPLES_KEPT = 5;

class Invariant {
  checked = 0;
  failures = 0;
  notEvaluated = 0;
  readonly examples: string[] = [];

  constructor(
    readonly name: string,
    readonly description: string,
  ) {}

  record(ok: boolean, describe: () => string): void {
    this.checked++;
    if (ok) return;
    this.failures++;
    if (this.examples.length < EXAMPLES_KEPT) this.examples.push(describe());
  }

  /** Adds a batch evaluated at once (the end-of-run audit). */
  recordBatch(checked: number, failed: string[]): void {
    this.checked += checked;
    this.failures += failed.length;
    for (const example of failed) if (this.examples.length < EXAMPLES_KEPT) this.examples.push(example);
  }

  result(): InvariantResult {
    return {
      name: this.name,
      description: this.description,
      checked: this.checked,
      failures: this.failures,
      notEvaluated: this.notEvaluated,
      pass: this.failures === 0,
      examples: this.examples,
    };
  }
}

/** Deleveraged events seen in one transaction, waiting for the Liquidated or VaultDeleveraged they belong to. */
interface AdlGroup {
  txHash: string;
  fundBeforeUsd: bigint;
  events: ChainEvent[];
}

const abs = (x: bigint) => (x < 0n ? -x : x);

export class InvariantTracker {
  private readonly ledger = new ProtocolLedger();
  private pendingAdl: AdlGroup | undefined;
  private step = 0;

  readonly splits = new Invariant(
    "waterfallSplitsSum",
    "Every liquidation's deficit = insurance + ADL + vault + socialized (settled closes: insurance + vault)",
  );
  readonly adlMinimal = new Invariant(
    "adlMinimal",
    "ADL closes at most ⌊q·(D − I)/D⌋ (I = insurance available), only opposite-side counterparties in profit",
  );
  readonly negativeEquity = new Invariant(
    "noNegativeEquityAfterKeeper",
    "After the keeper's cycle no open position has negative equity",
  );
  readonly revertedLiquidations = new Invariant(
    "noRevertedLiquidation",
    "No keeper transaction (liquidateMany, deleverageVault, executeOrder, cancelOrder) reverted",
  );
  readonly vaultEquity = new Invariant("vaultEquityNonNegative", "The vault's equity (mark to market) stays ≥ 0");
  readonly solvency = new Invariant(
    "solvency",
    "Tokens held ≥ every claim: free balances + positive equity + vault equity + insurance fund + order escrow",
  );
  readonly eventsMatchChain = new Invariant(
    "eventsMatchChain",
    "Books rebuilt from the events equal the chain's market aggregates and insurance fund at every observation",
  );
  readonly ordersExecuted = new Invariant(
    "ordersExecutedBeforeExpiry",
    "Every committed order was executed (or cancelled for its trade's reason) by the keeper before it expired",
  );
  /** Committed orders not yet executed or cancelled, by "account/market". */
  private readonly openOrders = new Map<string, number>();
  readonly mirrorMatchesPositions = new Invariant(
    "mirrorMatchesPositions",
    "At the end, every trader's position rebuilt from the events equals getPosition on chain",
  );

  readonly liquidationsMatchSdk = new Invariant(
    "liquidationsMatchSdk",
    "Every keeper liquidation equals the SDK's simulateLiquidation on its pre-state (views, ADL queue order from the events), field by field",
  );
  /** SDK predictions waiting for their transaction's events: txHash → "account/market" → prediction. */
  private readonly predictions = new Map<string, Map<string, PredictedLiquidation>>();

  /** Observations are keyed by symbol, the books by market id. */
  private readonly marketIds: Map<string, string>;

  constructor(
    private readonly collateralScale: bigint,
    markets: readonly { symbol: string; marketId: string }[],
  ) {
    this.marketIds = new Map(markets.map((market) => [market.symbol, market.marketId]));
  }

  all(): Invariant[] {
    return [
      this.splits,
      this.adlMinimal,
      this.negativeEquity,
      this.revertedLiquidations,
      this.vaultEquity,
      this.solvency,
      this.eventsMatchChain,
      this.ordersExecuted,
      this.mirrorMatchesPositions,
      this.liquidationsMatchSdk,
    ];
  }

  feed(record: RunRecord): void {
    switch (record.type) {
      case "step":
        this.settlePredictions();
        this.step = record.step;
        return;
      case "prediction":
        this.onPrediction(record);
        return;
      case "event":
        this.onEvent(record.event);
        return;
      case "action":
        this.onAction(record);
        return;
      case "observation":
        this.onObservation(record);
        return;
      case "audit":
        this.onAudit(record);
        return;
      case "end":
        this.settlePredictions();
        for (const [key, step] of this.openOrders) {
          this.ordersExecuted.record(false, () => `order ${key} committed at step ${step} still pending at the end`);
        }
        this.openOrders.clear();
        return;
      default:
        return;
    }
  }

  private onOrderEvent(event: ChainEvent): void {
    const key = `${strArg(event, "account").toLowerCase()}/${strArg(event, "marketId").toLowerCase()}`;
    if (event.name === "OrderCommitted") {
      this.openOrders.set(key, this.step);
      return;
    }
    this.openOrders.delete(key);
    const expired =
      event.name === "OrderCancelled" && decodeRevertData(strArg(event, "reason")).name === "OrderExpired";
    this.ordersExecuted.record(!expired, () => `step ${this.step}: order ${key} expired before the keeper executed it`);
  }

  private onPrediction(record: PredictionRecord): void {
    const entries = new Map<string, PredictedLiquidation>();
    for (const entry of record.entries) {
      if (entry.outcome === "beyondViews") this.liquidationsMatchSdk.notEvaluated++;
      else entries.set(entryKey(entry.account, entry.marketId), entry);
    }
    this.predictions.set(record.txHash.toLowerCase(), entries);
  }

  /** A liquidation against the SDK's prediction for its transaction (none: not predicted, e.g. node time). */
  private checkPrediction(event: ChainEvent): void {
    const entries = this.predictions.get(event.txHash.toLowerCase());
    const key = entryKey(strArg(event, "account"), strArg(event, "marketId"));
    const predicted = entries?.get(key);
    if (!entries || !predicted) return;
    entries.delete(key);
    const where = `step ${this.step} tx ${event.txHash} ${key}`;
    if (predicted.outcome === "skipped") {
      this.liquidationsMatchSdk.record(false, () => `${where}: the SDK said the engine skips it, the chain liquidated`);
      return;
    }
    const differing = Object.entries(predicted.fields ?? {}).filter(([field, value]) => strArg(event, field) !== value);
    this.liquidationsMatchSdk.record(
      differing.length === 0,
      () => `${where}: ${differing.map(([f, v]) => `${f} SDK ${v} ≠ chain ${strArg(event, f)}`).join(", ")}`,
    );
  }

  /** After a step's events: predicted liquidations that did not happen fail, predicted skips pass. */
  private settlePredictions(): void {
    for (const [txHash, entries] of this.predictions) {
      for (const [key, entry] of entries) {
        this.liquidationsMatchSdk.record(
          entry.outcome === "skipped",
          () => `step ${this.step} tx ${txHash} ${key}: the SDK predicted a liquidation, the chain has none`,
        );
      }
    }
    this.predictions.clear();
  }

  private onEvent(event: ChainEvent): void {
    if (event.contract === "engine" && event.name.startsWith("Order")) this.onOrderEvent(event);
    if (event.contract === "engine") {
      if (event.name === "Deleveraged") {
        if (!this.pendingAdl || this.pendingAdl.txHash !== event.txHash) {
          this.pendingAdl = { txHash: event.txHash, fundBeforeUsd: this.ledger.insuranceFundUsd, events: [] };
        }
        this.pendingAdl.events.push(event);
      } else if (event.name === "Liquidated") {
        this.checkLiquidation(event);
        this.checkPrediction(event);
      } else if (event.name === "VaultDeleveraged") {
        if (this.pendingAdl?.txHash === event.txHash) this.pendingAdl = undefined;
      } else if (event.name === "SettledPositionClosed") {
        const deficit = bigArg(event, "deficitUsd");
        const sum = bigArg(event, "insurancePaidUsd") + bigArg(event, "vaultPaidUsd");
        this.splits.record(sum === deficit, () => `step ${this.step}: settled close deficit ${deficit} ≠ ${sum}`);
      }
    }
    this.ledger.apply(event);
  }

  private checkLiquidation(event: ChainEvent): void {
    const deficit = bigArg(event, "deficitUsd");
    const parts = ["insurancePaidUsd", "adlPaidUsd", "vaultPaidUsd", "socializedUsd"].map((name) =>
      bigArg(event, name),
    );
    const sum = parts.reduce((a, b) => a + b, 0n);
    this.splits.record(
      sum === deficit,
      () => `step ${this.step} tx ${event.txHash}: deficit ${deficit} ≠ Σ split ${sum}`,
    );

    const group = this.pendingAdl?.txHash === event.txHash ? this.pendingAdl : undefined;
    const marketId = strArg(event, "marketId").toLowerCase();
    const mine = group?.events.filter((e) => strArg(e, "marketId").toLowerCase() === marketId) ?? [];
    if (group) this.pendingAdl = undefined;
    if (mine.length === 0) return;
    const closedSize = bigArg(event, "closedSize");
    const q = abs(closedSize);
    const insuranceBudget = deficit < group!.fundBeforeUsd ? deficit : group!.fundBeforeUsd;
    const target = deficit === 0n ? 0n : (q * (deficit - insuranceBudget)) / deficit;
    const placed = mine.reduce((total, e) => total + abs(bigArg(e, "size")), 0n);
    const oppositeAndProfitable = mine.every(
      (e) => bigArg(e, "size") > 0n !== closedSize > 0n && bigArg(e, "realizedPnlUsd") > 0n,
    );
    this.adlMinimal.record(
      placed <= target && oppositeAndProfitable,
      () =>
        `step ${this.step} tx ${event.txHash}: ADL placed ${placed} vs minimal ${target}` +
        (oppositeAndProfitable ? "" : " (a counterparty was same-side or not in profit)"),
    );
  }

  private onAction(action: ActionRecord): void {
    if (action.role !== "keeper") return;
    this.revertedLiquidations.record(
      action.ok,
      () => `step ${action.step}: ${action.kind} reverted with ${action.reason}`,
    );
  }

  private onObservation(observation: ObservationRecord): void {
    if (observation.phase === "afterKeeper") {
      this.negativeEquity.record(observation.negativeEquity.length === 0, () => {
        const worst = observation.negativeEquity.reduce(
          (w, p) => (BigInt(p.equityUsd) < w ? BigInt(p.equityUsd) : w),
          0n,
        );
        return `step ${observation.step}: ${observation.negativeEquity.length} positions below zero (worst ${worst})`;
      });
    }
    for (const [symbol, chain] of Object.entries(observation.markets)) {
      const marketId = this.marketIdOf(observation, symbol);
      const books = this.ledger.marketState(marketId);
      const fields = [
        "netSize",
        "longOpenInterest",
        "shortOpenInterest",
        "fundingIndexWad",
        "longLossIndexWad",
        "shortLossIndexWad",
        "sumSizeTimesEntry",
        "sumSizeTimesFundingSnapshot",
        "sumLongSizeTimesLossSnapshot",
        "sumShortSizeTimesLossSnapshot",
      ] as const;
      const wrong = fields.filter((field) => books[field] !== BigInt(chain[field]));
      this.eventsMatchChain.record(
        wrong.length === 0,
        () => `step ${observation.step} ${symbol}: ${wrong.join(", ")} differ`,
      );
    }
    this.eventsMatchChain.record(
      this.ledger.insuranceFundUsd === BigInt(observation.insuranceFundUsd),
      () =>
        `step ${observation.step}: insurance fund from events ${this.ledger.insuranceFundUsd} ≠ ${observation.insuranceFundUsd}`,
    );
    if (observation.phase !== "end") return;
    if (observation.vaultEquityForDepositUsd === null) {
      this.vaultEquity.notEvaluated++;
    } else {
      const equity = BigInt(observation.vaultEquityForDepositUsd);
      this.vaultEquity.record(equity >= 0n, () => `step ${observation.step}: vault equity ${equity}`);
    }
    if (
      observation.freeBalancesUsd === null ||
      observation.vaultEquityForDepositUsd === null ||
      observation.engineTokenBalance === null ||
      observation.escrowedOrdersUsd === null
    ) {
      this.solvency.notEvaluated++;
      return;
    }
    const vaultEquity = BigInt(observation.vaultEquityForDepositUsd);
    const claims =
      BigInt(observation.freeBalancesUsd) +
      BigInt(observation.positiveEquityUsd) +
      (vaultEquity > 0n ? vaultEquity : 0n) +
      BigInt(observation.insuranceFundUsd) +
      BigInt(observation.escrowedOrdersUsd);
    const held = BigInt(observation.engineTokenBalance) * this.collateralScale;
    this.solvency.record(held >= claims, () => `step ${observation.step}: held ${held} < claims ${claims}`);
  }

  private onAudit(audit: AuditRecord): void {
    const byAccount = new Map<string, string>();
    for (const m of audit.mismatches) {
      if (!byAccount.has(m.account))
        byAccount.set(m.account, `${m.account} ${m.field}: events ${m.events} ≠ chain ${m.chain}`);
    }
    this.mirrorMatchesPositions.recordBatch(audit.positionsCompared, [...byAccount.values()]);
  }

  private marketIdOf(observation: ObservationRecord, symbol: string): string {
    const id = this.marketIds.get(symbol);
    if (!id) throw new Error(`observation at step ${observation.step} names unknown market ${symbol}`);
    return id;
  }
}
