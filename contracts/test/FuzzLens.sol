// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {PerpEngine} from "../PerpEngine.sol";
import {IPriceOracle} from "../interfaces/IPriceOracle.sol";
import {ChainlinkOracleAdapter} from "../oracle/ChainlinkOracleAdapter.sol";
import {Position, MarketState, PauseState} from "../interfaces/IPerpTypes.sol";

/// @title FuzzLens
/// @notice Test-only: everything the stateful fuzz suite (test/fuzz) compares with its model after a step, read
/// in ONE `eth_call` through the engine's own external views. Unlike EngineLensHarness it tolerates an invalid
/// price per market: price-dependent views of that market are skipped (`priceOk == 0`) instead of reverting.
/// @dev The result is a flat `uint256[]` (signed values in two's complement) so that the TypeScript side can
/// decode it without an ABI coder; the layout is documented on `snapshot` and mirrored by `readLens` in test/fuzz/chain.ts.
/// `probeLiquidations` (non-view, meant for `eth_call`) tries `liquidate` on each entry in a sub-call that
/// always reverts, so every probe starts from the same state.
contract FuzzLens {
    /// @notice Revert marker of a probe whose `liquidate` succeeded.
    error ProbeSucceeded();

    uint256 private constant HEADER_WORDS = 15;
    uint256 private constant ACCOUNT_WORDS = 3;
    uint256 private constant MARKET_WORDS = 17;
    uint256 private constant POSITION_WORDS = 11;

    struct Cursor {
        uint256[] words;
        uint256 at;
    }

    /// @notice What to read. `withVaultViews` also reads `vaultEquityUsd(true/false)` and
    /// `maxVaultWithdrawalUsd` (costly: they price every market); when false their ok flags are 0.
    struct Query {
        PerpEngine engine;
        IERC20 vaultShares;
        address[] adapters;
        bytes32[] marketIds;
        address[] traders;
        address[] accounts;
        bool withVaultViews;
    }

    /// @notice Layout: header (15 words) · per account (3) · per market (17 + 11 per trader).
    /// Header: engine token balance, vaultCashUsd, insuranceFund, paused trading, paused liquidations, paused
    /// withdrawals, liquidationsResumeAt, block.timestamp, vault share supply, vaultEquityUsd(true) ok, value,
    /// vaultEquityUsd(false) ok, value, maxVaultWithdrawalUsd ok, value.
    /// Account: free balance (USD), collateral token balance, vault share balance.
    /// Market: price ok, price, volatile, current funding
    /// index (stored index when the price is invalid), the 11 MarketState fields, long and short queue heads.
    /// Position (per trader): size, entry, margin, funding snapshot, loss snapshot, equity, maintenance
    /// requirement, liquidatable (0 when the price is invalid), ADL light, rank, queue length (all 0 when empty).
    function snapshot(Query calldata q) external view returns (uint256[] memory) {
        Cursor memory c;
        c.words = new uint256[](
            HEADER_WORDS +
                q.accounts.length * ACCOUNT_WORDS +
                q.marketIds.length * (MARKET_WORDS + q.traders.length * POSITION_WORDS)
        );
        IERC20 collateral = q.engine.collateral();
        _header(c, q.engine, q.vaultShares, collateral, q.withVaultViews);
        _accounts(c, q.engine, q.vaultShares, collateral, q.accounts);
        for (uint256 i; i < q.marketIds.length; ++i) {
            _market(c, q.engine, ChainlinkOracleAdapter(q.adapters[i]), q.marketIds[i], q.traders);
        }
        return c.words;
    }

    /// @notice The ADL queues only (no price is read, so it is cheap): per market the long and short queue heads,
    /// then per trader its `adlLight` (light, rank, queue length; all 0 for an empty position).
    function queueSnapshot(
        PerpEngine engine,
        bytes32[] calldata marketIds,
        address[] calldata traders
    ) external view returns (uint256[] memory words) {
        words = new uint256[](marketIds.length * (2 + 3 * traders.length));
        uint256 at;
        for (uint256 i; i < marketIds.length; ++i) {
            words[at++] = uint256(uint160(engine.adlQueueHead(marketIds[i], true)));
            words[at++] = uint256(uint160(engine.adlQueueHead(marketIds[i], false)));
            for (uint256 j; j < traders.length; ++j) {
                (uint8 light, uint256 rank, uint256 queueLength) = engine.adlLight(traders[j], marketIds[i]);
                words[at++] = light;
                words[at++] = rank;
                words[at++] = queueLength;
            }
        }
    }

    /// @notice Tries `liquidate(accounts[i], marketIds[i])` with this contract as the keeper, each from the
    /// same state; returns each probe's revert data (`ProbeSucceeded()` when the liquidation went through).
    function probeLiquidations(
        PerpEngine engine,
        address[] calldata accounts,
        bytes32[] calldata marketIds
    ) external returns (bytes[] memory reasons) {
        reasons = new bytes[](accounts.length);
        for (uint256 i; i < accounts.length; ++i) {
            try this.liquidateAndRevert(engine, accounts[i], marketIds[i]) {} catch (bytes memory reason) {
                reasons[i] = reason;
            }
        }
    }

    /// @notice One probe: liquidates, then reverts so that nothing persists.
    function liquidateAndRevert(PerpEngine engine, address account, bytes32 marketId) external {
        engine.liquidate(account, marketId);
        revert ProbeSucceeded();
    }

    function _header(
        Cursor memory c,
        PerpEngine engine,
        IERC20 vaultShares,
        IERC20 collateral,
        bool withVaultViews
    ) private view {
        _push(c, collateral.balanceOf(address(engine)));
        _pushInt(c, engine.vaultCashUsd());
        _push(c, engine.insuranceFund());
        PauseState memory pauses = engine.pauseState();
        _push(c, pauses.trading ? 1 : 0);
        _push(c, pauses.liquidations ? 1 : 0);
        _push(c, pauses.withdrawals ? 1 : 0);
        _push(c, pauses.liquidationsResumeAt);
        _push(c, block.timestamp);
        _push(c, vaultShares.totalSupply());
        if (!withVaultViews) {
            c.at += 6;
            return;
        }
        try engine.vaultEquityUsd(true) returns (int256 equityUsd) {
            _push(c, 1);
            _pushInt(c, equityUsd);
        } catch {
            c.at += 2;
        }
        try engine.vaultEquityUsd(false) returns (int256 equityUsd) {
            _push(c, 1);
            _pushInt(c, equityUsd);
        } catch {
            c.at += 2;
        }
        try engine.maxVaultWithdrawalUsd() returns (uint256 maxUsd) {
            _push(c, 1);
            _push(c, maxUsd);
        } catch {
            c.at += 2;
        }
    }

    function _accounts(
        Cursor memory c,
        PerpEngine engine,
        IERC20 vaultShares,
        IERC20 collateral,
        address[] calldata accounts
    ) private view {
        for (uint256 i; i < accounts.length; ++i) {
            _push(c, engine.freeBalance(accounts[i]));
            _push(c, collateral.balanceOf(accounts[i]));
            _push(c, vaultShares.balanceOf(accounts[i]));
        }
    }

    function _market(
        Cursor memory c,
        PerpEngine engine,
        ChainlinkOracleAdapter adapter,
        bytes32 marketId,
        address[] calldata traders
    ) private view {
        bool priceOk;
        try IPriceOracle(address(adapter)).latestPrice() returns (uint256 priceWad, bool isVolatile) {
            priceOk = true;
            _push(c, 1);
            _push(c, priceWad);
            _push(c, isVolatile ? 1 : 0);
        } catch {
            c.at += 3;
        }
        MarketState memory state = engine.getMarketState(marketId);
        _pushInt(c, priceOk ? engine.currentFundingIndexWad(marketId) : state.fundingIndexWad);
        _pushInt(c, state.netSize);
        _push(c, state.longOpenInterest);
        _push(c, state.shortOpenInterest);
        _pushInt(c, state.sumSizeTimesEntry);
        _pushInt(c, state.sumSizeTimesFundingSnapshot);
        _pushInt(c, state.fundingIndexWad);
        _push(c, state.lastFundingTimestamp);
        _push(c, state.longLossIndexWad);
        _push(c, state.shortLossIndexWad);
        _push(c, state.sumLongSizeTimesLossSnapshot);
        _push(c, state.sumShortSizeTimesLossSnapshot);
        _push(c, uint256(uint160(engine.adlQueueHead(marketId, true))));
        _push(c, uint256(uint160(engine.adlQueueHead(marketId, false))));
        for (uint256 j; j < traders.length; ++j) {
            _position(c, engine, marketId, traders[j], priceOk);
        }
    }

    function _position(
        Cursor memory c,
        PerpEngine engine,
        bytes32 marketId,
        address trader,
        bool priceOk
    ) private view {
        Position memory p = engine.getPosition(trader, marketId);
        _pushInt(c, p.size);
        _push(c, p.entryPriceWad);
        _push(c, p.marginUsd);
        _pushInt(c, p.fundingIndexSnapshotWad);
        _push(c, p.lossIndexSnapshotWad);
        // An empty position's views are all zero; skipping them keeps the snapshot cheap.
        if (p.size == 0) {
            c.at += 6;
            return;
        }
        if (priceOk) {
            (int256 equityUsd, uint256 maintenanceUsd) = engine.positionEquity(trader, marketId);
            _pushInt(c, equityUsd);
            _push(c, maintenanceUsd);
            _push(c, engine.isLiquidatable(trader, marketId) ? 1 : 0);
        } else {
            c.at += 3;
        }
        (uint8 light, uint256 rank, uint256 queueLength) = engine.adlLight(trader, marketId);
        _push(c, light);
        _push(c, rank);
        _push(c, queueLength);
    }

    function _push(Cursor memory c, uint256 word) private pure {
        c.words[c.at++] = word;
    }

    function _pushInt(Cursor memory c, int256 word) private pure {
        c.words[c.at++] = uint256(word);
    }
}
