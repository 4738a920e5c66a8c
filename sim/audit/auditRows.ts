/**
 * The audit trail as rows, a pure function of the indexed engine events: every liquidation, ADL
 * (`Deleveraged`, tied to the liquidation or vault-protection walk of its transaction), vault absorption,
 * socialized loss, vault deleverage and insurance-fund movement; per-UTC-day totals; and the split check
 * (every liquidation's insurance + ADL + vault + socialized == deficit; settled closes: insurance + vault).
 * Amounts are exact decimal strings (USD; sizes in base units; prices in USD per unit).
 */
import { formatUnits } from "ethers";
import { bigArg, strArg } from "../events/decodeEvents";
import type { IndexedEvent } from "./eventIndex";

const WAD_DECIMALS = 18;
const SECONDS_PER_DAY = 86_400;
const dec = (wad: bigint) => formatUnits(wad, WAD_DECIMALS);

export interface AuditContext {
  /** marketId (lower case) → symbol. */
  symbols: Map<string, string>;
  collateralDecimals: number;
}

type Row = Record<string, string | number>;

const BASE_COLUMNS = ["block", "timestamp", "utc", "tx", "logIndex"];
/** CSV columns of each export (so that an empty export still has its header). */
export const AUDIT_COLUMNS = {
  liquidations: [
    ...BASE_COLUMNS,
    ...["account", "market", "keeper", "kind", "closedSize", "executionPriceUsd", "remainingSize"],
    ...["remainingMarginUsd", "penaltyUsd", "keeperRewardUsd", "deficitUsd", "insurancePaidUsd", "adlPaidUsd"],
    ...["vaultPaidUsd", "socializedUsd", "adlCounterparties", "splitOk"],
  ],
  adl: [
    ...BASE_COLUMNS,
    ...["cause", "causeRef", "account", "market", "size", "priceUsd", "realizedPnlUsd", "fundingPaidUsd"],
    ...["lossPaidUsd", "newSize", "newMarginUsd"],
  ],
  vaultAbsorptions: [...BASE_COLUMNS, "source", "account", "market", "deficitUsd", "vaultPaidUsd"],
  socializedLosses: [...BASE_COLUMNS, "market", "chargedSide", "amountUsd", "openInterestCharged", "lossIndexUsd"],
  vaultDeleverages: [...BASE_COLUMNS, "market", "lossBeforeUsd", "lossAfterUsd", "targetUsd", "positionsReduced"],
  insuranceFund: [...BASE_COLUMNS, "event", "market", "counterparty", "amountUsd", "fundAfterUsd"],
  dailyTotals: [
    ...["date", "liquidations", "partial", "full", "bankrupt", "deficitUsd", "insurancePaidUsd", "adlPaidUsd"],
    ...["vaultPaidUsd", "socializedUsd", "penaltiesUsd", "keeperRewardsUsd", "adlPositions", "vaultDeleverages"],
    ...["insuranceInflowUsd", "insuranceOutflowUsd", "insuranceEndUsd"],
  ],
  splitMismatches: [...BASE_COLUMNS, "event", "account", "deficitUsd", "splitSumUsd"],
} as const;

export interface AuditTrail {
  liquidations: Row[];
  adl: Row[];
  vaultAbsorptions: Row[];
  socializedLosses: Row[];
  vaultDeleverages: Row[];
  insuranceFund: Row[];
  dailyTotals: Row[];
  splitCheck: { checked: number; mismatches: Row[] };
}

const INSURANCE_SIGN: Record<string, 1 | -1> = {
  InsuranceFeeCredited: 1,
  InsurancePenaltyCredited: 1,
  InsuranceDonated: 1,
  InsuranceDeficitPaid: -1,
  InsuranceKeeperTopUp: -1,
  InsuranceWithdrawn: -1,
};

function base(event: IndexedEvent): Row {
  return {
    block: event.block,
    timestamp: event.timestamp,
    utc: new Date(event.timestamp * 1_000).toISOString(),
    tx: event.txHash,
    logIndex: event.logIndex,
  };
}

function dayOf(timestamp: number): string {
  return new Date(Math.floor(timestamp / SECONDS_PER_DAY) * SECONDS_PER_DAY * 1_000).toISOString().slice(0, 10);
}

interface DayTotals {
  liquidations: number;
  partial: number;
  full: number;
  bankrupt: number;
  deficit: bigint;
  insurancePaid: bigint;
  adlPaid: bigint;
  vaultPaid: bigint;
  socialized: bigint;
  penalties: bigint;
  keeperRewards: bigint;
  adlPositions: number;
  vaultDeleverages: number;
  insuranceIn: bigint;
  insuranceOut: bigint;
  insuranceEnd: bigint;
  insuranceEvents: number;
}

const emptyDay = (): DayTotals => ({
  liquidations: 0,
  partial: 0,
  full: 0,
  bankrupt: 0,
  deficit: 0n,
  insurancePaid: 0n,
  adlPaid: 0n,
  vaultPaid: 0n,
  socialized: 0n,
  penalties: 0n,
  keeperRewards: 0n,
  adlPositions: 0,
  vaultDeleverages: 0,
  insuranceIn: 0n,
  insuranceOut: 0n,
  insuranceEnd: 0n,
  insuranceEvents: 0,
});

export function buildAuditTrail(events: readonly IndexedEvent[], context: AuditContext): AuditTrail {
  const collateralScale = 10n ** BigInt(WAD_DECIMALS - context.collateralDecimals);
  const symbol = (event: IndexedEvent) =>
    context.symbols.get(strArg(event, "marketId").toLowerCase()) ?? strArg(event, "marketId");
  const trail: AuditTrail = {
    liquidations: [],
    adl: [],
    vaultAbsorptions: [],
    socializedLosses: [],
    vaultDeleverages: [],
    insuranceFund: [],
    dailyTotals: [],
    splitCheck: { checked: 0, mismatches: [] },
  };
  const days = new Map<string, DayTotals>();
  const day = (event: IndexedEvent) => {
    const key = dayOf(event.timestamp);
    let totals = days.get(key);
    if (!totals) {
      totals = emptyDay();
      days.set(key, totals);
    }
    return totals;
  };
  // Deleveraged events wait for the Liquidated / VaultDeleveraged that ends their walk in the same transaction.
  let pending: IndexedEvent[] = [];
  const flushPending = (cause: string, causeRef: string, txHash: string) => {
    for (const d of pending.filter((e) => e.txHash === txHash)) {
      trail.adl.push({
        ...base(d),
        cause,
        causeRef: causeRef,
        account: strArg(d, "account"),
        market: symbol(d),
        size: dec(bigArg(d, "size")),
        priceUsd: dec(bigArg(d, "priceWad")),
        realizedPnlUsd: dec(bigArg(d, "realizedPnlUsd")),
        fundingPaidUsd: dec(bigArg(d, "fundingPaidUsd")),
        lossPaidUsd: dec(bigArg(d, "lossPaidUsd")),
        newSize: dec(bigArg(d, "newSize")),
        newMarginUsd: dec(bigArg(d, "newMarginUsd")),
      });
    }
    const count = pending.filter((e) => e.txHash === txHash).length;
    pending = [];
    return count;
  };

  for (const event of events) {
    switch (event.name) {
      case "Deleveraged":
        if (pending.length && pending[0].txHash !== event.txHash) {
          // A walk without a closing event cannot happen with this engine; keep it visible rather than drop it.
          flushPending("unattributed", "", pending[0].txHash);
        }
        pending.push(event);
        break;
      case "Liquidated": {
        const deficit = bigArg(event, "deficitUsd");
        const insurance = bigArg(event, "insurancePaidUsd");
        const adl = bigArg(event, "adlPaidUsd");
        const vault = bigArg(event, "vaultPaidUsd");
        const socialized = bigArg(event, "socializedUsd");
        const remaining = bigArg(event, "remainingSize");
        const kind = deficit > 0n ? "bankrupt" : remaining !== 0n ? "partial" : "full";
        const splitOk = insurance + adl + vault + socialized === deficit;
        const ref = `${event.block}:${event.logIndex}`;
        const adlCount = flushPending("liquidation", ref, event.txHash);
        trail.liquidations.push({
          ...base(event),
          account: strArg(event, "account"),
          market: symbol(event),
          keeper: strArg(event, "keeper"),
          kind,
          closedSize: dec(bigArg(event, "closedSize")),
          executionPriceUsd: dec(bigArg(event, "executionPriceWad")),
          remainingSize: dec(remaining),
          remainingMarginUsd: dec(bigArg(event, "remainingMarginUsd")),
          penaltyUsd: dec(bigArg(event, "penaltyUsd")),
          keeperRewardUsd: dec(bigArg(event, "keeperRewardUsd")),
          deficitUsd: dec(deficit),
          insurancePaidUsd: dec(insurance),
          adlPaidUsd: dec(adl),
          vaultPaidUsd: dec(vault),
          socializedUsd: dec(socialized),
          adlCounterparties: adlCount,
          splitOk: splitOk ? "yes" : "NO",
        });
        trail.splitCheck.checked++;
        if (!splitOk) {
          trail.splitCheck.mismatches.push({
            ...base(event),
            event: "Liquidated",
            account: strArg(event, "account"),
            deficitUsd: dec(deficit),
            splitSumUsd: dec(insurance + adl + vault + socialized),
          });
        }
        if (vault > 0n) {
          trail.vaultAbsorptions.push({
            ...base(event),
            source: "liquidation",
            account: strArg(event, "account"),
            market: symbol(event),
            deficitUsd: dec(deficit),
            vaultPaidUsd: dec(vault),
          });
        }
        const totals = day(event);
        totals.liquidations++;
        totals[kind]++;
        totals.deficit += deficit;
        totals.insurancePaid += insurance;
        totals.adlPaid += adl;
        totals.vaultPaid += vault;
        totals.socialized += socialized;
        totals.penalties += bigArg(event, "penaltyUsd");
        totals.keeperRewards += bigArg(event, "keeperRewardUsd");
        totals.adlPositions += adlCount;
        break;
      }
      case "VaultDeleveraged": {
        const reduced = flushPending("vault-protection", `${event.block}:${event.logIndex}`, event.txHash);
        trail.vaultDeleverages.push({
          ...base(event),
          market: symbol(event),
          lossBeforeUsd: dec(bigArg(event, "lossBeforeUsd")),
          lossAfterUsd: dec(bigArg(event, "lossAfterUsd")),
          targetUsd: dec(bigArg(event, "targetUsd")),
          positionsReduced: reduced,
        });
        day(event).vaultDeleverages++;
        break;
      }
      case "LossSocialized":
        trail.socializedLosses.push({
          ...base(event),
          market: symbol(event),
          chargedSide: event.args.chargedSideIsLong === true ? "long" : "short",
          amountUsd: dec(bigArg(event, "amountUsd")),
          openInterestCharged: dec(bigArg(event, "openInterestCharged")),
          lossIndexUsd: dec(bigArg(event, "lossIndexWad")),
        });
        break;
      case "SettledPositionClosed": {
        const deficit = bigArg(event, "deficitUsd");
        const insurance = bigArg(event, "insurancePaidUsd");
        const vault = bigArg(event, "vaultPaidUsd");
        trail.splitCheck.checked++;
        if (insurance + vault !== deficit) {
          trail.splitCheck.mismatches.push({
            ...base(event),
            event: "SettledPositionClosed",
            account: strArg(event, "account"),
            deficitUsd: dec(deficit),
            splitSumUsd: dec(insurance + vault),
          });
        }
        if (vault > 0n) {
          trail.vaultAbsorptions.push({
            ...base(event),
            source: "settlement",
            account: strArg(event, "account"),
            market: symbol(event),
            deficitUsd: dec(deficit),
            vaultPaidUsd: dec(vault),
          });
        }
        const totals = day(event);
        totals.deficit += deficit;
        totals.insurancePaid += insurance;
        totals.vaultPaid += vault;
        break;
      }
      default: {
        const sign = INSURANCE_SIGN[event.name];
        if (sign === undefined) break;
        const amount =
          event.name === "InsuranceDonated" || event.name === "InsuranceWithdrawn"
            ? bigArg(event, "tokenAmount") * collateralScale
            : bigArg(event, "amountUsd");
        const fundAfter = bigArg(event, "insuranceFundUsd");
        const counterparty = ["account", "keeper", "donor", "to"].find((name) => typeof event.args[name] === "string");
        trail.insuranceFund.push({
          ...base(event),
          event: event.name,
          market: typeof event.args.marketId === "string" ? symbol(event) : "",
          counterparty: counterparty ? strArg(event, counterparty) : "",
          amountUsd: dec(BigInt(sign) * amount),
          fundAfterUsd: dec(fundAfter),
        });
        const totals = day(event);
        if (sign > 0) totals.insuranceIn += amount;
        else totals.insuranceOut += amount;
        totals.insuranceEnd = fundAfter;
        totals.insuranceEvents++;
      }
    }
  }
  if (pending.length) flushPending("unattributed", "", pending[0].txHash);

  for (const [date, t] of [...days.entries()].sort(([a], [b]) => a.localeCompare(b))) {
    trail.dailyTotals.push({
      date,
      liquidations: t.liquidations,
      partial: t.partial,
      full: t.full,
      bankrupt: t.bankrupt,
      deficitUsd: dec(t.deficit),
      insurancePaidUsd: dec(t.insurancePaid),
      adlPaidUsd: dec(t.adlPaid),
      vaultPaidUsd: dec(t.vaultPaid),
      socializedUsd: dec(t.socialized),
      penaltiesUsd: dec(t.penalties),
      keeperRewardsUsd: dec(t.keeperRewards),
      adlPositions: t.adlPositions,
      vaultDeleverages: t.vaultDeleverages,
      insuranceInflowUsd: dec(t.insuranceIn),
      insuranceOutflowUsd: dec(t.insuranceOut),
      // Days without an insurance event carry no end balance.
      insuranceEndUsd: t.insuranceEvents > 0 ? dec(t.insuranceEnd) : "",
    });
  }
  return trail;
}
