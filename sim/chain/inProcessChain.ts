/**
 * A fresh Hardhat network (EDR) inside this process, built from Hardhat's own defaults (hardfork, gas limit,
 * chain id 31337, the well-known test mnemonic) so that it behaves like `hardhat node`, with two changes:
 * a fixed genesis date (runs do not depend on the wall clock) and FIFO mempool order.
 *
 * It uses Hardhat internals (`createHardhatNetworkProvider`) so that each run gets its own chain without
 * touching `hre.network` (tests in the same process keep theirs). Hardhat is pinned at 2.29.1.
 */
import type { Eip1193 } from "./eip1193";

/** Genesis time of every in-process chain. */
export const IN_PROCESS_GENESIS_DATE = "2025-01-01T00:00:00Z";
/** Unlocked genesis accounts (deployer, feeder, spare); traders and LPs are impersonated. */
const GENESIS_ACCOUNT_COUNT = 4;

export async function createInProcessChain(): Promise<Eip1193> {
  // Lazy: loading Hardhat's network costs a second and URL runs never need it.
  /* eslint-disable @typescript-eslint/no-require-imports */
  const { createHardhatNetworkProvider } =
    require("hardhat/internal/hardhat-network/provider/provider") as typeof import("hardhat/internal/hardhat-network/provider/provider");
  const { normalizeHardhatNetworkAccountsConfig } =
    require("hardhat/internal/core/providers/util") as typeof import("hardhat/internal/core/providers/util");
  const defaults = (
    require("hardhat/internal/core/config/default-config") as typeof import("hardhat/internal/core/config/default-config")
  ).defaultHardhatNetworkParams;
  /* eslint-enable @typescript-eslint/no-require-imports */
  const genesisAccounts = normalizeHardhatNetworkAccountsConfig({
    ...defaults.accounts,
    count: GENESIS_ACCOUNT_COUNT,
  });
  const provider = await createHardhatNetworkProvider(
    {
      hardfork: defaults.hardfork,
      chainId: defaults.chainId,
      networkId: defaults.chainId,
      blockGasLimit: defaults.blockGasLimit,
      minGasPrice: defaults.minGasPrice,
      automine: true,
      intervalMining: 0,
      mempoolOrder: "fifo",
      chains: defaults.chains,
      genesisAccounts,
      allowUnlimitedContractSize: false,
      throwOnTransactionFailures: true,
      throwOnCallFailures: true,
      allowBlocksWithSameTimestamp: false,
      initialDate: new Date(IN_PROCESS_GENESIS_DATE),
      enableTransientStorage: true,
      enableRip7212: false,
    },
    { enabled: false },
  );
  return provider as Eip1193;
}
