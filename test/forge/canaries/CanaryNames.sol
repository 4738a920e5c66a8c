// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {InvariantNames} from "../invariants/InvariantNames.sol";
import {Ghosts} from "../ghosts/Ghosts.sol";

/// @title CanaryNames
/// @notice Every canary (`FORGE_CANARY=<name>`) and the invariant it must break. See Canaries.sol and
/// test/forge/README.md ("Canaries").
library CanaryNames {
    // ── state mutants (Canaries.mutate writes one field of the engine) ──
    /// @dev One token leaves the engine with no withdrawal booked.
    bytes32 internal constant LEAK_TOKEN = "leakToken";
    /// @dev One token appears in the engine that no handler sent (nobody is credited, no donation recorded).
    bytes32 internal constant MINT_TO_ENGINE = "mintToEngine";
    /// @dev A free balance underflows to 2^256 − 1e18 (a "negative" balance stored unsigned).
    bytes32 internal constant WRAPPED_BALANCE = "wrappedBalance";
    /// @dev A position's size moves by 1 wei without the market's totals.
    bytes32 internal constant SIZE_DRIFT = "sizeDrift";
    /// @dev A position's entry moves by $1 without the vault's aggregate (equity appears from nowhere).
    bytes32 internal constant ENTRY_DRIFT = "entryDrift";
    /// @dev Σ size × funding snapshot moves by $1: the vault counts funding nobody owes.
    bytes32 internal constant FUNDING_AGGREGATE_DRIFT = "fundingAggregateDrift";
    /// @dev The guardian's free balance changes by 1 wei with no event.
    bytes32 internal constant SILENT_BALANCE_CHANGE = "silentBalanceChange";
    /// @dev The head of an ADL queue gets $1M of margin (from the vault's cash) without being re-keyed.
    bytes32 internal constant STALE_ADL_KEY = "staleAdlKey";
    /// @dev The vault's cash drops by $100M: its equity goes negative.
    bytes32 internal constant INSOLVENT_VAULT = "insolventVault";

    // ── behaviour mutants (a point in a handler, HandlerBase.canary) ──
    /// @dev The insurance fund is drained between the keeper's view of it and a bankrupt liquidation.
    bytes32 internal constant DRAINED_FUND = "drainedFund";
    /// @dev A healthy position's margin vanishes just before the keeper's call: the engine liquidates it.
    bytes32 internal constant HEALTHY_LIQUIDATED = "healthyLiquidated";
    /// @dev The keeper's sweep leaves out the last liquidatable position of each round.
    bytes32 internal constant SWEEP_SKIPS_ONE = "sweepSkipsOne";
    /// @dev After a liquidation, the opposite side is charged without a LossSocialized event.
    bytes32 internal constant BYSTANDER_CHARGED = "bystanderCharged";
    /// @dev An opening's margin is booked at 1 wei.
    bytes32 internal constant MARGIN_BOOKED_SHORT = "marginBookedShort";
    /// @dev Withdrawals are paused between the handler's look and the withdrawal.
    bytes32 internal constant UNANNOUNCED_PAUSE = "unannouncedPause";
    /// @dev A trade of 2^254 units: the engine's math overflows (a Panic, a revert no handler expects).
    bytes32 internal constant ABSURD_SIZE = "absurdSize";

    // ── reachability canaries ("the campaign never reaches X") ──
    bytes32 internal constant REACH_LIQUIDATION = "reachLiquidation";
    bytes32 internal constant REACH_PARTIAL_LIQUIDATION = "reachPartialLiquidation";
    bytes32 internal constant REACH_BANKRUPTCY = "reachBankruptcy";
    bytes32 internal constant REACH_INSURANCE_PAYOUT = "reachInsurancePayout";
    bytes32 internal constant REACH_ADL = "reachAdl";
    bytes32 internal constant REACH_VAULT_ABSORBS = "reachVaultAbsorbs";
    bytes32 internal constant REACH_SOCIALIZED_LOSS = "reachSocializedLoss";
    bytes32 internal constant REACH_BREAKER_TRIP = "reachBreakerTrip";
    bytes32 internal constant REACH_VAULT_PROTECTION = "reachVaultProtection";
    bytes32 internal constant REACH_ORDER_EXECUTED = "reachOrderExecuted";
    bytes32 internal constant REACH_ORDER_CANCELLED = "reachOrderCancelled";

    /// @notice The invariant a canary must break (bytes32(0) for an unknown name).
    function targetOf(bytes32 canary) internal pure returns (bytes32) {
        if (canary == LEAK_TOKEN) return InvariantNames.CONSERVATION;
        if (canary == MINT_TO_ENGINE) return InvariantNames.TOKEN_FLOWS;
        if (canary == WRAPPED_BALANCE) return InvariantNames.NO_NEGATIVE_BALANCE;
        if (canary == SIZE_DRIFT) return InvariantNames.SIZES_SUM_TO_ZERO;
        if (canary == ENTRY_DRIFT) return InvariantNames.ZERO_SUM_EQUITY;
        if (canary == FUNDING_AGGREGATE_DRIFT) return InvariantNames.FUNDING_ZERO_SUM;
        if (canary == SILENT_BALANCE_CHANGE) return InvariantNames.BYSTANDERS_UNTOUCHED;
        if (canary == STALE_ADL_KEY) return InvariantNames.ADL_ORDER;
        if (canary == INSOLVENT_VAULT) return InvariantNames.VAULT_SOLVENT;
        if (canary == ABSURD_SIZE) return InvariantNames.NO_UNEXPECTED_REVERT;
        if (canary == DRAINED_FUND) return InvariantNames.WATERFALL_EXACT;
        if (canary == HEALTHY_LIQUIDATED) return InvariantNames.LIQUIDATION_IFF_UNHEALTHY;
        if (canary == SWEEP_SKIPS_ONE) return InvariantNames.SWEEP_LEAVES_NONE;
        if (canary == BYSTANDER_CHARGED) return InvariantNames.NO_BYSTANDER_BELOW_ZERO;
        if (canary == MARGIN_BOOKED_SHORT) return InvariantNames.INITIAL_MARGIN;
        if (canary == UNANNOUNCED_PAUSE) return InvariantNames.LIVENESS;
        if (isReachability(canary)) return InvariantNames.CANARY;
        return bytes32(0);
    }

    function isStateMutant(bytes32 canary) internal pure returns (bool) {
        return
            canary == LEAK_TOKEN ||
            canary == MINT_TO_ENGINE ||
            canary == WRAPPED_BALANCE ||
            canary == SIZE_DRIFT ||
            canary == ENTRY_DRIFT ||
            canary == FUNDING_AGGREGATE_DRIFT ||
            canary == SILENT_BALANCE_CHANGE ||
            canary == STALE_ADL_KEY ||
            canary == INSOLVENT_VAULT;
    }

    function isReachability(bytes32 canary) internal pure returns (bool) {
        return _isReachName(canary);
    }

    /// @notice The event kind a reachability canary watches.
    function eventOf(bytes32 canary) internal pure returns (Ghosts.EventKind) {
        if (canary == REACH_LIQUIDATION) return Ghosts.EventKind.Liquidation;
        if (canary == REACH_PARTIAL_LIQUIDATION) return Ghosts.EventKind.PartialLiquidation;
        if (canary == REACH_BANKRUPTCY) return Ghosts.EventKind.BankruptLiquidation;
        if (canary == REACH_INSURANCE_PAYOUT) return Ghosts.EventKind.InsurancePaidDeficit;
        if (canary == REACH_ADL) return Ghosts.EventKind.AdlLiquidation;
        if (canary == REACH_VAULT_ABSORBS) return Ghosts.EventKind.VaultAbsorbedDeficit;
        if (canary == REACH_SOCIALIZED_LOSS) return Ghosts.EventKind.SocializedLoss;
        if (canary == REACH_BREAKER_TRIP) return Ghosts.EventKind.BreakerTrip;
        if (canary == REACH_VAULT_PROTECTION) return Ghosts.EventKind.VaultProtectionWalk;
        if (canary == REACH_ORDER_EXECUTED) return Ghosts.EventKind.OrderExecuted;
        return Ghosts.EventKind.OrderCancelled;
    }

    function _isReachName(bytes32 canary) private pure returns (bool) {
        return
            canary == REACH_LIQUIDATION ||
            canary == REACH_PARTIAL_LIQUIDATION ||
            canary == REACH_BANKRUPTCY ||
            canary == REACH_INSURANCE_PAYOUT ||
            canary == REACH_ADL ||
            canary == REACH_VAULT_ABSORBS ||
            canary == REACH_SOCIALIZED_LOSS ||
            canary == REACH_BREAKER_TRIP ||
            canary == REACH_VAULT_PROTECTION ||
            canary == REACH_ORDER_EXECUTED ||
            canary == REACH_ORDER_CANCELLED;
    }
}
