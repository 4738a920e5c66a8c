// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title IPriceOracle
/// @notice A validated price source for one market. The engine never reads a Chainlink feed directly.
interface IPriceOracle {
    /// @notice Reads the feed and validates the answer: the price the engine acts on.
    /// @dev Reverts with a custom error on any invalid answer (stale, non-positive, at a bound, sequencer
    /// down or in its grace period). Not `view` in the interface so that an implementation may record state.
    /// @return priceWad USD per 1 unit of base asset, scaled by 1e18.
    /// @return isVolatile True while the deviation breaker is tripped (opening and increasing pause).
    function readPrice() external returns (uint256 priceWad, bool isVolatile);

    /// @notice The price `readPrice` would return now, without recording it.
    /// @return priceWad USD per 1 unit of base asset, scaled by 1e18.
    /// @return isVolatile True while the deviation breaker is tripped.
    function latestPrice() external view returns (uint256 priceWad, bool isVolatile);
}
