// The fuzz commands: plain-data specs (so a counterexample can be written back as a fast-check example)
// resolved against the model when they run — amounts are biased toward the edges (1 wei, the minimum
// margin, the caps, exact initial margin and one wei under it, exact slippage bounds, the breaker's 25%,
// the heartbeat and the grace period to the second). Each spec becomes one `Plan` for the runner.
import fc from "fast-check";
import {
  WAD,
  currentFundingIndexWad,
  fillPriceWad,
  initialRequirementUsd,
  notionalUsd,
  owedUsd,
  positionHealth,
  simulateModifyPosition,
  unrealizedPnlUsd,
  liquidationPriceWad,
  netMarginUsd,
  vaultMarketValueUsd,
} from "../../sdk/math";
import { abs, min } from "../../sdk/math/signedMath";
import { bankruptcyPriceWad } from "../../sdk/adl/adlMath";
import { ENGINE, FEED, TOKEN_IFACE, VAULT } from "./chain";
import {
  deposit,
  donateToInsurance,
  liquidate,
  liquidateMany,
  liquidationsLive,
  modifyPosition,
  pause,
  pokeFunding,
  rawDonation,
  unpause,
  vaultEquityModel,
  withdraw,
  UNLISTED_MARKET_ID,
} from "./model/engine";
import { deleverageVault } from "./model/adl";
import { lpDeposit, lpRedeem, lpWithdraw, maxRedeem, maxWithdraw } from "./model/vault";
import { answerIsValid, validPriceOrNull } from "./model/oracle";
import { freeOf, positionOf, pushFeedRound, walletOf, type ModelState } from "./model/state";
import type { ModelBox, Plan, RunContext, SubTx } from "./runner";
import { executePlan } from "./runner";

const MAX_UINT = (1n << 256n) - 1n;
const USD = 10n ** 18n;
const MICRO = 10n ** 6n;

// ───────────────────────────── specs ─────────────────────────────

export type Notional = "1wei" | "50" | "100" | "1k" | "10k" | "60k" | "250k" | "1M" | "oiCap" | "oiCap+1";
export type MarginSpec =
  | "none"
  | "lev1"
  | "lev2"
  | "lev5"
  | "lev10"
  | "lev19"
  | "exactIM"
  | "exactIM-1"
  | "minMargin"
  | "1wei"
  | "allFree"
  | "remove5";
export type Fraction = "1wei" | "1%" | "25%" | "50%" | "90%" | "all-1wei";
export type Slippage = "any" | "exact" | "violate";
export type PriceKind =
  | "small"
  | "medium"
  | "gap"
  | "breaker25"
  | "breaker25+1"
  | "toLiquidation"
  | "toBankruptcy"
  | "zero"
  | "negative"
  | "atBound"
  | "restore"
  | "refresh";

export type CmdSpec =
  | {
      type: "trade";
      trader: number;
      market: number;
      intent: "open" | "increase" | "reduce" | "flip" | "closeViaModify";
      long: boolean;
      notional: Notional;
      margin: MarginSpec;
      fraction: Fraction;
      slippage: Slippage;
    }
  | { type: "close"; trader: number; market: number; healthyNoRevert: boolean; onOpen: boolean; pick: number }
  | {
      type: "margin";
      trader: number;
      market: number;
      onOpen: boolean;
      op: "add" | "remove";
      amount: "1wei" | "10" | "1k" | "max" | "max+1" | "all";
    }
  | { type: "deposit"; trader: number; amount: "0" | "1wei" | "10" | "1k" | "50k" | "500k" | "wallet" | "wallet+1" }
  | { type: "withdraw"; actor: number; amount: "0" | "1wei" | "100" | "half" | "all" | "all+1" }
  | { type: "withdrawFlatNoRevert"; pick: number }
  | { type: "lpDeposit"; lp: number; amount: "0" | "1wei" | "1k" | "100k" | "1M" }
  | { type: "lpWithdraw"; lp: number; mode: "1wei" | "halfMax" | "max" | "max+1" | "redeemAll" | "redeemMax" }
  | { type: "price"; market: number; kind: PriceKind; bps: number; up: boolean; pick: number }
  | { type: "stale"; market: number; offset: number }
  | { type: "time"; seconds: number; refresh: boolean }
  | { type: "liquidate"; keeper: number; mode: "liquidatableNoRevert" | "any" | "healthy"; pick: number }
  | {
      type: "liquidateMany";
      keeper: number;
      entries: { kind: "liquidatable" | "any" | "flat" | "unlisted" | "dup"; pick: number }[];
    }
  | { type: "deleverageVault"; keeper: number; market: number; maxSteps: number }
  | { type: "donateInsurance"; donor: number; amount: "1wei" | "100" | "10k" | "100k" }
  | { type: "rawDonation"; amount: "1wei" | "1" | "1k" }
  | { type: "pause"; which: number }
  | { type: "unpause"; which: number }
  | { type: "poke"; market: number; by: number }
  | { type: "thinSideAfterGap"; market: number; bankruptLong: boolean; gapBps: number; pick: number };

// ───────────────────────────── helpers ─────────────────────────────

function pickOf<T>(list: T[], pick: number): T {
  return list[((pick % list.length) + list.length) % list.length];
}

/** The feed price to size trades with (the last valid answer while the feed is invalid). */
function refPriceWad(rc: RunContext, s: ModelState, mi: number): bigint {
  const info = rc.cfg.markets[mi];
  const m = s.markets[mi];
  const answer = answerIsValid(info, m.feed.answer) ? m.feed.answer : m.lastValidAnswer;
  return answer * info.toWad;
}

function usdOf(spec: string): bigint {
  const table: Record<string, bigint> = {
    "10": 10n,
    "50": 50n,
    "100": 100n,
    "1k": 1_000n,
    "10k": 10_000n,
    "50k": 50_000n,
    "60k": 60_000n,
    "100k": 100_000n,
    "250k": 250_000n,
    "500k": 500_000n,
    "1M": 1_000_000n,
    "1": 1n,
  };
  const v = table[spec];
  if (v === undefined) throw new Error(`no USD amount for "${spec}"`);
  return v;
}

function sizeForUsd(priceWad: bigint, usd: bigint): bigint {
  const size = (usd * USD * WAD) / priceWad;
  return size === 0n ? 1n : size;
}

function sideOi(s: ModelState, mi: number, isLong: boolean): bigint {
  const st = s.markets[mi].state;
  return isLong ? st.longOpenInterest : st.shortOpenInterest;
}

interface OpenPos {
  account: string;
  mi: number;
  liquidatable: boolean;
  healthy: boolean;
}

/** Open positions with their health at `t` (health only where the price is valid at `t`). */
function openPositions(rc: RunContext, s: ModelState, t: bigint): OpenPos[] {
  const out: OpenPos[] = [];
  s.markets.forEach((m, mi) => {
    const info = rc.cfg.markets[mi];
    const price = validPriceOrNull(rc.cfg.markets, s, mi, t);
    for (const [account, p] of m.positions) {
      if (price === null) {
        out.push({ account, mi, liquidatable: false, healthy: false });
        continue;
      }
      const index = currentFundingIndexWad(m.state, info.params, price, t);
      const h = positionHealth(m.state, p, price, index, info.tiers, info.params.keeperRewardUsd);
      out.push({ account, mi, liquidatable: h.isLiquidatable, healthy: !h.isLiquidatable });
    }
  });
  out.sort((a, b) => (a.mi - b.mi) * 1000 + (a.account < b.account ? -1 : a.account > b.account ? 1 : 0));
  return out;
}

/**
 * The marginDelta that leaves the position exactly at its initial requirement (or the minimum margin,
 * whichever binds) after the trade, from the SDK's simulation of the trade with a huge margin.
 */
function exactInitialMarginDelta(
  rc: RunContext,
  s: ModelState,
  mi: number,
  account: string,
  sizeDelta: bigint,
  priceWad: bigint,
  t: bigint,
): bigint | null {
  const info = rc.cfg.markets[mi];
  const big = 10n ** 36n;
  try {
    const r = simulateModifyPosition({
      params: info.params,
      state: s.markets[mi].state,
      position: positionOf(s.markets[mi], account),
      sizeDelta,
      marginDelta: big,
      priceWad,
      nowSeconds: t,
    });
    const np = r.position;
    if (np.size === 0n) return null;
    const base = np.marginUsd - big;
    const pnl = unrealizedPnlUsd(np.size, np.entryPriceWad, priceWad);
    const required = initialRequirementUsd(info.tiers, notionalUsd(np.size, priceWad), info.params.keeperRewardUsd);
    const needed = required - min(pnl, 0n);
    const post = needed > info.params.minPositionMarginUsd ? needed : info.params.minPositionMarginUsd;
    return post - base;
  } catch {
    return null;
  }
}

/** Largest margin removal that keeps initial margin and the minimum margin (≤ 0: none). */
function maxRemovableMargin(
  rc: RunContext,
  s: ModelState,
  mi: number,
  account: string,
  priceWad: bigint,
  t: bigint,
): bigint {
  const info = rc.cfg.markets[mi];
  const m = s.markets[mi];
  const p = positionOf(m, account);
  if (p.size === 0n) return 0n;
  const index = currentFundingIndexWad(m.state, info.params, priceWad, t);
  const owed = owedUsd(m.state, p, index);
  const settled = p.marginUsd - owed.fundingOwedUsd - owed.lossOwedUsd;
  const pnl = unrealizedPnlUsd(p.size, p.entryPriceWad, priceWad);
  const required = initialRequirementUsd(info.tiers, notionalUsd(p.size, priceWad), info.params.keeperRewardUsd);
  const byIm = settled + min(pnl, 0n) - required;
  const byMin = settled - info.params.minPositionMarginUsd;
  return byIm < byMin ? byIm : byMin;
}

function tx(t: bigint, from: string, to: string, data: string, apply: SubTx["apply"], mustSucceed?: string): SubTx {
  return { t, from, to, data, apply, mustSucceed };
}

const short = (a: string) => a.slice(0, 8);

// ───────────────────────────── planning ─────────────────────────────

function planTrade(rc: RunContext, s: ModelState, p: Extract<CmdSpec, { type: "trade" }>): Plan {
  const { cfg } = rc;
  const t = s.now + 1n;
  let trader = pickOf(cfg.traders, p.trader);
  let mi = p.market % cfg.markets.length;
  if (p.intent !== "open") {
    // Changing a position: aim at an open one (the pick is the trader index).
    const open = openPositions(rc, s, t);
    if (open.length > 0) ({ account: trader, mi } = pickOf(open, p.trader * 7 + p.market));
  }
  const info = cfg.markets[mi];
  const pos = positionOf(s.markets[mi], trader);
  let intent: string = p.intent;
  if (pos.size === 0n) intent = "open";
  else if (intent === "open") intent = "increase";
  const price = refPriceWad(rc, s, mi);
  const sign = pos.size !== 0n ? (pos.size > 0n ? 1n : -1n) : p.long ? 1n : -1n;
  const notionalSize = (newSideLong: boolean): bigint => {
    if (p.notional === "1wei") return 1n;
    if (p.notional === "oiCap" || p.notional === "oiCap+1") {
      // The new side's open interest after the trade is its current OI + |the opened part|.
      const room = info.params.maxOpenInterestPerSide - sideOi(s, mi, newSideLong);
      const base = room > 0n ? room : 1n;
      return p.notional === "oiCap" ? base : base + 1n;
    }
    return sizeForUsd(price, usdOf(p.notional));
  };
  let sizeDelta: bigint;
  switch (intent) {
    case "open":
    case "increase":
      sizeDelta = sign * notionalSize(sign > 0n);
      break;
    case "reduce": {
      const sizeAbs = abs(pos.size);
      const part: Record<Fraction, bigint> = {
        "1wei": 1n,
        "1%": sizeAbs / 100n,
        "25%": sizeAbs / 4n,
        "50%": sizeAbs / 2n,
        "90%": (sizeAbs * 9n) / 10n,
        "all-1wei": sizeAbs - 1n,
      };
      const amount = part[p.fraction] > 0n ? part[p.fraction] : 1n;
      sizeDelta = -sign * amount;
      break;
    }
    case "flip":
      sizeDelta = -pos.size - sign * notionalSize(sign < 0n);
      break;
    default:
      sizeDelta = -pos.size;
  }
  const newSize = pos.size + sizeDelta;
  const opensAbs =
    newSize === 0n ? 0n : abs(newSize) > abs(pos.size) || newSize > 0n !== pos.size > 0n ? abs(newSize) : 0n;
  let marginDelta = 0n;
  const lev = (l: bigint) => (opensAbs === 0n ? 0n : (abs(sizeDelta) * price) / WAD / l);
  switch (p.margin) {
    case "lev1":
      marginDelta = lev(1n);
      break;
    case "lev2":
      marginDelta = lev(2n);
      break;
    case "lev5":
      marginDelta = lev(5n);
      break;
    case "lev10":
      marginDelta = lev(10n);
      break;
    case "lev19":
      marginDelta = lev(19n);
      break;
    case "exactIM":
    case "exactIM-1": {
      const d = exactInitialMarginDelta(rc, s, mi, trader, sizeDelta, price, t);
      marginDelta = d === null ? 0n : p.margin === "exactIM" ? d : d - 1n;
      break;
    }
    case "minMargin": {
      const d = exactInitialMarginDelta(rc, s, mi, trader, sizeDelta, price, t);
      // exact minimum margin when IM is looser than the minimum; otherwise this is exact IM.
      marginDelta = d === null ? info.params.minPositionMarginUsd : d;
      break;
    }
    case "1wei":
      marginDelta = 1n;
      break;
    case "allFree":
      marginDelta = freeOf(s, trader);
      break;
    case "remove5":
      marginDelta = -5n * USD;
      break;
  }
  let acceptable = sizeDelta > 0n ? MAX_UINT : 0n;
  if (p.slippage !== "any" && sizeDelta !== 0n) {
    const fill = fillPriceWad(price, s.markets[mi].state.netSize, sizeDelta, info.params.skewScale);
    acceptable = p.slippage === "exact" ? fill : sizeDelta > 0n ? fill - 1n : fill + 1n;
    if (acceptable < 0n) acceptable = 0n;
  }
  const data = ENGINE.encodeFunctionData("modifyPosition", [info.id, sizeDelta, marginDelta, acceptable]);
  return {
    kind: `trade.${intent}`,
    label:
      `trade.${intent} ${short(trader)} ${info.symbol} Δ${sizeDelta} margin ${marginDelta} (${p.notional}/${p.margin}/` +
      `${p.fraction}/${p.slippage})`,
    actor: trader,
    subTxs: [
      tx(t, trader, cfg.engine, data, (ctx) =>
        modifyPosition(ctx, { account: trader, mi, sizeDelta, marginDelta, acceptablePrice: acceptable, close: false }),
      ),
    ],
  };
}

function planClose(rc: RunContext, s: ModelState, p: Extract<CmdSpec, { type: "close" }>): Plan {
  const { cfg } = rc;
  const t = s.now + 1n;
  let trader = pickOf(cfg.traders, p.trader);
  let mi = p.market % cfg.markets.length;
  let mustSucceed: string | undefined;
  const open = openPositions(rc, s, t);
  if (p.onOpen && open.length > 0) ({ account: trader, mi } = pickOf(open, p.pick));
  if (p.healthyNoRevert) {
    const healthy = openPositions(rc, s, t).filter((x) => x.healthy);
    if (healthy.length > 0) {
      const c = pickOf(healthy, p.pick);
      trader = c.account;
      mi = c.mi;
      mustSucceed = "closeHealthyPositionNoRevert: a healthy position with a valid price can always be closed";
    }
  }
  const info = cfg.markets[mi];
  const size = positionOf(s.markets[mi], trader).size;
  const acceptable = size > 0n ? 0n : MAX_UINT;
  const data = ENGINE.encodeFunctionData("closePosition", [info.id, acceptable]);
  const kind = mustSucceed ? "closeHealthyPositionNoRevert" : "close";
  return {
    kind,
    label: `${kind} ${short(trader)} ${info.symbol} size ${size}`,
    actor: trader,
    subTxs: [
      tx(
        t,
        trader,
        cfg.engine,
        data,
        (ctx) =>
          modifyPosition(ctx, {
            account: trader,
            mi,
            sizeDelta: 0n,
            marginDelta: 0n,
            acceptablePrice: acceptable,
            close: true,
          }),
        mustSucceed,
      ),
    ],
  };
}

function planMargin(rc: RunContext, s: ModelState, p: Extract<CmdSpec, { type: "margin" }>): Plan {
  const { cfg } = rc;
  const t = s.now + 1n;
  let trader = pickOf(cfg.traders, p.trader);
  let mi = p.market % cfg.markets.length;
  const open = openPositions(rc, s, t);
  if (p.onOpen && open.length > 0) ({ account: trader, mi } = pickOf(open, p.trader * 7 + p.market));
  const info = cfg.markets[mi];
  const price = refPriceWad(rc, s, mi);
  let amount: bigint;
  switch (p.amount) {
    case "1wei":
      amount = 1n;
      break;
    case "10":
    case "1k":
      amount = usdOf(p.amount) * USD;
      break;
    case "all":
      amount = p.op === "add" ? freeOf(s, trader) : positionOf(s.markets[mi], trader).marginUsd;
      break;
    default: {
      const max = p.op === "add" ? freeOf(s, trader) : maxRemovableMargin(rc, s, mi, trader, price, t);
      amount = (max > 0n ? max : 1n) + (p.amount === "max+1" ? 1n : 0n);
    }
  }
  if (amount === 0n) amount = 1n;
  const marginDelta = p.op === "add" ? amount : -amount;
  const data = ENGINE.encodeFunctionData("modifyPosition", [info.id, 0n, marginDelta, 0n]);
  return {
    kind: `margin.${p.op}`,
    label: `margin.${p.op} ${short(trader)} ${info.symbol} ${marginDelta} (${p.amount})`,
    actor: trader,
    subTxs: [
      tx(t, trader, cfg.engine, data, (ctx) =>
        modifyPosition(ctx, { account: trader, mi, sizeDelta: 0n, marginDelta, acceptablePrice: 0n, close: false }),
      ),
    ],
  };
}

function tokensOf(spec: string, all: bigint): bigint {
  switch (spec) {
    case "0":
      return 0n;
    case "1wei":
      return 1n;
    case "wallet":
    case "all":
      return all;
    case "wallet+1":
    case "all+1":
      return all + 1n;
    case "half":
      return all / 2n;
    default:
      return usdOf(spec) * MICRO;
  }
}

function planAccount(rc: RunContext, s: ModelState, p: CmdSpec): Plan {
  const { cfg } = rc;
  const t = s.now + 1n;
  switch (p.type) {
    case "deposit": {
      const trader = pickOf(cfg.traders, p.trader);
      const tokens = tokensOf(p.amount, walletOf(s, trader));
      const data = ENGINE.encodeFunctionData("deposit", [tokens]);
      return {
        kind: "deposit",
        label: `deposit ${short(trader)} ${tokens} (${p.amount})`,
        actor: trader,
        subTxs: [tx(t, trader, cfg.engine, data, (ctx) => deposit(ctx, trader, tokens))],
      };
    }
    case "withdraw": {
      const who = pickOf([...cfg.traders, ...cfg.keepers], p.actor);
      const tokens = tokensOf(p.amount, freeOf(s, who) / cfg.scale);
      const data = ENGINE.encodeFunctionData("withdraw", [tokens]);
      return {
        kind: "withdraw",
        label: `withdraw ${short(who)} ${tokens} (${p.amount})`,
        actor: who,
        subTxs: [tx(t, who, cfg.engine, data, (ctx) => withdraw(ctx, who, tokens))],
      };
    }
    case "withdrawFlatNoRevert": {
      const flat = cfg.all.filter(
        (a) => freeOf(s, a) >= cfg.scale && s.markets.every((m) => positionOf(m, a).size === 0n),
      );
      const who = flat.length > 0 ? pickOf(flat, p.pick) : cfg.traders[0];
      const tokens = flat.length > 0 ? freeOf(s, who) / cfg.scale : 1n;
      const mustSucceed =
        flat.length > 0 && !s.pauses.withdrawals
          ? "withdrawFlatFreeBalanceNoRevert: a flat account can withdraw its free balance"
          : undefined;
      const data = ENGINE.encodeFunctionData("withdraw", [tokens]);
      return {
        kind: "withdrawFlatFreeBalanceNoRevert",
        label: `withdrawFlatFreeBalanceNoRevert ${short(who)} ${tokens}`,
        actor: who,
        subTxs: [tx(t, who, cfg.engine, data, (ctx) => withdraw(ctx, who, tokens), mustSucceed)],
      };
    }
    case "donateInsurance": {
      const donor = pickOf([...cfg.traders, ...cfg.lps, cfg.admin], p.donor);
      const tokens = tokensOf(p.amount, 0n);
      const data = ENGINE.encodeFunctionData("donateToInsurance", [tokens]);
      return {
        kind: "donateInsurance",
        label: `donateInsurance ${short(donor)} ${tokens}`,
        actor: donor,
        subTxs: [tx(t, donor, cfg.engine, data, (ctx) => donateToInsurance(ctx, donor, tokens))],
      };
    }
    case "rawDonation": {
      // A plain ERC-20 transfer to the engine: credits nobody, shows up only as surplus.
      const tokens = tokensOf(p.amount, 0n);
      const data = TOKEN_IFACE.encodeFunctionData("transfer", [cfg.engine, tokens]);
      return {
        kind: "rawDonation",
        label: `rawDonation ${tokens} from admin`,
        actor: cfg.admin,
        subTxs: [tx(t, cfg.admin, rc.f.collateral, data, (ctx) => rawDonation(ctx, cfg.admin, tokens))],
      };
    }
    default:
      throw new Error(`not an account command: ${p.type}`);
  }
}

function planLp(rc: RunContext, s: ModelState, p: CmdSpec): Plan {
  const { cfg } = rc;
  const t = s.now + 1n;
  if (p.type === "lpDeposit") {
    const lp = pickOf(cfg.lps, p.lp);
    const tokens = tokensOf(p.amount, 0n);
    const data = VAULT.encodeFunctionData("deposit", [tokens, lp]);
    return {
      kind: "lpDeposit",
      label: `lpDeposit ${short(lp)} ${tokens}`,
      actor: lp,
      subTxs: [tx(t, lp, cfg.vault, data, (ctx) => void lpDeposit(ctx, lp, tokens))],
    };
  }
  if (p.type !== "lpWithdraw") throw new Error("not an LP command");
  const lp = pickOf(cfg.lps, p.lp);
  const shares = s.shares.get(lp) ?? 0n;
  if (p.mode === "redeemAll" || p.mode === "redeemMax") {
    const max = maxRedeem(cfg, s, t, lp);
    const amount = p.mode === "redeemAll" ? shares : max;
    // max > 0 implies the vault can be valued (every price valid) and withdrawals are not paused.
    const mustSucceed =
      amount <= max && max > 0n ? "lpRedeemWithinMaxNoRevert: redeeming at most maxRedeem succeeds" : undefined;
    const data = VAULT.encodeFunctionData("redeem", [amount, lp, lp]);
    return {
      kind: mustSucceed ? "lpRedeemWithinMaxNoRevert" : "lpRedeem",
      label: `lpRedeem ${short(lp)} ${amount} shares (max ${max})`,
      actor: lp,
      subTxs: [tx(t, lp, cfg.vault, data, (ctx) => void lpRedeem(ctx, lp, amount), mustSucceed)],
    };
  }
  const max = maxWithdraw(cfg, s, t, lp);
  const assets = p.mode === "1wei" ? 1n : p.mode === "halfMax" ? max / 2n : p.mode === "max" ? max : max + 1n;
  const mustSucceed =
    assets <= max && max > 0n ? "lpWithdrawWithinMaxNoRevert: withdrawing at most maxWithdraw succeeds" : undefined;
  const data = VAULT.encodeFunctionData("withdraw", [assets, lp, lp]);
  return {
    kind: mustSucceed ? "lpWithdrawWithinMaxNoRevert" : "lpWithdraw",
    label: `lpWithdraw ${short(lp)} ${assets} (${p.mode}, max ${max})`,
    actor: lp,
    subTxs: [tx(t, lp, cfg.vault, data, (ctx) => void lpWithdraw(ctx, lp, assets), mustSucceed)],
  };
}

/** A feed update sub-transaction (admin calls MockV3Aggregator.updateAnswer). */
function feedTx(rc: RunContext, mi: number, answer: bigint, t: bigint): SubTx {
  const info = rc.cfg.markets[mi];
  return tx(t, rc.cfg.admin, info.feed, FEED.encodeFunctionData("updateAnswer", [answer]), (ctx) => {
    const m = ctx.s.markets[mi];
    if (m.feed.answer !== answer) m.shadow.dirty = true;
    pushFeedRound(m, answer, ctx.t);
    if (answerIsValid(info, answer)) m.lastValidAnswer = answer;
  });
}

function planPrice(rc: RunContext, s: ModelState, p: Extract<CmdSpec, { type: "price" }>): Plan {
  const { cfg } = rc;
  const t = s.now + 1n;
  const mi = p.market % cfg.markets.length;
  const info = cfg.markets[mi];
  const m = s.markets[mi];
  const current = answerIsValid(info, m.feed.answer) ? m.feed.answer : m.lastValidAnswer;
  const initial = initialAnswers[mi] ?? current;
  const moved = (bps: bigint, up: boolean) => {
    // Mean-reverting band [0.35×, 2.8×] of the initial price: a move that would leave it goes the other way,
    // and the result is clamped into [0.3×, 3.2×].
    let next = up ? (current * (10_000n + bps)) / 10_000n : (current * (10_000n - bps)) / 10_000n;
    if (next > (initial * 28n) / 10n || next < (initial * 35n) / 100n) {
      next = up ? (current * (10_000n - bps)) / 10_000n : (current * (10_000n + bps)) / 10_000n;
    }
    const lo = (initial * 30n) / 100n;
    const hi = (initial * 32n) / 10n;
    return next < lo ? lo : next > hi ? hi : next;
  };
  let answer: bigint;
  let what: string = p.kind;
  const positions = [...m.positions.entries()];
  switch (p.kind) {
    case "small":
      answer = moved(BigInt(5 + (p.bps % 195)), p.up);
      break;
    case "medium":
      answer = moved(BigInt(200 + (p.bps % 800)), p.up);
      break;
    case "gap":
      answer = moved(BigInt(3_000 + (p.bps % 1_500)), p.up);
      break;
    case "breaker25":
    case "breaker25+1": {
      // Exactly the breaker's threshold from the current answer, and one feed unit over it.
      const ref = current;
      const delta = (ref * info.maxDeviationBps) / 10_000n + (p.kind === "breaker25+1" ? 1n : 0n);
      answer = p.up || ref - delta <= 1n ? ref + delta : ref - delta;
      break;
    }
    case "toLiquidation":
    case "toBankruptcy": {
      if (positions.length === 0) {
        answer = moved(BigInt(5 + (p.bps % 195)), p.up);
        what = `${p.kind}(none)`;
        break;
      }
      const [account, pos] = pickOf(positions, p.pick);
      const index = currentFundingIndexWad(m.state, info.params, current * info.toWad, t);
      let targetWad: bigint;
      if (p.kind === "toLiquidation") {
        targetWad = liquidationPriceWad(
          pos.size,
          pos.entryPriceWad,
          netMarginUsd(m.state, pos, index),
          info.tiers,
          info.params.keeperRewardUsd,
        );
        // at the boundary: a few feed units either side
        const units = BigInt((p.bps % 7) - 3);
        answer = targetWad / info.toWad + units;
      } else {
        targetWad = bankruptcyPriceWad(pos, index, m.state.longLossIndexWad, m.state.shortLossIndexWad);
        const beyond = BigInt(10 + (p.bps % 1_500));
        const b = targetWad / info.toWad;
        answer = pos.size > 0n ? (b * (10_000n - beyond)) / 10_000n : (b * (10_000n + beyond)) / 10_000n;
      }
      // At most a 45% gap per update (the fuzz's largest), and inside the price band.
      if (answer > (current * 145n) / 100n) answer = (current * 145n) / 100n;
      if (answer < (current * 55n) / 100n) answer = (current * 55n) / 100n;
      if (answer < (initial * 30n) / 100n || answer > (initial * 32n) / 10n) {
        answer = moved(BigInt(3_000 + (p.bps % 1_500)), answer > current);
      }
      what = `${p.kind}(${short(account)})`;
      break;
    }
    case "zero":
      answer = 0n;
      break;
    case "negative":
      answer = -BigInt(1 + p.bps);
      break;
    case "atBound":
      answer = p.up ? info.maxAnswer : info.minAnswer;
      break;
    case "restore":
      answer = m.lastValidAnswer;
      break;
    default:
      answer = m.feed.answer;
  }
  return {
    kind: `price.${p.kind}`,
    label: `price.${what} ${info.symbol} ${m.feed.answer} → ${answer}`,
    actor: cfg.admin,
    subTxs: [feedTx(rc, mi, answer, t), vaultProtectionKeeper(rc, mi)],
  };
}

/**
 * A diligent vault-protection keeper (DESIGN §4): right after a price update it calls `deleverageVault` on that
 * market when the model says the vault's loss there exceeds the upper threshold and liquidations are live.
 */
function vaultProtectionKeeper(rc: RunContext, mi: number): SubTx {
  return {
    t: 0n,
    apply: () => undefined,
    lazy: (s) => {
      const t = s.now + 1n;
      if (!liquidationsLive(s, t) || !vaultProtectionNeeded(rc, s, mi, t)) return null;
      const keeper = rc.cfg.keepers[1];
      const data = ENGINE.encodeFunctionData("deleverageVault", [rc.cfg.markets[mi].id, 16n]);
      return tx(t, keeper, rc.cfg.engine, data, (ctx) => deleverageVault(ctx, mi, 16n));
    },
  };
}

/** Whether the vault's unrealised loss in a market exceeds `vaultLossUpperBps` of its equity at `t`. */
function vaultProtectionNeeded(rc: RunContext, s: ModelState, mi: number, t: bigint): boolean {
  const { cfg } = rc;
  if (validPriceOrNull(cfg.markets, s, mi, t) === null) return false;
  try {
    const m = s.markets[mi];
    const info = cfg.markets[mi];
    const price = m.feed.answer * info.toWad;
    const index = currentFundingIndexWad(m.state, info.params, price, t);
    const value = vaultMarketValueUsd(m.state, price, index);
    const equity = vaultEquityModel(cfg, s, t, true);
    const upper = equity <= 0n ? 0n : (equity * cfg.adl.vaultLossUpperBps) / 10_000n;
    return -value > upper;
  } catch {
    return false;
  }
}

/** The initial feed answers (set by the harness; the band of `planPrice` is relative to them). */
export const initialAnswers: bigint[] = [];

function planTime(rc: RunContext, s: ModelState, p: CmdSpec): Plan {
  const { cfg } = rc;
  if (p.type === "stale") {
    const mi = p.market % cfg.markets.length;
    const info = cfg.markets[mi];
    const m = s.markets[mi];
    // The next transaction runs at `updatedAt + heartbeat + offset` (offset 0: still valid, 1: just stale).
    let target = m.feed.updatedAt + info.heartbeatSeconds + BigInt(p.offset) - 1n;
    if (target <= s.now) target = s.now + 1n;
    return {
      kind: "stale",
      label: `stale ${info.symbol} +${p.offset}s past the heartbeat (mine @${target})`,
      subTxs: [{ t: target, apply: () => undefined }],
    };
  }
  if (p.type !== "time") throw new Error("not a time command");
  const dt = BigInt(p.seconds);
  const t = s.now + dt;
  const subTxs: SubTx[] = [{ t, apply: () => undefined }];
  if (p.refresh) {
    cfg.markets.forEach((_, mi) => subTxs.push(feedTx(rc, mi, s.markets[mi].feed.answer, t + BigInt(mi) + 1n)));
  }
  return {
    kind: p.refresh ? "time+heartbeat" : "time",
    label: `time +${dt}s${p.refresh ? " + heartbeat updates" : ""}`,
    subTxs,
  };
}

function planLiquidation(rc: RunContext, s: ModelState, p: CmdSpec): Plan {
  const { cfg } = rc;
  const t = s.now + 1n;
  if (p.type === "liquidate") {
    const keeper = pickOf(cfg.keepers, p.keeper);
    const open = openPositions(rc, s, t);
    const liquidatable = open.filter((x) => x.liquidatable);
    const healthy = open.filter((x) => x.healthy);
    let account = pickOf(cfg.traders, p.pick);
    let mi = p.pick % cfg.markets.length;
    let mustSucceed: string | undefined;
    let kind = "liquidate";
    if (p.mode === "liquidatableNoRevert" && liquidatable.length > 0) {
      const c = pickOf(liquidatable, p.pick);
      account = c.account;
      mi = c.mi;
      kind = "liquidateNoRevert";
      if (liquidationsLive(s, t)) {
        mustSucceed = "liquidateNoRevert: a liquidatable position with a valid price can be liquidated";
      }
    } else if (p.mode === "healthy" && healthy.length > 0) {
      const c = pickOf(healthy, p.pick);
      account = c.account;
      mi = c.mi;
      kind = "liquidateHealthy";
    } else if (open.length > 0 && p.pick % 5 !== 0) {
      const c = pickOf(open, p.pick);
      account = c.account;
      mi = c.mi;
    }
    const info = cfg.markets[mi];
    const data = ENGINE.encodeFunctionData("liquidate", [account, info.id]);
    return {
      kind,
      label: `${kind} ${short(account)} ${info.symbol} by ${short(keeper)}`,
      actor: keeper,
      keepers: [keeper],
      subTxs: [tx(t, keeper, cfg.engine, data, (ctx) => liquidate(ctx, keeper, account, mi), mustSucceed)],
    };
  }
  if (p.type === "liquidateMany") {
    const keeper = pickOf(cfg.keepers, p.keeper);
    const open = openPositions(rc, s, t);
    const liquidatable = open.filter((x) => x.liquidatable);
    const entries: { account: string; mi: number | null }[] = [];
    for (const e of p.entries) {
      if (e.kind === "liquidatable" && liquidatable.length > 0) {
        const c = pickOf(liquidatable, e.pick);
        entries.push({ account: c.account, mi: c.mi });
      } else if (e.kind === "dup" && entries.length > 0) {
        entries.push(pickOf(entries, e.pick));
      } else if (e.kind === "unlisted") {
        entries.push({ account: pickOf(cfg.traders, e.pick), mi: null });
      } else if (e.kind === "flat") {
        entries.push({ account: pickOf(cfg.keepers, e.pick), mi: e.pick % cfg.markets.length });
      } else if (open.length > 0) {
        const c = pickOf(open, e.pick);
        entries.push({ account: c.account, mi: c.mi });
      } else {
        entries.push({ account: pickOf(cfg.traders, e.pick), mi: e.pick % cfg.markets.length });
      }
    }
    const data = ENGINE.encodeFunctionData("liquidateMany", [
      entries.map((e) => e.account),
      entries.map((e) => (e.mi === null ? UNLISTED_MARKET_ID : cfg.markets[e.mi].id)),
    ]);
    return {
      kind: "liquidateMany",
      label: `liquidateMany by ${short(keeper)} [${entries.map((e) => `${short(e.account)}/${e.mi ?? "?"}`).join(" ")}]`,
      actor: keeper,
      keepers: [keeper],
      subTxs: [tx(t, keeper, cfg.engine, data, (ctx) => void liquidateMany(ctx, keeper, entries))],
    };
  }
  if (p.type !== "deleverageVault") throw new Error("not a liquidation command");
  const keeper = pickOf(cfg.keepers, p.keeper);
  const mi = p.market % cfg.markets.length;
  const steps = BigInt(p.maxSteps);
  const data = ENGINE.encodeFunctionData("deleverageVault", [cfg.markets[mi].id, steps]);
  return {
    kind: "deleverageVault",
    label: `deleverageVault ${cfg.markets[mi].symbol} maxSteps ${steps} by ${short(keeper)}`,
    actor: keeper,
    keepers: [keeper],
    subTxs: [tx(t, keeper, cfg.engine, data, (ctx) => deleverageVault(ctx, mi, steps))],
  };
}

function planGovernance(rc: RunContext, s: ModelState, p: CmdSpec): Plan {
  const { cfg } = rc;
  const t = s.now + 1n;
  if (p.type === "poke") {
    const mi = p.market % cfg.markets.length;
    const by = pickOf(cfg.all, p.by);
    const data = ENGINE.encodeFunctionData("pokeFunding", [cfg.markets[mi].id]);
    return {
      kind: "pokeFunding",
      label: `pokeFunding ${cfg.markets[mi].symbol} by ${short(by)}`,
      actor: by,
      subTxs: [tx(t, by, cfg.engine, data, (ctx) => pokeFunding(ctx, mi))],
    };
  }
  if (p.type !== "pause" && p.type !== "unpause") throw new Error("not a governance command");
  const which = p.which % 3;
  const names = ["Trading", "Liquidations", "Withdrawals"];
  const data = ENGINE.encodeFunctionData(p.type, [which]);
  return {
    kind: `${p.type}.${names[which]}`,
    label: `${p.type}(${names[which]}) by admin`,
    actor: cfg.admin,
    subTxs: [
      tx(t, cfg.admin, cfg.engine, data, (ctx) => (p.type === "pause" ? pause(ctx, which) : unpause(ctx, which))),
    ],
  };
}

/**
 * Issue 10's reproduction as one step (DESIGN §12.6): the side opposite a large high-leverage position closes,
 * the price gaps 30–45% against that position, the breaker's window passes (heartbeat refresh), a flat trader
 * opens a thin 2x position on the opposite side, the price moves 0.5% further and a keeper liquidates the most
 * underwater position of the gapped side. Nothing on the thin side is in profit at the bankruptcy price, so ADL
 * places nothing: the vault absorbs the rest while it has equity, and the thin bystander keeps its equity
 * (the old rule socialized it over that side and bankrupted the bystander: `npm run fuzz:old-rule`). Every
 * transaction is resolved when its turn comes; any of them may be refused (caps, prices), the step goes on.
 */
function planThinSideAfterGap(rc: RunContext, s: ModelState, p: Extract<CmdSpec, { type: "thinSideAfterGap" }>): Plan {
  const { cfg } = rc;
  const mi = p.market % cfg.markets.length;
  const info = cfg.markets[mi];
  const gappedSign = p.bankruptLong ? 1n : -1n;
  const actors: string[] = [];
  const keeper = cfg.keepers[p.pick % cfg.keepers.length];
  const subTxs: SubTx[] = [];
  const later = (build: (st: ModelState, t: bigint) => SubTx | null, dt = 1n): SubTx => ({
    t: 0n,
    apply: () => undefined,
    lazy: (st) => build(st, st.now + dt),
  });
  const flatTrader = (st: ModelState, marginUsd: bigint, skip: number): string | undefined =>
    cfg.traders.filter((a) => positionOf(st.markets[mi], a).size === 0n && freeOf(st, a) >= marginUsd + 100n * USD)[
      skip
    ];
  const open = (st: ModelState, t: bigint, sign: bigint, notionalUsd: bigint, leverage: bigint, skip: number) => {
    const marginUsd = (notionalUsd * USD) / leverage;
    const trader = flatTrader(st, marginUsd, skip);
    if (!trader) return null;
    actors.push(trader);
    const sizeDelta = sign * sizeForUsd(refPriceWad(rc, st, mi), notionalUsd);
    const acceptable = sizeDelta > 0n ? MAX_UINT : 0n;
    const data = ENGINE.encodeFunctionData("modifyPosition", [info.id, sizeDelta, marginUsd, acceptable]);
    return tx(t, trader, cfg.engine, data, (ctx) =>
      modifyPosition(ctx, {
        account: trader,
        mi,
        sizeDelta,
        marginDelta: marginUsd,
        acceptablePrice: acceptable,
        close: false,
      }),
    );
  };
  const move = (st: ModelState, bps: bigint) => {
    const current = refPriceWad(rc, st, mi) / info.toWad;
    const initial = initialAnswers[mi] ?? current;
    let answer = p.bankruptLong ? (current * (10_000n - bps)) / 10_000n : (current * (10_000n + bps)) / 10_000n;
    const lo = (initial * 30n) / 100n;
    const hi = (initial * 32n) / 10n;
    answer = answer < lo ? lo : answer > hi ? hi : answer;
    return answer;
  };
  // 1. Everyone on the opposite side closes.
  for (const trader of cfg.traders) {
    subTxs.push(
      later((st, t) => {
        const pos = positionOf(st.markets[mi], trader);
        if (pos.size === 0n || pos.size > 0n !== !p.bankruptLong) return null;
        actors.push(trader);
        const acceptable = pos.size > 0n ? 0n : MAX_UINT;
        const data = ENGINE.encodeFunctionData("closePosition", [info.id, acceptable]);
        return tx(t, trader, cfg.engine, data, (ctx) =>
          modifyPosition(ctx, {
            account: trader,
            mi,
            sizeDelta: 0n,
            marginDelta: 0n,
            acceptablePrice: acceptable,
            close: true,
          }),
        );
      }),
    );
  }
  // 2. A large 18x position on the side that will gap.
  subTxs.push(later((st, t) => open(st, t, gappedSign, 200_000n, 18n, 0)));
  // 3. The gap, then the breaker's window with heartbeat refreshes at the same answers.
  subTxs.push(later((st, t) => feedTx(rc, mi, move(st, BigInt(3_000 + (p.gapBps % 1_500))), t)));
  subTxs.push(later((_st, t) => ({ t, apply: () => undefined }), info.volatilityCooldownSeconds + 1n));
  cfg.markets.forEach((_, i) => subTxs.push(later((st, t) => feedTx(rc, i, st.markets[i].feed.answer, t))));
  // 4. The thin bystander: a 2x position of $10k on the other side.
  subTxs.push(later((st, t) => open(st, t, -gappedSign, 10_000n, 2n, p.pick % 3)));
  // 5. A little further, then the keeper liquidates the most underwater position of the gapped side.
  subTxs.push(later((st, t) => feedTx(rc, mi, move(st, 50n), t)));
  subTxs.push(
    later((st, t) => {
      const candidates = openPositions(rc, st, t).filter(
        (x) => x.mi === mi && x.liquidatable && positionOf(st.markets[mi], x.account).size > 0n === p.bankruptLong,
      );
      if (candidates.length === 0) return null;
      const price = refPriceWad(rc, st, mi);
      const m = st.markets[mi];
      const index = currentFundingIndexWad(m.state, info.params, price, t);
      const equity = (a: string) => positionHealth(m.state, positionOf(m, a), price, index, info.tiers, 0n).equityUsd;
      const worst = candidates.reduce((a, b) => (equity(b.account) < equity(a.account) ? b : a));
      const data = ENGINE.encodeFunctionData("liquidate", [worst.account, info.id]);
      return tx(t, keeper, cfg.engine, data, (ctx) => liquidate(ctx, keeper, worst.account, mi));
    }),
  );
  return {
    kind: "scenario.thinSideAfterGap",
    label: `scenario.thinSideAfterGap ${info.symbol} ${p.bankruptLong ? "longs" : "shorts"} gap`,
    actor: cfg.admin,
    actors,
    keepers: [keeper],
    subTxs,
  };
}

/** Resolves a spec against the model into the transactions of one step. */
export function planFor(rc: RunContext, s: ModelState, spec: CmdSpec): Plan {
  switch (spec.type) {
    case "trade":
      return planTrade(rc, s, spec);
    case "close":
      return planClose(rc, s, spec);
    case "margin":
      return planMargin(rc, s, spec);
    case "deposit":
    case "withdraw":
    case "withdrawFlatNoRevert":
    case "donateInsurance":
    case "rawDonation":
      return planAccount(rc, s, spec);
    case "lpDeposit":
    case "lpWithdraw":
      return planLp(rc, s, spec);
    case "price":
      return planPrice(rc, s, spec);
    case "stale":
    case "time":
      return planTime(rc, s, spec);
    case "liquidate":
    case "liquidateMany":
    case "deleverageVault":
      return planLiquidation(rc, s, spec);
    case "pause":
    case "unpause":
    case "poke":
      return planGovernance(rc, s, spec);
    case "thinSideAfterGap":
      return planThinSideAfterGap(rc, s, spec);
  }
}

// ───────────────────────────── fast-check commands ─────────────────────────────

/** One fuzz command: a spec, resolved when it runs (always applicable, so shrinking keeps it valid). */
export class FuzzCommand implements fc.AsyncCommand<ModelBox, RunContext, false> {
  constructor(readonly spec: CmdSpec) {}

  check(): boolean {
    return true;
  }

  async run(box: ModelBox, rc: RunContext): Promise<void> {
    await executePlan(rc, box, planFor(rc, box.s, this.spec));
  }

  toString(): string {
    return JSON.stringify(this.spec);
  }
}

const nat = (max: number) => fc.nat({ max });

/** The command arbitraries with their weights (see the README of test/fuzz for the mix). */
export function commandArbitrary(): fc.Arbitrary<FuzzCommand> {
  const trade = fc.record({
    type: fc.constant("trade" as const),
    trader: nat(19),
    market: nat(1),
    intent: fc.constantFrom(
      "open",
      "open",
      "open",
      "increase",
      "increase",
      "reduce",
      "reduce",
      "flip",
      "closeViaModify",
    ) as fc.Arbitrary<"open" | "increase" | "reduce" | "flip" | "closeViaModify">,
    long: fc.boolean(),
    notional: fc.constantFrom<Notional>(
      "1wei",
      "50",
      "100",
      "1k",
      "1k",
      "10k",
      "10k",
      "10k",
      "60k",
      "60k",
      "60k",
      "250k",
      "1M",
      "oiCap",
      "oiCap+1",
    ),
    margin: fc.constantFrom<MarginSpec>(
      "none",
      "lev1",
      "lev2",
      "lev2",
      "lev5",
      "lev5",
      "lev5",
      "lev10",
      "lev10",
      "lev10",
      "lev19",
      "lev19",
      "exactIM",
      "exactIM",
      "exactIM",
      "exactIM-1",
      "minMargin",
      "1wei",
      "allFree",
      "remove5",
    ),
    fraction: fc.constantFrom<Fraction>("1wei", "1%", "25%", "50%", "90%", "all-1wei"),
    slippage: fc.constantFrom<Slippage>("any", "any", "any", "any", "any", "exact", "exact", "violate"),
  });
  const close = fc.record({
    type: fc.constant("close" as const),
    trader: nat(19),
    market: nat(1),
    healthyNoRevert: fc.boolean(),
    onOpen: fc.constantFrom(true, true, true, true, false),
    pick: nat(1000),
  });
  const margin = fc.record({
    type: fc.constant("margin" as const),
    trader: nat(19),
    market: nat(1),
    onOpen: fc.constantFrom(true, true, true, true, false),
    op: fc.constantFrom("add", "remove") as fc.Arbitrary<"add" | "remove">,
    amount: fc.constantFrom("1wei", "10", "1k", "max", "max+1", "all") as fc.Arbitrary<
      "1wei" | "10" | "1k" | "max" | "max+1" | "all"
    >,
  });
  const depositArb = fc.record({
    type: fc.constant("deposit" as const),
    trader: nat(19),
    amount: fc.constantFrom("0", "1wei", "10", "1k", "50k", "500k", "wallet", "wallet+1") as fc.Arbitrary<
      "0" | "1wei" | "10" | "1k" | "50k" | "500k" | "wallet" | "wallet+1"
    >,
  });
  const withdrawArb = fc.record({
    type: fc.constant("withdraw" as const),
    actor: nat(21),
    amount: fc.constantFrom("0", "1wei", "100", "half", "all", "all+1") as fc.Arbitrary<
      "0" | "1wei" | "100" | "half" | "all" | "all+1"
    >,
  });
  const withdrawFlat = fc.record({ type: fc.constant("withdrawFlatNoRevert" as const), pick: nat(1000) });
  const lpDepositArb = fc.record({
    type: fc.constant("lpDeposit" as const),
    lp: nat(1),
    amount: fc.constantFrom("0", "1wei", "1k", "100k", "1M") as fc.Arbitrary<"0" | "1wei" | "1k" | "100k" | "1M">,
  });
  const lpWithdrawArb = fc.record({
    type: fc.constant("lpWithdraw" as const),
    lp: nat(1),
    mode: fc.constantFrom("1wei", "halfMax", "max", "max+1", "redeemAll", "redeemMax") as fc.Arbitrary<
      "1wei" | "halfMax" | "max" | "max+1" | "redeemAll" | "redeemMax"
    >,
  });
  const price = (kinds: PriceKind[]) =>
    fc.record({
      type: fc.constant("price" as const),
      market: nat(1),
      kind: fc.constantFrom(...kinds),
      bps: nat(10_000),
      up: fc.boolean(),
      pick: nat(1000),
    });
  const stale = fc.record({
    type: fc.constant("stale" as const),
    market: nat(1),
    offset: fc.constantFrom(0, 1, 1, 120),
  });
  const time = fc.record({
    type: fc.constant("time" as const),
    seconds: fc.oneof(
      fc.integer({ min: 1, max: 59 }),
      fc.constantFrom(299, 300, 301, 600, 1800, 3599, 3600, 3601, 7_200, 28_800, 86_400, 259_200),
    ),
    refresh: fc.constant(true),
  });
  const timeNoRefresh = fc.record({
    type: fc.constant("time" as const),
    seconds: fc.integer({ min: 1, max: 3_000 }),
    refresh: fc.constant(false),
  });
  const liq = fc.record({
    type: fc.constant("liquidate" as const),
    keeper: nat(1),
    mode: fc.constantFrom(
      "liquidatableNoRevert",
      "liquidatableNoRevert",
      "liquidatableNoRevert",
      "any",
      "healthy",
    ) as fc.Arbitrary<"liquidatableNoRevert" | "any" | "healthy">,
    pick: nat(1000),
  });
  const liqMany = fc.record({
    type: fc.constant("liquidateMany" as const),
    keeper: nat(1),
    entries: fc.array(
      fc.record({
        kind: fc.constantFrom(
          "liquidatable",
          "liquidatable",
          "liquidatable",
          "any",
          "flat",
          "unlisted",
          "dup",
        ) as fc.Arbitrary<"liquidatable" | "any" | "flat" | "unlisted" | "dup">,
        pick: nat(1000),
      }),
      { minLength: 1, maxLength: 8 },
    ),
  });
  const delev = fc.record({
    type: fc.constant("deleverageVault" as const),
    keeper: nat(1),
    market: nat(1),
    maxSteps: fc.constantFrom(0, 1, 3, 16, 64),
  });
  const donate = fc.record({
    type: fc.constant("donateInsurance" as const),
    donor: nat(22),
    amount: fc.constantFrom("1wei", "100", "10k", "100k") as fc.Arbitrary<"1wei" | "100" | "10k" | "100k">,
  });
  const raw = fc.record({
    type: fc.constant("rawDonation" as const),
    amount: fc.constantFrom("1wei", "1", "1k") as fc.Arbitrary<"1wei" | "1" | "1k">,
  });
  const pauseArb = fc.record({ type: fc.constant("pause" as const), which: nat(2) });
  const unpauseArb = fc.record({ type: fc.constant("unpause" as const), which: nat(2) });
  const poke = fc.record({ type: fc.constant("poke" as const), market: nat(1), by: nat(24) });
  const thinSide = fc.record({
    type: fc.constant("thinSideAfterGap" as const),
    market: nat(1),
    bankruptLong: fc.boolean(),
    gapBps: nat(1_500),
    pick: nat(1000),
  });

  // Weights in 1/200: trading dominates, prices move often (gaps about 1 step in 40), keepers are busy, the
  // switches are paused about a fifth of the time.
  const weighted: { arbitrary: fc.Arbitrary<CmdSpec>; weight: number }[] = [
    { arbitrary: trade, weight: 70 },
    { arbitrary: close, weight: 12 },
    { arbitrary: margin, weight: 10 },
    { arbitrary: depositArb, weight: 8 },
    { arbitrary: withdrawArb, weight: 5 },
    { arbitrary: withdrawFlat, weight: 3 },
    { arbitrary: lpDepositArb, weight: 3 },
    { arbitrary: lpWithdrawArb, weight: 3 },
    { arbitrary: price(["small"]), weight: 18 },
    { arbitrary: price(["medium"]), weight: 6 },
    { arbitrary: price(["gap"]), weight: 4 },
    { arbitrary: price(["breaker25", "breaker25+1"]), weight: 2 },
    { arbitrary: price(["toLiquidation"]), weight: 6 },
    { arbitrary: price(["toBankruptcy"]), weight: 4 },
    { arbitrary: price(["zero", "negative", "atBound"]), weight: 2 },
    { arbitrary: price(["restore", "refresh"]), weight: 4 },
    { arbitrary: stale, weight: 1 },
    { arbitrary: time, weight: 10 },
    { arbitrary: timeNoRefresh, weight: 2 },
    { arbitrary: liq, weight: 20 },
    { arbitrary: liqMany, weight: 6 },
    { arbitrary: delev, weight: 2 },
    { arbitrary: donate, weight: 3 },
    { arbitrary: raw, weight: 1 },
    { arbitrary: pauseArb, weight: 1 },
    { arbitrary: unpauseArb, weight: 6 },
    { arbitrary: poke, weight: 2 },
    { arbitrary: thinSide, weight: 1 },
  ];
  return fc.oneof(...weighted).map((spec) => new FuzzCommand(spec));
}

export function commandsFromSpecs(specs: CmdSpec[]): FuzzCommand[] {
  return specs.map((s) => new FuzzCommand(s));
}
