import { parseUnits } from "ethers";
import type { AdlConfigStruct, MarginTierStruct, MarketParamsStruct } from "../typechain-types/contracts/PerpEngine";

/** Oracle adapter settings of one market (see contracts/oracle/ChainlinkOracleAdapter.sol). */
export interface OracleDeployConfig {
  heartbeatSeconds: bigint;
  /** The aggregator's clamps, in feed units: answers at a bound are rejected. */
  minAnswer: bigint;
  maxAnswer: bigint;
  /** L2 sequencer uptime feed; the zero address on L1 and local chains. */
  sequencerUptimeFeed: string;
  sequencerGracePeriodSeconds: bigint;
  maxDeviationBps: bigint;
  volatilityCooldownSeconds: bigint;
}

export interface MarketDeployConfig {
  symbol: string;
  /** Existing Chainlink feed; when absent a MockV3Aggregator is deployed at `mockInitialPriceUsd`. */
  priceFeed?: string;
  feedDecimals: number;
  mockInitialPriceUsd?: string;
  oracle: OracleDeployConfig;
  params: MarketParamsStruct;
  tiers: MarginTierStruct[];
}

/** Who runs the protocol (DESIGN §11) and the timing of their powers. */
export interface GovernanceDeployConfig {
  /** The guardian multisig: an existing address, or a Safe deployed here with these owners (local chains:
   * indexes into the node's accounts) and threshold. */
  guardian: { address: string } | { safeOwnerAccountIndexes: number[]; threshold: number };
  /** TimelockController minimum delay: 2 days on live networks, 0 on the local chain. */
  timelockMinDelaySeconds: bigint;
  /** Proposers besides the guardian multisig (local chains add the deployer so scripts can schedule). */
  extraProposers: "deployer"[];
  /** Hand DEFAULT_ADMIN_ROLE to the timelock and renounce it from the deployer. Unit-test fixtures keep
   * the deployer as admin to exercise admin functions directly; governance tests and `npm start` hand over. */
  handOverAdmin: boolean;
  liquidationGracePeriodSeconds: bigint;
  maintenanceRampSeconds: bigint;
  insuranceFundTargetUsd: bigint;
}

export interface SystemDeployConfig {
  /** Existing collateral token; when absent a mintable 6-decimal mock USDC is deployed. */
  collateral?: string;
  mockCollateralDecimals: number;
  vaultName: string;
  vaultSymbol: string;
  markets: MarketDeployConfig[];
  adl: AdlConfigStruct;
  governance: GovernanceDeployConfig;
}

const usd = (amount: string) => parseUnits(amount, 18);
const units = (amount: string) => parseUnits(amount, 18);
const HOUR_SECONDS = 3_600n;
const FIVE_MINUTES_SECONDS = 300n;

/** Progressive tiers: 20x up to $1M notional, 10x to $5M, 5x above (rates apply to each slice). */
const DEFAULT_TIERS: MarginTierStruct[] = [
  { notionalFloorUsd: 0n, initialMarginBps: 500n, maintenanceMarginBps: 250n },
  { notionalFloorUsd: usd("1000000"), initialMarginBps: 1_000n, maintenanceMarginBps: 500n },
  { notionalFloorUsd: usd("5000000"), initialMarginBps: 2_000n, maintenanceMarginBps: 1_000n },
];

function localOracle(feedDecimals: number): OracleDeployConfig {
  return {
    heartbeatSeconds: HOUR_SECONDS,
    minAnswer: 1n,
    maxAnswer: parseUnits("10000000", feedDecimals), // $10M per unit: far above any listed asset
    sequencerUptimeFeed: "0x0000000000000000000000000000000000000000",
    sequencerGracePeriodSeconds: 0n,
    maxDeviationBps: 2_500n, // DESIGN §6 default: a 25% jump trips the breaker
    volatilityCooldownSeconds: FIVE_MINUTES_SECONDS,
  };
}

function defaultParams(maxOpenInterest: string, skewScale: string): MarketParamsStruct {
  return {
    minPositionMarginUsd: usd("10"), // DESIGN §4 default
    keeperRewardUsd: usd("2"), // flat liquidation reward, part of the maintenance requirement
    maxOpenInterestPerSide: units(maxOpenInterest),
    skewScale: units(skewScale),
    maxFundingRatePerDayWad: parseUnits("0.1", 18), // 10%/day, reached only at a skew of skewScale
    takerFeeBps: 5n,
    insuranceFeeShareBps: 2_000n, // DESIGN §4 default: 20% of fees to the insurance fund
    maxVaultExposureBps: 5_000n,
    liquidationPenaltyBps: 100n, // DESIGN §7 default: 1% of closed notional
    keeperPenaltyShareBps: 2_500n, // a quarter of the penalty to the keeper, the rest to insurance
    liquidationBufferBps: 2_500n, // DESIGN §7 default: partial liquidations aim for MM × 1.25
    // LP withdrawals keep 12.5% of gross OI notional on top of the exposure caps' need: a gap g whose winners all
    // close before any loser (at margin m) is liquidated costs the vault (g − m)/2 of gross OI with an empty
    // insurance fund, so 12.5% covers g = 27.5% with losers at the 2.5% maintenance margin (the breaker is 25%).
    vaultReserveBps: 1_250n,
    // Delayed orders (DESIGN §4) are off here: unit tests trade instantly. `DEVNET_CONFIG` and live networks
    // turn them on (`withDelayedOrders`).
    executionDelaySeconds: 0n,
    orderExpirySeconds: 0n,
    executionFeeUsd: 0n,
    // The fee floor 2 × takerFeeBps ≥ this holds with the 5 bps fee: feeds whose threshold is at most 0.1%
    // (Arbitrum's ETH/USD and BTC/USD are 0.05%; the local mock feeds move when the price feeder says so).
    oracleDeviationThresholdBps: 10n,
  };
}

/** Delayed-order settings of a network (DESIGN §4): the delay must exceed the time a pending feed update needs
 * to land, so that nobody executes against an answer they know is about to change. */
export interface OrderSettings {
  executionDelaySeconds: bigint;
  orderExpirySeconds: bigint;
  /** USD, 1e18: covers a keeper's gas for one execution. */
  executionFeeUsd: bigint;
}

/** The local chain of `npm start`: blocks arrive with each transaction and the price feeder's updates, so
 * a 5 s delay shows the real two-step flow without making the demo slow; $0.50 pays the demo keeper. */
export const DEVNET_ORDERS: OrderSettings = {
  executionDelaySeconds: 5n,
  orderExpirySeconds: 5n * 60n,
  executionFeeUsd: usd("0.5"),
};

/** Returns `config` with every market trading through delayed orders with `orders`. */
export function withDelayedOrders(config: SystemDeployConfig, orders: OrderSettings): SystemDeployConfig {
  return {
    ...config,
    markets: config.markets.map((m) => ({ ...m, params: { ...m.params, ...orders } })),
  };
}

const DAY_SECONDS = 86_400n;

/** ADL defaults (DESIGN §9): $100 queue minimum, 16 counterparties deleveraged and 128 unprofitable entries
 * passed over per walk at most, vault protection at 30% → 20%. */
export const DEFAULT_ADL: AdlConfigStruct = {
  minQueueNotionalUsd: usd("100"),
  maxSteps: 16n,
  maxSkips: 128n,
  vaultLossUpperBps: 3_000n,
  vaultLossLowerBps: 2_000n,
};

/** The local chain: mock USDC and mock feeds for ETH-USD and BTC-USD. */
export const LOCAL_CONFIG: SystemDeployConfig = {
  adl: DEFAULT_ADL,
  governance: {
    // A real 2-of-3 Safe owned by accounts 10, 11 and 12 of the local node.
    guardian: { safeOwnerAccountIndexes: [10, 11, 12], threshold: 2 },
    timelockMinDelaySeconds: 0n,
    extraProposers: ["deployer"],
    handOverAdmin: true,
    liquidationGracePeriodSeconds: HOUR_SECONDS,
    maintenanceRampSeconds: 7n * DAY_SECONDS,
    insuranceFundTargetUsd: usd("50000"),
  },
  mockCollateralDecimals: 6,
  vaultName: "Perp LP Vault USDC",
  vaultSymbol: "pvUSDC",
  markets: [
    {
      symbol: "ETH-USD",
      feedDecimals: 8,
      mockInitialPriceUsd: "2000",
      oracle: localOracle(8),
      params: defaultParams("10000", "100000"),
      tiers: DEFAULT_TIERS,
    },
    {
      symbol: "BTC-USD",
      feedDecimals: 8,
      mockInitialPriceUsd: "60000",
      oracle: localOracle(8),
      params: defaultParams("500", "5000"),
      tiers: DEFAULT_TIERS,
    },
  ],
};

/** What `npm start` deploys on its local node: `LOCAL_CONFIG` with delayed orders on. */
export const DEVNET_CONFIG: SystemDeployConfig = withDelayedOrders(LOCAL_CONFIG, DEVNET_ORDERS);

/** Per-network configuration. Live networks must name real feeds and the real collateral token. */
export function configForNetwork(network: string): SystemDeployConfig {
  if (network === "hardhat") return LOCAL_CONFIG;
  if (network === "localhost") return DEVNET_CONFIG;
  throw new Error(`no deployment config for network "${network}": add one to deploy/config.ts`);
}
