// The fuzz suite's reference model: a plain-data mirror of everything the engine, the vault, the oracle
// adapters and the feeds hold, advanced by the actions in ./engine.ts, ./adl.ts, ./vault.ts and ./oracle.ts
// (built on the SDK math, sdk/math and sdk/adl). Plain data so that `structuredClone` gives a draft that an
// action mutates and that is adopted only when the real transaction succeeded.
import type { MarketState, Position } from "../../../sdk/math";
import { MAX_HISTORY_ROUNDS, type FeedRound } from "../../../sdk/math/oracleAdapter";
import { adlKey } from "../../../sdk/adl/adlMath";
import type { FuzzSystem, LensSnapshot, MarketInfo } from "../chain";

export const ZERO_POSITION: Position = Object.freeze({
  size: 0n,
  entryPriceWad: 0n,
  marginUsd: 0n,
  fundingIndexSnapshotWad: 0n,
  lossIndexSnapshotWad: 0n,
}) as Position;

export interface FeedState {
  /** MockV3Aggregator.latestAnswer (feed units, may be ≤ 0 while the fuzz makes it invalid). */
  answer: bigint;
  /** Timestamp of the round (the block of `updateAnswer`). */
  updatedAt: bigint;
  /** The latest round's id (`updateAnswer` increments it). */
  roundId: bigint;
  /**
   * The feed's recent rounds, oldest first, the latest last: what the adapter's history-based breaker reads
   * (at most MAX_HISTORY_ROUNDS + 1 are kept).
   */
  rounds: FeedRound[];
}

/** One queued position: its static ADL key and its insertion order (FIFO inside a tick). */
export interface QueueEntry {
  key: bigint;
  seq: number;
}

/**
 * Poke-independence witness of the funding index (DESIGN §12.9): the index accrued in ONE step from `base*`
 * while the skew and the price stay what they were at the base; every real accrual in between may lose at
 * most 1 wei to truncation. Re-based whenever the skew or the feed price changes (then poke timing matters by
 * design, README "Known issues").
 */
export interface FundingShadow {
  baseIndexWad: bigint;
  baseTime: bigint;
  netSize: bigint;
  priceWad: bigint;
  accrualsSinceBase: number;
  /** The feed moved since the base: the next accrual re-bases. */
  dirty: boolean;
}

export interface MarketModel {
  state: MarketState;
  feed: FeedState;
  positions: Map<string, Position>;
  longQueue: Map<string, QueueEntry>;
  shortQueue: Map<string, QueueEntry>;
  shadow: FundingShadow;
  /** The last answer that passed the adapter's checks when written (what "restore" puts back). */
  lastValidAnswer: bigint;
}

/** Every value that entered or left one account, from the model's view of each action (USD, 1e18). */
export interface Ledger {
  depositedUsd: bigint;
  withdrawnUsd: bigint;
  realizedPnlUsd: bigint;
  feesUsd: bigint;
  fundingPaidUsd: bigint;
  lossPaidUsd: bigint;
  penaltyUsd: bigint;
  /** Flat keeper reward paid from this account's margin when it was liquidated. */
  keeperPaidUsd: bigint;
  /** Rewards received as a keeper. */
  keeperRewardUsd: bigint;
  /** Deficits left behind by this account's bankrupt liquidations (negative-balance protection). */
  deficitWrittenOffUsd: bigint;
}

/**
 * What an account should hold or have taken out, from its ledger: deposits + realised PnL − fees − funding −
 * socialized loss − penalties − keeper reward paid + keeper rewards received + deficits written off.
 * Withdrawals excluded (callers subtract them or count them as taken out).
 */
export function ledgerEntitlementUsd(l: Ledger): bigint {
  return (
    l.depositedUsd +
    l.realizedPnlUsd -
    l.feesUsd -
    l.fundingPaidUsd -
    l.lossPaidUsd -
    l.penaltyUsd -
    l.keeperPaidUsd +
    l.keeperRewardUsd +
    l.deficitWrittenOffUsd
  );
}

export interface ModelState {
  /** Timestamp of the latest block. */
  now: bigint;
  markets: MarketModel[];
  free: Map<string, bigint>;
  /** Collateral token balances of the actors (native units). */
  wallet: Map<string, bigint>;
  shares: Map<string, bigint>;
  shareSupply: bigint;
  vaultCashUsd: bigint;
  insuranceUsd: bigint;
  /** Collateral held by the engine (native units). */
  engineTokens: bigint;
  /** Tokens sent to the engine outside deposit/vaultDeposit/donateToInsurance (native units). */
  donatedTokens: bigint;
  pauses: { trading: boolean; liquidations: boolean; withdrawals: boolean; resumeAt: bigint };
  /** ADL insertion counter (FIFO order inside a tick). */
  seq: number;
  /**
   * Every LP share was redeemed while the vault still held value: that value now belongs to the virtual share
   * (OpenZeppelin's inflation guard) until the next deposit, so the end-of-run residual bound does not apply.
   */
  vaultEmptiedWithValue: boolean;
  ledger: Map<string, Ledger>;
  /** Token flows across the engine boundary over the whole run (native units). */
  flows: {
    traderDeposits: bigint;
    traderWithdrawals: bigint;
    lpDeposits: bigint;
    lpWithdrawals: bigint;
    insuranceDonations: bigint;
    rawDonations: bigint;
  };
}

/** What does not change during a run. */
export interface ModelConfig {
  scale: bigint;
  markets: MarketInfo[];
  traders: string[];
  keepers: string[];
  lps: string[];
  admin: string;
  all: string[];
  adl: FuzzSystem["adl"];
  graceSeconds: bigint;
  engine: string;
  vault: string;
}

export function emptyLedger(): Ledger {
  return {
    depositedUsd: 0n,
    withdrawnUsd: 0n,
    realizedPnlUsd: 0n,
    feesUsd: 0n,
    fundingPaidUsd: 0n,
    lossPaidUsd: 0n,
    penaltyUsd: 0n,
    keeperPaidUsd: 0n,
    keeperRewardUsd: 0n,
    deficitWrittenOffUsd: 0n,
  };
}

export function modelConfigOf(f: FuzzSystem): ModelConfig {
  return {
    scale: f.scale,
    markets: f.markets,
    traders: f.actors.traders,
    keepers: f.actors.keepers,
    lps: f.actors.lps,
    admin: f.actors.admin,
    all: f.actors.all,
    adl: f.adl,
    graceSeconds: f.graceSeconds,
    engine: f.engine,
    vault: f.vault,
  };
}

/**
 * The model of the base state, built from the lens once (the only time the model reads the chain instead of
 * predicting it) plus the feed rounds, which the lens does not return.
 */
export function initialModel(cfg: ModelConfig, snap: LensSnapshot, feeds: FeedRound[][]): ModelState {
  const free = new Map<string, bigint>();
  const wallet = new Map<string, bigint>();
  const shares = new Map<string, bigint>();
  const ledger = new Map<string, Ledger>();
  cfg.all.forEach((a, i) => {
    free.set(a, snap.accounts[i].free);
    wallet.set(a, snap.accounts[i].wallet);
    shares.set(a, snap.accounts[i].shares);
    const l = emptyLedger();
    // The base state's holdings count as deposited: the ledger starts at the base snapshot.
    l.depositedUsd = snap.accounts[i].free;
    const j = cfg.traders.indexOf(a);
    if (j >= 0) for (const m of snap.markets) l.depositedUsd += m.positions[j].position.marginUsd;
    ledger.set(a, l);
  });
  let seq = 0;
  const markets: MarketModel[] = snap.markets.map((m, mi) => {
    const positions = new Map<string, Position>();
    const longQueue = new Map<string, QueueEntry>();
    const shortQueue = new Map<string, QueueEntry>();
    cfg.traders.forEach((trader, j) => {
      const lp = m.positions[j];
      if (lp.position.size === 0n) return;
      positions.set(trader, { ...lp.position });
      // Queue order from the engine's own ranks: within a tick the rank order is the FIFO order.
      if (lp.light !== 0) {
        (lp.position.size > 0n ? longQueue : shortQueue).set(trader, {
          key: adlKey(lp.position),
          seq: Number(lp.rank),
        });
        seq = Math.max(seq, Number(lp.rank) + 1);
      }
    });
    const rounds = feeds[mi];
    const latest = rounds[rounds.length - 1];
    return {
      state: { ...m.state },
      feed: { answer: latest.answer, updatedAt: latest.updatedAt, roundId: latest.roundId, rounds: [...rounds] },
      positions,
      longQueue,
      shortQueue,
      shadow: {
        baseIndexWad: m.state.fundingIndexWad,
        baseTime: m.state.lastFundingTimestamp,
        netSize: m.state.netSize,
        priceWad: latest.answer * cfg.markets[mi].toWad,
        accrualsSinceBase: 0,
        dirty: true,
      },
      lastValidAnswer: latest.answer,
    };
  });
  return {
    now: snap.timestamp,
    markets,
    free,
    wallet,
    shares,
    shareSupply: snap.shareSupply,
    vaultCashUsd: snap.vaultCashUsd,
    insuranceUsd: snap.insuranceUsd,
    engineTokens: snap.engineTokens,
    donatedTokens: 0n,
    pauses: { ...snap.pauses },
    seq,
    vaultEmptiedWithValue: false,
    ledger,
    flows: {
      traderDeposits: 0n,
      traderWithdrawals: 0n,
      lpDeposits: 0n,
      lpWithdrawals: 0n,
      insuranceDonations: 0n,
      rawDonations: 0n,
    },
  };
}

/** `MockV3Aggregator.updateAnswer(answer)` mined at `t`: a new latest round; old rounds beyond the breaker's
 * read-back depth are dropped. */
export function pushFeedRound(m: MarketModel, answer: bigint, t: bigint): void {
  const roundId = m.feed.roundId + 1n;
  const rounds = [...m.feed.rounds, { roundId, answer, updatedAt: t }];
  const keep = Number(MAX_HISTORY_ROUNDS) + 1;
  m.feed = { answer, updatedAt: t, roundId, rounds: rounds.length > keep ? rounds.slice(-keep) : rounds };
}

export function positionOf(m: MarketModel, account: string): Position {
  return m.positions.get(account) ?? ZERO_POSITION;
}

export function setPosition(m: MarketModel, account: string, p: Position): void {
  if (p.size === 0n) m.positions.delete(account);
  else m.positions.set(account, { ...p });
}

export function freeOf(s: ModelState, account: string): bigint {
  return s.free.get(account) ?? 0n;
}

export function addFree(s: ModelState, account: string, delta: bigint): void {
  const next = freeOf(s, account) + delta;
  if (next < 0n) throw new Error(`model: free balance of ${account} would go negative`);
  s.free.set(account, next);
}

export function walletOf(s: ModelState, account: string): bigint {
  return s.wallet.get(account) ?? 0n;
}

export function addWallet(s: ModelState, account: string, delta: bigint): void {
  s.wallet.set(account, walletOf(s, account) + delta);
}

export function ledgerOf(s: ModelState, account: string): Ledger {
  let l = s.ledger.get(account);
  if (!l) {
    l = emptyLedger();
    s.ledger.set(account, l);
  }
  return l;
}

/** A deep copy an action can mutate; adopted only when the real transaction succeeded. */
export function cloneState(s: ModelState): ModelState {
  return structuredClone(s);
}
