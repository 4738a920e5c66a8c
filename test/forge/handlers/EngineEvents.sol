// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IPerpEngine} from "../../../contracts/interfaces/IPerpEngine.sol";
import {Vm} from "../utils/Vm.sol";

/// @title EngineEvents
/// @notice Decoding of the engine events the campaign checks. One place to change when an event gains a field
/// (issue 10 adds the vault's share to `Liquidated`).
library EngineEvents {
    /// @notice `IPerpEngine.Liquidated`, every field.
    struct Liquidated {
        address account;
        bytes32 marketId;
        address keeper;
        int256 closedSize;
        uint256 executionPriceWad;
        int256 remainingSize;
        uint256 remainingMarginUsd;
        uint256 penaltyUsd;
        uint256 keeperRewardUsd;
        uint256 deficitUsd;
        uint256 insurancePaidUsd;
        uint256 adlPaidUsd;
        uint256 vaultPaidUsd;
        uint256 socializedUsd;
    }

    function LIQUIDATED() internal pure returns (bytes32) {
        return IPerpEngine.Liquidated.selector;
    }
    function DELEVERAGED() internal pure returns (bytes32) {
        return IPerpEngine.Deleveraged.selector;
    }
    function VAULT_DELEVERAGED() internal pure returns (bytes32) {
        return IPerpEngine.VaultDeleveraged.selector;
    }
    function LOSS_SOCIALIZED() internal pure returns (bytes32) {
        return IPerpEngine.LossSocialized.selector;
    }
    function INSURANCE_KEEPER_TOP_UP() internal pure returns (bytes32) {
        return IPerpEngine.InsuranceKeeperTopUp.selector;
    }
    function INSURANCE_DEFICIT_PAID() internal pure returns (bytes32) {
        return IPerpEngine.InsuranceDeficitPaid.selector;
    }
    function INSURANCE_PENALTY_CREDITED() internal pure returns (bytes32) {
        return IPerpEngine.InsurancePenaltyCredited.selector;
    }
    function INSURANCE_FEE_CREDITED() internal pure returns (bytes32) {
        return IPerpEngine.InsuranceFeeCredited.selector;
    }
    function POSITION_MODIFIED() internal pure returns (bytes32) {
        return IPerpEngine.PositionModified.selector;
    }
    function SETTLED_POSITION_CLOSED() internal pure returns (bytes32) {
        return IPerpEngine.SettledPositionClosed.selector;
    }
    function LIQUIDATION_SKIPPED() internal pure returns (bytes32) {
        return IPerpEngine.LiquidationSkipped.selector;
    }
    function ORDER_COMMITTED() internal pure returns (bytes32) {
        return IPerpEngine.OrderCommitted.selector;
    }

    function ORDER_EXECUTED() internal pure returns (bytes32) {
        return IPerpEngine.OrderExecuted.selector;
    }

    function ORDER_CANCELLED() internal pure returns (bytes32) {
        return IPerpEngine.OrderCancelled.selector;
    }

    /// @dev The non-indexed fields of `Liquidated`, in order (a static tuple decodes as this struct).
    struct LiquidatedData {
        int256 closedSize;
        uint256 executionPriceWad;
        int256 remainingSize;
        uint256 remainingMarginUsd;
        uint256 penaltyUsd;
        uint256 keeperRewardUsd;
        uint256 deficitUsd;
        uint256 insurancePaidUsd;
        uint256 adlPaidUsd;
        uint256 vaultPaidUsd;
        uint256 socializedUsd;
    }

    function liquidated(Vm.Log memory log) internal pure returns (Liquidated memory e) {
        e.account = address(uint160(uint256(log.topics[1])));
        e.marketId = log.topics[2];
        e.keeper = address(uint160(uint256(log.topics[3])));
        LiquidatedData memory d = abi.decode(log.data, (LiquidatedData));
        e.closedSize = d.closedSize;
        e.executionPriceWad = d.executionPriceWad;
        e.remainingSize = d.remainingSize;
        e.remainingMarginUsd = d.remainingMarginUsd;
        e.penaltyUsd = d.penaltyUsd;
        e.keeperRewardUsd = d.keeperRewardUsd;
        e.deficitUsd = d.deficitUsd;
        e.insurancePaidUsd = d.insurancePaidUsd;
        e.adlPaidUsd = d.adlPaidUsd;
        e.vaultPaidUsd = d.vaultPaidUsd;
        e.socializedUsd = d.socializedUsd;
    }

    /// @return deficitUsd, insurancePaidUsd, vaultPaidUsd of `SettledPositionClosed`
    function settledPositionClosed(Vm.Log memory log) internal pure returns (uint256, uint256, uint256) {
        (, , , uint256 deficitUsd, uint256 insurancePaidUsd, uint256 vaultPaidUsd) = abi.decode(
            log.data,
            (int256, uint256, uint256, uint256, uint256, uint256)
        );
        return (deficitUsd, insurancePaidUsd, vaultPaidUsd);
    }

    /// @return account, marketId, size (signed as the position), priceWad
    function deleveraged(Vm.Log memory log) internal pure returns (address, bytes32, int256, uint256) {
        (int256 size, uint256 priceWad, , , , , ) = abi.decode(
            log.data,
            (int256, uint256, int256, int256, uint256, int256, uint256)
        );
        return (address(uint160(uint256(log.topics[1]))), log.topics[2], size, priceWad);
    }

    /// @return marketId, chargedSideIsLong, amountUsd
    function lossSocialized(Vm.Log memory log) internal pure returns (bytes32, bool, uint256) {
        (bool chargedSideIsLong, uint256 amountUsd, , ) = abi.decode(log.data, (bool, uint256, uint256, uint256));
        return (log.topics[1], chargedSideIsLong, amountUsd);
    }

    /// @notice The insurance fund after an insurance event (its last data word).
    function insuranceFundAfter(Vm.Log memory log) internal pure returns (uint256) {
        (, uint256 fundUsd) = abi.decode(log.data, (uint256, uint256));
        return fundUsd;
    }
}
