import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";

import { deployLocalSystem, ETH, usd, size, ANY_BUY_PRICE, ANY_SELL_PRICE } from "../helpers/fixtures";
import { anyValue } from "@nomicfoundation/hardhat-chai-matchers/withArgs";
import { pinNextTimestamp, positionModifiedEvents, txTimestamp } from "../helpers/engineHelpers";
import { ADMIN_ROLE, HOUR, Switch, impersonate, withTraders } from "./governanceHelpers";

// The emergency switches of contracts/PerpEngine.sol (DESIGN §11): `pause` (guardian or admin), `unpause`
// (admin only), what each switch blocks and what it must leave open, the liquidation grace period after
// unpausing liquidations (`_checkLiquidationsLive`), withdrawals on both the engine and the ERC-4626 vault
// (contracts/LiquidityVault.sol `maxWithdraw`/`maxRedeem`), and the guardian's reduce-only lever.
// The local system keeps the deployer as admin; the guardian is the deployed Safe, impersonated here (the
// real 2-of-3 signing flow is exercised in timelockAndSafe.test.ts).

async function deployPausable() {
  const s = await withTraders(await deployLocalSystem(), 6);
  return { ...s, guardian: await impersonate(s.guardian) };
}

type System = Awaited<ReturnType<typeof deployPausable>>;

/**
 * Opens three ETH longs at 20x (10 ETH, $1,030 margin each, entry ≈ $2,000) and two smaller positions, then
 * moves the price to $1,920: the 20x longs are liquidatable but not bankrupt, the others stay healthy.
 */
async function withUnhealthyLongs(s: System) {
  const [a, b, c, d, e] = s.traders;
  await s.trade(c, "10", "1030");
  await s.trade(d, "10", "1030");
  await s.trade(e, "10", "1030");
  await s.trade(a, "2", "1000");
  await s.trade(b, "-2", "1000");
  return { a, b, unhealthy: [c, d, e] };
}

async function dropPriceToMakeLongsUnhealthy(s: System, unhealthy: HardhatEthersSigner[]) {
  await s.setPrice(ETH, "1920");
  for (const t of unhealthy) {
    expect(await s.engine.isLiquidatable(t.address, s.eth)).to.equal(true);
    const [equity] = await s.engine.positionEquity(t.address, s.eth);
    expect(equity > 0n, "liquidatable but not bankrupt").to.equal(true);
  }
}

describe("Governance pause switches", () => {
  describe("pause / unpause", () => {
    it("pause_by_guardian_and_by_admin_emits_switch_paused_with_caller", async () => {
      const s = await loadFixture(deployPausable);
      await expect(s.engine.connect(s.guardian).pause(Switch.Trading))
        .to.emit(s.engine, "SwitchPaused")
        .withArgs(Switch.Trading, s.guardian.address);
      await expect(s.engine.connect(s.guardian).pause(Switch.Withdrawals))
        .to.emit(s.engine, "SwitchPaused")
        .withArgs(Switch.Withdrawals, s.guardian.address);
      await expect(s.engine.connect(s.deployer).pause(Switch.Liquidations))
        .to.emit(s.engine, "SwitchPaused")
        .withArgs(Switch.Liquidations, s.deployer.address);
      const state = await s.engine.pauseState();
      expect([state.trading, state.liquidations, state.withdrawals, state.liquidationsResumeAt]).to.deep.equal([
        true,
        true,
        true,
        0n,
      ]);
      expect(await s.engine.withdrawalsPaused()).to.equal(true);
    });

    it("unpause_by_guardian_reverts_and_by_admin_emits_switch_unpaused_with_resume_time", async () => {
      const s = await loadFixture(deployPausable);
      for (const which of [Switch.Trading, Switch.Liquidations, Switch.Withdrawals]) {
        await s.engine.connect(s.guardian).pause(which);
        await expect(s.engine.connect(s.guardian).unpause(which))
          .to.be.revertedWithCustomError(s.engine, "AccessControlUnauthorizedAccount")
          .withArgs(s.guardian.address, ADMIN_ROLE);
      }
      // Trading and withdrawals report the stored resume time, still 0 before liquidations were ever unpaused.
      await expect(s.engine.unpause(Switch.Trading))
        .to.emit(s.engine, "SwitchUnpaused")
        .withArgs(Switch.Trading, s.deployer.address, 0n);
      const t = await pinNextTimestamp(5n);
      const grace = (await s.engine.governanceConfig()).liquidationGracePeriodSeconds;
      expect(grace).to.equal(HOUR);
      await expect(s.engine.unpause(Switch.Liquidations))
        .to.emit(s.engine, "SwitchUnpaused")
        .withArgs(Switch.Liquidations, s.deployer.address, t + grace);
      await expect(s.engine.unpause(Switch.Withdrawals))
        .to.emit(s.engine, "SwitchUnpaused")
        .withArgs(Switch.Withdrawals, s.deployer.address, t + grace);
      const state = await s.engine.pauseState();
      expect([state.trading, state.liquidations, state.withdrawals, state.liquidationsResumeAt]).to.deep.equal([
        false,
        false,
        false,
        t + grace,
      ]);
    });
  });

  describe("trading paused", () => {
    it("open_increase_flip_and_margin_removal_revert_trading_paused", async () => {
      const s = await loadFixture(deployPausable);
      const [a, b, c] = s.traders;
      await s.trade(a, "2", "1000");
      await s.trade(b, "-2", "1000");
      await s.engine.connect(s.guardian).pause(Switch.Trading);

      await expect(s.trade(c, "1", "1000")).to.be.revertedWithCustomError(s.engine, "TradingPaused"); // open
      await expect(s.trade(c, "-1", "1000")).to.be.revertedWithCustomError(s.engine, "TradingPaused"); // open short
      await expect(s.trade(a, "1")).to.be.revertedWithCustomError(s.engine, "TradingPaused"); // increase
      await expect(s.trade(b, "-1", "100")).to.be.revertedWithCustomError(s.engine, "TradingPaused"); // increase
      await expect(s.trade(a, "-3")).to.be.revertedWithCustomError(s.engine, "TradingPaused"); // flip long → short
      await expect(s.trade(b, "5")).to.be.revertedWithCustomError(s.engine, "TradingPaused"); // flip short → long
      await expect(s.trade(a, "0", "-10")).to.be.revertedWithCustomError(s.engine, "TradingPaused"); // margin out
      await expect(s.trade(a, "-1", "-10")).to.be.revertedWithCustomError(s.engine, "TradingPaused"); // reduce + out
      // BTC is paused too: the switch is global.
      await expect(
        s.engine.connect(c).modifyPosition(s.btc, size("0.1"), usd("1000"), ANY_BUY_PRICE),
      ).to.be.revertedWithCustomError(s.engine, "TradingPaused");
      expect((await s.engine.getPosition(a.address, s.eth)).size).to.equal(size("2"));
      expect((await s.engine.getPosition(c.address, s.eth)).size).to.equal(0n);
    });

    it("reduce_close_add_margin_deposit_withdraw_and_liquidation_still_work", async () => {
      const s = await loadFixture(deployPausable);
      const { a, b, unhealthy } = await withUnhealthyLongs(s);
      await s.engine.connect(s.guardian).pause(Switch.Trading);

      await expect(s.trade(a, "-1")).to.emit(s.engine, "PositionModified"); // reduce
      expect((await s.engine.getPosition(a.address, s.eth)).size).to.equal(size("1"));
      const marginBefore = (await s.engine.getPosition(a.address, s.eth)).marginUsd;
      const [added] = await positionModifiedEvents(s.engine, await s.trade(a, "0", "25")); // add margin
      expect(added.marginDeltaUsd).to.equal(usd("25"));
      expect(added.newMarginUsd).to.equal(marginBefore - added.fundingPaidUsd + usd("25"));
      const freeBefore = await s.engine.freeBalance(b.address);
      await expect(s.engine.connect(b).closePosition(s.eth, ANY_BUY_PRICE)).to.emit(s.engine, "PositionModified");
      expect((await s.engine.getPosition(b.address, s.eth)).size).to.equal(0n);
      expect(await s.engine.freeBalance(b.address)).to.be.greaterThan(freeBefore);

      await expect(s.engine.connect(b).deposit(s.tokens("10")))
        .to.emit(s.engine, "Deposited")
        .withArgs(b.address, s.tokens("10"), usd("10"));
      await expect(s.engine.connect(b).withdraw(s.tokens("10")))
        .to.emit(s.engine, "Withdrawn")
        .withArgs(b.address, s.tokens("10"), usd("10"));

      await dropPriceToMakeLongsUnhealthy(s, unhealthy);
      await expect(s.engine.connect(s.keeper).liquidate(unhealthy[0].address, s.eth)).to.emit(s.engine, "Liquidated");
      expect((await s.engine.getPosition(unhealthy[0].address, s.eth)).size).to.equal(0n);
    });

    it("trading_resumes_after_admin_unpause", async () => {
      const s = await loadFixture(deployPausable);
      const [a] = s.traders;
      await s.engine.connect(s.guardian).pause(Switch.Trading);
      await expect(s.trade(a, "1", "1000")).to.be.revertedWithCustomError(s.engine, "TradingPaused");
      await s.engine.unpause(Switch.Trading);
      await expect(s.trade(a, "1", "1000")).to.emit(s.engine, "PositionModified");
    });
  });

  describe("liquidations paused", () => {
    it("liquidate_liquidate_many_and_deleverage_vault_revert_liquidations_paused", async () => {
      const s = await loadFixture(deployPausable);
      const { unhealthy } = await withUnhealthyLongs(s);
      await s.engine.connect(s.guardian).pause(Switch.Liquidations);
      await dropPriceToMakeLongsUnhealthy(s, unhealthy);
      const keeper = s.engine.connect(s.keeper);
      await expect(keeper.liquidate(unhealthy[0].address, s.eth)).to.be.revertedWithCustomError(
        s.engine,
        "LiquidationsPaused",
      );
      await expect(
        keeper.liquidateMany(
          unhealthy.map((t) => t.address),
          unhealthy.map(() => s.eth),
        ),
      ).to.be.revertedWithCustomError(s.engine, "LiquidationsPaused");
      await expect(keeper.deleverageVault(s.eth, 1n)).to.be.revertedWithCustomError(s.engine, "LiquidationsPaused");
      for (const t of unhealthy) expect((await s.engine.getPosition(t.address, s.eth)).size).to.equal(size("10"));
    });

    it("trading_deposits_and_withdrawals_work_while_liquidations_are_paused", async () => {
      const s = await loadFixture(deployPausable);
      const [a, b] = s.traders;
      await s.engine.connect(s.guardian).pause(Switch.Liquidations);
      await expect(s.trade(a, "1", "1000")).to.emit(s.engine, "PositionModified");
      await expect(s.trade(a, "1")).to.emit(s.engine, "PositionModified");
      await expect(s.trade(a, "0", "-10")).to.emit(s.engine, "PositionModified");
      await expect(s.engine.connect(a).closePosition(s.eth, ANY_SELL_PRICE)).to.emit(s.engine, "PositionModified");
      await expect(s.engine.connect(b).deposit(s.tokens("1"))).to.emit(s.engine, "Deposited");
      await expect(s.engine.connect(b).withdraw(s.tokens("1"))).to.emit(s.engine, "Withdrawn");
    });
  });

  describe("grace period after unpausing liquidations", () => {
    it("position_made_unhealthy_while_paused_is_protected_until_resume_at_and_can_add_margin_or_close", async () => {
      const s = await loadFixture(deployPausable);
      const { unhealthy } = await withUnhealthyLongs(s);
      const [rescued, closer, idle] = unhealthy;
      await s.engine.connect(s.guardian).pause(Switch.Liquidations);
      await dropPriceToMakeLongsUnhealthy(s, unhealthy);
      const keeper = s.engine.connect(s.keeper);
      await expect(keeper.liquidate(idle.address, s.eth)).to.be.revertedWithCustomError(s.engine, "LiquidationsPaused");

      const tUnpause = await pinNextTimestamp(60n);
      const resumeAt = tUnpause + HOUR;
      await expect(s.engine.unpause(Switch.Liquidations))
        .to.emit(s.engine, "SwitchUnpaused")
        .withArgs(Switch.Liquidations, s.deployer.address, resumeAt);
      expect((await s.engine.pauseState()).liquidationsResumeAt).to.equal(resumeAt);

      // During the grace period every liquidation path names the resume time.
      await expect(keeper.liquidate(idle.address, s.eth))
        .to.be.revertedWithCustomError(s.engine, "LiquidationGracePeriodActive")
        .withArgs(resumeAt);
      await expect(keeper.liquidateMany([idle.address], [s.eth]))
        .to.be.revertedWithCustomError(s.engine, "LiquidationGracePeriodActive")
        .withArgs(resumeAt);
      // Vault protection only closes profitable positions, so the grace period does not hold it back: here it
      // is refused only because the vault is not losing (the falling price is in its favour).
      await expect(keeper.deleverageVault(s.eth, 1n)).to.be.revertedWithCustomError(
        s.engine,
        "VaultDeleverageNotNeeded",
      );

      // One owner adds margin (healthy again), one closes at a loss.
      await s.trade(rescued, "0", "2000");
      expect(await s.engine.isLiquidatable(rescued.address, s.eth)).to.equal(false);
      const freeBefore = await s.engine.freeBalance(closer.address);
      await s.engine.connect(closer).closePosition(s.eth, ANY_SELL_PRICE);
      expect((await s.engine.getPosition(closer.address, s.eth)).size).to.equal(0n);
      expect(await s.engine.freeBalance(closer.address)).to.be.greaterThan(freeBefore);

      // Keep the feed fresh (1 h heartbeat), then probe the last second of the grace period.
      await time.setNextBlockTimestamp(resumeAt - 30n);
      await s.setPrice(ETH, "1920");
      await time.setNextBlockTimestamp(resumeAt - 1n);
      await expect(keeper.liquidate(idle.address, s.eth))
        .to.be.revertedWithCustomError(s.engine, "LiquidationGracePeriodActive")
        .withArgs(resumeAt);
      expect(BigInt(await time.latest()), "the failed liquidation was mined at resumeAt − 1").to.equal(resumeAt - 1n);

      // At resumeAt the untouched position is liquidatable; the rescued one is not.
      await time.setNextBlockTimestamp(resumeAt);
      const tx = await keeper.liquidate(idle.address, s.eth);
      expect(await txTimestamp(tx)).to.equal(resumeAt);
      await expect(tx).to.emit(s.engine, "Liquidated");
      expect((await s.engine.getPosition(idle.address, s.eth)).size).to.equal(0n);
      expect(await s.engine.isLiquidatable(rescued.address, s.eth)).to.equal(false);
      await expect(keeper.liquidate(rescued.address, s.eth))
        .to.be.revertedWithCustomError(s.engine, "PositionNotLiquidatable")
        .withArgs(rescued.address, s.eth, anyValue, anyValue);
      await expect(keeper.liquidate(closer.address, s.eth))
        .to.be.revertedWithCustomError(s.engine, "NoPosition")
        .withArgs(closer.address, s.eth);
    });

    it("grace_period_follows_governance_config_and_zero_grace_resumes_at_once", async () => {
      const s = await loadFixture(deployPausable);
      const { unhealthy } = await withUnhealthyLongs(s);
      await s.engine.setGovernanceConfig({ liquidationGracePeriodSeconds: 0n, maintenanceRampSeconds: HOUR });
      await s.engine.connect(s.guardian).pause(Switch.Liquidations);
      await dropPriceToMakeLongsUnhealthy(s, unhealthy);
      const t = await pinNextTimestamp();
      await expect(s.engine.unpause(Switch.Liquidations))
        .to.emit(s.engine, "SwitchUnpaused")
        .withArgs(Switch.Liquidations, s.deployer.address, t);
      await expect(s.engine.connect(s.keeper).liquidate(unhealthy[0].address, s.eth)).to.emit(s.engine, "Liquidated");
    });
  });

  describe("withdrawals paused", () => {
    it("engine_withdraw_and_vault_withdraw_redeem_revert_while_deposits_work", async () => {
      const s = await loadFixture(deployPausable);
      const [a] = s.traders;
      const vault = s.vault.connect(s.lp);
      const shares = await s.vault.balanceOf(s.lp.address);
      expect(await vault.maxWithdraw(s.lp.address)).to.be.greaterThan(0n);
      await s.engine.connect(s.guardian).pause(Switch.Withdrawals);

      await expect(s.engine.connect(a).withdraw(s.tokens("1"))).to.be.revertedWithCustomError(
        s.engine,
        "WithdrawalsPaused",
      );
      expect(await vault.maxWithdraw(s.lp.address)).to.equal(0n);
      expect(await vault.maxRedeem(s.lp.address)).to.equal(0n);
      await expect(vault.withdraw(s.tokens("1"), s.lp.address, s.lp.address))
        .to.be.revertedWithCustomError(s.vault, "ERC4626ExceededMaxWithdraw")
        .withArgs(s.lp.address, s.tokens("1"), 0n);
      await expect(vault.redeem(shares, s.lp.address, s.lp.address))
        .to.be.revertedWithCustomError(s.vault, "ERC4626ExceededMaxRedeem")
        .withArgs(s.lp.address, shares, 0n);
      // The engine's own hook refuses too, should a vault ever skip its max* check.
      const vaultAsCaller = await impersonate(await s.vault.getAddress());
      await expect(
        s.engine.connect(vaultAsCaller).vaultWithdraw(s.lp.address, s.tokens("1")),
      ).to.be.revertedWithCustomError(s.engine, "WithdrawalsPaused");

      // Deposits still work on both sides; trading too.
      await expect(s.engine.connect(a).deposit(s.tokens("5")))
        .to.emit(s.engine, "Deposited")
        .withArgs(a.address, s.tokens("5"), usd("5"));
      await s.collateral.mint(s.lp.address, s.tokens("100"));
      await expect(vault.deposit(s.tokens("100"), s.lp.address)).to.emit(s.vault, "Deposit");
      await expect(s.trade(a, "1", "500")).to.emit(s.engine, "PositionModified");
    });

    it("withdrawals_resume_after_admin_unpause", async () => {
      const s = await loadFixture(deployPausable);
      const [a] = s.traders;
      await s.engine.connect(s.guardian).pause(Switch.Withdrawals);
      await s.engine.unpause(Switch.Withdrawals);
      expect(await s.engine.withdrawalsPaused()).to.equal(false);
      await expect(s.engine.connect(a).withdraw(s.tokens("1"))).to.emit(s.engine, "Withdrawn");
      const balanceBefore = await s.collateral.balanceOf(s.lp.address);
      await s.vault.connect(s.lp).withdraw(s.tokens("1"), s.lp.address, s.lp.address);
      expect(await s.collateral.balanceOf(s.lp.address)).to.equal(balanceBefore + s.tokens("1"));
    });
  });

  describe("reduce-only", () => {
    it("guardian_sets_reduce_only_which_blocks_new_exposure_and_margin_removal_only", async () => {
      const s = await loadFixture(deployPausable);
      const [a, b, c] = s.traders;
      await s.trade(a, "2", "1000");
      await s.trade(b, "-2", "1000");
      await expect(s.engine.connect(s.guardian).setReduceOnly(s.eth, true))
        .to.emit(s.engine, "ReduceOnlySet")
        .withArgs(s.eth, true, s.guardian.address);
      expect(await s.engine.marketStatus(s.eth)).to.deep.equal([true, 0n]);

      const reduceOnly = (p: Promise<unknown>) =>
        expect(p).to.be.revertedWithCustomError(s.engine, "MarketReduceOnly").withArgs(s.eth);
      await reduceOnly(s.trade(c, "1", "1000")); // open
      await reduceOnly(s.trade(a, "1")); // increase
      await reduceOnly(s.trade(b, "4")); // flip
      await reduceOnly(s.trade(a, "0", "-10")); // margin out

      await expect(s.trade(a, "-1")).to.emit(s.engine, "PositionModified"); // reduce
      await expect(s.trade(a, "0", "10")).to.emit(s.engine, "PositionModified"); // add margin
      await expect(s.engine.connect(b).closePosition(s.eth, ANY_BUY_PRICE)).to.emit(s.engine, "PositionModified");
      // Other markets trade normally.
      await expect(s.engine.connect(c).modifyPosition(s.btc, size("0.1"), usd("1000"), ANY_BUY_PRICE)).to.emit(
        s.engine,
        "PositionModified",
      );
    });

    it("reduce_only_is_cleared_only_by_admin", async () => {
      const s = await loadFixture(deployPausable);
      const [a] = s.traders;
      await s.engine.connect(s.guardian).setReduceOnly(s.eth, true);
      await expect(s.engine.connect(s.guardian).setReduceOnly(s.eth, false))
        .to.be.revertedWithCustomError(s.engine, "AccessControlUnauthorizedAccount")
        .withArgs(s.guardian.address, ADMIN_ROLE);
      await expect(s.engine.connect(s.deployer).setReduceOnly(s.eth, false))
        .to.emit(s.engine, "ReduceOnlySet")
        .withArgs(s.eth, false, s.deployer.address);
      expect(await s.engine.marketStatus(s.eth)).to.deep.equal([false, 0n]);
      await expect(s.trade(a, "1", "1000")).to.emit(s.engine, "PositionModified");
    });

    it("reduce_only_on_an_unlisted_market_reverts_market_not_listed", async () => {
      const s = await loadFixture(deployPausable);
      const unlisted = ethers.id("DOGE-USD");
      await expect(s.engine.connect(s.guardian).setReduceOnly(unlisted, true))
        .to.be.revertedWithCustomError(s.engine, "MarketNotListed")
        .withArgs(unlisted);
    });
  });
});
