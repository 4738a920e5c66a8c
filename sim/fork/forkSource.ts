/**
 * The fork source is probed with plain `fetch` and a timeout before anything else touches it: ethers and
 * anvil both retry an unreachable URL for a long time, so a source that does not answer must fail here, within
 * seconds, with a message that names it.
 */
import { rpcCall } from "../../sdk/chain/rpc";
import { ForkSourceError } from "./forkErrors";
import { sourceHostOf } from "./provenance";

/** Each probe call must answer within this time. */
export const SOURCE_PROBE_TIMEOUT_MS = 3_000;

export interface ForkSourceInfo {
  chainId: number;
  head: number;
}

/** Asks the source for its chain id and head block; throws `ForkSourceError` when it does not answer in time. */
export async function probeForkSource(url: string, timeoutMs = SOURCE_PROBE_TIMEOUT_MS): Promise<ForkSourceInfo> {
  const host = sourceHostOf(url);
  const ask = async (method: string): Promise<number> => {
    try {
      return Number(await rpcCall<string>(url, method, [], timeoutMs));
    } catch (cause) {
      throw new ForkSourceError(
        // The URL may carry an API key: only its host is shown.
        `the fork source ${host} did not answer ${method} within ${timeoutMs} ms: ` +
          (cause as Error).message.replaceAll(url, host),
        { host },
        cause,
      );
    }
  };
  const chainId = await ask("eth_chainId");
  const head = await ask("eth_blockNumber");
  return { chainId, head };
}
