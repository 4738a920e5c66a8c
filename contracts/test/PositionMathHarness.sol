// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {PositionMath} from "../libraries/PositionMath.sol";
import {SignedMath} from "../libraries/SignedMath.sol";
import {MarginTier} from "../interfaces/IPerpTypes.sol";

/// @title PositionMathHarness
/// @notice Test-only: exposes every `PositionMath` and `SignedMath` function as `external pure`, same names
/// and arguments, so `test/sdk/differential.test.ts` can compare them with `sdk/math` to the wei.
contract PositionMathHarness {
    // ───────────────────────────── SignedMath ─────────────────────────────

    function divFloor(int256 x, int256 d) external pure returns (int256) {
        return SignedMath.divFloor(x, d);
    }

    function divCeil(int256 x, int256 d) external pure returns (int256) {
        return SignedMath.divCeil(x, d);
    }

    function abs(int256 x) external pure returns (uint256) {
        return SignedMath.abs(x);
    }

    function divCeilU(uint256 x, uint256 d) external pure returns (uint256) {
        return SignedMath.divCeilU(x, d);
    }

    function min(int256 a, int256 b) external pure returns (int256) {
        return SignedMath.min(a, b);
    }

    // ───────────────────────────── PositionMath ─────────────────────────────

    function unrealizedPnlUsd(int256 size, uint256 entryPriceWad, uint256 priceWad) external pure returns (int256) {
        return PositionMath.unrealizedPnlUsd(size, entryPriceWad, priceWad);
    }

    function fundingOwedUsd(
        int256 size,
        int256 fundingIndexWad,
        int256 fundingIndexSnapshotWad
    ) external pure returns (int256) {
        return PositionMath.fundingOwedUsd(size, fundingIndexWad, fundingIndexSnapshotWad);
    }

    function socializedLossOwedUsd(
        int256 size,
        uint256 lossIndexWad,
        uint256 lossIndexSnapshotWad
    ) external pure returns (uint256) {
        return PositionMath.socializedLossOwedUsd(size, lossIndexWad, lossIndexSnapshotWad);
    }

    function notionalUsd(int256 size, uint256 priceWad) external pure returns (uint256) {
        return PositionMath.notionalUsd(size, priceWad);
    }

    function tieredMarginUsd(
        MarginTier[] memory tiers,
        uint256 notional,
        bool initial
    ) external pure returns (uint256) {
        return PositionMath.tieredMarginUsd(tiers, notional, initial);
    }

    function maintenanceRequirementUsd(
        MarginTier[] memory tiers,
        uint256 notional,
        uint256 keeperRewardUsd
    ) external pure returns (uint256) {
        return PositionMath.maintenanceRequirementUsd(tiers, notional, keeperRewardUsd);
    }

    function initialRequirementUsd(
        MarginTier[] memory tiers,
        uint256 notional,
        uint256 keeperRewardUsd
    ) external pure returns (uint256) {
        return PositionMath.initialRequirementUsd(tiers, notional, keeperRewardUsd);
    }

    function fillPriceWad(
        uint256 priceWad,
        int256 skew,
        int256 sizeDelta,
        uint256 skewScale
    ) external pure returns (int256) {
        return PositionMath.fillPriceWad(priceWad, skew, sizeDelta, skewScale);
    }

    function takerFeeUsd(int256 sizeDelta, uint256 fillPrice, uint256 takerFeeBps) external pure returns (uint256) {
        return PositionMath.takerFeeUsd(sizeDelta, fillPrice, takerFeeBps);
    }

    function increasedEntryPriceWad(
        int256 size,
        uint256 entryPriceWad,
        int256 addedSize,
        uint256 fillPrice
    ) external pure returns (uint256) {
        return PositionMath.increasedEntryPriceWad(size, entryPriceWad, addedSize, fillPrice);
    }

    function fundingRatePerDayWad(
        int256 skew,
        uint256 skewScale,
        uint256 maxFundingRatePerDayWad
    ) external pure returns (int256) {
        return PositionMath.fundingRatePerDayWad(skew, skewScale, maxFundingRatePerDayWad);
    }

    function fundingIndexDeltaWad(
        int256 ratePerDayWad,
        uint256 priceWad,
        uint256 elapsedSeconds
    ) external pure returns (int256) {
        return PositionMath.fundingIndexDeltaWad(ratePerDayWad, priceWad, elapsedSeconds);
    }
}
