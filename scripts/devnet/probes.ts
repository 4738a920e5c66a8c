/**
 * Readiness probes of the devnet's servers, with a timeout each, and the polling loop that waits on them.
 */
import { DevnetError } from "./errors";

const PROBE_TIMEOUT_MS = 1_000;
const PROBE_INTERVAL_MS = 250;

/** Polls `probe` until it resolves true; throws a `DevnetError` naming `what` after `timeoutMs`. */
export async function waitUntil(what: string, probe: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await probe()) return;
    await new Promise((resolve) => setTimeout(resolve, PROBE_INTERVAL_MS));
  }
  throw new DevnetError(`${what} was not ready within ${Math.round(timeoutMs / 1_000)} s`);
}

/** GET `url`; the status and body, or undefined when nothing answers. */
export async function httpGet(url: string): Promise<{ status: number; body: string } | undefined> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(PROBE_TIMEOUT_MS) });
    return { status: response.status, body: await response.text() };
  } catch {
    return undefined;
  }
}

/** The keeper's /health answers 200 (it processed a block and is not behind the head). */
export async function keeperHealthy(healthUrl: string): Promise<boolean> {
  return (await httpGet(healthUrl))?.status === 200;
}

/** The dApp's server answers its index.html. */
export async function appServesIndex(appUrl: string): Promise<boolean> {
  const answer = await httpGet(appUrl);
  return answer?.status === 200 && answer.body.includes('<div id="root">');
}
