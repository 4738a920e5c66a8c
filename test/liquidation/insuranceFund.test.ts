import { expect } from "chai";
import { ethers, network } from "hardhat";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";

import { LOCAL_CONFIG } from "../../deploy/config";
import { deploySystem } from "../../deploy/deploySystem";
import { deployLocalSystem, deployWith, usd, size, ETH, ANY_BUY_PRICE as MAX_BUY } from "../helpers/fixtures";
import {
  ETH_LIQUIDATION_DEFAULTS as ETH_PARAMS,
  expectedFee as takerFee,
  expectedFill as fill,
  depositFromTraders,
  ethConfig,
  expectConservation,
  minOpenMargin,
  openPosition as open,
  predictLiquidation,
  withAdlOff,
  type System,
} from "../helpers/engineHelpers";
import { withParams } from "./liquidationFixtures";

// The insurance fund (DESIGN §10; PerpEngine INSURANCE FUND section, LiquidationLogic waterfall):
// inflows are donations (credited by balance delta), the fee share and the penalty share; outflows are
// deficit coverage and keeper-reward top-ups only; governance (DEFAULT_ADMIN_ROLE) may withdraw only the
// excess over the target. Every movement emits an event carrying the fund's new balance; it is never negative.

const P = ETH_PARAMS;
const ADMIN_ROLE = ethers.ZeroHash;

async function deployFunded() {
  const s = await withAdlOff(await deployLocalSystem());
  await depositFromTraders(s, 4, "20000");
  await s.collateral.mint(s.deployer.address, s.tokens("100000"));
  await s.collateral.approve(await s.engine.getAddress(), ethers.MaxUint256);
  return s;
}

/** The system over a 1% fee-on-transfer token (no vault seeding: the vault path rejects such tokens). */
async function deployOverFeeToken() {
  const [deployer, donor] = await ethers.getSigners();
  const token = await (await ethers.getContractFactory("FeeOnTransferToken", deployer)).deploy(100n);
  const system = await deploySystem(deployer, { ...LOCAL_CONFIG, collateral: await token.getAddress() }, network.name);
  await token.mint(donor.address, 1_000_000_000n);
  await token.connect(donor).approve(await system.engine.getAddress(), ethers.MaxUint256);
  return { ...system, token, donor };
}

const NO_FEE_SHARE = ethConfig({ insuranceFeeShareBps: 0n, maxFundingRatePerDayWad: 0n });
const NO_FEE_SHARE_PARAMS = withParams({ insuranceShareBps: 0n, maxFundingRate: 0n });
async function deployNoFeeShare() {
  const s = await withAdlOff(await deployWith(NO_FEE_SHARE));
  await depositFromTraders(s, 4, "20000");
  await s.collateral.mint(s.deployer.address, s.tokens("1000"));
  await s.collateral.approve(await s.engine.getAddress(), ethers.MaxUint256);
  return s;
}

const accounts = (s: System) => [s.deployer.address, s.keeper.address, ...s.traders.slice(0, 4).map((t) => t.address)];

describe("insurance fund", () => {
  describe("donations", () => {
    it("donateToInsurance_credits_the_amount_and_emits_InsuranceDonated", async () => {
      const s = await loadFixture(deployFunded);
      const before = await s.engine.insuranceFund();
      await expect(s.engine.donateToInsurance(s.tokens("1234.5")))
        .to.emit(s.engine, "InsuranceDonated")
        .withArgs(s.deployer.address, s.tokens("1234.5"), before + usd("1234.5"));
      expect(await s.engine.insuranceFund()).to.equal(before + usd("1234.5"));
      await expectConservation(
        s.engine,
        accounts(s),
        s.markets.map((m) => m.marketId),
      );
    });

    it("donateToInsurance_credits_the_balance_delta_of_a_fee_on_transfer_token", async () => {
      const s = await loadFixture(deployOverFeeToken);
      const received = 1_000_000n - (1_000_000n * 100n) / 10_000n; // 1% burnt in transfer
      await expect(s.engine.connect(s.donor).donateToInsurance(1_000_000n))
        .to.emit(s.engine, "InsuranceDonated")
        .withArgs(s.donor.address, received, received * 10n ** 12n);
      expect(await s.engine.insuranceFund()).to.equal(received * 10n ** 12n);
      expect(await s.token.balanceOf(await s.engine.getAddress())).to.equal(received);
    });

    it("donateToInsurance_reverts_ZeroAmount_for_zero", async () => {
      const s = await loadFixture(deployFunded);
      await expect(s.engine.donateToInsurance(0n)).to.be.revertedWithCustomError(s.engine, "ZeroAmount");
    });
  });

  describe("governance", () => {
    it("setInsuranceFundTarget_is_admin_only_and_emits_InsuranceFundTargetSet", async () => {
      const s = await loadFixture(deployFunded);
      const outsider = s.traders[0];
      await expect(s.engine.connect(outsider).setInsuranceFundTarget(usd("1")))
        .to.be.revertedWithCustomError(s.engine, "AccessControlUnauthorizedAccount")
        .withArgs(outsider.address, ADMIN_ROLE);
      await expect(s.engine.setInsuranceFundTarget(usd("5000")))
        .to.emit(s.engine, "InsuranceFundTargetSet")
        .withArgs(usd("5000"));
      expect(await s.engine.insuranceFundTarget()).to.equal(usd("5000"));
    });

    it("withdrawInsuranceExcess_by_a_non_admin_reverts_AccessControlUnauthorizedAccount", async () => {
      const s = await loadFixture(deployFunded);
      await s.engine.donateToInsurance(s.tokens("1000"));
      for (const outsider of [s.traders[0], s.keeper, s.lp]) {
        await expect(s.engine.connect(outsider).withdrawInsuranceExcess(outsider.address, s.tokens("1")))
          .to.be.revertedWithCustomError(s.engine, "AccessControlUnauthorizedAccount")
          .withArgs(outsider.address, ADMIN_ROLE);
      }
    });

    it("withdrawInsuranceExcess_allows_exactly_the_excess_over_target_and_reverts_beyond_it", async () => {
      const s = await loadFixture(deployFunded);
      await s.engine.donateToInsurance(s.tokens("1000"));
      await s.engine.setInsuranceFundTarget(usd("400"));
      const fund = await s.engine.insuranceFund();
      expect(fund).to.equal(usd("1000"));
      const receiver = s.traders[5].address;
      // 600.000001 tokens is one token unit more than the excess.
      await expect(s.engine.withdrawInsuranceExcess(receiver, s.tokens("600.000001")))
        .to.be.revertedWithCustomError(s.engine, "InsuranceWithdrawalExceedsExcess")
        .withArgs(fund, usd("400"), usd("600.000001"));
      const tokensBefore = await s.collateral.balanceOf(receiver);
      await expect(s.engine.withdrawInsuranceExcess(receiver, s.tokens("600")))
        .to.emit(s.engine, "InsuranceWithdrawn")
        .withArgs(receiver, s.tokens("600"), usd("400"));
      expect(await s.collateral.balanceOf(receiver)).to.equal(tokensBefore + s.tokens("600"));
      expect(await s.engine.insuranceFund()).to.equal(usd("400"));
      // At the target nothing more can leave.
      await expect(s.engine.withdrawInsuranceExcess(receiver, 1n))
        .to.be.revertedWithCustomError(s.engine, "InsuranceWithdrawalExceedsExcess")
        .withArgs(usd("400"), usd("400"), 10n ** 12n);
      // Below target (target raised above the fund) nothing can leave either.
      await s.engine.setInsuranceFundTarget(usd("500"));
      await expect(s.engine.withdrawInsuranceExcess(receiver, 1n)).to.be.revertedWithCustomError(
        s.engine,
        "InsuranceWithdrawalExceedsExcess",
      );
      await expectConservation(
        s.engine,
        accounts(s),
        s.markets.map((m) => m.marketId),
      );
    });

    it("withdrawInsuranceExcess_reverts_ZeroAmount_for_zero", async () => {
      const s = await loadFixture(deployFunded);
      await expect(s.engine.withdrawInsuranceExcess(s.deployer.address, 0n)).to.be.revertedWithCustomError(
        s.engine,
        "ZeroAmount",
      );
    });
  });

  describe("inflows", () => {
    it("each_trade_credits_20pct_of_its_fee_with_InsuranceFeeCredited", async () => {
      const s = await loadFixture(deployFunded);
      const id = s.market(ETH).marketId;
      const f = fill(usd("2000"), 0n, size("10"), P.skewScale);
      const fee = takerFee(size("10"), f, P.takerFeeBps); // 10 × 2,000.1 × 5 bps = 10.0005
      expect(fee).to.equal(usd("10.0005"));
      const share = (fee * P.insuranceShareBps) / 10_000n;
      expect(share).to.equal(usd("2.0001"));
      await expect(open(s, s.traders[0], ETH, "10", "1100"))
        .to.emit(s.engine, "InsuranceFeeCredited")
        .withArgs(id, share, share);
      expect(await s.engine.insuranceFund()).to.equal(share);
    });

    it("liquidation_credits_three_quarters_of_the_penalty_with_InsurancePenaltyCredited", async () => {
      const s = await loadFixture(deployFunded);
      const id = s.market(ETH).marketId;
      await open(s, s.traders[0], ETH, "10", "1100");
      await s.setPrice(ETH, "1915");
      const e = await predictLiquidation(s.engine, P, s.traders[0].address, id, usd("1915"));
      const fundBefore = await s.engine.insuranceFund();
      const fundShare = e.penalty - (e.penalty * P.keeperShareBps) / 10_000n;
      expect(fundShare).to.equal((e.penalty * 3n) / 4n + (e.penalty % 4n === 0n ? 0n : 1n));
      await expect(s.engine.connect(s.keeper).liquidate(s.traders[0].address, id))
        .to.emit(s.engine, "InsurancePenaltyCredited")
        .withArgs(id, s.traders[0].address, fundShare, fundBefore + fundShare);
      expect(await s.engine.insuranceFund()).to.equal(fundBefore + fundShare);
      await expectConservation(
        s.engine,
        accounts(s),
        s.markets.map((m) => m.marketId),
      );
    });
  });

  describe("outflows", () => {
    it("bankrupt_liquidation_pays_the_keeper_top_up_then_the_deficit_with_events", async () => {
      const s = await loadFixture(deployFunded);
      const id = s.market(ETH).marketId;
      await s.engine.donateToInsurance(s.tokens("20000"));
      const margin = minOpenMargin(P, usd("2000"), 0n, size("10"));
      await s.engine.connect(s.traders[0]).modifyPosition(id, size("10"), margin, MAX_BUY);
      await s.setPrice(ETH, "1200");
      const e = await predictLiquidation(s.engine, P, s.traders[0].address, id, usd("1200"));
      const fundBefore = await s.engine.insuranceFund();
      const tx = await s.engine.connect(s.keeper).liquidate(s.traders[0].address, id);
      await expect(tx)
        .to.emit(s.engine, "InsuranceKeeperTopUp")
        .withArgs(id, s.keeper.address, P.keeperReward, fundBefore - P.keeperReward);
      await expect(tx)
        .to.emit(s.engine, "InsuranceDeficitPaid")
        .withArgs(id, s.traders[0].address, e.deficit, fundBefore - P.keeperReward - e.deficit);
      await expect(tx).not.to.emit(s.engine, "InsurancePenaltyCredited");
      expect(await s.engine.insuranceFund()).to.equal(fundBefore - P.keeperReward - e.deficit);
      await expectConservation(
        s.engine,
        accounts(s),
        s.markets.map((m) => m.marketId),
      );
    });

    it("fund_smaller_than_the_keeper_reward_tops_up_what_it_has_and_never_goes_negative", async () => {
      const s = await loadFixture(deployNoFeeShare);
      const id = s.market(ETH).marketId;
      const p = NO_FEE_SHARE_PARAMS;
      await open(s, s.traders[1], ETH, "-5", "3000");
      const margin = minOpenMargin(p, usd("2000"), -size("5"), size("10"));
      await s.engine.connect(s.traders[0]).modifyPosition(id, size("10"), margin, MAX_BUY);
      expect(await s.engine.insuranceFund()).to.equal(0n);
      await s.engine.donateToInsurance(1n); // one token unit: 1e-6 USD
      const dust = 10n ** 12n;
      expect(await s.engine.insuranceFund()).to.equal(dust);
      await s.setPrice(ETH, "1200");
      const e = await predictLiquidation(s.engine, p, s.traders[0].address, id, usd("1200"));
      const tx = await s.engine.connect(s.keeper).liquidate(s.traders[0].address, id);
      await expect(tx).to.emit(s.engine, "InsuranceKeeperTopUp").withArgs(id, s.keeper.address, dust, 0n);
      await expect(tx).not.to.emit(s.engine, "InsuranceDeficitPaid");
      await expect(tx)
        .to.emit(s.engine, "Liquidated")
        .withArgs(
          s.traders[0].address,
          id,
          s.keeper.address,
          size("10"),
          e.exec,
          0n,
          0n,
          0n,
          dust,
          e.deficit,
          0n,
          0n,
          e.deficit,
          0n,
        );
      // The vault, with ample equity, absorbs the whole deficit: nothing is socialized (DESIGN §8 step 3).
      expect(e.vaultPaid, "the vault absorbs the deficit").to.equal(e.deficit);
      expect(await s.engine.insuranceFund()).to.equal(0n);
      expect(await s.engine.freeBalance(s.keeper.address)).to.equal(dust);
      // With the fund at zero, the next bankrupt liquidation still goes through and tops up nothing.
      await expectConservation(
        s.engine,
        accounts(s),
        s.markets.map((m) => m.marketId),
      );
    });
  });
});
