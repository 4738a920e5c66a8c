// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IPerpEngine} from "../interfaces/IPerpEngine.sol";
import {IPriceOracle} from "../interfaces/IPriceOracle.sol";
import {AggregatorV3Interface} from "@chainlink/contracts/src/v0.8/shared/interfaces/AggregatorV3Interface.sol";

/// @title KeeperLens
/// @notice Read-only periphery for off-chain keepers and indexers: everything that changes every block without
/// an event — each market's validated price, its feed's latest round, the vault's marked equity, the insurance
/// fund and the keeper's gas balance — in ONE `eth_call`, so that a keeper's requests per block do not grow with
/// the number of markets or positions (positions are mirrored from the engine's events).
/// @dev Never reverts on a bad market: a price the adapter rejects is reported as `priceOk = false` with the
/// revert data, so one dead feed does not blind the keeper to the other markets. Holds no state and no funds.
/// `simulate` runs any call and always reverts with its outcome and gas, so it can only be used through
/// `eth_call` (a node's `eth_estimateGas` binary search re-executes a large batch dozens of times).
contract KeeperLens {
    /// @notice The outcome of `simulate`: whether the call succeeded, the gas it used (without the transaction's
    /// intrinsic and calldata gas) and its return or revert data.
    error Simulated(bool success, uint256 gasUsed, bytes result);

    /// @notice One market as of the call's block.
    struct MarketReading {
        /// @dev False when `engine.markPrice` reverted (stale, out of bounds, sequencer down...).
        bool priceOk;
        /// @dev `engine.markPrice`: the validated oracle price, or the settlement price of a settled market
        /// (USD per base unit, 1e18); 0 when `priceOk` is false.
        uint256 priceWad;
        /// @dev The adapter's deviation breaker (opening, increasing and removing margin pause while true).
        bool isVolatile;
        /// @dev The revert data of `markPrice` when `priceOk` is false (the adapter's custom error).
        bytes priceError;
        /// @dev The feed's latest round (`latestRoundData`); all 0 when the feed call reverted.
        uint80 feedRoundId;
        int256 feedAnswer;
        uint256 feedUpdatedAt;
    }

    /// @notice The per-block reading.
    struct Snapshot {
        uint256 blockNumber;
        /// @dev `block.timestamp` of the call's context: funding and maintenance ramps are computed at it.
        uint256 timestamp;
        /// @dev `engine.vaultEquityUsd(true)` (gains included, USD 1e18); `vaultEquityOk` false when it reverted
        /// (some market with open interest has no valid price).
        bool vaultEquityOk;
        int256 vaultEquityUsd;
        uint256 insuranceFundUsd;
        uint256 insuranceFundTargetUsd;
        /// @dev The keeper's native balance (wei), for its gas.
        uint256 keeperBalanceWei;
        MarketReading[] markets;
    }

    /// @notice Reads every market in `marketIds` (their feeds in `feeds`, same order) and the engine-wide values.
    function snapshot(
        IPerpEngine engine,
        bytes32[] calldata marketIds,
        AggregatorV3Interface[] calldata feeds,
        IPriceOracle[] calldata adapters,
        address keeper
    ) external view returns (Snapshot memory snap) {
        snap.blockNumber = block.number;
        snap.timestamp = block.timestamp;
        try engine.vaultEquityUsd(true) returns (int256 equityUsd) {
            snap.vaultEquityOk = true;
            snap.vaultEquityUsd = equityUsd;
        } catch {}
        snap.insuranceFundUsd = engine.insuranceFund();
        snap.insuranceFundTargetUsd = engine.insuranceFundTarget();
        snap.keeperBalanceWei = keeper.balance;
        snap.markets = new MarketReading[](marketIds.length);
        for (uint256 i; i < marketIds.length; ++i) {
            snap.markets[i] = _readMarket(engine, marketIds[i], feeds[i], adapters[i]);
        }
    }

    /// @notice Calls `target` with `data` (this contract is `msg.sender`) and reverts with `Simulated(...)`: nothing
    /// it did persists, even when sent in a transaction.
    function simulate(address target, bytes calldata data) external {
        uint256 gasBefore = gasleft();
        // solhint-disable-next-line avoid-low-level-calls
        (bool success, bytes memory result) = target.call(data);
        uint256 gasUsed = gasBefore - gasleft();
        revert Simulated(success, gasUsed, result);
    }

    function _readMarket(
        IPerpEngine engine,
        bytes32 marketId,
        AggregatorV3Interface feed,
        IPriceOracle adapter
    ) private view returns (MarketReading memory reading) {
        try engine.markPrice(marketId) returns (uint256 priceWad) {
            reading.priceOk = true;
            reading.priceWad = priceWad;
        } catch (bytes memory reason) {
            reading.priceError = reason;
        }
        if (reading.priceOk) {
            // A settled market reads its settlement price; its adapter may be dead, so a revert is not an error.
            try adapter.latestPrice() returns (uint256, bool isVolatile) {
                reading.isVolatile = isVolatile;
            } catch {}
        }
        try feed.latestRoundData() returns (uint80 roundId, int256 answer, uint256, uint256 updatedAt, uint80) {
            reading.feedRoundId = roundId;
            reading.feedAnswer = answer;
            reading.feedUpdatedAt = updatedAt;
        } catch {}
    }
}
