// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {PositionStore} from "./libraries/PositionStore.sol";
import {IERC20, IERC20Metadata} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Metadata.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";

import {IPerpEngine} from "./interfaces/IPerpEngine.sol";
import {IPriceOracle} from "./interfaces/IPriceOracle.sol";
import {
    MarginTier,
    MarketParams,
    Position,
    MarketState,
    AdlConfig,
    PauseState,
    GovernanceConfig,
    MaintenanceRamp,
    Order
} from "./interfaces/IPerpTypes.sol";
import {PositionMath} from "./libraries/PositionMath.sol";
import {SignedMath} from "./libraries/SignedMath.sol";
import {EngineState, MarketConfig} from "./libraries/EngineStorage.sol";
import {MarketLogic} from "./libraries/MarketLogic.sol";
import {LiquidationLogic} from "./liquidation/LiquidationLogic.sol";
import {AdlLogic} from "./adl/AdlLogic.sol";
import {MarketAdminLogic} from "./governance/MarketAdminLogic.sol";
import {OrderLogic} from "./orders/OrderLogic.sol";
import {
    BPS,
    INTERNAL_DECIMALS,
    DEFAULT_LIQUIDATION_GRACE_SECONDS,
    DEFAULT_MAINTENANCE_RAMP_SECONDS,
    VAULT_PROTECTION_STEPS_PER_ACTION
} from "./libraries/Constants.sol";

/// @title PerpEngine
/// @notice The core of the protocol: collateral accounts, isolated-margin st.positions traded against the
/// liquidity vault, and lazily accrued funding. Sections follow the order a user meets them:
/// ACCOUNTS → TRADING → FUNDING → VAULT → MARKET LISTING → VIEWS.
/// @dev Accounting identity (tested): collateral.balanceOf(this) × collateralScale ==
/// Σ free balances + Σ position margins + st.vaultCashUsd + st.insuranceFundUsd + donations.
/// Every value moved between these buckets is moved exactly; rounding only decides how much moves,
/// always in the protocol's favour. Trust assumptions per market are listed on `listMarket`.
contract PerpEngine is IPerpEngine, AccessControl, ReentrancyGuardTransient {
    using SafeERC20 for IERC20;
    using SignedMath for int256;

    /// @dev The inputs and settled state of one owner action, kept in memory to bound stack depth.
    struct ActionContext {
        address account;
        bytes32 marketId;
        int256 sizeDelta;
        int256 marginDelta;
        uint256 priceWad;
        bool isVolatile;
        int256 fundingPaidUsd;
        uint256 lossPaidUsd;
    }

    /// @dev What one trade did, kept in memory to keep `_applyAction` readable.
    struct TradeResult {
        uint256 fillPriceWad;
        uint256 feeUsd;
        uint256 insuranceFeeUsd;
        int256 realizedPnlUsd;
        int256 openedSize;
        uint256 newEntryPriceWad;
        int256 newSize;
    }

    /// @inheritdoc IPerpEngine
    IERC20 public immutable collateral;
    /// @notice 10^(18 − token decimals): multiplies token units into internal USD (1e18) units.
    uint256 public immutable collateralScale;

    /// @notice Holders may pause and take risk-reducing actions (a multisig); they can never unpause,
    /// loosen risk or move funds.
    bytes32 public constant GUARDIAN_ROLE = keccak256("GUARDIAN_ROLE");

    /// @dev All mutable state; see EngineStorage.sol.
    EngineState internal st;

    modifier onlyGuardianOrAdmin() {
        _checkGuardianOrAdmin();
        _;
    }

    modifier onlyVault() {
        if (msg.sender != st.vault) revert OnlyVault(msg.sender);
        _;
    }

    /// @param collateralToken A USD stablecoin with at most 18 decimals. Fee-on-transfer tokens are
    /// credited by balance delta; rebasing tokens are not supported.
    /// @param admin Holder of DEFAULT_ADMIN_ROLE: a TimelockController on live networks (lists markets,
    /// changes parameters, unpauses, grants GUARDIAN_ROLE).
    constructor(IERC20Metadata collateralToken, address admin) {
        uint8 decimals = collateralToken.decimals();
        if (decimals > INTERNAL_DECIMALS) revert CollateralDecimalsUnsupported(decimals);
        collateral = collateralToken;
        collateralScale = 10 ** (INTERNAL_DECIMALS - decimals);
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        MarketAdminLogic.setGovernanceConfig(
            st,
            GovernanceConfig({
                liquidationGracePeriodSeconds: DEFAULT_LIQUIDATION_GRACE_SECONDS,
                maintenanceRampSeconds: DEFAULT_MAINTENANCE_RAMP_SECONDS
            })
        );
    }

    // ═════════════════════════════ ACCOUNTS ═════════════════════════════

    /// @inheritdoc IPerpEngine
    function deposit(uint256 tokenAmount) external nonReentrant {
        if (tokenAmount == 0) revert ZeroAmount();
        // The pull must precede the credit: only the balance delta is credited.
        uint256 received = _pullCollateral(msg.sender, tokenAmount);
        if (received == 0) revert ZeroAmount();
        uint256 creditedUsd = received * collateralScale;
        st.freeBalances[msg.sender] += creditedUsd;
        emit Deposited(msg.sender, received, creditedUsd);
    }

    /// @inheritdoc IPerpEngine
    function withdraw(uint256 tokenAmount) external nonReentrant {
        if (tokenAmount == 0) revert ZeroAmount();
        if (st.pauses.withdrawals) revert WithdrawalsPaused();
        uint256 debitedUsd = tokenAmount * collateralScale;
        _debitFree(msg.sender, debitedUsd);
        emit Withdrawn(msg.sender, tokenAmount, debitedUsd);
        collateral.safeTransfer(msg.sender, tokenAmount);
    }

    // ═════════════════════════════ TRADING ═════════════════════════════

    /// @inheritdoc IPerpEngine
    function modifyPosition(
        bytes32 marketId,
        int256 sizeDelta,
        int256 marginDelta,
        uint256 acceptablePrice
    ) external nonReentrant {
        if (sizeDelta == 0) {
            if (marginDelta == 0) revert EmptyAction();
            if (st.positions[marketId][msg.sender].size == 0) revert NoPosition(msg.sender, marketId);
        }
        // Adding margin only lowers risk, so it stays instant in a market with delayed orders.
        if (sizeDelta != 0 || marginDelta < 0) _checkInstantTrading(marketId);
        _applyAction(msg.sender, marketId, sizeDelta, marginDelta, acceptablePrice);
        _protectVault(marketId);
    }

    /// @inheritdoc IPerpEngine
    function closePosition(bytes32 marketId, uint256 acceptablePrice) external nonReentrant {
        int256 size = st.positions[marketId][msg.sender].size;
        if (size == 0) revert NoPosition(msg.sender, marketId);
        _checkInstantTrading(marketId);
        _applyAction(msg.sender, marketId, -size, 0, acceptablePrice);
        _protectVault(marketId);
    }

    /// @dev A market with an execution delay trades only through orders.
    function _checkInstantTrading(bytes32 marketId) internal view {
        uint256 delaySeconds = st.marketConfigs[marketId].params.executionDelaySeconds;
        if (delaySeconds != 0) revert ExecutionDelayActive(marketId, delaySeconds);
    }

    // ═════════════════════════════ ORDERS ═════════════════════════════

    /// @inheritdoc IPerpEngine
    function commitOrder(
        bytes32 marketId,
        int256 sizeDelta,
        int256 marginDelta,
        uint256 acceptablePrice
    ) external nonReentrant {
        OrderLogic.commitOrder(st, msg.sender, marketId, sizeDelta, marginDelta, acceptablePrice);
    }

    /// @inheritdoc IPerpEngine
    function executeOrder(address account, bytes32 marketId) external nonReentrant {
        (Order memory order, bytes memory cancelReason) = OrderLogic.takeForExecution(st, account, marketId);
        if (cancelReason.length == 0) {
            try
                this.executeOrderTrade(
                    account,
                    marketId,
                    msg.sender,
                    order.sizeDelta,
                    order.marginDeltaUsd,
                    order.acceptablePriceWad,
                    order.executionFeeUsd
                )
            {} catch (bytes memory reason) {
                // Every engine failure carries a custom error; only running out of gas leaves no data, and that
                // is the executor's doing, not the order's: revert so the order stays pending.
                if (reason.length == 0) revert OrderExecutionOutOfGas(account, marketId);
                cancelReason = reason;
            }
        }
        OrderLogic.finishExecution(st, account, marketId, msg.sender, order, cancelReason);
    }

    /// @notice The trade of an order, run by `executeOrder` through an external self-call so that its revert
    /// cancels the order instead of failing the execution. Only the engine may call it.
    function executeOrderTrade(
        address account,
        bytes32 marketId,
        address executor,
        int256 sizeDelta,
        int256 marginDelta,
        uint256 acceptablePrice,
        uint256 executionFeeUsd
    ) external {
        if (msg.sender != address(this)) revert OnlyEngine(msg.sender);
        if (sizeDelta == 0 && st.positions[marketId][account].size == 0) revert NoPosition(account, marketId);
        TradeResult memory trade = _applyAction(account, marketId, sizeDelta, marginDelta, acceptablePrice);
        _protectVault(marketId);
        emit OrderExecuted(
            account,
            marketId,
            executor,
            sizeDelta,
            trade.fillPriceWad,
            trade.feeUsd,
            trade.newSize,
            executionFeeUsd
        );
    }

    /// @inheritdoc IPerpEngine
    function cancelOrder(address account, bytes32 marketId) external nonReentrant {
        OrderLogic.cancelOrder(st, account, marketId, msg.sender);
    }

    /// @dev Runs a few vault-protection steps when the vault's loss in the market is over its upper threshold,
    /// so the vault's safety does not rest on keepers alone (see AdlLogic.protectVaultAfterAction).
    function _protectVault(bytes32 marketId) internal {
        uint256 steps = st.adlConfig.maxSteps;
        if (steps > VAULT_PROTECTION_STEPS_PER_ACTION) steps = VAULT_PROTECTION_STEPS_PER_ACTION;
        AdlLogic.protectVaultAfterAction(st, marketId, steps);
    }

    /// @dev The one path every owner action takes: validate → read price → accrue funding → settle the
    /// position's funding → move margin in → trade → move margin out → checks → store → emit.
    function _applyAction(
        address account,
        bytes32 marketId,
        int256 sizeDelta,
        int256 marginDelta,
        uint256 acceptablePrice
    ) internal returns (TradeResult memory trade) {
        MarketConfig storage config = MarketLogic.listedMarket(st, marketId);
        if (config.settlementPriceWad != 0) revert MarketIsSettled(marketId);
        ActionContext memory ctx;
        ctx.account = account;
        ctx.marketId = marketId;
        ctx.sizeDelta = sizeDelta;
        ctx.marginDelta = marginDelta;
        (ctx.priceWad, ctx.isVolatile) = MarketLogic.readPrice(marketId, config);
        MarketState storage state = st.marketStates[marketId];
        MarketLogic.accrueFunding(state, config, marketId, ctx.priceWad);

        Position memory old = PositionStore.load(st.positions[marketId][account]);
        (ctx.fundingPaidUsd, ctx.lossPaidUsd) = MarketLogic.owedUsd(state, old, state.fundingIndexWad);
        int256 marginUsd = int256(old.marginUsd) - ctx.fundingPaidUsd - int256(ctx.lossPaidUsd);
        int256 vaultCashDeltaUsd = ctx.fundingPaidUsd + int256(ctx.lossPaidUsd);

        if (marginDelta > 0) {
            _debitFree(account, uint256(marginDelta));
            marginUsd += marginDelta;
        }

        if (sizeDelta != 0) {
            trade = _trade(config.params, state.netSize, old, sizeDelta, ctx.priceWad, acceptablePrice);
            marginUsd += trade.realizedPnlUsd - int256(trade.feeUsd);
            vaultCashDeltaUsd += int256(trade.feeUsd - trade.insuranceFeeUsd) - trade.realizedPnlUsd;
        } else {
            trade.newEntryPriceWad = old.entryPriceWad;
        }
        marginUsd = _moveMarginOut(ctx, marginUsd);

        Position memory updated = Position({
            size: old.size + sizeDelta,
            entryPriceWad: trade.newEntryPriceWad,
            marginUsd: uint256(marginUsd),
            fundingIndexSnapshotWad: state.fundingIndexWad,
            lossIndexSnapshotWad: MarketLogic.lossIndexWad(state, old.size + sizeDelta)
        });
        if (updated.size == 0) {
            // Closed: all remaining margin returns to the free balance.
            st.freeBalances[account] += updated.marginUsd;
            updated.marginUsd = 0;
            updated.fundingIndexSnapshotWad = 0;
        } else {
            _checkAction(ctx, config, old, updated, trade.openedSize);
        }

        _storePosition(state, ctx, old, updated);
        st.vaultCashUsd += vaultCashDeltaUsd;
        if (trade.insuranceFeeUsd != 0) {
            st.insuranceFundUsd += trade.insuranceFeeUsd;
            emit InsuranceFeeCredited(marketId, trade.insuranceFeeUsd, st.insuranceFundUsd);
        }
        if (trade.openedSize != 0 && _vaultExposureGrew(state.netSize, sizeDelta)) {
            _checkVaultExposure(marketId, config.params, state.netSize, ctx.priceWad);
        }
        _emitPositionModified(ctx, trade, updated);
        trade.newSize = updated.size;
    }

    /// @dev Writes the position, folds it into the market totals and re-ranks it in the ADL queues.
    function _storePosition(
        MarketState storage state,
        ActionContext memory ctx,
        Position memory old,
        Position memory updated
    ) internal {
        MarketLogic.updateMarketTotals(state, old, updated, ctx.sizeDelta);
        PositionStore.store(st.positions[ctx.marketId][ctx.account], updated);
        AdlLogic.rekey(st, ctx.marketId, ctx.account, old.size, updated);
    }

    /// @dev Moves `-marginDelta` from the position to the free balance; the position must hold it and
    /// may never end with negative margin (a bankrupt position can only be liquidated).
    function _moveMarginOut(ActionContext memory ctx, int256 marginUsd) internal returns (int256) {
        if (ctx.marginDelta < 0) {
            uint256 removedUsd = uint256(-ctx.marginDelta);
            if (marginUsd < int256(removedUsd)) {
                revert InsufficientPositionMargin(ctx.account, ctx.marketId, marginUsd, removedUsd);
            }
            marginUsd -= int256(removedUsd);
            st.freeBalances[ctx.account] += removedUsd;
        }
        if (marginUsd < 0) revert PositionBankrupt(ctx.account, ctx.marketId, marginUsd);
        return marginUsd;
    }

    function _emitPositionModified(
        ActionContext memory ctx,
        TradeResult memory trade,
        Position memory updated
    ) internal {
        emit PositionModified(
            ctx.account,
            ctx.marketId,
            ctx.sizeDelta,
            trade.fillPriceWad,
            trade.feeUsd,
            trade.realizedPnlUsd,
            ctx.fundingPaidUsd,
            ctx.lossPaidUsd,
            ctx.marginDelta,
            updated.size,
            updated.marginUsd,
            updated.entryPriceWad
        );
    }

    /// @dev Prices a trade against the vault and splits it into the closed part (realising PnL at the
    /// fill) and the opened part (averaged into the entry price).
    function _trade(
        MarketParams storage params,
        int256 skew,
        Position memory old,
        int256 sizeDelta,
        uint256 priceWad,
        uint256 acceptablePrice
    ) internal view returns (TradeResult memory trade) {
        int256 fill = PositionMath.fillPriceWad(priceWad, skew, sizeDelta, params.skewScale);
        if (fill <= 0) revert FillPriceNonPositive(fill);
        trade.fillPriceWad = uint256(fill);
        if (sizeDelta > 0 ? trade.fillPriceWad > acceptablePrice : trade.fillPriceWad < acceptablePrice) {
            revert SlippageExceeded(trade.fillPriceWad, acceptablePrice);
        }
        trade.feeUsd = PositionMath.takerFeeUsd(sizeDelta, trade.fillPriceWad, params.takerFeeBps);
        trade.insuranceFeeUsd = (trade.feeUsd * params.insuranceFeeShareBps) / BPS;

        // closedSize has the sign of the old position; the rest of sizeDelta opens new exposure.
        int256 closedSize;
        if (old.size != 0 && (old.size > 0) != (sizeDelta > 0)) {
            closedSize = sizeDelta.abs() >= old.size.abs() ? old.size : -sizeDelta;
            trade.realizedPnlUsd = PositionMath.unrealizedPnlUsd(closedSize, old.entryPriceWad, trade.fillPriceWad);
        }
        trade.openedSize = sizeDelta + closedSize;

        int256 remainingOldSize = old.size - closedSize;
        if (trade.openedSize == 0) {
            trade.newEntryPriceWad = remainingOldSize == 0 ? 0 : old.entryPriceWad;
        } else if (remainingOldSize == 0) {
            trade.newEntryPriceWad = trade.fillPriceWad;
        } else {
            trade.newEntryPriceWad = PositionMath.increasedEntryPriceWad(
                old.size,
                old.entryPriceWad,
                trade.openedSize,
                trade.fillPriceWad
            );
        }
    }

    /// @dev Health rules for a position that stays open (DESIGN §4):
    /// - new exposure (open, increase, flip): not volatile, OI cap, initial margin, minimum margin;
    /// - margin removal: initial margin without unrealised profit, minimum margin;
    /// - a pure reduce: allowed when it does not lower the margin ratio or when initial margin holds.
    function _checkAction(
        ActionContext memory ctx,
        MarketConfig storage config,
        Position memory old,
        Position memory updated,
        int256 openedSize
    ) internal view {
        // New exposure and margin removal are what the pause switch, reduce-only and the deviation breaker
        // stop (a suspect price may hide a loss); reducing, closing and adding margin always work.
        if (openedSize != 0 || ctx.marginDelta < 0) {
            if (st.pauses.trading) revert TradingPaused();
            if (config.reduceOnly) revert MarketReduceOnly(ctx.marketId);
            if (ctx.isVolatile) revert MarketVolatile(ctx.marketId);
        }
        if (openedSize != 0) _checkOpenInterestCap(ctx.marketId, config.params, old.size, updated.size);
        bool enforceInitial = openedSize != 0 || ctx.marginDelta < 0;
        bool meetsInitial = _meetsInitialMargin(ctx, config, updated, enforceInitial);
        if (!enforceInitial && !meetsInitial && ctx.sizeDelta != 0) {
            // A pure reduce of a position below initial margin: the margin ratio must not fall.
            // Cross-multiplied: newEquity / newNotional >= oldEquity / oldNotional.
            int256 oldEquity =
                int256(old.marginUsd) -
                    ctx.fundingPaidUsd -
                    int256(ctx.lossPaidUsd) +
                    PositionMath.unrealizedPnlUsd(old.size, old.entryPriceWad, ctx.priceWad);
            int256 newEquity =
                int256(updated.marginUsd) +
                    PositionMath.unrealizedPnlUsd(updated.size, updated.entryPriceWad, ctx.priceWad);
            int256 oldNotional = int256(PositionMath.notionalUsd(old.size, ctx.priceWad));
            int256 newNotional = int256(PositionMath.notionalUsd(updated.size, ctx.priceWad));
            if (newEquity * oldNotional < oldEquity * newNotional) {
                revert MarginRatioDecreased(ctx.account, ctx.marketId);
            }
        }
    }

    /// @dev Initial-margin test counting unrealised losses but never unrealised profit. When `enforce`
    /// is set, reverts instead of returning false (and also enforces the minimum margin).
    function _meetsInitialMargin(
        ActionContext memory ctx,
        MarketConfig storage config,
        Position memory updated,
        bool enforce
    ) internal view returns (bool meets) {
        int256 pnlUsd = PositionMath.unrealizedPnlUsd(updated.size, updated.entryPriceWad, ctx.priceWad);
        int256 equityWithoutProfitUsd = int256(updated.marginUsd) + SignedMath.min(pnlUsd, 0);
        uint256 requiredUsd = PositionMath.initialRequirementUsd(
            st.marginTiers[ctx.marketId],
            PositionMath.notionalUsd(updated.size, ctx.priceWad),
            config.params.keeperRewardUsd
        );
        meets = equityWithoutProfitUsd >= int256(requiredUsd);
        if (enforce) {
            if (!meets) revert InitialMarginNotMet(ctx.account, ctx.marketId, equityWithoutProfitUsd, requiredUsd);
            uint256 minimumUsd = config.params.minPositionMarginUsd;
            if (updated.marginUsd < minimumUsd) {
                revert MarginBelowMinimum(ctx.account, ctx.marketId, updated.marginUsd, minimumUsd);
            }
        }
    }

    /// @dev Open interest of the new position's side after the action (this position's old size on that
    /// side replaced by its new size) may not exceed the cap.
    function _checkOpenInterestCap(
        bytes32 marketId,
        MarketParams storage params,
        int256 oldSize,
        int256 newSize
    ) internal view {
        MarketState storage state = st.marketStates[marketId];
        bool isLong = newSize > 0;
        uint256 sideOpenInterest = isLong ? state.longOpenInterest : state.shortOpenInterest;
        if ((oldSize > 0) == isLong && oldSize != 0) sideOpenInterest -= oldSize.abs();
        uint256 projected = sideOpenInterest + newSize.abs();
        uint256 cap = params.maxOpenInterestPerSide;
        if (projected > cap) revert OpenInterestCapExceeded(marketId, projected, cap);
    }

    function _vaultExposureGrew(int256 netSizeAfter, int256 sizeDelta) internal pure returns (bool) {
        return (netSizeAfter - sizeDelta).abs() < netSizeAfter.abs();
    }

    /// @dev The vault's net exposure in a market, |skew| × price, may not exceed its cap in bps of vault
    /// equity (valued as for withdrawals: unrealised gains excluded).
    function _checkVaultExposure(
        bytes32 marketId,
        MarketParams storage params,
        int256 netSize,
        uint256 priceWad
    ) internal view {
        uint256 exposureUsd = PositionMath.notionalUsd(netSize, priceWad);
        int256 equityUsd = MarketLogic.vaultEquityUsd(st, false);
        uint256 capUsd = equityUsd <= 0 ? 0 : (uint256(equityUsd) * params.maxVaultExposureBps) / BPS;
        if (exposureUsd > capUsd) revert VaultExposureCapExceeded(marketId, exposureUsd, capUsd);
    }

    // ═════════════════════════════ FUNDING ═════════════════════════════

    /// @inheritdoc IPerpEngine
    function pokeFunding(bytes32 marketId) external nonReentrant {
        MarketConfig storage config = MarketLogic.listedMarket(st, marketId);
        (uint256 priceWad, ) = MarketLogic.readPrice(marketId, config);
        MarketLogic.accrueFunding(st.marketStates[marketId], config, marketId, priceWad);
        _protectVault(marketId);
    }

    // ═════════════════════════════ LIQUIDATION ═════════════════════════════

    /// @inheritdoc IPerpEngine
    function liquidate(address account, bytes32 marketId) external nonReentrant {
        _checkLiquidationsLive();
        LiquidationLogic.liquidate(st, account, marketId, msg.sender);
    }

    /// @inheritdoc IPerpEngine
    function liquidateMany(
        address[] calldata accounts,
        bytes32[] calldata marketIds_
    ) external nonReentrant returns (bool[] memory liquidated) {
        _checkLiquidationsLive();
        return LiquidationLogic.liquidateMany(st, accounts, marketIds_, msg.sender);
    }

    /// @dev Liquidations stop while paused and during the grace period after unpausing, so positions that
    /// turned unhealthy while they could not be liquidated get time to add margin or close.
    function _checkLiquidationsLive() internal view {
        if (st.pauses.liquidations) revert LiquidationsPaused();
        uint256 resumeAt = st.pauses.liquidationsResumeAt;
        if (block.timestamp < resumeAt) revert LiquidationGracePeriodActive(resumeAt);
    }

    // ═════════════════════════════ AUTO-DELEVERAGING ═════════════════════════════

    /// @inheritdoc IPerpEngine
    function deleverageVault(bytes32 marketId, uint256 maxSteps) external nonReentrant {
        if (maxSteps == 0) revert ZeroAmount();
        // Not held back by the grace period after unpausing: that protects unhealthy positions, and this only
        // closes profitable ones to keep the vault solvent.
        if (st.pauses.liquidations) revert LiquidationsPaused();
        AdlLogic.deleverageVault(st, marketId, maxSteps);
    }

    /// @inheritdoc IPerpEngine
    function setAdlConfig(AdlConfig calldata config) external onlyRole(DEFAULT_ADMIN_ROLE) {
        MarketAdminLogic.setAdlConfig(st, config);
    }

    // ═════════════════════════════ INSURANCE FUND ═════════════════════════════

    /// @inheritdoc IPerpEngine
    function donateToInsurance(uint256 tokenAmount) external nonReentrant {
        if (tokenAmount == 0) revert ZeroAmount();
        uint256 received = _pullCollateral(msg.sender, tokenAmount);
        if (received == 0) revert ZeroAmount();
        st.insuranceFundUsd += received * collateralScale;
        emit InsuranceDonated(msg.sender, received, st.insuranceFundUsd);
    }

    /// @inheritdoc IPerpEngine
    function withdrawInsuranceExcess(
        address to,
        uint256 tokenAmount
    ) external onlyRole(DEFAULT_ADMIN_ROLE) nonReentrant {
        if (tokenAmount == 0) revert ZeroAmount();
        uint256 debitedUsd = tokenAmount * collateralScale;
        uint256 fundUsd = st.insuranceFundUsd;
        uint256 targetUsd = st.insuranceFundTargetUsd;
        if (fundUsd < targetUsd + debitedUsd) revert InsuranceWithdrawalExceedsExcess(fundUsd, targetUsd, debitedUsd);
        st.insuranceFundUsd = fundUsd - debitedUsd;
        emit InsuranceWithdrawn(to, tokenAmount, st.insuranceFundUsd);
        collateral.safeTransfer(to, tokenAmount);
    }

    /// @inheritdoc IPerpEngine
    function setInsuranceFundTarget(uint256 targetUsd) external onlyRole(DEFAULT_ADMIN_ROLE) {
        st.insuranceFundTargetUsd = targetUsd;
        emit InsuranceFundTargetSet(targetUsd);
    }

    // ═════════════════════════════ VAULT ═════════════════════════════

    /// @notice Connects the liquidity vault, once.
    function setVault(address newVault) external onlyRole(DEFAULT_ADMIN_ROLE) {
        if (st.vault != address(0) || newVault == address(0)) revert VaultAlreadySet(st.vault);
        st.vault = newVault;
        emit VaultSet(newVault);
    }

    /// @inheritdoc IPerpEngine
    function vaultDeposit(uint256 tokenAmount) external onlyVault nonReentrant {
        if (tokenAmount == 0) revert ZeroAmount();
        uint256 received = _pullCollateral(msg.sender, tokenAmount);
        // LP shares were priced on `tokenAmount`, so anything else would misprice them.
        if (received != tokenAmount) revert TransferAmountMismatch(tokenAmount, received);
        st.vaultCashUsd += int256(received * collateralScale);
        emit VaultDeposited(received, st.vaultCashUsd);
    }

    /// @inheritdoc IPerpEngine
    function vaultWithdraw(address receiver, uint256 tokenAmount) external onlyVault nonReentrant {
        if (tokenAmount == 0) revert ZeroAmount();
        if (st.pauses.withdrawals) revert WithdrawalsPaused();
        uint256 debitedUsd = tokenAmount * collateralScale;
        if (st.vaultCashUsd < int256(debitedUsd)) revert VaultCashInsufficient(st.vaultCashUsd, debitedUsd);
        st.vaultCashUsd -= int256(debitedUsd);
        _checkVaultWithdrawalLimits();
        emit VaultWithdrawn(receiver, tokenAmount, st.vaultCashUsd);
        collateral.safeTransfer(receiver, tokenAmount);
    }

    /// @inheritdoc IPerpEngine
    function vaultEquityUsd(bool forDeposit) external view returns (int256) {
        return MarketLogic.vaultEquityUsd(st, forDeposit);
    }

    /// @inheritdoc IPerpEngine
    function maxVaultWithdrawalUsd() external view returns (uint256) {
        int256 equityUsd = MarketLogic.vaultEquityUsd(st, false);
        uint256 requiredEquityUsd = _vaultRequiredEquityUsd();
        if (equityUsd <= int256(requiredEquityUsd) || st.vaultCashUsd <= 0) return 0;
        uint256 headroomUsd = uint256(equityUsd) - requiredEquityUsd;
        return headroomUsd < uint256(st.vaultCashUsd) ? headroomUsd : uint256(st.vaultCashUsd);
    }

    /// @inheritdoc IPerpEngine
    function vaultRequiredEquityUsd() external view returns (uint256) {
        return _vaultRequiredEquityUsd();
    }

    /// @dev The exposure caps bound the vault's directional risk per market (the largest need binds, as each
    /// cap is checked on its own); the reserves are summed because one gap can hit every market at once.
    function _vaultRequiredEquityUsd() internal view returns (uint256) {
        uint256 exposureNeedUsd;
        uint256 reserveUsd;
        uint256 marketCount = st.listedMarketIds.length;
        for (uint256 i; i < marketCount; ++i) {
            bytes32 marketId = st.listedMarketIds[i];
            MarketState storage state = st.marketStates[marketId];
            uint256 grossOpenInterest = state.longOpenInterest + state.shortOpenInterest;
            if (grossOpenInterest == 0) continue;
            MarketConfig storage config = st.marketConfigs[marketId];
            uint256 priceWad = MarketLogic.priceView(marketId, config);
            uint256 grossUsd = PositionMath.notionalUsd(int256(grossOpenInterest), priceWad);
            reserveUsd += SignedMath.divCeilU(grossUsd * config.params.vaultReserveBps, BPS);
            if (state.netSize == 0) continue;
            uint256 exposureUsd = PositionMath.notionalUsd(state.netSize, priceWad);
            // Smallest equity whose cap covers this exposure: exposure × BPS / capBps, rounded up.
            uint256 neededUsd = SignedMath.divCeilU(exposureUsd * BPS, config.params.maxVaultExposureBps);
            if (neededUsd > exposureNeedUsd) exposureNeedUsd = neededUsd;
        }
        return exposureNeedUsd + reserveUsd;
    }

    /// @dev After an LP withdrawal every market's vault exposure must still be within its cap (reported per
    /// market) and the equity must still cover the exposure caps' need plus the reserves.
    function _checkVaultWithdrawalLimits() internal {
        uint256 marketCount = st.listedMarketIds.length;
        for (uint256 i; i < marketCount; ++i) {
            bytes32 marketId = st.listedMarketIds[i];
            MarketState storage state = st.marketStates[marketId];
            if (state.longOpenInterest + state.shortOpenInterest == 0) continue;
            MarketConfig storage config = st.marketConfigs[marketId];
            // Prices are read (and cached) here so that an invalid one reverts with the oracle's error.
            (uint256 priceWad, ) = MarketLogic.readPrice(marketId, config);
            if (state.netSize != 0) _checkVaultExposure(marketId, config.params, state.netSize, priceWad);
        }
        int256 equityUsd = MarketLogic.vaultEquityUsd(st, false);
        uint256 requiredUsd = _vaultRequiredEquityUsd();
        if (equityUsd < int256(requiredUsd)) revert VaultEquityBelowRequirement(equityUsd, requiredUsd);
    }

    // ═════════════════════════════ GOVERNANCE ═════════════════════════════

    /// @notice Admin only: lists a market (see MarketAdminLogic.listMarket for the bounds).
    /// @dev Trust assumptions: for correctness the oracle must report the fair price of the base asset in
    /// USD, and the collateral must hold its 1 USD peg; for liveness the oracle must keep producing valid
    /// answers (liquidations need one; a dead feed is handled by `settleMarket`). The skew scale must
    /// exceed the OI cap (checked) so that every fill within the caps is positive.
    function listMarket(
        bytes32 marketId,
        IPriceOracle oracle,
        MarketParams calldata params,
        MarginTier[] calldata tiers
    ) external onlyRole(DEFAULT_ADMIN_ROLE) {
        MarketAdminLogic.listMarket(st, marketId, oracle, params, tiers);
    }

    /// @inheritdoc IPerpEngine
    function setMarketParams(
        bytes32 marketId,
        MarketParams calldata params,
        MarginTier[] calldata tiers
    ) external onlyRole(DEFAULT_ADMIN_ROLE) nonReentrant {
        MarketAdminLogic.setMarketParams(st, marketId, params, tiers);
    }

    /// @inheritdoc IPerpEngine
    function lowerOpenInterestCap(bytes32 marketId, uint256 newCap) external onlyGuardianOrAdmin {
        MarketAdminLogic.lowerOpenInterestCap(st, marketId, newCap);
    }

    /// @inheritdoc IPerpEngine
    function setReduceOnly(bytes32 marketId, bool reduceOnly) external {
        // Restricting is a guardian lever; lifting a restriction loosens risk, so only the admin may.
        if (reduceOnly) _checkGuardianOrAdmin();
        else _checkRole(DEFAULT_ADMIN_ROLE);
        MarketConfig storage config = MarketLogic.listedMarket(st, marketId);
        if (!reduceOnly && config.settlementPriceWad != 0) revert MarketIsSettled(marketId);
        config.reduceOnly = reduceOnly;
        emit ReduceOnlySet(marketId, reduceOnly, msg.sender);
    }

    /// @inheritdoc IPerpEngine
    function settleMarket(bytes32 marketId, uint256 settlementPriceWad) external onlyRole(DEFAULT_ADMIN_ROLE) {
        MarketAdminLogic.settleMarket(st, marketId, settlementPriceWad);
    }

    /// @inheritdoc IPerpEngine
    function closeSettledPosition(address account, bytes32 marketId) external nonReentrant {
        MarketAdminLogic.closeSettledPosition(st, account, marketId);
    }

    /// @inheritdoc IPerpEngine
    function pause(PauseSwitch which) external onlyGuardianOrAdmin {
        if (which == PauseSwitch.Trading) st.pauses.trading = true;
        else if (which == PauseSwitch.Liquidations) st.pauses.liquidations = true;
        else st.pauses.withdrawals = true;
        emit SwitchPaused(which, msg.sender);
    }

    /// @inheritdoc IPerpEngine
    function unpause(PauseSwitch which) external onlyRole(DEFAULT_ADMIN_ROLE) {
        if (which == PauseSwitch.Trading) {
            st.pauses.trading = false;
        } else if (which == PauseSwitch.Liquidations) {
            st.pauses.liquidations = false;
            st.pauses.liquidationsResumeAt = uint64(block.timestamp) + st.governance.liquidationGracePeriodSeconds;
        } else {
            st.pauses.withdrawals = false;
        }
        emit SwitchUnpaused(which, msg.sender, st.pauses.liquidationsResumeAt);
    }

    /// @inheritdoc IPerpEngine
    function setGovernanceConfig(GovernanceConfig calldata config) external onlyRole(DEFAULT_ADMIN_ROLE) {
        MarketAdminLogic.setGovernanceConfig(st, config);
    }

    function _checkGuardianOrAdmin() internal view {
        if (!hasRole(GUARDIAN_ROLE, msg.sender) && !hasRole(DEFAULT_ADMIN_ROLE, msg.sender)) {
            revert AccessControlUnauthorizedAccount(msg.sender, GUARDIAN_ROLE);
        }
    }

    // ═════════════════════════════ VIEWS ═════════════════════════════

    /// @inheritdoc IPerpEngine
    function adlLight(
        address account,
        bytes32 marketId
    ) external view returns (uint8 light, uint256 rank, uint256 queueLength) {
        return AdlLogic.adlLight(st, marketId, account);
    }

    /// @inheritdoc IPerpEngine
    function adlQueueHead(bytes32 marketId, bool isLong) external view returns (address) {
        return AdlLogic.queueHead(st, marketId, isLong);
    }

    /// @inheritdoc IPerpEngine
    function getOrder(address account, bytes32 marketId) external view returns (Order memory) {
        return st.orders[marketId][account];
    }

    /// @inheritdoc IPerpEngine
    function escrowedOrdersUsd() external view returns (uint256) {
        return st.escrowedOrdersUsd;
    }

    /// @inheritdoc IPerpEngine
    function pauseState() external view returns (PauseState memory) {
        return st.pauses;
    }

    /// @inheritdoc IPerpEngine
    function withdrawalsPaused() external view returns (bool) {
        return st.pauses.withdrawals;
    }

    /// @inheritdoc IPerpEngine
    function governanceConfig() external view returns (GovernanceConfig memory) {
        return st.governance;
    }

    /// @inheritdoc IPerpEngine
    function marketStatus(bytes32 marketId) external view returns (bool reduceOnly, uint256 settlementPriceWad) {
        MarketConfig storage config = st.marketConfigs[marketId];
        return (config.reduceOnly, config.settlementPriceWad);
    }

    /// @inheritdoc IPerpEngine
    function maintenanceRamp(bytes32 marketId) external view returns (MaintenanceRamp memory) {
        return st.maintenanceRamps[marketId];
    }

    /// @inheritdoc IPerpEngine
    function adlConfig() external view returns (AdlConfig memory) {
        return st.adlConfig;
    }

    /// @notice The ERC-4626 liquidity vault, counterparty of every trade.
    function vault() external view returns (address) {
        return st.vault;
    }

    /// @inheritdoc IPerpEngine
    function vaultCashUsd() external view returns (int256) {
        return st.vaultCashUsd;
    }

    /// @inheritdoc IPerpEngine
    function insuranceFundTarget() external view returns (uint256) {
        return st.insuranceFundTargetUsd;
    }

    /// @inheritdoc IPerpEngine
    function insuranceFund() external view returns (uint256) {
        return st.insuranceFundUsd;
    }

    /// @inheritdoc IPerpEngine
    function freeBalance(address account) external view returns (uint256) {
        return st.freeBalances[account];
    }

    /// @inheritdoc IPerpEngine
    function getPosition(address account, bytes32 marketId) external view returns (Position memory) {
        return PositionStore.load(st.positions[marketId][account]);
    }

    /// @inheritdoc IPerpEngine
    function positionEquity(
        address account,
        bytes32 marketId
    ) public view returns (int256 equityUsd, uint256 maintenanceRequirementUsd) {
        return LiquidationLogic.positionEquity(st, account, marketId);
    }

    /// @inheritdoc IPerpEngine
    function isLiquidatable(address account, bytes32 marketId) external view returns (bool) {
        if (st.positions[marketId][account].size == 0) return false;
        (int256 equityUsd, uint256 maintenanceRequirementUsd) = positionEquity(account, marketId);
        return equityUsd < int256(maintenanceRequirementUsd);
    }

    /// @inheritdoc IPerpEngine
    function liquidationPrice(address account, bytes32 marketId) external view returns (uint256) {
        return LiquidationLogic.liquidationPriceWad(st, account, marketId);
    }

    /// @inheritdoc IPerpEngine
    function markPrice(bytes32 marketId) external view returns (uint256) {
        return MarketLogic.priceView(marketId, MarketLogic.listedMarket(st, marketId));
    }

    /// @notice Market aggregates (see `MarketState`).
    function getMarketState(bytes32 marketId) external view returns (MarketState memory) {
        return st.marketStates[marketId];
    }

    /// @notice The market's oracle and risk parameters.
    function getMarketConfig(bytes32 marketId) external view returns (IPriceOracle oracle, MarketParams memory params) {
        MarketConfig storage config = st.marketConfigs[marketId];
        return (config.oracle, config.params);
    }

    /// @notice The market's margin tiers.
    function getMarginTiers(bytes32 marketId) external view returns (MarginTier[] memory) {
        return st.marginTiers[marketId];
    }

    /// @notice The funding index as it would be after an accrual now (USD per base unit, 1e18).
    function currentFundingIndexWad(bytes32 marketId) external view returns (int256) {
        MarketConfig storage config = MarketLogic.listedMarket(st, marketId);
        return
            MarketLogic.currentFundingIndexWad(
                st.marketStates[marketId],
                config,
                MarketLogic.priceView(marketId, config)
            );
    }

    /// @notice The current funding rate (1e18 = 100%/day; positive = longs pay).
    function currentFundingRatePerDayWad(bytes32 marketId) external view returns (int256) {
        MarketParams storage params = MarketLogic.listedMarket(st, marketId).params;
        return
            PositionMath.fundingRatePerDayWad(
                st.marketStates[marketId].netSize,
                params.skewScale,
                params.maxFundingRatePerDayWad
            );
    }

    /// @notice All listed market ids, in listing order.
    function marketIds() external view returns (bytes32[] memory) {
        return st.listedMarketIds;
    }

    // ═════════════════════════════ INTERNALS ═════════════════════════════

    function _debitFree(address account, uint256 amountUsd) internal {
        uint256 available = st.freeBalances[account];
        if (available < amountUsd) revert InsufficientFreeBalance(account, available, amountUsd);
        st.freeBalances[account] = available - amountUsd;
    }

    /// @dev Pulls tokens and returns the balance delta actually received.
    function _pullCollateral(address from, uint256 tokenAmount) internal returns (uint256 received) {
        uint256 balanceBefore = collateral.balanceOf(address(this));
        collateral.safeTransferFrom(from, address(this), tokenAmount);
        received = collateral.balanceOf(address(this)) - balanceBefore;
    }
}
