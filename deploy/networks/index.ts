/**
 * The live networks the protocol can be deployed to or forked from, by `--chain` name.
 */
import { ARBITRUM_ONE } from "./arbitrum";
import { MAINNET } from "./mainnet";
import type { NetworkConfig } from "./types";

export type { NetworkConfig } from "./types";

export const NETWORKS: readonly NetworkConfig[] = [MAINNET, ARBITRUM_ONE];

export class UnknownNetworkError extends Error {
  constructor(readonly requested: string) {
    super(`unknown network "${requested}": expected one of ${NETWORKS.map((n) => n.name).join(", ")}`);
    this.name = "UnknownNetworkError";
  }
}

/** The network named `name` ("mainnet", "arbitrum"); throws `UnknownNetworkError` otherwise. */
export function networkByName(name: string): NetworkConfig {
  const network = NETWORKS.find((candidate) => candidate.name === name);
  if (!network) throw new UnknownNetworkError(name);
  return network;
}

/** Which of a network's chains a chain id is: the real one, its offline stand-in, or neither. */
export function chainKindOf(network: NetworkConfig, chainId: number): "real" | "stand-in" | "other" {
  if (chainId === network.chainId) return "real";
  if (chainId === network.standInChainId) return "stand-in";
  return "other";
}
