/**
 * Checks, before anything starts, that every port the devnet will listen on is free, so a second `npm start`
 * or a forgotten node gives one clear line instead of a child's stack trace half-way through the start.
 */
import { createServer } from "node:net";
import { DevnetConfigError } from "./errors";

export interface PortClaim {
  /** What will listen there, for the message ("the RPC (hardhat node)"). */
  what: string;
  /** The environment variable that moves it. */
  envName: string;
  host: string;
  port: number;
}

/** Resolves with the listen error's code (e.g. "EADDRINUSE"), or undefined when `host:port` can be bound. */
function tryListen(host: string, port: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once("error", (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
    server.listen({ host, port, exclusive: true }, () => server.close(() => resolve(undefined)));
  });
}

/** Throws `DevnetConfigError` naming the first port that cannot be bound. */
export async function assertPortsFree(claims: readonly PortClaim[]): Promise<void> {
  for (const claim of claims) {
    const code = await tryListen(claim.host, claim.port);
    if (code === undefined) continue;
    const reason = code === "EADDRINUSE" ? "is already in use" : `cannot be used (${code})`;
    throw new DevnetConfigError(
      `port ${claim.port} on ${claim.host} for ${claim.what} ${reason}: stop what holds it (ss -ltnp | grep :${claim.port}) or set ${claim.envName}`,
    );
  }
}
