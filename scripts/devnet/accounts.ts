/**
 * The node's well-known accounts and what the devnet uses each for. `hardhat node` derives its accounts from
 * Hardhat's public test mnemonic; the devnet derives the same keys to give the keeper a signer and the user
 * wallets to import, and checks them against the node's `eth_accounts` so a changed mnemonic fails loudly.
 * These keys are public: never send anything of value to them on a real network.
 */
import { HDNodeWallet, Mnemonic } from "ethers";
import { rpcCall } from "../../sdk/chain/rpc";
import { DevnetError } from "./errors";

/** Hardhat's default mnemonic (hardhat.config.ts does not set another one). */
export const HARDHAT_TEST_MNEMONIC = "test test test test test test test test test test test junk";

/**
 * Account roles on the devnet. #0 deploys and funds the demo, #10–#12 own the guardian Safe
 * (deploy/config.ts), #13 sends the price feeder's updates (sim/feeder), the keeper signs with #14.
 */
export const DEPLOYER_ACCOUNT_INDEX = 0;
export const KEEPER_ACCOUNT_INDEX = 14;
/** Accounts offered to the user for a browser wallet; each gets mock USDC at start. */
export const WALLET_ACCOUNT_INDEXES = [1, 2, 3] as const;

export interface DevAccount {
  index: number;
  address: string;
  privateKey: string;
}

export function devAccount(index: number): DevAccount {
  const wallet = HDNodeWallet.fromMnemonic(Mnemonic.fromPhrase(HARDHAT_TEST_MNEMONIC), `m/44'/60'/0'/0/${index}`);
  return { index, address: wallet.address, privateKey: wallet.privateKey };
}

/** Throws unless the node at `rpcUrl` holds the accounts derived here at the same indexes. */
export async function assertNodeAccounts(rpcUrl: string, accounts: readonly DevAccount[]): Promise<void> {
  const nodeAccounts = await rpcCall<string[]>(rpcUrl, "eth_accounts");
  for (const account of accounts) {
    const onNode = nodeAccounts[account.index];
    if (onNode?.toLowerCase() !== account.address.toLowerCase()) {
      throw new DevnetError(
        `the node's account #${account.index} is ${onNode ?? "missing"}, not ${account.address} from Hardhat's test mnemonic`,
      );
    }
  }
}
