/**
 * A real `hardhat node` for process-level tests (keeper, dApp, devnet), on a free port, in its own process
 * group, with the protocol deployed through the same `deploySystem` the devnet uses. Stop it in an `after`
 * hook (`node.stop()` or `stopAllChildren()`).
 */
import { join } from "node:path";
import { JsonRpcProvider, type JsonRpcSigner } from "ethers";
import { rpcAnswers, rpcCall } from "../../sdk/chain/rpc";
import { LOCAL_CONFIG, type SystemDeployConfig } from "../../deploy/config";
import { deploySystem, type DeployedSystem } from "../../deploy/deploySystem";
import { freePort, startChild, waitFor, type ManagedChild } from "./processes";

export const PROJECT_ROOT = join(__dirname, "..", "..");
export const HARDHAT_BIN = join(PROJECT_ROOT, "node_modules", ".bin", "hardhat");
const NODE_READY_TIMEOUT_MS = 90_000;

export interface LocalNode {
  url: string;
  port: number;
  child: ManagedChild;
  provider: JsonRpcProvider;
  /** The node's unlocked account `index` (hardhat's well-known accounts). */
  signer(index: number): Promise<JsonRpcSigner>;
  /** Mine a block every `intervalMs` instead of one per transaction (0 = back to automine). */
  setIntervalMining(intervalMs: number): Promise<void>;
  stop(): Promise<void>;
}

export async function startLocalNode(options: { port?: number } = {}): Promise<LocalNode> {
  const port = options.port ?? (await freePort());
  const url = `http://127.0.0.1:${port}`;
  const child = startChild("hardhat-node", HARDHAT_BIN, ["node", "--hostname", "127.0.0.1", "--port", String(port)], {
    cwd: PROJECT_ROOT,
    env: { ...process.env },
  });
  try {
    await waitFor(`hardhat node at ${url}`, () => rpcAnswers(url), NODE_READY_TIMEOUT_MS);
  } catch (error) {
    await child.stop();
    throw new Error(`${(error as Error).message}\n${child.output().slice(-2_000)}`);
  }
  // Polling at the default 4 s would slow every test that waits for a receipt.
  const provider = new JsonRpcProvider(url, undefined, { staticNetwork: true, pollingInterval: 100 });
  return {
    url,
    port,
    child,
    provider,
    signer: (index: number) => provider.getSigner(index),
    async setIntervalMining(intervalMs: number) {
      if (intervalMs === 0) {
        await rpcCall(url, "evm_setIntervalMining", [0]);
        await rpcCall(url, "evm_setAutomine", [true]);
      } else {
        await rpcCall(url, "evm_setAutomine", [false]);
        await rpcCall(url, "evm_setIntervalMining", [intervalMs]);
      }
    },
    async stop() {
      provider.destroy();
      await child.stop();
    },
  };
}

/** Deploys the whole protocol to the node with account #0 (config defaults to the devnet's). */
export async function deployToNode(
  node: LocalNode,
  config: SystemDeployConfig = LOCAL_CONFIG,
  network = "localhost",
): Promise<DeployedSystem> {
  const deployer = await node.signer(0);
  return deploySystem(deployer, config, network);
}
