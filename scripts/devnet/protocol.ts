/**
 * The on-chain steps of `npm start`, run in the devnet's own process against the node: deploy the whole
 * protocol with `DEVNET_CONFIG` (delayed orders, 5 s) and write the address book, seed the demo state, and
 * give the user's wallet accounts mock USDC so a trade can be sent from the dApp at once.
 * This module imports the TypeChain bindings: load it only after `hardhat compile` has generated them.
 */
import { JsonRpcProvider, parseUnits } from "ethers";
import { DEVNET_CONFIG } from "../../deploy/config";
import { deploySystem } from "../../deploy/deploySystem";
import { writeAddressBook, type AddressBook } from "../../sdk/addressBook";
import { seedDemo, type SeedDemoResult } from "../../sim/demo/seedDemo";
import { ChainlinkOracleAdapter__factory, MockERC20__factory } from "../../typechain-types";
import { DEPLOYER_ACCOUNT_INDEX, type DevAccount } from "./accounts";

/** Mock USDC each wallet account receives (whole tokens): enough for a few trades and an LP deposit. */
export const WALLET_USDC_GRANT = "100000";
/** Receipts are polled this often (ethers' 4 s default would stretch the deployment to minutes). */
const RECEIPT_POLL_MS = 100;

export const DEVNET_NETWORK = "localhost";

function connect(rpcUrl: string): JsonRpcProvider {
  return new JsonRpcProvider(rpcUrl, undefined, { staticNetwork: true, pollingInterval: RECEIPT_POLL_MS });
}

/** Deploys everything with the deployer account and writes the address book to `addressBookPath`. */
export async function deployProtocol(rpcUrl: string, addressBookPath: string): Promise<AddressBook> {
  const provider = connect(rpcUrl);
  try {
    const deployer = await provider.getSigner(DEPLOYER_ACCOUNT_INDEX);
    const { addressBook } = await deploySystem(deployer, DEVNET_CONFIG, DEVNET_NETWORK);
    writeAddressBook(addressBook, addressBookPath);
    return addressBook;
  } finally {
    provider.destroy();
  }
}

export function seedDemoState(
  rpcUrl: string,
  book: AddressBook,
  traders: number,
  seed: string,
): Promise<SeedDemoResult> {
  return seedDemo({ rpcUrl, book, traders, seed });
}

/** Mints `WALLET_USDC_GRANT` mock USDC to each wallet account (the mock token lets anyone mint). */
export async function fundWallets(rpcUrl: string, book: AddressBook, wallets: readonly DevAccount[]): Promise<void> {
  const provider = connect(rpcUrl);
  try {
    const deployer = await provider.getSigner(DEPLOYER_ACCOUNT_INDEX);
    const usdc = MockERC20__factory.connect(book.collateral.address, deployer);
    const amount = parseUnits(WALLET_USDC_GRANT, book.collateral.decimals);
    for (const wallet of wallets) await (await usdc.mint(wallet.address, amount)).wait();
  } finally {
    provider.destroy();
  }
}

/** Feed updates per cooldown window the feeder's random walk leaves free for shocks (crash, squeeze, set). */
export const ROUNDS_KEPT_FOR_SHOCKS = 8;

/**
 * The shortest feeder interval that keeps every market out of the breaker's "too many rounds" rule: each
 * adapter flags its market volatile (opening and increasing paused) when more than `MAX_HISTORY_ROUNDS`
 * rounds landed within `volatilityCooldownSeconds` (contracts/oracle/ChainlinkOracleAdapter.sol).
 */
export async function feederIntervalFloorMs(rpcUrl: string, book: AddressBook): Promise<number> {
  const provider = connect(rpcUrl);
  try {
    let floorMs = 0;
    for (const market of book.markets) {
      const adapter = ChainlinkOracleAdapter__factory.connect(market.oracleAdapter, provider);
      const rounds = Number(await adapter.MAX_HISTORY_ROUNDS()) - ROUNDS_KEPT_FOR_SHOCKS;
      const cooldownMs = Number(await adapter.volatilityCooldownSeconds()) * 1_000;
      floorMs = Math.max(floorMs, Math.ceil(cooldownMs / rounds));
    }
    return floorMs;
  } finally {
    provider.destroy();
  }
}
