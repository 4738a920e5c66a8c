// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {MockV3Aggregator} from "@chainlink/contracts/src/v0.8/tests/MockV3Aggregator.sol";
import {AggregatorV3Interface} from "@chainlink/contracts/src/v0.8/shared/interfaces/AggregatorV3Interface.sol";

import {PerpEngine} from "../../../contracts/PerpEngine.sol";
import {LiquidityVault} from "../../../contracts/LiquidityVault.sol";
import {ChainlinkOracleAdapter} from "../../../contracts/oracle/ChainlinkOracleAdapter.sol";
import {Position} from "../../../contracts/interfaces/IPerpTypes.sol";
import {MockERC20} from "../../../contracts/test/MockERC20.sol";
import {SystemConfig} from "./SystemConfig.sol";
import {vm} from "../utils/Vm.sol";

/// @title PerpSystem
/// @notice The system under test and its actors, deployed once in `setUp` and shared (read-only) by every handler
/// and by the invariant checks: the real PerpEngine (with its external libraries, linked by forge), the
/// LiquidityVault, one ChainlinkOracleAdapter over a MockV3Aggregator per market and MockERC20 collateral.
/// @dev Every contract is deployed from forge's artifacts (`vm.deployCode`): nothing here embeds creation code, which
/// keeps the campaign's compilation to one optimizer pass per contract. Actors are fixed addresses so a printed failing sequence names the same accounts on replay.
contract PerpSystem {
    uint256 public constant TRADER_COUNT = 10;
    uint256 public constant LP_COUNT = 2;
    uint256 public constant KEEPER_COUNT = 2;
    uint160 private constant TRADER_BASE = 0x7a000;
    uint160 private constant LP_BASE = 0x1b000;
    uint160 private constant KEEPER_BASE = 0x4e000;

    MockERC20 public immutable token;
    PerpEngine public immutable engine;
    LiquidityVault public immutable vault;
    /// @notice 10^(18 − token decimals): token units → internal USD (1e18).
    uint256 public immutable scale;
    address public immutable admin;
    address public immutable guardian;

    MockV3Aggregator[2] internal feeds;
    ChainlinkOracleAdapter[2] internal adapters;
    bytes32[2] internal ids;
    address[] internal traderList;
    address[] internal lpList;
    address[] internal keeperList;
    /// @dev Every address that can hold an engine free balance: traders, LPs, keepers, admin, guardian.
    address[] internal accountList;

    constructor(uint8 tokenDecimals) {
        admin = address(0xAD0001);
        guardian = address(0x6A0001);
        token = MockERC20(vm.deployCode("MockERC20.sol:MockERC20", abi.encode("Mock USD Coin", "USDC", tokenDecimals)));
        scale = 10 ** (18 - tokenDecimals);
        engine = PerpEngine(vm.deployCode("PerpEngine.sol:PerpEngine", abi.encode(address(token), address(this))));
        vault = LiquidityVault(
            vm.deployCode("LiquidityVault.sol:LiquidityVault", abi.encode(address(engine), "Perp LP Vault", "pvUSD"))
        );
        engine.setVault(address(vault));
        for (uint256 i; i < SystemConfig.MARKET_COUNT; ++i) {
            feeds[i] = MockV3Aggregator(
                vm.deployCode(
                    "MockV3Aggregator.sol:MockV3Aggregator",
                    abi.encode(SystemConfig.FEED_DECIMALS, SystemConfig.initialAnswerOf(i))
                )
            );
            adapters[i] = ChainlinkOracleAdapter(
                vm.deployCode(
                    "ChainlinkOracleAdapter.sol:ChainlinkOracleAdapter",
                    abi.encode(SystemConfig.oracleConfig(AggregatorV3Interface(address(feeds[i]))))
                )
            );
            ids[i] = keccak256(bytes(SystemConfig.symbolOf(i)));
            engine.listMarket(ids[i], adapters[i], SystemConfig.paramsOf(i), SystemConfig.defaultTiers());
        }
        engine.setAdlConfig(SystemConfig.adlConfig());
        engine.setGovernanceConfig(SystemConfig.governanceConfig());
        engine.setInsuranceFundTarget(SystemConfig.INSURANCE_FUND_TARGET_USD);
        engine.grantRole(engine.GUARDIAN_ROLE(), guardian);
        engine.grantRole(engine.DEFAULT_ADMIN_ROLE(), admin);
        engine.renounceRole(engine.DEFAULT_ADMIN_ROLE(), address(this));

        for (uint160 i; i < TRADER_COUNT; ++i) traderList.push(address(TRADER_BASE + i));
        for (uint160 i; i < LP_COUNT; ++i) lpList.push(address(LP_BASE + i));
        for (uint160 i; i < KEEPER_COUNT; ++i) keeperList.push(address(KEEPER_BASE + i));
        accountList = traderList;
        for (uint256 i; i < LP_COUNT; ++i) accountList.push(lpList[i]);
        for (uint256 i; i < KEEPER_COUNT; ++i) accountList.push(keeperList[i]);
        accountList.push(admin);
        accountList.push(guardian);
    }

    // ── actors ──

    function traders() external view returns (address[] memory) {
        return traderList;
    }

    function lps() external view returns (address[] memory) {
        return lpList;
    }

    function keepers() external view returns (address[] memory) {
        return keeperList;
    }

    function accounts() external view returns (address[] memory) {
        return accountList;
    }

    function trader(uint256 seed) external view returns (address) {
        return traderList[seed % TRADER_COUNT];
    }

    function lp(uint256 seed) external view returns (address) {
        return lpList[seed % LP_COUNT];
    }

    function keeper(uint256 seed) external view returns (address) {
        return keeperList[seed % KEEPER_COUNT];
    }

    function isKeeper(address account) external view returns (bool) {
        for (uint256 i; i < KEEPER_COUNT; ++i) if (keeperList[i] == account) return true;
        return false;
    }

    // ── markets ──

    function marketCount() external pure returns (uint256) {
        return SystemConfig.MARKET_COUNT;
    }

    function marketId(uint256 index) external view returns (bytes32) {
        return ids[index % SystemConfig.MARKET_COUNT];
    }

    function feed(uint256 index) external view returns (MockV3Aggregator) {
        return feeds[index % SystemConfig.MARKET_COUNT];
    }

    function adapter(uint256 index) external view returns (ChainlinkOracleAdapter) {
        return adapters[index % SystemConfig.MARKET_COUNT];
    }

    /// @notice The validated price of a market, or ok = false while its feed is invalid (stale, ≤ 0, at a bound).
    function tryPrice(uint256 index) public view returns (bool ok, uint256 priceWad, bool isVolatile) {
        try adapters[index % SystemConfig.MARKET_COUNT].latestPrice() returns (uint256 p, bool v) {
            return (true, p, v);
        } catch {
            return (false, 0, false);
        }
    }

    /// @notice True when every market with open interest has a valid price (what vault valuation needs).
    function allPricesValid() external view returns (bool) {
        for (uint256 i; i < SystemConfig.MARKET_COUNT; ++i) {
            (bool ok, , ) = tryPrice(i);
            if (!ok) return false;
        }
        return true;
    }

    function position(address account, uint256 index) external view returns (Position memory) {
        return engine.getPosition(account, ids[index % SystemConfig.MARKET_COUNT]);
    }

    /// @notice True when the account has no open position in any market.
    function isFlat(address account) external view returns (bool) {
        for (uint256 i; i < SystemConfig.MARKET_COUNT; ++i) {
            if (engine.getPosition(account, ids[i]).size != 0) return false;
        }
        return true;
    }

    /// @notice True when liquidations are neither paused nor in the grace period.
    function liquidationsLive() external view returns (bool) {
        return !engine.pauseState().liquidations && block.timestamp >= engine.pauseState().liquidationsResumeAt;
    }

    function isSettled(uint256 index) external view returns (bool) {
        (, uint256 settlementPriceWad) = engine.marketStatus(ids[index % SystemConfig.MARKET_COUNT]);
        return settlementPriceWad != 0;
    }
}
