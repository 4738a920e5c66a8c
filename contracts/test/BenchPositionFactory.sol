// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {Clones} from "@openzeppelin/contracts/proxy/Clones.sol";
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

/// @title BenchPositionFactory
/// @notice Test-only: fills a market with many positions in few transactions, for gas benchmarks at 1,000 and
/// 10,000 existing positions. Each position is its own EIP-1167 clone of `BenchTrader`. Positions alternate
/// long and short with the same size so the market's skew stays near zero (the vault's exposure cap never
/// binds), and their margins spread their leverage (and so their ADL keys) over 2x–16x.
contract BenchPositionFactory {
    BenchTrader public immutable implementation;
    address[] public traders;

    constructor() {
        implementation = new BenchTrader();
    }

    /// @notice Creates `count` positions of `sizeAbs` (alternating long and short) in `marketId` at about
    /// `priceWad`, with leverage cycling through 2x..16x.
    function populate(
        IPerpEngine engine,
        MockERC20 token,
        bytes32 marketId,
        uint256 count,
        uint256 sizeAbs,
        uint256 priceWad,
        uint256 tokenScale
    ) external {
        uint256 notionalUsd = (sizeAbs * priceWad) / 1e18;
        for (uint256 i; i < count; ++i) {
            BenchTrader trader = BenchTrader(Clones.clone(address(implementation)));
            uint256 leverage = 2 + ((traders.length * 7) % 15);
            uint256 marginUsd = notionalUsd / leverage + 20e18;
            int256 sizeDelta = traders.length % 2 == 0 ? int256(sizeAbs) : -int256(sizeAbs);
            trader.open(engine, token, marketId, sizeDelta, int256(marginUsd), (marginUsd + 100e18) / tokenScale);
            traders.push(address(trader));
        }
    }

    function traderCount() external view returns (uint256) {
        return traders.length;
    }
}
