/**
 * `npm start`'s entry (scripts/devnet.ts) as a real child process on free ports: the summary appears, the RPC
 * answers, the dApp serves its index.html, the keeper's /health is ok and executes a wallet's delayed order, and
 * the feeder moves prices; Ctrl-C
 * (SIGINT) stops every child and frees every port. A port in use is one line and exit code 2; a child that
 * dies stops the rest and the devnet exits 1 naming it.
 */
import { expect } from "chai";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { JsonRpcProvider, parseUnits } from "ethers";
import { rpcCall } from "../../sdk/chain/rpc";
import type { AddressBook } from "../../sdk/addressBook";
import { MockERC20__factory, PerpEngine__factory } from "../../typechain-types";
import { devAccount } from "../../scripts/devnet/accounts";
import { WALLET_USDC_GRANT } from "../../scripts/devnet/protocol";
import { DEVNET_READY_MARKER } from "../../scripts/devnet/summary";
import { EXIT_CONFIG, EXIT_FAILED, EXIT_STOPPED } from "../../scripts/devnet/errors";
import { PROJECT_ROOT } from "../support/localChain";
import { freePort, startChild, stopAllChildren, waitFor, type ManagedChild } from "../support/processes";
import { commandLine, descendantPids, isAlive } from "./processTree";

const DEVNET_ENTRY = join(PROJECT_ROOT, "scripts", "devnet.ts");
const LOCAL_CHAIN_ID = 31337;
/** Cold (contracts and dApp unbuilt) the start takes about a minute on a loaded 2-core machine. */
const READY_TIMEOUT_MS = 150_000;
const STOP_TIMEOUT_MS = 30_000;
/** Fewer demo traders than the default keep the test lean. */
const TEST_TRADERS = "6";
/** The devnet's default feeder interval (12.5 s) plus room for a loaded machine. */
const FEEDER_MOVE_TIMEOUT_MS = 30_000;
/** The wallet user's order: 1 ETH long with $400 of margin (5x at $2,000) from a $1,000 deposit. */
const TEST_DEPOSIT_USDC = "1000";
const TEST_ORDER_SIZE = parseUnits("1", 18);
const TEST_ORDER_MARGIN_USD = parseUnits("400", 18);
const TEST_ACCEPTABLE_PRICE_USD = "3000";
/** The devnet's delay is 5 s; the keeper then acts on the next block (the node mines one every second). */
const ORDER_EXECUTION_TIMEOUT_MS = 30_000;

interface DevnetPorts {
  rpc: number;
  app: number;
  keeper: number;
  feeder: number;
}

async function freePorts(): Promise<DevnetPorts> {
  return { rpc: await freePort(), app: await freePort(), keeper: await freePort(), feeder: await freePort() };
}

/** The devnet the current test started (for the cleanup in `afterEach`). */
let running: ManagedChild | undefined;

function startDevnet(ports: DevnetPorts, workDir: string): ManagedChild {
  running = startChild("devnet", process.execPath, ["-r", "ts-node/register/transpile-only", DEVNET_ENTRY], {
    cwd: PROJECT_ROOT,
    env: {
      ...process.env,
      DEVNET_HOST: "127.0.0.1",
      DEVNET_PORT: String(ports.rpc),
      DEVNET_APP_PORT: String(ports.app),
      DEVNET_KEEPER_PORT: String(ports.keeper),
      DEVNET_FEEDER_PORT: String(ports.feeder),
      DEVNET_ADDRESS_BOOK: join(workDir, "localhost.json"),
      DEVNET_LOG_DIR: join(workDir, "logs"),
      DEVNET_TRADERS: TEST_TRADERS,
    },
  });
  return running;
}

/** Binding the port succeeds: nothing listens there any more. */
async function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once("error", () => resolve(false));
    server.listen({ host: "127.0.0.1", port, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/** Snapshot of the devnet's descendants (pid + command line, so a reused pid is not mistaken for a leftover). */
function snapshotDescendants(rootPid: number): { pid: number; command: string }[] {
  return descendantPids(rootPid).map((pid) => ({ pid, command: commandLine(pid) }));
}

function leftoverProcesses(snapshot: { pid: number; command: string }[]): { pid: number; command: string }[] {
  return snapshot.filter((p) => isAlive(p.pid) && commandLine(p.pid) === p.command);
}

function leftovers(snapshot: { pid: number; command: string }[]): string[] {
  return leftoverProcesses(snapshot).map((p) => `${p.pid} ${p.command}`);
}

async function exitWithin(child: ManagedChild, timeoutMs: number): Promise<number | null> {
  const timeout = new Promise<"timeout">((resolve) => setTimeout(() => resolve("timeout"), timeoutMs).unref());
  const result = await Promise.race([child.exited, timeout]);
  if (result === "timeout") throw new Error(`the devnet did not exit within ${timeoutMs} ms:\n${child.output()}`);
  return result;
}

describe("devnet: npm start", function () {
  this.timeout(READY_TIMEOUT_MS + 2 * STOP_TIMEOUT_MS);
  let workDir: string;

  beforeEach(() => {
    workDir = mkdtempSync(join(tmpdir(), "nbp-devnet-test-"));
  });

  afterEach(async () => {
    // If a test failed with the devnet still running, SIGTERM lets it stop its children; should it hang, the
    // groups of whatever it had started are killed here, since they are not in the devnet's own group.
    const spawned = running ? snapshotDescendants(running.process.pid!) : [];
    await stopAllChildren();
    for (const leftover of leftoverProcesses(spawned)) {
      try {
        process.kill(-leftover.pid, "SIGKILL");
      } catch {
        /* not a group leader, or already gone */
      }
    }
    running = undefined;
    rmSync(workDir, { recursive: true, force: true });
  });

  it("refuses_a_port_in_use_with_one_line_and_exit_code_2", async () => {
    const ports = await freePorts();
    const holder: Server = createServer();
    await new Promise<void>((resolve) => holder.listen(ports.rpc, "127.0.0.1", resolve));
    try {
      const devnet = startDevnet(ports, workDir);
      expect(await exitWithin(devnet, STOP_TIMEOUT_MS)).to.equal(EXIT_CONFIG);
      const lines = devnet
        .output()
        .split("\n")
        .filter((line) => line.trim() !== "");
      expect(lines, devnet.output()).to.have.length(1);
      expect(lines[0]).to.match(new RegExp(`port ${ports.rpc} on 127\\.0\\.0\\.1 .* is already in use.*DEVNET_PORT`));
    } finally {
      await new Promise((resolve) => holder.close(resolve));
    }
  });

  it("starts_everything_prints_the_summary_and_stops_every_child_on_SIGINT", async () => {
    const ports = await freePorts();
    const devnet = startDevnet(ports, workDir);
    await waitFor(
      "the devnet's summary",
      async () => {
        if (devnet.process.exitCode !== null) throw new Error(`the devnet exited early:\n${devnet.output()}`);
        return devnet.output().includes(DEVNET_READY_MARKER);
      },
      READY_TIMEOUT_MS,
    );
    const output = devnet.output();
    const rpcUrl = `http://127.0.0.1:${ports.rpc}`;
    expect(output).to.include(`RPC          ${rpcUrl}   chain id ${LOCAL_CHAIN_ID}`);
    expect(output).to.match(/app ready \d+\.\d s after start/);
    expect(output).to.match(/#1 {2}0x70997970C51812dc3A010C7d01b50e0d17dc79C8 {2}0x[0-9a-f]{64}/);

    expect(Number(BigInt(await rpcCall<string>(rpcUrl, "eth_chainId")))).to.equal(LOCAL_CHAIN_ID);
    const page = await fetch(`http://127.0.0.1:${ports.app}/`);
    expect(page.status).to.equal(200);
    expect(await page.text()).to.include('<div id="root">');
    const health = await fetch(`http://127.0.0.1:${ports.keeper}/health`);
    expect(health.status).to.equal(200);
    expect(((await health.json()) as { healthy: boolean }).healthy).to.equal(true);

    const book = JSON.parse(readFileSync(join(workDir, "localhost.json"), "utf8")) as AddressBook;
    const usdc = MockERC20__factory.createInterface();
    const balance = await rpcCall<string>(rpcUrl, "eth_call", [
      { to: book.collateral.address, data: usdc.encodeFunctionData("balanceOf", [devAccount(1).address]) },
      "latest",
    ]);
    expect(BigInt(balance)).to.equal(parseUnits(WALLET_USDC_GRANT, book.collateral.decimals));

    // A wallet user's delayed order: the devnet's keeper executes it once the 5 s delay has passed.
    const provider = new JsonRpcProvider(rpcUrl, undefined, { staticNetwork: true, pollingInterval: 100 });
    try {
      const trader = await provider.getSigner(devAccount(1).address);
      const engine = PerpEngine__factory.connect(book.engine, trader);
      const deposit = parseUnits(TEST_DEPOSIT_USDC, book.collateral.decimals);
      await (await MockERC20__factory.connect(book.collateral.address, trader).approve(book.engine, deposit)).wait();
      await (await engine.deposit(deposit)).wait();
      const ethUsd = book.markets.find((m) => m.symbol === "ETH-USD")!.marketId;
      const acceptablePrice = parseUnits(TEST_ACCEPTABLE_PRICE_USD, 18); // far above the feeder's walk around $2,000
      await (await engine.commitOrder(ethUsd, TEST_ORDER_SIZE, TEST_ORDER_MARGIN_USD, acceptablePrice)).wait();
      await waitFor(
        "the keeper to execute the wallet's order",
        async () => (await engine.getPosition(trader.address, ethUsd)).size === TEST_ORDER_SIZE,
        ORDER_EXECUTION_TIMEOUT_MS,
      );
    } finally {
      provider.destroy();
    }

    const feederStatus = async () =>
      JSON.stringify(await (await fetch(`http://127.0.0.1:${ports.feeder}/status`)).json());
    const pricesBefore = await feederStatus();
    await waitFor(
      "the feeder to move a price",
      async () => (await feederStatus()) !== pricesBefore,
      FEEDER_MOVE_TIMEOUT_MS,
    );

    const children = snapshotDescendants(devnet.process.pid!);
    const names = children.map((c) => c.command).join("\n");
    expect(names).to.include("hardhat node");
    expect(names).to.include("keeper/main.ts");
    expect(names).to.include("app/server/cli.ts serve");

    process.kill(devnet.process.pid!, "SIGINT");
    expect(await exitWithin(devnet, STOP_TIMEOUT_MS), devnet.output()).to.equal(EXIT_STOPPED);
    expect(devnet.output()).to.include("devnet: stopped");
    expect(leftovers(children)).to.deep.equal([]);
    for (const port of Object.values(ports)) expect(await portIsFree(port), `port ${port}`).to.equal(true);
  });

  it("stops_the_rest_and_exits_1_naming_the_child_that_died", async () => {
    const ports = await freePorts();
    const devnet = startDevnet(ports, workDir);
    let nodePid: number | undefined;
    await waitFor(
      "the devnet's hardhat node",
      async () => {
        if (devnet.process.exitCode !== null) throw new Error(`the devnet exited early:\n${devnet.output()}`);
        nodePid = descendantPids(devnet.process.pid!).find((pid) => commandLine(pid).includes("hardhat node"));
        return nodePid !== undefined && devnet.output().includes("devnet: node done");
      },
      READY_TIMEOUT_MS,
    );
    const children = snapshotDescendants(devnet.process.pid!);
    process.kill(-nodePid!, "SIGKILL");
    expect(await exitWithin(devnet, STOP_TIMEOUT_MS), devnet.output()).to.equal(EXIT_FAILED);
    expect(devnet.output()).to.match(/devnet: node was killed by SIGKILL unexpectedly; stopping the rest/);
    expect(leftovers(children)).to.deep.equal([]);
    for (const port of Object.values(ports)) expect(await portIsFree(port), `port ${port}`).to.equal(true);
  });
});
