// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {WAD, WAD_INT, BPS, SECONDS_PER_DAY} from "./Constants.sol";
import {SignedMath} from "./SignedMath.sol";
import {MarginTier} from "../interfaces/IPerpTypes.sol";

/// @title PositionMath
/// @notice Pure margin, PnL, funding and pricing math of one position. Every function rounds in the
/// protocol's favour and says so. Mirrored one to one (same names, same rounding) by
/// `sdk/math/positionMath.ts`; `test/sdk/differential.test.ts` checks the two agree to the wei.
/// Units: sizes in base units (1e18), prices in USD per base unit (1e18), USD amounts in 1e18.
library PositionMath {
    using SignedMath for int256;

    /// @notice Unrealised PnL of `size` entered at `entryPriceWad`, marked at `priceWad`.
    /// @dev Rounded down (toward -inf): the trader is credited at most the exact value.
    function unrealizedPnlUsd(int256 size, uint256 entryPriceWad, uint256 priceWad) internal pure returns (int256) {
        return (size * (int256(priceWad) - int256(entryPriceWad))).divFloor(WAD_INT);
    }

    /// @notice Funding owed by a position since its snapshot; positive = the position pays.
    /// @dev Rounded up (toward +inf): payers pay at least, receivers receive at most the exact value.
    function fundingOwedUsd(
        int256 size,
        int256 fundingIndexWad,
        int256 fundingIndexSnapshotWad
    ) internal pure returns (int256) {
        return (size * (fundingIndexWad - fundingIndexSnapshotWad)).divCeil(WAD_INT);
    }

    /// @notice Socialized loss owed by a position since its snapshot of its side's loss index.
    /// @dev Rounded up: the position pays at least its exact pro-rata share.
    function socializedLossOwedUsd(
        int256 size,
        uint256 lossIndexWad,
        uint256 lossIndexSnapshotWad
    ) internal pure returns (uint256) {
        return SignedMath.divCeilU(size.abs() * (lossIndexWad - lossIndexSnapshotWad), WAD);
    }

    /// @notice |size| × price, the notional used for margin requirements.
    /// @dev Rounded up: requirements are computed on at least the exact notional.
    function notionalUsd(int256 size, uint256 priceWad) internal pure returns (uint256) {
        return SignedMath.divCeilU(size.abs() * priceWad, WAD);
    }

    /// @notice Margin requirement of a notional under progressive (marginal) tiers: each tier's rate
    /// applies only to the part of the notional above its floor, so the requirement is continuous and
    /// never jumps when a price move crosses a tier boundary.
    /// @param tiers Sorted by strictly increasing `notionalFloorUsd`, the first floor being 0.
    /// @param initial True for the initial margin rate, false for the maintenance rate.
    /// @dev Rounded up: the protocol asks for at least the exact requirement. Does not include the flat
    /// keeper reward; see `maintenanceRequirementUsd` / `initialRequirementUsd`.
    function tieredMarginUsd(
        MarginTier[] memory tiers,
        uint256 notional,
        bool initial
    ) internal pure returns (uint256) {
        uint256 weightedBpsUsd;
        uint256 tierCount = tiers.length;
        for (uint256 i; i < tierCount; ++i) {
            uint256 floor = tiers[i].notionalFloorUsd;
            if (notional <= floor) break;
            uint256 ceiling = i + 1 < tierCount ? tiers[i + 1].notionalFloorUsd : type(uint256).max;
            uint256 portion = (notional < ceiling ? notional : ceiling) - floor;
            weightedBpsUsd += portion * (initial ? tiers[i].initialMarginBps : tiers[i].maintenanceMarginBps);
        }
        return SignedMath.divCeilU(weightedBpsUsd, BPS);
    }

    /// @notice Maintenance requirement: tiered maintenance margin plus the flat keeper reward, so that a
    /// position's own margin pays whoever liquidates it (Synthetix SIP-356).
    function maintenanceRequirementUsd(
        MarginTier[] memory tiers,
        uint256 notional,
        uint256 keeperRewardUsd
    ) internal pure returns (uint256) {
        return tieredMarginUsd(tiers, notional, false) + keeperRewardUsd;
    }

    /// @notice Initial requirement: tiered initial margin plus the flat keeper reward (IM ≥ MM always).
    function initialRequirementUsd(
        MarginTier[] memory tiers,
        uint256 notional,
        uint256 keeperRewardUsd
    ) internal pure returns (uint256) {
        return tieredMarginUsd(tiers, notional, true) + keeperRewardUsd;
    }

    /// @notice Fill price of a trade of `sizeDelta` against the vault: the oracle price moved by the
    /// average skew over the trade, `price × (1 + (skewBefore + skewAfter) / (2 × skewScale))`.
    /// A trade that grows the skew pays a premium; one that shrinks it gets it back.
    /// @dev Rounded against the trader: buys round up, sells round down. Returns ≤ 0 when a sell is
    /// so large against a short skew that the formula breaks down; callers must reject that.
    function fillPriceWad(
        uint256 priceWad,
        int256 skew,
        int256 sizeDelta,
        uint256 skewScale
    ) internal pure returns (int256) {
        int256 numerator = int256(priceWad) * (2 * skew + sizeDelta);
        int256 denominator = 2 * int256(skewScale);
        int256 adjustment = sizeDelta > 0 ? numerator.divCeil(denominator) : numerator.divFloor(denominator);
        return int256(priceWad) + adjustment;
    }

    /// @notice Taker fee on a trade: |sizeDelta| × fill × feeBps.
    /// @dev Rounded up: the trader pays at least the exact fee.
    function takerFeeUsd(int256 sizeDelta, uint256 fillPrice, uint256 takerFeeBps) internal pure returns (uint256) {
        return SignedMath.divCeilU(sizeDelta.abs() * fillPrice * takerFeeBps, WAD * BPS);
    }

    /// @notice Size-weighted average entry after adding `addedSize` (same sign as `size`) at `fillPrice`.
    /// @dev Rounded against the holder: a long's entry rounds up, a short's rounds down.
    function increasedEntryPriceWad(
        int256 size,
        uint256 entryPriceWad,
        int256 addedSize,
        uint256 fillPrice
    ) internal pure returns (uint256) {
        uint256 oldAbs = size.abs();
        uint256 addedAbs = addedSize.abs();
        uint256 weighted = oldAbs * entryPriceWad + addedAbs * fillPrice;
        uint256 total = oldAbs + addedAbs;
        return addedSize > 0 ? SignedMath.divCeilU(weighted, total) : weighted / total;
    }

    /// @notice Funding rate per day (1e18 = 100% of notional per day) at a given skew: proportional to
    /// skew / skewScale, clamped to ±maxFundingRatePerDayWad. Positive: longs pay shorts.
    /// @dev Truncates toward zero; the rate is shared by both sides, so its rounding moves no value.
    function fundingRatePerDayWad(
        int256 skew,
        uint256 skewScale,
        uint256 maxFundingRatePerDayWad
    ) internal pure returns (int256) {
        int256 proportional = (skew * WAD_INT) / int256(skewScale);
        if (proportional > WAD_INT) proportional = WAD_INT;
        if (proportional < -WAD_INT) proportional = -WAD_INT;
        return (proportional * int256(maxFundingRatePerDayWad)) / WAD_INT;
    }

    /// @notice Increase of the cumulative funding index (USD per base unit, 1e18) over `elapsedSeconds`.
    /// @dev Truncates toward zero; the index is shared, so its rounding moves no value between sides.
    function fundingIndexDeltaWad(
        int256 ratePerDayWad,
        uint256 priceWad,
        uint256 elapsedSeconds
    ) internal pure returns (int256) {
        return (ratePerDayWad * int256(priceWad) * int256(elapsedSeconds)) / (WAD_INT * int256(SECONDS_PER_DAY));
    }
}
