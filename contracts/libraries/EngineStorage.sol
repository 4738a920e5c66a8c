// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {StoredPosition} from "./PositionStore.sol";
import {IPriceOracle} from "../interfaces/IPriceOracle.sol";
import {
    MarginTier,
    MarketParams,
    Position,
    MarketState,
    AdlConfig,
    MaintenanceRamp,
    PauseState,
    GovernanceConfig,
    Order
} from "../interfaces/IPerpTypes.sol";
import {AdlQueue} from "../adl/AdlQueue.sol";

/// @notice A listed market: its oracle, risk parameters and lifecycle.
struct MarketConfig {
    IPriceOracle oracle;
    MarketParams params;
    /// @dev No new or increased exposure, no margin removal (guardian may set, only admin clears).
    bool reduceOnly;
    /// @dev Non-zero once governance settled the market at this final price (USD per unit, 1e18): it
    /// replaces the oracle, funding stops, and positions close only through `closeSettledPosition`.
    uint256 settlementPriceWad;
}

/// @notice The engine's whole state, in one struct so that the external liquidation library can operate
/// on it by storage reference (the engine and its libraries share one schema, read top to bottom).
/// Units: USD amounts scaled by 1e18.
struct EngineState {
    /// @dev The ERC-4626 liquidity vault, counterparty of every trade (set once).
    address vault;
    /// @dev The vault's realised cash. It can dip below zero only while the vault owes traders more
    /// realised profit than it holds, backed by its open positions.
    int256 vaultCashUsd;
    /// @dev The insurance fund. Never negative.
    uint256 insuranceFundUsd;
    /// @dev Governance may withdraw only the fund's excess over this target.
    uint256 insuranceFundTargetUsd;
    mapping(address account => uint256 usd) freeBalances;
    mapping(bytes32 marketId => mapping(address account => StoredPosition)) positions;
    mapping(bytes32 marketId => MarketConfig) marketConfigs;
    mapping(bytes32 marketId => MarginTier[]) marginTiers;
    mapping(bytes32 marketId => MarketState) marketStates;
    bytes32[] listedMarketIds;
    /// @dev ADL rankings per market: longs (most leveraged = highest key first) and shorts (lowest first).
    mapping(bytes32 marketId => AdlQueue.Queue) longQueues;
    mapping(bytes32 marketId => AdlQueue.Queue) shortQueues;
    /// @dev ADL settings shared by all markets.
    AdlConfig adlConfig;
    mapping(bytes32 marketId => MaintenanceRamp) maintenanceRamps;
    /// @dev The schedule a maintenance ramp starts from.
    mapping(bytes32 marketId => MarginTier[]) previousTiers;
    PauseState pauses;
    GovernanceConfig governance;
    /// @dev One pending order per (market, account), see `Order`.
    mapping(bytes32 marketId => mapping(address account => Order)) orders;
    /// @dev Σ over pending orders of escrowed margin + execution fee: a bucket of the accounting identity.
    uint256 escrowedOrdersUsd;
}
