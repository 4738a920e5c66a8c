// End-of-run liveness (DESIGN §12.10 at the scale of the whole system): after every command sequence the
// admin unpauses everything, the feeds get a valid price, the grace period passes, then every position is
// closed by its owner (or liquidated by a keeper when it is liquidatable), everyone withdraws, the LPs
// redeem, and the books must balance: nothing is stuck but the insurance fund, raw donations and dust.
import { currentFundingIndexWad, positionHealth } from "../../sdk/math";
import { ENGINE, FEED, VAULT } from "./chain";
import { liquidate, modifyPosition, unpause, withdraw } from "./model/engine";
import { answerIsValid } from "./model/oracle";
import { lpRedeem, maxRedeem } from "./model/vault";
import { freeOf, ledgerEntitlementUsd, positionOf, pushFeedRound, type ModelState } from "./model/state";
import { executePlan, type ModelBox, type Plan, type RunContext, type SubTx } from "./runner";
import { StepFailure } from "./invariants";

const MAX_UINT = (1n << 256n) - 1n;

export interface WindDownReport {
  /** Σ tokens withdrawn by traders and keepers over the run vs what their ledgers say (USD, 1e18). */
  withdrawnUsd: bigint;
  expectedUsd: bigint;
  /** Free-balance dust left (below one token unit per account), USD 1e18. */
  dustUsd: bigint;
  /** What stays in the engine: insurance fund, raw donations, dust, vault residual (USD 1e18). */
  insuranceUsd: bigint;
  donatedUsd: bigint;
  vaultResidualUsd: bigint;
  vaultResidualBoundUsd: bigint;
  /** Every share had been redeemed before the wind-down (the residual then also holds what accrued since). */
  vaultEmptiedMidRun: boolean;
}

function single(kind: string, label: string, sub: SubTx, actor?: string, keepers?: string[]): Plan {
  return { kind: `windDown.${kind}`, label: `windDown ${label}`, subTxs: [sub], actor, keepers };
}

function feedUpdates(rc: RunContext, s: ModelState, t: bigint): SubTx[] {
  return rc.cfg.markets.map((info, mi) => {
    const m = s.markets[mi];
    const answer = answerIsValid(info, m.feed.answer) ? m.feed.answer : m.lastValidAnswer;
    return {
      t: t + BigInt(mi),
      from: rc.cfg.admin,
      to: info.feed,
      data: FEED.encodeFunctionData("updateAnswer", [answer]),
      apply: (ctx) => {
        const mm = ctx.s.markets[mi];
        if (mm.feed.answer !== answer) mm.shadow.dirty = true;
        pushFeedRound(mm, answer, ctx.t);
        mm.lastValidAnswer = answer;
      },
      mustSucceed: "feed update",
    };
  });
}

export async function windDown(rc: RunContext, box: ModelBox): Promise<WindDownReport> {
  rc.windingDown = true;
  const { cfg } = rc;
  const exec = (plan: Plan) => executePlan(rc, box, plan);
  const engine = cfg.engine;

  // 1. Unpause every switch that is on (unpausing liquidations starts the grace period).
  const flags = [box.s.pauses.trading, box.s.pauses.liquidations, box.s.pauses.withdrawals];
  for (const [which, on] of flags.entries()) {
    if (!on) continue;
    const t = box.s.now + 1n;
    await exec(
      single("unpause", `unpause(${which})`, {
        t,
        from: cfg.admin,
        to: engine,
        data: ENGINE.encodeFunctionData("unpause", [which]),
        apply: (ctx) => unpause(ctx, which),
        mustSucceed: "admin unpause",
      }),
    );
  }
  // 2. Wait out the grace period, then give every market a fresh valid price.
  if (box.s.now + 1n < box.s.pauses.resumeAt) {
    await exec(single("wait", "wait for the grace period", { t: box.s.pauses.resumeAt - 1n, apply: () => undefined }));
  }
  await exec({
    kind: "windDown.prices",
    label: "windDown restore prices",
    subTxs: feedUpdates(rc, box.s, box.s.now + 1n),
  });

  // 3. Close or liquidate every position until none is left.
  const maxRounds = 400;
  for (let round = 0; round < maxRounds; round++) {
    const open: { account: string; mi: number }[] = [];
    box.s.markets.forEach((m, mi) => {
      for (const account of m.positions.keys()) open.push({ account, mi });
    });
    if (open.length === 0) break;
    const { account, mi } = open[0];
    const info = cfg.markets[mi];
    const s = box.s;
    const t = s.now + 1n;
    const m = s.markets[mi];
    const p = positionOf(m, account);
    const price = m.feed.answer * info.toWad;
    const index = currentFundingIndexWad(m.state, info.params, price, t);
    const health = positionHealth(m.state, p, price, index, info.tiers, info.params.keeperRewardUsd);
    if (health.isLiquidatable) {
      const keeper = cfg.keepers[round % cfg.keepers.length];
      await exec(
        single(
          "liquidate",
          `liquidate ${account} ${info.symbol}`,
          {
            t,
            from: keeper,
            to: engine,
            data: ENGINE.encodeFunctionData("liquidate", [account, info.id]),
            apply: (ctx) => liquidate(ctx, keeper, account, mi),
            mustSucceed: "wind-down: a liquidatable position is liquidated",
          },
          keeper,
          [keeper],
        ),
      );
    } else {
      const acceptable = p.size > 0n ? 0n : MAX_UINT;
      await exec(
        single(
          "close",
          `close ${account} ${info.symbol}`,
          {
            t,
            from: account,
            to: engine,
            data: ENGINE.encodeFunctionData("closePosition", [info.id, acceptable]),
            apply: (ctx) =>
              modifyPosition(ctx, {
                account,
                mi,
                sizeDelta: 0n,
                marginDelta: 0n,
                acceptablePrice: acceptable,
                close: true,
              }),
            mustSucceed: "wind-down: a healthy position can be closed by its owner",
          },
          account,
        ),
      );
    }
    if (round === maxRounds - 1) {
      throw new StepFailure(`end-of-run liveness: positions left after ${maxRounds} close/liquidate rounds`);
    }
  }
  if (box.s.markets.some((m) => m.positions.size > 0)) {
    throw new StepFailure("end-of-run liveness: positions are stuck open");
  }

  // 4. Everyone withdraws the whole free balance (token units; dust below one unit stays).
  for (const who of [...cfg.traders, ...cfg.keepers]) {
    const tokens = freeOf(box.s, who) / cfg.scale;
    if (tokens === 0n) continue;
    await exec(
      single(
        "withdraw",
        `withdraw ${who} ${tokens}`,
        {
          t: box.s.now + 1n,
          from: who,
          to: engine,
          data: ENGINE.encodeFunctionData("withdraw", [tokens]),
          apply: (ctx) => withdraw(ctx, who, tokens),
          mustSucceed: "wind-down: a flat account withdraws its free balance",
        },
        who,
      ),
    );
  }

  // 5. LPs redeem every share.
  const emptiedBefore = box.s.vaultEmptiedWithValue;
  const cashBefore = box.s.vaultCashUsd;
  const supplyBefore = box.s.shareSupply;
  let redemptions = 0n;
  for (const lp of cfg.lps) {
    const shares = box.s.shares.get(lp) ?? 0n;
    if (shares === 0n) continue;
    const max = maxRedeem(cfg, box.s, box.s.now + 1n, lp);
    if (max < shares) {
      throw new StepFailure(
        `end-of-run liveness: ${lp} can redeem only ${max} of its ${shares} shares with no position open`,
      );
    }
    redemptions++;
    await exec(
      single(
        "redeem",
        `redeem ${lp} ${shares}`,
        {
          t: box.s.now + 1n,
          from: lp,
          to: cfg.vault,
          data: VAULT.encodeFunctionData("redeem", [shares, lp, lp]),
          apply: (ctx) => void lpRedeem(ctx, lp, shares),
          mustSucceed: "wind-down: an LP redeems all its shares",
        },
        lp,
      ),
    );
  }

  // 6. The books: nothing stuck, every account paid exactly its ledger less dust.
  const s = box.s;
  const problems: string[] = [];
  let withdrawnUsd = 0n;
  let expectedUsd = 0n;
  let dustUsd = 0n;
  for (const who of [...cfg.traders, ...cfg.keepers]) {
    const l = s.ledger.get(who);
    if (!l) continue;
    const free = freeOf(s, who);
    if (free >= cfg.scale) problems.push(`${who} still has ${free} free after withdrawing`);
    dustUsd += free;
    withdrawnUsd += l.withdrawnUsd;
    expectedUsd += ledgerEntitlementUsd(l);
  }
  // total withdrawn == deposited + realised PnL − fees − funding − losses − penalties (+ keeper rewards and
  // written-off deficits) − dust, with 0 ≤ dust < one token unit per account (withdrawals round down).
  if (withdrawnUsd + dustUsd !== expectedUsd) {
    problems.push(`withdrawn ${withdrawnUsd} + dust ${dustUsd} ≠ ledger ${expectedUsd}`);
  }
  const accounts = BigInt(cfg.traders.length + cfg.keepers.length);
  if (dustUsd < 0n || dustUsd >= accounts * cfg.scale) problems.push(`dust ${dustUsd} outside [0, ${accounts}·scale)`);
  if (s.shareSupply !== 0n) problems.push(`${s.shareSupply} vault shares left after every LP redeemed`);
  // The virtual share keeps at most about one share's worth per redemption, plus the sub-token remainder.
  const perShareTokens = supplyBefore === 0n ? 0n : (cashBefore / cfg.scale + 1n) / (supplyBefore + 1n) + 1n;
  const vaultResidualBoundUsd = (redemptions * (perShareTokens + 1n) + 1n) * cfg.scale;
  if (s.vaultCashUsd < 0n || (!emptiedBefore && s.vaultCashUsd > vaultResidualBoundUsd)) {
    problems.push(`vault residual ${s.vaultCashUsd} outside [0, ${vaultResidualBoundUsd}]`);
  }
  const f = s.flows;
  const base = rc.baseEngineTokens;
  const ledgerTokens =
    base +
    f.traderDeposits +
    f.lpDeposits +
    f.insuranceDonations +
    f.rawDonations -
    f.traderWithdrawals -
    f.lpWithdrawals;
  if (ledgerTokens !== s.engineTokens) problems.push(`token ledger ${ledgerTokens} ≠ engine balance ${s.engineTokens}`);
  const stuck = s.engineTokens * cfg.scale - (s.insuranceUsd + s.donatedTokens * cfg.scale + dustUsd + s.vaultCashUsd);
  if (stuck !== 0n) problems.push(`${stuck} USD-wei in the engine belong to nobody`);
  if (problems.length > 0) throw new StepFailure(`end-of-run liveness:\n  ${problems.join("\n  ")}`);
  rc.windingDown = false;
  return {
    withdrawnUsd,
    expectedUsd,
    dustUsd,
    insuranceUsd: s.insuranceUsd,
    donatedUsd: s.donatedTokens * cfg.scale,
    vaultResidualUsd: s.vaultCashUsd,
    vaultResidualBoundUsd,
    vaultEmptiedMidRun: emptiedBefore,
  };
}
