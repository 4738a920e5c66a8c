/**
 * Finds where a token keeps `balanceOf`, by probing: for slot s = 0, 1, 2, … and both mapping layouts
 * (Solidity stores `balances[a]` at keccak256(a . s), Vyper at keccak256(s . a)), write a recognisable value
 * at the account's key, call `balanceOf(account)`, put the original word back, and stop at the first slot whose
 * value `balanceOf` returns. Works through proxies (the storage is the proxy's) and for USDC, whose word packs a
 * blacklist flag in bit 255 (the probe value leaves it clear; the original word is restored either way).
 * The fork simulator uses it only once its holder list cannot fund an actor (sim/fork/collateralFunding.ts).
 */
import { AbiCoder, keccak256, type Interface } from "ethers";
import { MockERC20__factory } from "../../typechain-types";
import type { SimChain } from "../chain/simChain";
import { BalanceSlotNotFoundError } from "./forkErrors";
import { getStorageAt, setStorageAt } from "./runtimeCode";

export type MappingLayout = "solidity" | "vyper";

export interface BalanceSlot {
  slot: number;
  layout: MappingLayout;
}

/** Slots probed before giving up (FiatToken uses 9; most ERC-20s 0–10). */
export const MAX_PROBED_SLOT = 100;
/** Written during the probe: a balance no account holds by chance, below 2^255. */
export const PROBE_VALUE = 0x5ca1ab1e0ff01234n;
const LAYOUTS: readonly MappingLayout[] = ["solidity", "vyper"];

const coder = AbiCoder.defaultAbiCoder();
const tokenInterface = MockERC20__factory.createInterface() as Interface;

/** The storage key of `account`'s balance under `balanceSlot`. */
export function balanceKey(account: string, balanceSlot: BalanceSlot): string {
  return balanceSlot.layout === "solidity"
    ? keccak256(coder.encode(["address", "uint256"], [account, balanceSlot.slot]))
    : keccak256(coder.encode(["uint256", "address"], [balanceSlot.slot, account]));
}

/** `balanceOf(account)` at the head's current state ("latest" sees storage written since the last block). */
export async function balanceOf(chain: SimChain, token: string, account: string): Promise<bigint> {
  const raw = (await chain.raw.request({
    method: "eth_call",
    params: [{ to: token, data: tokenInterface.encodeFunctionData("balanceOf", [account]) }, "latest"],
  })) as string;
  return BigInt(raw);
}

/** The token's balance slot, found by probing with `account` (its balance is left as it was). */
export async function findBalanceSlot(chain: SimChain, token: string, account: string): Promise<BalanceSlot> {
  for (let slot = 0; slot <= MAX_PROBED_SLOT; slot++) {
    for (const layout of LAYOUTS) {
      const candidate = { slot, layout };
      const key = balanceKey(account, candidate);
      const original = await getStorageAt(chain.raw, token, key);
      await setStorageAt(chain.raw, token, key, PROBE_VALUE);
      const seen = await balanceOf(chain, token, account);
      await setStorageAt(chain.raw, token, key, original);
      if (seen === PROBE_VALUE) return candidate;
    }
  }
  throw new BalanceSlotNotFoundError(token, (MAX_PROBED_SLOT + 1) * LAYOUTS.length);
}
