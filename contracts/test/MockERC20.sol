// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

/// @notice Mintable ERC-20 with configurable decimals: the local chain's USDC (6) and 18-decimal tests.
contract MockERC20 is ERC20 {
    uint8 private immutable tokenDecimals;

    constructor(string memory name, string memory symbol, uint8 decimals_) ERC20(name, symbol) {
        tokenDecimals = decimals_;
    }

    function decimals() public view override returns (uint8) {
        return tokenDecimals;
    }

    /// @notice Anyone can mint: this token exists only on local and test chains.
    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }
}
