/**
 * `npx hardhat run deploy/deploy.ts --network <name>`: deploys the whole system and writes
 * deployments/<network>.json.
 *
 * - `hardhat` / `localhost`: deploy/config.ts's local configuration (mock USDC and feeds).
 * - a live network of deploy/networks (`mainnet`, `arbitrum`): the real USDC and Chainlink feeds, read and
 *   checked on the chain first (deploy/networks/resolveNetwork.ts: symbol, decimals, feed descriptions, answer
 *   bounds, sequencer feed), delayed orders on, the existing guardian Safe from `GUARDIAN_SAFE`, a 2-day
 *   timelock. Anything that does not match stops the deployment before the first transaction.
 */
import hre from "hardhat";
import { configForNetwork, type SystemDeployConfig } from "./config";
import { deploySystem } from "./deploySystem";
import { liveGovernanceFromEnv, LiveGovernanceError } from "./liveGovernance";
import { NETWORKS } from "./networks";
import { NetworkMismatchError, networkDeployConfig, resolveNetwork } from "./networks/resolveNetwork";
import { writeAddressBook } from "../sdk/addressBook";

async function deployConfigFor(network: string): Promise<SystemDeployConfig> {
  const live = NETWORKS.find((candidate) => candidate.name === network);
  if (!live) return configForNetwork(network);
  const provider = hre.ethers.provider;
  const resolved = await resolveNetwork(provider, live);
  const governance = await liveGovernanceFromEnv(process.env, provider);
  return networkDeployConfig(resolved, { governance, orders: "live" });
}

async function main(): Promise<void> {
  const network = hre.network.name;
  const signers = await hre.ethers.getSigners().catch(() => []);
  const [deployer] = signers;
  if (!deployer) {
    throw new LiveGovernanceError(
      `no deployer for ${network}: set its RPC URL and DEPLOYER_PRIVATE_KEY (README, Deployment)`,
    );
  }
  const config = await deployConfigFor(network);
  const system = await deploySystem(deployer, config, network);
  const path = writeAddressBook(system.addressBook);
  console.log(JSON.stringify(system.addressBook, null, 2));
  console.log(`address book written to ${path}`);
}

main().catch((error: unknown) => {
  // Configuration mistakes are one line; anything else keeps its stack.
  if (error instanceof LiveGovernanceError || error instanceof NetworkMismatchError) console.error(error.message);
  else console.error(error);
  process.exitCode = 1;
});
