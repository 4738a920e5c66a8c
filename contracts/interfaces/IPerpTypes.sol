// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @notice One bracket of a progressive margin schedule. The rates apply to the part of a position's
/// notional above `notionalFloorUsd` (and below the next tier's floor).
struct MarginTier {
    /// @dev USD, 1e18. The first tier's floor is 0; floors strictly increase.
    uint128 notionalFloorUsd;
    /// @dev Initial margin rate in bps of notional.
    uint16 initialMarginBps;
    /// @dev Maintenance margin rate in bps of notional; strictly below `initialMarginBps`.
    uint16 maintenanceMarginBps;
}

/// @notice Risk parameters of one market.
struct MarketParams {
    /// @dev USD, 1e18. Every open position keeps at least this margin, so it stays worth liquidating.
    uint128 minPositionMarginUsd;
    /// @dev USD, 1e18. Flat reward for the liquidator, included in the maintenance requirement.
    uint128 keeperRewardUsd;
    /// @dev Base units, 1e18. Cap on traders' open interest per side (longs, shorts separately).
    uint128 maxOpenInterestPerSide;
    /// @dev Base units, 1e18. Skew at which the price impact premium reaches 100% and the funding rate
    /// reaches its cap.
    uint128 skewScale;
    /// @dev 1e18 = 100% of notional per day. Cap on the funding rate.
    uint64 maxFundingRatePerDayWad;
    /// @dev Taker fee in bps of filled notional.
    uint16 takerFeeBps;
    /// @dev Share of each fee credited to the insurance fund, in bps; the rest goes to the vault.
    uint16 insuranceFeeShareBps;
    /// @dev Cap on the vault's net exposure in this market (|skew| × price) in bps of vault equity.
    uint16 maxVaultExposureBps;
    /// @dev Liquidation penalty in bps of the closed notional, capped at the remaining equity.
    uint16 liquidationPenaltyBps;
    /// @dev Share of the penalty paid to the liquidator (on top of the flat keeper reward), in bps; the
    /// rest goes to the insurance fund.
    uint16 keeperPenaltyShareBps;
    /// @dev A partial liquidation aims for equity ≥ maintenance × (1 + buffer), buffer in bps.
    uint16 liquidationBufferBps;
    /// @dev Equity the vault keeps, on top of what the exposure caps need, against this market's gross open
    /// interest (longs + shorts at the oracle price), in bps of that notional. Binds LP withdrawals only: it is
    /// the capital for deficits the vault absorbs alone when a gap's winners close before its losers are
    /// liquidated (a balanced book has no net exposure to cap).
    uint16 vaultReserveBps;
    /// @dev Seconds between an order's commit and its earliest execution (DESIGN §4: orders cannot front-run
    /// the oracle). 0 = instant trading through `modifyPosition`/`closePosition`; otherwise size changes and
    /// margin removals go through `commitOrder` → `executeOrder`.
    uint32 executionDelaySeconds;
    /// @dev Seconds after it becomes executable during which an order may be executed; afterwards it can only
    /// be cancelled.
    uint32 orderExpirySeconds;
    /// @dev The price feed's deviation threshold in bps (how far its on-chain answer can lag the market before
    /// it updates). Listing checks 2 × takerFeeBps ≥ it, so a round trip's fees cover that lag.
    uint16 oracleDeviationThresholdBps;
    /// @dev USD, 1e18. Escrowed with each order and paid to whoever executes it (even when execution cancels
    /// it) or cancels it once expired: covers a keeper's gas.
    uint96 executionFeeUsd;
}

/// @notice A trader's isolated position in one market.
struct Position {
    /// @dev Base units, 1e18; positive = long, negative = short, 0 = no position.
    int256 size;
    /// @dev USD per base unit, 1e18: size-weighted average fill price of the open size.
    uint256 entryPriceWad;
    /// @dev USD, 1e18: collateral isolated in this position (realised PnL, fees and funding settle here).
    uint256 marginUsd;
    /// @dev The market's cumulative funding index when funding was last settled into the margin.
    int256 fundingIndexSnapshotWad;
    /// @dev The socialized-loss index of the position's side when it was last settled (USD per unit, 1e18).
    uint256 lossIndexSnapshotWad;
}

/// @notice Per-market aggregates. The vault's position is implied: its size is `-netSize` and its
/// cost is `-sumSizeTimesEntry`, so the sizes of a market (vault included) always sum to zero.
struct MarketState {
    /// @dev Σ trader sizes (base units, 1e18); positive = traders net long, the vault net short.
    int256 netSize;
    /// @dev Σ trader long sizes (base units, 1e18).
    uint256 longOpenInterest;
    /// @dev Σ |trader short sizes| (base units, 1e18).
    uint256 shortOpenInterest;
    /// @dev Σ size × entryPriceWad over traders (scaled 1e36, exact): values the vault's position.
    int256 sumSizeTimesEntry;
    /// @dev Σ size × fundingIndexSnapshotWad over traders (scaled 1e36, exact): the funding traders owe
    /// the vault and have not yet settled is `netSize × fundingIndex − sumSizeTimesFundingSnapshot`.
    int256 sumSizeTimesFundingSnapshot;
    /// @dev Cumulative funding owed per unit of long size since listing (USD per base unit, 1e18).
    int256 fundingIndexWad;
    /// @dev Timestamp of the last funding accrual.
    uint64 lastFundingTimestamp;
    /// @dev Cumulative socialized loss owed per unit of long size (USD per base unit, 1e18): raised when
    /// a bankrupt short's deficit is socialized over the long side.
    uint256 longLossIndexWad;
    /// @dev Cumulative socialized loss owed per unit of |short size|: raised by bankrupt longs.
    uint256 shortLossIndexWad;
    /// @dev Σ size × lossIndexSnapshotWad over trader longs (1e36, exact).
    uint256 sumLongSizeTimesLossSnapshot;
    /// @dev Σ |size| × lossIndexSnapshotWad over trader shorts (1e36, exact).
    uint256 sumShortSizeTimesLossSnapshot;
}

/// @notice Auto-deleveraging settings (DESIGN §8, §9), shared by all markets.
struct AdlConfig {
    /// @dev USD, 1e18. Positions whose notional at entry is below this stay out of the ADL queue (spam
    /// guard; entry notional keeps membership price-invariant). They are never deleveraged.
    uint128 minQueueNotionalUsd;
    /// @dev Counterparties one ADL walk may deleverage (only entries actually deleveraged count); 0 disables ADL.
    uint16 maxSteps;
    /// @dev Queue entries not in profit at the bankruptcy price that one walk may pass over (they cost gas
    /// but place nothing; bounded separately so that cheap unprofitable entries at the head of a queue
    /// cannot use up `maxSteps`).
    uint16 maxSkips;
    /// @dev `deleverageVault` is allowed while the vault's unrealised loss in a market exceeds this share
    /// of vault equity (bps) ...
    uint16 vaultLossUpperBps;
    /// @dev ... and brings the loss back to at most this share (bps), never further.
    uint16 vaultLossLowerBps;
}

/// @notice A maintenance-margin change being phased in: the requirement moves linearly from the previous
/// schedule to the current one between `startTime` and `endTime` (raises only; cuts apply at once).
struct MaintenanceRamp {
    uint64 startTime;
    uint64 endTime;
    uint128 previousKeeperRewardUsd;
}

/// @notice The emergency switches (DESIGN §11).
struct PauseState {
    bool trading;
    bool liquidations;
    bool withdrawals;
    /// @dev After liquidations are unpaused, none happen before this time (the grace period).
    uint64 liquidationsResumeAt;
}

/// @notice Governance timing parameters.
struct GovernanceConfig {
    /// @dev Grace period after liquidations are unpaused, in seconds.
    uint64 liquidationGracePeriodSeconds;
    /// @dev Duration over which a maintenance-margin raise is phased in, in seconds.
    uint64 maintenanceRampSeconds;
}

/// @notice A pending two-step order (DESIGN §4): committed by its owner, executed by anyone once
/// `executableAt` is reached, at the price read at execution.
struct Order {
    /// @dev Base units, 1e18; the size change to apply (0 for a pure margin move). 0 with 0 margin = no order.
    int128 sizeDelta;
    /// @dev The position's size when the order was committed: execution cancels the order if it changed.
    int128 sizeAtCommit;
    /// @dev USD, 1e18: margin to add (escrowed from the free balance at commit) or to remove (negative).
    int128 marginDeltaUsd;
    /// @dev Worst acceptable fill (USD per base unit, 1e18), capped at type(uint128).max ("any price").
    uint128 acceptablePriceWad;
    /// @dev Earliest execution time (seconds).
    uint64 executableAt;
    /// @dev Latest execution time (seconds); after it the order can only be cancelled.
    uint64 expiresAt;
    /// @dev USD, 1e18: the execution fee escrowed at commit.
    uint128 executionFeeUsd;
}
