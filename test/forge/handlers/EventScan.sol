// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {PositionMath} from "../../../contracts/libraries/PositionMath.sol";
import {Vm, vm} from "../utils/Vm.sol";
import {Ghosts} from "../ghosts/Ghosts.sol";
import {InvariantNames} from "../invariants/InvariantNames.sol";
import {CallContext} from "./CallContext.sol";
import {EngineEvents} from "./EngineEvents.sol";

/// @title EventScan
/// @notice Reads the events of one handler call in order and checks the rules that only events show:
/// - waterfall exactness (DESIGN §8, §12.5): every `Liquidated` has insurance + ADL + vault + socialized ==
///   deficit, ADL, the vault and socialization only when the fund (after the keeper top-up) could not cover the
///   deficit, the vault and socialization only once the fund is used up, and ADL never more than deficit − fund
///   (+ 2 wei of rounding); a settled close's insurance + vault == deficit;
/// - ADL touches the right accounts (DESIGN §12.6): a liquidation's `Deleveraged` counterparties are on the side
///   opposite the bankrupt position and in profit at the ADL price, and its `LossSocialized` charges that side;
///   a vault-protection walk (`VaultDeleveraged`) closes only positions in profit at the oracle price.
/// It also counts what the campaign reached (liquidations, ADL, socialization, breaker trips...).
/// @dev Events of one liquidation come in this order: keeper top-up → Deleveraged… → deficit paid → penalty
/// credited → LossSocialized → Liquidated; a vault-protection walk: Deleveraged… → VaultDeleveraged.
library EventScan {
    /// @dev Rounding the ADL target and the bankruptcy price against the bankrupt trader can leave this much.
    uint256 internal constant ADL_ROUNDING_WEI = 2;

    struct Cursor {
        uint256 fundUsd;
        /// @dev The fund a deficit can draw on: after the current liquidation's keeper top-up.
        uint256 availableUsd;
        /// @dev First log of the current liquidation or protection walk.
        uint256 from;
    }

    function scan(Vm.Log[] memory logs, address engine, Ghosts ghosts, CallContext memory ctx) internal {
        Cursor memory c = Cursor({fundUsd: ctx.insuranceFundUsd, availableUsd: ctx.insuranceFundUsd, from: 0});
        for (uint256 i; i < logs.length; ++i) {
            Vm.Log memory log = logs[i];
            if (log.topics.length == 0) continue;
            bytes32 topic = log.topics[0];
            if (log.emitter != engine) continue;
            if (topic == EngineEvents.INSURANCE_KEEPER_TOP_UP()) {
                c.fundUsd = EngineEvents.insuranceFundAfter(log);
                c.availableUsd = c.fundUsd;
                _count(ctx, Ghosts.EventKind.KeeperTopUp);
            } else if (topic == EngineEvents.INSURANCE_DEFICIT_PAID()) {
                c.fundUsd = EngineEvents.insuranceFundAfter(log);
            } else if (
                topic == EngineEvents.INSURANCE_PENALTY_CREDITED() || topic == EngineEvents.INSURANCE_FEE_CREDITED()
            ) {
                c.fundUsd = EngineEvents.insuranceFundAfter(log);
            } else if (topic == EngineEvents.LIQUIDATED()) {
                _checkLiquidation(logs, i, c, engine, ghosts, ctx);
                _boundary(c, i);
            } else if (topic == EngineEvents.VAULT_DELEVERAGED()) {
                _checkProtectionWalk(logs, i, c, engine, ghosts, ctx);
                _count(ctx, Ghosts.EventKind.VaultProtectionWalk);
                _boundary(c, i);
            } else if (topic == EngineEvents.SETTLED_POSITION_CLOSED()) {
                _count(ctx, Ghosts.EventKind.SettledClose);
                _checkSettledSplit(log, ghosts);
                _boundary(c, i);
            } else if (topic == EngineEvents.ORDER_COMMITTED()) {
                _count(ctx, Ghosts.EventKind.OrderCommitted);
            } else if (topic == EngineEvents.ORDER_EXECUTED()) {
                _count(ctx, Ghosts.EventKind.OrderExecuted);
            } else if (topic == EngineEvents.ORDER_CANCELLED()) {
                _count(ctx, Ghosts.EventKind.OrderCancelled);
            } else if (topic == EngineEvents.POSITION_MODIFIED() || topic == EngineEvents.LIQUIDATION_SKIPPED()) {
                _boundary(c, i);
            } else if (topic == EngineEvents.DELEVERAGED()) {
                _count(ctx, Ghosts.EventKind.Deleveraged);
            }
        }
    }

    /// @dev A settled market's close: its deficit is paid by the fund and then the vault, exactly, nothing socialized.
    function _checkSettledSplit(Vm.Log memory log, Ghosts ghosts) private {
        (uint256 deficitUsd, uint256 insurancePaidUsd, uint256 vaultPaidUsd) = EngineEvents.settledPositionClosed(log);
        if (insurancePaidUsd + vaultPaidUsd != deficitUsd) {
            ghosts.recordViolation(
                InvariantNames.WATERFALL_EXACT,
                string.concat("settled close: insurance + vault != deficit ", vm.toString(deficitUsd))
            );
        }
    }

    function _boundary(Cursor memory c, uint256 i) private pure {
        c.from = i + 1;
        c.availableUsd = c.fundUsd;
    }

    function _checkLiquidation(
        Vm.Log[] memory logs,
        uint256 at,
        Cursor memory c,
        address engine,
        Ghosts ghosts,
        CallContext memory ctx
    ) private {
        EngineEvents.Liquidated memory e = EngineEvents.liquidated(logs[at]);
        _countLiquidation(ctx, e);
        uint256 paid = e.insurancePaidUsd + e.adlPaidUsd + e.vaultPaidUsd + e.socializedUsd;
        if (paid != e.deficitUsd) {
            _violation(ghosts, InvariantNames.WATERFALL_EXACT, "insurance + adl + vault + socialized != deficit", e);
        }
        uint256 budgetUsd = e.deficitUsd < c.availableUsd ? e.deficitUsd : c.availableUsd;
        bool beyondFund = e.adlPaidUsd != 0 || e.vaultPaidUsd != 0 || e.socializedUsd != 0;
        if (beyondFund && budgetUsd >= e.deficitUsd) {
            _violation(ghosts, InvariantNames.WATERFALL_EXACT, "ADL/vault/socialized although the fund covered it", e);
        }
        if ((e.vaultPaidUsd != 0 || e.socializedUsd != 0) && e.insurancePaidUsd != c.availableUsd) {
            _violation(ghosts, InvariantNames.WATERFALL_EXACT, "vault/socialized before the fund was used up", e);
        }
        if (e.adlPaidUsd > e.deficitUsd - budgetUsd + ADL_ROUNDING_WEI) {
            _violation(ghosts, InvariantNames.WATERFALL_EXACT, "ADL overshoot: more than deficit - fund", e);
        }
        bool bankruptIsLong = e.closedSize > 0;
        for (uint256 i = c.from; i < at; ++i) {
            Vm.Log memory log = logs[i];
            if (log.emitter != engine || log.topics.length == 0) continue;
            if (log.topics[0] == EngineEvents.DELEVERAGED()) {
                (address account, bytes32 marketId, int256 size, uint256 priceWad) = EngineEvents.deleveraged(log);
                if ((size > 0) == bankruptIsLong) {
                    _violation(ghosts, InvariantNames.BYSTANDERS_UNTOUCHED, "same-side account auto-deleveraged", e);
                }
                if (!_inProfitBefore(ctx, account, marketId, priceWad)) {
                    _violation(ghosts, InvariantNames.BYSTANDERS_UNTOUCHED, "ADL'd account not in profit at B", e);
                }
            } else if (log.topics[0] == EngineEvents.LOSS_SOCIALIZED()) {
                (, bool chargedSideIsLong, uint256 amountUsd) = EngineEvents.lossSocialized(log);
                if (chargedSideIsLong == bankruptIsLong) {
                    _violation(
                        ghosts,
                        InvariantNames.BYSTANDERS_UNTOUCHED,
                        "loss socialized on the bankrupt's own side",
                        e
                    );
                }
                if (amountUsd != e.socializedUsd) {
                    _violation(ghosts, InvariantNames.WATERFALL_EXACT, "LossSocialized amount != socialized", e);
                }
            }
        }
    }

    /// @dev A protection walk closes, at the oracle price, only positions winning against the vault there.
    function _checkProtectionWalk(
        Vm.Log[] memory logs,
        uint256 at,
        Cursor memory c,
        address engine,
        Ghosts ghosts,
        CallContext memory ctx
    ) private {
        for (uint256 i = c.from; i < at; ++i) {
            Vm.Log memory log = logs[i];
            if (log.emitter != engine || log.topics.length == 0) continue;
            if (log.topics[0] != EngineEvents.DELEVERAGED()) continue;
            (address account, bytes32 marketId, , uint256 priceWad) = EngineEvents.deleveraged(log);
            // The actor's own position changed in this call before the walk: its entry before the call is stale.
            if (account == ctx.actor) continue;
            if (!_inProfitBefore(ctx, account, marketId, priceWad)) {
                ghosts.recordViolation(
                    InvariantNames.BYSTANDERS_UNTOUCHED,
                    string.concat(
                        "vault protection closed ",
                        vm.toString(account),
                        ", not in profit at the oracle price"
                    )
                );
            }
        }
    }

    /// @dev Whether `account`'s position before the call was in profit at `priceWad` (true for unknown accounts).
    function _inProfitBefore(
        CallContext memory ctx,
        address account,
        bytes32 marketId,
        uint256 priceWad
    ) private pure returns (bool) {
        uint256 marketCount = ctx.marketIds.length;
        for (uint256 t; t < ctx.traders.length; ++t) {
            if (ctx.traders[t] != account) continue;
            for (uint256 m; m < marketCount; ++m) {
                if (ctx.marketIds[m] != marketId) continue;
                uint256 slot = t * marketCount + m;
                for (uint256 i; i < ctx.namedSlots.length; ++i) {
                    if (ctx.namedSlots[i] != slot) continue;
                    return PositionMath.unrealizedPnlUsd(ctx.sizesBefore[i], ctx.entriesBefore[i], priceWad) > 0;
                }
            }
        }
        return true;
    }

    function _countLiquidation(CallContext memory ctx, EngineEvents.Liquidated memory e) private pure {
        _count(ctx, Ghosts.EventKind.Liquidation);
        if (e.remainingSize != 0) _count(ctx, Ghosts.EventKind.PartialLiquidation);
        if (e.deficitUsd != 0) _count(ctx, Ghosts.EventKind.BankruptLiquidation);
        if (e.insurancePaidUsd != 0) _count(ctx, Ghosts.EventKind.InsurancePaidDeficit);
        if (e.adlPaidUsd != 0) _count(ctx, Ghosts.EventKind.AdlLiquidation);
        if (e.vaultPaidUsd != 0) _count(ctx, Ghosts.EventKind.VaultAbsorbedDeficit);
        if (e.socializedUsd != 0) _count(ctx, Ghosts.EventKind.SocializedLoss);
    }

    function _count(CallContext memory ctx, Ghosts.EventKind kind) internal pure {
        ++ctx.finish.eventCounts[uint256(kind)];
    }

    function _violation(Ghosts ghosts, bytes32 name, string memory what, EngineEvents.Liquidated memory e) private {
        ghosts.recordViolation(
            name,
            string.concat(
                what,
                " (account ",
                vm.toString(e.account),
                " deficit ",
                vm.toString(e.deficitUsd),
                " insurance ",
                vm.toString(e.insurancePaidUsd),
                " adl ",
                vm.toString(e.adlPaidUsd),
                " vault ",
                vm.toString(e.vaultPaidUsd),
                " socialized ",
                vm.toString(e.socializedUsd),
                ")"
            )
        );
    }
}
