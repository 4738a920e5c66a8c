/**
 * One trader's behaviour (issue 14): hold; top up margin near liquidation; take profit; re-enter after a
 * liquidation. The agent decides on the event mirror's view of its position and the SDK's health; the
 * engine executes what it decides through the order flow (sim/keeper/keeperAdapter.ts).
 */
import { unrealizedPnlUsd } from "../../sdk/math/positionMath";
import type { PositionHealth } from "../../sdk/math/engineMath";
import type { Position } from "../../sdk/math/types";
import type { ChainEvent } from "../events/decodeEvents";
import type { Scenario } from "../scenario/schema";
import type { TraderSpec } from "./population";

/** A top-up smaller than this is not worth a transaction (USD, 1e18). */
export const MIN_TOP_UP_USD = 10n ** 18n;
/** Health ratios are compared with this many decimals. */
const RATIO_SCALE = 1_000_000n;

export type TraderDecision = { kind: "topUp"; amountUsd: bigint } | { kind: "takeProfit" } | { kind: "reenter" };

type BehaviourParams = Scenario["population"]["params"];

export class TraderAgent {
  /** Margin the current (or last) position was opened with. */
  marginUsd = 0n;
  effectiveLeverage = 0;
  /** Free collateral the agent set aside for top-ups (USD, 1e18). */
  reserveUsd = 0n;
  topUps = 0;
  reentries = 0;
  /** Step of the last full liquidation not yet re-entered. */
  liquidatedAtStep: number | undefined;
  /** Took profit or was closed by ADL: it stays out. */
  finished = false;
  /** A delayed order of this trader awaits execution (no new order until it is executed or cancelled). */
  orderPending = false;
  /** Its take-profit close was submitted; `finished` once the position is gone. */
  private closing = false;

  constructor(
    readonly spec: TraderSpec,
    private readonly params: BehaviourParams,
  ) {}

  /** Tracks what happens to it: a full liquidation (re-entry clock) or a full ADL close (it stays out). */
  observe(event: ChainEvent, step: number): void {
    if (event.contract !== "engine" || String(event.args.account).toLowerCase() !== this.spec.address.toLowerCase()) {
      return;
    }
    if (event.name === "Liquidated" && event.args.remainingSize === "0") this.liquidatedAtStep = step;
    if (event.name === "Deleveraged" && event.args.newSize === "0") this.finished = true;
    if (event.name === "OrderCommitted") this.orderPending = true;
    if (event.name === "OrderExecuted") this.orderPending = false;
    if (event.name === "OrderCancelled") {
      this.orderPending = false;
      this.closing = false;
    }
    if (event.name === "PositionModified" && event.args.newSize === "0" && this.closing) this.finished = true;
  }

  /** Its take-profit close went out (committed or executed at once). */
  closeSubmitted(): void {
    this.closing = true;
  }

  decide(
    position: Position | undefined,
    health: PositionHealth | undefined,
    priceWad: bigint,
    step: number,
  ): TraderDecision | undefined {
    const { behaviour } = this.spec;
    if (this.orderPending || this.closing) return undefined;
    if (position && health) {
      if (behaviour === "topUp" && this.topUps < this.params.topUp.maxTimes && health.maintenanceRequirementUsd > 0n) {
        const ratio = (health.equityUsd * RATIO_SCALE) / health.maintenanceRequirementUsd;
        const trigger = BigInt(Math.round(this.params.topUp.triggerHealth * Number(RATIO_SCALE)));
        const wanted = (this.marginUsd * BigInt(Math.round(this.params.topUp.addFractionOfMargin * 1_000))) / 1_000n;
        const amountUsd = wanted < this.reserveUsd ? wanted : this.reserveUsd;
        if (ratio < trigger && amountUsd >= MIN_TOP_UP_USD) return { kind: "topUp", amountUsd };
      }
      if (behaviour === "takeProfit") {
        const pnl = unrealizedPnlUsd(position.size, position.entryPriceWad, priceWad);
        const target = (this.marginUsd * BigInt(Math.round(this.params.takeProfit.profitPctOfMargin * 100))) / 10_000n;
        if (pnl >= target) return { kind: "takeProfit" };
      }
      return undefined;
    }
    if (
      behaviour === "reenter" &&
      !this.finished &&
      this.liquidatedAtStep !== undefined &&
      step - this.liquidatedAtStep >= this.params.reenter.afterSteps &&
      this.reentries < this.params.reenter.maxTimes
    ) {
      return { kind: "reenter" };
    }
    return undefined;
  }
}
