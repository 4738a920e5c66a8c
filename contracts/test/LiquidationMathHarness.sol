// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {LiquidationMath} from "../libraries/LiquidationMath.sol";
import {MarginTier} from "../interfaces/IPerpTypes.sol";

/// @title LiquidationMathHarness
/// @notice Test-only: exposes every `LiquidationMath` function as `external pure`, same names and
/// arguments, so `test/sdk/differential.test.ts` can compare them with `sdk/math/liquidationMath.ts` to the wei.
contract LiquidationMathHarness {
    function executionPriceWad(
        uint256 priceWad,
        int256 skew,
        int256 closingDelta,
        uint256 skewScale
    ) external pure returns (uint256) {
        return LiquidationMath.executionPriceWad(priceWad, skew, closingDelta, skewScale);
    }

    /// @dev `fillWad` is LiquidationMath's `executionPriceWad` argument, renamed so it does not shadow this
    /// harness's `executionPriceWad` function.
    function adverseSlippageBps(uint256 priceWad, uint256 fillWad, bool closingLong) external pure returns (uint256) {
        return LiquidationMath.adverseSlippageBps(priceWad, fillWad, closingLong);
    }

    function penaltyUsd(int256 closedSize, uint256 closePriceWad, uint256 penaltyBps) external pure returns (uint256) {
        return LiquidationMath.penaltyUsd(closedSize, closePriceWad, penaltyBps);
    }

    function partialCloseSizeAbs(
        uint256 sizeAbs,
        int256 equityUsd,
        uint256 tieredMaintenanceUsd,
        uint256 keeperRewardUsd,
        uint256 notionalUsd,
        uint256 bufferBps,
        uint256 costBps
    ) external pure returns (uint256) {
        return
            LiquidationMath.partialCloseSizeAbs(
                sizeAbs,
                equityUsd,
                tieredMaintenanceUsd,
                keeperRewardUsd,
                notionalUsd,
                bufferBps,
                costBps
            );
    }

    function liquidationPriceWad(
        int256 size,
        uint256 entryPriceWad,
        int256 netMarginUsd,
        MarginTier[] memory tiers,
        uint256 keeperRewardUsd
    ) external pure returns (uint256) {
        return LiquidationMath.liquidationPriceWad(size, entryPriceWad, netMarginUsd, tiers, keeperRewardUsd);
    }
}
