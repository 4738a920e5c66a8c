/**
 * Seeds the devnet for `npm start` (issue 14): LPs in the vault, about 30 traders with open positions across
 * leverage (2× to 20×) on every market and both sides, and the insurance fund at its target. Agents are
 * derived addresses the node impersonates (the wallet accounts a user imports stay untouched); collateral
 * is the mock USDC anyone can mint. Trades go through the same order flow as the simulator's.
 *
 *   const seeded = await seedDemo({ rpcUrl, book });   // after the deployment, before the keeper starts
 */
import { formatUnits } from "ethers";
import type { AddressBook } from "../../sdk/addressBook";
import { SimChain } from "../chain/simChain";
import { planOpening, usdWad } from "../agents/openingPlan";
import { agentAddress } from "../agents/population";
import { createKeeper, type KeeperAdapter } from "../keeper/keeperAdapter";
import { ProtocolCalls } from "../protocol/calls";
import { attachToDeployment } from "../protocol/deployment";
import { Prng } from "../random/prng";
import { SimError, TransactionFailedError } from "../errors";
import { divCeilU } from "../../sdk/math/signedMath";
import { PerpEngine__factory } from "../../typechain-types";
import { encodeCall } from "../protocol/abiEncoding";
import type { Interface } from "ethers";

const engineInterface = PerpEngine__factory.createInterface() as Interface;

/** Leverages the demo traders cycle through. */
export const DEMO_LEVERAGES = [2, 3, 5, 8, 10, 12, 15, 18, 20] as const;
/** Median notional of a demo position (USD) and the spread of its lognormal. */
const DEMO_MEDIAN_NOTIONAL_USD = 15_000;
const DEMO_NOTIONAL_SIGMA = 0.6;
const DEMO_MIN_NOTIONAL_USD = 1_000;
const DEMO_MAX_NOTIONAL_USD = 80_000;

export interface SeedDemoOptions {
  rpcUrl: string;
  book: AddressBook;
  seed?: number | string;
  traders?: number;
  lps?: number;
  /** Each LP's deposit (USD). */
  lpDepositUsd?: number;
  /** Node account that mints and donates (default #0, the deployer). */
  funderIndex?: number;
}

export interface SeededTrader {
  address: string;
  symbol: string;
  side: "long" | "short";
  leverage: number;
  notionalUsd: number;
  /** Its open was submitted successfully (committed as a delayed order, or executed at once). */
  opened: boolean;
  /** The open was a delayed order (the seeding executes it after the delay). */
  committed: boolean;
  /** The custom error when the open was refused. */
  error?: string;
}

export interface SeedDemoResult {
  traders: SeededTrader[];
  lps: string[];
  insuranceFundUsd: string;
  insuranceFundTargetUsd: string;
}

/** How long the seeding waits for its delayed orders to be executed (the devnet's delay is 5 s). */
export const ORDER_EXECUTION_TIMEOUT_MS = 60_000;
const ORDER_POLL_MS = 1_000;

/**
 * On a devnet with delayed orders the opens were only committed: wait out the delay and execute them (the
 * seeding acts as the executor; a keeper running at the same time may execute some first, harmlessly).
 */
async function executeSeededOrders(
  keeper: KeeperAdapter,
  chain: SimChain,
  engine: string,
  traders: SeededTrader[],
  marketIdOf: (symbol: string) => string,
): Promise<void> {
  const committed = traders.filter((t) => t.committed);
  if (committed.length === 0) return;
  const stillPending = async () => {
    let count = 0;
    for (const trader of committed) {
      const raw = await chain.call(
        engine,
        encodeCall(engineInterface, "getOrder", [trader.address, marketIdOf(trader.symbol)]),
      );
      const [order] = engineInterface.decodeFunctionResult("getOrder", raw);
      if (order.sizeDelta !== 0n || order.marginDeltaUsd !== 0n) count++;
    }
    return count;
  };
  const deadline = Date.now() + ORDER_EXECUTION_TIMEOUT_MS;
  for (;;) {
    const result = await keeper.processBlock();
    const pending = await stillPending();
    if (pending === 0) return;
    if (Date.now() > deadline) {
      throw new SimError(`${pending} demo orders were not executed in time`, { result: result.ordersProcessed });
    }
    await new Promise((resolve) => setTimeout(resolve, ORDER_POLL_MS));
  }
}

export async function seedDemo(options: SeedDemoOptions): Promise<SeedDemoResult> {
  const chain = await SimChain.connect({ kind: "url", url: options.rpcUrl }, "node");
  try {
    const accounts = await chain.accounts();
    const funder = accounts[options.funderIndex ?? 0];
    if (!funder) throw new SimError("the node has no unlocked account to fund the demo from");
    const deployment = await attachToDeployment(chain, options.book, funder);
    const calls = new ProtocolCalls(chain, deployment);
    const orders = createKeeper({
      chain,
      deployment,
      calls,
      standInAddress: funder,
      // The devnet's own keeper runs next to the seeding; this one only executes the seeding's orders.
      options: { implementation: "stand-in", batchSize: 100, maxRoundsPerStep: 1 },
    });
    const required = (what: string, outcome: Awaited<ReturnType<ProtocolCalls["mintCollateral"]>>) => {
      if (!outcome.ok)
        throw new TransactionFailedError(`${what}: ${outcome.reason.name}`, { message: outcome.message });
    };
    const tokens = (usd: bigint) => divCeilU(usd, deployment.collateralScale);

    const lpAddresses: string[] = [];
    const lpDeposit = usdWad(options.lpDepositUsd ?? 2_000_000);
    for (let i = 0; i < (options.lps ?? 3); i++) {
      const lp = agentAddress("demo-lp", i);
      await chain.impersonate(lp);
      required("LP mint", await calls.mintCollateral(funder, lp, tokens(lpDeposit)));
      required("LP approval", await calls.approveCollateral(lp, deployment.vault));
      required("LP deposit", await calls.vaultDeposit(lp, tokens(lpDeposit)));
      lpAddresses.push(lp);
    }

    const prng = new Prng(options.seed ?? "demo").fork("demo-traders");
    const skews = new Map<string, bigint>();
    const prices = new Map<string, bigint>();
    for (const market of deployment.markets) {
      const price = await calls.markPrice(market.marketId);
      if (price === undefined) throw new SimError(`${market.symbol} has no valid price: start the feeder first`);
      prices.set(market.symbol, price);
      skews.set(market.symbol, (await calls.marketState(market.marketId)).netSize);
    }
    const traders: SeededTrader[] = [];
    const count = options.traders ?? 30;
    for (let i = 0; i < count; i++) {
      const market = deployment.markets[i % deployment.markets.length];
      const isLong = Math.floor(i / deployment.markets.length) % 2 === 0;
      const leverage = DEMO_LEVERAGES[i % DEMO_LEVERAGES.length];
      const drawn = DEMO_MEDIAN_NOTIONAL_USD * Math.exp(DEMO_NOTIONAL_SIGMA * prng.normal());
      const notionalUsd = Math.round(Math.min(DEMO_MAX_NOTIONAL_USD, Math.max(DEMO_MIN_NOTIONAL_USD, drawn)));
      const address = agentAddress("demo-trader", i);
      const skew = skews.get(market.symbol)!;
      const plan = planOpening({ isLong, notionalUsd, leverage }, market, prices.get(market.symbol)!, skew);
      // Margin plus as much again in the free balance (to add margin from the dApp), and an order's fee.
      const deposit = tokens(plan.marginUsd * 2n + market.params.executionFeeUsd);
      await chain.impersonate(address);
      required("trader mint", await calls.mintCollateral(funder, address, deposit));
      required("trader approval", await calls.approveCollateral(address, deployment.engine));
      required("trader deposit", await calls.depositToEngine(address, deposit));
      const submission = await orders.submitOrder({
        account: address,
        marketId: market.marketId,
        sizeDelta: plan.sizeDelta,
        marginDeltaUsd: plan.marginUsd,
        acceptablePrice: plan.acceptablePrice,
      });
      if (submission.outcome.ok) skews.set(market.symbol, skew + plan.sizeDelta);
      traders.push({
        committed: submission.status === "committed",
        address,
        symbol: market.symbol,
        side: isLong ? "long" : "short",
        leverage: plan.effectiveLeverage,
        notionalUsd,
        opened: submission.outcome.ok,
        error: submission.outcome.ok ? undefined : submission.outcome.reason.name,
      });
    }

    const marketIdOf = (symbol: string) => deployment.markets.find((m) => m.symbol === symbol)!.marketId;
    await executeSeededOrders(orders, chain, deployment.engine, traders, marketIdOf);
    // An order may have been cancelled at execution (its reason is in OrderCancelled): report what is open.
    for (const trader of traders.filter((t) => t.committed)) {
      const raw = await chain.call(
        deployment.engine,
        encodeCall(engineInterface, "getPosition", [trader.address, marketIdOf(trader.symbol)]),
      );
      const [position] = engineInterface.decodeFunctionResult("getPosition", raw);
      if (position.size === 0n) {
        trader.opened = false;
        trader.error = "order cancelled at execution";
      }
    }

    const view = async (fn: string) =>
      engineInterface.decodeFunctionResult(
        fn,
        await chain.call(deployment.engine, engineInterface.encodeFunctionData(fn, [])),
      )[0] as bigint;
    const target = await view("insuranceFundTarget");
    const fund = await view("insuranceFund");
    if (fund < target) {
      const donation = tokens(target - fund);
      required("insurance mint", await calls.mintCollateral(funder, funder, donation));
      required("insurance approval", await calls.approveCollateral(funder, deployment.engine));
      required("insurance donation", await calls.donateToInsurance(funder, donation));
    }
    const finalFund = await view("insuranceFund");
    return {
      traders,
      lps: lpAddresses,
      insuranceFundUsd: formatUnits(finalFund, 18),
      insuranceFundTargetUsd: formatUnits(target, 18),
    };
  } finally {
    await chain.close();
  }
}
