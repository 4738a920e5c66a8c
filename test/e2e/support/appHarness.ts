/**
 * Everything an end-to-end run of the dApp needs, started once and stopped in `after` even on failure: a
 * `hardhat node` with the protocol deployed as the devnet deploys it (delayed orders on), the production build of the app
 * served against it on a free port, and Chromium.
 */
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseUnits, type JsonRpcSigner } from "ethers";
import { appBuildCommand, appServeCommand } from "../../../app/server/appCommand";
import { DEVNET_CONFIG } from "../../../deploy/config";
import type { DeployedSystem } from "../../../deploy/deploySystem";
import { deployToNode, startLocalNode, type LocalNode } from "../../support/localChain";
import { freePort, startChild, waitFor, type ManagedChild } from "../../support/processes";
import { launchChromium, type TestBrowser } from "./browser";

const BUILD_TIMEOUT_MS = 120_000;
const SERVER_READY_TIMEOUT_MS = 60_000;
/** The page polls the node this often in tests (blocks arrive per transaction). */
const E2E_POLL_INTERVAL_MS = 250;
/** Well-known node accounts by role. */
export const ACCOUNT = { deployer: 0, lp: 1, trader: 2, keeper: 3, otherTrader: 4 } as const;
/** Liquidity seeded into the vault so traders have a counterparty. */
const VAULT_SEED_USD = "1000000";
/** Donated to the insurance fund so a bankrupt liquidation's waterfall shows more than one payer. */
const INSURANCE_DONATION_USD = "150";
/** Collateral minted to the wallet's account and the other trader. */
const TRADER_FUNDS_USD = "100000";

export interface AppHarness {
  node: LocalNode;
  system: DeployedSystem;
  appUrl: string;
  browser: TestBrowser;
  signer(index: number): Promise<JsonRpcSigner>;
  /** Collateral amount in token units. */
  tokens(usd: string): bigint;
  stop(): Promise<void>;
}

async function runToCompletion(child: ManagedChild, timeoutMs: number): Promise<void> {
  const timer = setTimeout(() => void child.stop(), timeoutMs);
  const code = await child.exited;
  clearTimeout(timer);
  if (code !== 0) throw new Error(`${child.name} exited with ${code}:\n${child.output().slice(-3_000)}`);
}

export async function startAppHarness(): Promise<AppHarness> {
  const workDir = mkdtempSync(join(tmpdir(), "nbp-e2e-app-"));
  const started: { stop(): Promise<void> }[] = [];
  const stopAll = async () => {
    for (const item of started.reverse()) await item.stop().catch(() => undefined);
    rmSync(workDir, { recursive: true, force: true });
  };
  try {
    // The build does not depend on the chain: start it while the node boots.
    const distDir = join(workDir, "dist");
    const build = appBuildCommand(distDir);
    const builder = startChild("app-build", build.command, build.args, { cwd: build.cwd, env: build.env });
    started.push(builder);
    const node = await startLocalNode();
    started.push(node);
    // The devnet's own configuration: delayed orders on, as `npm start` deploys it.
    const system = await deployToNode(node, DEVNET_CONFIG);
    const tokens = (usd: string) => parseUnits(usd, system.collateralDecimals);
    await seed(node, system, tokens);
    await runToCompletion(builder, BUILD_TIMEOUT_MS);

    const bookPath = join(workDir, "deployments", `${system.addressBook.network}.json`);
    mkdirSync(join(workDir, "deployments"), { recursive: true });
    writeFileSync(bookPath, JSON.stringify(system.addressBook, null, 2));
    const port = await freePort();
    const serve = appServeCommand({
      port,
      rpcUrl: node.url,
      addressBookPath: bookPath,
      distDir,
      pollIntervalMs: E2E_POLL_INTERVAL_MS,
    });
    const server = startChild("app-server", serve.command, serve.args, { cwd: serve.cwd, env: serve.env });
    started.push(server);
    const appUrl = `http://127.0.0.1:${port}/`;
    await waitFor(
      `the app server at ${appUrl}`,
      async () => {
        if (server.process.exitCode !== null) throw new Error(`the app server exited (${server.process.exitCode})`);
        return (await fetch(appUrl + "app-config.json").catch(() => null))?.ok === true;
      },
      SERVER_READY_TIMEOUT_MS,
    ).catch((error: Error) => {
      throw new Error(`${error.message}\n${server.output().slice(-2_000)}`);
    });

    const browser = await launchChromium();
    started.push({ stop: () => browser.close() });
    return { node, system, appUrl, browser, signer: (i) => node.signer(i), tokens, stop: stopAll };
  } catch (error) {
    await stopAll();
    throw error;
  }
}

/** LP liquidity in the vault, a small insurance fund, collateral for the traders. */
async function seed(node: LocalNode, system: DeployedSystem, tokens: (usd: string) => bigint): Promise<void> {
  const lp = await node.signer(ACCOUNT.lp);
  const collateral = system.collateral;
  const vaultAddress = await system.vault.getAddress();
  const donation = tokens(INSURANCE_DONATION_USD);
  await (await collateral.connect(lp).mint(await lp.getAddress(), tokens(VAULT_SEED_USD) + donation)).wait();
  await (await collateral.connect(lp).approve(await system.engine.getAddress(), donation)).wait();
  await (await system.engine.connect(lp).donateToInsurance(donation)).wait();
  await (await collateral.connect(lp).approve(vaultAddress, tokens(VAULT_SEED_USD))).wait();
  await (await system.vault.connect(lp).deposit(tokens(VAULT_SEED_USD), await lp.getAddress())).wait();
  for (const index of [ACCOUNT.trader, ACCOUNT.otherTrader]) {
    const trader = await node.signer(index);
    await (await collateral.connect(trader).mint(await trader.getAddress(), tokens(TRADER_FUNDS_USD))).wait();
  }
}
