/**
 * Simulates a call with the gas it uses, in one `eth_call`, through `KeeperLens.simulate` (which reverts with
 * `Simulated(success, gasUsed, result)`). Used to size gas limits: a node's `eth_estimateGas` re-executes the
 * call in a binary search, which takes seconds for a batch of liquidations on a local node.
 */
import { KeeperLens__factory } from "../../typechain-types/factories/contracts/periphery/KeeperLens__factory";
import { KeeperError } from "../errors";
import type { ChainClient } from "./chainClient";
import { revertDataOf } from "./rpcClient";

/** Intrinsic gas of a transaction. */
const TX_BASE_GAS = 21_000n;
/** EIP-2028 calldata gas per zero and non-zero byte. */
const ZERO_BYTE_GAS = 4n;
const NONZERO_BYTE_GAS = 16n;
/** Gas limit = (intrinsic + calldata + measured) × 125%: storage may be colder or the state move a little. */
const GAS_HEADROOM_PERCENT = 125n;

const lensInterface = KeeperLens__factory.createInterface();

export interface Simulation {
  success: boolean;
  /** Gas of the call itself (no intrinsic or calldata gas). */
  gasUsed: bigint;
  /** Return data, or revert data when `success` is false. */
  result: string;
}

export function calldataGas(data: string): bigint {
  let gas = 0n;
  for (let i = 2; i < data.length; i += 2) gas += data.slice(i, i + 2) === "00" ? ZERO_BYTE_GAS : NONZERO_BYTE_GAS;
  return gas;
}

/** A gas limit for sending `data` whose call used `gasUsed`. */
export function gasLimitFor(data: string, gasUsed: bigint): bigint {
  return ((TX_BASE_GAS + calldataGas(data) + gasUsed) * GAS_HEADROOM_PERCENT) / 100n;
}

export class CallSimulator {
  private readonly lens: string;

  constructor(
    private readonly chain: ChainClient,
    lensAddress: string,
  ) {
    this.lens = lensAddress;
  }

  /** `blockTag` "pending" simulates in the next block's context (its timestamp), e.g. an order whose delay ends then. */
  async simulate(target: string, data: string, blockTag: "latest" | "pending" = "latest"): Promise<Simulation> {
    const calldata = lensInterface.encodeFunctionData("simulate", [target, data]);
    try {
      await this.chain.call({ to: this.lens, data: calldata }, blockTag);
    } catch (error) {
      const revert = revertDataOf(error);
      if (revert) {
        const decoded = lensInterface.parseError(revert);
        if (decoded?.name === "Simulated") {
          return { success: decoded.args.success, gasUsed: decoded.args.gasUsed, result: decoded.args.result };
        }
      }
      throw error;
    }
    throw new KeeperError("KeeperLens.simulate returned instead of reverting");
  }
}
