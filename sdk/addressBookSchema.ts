/**
 * The address book's schema, types and pure helpers, without any Node API, so the browser dApp can
 * validate `deployments/<network>.json` with exactly the rules the keeper and the simulator use.
 * File access (`loadAddressBook`, `writeAddressBook`) stays in `./addressBook`, which re-exports this.
 */
import { keccak256, toUtf8Bytes } from "ethers";
import { z } from "zod";

/** `bytes32` market id of a symbol such as "ETH-USD": keccak256 of its UTF-8 bytes. */
export function marketIdOf(symbol: string): string {
  return keccak256(toUtf8Bytes(symbol));
}

const address = z.string().regex(/^0x[0-9a-fA-F]{40}$/, "expected a 20-byte hex address");
const bytes32 = z.string().regex(/^0x[0-9a-fA-F]{64}$/, "expected a 32-byte hex id");

const marketEntry = z.object({
  symbol: z.string().min(1),
  marketId: bytes32,
  /** The protocol's validated oracle adapter (IPriceOracle). */
  oracleAdapter: address,
  /** The Chainlink AggregatorV3Interface the adapter reads (a MockV3Aggregator on local chains). */
  priceFeed: address,
  priceFeedDecimals: z.number().int().min(0).max(18),
});

/** The address book every off-chain part (keeper, dApp, simulator, tests) reads. */
export const addressBookSchema = z.object({
  network: z.string(),
  chainId: z.number().int().positive(),
  /** Block of the first deployment transaction: event backfills start here. */
  startBlock: z.number().int().nonnegative(),
  collateral: z.object({ address, symbol: z.string(), decimals: z.number().int().min(0).max(18) }),
  engine: address,
  vault: address,
  /** Who runs the protocol: the admin timelock and the guardian multisig (DESIGN §11). */
  governance: z.object({
    timelock: address,
    guardian: address,
    timelockMinDelaySeconds: z.number().int().nonnegative(),
  }),
  markets: z.array(marketEntry).min(1),
  /** Read-only helpers for off-chain readers (deploy/periphery.ts); absent in books written before them. */
  periphery: z.object({ keeperLens: address }).optional(),
});

export type AddressBook = z.infer<typeof addressBookSchema>;
export type MarketEntry = z.infer<typeof marketEntry>;

export function marketBySymbol(book: AddressBook, symbol: string): MarketEntry {
  const market = book.markets.find((m) => m.symbol === symbol);
  if (!market) throw new Error(`market ${symbol} is not in the address book for ${book.network}`);
  return market;
}
