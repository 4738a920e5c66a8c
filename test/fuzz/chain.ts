// The fuzz suite's connection to the real contracts on the in-process Hardhat network: one deployment per
// test file, the actors, raw JSON-RPC transactions pinned to the model's clock (so a seed replays to the
// same timestamps), custom-error decoding, event decoding and the one-call lens read (FuzzLens).
import { ethers, network } from "hardhat";
import { Interface, type ErrorFragment, type EventFragment, type Fragment, type LogDescription } from "ethers";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";

import { deployLocalSystem } from "../helpers/fixtures";
import {
  ChainlinkOracleAdapter__factory,
  FuzzLens__factory,
  LiquidityVault__factory,
  MockERC20__factory,
  MockV3Aggregator__factory,
  PerpEngine__factory,
  type FuzzLens,
} from "../../typechain-types";
import type { AdlConfig, MarginTier, MarketParams, MarketState, Position } from "../../sdk/math";
import type { FeedRound } from "../../sdk/math/oracleAdapter";

export type System = Awaited<ReturnType<typeof deployLocalSystem>>;

/** Token units minted/deposited in the base state (collateral has 6 decimals). */
const TOKEN = 10n ** 6n;
/** Gas limit of every fuzz transaction: skips `eth_estimateGas`, far above any action's cost. */
const GAS_LIMIT = "0xb71b00"; // 12,000,000
/** Gas of the lens eth_calls (the per-transaction cap is 2^24). */
const LENS_GAS = "0xf42400"; // 16,000,000

/** Static facts about one listed market, read once after deployment. */
export interface MarketInfo {
  index: number;
  symbol: string;
  id: string;
  feed: string;
  adapter: string;
  params: MarketParams;
  tiers: MarginTier[];
  feedDecimals: number;
  /** Multiplier from feed units to 1e18. */
  toWad: bigint;
  minAnswer: bigint;
  maxAnswer: bigint;
  heartbeatSeconds: bigint;
  maxDeviationBps: bigint;
  volatilityCooldownSeconds: bigint;
}

/** Everyone who acts in the fuzz runs (addresses lower-cased: the model's map keys). */
export interface Actors {
  admin: string;
  traders: string[];
  keepers: string[];
  lps: string[];
  /** Every address whose free balance, token balance and vault shares the lens reads. */
  all: string[];
}

export interface FuzzSystem {
  system: System;
  engine: string;
  vault: string;
  collateral: string;
  lens: FuzzLens;
  lensAddress: string;
  markets: MarketInfo[];
  actors: Actors;
  /** 10^(18 − decimals): USD-wei per token unit. */
  scale: bigint;
  adl: AdlConfig;
  graceSeconds: bigint;
  /** The base state every run starts from (evm_snapshot id, re-taken after each revert). */
  baseSnapshot: string;
  baseTimestamp: bigint;
}

export interface TxOk {
  ok: true;
  logs: RawLog[];
  gasUsed: bigint;
}
export interface TxReverted {
  ok: false;
  error: string;
  data: string;
}
export type TxResult = TxOk | TxReverted;

export interface RawLog {
  address: string;
  topics: string[];
  data: string;
}

// ───────────────────────────── interfaces and decoding ─────────────────────────────

function combinedInterface(kind: "error" | "event"): Interface {
  const abis = [
    PerpEngine__factory.abi,
    ChainlinkOracleAdapter__factory.abi,
    LiquidityVault__factory.abi,
    MockERC20__factory.abi,
    MockV3Aggregator__factory.abi,
    FuzzLens__factory.abi,
  ];
  const seen = new Set<string>();
  const fragments: Fragment[] = [];
  for (const abi of abis) {
    for (const fragment of new Interface(abi as never).fragments) {
      if (fragment.type !== kind) continue;
      const key = (fragment as ErrorFragment | EventFragment).format("sighash");
      if (seen.has(key)) continue;
      seen.add(key);
      fragments.push(fragment);
    }
  }
  return new Interface(fragments);
}

export const ERRORS = combinedInterface("error");
export const EVENTS = combinedInterface("event");
export const ENGINE = new Interface(PerpEngine__factory.abi as never);
export const VAULT = new Interface(LiquidityVault__factory.abi as never);
export const TOKEN_IFACE = new Interface(MockERC20__factory.abi as never);
export const FEED = new Interface(MockV3Aggregator__factory.abi as never);
export const LENS = new Interface(FuzzLens__factory.abi as never);

/** The custom error name of revert data ("EmptyRevert", "Panic(0x11)", "Error(...)" for the generic ones). */
export function decodeError(data: string): string {
  if (!data || data === "0x") return "EmptyRevert";
  if (data.startsWith("0x4e487b71")) return `Panic(0x${BigInt("0x" + data.slice(10)).toString(16)})`;
  if (data.startsWith("0x08c379a0")) return "Error(string)";
  try {
    const parsed = ERRORS.parseError(data);
    return parsed ? parsed.name : `Unknown(${data.slice(0, 10)})`;
  } catch {
    return `Unknown(${data.slice(0, 10)})`;
  }
}

export function parseLog(log: RawLog): LogDescription | null {
  try {
    return EVENTS.parseLog({ topics: log.topics, data: log.data });
  } catch {
    return null;
  }
}

// ───────────────────────────── raw JSON-RPC ─────────────────────────────

const provider = network.provider;

async function rpc<T>(method: string, params: unknown[] = []): Promise<T> {
  return (await provider.request({ method, params })) as T;
}

/**
 * Sends a transaction mined in a block with timestamp `t` (the model's clock). Reverted transactions are
 * mined too (Hardhat's automine); their revert data is decoded into the custom error's name.
 */
export async function sendTx(from: string, to: string, data: string, t: bigint): Promise<TxResult> {
  await rpc("evm_setNextBlockTimestamp", [Number(t)]);
  let hash: string;
  try {
    hash = await rpc<string>("eth_sendTransaction", [{ from, to, data, gas: GAS_LIMIT }]);
  } catch (e) {
    const err = e as { data?: unknown; message?: string };
    if (typeof err.data === "string") return { ok: false, error: decodeError(err.data), data: err.data };
    throw e;
  }
  const receipt = await rpc<{ status: string; logs: RawLog[]; gasUsed: string }>("eth_getTransactionReceipt", [hash]);
  if (receipt.status !== "0x1") return { ok: false, error: "EmptyRevert", data: "0x" };
  return { ok: true, logs: receipt.logs, gasUsed: BigInt(receipt.gasUsed) };
}

/** Mines an empty block at timestamp `t` (time advance: views then see the new time). */
export async function mineAt(t: bigint): Promise<void> {
  await rpc("evm_mine", [Number(t)]);
}

/** eth_call at the latest block; returns the result or the decoded revert. */
export async function callAt(
  from: string,
  to: string,
  data: string,
): Promise<{ ok: true; result: string } | { ok: false; error: string }> {
  try {
    const result = await rpc<string>("eth_call", [{ from, to, data, gas: GAS_LIMIT }, "latest"]);
    return { ok: true, result };
  } catch (e) {
    const err = e as { data?: unknown };
    if (typeof err.data === "string") return { ok: false, error: decodeError(err.data) };
    throw e;
  }
}

export async function takeSnapshot(): Promise<string> {
  return rpc<string>("evm_snapshot");
}

export async function revertTo(id: string): Promise<void> {
  const ok = await rpc<boolean>("evm_revert", [id]);
  if (!ok) throw new Error(`evm_revert(${id}) failed`);
}

export async function latestTimestamp(): Promise<bigint> {
  const block = await rpc<{ timestamp: string }>("eth_getBlockByNumber", ["latest", false]);
  return BigInt(block.timestamp);
}

// ───────────────────────────── lens ─────────────────────────────

export interface LensPosition {
  position: Position;
  equityUsd: bigint;
  maintenanceUsd: bigint;
  liquidatable: boolean;
  light: number;
  rank: bigint;
  queueLength: bigint;
}

export interface LensMarket {
  priceOk: boolean;
  priceWad: bigint;
  isVolatile: boolean;
  fundingIndexNowWad: bigint;
  state: MarketState;
  headLong: string;
  headShort: string;
  positions: LensPosition[];
}

export interface LensSnapshot {
  engineTokens: bigint;
  vaultCashUsd: bigint;
  insuranceUsd: bigint;
  pauses: { trading: boolean; liquidations: boolean; withdrawals: boolean; resumeAt: bigint };
  timestamp: bigint;
  shareSupply: bigint;
  vaultEquityForDeposit?: bigint;
  vaultEquityForWithdraw?: bigint;
  maxVaultWithdrawalUsd?: bigint;
  accounts: { free: bigint; wallet: bigint; shares: bigint }[];
  markets: LensMarket[];
}

const TWO_256 = 1n << 256n;
const TWO_255 = 1n << 255n;
const signed = (w: bigint) => (w >= TWO_255 ? w - TWO_256 : w);
const addressOf = (w: bigint) => "0x" + w.toString(16).padStart(40, "0");

/** Reads and decodes the whole snapshot (one eth_call, decoded by hand: it is a flat uint256[]). */
export async function readLens(f: FuzzSystem, withVaultViews = true): Promise<LensSnapshot> {
  const data = LENS.encodeFunctionData("snapshot", [
    {
      engine: f.engine,
      vaultShares: f.vault,
      adapters: f.markets.map((m) => m.adapter),
      marketIds: f.markets.map((m) => m.id),
      traders: f.actors.traders,
      accounts: f.actors.all,
      withVaultViews,
    },
  ]);
  const hex = await rpc<string>("eth_call", [{ to: f.lensAddress, data, gas: LENS_GAS }, "latest"]);
  const count = Number(BigInt("0x" + hex.slice(66, 130)));
  let at = 0;
  const body = hex.slice(130);
  const next = () => {
    if (at >= count) throw new Error("lens: read past the end");
    const w = BigInt("0x" + body.slice(at * 64, at * 64 + 64));
    at++;
    return w;
  };
  const snap: LensSnapshot = {
    engineTokens: next(),
    vaultCashUsd: signed(next()),
    insuranceUsd: next(),
    pauses: { trading: next() === 1n, liquidations: next() === 1n, withdrawals: next() === 1n, resumeAt: next() },
    timestamp: next(),
    shareSupply: next(),
    accounts: [],
    markets: [],
  };
  const ok1 = next() === 1n;
  const eqDep = signed(next());
  const ok2 = next() === 1n;
  const eqWd = signed(next());
  const ok3 = next() === 1n;
  const maxWd = next();
  if (ok1) snap.vaultEquityForDeposit = eqDep;
  if (ok2) snap.vaultEquityForWithdraw = eqWd;
  if (ok3) snap.maxVaultWithdrawalUsd = maxWd;
  for (let i = 0; i < f.actors.all.length; i++) snap.accounts.push({ free: next(), wallet: next(), shares: next() });
  for (let mi = 0; mi < f.markets.length; mi++) {
    const priceOk = next() === 1n;
    const priceWad = next();
    const isVolatile = next() === 1n;
    const market: LensMarket = {
      priceOk,
      priceWad,
      isVolatile,
      fundingIndexNowWad: signed(next()),
      state: {
        netSize: signed(next()),
        longOpenInterest: next(),
        shortOpenInterest: next(),
        sumSizeTimesEntry: signed(next()),
        sumSizeTimesFundingSnapshot: signed(next()),
        fundingIndexWad: signed(next()),
        lastFundingTimestamp: next(),
        longLossIndexWad: next(),
        shortLossIndexWad: next(),
        sumLongSizeTimesLossSnapshot: next(),
        sumShortSizeTimesLossSnapshot: next(),
      },
      headLong: addressOf(next()),
      headShort: addressOf(next()),
      positions: [],
    };
    for (let j = 0; j < f.actors.traders.length; j++) {
      market.positions.push({
        position: {
          size: signed(next()),
          entryPriceWad: next(),
          marginUsd: next(),
          fundingIndexSnapshotWad: signed(next()),
          lossIndexSnapshotWad: next(),
        },
        equityUsd: signed(next()),
        maintenanceUsd: next(),
        liquidatable: next() === 1n,
        light: Number(next()),
        rank: next(),
        queueLength: next(),
      });
    }
    snap.markets.push(market);
  }
  if (at !== count) throw new Error(`lens: decoded ${at} of ${count} words`);
  return snap;
}

/** Tries `liquidate` on each entry from the lens (as keeper), each from the current state; returns errors. */
export async function probeLiquidations(
  f: FuzzSystem,
  entries: { account: string; marketId: string }[],
): Promise<(string | null)[]> {
  if (entries.length === 0) return [];
  const data = LENS.encodeFunctionData("probeLiquidations", [
    f.engine,
    entries.map((e) => e.account),
    entries.map((e) => e.marketId),
  ]);
  const hex = await rpc<string>("eth_call", [{ to: f.lensAddress, data, gas: LENS_GAS }, "latest"]);
  const [reasons] = LENS.decodeFunctionResult("probeLiquidations", hex) as unknown as [string[]];
  return reasons.map((r) => {
    const name = decodeError(r);
    return name === "ProbeSucceeded" ? null : name;
  });
}

// ───────────────────────────── deployment ─────────────────────────────

/** Collateral each trader holds in its wallet in the base state, and what it has deposited (USD). */
export const TRADER_WALLET_USD = 2_000_000n;
export function initialTraderDepositUsd(i: number): bigint {
  return [20_000n, 60_000n, 150_000n, 400_000n, 1_000_000n][i % 5];
}
/** Positions opened in the base state by trader i (USD notional at the initial price, leverage). */
const BASE_POSITIONS: { market: number; long: boolean; notionalUsd: bigint; leverage: bigint }[] = [
  { market: 0, long: true, notionalUsd: 40_000n, leverage: 10n },
  { market: 0, long: false, notionalUsd: 100_000n, leverage: 15n },
  { market: 0, long: true, notionalUsd: 300_000n, leverage: 5n },
  { market: 0, long: false, notionalUsd: 250_000n, leverage: 3n },
  { market: 1, long: true, notionalUsd: 900_000n, leverage: 4n },
  { market: 1, long: false, notionalUsd: 20_000n, leverage: 18n },
  { market: 1, long: true, notionalUsd: 90_000n, leverage: 12n },
  { market: 1, long: false, notionalUsd: 500_000n, leverage: 6n },
  { market: 0, long: true, notionalUsd: 5_000n, leverage: 18n },
  { market: 0, long: false, notionalUsd: 8_000n, leverage: 2n },
  { market: 1, long: true, notionalUsd: 60_000n, leverage: 16n },
  { market: 1, long: false, notionalUsd: 400_000n, leverage: 8n },
  { market: 0, long: true, notionalUsd: 150_000n, leverage: 17n },
  { market: 0, long: false, notionalUsd: 120_000n, leverage: 9n },
];

/** The second LP's deposit in the base state (the first LP holds the fixture's 1M seed). */
export const SECOND_LP_DEPOSIT_USD = 1_000_000n;
export const LP_WALLET_USD = 5_000_000n;
export const ADMIN_WALLET_USD = 5_000_000n;

/**
 * Deploys the local system once (deployer = admin, ADL on), funds 20 traders (wallets and initial deposits),
 * 2 LPs (the second adds 1M to the vault: more exposure room), 2 keepers, and deploys the lens. Returns the
 * static facts and takes the base snapshot every run reverts to.
 */
export async function deployFuzzSystem(): Promise<FuzzSystem> {
  const system = await deployLocalSystem();
  const signers: HardhatEthersSigner[] = await ethers.getSigners();
  // Accounts 10–12 own the guardian Safe; 3–9 are the fixture's funded traders. The fuzz actors are disjoint.
  const admin = signers[0];
  const lps = [signers[1], signers[13]];
  const keepers = [signers[2], signers[14]];
  const traders = signers.slice(15, 35);
  const engine = await system.engine.getAddress();
  const vault = await system.vault.getAddress();
  const collateral = await system.collateral.getAddress();
  const token = (usd: bigint) => usd * TOKEN;

  for (const [i, t] of traders.entries()) {
    await system.collateral.mint(t.address, token(TRADER_WALLET_USD));
    await system.collateral.connect(t).approve(engine, ethers.MaxUint256);
    await system.engine.connect(t).deposit(token(initialTraderDepositUsd(i)));
  }
  for (const lp of lps) {
    await system.collateral.mint(lp.address, token(LP_WALLET_USD));
    await system.collateral.connect(lp).approve(vault, ethers.MaxUint256);
    await system.collateral.connect(lp).approve(engine, ethers.MaxUint256);
  }
  await system.vault.connect(lps[1]).deposit(token(SECOND_LP_DEPOSIT_USD), lps[1].address);
  // Open book in the base state, so that every run starts from a market with positions on both sides of both
  // markets, at leverages from 2x to about 18x (deterministic, balanced enough for the vault's exposure cap).
  for (const [i, t] of traders.entries()) {
    const plan = BASE_POSITIONS[i];
    if (!plan) continue;
    const m = system.markets[plan.market];
    const priceUsd = plan.market === 0 ? 2_000n : 60_000n;
    const sizeWad = (plan.notionalUsd * 10n ** 36n) / (priceUsd * 10n ** 18n);
    const marginWad = (plan.notionalUsd * 10n ** 18n) / plan.leverage;
    await system.engine
      .connect(t)
      .modifyPosition(m.marketId, plan.long ? sizeWad : -sizeWad, marginWad, plan.long ? ethers.MaxUint256 : 0n);
  }
  await system.collateral.mint(admin.address, token(ADMIN_WALLET_USD));
  await system.collateral.connect(admin).approve(engine, ethers.MaxUint256);

  const lens = await (await new FuzzLens__factory(admin).deploy()).waitForDeployment();
  const markets: MarketInfo[] = [];
  for (const [index, m] of system.markets.entries()) {
    const [, params] = await system.engine.getMarketConfig(m.marketId);
    const tiers = await system.engine.getMarginTiers(m.marketId);
    const adapter = m.adapter;
    const feedDecimals = Number(await adapter.feedDecimals());
    markets.push({
      index,
      symbol: m.symbol,
      id: m.marketId,
      feed: (await m.feed.getAddress()).toLowerCase(),
      adapter: (await adapter.getAddress()).toLowerCase(),
      params: {
        minPositionMarginUsd: params.minPositionMarginUsd,
        keeperRewardUsd: params.keeperRewardUsd,
        maxOpenInterestPerSide: params.maxOpenInterestPerSide,
        skewScale: params.skewScale,
        maxFundingRatePerDayWad: params.maxFundingRatePerDayWad,
        takerFeeBps: params.takerFeeBps,
        insuranceFeeShareBps: params.insuranceFeeShareBps,
        maxVaultExposureBps: params.maxVaultExposureBps,
        liquidationPenaltyBps: params.liquidationPenaltyBps,
        keeperPenaltyShareBps: params.keeperPenaltyShareBps,
        liquidationBufferBps: params.liquidationBufferBps,
        vaultReserveBps: params.vaultReserveBps,
        executionDelaySeconds: params.executionDelaySeconds,
        orderExpirySeconds: params.orderExpirySeconds,
        oracleDeviationThresholdBps: params.oracleDeviationThresholdBps,
        executionFeeUsd: params.executionFeeUsd,
      },
      tiers: tiers.map((t) => ({
        notionalFloorUsd: t.notionalFloorUsd,
        initialMarginBps: t.initialMarginBps,
        maintenanceMarginBps: t.maintenanceMarginBps,
      })),
      feedDecimals,
      toWad: 10n ** BigInt(18 - feedDecimals),
      minAnswer: await adapter.minAnswer(),
      maxAnswer: await adapter.maxAnswer(),
      heartbeatSeconds: await adapter.heartbeatSeconds(),
      maxDeviationBps: await adapter.maxDeviationBps(),
      volatilityCooldownSeconds: await adapter.volatilityCooldownSeconds(),
    });
  }
  const adlConfig = await system.engine.adlConfig();
  const governance = await system.engine.governanceConfig();
  const lower = (s: HardhatEthersSigner) => s.address.toLowerCase();
  const actors: Actors = {
    admin: lower(admin),
    traders: traders.map(lower),
    keepers: keepers.map(lower),
    lps: lps.map(lower),
    all: [...traders.map(lower), ...keepers.map(lower), ...lps.map(lower), lower(admin)],
  };
  const scale = await system.engine.collateralScale();
  // Mine one block so that the base state's timestamp is settled before the snapshot.
  const baseTimestamp = (await latestTimestamp()) + 1n;
  await mineAt(baseTimestamp);
  const baseSnapshot = await takeSnapshot();
  return {
    system,
    engine: engine.toLowerCase(),
    vault: vault.toLowerCase(),
    collateral: collateral.toLowerCase(),
    lens,
    lensAddress: (await lens.getAddress()).toLowerCase(),
    markets,
    actors,
    scale,
    adl: {
      minQueueNotionalUsd: adlConfig.minQueueNotionalUsd,
      maxSteps: adlConfig.maxSteps,
      maxSkips: adlConfig.maxSkips,
      vaultLossUpperBps: adlConfig.vaultLossUpperBps,
      vaultLossLowerBps: adlConfig.vaultLossLowerBps,
    },
    graceSeconds: governance.liquidationGracePeriodSeconds,
    baseSnapshot,
    baseTimestamp,
  };
}

/**
 * The feed's latest round and the rounds before it that the adapter's breaker may read (at most
 * MAX_HISTORY_ROUNDS + 1 back, stopping at round 1), oldest first. The model's only read of feed history.
 */
export async function readFeedRounds(feed: string, depth: number): Promise<FeedRound[]> {
  const latestHex = await rpc<string>("eth_call", [
    { to: feed, data: FEED.encodeFunctionData("latestRoundData") },
    "latest",
  ]);
  const latest = FEED.decodeFunctionResult("latestRoundData", latestHex);
  const rounds: FeedRound[] = [
    { roundId: latest[0] as bigint, answer: latest[1] as bigint, updatedAt: latest[3] as bigint },
  ];
  for (let roundId = (latest[0] as bigint) - 1n; roundId >= 1n && rounds.length <= depth; roundId--) {
    const hex = await rpc<string>("eth_call", [
      { to: feed, data: FEED.encodeFunctionData("getRoundData", [roundId]) },
      "latest",
    ]);
    const r = FEED.decodeFunctionResult("getRoundData", hex);
    rounds.push({ roundId, answer: r[1] as bigint, updatedAt: r[3] as bigint });
  }
  return rounds.reverse();
}

/** Reverts to the base state and re-takes the snapshot (Hardhat snapshots are single-use). */
export async function resetToBase(f: FuzzSystem): Promise<void> {
  await revertTo(f.baseSnapshot);
  f.baseSnapshot = await takeSnapshot();
}
