// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {Position} from "../interfaces/IPerpTypes.sol";

/// @notice A position as stored: the five fields of `Position` packed into three slots (a new position writes
/// two fresh slots instead of five; the loss snapshot's slot stays zero until a loss is socialized).
/// Bounds, each checked on every store (OpenZeppelin `SafeCast` reverts with the value past it):
/// - `size`: |size| < 2^127 base units ≈ 1.7e20 whole units of the base asset (OI caps are far below);
/// - `entryPriceWad`: < 2^128 ≈ $3.4e20 per unit;
/// - `marginUsd`: < 2^128 ≈ $3.4e20;
/// - `fundingIndexSnapshotWad`: |index| < 2^127 ≈ 1.7e20 USD per unit of cumulative funding (at the hard cap
///   of 100%/day on a $1M asset, 4.6e11 years).
/// Liquidations, ADL and settlement only shrink sizes and margins, so they never hit a bound.
struct StoredPosition {
    int128 size;
    uint128 entryPriceWad;
    uint128 marginUsd;
    int128 fundingIndexSnapshotWad;
    uint256 lossIndexSnapshotWad;
}

/// @title PositionStore
/// @notice Loads a stored position into the 256-bit `Position` every computation uses, and stores one back.
library PositionStore {
    using SafeCast for int256;
    using SafeCast for uint256;

    function load(StoredPosition storage stored) internal view returns (Position memory position) {
        position.size = stored.size;
        position.entryPriceWad = stored.entryPriceWad;
        position.marginUsd = stored.marginUsd;
        position.fundingIndexSnapshotWad = stored.fundingIndexSnapshotWad;
        position.lossIndexSnapshotWad = stored.lossIndexSnapshotWad;
    }

    function store(StoredPosition storage stored, Position memory position) internal {
        stored.size = position.size.toInt128();
        stored.entryPriceWad = position.entryPriceWad.toUint128();
        stored.marginUsd = position.marginUsd.toUint128();
        stored.fundingIndexSnapshotWad = position.fundingIndexSnapshotWad.toInt128();
        stored.lossIndexSnapshotWad = position.lossIndexSnapshotWad;
    }
}
