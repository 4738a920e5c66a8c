// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IPriceOracle} from "./IPriceOracle.sol";
import {
    MarginTier,
    MarketParams,
    Position,
    AdlConfig,
    PauseState,
    GovernanceConfig,
    MaintenanceRamp,
    Order
} from "./IPerpTypes.sol";

/// @title IPerpEngine
/// @notice Collateral accounts, isolated-margin perpetual positions against the liquidity vault, and
/// lazily accrued funding.
/// @dev Units: token amounts (deposit/withdraw) are in the collateral token's native units; every other
/// amount is USD scaled by 1e18 (the collateral is a USD stablecoin, 1 token = 1 USD); sizes are base
/// units scaled by 1e18 (positive = long); prices are USD per base unit scaled by 1e18.
interface IPerpEngine {
    /// @notice The emergency switches the guardian can flip on and only the admin can flip off.
    enum PauseSwitch {
        Trading,
        Liquidations,
        Withdrawals
    }

    /// @notice Why `liquidateMany` skipped an entry.
    enum LiquidationSkipReason {
        MarketNotListed,
        PriceInvalid,
        NoPosition,
        Healthy,
        MarketSettled
    }

    // ───────────────────────────── errors ─────────────────────────────

    /// @notice Thrown when an amount that must be positive is zero.
    error ZeroAmount();
    /// @notice Thrown when a call names a market that was never listed.
    error MarketNotListed(bytes32 marketId);
    /// @notice Thrown when listing a market id that already exists.
    error MarketAlreadyListed(bytes32 marketId);
    /// @notice Thrown when listing more than `MAX_MARKETS` markets.
    error TooManyMarkets(uint256 maxMarkets);
    /// @notice Thrown when a risk parameter is outside its hard bounds.
    error ParameterOutOfBounds(bytes32 name, uint256 value, uint256 minValue, uint256 maxValue);
    /// @notice Thrown when margin tiers are empty, too many, unsorted, or have MM ≥ IM.
    error InvalidMarginTier(uint256 index);
    /// @notice Thrown when the collateral token has more than 18 decimals.
    error CollateralDecimalsUnsupported(uint8 decimals);
    /// @notice Thrown when a free-balance debit exceeds the balance (USD, 1e18).
    error InsufficientFreeBalance(address account, uint256 availableUsd, uint256 requestedUsd);
    /// @notice Thrown when removing more margin than the position holds (USD, 1e18).
    error InsufficientPositionMargin(address account, bytes32 marketId, int256 marginUsd, uint256 requestedUsd);
    /// @notice Thrown when `modifyPosition` is asked to do nothing.
    error EmptyAction();
    /// @notice Thrown when closing, or moving margin of, a position that does not exist.
    error NoPosition(address account, bytes32 marketId);
    /// @notice Thrown when a fill is worse than the trader's bound (buys: fill > bound; sells: fill < bound).
    error SlippageExceeded(uint256 fillPriceWad, uint256 acceptablePriceWad);
    /// @notice Thrown when a trade is so large against the skew that its fill would be at or below zero.
    /// Listing keeps the OI cap below the skew scale, so only a trade beyond the cap can hit this.
    error FillPriceNonPositive(int256 fillPriceWad);
    /// @notice Thrown when opening, increasing or removing margin while the market's deviation breaker is
    /// tripped: the suspect price may hide a loss.
    error MarketVolatile(bytes32 marketId);
    /// @notice Thrown when a trade would push a side's open interest (base units) over the cap.
    error OpenInterestCapExceeded(bytes32 marketId, uint256 openInterest, uint256 cap);
    /// @notice Thrown when a trade or LP withdrawal would push the vault's net exposure (USD) past its cap.
    error VaultExposureCapExceeded(bytes32 marketId, uint256 exposureUsd, uint256 capUsd);
    /// @notice Thrown when an action leaves equity (unrealised profit excluded) below the initial requirement.
    error InitialMarginNotMet(address account, bytes32 marketId, int256 equityUsd, uint256 requiredUsd);
    /// @notice Thrown when an open position would keep less margin than the market minimum (USD, 1e18).
    error MarginBelowMinimum(address account, bytes32 marketId, uint256 marginUsd, uint256 minimumUsd);
    /// @notice Thrown when a reduce would lower the margin ratio of a position that fails initial margin.
    error MarginRatioDecreased(address account, bytes32 marketId);
    /// @notice Thrown when an action would leave the position's margin negative: it is bankrupt and
    /// only `liquidate` can close it.
    error PositionBankrupt(address account, bytes32 marketId, int256 marginAfterUsd);
    /// @notice Thrown when a vault-only entry point is called by anyone else.
    error OnlyVault(address caller);
    /// @notice Thrown when the vault is set twice or set to the zero address.
    error VaultAlreadySet(address vault);
    /// @notice Thrown when a token transfer credited a different amount than requested (fee-on-transfer
    /// tokens are rejected on the vault path).
    error TransferAmountMismatch(uint256 expected, uint256 received);
    /// @notice Thrown when the vault's cash (USD, 1e18) cannot pay an LP withdrawal.
    error VaultCashInsufficient(int256 cashUsd, uint256 requestedUsd);
    /// @notice Thrown when an LP withdrawal would leave the vault's withdrawal-side equity (USD, 1e18) below what
    /// its exposure caps and gross-open-interest reserves require (`maxVaultWithdrawalUsd`).
    error VaultEquityBelowRequirement(int256 equityUsd, uint256 requiredUsd);

    /// @notice Thrown when liquidating a position whose equity is not below its maintenance requirement
    /// (equality is healthy).
    error PositionNotLiquidatable(
        address account,
        bytes32 marketId,
        int256 equityUsd,
        uint256 maintenanceRequirementUsd
    );
    /// @notice Thrown when `liquidateMany` gets arrays of different lengths.
    error ArrayLengthMismatch(uint256 accountsLength, uint256 marketIdsLength);
    /// @notice Thrown when `deleverageVault` is called while the vault's loss in the market (USD, 1e18) is
    /// not above the upper threshold share of vault equity.
    error VaultDeleverageNotNeeded(bytes32 marketId, uint256 vaultLossUsd, uint256 thresholdUsd);
    /// @notice Thrown when governance tries to withdraw more than the insurance fund's excess over target.
    error InsuranceWithdrawalExceedsExcess(uint256 insuranceFundUsd, uint256 targetUsd, uint256 requestedUsd);

    /// @notice Thrown when opening, increasing or removing margin while trading is paused.
    error TradingPaused();
    /// @notice Thrown when liquidating (or deleveraging the vault) while liquidations are paused.
    error LiquidationsPaused();
    /// @notice Thrown during the grace period after liquidations were unpaused (until `resumeAt`).
    error LiquidationGracePeriodActive(uint256 resumeAt);
    /// @notice Thrown when withdrawing (free balance or LP) while withdrawals are paused.
    error WithdrawalsPaused();
    /// @notice Thrown when opening, increasing or removing margin in a reduce-only market.
    error MarketReduceOnly(bytes32 marketId);
    /// @notice Thrown when trading, liquidating or re-parameterising a market that was settled.
    error MarketIsSettled(bytes32 marketId);
    /// @notice Thrown when closing a position through settlement in a market that is not settled.
    error MarketNotSettled(bytes32 marketId);
    /// @notice Thrown when changing a market's parameters while a maintenance raise is still phasing in.
    error MaintenanceRampInProgress(bytes32 marketId, uint256 endsAt);
    /// @notice Thrown when `lowerOpenInterestCap` would not lower the cap (or would set it to 0).
    error OpenInterestCapNotLowered(bytes32 marketId, uint256 currentCap, uint256 requestedCap);
    /// @notice Thrown by `modifyPosition`/`closePosition` for a size change or a margin removal in a market that
    /// trades through delayed orders: commit an order instead (adding margin stays instant).
    error ExecutionDelayActive(bytes32 marketId, uint256 executionDelaySeconds);
    /// @notice Thrown by `commitOrder` in a market without an execution delay (trade with `modifyPosition`).
    error OrdersNotEnabled(bytes32 marketId);
    /// @notice Thrown by `commitOrder` while the account already has a pending order in the market.
    error OrderAlreadyPending(address account, bytes32 marketId);
    /// @notice Thrown when executing or cancelling an order that does not exist.
    error NoPendingOrder(address account, bytes32 marketId);
    /// @notice Thrown when executing an order before its delay has passed.
    error OrderNotReady(address account, bytes32 marketId, uint256 executableAt);
    /// @notice Thrown when executing an order past its expiry (it can only be cancelled); also the reason of
    /// the cancellation of an expired order.
    error OrderExpired(address account, bytes32 marketId, uint256 expiresAt);
    /// @notice Thrown when cancelling a live order: it can be cancelled only once expired (or its market
    /// settled), so that the delay is no free option.
    error OrderNotExpired(address account, bytes32 marketId, uint256 expiresAt);
    /// @notice Reason of a cancellation: the position changed between commit and execution (liquidated,
    /// deleveraged, closed by settlement), so the order no longer means what its owner committed to.
    error PositionChangedSinceCommit(address account, bytes32 marketId, int256 sizeAtCommit, int256 sizeNow);
    /// @notice Thrown when an order's execution ran out of gas: the executor must send more (the order stays).
    error OrderExecutionOutOfGas(address account, bytes32 marketId);
    /// @notice Thrown when anyone but the engine calls its internal order-execution entry point.
    error OnlyEngine(address caller);
    /// @notice Thrown when a market's taker fee does not cover the lag of its feed: 2 × takerFeeBps must be at
    /// least oracleDeviationThresholdBps.
    error TakerFeeBelowOracleDeviation(uint256 takerFeeBps, uint256 oracleDeviationThresholdBps);

    // ───────────────────────────── events ─────────────────────────────

    /// @notice Collateral credited to `account`'s free balance.
    /// @param tokenAmount Tokens actually received (balance delta), native units.
    /// @param creditedUsd The same amount in USD, 1e18.
    event Deposited(address indexed account, uint256 tokenAmount, uint256 creditedUsd);
    /// @notice Collateral sent from `account`'s free balance to `account`.
    event Withdrawn(address indexed account, uint256 tokenAmount, uint256 debitedUsd);
    /// @notice A market was listed.
    event MarketListed(bytes32 indexed marketId, IPriceOracle oracle, MarketParams params, MarginTier[] tiers);
    /// @notice Funding accrued on a market.
    /// @param fundingRatePerDayWad The rate applied over the elapsed interval (1e18 = 100%/day; + = longs pay).
    /// @param fundingIndexWad The cumulative index after accrual (USD per base unit, 1e18).
    /// @param priceWad The price the interval was valued at (USD per base unit, 1e18).
    /// @param timestamp The accrual time (seconds): the market's new `lastFundingTimestamp`.
    event FundingAccrued(
        bytes32 indexed marketId,
        int256 fundingRatePerDayWad,
        int256 fundingIndexWad,
        uint256 priceWad,
        uint64 timestamp
    );
    /// @notice A position was opened, changed or closed by its owner.
    /// @param sizeDelta Traded size (base units, 1e18; + = bought); 0 for a pure margin move.
    /// @param fillPriceWad Fill price of the trade (0 when nothing traded).
    /// @param feeUsd Taker fee paid from margin.
    /// @param realizedPnlUsd PnL realised on the closed part, at the fill price.
    /// @param fundingPaidUsd Funding settled into margin (+ = paid, − = received).
    /// @param lossPaidUsd Socialized loss settled from margin.
    /// @param marginDeltaUsd Margin moved from (+) or to (−) the free balance by the caller.
    /// @param newSize Size after the action.
    /// @param newMarginUsd Margin after the action (0 once closed: released to the free balance).
    /// @param newEntryPriceWad Entry price after the action (0 once closed).
    /// After this event the position's funding snapshot is the market's funding index and its loss snapshot
    /// the loss index of its side, both as last emitted (`FundingAccrued`, `LossSocialized`).
    event PositionModified(
        address indexed account,
        bytes32 indexed marketId,
        int256 sizeDelta,
        uint256 fillPriceWad,
        uint256 feeUsd,
        int256 realizedPnlUsd,
        int256 fundingPaidUsd,
        uint256 lossPaidUsd,
        int256 marginDeltaUsd,
        int256 newSize,
        uint256 newMarginUsd,
        uint256 newEntryPriceWad
    );
    /// @notice A position was liquidated (fully or partially) by `keeper`.
    /// @param closedSize Size closed (sign of the position).
    /// @param executionPriceWad Price the closed size was executed at (oracle ± bounded slippage).
    /// @param remainingSize Size left open (0 after a full liquidation).
    /// @param remainingMarginUsd Margin left in the position (0 after a full liquidation; what was left then
    /// went to the trader's free balance). The entry price is unchanged; the snapshots are reset as for
    /// `PositionModified`.
    /// @param penaltyUsd Penalty taken from the position's equity.
    /// @param keeperRewardUsd Everything credited to the keeper: flat reward (from margin, topped up by the
    /// insurance fund if a gap left less) + keeper share of the penalty.
    /// @param deficitUsd Loss beyond the position's margin (0 unless bankrupt).
    /// @param insurancePaidUsd Part of the deficit paid by the insurance fund.
    /// @param adlPaidUsd Part of the deficit absorbed by auto-deleveraged counterparties.
    /// @param vaultPaidUsd Part of the deficit absorbed by the liquidity vault (up to its equity).
    /// @param socializedUsd Part of the deficit socialized over the opposite side's traders;
    /// insurancePaidUsd + adlPaidUsd + vaultPaidUsd + socializedUsd == deficitUsd.
    event Liquidated(
        address indexed account,
        bytes32 indexed marketId,
        address indexed keeper,
        int256 closedSize,
        uint256 executionPriceWad,
        int256 remainingSize,
        uint256 remainingMarginUsd,
        uint256 penaltyUsd,
        uint256 keeperRewardUsd,
        uint256 deficitUsd,
        uint256 insurancePaidUsd,
        uint256 adlPaidUsd,
        uint256 vaultPaidUsd,
        uint256 socializedUsd
    );
    /// @notice Auto-deleveraging closed `size` (sign of the position) of `account`'s position at `priceWad`:
    /// the bankrupt position's bankruptcy price during a liquidation, the oracle price in `deleverageVault`.
    /// @param realizedPnlUsd PnL realised on the closed size at `priceWad`.
    /// @param fundingPaidUsd Funding settled into margin first (+ = paid).
    /// @param lossPaidUsd Socialized loss settled from margin first.
    /// @param newSize Size left (0 once closed); the entry price is unchanged.
    /// @param newMarginUsd Margin left (0 once closed: released to the free balance).
    event Deleveraged(
        address indexed account,
        bytes32 indexed marketId,
        int256 size,
        uint256 priceWad,
        int256 realizedPnlUsd,
        int256 fundingPaidUsd,
        uint256 lossPaidUsd,
        int256 newSize,
        uint256 newMarginUsd
    );
    /// @notice `deleverageVault` brought the vault's loss in a market from `lossBeforeUsd` to
    /// `lossAfterUsd`, aiming for `targetUsd` (the lower threshold).
    event VaultDeleveraged(bytes32 indexed marketId, uint256 lossBeforeUsd, uint256 lossAfterUsd, uint256 targetUsd);
    /// @notice Governance changed the ADL settings.
    event AdlConfigSet(AdlConfig config);
    /// @notice A switch was paused by `by` (guardian or admin).
    event SwitchPaused(PauseSwitch indexed which, address indexed by);
    /// @notice A switch was unpaused by the admin; for liquidations, none happen before `liquidationsResumeAt`.
    event SwitchUnpaused(PauseSwitch indexed which, address indexed by, uint256 liquidationsResumeAt);
    /// @notice Governance changed a market's parameters; a maintenance raise phases in until
    /// `maintenanceRampEndsAt` (0 when nothing was raised).
    event MarketParamsSet(
        bytes32 indexed marketId,
        MarketParams params,
        MarginTier[] tiers,
        uint64 maintenanceRampEndsAt
    );
    /// @notice The guardian or admin lowered a market's open-interest cap (base units, 1e18).
    event OpenInterestCapLowered(bytes32 indexed marketId, uint256 oldCap, uint256 newCap, address indexed by);
    /// @notice A market was marked (or, by the admin, unmarked) reduce-only.
    event ReduceOnlySet(bytes32 indexed marketId, bool reduceOnly, address indexed by);
    /// @notice Governance settled a market at a final price; positions now close at it.
    event MarketSettled(bytes32 indexed marketId, uint256 settlementPriceWad);
    /// @notice A position of a settled market was closed at the settlement price.
    /// @param payoutUsd Credited to the owner's free balance: the position's equity at that price (or 0).
    /// @param deficitUsd Loss beyond the margin, covered by the insurance fund and then the vault (nothing is
    /// socialized while a market winds down): insurancePaidUsd + vaultPaidUsd == deficitUsd.
    event SettledPositionClosed(
        address indexed account,
        bytes32 indexed marketId,
        int256 size,
        uint256 settlementPriceWad,
        uint256 payoutUsd,
        uint256 deficitUsd,
        uint256 insurancePaidUsd,
        uint256 vaultPaidUsd
    );
    /// @notice Governance changed the grace period or the maintenance ramp duration.
    event GovernanceConfigSet(GovernanceConfig config);
    /// @notice `liquidateMany` skipped an entry instead of reverting.
    event LiquidationSkipped(address indexed account, bytes32 indexed marketId, LiquidationSkipReason reason);
    /// @notice A deficit was socialized: every open position on the charged side owes |size| × indexDelta.
    /// @param chargedSideIsLong True when longs pay (a short went bankrupt).
    /// @param openInterestCharged Size the loss is spread over (traders on that side + the vault if on it).
    /// @param lossIndexWad The side's cumulative loss index after the event (USD per unit, 1e18).
    event LossSocialized(
        bytes32 indexed marketId,
        bool chargedSideIsLong,
        uint256 amountUsd,
        uint256 openInterestCharged,
        uint256 lossIndexWad
    );
    /// @notice The insurance fund received its share of a liquidation penalty.
    event InsurancePenaltyCredited(
        bytes32 indexed marketId,
        address indexed account,
        uint256 amountUsd,
        uint256 insuranceFundUsd
    );
    /// @notice The insurance fund paid (part of) a bankrupt position's deficit to the vault.
    event InsuranceDeficitPaid(
        bytes32 indexed marketId,
        address indexed account,
        uint256 amountUsd,
        uint256 insuranceFundUsd
    );
    /// @notice The insurance fund topped up a keeper reward that the position's margin could not pay.
    event InsuranceKeeperTopUp(
        bytes32 indexed marketId,
        address indexed keeper,
        uint256 amountUsd,
        uint256 insuranceFundUsd
    );
    /// @notice Someone donated collateral to the insurance fund.
    event InsuranceDonated(address indexed donor, uint256 tokenAmount, uint256 insuranceFundUsd);
    /// @notice Governance withdrew part of the fund's excess over its target.
    event InsuranceWithdrawn(address indexed to, uint256 tokenAmount, uint256 insuranceFundUsd);
    /// @notice Governance set the insurance fund's target.
    event InsuranceFundTargetSet(uint256 targetUsd);
    /// @notice The insurance fund received its share of a taker fee.
    event InsuranceFeeCredited(bytes32 indexed marketId, uint256 amountUsd, uint256 insuranceFundUsd);
    /// @notice The vault was connected (once).
    event VaultSet(address vault);
    /// @notice LP collateral entered the vault's engine account.
    event VaultDeposited(uint256 tokenAmount, int256 vaultCashUsd);
    /// @notice LP collateral left the vault's engine account.
    event VaultWithdrawn(address indexed receiver, uint256 tokenAmount, int256 vaultCashUsd);
    /// @notice An order was committed; `escrowedMarginUsd` + `executionFeeUsd` left the free balance.
    /// @param sizeDelta Base units, 1e18.
    /// @param marginDeltaUsd USD, 1e18 (+ in, − out).
    /// @param acceptablePriceWad Worst acceptable fill (capped at type(uint128).max).
    /// @param sizeAtCommit The position's size now; execution cancels the order if it changed.
    /// @param escrowedMarginUsd Margin escrowed for the order (its positive marginDelta).
    /// @param executionFeeUsd Fee escrowed for whoever executes or cancels it.
    /// @param executableAt Earliest execution time (seconds).
    /// @param expiresAt Latest execution time (seconds).
    event OrderCommitted(
        address indexed account,
        bytes32 indexed marketId,
        int256 sizeDelta,
        int256 marginDeltaUsd,
        uint256 acceptablePriceWad,
        int256 sizeAtCommit,
        uint256 escrowedMarginUsd,
        uint256 executionFeeUsd,
        uint64 executableAt,
        uint64 expiresAt
    );
    /// @notice An order was executed by `executor` at the price read then (its `PositionModified` carries the
    /// rest); the executor was credited `executionFeeUsd`.
    event OrderExecuted(
        address indexed account,
        bytes32 indexed marketId,
        address indexed executor,
        int256 sizeDelta,
        uint256 fillPriceWad,
        uint256 takerFeeUsd,
        int256 newSize,
        uint256 executionFeeUsd
    );
    /// @notice An order was cancelled: its escrowed margin returned to the owner's free balance and
    /// `executionFeeUsd` was credited to `by` (the executor or canceller).
    /// @param reason The custom error that cancelled it, ABI-encoded (selector and values): the revert of its
    /// execution (e.g. SlippageExceeded, InitialMarginNotMet, MarketVolatile), PositionChangedSinceCommit,
    /// MarketIsSettled, or OrderExpired.
    event OrderCancelled(
        address indexed account,
        bytes32 indexed marketId,
        address indexed by,
        bytes reason,
        uint256 refundedMarginUsd,
        uint256 executionFeeUsd
    );

    // ───────────────────────────── accounts ─────────────────────────────

    /// @notice Pulls `tokenAmount` collateral from the caller and credits what actually arrived.
    /// @param tokenAmount Native token units.
    function deposit(uint256 tokenAmount) external;

    /// @notice Sends `tokenAmount` collateral from the caller's free balance to the caller.
    /// @param tokenAmount Native token units.
    function withdraw(uint256 tokenAmount) external;

    /// @notice The caller-visible free (unallocated) balance of `account`, USD 1e18.
    function freeBalance(address account) external view returns (uint256);

    // ───────────────────────────── trading ─────────────────────────────

    /// @notice Opens, increases, reduces or flips the caller's position and moves margin in the same call.
    /// @param marketId The market, e.g. keccak256("ETH-USD").
    /// @param sizeDelta Base units, 1e18; + buys, − sells; 0 for a pure margin move.
    /// @param marginDelta USD, 1e18; + moves free balance into the position, − moves margin out
    /// (checked against initial margin without unrealised profit).
    /// @param acceptablePrice Worst fill accepted (USD per base unit, 1e18): buys fill ≤ it, sells ≥ it.
    function modifyPosition(bytes32 marketId, int256 sizeDelta, int256 marginDelta, uint256 acceptablePrice) external;

    /// @notice Closes the caller's whole position; its margin returns to the free balance.
    /// @param acceptablePrice Worst fill accepted, as in `modifyPosition`.
    function closePosition(bytes32 marketId, uint256 acceptablePrice) external;

    // ───────────────────────────── orders ─────────────────────────────

    /// @notice Commits the caller's order in a market with an execution delay: `modifyPosition`'s arguments,
    /// executed by anyone at the price read at execution once `executionDelaySeconds` have passed. Escrows the
    /// margin to add and the market's execution fee from the free balance. One pending order per market.
    function commitOrder(bytes32 marketId, int256 sizeDelta, int256 marginDelta, uint256 acceptablePrice) external;

    /// @notice Executes `account`'s order (anyone, between `executableAt` and `expiresAt`): exactly
    /// `modifyPosition`'s path at this transaction's price. An order that would revert, or whose position
    /// changed since commit, is cancelled instead (`OrderCancelled` with the reason); either way the caller is
    /// credited the execution fee.
    function executeOrder(address account, bytes32 marketId) external;

    /// @notice Cancels `account`'s expired order (or any order of a settled market): the owner gets the
    /// escrowed margin back and the caller (the owner or anyone) the execution fee. A live order cannot be
    /// cancelled.
    function cancelOrder(address account, bytes32 marketId) external;

    /// @notice `account`'s pending order in a market (all zero when none).
    function getOrder(address account, bytes32 marketId) external view returns (Order memory);

    /// @notice Σ over pending orders of escrowed margin and execution fees (USD, 1e18).
    function escrowedOrdersUsd() external view returns (uint256);

    /// @notice The stored position (funding not yet settled).
    function getPosition(address account, bytes32 marketId) external view returns (Position memory);

    /// @notice Equity of a position at the oracle price and the current funding index, and its
    /// maintenance requirement. Liquidatable iff `equityUsd < maintenanceRequirementUsd`.
    /// @return equityUsd margin + unrealised PnL − funding owed (USD, 1e18; may be negative).
    /// @return maintenanceRequirementUsd Tiered maintenance margin + keeper reward (USD, 1e18).
    function positionEquity(
        address account,
        bytes32 marketId
    ) external view returns (int256 equityUsd, uint256 maintenanceRequirementUsd);

    /// @notice The validated oracle price of a market (USD per base unit, 1e18). Reverts if invalid.
    function markPrice(bytes32 marketId) external view returns (uint256);

    /// @notice Accrues funding on a market up to now. Permissionless and harmless.
    function pokeFunding(bytes32 marketId) external;

    // ───────────────────────────── liquidation ─────────────────────────────

    /// @notice Liquidates `account`'s position in `marketId` if equity < maintenance requirement.
    /// Permissionless; the caller is the keeper and is credited its reward in its free balance.
    /// Partial when that restores the buffer, full otherwise; bankrupt deficits go through the waterfall
    /// (insurance fund → ADL → socialized loss). Never reverts for lack of funds.
    function liquidate(address account, bytes32 marketId) external;

    /// @notice Liquidates each (accounts[i], marketIds[i]) that is liquidatable; skips (and reports) the
    /// rest instead of reverting. @return liquidated liquidated[i] is true when entry i was liquidated.
    function liquidateMany(
        address[] calldata accounts,
        bytes32[] calldata marketIds
    ) external returns (bool[] memory liquidated);

    /// @notice True when the position exists and its equity is below its maintenance requirement.
    function isLiquidatable(address account, bytes32 marketId) external view returns (bool);

    /// @notice Oracle price (1e18) at which the position becomes liquidatable at its current margin and
    /// funding (longs below, shorts above); 0 if none. See LiquidationMath.liquidationPriceWad.
    function liquidationPrice(address account, bytes32 marketId) external view returns (uint256);

    // ───────────────────────────── auto-deleveraging ─────────────────────────────

    /// @notice Vault protection: while the vault's unrealised loss in `marketId` exceeds
    /// `vaultLossUpperBps` of its equity, closes the most leveraged profitable positions winning against
    /// it, at the oracle price, until the loss is at most `vaultLossLowerBps` of equity — never further.
    /// Permissionless; visits at most `maxSteps` queue entries. Reverts `VaultDeleverageNotNeeded` otherwise.
    function deleverageVault(bytes32 marketId, uint256 maxSteps) external;

    /// @notice The ADL lights of a position (5 = most exposed 20% of its queue … 1; 0 = not queued), its
    /// rank (0 = next) and its queue's length.
    function adlLight(
        address account,
        bytes32 marketId
    ) external view returns (uint8 light, uint256 rank, uint256 queueLength);

    /// @notice The next position to be auto-deleveraged on a side of a market (address(0) if none).
    function adlQueueHead(bytes32 marketId, bool isLong) external view returns (address);

    /// @notice Admin only: sets the ADL settings (bounded).
    function setAdlConfig(AdlConfig calldata config) external;

    /// @notice The ADL settings.
    function adlConfig() external view returns (AdlConfig memory);

    // ───────────────────────────── governance ─────────────────────────────

    /// @notice Guardian or admin: flips an emergency switch on. Trading: no new or increased exposure and
    /// no margin removal (reduce, close, add margin keep working). Liquidations: no liquidation and no vault
    /// deleveraging. Withdrawals: no free-balance or LP withdrawal.
    function pause(PauseSwitch which) external;

    /// @notice Admin only: flips a switch off. Unpausing liquidations starts the grace period.
    function unpause(PauseSwitch which) external;

    /// @notice Admin only: bounded parameter change (a maintenance raise is phased in).
    function setMarketParams(bytes32 marketId, MarketParams calldata params, MarginTier[] calldata tiers) external;

    /// @notice Guardian or admin: lowers (never raises) a market's open-interest cap.
    function lowerOpenInterestCap(bytes32 marketId, uint256 newCap) external;

    /// @notice Guardian or admin may set reduce-only; only the admin may clear it.
    function setReduceOnly(bytes32 marketId, bool reduceOnly) external;

    /// @notice Admin only: settles a market at a final price (delisting a dead feed).
    function settleMarket(bytes32 marketId, uint256 settlementPriceWad) external;

    /// @notice Permissionless: closes `account`'s position in a settled market at the settlement price and
    /// credits its equity to the owner's free balance.
    function closeSettledPosition(address account, bytes32 marketId) external;

    /// @notice Admin only: sets the liquidation grace period and the maintenance ramp duration (bounded).
    function setGovernanceConfig(GovernanceConfig calldata config) external;

    /// @notice The emergency switches.
    function pauseState() external view returns (PauseState memory);

    /// @notice True while withdrawals are paused.
    function withdrawalsPaused() external view returns (bool);

    /// @notice Grace period and ramp duration.
    function governanceConfig() external view returns (GovernanceConfig memory);

    /// @notice A market's lifecycle: reduce-only flag and settlement price (0 = trading normally).
    function marketStatus(bytes32 marketId) external view returns (bool reduceOnly, uint256 settlementPriceWad);

    /// @notice The maintenance raise being phased in for a market, if any (endTime ≤ now: none).
    function maintenanceRamp(bytes32 marketId) external view returns (MaintenanceRamp memory);

    // ───────────────────────────── insurance fund ─────────────────────────────

    /// @notice Donates `tokenAmount` collateral (balance delta credited) to the insurance fund.
    function donateToInsurance(uint256 tokenAmount) external;

    /// @notice Admin only: withdraws `tokenAmount` of the fund's excess over its target to `to`.
    function withdrawInsuranceExcess(address to, uint256 tokenAmount) external;

    /// @notice Admin only: sets the insurance fund's target (USD, 1e18).
    function setInsuranceFundTarget(uint256 targetUsd) external;

    /// @notice The insurance fund's target (USD, 1e18).
    function insuranceFundTarget() external view returns (uint256);

    // ───────────────────────────── vault hooks ─────────────────────────────

    /// @notice Credits `tokenAmount` pulled from the vault contract to the vault's engine account.
    function vaultDeposit(uint256 tokenAmount) external;

    /// @notice Debits the vault's engine account and sends `tokenAmount` to `receiver`.
    function vaultWithdraw(address receiver, uint256 tokenAmount) external;

    /// @notice The most the vault can pay out to LPs now (USD, 1e18): its cash, bounded by the withdrawal-side
    /// equity above `vaultRequiredEquityUsd`.
    function maxVaultWithdrawalUsd() external view returns (uint256);

    /// @notice Withdrawal-side equity the vault must keep (USD, 1e18): the largest equity any market's exposure
    /// cap needs (exposure × BPS / maxVaultExposureBps, rounded up) plus, summed over markets, the reserve on
    /// gross open interest (notional × vaultReserveBps / BPS, rounded up). Markets without the relevant open
    /// interest are not priced.
    function vaultRequiredEquityUsd() external view returns (uint256);

    /// @notice The vault's equity in USD (1e18). `forDeposit` counts unrealised gains and losses
    /// (pricing LP deposits); otherwise unrealised gains are excluded per market (pricing withdrawals).
    function vaultEquityUsd(bool forDeposit) external view returns (int256);

    // ───────────────────────────── views ─────────────────────────────

    /// @notice The collateral token.
    function collateral() external view returns (IERC20);

    /// @notice The vault's realised cash inside the engine (USD, 1e18).
    function vaultCashUsd() external view returns (int256);

    /// @notice The insurance fund's balance (USD, 1e18).
    function insuranceFund() external view returns (uint256);
}
