// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title PriceCache
/// @notice Per-transaction cache of a market's validated price in transient storage (EIP-1153), so that
/// every read of a market's price within one transaction returns the same value (DESIGN §6), even if a
/// feed were updated mid-transaction. Cleared by the EVM at the end of every transaction.
/// @dev Layout of the word: bit 0 = volatile flag, bit 1 = "present" flag, bits 2.. = price (1e18).
/// Assembly is needed because Solidity 0.8.28 has no transient mappings. Equivalent Solidity:
/// `mapping(bytes32 => uint256) transient cache; cache[marketId] = price << 2 | 2 | volatile`.
library PriceCache {
    /// @dev keccak256("nbp.engine.priceCache"): namespace so cache slots never collide with others.
    bytes32 private constant NAMESPACE = 0x25e2898b4bd798b45db92876dafe329a95e3baafb63ad2288560270aac2ce673;
    uint256 private constant PRESENT_BIT = 2;
    uint256 private constant VOLATILE_BIT = 1;
    uint256 private constant PRICE_SHIFT = 2;

    function load(bytes32 marketId) internal view returns (bool present, uint256 priceWad, bool isVolatile) {
        bytes32 slot = _slot(marketId);
        uint256 word;
        assembly ("memory-safe") {
            word := tload(slot)
        }
        present = word & PRESENT_BIT != 0;
        isVolatile = word & VOLATILE_BIT != 0;
        priceWad = word >> PRICE_SHIFT;
    }

    function store(bytes32 marketId, uint256 priceWad, bool isVolatile) internal {
        bytes32 slot = _slot(marketId);
        uint256 word = (priceWad << PRICE_SHIFT) | PRESENT_BIT | (isVolatile ? VOLATILE_BIT : 0);
        assembly ("memory-safe") {
            tstore(slot, word)
        }
    }

    function _slot(bytes32 marketId) private pure returns (bytes32) {
        return keccak256(abi.encode(NAMESPACE, marketId));
    }
}
