/**
 * What a scenario file may say (STYLE 18: scenarios are data; the engine in sim/engine reads them).
 * A scenario names the seed, the price path of every market, the population of traders and LPs, the
 * protocol parameters that differ from the local deployment (deploy/config.ts), the keeper's settings and
 * the checks' cadence. Files are YAML or JSON; `loadScenario` validates them with this schema and reports
 * the offending field.
 */
import { z } from "zod";

const positive = z.number().positive();
const nonNegative = z.number().nonnegative();
const fraction = z.number().min(0).max(1);
const bps = z.number().int().min(0).max(10_000);

/** A distribution to draw a per-agent number from. */
export const distributionSchema = z
  .discriminatedUnion("kind", [
    z.object({ kind: z.literal("fixed"), value: nonNegative }).strict(),
    z.object({ kind: z.literal("uniform"), min: nonNegative, max: nonNegative }).strict(),
    z
      .object({
        kind: z.literal("logNormal"),
        /** exp(μ): half of the draws are below it. */
        median: positive,
        /** σ of the underlying normal. */
        sigma: nonNegative,
        min: nonNegative.optional(),
        max: positive.optional(),
      })
      .strict(),
    z
      .object({
        kind: z.literal("choice"),
        values: z.array(nonNegative).min(1),
        /** Same length as `values`; equal weights when absent. */
        weights: z.array(nonNegative).optional(),
      })
      .strict(),
  ])
  .superRefine((d, ctx) => {
    if (d.kind === "uniform" && d.max < d.min) ctx.addIssue({ code: "custom", message: "max must be ≥ min" });
    if (d.kind === "choice" && d.weights && d.weights.length !== d.values.length) {
      ctx.addIssue({ code: "custom", message: "weights must match values" });
    }
  });
export type Distribution = z.infer<typeof distributionSchema>;

/** Random noise on top of a synthetic shock (geometric Brownian motion, annualised). */
const noiseSchema = z
  .object({
    annualVolatility: nonNegative.default(0),
    annualDrift: z.number().default(0),
  })
  .strict();

/** Where a market's prices come from, one value per step of the timeline. */
export const pathSchema = z.discriminatedUnion("kind", [
  z
    .object({
      kind: z.literal("csv"),
      /**
       * A close series (`timestamp_utc_iso,unix_seconds,price_usd`) or an hourly OHLC file
       * (`bar_open_utc_iso,bar_close_unix_seconds,open,high,low,close`, walked open → high/low → close).
       * Relative paths resolve against the scenario file's folder, then sim/data/.
       */
      file: z.string().min(1),
    })
    .strict(),
  z.object({ kind: z.literal("flat"), startPriceUsd: positive }).strict(),
  z
    .object({
      kind: z.literal("gbm"),
      startPriceUsd: positive,
      annualVolatility: nonNegative,
      annualDrift: z.number().default(0),
      /** Merton jumps: Poisson arrivals per day, each a lognormal move of mean/std percent. */
      jumps: z.object({ perDay: nonNegative, meanPct: z.number(), stdPct: nonNegative }).strict().optional(),
    })
    .strict(),
  z
    .object({
      /** One update moves the price by `changePct` (e.g. −40). */
      kind: z.literal("gap"),
      startPriceUsd: positive,
      changePct: z.number().gt(-100),
      atStep: z.number().int().min(1),
      noise: noiseSchema.optional(),
    })
    .strict(),
  z
    .object({
      /** `changePct` spread geometrically over `overSteps` updates (a −60% hour in small steps). */
      kind: z.literal("cascade"),
      startPriceUsd: positive,
      changePct: z.number().gt(-100).default(-60),
      atStep: z.number().int().min(1),
      overSteps: z.number().int().min(1),
      noise: noiseSchema.optional(),
    })
    .strict(),
  z
    .object({
      /** A cascade upwards (+80% by default): shorts are squeezed. */
      kind: z.literal("squeeze"),
      startPriceUsd: positive,
      changePct: z.number().gt(0).default(80),
      atStep: z.number().int().min(1),
      overSteps: z.number().int().min(1),
      noise: noiseSchema.optional(),
    })
    .strict(),
]);
export type PathSpec = z.infer<typeof pathSchema>;

/** Per-trader behaviours (issue 14): each trader follows one, drawn with these weights. */
const behavioursSchema = z
  .object({
    hold: nonNegative.default(1),
    /** Adds margin from its reserve when equity / maintenance requirement falls below `triggerHealth`. */
    topUp: nonNegative.default(0),
    /** Closes once unrealised PnL reaches `profitPctOfMargin` of its initial margin. */
    takeProfit: nonNegative.default(0),
    /** Opens the same trade again `afterSteps` steps after being fully liquidated. */
    reenter: nonNegative.default(0),
  })
  .strict()
  .refine((b) => b.hold + b.topUp + b.takeProfit + b.reenter > 0, "at least one behaviour needs a positive weight");

const behaviourParamsSchema = z
  .object({
    topUp: z
      .object({
        triggerHealth: z.number().gt(1).default(1.25),
        addFractionOfMargin: positive.default(0.5),
        maxTimes: z.number().int().min(1).default(3),
      })
      .strict()
      .default({}),
    takeProfit: z
      .object({ profitPctOfMargin: positive.default(50) })
      .strict()
      .default({}),
    reenter: z
      .object({ afterSteps: z.number().int().min(1).default(2), maxTimes: z.number().int().min(1).default(3) })
      .strict()
      .default({}),
  })
  .strict()
  .default({});

export const populationSchema = z
  .object({
    traders: z.number().int().min(0),
    /** Relative weight of each market symbol; all markets of the scenario equally when absent. */
    marketWeights: z.record(z.string(), nonNegative).optional(),
    /** Share of traders who go long. */
    longShare: fraction.default(0.5),
    /** Leverage = notional / margin, capped by the market's initial margin (the effective leverage is reported). */
    leverage: distributionSchema,
    notionalUsd: distributionSchema,
    /** Extra free collateral each trader deposits, as a multiple of its initial margin (top-ups, re-entries). */
    reserveMultiple: nonNegative.default(1),
    behaviours: behavioursSchema.default({}),
    params: behaviourParamsSchema,
  })
  .strict();

export const lpSchema = z
  .object({
    count: z.number().int().min(1),
    depositUsd: distributionSchema,
    /** LPs that redeem part of their shares when the share price falls `drawdownPct` below its peak. */
    panic: z
      .object({
        share: fraction.default(0),
        drawdownPct: positive.default(2),
        withdrawFraction: z.number().gt(0).max(1).default(0.5),
      })
      .strict()
      .default({}),
  })
  .strict();

/** Overrides of one market's parameters (deploy/config.ts defaults otherwise). */
const marketOverridesSchema = z
  .object({
    /** First margin tier's rates; later tiers are raised to stay non-decreasing. */
    initialMarginBps: bps.optional(),
    maintenanceMarginBps: bps.optional(),
    maxOpenInterestPerSide: positive.optional(),
    skewScale: positive.optional(),
    takerFeeBps: bps.optional(),
    liquidationPenaltyBps: bps.optional(),
    liquidationBufferBps: bps.optional(),
    /** May exceed 100% (the contract bounds it by uint16 only). */
    maxVaultExposureBps: z.number().int().min(1).max(65_535).optional(),
    vaultReserveBps: bps.optional(),
  })
  .strict();

/**
 * Two-step orders (issue 11): every trade is committed, then executed by the keeper after the delay at the price
 * of that moment. The defaults are the devnet's (deploy/config.ts DEVNET_ORDERS); a delay of 0 trades instantly.
 */
const ordersSchema = z
  .object({
    executionDelaySeconds: z.number().int().min(0).max(600).default(5),
    orderExpirySeconds: z.number().int().min(60).max(86_400).default(300),
    executionFeeUsd: nonNegative.max(100).default(0.5),
  })
  .strict()
  .default({});

export const protocolSchema = z
  .object({
    /** Donated to the insurance fund before the first step (USD). */
    insuranceFundUsd: nonNegative.default(50_000),
    orders: ordersSchema,
    /** Applied to every market, then `markets[symbol]` on top. */
    allMarkets: marketOverridesSchema.default({}),
    markets: z.record(z.string(), marketOverridesSchema).default({}),
    adl: z
      .object({
        maxSteps: z.number().int().min(0).max(64).optional(),
        maxSkips: z.number().int().min(0).max(1_024).optional(),
        vaultLossUpperBps: bps.optional(),
        vaultLossLowerBps: bps.optional(),
      })
      .strict()
      .default({}),
  })
  .strict()
  .default({});

/** Which keeper drives the run: the project's keeper (keeper/) or the simulator's stand-in (sim/keeper/standInKeeper.ts). */
export const KEEPER_IMPLEMENTATIONS = ["keeper", "stand-in"] as const;
export type KeeperImplementation = (typeof KEEPER_IMPLEMENTATIONS)[number];

export const keeperSchema = z
  .object({
    implementation: z.enum(KEEPER_IMPLEMENTATIONS).default("keeper"),
    /** Entries per `liquidateMany` transaction. */
    batchSize: z.number().int().min(1).max(500).default(100),
    /** Liquidation rounds per keeper cycle (a socialized loss can make more positions liquidatable). */
    maxRoundsPerStep: z.number().int().min(1).max(16).default(4),
  })
  .strict()
  .default({});

/** Parameters a sweep may vary; each maps onto the scenario (see sim/sweep/axes.ts). */
export const SWEEP_PARAMETERS = [
  "maintenanceMarginBps",
  "initialMarginBps",
  "maxLeverage",
  "insuranceFundUsd",
  "liquidationPenaltyBps",
  "vaultDepositUsd",
  "traders",
  "steps",
] as const;
export type SweepParameter = (typeof SWEEP_PARAMETERS)[number];

export const sweepSchema = z
  .object({
    axes: z
      .record(z.enum(SWEEP_PARAMETERS), z.array(z.number()).min(1))
      .refine((axes) => Object.keys(axes).length >= 1 && Object.keys(axes).length <= 3, "a sweep has 1 to 3 axes"),
  })
  .strict();

export const scenarioSchema = z
  .object({
    name: z.string().regex(/^[a-z0-9][a-z0-9._-]*$/, "lower-case letters, digits, '.', '_' and '-'"),
    description: z.string().default(""),
    seed: z.union([z.number().int(), z.string().min(1)]),
    /** Steps when no CSV path sets the timeline; with a CSV, at most this many of its rows. */
    steps: z.number().int().min(1).optional(),
    /** Seconds between steps for synthetic timelines (hourly by default). */
    secondsPerStep: z.number().int().min(60).default(3_600),
    markets: z.record(z.string(), z.object({ path: pathSchema }).strict()).refine((m) => Object.keys(m).length >= 1, {
      message: "at least one market",
    }),
    population: populationSchema,
    lps: lpSchema,
    protocol: protocolSchema,
    keeper: keeperSchema,
    sweep: sweepSchema.optional(),
  })
  .strict();

export type Scenario = z.infer<typeof scenarioSchema>;
export type ScenarioInput = z.input<typeof scenarioSchema>;
export type MarketOverrides = z.infer<typeof marketOverridesSchema>;
