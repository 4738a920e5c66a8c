import { expect } from "chai";
import { ethers, network } from "hardhat";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";

import { LOCAL_CONFIG } from "../../deploy/config";
import { deployLocalSystem, deployWith, usd, ETH, ANY_BUY_PRICE as MAX_BUY } from "../helpers/fixtures";
import {
  WAD,
  ETH_LIQUIDATION_DEFAULTS as ETH_PARAMS,
  depositFromTraders,
  expectedLiquidation,
  readPosition,
  readMarket,
  predictLiquidation,
  expectLiquidationMatches,
  liquidationBalances,
  expectConservation,
  engineEvents,
  openPosition as open,
  withAdlOff,
  type System,
} from "../helpers/engineHelpers";
import { setPriceWad } from "./liquidationFixtures";
import type { PausableBlacklistToken } from "../../typechain-types";

// Liveness of liquidation (DESIGN §7): nothing the trader controls can block it. The engine makes no
// token transfer, no callback and no call to the trader during a liquidation and pays by internal credit,
// so a trader contract with a hostile fallback, a paused or blacklisting collateral token, and a funding
// poke by the trader in the same block all leave it working.

const P = ETH_PARAMS;
const GAS = { gasLimit: 3_000_000 };

async function liquidateChecked(s: System, account: string, priceWad: bigint) {
  const id = s.market(ETH).marketId;
  const e = await predictLiquidation(s.engine, P, account, id, priceWad);
  const before = await liquidationBalances(s.engine, s.keeper.address, account);
  const tx = await s.engine.connect(s.keeper).liquidate(account, id, GAS);
  await expectLiquidationMatches(s.engine, tx, e, { account, keeper: s.keeper.address, marketId: id }, before);
  return { e, tx };
}

/** Two trader contracts (reverting and gas-burning fallbacks), each with a 10 ETH long at ~18x. */
async function deployHostileTraders() {
  const s = await withAdlOff(await deployLocalSystem());
  const owner = s.traders[0];
  const reverting = await (await ethers.getContractFactory("RevertingFallbackTrader", owner)).deploy();
  const burning = await (await ethers.getContractFactory("GasBurningFallbackTrader", owner)).deploy();
  const engineAddress = await s.engine.getAddress();
  const collateralAddress = await s.collateral.getAddress();
  const id = s.market(ETH).marketId;
  for (const trader of [reverting, burning]) {
    const address = await trader.getAddress();
    await s.collateral.mint(address, s.tokens("5000"));
    await trader.execute(
      collateralAddress,
      s.collateral.interface.encodeFunctionData("approve", [engineAddress, ethers.MaxUint256]),
    );
    await trader.execute(engineAddress, s.engine.interface.encodeFunctionData("deposit", [s.tokens("5000")]));
    await trader.execute(
      engineAddress,
      s.engine.interface.encodeFunctionData("modifyPosition", [id, usd("10"), usd("1100"), MAX_BUY]),
    );
  }
  return { ...s, reverting, burning };
}

/** The system over a pausable, blacklisting collateral token; trader 0 holds a 10 ETH long at ~18x. */
async function deployOverPausableToken() {
  const [deployer] = await ethers.getSigners();
  const token = (await (
    await ethers.getContractFactory("PausableBlacklistToken", deployer)
  ).deploy("Pausable USD", "PUSD", 6)) as unknown as PausableBlacklistToken;
  const s = await withAdlOff(await deployWith({ ...LOCAL_CONFIG, collateral: await token.getAddress() }));
  await depositFromTraders(s, 3, "20000");
  await open(s, s.traders[0], ETH, "10", "1100");
  await open(s, s.traders[1], ETH, "10", "1100");
  return { ...s, token };
}

const accountsOf = (s: System, extra: string[] = []) => [
  s.keeper.address,
  ...s.traders.slice(0, 8).map((t) => t.address),
  ...extra,
];

describe("liquidation liveness", () => {
  describe("trader contracts with hostile fallbacks", () => {
    for (const kind of ["reverting", "burning"] as const) {
      it(`liquidation_succeeds_for_a_trader_contract_with_a_${kind === "reverting" ? "reverting" : "gas_burning"}_fallback`, async () => {
        const s = await loadFixture(deployHostileTraders);
        const trader = kind === "reverting" ? s.reverting : s.burning;
        const address = await trader.getAddress();
        // The fallback really is hostile.
        if (kind === "reverting") {
          await expect(s.traders[1].sendTransaction({ to: address, value: 1n })).to.be.reverted;
        } else {
          await expect(s.traders[1].sendTransaction({ to: address, data: "0x1234", gasLimit: 200_000 })).to.be.reverted;
        }
        const id = s.market(ETH).marketId;
        await s.setPrice(ETH, "1939");
        const { e } = await liquidateChecked(s, address, usd("1939"));
        expect(e.partial).to.equal(true);
        // A price where the rest closes fully with margin left for the trader (found with the model).
        const pos = await readPosition(s.engine, address, id);
        const st = await readMarket(s.engine, id);
        const window: bigint[] = [];
        for (let dollars = 1939n; dollars > 1800n; dollars--) {
          const x = expectedLiquidation({
            p: P,
            pos,
            st,
            priceWad: dollars * WAD,
            timestamp: st.lastFundingTimestamp + 5n,
            fund: 0n,
          });
          if (x.liquidatable && !x.partial && x.traderCredit > 0n) window.push(dollars * WAD);
        }
        expect(window.length > 2).to.equal(true);
        const second = window[Math.floor(window.length / 2)];
        await setPriceWad(s, ETH, second);
        const { e: e2 } = await liquidateChecked(s, address, second);
        expect(e2.partial, "then fully").to.equal(false);
        expect((await s.engine.getPosition(address, id)).size).to.equal(0n);
        // The remaining margin was credited internally, next to the unused deposit; the contract pulls it.
        expect(e2.traderCredit > 0n, "the trader is owed its remaining margin").to.equal(true);
        const free = await s.engine.freeBalance(address);
        expect(free).to.equal(usd("3900") + e2.traderCredit);
        await expectConservation(
          s.engine,
          accountsOf(s, [address, await s.reverting.getAddress(), await s.burning.getAddress()]),
          [s.market(ETH).marketId],
        );
        const tokens = free / (await s.engine.collateralScale());
        await trader.execute(await s.engine.getAddress(), s.engine.interface.encodeFunctionData("withdraw", [tokens]));
        expect(await s.collateral.balanceOf(address)).to.equal(tokens);
      });
    }
  });

  describe("collateral token controls", () => {
    it("liquidation_succeeds_while_the_collateral_token_is_paused", async () => {
      const s = await loadFixture(deployOverPausableToken);
      await s.token.setPaused(true);
      // Transfers are really blocked: deposits and withdrawals revert.
      await expect(s.engine.connect(s.traders[2]).deposit(s.tokens("1"))).to.be.revertedWithCustomError(
        s.token,
        "TokenPaused",
      );
      await expect(s.engine.connect(s.traders[2]).withdraw(s.tokens("1"))).to.be.revertedWithCustomError(
        s.token,
        "TokenPaused",
      );
      await s.setPrice(ETH, "1915");
      await liquidateChecked(s, s.traders[0].address, usd("1915"));
      await liquidateChecked(s, s.traders[1].address, usd("1915"));
      await expectConservation(
        s.engine,
        accountsOf(s),
        s.markets.map((m) => m.marketId),
      );
      // Once unpaused, the keeper pulls its reward.
      await s.token.setPaused(false);
      const reward = (await s.engine.freeBalance(s.keeper.address)) / (await s.engine.collateralScale());
      await s.engine.connect(s.keeper).withdraw(reward);
      expect(await s.token.balanceOf(s.keeper.address)).to.equal(reward);
    });

    it("liquidation_succeeds_while_the_trader_is_blacklisted_and_credits_it_internally", async () => {
      const s = await loadFixture(deployOverPausableToken);
      const trader = s.traders[0];
      await s.token.setBlacklisted(trader.address, true);
      await s.setPrice(ETH, "1915");
      const { e } = await liquidateChecked(s, trader.address, usd("1915"));
      expect(e.traderCredit > 0n).to.equal(true);
      // The credit sits in the free balance; the token refuses to deliver it while blacklisted.
      await expect(s.engine.connect(trader).withdraw(s.tokens("1")))
        .to.be.revertedWithCustomError(s.token, "AccountBlacklisted")
        .withArgs(trader.address);
      await expectConservation(
        s.engine,
        accountsOf(s),
        s.markets.map((m) => m.marketId),
      );
    });

    it("liquidation_succeeds_while_the_keeper_is_blacklisted", async () => {
      const s = await loadFixture(deployOverPausableToken);
      await s.token.setBlacklisted(s.keeper.address, true);
      await s.setPrice(ETH, "1915");
      await liquidateChecked(s, s.traders[0].address, usd("1915"));
    });
  });

  describe("same-block interference", () => {
    it("funding_poke_by_the_trader_in_the_same_block_does_not_block_the_liquidation", async () => {
      const s = await loadFixture(deployOverPausableToken);
      const id = s.market(ETH).marketId;
      const trader = s.traders[0];
      await s.setPrice(ETH, "1915");
      await network.provider.send("evm_setAutomine", [false]);
      let poke, poke2, liquidation;
      try {
        // The trader pokes funding before and after the keeper's transaction lands, in the same block.
        poke = await s.engine.connect(trader).pokeFunding(id, GAS);
        liquidation = await s.engine.connect(s.keeper).liquidate(trader.address, id, GAS);
        poke2 = await s.engine.connect(trader).pokeFunding(id, GAS);
        await network.provider.send("evm_mine", []);
      } finally {
        await network.provider.send("evm_setAutomine", [true]);
      }
      const receipts = await Promise.all(
        [poke, liquidation, poke2].map((t) => ethers.provider.getTransactionReceipt(t!.hash)),
      );
      expect(new Set(receipts.map((r) => r!.blockNumber)).size, "one block").to.equal(1);
      expect(receipts.map((r) => r!.status)).to.deep.equal([1, 1, 1]);
      const liquidated = (await engineEvents(s.engine, liquidation!)).filter((x) => x.name === "Liquidated");
      expect(liquidated.length).to.equal(1);
      expect((await s.engine.getPosition(trader.address, id)).size).to.equal(0n);
      await expectConservation(
        s.engine,
        accountsOf(s),
        s.markets.map((m) => m.marketId),
      );
    });
  });
});
