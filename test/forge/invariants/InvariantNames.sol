// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title InvariantNames
/// @notice One name per invariant (DESIGN §12 and issue 17): a violation is recorded and reported under it, and the
/// canary runner expects a canary's failure to name its invariant.
library InvariantNames {
    bytes32 internal constant CONSERVATION = "invariant_conservation";
    bytes32 internal constant TOKEN_FLOWS = "invariant_tokenFlows";
    bytes32 internal constant NO_NEGATIVE_BALANCE = "invariant_noNegativeBalance";
    bytes32 internal constant SIZES_SUM_TO_ZERO = "invariant_sizesSumToZero";
    bytes32 internal constant ZERO_SUM_EQUITY = "invariant_zeroSumEquity";
    bytes32 internal constant WATERFALL_EXACT = "invariant_waterfallExact";
    bytes32 internal constant BYSTANDERS_UNTOUCHED = "invariant_bystandersUntouched";
    bytes32 internal constant NO_BYSTANDER_BELOW_ZERO = "invariant_noBystanderBelowZero";
    bytes32 internal constant LIQUIDATION_IFF_UNHEALTHY = "invariant_liquidateIffUnhealthy";
    bytes32 internal constant SWEEP_LEAVES_NONE = "invariant_keeperSweepComplete";
    bytes32 internal constant INITIAL_MARGIN = "invariant_imAfterValueRemoval";
    bytes32 internal constant FUNDING_ZERO_SUM = "invariant_fundingZeroSum";
    bytes32 internal constant LIVENESS = "invariant_liveness";
    bytes32 internal constant ADL_ORDER = "invariant_adlOrder";
    bytes32 internal constant VAULT_SOLVENT = "invariant_vaultSolvent";
    bytes32 internal constant NO_UNEXPECTED_REVERT = "invariant_noUnexpectedRevert";
    /// @dev Reachability canaries ("the campaign never reaches X"), which must fail (see test/forge/canaries).
    bytes32 internal constant CANARY = "canary_reached";
}
