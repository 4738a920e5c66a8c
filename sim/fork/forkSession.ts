/**
 * One forked run's chain, from request to teardown:
 * 1. `--fork stand-in` only: start the network's offline stand-in source (sim/fork/standIn) and use its URL;
 * 2. probe the source with a timeout (a source that does not answer fails here, within seconds);
 * 3. start a local anvil forking the source at `--block` (default: its head), in its own process group;
 * 4. connect the simulator's chain to that anvil (the same `url` chain source any JSON-RPC URL uses);
 * 5. read and check the network at the fork block (deploy/networks/resolveNetwork.ts).
 * The rest of the run is the local simulator's, through `ForkEnvironment`. `close()` stops every process.
 */
import { NetworkMismatchError, resolveNetwork, type ResolvedNetwork } from "../../deploy/networks/resolveNetwork";
import { SimChain } from "../chain/simChain";
import { startAnvil, type AnvilProcess } from "./anvilProcess";
import { ForkEnvironment } from "./forkEnvironment";
import { ForkError } from "./forkErrors";
import { STAND_IN_SOURCE, type ForkRequest } from "./forkRequest";
import { probeForkSource } from "./forkSource";
import { sourceHostOf } from "./provenance";
import { standInStateFile } from "./standIn/standInSpec";
import { startStandInSource } from "./standIn/standInSource";

/** anvil's per-request timeout and retries towards the source (its defaults wait minutes on a dead source). */
export const FORK_REQUEST_TIMEOUT_MS = 20_000;
export const FORK_REQUEST_RETRIES = 2;
/** anvil fetches the fork block and chain id before it answers: one or two round trips to the source. */
const FORK_READY_TIMEOUT_MS = 60_000;

function forkArgs(url: string, block: number | undefined): string[] {
  return [
    "--fork-url",
    url,
    ...(block === undefined ? [] : ["--fork-block-number", String(block)]),
    // Nothing is cached on disk: a run leaves no files behind and always reads the source.
    "--no-storage-caching",
    "--timeout",
    String(FORK_REQUEST_TIMEOUT_MS),
    "--retries",
    String(FORK_REQUEST_RETRIES),
    "--silent",
  ];
}

export class ForkSession {
  private constructor(
    readonly chain: SimChain,
    readonly environment: ForkEnvironment,
    readonly resolved: ResolvedNetwork,
    private readonly processes: AnvilProcess[],
  ) {}

  static async open(request: ForkRequest): Promise<ForkSession> {
    const processes: AnvilProcess[] = [];
    let chain: SimChain | undefined;
    try {
      let url = request.source;
      if (url === STAND_IN_SOURCE) {
        const standIn = await startStandInSource(request.network);
        processes.push(standIn);
        url = standIn.url;
      }
      const host = sourceHostOf(url);
      const source = await probeForkSource(url);
      if (request.block !== undefined && request.block > source.head) {
        throw new ForkError(`block ${request.block} is beyond the fork source's head ${source.head}`);
      }
      const fork = await startAnvil(forkArgs(url, request.block), `fork of ${host}`, FORK_READY_TIMEOUT_MS);
      processes.push(fork);
      chain = await SimChain.connect({ kind: "url", url: fork.url });
      const forkBlock = await chain.blockNumber();
      const resolved = await resolveNetwork(chain.provider, request.network, forkBlock).catch((error: unknown) => {
        if (error instanceof NetworkMismatchError) {
          throw new ForkError(error.message, { source: host, block: forkBlock, ...error.details }, error);
        }
        throw error;
      });
      // The stand-in's port changes every run; its state file names it (same seed → same report).
      const label =
        request.source === STAND_IN_SOURCE ? `offline stand-in (${standInStateFile(request.network)})` : host;
      return new ForkSession(chain, new ForkEnvironment(request, resolved, label), resolved, processes);
    } catch (error) {
      await chain?.close();
      for (const process of processes.reverse()) await process.stop();
      throw error;
    }
  }

  async close(): Promise<void> {
    await this.chain.close();
    for (const process of [...this.processes].reverse()) await process.stop();
  }
}
