/**
 * Periphery contracts for off-chain readers (no role, no funds): today the `KeeperLens` the keeper reads once
 * per block. `deploySystem` calls `deployPeriphery` last; an existing deployment gets it with
 * `npx hardhat run deploy/periphery.ts --network <name>`, which adds `periphery` to its address book.
 */
import type { Signer } from "ethers";
import { KeeperLens__factory } from "../typechain-types";
import type { AddressBook } from "../sdk/addressBook";

export type PeripheryAddresses = NonNullable<AddressBook["periphery"]>;

/** Deploys the periphery contracts and returns their addresses (the address book's `periphery` field). */
export async function deployPeriphery(deployer: Signer): Promise<PeripheryAddresses> {
  const keeperLens = await (await new KeeperLens__factory(deployer).deploy()).waitForDeployment();
  return { keeperLens: await keeperLens.getAddress() };
}

async function main(): Promise<void> {
  // Loaded here only: the module itself must stay importable without Hardhat (deploySystem runs anywhere).
  const { default: hre } = await import("hardhat");
  const { loadAddressBook, writeAddressBook, addressBookPath } = await import("../sdk/addressBook");
  const network = hre.network.name;
  const book = loadAddressBook(addressBookPath(network));
  const [deployer] = await hre.ethers.getSigners();
  const periphery = await deployPeriphery(deployer);
  const path = writeAddressBook({ ...book, periphery });
  console.log(`periphery deployed: ${JSON.stringify(periphery)}; address book ${path} updated`);
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
}
