// What the fuzz suite asserts after EVERY step (DESIGN §12), on the post-step lens snapshot (one eth_call)
// and the model: first that the model and the chain agree exactly (the model never desyncs), then each
// invariant, named for what it asserts. A failure lists every violated assertion of the step.
import {
  WAD,
  currentFundingIndexWad,
  fundingOwedUsd,
  initialRequirementUsd,
  notionalUsd,
  positionEquityUsd,
  positionHealth,
  unrealizedPnlUsd,
  vaultMarketValueUsd,
  type Position,
} from "../../sdk/math";
import { abs, min } from "../../sdk/math/signedMath";
import { adlKey, compareAdlPriority } from "../../sdk/adl/adlMath";
import { adlLight, tickOf } from "../../sdk/adl/adlQueue";
import type { LensSnapshot } from "./chain";
import type { ExpectedEvent } from "./model/events";
import { oracleEvaluate, oracleFailure, Revert } from "./model/oracle";
import { queueOrder } from "./model/adl";
import { maxVaultWithdrawalModel, vaultEquityModel, type LiquidationRecord, type ModifyOutcome } from "./model/engine";
import { ledgerEntitlementUsd, positionOf, type ModelConfig, type ModelState } from "./model/state";

const ZERO_ADDRESS = "0x0000000000000000000000000000000000000000";

export interface StepInfo {
  label: string;
  /** The accounts whose own actions this step ran (their free balances may fall). */
  actors: string[];
  /** Keepers credited in this step. */
  keepers: string[];
  before: ModelState;
  records: LiquidationRecord[];
  events: ExpectedEvent[];
  modify?: ModifyOutcome & { account: string; mi: number };
  findings: string[];
}

export class StepFailure extends Error {}

/** The model and the chain must agree on every value the lens reads. */
export function compareModelToChain(cfg: ModelConfig, s: ModelState, snap: LensSnapshot): string[] {
  const out: string[] = [];
  const eq = (what: string, model: unknown, chain: unknown) => {
    if (model !== chain) out.push(`model≠chain ${what}: model ${String(model)}, chain ${String(chain)}`);
  };
  eq("block timestamp", s.now, snap.timestamp);
  eq("engine token balance", s.engineTokens, snap.engineTokens);
  eq("vaultCashUsd", s.vaultCashUsd, snap.vaultCashUsd);
  eq("insuranceFund", s.insuranceUsd, snap.insuranceUsd);
  eq("paused trading", s.pauses.trading, snap.pauses.trading);
  eq("paused liquidations", s.pauses.liquidations, snap.pauses.liquidations);
  eq("paused withdrawals", s.pauses.withdrawals, snap.pauses.withdrawals);
  eq("liquidationsResumeAt", s.pauses.resumeAt, snap.pauses.resumeAt);
  eq("vault share supply", s.shareSupply, snap.shareSupply);
  cfg.all.forEach((a, i) => {
    eq(`free(${a})`, s.free.get(a) ?? 0n, snap.accounts[i].free);
    eq(`wallet(${a})`, s.wallet.get(a) ?? 0n, snap.accounts[i].wallet);
    eq(`shares(${a})`, s.shares.get(a) ?? 0n, snap.accounts[i].shares);
  });
  const modelView = (fn: () => bigint): bigint | undefined => {
    try {
      return fn();
    } catch (e) {
      if (e instanceof Revert) return undefined;
      throw e;
    }
  };
  eq(
    "vaultEquityUsd(true)",
    modelView(() => vaultEquityModel(cfg, s, s.now, true)),
    snap.vaultEquityForDeposit,
  );
  eq(
    "vaultEquityUsd(false)",
    modelView(() => vaultEquityModel(cfg, s, s.now, false)),
    snap.vaultEquityForWithdraw,
  );
  eq(
    "maxVaultWithdrawalUsd",
    modelView(() => maxVaultWithdrawalModel(cfg, s, s.now)),
    snap.maxVaultWithdrawalUsd,
  );
  s.markets.forEach((m, mi) => {
    const info = cfg.markets[mi];
    const lm = snap.markets[mi];
    const sym = info.symbol;
    const valid = oracleFailure(info, m, s.now) === null;
    eq(`${sym} price valid`, valid, lm.priceOk);
    for (const [key, value] of Object.entries(m.state)) {
      eq(`${sym} state.${key}`, value, (lm.state as unknown as Record<string, bigint>)[key]);
    }
    const longHead = queueOrder(m, true)[0] ?? ZERO_ADDRESS;
    const shortHead = queueOrder(m, false)[0] ?? ZERO_ADDRESS;
    eq(`${sym} adlQueueHead(long)`, longHead, lm.headLong);
    eq(`${sym} adlQueueHead(short)`, shortHead, lm.headShort);
    let priceWad = 0n;
    let indexNow = m.state.fundingIndexWad;
    if (valid && lm.priceOk) {
      const e = oracleEvaluate(info, m, s.now);
      priceWad = e.priceWad;
      eq(`${sym} price`, e.priceWad, lm.priceWad);
      eq(`${sym} volatile`, e.isVolatile, lm.isVolatile);
      indexNow = currentFundingIndexWad(m.state, info.params, priceWad, s.now);
      eq(`${sym} currentFundingIndexWad`, indexNow, lm.fundingIndexNowWad);
    }
    const orders = { long: queueOrder(m, true), short: queueOrder(m, false) };
    cfg.traders.forEach((trader, j) => {
      const p = positionOf(m, trader);
      const lp = lm.positions[j];
      for (const key of Object.keys(p) as (keyof Position)[]) {
        eq(`${sym} position(${trader}).${key}`, p[key], lp.position[key]);
      }
      if (valid && lm.priceOk) {
        const h = positionHealth(m.state, p, priceWad, indexNow, info.tiers, info.params.keeperRewardUsd);
        eq(`${sym} positionEquity(${trader}).equity`, h.equityUsd, lp.equityUsd);
        eq(`${sym} positionEquity(${trader}).maintenance`, h.maintenanceRequirementUsd, lp.maintenanceUsd);
        eq(`${sym} isLiquidatable(${trader})`, h.isLiquidatable, lp.liquidatable);
      }
      let light = 0;
      let rank = 0n;
      let length = 0n;
      if (p.size !== 0n) {
        const order = p.size > 0n ? orders.long : orders.short;
        length = BigInt(order.length);
        const i = order.indexOf(trader);
        if (i >= 0) {
          rank = BigInt(i);
          light = adlLight(rank, length);
        }
      }
      eq(`${sym} adlLight(${trader}).light`, light, lp.light);
      eq(`${sym} adlLight(${trader}).rank`, rank, lp.rank);
      eq(`${sym} adlLight(${trader}).queueLength`, length, lp.queueLength);
    });
  });
  return out;
}

/** Every DESIGN §12 invariant on the post-step chain state (already equal to the model). */
export function checkInvariants(cfg: ModelConfig, s: ModelState, snap: LensSnapshot, step: StepInfo): string[] {
  const out: string[] = [...step.findings];
  invariant_conservation(cfg, snap, s, out);
  invariant_noNegativeBalance(cfg, s, out);
  invariant_sizesSumToZero(cfg, snap, out);
  invariant_zeroSumEquity(cfg, s, snap, out);
  invariant_waterfallExact(step, out);
  invariant_noBystanderPushedBelowZeroWhileTheVaultCovers(cfg, step, out);
  invariant_bystandersUntouched(cfg, s, step, out);
  invariant_liquidationIffUnhealthy(cfg, s, snap, step, out);
  invariant_initialMarginAfterValueRemoval(cfg, step, out);
  invariant_fundingZeroSum(cfg, s, snap, out);
  invariant_adlOrder(cfg, s, snap, out);
  invariant_ledgerBalances(cfg, s, out);
  return out;
}

/** DESIGN §12.1: balanceOf(engine) × scale == Σ free + Σ margins + vault cash + insurance + donations. */
function invariant_conservation(cfg: ModelConfig, snap: LensSnapshot, s: ModelState, out: string[]): void {
  let free = 0n;
  for (const a of snap.accounts) free += a.free;
  let margins = 0n;
  for (const m of snap.markets) for (const p of m.positions) margins += p.position.marginUsd;
  const lhs = snap.engineTokens * cfg.scale;
  const rhs = free + margins + snap.vaultCashUsd + snap.insuranceUsd + s.donatedTokens * cfg.scale;
  if (lhs !== rhs) {
    out.push(`invariant_conservation: balanceOf(engine)·scale ${lhs} ≠ Σfree+Σmargin+cash+fund+donations ${rhs}`);
  }
}

/** DESIGN §12.2: no balance, margin or fund below zero; a closed position keeps nothing. */
function invariant_noNegativeBalance(cfg: ModelConfig, s: ModelState, out: string[]): void {
  for (const [a, v] of s.free) if (v < 0n) out.push(`invariant_noNegativeBalance: free(${a}) = ${v}`);
  if (s.insuranceUsd < 0n) out.push(`invariant_noNegativeBalance: insurance fund = ${s.insuranceUsd}`);
  s.markets.forEach((m, mi) => {
    for (const [a, p] of m.positions) {
      if (p.marginUsd < 0n) out.push(`invariant_noNegativeBalance: ${cfg.markets[mi].symbol} margin(${a}) < 0`);
      if (p.size === 0n) out.push(`invariant_noNegativeBalance: stored empty position for ${a}`);
    }
  });
}

/** DESIGN §12.3: Σ sizes (vault = −netSize) == 0; stored OI and aggregates == Σ over positions. */
function invariant_sizesSumToZero(cfg: ModelConfig, snap: LensSnapshot, out: string[]): void {
  snap.markets.forEach((lm, mi) => {
    const sym = cfg.markets[mi].symbol;
    let net = 0n;
    let longs = 0n;
    let shorts = 0n;
    let sizeTimesEntry = 0n;
    let sizeTimesFunding = 0n;
    let longLoss = 0n;
    let shortLoss = 0n;
    for (const { position: p } of lm.positions) {
      if (p.size === 0n) {
        if (p.marginUsd !== 0n || p.entryPriceWad !== 0n || p.fundingIndexSnapshotWad !== 0n) {
          out.push(`invariant_sizesSumToZero: ${sym} a closed position keeps margin/entry/snapshot`);
        }
        continue;
      }
      net += p.size;
      if (p.size > 0n) {
        longs += p.size;
        longLoss += p.size * p.lossIndexSnapshotWad;
      } else {
        shorts -= p.size;
        shortLoss += -p.size * p.lossIndexSnapshotWad;
      }
      sizeTimesEntry += p.size * p.entryPriceWad;
      sizeTimesFunding += p.size * p.fundingIndexSnapshotWad;
    }
    const vaultSize = -lm.state.netSize;
    if (net + vaultSize !== 0n)
      out.push(`invariant_sizesSumToZero: ${sym} Σ trader sizes ${net} + vault ${vaultSize} ≠ 0`);
    if (longs !== lm.state.longOpenInterest) {
      out.push(`invariant_sizesSumToZero: ${sym} longOpenInterest ${lm.state.longOpenInterest} ≠ Σ longs ${longs}`);
    }
    if (shorts !== lm.state.shortOpenInterest) {
      out.push(`invariant_sizesSumToZero: ${sym} shortOpenInterest ${lm.state.shortOpenInterest} ≠ Σ shorts ${shorts}`);
    }
    if (sizeTimesEntry !== lm.state.sumSizeTimesEntry)
      out.push(`invariant_sizesSumToZero: ${sym} Σ size·entry drifted`);
    if (sizeTimesFunding !== lm.state.sumSizeTimesFundingSnapshot) {
      out.push(`invariant_sizesSumToZero: ${sym} Σ size·fundingSnapshot drifted`);
    }
    if (longLoss !== lm.state.sumLongSizeTimesLossSnapshot || shortLoss !== lm.state.sumShortSizeTimesLossSnapshot) {
      out.push(`invariant_sizesSumToZero: ${sym} Σ |size|·lossSnapshot drifted`);
    }
  });
}

/**
 * DESIGN §12.4: at any one price, Σ equity (traders' positions at `positionEquity`, free balances, the vault's
 * deposit-side equity) + insurance == balanceOf(engine)·scale − donations, the claims rounded in the
 * protocol's favour: 0 ≤ gap < 3 wei per open position (PnL floored, funding and loss owed ceiled) + 1 wei
 * per market with open interest (the vault's value floored). Checked at the oracle price (with the engine's
 * own `positionEquity` values) and at a second, far-away price where the views cannot go.
 */
function invariant_zeroSumEquity(cfg: ModelConfig, s: ModelState, snap: LensSnapshot, out: string[]): void {
  const backing = snap.engineTokens * cfg.scale - s.donatedTokens * cfg.scale;
  let free = 0n;
  for (const a of snap.accounts) free += a.free;
  for (const variant of ["oracle", "stress"] as const) {
    let claims = free + snap.insuranceUsd + snap.vaultCashUsd;
    let bound = 0n;
    s.markets.forEach((m, mi) => {
      const info = cfg.markets[mi];
      const lm = snap.markets[mi];
      const base = lm.priceOk ? lm.priceWad : m.lastValidAnswer * info.toWad;
      const priceWad = variant === "oracle" ? base : (base * 37n) / 100n + 1n;
      const indexWad = currentFundingIndexWad(m.state, info.params, priceWad, s.now);
      let open = 0n;
      cfg.traders.forEach((trader, j) => {
        const p = positionOf(m, trader);
        if (p.size === 0n) return;
        open++;
        const equity = positionEquityUsd(m.state, p, priceWad, indexWad);
        if (variant === "oracle" && lm.priceOk && equity !== lm.positions[j].equityUsd) {
          out.push(`invariant_zeroSumEquity: ${info.symbol} SDK equity ≠ positionEquity for ${trader}`);
        }
        claims += equity;
      });
      if (open > 0n) {
        claims += vaultMarketValueUsd(m.state, priceWad, indexWad);
        bound += 3n * open + 1n;
      }
    });
    const gap = backing - claims;
    if (gap < 0n || gap > bound) {
      out.push(
        `invariant_zeroSumEquity (${variant} price): Σ equity + fund = ${claims}, backing ${backing}, gap ${gap} ` +
          `outside [0, ${bound}]`,
      );
    }
  }
}

/**
 * DESIGN §12.5: insurance + adl + vault + socialized == deficit, in that order: ADL only for what the fund cannot
 * cover (no overshoot), the vault only once the fund is used up, socialization only once the fund is used up.
 */
function invariant_waterfallExact(step: StepInfo, out: string[]): void {
  const liquidated = step.events.filter((e) => e.name === "Liquidated");
  liquidated.forEach((e, i) => {
    const d = e.args.deficitUsd as bigint;
    const ins = e.args.insurancePaidUsd as bigint;
    const adl = e.args.adlPaidUsd as bigint;
    const vault = e.args.vaultPaidUsd as bigint;
    const soc = e.args.socializedUsd as bigint;
    if (ins + adl + vault + soc !== d) {
      out.push(`invariant_waterfallExact: ${ins} + ${adl} + ${vault} + ${soc} ≠ deficit ${d}`);
    }
    const record = step.records[i];
    if (!record) return;
    const fund = record.fundBeforeUsd;
    const budget = d < fund ? d : fund;
    if ((adl > 0n || vault > 0n || soc > 0n) && budget >= d) {
      out.push(
        `invariant_waterfallExact: ADL/vault/socialized ${adl}/${vault}/${soc} although the fund ${fund} covered ${d}`,
      );
    }
    if ((vault > 0n || soc > 0n) && ins !== fund) {
      out.push(`invariant_waterfallExact: vault/socialized ${vault}/${soc} before the fund ${fund} was used up`);
    }
    if (adl > d - budget + 2n)
      out.push(`invariant_waterfallExact: ADL overshoot: adlPaid ${adl} > deficit − fund ${d - budget}`);
  });
  // Deleveraged events of one liquidation place at most the target fraction; checked in bystanders.
}

/**
 * DESIGN §12.6 (issue 10): no account's equity is pushed below zero by another account's liquidation while the
 * vault's equity covers the rest. For every liquidation, every other position of the market whose equity (at the
 * transaction's price and funding index) went from ≥ 0 to < 0 is a violation unless the vault had no equity left
 * to give: its deposit-side equity right after the liquidation is at most the socialization's round-up (the index
 * rises by ⌈amount/OI⌉, so the vault's receivable exceeds the amount by < OI/1e18 + 1 wei), or the vault cannot
 * be valued (a market with open interest has no valid price: the documented conservative rule socializes).
 * Under the old rule (the rest socialized over the side including the vault, nothing absorbed) a thin opposite
 * side is charged while the vault keeps its equity: this fails (`npm run fuzz:old-rule`, test/fuzz/README.md).
 */
function invariant_noBystanderPushedBelowZeroWhileTheVaultCovers(
  cfg: ModelConfig,
  step: StepInfo,
  out: string[],
): void {
  for (const r of step.records) {
    if (r.pushedBelowZero.length === 0 || r.vaultEquityAfterUsd === undefined) continue;
    const roundUpUsd = r.chargedOpenInterest / WAD + 2n;
    if (r.vaultEquityAfterUsd <= roundUpUsd) continue;
    for (const b of r.pushedBelowZero) {
      out.push(
        `invariant_noBystanderPushedBelowZeroWhileTheVaultCovers: ${cfg.markets[r.mi].symbol} liquidation of ` +
          `${r.account} took ${b.account}'s equity from ${b.beforeUsd} to ${b.afterUsd} while the vault kept ` +
          `${r.vaultEquityAfterUsd} (vault paid ${r.vaultPaidUsd}, socialized ${r.socializedUsd}, rule ` +
          `${r.restSplitRule ?? "-"})`,
      );
    }
  }
}

/** DESIGN §12.6: bystanders never lose value; ADL and socialization only hit the side opposite the bankrupt. */
function invariant_bystandersUntouched(cfg: ModelConfig, s: ModelState, step: StepInfo, out: string[]): void {
  const before = step.before;
  const isFlat = (st: ModelState, a: string) => st.markets.every((m) => positionOf(m, a).size === 0n);
  for (const a of cfg.all) {
    if (step.actors.includes(a)) continue;
    const fb = before.free.get(a) ?? 0n;
    const fa = s.free.get(a) ?? 0n;
    if (fa < fb) out.push(`invariant_bystandersUntouched: ${a} lost free balance ${fb} → ${fa} in "${step.label}"`);
    if (isFlat(before, a) && !step.keepers.includes(a)) {
      if (fa !== fb) out.push(`invariant_bystandersUntouched: flat ${a} free balance changed in "${step.label}"`);
      if (!isFlat(s, a)) out.push(`invariant_bystandersUntouched: flat ${a} got a position in "${step.label}"`);
    }
  }
  // Deleveraged counterparties: opposite the bankrupt position (liquidation ADL) or winning against the vault.
  const liquidations = step.records;
  for (const e of step.events) {
    if (e.name === "LossSocialized") {
      const rec = liquidations.find((r) => cfg.markets[r.mi].id === e.args.marketId && r.socializedUsd > 0n);
      if (rec && (e.args.chargedSideIsLong as boolean) !== rec.before.size < 0n) {
        out.push(`invariant_bystandersUntouched: loss socialized on the bankrupt position's own side`);
      }
    }
    if (e.name !== "Deleveraged") continue;
    const account = e.args.account as string;
    const mi = cfg.markets.findIndex((m) => m.id === e.args.marketId);
    const pos = positionOf(before.markets[mi], account);
    const size = e.args.size as bigint;
    if (pos.size === 0n || pos.size > 0n !== size > 0n) {
      out.push(`invariant_bystandersUntouched: Deleveraged ${account} had no position of that side`);
      continue;
    }
    if (unrealizedPnlUsd(pos.size, pos.entryPriceWad, e.args.priceWad as bigint) <= 0n) {
      out.push(`invariant_bystandersUntouched: Deleveraged ${account} was not in profit at the ADL price`);
    }
    const bankrupt = liquidations.find((r) => r.mi === mi && r.adlPaidUsd > 0n);
    if (bankrupt) {
      if (bankrupt.before.size > 0n === pos.size > 0n) {
        out.push(`invariant_bystandersUntouched: same-side account ${account} was auto-deleveraged`);
      }
    } else if (step.events.some((v) => v.name === "VaultDeleveraged" && v.args.marketId === e.args.marketId)) {
      const netBefore = before.markets[mi].state.netSize;
      if (netBefore > 0n !== pos.size > 0n) {
        out.push(`invariant_bystandersUntouched: vault protection closed ${account}, not winning against the vault`);
      }
    } else {
      out.push(`invariant_bystandersUntouched: Deleveraged ${account} outside a bankrupt liquidation`);
    }
  }
}

/** DESIGN §12.7: liquidatable ⇔ equity < MM; liquidation only shrinks; afterwards healthy or closed. */
function invariant_liquidationIffUnhealthy(
  cfg: ModelConfig,
  s: ModelState,
  snap: LensSnapshot,
  step: StepInfo,
  out: string[],
): void {
  snap.markets.forEach((lm, mi) => {
    if (!lm.priceOk) return;
    lm.positions.forEach((p, j) => {
      if (p.position.size === 0n) return;
      if (p.liquidatable !== p.equityUsd < p.maintenanceUsd) {
        out.push(
          `invariant_liquidationIffUnhealthy: ${cfg.markets[mi].symbol} ${cfg.traders[j]} isLiquidatable ` +
            `${p.liquidatable} but equity ${p.equityUsd} vs MM ${p.maintenanceUsd}`,
        );
      }
    });
  });
  for (const r of step.records) {
    const sym = cfg.markets[r.mi].symbol;
    if (r.after.size !== 0n && (r.after.size > 0n !== r.before.size > 0n || abs(r.after.size) >= abs(r.before.size))) {
      out.push(`invariant_liquidationIffUnhealthy: ${sym} liquidation of ${r.account} did not shrink ${r.before.size}`);
    }
    const j = cfg.traders.indexOf(r.account);
    const now = snap.markets[r.mi].positions[j];
    if (now.position.size !== 0n && snap.markets[r.mi].priceOk && now.liquidatable) {
      const m = s.markets[r.mi];
      if (positionOf(m, r.account).size === r.after.size) {
        out.push(`invariant_liquidationIffUnhealthy: ${sym} ${r.account} still liquidatable after liquidate`);
      }
    }
  }
}

/** DESIGN §12.8: margin removal and new exposure leave IM met; a reduce never lowers the margin ratio. */
function invariant_initialMarginAfterValueRemoval(cfg: ModelConfig, step: StepInfo, out: string[]): void {
  const mod = step.modify;
  if (!mod) return;
  const info = cfg.markets[mod.mi];
  const p = mod.result.position;
  if (p.size === 0n) return;
  const price = mod.priceWad;
  const pnl = unrealizedPnlUsd(p.size, p.entryPriceWad, price);
  const imMet =
    p.marginUsd + min(pnl, 0n) >=
    initialRequirementUsd(info.tiers, notionalUsd(p.size, price), info.params.keeperRewardUsd);
  const opened = mod.result.trade.openedSize !== 0n;
  if (opened || mod.marginDelta < 0n) {
    if (!imMet) out.push(`invariant_initialMarginAfterValueRemoval: ${step.label} left IM unmet`);
    if (p.marginUsd < info.params.minPositionMarginUsd) {
      out.push(`invariant_initialMarginAfterValueRemoval: ${step.label} left margin under the minimum`);
    }
  } else if (mod.sizeDelta !== 0n && !imMet) {
    const old = mod.old;
    const oldEquity =
      old.marginUsd -
      mod.result.fundingPaidUsd -
      mod.result.lossPaidUsd +
      unrealizedPnlUsd(old.size, old.entryPriceWad, price);
    const newEquity = p.marginUsd + pnl;
    if (newEquity * notionalUsd(old.size, price) < oldEquity * notionalUsd(p.size, price)) {
      out.push(`invariant_initialMarginAfterValueRemoval: reduce lowered the margin ratio (${step.label})`);
    }
  }
  if (mod.result.trade.openedSize === 0n && mod.sizeDelta !== 0n && mod.marginDelta >= 0n) {
    if (mod.result.freeBalanceDeltaUsd !== -mod.marginDelta) {
      out.push(`invariant_initialMarginAfterValueRemoval: a reduce released margin (${step.label})`);
    }
  }
}

/**
 * DESIGN §12.9: what traders owe in funding (settled on touch, rounded up) equals what the vault counts as
 * receivable (exact), up to < 1 wei per position in the vault's favour. Poke independence is checked by the
 * model at every accrual (FundingShadow).
 */
function invariant_fundingZeroSum(cfg: ModelConfig, s: ModelState, snap: LensSnapshot, out: string[]): void {
  s.markets.forEach((m, mi) => {
    const lm = snap.markets[mi];
    const indexWad = lm.priceOk ? lm.fundingIndexNowWad : m.state.fundingIndexWad;
    let owedTotal = 0n;
    let n = 0n;
    for (const p of m.positions.values()) {
      owedTotal += fundingOwedUsd(p.size, indexWad, p.fundingIndexSnapshotWad);
      n++;
    }
    const receivable36 = m.state.netSize * indexWad - m.state.sumSizeTimesFundingSnapshot;
    const gap = owedTotal * WAD - receivable36;
    if (gap < 0n || gap >= (n === 0n ? 1n : n * WAD)) {
      out.push(
        `invariant_fundingZeroSum: ${cfg.markets[mi].symbol} traders owe ${owedTotal}, vault counts ${receivable36}/1e18`,
      );
    }
  });
}

/**
 * DESIGN §12.11: the queue (ranks from `adlLight`) is in effective-leverage order at the current price; two
 * entries out of leverage order must share a tick (tickOf(adlKey), FIFO) or be equal up to the rounding of
 * the key and of the owed amounts (a few wei of price for the smallest queued size).
 */
function invariant_adlOrder(cfg: ModelConfig, s: ModelState, snap: LensSnapshot, out: string[]): void {
  s.markets.forEach((m, mi) => {
    const lm = snap.markets[mi];
    const info = cfg.markets[mi];
    for (const isLong of [true, false]) {
      const members = cfg.traders
        .map((t, j) => ({ t, j, lp: lm.positions[j] }))
        .filter((x) => x.lp.position.size !== 0n && x.lp.position.size > 0n === isLong && x.lp.light !== 0)
        .sort((a, b) => (a.lp.rank < b.lp.rank ? -1 : 1));
      members.forEach((x, i) => {
        if (x.lp.rank !== BigInt(i) || x.lp.queueLength !== BigInt(members.length)) {
          out.push(`invariant_adlOrder: ${info.symbol} ranks are not a permutation of 0..${members.length - 1}`);
        }
      });
      if (!lm.priceOk) continue;
      const indices = {
        fundingIndexWad: lm.fundingIndexNowWad,
        longLossIndexWad: m.state.longLossIndexWad,
        shortLossIndexWad: m.state.shortLossIndexWad,
      };
      for (let i = 0; i < members.length; i++) {
        for (let k = i + 1; k < members.length; k++) {
          const a = members[i].lp.position;
          const b = members[k].lp.position;
          if (compareAdlPriority(a, b, lm.priceWad, indices) <= 0) continue;
          const ka = adlKey(a);
          const kb = adlKey(b);
          if (tickOf(ka) === tickOf(kb)) continue;
          const smallest = abs(a.size) < abs(b.size) ? abs(a.size) : abs(b.size);
          // E/|q| is rounded by < 3 wei of USD per position and each key by < 1 wei (see the doc comment).
          const tolerance = (4n * WAD) / smallest + 4n;
          if (abs(ka - kb) <= tolerance) continue;
          out.push(
            `invariant_adlOrder: ${info.symbol} ${isLong ? "long" : "short"} queue ranks ${members[i].t} ahead of ` +
              `${members[k].t} but the latter is more leveraged at ${lm.priceWad}`,
          );
        }
      }
    }
  });
}

/**
 * Per-account ledger: free + Σ margins == deposited − withdrawn + realised PnL − fees − funding − socialized
 * loss − penalties − keeper rewards paid + keeper rewards received + deficits written off, exactly.
 */
function invariant_ledgerBalances(cfg: ModelConfig, s: ModelState, out: string[]): void {
  for (const a of cfg.all) {
    const l = s.ledger.get(a);
    if (!l) continue;
    let held = s.free.get(a) ?? 0n;
    for (const m of s.markets) held += positionOf(m, a).marginUsd;
    const expected = ledgerEntitlementUsd(l) - l.withdrawnUsd;
    if (held !== expected) out.push(`invariant_ledgerBalances: ${a} holds ${held}, its ledger says ${expected}`);
  }
}
