// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {MockV3Aggregator} from "@chainlink/contracts/src/v0.8/tests/MockV3Aggregator.sol";
import {IPerpEngine} from "../../../contracts/interfaces/IPerpEngine.sol";
import {Position} from "../../../contracts/interfaces/IPerpTypes.sol";
import {ChainlinkOracleAdapter} from "../../../contracts/oracle/ChainlinkOracleAdapter.sol";
import {SignedMath} from "../../../contracts/libraries/SignedMath.sol";
import {vm} from "../utils/Vm.sol";
import {PerpSystem} from "../system/PerpSystem.sol";
import {SystemConfig} from "../system/SystemConfig.sol";
import {Ghosts} from "../ghosts/Ghosts.sol";
import {HandlerBase} from "./HandlerBase.sol";
import {CallContext} from "./CallContext.sol";
import {Reasons} from "./Reasons.sol";

/// @title MarketHandler
/// @notice The world around the protocol: price moves (small, medium, large, exactly the breaker's 25% and one feed
/// unit past it, 30–45% gaps through it, to a position's liquidation price ± 3 units, past its bankruptcy price; no
/// single update moves more than 45%),
/// broken answers (0, negative, at the aggregator's bounds) and their restoration, stale feeds (to the heartbeat
/// and one second past it), time jumps (1 s … 3 days, the breaker cooldown and the grace period ± 1 s), and anyone
/// recording a price. Prices stay in a band of [0.3×, 3.2×] the initial price: a move that would leave it turns.
/// Every price update is followed by a diligent keeper's `deleverageVault`, as the keeper bot does (DESIGN §4).
contract MarketHandler is HandlerBase {
    using SignedMath for int256;

    uint256 private constant BPS = 10_000;
    uint256 private constant BAND_LOW_BPS = 3_000;
    uint256 private constant BAND_HIGH_BPS = 32_000;
    /// @dev Feed units (8 decimals) → price wad.
    uint256 private constant FEED_TO_WAD = 1e10;
    /// @dev The deviation breaker's threshold (DESIGN §6).
    uint256 private constant BREAKER_BPS = SystemConfig.MAX_DEVIATION_BPS;
    uint256 private constant MAX_TIME_JUMP_SECONDS = 3 days;
    uint256 private constant LOG2_TYPICAL_JUMP_SECONDS = 12;
    uint256 private constant PRICE_KINDS = 16;
    uint256 private constant MIN_UPDATE_GAP_SECONDS = 15;
    uint256 private constant UPDATE_GAP_SPREAD_SECONDS = 165;
    /// @dev The largest move of one update (the gaps' upper end). The vault's solvency is designed for gaps of this
    /// order (README, Known issues: a single jump of several times the price against a book at the exposure cap can
    /// exceed the vault's equity), so moves toward a far liquidation or bankruptcy price stop here.
    uint256 private constant MAX_MOVE_BPS = 4_500;
    /// @dev How far past the liquidation price a "to the boundary" move may land, in feed units.
    uint256 private constant BOUNDARY_UNITS = 3;
    /// @dev The diligent keeper's `deleverageVault` steps after a price update (the ADL config's default).
    uint256 private constant KEEPER_PROTECTION_STEPS = SystemConfig.ADL_MAX_STEPS;

    /// @dev The last valid answer posted per market (the adapter keeps no state to read it from).
    mapping(uint256 market => int256) private lastValidAnswers;

    constructor(PerpSystem system, Ghosts ghosts_) HandlerBase(system, ghosts_) {
        for (uint256 m; m < marketCount; ++m) lastValidAnswers[m] = feeds[m].latestAnswer();
    }

    // ───────────────────────── prices ─────────────────────────

    /// @notice A price update of one of eight kinds (see the contract notice).
    function movePrice(uint256 marketSeed, uint256 kindSeed, uint256 magnitudeSeed) external {
        uint256 market = marketSeed % marketCount;
        // Feed updates come with time: 15 s … 3 min between them (a few rounds in the breaker's 5-minute window).
        vm.warp(
            block.timestamp +
                MIN_UPDATE_GAP_SECONDS +
                (uint256(keccak256(abi.encode(magnitudeSeed))) % UPDATE_GAP_SPREAD_SECONDS)
        );
        int256 base = _lastValidAnswer(market);
        bool up = (kindSeed / PRICE_KINDS) % 2 == 0;
        // Kinds per 16 draws: small 5, medium 4, large 2, the breaker's edge 1, a gap 1, a liquidation price 2,
        // past a bankruptcy price 1 — about one update in six trips the breaker, as the design's envelope intends.
        uint256 kind = kindSeed % PRICE_KINDS;
        int256 answer;
        if (kind < 5) answer = _moved(base, _edge(magnitudeSeed, 1, 100), up);
        else if (kind < 9) answer = _moved(base, _edge(magnitudeSeed, 100, 1_000), up);
        else if (kind < 11) answer = _moved(base, _edge(magnitudeSeed, 1_000, BREAKER_BPS - 1), up);
        else if (kind == 11) return _post(market, _breakerEdge(market, up, magnitudeSeed % 2 == 1), "movePrice");
        else if (kind == 12) answer = _moved(base, _edge(magnitudeSeed, 3_000, MAX_MOVE_BPS), up);
        else if (kind < 15) answer = _toLiquidationPrice(market, magnitudeSeed, base);
        else answer = _pastBankruptcy(market, magnitudeSeed, base);
        _post(market, _clampMove(base, _inBand(market, answer)), "movePrice");
    }

    /// @notice Breaks a feed: answer 0, negative, at the aggregator's lower or upper bound.
    function breakFeed(uint256 marketSeed, uint256 kindSeed) external {
        uint256 market = marketSeed % marketCount;
        uint256 kind = kindSeed % 4;
        int256 answer =
            kind == 0
                ? int256(0)
                : kind == 1
                    ? int256(-1)
                    : kind == 2
                        ? SystemConfig.MIN_ANSWER
                        : SystemConfig.MAX_ANSWER;
        _post(market, answer, "breakFeed");
    }

    /// @notice Restores a feed to its last valid answer (fresh timestamp).
    function restoreFeed(uint256 marketSeed) external {
        uint256 market = marketSeed % marketCount;
        _post(market, _lastValidAnswer(market), "restoreFeed");
    }

    /// @notice Moves time so that a feed's answer is exactly `heartbeat` old (still valid) or one second older.
    function staleFeed(uint256 marketSeed, uint256 offsetSeed) external {
        uint256 market = marketSeed % marketCount;
        uint256 target = feeds[market].latestTimestamp() + SystemConfig.HEARTBEAT_SECONDS + (offsetSeed % 2);
        if (target <= block.timestamp) return;
        CallContext memory ctx = _begin("staleFeed", address(0));
        vm.warp(target);
        _end(ctx, _logs(), true);
    }

    /// @notice A time jump of 1 s … 3 days, biased to the breaker cooldown and the grace period ± 1 s; most jumps
    /// re-post the current answers (keepers keep feeds alive), one in five leaves them to go stale.
    function warp(uint256 secondsSeed, uint256 refreshSeed) external {
        // The breaker's cooldown ± 1 s 1 in 8, the grace period ± 1 s 1 in 8, up to 3 days 1 in 8, otherwise
        // 2^k seconds with k uniform in [0, 12] (1 s … 68 min, a minute typically): orders keep their expiry window.
        uint256 mode = secondsSeed % 8;
        uint256 jump =
            mode == 0
                ? SystemConfig.VOLATILITY_COOLDOWN_SECONDS - 1 + ((secondsSeed / 8) % 3)
                : mode == 1
                    ? SystemConfig.LIQUIDATION_GRACE_SECONDS - 1 + ((secondsSeed / 8) % 3)
                    : mode == 2
                        ? _edge(secondsSeed / 8, 1, MAX_TIME_JUMP_SECONDS)
                        : 1 << ((secondsSeed / 8) % (LOG2_TYPICAL_JUMP_SECONDS + 1));
        CallContext memory ctx = _begin("warp", address(0));
        vm.warp(block.timestamp + jump);
        if (refreshSeed % 5 != 0) {
            for (uint256 m; m < marketCount; ++m) {
                MockV3Aggregator feed = feeds[m];
                if (feed.latestAnswer() > SystemConfig.MIN_ANSWER && feed.latestAnswer() < SystemConfig.MAX_ANSWER) {
                    feed.updateAnswer(feed.latestAnswer());
                }
            }
        }
        _end(ctx, _logs(), true);
    }

    /// @notice Anyone records the current answer in the adapter (permissionless `readPrice`).
    function readPrice(uint256 marketSeed) external {
        uint256 market = marketSeed % marketCount;
        (bool ok, , ) = _tryPrice(market);
        CallContext memory ctx = _begin("readPrice", address(0));
        try adapters[market].readPrice() {
            _end(ctx, _logs(), true);
        } catch (bytes memory reason) {
            _reverted(ctx, reason, Reasons.addOracle(Reasons.create(), !ok));
            _end(ctx, _logs(), false);
        }
    }

    // ───────────────────────── building answers ─────────────────────────

    function _moved(int256 base, uint256 bps, bool up) private pure returns (int256) {
        int256 delta = (base * int256(bps)) / int256(BPS);
        if (delta == 0) delta = 1;
        return up ? base + delta : base - delta;
    }

    /// @dev The breaker's threshold exactly (does not trip) or one feed unit past it (trips). The adapter judges a move
    /// against the rounds of the cooldown window and the last round before it (the anchor), so time first moves past
    /// the window: the current answer becomes the anchor and the move is measured from it alone.
    function _breakerEdge(uint256 market, bool up, bool beyond) private returns (int256) {
        vm.warp(block.timestamp + SystemConfig.VOLATILITY_COOLDOWN_SECONDS + 1);
        int256 anchor = _lastValidAnswer(market);
        feeds[market].updateAnswer(anchor);
        vm.warp(block.timestamp + SystemConfig.VOLATILITY_COOLDOWN_SECONDS + 1);
        int256 move = (anchor * int256(BREAKER_BPS)) / int256(BPS) + (beyond ? int256(1) : int256(0));
        return up ? anchor + move : anchor - move;
    }

    /// @dev A position's liquidation price ± a few feed units (the liquidation boundary).
    function _toLiquidationPrice(uint256 market, uint256 seed, int256 base) private view returns (int256) {
        (address account, bool found) = _openPosition(market, seed);
        if (!found) return base;
        // The view accrues funding at the current price: unavailable while the feed is invalid.
        uint256 liquidationPriceWad;
        try engine.liquidationPrice(account, marketIds[market]) returns (uint256 priceWad) {
            liquidationPriceWad = priceWad;
        } catch {}
        if (liquidationPriceWad == 0) return base;
        int256 answer = int256(liquidationPriceWad / FEED_TO_WAD);
        int256 offset = int256((seed / 7) % (2 * BOUNDARY_UNITS + 1)) - int256(BOUNDARY_UNITS);
        return answer + offset;
    }

    /// @dev 2–20% past a position's bankruptcy price (entry ∓ margin / size): a deficit for the waterfall.
    function _pastBankruptcy(uint256 market, uint256 seed, int256 base) private view returns (int256) {
        (address account, bool found) = _openPosition(market, seed);
        if (!found) return base;
        Position memory p = _position(account, market);
        uint256 marginPerUnitWad = (p.marginUsd * 1e18) / p.size.abs();
        uint256 bankruptcyWad =
            p.size > 0
                ? (p.entryPriceWad > marginPerUnitWad ? p.entryPriceWad - marginPerUnitWad : 0)
                : p.entryPriceWad + marginPerUnitWad;
        int256 bankruptcy = int256(bankruptcyWad / FEED_TO_WAD);
        if (bankruptcy <= 0) return base;
        return _moved(bankruptcy, _edge(seed / 7, 200, 2_000), p.size < 0);
    }

    function _openPosition(uint256 market, uint256 seed) private view returns (address, bool) {
        int256[] memory sizes = ghosts.sizes();
        for (uint256 k; k < traders.length; ++k) {
            uint256 t = ((seed % traders.length) + k) % traders.length;
            if (sizes[t * marketCount + market] != 0) return (traders[t], true);
        }
        return (address(0), false);
    }

    /// @dev Keeps answers in [0.3×, 3.2×] the initial one: a move out of the band is mirrored back into it.
    function _inBand(uint256 market, int256 answer) private pure returns (int256) {
        int256 initial = SystemConfig.initialAnswerOf(market);
        int256 low = (initial * int256(BAND_LOW_BPS)) / int256(BPS);
        int256 high = (initial * int256(BAND_HIGH_BPS)) / int256(BPS);
        if (answer < low) return low + ((low - answer) % (high - low));
        if (answer > high) return high - ((answer - high) % (high - low));
        return answer;
    }

    /// @dev At most MAX_MOVE_BPS away from `base`.
    function _clampMove(int256 base, int256 answer) private pure returns (int256) {
        int256 limit = (base * int256(MAX_MOVE_BPS)) / int256(BPS);
        if (answer > base + limit) return base + limit;
        if (answer < base - limit) return base - limit;
        return answer;
    }

    /// @notice The last valid answer posted to a market's feed (in feed units): what a broken feed is restored to.
    function lastValidAnswer(uint256 market) external view returns (int256) {
        return _lastValidAnswer(market);
    }

    function _lastValidAnswer(uint256 market) private view returns (int256) {
        int256 answer = lastValidAnswers[market];
        return answer > 0 ? answer : SystemConfig.initialAnswerOf(market);
    }

    function _isValidAnswer(int256 answer) private pure returns (bool) {
        return answer > SystemConfig.MIN_ANSWER && answer < SystemConfig.MAX_ANSWER;
    }

    /// @dev Posts an answer, then the diligent keeper protects the vault in that market.
    function _post(uint256 market, int256 answer, bytes32 action) private {
        CallContext memory ctx = _begin(action, address(0));
        (, , bool wasVolatile) = _tryPrice(market);
        feeds[market].updateAnswer(answer);
        if (_isValidAnswer(answer)) {
            int256 previous = lastValidAnswers[market];
            if (previous > 0) {
                uint256 moveAbs = uint256(answer > previous ? answer - previous : previous - answer);
                ghosts.recordPriceMove((moveAbs * BPS) / uint256(previous));
            }
            lastValidAnswers[market] = answer;
        }
        (bool ok, , bool isVolatile) = _tryPrice(market);
        if (ok && isVolatile && !wasVolatile) ++ctx.finish.eventCounts[uint256(Ghosts.EventKind.BreakerTrip)];
        address keeper = _keeper(market);
        vm.prank(keeper);
        try engine.deleverageVault(marketIds[market], KEEPER_PROTECTION_STEPS) {
            ++ctx.finish.eventCounts[uint256(Ghosts.EventKind.KeeperProtection)];
        } catch {}
        _end(ctx, _logs(), true);
    }
}
