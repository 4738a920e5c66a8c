/**
 * Ethereum mainnet (chain 1): real USDC as collateral and Chainlink's ETH/USD and BTC/USD feeds.
 * Each address cites where it was read; sim/fork/README.md ("Network configuration") says how they were checked.
 */
import { parseUnits } from "ethers";
import type { Citation, NetworkConfig } from "./types";

/** Chainlink's own feed list for Ethereum mainnet, as shipped in their documentation repository. */
const CHAINLINK_MAINNET_FEEDS =
  "github.com/smartcontractkit/documentation public/files/json/feeds-mainnet.json " +
  "(commit 211224bb5baf2fd712ea61b8a46987c11cbfff9b), the data behind " +
  "https://docs.chain.link/data-feeds/price-feeds/addresses?network=ethereum";

const CIRCLE_USDC_ADDRESSES = "https://developers.circle.com/stablecoins/usdc-contract-addresses";

const ETH_USD_SOURCE: Citation[] = [
  {
    document: CHAINLINK_MAINNET_FEEDS,
    quote:
      '"contractAddress": "0x7d4E742018fb52E48b08BE73d041C18B21de6Fb5", "ens": "eth-usd", "heartbeat": 3600, ' +
      '"name": "ETH / USD", "proxyAddress": "0x5f4eC3Df9cbd43714FE2740f5E3616155c5b8419", "threshold": 0.5, ' +
      '"decimals": 8',
  },
];

const BTC_USD_SOURCE: Citation[] = [
  {
    document: CHAINLINK_MAINNET_FEEDS,
    quote:
      '"contractAddress": "0x4a3411ac2948B33c69666B35cc6d055B27Ea84f1", "ens": "btc-usd", "heartbeat": 3600, ' +
      '"name": "BTC / USD", "proxyAddress": "0xF4030086522a5bEEa4988F8cA5B36dbC97BeE88c", "threshold": 0.5, ' +
      '"decimals": 8',
  },
];

const MAINNET_CHAIN_ID = 1;
/** The offline stand-in (sim/fork/standIn) runs under 9,000,000 + the real chain id, so no signer mistakes it for mainnet. */
const MAINNET_STAND_IN_CHAIN_ID = 9_000_001;

export const MAINNET: NetworkConfig = {
  name: "mainnet",
  displayName: "Ethereum mainnet",
  chainId: MAINNET_CHAIN_ID,
  standInChainId: MAINNET_STAND_IN_CHAIN_ID,
  collateral: {
    address: "0xA0b86991c6218b36c1d19D4a2e9Eb0cE3606eB48",
    symbol: "USDC",
    decimals: 6,
    source: [
      {
        document: CIRCLE_USDC_ADDRESSES,
        quote: "USDC Contract Addresses — Mainnet table, row Ethereum (row not in the excerpt we could read)",
      },
      {
        document: "https://etherscan.io/token/0xa0b86991c6218b36c1d19d4a2e9eb0ce3606eb48",
        quote: "Token USDC (USDC) … Token Contract (WITH 6 Decimals) … Contract Name FiatTokenProxy",
      },
    ],
    verification: {
      unverified:
        "Circle's address page was found but the search tool returned only its head, not the Ethereum row; the " +
        "address is the one Etherscan shows as Circle's FiatTokenProxy. resolveNetwork checks symbol() = USDC and " +
        "decimals() = 6 on the chain before use.",
    },
  },
  feeds: [
    {
      symbol: "ETH-USD",
      description: "ETH / USD",
      address: "0x5f4eC3Df9cbd43714FE2740f5E3616155c5b8419",
      heartbeatSeconds: 3_600n,
      deviationThresholdBps: 50n,
      source: ETH_USD_SOURCE,
      verification: "verified",
    },
    {
      symbol: "BTC-USD",
      description: "BTC / USD",
      address: "0xF4030086522a5bEEa4988F8cA5B36dbC97BeE88c",
      heartbeatSeconds: 3_600n,
      deviationThresholdBps: 50n,
      source: BTC_USD_SOURCE,
      verification: "verified",
    },
  ],
  // The fee floor (2 × takerFeeBps ≥ oracleDeviationThresholdBps): 0.5% thresholds need 25 bps taker fees.
  marketOverrides: { "ETH-USD": { takerFeeBps: 25n }, "BTC-USD": { takerFeeBps: 25n } },
  orders: {
    executionDelaySeconds: 24n,
    orderExpirySeconds: 300n,
    executionFeeUsd: parseUnits("20", 18),
  },
  ordersRationale:
    "24 s = two 12 s blocks, longer than a pending feed update takes to land; 5 min to execute; $20 covers " +
    "executeOrder's 535,107 gas (bench/BASELINE.md) at 10 gwei and $3,500/ETH (≈ $18.7).",
  collateralHolders: [
    {
      address: "0x8EB8a3b98659Cce290402893d0123abb75E3ab28",
      label: "USDC whale of Uniswap's fork tests",
      source: [
        {
          document: "github.com/Uniswap/smart-order-router test/test-util/whales.ts (commit c3c45c3a)",
          quote: "case USDC_MAINNET: return '0x8eb8a3b98659cce290402893d0123abb75e3ab28';",
        },
      ],
    },
    {
      address: "0x28C6c06298d514Db089934071355E5743bf21d60",
      label: "Binance 14 hot wallet",
      source: [
        {
          document: "a public list of exchange hot wallets (search corpus, third party)",
          quote: "| Binance 14 | `0x28c6c06298d514db089934071355e5743bf21d60` | Main hot wallet, high volume |",
        },
      ],
    },
  ],
};
