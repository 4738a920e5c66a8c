// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title FiatTokenSlots
/// @notice Storage slots 0–8 of a `StandInFiatToken`, left unused so that the ERC-20 balances that follow sit at
/// slot 9 and the allowances at slot 10, where Circle's FiatToken (USDC, circlefin/stablecoin-evm) keeps
/// `balanceAndBlacklistStates` and `allowed`. The fork simulator's balance-slot probe then meets the same
/// layout offline as on the real chain. Inherited first, so its slots come before OpenZeppelin's ERC20's.
abstract contract FiatTokenSlots {
    /// @dev FiatToken's owner, pauser, blacklister, deprecated blacklist, name, symbol, decimals, currency and
    /// masterMinter slots; never written here.
    uint256[9] private fiatTokenSlots0To8;
}
