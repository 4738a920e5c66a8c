/**
 * The JSON report of a simulation (`report.json`): what the terminal table and the HTML report show.
 * Exact USD amounts are decimal strings; the chart series are numbers (USD, prices, share price).
 * Built by `buildReport` as a pure function of the run log; it contains nothing time- or machine-dependent.
 */

import type { ForkProvenance } from "../fork/provenance";

export const REPORT_VERSION = 1;

export interface InvariantResult {
  name: string;
  description: string;
  /** How many times it was evaluated. */
  checked: number;
  failures: number;
  /** Evaluations skipped because an input was unavailable (e.g. the vault could not be valued). */
  notEvaluated: number;
  pass: boolean;
  /** The first few failures, readable. */
  examples: string[];
}

export interface MarketSummary {
  symbol: string;
  source: string;
  startPriceUsd: string;
  minPriceUsd: string;
  maxPriceUsd: string;
  endPriceUsd: string;
  /** Largest single-step move, percent (signed). */
  largestStepMovePct: number;
}

export interface SimReport {
  reportVersion: number;
  scenario: {
    name: string;
    description: string;
    seed: string;
    overrides: Record<string, number>;
    keeper: string;
    chain: string;
    /** On a fork of a live network: the network, block, feeds read and funding (sim/fork/provenance.ts). */
    fork?: ForkProvenance;
  };
  population: {
    traders: number;
    lps: number;
    byBehaviour: Record<string, number>;
    longs: number;
    shorts: number;
    leverage: { min: number; median: number; max: number };
    totalNotionalUsd: string;
    lpDepositsUsd: string;
  };
  steps: number;
  markets: MarketSummary[];
  summary: {
    liquidations: { total: number; partial: number; full: number; bankrupt: number };
    /** Σ deficits of bankrupt liquidations (and settled closes). */
    badDebtUsd: string;
    deficitSplitUsd: { insurance: string; adl: string; vault: string; socialized: string };
    adl: { liquidationsWithAdl: number; counterpartiesDeleveraged: number };
    vaultProtection: { walks: number; positionsReduced: number };
    socializedLoss: { events: number; totalUsd: string };
    penaltiesUsd: string;
    keeperRewardsUsd: string;
    liquidationSkips: Record<string, number>;
    insuranceFund: { startUsd: string; endUsd: string; minUsd: string };
    vault: {
      startEquityUsd: string | null;
      endEquityUsd: string | null;
      minEquityUsd: string | null;
      startSharePrice: number | null;
      endSharePrice: number | null;
      /** Worst peak-to-trough fall of the share price (mark to market), percent. */
      worstDrawdownPct: number;
    };
    /** Per action kind (open, topUp, takeProfit, reenter, lpRedeem, liquidateMany …): succeeded / failed. */
    actions: Record<string, { ok: number; failed: number }>;
    /** Failed actions by custom error. */
    rejections: Record<string, number>;
    /** Delayed orders: committed, executed, cancelled (by the custom error that cancelled them). */
    orders: { committed: number; executed: number; cancelled: number; cancelReasons: Record<string, number> };
    openPositionsAtEnd: number;
    clockOverrunSeconds: number;
  };
  invariants: InvariantResult[];
  series: {
    step: number[];
    label: string[];
    pricesUsd: Record<string, (number | null)[]>;
    longOpenInterestUsd: Record<string, (number | null)[]>;
    shortOpenInterestUsd: Record<string, (number | null)[]>;
    insuranceFundUsd: number[];
    vaultEquityUsd: (number | null)[];
    sharePrice: (number | null)[];
    liquidationsPartial: number[];
    liquidationsFull: number[];
    liquidationsBankrupt: number[];
    badDebtUsd: number[];
    adlPaidUsd: number[];
    vaultPaidUsd: number[];
    socializedUsd: number[];
    cumulativeBadDebtUsd: number[];
  };
}
