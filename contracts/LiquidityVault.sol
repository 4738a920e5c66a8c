// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {ERC4626} from "@openzeppelin/contracts/token/ERC20/extensions/ERC4626.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";

import {IPerpEngine} from "./interfaces/IPerpEngine.sol";

/// @title LiquidityVault
/// @notice ERC-4626 shares over the collateral token. The vault's assets live in its account inside the
/// engine, where it is the counterparty of every trade, so its value moves with traders' PnL, fees and
/// funding.
/// @dev Valuation is asymmetric (DESIGN §4): deposits are priced on equity including the vault's
/// unrealised gains, withdrawals on equity excluding them (per market) but including its unrealised
/// losses. Both sides therefore get the less favourable price, and nobody can inflate and redeem.
/// Token donations to the vault or the engine are never counted: only the engine's books are.
contract LiquidityVault is ERC4626, ReentrancyGuardTransient {
    using SafeERC20 for IERC20;
    using Math for uint256;

    /// @notice The engine holding the vault's account.
    IPerpEngine public immutable engine;
    /// @dev 10^(18 − asset decimals), as in the engine.
    uint256 private immutable usdPerToken;

    constructor(
        IPerpEngine perpEngine,
        string memory name,
        string memory symbol
    ) ERC20(name, symbol) ERC4626(perpEngine.collateral()) {
        engine = perpEngine;
        usdPerToken = 10 ** (18 - decimals());
        // The engine pulls deposited assets from here in the same transaction that receives them.
        perpEngine.collateral().forceApprove(address(perpEngine), type(uint256).max);
    }

    // ───────────────────────── valuation ─────────────────────────

    /// @notice Assets backing the shares as valued for withdrawals (unrealised gains excluded), in
    /// token units, rounded down. This is also what `convertToAssets` reports.
    function totalAssets() public view override returns (uint256) {
        return _tokensFromEquity(engine.vaultEquityUsd(false));
    }

    /// @notice Assets backing the shares as valued for deposits (unrealised gains and losses), in token
    /// units, rounded down.
    function totalAssetsForDeposit() public view returns (uint256) {
        return _tokensFromEquity(engine.vaultEquityUsd(true));
    }

    /// @inheritdoc ERC4626
    function previewDeposit(uint256 assets) public view override returns (uint256) {
        return _sharesFor(assets, totalAssetsForDeposit(), Math.Rounding.Floor);
    }

    /// @inheritdoc ERC4626
    function previewMint(uint256 shares) public view override returns (uint256) {
        return _assetsFor(shares, totalAssetsForDeposit(), Math.Rounding.Ceil);
    }

    /// @inheritdoc ERC4626
    function previewWithdraw(uint256 assets) public view override returns (uint256) {
        return _sharesFor(assets, totalAssets(), Math.Rounding.Ceil);
    }

    /// @inheritdoc ERC4626
    function previewRedeem(uint256 shares) public view override returns (uint256) {
        return _assetsFor(shares, totalAssets(), Math.Rounding.Floor);
    }

    /// @notice Deposits are refused while the vault's deposit-side equity is not positive with shares
    /// outstanding (new LPs would buy into a hole at any price), and while any market's price is invalid
    /// (the vault cannot be valued). ERC-4626 `max*` functions must not revert, so an invalid price
    /// reads as 0 here; `deposit` itself then reverts with the oracle's error.
    function maxDeposit(address) public view override returns (uint256) {
        try engine.vaultEquityUsd(true) returns (int256 equityUsd) {
            if (totalSupply() != 0 && equityUsd <= 0) return 0;
            return type(uint256).max;
        } catch {
            return 0;
        }
    }

    /// @inheritdoc ERC4626
    function maxMint(address receiver) public view override returns (uint256) {
        return maxDeposit(receiver) == 0 ? 0 : type(uint256).max;
    }

    /// @notice The owner's shares valued for withdrawal, limited by what the engine can pay out now (the
    /// vault's cash above the equity the exposure caps and the gross-OI reserves require:
    /// `engine.maxVaultWithdrawalUsd`). 0 while any market's price is invalid or while
    /// withdrawals are paused.
    function maxWithdraw(address owner) public view override returns (uint256) {
        (bool priced, uint256 payableTokens) = _payableTokens();
        if (!priced) return 0;
        uint256 ownerAssets = previewRedeem(balanceOf(owner));
        return ownerAssets < payableTokens ? ownerAssets : payableTokens;
    }

    /// @notice The owner's shares, limited as in `maxWithdraw`. 0 while any market's price is invalid.
    function maxRedeem(address owner) public view override returns (uint256) {
        (bool priced, uint256 payableTokens) = _payableTokens();
        if (!priced) return 0;
        uint256 ownerShares = balanceOf(owner);
        if (previewRedeem(ownerShares) <= payableTokens) return ownerShares;
        // Shares whose redemption pays at most `payableTokens` (rounded down).
        return _sharesFor(payableTokens, totalAssets(), Math.Rounding.Floor);
    }

    // ───────────────────────── flows ─────────────────────────

    function deposit(uint256 assets, address receiver) public override nonReentrant returns (uint256) {
        return super.deposit(assets, receiver);
    }

    function mint(uint256 shares, address receiver) public override nonReentrant returns (uint256) {
        return super.mint(shares, receiver);
    }

    function withdraw(uint256 assets, address receiver, address owner) public override nonReentrant returns (uint256) {
        return super.withdraw(assets, receiver, owner);
    }

    function redeem(uint256 shares, address receiver, address owner) public override nonReentrant returns (uint256) {
        return super.redeem(shares, receiver, owner);
    }

    /// @dev Assets go straight on to the vault's engine account; shares are minted after they arrive.
    function _deposit(address caller, address receiver, uint256 assets, uint256 shares) internal override {
        IERC20(asset()).safeTransferFrom(caller, address(this), assets);
        engine.vaultDeposit(assets);
        _mint(receiver, shares);
        emit Deposit(caller, receiver, assets, shares);
    }

    /// @dev Shares are burned before the engine pays the receiver from the vault's account.
    function _withdraw(
        address caller,
        address receiver,
        address owner,
        uint256 assets,
        uint256 shares
    ) internal override {
        if (caller != owner) _spendAllowance(owner, caller, shares);
        _burn(owner, shares);
        // Redeeming dust shares worth 0 assets moves no tokens; the engine rejects zero amounts.
        if (assets != 0) engine.vaultWithdraw(receiver, assets);
        emit Withdraw(caller, receiver, owner, assets, shares);
    }

    // ───────────────────────── helpers ─────────────────────────

    /// @dev What the engine can pay LPs now, in tokens; `priced` is false when a market price is invalid or
    /// withdrawals are paused (nothing can be paid then).
    function _payableTokens() private view returns (bool priced, uint256 tokens) {
        if (engine.withdrawalsPaused()) return (false, 0);
        try engine.maxVaultWithdrawalUsd() returns (uint256 payableUsd) {
            return (true, payableUsd / usdPerToken);
        } catch {
            return (false, 0);
        }
    }

    function _tokensFromEquity(int256 equityUsd) private view returns (uint256) {
        return equityUsd <= 0 ? 0 : uint256(equityUsd) / usdPerToken;
    }

    /// @dev OpenZeppelin's virtual-share formula, on an explicit total so each side can use its own value.
    function _sharesFor(uint256 assets, uint256 total, Math.Rounding rounding) private view returns (uint256) {
        return assets.mulDiv(totalSupply() + 10 ** _decimalsOffset(), total + 1, rounding);
    }

    function _assetsFor(uint256 shares, uint256 total, Math.Rounding rounding) private view returns (uint256) {
        return shares.mulDiv(total + 1, totalSupply() + 10 ** _decimalsOffset(), rounding);
    }
}
