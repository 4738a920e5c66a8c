// Mirror of contracts/LiquidityVault.sol (OpenZeppelin ERC-4626 with 0 decimals offset, asymmetric valuation)
// and of the engine's vault hooks (`vaultDeposit`, `vaultWithdraw` with `_checkVaultWithdrawalLimits`).
import { Revert, readPrice, type PriceCache } from "./oracle";
import { addWallet, walletOf, type ModelState } from "./state";
import {
  checkVaultExposure,
  maxVaultWithdrawalModel,
  payOut,
  vaultEquityModel,
  vaultRequiredEquityModel,
  type ActionContext,
} from "./engine";
import type { ModelConfig } from "./state";

const MAX_UINT256 = (1n << 256n) - 1n;

function mulDivFloor(a: bigint, b: bigint, d: bigint): bigint {
  return (a * b) / d;
}

function mulDivCeil(a: bigint, b: bigint, d: bigint): bigint {
  const p = a * b;
  return p === 0n ? 0n : (p - 1n) / d + 1n;
}

/** `_tokensFromEquity`: equity (USD) to token units, rounded down, 0 when not positive. */
function tokensFromEquity(cfg: ModelConfig, equityUsd: bigint): bigint {
  return equityUsd <= 0n ? 0n : equityUsd / cfg.scale;
}

/** `totalAssets()` (withdrawal-side valuation); throws the oracle error when a price is invalid. */
export function totalAssets(cfg: ModelConfig, s: ModelState, t: bigint): bigint {
  return tokensFromEquity(cfg, vaultEquityModel(cfg, s, t, false));
}

export function previewRedeem(cfg: ModelConfig, s: ModelState, t: bigint, shares: bigint): bigint {
  return mulDivFloor(shares, totalAssets(cfg, s, t) + 1n, s.shareSupply + 1n);
}

/** `maxDeposit`: 0 while the vault cannot be valued or its deposit-side equity is not positive. */
export function maxDeposit(cfg: ModelConfig, s: ModelState, t: bigint): bigint {
  let equity: bigint;
  try {
    equity = vaultEquityModel(cfg, s, t, true);
  } catch (e) {
    if (e instanceof Revert) return 0n;
    throw e;
  }
  if (s.shareSupply !== 0n && equity <= 0n) return 0n;
  return MAX_UINT256;
}

/** `_payableTokens`: what the engine can pay LPs now, or null when it cannot (paused, invalid price). */
function payableTokens(cfg: ModelConfig, s: ModelState, t: bigint): bigint | null {
  if (s.pauses.withdrawals) return null;
  try {
    return maxVaultWithdrawalModel(cfg, s, t) / cfg.scale;
  } catch (e) {
    if (e instanceof Revert) return null;
    throw e;
  }
}

export function maxWithdraw(cfg: ModelConfig, s: ModelState, t: bigint, owner: string): bigint {
  const payable = payableTokens(cfg, s, t);
  if (payable === null) return 0n;
  const ownerAssets = previewRedeem(cfg, s, t, s.shares.get(owner) ?? 0n);
  return ownerAssets < payable ? ownerAssets : payable;
}

export function maxRedeem(cfg: ModelConfig, s: ModelState, t: bigint, owner: string): bigint {
  const payable = payableTokens(cfg, s, t);
  if (payable === null) return 0n;
  const ownerShares = s.shares.get(owner) ?? 0n;
  if (previewRedeem(cfg, s, t, ownerShares) <= payable) return ownerShares;
  return mulDivFloor(payable, s.shareSupply + 1n, totalAssets(cfg, s, t) + 1n);
}

/** `vault.deposit(assets, lp)`. */
export function lpDeposit(ctx: ActionContext, lp: string, assets: bigint): bigint {
  const { cfg, s, t } = ctx;
  if (assets > maxDeposit(cfg, s, t)) throw new Revert("ERC4626ExceededMaxDeposit");
  const totalForDeposit = tokensFromEquity(cfg, vaultEquityModel(cfg, s, t, true));
  const shares = mulDivFloor(assets, s.shareSupply + 1n, totalForDeposit + 1n);
  if (walletOf(s, lp) < assets) throw new Revert("ERC20InsufficientBalance");
  if (assets === 0n) throw new Revert("ZeroAmount");
  addWallet(s, lp, -assets);
  s.engineTokens += assets;
  s.vaultCashUsd += assets * cfg.scale;
  s.shares.set(lp, (s.shares.get(lp) ?? 0n) + shares);
  s.shareSupply += shares;
  s.flows.lpDeposits += assets;
  ctx.ev.emit("VaultDeposited", { tokenAmount: assets, vaultCashUsd: s.vaultCashUsd });
  return shares;
}

/** `vault.withdraw(assets, lp, lp)`. */
export function lpWithdraw(ctx: ActionContext, lp: string, assets: bigint): bigint {
  const { cfg, s, t } = ctx;
  if (assets > maxWithdraw(cfg, s, t, lp)) throw new Revert("ERC4626ExceededMaxWithdraw");
  const shares = mulDivCeil(assets, s.shareSupply + 1n, totalAssets(cfg, s, t) + 1n);
  burnAndPay(ctx, lp, assets, shares);
  return shares;
}

/** `vault.redeem(shares, lp, lp)`. */
export function lpRedeem(ctx: ActionContext, lp: string, shares: bigint): bigint {
  const { cfg, s, t } = ctx;
  if (shares > maxRedeem(cfg, s, t, lp)) throw new Revert("ERC4626ExceededMaxRedeem");
  const assets = previewRedeem(cfg, s, t, shares);
  burnAndPay(ctx, lp, assets, shares);
  return assets;
}

/** `_withdraw`: burn, then `engine.vaultWithdraw` unless the assets round to 0. */
function burnAndPay(ctx: ActionContext, lp: string, assets: bigint, shares: bigint): void {
  const { cfg, s } = ctx;
  const balance = s.shares.get(lp) ?? 0n;
  if (balance < shares) throw new Revert("ERC20InsufficientBalance");
  s.shares.set(lp, balance - shares);
  s.shareSupply -= shares;
  if (assets === 0n) {
    if (s.shareSupply === 0n && s.vaultCashUsd > 0n) s.vaultEmptiedWithValue = true;
    return;
  }
  if (s.pauses.withdrawals) throw new Revert("WithdrawalsPaused");
  const debited = assets * cfg.scale;
  if (s.vaultCashUsd < debited) throw new Revert("VaultCashInsufficient");
  s.vaultCashUsd -= debited;
  // _checkVaultWithdrawalLimits: reads (and records) every price of a market with open interest, checks each
  // skew against its cap, then the equity against the caps' need plus the gross-OI reserves.
  const cache: PriceCache = new Map();
  s.markets.forEach((m, mi) => {
    if (m.state.longOpenInterest + m.state.shortOpenInterest === 0n) return;
    const { priceWad } = readPrice(cfg.markets, s, mi, ctx.t, cache, ctx.ev);
    if (m.state.netSize !== 0n) checkVaultExposure(ctx, mi, priceWad, cache);
  });
  if (vaultEquityModel(cfg, s, ctx.t, false, cache) < vaultRequiredEquityModel(cfg, s, ctx.t, cache)) {
    throw new Revert("VaultEquityBelowRequirement");
  }
  payOut(s, assets);
  if (s.shareSupply === 0n && s.vaultCashUsd > 0n) s.vaultEmptiedWithValue = true;
  addWallet(s, lp, assets);
  s.flows.lpWithdrawals += assets;
  ctx.ev.emit("VaultWithdrawn", { receiver: lp, tokenAmount: assets, vaultCashUsd: s.vaultCashUsd });
}
