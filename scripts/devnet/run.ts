/**
 * The devnet's start sequence and its shutdown. Children (node, compile, dApp build and server, keeper) run
 * under the `Supervisor`; the deployment, the demo seeding and the price feeder run in this process.
 *
 *   ports free? ─┬─ hardhat node ──────────────┬─ deploy → fund wallets → seed → feeder → keeper ─┬─ summary
 *                └─ hardhat compile ─┬─────────┘                                                 │
 *                                    └─ dApp build (when stale) → dApp server ───────────────────┘
 *
 * Ctrl-C / SIGTERM stop everything and exit 0; a child exiting on its own, or a failed step, stops the rest and
 * exits 1 naming it.
 */
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { appBuildCommand, appServeCommand } from "../../app/server/appCommand";
import { rpcAnswers, rpcCall } from "../../sdk/chain/rpc";
import type { AddressBook } from "../../sdk/addressBook";
import type { RunningFeeder } from "../../sim/feeder/startFeeder";
import { assertNodeAccounts, devAccount, KEEPER_ACCOUNT_INDEX, WALLET_ACCOUNT_INDEXES } from "./accounts";
import { appBuildFreshness } from "./appBuild";
import { DevnetError, EXIT_FAILED, EXIT_STOPPED, oneLine } from "./errors";
import { assertPortsFree } from "./ports";
import { appServesIndex, keeperHealthy, waitUntil } from "./probes";
import { PROJECT_ROOT, reachableHost, rpcUrlOf, type DevnetSettings } from "./settings";
import { formatSummary, type StepTiming } from "./summary";
import { describeExit, Supervisor, type ChildCommand } from "./supervisor";

const HARDHAT_BIN = join(PROJECT_ROOT, "node_modules", ".bin", "hardhat");
const KEEPER_MAIN = join(PROJECT_ROOT, "keeper", "main.ts");
const TYPECHAIN_INDEX = join(PROJECT_ROOT, "typechain-types", "index.ts");
const NODE_READY_TIMEOUT_MS = 90_000;
const KEEPER_HEALTHY_TIMEOUT_MS = 90_000;
const APP_READY_TIMEOUT_MS = 60_000;
/** The feeder finishes its tick in flight when stopped; a dead node must not hold the shutdown. */
const FEEDER_STOP_TIMEOUT_MS = 5_000;
/** σ of one feeder tick: the feeder's own 15 bps per 3 s tick, scaled by √time to the devnet's 12.5 s tick. */
const FEEDER_VOLATILITY_BPS_PER_TICK = 30;
/** How long a failed step waits for a child's exit to be reported before naming itself as the cause. */
const CHILD_EXIT_GRACE_MS = 500;

function childCommand(command: string, args: string[], env: NodeJS.ProcessEnv = {}): ChildCommand {
  return { command, args, cwd: PROJECT_ROOT, env: { ...process.env, ...env } };
}

/** A TypeScript entry run with ts-node in transpile-only mode (type checks belong to `tsc`, not to the start). */
function tsEntry(entry: string, args: string[], env: NodeJS.ProcessEnv = {}): ChildCommand {
  return childCommand(process.execPath, ["-r", "ts-node/register/transpile-only", entry, ...args], env);
}

const WALLETS = WALLET_ACCOUNT_INDEXES.map(devAccount);
const KEEPER_ACCOUNT = devAccount(KEEPER_ACCOUNT_INDEX);

const secondsSince = (startMs: number) => (performance.now() - startMs) / 1_000;

export class Devnet {
  private readonly supervisor: Supervisor;
  private readonly rpcUrl: string;
  private readonly appUrl: string;
  private readonly keeperHealthUrl: string;
  private readonly workDir: string;
  private readonly timings: StepTiming[] = [];
  private feeder?: RunningFeeder;
  private stopping?: Promise<never>;

  constructor(private readonly settings: DevnetSettings) {
    this.rpcUrl = rpcUrlOf(settings);
    this.appUrl = `http://${reachableHost(settings.host)}:${settings.appPort}/`;
    this.keeperHealthUrl = `http://127.0.0.1:${settings.keeperPort}/health`;
    this.workDir = mkdtempSync(join(tmpdir(), "nbp-devnet-"));
    this.supervisor = new Supervisor(settings.logDir, (child, exit) => {
      const tail = this.supervisor.logTail(child);
      void this.stop(
        EXIT_FAILED,
        `devnet: ${child.name} ${describeExit(exit)} unexpectedly; stopping the rest (log: ${child.logPath})\n${tail}`,
      );
    });
  }

  /** Stops everything once and exits with `exitCode` (later calls wait for the first). */
  stop(exitCode: number, message: string): Promise<never> {
    if (this.stopping) return this.stopping;
    (exitCode === EXIT_STOPPED ? console.log : console.error)(message);
    this.stopping = (async () => {
      if (this.feeder) {
        await Promise.race([
          this.feeder.stop().catch(() => undefined),
          new Promise((resolve) => setTimeout(resolve, FEEDER_STOP_TIMEOUT_MS)),
        ]);
      }
      await this.supervisor.stopAll();
      rmSync(this.workDir, { recursive: true, force: true });
      if (exitCode === EXIT_STOPPED) console.log("devnet: stopped; every child process has exited");
      process.exit(exitCode);
    })();
    return this.stopping;
  }

  /** Stops the devnet with `error` as its one line (exit code 1, or the error's own code). */
  async fail(error: unknown): Promise<never> {
    // A step usually fails because a child it talks to has just died: let that exit be reported first.
    await new Promise((resolve) => setTimeout(resolve, CHILD_EXIT_GRACE_MS));
    const exitCode = error instanceof DevnetError ? error.exitCode : EXIT_FAILED;
    const message = error instanceof DevnetError ? error.message : oneLine(error);
    return this.stop(exitCode, `devnet: ${message}`);
  }

  /** A step running beside others: its failure stops the devnet at once, not when it is awaited. */
  private failFast<T>(running: Promise<T>): Promise<T> {
    running.catch((error: unknown) => void this.fail(error));
    return running;
  }

  /** Times one step of the start; a failure becomes a `DevnetError` naming the step. */
  private async step<T>(name: string, action: () => Promise<T>): Promise<T> {
    const startMs = performance.now();
    try {
      const result = await action();
      this.timings.push({ step: name, seconds: secondsSince(startMs) });
      console.log(`devnet: ${name} done (${secondsSince(startMs).toFixed(1)} s)`);
      return result;
    } catch (error) {
      if (error instanceof DevnetError) throw error;
      throw new DevnetError(`${name} failed: ${oneLine(error)}`, EXIT_FAILED, { cause: error });
    }
  }

  async start(): Promise<void> {
    await this.assertPortsFree();
    const wasCompiled = existsSync(TYPECHAIN_INDEX);
    const appBuilt = await this.startNodeAndCompile();
    await this.prepareNode();
    // Loaded only now: these modules import the TypeChain bindings `hardhat compile` has just generated.
    const protocol = await import("./protocol");
    const { book, seeded } = await this.deployAndSeed(protocol);
    const feeder = await this.startFeeder(book);
    const keeperReady = this.failFast(this.startKeeper());
    const buildWasFresh = await appBuilt;
    await this.serveApp();
    const appReadySeconds = performance.now() / 1_000;
    await keeperReady;

    const s = this.settings;
    const chainId = Number(BigInt(await rpcCall<string>(this.rpcUrl, "eth_chainId")));
    console.log(
      formatSummary({
        rpcUrl: this.rpcUrl,
        chainId,
        appUrl: this.appUrl,
        keeperHealthUrl: this.keeperHealthUrl,
        keeperMetricsUrl: `http://127.0.0.1:${s.keeperPort}/metrics`,
        keeper: KEEPER_ACCOUNT,
        feederControlUrl: `http://127.0.0.1:${s.feederPort}/command`,
        feederPrices: feeder.feeder.status(),
        feederIntervalMs: s.feederIntervalMs,
        addressBookPath: s.addressBookPath,
        contracts: {
          engine: book.engine,
          vault: book.vault,
          usdc: book.collateral.address,
          usdcDecimals: book.collateral.decimals,
        },
        demo: {
          lps: seeded.lps.length,
          tradersOpen: seeded.traders.filter((t) => t.opened).length,
          traders: seeded.traders.length,
          insuranceFundUsd: seeded.insuranceFundUsd,
        },
        wallets: WALLETS,
        walletUsdcGrant: protocol.WALLET_USDC_GRANT,
        logFiles: this.supervisor.list().map((child) => child.logPath),
        projectRoot: PROJECT_ROOT,
        appReadySeconds,
        warm: wasCompiled && buildWasFresh,
        timings: this.timings,
      }),
    );
  }

  private assertPortsFree(): Promise<void> {
    const s = this.settings;
    return assertPortsFree([
      { what: "the RPC (hardhat node)", envName: "DEVNET_PORT", host: s.host, port: s.rpcPort },
      { what: "the dApp", envName: "DEVNET_APP_PORT", host: s.host, port: s.appPort },
      { what: "the keeper's /health", envName: "DEVNET_KEEPER_PORT", host: "127.0.0.1", port: s.keeperPort },
      { what: "the feeder's control", envName: "DEVNET_FEEDER_PORT", host: "127.0.0.1", port: s.feederPort },
    ]);
  }

  /**
   * Starts the node and compiles beside it; once compiled, the dApp build (when stale) starts too. Resolves
   * when the node answers and the contracts are compiled, with the dApp build still running.
   */
  private async startNodeAndCompile(): Promise<Promise<boolean>> {
    const s = this.settings;
    console.log(`devnet: starting hardhat node at ${this.rpcUrl} and compiling the contracts …`);
    this.supervisor.start(
      "node",
      childCommand(HARDHAT_BIN, ["node", "--hostname", s.host, "--port", String(s.rpcPort)]),
    );
    const nodeReady = this.failFast(
      this.step("node", () =>
        waitUntil(`hardhat node at ${this.rpcUrl}`, () => rpcAnswers(this.rpcUrl), NODE_READY_TIMEOUT_MS),
      ),
    );
    await this.step("compile", () => this.supervisor.run("compile", childCommand(HARDHAT_BIN, ["compile"])));
    const appBuilt = this.failFast(this.buildApp());
    await nodeReady;
    return appBuilt;
  }

  /** Interval mining beside automine, and the node's accounts are the ones whose keys the devnet hands out. */
  private async prepareNode(): Promise<void> {
    if (this.settings.blockIntervalMs > 0) {
      // Automine stays on (a block per transaction); the empty blocks let a due delayed order be executed
      // within a second instead of waiting for the next transaction.
      await rpcCall(this.rpcUrl, "evm_setIntervalMining", [this.settings.blockIntervalMs]);
    }
    await assertNodeAccounts(this.rpcUrl, [...WALLETS, KEEPER_ACCOUNT]);
  }

  private async deployAndSeed(protocol: typeof import("./protocol")) {
    const s = this.settings;
    const book = await this.step("deploy", async () => {
      const deployed = await protocol.deployProtocol(this.rpcUrl, s.addressBookPath);
      await protocol.fundWallets(this.rpcUrl, deployed, WALLETS);
      return deployed;
    });
    const intervalFloorMs = await protocol.feederIntervalFloorMs(this.rpcUrl, book);
    if (s.feederIntervalMs < intervalFloorMs) {
      console.warn(
        `devnet: warning: DEVNET_FEEDER_INTERVAL_MS=${s.feederIntervalMs} posts more feed rounds per volatility ` +
          `cooldown than the oracle adapters read back; markets will read as volatile (opening paused) ` +
          `after a few updates. ${intervalFloorMs} ms or more avoids it.`,
      );
    }
    const seeded = await this.step("seed", () => protocol.seedDemoState(this.rpcUrl, book, s.traders, s.seed));
    return { book, seeded };
  }

  private async startFeeder(book: AddressBook): Promise<RunningFeeder> {
    const { startFeeder } = await import("../../sim/feeder/startFeeder");
    const s = this.settings;
    this.feeder = await this.step("feeder", () =>
      startFeeder({
        rpcUrl: this.rpcUrl,
        book,
        seed: s.seed,
        intervalMs: s.feederIntervalMs,
        volatilityBpsPerTick: FEEDER_VOLATILITY_BPS_PER_TICK,
        controlPort: s.feederPort,
        stdin: true,
        shocksAtStart: s.shocksAtStart,
        log: (line) => console.log(`[feeder] ${line}`),
      }),
    );
    return this.feeder;
  }

  /** Starts the keeper child; resolves once its /health says ok. */
  private startKeeper(): Promise<void> {
    const s = this.settings;
    this.supervisor.start(
      "keeper",
      tsEntry(
        KEEPER_MAIN,
        [
          ...["--rpc-url", this.rpcUrl, "--address-book", s.addressBookPath],
          // A fresh chain each start: the checkpoint lives and dies with this run.
          ...["--metrics-port", String(s.keeperPort), "--checkpoint", join(this.workDir, "keeper.checkpoint.json")],
        ],
        { KEEPER_PRIVATE_KEY: KEEPER_ACCOUNT.privateKey },
      ),
    );
    return this.step("keeper", () =>
      waitUntil(
        `the keeper's ${this.keeperHealthUrl}`,
        () => keeperHealthy(this.keeperHealthUrl),
        KEEPER_HEALTHY_TIMEOUT_MS,
      ),
    );
  }

  /** Starts the dApp server child; resolves once it serves index.html. */
  private async serveApp(): Promise<void> {
    const s = this.settings;
    this.supervisor.start(
      "app",
      appServeCommand({
        port: s.appPort,
        host: s.host,
        rpcUrl: this.rpcUrl,
        addressBookPath: s.addressBookPath,
        distDir: s.appDistDir,
      }),
    );
    await this.step("app", () =>
      waitUntil(`the dApp at ${this.appUrl}`, () => appServesIndex(this.appUrl), APP_READY_TIMEOUT_MS),
    );
  }

  /** Builds the dApp when its build is missing or stale; resolves true when the existing build was kept. */
  private async buildApp(): Promise<boolean> {
    const freshness = appBuildFreshness(PROJECT_ROOT, this.settings.appDistDir);
    if (freshness.upToDate && !this.settings.rebuildApp) return true;
    console.log(`devnet: building the dApp (${freshness.reason ?? "DEVNET_REBUILD_APP"}) …`);
    await this.step("app build", () => this.supervisor.run("app-build", appBuildCommand(this.settings.appDistDir)));
    return false;
  }
}
