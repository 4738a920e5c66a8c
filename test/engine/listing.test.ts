import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { encodeBytes32String, keccak256, toUtf8Bytes, ZeroAddress, ZeroHash } from "ethers";

import { LOCAL_CONFIG } from "../../deploy/config";
import type { MarginTierStruct, MarketParamsStruct } from "../../typechain-types/contracts/PerpEngine";
import { deployLocalSystem, ETH } from "../helpers/fixtures";
import { deployPerpEngine, pinNextTimestamp } from "../helpers/engineHelpers";

// Tests for the MARKET LISTING and vault-connection admin paths of contracts/PerpEngine.sol: every listing
// and setup error in IPerpEngine.sol (hard parameter bounds, tier validation, market count, duplicate ids,
// the one-time vault connection) and the admin role.

const BASE_PARAMS = LOCAL_CONFIG.markets[0].params;
const BASE_TIERS = LOCAL_CONFIG.markets[0].tiers;
const U128_MAX = 2n ** 128n - 1n;
const WAD = 10n ** 18n;

const id = (symbol: string) => keccak256(toUtf8Bytes(symbol));

async function deployForListing() {
  const s = await deployLocalSystem();
  const oracle = await s.market(ETH).adapter.getAddress();
  return { ...s, oracle };
}

describe("PerpEngine market listing", () => {
  it("list_market_records_config_and_starts_the_funding_clock", async () => {
    const s = await loadFixture(deployForListing);
    const marketId = id("SOL-USD");
    const t = await pinNextTimestamp();
    await expect(s.engine.listMarket(marketId, s.oracle, BASE_PARAMS, BASE_TIERS)).to.emit(s.engine, "MarketListed");
    const [oracle, params] = await s.engine.getMarketConfig(marketId);
    expect(oracle).to.equal(s.oracle);
    expect(params.skewScale).to.equal(BASE_PARAMS.skewScale);
    expect(params.takerFeeBps).to.equal(BASE_PARAMS.takerFeeBps);
    expect(params.liquidationPenaltyBps).to.equal(BASE_PARAMS.liquidationPenaltyBps);
    expect(params.keeperPenaltyShareBps).to.equal(BASE_PARAMS.keeperPenaltyShareBps);
    expect(params.liquidationBufferBps).to.equal(BASE_PARAMS.liquidationBufferBps);
    expect(params.vaultReserveBps).to.equal(BASE_PARAMS.vaultReserveBps);
    expect((await s.engine.getMarginTiers(marketId)).length).to.equal(BASE_TIERS.length);
    expect((await s.engine.getMarketState(marketId)).lastFundingTimestamp).to.equal(t);
    expect(await s.engine.marketIds()).to.deep.equal([s.market(ETH).marketId, s.market("BTC-USD").marketId, marketId]);
  });

  it("list_market_reverts_when_caller_is_not_admin", async () => {
    const s = await loadFixture(deployForListing);
    const [alice] = s.traders;
    await expect(s.engine.connect(alice).listMarket(id("SOL-USD"), s.oracle, BASE_PARAMS, BASE_TIERS))
      .to.be.revertedWithCustomError(s.engine, "AccessControlUnauthorizedAccount")
      .withArgs(alice.address, ZeroHash);
  });

  it("list_market_reverts_when_market_already_listed", async () => {
    const s = await loadFixture(deployForListing);
    const eth = s.market(ETH).marketId;
    await expect(s.engine.listMarket(eth, s.oracle, BASE_PARAMS, BASE_TIERS))
      .to.be.revertedWithCustomError(s.engine, "MarketAlreadyListed")
      .withArgs(eth);
  });

  it("list_market_reverts_when_too_many_markets", async () => {
    const s = await loadFixture(deployForListing);
    for (let i = 2; i < 16; i++) await s.engine.listMarket(id(`M-${i}`), s.oracle, BASE_PARAMS, BASE_TIERS);
    expect((await s.engine.marketIds()).length).to.equal(16);
    await expect(s.engine.listMarket(id("M-16"), s.oracle, BASE_PARAMS, BASE_TIERS))
      .to.be.revertedWithCustomError(s.engine, "TooManyMarkets")
      .withArgs(16);
  });

  it("list_market_reverts_when_oracle_is_zero", async () => {
    const s = await loadFixture(deployForListing);
    await expect(s.engine.listMarket(id("SOL-USD"), ZeroAddress, BASE_PARAMS, BASE_TIERS))
      .to.be.revertedWithCustomError(s.engine, "ParameterOutOfBounds")
      .withArgs(encodeBytes32String("oracle"), 0n, 1n, 2n ** 160n - 1n);
  });

  const paramCases: [string, Partial<MarketParamsStruct>, bigint, bigint, bigint][] = [
    ["minPositionMarginUsd", { minPositionMarginUsd: 0n, keeperRewardUsd: 0n }, 0n, 1n, U128_MAX],
    ["keeperRewardUsd", { keeperRewardUsd: 10n * WAD + 1n }, 10n * WAD + 1n, 0n, 10n * WAD],
    ["maxOpenInterestPerSide", { maxOpenInterestPerSide: 0n }, 0n, 1n, BigInt(BASE_PARAMS.skewScale) - 1n],
    [
      "maxOpenInterestPerSide",
      { maxOpenInterestPerSide: BASE_PARAMS.skewScale },
      BigInt(BASE_PARAMS.skewScale),
      1n,
      BigInt(BASE_PARAMS.skewScale) - 1n,
    ],
    ["skewScale", { skewScale: 1n }, 1n, 2n, U128_MAX],
    ["maxFundingRatePerDayWad", { maxFundingRatePerDayWad: WAD + 1n }, WAD + 1n, 0n, WAD],
    ["takerFeeBps", { takerFeeBps: 1_001n }, 1_001n, 0n, 1_000n],
    ["insuranceFeeShareBps", { insuranceFeeShareBps: 10_001n }, 10_001n, 0n, 10_000n],
    ["maxVaultExposureBps", { maxVaultExposureBps: 0n }, 0n, 1n, 65_535n],
    // Liquidation parameters (Constants.sol: penalty ≤ 10%; shares and buffer ≤ 100%).
    ["liquidationPenaltyBps", { liquidationPenaltyBps: 1_001n }, 1_001n, 0n, 1_000n],
    ["keeperPenaltyShareBps", { keeperPenaltyShareBps: 10_001n }, 10_001n, 0n, 10_000n],
    ["liquidationBufferBps", { liquidationBufferBps: 10_001n }, 10_001n, 0n, 10_000n],
    // The LP-withdrawal reserve on gross open interest: at most 100% of the notional.
    ["vaultReserveBps", { vaultReserveBps: 10_001n }, 10_001n, 0n, 10_000n],
  ];
  for (const [name, override, value, min, max] of paramCases) {
    it(`list_market_reverts_when_${name}_is_${value}`, async () => {
      const s = await loadFixture(deployForListing);
      await expect(s.engine.listMarket(id("SOL-USD"), s.oracle, { ...BASE_PARAMS, ...override }, BASE_TIERS))
        .to.be.revertedWithCustomError(s.engine, "ParameterOutOfBounds")
        .withArgs(encodeBytes32String(name), value, min, max);
    });
  }

  it("list_market_accepts_liquidation_params_at_their_bounds", async () => {
    const s = await loadFixture(deployForListing);
    const bounds: [Partial<MarketParamsStruct>, string][] = [
      [
        {
          liquidationPenaltyBps: 1_000n,
          keeperPenaltyShareBps: 10_000n,
          liquidationBufferBps: 10_000n,
        },
        "MAX",
      ],
      [
        {
          liquidationPenaltyBps: 0n,
          keeperPenaltyShareBps: 0n,
          liquidationBufferBps: 0n,
        },
        "MIN",
      ],
    ];
    for (const [override, label] of bounds) {
      const marketId = id(`SOL-USD-${label}`);
      await expect(s.engine.listMarket(marketId, s.oracle, { ...BASE_PARAMS, ...override }, BASE_TIERS)).to.emit(
        s.engine,
        "MarketListed",
      );
      const [, params] = await s.engine.getMarketConfig(marketId);
      expect([params.liquidationPenaltyBps, params.keeperPenaltyShareBps, params.liquidationBufferBps]).to.deep.equal([
        override.liquidationPenaltyBps,
        override.keeperPenaltyShareBps,
        override.liquidationBufferBps,
      ]);
    }
  });

  const tier = (floor: bigint, im: bigint, mm: bigint): MarginTierStruct => ({
    notionalFloorUsd: floor,
    initialMarginBps: im,
    maintenanceMarginBps: mm,
  });
  const tierCases: [string, MarginTierStruct[], number][] = [
    ["empty", [], 0],
    ["more_than_eight", Array.from({ length: 9 }, (_, i) => tier(BigInt(i) * WAD, 500n, 250n)), 9],
    ["first_floor_not_zero", [tier(1n, 500n, 250n)], 0],
    ["maintenance_not_below_initial", [tier(0n, 500n, 500n)], 0],
    ["maintenance_zero", [tier(0n, 500n, 0n)], 0],
    ["initial_above_100_percent", [tier(0n, 500n, 250n), tier(WAD, 10_001n, 5_000n)], 1],
    ["floors_not_increasing", [tier(0n, 500n, 250n), tier(WAD, 600n, 300n), tier(WAD, 700n, 350n)], 2],
    ["rates_decreasing", [tier(0n, 500n, 250n), tier(WAD, 400n, 250n)], 1],
  ];
  for (const [label, tiers, index] of tierCases) {
    it(`list_market_reverts_when_tiers_${label}`, async () => {
      const s = await loadFixture(deployForListing);
      await expect(s.engine.listMarket(id("SOL-USD"), s.oracle, BASE_PARAMS, tiers))
        .to.be.revertedWithCustomError(s.engine, "InvalidMarginTier")
        .withArgs(index);
    });
  }
});

describe("PerpEngine vault connection", () => {
  it("set_vault_reverts_when_already_set", async () => {
    const s = await loadFixture(deployForListing);
    const vault = await s.vault.getAddress();
    await expect(s.engine.setVault(s.traders[0].address))
      .to.be.revertedWithCustomError(s.engine, "VaultAlreadySet")
      .withArgs(vault);
  });

  it("set_vault_reverts_when_zero_address_and_emits_once_set", async () => {
    const [admin, other] = await ethers.getSigners();
    const token = await ethers.deployContract("MockERC20", ["USD", "USD", 6]);
    const engine = await deployPerpEngine(await token.getAddress(), admin.address, admin);
    await expect(engine.setVault(ZeroAddress))
      .to.be.revertedWithCustomError(engine, "VaultAlreadySet")
      .withArgs(ZeroAddress);
    await expect(engine.connect(other).setVault(other.address))
      .to.be.revertedWithCustomError(engine, "AccessControlUnauthorizedAccount")
      .withArgs(other.address, ZeroHash);
    await expect(engine.setVault(other.address)).to.emit(engine, "VaultSet").withArgs(other.address);
    expect(await engine.vault()).to.equal(other.address);
  });
});
