// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {PerpEngine} from "../PerpEngine.sol";
import {Position, MarketState} from "../interfaces/IPerpTypes.sol";

/// @title EngineLensHarness
/// @notice Test-only: reads every engine view that `test/sdk/differential.test.ts` compares with the SDK in
/// one `eth_call` (instead of ~45), by calling the engine's own external views — so every value is exactly
/// what an integrator calling that view would get at the same block.
contract EngineLensHarness {
    /// @dev One account's position and the views derived from it.
    struct PositionView {
        Position position;
        int256 equityUsd;
        uint256 maintenanceRequirementUsd;
        bool liquidatable;
        uint256 liquidationPriceWad;
    }

    /// @dev One market's views, with `PositionView`s in the order of `accounts`.
    struct MarketView {
        uint256 markPriceWad;
        int256 currentFundingIndexWad;
        MarketState state;
        PositionView[] positions;
    }

    /// @dev Everything, in the order the test compares it.
    struct EngineSnapshot {
        MarketView[] markets;
        int256 vaultCashUsd;
        uint256 insuranceFundUsd;
        int256 vaultEquityForDepositUsd;
        int256 vaultEquityForWithdrawUsd;
        uint256[] freeBalancesUsd;
        uint256 collateralBalance;
    }

    /// @param positionAccounts Accounts whose positions are read in every market.
    /// @param balanceAccounts Accounts whose free balances are read.
    function snapshot(
        PerpEngine engine,
        bytes32[] calldata marketIds,
        address[] calldata positionAccounts,
        address[] calldata balanceAccounts
    ) external view returns (EngineSnapshot memory snap) {
        snap.markets = new MarketView[](marketIds.length);
        for (uint256 i; i < marketIds.length; ++i) {
            snap.markets[i] = _market(engine, marketIds[i], positionAccounts);
        }
        snap.vaultCashUsd = engine.vaultCashUsd();
        snap.insuranceFundUsd = engine.insuranceFund();
        snap.vaultEquityForDepositUsd = engine.vaultEquityUsd(true);
        snap.vaultEquityForWithdrawUsd = engine.vaultEquityUsd(false);
        snap.freeBalancesUsd = new uint256[](balanceAccounts.length);
        for (uint256 i; i < balanceAccounts.length; ++i) {
            snap.freeBalancesUsd[i] = engine.freeBalance(balanceAccounts[i]);
        }
        snap.collateralBalance = IERC20(address(engine.collateral())).balanceOf(address(engine));
    }

    function _market(
        PerpEngine engine,
        bytes32 marketId,
        address[] calldata accounts
    ) private view returns (MarketView memory market) {
        market.markPriceWad = engine.markPrice(marketId);
        market.currentFundingIndexWad = engine.currentFundingIndexWad(marketId);
        market.state = engine.getMarketState(marketId);
        market.positions = new PositionView[](accounts.length);
        for (uint256 j; j < accounts.length; ++j) {
            PositionView memory view_ = market.positions[j];
            view_.position = engine.getPosition(accounts[j], marketId);
            (view_.equityUsd, view_.maintenanceRequirementUsd) = engine.positionEquity(accounts[j], marketId);
            view_.liquidatable = engine.isLiquidatable(accounts[j], marketId);
            view_.liquidationPriceWad = engine.liquidationPrice(accounts[j], marketId);
        }
    }
}
