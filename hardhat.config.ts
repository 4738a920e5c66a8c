import { subtask } from "hardhat/config";
import { TASK_COMPILE_SOLIDITY_GET_SOLC_BUILD } from "hardhat/builtin-tasks/task-names";
import type { HardhatUserConfig } from "hardhat/config";
import "@nomicfoundation/hardhat-toolbox";

/// The compiler cannot be downloaded on our machines, so Hardhat is pointed at the WASM build shipped
/// by the npm `solc` package. The version here must equal the `solc` pin in package.json.
const SOLC_VERSION = "0.8.28";
const SOLC_LONG_VERSION = "0.8.28+commit.7893614a";

subtask(TASK_COMPILE_SOLIDITY_GET_SOLC_BUILD, async (args: { solcVersion: string }, _hre, runSuper) => {
  if (args.solcVersion !== SOLC_VERSION) return runSuper();
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const installed: string = require("solc/package.json").version;
  if (installed !== SOLC_VERSION) {
    throw new Error(`solc ${installed} is installed but hardhat.config.ts pins ${SOLC_VERSION}`);
  }
  return {
    compilerPath: require.resolve("solc/soljson.js"),
    isSolcJs: true,
    version: SOLC_VERSION,
    longVersion: SOLC_LONG_VERSION,
  };
});

/** The deployer of a live network: `DEPLOYER_PRIVATE_KEY` (never committed, never logged). */
function deployerAccounts(): string[] {
  const key = process.env.DEPLOYER_PRIVATE_KEY;
  return key ? [key] : [];
}

const config: HardhatUserConfig = {
  solidity: {
    version: SOLC_VERSION,
    settings: {
      optimizer: { enabled: true, runs: 200 },
      evmVersion: "cancun",
    },
  },
  networks: {
    hardhat: {
      // Contracts must deploy on a real chain: never allowUnlimitedContractSize.
      allowUnlimitedContractSize: false,
      // Cascade and fuzz tests need more actors than the default 20 accounts.
      accounts: { count: 64 },
    },
    localhost: { url: process.env.RPC_URL ?? "http://127.0.0.1:8545" },
    // Live networks (deploy/networks): the RPC URL and the deployer's key come from the environment only. No
    // chainId here: deploy/networks/resolveNetwork.ts checks it (and also accepts the network's offline stand-in).
    mainnet: { url: process.env.MAINNET_RPC_URL ?? "", accounts: deployerAccounts() },
    arbitrum: { url: process.env.ARBITRUM_RPC_URL ?? "", accounts: deployerAccounts() },
  },
  gasReporter: {
    enabled: process.env.REPORT_GAS === "true",
    outputFile: process.env.GAS_REPORT_FILE,
    noColors: !!process.env.GAS_REPORT_FILE,
    currency: "USD",
    offline: true,
  },
  mocha: { timeout: 120_000 },
  typechain: { outDir: "typechain-types", target: "ethers-v6" },
};

export default config;
