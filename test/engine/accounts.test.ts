import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";

import {
  deployLocalSystem,
  deployLocalSystem18,
  ETH,
  BTC,
  usd,
  size,
  ANY_BUY_PRICE,
  ANY_SELL_PRICE,
} from "../helpers/fixtures";
import { assertConservation, deployPerpEngine, linkedPerpEngineFactory } from "../helpers/engineHelpers";

// Tests for the ACCOUNTS section of contracts/PerpEngine.sol: deposit / withdraw in the token's native
// units, exact USD (1e18) credits, fee-on-transfer tokens credited by balance delta, donations, and the
// accounting identity balanceOf(engine)·scale == Σ free + Σ margins + vaultCash + insurance (+ donations).

const SCALE_6 = 10n ** 12n; // 10^(18 − 6)

/** A PerpEngine over a fee-on-transfer token burning `feeBps` of every transfer (no vault, no markets). */
async function deployFeeOnTransferEngine(feeBps: bigint) {
  const [admin, alice, bob] = await ethers.getSigners();
  const token = await ethers.deployContract("FeeOnTransferToken", [feeBps]);
  const engine = await deployPerpEngine(await token.getAddress(), admin.address, admin);
  for (const user of [alice, bob]) {
    await token.mint(user.address, 1_000_000n * 10n ** 6n);
    await token.connect(user).approve(await engine.getAddress(), ethers.MaxUint256);
  }
  return { token, engine, admin, alice, bob };
}

async function deployOnePercentFeeEngine() {
  return deployFeeOnTransferEngine(100n);
}

async function deployFullFeeEngine() {
  return deployFeeOnTransferEngine(10_000n);
}

describe("PerpEngine accounts", () => {
  describe("deployment", () => {
    it("constructor_sets_collateral_scale_from_token_decimals", async () => {
      const s6 = await loadFixture(deployLocalSystem);
      expect(await s6.engine.collateralScale()).to.equal(SCALE_6);
      expect(await s6.engine.collateral()).to.equal(await s6.collateral.getAddress());
      const s18 = await loadFixture(deployLocalSystem18);
      expect(await s18.engine.collateralScale()).to.equal(1n);
    });

    it("constructor_reverts_when_collateral_has_more_than_18_decimals", async () => {
      const [admin] = await ethers.getSigners();
      const token = await ethers.deployContract("MockERC20", ["Too Fine", "TF", 19]);
      const factory = await linkedPerpEngineFactory(admin);
      await expect(factory.deploy(await token.getAddress(), admin.address))
        .to.be.revertedWithCustomError(factory, "CollateralDecimalsUnsupported")
        .withArgs(19);
    });
  });

  describe("deposit", () => {
    it("deposit_credits_exact_usd_and_emits_event_with_6_decimal_collateral", async () => {
      const s = await loadFixture(deployLocalSystem);
      const [alice] = s.traders;
      const amount = 1_234_567_891n; // 1,234.567891 USDC
      const engineAddress = await s.engine.getAddress();
      const tx = s.engine.connect(alice).deposit(amount);
      await expect(tx)
        .to.emit(s.engine, "Deposited")
        .withArgs(alice.address, amount, amount * SCALE_6);
      await expect(tx).to.changeTokenBalances(s.collateral, [alice, engineAddress], [-amount, amount]);
      expect(await s.engine.freeBalance(alice.address)).to.equal(1_234_567_891_000_000_000_000n);
    });

    it("deposit_credits_exact_usd_with_18_decimal_collateral_down_to_one_wei", async () => {
      const s = await loadFixture(deployLocalSystem18);
      const [alice] = s.traders;
      const amount = 1_000_000_000_000_000_001n; // 1 token + 1 wei
      await expect(s.engine.connect(alice).deposit(amount))
        .to.emit(s.engine, "Deposited")
        .withArgs(alice.address, amount, amount);
      await expect(s.engine.connect(alice).deposit(1n)).to.emit(s.engine, "Deposited").withArgs(alice.address, 1n, 1n);
      expect(await s.engine.freeBalance(alice.address)).to.equal(amount + 1n);
    });

    it("deposit_accumulates_across_calls", async () => {
      const s = await loadFixture(deployLocalSystem);
      const [alice] = s.traders;
      await s.engine.connect(alice).deposit(s.tokens("100"));
      await s.engine.connect(alice).deposit(1n);
      expect(await s.engine.freeBalance(alice.address)).to.equal(usd("100") + SCALE_6);
    });

    it("deposit_reverts_when_amount_zero", async () => {
      const s = await loadFixture(deployLocalSystem);
      await expect(s.engine.connect(s.traders[0]).deposit(0n)).to.be.revertedWithCustomError(s.engine, "ZeroAmount");
    });

    it("deposit_reverts_when_token_balance_insufficient", async () => {
      const s = await loadFixture(deployLocalSystem);
      const [alice] = s.traders;
      const balance = await s.collateral.balanceOf(alice.address);
      await expect(s.engine.connect(alice).deposit(balance + 1n))
        .to.be.revertedWithCustomError(s.collateral, "ERC20InsufficientBalance")
        .withArgs(alice.address, balance, balance + 1n);
    });
  });

  describe("withdraw", () => {
    it("withdraw_sends_tokens_and_debits_exact_usd_with_6_decimal_collateral", async () => {
      const s = await loadFixture(deployLocalSystem);
      const [alice] = s.traders;
      await s.engine.connect(alice).deposit(s.tokens("1000"));
      const amount = 400_000_001n; // 400.000001 USDC
      const engineAddress = await s.engine.getAddress();
      const tx = s.engine.connect(alice).withdraw(amount);
      await expect(tx)
        .to.emit(s.engine, "Withdrawn")
        .withArgs(alice.address, amount, amount * SCALE_6);
      await expect(tx).to.changeTokenBalances(s.collateral, [alice, engineAddress], [amount, -amount]);
      expect(await s.engine.freeBalance(alice.address)).to.equal(usd("1000") - amount * SCALE_6);
    });

    it("withdraw_sends_tokens_and_debits_exact_usd_with_18_decimal_collateral", async () => {
      const s = await loadFixture(deployLocalSystem18);
      const [alice] = s.traders;
      await s.engine.connect(alice).deposit(usd("10"));
      await expect(s.engine.connect(alice).withdraw(usd("10") - 1n))
        .to.emit(s.engine, "Withdrawn")
        .withArgs(alice.address, usd("10") - 1n, usd("10") - 1n);
      expect(await s.engine.freeBalance(alice.address)).to.equal(1n);
      await s.engine.connect(alice).withdraw(1n);
      expect(await s.engine.freeBalance(alice.address)).to.equal(0n);
    });

    it("withdraw_of_whole_balance_leaves_zero", async () => {
      const s = await loadFixture(deployLocalSystem);
      const [alice] = s.traders;
      const before = await s.collateral.balanceOf(alice.address);
      await s.engine.connect(alice).deposit(s.tokens("250"));
      await s.engine.connect(alice).withdraw(s.tokens("250"));
      expect(await s.engine.freeBalance(alice.address)).to.equal(0n);
      expect(await s.collateral.balanceOf(alice.address)).to.equal(before);
    });

    it("withdraw_reverts_when_amount_zero", async () => {
      const s = await loadFixture(deployLocalSystem);
      await expect(s.engine.connect(s.traders[0]).withdraw(0n)).to.be.revertedWithCustomError(s.engine, "ZeroAmount");
    });

    it("withdraw_reverts_when_balance_insufficient", async () => {
      const s = await loadFixture(deployLocalSystem);
      const [alice, bob] = s.traders;
      await s.engine.connect(alice).deposit(s.tokens("100"));
      await expect(s.engine.connect(alice).withdraw(s.tokens("100") + 1n))
        .to.be.revertedWithCustomError(s.engine, "InsufficientFreeBalance")
        .withArgs(alice.address, usd("100"), usd("100") + SCALE_6);
      // Nobody can withdraw from an account they never funded.
      await expect(s.engine.connect(bob).withdraw(1n))
        .to.be.revertedWithCustomError(s.engine, "InsufficientFreeBalance")
        .withArgs(bob.address, 0n, SCALE_6);
    });

    it("withdraw_reverts_when_amount_is_locked_as_position_margin", async () => {
      const s = await loadFixture(deployLocalSystem);
      const [alice] = s.traders;
      const eth = s.market(ETH).marketId;
      await s.engine.connect(alice).deposit(s.tokens("1000"));
      await s.engine.connect(alice).modifyPosition(eth, size("1"), usd("600"), ANY_BUY_PRICE);
      await expect(s.engine.connect(alice).withdraw(s.tokens("400") + 1n))
        .to.be.revertedWithCustomError(s.engine, "InsufficientFreeBalance")
        .withArgs(alice.address, usd("400"), usd("400") + SCALE_6);
      await s.engine.connect(alice).withdraw(s.tokens("400"));
      expect(await s.engine.freeBalance(alice.address)).to.equal(0n);
    });

    it("modify_position_reverts_when_margin_exceeds_free_balance", async () => {
      const s = await loadFixture(deployLocalSystem);
      const [alice] = s.traders;
      const eth = s.market(ETH).marketId;
      await s.engine.connect(alice).deposit(s.tokens("500"));
      await expect(s.engine.connect(alice).modifyPosition(eth, size("1"), usd("500") + 1n, ANY_BUY_PRICE))
        .to.be.revertedWithCustomError(s.engine, "InsufficientFreeBalance")
        .withArgs(alice.address, usd("500"), usd("500") + 1n);
    });

    it("withdraw_leaves_sub_token_dust_in_the_account_with_6_decimal_collateral", async () => {
      // After a trade the free balance has 1e18 precision; only whole token units can leave, so the
      // remainder below 1e12 stays credited to the account (rounding in the protocol's favour).
      const s = await loadFixture(deployLocalSystem);
      const [alice] = s.traders;
      const eth = s.market(ETH).marketId;
      await s.engine.connect(alice).deposit(s.tokens("1000"));
      await s.engine.connect(alice).modifyPosition(eth, size("0.3"), usd("300"), ANY_BUY_PRICE);
      await s.engine.connect(alice).closePosition(eth, ANY_SELL_PRICE);
      const free = await s.engine.freeBalance(alice.address);
      const dust = free % SCALE_6;
      expect(dust, "the scenario must leave sub-token dust").to.not.equal(0n);
      const whole = free / SCALE_6;
      await expect(s.engine.connect(alice).withdraw(whole + 1n))
        .to.be.revertedWithCustomError(s.engine, "InsufficientFreeBalance")
        .withArgs(alice.address, free, (whole + 1n) * SCALE_6);
      await s.engine.connect(alice).withdraw(whole);
      expect(await s.engine.freeBalance(alice.address)).to.equal(dust);
    });
  });

  describe("fee-on-transfer collateral", () => {
    it("deposit_credits_the_balance_delta_of_a_fee_on_transfer_token", async () => {
      const { token, engine, alice } = await loadFixture(deployOnePercentFeeEngine);
      const engineAddress = await engine.getAddress();
      const sent = 1_000_000_000n; // 1,000 tokens (6 decimals)
      const received = sent - (sent * 100n) / 10_000n; // 1% burned in transit: 990 tokens
      await expect(engine.connect(alice).deposit(sent))
        .to.emit(engine, "Deposited")
        .withArgs(alice.address, received, received * SCALE_6);
      expect(await token.balanceOf(engineAddress)).to.equal(received);
      expect(await engine.freeBalance(alice.address)).to.equal(received * SCALE_6);
      await assertConservation({ engine, accounts: [alice.address], marketIds: [] });
    });

    it("withdraw_of_a_fee_on_transfer_token_debits_the_amount_sent", async () => {
      const { token, engine, alice, bob } = await loadFixture(deployOnePercentFeeEngine);
      const engineAddress = await engine.getAddress();
      await engine.connect(alice).deposit(1_000_000_000n);
      await engine.connect(bob).deposit(333_333_333n);
      const credited = await engine.freeBalance(alice.address);
      const tokens = credited / SCALE_6;
      const before = await token.balanceOf(alice.address);
      await expect(engine.connect(alice).withdraw(tokens))
        .to.emit(engine, "Withdrawn")
        .withArgs(alice.address, tokens, tokens * SCALE_6);
      // The engine sends `tokens`; the token burns 1% of it on the way to the receiver.
      expect(await token.balanceOf(alice.address)).to.equal(before + tokens - (tokens * 100n) / 10_000n);
      expect(await engine.freeBalance(alice.address)).to.equal(0n);
      await assertConservation({ engine, accounts: [alice.address, bob.address], marketIds: [] });
      expect(await token.balanceOf(engineAddress)).to.equal((await engine.freeBalance(bob.address)) / SCALE_6);
    });

    it("deposit_reverts_when_nothing_arrives", async () => {
      const { engine, alice } = await loadFixture(deployFullFeeEngine);
      await expect(engine.connect(alice).deposit(1_000_000n)).to.be.revertedWithCustomError(engine, "ZeroAmount");
    });
  });

  describe("donations", () => {
    it("direct_token_donation_to_the_engine_changes_no_balance", async () => {
      const s = await loadFixture(deployLocalSystem);
      const [alice, bob, donor] = s.traders;
      const eth = s.market(ETH).marketId;
      const engineAddress = await s.engine.getAddress();
      await s.engine.connect(alice).deposit(s.tokens("5000"));
      await s.engine.connect(bob).deposit(s.tokens("3000"));
      await s.engine.connect(bob).modifyPosition(eth, size("-2"), usd("1000"), ANY_SELL_PRICE);

      const accounts = [alice.address, bob.address, donor.address];
      const before = await assertConservation({ engine: s.engine, accounts, marketIds: [eth] });
      const vaultAssetsBefore = await s.vault.totalAssets();
      const vaultDepositAssetsBefore = await s.vault.totalAssetsForDeposit();
      const donation = s.tokens("7777");
      await s.collateral.connect(donor).transfer(engineAddress, donation);

      const after = await assertConservation({ engine: s.engine, accounts, marketIds: [eth], donatedTokens: donation });
      expect(after.tokenBalance).to.equal(before.tokenBalance + donation);
      expect(await s.engine.freeBalance(alice.address)).to.equal(usd("5000"));
      expect(await s.engine.freeBalance(bob.address)).to.equal(usd("2000"));
      expect(await s.engine.freeBalance(donor.address)).to.equal(0n);
      expect(after.margins).to.equal(before.margins);
      expect(after.vaultCash).to.equal(before.vaultCash);
      expect(after.insurance).to.equal(before.insurance);
      expect(await s.vault.totalAssets()).to.equal(vaultAssetsBefore);
      expect(await s.vault.totalAssetsForDeposit()).to.equal(vaultDepositAssetsBefore);

      // A subsequent withdraw still works and takes exactly what it debits; the donation stays as surplus.
      await expect(s.engine.connect(alice).withdraw(s.tokens("5000"))).to.changeTokenBalances(
        s.collateral,
        [alice, engineAddress],
        [s.tokens("5000"), -s.tokens("5000")],
      );
      await expect(s.engine.connect(donor).withdraw(1n))
        .to.be.revertedWithCustomError(s.engine, "InsufficientFreeBalance")
        .withArgs(donor.address, 0n, SCALE_6);
      await assertConservation({ engine: s.engine, accounts, marketIds: [eth], donatedTokens: donation });
    });
  });

  describe("accounting identity", () => {
    for (const [label, fixture] of [
      ["6", deployLocalSystem],
      ["18", deployLocalSystem18],
    ] as const) {
      it(`balance_identity_holds_after_every_step_of_a_trading_sequence_with_${label}_decimal_collateral`, async () => {
        const s = await loadFixture(fixture);
        const [alice, bob, carol, dave] = s.traders;
        const eth = s.market(ETH).marketId;
        const btc = s.market(BTC).marketId;
        const accounts = [alice, bob, carol, dave].map((x) => x.address);
        const marketIds = [eth, btc];
        const check = () => assertConservation({ engine: s.engine, accounts, marketIds });
        const E = s.engine;

        await check();
        for (const t of [alice, bob, carol, dave]) await E.connect(t).deposit(s.tokens("20000"));
        await check();
        await E.connect(alice).modifyPosition(eth, size("3.3"), usd("2000"), ANY_BUY_PRICE); // open long
        await check();
        await E.connect(bob).modifyPosition(eth, size("-1.7"), usd("900"), ANY_SELL_PRICE); // open short
        await check();
        await E.connect(carol).modifyPosition(btc, size("0.05"), usd("400"), ANY_BUY_PRICE);
        await check();
        await time.increase(1_800);
        await s.setPrice(ETH, "2137.77");
        await s.setPrice(BTC, "61111.11");
        await E.connect(alice).modifyPosition(eth, size("1.1"), usd("300"), ANY_BUY_PRICE); // increase
        await check();
        await E.connect(bob).modifyPosition(eth, size("0.6"), -usd("50"), ANY_BUY_PRICE); // reduce, margin out
        await check();
        await E.connect(dave).modifyPosition(eth, size("-2.25"), usd("1500"), ANY_SELL_PRICE);
        await check();
        await E.connect(alice).modifyPosition(eth, size("-6"), 0n, ANY_SELL_PRICE); // flip to short 1.6
        await check();
        await E.connect(carol).modifyPosition(btc, 0n, usd("123.456789"), 0n); // pure margin add
        await check();
        await time.increase(3_000);
        await s.setPrice(ETH, "1999.01");
        await s.setPrice(BTC, "59000");
        await E.connect(carol).closePosition(btc, ANY_SELL_PRICE);
        await check();
        await E.connect(bob).closePosition(eth, ANY_BUY_PRICE);
        await check();
        await E.connect(bob).withdraw((await E.freeBalance(bob.address)) / (await E.collateralScale()));
        await check();
        await s.vault.connect(s.lp).withdraw(s.tokens("1000"), s.lp.address, s.lp.address);
        await check();
        await s.collateral.mint(s.lp.address, s.tokens("5000"));
        await s.vault.connect(s.lp).deposit(s.tokens("5000"), s.lp.address);
        await check();
        await E.connect(alice).closePosition(eth, ANY_BUY_PRICE);
        await E.connect(dave).closePosition(eth, ANY_BUY_PRICE);
        const final = await check();
        // Everyone is flat: the vault holds no position, so its books are cash only.
        expect(final.margins).to.equal(0n);
        expect(await E.vaultEquityUsd(true)).to.equal(final.vaultCash);
        expect(await E.vaultEquityUsd(false)).to.equal(final.vaultCash);
        expect((await E.getMarketState(eth)).netSize).to.equal(0n);
        expect(final.insurance).to.be.greaterThan(0n);
      });
    }
  });
});
