/**
 * The SDK's prediction of every liquidation the keeper sends, for the `liquidationsMatchSdk` invariant: just
 * before a `liquidate`/`liquidateMany` transaction is mined, the pre-state is read from the chain's views (market
 * states, positions, insurance fund, vault cash, prices, ADL settings) and each entry is run through the SDK's
 * `simulateLiquidation` (sdk/math/liquidationEngine.ts) at the transaction's own timestamp, one after the other
 * as the engine does (each entry's market state, insurance fund and vault cash feed the next). The run log keeps
 * the predicted `Liquidated` event of every entry; the report compares it field by field with the chain's.
 *
 * The one input the views cannot give, the ADL queue's insertion order (ties inside a tick), comes from the
 * engine's events (sim/events/protocolLedger.ts: every position store re-keys it), followed by the predictor itself
 * up to the transaction's parent block; positions an entry's ADL walk touched feed the next entries. An entry the
 * SDK cannot simulate (it throws where the engine would revert) is logged as `beyondViews` with the entries after
 * it in the transaction, whose pre-state it changed. Entries the SDK says the engine skips are logged as skipped.
 */
import { type Interface } from "ethers";
import { PerpEngine__factory } from "../../typechain-types";
import { simulateLiquidation, type LiquidatedEvent } from "../../sdk/math/liquidationEngine";
import type { MarketState, Position } from "../../sdk/math/types";
import type { AdlQueueMember } from "../../sdk/adl/adlQueue";
import type { OtherMarketInput } from "../../sdk/adl/adlExecution";
import type { SimChain, TransactionObserver } from "../chain/simChain";
import { EventDecoder } from "../events/decodeEvents";
import { ProtocolLedger } from "../events/protocolLedger";
import type { PredictedLiquidation, RunRecord } from "../report/runLog";
import type { ProtocolCalls } from "../protocol/calls";
import type { SimDeployment, SimMarket } from "../protocol/deployment";

const engineInterface = PerpEngine__factory.createInterface() as Interface;

/** The `Liquidated` event fields compared (the indexed account/market/keeper identify the entry). */
export const PREDICTED_FIELDS = [
  "closedSize",
  "executionPriceWad",
  "remainingSize",
  "remainingMarginUsd",
  "penaltyUsd",
  "keeperRewardUsd",
  "deficitUsd",
  "insurancePaidUsd",
  "adlPaidUsd",
  "vaultPaidUsd",
  "socializedUsd",
] as const satisfies readonly (keyof LiquidatedEvent)[];

/** Positions an entry's ADL walk or liquidation changed, for the next entries of the same transaction. */
type Overlay = Map<string, { position: Position; sequence?: bigint }>;
const overlayKey = (marketId: string, account: string) => `${marketId.toLowerCase()}/${account.toLowerCase()}`;

export class LiquidationPredictor implements TransactionObserver {
  private pending?: PredictedLiquidation[];
  /** The engine's events up to the last prediction's parent block: ADL queue order. */
  private readonly ledger = new ProtocolLedger();
  private readonly decoder: EventDecoder;
  private nextBlock: number;

  constructor(
    private readonly chain: SimChain,
    private readonly deployment: SimDeployment,
    private readonly calls: ProtocolCalls,
    /** Where the prediction goes once the transaction has a hash (the run log, with the current step). */
    private readonly log: (record: RunRecord) => void,
    private readonly currentStep: () => number,
  ) {
    this.decoder = new EventDecoder({ engine: deployment.engine, vault: deployment.vault, feeds: [] });
    this.nextBlock = deployment.addressBook.startBlock;
  }

  /** Follows the engine's events up to `block`. */
  private async follow(block: number): Promise<void> {
    const logs = await this.chain.getLogs([this.deployment.engine], this.nextBlock, block);
    for (const event of this.decoder.decodeAll(logs)) this.ledger.apply(event);
    this.nextBlock = block + 1;
  }

  async beforeSend(tx: { from: string; to: string; data: string; timestamp: number }): Promise<void> {
    this.pending = undefined;
    if (tx.to.toLowerCase() !== this.deployment.engine.toLowerCase() || tx.data.length < 10) return;
    const call = engineInterface.parseTransaction({ data: tx.data });
    if (!call || (call.name !== "liquidateMany" && call.name !== "liquidate")) return;
    const accounts = call.name === "liquidate" ? [call.args[0] as string] : [...(call.args[0] as string[])];
    const marketIds = call.name === "liquidate" ? [call.args[1] as string] : [...(call.args[1] as string[])];
    this.pending = await this.predict(tx.from, accounts, marketIds, BigInt(tx.timestamp));
  }

  afterSend(hash: string | undefined): void {
    const entries = this.pending;
    this.pending = undefined;
    if (!entries || hash === undefined) return;
    this.log({ type: "prediction", step: this.currentStep(), txHash: hash, entries });
  }

  private async predict(
    keeper: string,
    accounts: string[],
    marketIds: string[],
    nowSeconds: bigint,
  ): Promise<PredictedLiquidation[]> {
    const block = await this.chain.blockNumber();
    await this.follow(block);
    const overlay: Overlay = new Map();
    // New sequences for positions re-inserted by an earlier entry: after every sequence of an event so far.
    let nextSequence = (BigInt(block + 1) << 32n) | 0n;
    const states = new Map<string, MarketState>();
    const prices = new Map<string, bigint | null>();
    for (const market of this.deployment.markets) {
      states.set(market.marketId.toLowerCase(), await this.calls.marketState(market.marketId, block));
      prices.set(market.marketId.toLowerCase(), (await this.calls.markPrice(market.marketId, block)) ?? null);
    }
    let insuranceFundUsd = await this.calls.insuranceFund(block);
    let vaultCashUsd = await this.calls.vaultCash(block);
    const adlConfig = await this.calls.adlConfig(block);
    const entries: PredictedLiquidation[] = [];
    let beyondViews = false;
    for (let i = 0; i < accounts.length; i++) {
      const account = accounts[i];
      const marketId = marketIds[i];
      const market = this.marketOf(marketId);
      const price = market ? prices.get(market.marketId.toLowerCase()) : undefined;
      if (beyondViews || !market || price === undefined || price === null) {
        // Unlisted market or invalid price: the engine skips the entry; after an ADL entry the pre-state is unknown.
        entries.push({ account, marketId, outcome: beyondViews ? "beyondViews" : "skipped" });
        continue;
      }
      const key = market.marketId.toLowerCase();
      const position =
        overlay.get(overlayKey(key, account))?.position ?? (await this.calls.position(account, market.marketId, block));
      let result;
      try {
        result = simulateLiquidation({
          account,
          marketId: market.marketId,
          keeper,
          params: market.params,
          tiers: market.tiers,
          state: states.get(key)!,
          position,
          priceWad: price,
          nowSeconds,
          insuranceFundUsd,
          adlConfig,
          oppositeQueue: this.queue(key, position.size < 0n, adlConfig.minQueueNotionalUsd, overlay),
          vault: { cashUsd: vaultCashUsd, otherMarkets: this.otherMarkets(key, states, prices) },
        });
      } catch {
        // Where the engine would revert (a panic, a vault that cannot be valued): the chain says what happened.
        beyondViews = true;
        entries.push({ account, marketId, outcome: "beyondViews" });
        continue;
      }
      states.set(key, result.state);
      if (!result.isLiquidatable || !result.liquidated) {
        entries.push({ account, marketId, outcome: "skipped" });
        continue;
      }
      for (const change of result.touched) {
        overlay.set(overlayKey(key, change.account), {
          position: change.after,
          sequence: change.requeued ? nextSequence++ : undefined,
        });
      }
      const liquidated = result.liquidated;
      entries.push({
        account,
        marketId,
        outcome: "liquidated",
        fields: Object.fromEntries(PREDICTED_FIELDS.map((field) => [field, liquidated[field].toString()])),
      });
      insuranceFundUsd = result.insuranceFundUsd;
      vaultCashUsd += result.vaultCashDeltaUsd;
    }
    return entries;
  }

  /** The opposite side's queue: the ledger's, with the positions earlier entries of the transaction changed. */
  private queue(marketKey: string, isLong: boolean, minQueueNotionalUsd: bigint, overlay: Overlay): AdlQueueMember[] {
    const members = this.ledger
      .adlQueue(marketKey, isLong, minQueueNotionalUsd)
      .filter((member) => !overlay.has(overlayKey(marketKey, member.account)));
    for (const [k, changed] of overlay) {
      const [market, account] = k.split("/");
      if (market !== marketKey || changed.sequence === undefined || changed.position.size > 0n !== isLong) continue;
      members.push({ account, position: changed.position, sequence: changed.sequence });
    }
    return members;
  }

  private marketOf(marketId: string): SimMarket | undefined {
    return this.deployment.markets.find((m) => m.marketId.toLowerCase() === marketId.toLowerCase());
  }

  private otherMarkets(
    key: string,
    states: ReadonlyMap<string, MarketState>,
    prices: ReadonlyMap<string, bigint | null>,
  ): OtherMarketInput[] {
    return this.deployment.markets
      .filter((m) => m.marketId.toLowerCase() !== key)
      .map((m) => ({
        marketId: m.marketId,
        state: states.get(m.marketId.toLowerCase())!,
        params: m.params,
        priceWad: prices.get(m.marketId.toLowerCase()) ?? null,
      }));
  }
}
