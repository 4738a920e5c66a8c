// Shared helpers for the governance tests (DESIGN §11): role ids, pause switches, impersonation of the
// guardian Safe / timelock / vault, funded traders with a one-line ETH order, and fixtures for a governed
// system with a real timelock delay.
import { ethers, network } from "hardhat";
import { keccak256, toUtf8Bytes, ZeroHash } from "ethers";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";

import { LOCAL_CONFIG, type SystemDeployConfig } from "../../deploy/config";
import type { MarginTierStruct, MarketParamsStruct } from "../../typechain-types/contracts/PerpEngine";
import { deployWith, ETH, BTC } from "../helpers/fixtures";
import { SECONDS_PER_DAY, depositFromTraders, openPosition, type System } from "../helpers/engineHelpers";

/** AccessControl's DEFAULT_ADMIN_ROLE. */
export const ADMIN_ROLE = ZeroHash;
/** PerpEngine.GUARDIAN_ROLE. */
export const GUARDIAN_ROLE = keccak256(toUtf8Bytes("GUARDIAN_ROLE"));

/** IPerpEngine.PauseSwitch. */
export const Switch = { Trading: 0, Liquidations: 1, Withdrawals: 2 } as const;

export const DAY = SECONDS_PER_DAY;
export const HOUR = 3_600n;

/** The node accounts that own the local guardian Safe (deploy/config.ts LOCAL_CONFIG). */
export const SAFE_OWNER_INDEXES = [10, 11, 12] as const;

/** A signer for `address` (a contract or an EOA), funded with ETH for gas. */
export async function impersonate(address: string): Promise<HardhatEthersSigner> {
  await network.provider.send("hardhat_impersonateAccount", [address]);
  await network.provider.send("hardhat_setBalance", [address, "0x56BC75E2D63100000"]); // 100 ETH
  return ethers.getSigner(address);
}

/** The Safe owners (accounts 10, 11, 12 of the node). */
export async function safeOwners(): Promise<HardhatEthersSigner[]> {
  const signers = await ethers.getSigners();
  return SAFE_OWNER_INDEXES.map((i) => signers[i]);
}

/** A mutable copy of a market's configured params (bigint fields). */
export function ethParams(): Required<{ [K in keyof MarketParamsStruct]: bigint }> {
  const p = LOCAL_CONFIG.markets.find((m) => m.symbol === ETH)!.params;
  const out = {} as Record<string, bigint>;
  for (const [k, v] of Object.entries(p)) out[k] = BigInt(v as bigint);
  return out as Required<{ [K in keyof MarketParamsStruct]: bigint }>;
}

export interface PlainTier {
  notionalFloorUsd: bigint;
  initialMarginBps: bigint;
  maintenanceMarginBps: bigint;
}

/** A mutable copy of the ETH market's configured tiers. */
export function ethTiers(): PlainTier[] {
  const tiers = LOCAL_CONFIG.markets.find((m) => m.symbol === ETH)!.tiers as MarginTierStruct[];
  return tiers.map((t) => ({
    notionalFloorUsd: BigInt(t.notionalFloorUsd),
    initialMarginBps: BigInt(t.initialMarginBps),
    maintenanceMarginBps: BigInt(t.maintenanceMarginBps),
  }));
}

/**
 * `s` with each of the first `fundedTraders` traders holding 20,000 USD in the engine, the ETH-USD and
 * BTC-USD market ids, and `trade(trader, sizeEth, marginUsd)`: an ETH-USD order (negative size sells) with
 * `marginUsd` moved in, at an acceptable price that never binds.
 */
export async function withTraders<T extends System>(s: T, fundedTraders: number) {
  await depositFromTraders(s, fundedTraders, "20000");
  const eth = s.market(ETH).marketId;
  const btc = s.market(BTC).marketId;
  const trade = (trader: HardhatEthersSigner, sizeEth: string, marginUsd = "0") =>
    openPosition(s, trader, ETH, sizeEth, marginUsd);
  return { ...s, eth, btc, trade };
}

/** LOCAL_CONFIG with a real timelock delay (live networks use 2 days). */
export function configWithTimelockDelay(delaySeconds: bigint): SystemDeployConfig {
  return { ...LOCAL_CONFIG, governance: { ...LOCAL_CONFIG.governance, timelockMinDelaySeconds: delaySeconds } };
}

/** A governed system (timelock is the only admin, the Safe is guardian) whose timelock waits 2 days. */
export async function deployGovernedTwoDayDelay() {
  return deployWith(configWithTimelockDelay(2n * DAY), { handOverAdmin: true });
}
