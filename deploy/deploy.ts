/**
 * `npx hardhat run deploy/deploy.ts --network <name>`: deploys the whole system with the network's
 * configuration from deploy/config.ts and writes deployments/<network>.json.
 */
import hre from "hardhat";
import { configForNetwork } from "./config";
import { deploySystem } from "./deploySystem";
import { writeAddressBook } from "../sdk/addressBook";

async function main(): Promise<void> {
  const [deployer] = await hre.ethers.getSigners();
  const network = hre.network.name;
  const system = await deploySystem(deployer, configForNetwork(network), network);
  const path = writeAddressBook(system.addressBook);
  console.log(JSON.stringify(system.addressBook, null, 2));
  console.log(`address book written to ${path}`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
