/**
 * The Vault screen's numbers: share price, the vault's withdrawal-side equity and what it must keep (the
 * exposure caps' need and the gross-OI reserve, from the SDK mirror), the LP's position, how much of it can
 * leave now, and why the rest cannot.
 */
import type { LpSnapshot, MarketSnapshot, ProtocolSnapshot, VaultSnapshot } from "../chain/snapshots";
import { vaultPayoutLimit, type VaultMarket, type VaultPayoutLimit } from "../sdkMirror/vaultLimits";
import { stateForValuation } from "./settlement";

/** Why an LP cannot withdraw everything now. */
export type WithdrawLimit =
  | "none"
  | "withdrawals-paused"
  /** A market with open interest has no valid price: the vault cannot be valued. */
  | "price-invalid"
  /** The exposure caps' need is the larger part of what the vault must keep. */
  | "exposure-cap"
  /** The reserve on gross open interest is the larger part of what the vault must keep. */
  | "gross-oi-reserve"
  /** The vault's cash (not its equity) is the bound. */
  | "vault-cash";

export interface VaultView {
  vault: VaultSnapshot;
  /** The vault's payout limit and its parts; null while a market with open interest has no valid price. */
  payout: VaultPayoutLimit | null;
  /** The symbol of the market whose exposure cap sets the exposure need (null when none). */
  exposureMarketSymbol: string | null;
  lp: {
    shares: bigint;
    /** What the shares redeem for now (token units), null while a price is invalid. */
    ownerAssets: bigint | null;
    maxWithdraw: bigint;
    maxRedeem: bigint;
    limit: WithdrawLimit;
  } | null;
}

function vaultMarkets(markets: readonly MarketSnapshot[], nowSeconds: bigint): VaultMarket[] | null {
  const priced: VaultMarket[] = [];
  for (const m of markets) {
    const hasOpenInterest = m.state.longOpenInterest !== 0n || m.state.shortOpenInterest !== 0n;
    if (!m.price.ok) {
      if (hasOpenInterest) return null;
      continue;
    }
    priced.push({
      marketId: m.entry.marketId,
      state: stateForValuation(m, nowSeconds),
      params: m.params,
      priceWad: m.price.priceWad,
    });
  }
  return priced;
}

function withdrawLimit(
  protocol: ProtocolSnapshot,
  payout: VaultPayoutLimit | null,
  ownerAssets: bigint | null,
  maxWithdraw: bigint,
): WithdrawLimit {
  if (ownerAssets !== null && maxWithdraw >= ownerAssets) return "none";
  if (protocol.withdrawalsPaused) return "withdrawals-paused";
  if (payout === null || ownerAssets === null) return "price-invalid";
  if (payout.bound === "cash" || payout.bound === "no-cash") return "vault-cash";
  return payout.breakdown.exposureNeedUsd >= payout.breakdown.reserveUsd ? "exposure-cap" : "gross-oi-reserve";
}

export function vaultView(input: {
  vault: VaultSnapshot;
  markets: readonly MarketSnapshot[];
  protocol: ProtocolSnapshot;
  nowSeconds: bigint;
  /** The connected LP's shares and limits, when a wallet is connected. */
  lp: (LpSnapshot & { shares: bigint }) | null;
}): VaultView {
  const markets = vaultMarkets(input.markets, input.nowSeconds);
  const payout = markets === null ? null : vaultPayoutLimit(input.protocol.vaultCashUsd, markets, input.nowSeconds);
  const exposureMarketId = payout?.breakdown.exposureMarketId ?? null;
  const exposureMarketSymbol = input.markets.find((m) => m.entry.marketId === exposureMarketId)?.entry.symbol ?? null;
  const lp = input.lp;
  return {
    vault: input.vault,
    payout,
    exposureMarketSymbol,
    lp:
      lp === null
        ? null
        : {
            shares: lp.shares,
            ownerAssets: lp.ownerAssets,
            maxWithdraw: lp.maxWithdraw,
            maxRedeem: lp.maxRedeem,
            limit: lp.shares === 0n ? "none" : withdrawLimit(input.protocol, payout, lp.ownerAssets, lp.maxWithdraw),
          },
  };
}
