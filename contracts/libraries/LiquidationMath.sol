// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {MarginTier} from "../interfaces/IPerpTypes.sol";
import {PositionMath} from "./PositionMath.sol";
import {SignedMath} from "./SignedMath.sol";
import {WAD, BPS} from "./Constants.sol";

/// @title LiquidationMath
/// @notice Pure math of a liquidation: execution price, penalty, the size a partial liquidation closes,
/// and the liquidation price. Mirrored one to one by `sdk/math/liquidationMath.ts`.
/// Units as in PositionMath: sizes 1e18 base units, prices and USD amounts 1e18.
library LiquidationMath {
    using SignedMath for int256;

    /// @notice Execution price of a forced close against the vault (a liquidation's vault part, a vault-protection
    /// close): the same skew fill a voluntary close of that size gets, so that every close pays the same
    /// impact integral and the cost of a skew change does not depend on the path (a keeper cannot sandwich a
    /// forced close to take the impact difference from the vault).
    /// @param closingDelta The trade that closes: negative when a long is closed.
    /// @dev Floored at 1 wei so that a forced close never reverts: with open interest below the skew scale
    /// (checked at listing) the fill is always positive and the floor is never reached.
    function executionPriceWad(
        uint256 priceWad,
        int256 skew,
        int256 closingDelta,
        uint256 skewScale
    ) internal pure returns (uint256) {
        int256 fill = PositionMath.fillPriceWad(priceWad, skew, closingDelta, skewScale);
        return fill > 0 ? uint256(fill) : 1;
    }

    /// @notice How far `closePriceWad` is from `priceWad` against the liquidated trader, in bps
    /// rounded up (0 when the fill is at or better than the oracle price).
    /// @param closingLong True when a long is being closed (a sell: a lower fill is adverse).
    function adverseSlippageBps(
        uint256 priceWad,
        uint256 closePriceWad,
        bool closingLong
    ) internal pure returns (uint256) {
        uint256 adverseWad;
        if (closingLong && closePriceWad < priceWad) adverseWad = priceWad - closePriceWad;
        if (!closingLong && closePriceWad > priceWad) adverseWad = closePriceWad - priceWad;
        return SignedMath.divCeilU(adverseWad * BPS, priceWad);
    }

    /// @notice Penalty on the closed notional at the execution price, before the cap at remaining equity.
    /// @dev Rounded up: the penalty is at least the exact amount.
    function penaltyUsd(int256 closedSize, uint256 closePriceWad, uint256 penaltyBps) internal pure returns (uint256) {
        return SignedMath.divCeilU(closedSize.abs() * closePriceWad * penaltyBps, WAD * BPS);
    }

    /// @notice How much of a liquidatable position to close (same units as `sizeAbs`). Returns `sizeAbs`
    /// (close everything) when equity is below half the maintenance requirement, or when no partial
    /// close can restore the buffer.
    /// @dev Closing c of q at a cost of at most `costBps` of notional per unit (slippage bound + penalty)
    /// and paying the flat keeper reward K leaves equity E − K − c·costBps·n/q. Because margin tiers are
    /// progressive, the requirement of the remainder is at most (q − c)/q × tiered(n) + K, so
    /// c ≥ q × [(1+b)(tiered + K) + K − E] / [(1+b)·tiered − costBps·n] (in bps-scaled units) suffices.
    /// Rounded up. The caller re-checks the remainder and closes fully if it is not healthy.
    /// @param equityUsd Equity at the oracle price after settling funding and socialized loss.
    /// @param tieredMaintenanceUsd Tiered maintenance margin of the whole position (keeper reward excluded).
    /// @param notionalUsd Notional of the whole position at the oracle price.
    /// @param costBps Penalty + the adverse slippage of closing the whole position (an upper bound for
    /// any partial close, since the adverse skew impact grows with the size closed), in bps.
    function partialCloseSizeAbs(
        uint256 sizeAbs,
        int256 equityUsd,
        uint256 tieredMaintenanceUsd,
        uint256 keeperRewardUsd,
        uint256 notionalUsd,
        uint256 bufferBps,
        uint256 costBps
    ) internal pure returns (uint256) {
        uint256 maintenanceUsd = tieredMaintenanceUsd + keeperRewardUsd;
        if (equityUsd * 2 < int256(maintenanceUsd)) return sizeAbs;
        int256 denominator = int256((BPS + bufferBps) * tieredMaintenanceUsd) - int256(notionalUsd * costBps);
        if (denominator <= 0) return sizeAbs;
        int256 numerator = int256((BPS + bufferBps) * maintenanceUsd + BPS * keeperRewardUsd) - int256(BPS) * equityUsd;
        if (numerator <= 0) return sizeAbs;
        uint256 closeAbs = SignedMath.divCeilU(sizeAbs * uint256(numerator), uint256(denominator));
        return closeAbs >= sizeAbs ? sizeAbs : closeAbs;
    }

    /// @notice The oracle price at which a position's equity equals its maintenance requirement, solved
    /// in closed form on the tier segment that contains it (the requirement is piecewise linear in price).
    /// Longs are liquidatable below it, shorts above it. Returns 0 when no positive price liquidates a
    /// long, and 0 for a short that is liquidatable at every price.
    /// @param netMarginUsd Margin minus funding and socialized loss owed (may be negative).
    /// @dev Ignores the 1-wei rounding of PnL and notional: exact to within a few wei of price. Rounded
    /// toward the healthy side (up for longs, down for shorts).
    function liquidationPriceWad(
        int256 size,
        uint256 entryPriceWad,
        int256 netMarginUsd,
        MarginTier[] memory tiers,
        uint256 keeperRewardUsd
    ) internal pure returns (uint256) {
        if (size == 0) return 0;
        bool isLong = size > 0;
        uint256 sizeAbs = size.abs();
        // Σ over earlier tiers of rate × tier width (USD × bps).
        int256 lowerTiersBpsUsd;
        uint256 tierCount = tiers.length;
        for (uint256 i; i < tierCount; ++i) {
            int256 floorUsd = int256(uint256(tiers[i].notionalFloorUsd));
            int256 rateBps = int256(uint256(tiers[i].maintenanceMarginBps));
            // Long: n·(BPS − r) = BPS·(K − M) + BPS·q·e + (A − r·F), all × WAD to keep q·e exact.
            // Short: n·(BPS + r) = BPS·(M − K) + BPS·q·e − (A − r·F).
            int256 segmentTerm = int256(WAD) * (lowerTiersBpsUsd - rateBps * floorUsd);
            int256 marginTerm = int256(BPS * WAD) * (int256(keeperRewardUsd) - netMarginUsd);
            int256 entryTerm = int256(BPS * sizeAbs * entryPriceWad);
            uint256 priceWad;
            if (isLong) {
                int256 rhs = marginTerm + entryTerm + segmentTerm;
                if (rhs <= 0) return 0;
                priceWad = SignedMath.divCeilU(uint256(rhs), uint256(int256(BPS) - rateBps) * sizeAbs);
            } else {
                int256 rhs = -marginTerm + entryTerm - segmentTerm;
                if (rhs <= 0) return 0;
                priceWad = uint256(rhs) / (uint256(int256(BPS) + rateBps) * sizeAbs);
            }
            bool lastTier = i + 1 == tierCount;
            if (lastTier || (sizeAbs * priceWad) / WAD <= tiers[i + 1].notionalFloorUsd) return priceWad;
            lowerTiersBpsUsd += rateBps * (int256(uint256(tiers[i + 1].notionalFloorUsd)) - floorUsd);
        }
        return 0; // unreachable: the last tier always returns
    }
}
