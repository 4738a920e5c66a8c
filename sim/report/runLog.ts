/**
 * The run log: everything a simulation did and saw, one JSON record per line (JSONL). Reports are pure
 * functions of it (STYLE 18), so `npm run simulate -- --rebuild <run.jsonl>` rebuilds them without a chain.
 *
 * Records, in order: one `header`; then per step a `step` marker, the chain `event`s of that step (every
 * protocol event, in chain order), the `action`s the agents, keeper and feeder took (with the revert reason
 * when one failed), and `observation`s read from the chain's views after the keeper ran and at the step's
 * end; `prediction`s of the keeper's liquidations by the SDK, each before the events of its transaction; one
 * `end`. Integers are decimal strings (1e18 USD, 1e18 sizes, token units where named).
 * Nothing here depends on the wall clock: the same seed writes the same log.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { RunLogError } from "../errors";
import type { ChainEvent } from "../events/decodeEvents";
import type { ForkProvenance } from "../fork/provenance";
import type { Scenario } from "../scenario/schema";

export const RUN_LOG_VERSION = 1;

export interface LoggedMarket {
  symbol: string;
  marketId: string;
  feed: string;
  feedDecimals: number;
  /** Every MarketParams field as a decimal string. */
  params: Record<string, string>;
  tiers: { notionalFloorUsd: string; initialMarginBps: string; maintenanceMarginBps: string }[];
}

export interface HeaderRecord {
  type: "header";
  version: number;
  scenario: Scenario;
  /** Overrides applied on top of the scenario file (sweep cells). */
  overrides: Record<string, number>;
  /** `label` and `fork` on a fork of a live network (sim/fork): which network, block and source. */
  chain: { kind: string; chainId: number; label?: string; fork?: ForkProvenance };
  keeper: string;
  deployment: {
    engine: string;
    vault: string;
    collateral: string;
    collateralDecimals: number;
    startBlock: number;
    markets: LoggedMarket[];
  };
  path: {
    labels: string[];
    offsetsSeconds: number[];
    pricesUsd: Record<string, string[]>;
    sources: Record<string, string>;
  };
  population: {
    traders: {
      address: string;
      symbol: string;
      isLong: boolean;
      behaviour: string;
      notionalUsd: string;
      marginUsd: string;
      leverage: number;
    }[];
    lps: { address: string; depositUsd: string; panics: boolean }[];
    keeper: string;
  };
}

export interface StepRecord {
  type: "step";
  step: number;
  label: string;
  /** Nominal seconds since step 0 (from the path) and the block time the step started at. */
  offsetSeconds: number;
  timestamp: number;
}

export interface EventRecord {
  type: "event";
  step: number;
  event: ChainEvent;
}

export type ActorRole = "trader" | "lp" | "keeper" | "feeder" | "setup";

export interface ActionRecord {
  type: "action";
  step: number;
  role: ActorRole;
  actor: string;
  /** open, close, topUp, reenter, lpDeposit, lpRedeem, liquidateMany, deleverageVault, feedUpdate, … */
  kind: string;
  ok: boolean;
  /** The custom error's name when it failed. */
  reason?: string;
  reasonArgs?: string[];
}

export interface MarketObservation {
  /** The oracle price (1e18) or null while invalid. */
  priceWad: string | null;
  netSize: string;
  longOpenInterest: string;
  shortOpenInterest: string;
  fundingIndexWad: string;
  longLossIndexWad: string;
  shortLossIndexWad: string;
  sumSizeTimesEntry: string;
  sumSizeTimesFundingSnapshot: string;
  sumLongSizeTimesLossSnapshot: string;
  sumShortSizeTimesLossSnapshot: string;
}

export interface PositionEquity {
  account: string;
  marketId: string;
  equityUsd: string;
}

export interface ObservationRecord {
  type: "observation";
  step: number;
  /** afterKeeper: right after the keeper's cycle; end: after everyone acted. */
  phase: "afterKeeper" | "end";
  block: number;
  timestamp: number;
  markets: Record<string, MarketObservation>;
  /** Open positions with equity < 0 (SDK, at this block's price and time). */
  negativeEquity: PositionEquity[];
  /** Open positions still liquidatable (SDK). */
  liquidatableCount: number;
  /** Σ max(0, equity) over open positions. */
  positiveEquityUsd: string;
  openPositions: number;
  insuranceFundUsd: string;
  /** The engine's totals (FuzzLens): read at the step's end only (null after the keeper). */
  engineTokenBalance: string | null;
  vaultCashUsd: string | null;
  vaultShareSupply: string | null;
  /** null also while the vault cannot be valued (a market with open interest has no valid price). */
  vaultEquityForDepositUsd: string | null;
  vaultEquityForWithdrawUsd: string | null;
  /** Σ free balances of every account the run knows (end of step; null after the keeper). */
  freeBalancesUsd: string | null;
  /** Escrowed margin and fees of pending orders (end of step; null after the keeper). */
  escrowedOrdersUsd: string | null;
}

export interface AuditRecord {
  type: "audit";
  /** Open positions compared with `getPosition` at the last block; mismatches listed. */
  positionsCompared: number;
  mismatches: { account: string; marketId: string; field: string; events: string; chain: string }[];
}

/** The SDK's prediction of one entry of a keeper's `liquidate`/`liquidateMany` (sim/engine/liquidationPredictor.ts). */
export interface PredictedLiquidation {
  account: string;
  marketId: string;
  /** liquidated: `fields` hold the predicted `Liquidated` event; skipped: the engine should skip it; beyondViews:
   * the SDK threw where the engine would revert, or an earlier entry of the transaction did (not compared). */
  outcome: "liquidated" | "skipped" | "beyondViews";
  fields?: Record<string, string>;
}

export interface PredictionRecord {
  type: "prediction";
  step: number;
  txHash: string;
  entries: PredictedLiquidation[];
}

export interface EndRecord {
  type: "end";
  steps: number;
  lastBlock: number;
  /** Seconds the clock ran past nominal step times because steps had more transactions than seconds. */
  clockOverrunSeconds: number;
}

export type RunRecord =
  | HeaderRecord
  | StepRecord
  | EventRecord
  | ActionRecord
  | ObservationRecord
  | AuditRecord
  | PredictionRecord
  | EndRecord;

export function writeRunLog(path: string, records: readonly RunRecord[]): void {
  writeFileSync(path, records.map((record) => JSON.stringify(record)).join("\n") + "\n");
}

export function readRunLog(path: string): RunRecord[] {
  const lines = readFileSync(path, "utf8")
    .split("\n")
    .filter((line) => line.trim() !== "");
  const records = lines.map((line, index) => {
    try {
      return JSON.parse(line) as RunRecord;
    } catch {
      throw new RunLogError("run log line is not JSON", { path, line: index + 1 });
    }
  });
  const header = records[0];
  if (!header || header.type !== "header") throw new RunLogError("run log does not start with a header", { path });
  if (header.version !== RUN_LOG_VERSION) {
    throw new RunLogError("run log version not supported", { path, version: header.version });
  }
  if (records[records.length - 1].type !== "end")
    throw new RunLogError("run log is incomplete (no end record)", { path });
  return records;
}
