/**
 * Arbitrum One (chain 42161): native USDC as collateral, Chainlink's ETH/USD and BTC/USD feeds and the L2
 * sequencer-uptime feed. Each address cites where it was read; sim/fork/README.md says how.
 */
import { parseUnits } from "ethers";
import type { Citation, NetworkConfig } from "./types";

const CIRCLE_USDC_ADDRESSES = "https://developers.circle.com/stablecoins/usdc-contract-addresses";
const CHAINLINK_ARBITRUM_FEEDS = "https://docs.chain.link/data-feeds/price-feeds/addresses?network=arbitrum";
const AAVE_ARBITRUM_DOCS = "Aave's documentation, page 'Aave's deployment on the Arbitrum', section Price Feed";

const UNVERIFIED_ARBITRUM_FEED =
  "Chainlink's Arbitrum address page renders its table from an API this environment cannot reach, and the " +
  "documentation repository ships only the Ethereum list; the address and the 0.05% threshold come from " +
  "Aave's Arbitrum deployment docs. The 86,400 s heartbeat is the commonly published value and is NOT " +
  "verified (one third-party fork-test README reports 1,755 s). resolveNetwork checks description() and " +
  "decimals() on the chain, and a fork run reports the largest gap between the feed's recent updates.";

const ETH_USD_SOURCE: Citation[] = [
  { document: CHAINLINK_ARBITRUM_FEEDS, quote: "(table not readable here)" },
  {
    document: AAVE_ARBITRUM_DOCS,
    quote: "| WETH/USD | 0.05% | 0x639fe6ab55c921f74e7fac1ee960c0b6293ba612 |",
  },
];

const BTC_USD_SOURCE: Citation[] = [
  { document: CHAINLINK_ARBITRUM_FEEDS, quote: "(table not readable here)" },
  {
    document: AAVE_ARBITRUM_DOCS,
    quote: "| BTC/USD | 0.05% | 0x6ce185860a4963106506c203335a2910413708e9 |",
  },
];

const ARBITRUM_ONE_CHAIN_ID = 42_161;
/** The offline stand-in (sim/fork/standIn) runs under 9,000,000 + the real chain id. */
const ARBITRUM_STAND_IN_CHAIN_ID = 9_042_161;

export const ARBITRUM_ONE: NetworkConfig = {
  name: "arbitrum",
  displayName: "Arbitrum One",
  chainId: ARBITRUM_ONE_CHAIN_ID,
  standInChainId: ARBITRUM_STAND_IN_CHAIN_ID,
  collateral: {
    address: "0xaf88d065e77c8cC2239327C5EDb3A432268e5831",
    symbol: "USDC",
    decimals: 6,
    source: [
      {
        document: CIRCLE_USDC_ADDRESSES,
        quote: "USDC Contract Addresses — Mainnet table, row Arbitrum (row not in the excerpt we could read)",
      },
      {
        document: "https://docs.gelato.cloud/1Balance/USDC-Addresess (third party)",
        quote: "Arbitrum | 0xaf88d065e77c8cc2239327c5edb3a432268e5831",
      },
    ],
    verification: {
      unverified:
        "Circle's address page was found but not its Arbitrum row; native USDC (not the bridged USDC.e " +
        "0xFF970A61…) per several integrators' lists. resolveNetwork checks symbol() = USDC and decimals() = 6.",
    },
  },
  feeds: [
    {
      symbol: "ETH-USD",
      description: "ETH / USD",
      address: "0x639Fe6ab55C921f74e7fac1ee960C0B6293ba612",
      heartbeatSeconds: 86_400n,
      deviationThresholdBps: 5n,
      source: ETH_USD_SOURCE,
      verification: { unverified: UNVERIFIED_ARBITRUM_FEED },
    },
    {
      symbol: "BTC-USD",
      description: "BTC / USD",
      address: "0x6ce185860a4963106506C203335A2910413708e9",
      heartbeatSeconds: 86_400n,
      deviationThresholdBps: 5n,
      source: BTC_USD_SOURCE,
      verification: { unverified: UNVERIFIED_ARBITRUM_FEED },
    },
  ],
  sequencerUptimeFeed: {
    address: "0xFdB631F5EE196F0ed6FAa767959853A9F217697D",
    source: [
      {
        document:
          "github.com/smartcontractkit/documentation src/content/data-feeds/l2-sequencer-feeds.mdx " +
          "(commit 1dd940b5), https://docs.chain.link/data-feeds/l2-sequencer-feeds",
        quote: "Arbitrum mainnet: [0xFdB631F5EE196F0ed6FAa767959853A9F217697D](https://arbiscan.io/address/…)",
      },
    ],
    verification: "verified",
    gracePeriodSeconds: 3_600n,
    gracePeriodSource: [
      {
        document:
          "github.com/smartcontractkit/documentation public/samples/DataFeeds/DataConsumerWithSequencerCheck.sol",
        quote: "uint256 private constant GRACE_PERIOD_TIME = 3600;",
      },
    ],
  },
  // 0.05% thresholds: the default 5 bps taker fee already meets the fee floor (2 × 5 ≥ 5).
  marketOverrides: {},
  orders: {
    executionDelaySeconds: 2n,
    orderExpirySeconds: 300n,
    executionFeeUsd: parseUnits("0.5", 18),
  },
  ordersRationale:
    "2 s: 0.25 s blocks, a pending feed update lands in the next batches; 5 min to execute; $0.50 covers " +
    "executeOrder's 535,107 L2 gas plus its L1 data cost with a wide margin.",
  collateralHolders: [
    {
      address: "0xf89d7b9c864f589bbF53a82105107622B35EaA40",
      label: "USDC whale of Uniswap's Arbitrum fork tests (may hold USDC.e rather than native USDC)",
      source: [
        {
          document: "github.com/Uniswap/smart-order-router test/test-util/whales.ts (commit c3c45c3a)",
          quote: "case USDC_ON(ChainId.ARBITRUM_ONE): return '0xf89d7b9c864f589bbf53a82105107622b35eaa40';",
        },
      ],
    },
  ],
};
