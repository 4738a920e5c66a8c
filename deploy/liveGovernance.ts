/**
 * Governance of a live deployment (DESIGN §11): an existing guardian Safe, a 2-day timelock as the only admin.
 * The Safe is not deployed here: on a live network it already exists and its owners are real people, so its
 * address comes from the operator (`GUARDIAN_SAFE`) and is checked to hold code before anything is deployed.
 */
import { getAddress, isAddress, type Provider } from "ethers";
import { LOCAL_CONFIG, type GovernanceDeployConfig } from "./config";

/** TimelockController minimum delay on live networks: 2 days (DESIGN §11). */
export const LIVE_TIMELOCK_MIN_DELAY_SECONDS = 2n * 24n * 3_600n;

export class LiveGovernanceError extends Error {}

/** The governance of a live network from the environment; throws a one-line `LiveGovernanceError` when wrong. */
export async function liveGovernanceFromEnv(
  env: NodeJS.ProcessEnv,
  provider: Provider,
): Promise<GovernanceDeployConfig> {
  const guardian = env.GUARDIAN_SAFE;
  if (!guardian || !isAddress(guardian)) {
    throw new LiveGovernanceError("set GUARDIAN_SAFE to the address of the existing guardian Safe (DESIGN §11)");
  }
  const code = await provider.getCode(guardian);
  if (code === "0x") throw new LiveGovernanceError(`GUARDIAN_SAFE ${guardian} has no code: is it the deployed Safe?`);
  return {
    ...LOCAL_CONFIG.governance,
    guardian: { address: getAddress(guardian) },
    timelockMinDelaySeconds: LIVE_TIMELOCK_MIN_DELAY_SECONDS,
    extraProposers: [],
    handOverAdmin: true,
  };
}
