/**
 * Decodes the engine's logs (and the price feeds' `AnswerUpdated`) into typed events, with the block and log
 * position each came from. The ABI is the TypeChain-generated one of contracts/interfaces/IPerpEngine.sol, so a
 * changed event is a compile error here, not a silent mis-decode.
 */
import { Interface, type LogDescription, type Result } from "ethers";
import { PerpEngine__factory } from "../../typechain-types/factories/contracts/PerpEngine__factory";
import type { MarginTier } from "../../sdk/math/types";
import type { RawLog } from "../chain/chainClient";

/** Market parameters as the engine's `MarketParams` struct carries them (field names of IPerpTypes.sol). */
export type MarketParamsFields = Record<string, bigint>;

interface EventBase {
  blockNumber: number;
  blockHash: string;
  logIndex: number;
  transactionHash: string;
}

/** The decoded fields of each event the keeper uses. */
export type EventBody =
  | { name: "MarketListed"; marketId: string; oracle: string; params: MarketParamsFields; tiers: MarginTier[] }
  | {
      name: "FundingAccrued";
      marketId: string;
      fundingRatePerDayWad: bigint;
      fundingIndexWad: bigint;
      priceWad: bigint;
      timestamp: bigint;
    }
  | {
      name: "PositionModified";
      account: string;
      marketId: string;
      sizeDelta: bigint;
      fillPriceWad: bigint;
      feeUsd: bigint;
      newSize: bigint;
      newMarginUsd: bigint;
      newEntryPriceWad: bigint;
    }
  | {
      name: "Liquidated";
      account: string;
      marketId: string;
      keeper: string;
      closedSize: bigint;
      executionPriceWad: bigint;
      remainingSize: bigint;
      remainingMarginUsd: bigint;
      keeperRewardUsd: bigint;
      deficitUsd: bigint;
      socializedUsd: bigint;
    }
  | {
      name: "Deleveraged";
      account: string;
      marketId: string;
      size: bigint;
      priceWad: bigint;
      newSize: bigint;
      newMarginUsd: bigint;
    }
  | { name: "LossSocialized"; marketId: string; chargedSideIsLong: boolean; amountUsd: bigint; lossIndexWad: bigint }
  | { name: "SettledPositionClosed"; account: string; marketId: string; size: bigint }
  | { name: "MarketSettled"; marketId: string; settlementPriceWad: bigint }
  | {
      name: "MarketParamsSet";
      marketId: string;
      params: MarketParamsFields;
      tiers: MarginTier[];
      maintenanceRampEndsAt: bigint;
    }
  | { name: "OpenInterestCapLowered"; marketId: string; newCap: bigint }
  | { name: "ReduceOnlySet"; marketId: string; reduceOnly: boolean }
  | {
      name: "AdlConfigSet";
      minQueueNotionalUsd: bigint;
      maxSteps: bigint;
      maxSkips: bigint;
      vaultLossUpperBps: bigint;
      vaultLossLowerBps: bigint;
    }
  | { name: "SwitchPaused"; which: number }
  | { name: "SwitchUnpaused"; which: number; liquidationsResumeAt: bigint }
  | { name: "InsuranceFundTargetSet"; targetUsd: bigint }
  | { name: "GovernanceConfigSet"; liquidationGracePeriodSeconds: bigint; maintenanceRampSeconds: bigint }
  | { name: "LiquidationSkipped"; account: string; marketId: string; reason: number }
  | { name: "VaultDeleveraged"; marketId: string; lossBeforeUsd: bigint; lossAfterUsd: bigint; targetUsd: bigint }
  | {
      name: "OrderCommitted";
      account: string;
      marketId: string;
      sizeDelta: bigint;
      executionFeeUsd: bigint;
      executableAt: bigint;
      expiresAt: bigint;
    }
  | { name: "OrderExecuted"; account: string; marketId: string; executor: string; executionFeeUsd: bigint }
  | { name: "OrderCancelled"; account: string; marketId: string; by: string; reason: string; executionFeeUsd: bigint }
  | { name: "AnswerUpdated"; feed: string; answer: bigint; roundId: bigint; updatedAt: bigint };

export type EngineEvent = EventBase & EventBody;

export type EngineEventName = EngineEvent["name"];

export const engineInterface: Interface = PerpEngine__factory.createInterface() as unknown as Interface;
const feedInterface = new Interface([
  "event AnswerUpdated(int256 indexed current, uint256 indexed roundId, uint256 updatedAt)",
]);
export const ANSWER_UPDATED_TOPIC = feedInterface.getEvent("AnswerUpdated")!.topicHash;

function structToFields(value: Result): MarketParamsFields {
  const fields: MarketParamsFields = {};
  const object = value.toObject();
  for (const [key, field] of Object.entries(object)) fields[key] = BigInt(field as bigint);
  return fields;
}

function tiersOf(value: Result): MarginTier[] {
  return Array.from(value).map((tier) => {
    const t = tier as Result;
    return {
      notionalFloorUsd: BigInt(t.notionalFloorUsd),
      initialMarginBps: BigInt(t.initialMarginBps),
      maintenanceMarginBps: BigInt(t.maintenanceMarginBps),
    };
  });
}

const lower = (address: string) => address.toLowerCase();

function fromDescription(description: LogDescription): EventBody | undefined {
  const a = description.args;
  switch (description.name) {
    case "MarketListed":
      return {
        name: "MarketListed",
        marketId: a.marketId,
        oracle: lower(a.oracle),
        params: structToFields(a.params),
        tiers: tiersOf(a.tiers),
      };
    case "FundingAccrued":
      return {
        name: "FundingAccrued",
        marketId: a.marketId,
        fundingRatePerDayWad: a.fundingRatePerDayWad,
        fundingIndexWad: a.fundingIndexWad,
        priceWad: a.priceWad,
        timestamp: a.timestamp,
      };
    case "PositionModified":
      return {
        name: "PositionModified",
        account: lower(a.account),
        marketId: a.marketId,
        sizeDelta: a.sizeDelta,
        fillPriceWad: a.fillPriceWad,
        feeUsd: a.feeUsd,
        newSize: a.newSize,
        newMarginUsd: a.newMarginUsd,
        newEntryPriceWad: a.newEntryPriceWad,
      };
    case "Liquidated":
      return {
        name: "Liquidated",
        account: lower(a.account),
        marketId: a.marketId,
        keeper: lower(a.keeper),
        closedSize: a.closedSize,
        executionPriceWad: a.executionPriceWad,
        remainingSize: a.remainingSize,
        remainingMarginUsd: a.remainingMarginUsd,
        keeperRewardUsd: a.keeperRewardUsd,
        deficitUsd: a.deficitUsd,
        socializedUsd: a.socializedUsd,
      };
    case "Deleveraged":
      return {
        name: "Deleveraged",
        account: lower(a.account),
        marketId: a.marketId,
        size: a.size,
        priceWad: a.priceWad,
        newSize: a.newSize,
        newMarginUsd: a.newMarginUsd,
      };
    case "LossSocialized":
      return {
        name: "LossSocialized",
        marketId: a.marketId,
        chargedSideIsLong: a.chargedSideIsLong,
        amountUsd: a.amountUsd,
        lossIndexWad: a.lossIndexWad,
      };
    case "SettledPositionClosed":
      return { name: "SettledPositionClosed", account: lower(a.account), marketId: a.marketId, size: a.size };
    case "MarketSettled":
      return { name: "MarketSettled", marketId: a.marketId, settlementPriceWad: a.settlementPriceWad };
    case "MarketParamsSet":
      return {
        name: "MarketParamsSet",
        marketId: a.marketId,
        params: structToFields(a.params),
        tiers: tiersOf(a.tiers),
        maintenanceRampEndsAt: a.maintenanceRampEndsAt,
      };
    case "OpenInterestCapLowered":
      return { name: "OpenInterestCapLowered", marketId: a.marketId, newCap: a.newCap };
    case "ReduceOnlySet":
      return { name: "ReduceOnlySet", marketId: a.marketId, reduceOnly: a.reduceOnly };
    case "AdlConfigSet": {
      const c = a.config as Result;
      return {
        name: "AdlConfigSet",
        minQueueNotionalUsd: c.minQueueNotionalUsd,
        maxSteps: c.maxSteps,
        maxSkips: c.maxSkips,
        vaultLossUpperBps: c.vaultLossUpperBps,
        vaultLossLowerBps: c.vaultLossLowerBps,
      };
    }
    case "SwitchPaused":
      return { name: "SwitchPaused", which: Number(a.which) };
    case "SwitchUnpaused":
      return { name: "SwitchUnpaused", which: Number(a.which), liquidationsResumeAt: a.liquidationsResumeAt };
    case "InsuranceFundTargetSet":
      return { name: "InsuranceFundTargetSet", targetUsd: a.targetUsd };
    case "GovernanceConfigSet": {
      const c = a.config as Result;
      return {
        name: "GovernanceConfigSet",
        liquidationGracePeriodSeconds: c.liquidationGracePeriodSeconds,
        maintenanceRampSeconds: c.maintenanceRampSeconds,
      };
    }
    case "LiquidationSkipped":
      return { name: "LiquidationSkipped", account: lower(a.account), marketId: a.marketId, reason: Number(a.reason) };
    case "VaultDeleveraged":
      return {
        name: "VaultDeleveraged",
        marketId: a.marketId,
        lossBeforeUsd: a.lossBeforeUsd,
        lossAfterUsd: a.lossAfterUsd,
        targetUsd: a.targetUsd,
      };
    case "OrderCommitted":
      return {
        name: "OrderCommitted",
        account: lower(a.account),
        marketId: a.marketId,
        sizeDelta: a.sizeDelta,
        executionFeeUsd: a.executionFeeUsd,
        executableAt: a.executableAt,
        expiresAt: a.expiresAt,
      };
    case "OrderExecuted":
      return {
        name: "OrderExecuted",
        account: lower(a.account),
        marketId: a.marketId,
        executor: lower(a.executor),
        executionFeeUsd: a.executionFeeUsd,
      };
    case "OrderCancelled":
      return {
        name: "OrderCancelled",
        account: lower(a.account),
        marketId: a.marketId,
        by: lower(a.by),
        reason: a.reason,
        executionFeeUsd: a.executionFeeUsd,
      };
    default:
      // Events the keeper does not need (deposits, insurance movements, roles...): the lens reads their totals.
      return undefined;
  }
}

/**
 * Decodes the logs the keeper understands, in chain order; logs from `engine` that are not engine events, and
 * other events it does not use, are dropped. `feeds` are the price feeds whose `AnswerUpdated` is reported.
 */
export function decodeLogs(logs: readonly RawLog[], engine: string, feeds: ReadonlySet<string>): EngineEvent[] {
  const engineAddress = engine.toLowerCase();
  const events: EngineEvent[] = [];
  const sorted = [...logs].sort((x, y) => x.blockNumber - y.blockNumber || x.logIndex - y.logIndex);
  for (const log of sorted) {
    const base: EventBase = {
      blockNumber: log.blockNumber,
      blockHash: log.blockHash,
      logIndex: log.logIndex,
      transactionHash: log.transactionHash,
    };
    const address = log.address.toLowerCase();
    if (address === engineAddress) {
      const description = engineInterface.parseLog({ topics: log.topics, data: log.data });
      if (!description) continue;
      const event = fromDescription(description);
      if (event) events.push({ ...base, ...event } as EngineEvent);
    } else if (feeds.has(address) && log.topics[0] === ANSWER_UPDATED_TOPIC) {
      const description = feedInterface.parseLog({ topics: log.topics, data: log.data })!;
      events.push({
        ...base,
        name: "AnswerUpdated",
        feed: address,
        answer: description.args.current,
        roundId: description.args.roundId,
        updatedAt: description.args.updatedAt,
      });
    }
  }
  return events;
}
