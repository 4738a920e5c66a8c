// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IPerpEngine} from "../interfaces/IPerpEngine.sol";
import {MockERC20} from "./MockERC20.sol";

/// @notice Test-only engine account: a minimal clone that mints mock collateral, deposits it and trades.
contract BenchTrader {
    /// @notice Opens a position as this account: mints `tokenAmount`, deposits it and trades `sizeDelta` with
    /// `marginUsd` (any fill accepted).
    function open(
        IPerpEngine engine,
        MockERC20 token,
        bytes32 marketId,
        int256 sizeDelta,
        int256 marginUsd,
        uint256 tokenAmount
    ) external {
        token.mint(address(this), tokenAmount);
        IERC20(address(token)).approve(address(engine), tokenAmount);
        engine.deposit(tokenAmount);
        engine.modifyPosition(marketId, sizeDelta, marginUsd, sizeDelta > 0 ? type(uint256).max : 0);
    }
}
