import { expect } from "chai";
import fc from "fast-check";
import { ethers, network } from "hardhat";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";

import { deployLocalSystem, usd, ETH, ANY_BUY_PRICE as MAX_BUY, ANY_SELL_PRICE as ANY_SELL } from "../helpers/fixtures";
import {
  WAD,
  ETH_LIQUIDATION_DEFAULTS as ETH_PARAMS,
  engineEvents,
  minOpenMargin,
  readMarket,
  withAdlOff,
  type System,
} from "../helpers/engineHelpers";

// Self-liquidation must never be profitable (DESIGN §7), including the hedged version: a long in one
// account, a short of the same size in another, and the losing one liquidated from a third account to
// farm the keeper reward. The flat keeper reward is part of the maintenance requirement, so it is paid
// from the liquidated position's own margin — from the attacker to itself — while the attacker pays
// taker fees and the fund's share of the penalty. The properties below close every position, pull every
// balance out, and check that the attacker's accounts together never end above what they put in.
//
// Why oracle gaps beyond the bankruptcy price are excluded from the hedged property: if the price jumps
// past the losing leg's bankruptcy price in one oracle update, that leg's loss beyond its margin (the
// deficit) is paid by the insurance fund (or, when the fund is short, by the opposite side's LPs and
// traders), while the winning leg keeps its whole gain. A hedged pair across such a gap therefore profits
// by exactly the deficit the fund covered plus the keeper top-up, less fees. That is not a flaw in
// liquidation: absorbing gap losses is the insurance fund's purpose, and no keeper can act inside a gap.
// It is listed in the README's known issues. The last test shows the case deterministically and bounds
// it: the profit is exactly the insurance-paid deficit plus the keeper top-up minus the fees paid, so the
// loss is accounted for, never created.

const P = ETH_PARAMS;

async function deployAttackers() {
  const s = await withAdlOff(await deployLocalSystem());
  // A third-party donor seeds the insurance fund, so that gaps and top-ups are paid, not socialized.
  await s.collateral.mint(s.deployer.address, s.tokens("50000"));
  await s.collateral.approve(await s.engine.getAddress(), ethers.MaxUint256);
  await s.engine.donateToInsurance(s.tokens("50000"));
  return s;
}

/** The attacker's total value: tokens in wallets (×scale) + free balances + margins left in positions. */
async function attackerValue(s: System, accounts: HardhatEthersSigner[]) {
  const scale = await s.engine.collateralScale();
  let total = 0n;
  for (const a of accounts) {
    total += (await s.collateral.balanceOf(a.address)) * scale;
    total += await s.engine.freeBalance(a.address);
    total += (await s.engine.getPosition(a.address, s.market(ETH).marketId)).marginUsd;
  }
  return total;
}

/** Closes whatever is open and withdraws every whole token unit of each account's free balance. */
async function closeAndWithdrawAll(s: System, accounts: HardhatEthersSigner[]) {
  const id = s.market(ETH).marketId;
  const scale = await s.engine.collateralScale();
  for (const a of accounts) {
    const pos = await s.engine.getPosition(a.address, id);
    if (pos.size !== 0n) await s.engine.connect(a).closePosition(id, pos.size > 0n ? ANY_SELL : MAX_BUY);
    const tokens = (await s.engine.freeBalance(a.address)) / scale;
    if (tokens > 0n) await s.engine.connect(a).withdraw(tokens);
  }
}

/** Deposits exactly `marginWad` (rounded up to a token unit) and opens `q` with that margin. */
async function depositAndOpen(s: System, a: HardhatEthersSigner, q: bigint, marginWad: bigint) {
  const scale = await s.engine.collateralScale();
  const tokens = (marginWad + scale - 1n) / scale;
  await s.engine.connect(a).deposit(tokens);
  await s.engine.connect(a).modifyPosition(s.market(ETH).marketId, q, marginWad, q > 0n ? MAX_BUY : ANY_SELL);
}

const GAS = { gasLimit: 3_000_000 };

/** Sends the transactions into one block (automine paused) and returns their receipts' transactions. */
async function inOneBlock(sends: (() => Promise<{ hash: string }>)[]) {
  await network.provider.send("evm_setAutomine", [false]);
  const txs: { hash: string }[] = [];
  try {
    for (const send of sends) txs.push(await send());
    await network.provider.send("evm_mine", []);
  } finally {
    await network.provider.send("evm_setAutomine", [true]);
  }
  const receipts = await Promise.all(txs.map((t) => ethers.provider.getTransactionReceipt(t.hash)));
  expect(
    receipts.map((r) => r!.status),
    "all succeed",
  ).to.deep.equal(txs.map(() => 1));
  expect(new Set(receipts.map((r) => r!.blockNumber)).size, "one block").to.equal(1);
  return txs;
}

const priceToFeed = (priceWad: bigint) => priceWad / 10n ** 10n; // 8-decimal feed

describe("self-liquidation", () => {
  it("plain_self_liquidation_from_a_second_account_never_profits", async () => {
    let liquidations = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.boolean(),
        fc.integer({ min: 1, max: 200 }), // size in 0.1 ETH
        fc.integer({ min: 0, max: 50 }), // extra margin over the minimum, in % of it
        fc.integer({ min: 1, max: 600 }), // adverse move beyond the liquidation price, in 0.1% (gaps included)
        async (isLong, tenths, extraPct, permille) => {
          const s = await loadFixture(deployAttackers);
          const id = s.market(ETH).marketId;
          const [victim, keeperAccount] = s.traders;
          const accounts = [victim, keeperAccount];
          const before = await attackerValue(s, accounts);
          const q = (isLong ? 1n : -1n) * BigInt(tenths) * 10n ** 17n;
          const minMargin = minOpenMargin(P, usd("2000"), 0n, q);
          await depositAndOpen(s, victim, q, minMargin + (minMargin * BigInt(extraPct)) / 100n);
          const lp = await s.engine.liquidationPrice(victim.address, id);
          const move = (lp * BigInt(permille)) / 1000n;
          const target = isLong ? lp - move : lp + move;
          if (target <= usd("1")) return;
          await s.market(ETH).feed.updateAnswer(priceToFeed(target));
          if (!(await s.engine.isLiquidatable(victim.address, id))) return;
          await s.engine.connect(keeperAccount).liquidate(victim.address, id);
          liquidations++;
          await closeAndWithdrawAll(s, accounts);
          const after = await attackerValue(s, accounts);
          expect(after <= before, `attacker ends with ${after - before} more`).to.equal(true);
        },
      ),
      { numRuns: 30, interruptAfterTimeLimit: 25_000 },
    );
    expect(liquidations).to.be.greaterThan(10);
  });

  it("hedged_self_liquidation_with_a_keeper_acting_at_the_first_liquidatable_step_never_profits", async () => {
    let liquidations = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 300 }), // size in 0.1 ETH (each leg)
        fc.integer({ min: 0, max: 40 }), // extra margin over the minimum, in % of it
        fc.boolean(), // walk direction: down hurts the long, up the short
        fc.array(fc.integer({ min: 5, max: 50 }), { minLength: 80, maxLength: 80 }), // steps in 0.01%
        async (tenths, extraPct, down, steps) => {
          const s = await loadFixture(deployAttackers);
          const id = s.market(ETH).marketId;
          const [longAccount, shortAccount, keeperAccount] = s.traders;
          const accounts = [longAccount, shortAccount, keeperAccount];
          const before = await attackerValue(s, accounts);
          const q = BigInt(tenths) * 10n ** 17n;
          const mLong = minOpenMargin(P, usd("2000"), 0n, q);
          await depositAndOpen(s, longAccount, q, mLong + (mLong * BigInt(extraPct)) / 100n);
          const skew = (await readMarket(s.engine, id)).netSize;
          const mShort = minOpenMargin(P, usd("2000"), skew, -q);
          await depositAndOpen(s, shortAccount, -q, mShort + (mShort * BigInt(extraPct)) / 100n);

          // Walk in steps of at most 0.5%; the keeper acts at the first step where a leg is liquidatable.
          let price = usd("2000");
          let liquidated: HardhatEthersSigner | undefined;
          for (const bp of steps) {
            const delta = (price * BigInt(bp)) / 10_000n;
            price = ((down ? price - delta : price + delta) / 10n ** 10n) * 10n ** 10n;
            await s.market(ETH).feed.updateAnswer(priceToFeed(price));
            for (const leg of [longAccount, shortAccount]) {
              if (await s.engine.isLiquidatable(leg.address, id)) liquidated = leg;
            }
            if (liquidated) break;
          }
          if (!liquidated) return;
          const tx = await s.engine.connect(keeperAccount).liquidate(liquidated.address, id);
          liquidations++;
          // No gap: the position's own margin paid everything; the fund topped nothing up.
          const ev = (await engineEvents(s.engine, tx)).find((x) => x.name === "Liquidated")!;
          expect(ev.args.deficitUsd).to.equal(0n);
          await expect(tx).not.to.emit(s.engine, "InsuranceKeeperTopUp");
          await closeAndWithdrawAll(s, accounts);
          const after = await attackerValue(s, accounts);
          expect(after <= before, `attacker ends with ${after - before} more`).to.equal(true);
        },
      ),
      { numRuns: 30, interruptAfterTimeLimit: 30_000 },
    );
    expect(liquidations).to.be.greaterThan(10);
  });

  it("hedged_pair_across_a_gap_beyond_bankruptcy_profits_exactly_the_fund_paid_deficit_plus_top_up_less_fees", async () => {
    const s = await loadFixture(deployAttackers);
    const id = s.market(ETH).marketId;
    const [longAccount, shortAccount, keeperAccount] = s.traders;
    const accounts = [longAccount, shortAccount, keeperAccount];
    const before = await attackerValue(s, accounts);
    // 10 ETH each way at maximum leverage. Sizes and prices are chosen so every skew fill is exact (no
    // rounding), so the vault's fills against the two legs cancel to the wei. The legs open in one block
    // and the short closes in the liquidation's block, so no time passes with a non-zero skew: no funding.
    const q = 10n * WAD;
    const scale = await s.engine.collateralScale();
    const mLong = minOpenMargin(P, usd("2000"), 0n, q);
    const mShort = minOpenMargin(P, usd("2000"), q, -q);
    await s.engine.connect(longAccount).deposit((mLong + scale - 1n) / scale);
    await s.engine.connect(shortAccount).deposit((mShort + scale - 1n) / scale);
    await inOneBlock([
      () => s.engine.connect(longAccount).modifyPosition(id, q, mLong, MAX_BUY, GAS),
      () => s.engine.connect(shortAccount).modifyPosition(id, -q, mShort, ANY_SELL, GAS),
    ]);
    expect((await s.engine.getPosition(shortAccount.address, id)).size).to.equal(-q);
    expect((await s.engine.insuranceFund()) > usd("10000"), "the fund can cover the gap").to.equal(true);

    await s.setPrice(ETH, "1200"); // −40% in one update: far through the long's bankruptcy price
    const [tx] = await inOneBlock([
      () => s.engine.connect(keeperAccount).liquidate(longAccount.address, id, GAS),
      () => s.engine.connect(shortAccount).closePosition(id, MAX_BUY, GAS),
    ]);
    expect((await s.engine.getPosition(shortAccount.address, id)).size).to.equal(0n);
    const ev = (await engineEvents(s.engine, tx)).find((x) => x.name === "Liquidated")!;
    const deficit = ev.args.deficitUsd as bigint;
    const insurancePaid = ev.args.insurancePaidUsd as bigint;
    // Written out: margin after the fee 1,003; the close at 1,199.94 realises 10 × (1,199.94 − 2,000.1).
    expect(deficit).to.equal(usd("6998.6"));
    expect(insurancePaid, "the fund covers the whole deficit").to.equal(deficit);
    expect(ev.args.socializedUsd).to.equal(0n);
    const topUps = (await engineEvents(s.engine, tx)).filter((x) => x.name === "InsuranceKeeperTopUp");
    expect(topUps.length).to.equal(1);
    const topUp = topUps[0].args.amountUsd as bigint;
    expect(topUp).to.equal(P.keeperReward);

    // Every taker fee the attacker paid (two opens and the close), from the PositionModified events.
    let fees = 0n;
    const fills: bigint[] = [];
    const filter = s.engine.filters.PositionModified();
    for (const log of await s.engine.queryFilter(filter, 0, "latest")) {
      if (![longAccount.address, shortAccount.address].includes(log.args.account)) continue;
      fees += log.args.feeUsd;
      fills.push(log.args.fillPriceWad);
    }
    // Opens both at 2,000.1, liquidation exec and the close both at 1,199.94: the vault nets zero.
    expect(fills).to.deep.equal([usd("2000.1"), usd("2000.1"), usd("1199.94")]);
    expect(ev.args.executionPriceWad).to.equal(usd("1199.94"));

    await closeAndWithdrawAll(s, accounts);
    const profit = (await attackerValue(s, accounts)) - before;
    expect(profit, "profit == insurance-paid deficit + keeper top-up − fees").to.equal(insurancePaid + topUp - fees);
    expect(profit > 0n, "the gap is profitable to the hedged pair").to.equal(true);
    expect(profit <= insurancePaid + topUp, "bounded by what the fund paid out").to.equal(true);
    // …and the fund paid out exactly that: donation + fee shares − deficit − top-up.
    let insuranceFees = 0n;
    for (const log of await s.engine.queryFilter(s.engine.filters.InsuranceFeeCredited(), 0, "latest")) {
      insuranceFees += log.args.amountUsd;
    }
    const donated = usd("50000");
    expect(await s.engine.insuranceFund()).to.equal(donated + insuranceFees - insurancePaid - topUp);
  });
});
