// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {PerpEngine} from "../../../contracts/PerpEngine.sol";
import {LiquidityVault} from "../../../contracts/LiquidityVault.sol";
import {MockERC20} from "../../../contracts/test/MockERC20.sol";
import {vm} from "../utils/Vm.sol";
import {PerpSystem} from "./PerpSystem.sol";
import {SystemConfig} from "./SystemConfig.sol";
import {MarketParams} from "../../../contracts/interfaces/IPerpTypes.sol";
import {Ghosts} from "../ghosts/Ghosts.sol";

/// @title BaseState
/// @notice The state every run starts from, so that each run begins with an open book: two LPs with $1M each in the
/// vault, every trader with $500k deposited, and positions on both sides of both markets at 2x–18x leverage
/// (deterministic, balanced within the vault's exposure cap). The same shape as the TypeScript suite's base state.
library BaseState {
    uint256 private constant USD = 1e18;
    uint256 private constant LP_DEPOSIT_USD = 1_000_000 * USD;
    uint256 private constant LP_WALLET_USD = 10_000_000 * USD;
    uint256 private constant TRADER_DEPOSIT_USD = 500_000 * USD;
    uint256 private constant TRADER_WALLET_USD = 2_000_000 * USD;

    /// @dev A position of the base book: trader index, market index, long?, notional (USD), leverage.
    struct Opening {
        uint8 trader;
        uint8 market;
        bool isLong;
        uint32 notionalUsd;
        uint8 leverage;
    }

    function seed(PerpSystem sys, Ghosts ghosts) internal {
        PerpEngine engine = sys.engine();
        LiquidityVault vault = sys.vault();
        MockERC20 token = sys.token();
        uint256 scale = sys.scale();
        address[] memory lps = sys.lps();
        for (uint256 i; i < lps.length; ++i) {
            token.mint(lps[i], LP_WALLET_USD / scale);
            vm.prank(lps[i]);
            token.approve(address(vault), type(uint256).max);
            vm.prank(lps[i]);
            vault.deposit(LP_DEPOSIT_USD / scale, lps[i]);
            ghosts.addTokensIn(LP_DEPOSIT_USD / scale);
        }
        address[] memory traders = sys.traders();
        for (uint256 i; i < traders.length; ++i) {
            token.mint(traders[i], TRADER_WALLET_USD / scale);
            vm.prank(traders[i]);
            token.approve(address(engine), type(uint256).max);
            vm.prank(traders[i]);
            engine.deposit(TRADER_DEPOSIT_USD / scale);
            ghosts.addTokensIn(TRADER_DEPOSIT_USD / scale);
        }
        Opening[14] memory book = [
            Opening(0, 0, true, 40_000, 10),
            Opening(1, 0, false, 100_000, 15),
            Opening(2, 0, true, 300_000, 5),
            Opening(3, 0, false, 250_000, 3),
            Opening(4, 1, true, 900_000, 4),
            Opening(5, 1, false, 20_000, 18),
            Opening(6, 1, true, 90_000, 12),
            Opening(7, 1, false, 500_000, 6),
            Opening(8, 0, true, 5_000, 18),
            Opening(9, 0, false, 8_000, 2),
            Opening(0, 1, true, 60_000, 16),
            Opening(1, 1, false, 400_000, 8),
            Opening(2, 1, true, 150_000, 17),
            Opening(3, 1, false, 120_000, 9)
        ];
        // Instant markets trade now; a market with delayed orders gets orders, executed after its delay.
        for (uint256 i; i < book.length; ++i) _open(sys, engine, book[i]);
        vm.warp(block.timestamp + SystemConfig.EXECUTION_DELAY_SECONDS);
        for (uint256 m; m < sys.marketCount(); ++m) {
            sys.feed(m).updateAnswer(sys.feed(m).latestAnswer());
        }
        for (uint256 i; i < book.length; ++i) {
            bytes32 id = sys.marketId(book[i].market);
            address trader = sys.traders()[book[i].trader];
            if (engine.getOrder(trader, id).executableAt == 0) continue;
            vm.prank(sys.keepers()[0]);
            engine.executeOrder(trader, id);
        }
    }

    function _open(PerpSystem sys, PerpEngine engine, Opening memory o) private {
        bytes32 id = sys.marketId(o.market);
        uint256 priceWad = engine.markPrice(id);
        uint256 notionalUsd = uint256(o.notionalUsd) * USD;
        int256 size = o.isLong ? int256((notionalUsd * USD) / priceWad) : -int256((notionalUsd * USD) / priceWad);
        int256 marginUsd = int256(notionalUsd / o.leverage);
        uint256 acceptable = o.isLong ? type(uint256).max : 0;
        (, MarketParams memory params) = engine.getMarketConfig(id);
        vm.prank(sys.traders()[o.trader]);
        if (params.executionDelaySeconds == 0) engine.modifyPosition(id, size, marginUsd, acceptable);
        else engine.commitOrder(id, size, marginUsd, acceptable);
    }
}
