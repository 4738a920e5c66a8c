/**
 * Starts the offline stand-in of a network: an anvil loaded from the committed state file, under the network's
 * stand-in chain id. It is only ever a fork *source*: the simulator forks it by URL exactly as it forks a real
 * RPC, and sends it nothing but reads.
 */
import { existsSync } from "node:fs";
import type { NetworkConfig } from "../../../deploy/networks";
import { startAnvil, type AnvilProcess } from "../anvilProcess";
import { ForkError } from "../forkErrors";
import { standInStatePath } from "./standInSpec";

/** Loading a state file of a few hundred kB takes well under a second; allow for a loaded machine. */
const STAND_IN_READY_TIMEOUT_MS = 30_000;

export async function startStandInSource(network: NetworkConfig): Promise<AnvilProcess> {
  const state = standInStatePath(network);
  if (!existsSync(state)) {
    throw new ForkError(`no offline stand-in state for ${network.name}: run \`npm run fork:build-stand-in\``, {
      path: state,
    });
  }
  return startAnvil(
    ["--load-state", state, "--chain-id", String(network.standInChainId), "--silent"],
    `offline stand-in of ${network.name}`,
    STAND_IN_READY_TIMEOUT_MS,
  );
}
