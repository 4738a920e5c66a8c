// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IERC20Errors} from "@openzeppelin/contracts/interfaces/draft-IERC6093.sol";
import {IAccessControl} from "@openzeppelin/contracts/access/IAccessControl.sol";
import {ERC4626} from "@openzeppelin/contracts/token/ERC20/extensions/ERC4626.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";
import {IPerpEngine} from "../../../contracts/interfaces/IPerpEngine.sol";
import "../../../contracts/oracle/OracleErrors.sol" as OracleErrors;

/// @title ErrorNames
/// @notice Names of the revert selectors the campaign can meet, for the "reverts by reason" report. A selector
/// not listed here is printed as hex (add it when the engine gains an error).
contract ErrorNames {
    bytes4 public constant PANIC = 0x4e487b71;
    bytes4 public constant ERROR_STRING = 0x08c379a0;
    /// @dev How an empty revert (no data) is counted.
    bytes4 public constant EMPTY_REVERT = 0x00000000;

    mapping(bytes4 selector => string) private names;

    constructor() {
        names[PANIC] = "Panic";
        names[ERROR_STRING] = "Error(string)";
        names[EMPTY_REVERT] = "EmptyRevert";
        names[IPerpEngine.ZeroAmount.selector] = "ZeroAmount";
        names[IPerpEngine.MarketNotListed.selector] = "MarketNotListed";
        names[IPerpEngine.MarketAlreadyListed.selector] = "MarketAlreadyListed";
        names[IPerpEngine.TooManyMarkets.selector] = "TooManyMarkets";
        names[IPerpEngine.ParameterOutOfBounds.selector] = "ParameterOutOfBounds";
        names[IPerpEngine.InvalidMarginTier.selector] = "InvalidMarginTier";
        names[IPerpEngine.CollateralDecimalsUnsupported.selector] = "CollateralDecimalsUnsupported";
        names[IPerpEngine.InsufficientFreeBalance.selector] = "InsufficientFreeBalance";
        names[IPerpEngine.InsufficientPositionMargin.selector] = "InsufficientPositionMargin";
        names[IPerpEngine.EmptyAction.selector] = "EmptyAction";
        names[IPerpEngine.NoPosition.selector] = "NoPosition";
        names[IPerpEngine.SlippageExceeded.selector] = "SlippageExceeded";
        names[IPerpEngine.FillPriceNonPositive.selector] = "FillPriceNonPositive";
        names[IPerpEngine.MarketVolatile.selector] = "MarketVolatile";
        names[IPerpEngine.OpenInterestCapExceeded.selector] = "OpenInterestCapExceeded";
        names[IPerpEngine.VaultExposureCapExceeded.selector] = "VaultExposureCapExceeded";
        names[IPerpEngine.InitialMarginNotMet.selector] = "InitialMarginNotMet";
        names[IPerpEngine.MarginBelowMinimum.selector] = "MarginBelowMinimum";
        names[IPerpEngine.MarginRatioDecreased.selector] = "MarginRatioDecreased";
        names[IPerpEngine.PositionBankrupt.selector] = "PositionBankrupt";
        names[IPerpEngine.OnlyVault.selector] = "OnlyVault";
        names[IPerpEngine.VaultAlreadySet.selector] = "VaultAlreadySet";
        names[IPerpEngine.TransferAmountMismatch.selector] = "TransferAmountMismatch";
        names[IPerpEngine.VaultCashInsufficient.selector] = "VaultCashInsufficient";
        names[IPerpEngine.VaultEquityBelowRequirement.selector] = "VaultEquityBelowRequirement";
        names[IPerpEngine.PositionNotLiquidatable.selector] = "PositionNotLiquidatable";
        names[IPerpEngine.ArrayLengthMismatch.selector] = "ArrayLengthMismatch";
        names[IPerpEngine.VaultDeleverageNotNeeded.selector] = "VaultDeleverageNotNeeded";
        names[IPerpEngine.InsuranceWithdrawalExceedsExcess.selector] = "InsuranceWithdrawalExceedsExcess";
        names[IPerpEngine.TradingPaused.selector] = "TradingPaused";
        names[IPerpEngine.LiquidationsPaused.selector] = "LiquidationsPaused";
        names[IPerpEngine.LiquidationGracePeriodActive.selector] = "LiquidationGracePeriodActive";
        names[IPerpEngine.WithdrawalsPaused.selector] = "WithdrawalsPaused";
        names[IPerpEngine.MarketReduceOnly.selector] = "MarketReduceOnly";
        names[IPerpEngine.MarketIsSettled.selector] = "MarketIsSettled";
        names[IPerpEngine.MarketNotSettled.selector] = "MarketNotSettled";
        names[IPerpEngine.MaintenanceRampInProgress.selector] = "MaintenanceRampInProgress";
        names[IPerpEngine.OpenInterestCapNotLowered.selector] = "OpenInterestCapNotLowered";
        names[IPerpEngine.ExecutionDelayActive.selector] = "ExecutionDelayActive";
        names[IPerpEngine.OrdersNotEnabled.selector] = "OrdersNotEnabled";
        names[IPerpEngine.OrderAlreadyPending.selector] = "OrderAlreadyPending";
        names[IPerpEngine.NoPendingOrder.selector] = "NoPendingOrder";
        names[IPerpEngine.OrderNotReady.selector] = "OrderNotReady";
        names[IPerpEngine.OrderExpired.selector] = "OrderExpired";
        names[IPerpEngine.OrderNotExpired.selector] = "OrderNotExpired";
        names[IPerpEngine.PositionChangedSinceCommit.selector] = "PositionChangedSinceCommit";
        names[IPerpEngine.OrderExecutionOutOfGas.selector] = "OrderExecutionOutOfGas";
        names[IPerpEngine.OnlyEngine.selector] = "OnlyEngine";
        names[IPerpEngine.TakerFeeBelowOracleDeviation.selector] = "TakerFeeBelowOracleDeviation";
        names[OracleErrors.SequencerDown.selector] = "SequencerDown";
        names[OracleErrors.SequencerGracePeriodNotOver.selector] = "SequencerGracePeriodNotOver";
        names[OracleErrors.PriceRoundIncomplete.selector] = "PriceRoundIncomplete";
        names[OracleErrors.PriceNonPositive.selector] = "PriceNonPositive";
        names[OracleErrors.PriceAtBound.selector] = "PriceAtBound";
        names[OracleErrors.PriceUpdatedInFuture.selector] = "PriceUpdatedInFuture";
        names[OracleErrors.PriceStale.selector] = "PriceStale";
        names[IERC20Errors.ERC20InsufficientBalance.selector] = "ERC20InsufficientBalance";
        names[IERC20Errors.ERC20InvalidSender.selector] = "ERC20InvalidSender";
        names[IERC20Errors.ERC20InvalidReceiver.selector] = "ERC20InvalidReceiver";
        names[IERC20Errors.ERC20InsufficientAllowance.selector] = "ERC20InsufficientAllowance";
        names[ERC4626.ERC4626ExceededMaxDeposit.selector] = "ERC4626ExceededMaxDeposit";
        names[ERC4626.ERC4626ExceededMaxMint.selector] = "ERC4626ExceededMaxMint";
        names[ERC4626.ERC4626ExceededMaxWithdraw.selector] = "ERC4626ExceededMaxWithdraw";
        names[ERC4626.ERC4626ExceededMaxRedeem.selector] = "ERC4626ExceededMaxRedeem";
        names[IAccessControl.AccessControlUnauthorizedAccount.selector] = "AccessControlUnauthorizedAccount";
        names[SafeERC20.SafeERC20FailedOperation.selector] = "SafeERC20FailedOperation";
        names[ReentrancyGuard.ReentrancyGuardReentrantCall.selector] = "ReentrancyGuardReentrantCall";
    }

    /// @notice The error's name, or its selector in hex when unknown.
    function nameOf(bytes4 selector) external view returns (string memory) {
        string memory name = names[selector];
        if (bytes(name).length != 0) return name;
        bytes memory hexName = new bytes(10);
        bytes16 digits = "0123456789abcdef";
        hexName[0] = "0";
        hexName[1] = "x";
        for (uint256 i; i < 4; ++i) {
            hexName[2 + 2 * i] = digits[uint8(selector[i]) >> 4];
            hexName[3 + 2 * i] = digits[uint8(selector[i]) & 0x0f];
        }
        return string(hexName);
    }

    /// @notice The selector of revert data (EMPTY_REVERT when shorter than 4 bytes).
    function selectorOf(bytes memory reason) external pure returns (bytes4 selector) {
        if (reason.length < 4) return EMPTY_REVERT;
        // The first 4 bytes of the data (Solidity converts only calldata slices to bytes4).
        assembly {
            selector := mload(add(reason, 32))
        }
    }
}
