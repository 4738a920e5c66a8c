/**
 * The report of a run as a pure function of its log (STYLE 18): no chain, no clock, no randomness.
 * `buildReport(readRunLog(path))` rebuilds exactly what the run wrote.
 */
import { formatUnits } from "ethers";
import { decodeRevertData } from "../chain/revertReason";
import { RunLogError } from "../errors";
import { bigArg, type ChainEvent } from "../events/decodeEvents";
import { InvariantTracker } from "./invariants";
import { REPORT_VERSION, type MarketSummary, type SimReport } from "./reportTypes";
import type { HeaderRecord, ObservationRecord, RunRecord } from "./runLog";

const WAD_DECIMALS = 18;
const PERCENT = 100;

export const usdString = (wad: bigint): string => formatUnits(wad, WAD_DECIMALS);
export const usdNumber = (wad: bigint): number => Number(formatUnits(wad, WAD_DECIMALS));

function median(values: number[]): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

function marketSummaries(header: HeaderRecord): MarketSummary[] {
  return header.deployment.markets.map(({ symbol }) => {
    const prices = header.path.pricesUsd[symbol];
    const numbers = prices.map(Number);
    let largest = 0;
    for (let i = 1; i < numbers.length; i++) {
      const move = (numbers[i] / numbers[i - 1] - 1) * PERCENT;
      if (Math.abs(move) > Math.abs(largest)) largest = move;
    }
    const minIndex = numbers.indexOf(Math.min(...numbers));
    const maxIndex = numbers.indexOf(Math.max(...numbers));
    return {
      symbol,
      source: header.path.sources[symbol],
      startPriceUsd: prices[0],
      minPriceUsd: prices[minIndex],
      maxPriceUsd: prices[maxIndex],
      endPriceUsd: prices[prices.length - 1],
      largestStepMovePct: Math.round(largest * 1_000) / 1_000,
    };
  });
}

/** Per-step event totals. */
interface StepTotals {
  partial: number;
  full: number;
  bankrupt: number;
  deficit: bigint;
  adl: bigint;
  vault: bigint;
  socialized: bigint;
}

const emptyTotals = (): StepTotals => ({
  partial: 0,
  full: 0,
  bankrupt: 0,
  deficit: 0n,
  adl: 0n,
  vault: 0n,
  socialized: 0n,
});

export function buildReport(records: readonly RunRecord[]): SimReport {
  const header = records[0];
  if (!header || header.type !== "header") throw new RunLogError("the run log does not start with a header");
  const end = records[records.length - 1];
  if (end.type !== "end") throw new RunLogError("the run log has no end record");
  const collateralScale = 10n ** BigInt(WAD_DECIMALS - header.deployment.collateralDecimals);
  const tracker = new InvariantTracker(collateralScale, header.deployment.markets);
  const symbols = header.deployment.markets.map((m) => m.symbol);

  const perStep = new Map<number, StepTotals>();
  const totalsOf = (step: number) => {
    let totals = perStep.get(step);
    if (!totals) {
      totals = emptyTotals();
      perStep.set(step, totals);
    }
    return totals;
  };
  const liquidations = { total: 0, partial: 0, full: 0, bankrupt: 0 };
  const split = { insurance: 0n, adl: 0n, vault: 0n, socialized: 0n };
  let badDebt = 0n;
  let penalties = 0n;
  let keeperRewards = 0n;
  let socializedEvents = 0;
  let socializedTotal = 0n;
  let vaultWalks = 0;
  let vaultReduced = 0;
  let liquidationsWithAdl = 0;
  let counterparties = 0;
  let pendingDeleveraged: ChainEvent[] = [];
  const skips: Record<string, number> = {};
  const actions: Record<string, { ok: number; failed: number }> = {};
  const rejections: Record<string, number> = {};
  const endObservations: ObservationRecord[] = [];
  let insuranceMin: bigint | undefined;
  let step = 0;
  const skipReasons = ["MarketNotListed", "PriceInvalid", "NoPosition", "Healthy", "MarketSettled"];
  const orders = { committed: 0, executed: 0, cancelled: 0, cancelReasons: {} as Record<string, number> };

  for (const record of records) {
    tracker.feed(record);
    if (record.type === "step") step = record.step;
    if (record.type === "action") {
      const entry = (actions[record.kind] ??= { ok: 0, failed: 0 });
      if (record.ok) entry.ok++;
      else {
        entry.failed++;
        const reason = `${record.kind}: ${record.reason ?? "unknown"}`;
        rejections[reason] = (rejections[reason] ?? 0) + 1;
      }
    }
    if (record.type === "observation" && record.phase === "end") {
      endObservations.push(record);
      const fund = BigInt(record.insuranceFundUsd);
      if (insuranceMin === undefined || fund < insuranceMin) insuranceMin = fund;
    }
    if (record.type !== "event" || record.event.contract !== "engine") continue;
    const event = record.event;
    const totals = totalsOf(step);
    switch (event.name) {
      case "Liquidated": {
        liquidations.total++;
        const deficit = bigArg(event, "deficitUsd");
        if (deficit > 0n) {
          liquidations.bankrupt++;
          totals.bankrupt++;
        } else if (bigArg(event, "remainingSize") !== 0n) {
          liquidations.partial++;
          totals.partial++;
        } else {
          liquidations.full++;
          totals.full++;
        }
        badDebt += deficit;
        totals.deficit += deficit;
        split.insurance += bigArg(event, "insurancePaidUsd");
        split.adl += bigArg(event, "adlPaidUsd");
        split.vault += bigArg(event, "vaultPaidUsd");
        split.socialized += bigArg(event, "socializedUsd");
        totals.adl += bigArg(event, "adlPaidUsd");
        totals.vault += bigArg(event, "vaultPaidUsd");
        totals.socialized += bigArg(event, "socializedUsd");
        penalties += bigArg(event, "penaltyUsd");
        keeperRewards += bigArg(event, "keeperRewardUsd");
        const adlHere = pendingDeleveraged.filter((d) => d.txHash === event.txHash);
        if (adlHere.length > 0) {
          liquidationsWithAdl++;
          counterparties += adlHere.length;
        }
        pendingDeleveraged = [];
        break;
      }
      case "Deleveraged":
        pendingDeleveraged.push(event);
        break;
      case "VaultDeleveraged":
        vaultWalks++;
        vaultReduced += pendingDeleveraged.filter((d) => d.txHash === event.txHash).length;
        pendingDeleveraged = [];
        break;
      case "LossSocialized":
        socializedEvents++;
        socializedTotal += bigArg(event, "amountUsd");
        break;
      case "SettledPositionClosed": {
        const deficit = bigArg(event, "deficitUsd");
        badDebt += deficit;
        totals.deficit += deficit;
        split.insurance += bigArg(event, "insurancePaidUsd");
        split.vault += bigArg(event, "vaultPaidUsd");
        totals.vault += bigArg(event, "vaultPaidUsd");
        break;
      }
      case "OrderCommitted":
        orders.committed++;
        break;
      case "OrderExecuted":
        orders.executed++;
        break;
      case "OrderCancelled": {
        orders.cancelled++;
        const reason = decodeRevertData(String(event.args.reason)).name;
        orders.cancelReasons[reason] = (orders.cancelReasons[reason] ?? 0) + 1;
        break;
      }
      case "LiquidationSkipped": {
        const reason = skipReasons[Number(event.args.reason)] ?? `reason ${String(event.args.reason)}`;
        skips[reason] = (skips[reason] ?? 0) + 1;
        break;
      }
      default:
        break;
    }
  }

  // Share price: the vault's mark-to-market equity per share (USD).
  const sharePriceOf = (o: ObservationRecord): number | null =>
    o.vaultEquityForDepositUsd === null || o.vaultShareSupply === null || o.vaultShareSupply === "0"
      ? null
      : usdNumber(BigInt(o.vaultEquityForDepositUsd)) / ((Number(o.vaultShareSupply) * Number(collateralScale)) / 1e18);
  const sharePrices = endObservations.map(sharePriceOf);
  let peak = 0;
  let worstDrawdown = 0;
  for (const price of sharePrices) {
    if (price === null) continue;
    if (price > peak) peak = price;
    if (peak > 0) worstDrawdown = Math.max(worstDrawdown, (1 - price / peak) * PERCENT);
  }
  const equities = endObservations
    .map((o) => o.vaultEquityForDepositUsd)
    .filter((e): e is string => e !== null)
    .map(BigInt);
  const minEquity = equities.length ? equities.reduce((a, b) => (b < a ? b : a)) : undefined;

  const traders = header.population.traders;
  const byBehaviour: Record<string, number> = {};
  for (const trader of traders) byBehaviour[trader.behaviour] = (byBehaviour[trader.behaviour] ?? 0) + 1;
  const leverages = traders.map((t) => t.leverage);
  const first = endObservations[0];
  const last = endObservations[endObservations.length - 1];

  const series: SimReport["series"] = {
    step: [],
    label: [],
    pricesUsd: Object.fromEntries(symbols.map((s) => [s, []])),
    longOpenInterestUsd: Object.fromEntries(symbols.map((s) => [s, []])),
    shortOpenInterestUsd: Object.fromEntries(symbols.map((s) => [s, []])),
    insuranceFundUsd: [],
    vaultEquityUsd: [],
    sharePrice: [],
    liquidationsPartial: [],
    liquidationsFull: [],
    liquidationsBankrupt: [],
    badDebtUsd: [],
    adlPaidUsd: [],
    vaultPaidUsd: [],
    socializedUsd: [],
    cumulativeBadDebtUsd: [],
  };
  let cumulative = 0n;
  for (const observation of endObservations) {
    const totals = perStep.get(observation.step) ?? emptyTotals();
    series.step.push(observation.step);
    series.label.push(header.path.labels[observation.step] ?? String(observation.step));
    for (const symbol of symbols) {
      const market = observation.markets[symbol];
      const price = market.priceWad === null ? null : BigInt(market.priceWad);
      series.pricesUsd[symbol].push(price === null ? null : usdNumber(price));
      series.longOpenInterestUsd[symbol].push(
        price === null ? null : usdNumber((BigInt(market.longOpenInterest) * price) / 10n ** 18n),
      );
      series.shortOpenInterestUsd[symbol].push(
        price === null ? null : usdNumber((BigInt(market.shortOpenInterest) * price) / 10n ** 18n),
      );
    }
    series.insuranceFundUsd.push(usdNumber(BigInt(observation.insuranceFundUsd)));
    series.vaultEquityUsd.push(
      observation.vaultEquityForDepositUsd === null ? null : usdNumber(BigInt(observation.vaultEquityForDepositUsd)),
    );
    series.sharePrice.push(sharePriceOf(observation));
    series.liquidationsPartial.push(totals.partial);
    series.liquidationsFull.push(totals.full);
    series.liquidationsBankrupt.push(totals.bankrupt);
    series.badDebtUsd.push(usdNumber(totals.deficit));
    series.adlPaidUsd.push(usdNumber(totals.adl));
    series.vaultPaidUsd.push(usdNumber(totals.vault));
    series.socializedUsd.push(usdNumber(totals.socialized));
    cumulative += totals.deficit;
    series.cumulativeBadDebtUsd.push(usdNumber(cumulative));
  }

  const optionalUsd = (value: string | null | undefined) =>
    value === null || value === undefined ? null : usdString(BigInt(value));
  return {
    reportVersion: REPORT_VERSION,
    scenario: {
      name: header.scenario.name,
      description: header.scenario.description,
      seed: String(header.scenario.seed),
      overrides: header.overrides,
      keeper: header.keeper,
      chain: header.chain.label ?? header.chain.kind,
      ...(header.chain.fork ? { fork: header.chain.fork } : {}),
    },
    population: {
      traders: traders.length,
      lps: header.population.lps.length,
      byBehaviour,
      longs: traders.filter((t) => t.isLong).length,
      shorts: traders.filter((t) => !t.isLong).length,
      leverage: {
        min: leverages.length ? Math.min(...leverages) : 0,
        median: median(leverages),
        max: leverages.length ? Math.max(...leverages) : 0,
      },
      totalNotionalUsd: traders.reduce((sum, t) => sum + Number(t.notionalUsd), 0).toFixed(2),
      lpDepositsUsd: header.population.lps.reduce((sum, lp) => sum + Number(lp.depositUsd), 0).toFixed(2),
    },
    steps: end.steps,
    markets: marketSummaries(header),
    summary: {
      liquidations,
      badDebtUsd: usdString(badDebt),
      deficitSplitUsd: {
        insurance: usdString(split.insurance),
        adl: usdString(split.adl),
        vault: usdString(split.vault),
        socialized: usdString(split.socialized),
      },
      adl: { liquidationsWithAdl, counterpartiesDeleveraged: counterparties },
      vaultProtection: { walks: vaultWalks, positionsReduced: vaultReduced },
      socializedLoss: { events: socializedEvents, totalUsd: usdString(socializedTotal) },
      penaltiesUsd: usdString(penalties),
      keeperRewardsUsd: usdString(keeperRewards),
      liquidationSkips: skips,
      insuranceFund: {
        startUsd: usdString(BigInt(first?.insuranceFundUsd ?? "0")),
        endUsd: usdString(BigInt(last?.insuranceFundUsd ?? "0")),
        minUsd: usdString(insuranceMin ?? 0n),
      },
      vault: {
        startEquityUsd: optionalUsd(first?.vaultEquityForDepositUsd),
        endEquityUsd: optionalUsd(last?.vaultEquityForDepositUsd),
        minEquityUsd: minEquity === undefined ? null : usdString(minEquity),
        startSharePrice: sharePrices[0] ?? null,
        endSharePrice: sharePrices[sharePrices.length - 1] ?? null,
        worstDrawdownPct: Math.round(worstDrawdown * 10_000) / 10_000,
      },
      actions,
      rejections,
      orders,
      openPositionsAtEnd: last?.openPositions ?? 0,
      clockOverrunSeconds: end.clockOverrunSeconds,
    },
    invariants: tracker.all().map((invariant) => invariant.result()),
    series,
  };
}
