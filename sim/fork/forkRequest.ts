/**
 * What a forked run was asked for, from the command line (`--fork <url|stand-in> [--block N] --chain <name>
 * [--sequencer-outage FROM:TO]`) or the environment (`FORK_URL`, `FORK_BLOCK`), validated.
 */
import { networkByName, UnknownNetworkError, type NetworkConfig } from "../../deploy/networks";
import { ForkError } from "./forkErrors";

/** `--fork stand-in`: start the offline stand-in of the network (sim/fork/standIn) and fork it by URL. */
export const STAND_IN_SOURCE = "stand-in";

export interface SequencerOutage {
  /** The sequencer goes down at the start of this step (before its prices are posted). */
  downAtStep: number;
  /** It comes back up at the start of this step; prices stay rejected for the grace period after it. */
  upAtStep: number;
}

export interface ForkRequest {
  /** The source's JSON-RPC URL, or `stand-in`. */
  source: string;
  /** Fork at this block of the source (default: its head). */
  block?: number;
  network: NetworkConfig;
  sequencerOutage?: SequencerOutage;
}

export interface ForkOptionsInput {
  fork?: string;
  block?: string;
  chain?: string;
  sequencerOutage?: string;
}

function parseBlock(value: string): number {
  if (!/^\d+$/.test(value)) throw new ForkError(`--block / FORK_BLOCK must be a block number, got "${value}"`);
  return Number(value);
}

function parseOutage(value: string, network: NetworkConfig): SequencerOutage {
  const match = /^(\d+):(\d+)$/.exec(value);
  if (!match) throw new ForkError(`--sequencer-outage must be FROM:TO (steps), got "${value}"`);
  const [downAtStep, upAtStep] = [Number(match[1]), Number(match[2])];
  if (downAtStep < 1 || upAtStep <= downAtStep) {
    throw new ForkError("--sequencer-outage needs 1 ≤ FROM < TO", { downAtStep, upAtStep });
  }
  if (!network.sequencerUptimeFeed) {
    throw new ForkError(`${network.displayName} has no sequencer-uptime feed: --sequencer-outage needs an L2`);
  }
  return { downAtStep, upAtStep };
}

/** The fork request, or undefined when neither `--fork` nor `FORK_URL` is set (a local run). */
export function forkRequestFrom(input: ForkOptionsInput, env: NodeJS.ProcessEnv): ForkRequest | undefined {
  const source = input.fork ?? env.FORK_URL;
  const blockText = input.block ?? env.FORK_BLOCK;
  if (!source) {
    if (input.block !== undefined || input.sequencerOutage !== undefined) {
      throw new ForkError("--block and --sequencer-outage need --fork <url> (or FORK_URL)");
    }
    return undefined;
  }
  if (source !== STAND_IN_SOURCE && !/^https?:\/\//.test(source)) {
    throw new ForkError(`--fork must be an http(s) JSON-RPC URL or "${STAND_IN_SOURCE}"`);
  }
  if (!input.chain) throw new ForkError("--fork needs --chain <network> (mainnet, arbitrum)");
  let network: NetworkConfig;
  try {
    network = networkByName(input.chain);
  } catch (error) {
    if (error instanceof UnknownNetworkError) throw new ForkError(error.message);
    throw error;
  }
  return {
    source,
    block: blockText === undefined || blockText === "" ? undefined : parseBlock(blockText),
    network,
    sequencerOutage: input.sequencerOutage === undefined ? undefined : parseOutage(input.sequencerOutage, network),
  };
}
