/**
 * Where a run's protocol lives, as the engine sees it: the local chain with mock feeds and a mintable token
 * (`LOCAL_ENVIRONMENT`, the default), or a fork of a live network with its real token and feeds
 * (sim/fork/forkEnvironment.ts). The engine calls these hooks and nothing else differs between the two.
 */
import type { SimChain } from "../chain/simChain";
import type { PricePath } from "../paths/pricePath";
import { deployConfigFor, deployProtocol, type SimDeployment } from "../protocol/deployment";
import type { HeaderRecord } from "../report/runLog";
import type { Scenario } from "../scenario/schema";
import type { RunContext } from "./runContext";

export interface SimEnvironment {
  /** The chain as the run log's header records it (read when the run ends). */
  describeChain(chain: SimChain): HeaderRecord["chain"];
  /** The price path actually played (a fork rescales it to start at the feeds' on-chain answers). */
  adjustPath(path: PricePath): PricePath;
  /** Deploys the protocol for the scenario; the feeds must answer the path's opening prices afterwards. */
  deploy(chain: SimChain, scenario: Scenario, path: PricePath, deployer: string): Promise<SimDeployment>;
  /** Gives `account` `tokenAmount` units of the collateral token. */
  fund(context: RunContext, account: string, tokenAmount: bigint): Promise<void>;
  /** Called at the start of every step, after the clock moved to it and before the feeds post its prices. */
  beforeStep?(context: RunContext, step: number): Promise<void>;
}

/** The local chain: mock feeds deployed at the opening prices and mock USDC minted to whoever needs it. */
export const LOCAL_ENVIRONMENT: SimEnvironment = {
  describeChain: (chain) => ({ kind: chain.info.kind, chainId: chain.info.chainId }),
  adjustPath: (path) => path,
  deploy: (chain, scenario, path, deployer) =>
    deployProtocol(chain, deployConfigFor(scenario, path, deployer), deployer),
  async fund(context, account, tokenAmount) {
    const { calls, deployment } = context;
    context.required("mint", await calls.mintCollateral(deployment.deployer, account, tokenAmount));
  },
};
