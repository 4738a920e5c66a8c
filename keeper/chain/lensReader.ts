/**
 * The per-block read: one `eth_call` to `KeeperLens.snapshot` (contracts/periphery/KeeperLens.sol) returns every
 * market's price and feed round, the vault's marked equity, the insurance fund and the keeper's gas balance.
 */
import { KeeperLens__factory } from "../../typechain-types/factories/contracts/periphery/KeeperLens__factory";
import type { AddressBook } from "../../sdk/addressBook";
import type { ChainClient } from "./chainClient";

export interface MarketPrice {
  marketId: string;
  symbol: string;
  priceOk: boolean;
  priceWad: bigint;
  isVolatile: boolean;
  /** The adapter's revert data when the price is invalid. */
  priceError: string;
  feedRoundId: bigint;
  feedUpdatedAt: number;
}

export interface ChainSnapshot {
  blockNumber: number;
  timestamp: number;
  vaultEquityOk: boolean;
  vaultEquityUsd: bigint;
  insuranceFundUsd: bigint;
  insuranceFundTargetUsd: bigint;
  keeperBalanceWei: bigint;
  markets: MarketPrice[];
}

const lensInterface = KeeperLens__factory.createInterface();

export class LensReader {
  private readonly calldata: string;

  constructor(
    private readonly chain: ChainClient,
    private readonly book: AddressBook,
    keeperAddress: string,
  ) {
    if (!book.periphery) throw new Error("address book without periphery.keeperLens");
    this.calldata = lensInterface.encodeFunctionData("snapshot", [
      book.engine,
      book.markets.map((m) => m.marketId),
      book.markets.map((m) => m.priceFeed),
      book.markets.map((m) => m.oracleAdapter),
      keeperAddress,
    ]);
  }

  async read(blockNumber: number | "latest"): Promise<ChainSnapshot> {
    const raw = await this.chain.call({ to: this.book.periphery!.keeperLens, data: this.calldata }, blockNumber);
    const [snap] = lensInterface.decodeFunctionResult("snapshot", raw);
    return {
      blockNumber: Number(snap.blockNumber),
      timestamp: Number(snap.timestamp),
      vaultEquityOk: snap.vaultEquityOk,
      vaultEquityUsd: snap.vaultEquityUsd,
      insuranceFundUsd: snap.insuranceFundUsd,
      insuranceFundTargetUsd: snap.insuranceFundTargetUsd,
      keeperBalanceWei: snap.keeperBalanceWei,
      markets: this.book.markets.map((entry, i) => {
        const m = snap.markets[i];
        return {
          marketId: entry.marketId,
          symbol: entry.symbol,
          priceOk: m.priceOk,
          priceWad: m.priceWad,
          isVolatile: m.isVolatile,
          priceError: m.priceError,
          feedRoundId: m.feedRoundId,
          feedUpdatedAt: Number(m.feedUpdatedAt),
        };
      }),
    };
  }
}
