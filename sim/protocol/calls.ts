/**
 * The transactions and views the simulator uses, encoded once per call with the TypeChain interfaces
 * (no ethers Contract round trips in the step loop), each with an explicit gas limit.
 */
import { MaxUint256, type Interface } from "ethers";
import {
  FuzzLens__factory,
  LiquidityVault__factory,
  MockERC20__factory,
  MockV3Aggregator__factory,
  PerpEngine__factory,
} from "../../typechain-types";
import type { AdlConfig, MarketState, Position } from "../../sdk/math/types";
import { decodeResult, encodeCall } from "./abiEncoding";
import type { SimChain, TxOutcome, TxRequest } from "../chain/simChain";
import type { SimDeployment } from "./deployment";

/** Gas limits (all under the Osaka per-transaction cap of 2^24). */
export const GAS = {
  erc20: 120_000n,
  engineDeposit: 200_000n,
  /** Open/increase/close, including the automatic vault-protection walk (≤ 4 closes). */
  trade: 3_000_000n,
  marginMove: 1_500_000n,
  /** An order's execution runs the trade in a self-call that must not run out of gas. */
  orderExecution: 4_000_000n,
  /** LP deposit/redeem values every market. */
  vault: 2_000_000n,
  feedUpdate: 250_000n,
  donate: 250_000n,
  /** Upper bound for one keeper transaction (the per-transaction cap is 16,777,216). */
  keeperMax: 16_000_000n,
} as const;

/** Accounts read per FuzzLens call (3 views each; keeps a call far under the block gas limit). */
export const LENS_ACCOUNTS_PER_CALL = 400;

const engineInterface = PerpEngine__factory.createInterface() as Interface;
const vaultInterface = LiquidityVault__factory.createInterface() as Interface;
const tokenInterface = MockERC20__factory.createInterface() as Interface;
const feedInterface = MockV3Aggregator__factory.createInterface() as Interface;
const lensInterface = FuzzLens__factory.createInterface() as Interface;

/** FuzzLens snapshot header layout (contracts/test/FuzzLens.sol). */
const LENS_HEADER_WORDS = 15;
const LENS_ACCOUNT_WORDS = 3;

export interface ChainTotals {
  /** Collateral tokens the engine holds (token units). */
  engineTokenBalance: bigint;
  vaultCashUsd: bigint;
  insuranceFundUsd: bigint;
  vaultShareSupply: bigint;
  /** undefined when some market with open interest has no valid price. */
  vaultEquityForDepositUsd?: bigint;
  vaultEquityForWithdrawUsd?: bigint;
}

export class ProtocolCalls {
  constructor(
    private readonly chain: SimChain,
    readonly deployment: SimDeployment,
  ) {}

  private send(from: string, to: string, data: string, gas: bigint): Promise<TxOutcome> {
    const tx: TxRequest = { from, to, data, gas };
    return this.chain.sendTransaction(tx);
  }

  mintCollateral(from: string, to: string, tokenAmount: bigint) {
    return this.send(
      from,
      this.deployment.collateral,
      encodeCall(tokenInterface, "mint", [to, tokenAmount]),
      GAS.erc20,
    );
  }

  approveCollateral(owner: string, spender: string) {
    const data = encodeCall(tokenInterface, "approve", [spender, MaxUint256]);
    return this.send(owner, this.deployment.collateral, data, GAS.erc20);
  }

  depositToEngine(account: string, tokenAmount: bigint) {
    const data = encodeCall(engineInterface, "deposit", [tokenAmount]);
    return this.send(account, this.deployment.engine, data, GAS.engineDeposit);
  }

  modifyPosition(
    account: string,
    marketId: string,
    sizeDelta: bigint,
    marginDeltaUsd: bigint,
    acceptablePrice: bigint,
  ) {
    const data = encodeCall(engineInterface, "modifyPosition", [marketId, sizeDelta, marginDeltaUsd, acceptablePrice]);
    return this.send(account, this.deployment.engine, data, sizeDelta === 0n ? GAS.marginMove : GAS.trade);
  }

  closePosition(account: string, marketId: string, acceptablePrice: bigint) {
    const data = encodeCall(engineInterface, "closePosition", [marketId, acceptablePrice]);
    return this.send(account, this.deployment.engine, data, GAS.trade);
  }

  commitOrder(account: string, marketId: string, sizeDelta: bigint, marginDeltaUsd: bigint, acceptablePrice: bigint) {
    const data = encodeCall(engineInterface, "commitOrder", [marketId, sizeDelta, marginDeltaUsd, acceptablePrice]);
    return this.send(account, this.deployment.engine, data, GAS.marginMove);
  }

  executeOrder(executor: string, account: string, marketId: string) {
    const data = encodeCall(engineInterface, "executeOrder", [account, marketId]);
    return this.send(executor, this.deployment.engine, data, GAS.orderExecution);
  }

  cancelOrder(caller: string, account: string, marketId: string) {
    const data = encodeCall(engineInterface, "cancelOrder", [account, marketId]);
    return this.send(caller, this.deployment.engine, data, GAS.marginMove);
  }

  donateToInsurance(from: string, tokenAmount: bigint) {
    const data = encodeCall(engineInterface, "donateToInsurance", [tokenAmount]);
    return this.send(from, this.deployment.engine, data, GAS.donate);
  }

  vaultDeposit(lp: string, tokenAmount: bigint) {
    const data = encodeCall(vaultInterface, "deposit", [tokenAmount, lp]);
    return this.send(lp, this.deployment.vault, data, GAS.vault);
  }

  vaultRedeem(lp: string, shares: bigint) {
    const data = encodeCall(vaultInterface, "redeem", [shares, lp, lp]);
    return this.send(lp, this.deployment.vault, data, GAS.vault);
  }

  updateFeed(from: string, feed: string, answer: bigint) {
    return this.send(from, feed, encodeCall(feedInterface, "updateAnswer", [answer]), GAS.feedUpdate);
  }

  // ───────────── views (at an explicit block) ─────────────

  private async view(to: string, contractInterface: Interface, fn: string, args: unknown[], block?: number) {
    const raw = await this.chain.call(to, encodeCall(contractInterface, fn, args), block);
    return decodeResult(contractInterface, fn, raw);
  }

  async marketState(marketId: string, block?: number): Promise<MarketState> {
    const [state] = await this.view(this.deployment.engine, engineInterface, "getMarketState", [marketId], block);
    return {
      netSize: state.netSize,
      longOpenInterest: state.longOpenInterest,
      shortOpenInterest: state.shortOpenInterest,
      sumSizeTimesEntry: state.sumSizeTimesEntry,
      sumSizeTimesFundingSnapshot: state.sumSizeTimesFundingSnapshot,
      fundingIndexWad: state.fundingIndexWad,
      lastFundingTimestamp: state.lastFundingTimestamp,
      longLossIndexWad: state.longLossIndexWad,
      shortLossIndexWad: state.shortLossIndexWad,
      sumLongSizeTimesLossSnapshot: state.sumLongSizeTimesLossSnapshot,
      sumShortSizeTimesLossSnapshot: state.sumShortSizeTimesLossSnapshot,
    };
  }

  /** The validated oracle price, or undefined while the market's price is invalid (stale, bounds …). */
  async markPrice(marketId: string, block?: number): Promise<bigint | undefined> {
    try {
      const [price] = await this.view(this.deployment.engine, engineInterface, "markPrice", [marketId], block);
      return price as bigint;
    } catch {
      return undefined;
    }
  }

  async freeBalance(account: string, block?: number): Promise<bigint> {
    const [balance] = await this.view(this.deployment.engine, engineInterface, "freeBalance", [account], block);
    return balance as bigint;
  }

  async vaultShares(account: string, block?: number): Promise<bigint> {
    const [shares] = await this.view(this.deployment.vault, vaultInterface, "balanceOf", [account], block);
    return shares as bigint;
  }

  async maxRedeem(account: string, block?: number): Promise<bigint> {
    const [shares] = await this.view(this.deployment.vault, vaultInterface, "maxRedeem", [account], block);
    return shares as bigint;
  }

  /** Free balances of `accounts` at `block`, through FuzzLens in chunks (one call per LENS_ACCOUNTS_PER_CALL). */
  async freeBalances(accounts: readonly string[], block: number): Promise<bigint[]> {
    const lens = this.deployment.lens;
    if (!lens) throw new Error("ProtocolCalls.freeBalances needs the FuzzLens the simulator deploys");
    const result: bigint[] = [];
    for (let i = 0; i < accounts.length; i += LENS_ACCOUNTS_PER_CALL) {
      const chunk = accounts.slice(i, i + LENS_ACCOUNTS_PER_CALL);
      const query = {
        engine: this.deployment.engine,
        vaultShares: this.deployment.vault,
        adapters: [],
        marketIds: [],
        traders: [],
        accounts: chunk,
        withVaultViews: false,
      };
      const [words] = (await this.view(lens, lensInterface, "snapshot", [query], block)) as unknown as [bigint[]];
      for (let a = 0; a < chunk.length; a++) result.push(words[LENS_HEADER_WORDS + a * LENS_ACCOUNT_WORDS]);
    }
    return result;
  }

  /** Σ escrowed margin and fees of pending orders (USD, 1e18): a claim on the engine's tokens. */
  async escrowedOrders(block?: number): Promise<bigint> {
    const [escrow] = await this.view(this.deployment.engine, engineInterface, "escrowedOrdersUsd", [], block);
    return escrow as bigint;
  }

  /** The stored position (funding and socialized loss not settled), as the SDK takes it. */
  async position(account: string, marketId: string, block?: number): Promise<Position> {
    const [p] = await this.view(this.deployment.engine, engineInterface, "getPosition", [account, marketId], block);
    return {
      size: p.size,
      entryPriceWad: p.entryPriceWad,
      marginUsd: p.marginUsd,
      fundingIndexSnapshotWad: p.fundingIndexSnapshotWad,
      lossIndexSnapshotWad: p.lossIndexSnapshotWad,
    };
  }

  async adlConfig(block?: number): Promise<AdlConfig> {
    const [c] = await this.view(this.deployment.engine, engineInterface, "adlConfig", [], block);
    return {
      minQueueNotionalUsd: BigInt(c.minQueueNotionalUsd),
      maxSteps: BigInt(c.maxSteps),
      maxSkips: BigInt(c.maxSkips),
      vaultLossUpperBps: BigInt(c.vaultLossUpperBps),
      vaultLossLowerBps: BigInt(c.vaultLossLowerBps),
    };
  }

  async vaultCash(block?: number): Promise<bigint> {
    const [cash] = await this.view(this.deployment.engine, engineInterface, "vaultCashUsd", [], block);
    return cash as bigint;
  }

  async insuranceFund(block?: number): Promise<bigint> {
    const [fund] = await this.view(this.deployment.engine, engineInterface, "insuranceFund", [], block);
    return fund as bigint;
  }

  /** Engine-wide totals (token balance, vault cash and equity, insurance, share supply): one FuzzLens call. */
  async totals(block: number): Promise<ChainTotals> {
    const lens = this.deployment.lens;
    if (!lens) throw new Error("ProtocolCalls.totals needs the FuzzLens the simulator deploys");
    const query = {
      engine: this.deployment.engine,
      vaultShares: this.deployment.vault,
      adapters: [],
      marketIds: [],
      traders: [],
      accounts: [],
      withVaultViews: true,
    };
    const [words] = (await this.view(lens, lensInterface, "snapshot", [query], block)) as unknown as [bigint[]];
    return {
      engineTokenBalance: words[0],
      vaultCashUsd: BigInt.asIntN(256, words[1]),
      insuranceFundUsd: words[2],
      vaultShareSupply: words[8],
      vaultEquityForDepositUsd: words[9] === 1n ? BigInt.asIntN(256, words[10]) : undefined,
      vaultEquityForWithdrawUsd: words[11] === 1n ? BigInt.asIntN(256, words[12]) : undefined,
    };
  }

  /** Vault totalAssets (token units, gains excluded), or undefined while it cannot be valued. */
  async vaultTotalAssets(block?: number): Promise<bigint | undefined> {
    try {
      const [assets] = await this.view(this.deployment.vault, vaultInterface, "totalAssets", [], block);
      return assets as bigint;
    } catch {
      return undefined;
    }
  }

  static get engineInterface(): Interface {
    return engineInterface;
  }
}
