/**
 * Deploys a real Safe multisig (`@safe-global/safe-smart-account` 1.5.0: singleton + proxy factory +
 * proxy) on a local chain, so that the guardian flow is exercised end to end. Live networks use their
 * existing Safe: pass its address in the deployment config instead.
 */
import { ContractFactory, Contract, ZeroAddress, type Signer } from "ethers";
import safeArtifact from "@safe-global/safe-smart-account/build/artifacts/contracts/Safe.sol/Safe.json";
import factoryArtifact from "@safe-global/safe-smart-account/build/artifacts/contracts/proxies/SafeProxyFactory.sol/SafeProxyFactory.json";

/** Deploys a Safe owned by the node's accounts at `ownerAccountIndexes`; returns its address. */
export async function deploySafe(deployer: Signer, ownerAccountIndexes: number[], threshold: number): Promise<string> {
  const provider = deployer.provider;
  if (!provider || !("getSigner" in provider)) throw new Error("deploySafe needs a provider with unlocked accounts");
  const accounts = (await (provider as unknown as { send: (m: string, p: unknown[]) => Promise<string[]> }).send(
    "eth_accounts",
    [],
  )) as string[];
  const owners = ownerAccountIndexes.map((index) => {
    const owner = accounts[index];
    if (!owner) throw new Error(`Safe owner account #${index} does not exist on this node`);
    return owner;
  });
  const singleton = await (
    await new ContractFactory(safeArtifact.abi, safeArtifact.bytecode, deployer).deploy()
  ).waitForDeployment();
  const proxyFactory = await (
    await new ContractFactory(factoryArtifact.abi, factoryArtifact.bytecode, deployer).deploy()
  ).waitForDeployment();
  const setupData = singleton.interface.encodeFunctionData("setup", [
    owners,
    threshold,
    ZeroAddress,
    "0x",
    ZeroAddress,
    ZeroAddress,
    0,
    ZeroAddress,
  ]);
  const factory = new Contract(await proxyFactory.getAddress(), factoryArtifact.abi, deployer);
  const saltNonce = 0n; // one proxy per fresh singleton, so a fixed salt never collides
  const receipt = await (await factory.createProxyWithNonce(await singleton.getAddress(), setupData, saltNonce)).wait();
  for (const log of receipt.logs) {
    const parsed = factory.interface.parseLog(log);
    if (parsed?.name === "ProxyCreation") return parsed.args.proxy as string;
  }
  throw new Error("SafeProxyFactory did not emit ProxyCreation");
}
