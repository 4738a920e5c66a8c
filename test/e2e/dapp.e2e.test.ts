/**
 * The dApp end to end: its production build in headless Chromium (playwright-core on /usr/bin/chromium)
 * against a `hardhat node` with the protocol deployed as the devnet deploys it, through an injected
 * EIP-1193 test wallet announced over EIP-6963. The steps run in order on one page, like a user would:
 * wrong chain refused → connect, approve, deposit, commit a long that the keeper executes → the shown
 * liquidation price and margin equal the contract's views → a refused trade explains itself → an order the
 * keeper cancels says why → an expired order is cancelled → a failed transaction is decoded → LP
 * deposit and redeem → a price gap, the keeper liquidates, the UI shows the liquidation and its split →
 * 390px pass → no console errors. Screenshots go to test/e2e/screenshots/ (git-ignored).
 */
import { expect } from "chai";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { id, parseUnits } from "ethers";
import type { Page } from "playwright-core";
import { formatPrice, formatUsd } from "../../app/src/format/format";
import { executeCall, scheduleCall } from "../../sdk/governance/timelock";
import { DEVNET_ORDERS } from "../../deploy/config";
import { stopAllChildren } from "../support/processes";
import { ACCOUNT, startAppHarness, type AppHarness } from "./support/appHarness";
import { DESKTOP_VIEWPORT, PHONE_VIEWPORT } from "./support/browser";
import { standInKeeperExecutesOrder, standInKeeperLiquidates } from "./support/keeperStandIn";
import { installTestWallet, type TestWalletOptions } from "./support/testWallet";
import { waitForConfirmed, waitForText, waitUntil } from "./support/ui";

const SCREENSHOT_DIR = join(__dirname, "screenshots");
const WALLET_NAME = "E2E Test Wallet";
/** A chain the wallet starts on that is not the node's: Ethereum mainnet. */
const WRONG_CHAIN_ID = 1;
const PAUSE_WITHDRAWALS = 2;
const E2E_TIMEOUT_MS = 300_000;

describe("dApp end to end (Chromium)", function () {
  this.timeout(E2E_TIMEOUT_MS);
  let harness: AppHarness;
  let page: Page;
  let account: string;
  let ethMarketId: string;
  let adminCalls = 0;

  const screenshot = async (name: string) => {
    mkdirSync(SCREENSHOT_DIR, { recursive: true });
    await page.screenshot({ path: join(SCREENSHOT_DIR, `${name}.png`), fullPage: true });
  };
  const openTab = async (name: "Trade" | "Positions" | "Vault" | "Protocol") => {
    await page.getByRole("tab", { name }).click();
  };
  const button = (name: string) => page.getByRole("button", { name, exact: true });
  const setPrice = async (symbol: string, priceUsd: string) => {
    const market = harness.system.markets.find((m) => m.symbol === symbol)!;
    await (await market.feed.updateAnswer(parseUnits(priceUsd, market.feedDecimals))).wait();
  };
  /** An admin call through the timelock (delay 0 locally; the deployer may propose). */
  const asAdmin = async (data: string) => {
    const timelock = harness.system.timelock.connect(await harness.signer(ACCOUNT.deployer));
    // A fresh salt per call: the same pause/unpause may be scheduled more than once.
    const call = { target: await harness.system.engine.getAddress(), data, salt: id(`e2e-admin-${++adminCalls}`) };
    await scheduleCall(timelock, call);
    await executeCall(timelock, call);
  };

  before(async () => {
    harness = await startAppHarness();
    account = await (await harness.signer(ACCOUNT.trader)).getAddress();
    ethMarketId = harness.system.markets.find((m) => m.symbol === "ETH-USD")!.marketId;
    page = await harness.browser.newPage();
    await page.setViewportSize(DESKTOP_VIEWPORT);
    const wallet: TestWalletOptions = {
      rpcUrl: harness.node.url,
      account,
      nodeChainId: harness.system.addressBook.chainId,
      initialChainId: WRONG_CHAIN_ID,
      name: WALLET_NAME,
      rdns: "test.nbp-perps.e2e-wallet",
    };
    await page.addInitScript(installTestWallet, wallet);
    await page.goto(harness.appUrl);
  });

  after(async () => {
    await harness?.stop();
    await stopAllChildren();
  });

  it("refuses_a_wrong_chain_and_switches_to_the_deployment's", async () => {
    await button(`Connect ${WALLET_NAME}`).click();
    await waitForText(page.getByTestId("connected-account"), account.slice(0, 6));
    await waitForText(page.getByTestId("wrong-network"), "Wrong network");
    expect(await page.getByRole("button", { name: "Commit long ETH order" }).isDisabled()).to.equal(true);
    await screenshot("wrong-network");
    await page.getByTestId("wrong-network").getByRole("button", { name: "Switch network" }).click();
    await waitForText(page.getByTestId("wallet-chain"), `chain ${harness.system.addressBook.chainId}`);
    await waitUntil(
      "the wrong-network banner to go",
      async () => (await page.getByTestId("wrong-network").count()) === 0,
    );
  });

  it("deposits_with_an_exact_approval_and_commits_a_long_the_keeper_executes_into_a_position", async () => {
    await page.getByLabel("Deposit amount (USDC)").fill("10000");
    await waitForText(page.getByTestId("allowance-engine"), "0.00 USDC");
    await button("Approve 10,000.00 USDC").click();
    await waitForConfirmed(page, "approve-status-engine");
    await waitForText(page.getByTestId("allowance-engine"), "10,000.00 USDC");
    await button("Deposit").click();
    await waitForConfirmed(page, "deposit-status");
    await waitForText(page.getByTestId("free-balance"), "$10,000.00");

    await page.getByLabel("Size (ETH)").fill("2");
    await page.getByLabel("Margin to add (USD)").fill("1000");
    await waitForText(page.getByTestId("preview-fill"), /\$2,000\.\d\d/);
    await waitForText(page.getByTestId("preview-initial-margin"), "holds");
    await waitForText(page.getByTestId("preview-execution-fee"), "$0.50");
    await screenshot("trade");
    await button("Commit long ETH order").click();
    await waitForConfirmed(page, "trade-status");

    // A pending order with its countdown; once its delay has passed the keeper executes it.
    const pending = page.getByTestId("pending-order-ETH-USD");
    await waitForText(pending, /Buy 2\.0000 ETH, add \$1,000\.00 margin/);
    await waitUntil(
      "the order to become executable",
      async () => (await pending.getAttribute("data-status")) === "executable",
    );
    await standInKeeperExecutesOrder(harness.system.engine, await harness.signer(ACCOUNT.keeper), account, ethMarketId);
    await waitForText(page.getByTestId("order-outcome").first(), /executed at \$2,000\.\d\d/);

    await openTab("Positions");
    const card = page.getByTestId("position-ETH-USD");
    await waitForText(card.getByTestId("position-size"), "2.0000 ETH");
    expect(await card.getByTestId("position-adl").textContent()).to.match(/ADL|queue|of 5/);
    await screenshot("positions");
  });

  it("shows_the_liquidation_price_margin_and_equity_the_contract_views_return", async () => {
    const engine = harness.system.engine;
    const card = page.getByTestId("position-ETH-USD");
    // Equal at one block: wait until the page shows the block the views are read at.
    await waitUntil("the page to show the contract's values", async () => {
      const [liquidationPrice, position, [equityUsd]] = await Promise.all([
        engine.liquidationPrice(account, ethMarketId),
        engine.getPosition(account, ethMarketId),
        engine.positionEquity(account, ethMarketId),
      ]);
      const shown = await Promise.all(
        ["position-liquidation-price", "position-margin", "position-equity"].map((id) =>
          card.getByTestId(id).textContent(),
        ),
      );
      return (
        shown[0] === formatPrice(liquidationPrice) &&
        shown[1] === formatUsd(position.marginUsd) &&
        shown[2] === formatUsd(equityUsd)
      );
    });
    // The Trade screen with the position's entry and liquidation prices on the chart (the README's picture).
    await openTab("Trade");
    await waitUntil("the chart to mark the position", async () =>
      /liquidation/.test((await page.getByTestId("price-chart").getAttribute("aria-label")) ?? ""),
    );
    await screenshot("trade-position");
  });

  it("refuses_a_trade_the_sdk_predicts_will_revert_and_says_why", async () => {
    await openTab("Trade");
    await page.getByLabel("Size (ETH)").fill("100");
    await page.getByLabel("Margin to add (USD)").fill("100");
    const refusal = await waitForText(page.getByTestId("preview-refusal"), "Not enough margin");
    expect(refusal).to.match(/initial margin requires \$[\d,]+\.\d\d/);
    expect(await button("Commit long ETH order").isDisabled()).to.equal(true);
    await screenshot("refused-trade");
    await page.getByLabel("Size (ETH)").fill("");
    await page.getByLabel("Margin to add (USD)").fill("");
  });

  it("shows_why_the_keeper_cancelled_an_order_the_price_moved_away_from", async () => {
    await page.getByLabel("Size (ETH)").fill("1");
    await page.getByLabel("Margin to add (USD)").fill("500");
    await page.getByLabel("Slippage (%)").fill("0");
    await waitForText(page.getByTestId("preview-initial-margin"), "holds");
    await button("Commit long ETH order").click();
    await waitForConfirmed(page, "trade-status");
    await setPrice("ETH-USD", "2020");
    const pending = page.getByTestId("pending-order-ETH-USD");
    await waitUntil(
      "the order to become executable",
      async () => (await pending.getAttribute("data-status")) === "executable",
    );
    await standInKeeperExecutesOrder(harness.system.engine, await harness.signer(ACCOUNT.keeper), account, ethMarketId);
    const outcome = await waitForText(page.getByTestId("order-outcome").first(), "cancelled");
    expect(outcome).to.match(/The price moved: the fill would be \$2,020\.\d\d, beyond your limit of \$2,000\.\d\d/);
    expect(outcome).to.contain("$500.00 of margin returned");
    await page.getByLabel("Slippage (%)").fill("0.5");
  });

  it("cancels_an_expired_order", async () => {
    await page.getByLabel("Size (ETH)").fill("0.5");
    await page.getByLabel("Margin to add (USD)").fill("200");
    await waitForText(page.getByTestId("preview-initial-margin"), "holds");
    await button("Commit long ETH order").click();
    await waitForConfirmed(page, "trade-status");
    // Nobody executes it: let it expire (the devnet's orders live 5 minutes after their 5 s delay).
    const { orderExpirySeconds, executionDelaySeconds } = DEVNET_ORDERS;
    await harness.node.provider.send("evm_increaseTime", [Number(executionDelaySeconds + orderExpirySeconds) + 1]);
    await harness.node.provider.send("evm_mine", []);
    const pending = page.getByTestId("pending-order-ETH-USD");
    await waitUntil(
      "the order to read as expired",
      async () => (await pending.getAttribute("data-status")) === "cancellable",
    );
    await button("Cancel ETH-USD order").click();
    await waitForConfirmed(page, "cancel-order-status");
    await waitUntil("the pending order to go", async () => (await pending.count()) === 0);
    await waitForText(page.getByTestId("order-outcome").first(), /cancelled: The ETH-USD order expired/);
    await page.getByLabel("Size (ETH)").fill("");
    await page.getByLabel("Margin to add (USD)").fill("");
  });

  it("shows_a_failed_transaction_with_its_decoded_custom_error", async () => {
    const engine = harness.system.engine;
    await asAdmin(engine.interface.encodeFunctionData("pause", [PAUSE_WITHDRAWALS]));
    await waitForText(page.getByTestId("pause-banner"), "Withdrawals are paused");
    await page.getByLabel("Withdraw amount (USDC)").fill("100");
    await button("Withdraw").click();
    const failure = await waitForText(page.getByTestId("withdraw-status"), /failed/);
    expect(failure).to.contain("Withdrawals are paused by the guardian");
    await asAdmin(engine.interface.encodeFunctionData("unpause", [PAUSE_WITHDRAWALS]));
    await waitUntil("the pause banner to go", async () => (await page.getByTestId("pause-banner").count()) === 0);
    await page.getByLabel("Withdraw amount (USDC)").fill("");
  });

  it("deposits_into_the_vault_with_an_unlimited_approval_and_redeems", async () => {
    await openTab("Vault");
    await page.getByLabel("LP deposit (USDC)").fill("5000");
    await button("Approve unlimited").click();
    await waitForConfirmed(page, "approve-status-vault");
    await waitForText(page.getByTestId("allowance-vault"), "unlimited");
    await button("Deposit into vault").click();
    await waitForConfirmed(page, "lp-deposit-status");
    await waitForText(page.getByTestId("lp-worth"), /4,99\d\.\d\d USDC|5,00\d\.\d\d USDC/);
    const shares = await harness.system.vault.balanceOf(account);
    expect(shares > 0n).to.equal(true);
    await screenshot("vault");
    await button("Max").click();
    await button("Redeem shares").click();
    await waitForConfirmed(page, "lp-redeem-status");
    await waitForText(page.getByTestId("lp-shares"), /^0\.00 /);
    expect(await harness.system.vault.balanceOf(account)).to.equal(0n);
  });

  it("shows_the_keeper's_liquidation_of_the_position_and_its_waterfall_split", async () => {
    const engine = harness.system.engine;
    // A gap through the long's bankruptcy price (entry ≈ $2,000, margin ≈ $1,000 for 2 ETH: B ≈ $1,500).
    await setPrice("ETH-USD", "1400");
    const keeper = await harness.signer(ACCOUNT.keeper);
    await standInKeeperLiquidates(engine, keeper, account, ethMarketId);
    const [event] = await engine.queryFilter(engine.filters.Liquidated(account, ethMarketId));
    const deficit = event.args.deficitUsd;
    expect(deficit > 0n, "the gap must leave a deficit so the waterfall has parts").to.equal(true);
    expect(event.args.insurancePaidUsd > 0n && event.args.vaultPaidUsd > 0n, "insurance and vault both pay").to.equal(
      true,
    );

    await openTab("Positions");
    await waitForText(page.getByTestId("no-positions"), "No open positions");
    const row = page.getByTestId("my-liquidations").getByTestId("liquidation-row").first();
    await waitForText(row, formatUsd(deficit));
    const split = row.getByRole("list", { name: "Waterfall split" });
    await waitForText(split.locator('[data-payer="insurance"]'), formatUsd(event.args.insurancePaidUsd));
    await waitForText(split.locator('[data-payer="vault"]'), formatUsd(event.args.vaultPaidUsd));
    await waitForText(split.locator('[data-payer="adl"]'), formatUsd(event.args.adlPaidUsd));
    await waitForText(split.locator('[data-payer="socialized"]'), formatUsd(event.args.socializedUsd));

    await openTab("Protocol");
    await waitForText(page.getByTestId("liquidations").getByTestId("liquidation-row").first(), formatUsd(deficit));
    await waitForText(page.getByTestId("insurance-balance"), formatUsd(await engine.insuranceFund()));
    await screenshot("protocol");
  });

  it("works_at_390px_without_horizontal_scrolling", async () => {
    await page.setViewportSize(PHONE_VIEWPORT);
    for (const tab of ["Trade", "Positions", "Vault", "Protocol"] as const) {
      await openTab(tab);
      await page.waitForTimeout(300);
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      expect(overflow, `${tab} at ${PHONE_VIEWPORT.width}px scrolls sideways`).to.be.at.most(0);
      await screenshot(`phone-${tab.toLowerCase()}`);
    }
    await openTab("Trade");
    expect(await page.getByLabel("Market", { exact: true }).isVisible()).to.equal(true);
    expect(await page.getByLabel("Size (ETH)").isVisible()).to.equal(true);
    await page.setViewportSize(DESKTOP_VIEWPORT);
  });

  it("logged_no_console_errors", () => {
    expect(harness.browser.errors).to.deep.equal([]);
  });
});
