/**
 * What every phase of a run shares: the chain, the deployment, the keeper, the event mirror and the run log
 * being written. Events are collected after each phase (one `eth_getLogs` from the last collected block) and
 * applied to the mirror in chain order, so agents always decide on the books as the events left them.
 */
import type { SimChain, TxOutcome } from "../chain/simChain";
import { EventDecoder, type ChainEvent } from "../events/decodeEvents";
import { ProtocolLedger } from "../events/protocolLedger";
import type { KeeperAdapter, OrderFlow } from "../keeper/keeperAdapter";
import type { ProtocolCalls } from "../protocol/calls";
import type { SimDeployment, SimMarket } from "../protocol/deployment";
import type { ActorRole, RunRecord } from "../report/runLog";
import { TransactionFailedError } from "../errors";
import { LOCAL_ENVIRONMENT, type SimEnvironment } from "./environment";

export class RunContext {
  readonly records: RunRecord[] = [];
  readonly ledger = new ProtocolLedger();
  readonly decoder: EventDecoder;
  step = 0;
  /** Delayed orders committed since the last keeper cycle (the step then lets them mature and runs one). */
  ordersAwaitingExecution = 0;
  /** Clock time of the oldest of those commits. */
  oldestAwaitingCommitAt = 0;
  private nextEventBlock: number;
  /** Listeners told about every event after the mirror applied it (agents track their liquidations). */
  private readonly listeners: ((event: ChainEvent) => void)[] = [];

  constructor(
    readonly chain: SimChain,
    readonly deployment: SimDeployment,
    readonly calls: ProtocolCalls,
    readonly keeper: KeeperAdapter & OrderFlow,
    /** Where the protocol lives: funds actors (mint locally, real holders on a fork). */
    readonly environment: SimEnvironment = LOCAL_ENVIRONMENT,
  ) {
    this.decoder = new EventDecoder({
      engine: deployment.engine,
      vault: deployment.vault,
      feeds: deployment.markets.map((market) => market.feed),
    });
    this.nextEventBlock = deployment.addressBook.startBlock;
  }

  market(symbol: string): SimMarket {
    const market = this.deployment.markets.find((m) => m.symbol === symbol);
    if (!market) throw new Error(`market ${symbol} is not deployed`);
    return market;
  }

  onEvent(listener: (event: ChainEvent) => void): void {
    this.listeners.push(listener);
  }

  /** Reads every protocol event since the last collection into the mirror, the log and the listeners. */
  async collectEvents(): Promise<ChainEvent[]> {
    const head = await this.chain.blockNumber();
    const logs = await this.chain.getLogs(this.decoder.addresses, this.nextEventBlock, head);
    const events = this.decoder.decodeAll(logs);
    for (const event of events) {
      this.ledger.apply(event);
      this.records.push({ type: "event", step: this.step, event });
      for (const listener of this.listeners) listener(event);
    }
    this.nextEventBlock = head + 1;
    return events;
  }

  /** Logs an agent's, the keeper's or the feeder's transaction. */
  logAction(role: ActorRole, actor: string, kind: string, outcome: TxOutcome): void {
    this.records.push({
      type: "action",
      step: this.step,
      role,
      actor,
      kind,
      ok: outcome.ok,
      ...(outcome.ok ? {} : { reason: outcome.reason.name, reasonArgs: outcome.reason.args }),
    });
  }

  /** Records a committed delayed order (executed by the next keeper cycle). */
  orderCommitted(): void {
    if (this.ordersAwaitingExecution === 0) this.oldestAwaitingCommitAt = this.chain.clock.peek();
    this.ordersAwaitingExecution++;
  }

  /** For plumbing the run cannot do without (funding, approvals): a failure stops the run. */
  required(what: string, outcome: TxOutcome): void {
    if (!outcome.ok) {
      throw new TransactionFailedError(`${what} failed: ${outcome.reason.name}(${outcome.reason.args.join(", ")})`, {
        message: outcome.message,
      });
    }
  }
}
