// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

/// @notice Test-only USDC-like collateral (6 decimals by default) with the two admin powers real
/// stablecoins have: a global pause and a per-address blacklist. Any transfer while paused, or from or to
/// a blacklisted address, reverts. Used to show that liquidation never depends on a token transfer.
contract PausableBlacklistToken is ERC20 {
    uint8 private immutable tokenDecimals;
    /// @notice True while every transfer reverts.
    bool public paused;
    /// @notice Addresses that can neither send nor receive.
    mapping(address account => bool) public blacklisted;

    /// @notice Thrown when a transfer is attempted while the token is paused.
    error TokenPaused();
    /// @notice Thrown when a transfer involves a blacklisted address.
    error AccountBlacklisted(address account);

    constructor(string memory name, string memory symbol, uint8 decimals_) ERC20(name, symbol) {
        tokenDecimals = decimals_;
    }

    function decimals() public view override returns (uint8) {
        return tokenDecimals;
    }

    /// @notice Anyone can mint: this token exists only on test chains.
    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }

    function setPaused(bool value) external {
        paused = value;
    }

    function setBlacklisted(address account, bool value) external {
        blacklisted[account] = value;
    }

    function _update(address from, address to, uint256 value) internal override {
        if (paused) revert TokenPaused();
        if (blacklisted[from]) revert AccountBlacklisted(from);
        if (blacklisted[to]) revert AccountBlacklisted(to);
        super._update(from, to, value);
    }
}
