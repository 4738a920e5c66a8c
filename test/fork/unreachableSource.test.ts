/**
 * A fork source that does not answer fails within seconds with a message naming it, not a hang (issue 15); so
 * does one that answers as the wrong network, and nothing the attempt started is left running.
 */
import { expect } from "chai";
import { execFileSync } from "node:child_process";
import { createServer, type Server, type Socket } from "node:net";
import { join } from "node:path";
import { MAINNET } from "../../deploy/networks/mainnet";
import { main as simulate } from "../../sim/cli/simulate";
import { startAnvil, type AnvilProcess } from "../../sim/fork/anvilProcess";
import { ForkError, ForkSourceError } from "../../sim/fork/forkErrors";
import { ForkSession } from "../../sim/fork/forkSession";
import { SOURCE_PROBE_TIMEOUT_MS } from "../../sim/fork/forkSource";
import { freePort } from "../support/processes";

const FIXTURE = join(__dirname, "fixtures", "fork-smoke.yaml");
/** "Within seconds": the probe's timeout plus room for a loaded machine. */
const FAIL_WITHIN_MS = SOURCE_PROBE_TIMEOUT_MS + 3_000;

/** Command lines of running processes that fork `url` (none may be left behind). */
function forksOf(url: string): string[] {
  const lines = execFileSync("ps", ["-eo", "args"], { encoding: "utf8" }).split("\n");
  return lines.filter((line) => line.includes("--fork-url") && line.includes(url));
}

async function elapsedRejection(attempt: () => Promise<unknown>): Promise<{ error: Error; ms: number }> {
  const started = Date.now();
  try {
    await attempt();
  } catch (error) {
    return { error: error as Error, ms: Date.now() - started };
  }
  throw new Error("expected the attempt to fail");
}

describe("fork: a source that does not answer, or is not the network", function () {
  this.timeout(120_000);
  let silent: Server | undefined;
  const sockets: Socket[] = [];
  let wrongNetwork: AnvilProcess | undefined;

  after(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise<void>((resolve) => (silent ? silent.close(() => resolve()) : resolve()));
    await wrongNetwork?.stop();
  });

  it("a source that accepts connections but never answers fails after the probe's timeout", async () => {
    silent = createServer((socket) => sockets.push(socket)); // holds every request open, answers nothing
    const port = await freePort();
    await new Promise<void>((resolve) => silent!.listen(port, "127.0.0.1", resolve));
    const url = `http://127.0.0.1:${port}/v2/secret-api-key`;
    const { error, ms } = await elapsedRejection(() => ForkSession.open({ source: url, network: MAINNET }));
    expect(error).to.be.instanceOf(ForkSourceError);
    expect(error.message).to.contain(`the fork source 127.0.0.1:${port} did not answer eth_chainId within`);
    expect(error.message, "the URL's path may hold an API key").to.not.contain("secret-api-key");
    expect(ms).to.be.lessThan(FAIL_WITHIN_MS);
    expect(forksOf(`127.0.0.1:${port}`)).to.deep.equal([]);
  });

  it("a port nobody listens on fails at once, through the command line as well", async () => {
    const url = `http://127.0.0.1:${await freePort()}`;
    const { error, ms } = await elapsedRejection(() =>
      simulate(["node", "simulate", "--scenario", FIXTURE, "--fork", url, "--chain", "mainnet", "--no-html"]),
    );
    expect(error).to.be.instanceOf(ForkSourceError);
    expect(error.message).to.match(/did not answer eth_chainId within \d+ ms/);
    expect(ms).to.be.lessThan(FAIL_WITHIN_MS);
  });

  it("a source that answers as another chain is refused with the chain ids, and its fork is stopped", async () => {
    wrongNetwork = await startAnvil(["--chain-id", "31337", "--silent"], "a chain that is not mainnet", 30_000);
    const { error } = await elapsedRejection(() => ForkSession.open({ source: wrongNetwork!.url, network: MAINNET }));
    expect(error).to.be.instanceOf(ForkError);
    expect(error.message).to.contain("the chain has id 31337, but mainnet is 1 (its offline stand-in 9000001)");
    expect(forksOf(wrongNetwork.url)).to.deep.equal([]);
  });

  it("rejects fork options that do not fit together before touching any chain", async () => {
    const run = (...args: string[]) => simulate(["node", "simulate", "--scenario", FIXTURE, ...args]);
    await expect(run("--fork", "http://127.0.0.1:1")).to.be.rejectedWith(ForkError, /--fork needs --chain/);
    await expect(run("--fork", "http://127.0.0.1:1", "--chain", "base")).to.be.rejectedWith(
      ForkError,
      /unknown network "base"/,
    );
    await expect(run("--block", "5")).to.be.rejectedWith(ForkError, /need --fork/);
    await expect(
      run("--fork", "http://127.0.0.1:1", "--chain", "mainnet", "--sequencer-outage", "2:3"),
    ).to.be.rejectedWith(ForkError, /no sequencer-uptime feed/);
    await expect(run("--fork", "ws://127.0.0.1:1", "--chain", "mainnet")).to.be.rejectedWith(ForkError, /http\(s\)/);
  });
});
