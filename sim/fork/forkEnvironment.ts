/**
 * The simulator's environment on a fork of a live network (sim/engine/environment.ts): the scenario's path is
 * rescaled to start at the feeds' real answers, the feeds' proxies are taken over by `ForkPriceFeed` (same
 * interface, real history), the protocol is deployed against the real collateral token and feeds with the
 * network's configuration (deploy/networks) — its delayed-order settings included —, actors are funded by real
 * holders, and a sequencer outage can be played at chosen steps. The run log's header says which network, block
 * and source.
 */
import { formatUnits, parseUnits } from "ethers";
import { LOCAL_CONFIG, type OrderSettings } from "../../deploy/config";
import { networkDeployConfig, type ResolvedNetwork } from "../../deploy/networks/resolveNetwork";
import type { SimChain } from "../chain/simChain";
import type { SimEnvironment } from "../engine/environment";
import type { RunContext } from "../engine/runContext";
import { TransactionFailedError } from "../errors";
import type { PricePath } from "../paths/pricePath";
import { deployConfigFor, deployProtocol, type SimDeployment } from "../protocol/deployment";
import type { HeaderRecord } from "../report/runLog";
import type { Scenario } from "../scenario/schema";
import { CollateralFunding } from "./collateralFunding";
import { installForkPriceFeed, postAnswer, setSequencerDown } from "./feedControl";
import type { ForkRequest } from "./forkRequest";
import { rescalePathToAnswers } from "./pathRescale";
import { forkLabel, type ForkProvenance } from "./provenance";

export class ForkEnvironment implements SimEnvironment {
  private funding: CollateralFunding | undefined;
  private scales: Record<string, string> = {};
  private feeder: string | undefined;

  constructor(
    private readonly request: ForkRequest,
    private readonly resolved: ResolvedNetwork,
    private readonly sourceHost: string,
  ) {}

  describeChain(chain: SimChain): HeaderRecord["chain"] {
    const fork = this.provenance();
    return { kind: "fork", chainId: chain.info.chainId, label: forkLabel(fork), fork };
  }

  adjustPath(path: PricePath): PricePath {
    const answers = this.resolved.feeds.map((feed) => ({
      symbol: feed.symbol,
      answer: feed.latest.answer,
      decimals: feed.decimals,
    }));
    const rescaled = rescalePathToAnswers(path, answers);
    this.scales = rescaled.scales;
    return rescaled.path;
  }

  async deploy(chain: SimChain, scenario: Scenario, path: PricePath, deployer: string): Promise<SimDeployment> {
    this.feeder = deployer;
    for (const feed of this.resolved.feeds) {
      if (!path.pricesUsd[feed.symbol]) continue; // a market the scenario does not trade
      await installForkPriceFeed(chain, feed, deployer);
      // A fresh round at the fork block's answer: the path starts there and the adapter sees a fresh price.
      const opening = parseUnits(path.pricesUsd[feed.symbol][0], feed.decimals);
      const outcome = await postAnswer(chain, feed.address, deployer, opening);
      if (!outcome.ok) throw new TransactionFailedError(`posting the opening answer of ${feed.symbol} failed`);
    }
    if (this.resolved.sequencer) await installForkPriceFeed(chain, this.resolved.sequencer, deployer);
    const base = networkDeployConfig(this.resolved, { governance: LOCAL_CONFIG.governance, orders: "live" });
    const onNetwork = withNetworkOrders(scenario, this.request.network.orders);
    const deployment = await deployProtocol(chain, deployConfigFor(onNetwork, path, deployer, base), deployer);
    this.funding = await CollateralFunding.create(
      chain,
      this.resolved.collateral.address,
      this.request.network.collateralHolders,
      this.resolved.block.number,
    );
    return deployment;
  }

  async fund(_context: RunContext, account: string, tokenAmount: bigint): Promise<void> {
    if (!this.funding) throw new TransactionFailedError("funding before the fork deployment");
    await this.funding.fund(account, tokenAmount);
  }

  async beforeStep(context: RunContext, step: number): Promise<void> {
    const outage = this.request.sequencerOutage;
    const sequencer = this.resolved.sequencer;
    if (!outage || !sequencer || !this.feeder) return;
    if (step !== outage.downAtStep && step !== outage.upAtStep) return;
    const down = step === outage.downAtStep;
    const outcome = await setSequencerDown(context.chain, sequencer.address, this.feeder, down);
    context.logAction("feeder", this.feeder, down ? "sequencerDown" : "sequencerUp", outcome);
    context.required(down ? "sequencer down" : "sequencer up", outcome);
  }

  /** Where the run happened, for the run log and the reports. */
  provenance(): ForkProvenance {
    const { resolved, request } = this;
    const timestamp = resolved.block.timestamp;
    return {
      network: request.network.name,
      displayName: request.network.displayName,
      chainId: resolved.chainId,
      chainKind: resolved.chainKind,
      sourceHost: this.sourceHost,
      forkBlock: { number: resolved.block.number, timestamp, utc: new Date(timestamp * 1_000).toISOString() },
      collateral: resolved.collateral,
      feeds: resolved.feeds.map((feed) => {
        const config = request.network.feeds.find((candidate) => candidate.symbol === feed.symbol)!;
        return {
          symbol: feed.symbol,
          address: feed.address,
          description: feed.description,
          aggregator: feed.aggregator,
          phaseId: feed.phaseId,
          decimals: feed.decimals,
          minAnswer: feed.minAnswer.toString(),
          maxAnswer: feed.maxAnswer.toString(),
          heartbeatSeconds: feed.heartbeatSeconds.toString(),
          deviationThresholdBps: feed.deviationThresholdBps.toString(),
          verification: config.verification === "verified" ? "verified" : "unverified",
          answerAtForkBlock: feed.latest.answer.toString(),
          updatedAtForkBlock: Number(feed.latest.updatedAt),
          observedMaxUpdateGapSeconds: feed.observedMaxUpdateGapSeconds ?? null,
          pathScale: this.scales[feed.symbol] ?? "1",
        };
      }),
      ...(resolved.sequencer
        ? {
            sequencer: {
              address: resolved.sequencer.address,
              downAtForkBlock: resolved.sequencer.isDown,
              statusSince: Number(resolved.sequencer.latest.startedAt),
              gracePeriodSeconds: resolved.sequencer.gracePeriodSeconds.toString(),
              ...(request.sequencerOutage ? { outage: request.sequencerOutage } : {}),
            },
          }
        : {}),
      orders: {
        executionDelaySeconds: Number(request.network.orders.executionDelaySeconds),
        orderExpirySeconds: Number(request.network.orders.orderExpirySeconds),
        executionFeeUsd: formatUnits(request.network.orders.executionFeeUsd, 18),
      },
      funding: this.funding?.summary() ?? {
        holderTransfers: 0,
        holderTokens: "0",
        storageWrites: 0,
        storageTokens: "0",
        balanceSlot: null,
        holdersUsed: [],
      },
    };
  }
}

/**
 * The scenario with the network's live delayed-order settings instead of its own (the devnet's by default): a
 * fork rehearses the deployment as it will run, 24 s orders with a $20 fee on mainnet, 2 s on Arbitrum.
 */
function withNetworkOrders(scenario: Scenario, orders: OrderSettings): Scenario {
  return {
    ...scenario,
    protocol: {
      ...scenario.protocol,
      orders: {
        executionDelaySeconds: Number(orders.executionDelaySeconds),
        orderExpirySeconds: Number(orders.orderExpirySeconds),
        executionFeeUsd: Number(formatUnits(orders.executionFeeUsd, 18)),
      },
    },
  };
}
