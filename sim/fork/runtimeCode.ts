/**
 * Runtime bytecode of this project's contracts, read from Hardhat's artifacts, for `setCode` at an existing
 * address (a real Chainlink proxy on a fork, a real token or proxy address in the offline stand-in).
 * Code placed that way runs no constructor, so these contracts keep nothing in immutables and set their state
 * in an `install`/`initialize` call instead.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { Eip1193 } from "../chain/eip1193";
import { ForkError } from "./forkErrors";

const ARTIFACTS_DIR = join(__dirname, "..", "..", "artifacts", "contracts");

/** `deployedBytecode` of `contracts/<sourcePath>:<contractName>`. */
export function runtimeCodeOf(sourcePath: string, contractName: string): string {
  const file = join(ARTIFACTS_DIR, sourcePath, `${contractName}.json`);
  if (!existsSync(file)) {
    throw new ForkError("contract artifacts are missing: run `npx hardhat compile` first", { file });
  }
  const artifact = JSON.parse(readFileSync(file, "utf8")) as { deployedBytecode?: string };
  if (!artifact.deployedBytecode || artifact.deployedBytecode === "0x") {
    throw new ForkError("artifact has no runtime bytecode", { file });
  }
  return artifact.deployedBytecode;
}

/** Replaces the code at `address` (anvil and Hardhat both answer `hardhat_setCode`). */
export async function setCode(raw: Eip1193, address: string, code: string): Promise<void> {
  await raw.request({ method: "hardhat_setCode", params: [address, code] });
}

/** Writes one storage word (anvil and Hardhat both answer `hardhat_setStorageAt`). */
export async function setStorageAt(raw: Eip1193, address: string, slot: string, value: bigint): Promise<void> {
  await raw.request({
    method: "hardhat_setStorageAt",
    params: [address, slot, "0x" + value.toString(16).padStart(64, "0")],
  });
}

/** Reads one storage word at the head. */
export async function getStorageAt(raw: Eip1193, address: string, slot: string): Promise<bigint> {
  return BigInt((await raw.request({ method: "eth_getStorageAt", params: [address, slot, "latest"] })) as string);
}
