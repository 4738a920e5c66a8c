// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

import {FiatTokenSlots} from "./FiatTokenSlots.sol";

/// @title StandInFiatToken
/// @notice The USDC-like token the offline fork source places at the real USDC address (sim/fork/standIn):
/// OpenZeppelin's ERC-20 with 6 decimals, balances at storage slot 9 as in Circle's FiatToken, and a master
/// minter that funds the holder list when the state file is built. Not Circle's code: no blacklist, no pause.
/// @dev Its code is set at the address with `setCode`, so nothing is set by a constructor: `initialize` stores
/// the name, symbol, decimals and minter once (ERC20's own name/symbol slots stay empty, hence the overrides).
contract StandInFiatToken is FiatTokenSlots, ERC20 {
    /// @notice Thrown when `initialize` is called a second time.
    error AlreadyInitialized();

    /// @notice Thrown when someone other than the master minter mints.
    error NotMasterMinter(address caller);

    address public masterMinter;
    uint8 private tokenDecimals;
    string private tokenName;
    string private tokenSymbol;

    constructor() ERC20("", "") {}

    /// @notice Sets the metadata and the minter; callable once.
    function initialize(
        string calldata name_,
        string calldata symbol_,
        uint8 decimals_,
        address masterMinter_
    ) external {
        if (masterMinter != address(0)) revert AlreadyInitialized();
        tokenName = name_;
        tokenSymbol = symbol_;
        tokenDecimals = decimals_;
        masterMinter = masterMinter_;
    }

    /// @notice Mints `amount` to `to` (the master minter only).
    function mint(address to, uint256 amount) external {
        if (msg.sender != masterMinter) revert NotMasterMinter(msg.sender);
        _mint(to, amount);
    }

    function name() public view override returns (string memory) {
        return tokenName;
    }

    function symbol() public view override returns (string memory) {
        return tokenSymbol;
    }

    function decimals() public view override returns (uint8) {
        return tokenDecimals;
    }
}
