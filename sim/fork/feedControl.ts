/**
 * Takes control of a forked network's Chainlink feeds: puts `ForkPriceFeed` (contracts/fork) at each proxy's
 * address and installs it with what was read from the real proxy at the fork block (aggregator, phase, latest
 * round, decimals, description), so that every reader keeps the proxy's interface and the real history, and the
 * simulator's feeder can post answers with the same `updateAnswer` it uses on the local mocks.
 * The L2 sequencer-uptime feed gets the same treatment; `setSequencerDown` flips its status.
 */
import type { Interface } from "ethers";
import { ForkPriceFeed__factory } from "../../typechain-types";
import type { FeedRound } from "../../deploy/networks/resolveNetwork";
import type { SimChain, TxOutcome } from "../chain/simChain";
import { TransactionFailedError } from "../errors";
import { runtimeCodeOf, setCode } from "./runtimeCode";

const feedInterface = ForkPriceFeed__factory.createInterface() as Interface;

/** `install` writes about ten storage words and the description string. */
const INSTALL_GAS = 400_000n;
/** `updateAnswer` writes one round (and the latest round id). */
const UPDATE_GAS = 150_000n;
/** Bits of a proxy round id holding the aggregator's round id. */
const PHASE_OFFSET = 64n;
const AGGREGATOR_ROUND_MASK = (1n << PHASE_OFFSET) - 1n;
/** The sequencer-uptime feed's answers. */
export const SEQUENCER_UP = 0n;
export const SEQUENCER_DOWN = 1n;

/** What `install` needs from the real proxy, read before its code is replaced. */
export interface ProxyReading {
  address: string;
  aggregator: string;
  phaseId: number;
  decimals: number;
  version: bigint;
  description: string;
  latest: FeedRound;
}

function required(what: string, outcome: TxOutcome): void {
  if (!outcome.ok) {
    throw new TransactionFailedError(`${what} failed: ${outcome.reason.name}(${outcome.reason.args.join(", ")})`, {
      message: outcome.message,
    });
  }
}

/** Replaces the proxy's code with ForkPriceFeed and installs it; `controller` may post answers afterwards. */
export async function installForkPriceFeed(chain: SimChain, proxy: ProxyReading, controller: string): Promise<void> {
  await setCode(chain.raw, proxy.address, runtimeCodeOf("fork/ForkPriceFeed.sol", "ForkPriceFeed"));
  const installation = {
    controller,
    sourceAggregator: proxy.aggregator,
    phaseId: proxy.phaseId,
    sourceLatestRound: proxy.latest.roundId & AGGREGATOR_ROUND_MASK,
    decimals: proxy.decimals,
    version: proxy.version,
    description: proxy.description,
  };
  const outcome = await chain.sendTransaction({
    from: controller,
    to: proxy.address,
    data: feedInterface.encodeFunctionData("install", [installation]),
    gas: INSTALL_GAS,
  });
  required(`installing the controllable feed at ${proxy.address}`, outcome);
}

/** Posts `answer` (feed units) as a new round at the next block's time. */
export async function postAnswer(
  chain: SimChain,
  feed: string,
  controller: string,
  answer: bigint,
): Promise<TxOutcome> {
  return chain.sendTransaction({
    from: controller,
    to: feed,
    data: feedInterface.encodeFunctionData("updateAnswer", [answer]),
    gas: UPDATE_GAS,
  });
}

/** Flips the sequencer-uptime feed: a new round whose `startedAt` (the status's start) is the block time. */
export function setSequencerDown(chain: SimChain, feed: string, controller: string, down: boolean): Promise<TxOutcome> {
  return postAnswer(chain, feed, controller, down ? SEQUENCER_DOWN : SEQUENCER_UP);
}
