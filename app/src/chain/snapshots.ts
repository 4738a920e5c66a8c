/**
 * Chain reads, each pinned to one block so a refresh never mixes two states, converted into the SDK's
 * bigint types. The hooks in `../hooks` wrap these in TanStack queries keyed by block number.
 */
import type { AddressBook, MarketEntry } from "../../../sdk/addressBookSchema";
import type { MarginTier, MarketParams, MarketState, Position } from "../../../sdk/math";
import type { Order } from "../../../sdk/orders/orderRules";
import type { DecodedFailure, ErrorDecoder } from "../errors/decodeError";
import type { ErrorFormatContext } from "../errors/errorMessages";
import {
  erc20At,
  liquidityVaultAt,
  oracleAdapterAt,
  perpEngineAt,
  priceFeedAt,
  type IERC20Metadata,
  type LiquidityVault,
  type PerpEngine,
} from "./contracts";
import type { ContractRunner, Result } from "ethers";

/** Overrides that pin a read to one block. */
export interface BlockPin {
  blockTag: number;
}

/** The contracts of one deployment over the read provider. */
export interface ReadContracts {
  engine: PerpEngine;
  vault: LiquidityVault;
  collateral: IERC20Metadata;
}

export function readContracts(book: AddressBook, runner: ContractRunner): ReadContracts {
  return {
    engine: perpEngineAt(book.engine, runner),
    vault: liquidityVaultAt(book.vault, runner),
    collateral: erc20At(book.collateral.address, runner),
  };
}

/**
 * A struct read through ethers (a `Result` with named fields; TypeChain types it as a tuple) → a plain
 * object of its named values, so a field added to a struct carries over without code changes here.
 */
function named<T>(struct: object): T {
  return (struct as Result).toObject() as T;
}

/** The oracle price as the engine would read it now, or why it is invalid. */
export type PriceReading = { ok: true; priceWad: bigint; isVolatile: boolean } | { ok: false; failure: DecodedFailure };

export interface MarketSnapshot {
  entry: MarketEntry;
  /** "ETH" for "ETH-USD". */
  baseAsset: string;
  params: MarketParams;
  tiers: MarginTier[];
  state: MarketState;
  price: PriceReading;
  reduceOnly: boolean;
  /** 0 while the market trades normally. */
  settlementPriceWad: bigint;
  /** When the feed's latest answer was written (seconds), or null when the feed cannot be read. */
  feedUpdatedAtSeconds: bigint | null;
  /** How long the deviation breaker keeps the market volatile after the feed update that jumped (seconds). */
  volatilityCooldownSeconds: bigint;
}

export function baseAssetOf(symbol: string): string {
  return symbol.split("-")[0];
}

export async function readMarket(
  entry: MarketEntry,
  engine: PerpEngine,
  runner: ContractRunner,
  pin: BlockPin,
  decoder: ErrorDecoder,
  errorContext: ErrorFormatContext,
): Promise<MarketSnapshot> {
  const adapter = oracleAdapterAt(entry.oracleAdapter, runner);
  const feed = priceFeedAt(entry.priceFeed, runner);
  const [config, tiers, state, status, price, round, volatilityCooldownSeconds] = await Promise.all([
    engine.getMarketConfig(entry.marketId, pin),
    engine.getMarginTiers(entry.marketId, pin),
    engine.getMarketState(entry.marketId, pin),
    engine.marketStatus(entry.marketId, pin),
    adapter.latestPrice(pin).then(
      ([priceWad, isVolatile]): PriceReading => ({ ok: true, priceWad, isVolatile }),
      (error: unknown): PriceReading => ({ ok: false, failure: decoder.describe(error, errorContext) }),
    ),
    feed.latestRoundData(pin).catch(() => null),
    adapter.volatilityCooldownSeconds(pin),
  ]);
  const settlementPriceWad = status.settlementPriceWad;
  return {
    entry,
    baseAsset: baseAssetOf(entry.symbol),
    params: named<MarketParams>(config.params),
    tiers: tiers.map((tier: object) => named<MarginTier>(tier)),
    state: named<MarketState>(state),
    // A settled market's price is its settlement price; the oracle is no longer read.
    price: settlementPriceWad !== 0n ? { ok: true, priceWad: settlementPriceWad, isVolatile: false } : price,
    reduceOnly: status.reduceOnly,
    settlementPriceWad,
    feedUpdatedAtSeconds: round === null ? null : round.updatedAt,
    volatilityCooldownSeconds,
  };
}

export interface ProtocolSnapshot {
  tradingPaused: boolean;
  liquidationsPaused: boolean;
  withdrawalsPaused: boolean;
  /** Liquidations wait until this time after an unpause (seconds). */
  liquidationsResumeAtSeconds: bigint;
  insuranceFundUsd: bigint;
  insuranceFundTargetUsd: bigint;
  vaultCashUsd: bigint;
}

export async function readProtocol(engine: PerpEngine, pin: BlockPin): Promise<ProtocolSnapshot> {
  const [pause, insuranceFundUsd, insuranceFundTargetUsd, vaultCashUsd] = await Promise.all([
    engine.pauseState(pin),
    engine.insuranceFund(pin),
    engine.insuranceFundTarget(pin),
    engine.vaultCashUsd(pin),
  ]);
  return {
    tradingPaused: pause.trading,
    liquidationsPaused: pause.liquidations,
    withdrawalsPaused: pause.withdrawals,
    liquidationsResumeAtSeconds: pause.liquidationsResumeAt,
    insuranceFundUsd,
    insuranceFundTargetUsd,
    vaultCashUsd,
  };
}

export interface AccountSnapshot {
  /** Free balance inside the engine (USD, 1e18). */
  freeBalanceUsd: bigint;
  /** Collateral in the wallet (token units). */
  walletTokens: bigint;
  /** Allowances of the wallet's collateral (token units). */
  engineAllowance: bigint;
  vaultAllowance: bigint;
  /** LP shares held (share units). */
  shares: bigint;
}

export async function readAccount(
  contracts: ReadContracts,
  book: AddressBook,
  account: string,
  pin: BlockPin,
): Promise<AccountSnapshot> {
  const [freeBalanceUsd, walletTokens, engineAllowance, vaultAllowance, shares] = await Promise.all([
    contracts.engine.freeBalance(account, pin),
    contracts.collateral.balanceOf(account, pin),
    contracts.collateral.allowance(account, book.engine, pin),
    contracts.collateral.allowance(account, book.vault, pin),
    contracts.vault.balanceOf(account, pin),
  ]);
  return { freeBalanceUsd, walletTokens, engineAllowance, vaultAllowance, shares };
}

/** The ADL lights of a position: 5 = most exposed 20% of its queue … 1; 0 = not queued. */
export interface AdlLightReading {
  light: number;
  /** 0 = next to be deleveraged. */
  rank: bigint;
  queueLength: bigint;
}

export interface PositionSnapshot {
  marketId: string;
  position: Position;
  adl: AdlLightReading;
  /** The account's pending order in this market (all zero when none). */
  order: Order;
}

export async function readPositions(
  engine: PerpEngine,
  book: AddressBook,
  account: string,
  pin: BlockPin,
): Promise<PositionSnapshot[]> {
  return Promise.all(
    book.markets.map(async (market) => {
      const [position, adl, order] = await Promise.all([
        engine.getPosition(account, market.marketId, pin),
        engine.adlLight(account, market.marketId, pin),
        engine.getOrder(account, market.marketId, pin),
      ]);
      return {
        marketId: market.marketId,
        position: named<Position>(position),
        adl: { light: Number(adl.light), rank: adl.rank, queueLength: adl.queueLength },
        order: named<Order>(order),
      };
    }),
  );
}

export interface VaultSnapshot {
  shareSymbol: string;
  shareDecimals: number;
  totalShares: bigint;
  /** Vault assets valued for withdrawals (gains excluded), token units; null while a price is invalid. */
  totalAssets: bigint | null;
  /** Vault assets valued for deposits (gains and losses), token units; null while a price is invalid. */
  totalAssetsForDeposit: bigint | null;
  /** Assets one whole share redeems for (token units), null while a price is invalid. */
  assetsPerShare: bigint | null;
}

export async function readVault(vault: LiquidityVault, pin: BlockPin): Promise<VaultSnapshot> {
  const [shareSymbol, shareDecimals, totalShares] = await Promise.all([
    vault.symbol(pin),
    vault.decimals(pin),
    vault.totalSupply(pin),
  ]);
  const oneShare = 10n ** shareDecimals;
  // The vault values every market, so these revert while any price is invalid.
  const [totalAssets, totalAssetsForDeposit, assetsPerShare] = await Promise.all([
    vault.totalAssets(pin).catch(() => null),
    vault.totalAssetsForDeposit(pin).catch(() => null),
    vault.convertToAssets(oneShare, pin).catch(() => null),
  ]);
  return {
    shareSymbol,
    shareDecimals: Number(shareDecimals),
    totalShares,
    totalAssets,
    totalAssetsForDeposit,
    assetsPerShare,
  };
}

export interface LpSnapshot {
  /** What the owner's shares redeem for now, token units (null while a price is invalid). */
  ownerAssets: bigint | null;
  /** ERC-4626 `maxWithdraw(owner)` (0 while a price is invalid or withdrawals are paused). */
  maxWithdraw: bigint;
  /** ERC-4626 `maxRedeem(owner)`. */
  maxRedeem: bigint;
}

export async function readLp(
  vault: LiquidityVault,
  account: string,
  shares: bigint,
  pin: BlockPin,
): Promise<LpSnapshot> {
  const [ownerAssets, maxWithdraw, maxRedeem] = await Promise.all([
    vault.previewRedeem(shares, pin).catch(() => null),
    vault.maxWithdraw(account, pin),
    vault.maxRedeem(account, pin),
  ]);
  return { ownerAssets, maxWithdraw, maxRedeem };
}
