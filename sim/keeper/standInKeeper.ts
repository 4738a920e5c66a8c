/**
 * STAND-IN for the real keeper (keeper/, being written on branch `keeper`), behind the interfaces of
 * sim/keeper/keeperAdapter.ts. Replace it there when the keeper lands.
 *
 * What it does per cycle, like the real keeper's design (DESIGN §13): follows the engine's events into an
 * event-sourced mirror (sim/events/protocolLedger.ts), reads each market's price and state once, computes
 * every position's health with the SDK (`positionHealth`, no per-position RPC), sends the liquidatable ones
 * through `liquidateMany` in batches checked by a static call at the per-transaction gas cap (split in half when
 * a batch would not fit), repeats while a round liquidated something (a socialized loss can push others under), and
 * calls `deleverageVault` on a market when a static call says the vault's loss there is over its threshold,
 * then executes every delayed order whose delay is over (issue 11) and cancels expired ones for their fee.
 * `submitOrder` commits in markets with an execution delay and trades at once in the others.
 */
import { toQuantity, type Interface } from "ethers";
import { PerpEngine__factory } from "../../typechain-types";
import { currentFundingIndexWad, positionHealth } from "../../sdk/math/engineMath";
import { EventDecoder, type ChainEvent } from "../events/decodeEvents";
import { ProtocolLedger } from "../events/protocolLedger";
import { GAS, type ProtocolCalls } from "../protocol/calls";
import { encodeCall } from "../protocol/abiEncoding";
import type { SimDeployment } from "../protocol/deployment";
import type { SimChain } from "../chain/simChain";
import { MarketOrderFlow } from "./orderFlow";
import type { KeeperAdapter, KeeperStepResult, OrderFlow, OrderRequest, OrderSubmission } from "./keeperAdapter";

interface PendingOrder {
  account: string;
  marketId: string;
  executableAt: number;
  expiresAt: number;
}

export interface StandInKeeperOptions {
  /** Entries per `liquidateMany` transaction (before gas-based splitting). */
  batchSize: number;
  /** Liquidation rounds per cycle. */
  maxRoundsPerStep: number;
}

const engineInterface = PerpEngine__factory.createInterface() as Interface;

export class StandInKeeper implements KeeperAdapter, OrderFlow {
  readonly name = "stand-in keeper (SDK health on an event mirror + liquidateMany)";
  private readonly ledger = new ProtocolLedger();
  /** Pending delayed orders by "account/marketId", in commit order (from OrderCommitted/Executed/Cancelled). */
  private readonly pendingOrders = new Map<string, PendingOrder>();
  private readonly decoder: EventDecoder;
  private syncedToBlock: number;
  /** `adlConfig().maxSteps`, the most a `deleverageVault` call may close. */
  private vaultProtectionSteps = 0n;
  private readonly orderFlow: MarketOrderFlow;

  constructor(
    private readonly chain: SimChain,
    private readonly deployment: SimDeployment,
    private readonly calls: ProtocolCalls,
    readonly address: string,
    private readonly options: StandInKeeperOptions,
  ) {
    this.decoder = new EventDecoder({ engine: deployment.engine, vault: deployment.vault, feeds: [] });
    this.syncedToBlock = deployment.addressBook.startBlock - 1;
    this.orderFlow = new MarketOrderFlow(deployment, calls);
  }

  async start(): Promise<void> {
    const raw = await this.chain.call(this.deployment.engine, encodeCall(engineInterface, "adlConfig", []));
    const [config] = engineInterface.decodeFunctionResult("adlConfig", raw);
    this.vaultProtectionSteps = BigInt(config.maxSteps);
    await this.sync();
  }

  async stop(): Promise<void> {}

  /** Follows the engine's events up to the head. */
  private async sync(): Promise<number> {
    const head = await this.chain.blockNumber();
    const logs = await this.chain.getLogs([this.deployment.engine], this.syncedToBlock + 1, head);
    for (const event of this.decoder.decodeAll(logs)) {
      this.ledger.apply(event);
      this.trackOrder(event);
    }
    this.syncedToBlock = head;
    return head;
  }

  private trackOrder(event: ChainEvent): void {
    if (!event.name.startsWith("Order")) return;
    const account = String(event.args.account);
    const marketId = String(event.args.marketId);
    const key = `${account.toLowerCase()}/${marketId.toLowerCase()}`;
    if (event.name === "OrderCommitted") {
      this.pendingOrders.set(key, {
        account,
        marketId,
        executableAt: Number(event.args.executableAt),
        expiresAt: Number(event.args.expiresAt),
      });
    } else if (event.name === "OrderExecuted" || event.name === "OrderCancelled") {
      this.pendingOrders.delete(key);
    }
  }

  /** Executes every order whose delay is over and cancels every expired one (for the fee), in commit order. */
  private async processOrders(sent: KeeperStepResult["transactions"]): Promise<number> {
    let processed = 0;
    for (const order of this.pendingOrders.values()) {
      // Each transaction is mined later than the previous one: judge every order at its own time.
      const now = await this.chain.nextTimestamp();
      if (now > order.expiresAt) {
        sent.push({
          kind: "cancelOrder",
          outcome: await this.calls.cancelOrder(this.address, order.account, order.marketId),
        });
      } else if (now >= order.executableAt) {
        sent.push({
          kind: "executeOrder",
          outcome: await this.calls.executeOrder(this.address, order.account, order.marketId),
        });
      } else {
        continue;
      }
      processed++;
    }
    return processed;
  }

  /** Positions the SDK says are liquidatable at the head's price and time. */
  private async liquidatable(head: number): Promise<{ accounts: string[]; marketIds: string[] }> {
    const now = BigInt(await this.chain.blockTimestamp(head));
    const accounts: string[] = [];
    const marketIds: string[] = [];
    for (const market of this.deployment.markets) {
      const price = await this.calls.markPrice(market.marketId, head);
      if (price === undefined) continue; // nothing can act on an invalid price
      const state = await this.calls.marketState(market.marketId, head);
      const fundingIndex = currentFundingIndexWad(state, market.params, price, now);
      for (const [account, position] of this.ledger.openPositions(market.marketId)) {
        const health = positionHealth(
          state,
          position,
          price,
          fundingIndex,
          market.tiers,
          market.params.keeperRewardUsd,
        );
        if (health.isLiquidatable) {
          accounts.push(account);
          marketIds.push(market.marketId);
        }
      }
    }
    return { accounts, marketIds };
  }

  /** `eth_call` of the keeper's transaction at the head with the per-transaction gas cap: does it go through? */
  private async staticCallSucceeds(data: string, head: number): Promise<boolean> {
    try {
      await this.chain.raw.request({
        method: "eth_call",
        params: [
          { from: this.address, to: this.deployment.engine, data, gas: toQuantity(GAS.keeperMax) },
          toQuantity(head),
        ],
      });
      return true;
    } catch {
      return false;
    }
  }

  /**
   * Sends one batch after a static call at the gas cap; a batch that does not fit (out of gas: `liquidateMany`
   * skips instead of reverting otherwise) is halved. A single entry that still fails is sent anyway: its
   * revert is what the report must show.
   */
  private async sendBatch(
    accounts: string[],
    marketIds: string[],
    head: number,
    sent: KeeperStepResult["transactions"],
  ): Promise<void> {
    const data = encodeCall(engineInterface, "liquidateMany", [accounts, marketIds]);
    if (accounts.length > 1 && !(await this.staticCallSucceeds(data, head))) {
      const half = Math.ceil(accounts.length / 2);
      await this.sendBatch(accounts.slice(0, half), marketIds.slice(0, half), head, sent);
      await this.sendBatch(accounts.slice(half), marketIds.slice(half), head, sent);
      return;
    }
    const outcome = await this.chain.sendTransaction({
      from: this.address,
      to: this.deployment.engine,
      data,
      gas: GAS.keeperMax,
    });
    sent.push({ kind: "liquidateMany", outcome });
  }

  private async protectVault(head: number, sent: KeeperStepResult["transactions"]): Promise<number> {
    let calls = 0;
    if (this.vaultProtectionSteps === 0n) return 0;
    for (const market of this.deployment.markets) {
      const data = encodeCall(engineInterface, "deleverageVault", [market.marketId, this.vaultProtectionSteps]);
      // VaultDeleverageNotNeeded (or an invalid price) reverts the static call: nothing to do.
      if (!(await this.staticCallSucceeds(data, head))) continue;
      const outcome = await this.chain.sendTransaction({
        from: this.address,
        to: this.deployment.engine,
        data,
        gas: GAS.keeperMax,
      });
      sent.push({ kind: "deleverageVault", outcome });
      calls++;
    }
    return calls;
  }

  async processBlock(): Promise<KeeperStepResult> {
    const transactions: KeeperStepResult["transactions"] = [];
    let liquidationsAttempted = 0;
    let previous = "";
    for (let round = 0; round < this.options.maxRoundsPerStep; round++) {
      const head = await this.sync();
      const { accounts, marketIds } = await this.liquidatable(head);
      const signature = accounts.map((a, i) => `${a}/${marketIds[i]}`).join(",");
      if (accounts.length === 0 || signature === previous) break;
      previous = signature;
      for (let i = 0; i < accounts.length; i += this.options.batchSize) {
        const end = i + this.options.batchSize;
        await this.sendBatch(accounts.slice(i, end), marketIds.slice(i, end), head, transactions);
      }
      liquidationsAttempted += accounts.length;
    }
    const head = await this.sync();
    const vaultProtectionCalls = await this.protectVault(head, transactions);
    // Liquidations first, then the orders that are due (DESIGN §13, issue 11).
    await this.sync();
    const ordersProcessed = await this.processOrders(transactions);
    return { transactions, liquidationsAttempted, vaultProtectionCalls, ordersProcessed };
  }

  /** Trades go through the market's own order flow (sim/keeper/orderFlow.ts). */
  submitOrder(order: OrderRequest): Promise<OrderSubmission> {
    return this.orderFlow.submitOrder(order);
  }
}
