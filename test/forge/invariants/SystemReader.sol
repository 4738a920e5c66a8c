// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {PerpEngine} from "../../../contracts/PerpEngine.sol";
import {Position, MarketState} from "../../../contracts/interfaces/IPerpTypes.sol";
import {PositionMath} from "../../../contracts/libraries/PositionMath.sol";
import {IPriceOracle} from "../../../contracts/interfaces/IPriceOracle.sol";
import {PerpSystem} from "../system/PerpSystem.sol";
import {Ghosts} from "../ghosts/Ghosts.sol";

/// @title SystemReader
/// @notice Reads the whole system once per invariant check through the engine's own external views (what an
/// integrator would see): balances, every position, every market's aggregates, prices and funding index. External
/// calls dominate the cost of a check on forge's EVM (about 25 µs each here), so a position's equity is composed
/// from its stored fields with the engine's own PositionMath (margin + PnL − funding owed − loss owed, the order and
/// rounding of `positionEquity`), and the engine's per-position views (`positionEquity`, `isLiquidatable`,
/// `adlLight`) are read for a rotating part of the book each call and compared with the composition.
library SystemReader {
    /// @notice The lists a check needs, cached by the test at `setUp` (reading them costs no external call).
    struct Layout {
        PerpEngine engine;
        IERC20 token;
        /// @dev 10^(18 − token decimals).
        uint256 scale;
        address[] accounts;
        address[] traders;
        bytes32[] marketIds;
        IPriceOracle[] oracles;
    }

    /// @notice Which engine views to read besides balances, positions and market aggregates.
    struct Query {
        /// @dev `positionEquity` and `isLiquidatable` of one (trader × marketCount + market) slot; max for none.
        uint256 viewSlot;
        /// @dev `adlLight` of the positions on one side of one market (ranks walk bitmaps: the costliest view).
        bool adlLights;
        uint256 adlMarket;
        bool adlLong;
    }

    struct PositionView {
        Position position;
        /// @dev Composed: margin + PnL − funding owed − socialized loss owed (0 while the price is invalid).
        int256 equityUsd;
        /// @dev Whether the engine's views were read for this position (`Query.viewSlot`).
        bool viewsRead;
        int256 viewEquityUsd;
        uint256 maintenanceUsd;
        bool liquidatable;
        uint8 light;
        uint256 rank;
        uint256 queueLength;
    }

    struct MarketView {
        bytes32 id;
        bool priceOk;
        uint256 priceWad;
        bool settled;
        MarketState state;
        /// @dev `currentFundingIndexWad` (the stored index while the price is invalid).
        int256 fundingIndexNowWad;
        /// @dev In trader order.
        PositionView[] positions;
    }

    struct SystemView {
        uint256 engineTokens;
        int256 vaultCashUsd;
        uint256 insuranceUsd;
        uint256 escrowedOrdersUsd;
        /// @dev In account order.
        uint256[] free;
        MarketView[] markets;
        bool allPricesValid;
        /// @dev `vaultEquityUsd(true)` when every price is valid.
        int256 vaultEquityForDepositUsd;
        uint256 openPositions;
        uint256 marketsWithOpenInterest;
    }

    function layoutOf(PerpSystem sys) internal view returns (Layout memory l) {
        l.engine = sys.engine();
        l.token = sys.token();
        l.scale = sys.scale();
        l.accounts = sys.accounts();
        l.traders = sys.traders();
        uint256 marketCount = sys.marketCount();
        l.marketIds = new bytes32[](marketCount);
        l.oracles = new IPriceOracle[](marketCount);
        for (uint256 m; m < marketCount; ++m) {
            l.marketIds[m] = sys.marketId(m);
            l.oracles[m] = sys.adapter(m);
        }
    }

    /// @notice The engine's free balances and positions in the shape of the ghosts' event-sourced mirror.
    function mirrorOf(Layout memory l) internal view returns (Ghosts.Mirror memory m) {
        uint256 marketCount = l.marketIds.length;
        m.free = new uint256[](l.accounts.length);
        for (uint256 i; i < l.accounts.length; ++i) m.free[i] = l.engine.freeBalance(l.accounts[i]);
        m.sizes = new int256[](l.traders.length * marketCount);
        m.entries = new uint256[](l.traders.length * marketCount);
        for (uint256 t; t < l.traders.length; ++t) {
            for (uint256 mk; mk < marketCount; ++mk) {
                Position memory p = l.engine.getPosition(l.traders[t], l.marketIds[mk]);
                (m.sizes[t * marketCount + mk], m.entries[t * marketCount + mk]) = (p.size, p.entryPriceWad);
            }
        }
    }

    function read(Layout memory l, Query memory q) internal view returns (SystemView memory v) {
        PerpEngine engine = l.engine;
        v.engineTokens = l.token.balanceOf(address(engine));
        v.vaultCashUsd = engine.vaultCashUsd();
        v.insuranceUsd = engine.insuranceFund();
        v.escrowedOrdersUsd = engine.escrowedOrdersUsd();
        v.free = new uint256[](l.accounts.length);
        for (uint256 i; i < l.accounts.length; ++i) v.free[i] = engine.freeBalance(l.accounts[i]);
        uint256 marketCount = l.marketIds.length;
        v.markets = new MarketView[](marketCount);
        v.allPricesValid = true;
        for (uint256 m; m < marketCount; ++m) {
            MarketView memory mv = v.markets[m];
            _readMarket(l, m, mv);
            if (!mv.priceOk) v.allPricesValid = false;
            bool anyOpen;
            for (uint256 t; t < l.traders.length; ++t) {
                PositionView memory pv = mv.positions[t];
                pv.position = engine.getPosition(l.traders[t], mv.id);
                if (pv.position.size == 0) continue;
                anyOpen = true;
                ++v.openPositions;
                if (mv.priceOk) pv.equityUsd = composedEquityUsd(mv, pv.position);
                if (mv.priceOk && q.viewSlot == t * marketCount + m) {
                    pv.viewsRead = true;
                    (pv.viewEquityUsd, pv.maintenanceUsd) = engine.positionEquity(l.traders[t], mv.id);
                    pv.liquidatable = engine.isLiquidatable(l.traders[t], mv.id);
                }
                if (q.adlLights && q.adlMarket == m && (pv.position.size > 0) == q.adlLong) {
                    (pv.light, pv.rank, pv.queueLength) = engine.adlLight(l.traders[t], mv.id);
                }
            }
            if (anyOpen) ++v.marketsWithOpenInterest;
        }
        if (v.allPricesValid) v.vaultEquityForDepositUsd = engine.vaultEquityUsd(true);
    }

    function _readMarket(Layout memory l, uint256 m, MarketView memory mv) private view {
        PerpEngine engine = l.engine;
        mv.id = l.marketIds[m];
        (, uint256 settlementPriceWad) = engine.marketStatus(mv.id);
        mv.settled = settlementPriceWad != 0;
        if (mv.settled) {
            (mv.priceOk, mv.priceWad) = (true, settlementPriceWad);
        } else {
            try l.oracles[m].latestPrice() returns (uint256 priceWad, bool) {
                (mv.priceOk, mv.priceWad) = (true, priceWad);
            } catch {}
        }
        mv.state = engine.getMarketState(mv.id);
        mv.fundingIndexNowWad = mv.priceOk ? engine.currentFundingIndexWad(mv.id) : mv.state.fundingIndexWad;
        mv.positions = new PositionView[](l.traders.length);
    }

    /// @notice A position's equity at the market's price and current indices, composed as `positionEquity` does:
    /// margin + PnL (rounded down) − funding owed (rounded up) − socialized loss owed (rounded up).
    function composedEquityUsd(MarketView memory mv, Position memory p) internal pure returns (int256) {
        uint256 lossIndexWad = p.size > 0 ? mv.state.longLossIndexWad : mv.state.shortLossIndexWad;
        return
            int256(p.marginUsd) +
            PositionMath.unrealizedPnlUsd(p.size, p.entryPriceWad, mv.priceWad) -
            PositionMath.fundingOwedUsd(p.size, mv.fundingIndexNowWad, p.fundingIndexSnapshotWad) -
            int256(PositionMath.socializedLossOwedUsd(p.size, lossIndexWad, p.lossIndexSnapshotWad));
    }
}
