// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {vm} from "./utils/Vm.sol";
import {InvariantTest} from "./utils/InvariantTest.sol";
import {PerpSystem} from "./system/PerpSystem.sol";
import {BaseState} from "./system/BaseState.sol";
import {Ghosts} from "./ghosts/Ghosts.sol";
import {ProtocolInvariants} from "./invariants/ProtocolInvariants.sol";
import {SystemReader} from "./invariants/SystemReader.sol";
import {TraderHandler} from "./handlers/TraderHandler.sol";
import {KeeperHandler} from "./handlers/KeeperHandler.sol";
import {MarketHandler} from "./handlers/MarketHandler.sol";
import {LpHandler} from "./handlers/LpHandler.sol";
import {GovernanceHandler} from "./handlers/GovernanceHandler.sol";
import {Canaries} from "./canaries/Canaries.sol";

/// @title PerpInvariantsBase
/// @notice The campaign: after `setUp` (the system deployed as `deploy/config.ts` LOCAL_CONFIG, a base book on both
/// sides of both markets, two LPs), forge calls the handlers' entry points in random sequences — weighted below —
/// and checks `invariant_designSection12Holds` after every call. One invariant function on purpose: forge runs a
/// separate campaign per `invariant_*` function, so one function that checks everything gives every invariant every
/// call. Each check's failure names its invariant (see ProtocolInvariants and test/forge/README.md).
abstract contract PerpInvariantsBase is InvariantTest, ProtocolInvariants {
    TraderHandler internal traderHandler;
    KeeperHandler internal keeperHandler;
    MarketHandler internal marketHandler;
    LpHandler internal lpHandler;
    GovernanceHandler internal governanceHandler;
    Canaries internal canaries;

    address[] private pendingHandlers;
    mapping(address handler => bytes4[]) private pendingSelectors;

    /// @dev Where `afterInvariant` appends one JSON line per run: `$FORGE_STATS_DIR/<suite>.jsonl` (set by
    /// test/forge/scripts/campaign.ts; no statistics when unset).
    string internal statsFile;

    function _tokenDecimals() internal pure virtual returns (uint8);

    function _suiteName() internal pure virtual returns (string memory);

    function setUp() public {
        sys = PerpSystem(vm.deployCode("PerpSystem.sol:PerpSystem", abi.encode(_tokenDecimals())));
        ghosts = Ghosts(vm.deployCode("Ghosts.sol:Ghosts", ""));
        BaseState.seed(sys, ghosts);
        SystemReader.Layout memory l = SystemReader.layoutOf(sys);
        layout = l;
        ghosts.initMirror(SystemReader.mirrorOf(l));
        bytes memory args = abi.encode(sys, ghosts);
        traderHandler = TraderHandler(vm.deployCode("TraderHandler.sol:TraderHandler", args));
        keeperHandler = KeeperHandler(vm.deployCode("KeeperHandler.sol:KeeperHandler", args));
        marketHandler = MarketHandler(vm.deployCode("MarketHandler.sol:MarketHandler", args));
        lpHandler = LpHandler(vm.deployCode("LpHandler.sol:LpHandler", args));
        governanceHandler = GovernanceHandler(vm.deployCode("GovernanceHandler.sol:GovernanceHandler", args));
        _targetWeighted();
        string memory statsDir = vm.envOr("FORGE_STATS_DIR", string(""));
        if (bytes(statsDir).length != 0) statsFile = string.concat(statsDir, "/", _suiteName(), ".jsonl");
        string memory canary = vm.envOr("FORGE_CANARY", string(""));
        if (bytes(canary).length != 0) {
            canaries = Canaries(vm.deployCode("Canaries.sol:Canaries", abi.encode(sys, ghosts, canary)));
            canaryTarget = canaries.target();
            if (canaries.weight() != 0) _target(address(canaries), Canaries.mutate.selector, canaries.weight());
            bytes32 name = canaries.canary();
            traderHandler.setCanary(name);
            keeperHandler.setCanary(name);
            marketHandler.setCanary(name);
            lpHandler.setCanary(name);
            governanceHandler.setCanary(name);
        }
        _flushTargets();
    }

    /// @notice DESIGN §12 (and issue 17's additions), after every call. See ProtocolInvariants.
    function invariant_designSection12Holds() public {
        _assertAll();
        if (address(canaries) != address(0)) canaries.checkReachability();
    }

    function _lastValidPriceWad(uint256 market) internal view override returns (uint256) {
        return uint256(marketHandler.lastValidAnswer(market)) * 1e10;
    }

    /// @notice One JSON line per run for the campaign report: calls and reverts by reason per action, events reached.
    function afterInvariant() public {
        if (bytes(statsFile).length == 0) return;
        vm.writeLine(statsFile, ghosts.reportJson());
    }

    /// @dev Call weights per 200 (forge picks uniformly among the listed (contract, selector) entries). Traders and
    /// prices dominate; the world's hostile moves (broken feeds, pauses, reduce-only, settlement) are rare enough that
    /// the book keeps trading between them.
    function _targetWeighted() private {
        address t = address(traderHandler);
        _target(t, TraderHandler.trade.selector, 52);
        _target(t, TraderHandler.modifyMargin.selector, 9);
        _target(t, TraderHandler.close.selector, 8);
        _target(t, TraderHandler.closeHealthyNoRevert.selector, 5);
        _target(t, TraderHandler.deposit.selector, 7);
        _target(t, TraderHandler.withdraw.selector, 5);
        _target(t, TraderHandler.withdrawFreeBalanceNoRevert.selector, 4);
        address k = address(keeperHandler);
        _target(k, KeeperHandler.liquidate.selector, 14);
        _target(k, KeeperHandler.liquidateMany.selector, 5);
        _target(k, KeeperHandler.sweep.selector, 6);
        _target(k, KeeperHandler.deleverageVault.selector, 2);
        _target(k, KeeperHandler.pokeFunding.selector, 3);
        _target(k, KeeperHandler.probeFundingPokeIndependence.selector, 2);
        _target(k, KeeperHandler.executeOrder.selector, 14);
        _target(k, KeeperHandler.cancelOrder.selector, 2);
        address m = address(marketHandler);
        _target(m, MarketHandler.movePrice.selector, 26);
        _target(m, MarketHandler.breakFeed.selector, 1);
        _target(m, MarketHandler.restoreFeed.selector, 2);
        _target(m, MarketHandler.staleFeed.selector, 1);
        _target(m, MarketHandler.warp.selector, 10);
        _target(m, MarketHandler.readPrice.selector, 1);
        address l = address(lpHandler);
        _target(l, LpHandler.deposit.selector, 4);
        _target(l, LpHandler.mint.selector, 2);
        _target(l, LpHandler.withdraw.selector, 4);
        _target(l, LpHandler.redeem.selector, 4);
        _target(l, LpHandler.transferShares.selector, 1);
        address g = address(governanceHandler);
        _target(g, GovernanceHandler.pause.selector, 1);
        _target(g, GovernanceHandler.unpause.selector, 3);
        _target(g, GovernanceHandler.donateToInsurance.selector, 2);
        _target(g, GovernanceHandler.rawDonation.selector, 1);
        _target(g, GovernanceHandler.withdrawInsuranceExcess.selector, 2);
        _target(g, GovernanceHandler.setInsuranceFundTarget.selector, 1);
        _target(g, GovernanceHandler.setMarketParams.selector, 2);
        _target(g, GovernanceHandler.lowerOpenInterestCap.selector, 1);
        _target(g, GovernanceHandler.setReduceOnly.selector, 2);
        _target(g, GovernanceHandler.setAdlConfig.selector, 1);
        _target(g, GovernanceHandler.setGovernanceConfig.selector, 1);
        _target(g, GovernanceHandler.settleMarket.selector, 1);
        _target(g, GovernanceHandler.closeSettledPosition.selector, 2);
    }

    /// @dev Lists `selector` of `handler` `weight` times (its share of the calls); `_flushTargets` hands the lists to
    /// forge, one per handler.
    function _target(address handler, bytes4 selector, uint256 weight) internal {
        if (pendingSelectors[handler].length == 0) pendingHandlers.push(handler);
        for (uint256 i; i < weight; ++i) pendingSelectors[handler].push(selector);
    }

    function _flushTargets() internal {
        for (uint256 i; i < pendingHandlers.length; ++i) {
            address handler = pendingHandlers[i];
            targetContract(handler);
            targetSelector(FuzzSelector({addr: handler, selectors: pendingSelectors[handler]}));
        }
    }
}

/// @notice The campaign over 6-decimal collateral (USDC-like): token units are 1e12 USD wei.
contract PerpInvariants6DecimalsTest is PerpInvariantsBase {
    function _tokenDecimals() internal pure override returns (uint8) {
        return 6;
    }

    function _suiteName() internal pure override returns (string memory) {
        return "PerpInvariants6DecimalsTest";
    }
}

/// @notice The campaign over 18-decimal collateral: token units are USD wei.
contract PerpInvariants18DecimalsTest is PerpInvariantsBase {
    function _tokenDecimals() internal pure override returns (uint8) {
        return 18;
    }

    function _suiteName() internal pure override returns (string memory) {
        return "PerpInvariants18DecimalsTest";
    }
}
