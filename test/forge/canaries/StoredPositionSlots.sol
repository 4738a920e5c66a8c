// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {vm} from "../utils/Vm.sol";

/// @title StoredPositionSlots
/// @notice Writes one field of a position as the engine stores it (contracts/libraries/PositionStore.sol,
/// `StoredPosition`: three slots): slot 0 = size (int128, low half) | entryPriceWad (uint128, high half); slot 1 =
/// marginUsd (uint128, low half) | fundingIndexSnapshotWad (int128, high half); slot 2 = lossIndexSnapshotWad. The
/// first slot is located by the caller (the first storage read of `getPosition`); the other half of a slot is kept.
library StoredPositionSlots {
    uint256 private constant LOW_HALF = type(uint128).max;
    uint256 private constant HALF_BITS = 128;

    function setSize(address engine, bytes32 first, int256 size) internal {
        _setLow(engine, first, uint256(uint128(int128(size))));
    }

    function setEntry(address engine, bytes32 first, uint256 entryPriceWad) internal {
        _setHigh(engine, first, entryPriceWad);
    }

    function setMargin(address engine, bytes32 first, uint256 marginUsd) internal {
        _setLow(engine, bytes32(uint256(first) + 1), marginUsd);
    }

    function _setLow(address engine, bytes32 slot, uint256 value) private {
        require(value <= LOW_HALF, "StoredPositionSlots: value exceeds 128 bits");
        uint256 word = uint256(vm.load(engine, slot));
        vm.store(engine, slot, bytes32((word & ~LOW_HALF) | value));
    }

    function _setHigh(address engine, bytes32 slot, uint256 value) private {
        require(value <= LOW_HALF, "StoredPositionSlots: value exceeds 128 bits");
        uint256 word = uint256(vm.load(engine, slot));
        vm.store(engine, slot, bytes32((word & LOW_HALF) | (value << HALF_BITS)));
    }
}
