// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {ERC4626} from "@openzeppelin/contracts/token/ERC20/extensions/ERC4626.sol";
import {IERC20Errors} from "@openzeppelin/contracts/interfaces/draft-IERC6093.sol";
import {IPerpEngine} from "../../../contracts/interfaces/IPerpEngine.sol";
import {LiquidityVault} from "../../../contracts/LiquidityVault.sol";
import {vm} from "../utils/Vm.sol";
import {PerpSystem} from "../system/PerpSystem.sol";
import {Ghosts} from "../ghosts/Ghosts.sol";
import {InvariantNames} from "../invariants/InvariantNames.sol";
import {HandlerBase} from "./HandlerBase.sol";
import {CallContext} from "./CallContext.sol";
import {Reasons} from "./Reasons.sol";

/// @title LpHandler
/// @notice Liquidity providers: ERC-4626 `deposit`, `mint`, `withdraw`, `redeem` (0, one unit, a fraction, exactly the
/// `max*` and one unit past it) and share transfers. Checks: withdrawing or redeeming at most the `max*` value
/// succeeds (`…WithinMaxNoRevert`, DESIGN §12.10), and every LP withdrawal leaves the vault's withdrawal-side equity
/// at or above `vaultRequiredEquityUsd` (the vault's "initial margin", DESIGN §12.8).
contract LpHandler is HandlerBase {
    uint256 private constant USD = 1e18;
    uint256 private constant WALLET_USD = 10_000_000 * USD;

    LiquidityVault internal immutable vault;

    constructor(PerpSystem system, Ghosts ghosts_) HandlerBase(system, ghosts_) {
        vault = system.vault();
    }

    /// @notice `deposit` of 0, one unit, $1k, $100k or $1M.
    function deposit(uint256 lpSeed, uint256 amountSeed) external {
        address lp = _lp(lpSeed);
        _prepare(lp);
        uint256 mode = amountSeed % 5;
        uint256 assets =
            mode == 0
                ? 0
                : mode == 1
                    ? 1
                    : mode == 2
                        ? (1_000 * USD) / scale
                        : mode == 3
                            ? (100_000 * USD) / scale
                            : (1_000_000 * USD) / scale;
        uint256 maxAssets = vault.maxDeposit(lp);
        Reasons.List memory expected = Reasons.create();
        Reasons.addIf(expected, assets > maxAssets, ERC4626.ERC4626ExceededMaxDeposit.selector);
        Reasons.addIf(expected, assets == 0, IPerpEngine.ZeroAmount.selector);
        Reasons.addOracle(expected, !_allPricesValid());
        CallContext memory ctx = _begin("lpDeposit", lp);
        vm.prank(lp);
        try vault.deposit(assets, lp) {
            ctx.finish.tokensIn = assets;
            _end(ctx, _logs(), true);
        } catch (bytes memory reason) {
            _reverted(ctx, reason, expected);
            _end(ctx, _logs(), false);
        }
    }

    /// @notice `mint` of one share, a thousand units' worth or a million.
    function mint(uint256 lpSeed, uint256 sharesSeed) external {
        address lp = _lp(lpSeed);
        _prepare(lp);
        uint256 mode = sharesSeed % 3;
        uint256 shares =
            mode == 0
                ? 1
                : mode == 1
                    ? (1_000 * USD) / scale
                    : (1_000_000 * USD) / scale;
        uint256 maxShares = vault.maxMint(lp);
        uint256 balanceBefore = token.balanceOf(lp);
        Reasons.List memory expected = Reasons.create();
        Reasons.addIf(expected, shares > maxShares, ERC4626.ERC4626ExceededMaxMint.selector);
        // A share can be worth less than one token unit: minting it pulls 0 tokens.
        Reasons.add(expected, IPerpEngine.ZeroAmount.selector);
        Reasons.addOracle(expected, !_allPricesValid());
        CallContext memory ctx = _begin("lpMint", lp);
        vm.prank(lp);
        try vault.mint(shares, lp) {
            ctx.finish.tokensIn = balanceBefore - token.balanceOf(lp);
            _end(ctx, _logs(), true);
        } catch (bytes memory reason) {
            _reverted(ctx, reason, expected);
            _end(ctx, _logs(), false);
        }
    }

    /// @notice `withdraw` of one unit, half the maximum, exactly the maximum or one unit more.
    function withdraw(uint256 lpSeed, uint256 modeSeed) external {
        address lp = _lp(lpSeed);
        uint256 maxAssets = vault.maxWithdraw(lp);
        uint256 mode = modeSeed % 4;
        uint256 assets =
            mode == 0
                ? 1
                : mode == 1
                    ? maxAssets / 2
                    : mode == 2
                        ? maxAssets
                        : maxAssets + 1;
        if (assets == 0) assets = 1;
        bool mustSucceed = assets <= maxAssets;
        Reasons.List memory expected = Reasons.create();
        Reasons.addIf(expected, assets > maxAssets, ERC4626.ERC4626ExceededMaxWithdraw.selector);
        CallContext memory ctx = _begin("lpWithdraw", lp);
        vm.prank(lp);
        try vault.withdraw(assets, lp, lp) {
            ctx.finish.tokensOut = assets;
            _checkVaultRequirement("lpWithdraw", assets);
            _end(ctx, _logs(), true);
        } catch (bytes memory reason) {
            if (mustSucceed) _livenessBroken(ctx, reason, "assets <= maxWithdraw");
            else _reverted(ctx, reason, expected);
            _end(ctx, _logs(), false);
        }
    }

    /// @notice `redeem` of one share, half the maximum, exactly the maximum, one more, or every share held.
    function redeem(uint256 lpSeed, uint256 modeSeed) external {
        address lp = _lp(lpSeed);
        uint256 maxShares = vault.maxRedeem(lp);
        uint256 held = vault.balanceOf(lp);
        uint256 mode = modeSeed % 5;
        uint256 shares =
            mode == 0
                ? 1
                : mode == 1
                    ? maxShares / 2
                    : mode == 2
                        ? maxShares
                        : mode == 3
                            ? maxShares + 1
                            : held;
        if (shares == 0) shares = 1;
        bool mustSucceed = shares <= maxShares && vault.previewRedeem(shares) != 0;
        uint256 balanceBefore = token.balanceOf(lp);
        Reasons.List memory expected = Reasons.create();
        Reasons.addIf(expected, shares > maxShares, ERC4626.ERC4626ExceededMaxRedeem.selector);
        CallContext memory ctx = _begin("lpRedeem", lp);
        vm.prank(lp);
        try vault.redeem(shares, lp, lp) {
            uint256 paid = token.balanceOf(lp) - balanceBefore;
            ctx.finish.tokensOut = paid;
            _checkVaultRequirement("lpRedeem", paid);
            _end(ctx, _logs(), true);
        } catch (bytes memory reason) {
            if (mustSucceed) _livenessBroken(ctx, reason, "shares <= maxRedeem");
            else _reverted(ctx, reason, expected);
            _end(ctx, _logs(), false);
        }
    }

    /// @notice An LP moves shares to the other LP (or more than it holds).
    function transferShares(uint256 fromSeed, uint256 amountSeed) external {
        address from = _lp(fromSeed);
        address to = _lp((fromSeed % lps.length) + 1);
        uint256 held = vault.balanceOf(from);
        uint256 shares = _edge(amountSeed, 0, held + 1);
        CallContext memory ctx = _begin("lpTransferShares", from);
        vm.prank(from);
        try vault.transfer(to, shares) {
            _end(ctx, _logs(), true);
        } catch (bytes memory reason) {
            Reasons.List memory expected = Reasons.create();
            Reasons.addIf(expected, shares > held, IERC20Errors.ERC20InsufficientBalance.selector);
            _reverted(ctx, reason, expected);
            _end(ctx, _logs(), false);
        }
    }

    /// @dev DESIGN §12.8 for the vault: an LP withdrawal that pays anything leaves withdrawal-side equity ≥ the
    /// required equity (a price move may have put it under before; then nothing may leave). Redeeming dust worth 0
    /// tokens moves nothing.
    function _checkVaultRequirement(bytes32 action, uint256 paidTokens) private {
        if (paidTokens == 0) return;
        int256 equityUsd = engine.vaultEquityUsd(false);
        uint256 requiredUsd = engine.vaultRequiredEquityUsd();
        if (equityUsd < int256(requiredUsd)) {
            ghosts.recordViolation(
                InvariantNames.INITIAL_MARGIN,
                string.concat(_str(action), " left the vault's equity under its requirement: ", vm.toString(equityUsd))
            );
        }
    }

    function _prepare(address lp) private {
        if (token.balanceOf(lp) < WALLET_USD / scale / 2) _fund(lp, WALLET_USD / scale);
        if (token.allowance(lp, address(vault)) < type(uint128).max) {
            vm.prank(lp);
            token.approve(address(vault), type(uint256).max);
        }
    }
}
