/**
 * Turns raw logs of the protocol's contracts into JSON-safe records (every integer as a decimal string),
 * the form the run log, the reports and the audit index store. Shared by the simulator and `npm run report`.
 */
import type { EventFragment, Interface, Result } from "ethers";
// Direct factory modules, not the typechain barrel: the audit CLI starts much faster without every bytecode.
import { LiquidityVault__factory } from "../../typechain-types/factories/contracts/LiquidityVault__factory";
import { PerpEngine__factory } from "../../typechain-types/factories/contracts/PerpEngine__factory";
import { MockV3Aggregator__factory } from "../../typechain-types/factories/@chainlink/contracts/src/v0.8/tests/MockV3Aggregator__factory";

export type ContractRole = "engine" | "vault" | "feed";

export interface ChainEvent {
  block: number;
  logIndex: number;
  txHash: string;
  /** Lower-case address of the emitting contract. */
  address: string;
  contract: ContractRole;
  name: string;
  /** Every event argument by name: integers as decimal strings, addresses checksummed, structs as JSON. */
  args: Record<string, string | boolean>;
}

interface RawLogLike {
  address: string;
  topics: readonly string[];
  data: string;
  blockNumber: string | number;
  transactionHash: string;
  logIndex: string | number;
}

/** Vault share transfers and approvals are not protocol events (ERC-4626 Deposit/Withdraw are kept). */
const IGNORED_VAULT_EVENTS = new Set(["Transfer", "Approval"]);
/** Feeds also emit NewRound; AnswerUpdated carries the price. */
const KEPT_FEED_EVENTS = new Set(["AnswerUpdated"]);

function jsonSafe(value: unknown): unknown {
  if (typeof value === "bigint") return value.toString();
  if (Array.isArray(value)) return value.map(jsonSafe);
  return value;
}

function argsOf(fragment: EventFragment, values: Result): Record<string, string | boolean> {
  const args: Record<string, string | boolean> = {};
  fragment.inputs.forEach((input, index) => {
    const value = values[index];
    if (typeof value === "bigint") args[input.name] = value.toString();
    else if (typeof value === "boolean" || typeof value === "string") args[input.name] = value;
    else args[input.name] = JSON.stringify(jsonSafe(value));
  });
  return args;
}

export interface ProtocolAddresses {
  engine: string;
  vault: string;
  /** Price feed addresses (AggregatorV3 with AnswerUpdated). */
  feeds: string[];
}

interface KnownEvent {
  contractInterface: Interface;
  fragment: EventFragment;
}

/** topic0 → event, per contract role; built once (ethers recomputes every topic hash on each parseLog). */
function eventTable(contractInterface: Interface, keep: (name: string) => boolean): Map<string, KnownEvent> {
  const table = new Map<string, KnownEvent>();
  contractInterface.forEachEvent((fragment) => {
    if (keep(fragment.name)) table.set(fragment.topicHash.toLowerCase(), { contractInterface, fragment });
  });
  return table;
}

const TABLES: Record<ContractRole, Map<string, KnownEvent>> = {
  engine: eventTable(PerpEngine__factory.createInterface() as Interface, () => true),
  vault: eventTable(LiquidityVault__factory.createInterface() as Interface, (name) => !IGNORED_VAULT_EVENTS.has(name)),
  feed: eventTable(MockV3Aggregator__factory.createInterface() as Interface, (name) => KEPT_FEED_EVENTS.has(name)),
};

export class EventDecoder {
  private readonly roles = new Map<string, ContractRole>();

  constructor(addresses: ProtocolAddresses) {
    this.roles.set(addresses.engine.toLowerCase(), "engine");
    this.roles.set(addresses.vault.toLowerCase(), "vault");
    for (const feed of addresses.feeds) this.roles.set(feed.toLowerCase(), "feed");
  }

  /** Addresses to ask `eth_getLogs` for. */
  get addresses(): string[] {
    return [...this.roles.keys()];
  }

  /** The decoded record, or undefined for logs that are not protocol events (share transfers, NewRound). */
  decode(log: RawLogLike): ChainEvent | undefined {
    const address = log.address.toLowerCase();
    const role = this.roles.get(address);
    if (!role || log.topics.length === 0) return undefined;
    const known = TABLES[role].get(log.topics[0].toLowerCase());
    if (!known) return undefined;
    const values = known.contractInterface.decodeEventLog(known.fragment, log.data, [...log.topics]);
    return {
      block: Number(log.blockNumber),
      logIndex: Number(log.logIndex),
      txHash: log.transactionHash,
      address,
      contract: role,
      name: known.fragment.name,
      args: argsOf(known.fragment, values),
    };
  }

  /** Decodes and orders by (block, logIndex). */
  decodeAll(logs: readonly RawLogLike[]): ChainEvent[] {
    const events: ChainEvent[] = [];
    for (const log of logs) {
      const event = this.decode(log);
      if (event) events.push(event);
    }
    return events.sort((a, b) => a.block - b.block || a.logIndex - b.logIndex);
  }
}

/** Reads a bigint argument of a decoded event. */
export function bigArg(event: ChainEvent, name: string): bigint {
  const value = event.args[name];
  if (typeof value !== "string") throw new Error(`${event.name} has no integer argument "${name}"`);
  return BigInt(value);
}

/** Reads a string argument (address, bytes32) of a decoded event. */
export function strArg(event: ChainEvent, name: string): string {
  const value = event.args[name];
  if (typeof value !== "string") throw new Error(`${event.name} has no argument "${name}"`);
  return value;
}
