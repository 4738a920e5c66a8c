/**
 * Helpers for the protocol's admin, an OpenZeppelin TimelockController: schedule a call, and execute it
 * once its delay has passed. Operation ids are derived exactly as the timelock does (hashOperation).
 */
import { ZeroHash, type BytesLike } from "ethers";
import type { TimelockController } from "../../typechain-types";

export interface TimelockCall {
  target: string;
  data: BytesLike;
  /** Distinguishes otherwise identical operations; any 32-byte value. */
  salt?: string;
}

/** Schedules `call` with the timelock's minimum delay; returns the operation id. */
export async function scheduleCall(timelock: TimelockController, call: TimelockCall): Promise<string> {
  const salt = call.salt ?? ZeroHash;
  const delay = await timelock.getMinDelay();
  await (await timelock.schedule(call.target, 0n, call.data, ZeroHash, salt, delay)).wait();
  return timelock.hashOperation(call.target, 0n, call.data, ZeroHash, salt);
}

/** Executes a scheduled call whose delay has passed. */
export async function executeCall(timelock: TimelockController, call: TimelockCall): Promise<void> {
  await (await timelock.execute(call.target, 0n, call.data, ZeroHash, call.salt ?? ZeroHash)).wait();
}
