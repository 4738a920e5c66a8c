// Executes one resolved fuzz step: predicts each transaction with the model on a draft, sends it pinned to
// the model's clock, checks that the outcome (success and events, or the exact custom error) is the
// predicted one, adopts the draft, then reads the lens once and asserts model == chain and every invariant,
// the liveness probes and (in canary mode) the active canary.
import { callAt, mineAt, parseLog, probeLiquidations, readLens, sendTx, type FuzzSystem, type TxResult } from "./chain";
import { EventLog, actualEvents, diffEvents, type ExpectedEvent } from "./model/events";
import { Revert, oracleFailure, validPriceOrNull } from "./model/oracle";
import { cloneState, positionOf, type ModelConfig, type ModelState } from "./model/state";
import {
  liquidationsLive,
  modifyPosition,
  type Findings,
  type LiquidationContext,
  type LiquidationRecord,
  type ModifyOutcome,
} from "./model/engine";
import { checkInvariants, compareModelToChain, StepFailure, type StepInfo } from "./invariants";
import { ENGINE } from "./chain";
import type { FuzzStats } from "./stats";
import { currentFundingIndexWad, positionHealth } from "../../sdk/math";
import { strictSolvency, verbose } from "./config";

/** One transaction of a step (or a bare block mined to advance time). */
export interface SubTx {
  /** Block timestamp the transaction is mined at. */
  t: bigint;
  /** Sender and call; absent for a time advance (an empty block mined at `t`). */
  from?: string;
  to?: string;
  data?: string;
  /** The model's version of the call, on the draft; throws Revert(name) where the contract reverts. */
  apply: (ctx: LiquidationContext) => void;
  /** Handler that must not revert (…NoRevert): why. */
  mustSucceed?: string;
  /**
   * Resolved when the sub-transaction's turn comes, from the model as the earlier sub-transactions left it
   * (a keeper reacting to them); null skips it. The other fields are ignored when this is set.
   */
  lazy?: (s: ModelState) => SubTx | null;
}

export interface Plan {
  /** Statistics key, e.g. "trade.open". */
  kind: string;
  /** The resolved action, printed on failure. */
  label: string;
  subTxs: SubTx[];
  actor?: string;
  /** Further accounts acting on their own behalf in this step (a scenario fills it while it resolves). */
  actors?: string[];
  keepers?: string[];
}

export interface ModelBox {
  s: ModelState;
}

/** An active canary: a property that MUST fail; the runner throws CanaryBroken when it does. */
export interface ActiveCanary {
  name: string;
  broken: (step: StepInfo, outcomes: string[]) => boolean;
}

export class CanaryBroken extends Error {
  constructor(
    readonly canary: string,
    readonly atStep: number,
  ) {
    super(`canary ${canary} broke at step ${atStep}`);
  }
}

export interface RunContext {
  f: FuzzSystem;
  cfg: ModelConfig;
  stats: FuzzStats;
  canary?: ActiveCanary;
  /** The last steps of the current run, for failure messages. */
  trace: string[];
  /** Steps executed in the current run. */
  stepInRun: number;
  /** Wind-down transactions do not count as fuzz steps. */
  windingDown: boolean;
  /** Collateral held by the engine in the base state (token units), for the end-of-run token ledger. */
  baseEngineTokens: bigint;
}

function describeTx(tx: SubTx): string {
  if (!tx.data) return `mine@${tx.t}`;
  try {
    const parsed = ENGINE.parseTransaction({ data: tx.data });
    if (parsed) return `${parsed.name}(${parsed.args.map((a) => String(a)).join(",")})`;
  } catch {
    // not an engine call
  }
  return `${tx.data.slice(0, 10)}@${tx.to}`;
}

/** Runs a plan as one fuzz step (see the file header). */
export async function executePlan(rc: RunContext, box: ModelBox, plan: Plan): Promise<void> {
  const before = cloneState(box.s);
  const findings: Findings = { list: [] };
  const records: LiquidationRecord[] = [];
  const allEvents: ExpectedEvent[] = [];
  const outcomes: string[] = [];
  let modify: (ModifyOutcome & { account: string; mi: number }) | undefined;
  for (const planned of plan.subTxs) {
    const tx = planned.lazy ? planned.lazy(box.s) : planned;
    if (!tx) continue;
    const draft = cloneState(box.s);
    const findingsBefore = findings.list.length;
    const ctx: LiquidationContext = {
      cfg: rc.cfg,
      s: draft,
      t: tx.t,
      ev: new EventLog(),
      findings,
      cache: new Map(),
      records: [],
    };
    let predicted = "ok";
    try {
      tx.apply(ctx);
    } catch (e) {
      if (!(e instanceof Revert)) throw e;
      predicted = e.errorName;
    }
    let result: TxResult;
    const t1 = performance.now();
    if (tx.data && tx.to && tx.from) {
      result = await sendTx(tx.from, tx.to, tx.data, tx.t);
    } else {
      await mineAt(tx.t);
      result = { ok: true, logs: [], gasUsed: 0n };
    }
    TIMING.tx += performance.now() - t1;
    const actual = result.ok ? "ok" : result.error;
    outcomes.push(actual);
    const where = `step ${rc.stepInRun} "${plan.label}" tx ${describeTx(tx)}`;
    if (verbose())
      console.log(
        `  [${rc.stepInRun}] ${plan.label}: ${actual}${predicted !== actual ? ` (model: ${predicted})` : ""}`,
      );
    if (tx.mustSucceed && actual !== "ok") {
      throw new StepFailure(
        `${where}: NoRevert handler reverted with ${actual} (${tx.mustSucceed}); model predicted ${predicted}`,
      );
    }
    if (predicted !== actual) {
      throw new StepFailure(`${where}: model predicted ${predicted}, chain says ${actual}`);
    }
    if (result.ok) {
      const events = actualEvents(result.logs.map(parseLog));
      const problems = diffEvents(ctx.ev.events, events);
      if (problems.length > 0) {
        throw new StepFailure(`${where}: events differ from the model:\n  ${problems.join("\n  ")}`);
      }
      allEvents.push(...events);
      if (process.env.FUZZ_VERBOSE === "2") {
        for (const e of events) {
          if (e.name === "FundingAccrued") continue;
          console.log(
            `      ${e.name} ${JSON.stringify(e.args, (_k, v) => (typeof v === "bigint" ? v.toString() : v))}`,
          );
        }
      }
      records.push(...ctx.records);
      draft.now = tx.t;
      box.s = draft;
      if (ctx.modify) modify = ctx.modify;
    } else {
      box.s.now = tx.t;
      findings.list.length = findingsBefore; // a reverted transaction changed nothing
    }
  }
  if (rc.windingDown) rc.stats.windDownTxs += plan.subTxs.length;
  else rc.stats.steps++;
  rc.stats.record(plan.kind, outcomes.find((o) => o !== "ok") ?? "ok");
  rc.stats.countEvents(allEvents);
  rc.trace.push(`${rc.stepInRun}: ${plan.label} → ${outcomes.join(",")}`);
  if (rc.trace.length > 40) rc.trace.shift();
  rc.stepInRun++;

  const step: StepInfo = {
    label: plan.label,
    actors: [...(plan.actor ? [plan.actor] : []), ...(plan.actors ?? [])],
    keepers: plan.keepers ?? [],
    before,
    records,
    events: allEvents,
    modify,
    findings: findings.list,
  };
  await checkStep(rc, box.s, step);
  if (rc.canary && !rc.windingDown && rc.canary.broken(step, outcomes)) {
    throw new CanaryBroken(rc.canary.name, rc.stats.steps);
  }
}

/** Post-step: one lens read, model == chain, the invariants and the liveness probes. */
/** Liquidation probes per step (see invariant_liveness). */
const PROBES_PER_STEP = 4;

export const TIMING = { lens: 0, compare: 0, invariants: 0, liveness: 0, tx: 0, model: 0 };

export async function checkStep(rc: RunContext, s: ModelState, step: StepInfo): Promise<void> {
  let t0 = performance.now();
  const snap = await readLens(rc.f);
  TIMING.lens += performance.now() - t0;
  t0 = performance.now();
  const diffs = compareModelToChain(rc.cfg, s, snap);
  TIMING.compare += performance.now() - t0;
  t0 = performance.now();
  if (diffs.length > 0) {
    throw new StepFailure(
      `after "${step.label}": the model desynced from the chain:\n  ${diffs.slice(0, 30).join("\n  ")}`,
    );
  }
  const violations = checkInvariants(rc.cfg, s, snap, step);
  snap.markets.forEach((lm, mi) => {
    const volatileNow = lm.priceOk && lm.isVolatile;
    if (volatileNow && !rc.stats.volatileMarkets.has(mi)) rc.stats.volatilityTrips++;
    if (volatileNow) rc.stats.volatileMarkets.add(mi);
    else rc.stats.volatileMarkets.delete(mi);
  });
  for (const r of step.records) rc.stats.bystandersPushedBelowZero += r.pushedBelowZero.length;
  if (snap.vaultEquityForDeposit !== undefined) {
    if (snap.vaultEquityForDeposit < 0n) {
      rc.stats.vaultInsolventSteps++;
      // DESIGN §4 "the vault must never go bankrupt" (FUZZ_STRICT_SOLVENCY=0 only counts the steps).
      if (strictSolvency()) {
        violations.push(
          `invariant_vaultSolvent: vault equity ${snap.vaultEquityForDeposit} < 0 (cash ${snap.vaultCashUsd}, ` +
            `liquidations paused ${s.pauses.liquidations}, resumeAt ${s.pauses.resumeAt}, now ${s.now})`,
        );
      }
    }
    if (rc.stats.minVaultEquityUsd === undefined || snap.vaultEquityForDeposit < rc.stats.minVaultEquityUsd) {
      rc.stats.minVaultEquityUsd = snap.vaultEquityForDeposit;
    }
  }
  TIMING.invariants += performance.now() - t0;
  t0 = performance.now();
  violations.push(...(await invariant_liveness(rc, s)));
  TIMING.liveness += performance.now() - t0;
  if (violations.length > 0) {
    throw new StepFailure(`after "${step.label}":\n  ${violations.join("\n  ")}`);
  }
}

/**
 * DESIGN §12.10, probed with eth_call at the latest block: every position the model calls liquidatable can be
 * liquidated while liquidations are live (all of them, one lens call); one sampled open position can be closed
 * by its owner (or, if its close would leave negative margin, it is liquidatable); one sampled flat account
 * can withdraw its whole free balance while withdrawals are not paused.
 */
async function invariant_liveness(rc: RunContext, s: ModelState): Promise<string[]> {
  const out: string[] = [];
  const { cfg, f } = rc;
  const t = s.now;
  const liquidatable: { account: string; marketId: string; mi: number }[] = [];
  const open: { account: string; mi: number; liquidatable: boolean }[] = [];
  s.markets.forEach((m, mi) => {
    const info = cfg.markets[mi];
    const price = validPriceOrNull(cfg.markets, s, mi, t);
    for (const [account, p] of m.positions) {
      let isLiq = false;
      if (price !== null) {
        const index = currentFundingIndexWad(m.state, info.params, price, t);
        isLiq = positionHealth(m.state, p, price, index, info.tiers, info.params.keeperRewardUsd).isLiquidatable;
        if (isLiq) liquidatable.push({ account, marketId: info.id, mi });
      }
      open.push({ account, mi, liquidatable: isLiq });
    }
  });
  const sample = rc.stats.steps + rc.stats.windDownTxs;
  if (liquidationsLive(s, t) && liquidatable.length > 0) {
    // At most PROBES_PER_STEP per step, rotating, so a backlog after a gap stays cheap to check.
    const probed =
      liquidatable.length <= PROBES_PER_STEP
        ? liquidatable
        : Array.from(
            { length: PROBES_PER_STEP },
            (_, i) => liquidatable[(sample * PROBES_PER_STEP + i) % liquidatable.length],
          );
    rc.stats.livenessProbes += probed.length;
    const results = await probeLiquidations(f, probed);
    results.forEach((error, i) => {
      if (error !== null) {
        out.push(
          `invariant_liveness: liquidatable ${probed[i].account} on ${cfg.markets[probed[i].mi].symbol} ` +
            `cannot be liquidated: ${error}`,
        );
      }
    });
  }
  if (open.length > 0) {
    const pick = open[sample % open.length];
    const info = cfg.markets[pick.mi];
    const size = positionOf(s.markets[pick.mi], pick.account).size;
    const acceptable = size > 0n ? 0n : (1n << 256n) - 1n;
    const draft = cloneState(s);
    let predicted = "ok";
    try {
      modifyPosition(
        { cfg, s: draft, t, ev: new EventLog(), findings: { list: [] } },
        {
          account: pick.account,
          mi: pick.mi,
          sizeDelta: 0n,
          marginDelta: 0n,
          acceptablePrice: acceptable,
          close: true,
        },
      );
    } catch (e) {
      if (!(e instanceof Revert)) throw e;
      predicted = e.errorName;
    }
    const res = await callAt(pick.account, f.engine, ENGINE.encodeFunctionData("closePosition", [info.id, acceptable]));
    rc.stats.livenessProbes++;
    const actual = res.ok ? "ok" : res.error;
    if (actual !== predicted) {
      out.push(
        `invariant_liveness: closePosition probe of ${pick.account} on ${info.symbol}: model ${predicted}, chain ${actual}`,
      );
    }
    const priceValid = oracleFailure(info, s.markets[pick.mi], t) === null;
    if (priceValid && actual !== "ok" && !(actual === "PositionBankrupt" && pick.liquidatable)) {
      out.push(
        `invariant_liveness: ${pick.account}'s ${info.symbol} position cannot be closed (${actual}) although the price ` +
          `is valid and it is ${pick.liquidatable ? "liquidatable" : "healthy (so it cannot be liquidated either)"}`,
      );
    }
  }
  if (!s.pauses.withdrawals) {
    const flat = cfg.all.filter(
      (a) => (s.free.get(a) ?? 0n) >= cfg.scale && s.markets.every((m) => positionOf(m, a).size === 0n),
    );
    if (flat.length > 0) {
      const who = flat[sample % flat.length];
      const tokens = (s.free.get(who) ?? 0n) / cfg.scale;
      const res = await callAt(who, f.engine, ENGINE.encodeFunctionData("withdraw", [tokens]));
      rc.stats.livenessProbes++;
      if (!res.ok) out.push(`invariant_liveness: flat ${who} cannot withdraw its free balance: ${res.error}`);
    }
  }
  return out;
}
