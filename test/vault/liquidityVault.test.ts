import { expect } from "chai";
import fc from "fast-check";
import { ethers } from "hardhat";
import {
  impersonateAccount,
  loadFixture,
  setBalance,
  stopImpersonatingAccount,
  time,
} from "@nomicfoundation/hardhat-network-helpers";
import { formatUnits } from "ethers";

import { deployLocalSystem, deployLocalSystem18, ETH, usd, size, ANY_BUY_PRICE } from "../helpers/fixtures";
import {
  BPS,
  ETH_DEFAULTS,
  act,
  deployPerpEngine,
  divCeil,
  expectedIndexAt,
  expectedNotional,
  minBig,
  pinNextTimestamp,
  vaultMarketValue,
  viewsAt,
} from "../helpers/engineHelpers";

// Tests for contracts/LiquidityVault.sol and the engine's vault hooks (DESIGN §4): ERC-4626 flows over the
// vault's account inside the engine, asymmetric valuation (deposits priced with unrealised gains, withdrawals
// without them but with losses), the exposure cap on LP withdrawals, and donations that must not move the
// share price. The vault has no decimals offset, so OpenZeppelin's virtual share and asset are both 1.

const P = ETH_DEFAULTS;
const P2000 = usd("2000");

type System = Awaited<ReturnType<typeof deployLocalSystem>>;

/** Standard system; traders 0–3 hold 50,000 in the engine; traders 4–5 are extra LPs approved on the vault. */
async function deployWithLps() {
  const s = await deployLocalSystem();
  for (const t of s.traders.slice(0, 4)) await s.engine.connect(t).deposit(s.tokens("50000"));
  for (const lp of s.traders.slice(4, 6)) {
    await s.collateral.mint(lp.address, s.tokens("1000000"));
    await s.collateral.connect(lp).approve(await s.vault.getAddress(), ethers.MaxUint256);
  }
  return s;
}

async function deployWithLps18() {
  const s = await deployLocalSystem18();
  for (const t of s.traders.slice(0, 4)) await s.engine.connect(t).deposit(s.tokens("50000"));
  for (const lp of s.traders.slice(4, 6))
    await s.collateral.connect(lp).approve(await s.vault.getAddress(), ethers.MaxUint256);
  return s;
}

function mulDiv(x: bigint, y: bigint, d: bigint, up: boolean) {
  return up ? divCeil(x * y, d) : (x * y) / d;
}
/** OpenZeppelin ERC-4626 with offset 0: shares = assets·(supply + 1)/(total + 1). */
const sharesFor = (assets: bigint, supply: bigint, total: bigint, up = false) =>
  mulDiv(assets, supply + 1n, total + 1n, up);
const assetsFor = (shares: bigint, supply: bigint, total: bigint, up = false) =>
  mulDiv(shares, total + 1n, supply + 1n, up);

/**
 * The vault's two valuations in token units at `timestamp` and price `priceWad`, from the traders' stored
 * positions and the engine's cash: deposit side counts the market value, withdrawal side only its losses.
 */
async function expectedTotals(s: System, traders: string[], priceWad: bigint, timestamp: bigint) {
  const eth = s.market(ETH).marketId;
  const scale = await s.engine.collateralScale();
  const state = await s.engine.getMarketState(eth);
  const index = expectedIndexAt(state, P, priceWad, timestamp);
  const { valueUsd } = await vaultMarketValue(s.engine, eth, traders, priceWad, index);
  const cash = await s.engine.vaultCashUsd();
  const toTokens = (x: bigint) => (x <= 0n ? 0n : x / scale);
  return {
    cash,
    valueUsd,
    forDeposit: toTokens(cash + valueUsd),
    forWithdraw: toTokens(cash + minBig(valueUsd, 0n)),
  };
}

/** Makes the share price non-trivial: a round trip by a trader leaves fees and her loss in the vault. */
async function roundTripTrade(s: System) {
  const eth = s.market(ETH).marketId;
  const [alice] = s.traders;
  await s.engine.connect(alice).modifyPosition(eth, size("7.3"), usd("2000"), ANY_BUY_PRICE);
  await s.engine.connect(alice).closePosition(eth, 0n);
}

describe("LiquidityVault", () => {
  describe("ERC-4626 flows", () => {
    it("deposit_mints_previewed_shares_and_credits_vault_cash", async () => {
      const s = await loadFixture(deployWithLps);
      const lp2 = s.traders[4];
      await roundTripTrade(s);
      const supply = await s.vault.totalSupply();
      const cash = await s.engine.vaultCashUsd();
      const total = cash / 10n ** 12n;
      expect(await s.vault.totalAssets()).to.equal(total);
      expect(await s.vault.totalAssetsForDeposit()).to.equal(total);
      const assets = 12_345_678_901n;
      const shares = sharesFor(assets, supply, total);
      expect(shares).to.be.lessThan(assets); // the share price rose above 1
      expect(await s.vault.previewDeposit(assets)).to.equal(shares);
      const tx = s.vault.connect(lp2).deposit(assets, lp2.address);
      await expect(tx).to.emit(s.vault, "Deposit").withArgs(lp2.address, lp2.address, assets, shares);
      await expect(tx)
        .to.emit(s.engine, "VaultDeposited")
        .withArgs(assets, cash + assets * 10n ** 12n);
      await expect(tx).to.changeTokenBalances(
        s.collateral,
        [lp2.address, await s.vault.getAddress(), await s.engine.getAddress()],
        [-assets, 0n, assets],
      );
      expect(await s.vault.balanceOf(lp2.address)).to.equal(shares);
      expect(await s.engine.vaultCashUsd()).to.equal(cash + assets * 10n ** 12n);
    });

    it("mint_pulls_previewed_assets_rounding_up", async () => {
      const s = await loadFixture(deployWithLps);
      const lp2 = s.traders[4];
      await roundTripTrade(s);
      const supply = await s.vault.totalSupply();
      const total = await s.vault.totalAssetsForDeposit();
      const shares = 9_999_999_999n;
      const assets = assetsFor(shares, supply, total, true);
      expect((shares * (total + 1n)) % (supply + 1n)).to.not.equal(0n);
      expect(await s.vault.previewMint(shares)).to.equal(assets);
      await expect(s.vault.connect(lp2).mint(shares, lp2.address))
        .to.emit(s.vault, "Deposit")
        .withArgs(lp2.address, lp2.address, assets, shares);
    });

    it("withdraw_burns_previewed_shares_rounding_up_and_pays_receiver", async () => {
      const s = await loadFixture(deployWithLps);
      const [lp2, receiver] = s.traders.slice(4, 6);
      await roundTripTrade(s);
      await s.vault.connect(lp2).deposit(s.tokens("30000"), lp2.address);
      const supply = await s.vault.totalSupply();
      const total = await s.vault.totalAssets();
      const cash = await s.engine.vaultCashUsd();
      const assets = 10_000_000_001n;
      const shares = sharesFor(assets, supply, total, true);
      expect(await s.vault.previewWithdraw(assets)).to.equal(shares);
      const tx = s.vault.connect(lp2).withdraw(assets, receiver.address, lp2.address);
      await expect(tx)
        .to.emit(s.vault, "Withdraw")
        .withArgs(lp2.address, receiver.address, lp2.address, assets, shares);
      await expect(tx)
        .to.emit(s.engine, "VaultWithdrawn")
        .withArgs(receiver.address, assets, cash - assets * 10n ** 12n);
      await expect(tx).to.changeTokenBalances(
        s.collateral,
        [receiver.address, await s.engine.getAddress()],
        [assets, -assets],
      );
    });

    it("redeem_pays_previewed_assets_rounding_down", async () => {
      const s = await loadFixture(deployWithLps);
      const lp2 = s.traders[4];
      await roundTripTrade(s);
      await s.vault.connect(lp2).deposit(s.tokens("30000"), lp2.address);
      const supply = await s.vault.totalSupply();
      const total = await s.vault.totalAssets();
      const shares = 7_777_777_777n;
      const assets = assetsFor(shares, supply, total);
      expect(await s.vault.previewRedeem(shares)).to.equal(assets);
      await expect(s.vault.connect(lp2).redeem(shares, lp2.address, lp2.address))
        .to.emit(s.vault, "Withdraw")
        .withArgs(lp2.address, lp2.address, lp2.address, assets, shares);
    });

    it("round_trips_never_return_more_than_was_paid", async () => {
      const s = await loadFixture(deployWithLps);
      const lp2 = s.traders[4];
      await roundTripTrade(s);
      const start = await s.collateral.balanceOf(lp2.address);
      const paid = 33_333_333_333n;
      await s.vault.connect(lp2).deposit(paid, lp2.address);
      await s.vault.connect(lp2).redeem(await s.vault.balanceOf(lp2.address), lp2.address, lp2.address);
      const afterDeposit = await s.collateral.balanceOf(lp2.address);
      expect(afterDeposit <= start && afterDeposit >= start - 2n, `lost ${start - afterDeposit}`).to.equal(true);

      const shares = 5_000_000_000n;
      const cost = await s.vault.previewMint(shares);
      await s.vault.connect(lp2).mint(shares, lp2.address);
      const max = await s.vault.maxWithdraw(lp2.address);
      expect(max <= cost).to.equal(true);
      await s.vault.connect(lp2).withdraw(max, lp2.address, lp2.address);
      expect(await s.collateral.balanceOf(lp2.address)).to.equal(afterDeposit - cost + max);
      expect(await s.vault.balanceOf(lp2.address)).to.be.lessThanOrEqual(1n);
    });

    it("deposit_reverts_when_amount_zero_and_zero_withdraw_moves_nothing", async () => {
      const s = await loadFixture(deployWithLps);
      await expect(s.vault.connect(s.traders[4]).deposit(0n, s.traders[4].address)).to.be.revertedWithCustomError(
        s.engine,
        "ZeroAmount",
      );
      // ERC-4626 allows zero withdrawals; they burn no shares and the engine is not asked to pay.
      const sharesBefore = await s.vault.balanceOf(s.lp.address);
      const cashBefore = await s.engine.vaultCashUsd();
      await s.vault.connect(s.lp).withdraw(0n, s.lp.address, s.lp.address);
      await s.vault.connect(s.lp).redeem(0n, s.lp.address, s.lp.address);
      expect(await s.vault.balanceOf(s.lp.address)).to.equal(sharesBefore);
      expect(await s.engine.vaultCashUsd()).to.equal(cashBefore);
    });

    it("works_with_18_decimal_collateral", async () => {
      const s = await loadFixture(deployWithLps18);
      const [alice] = s.traders;
      const lp2 = s.traders[4];
      const eth = s.market(ETH).marketId;
      expect(await s.vault.decimals()).to.equal(18n);
      expect(await s.vault.totalSupply()).to.equal(usd("1000000"));
      expect(await s.vault.totalAssets()).to.equal(usd("1000000"));
      await act(s.engine, alice, eth, P, P2000, size("3"), usd("1000"));
      await s.engine.connect(alice).closePosition(eth, 0n);
      const cash = await s.engine.vaultCashUsd();
      expect(await s.vault.totalAssets()).to.equal(cash); // scale 1: exact
      const assets = usd("1234.567890123456789");
      const supply = await s.vault.totalSupply();
      const shares = sharesFor(assets, supply, cash);
      await expect(s.vault.connect(lp2).deposit(assets, lp2.address))
        .to.emit(s.vault, "Deposit")
        .withArgs(lp2.address, lp2.address, assets, shares);
      const out = assetsFor(shares, supply + shares, cash + assets);
      await expect(s.vault.connect(lp2).redeem(shares, lp2.address, lp2.address))
        .to.emit(s.engine, "VaultWithdrawn")
        .withArgs(lp2.address, out, cash + assets - out);
      expect(out <= assets).to.equal(true);
    });
  });

  describe("asymmetric valuation", () => {
    it("deposit_priced_with_unrealised_gains_and_redeem_without_them_when_traders_lose", async () => {
      const s = await loadFixture(deployWithLps);
      const [alice] = s.traders;
      const lp2 = s.traders[4];
      const eth = s.market(ETH).marketId;
      await act(s.engine, alice, eth, P, P2000, size("100"), usd("15000"));
      await s.setPrice(ETH, "1900"); // the trader's long loses ~$10,100: the vault's gain
      const price = usd("1900");
      const latest = BigInt(await time.latest());
      const t = await expectedTotals(s, [alice.address], price, latest);
      expect(t.valueUsd).to.be.greaterThan(usd("10000"));
      expect(await s.engine.vaultEquityUsd(true)).to.equal(t.cash + t.valueUsd);
      expect(await s.engine.vaultEquityUsd(false)).to.equal(t.cash);
      expect(await s.vault.totalAssetsForDeposit()).to.equal(t.forDeposit);
      expect(await s.vault.totalAssets()).to.equal(t.forWithdraw);

      const supply = await s.vault.totalSupply();
      const assets = s.tokens("100000");
      const asymmetric = sharesFor(assets, supply, t.forDeposit);
      const symmetric = sharesFor(assets, supply, t.forWithdraw);
      expect(await s.vault.previewDeposit(assets)).to.equal(asymmetric);
      expect(asymmetric).to.be.lessThan(symmetric);
      const lpShares = await s.vault.balanceOf(s.lp.address);
      expect(await s.vault.previewRedeem(lpShares)).to.equal(assetsFor(lpShares, supply, t.forWithdraw));
      expect(await s.vault.convertToAssets(lpShares)).to.equal(assetsFor(lpShares, supply, t.forWithdraw));

      // The deposit itself mints what the deposit-side valuation at its own timestamp gives.
      const ts = await pinNextTimestamp();
      const atTx = await expectedTotals(s, [alice.address], price, ts);
      await expect(s.vault.connect(lp2).deposit(assets, lp2.address))
        .to.emit(s.vault, "Deposit")
        .withArgs(lp2.address, lp2.address, assets, sharesFor(assets, supply, atTx.forDeposit));
    });

    it("both_valuations_include_unrealised_losses_when_traders_win", async () => {
      const s = await loadFixture(deployWithLps);
      const [alice, bob] = s.traders;
      const eth = s.market(ETH).marketId;
      await act(s.engine, alice, eth, P, P2000, size("100"), usd("15000"));
      await act(s.engine, bob, eth, P, P2000, -size("20"), usd("3000"));
      await s.setPrice(ETH, "2100"); // the net long wins ~$8,000: the vault's loss
      const latest = BigInt(await time.latest());
      const t = await expectedTotals(s, [alice.address, bob.address], usd("2100"), latest);
      expect(t.valueUsd).to.be.lessThan(-usd("7000"));
      expect(await s.vault.totalAssets()).to.equal(t.forWithdraw);
      expect(await s.vault.totalAssetsForDeposit()).to.equal(t.forDeposit);
      expect(t.forDeposit).to.equal(t.forWithdraw);
      expect(await s.engine.vaultEquityUsd(false)).to.equal(t.cash + t.valueUsd);
      const supply = await s.vault.totalSupply();
      expect(await s.vault.previewDeposit(s.tokens("5000"))).to.equal(
        sharesFor(s.tokens("5000"), supply, t.forDeposit),
      );
      expect(await s.vault.previewRedeem(s.tokens("5000"))).to.equal(
        assetsFor(s.tokens("5000"), supply, t.forWithdraw),
      );
    });

    it("lp_cannot_profit_from_deposit_then_redeem_around_a_price_move", async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.integer({ min: -15_000, max: 15_000 }), // trader size, 0.01 ETH
          fc.bigInt({ min: 1_000_000n, max: 500_000_000_000n }), // LP deposit, token units
          fc.integer({ min: -2_000, max: 2_000 }), // price move, bps (within the 25% breaker)
          fc.integer({ min: 1, max: 3_000 }), // seconds between deposit and redeem
          async (sizeCenti, assets, moveBps, wait) => {
            const s = await loadFixture(deployWithLps);
            const [alice] = s.traders;
            const lp2 = s.traders[4];
            const eth = s.market(ETH).marketId;
            const q = BigInt(sizeCenti) * 10n ** 16n;
            if (q !== 0n) {
              const margin = (expectedNotional(q, P2000) * 1_000n) / BPS + usd("100");
              await s.engine.connect(alice).modifyPosition(eth, q, margin, q > 0n ? ANY_BUY_PRICE : 0n);
            }
            const before = await s.collateral.balanceOf(lp2.address);
            await s.vault.connect(lp2).deposit(assets, lp2.address);
            await time.increase(wait);
            const newPrice = (P2000 * (10_000n + BigInt(moveBps))) / 10_000n;
            await s.setPrice(ETH, formatUnits(newPrice, 18));
            await s.vault.connect(lp2).redeem(await s.vault.balanceOf(lp2.address), lp2.address, lp2.address);
            const after = await s.collateral.balanceOf(lp2.address);
            expect(after <= before, `LP gained ${after - before} on q=${q} move=${moveBps}bps`).to.equal(true);
          },
        ),
        { numRuns: 20 },
      );
    });
  });

  describe("withdrawal limits", () => {
    it("max_withdraw_is_owner_assets_capped_by_cash_and_exposure_headroom", async () => {
      // What the engine can pay LPs: min(cash, withdrawal-side equity − (the smallest equity whose 50% cap
      // still covers the vault's exposure + the reserve on gross open interest)). maxWithdraw is the owner's
      // assets capped by that.
      const s = await loadFixture(deployWithLps);
      const [alice] = s.traders;
      const lp2 = s.traders[4];
      const eth = s.market(ETH).marketId;
      await act(s.engine, alice, eth, P, P2000, size("100"), usd("15000"));
      await s.setPrice(ETH, "2150");
      await s.engine.connect(alice).modifyPosition(eth, -size("60"), 0n, 0n); // realises ~$8,900 of vault loss
      const cash = await s.engine.vaultCashUsd();
      const withdrawEquity = await s.engine.vaultEquityUsd(false);
      const exposure = expectedNotional(size("40"), usd("2150"));
      // One trader: gross open interest is the 40 ETH skew.
      const neededEquity = divCeil(exposure * BPS, P.maxVaultExposureBps) + divCeil(exposure * P.vaultReserveBps, BPS);
      expect(await s.engine.vaultRequiredEquityUsd()).to.equal(neededEquity);
      const headroom = minBig(cash, withdrawEquity - neededEquity);
      expect(await s.engine.maxVaultWithdrawalUsd()).to.equal(headroom);
      const lpShares = await s.vault.balanceOf(s.lp.address);
      const ownerAssets = await s.vault.previewRedeem(lpShares);
      const payableTokens = headroom / 10n ** 12n;
      expect(ownerAssets).to.be.greaterThan(payableTokens); // the cap binds before the owner's assets
      expect(await s.vault.maxWithdraw(s.lp.address)).to.equal(payableTokens);
      expect(await s.vault.maxWithdraw(lp2.address)).to.equal(0n);
      expect(await s.vault.maxRedeem(lp2.address)).to.equal(0n);
      await expect(s.vault.connect(lp2).withdraw(1n, lp2.address, lp2.address))
        .to.be.revertedWithCustomError(s.vault, "ERC4626ExceededMaxWithdraw")
        .withArgs(lp2.address, 1n, 0n);
    });

    it("vault_withdraw_reverts_when_vault_cash_insufficient", async () => {
      // Unreachable through LiquidityVault (maxWithdraw/maxRedeem never exceed the cash), so the hook is
      // called as the vault itself to show the engine's own guard.
      const s = await loadFixture(deployWithLps);
      const vaultAddress = await s.vault.getAddress();
      await impersonateAccount(vaultAddress);
      await setBalance(vaultAddress, 10n ** 18n);
      const asVault = await ethers.getSigner(vaultAddress);
      const cash = await s.engine.vaultCashUsd();
      const tooMuch = cash / 10n ** 12n + 1n;
      await expect(s.engine.connect(asVault).vaultWithdraw(s.lp.address, tooMuch))
        .to.be.revertedWithCustomError(s.engine, "VaultCashInsufficient")
        .withArgs(cash, tooMuch * 10n ** 12n);
      await stopImpersonatingAccount(vaultAddress);
    });

    it("lp_withdrawal_reverts_when_it_would_break_the_exposure_cap", async () => {
      const s = await loadFixture(deployWithLps);
      const [alice] = s.traders;
      const eth = s.market(ETH).marketId;
      // Vault short 230 ETH: $460,000 needs $920,000 of equity under the 50% cap plus the 12.5% reserve.
      await act(s.engine, alice, eth, P, P2000, size("230"), usd("30000"));
      await time.increase(60);
      const t = await pinNextTimestamp();
      const totals = await expectedTotals(s, [alice.address], P2000, t);
      expect(totals.valueUsd).to.be.greaterThan(0n); // skew premium and funding: gains, excluded
      const out = s.tokens("100000");
      // The vault refuses up front: maxWithdraw already accounts for the cap …
      const max = await s.vault.maxWithdraw(s.lp.address);
      expect(max).to.be.lessThan(out);
      await expect(s.vault.connect(s.lp).withdraw(out, s.lp.address, s.lp.address))
        .to.be.revertedWithCustomError(s.vault, "ERC4626ExceededMaxWithdraw")
        .withArgs(s.lp.address, out, max);
      // … and the engine enforces it on its own for any caller of its hook.
      const vaultAddress = await s.vault.getAddress();
      await impersonateAccount(vaultAddress);
      await setBalance(vaultAddress, 10n ** 18n);
      const asVault = await ethers.getSigner(vaultAddress);
      const cash = await s.engine.vaultCashUsd();
      const capUsd = ((cash - out * 10n ** 12n) * P.maxVaultExposureBps) / BPS;
      await expect(s.engine.connect(asVault).vaultWithdraw(s.lp.address, out))
        .to.be.revertedWithCustomError(s.engine, "VaultExposureCapExceeded")
        .withArgs(eth, expectedNotional(size("230"), P2000), capUsd);
      await stopImpersonatingAccount(vaultAddress);
      // A withdrawal that keeps the exposure within 50% of the remaining equity goes through.
      await s.vault.connect(s.lp).withdraw(s.tokens("10000"), s.lp.address, s.lp.address);
      // Once the trader closes, the cap no longer binds.
      await s.engine.connect(alice).closePosition(eth, 0n);
      await s.vault.connect(s.lp).withdraw(s.tokens("100000"), s.lp.address, s.lp.address);
    });

    it("lp_withdrawals_keep_the_reserve_on_gross_open_interest_under_a_balanced_book", async () => {
      // Equal longs and shorts: no net exposure to cap, but the vault keeps 12.5% of the gross notional for the
      // deficits it may absorb alone after a gap (fuzz finding, see test/fuzz/regressions.test.ts).
      const s = await loadFixture(deployWithLps);
      const [alice, bob] = s.traders;
      const eth = s.market(ETH).marketId;
      await s.engine.connect(alice).modifyPosition(eth, size("100"), usd("20000"), ANY_BUY_PRICE);
      await s.engine.connect(bob).modifyPosition(eth, -size("100"), usd("20000"), 0n);
      expect((await s.engine.getMarketState(eth)).netSize).to.equal(0n);
      const grossUsd = expectedNotional(size("200"), P2000);
      const reserve = divCeil(grossUsd * P.vaultReserveBps, BPS);
      expect(await s.engine.vaultRequiredEquityUsd()).to.equal(reserve);
      const equity = await s.engine.vaultEquityUsd(false);
      const headroom = minBig(await s.engine.vaultCashUsd(), equity - reserve);
      expect(await s.engine.maxVaultWithdrawalUsd()).to.equal(headroom);

      // The engine's own guard, one token unit past the headroom (as the vault, to bypass maxWithdraw).
      const vaultAddress = await s.vault.getAddress();
      await impersonateAccount(vaultAddress);
      await setBalance(vaultAddress, 10n ** 18n);
      const asVault = await ethers.getSigner(vaultAddress);
      const tooMuch = headroom / 10n ** 12n + 1n;
      await expect(s.engine.connect(asVault).vaultWithdraw(s.lp.address, tooMuch))
        .to.be.revertedWithCustomError(s.engine, "VaultEquityBelowRequirement")
        .withArgs(equity - tooMuch * 10n ** 12n, reserve);
      await stopImpersonatingAccount(vaultAddress);

      // Through the vault: the headroom exactly goes through, one unit more is refused up front.
      const max = await s.vault.maxWithdraw(s.lp.address);
      expect(max).to.equal(headroom / 10n ** 12n);
      await expect(s.vault.connect(s.lp).withdraw(max + 1n, s.lp.address, s.lp.address))
        .to.be.revertedWithCustomError(s.vault, "ERC4626ExceededMaxWithdraw")
        .withArgs(s.lp.address, max + 1n, max);
      await s.vault.connect(s.lp).withdraw(max, s.lp.address, s.lp.address);
      expect(await s.engine.vaultEquityUsd(false)).to.be.gte(reserve);
      // Closing the book releases the reserve.
      await s.engine.connect(alice).closePosition(eth, 0n);
      await s.engine.connect(bob).closePosition(eth, ANY_BUY_PRICE);
      expect(await s.engine.vaultRequiredEquityUsd()).to.equal(0n);
      expect(await s.vault.maxWithdraw(s.lp.address)).to.be.gt(0n);
    });

    // Regression: maxWithdraw/maxRedeem used to ignore the exposure cap that vaultWithdraw enforces.
    // ERC-4626 requires maxWithdraw to "factor in both global and user-specific limits".
    it("max_withdraw_never_reports_more_than_a_withdrawal_accepts", async () => {
      const s = await loadFixture(deployWithLps);
      const [alice] = s.traders;
      const eth = s.market(ETH).marketId;
      await s.engine.connect(alice).modifyPosition(eth, size("240"), usd("30000"), ANY_BUY_PRICE);
      const max = await s.vault.maxWithdraw(s.lp.address);
      await expect(s.vault.connect(s.lp).withdraw(max, s.lp.address, s.lp.address)).not.to.be.reverted;
      const maxShares = await s.vault.maxRedeem(s.lp.address);
      await expect(s.vault.connect(s.lp).redeem(maxShares, s.lp.address, s.lp.address)).not.to.be.reverted;
    });
  });

  // Regression (ERC-4626 compliance): maxDeposit/maxMint/maxWithdraw/maxRedeem "MUST NOT revert"; while the
  // vault cannot be valued (a stale feed) they report 0.
  it("max_functions_return_zero_instead_of_reverting_when_a_feed_is_stale", async () => {
    const s = await loadFixture(deployWithLps);
    const [alice] = s.traders;
    await s.engine.connect(alice).modifyPosition(s.market(ETH).marketId, size("1"), usd("500"), ANY_BUY_PRICE);
    await time.increase(3_601); // past the one-hour heartbeat
    expect(await s.vault.maxDeposit(s.lp.address)).to.equal(0n);
    expect(await s.vault.maxMint(s.lp.address)).to.equal(0n);
    expect(await s.vault.maxWithdraw(s.lp.address)).to.equal(0n);
    expect(await s.vault.maxRedeem(s.lp.address)).to.equal(0n);
  });

  describe("engine hooks", () => {
    it("vault_hooks_revert_when_caller_is_not_the_vault", async () => {
      const s = await loadFixture(deployWithLps);
      const [alice] = s.traders;
      await expect(s.engine.connect(alice).vaultDeposit(1n))
        .to.be.revertedWithCustomError(s.engine, "OnlyVault")
        .withArgs(alice.address);
      await expect(s.engine.connect(s.lp).vaultWithdraw(s.lp.address, 1n))
        .to.be.revertedWithCustomError(s.engine, "OnlyVault")
        .withArgs(s.lp.address);
      await expect(s.engine.connect(s.deployer).vaultWithdraw(s.deployer.address, 1n))
        .to.be.revertedWithCustomError(s.engine, "OnlyVault")
        .withArgs(s.deployer.address);
    });

    it("vault_deposit_reverts_when_a_fee_on_transfer_token_delivers_less", async () => {
      const [admin, lp] = await ethers.getSigners();
      const token = await ethers.deployContract("FeeOnTransferToken", [100n]);
      const engine = await deployPerpEngine(await token.getAddress(), admin.address, admin);
      const vault = await ethers.deployContract("LiquidityVault", [await engine.getAddress(), "LP", "LP"]);
      await engine.setVault(await vault.getAddress());
      await token.mint(lp.address, 10_000_000_000n);
      await token.connect(lp).approve(await vault.getAddress(), ethers.MaxUint256);
      // Without spare tokens the vault cannot even forward the full amount.
      await expect(vault.connect(lp).deposit(1_000_000_000n, lp.address)).to.be.revertedWithCustomError(
        token,
        "ERC20InsufficientBalance",
      );
      // With tokens donated to the vault it can, but the engine receives 1% less and refuses to price shares on it.
      await token.mint(await vault.getAddress(), 1_000_000_000n);
      await expect(vault.connect(lp).deposit(1_000_000_000n, lp.address))
        .to.be.revertedWithCustomError(engine, "TransferAmountMismatch")
        .withArgs(1_000_000_000n, 990_000_000n);
    });
  });

  describe("donations", () => {
    it("token_donations_to_vault_or_engine_do_not_change_share_price", async () => {
      const s = await loadFixture(deployWithLps);
      const [alice, , , donor] = s.traders;
      const lp2 = s.traders[4];
      const eth = s.market(ETH).marketId;
      await s.engine.connect(alice).modifyPosition(eth, size("50"), usd("8000"), ANY_BUY_PRICE);
      await s.setPrice(ETH, "1950");
      const probe = s.tokens("10000");
      const read = async () => ({
        totalAssets: await s.vault.totalAssets(),
        totalAssetsForDeposit: await s.vault.totalAssetsForDeposit(),
        previewDeposit: await s.vault.previewDeposit(probe),
        previewRedeem: await s.vault.previewRedeem(probe),
        convertToShares: await s.vault.convertToShares(probe),
        equityForDeposit: await s.engine.vaultEquityUsd(true),
        equityForWithdraw: await s.engine.vaultEquityUsd(false),
      });
      // Views are compared at one timestamp T, since funding keeps accruing into the deposit-side value.
      const T = BigInt(await time.latest()) + 10n;
      const before = await viewsAt(T, read);
      await s.collateral.connect(donor).transfer(await s.vault.getAddress(), s.tokens("25000"));
      expect(await viewsAt(T, read)).to.deep.equal(before);
      await s.collateral.connect(donor).transfer(await s.engine.getAddress(), s.tokens("25000"));
      expect(await viewsAt(T, read)).to.deep.equal(before);
      // A later deposit is priced on the engine's books alone, donations ignored.
      const supply = await s.vault.totalSupply();
      const ts = await pinNextTimestamp();
      const totals = await expectedTotals(s, [alice.address], usd("1950"), ts);
      await expect(s.vault.connect(lp2).deposit(probe, lp2.address))
        .to.emit(s.vault, "Deposit")
        .withArgs(lp2.address, lp2.address, probe, sharesFor(probe, supply, totals.forDeposit));
      expect(await s.collateral.balanceOf(await s.vault.getAddress())).to.equal(s.tokens("25000"));
    });
  });
});
