/**
 * Step 0: everyone takes their place at the path's opening price. LPs fund the vault, the insurance fund is
 * donated to its scenario level, then every trader is funded (mock USDC minted to it), deposits its margin
 * plus its reserve and opens through the order flow.
 */
import { divCeilU } from "../../sdk/math/signedMath";
import { planOpening, usdWad } from "../agents/openingPlan";
import type { LpAgent } from "../agents/lpAgent";
import type { TraderAgent } from "../agents/traderAgent";
import type { FeedPoster } from "./feedPoster";
import { executeOrdersBeforeExpiry } from "./keeperPhase";
import type { RunContext } from "./runContext";

/** Token units for a USD amount, rounded up (the agent deposits at least what it needs). */
export function tokensFor(context: RunContext, amountUsd: bigint): bigint {
  return divCeilU(amountUsd, context.deployment.collateralScale);
}

/** Gives `account` `tokenAmount` of collateral: minted locally, from real holders on a fork (sim/engine/environment.ts). */
export async function fund(context: RunContext, account: string, tokenAmount: bigint): Promise<void> {
  await context.environment.fund(context, account, tokenAmount);
}

export async function setupLps(context: RunContext, lps: readonly LpAgent[]): Promise<void> {
  for (const lp of lps) {
    await context.chain.impersonate(lp.spec.address);
    const tokens = tokensFor(context, usdWad(lp.spec.depositUsd));
    await fund(context, lp.spec.address, tokens);
    context.required(
      "vault approval",
      await context.calls.approveCollateral(lp.spec.address, context.deployment.vault),
    );
    const outcome = await context.calls.vaultDeposit(lp.spec.address, tokens);
    context.logAction("lp", lp.spec.address, "lpDeposit", outcome);
    context.required("LP deposit", outcome);
  }
}

export async function setupInsuranceFund(context: RunContext, insuranceFundUsd: number): Promise<void> {
  if (insuranceFundUsd === 0) return;
  const { deployer, engine } = context.deployment;
  const tokens = tokensFor(context, usdWad(insuranceFundUsd));
  await fund(context, deployer, tokens);
  context.required("insurance approval", await context.calls.approveCollateral(deployer, engine));
  const outcome = await context.calls.donateToInsurance(deployer, tokens);
  context.logAction("setup", deployer, "insuranceDonation", outcome);
  context.required("insurance donation", outcome);
}

/** Funds and opens every trader at step 0's price; returns nothing, the agents hold their margins. */
export async function setupTraders(
  context: RunContext,
  traders: readonly TraderAgent[],
  openingPricesWad: ReadonlyMap<string, bigint>,
  reserveMultiple: number,
  feeds: FeedPoster,
): Promise<void> {
  const skews = new Map<string, bigint>();
  const reserveMilli = BigInt(Math.round(reserveMultiple * 1_000));
  for (const trader of traders) {
    await feeds.refreshStale();
    await executeOrdersBeforeExpiry(context);
    const { spec } = trader;
    const market = context.market(spec.symbol);
    const price = openingPricesWad.get(spec.symbol)!;
    const skew = skews.get(spec.symbol) ?? 0n;
    const plan = planOpening(spec, market, price, skew);
    trader.marginUsd = plan.marginUsd;
    trader.effectiveLeverage = plan.effectiveLeverage;
    trader.reserveUsd = (plan.marginUsd * reserveMilli) / 1_000n;
    await context.chain.impersonate(spec.address);
    // Margin, reserve and the execution fee a delayed order escrows.
    const deposit = tokensFor(context, plan.marginUsd + trader.reserveUsd + market.params.executionFeeUsd);
    await fund(context, spec.address, deposit);
    context.required("engine approval", await context.calls.approveCollateral(spec.address, context.deployment.engine));
    context.required("trader deposit", await context.calls.depositToEngine(spec.address, deposit));
    const submission = await context.keeper.submitOrder({
      account: spec.address,
      marketId: market.marketId,
      sizeDelta: plan.sizeDelta,
      marginDeltaUsd: plan.marginUsd,
      acceptablePrice: plan.acceptablePrice,
    });
    context.logAction("trader", spec.address, "open", submission.outcome);
    if (submission.outcome.ok) skews.set(spec.symbol, skew + plan.sizeDelta);
    if (submission.status === "committed") context.orderCommitted();
  }
}
