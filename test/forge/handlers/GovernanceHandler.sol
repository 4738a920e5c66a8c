// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IAccessControl} from "@openzeppelin/contracts/access/IAccessControl.sol";
import {IPerpEngine} from "../../../contracts/interfaces/IPerpEngine.sol";
import {
    MarginTier,
    MarketParams,
    AdlConfig,
    GovernanceConfig,
    PauseState
} from "../../../contracts/interfaces/IPerpTypes.sol";
import {vm} from "../utils/Vm.sol";
import {PerpSystem} from "../system/PerpSystem.sol";
import {SystemConfig} from "../system/SystemConfig.sol";
import {Ghosts} from "../ghosts/Ghosts.sol";
import {HandlerBase} from "./HandlerBase.sol";
import {CallContext} from "./CallContext.sol";
import {Reasons} from "./Reasons.sol";

/// @title GovernanceHandler
/// @notice The admin (timelock) and the guardian, and anyone funding the insurance fund: pause / unpause each
/// switch (and the role boundaries: a guardian cannot unpause, a stranger cannot pause), insurance donations, raw
/// token transfers to the engine (surplus), excess withdrawals and the target, bounded parameter changes (maintenance
/// raises ramp in, cuts, invalid tiers), OI-cap cuts, reduce-only, ADL and governance settings, and — rarely —
/// settling a market at its last price and closing its positions.
contract GovernanceHandler is HandlerBase {
    uint256 private constant USD = 1e18;
    /// @dev Settling ends trading in a market for the rest of the run: only one call in this many settles.
    uint256 private constant SETTLE_ONE_IN = 64;
    uint256 private constant PARAM_VARIANTS = 6;

    address internal immutable admin;
    address internal immutable guardian;

    constructor(PerpSystem system, Ghosts ghosts_) HandlerBase(system, ghosts_) {
        admin = system.admin();
        guardian = system.guardian();
    }

    // ───────────────────────── switches ─────────────────────────

    /// @notice The guardian (or the admin, or a stranger who must be refused) flips a switch on.
    function pause(uint256 whichSeed, uint256 bySeed) external {
        // Trading 1 in 5 (it stops most of the campaign), liquidations and withdrawals 2 in 5 each.
        uint256 draw = whichSeed % 5;
        IPerpEngine.PauseSwitch which =
            draw == 0
                ? IPerpEngine.PauseSwitch.Trading
                : draw < 3
                    ? IPerpEngine.PauseSwitch.Liquidations
                    : IPerpEngine.PauseSwitch.Withdrawals;
        uint256 by = bySeed % 4;
        address caller =
            by == 0
                ? admin
                : by == 3
                    ? _trader(bySeed)
                    : guardian;
        Reasons.List memory expected = Reasons.create();
        Reasons.addIf(expected, by == 3, IAccessControl.AccessControlUnauthorizedAccount.selector);
        _call("pause", caller, abi.encodeCall(IPerpEngine.pause, (which)), expected, 0, 0);
    }

    /// @notice The admin (or the guardian, who must be refused) flips a switch off.
    function unpause(uint256 whichSeed, uint256 bySeed) external {
        // A switch that is on, if any (from a random start), else any.
        PauseState memory pauses = engine.pauseState();
        bool[3] memory on = [pauses.trading, pauses.liquidations, pauses.withdrawals];
        uint256 pick = whichSeed % 3;
        for (uint256 k; k < 3; ++k) {
            if (on[((whichSeed % 3) + k) % 3]) {
                pick = ((whichSeed % 3) + k) % 3;
                break;
            }
        }
        IPerpEngine.PauseSwitch which = IPerpEngine.PauseSwitch(pick);
        bool byGuardian = bySeed % 5 == 0;
        Reasons.List memory expected = Reasons.create();
        Reasons.addIf(expected, byGuardian, IAccessControl.AccessControlUnauthorizedAccount.selector);
        _call("unpause", byGuardian ? guardian : admin, abi.encodeCall(IPerpEngine.unpause, (which)), expected, 0, 0);
    }

    // ───────────────────────── insurance fund ─────────────────────────

    /// @notice Anyone donates 0, one unit, $100, $10k or $100k to the insurance fund.
    function donateToInsurance(uint256 donorSeed, uint256 amountSeed) external {
        address donor = _trader(donorSeed);
        uint256 mode = amountSeed % 5;
        uint256 amount =
            mode == 0
                ? 0
                : mode == 1
                    ? 1
                    : mode == 2
                        ? (100 * USD) / scale
                        : mode == 3
                            ? (10_000 * USD) / scale
                            : (100_000 * USD) / scale;
        _fund(donor, amount);
        _approveEngine(donor);
        Reasons.List memory expected = Reasons.create();
        Reasons.addIf(expected, amount == 0, IPerpEngine.ZeroAmount.selector);
        _call("donateToInsurance", donor, abi.encodeCall(IPerpEngine.donateToInsurance, (amount)), expected, amount, 0);
    }

    /// @notice A plain token transfer to the engine: it credits nobody and shows up only as surplus.
    function rawDonation(uint256 amountSeed) external {
        uint256 amount = _edge(amountSeed, 1, (1_000 * USD) / scale);
        address donor = address(0xD0D0);
        _fund(donor, amount);
        CallContext memory ctx = _begin("rawDonation", donor);
        vm.prank(donor);
        token.transfer(address(engine), amount);
        ghosts.addRawDonation(amount);
        _end(ctx, _logs(), true);
    }

    /// @notice The admin withdraws part of the fund's excess over its target (or more, which must be refused).
    function withdrawInsuranceExcess(uint256 amountSeed) external {
        uint256 fundUsd = engine.insuranceFund();
        uint256 targetUsd = engine.insuranceFundTarget();
        uint256 excessTokens = fundUsd > targetUsd ? (fundUsd - targetUsd) / scale : 0;
        uint256 amount = _edge(amountSeed, 0, excessTokens + 1);
        Reasons.List memory expected = Reasons.create();
        Reasons.addIf(expected, amount == 0, IPerpEngine.ZeroAmount.selector);
        Reasons.addIf(expected, amount > excessTokens, IPerpEngine.InsuranceWithdrawalExceedsExcess.selector);
        bytes memory data = abi.encodeCall(IPerpEngine.withdrawInsuranceExcess, (admin, amount));
        _call("withdrawInsuranceExcess", admin, data, expected, 0, amount);
    }

    /// @notice The admin sets the fund's target: 0, $10k, $50k (the default) or $1M.
    function setInsuranceFundTarget(uint256 targetSeed) external {
        uint256[4] memory targets = [uint256(0), 10_000 * USD, 50_000 * USD, 1_000_000 * USD];
        bytes memory data = abi.encodeCall(IPerpEngine.setInsuranceFundTarget, (targets[targetSeed % 4]));
        _call("setInsuranceFundTarget", admin, data, Reasons.create(), 0, 0);
    }

    // ───────────────────────── parameters ─────────────────────────

    /// @notice A bounded `setMarketParams`: the defaults, a maintenance raise (phased in), a cut, a fee change, an
    /// invalid tier (MM ≥ IM) or an out-of-bounds value.
    function setMarketParams(uint256 marketSeed, uint256 variantSeed) external {
        uint256 market = marketSeed % marketCount;
        bytes32 id = marketIds[market];
        MarketParams memory params = SystemConfig.paramsOf(market);
        MarginTier[] memory tiers = SystemConfig.defaultTiers();
        uint256 variant = variantSeed % PARAM_VARIANTS;
        if (variant == 1) {
            tiers[0].maintenanceMarginBps = 300;
            tiers[0].initialMarginBps = 600;
        } else if (variant == 2) {
            tiers[0].maintenanceMarginBps = 200;
        } else if (variant == 3) {
            params.takerFeeBps = uint16(_edge(variantSeed / PARAM_VARIANTS, 0, 30));
        } else if (variant == 4) {
            tiers[1].maintenanceMarginBps = tiers[1].initialMarginBps;
        } else if (variant == 5) {
            params.takerFeeBps = 1_001;
        }
        (, uint256 settlementPriceWad) = engine.marketStatus(id);
        (bool ok, , ) = _tryPrice(market);
        Reasons.List memory expected = Reasons.create();
        Reasons.addIf(expected, variant == 4, IPerpEngine.InvalidMarginTier.selector);
        Reasons.addIf(expected, variant == 5, IPerpEngine.ParameterOutOfBounds.selector);
        Reasons.addIf(
            expected,
            2 * uint256(params.takerFeeBps) < params.oracleDeviationThresholdBps,
            IPerpEngine.TakerFeeBelowOracleDeviation.selector
        );
        Reasons.addIf(expected, settlementPriceWad != 0, IPerpEngine.MarketIsSettled.selector);
        Reasons.add(expected, IPerpEngine.MaintenanceRampInProgress.selector);
        Reasons.addOracle(expected, !ok);
        bytes memory data = abi.encodeCall(IPerpEngine.setMarketParams, (id, params, tiers));
        _call("setMarketParams", admin, data, expected, 0, 0);
    }

    /// @notice The guardian lowers an OI cap (to half, or to the current cap, which must be refused).
    function lowerOpenInterestCap(uint256 marketSeed, uint256 capSeed) external {
        bytes32 id = marketIds[marketSeed % marketCount];
        (, MarketParams memory params) = engine.getMarketConfig(id);
        uint256 cap = capSeed % 3 == 0 ? params.maxOpenInterestPerSide : (params.maxOpenInterestPerSide * 9) / 10;
        Reasons.List memory expected = Reasons.create();
        Reasons.addIf(
            expected,
            cap == 0 || cap >= params.maxOpenInterestPerSide,
            IPerpEngine.OpenInterestCapNotLowered.selector
        );
        _call(
            "lowerOpenInterestCap",
            guardian,
            abi.encodeCall(IPerpEngine.lowerOpenInterestCap, (id, cap)),
            expected,
            0,
            0
        );
    }

    /// @notice The guardian marks a market reduce-only; the admin lifts it (the guardian may not).
    function setReduceOnly(uint256 marketSeed, uint256 modeSeed) external {
        uint256 market = marketSeed % marketCount;
        bytes32 id = marketIds[market];
        // While off, the guardian restricts 1 in 10 (otherwise the admin "lifts" an unrestricted market, which is
        // allowed); while on, the admin lifts it 4 in 5 and the guardian's attempt to lift it is refused 1 in 5.
        (bool restricted, ) = engine.marketStatus(id);
        uint256 mode = uint256(keccak256(abi.encode(modeSeed))) % 10;
        bool on = !restricted && mode == 0;
        address caller = on || (restricted && mode % 5 == 0) ? guardian : admin;
        Reasons.List memory expected = Reasons.create();
        Reasons.addIf(expected, !on && caller == guardian, IAccessControl.AccessControlUnauthorizedAccount.selector);
        Reasons.addIf(expected, !on && _isSettled(market), IPerpEngine.MarketIsSettled.selector);
        _call("setReduceOnly", caller, abi.encodeCall(IPerpEngine.setReduceOnly, (id, on)), expected, 0, 0);
    }

    /// @notice The admin changes the ADL settings within (and once past) their bounds.
    function setAdlConfig(uint256 seed) external {
        AdlConfig memory config = SystemConfig.adlConfig();
        uint256 mode = seed % 4;
        if (mode == 1) config.maxSteps = uint16(_edge(seed / 4, 0, 64));
        if (mode == 2) config.minQueueNotionalUsd = uint128(_edge(seed / 4, 0, 10_000) * USD);
        if (mode == 3) config.maxSteps = 65;
        Reasons.List memory expected = Reasons.create();
        Reasons.addIf(expected, mode == 3, IPerpEngine.ParameterOutOfBounds.selector);
        bytes memory data = abi.encodeCall(IPerpEngine.setAdlConfig, (config));
        uint128 minimumBefore = engine.adlConfig().minQueueNotionalUsd;
        if (_call("setAdlConfig", admin, data, expected, 0, 0) && config.minQueueNotionalUsd != minimumBefore) {
            ghosts.setQueueMinimumChanged();
        }
    }

    /// @notice The admin changes the grace period (0 … 1 day, or past the bound).
    function setGovernanceConfig(uint256 seed) external {
        GovernanceConfig memory config = SystemConfig.governanceConfig();
        config.liquidationGracePeriodSeconds = uint64(_edge(seed, 0, 1 days + 1));
        Reasons.List memory expected = Reasons.create();
        Reasons.addIf(
            expected,
            config.liquidationGracePeriodSeconds > 1 days,
            IPerpEngine.ParameterOutOfBounds.selector
        );
        _call("setGovernanceConfig", admin, abi.encodeCall(IPerpEngine.setGovernanceConfig, (config)), expected, 0, 0);
    }

    // ───────────────────────── settlement ─────────────────────────

    /// @notice Rarely, the admin settles a market at its current price (a dead feed's delisting).
    function settleMarket(uint256 marketSeed, uint256 gateSeed) external {
        // Hashed: the fuzzer favours edge values (0 above all), which would settle at every other call.
        if (uint256(keccak256(abi.encode(gateSeed))) % SETTLE_ONE_IN != 0) return;
        uint256 market = marketSeed % marketCount;
        // At the current price (a dead feed would be settled at an off-chain price; the campaign has none).
        (bool ok, uint256 priceWad, ) = _tryPrice(market);
        if (!ok) return;
        Reasons.List memory expected = Reasons.create();
        Reasons.addIf(expected, _isSettled(market), IPerpEngine.MarketIsSettled.selector);
        bytes memory data = abi.encodeCall(IPerpEngine.settleMarket, (marketIds[market], priceWad));
        _call("settleMarket", admin, data, expected, 0, 0);
    }

    /// @notice Anyone closes a position of a settled market at the settlement price.
    function closeSettledPosition(uint256 callerSeed, uint256 slotSeed) external {
        uint256 slot = slotSeed % (traders.length * marketCount);
        address account = traders[slot / marketCount];
        uint256 market = slot % marketCount;
        bool settled = _isSettled(market);
        bool open = _position(account, market).size != 0;
        Reasons.List memory expected = Reasons.create();
        Reasons.addIf(expected, !settled, IPerpEngine.MarketNotSettled.selector);
        Reasons.addIf(expected, !open, IPerpEngine.NoPosition.selector);
        bytes memory data = abi.encodeCall(IPerpEngine.closeSettledPosition, (account, marketIds[market]));
        _call("closeSettledPosition", _trader(callerSeed), data, expected, 0, 0);
    }

    /// @dev Calls the engine as `caller`; reverts are counted and checked against `expected`. On success the engine
    /// received `tokensIn` and paid out `tokensOut` (token units).
    function _call(
        bytes32 action,
        address caller,
        bytes memory data,
        Reasons.List memory expected,
        uint256 tokensIn,
        uint256 tokensOut
    ) private returns (bool ok) {
        CallContext memory ctx = _begin(action, caller);
        vm.prank(caller);
        bytes memory reason;
        (ok, reason) = address(engine).call(data);
        if (ok) (ctx.finish.tokensIn, ctx.finish.tokensOut) = (tokensIn, tokensOut);
        else _reverted(ctx, reason, expected);
        _end(ctx, _logs(), ok);
    }
}
