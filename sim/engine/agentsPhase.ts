/**
 * The agents' turn in a step, after the keeper: each trader (in index order) decides on its mirrored
 * position and acts; then each LP looks at the share price and may panic. Orders go through the order flow.
 */
import { currentFundingIndexWad, positionHealth } from "../../sdk/math/engineMath";
import type { MarketState } from "../../sdk/math/types";
import { acceptablePriceFor, planOpening } from "../agents/openingPlan";
import type { LpAgent } from "../agents/lpAgent";
import type { TraderAgent } from "../agents/traderAgent";
import { LiquidityVault__factory } from "../../typechain-types";
import type { Interface } from "ethers";
import { fund, tokensFor } from "./setup";
import { fillPriceWad } from "../../sdk/math/positionMath";
import { executeOrdersBeforeExpiry } from "./keeperPhase";
import type { RunContext } from "./runContext";

const PPM = 1_000_000n;
const vaultInterface = LiquidityVault__factory.createInterface() as Interface;

interface MarketNow {
  priceWad: bigint;
  state: MarketState;
  fundingIndexWad: bigint;
}

async function marketsNow(context: RunContext): Promise<Map<string, MarketNow>> {
  const block = await context.chain.blockNumber();
  const now = BigInt(await context.chain.blockTimestamp(block));
  const result = new Map<string, MarketNow>();
  for (const market of context.deployment.markets) {
    const priceWad = await context.calls.markPrice(market.marketId, block);
    if (priceWad === undefined) continue; // nobody trades on an invalid price
    const state = await context.calls.marketState(market.marketId, block);
    result.set(market.symbol, {
      priceWad,
      state,
      fundingIndexWad: currentFundingIndexWad(state, market.params, priceWad, now),
    });
  }
  return result;
}

export async function tradersAct(context: RunContext, traders: readonly TraderAgent[]): Promise<void> {
  const markets = await marketsNow(context);
  for (const trader of traders) {
    const { spec } = trader;
    if (spec.behaviour === "hold" || trader.finished) continue;
    await executeOrdersBeforeExpiry(context);
    const now = markets.get(spec.symbol);
    if (!now) continue;
    const market = context.market(spec.symbol);
    const position = context.ledger.position(market.marketId, spec.address);
    const health = position
      ? positionHealth(
          now.state,
          position,
          now.priceWad,
          now.fundingIndexWad,
          market.tiers,
          market.params.keeperRewardUsd,
        )
      : undefined;
    const decision = trader.decide(position, health, now.priceWad, context.step);
    if (!decision) continue;
    if (decision.kind === "topUp") {
      const outcome = await context.calls.modifyPosition(spec.address, market.marketId, 0n, decision.amountUsd, 0n);
      context.logAction("trader", spec.address, "topUp", outcome);
      if (outcome.ok) {
        trader.reserveUsd -= decision.amountUsd;
        trader.topUps++;
      }
    } else if (decision.kind === "takeProfit" && position) {
      const fill = fillPriceWad(now.priceWad, now.state.netSize, -position.size, market.params.skewScale);
      const submission = await context.keeper.submitOrder({
        account: spec.address,
        marketId: market.marketId,
        sizeDelta: -position.size,
        marginDeltaUsd: 0n,
        acceptablePrice: acceptablePriceFor(fill, position.size < 0n),
        closeAll: true,
      });
      context.logAction("trader", spec.address, "takeProfit", submission.outcome);
      if (submission.outcome.ok) {
        trader.closeSubmitted();
        now.state.netSize -= position.size;
        if (submission.status === "committed") context.orderCommitted();
      }
    } else if (decision.kind === "reenter") {
      const plan = planOpening(spec, market, now.priceWad, now.state.netSize);
      await fund(context, spec.address, tokensFor(context, plan.marginUsd));
      context.required(
        "re-entry deposit",
        await context.calls.depositToEngine(spec.address, tokensFor(context, plan.marginUsd)),
      );
      const submission = await context.keeper.submitOrder({
        account: spec.address,
        marketId: market.marketId,
        sizeDelta: plan.sizeDelta,
        marginDeltaUsd: plan.marginUsd,
        acceptablePrice: plan.acceptablePrice,
      });
      context.logAction("trader", spec.address, "reenter", submission.outcome);
      trader.reentries++;
      trader.liquidatedAtStep = undefined;
      if (submission.outcome.ok) {
        trader.marginUsd = plan.marginUsd;
        now.state.netSize += plan.sizeDelta;
        if (submission.status === "committed") context.orderCommitted();
      }
    }
  }
}

export async function lpsAct(context: RunContext, lps: readonly LpAgent[]): Promise<void> {
  const block = await context.chain.blockNumber();
  const totalAssets = await context.calls.vaultTotalAssets(block);
  const [supply] = vaultInterface.decodeFunctionResult(
    "totalSupply",
    await context.chain.call(context.deployment.vault, vaultInterface.encodeFunctionData("totalSupply", []), block),
  );
  for (const lp of lps) {
    const fractionPpm = lp.decide(totalAssets, supply as bigint);
    if (fractionPpm === 0n) continue;
    const held = await context.calls.vaultShares(lp.spec.address);
    const redeemable = await context.calls.maxRedeem(lp.spec.address);
    const wanted = (held * fractionPpm) / PPM;
    const shares = wanted < redeemable ? wanted : redeemable;
    if (shares === 0n) {
      context.records.push({
        type: "action",
        step: context.step,
        role: "lp",
        actor: lp.spec.address,
        kind: "lpRedeem",
        ok: false,
        reason: "NothingRedeemable",
        reasonArgs: [held.toString(), redeemable.toString()],
      });
      continue;
    }
    context.logAction("lp", lp.spec.address, "lpRedeem", await context.calls.vaultRedeem(lp.spec.address, shares));
  }
}
