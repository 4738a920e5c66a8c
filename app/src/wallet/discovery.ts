/**
 * Wallet discovery: wallets announced through EIP-6963 (via mipd's store), with `window.ethereum` as the
 * fallback for wallets that only inject themselves.
 */
import { createStore, type EIP6963ProviderDetail, type Store } from "mipd";
import type { Eip1193Provider } from "./eip1193";

/** One wallet the user can pick. */
export interface WalletOption {
  /** EIP-6963 rdns, or "injected" for the `window.ethereum` fallback. */
  id: string;
  name: string;
  /** A data: URI (EIP-6963) or null. */
  icon: string | null;
  provider: Eip1193Provider;
}

export const INJECTED_WALLET_ID = "injected";

declare global {
  interface Window {
    ethereum?: Eip1193Provider;
  }
}

function fromDetail(detail: EIP6963ProviderDetail): WalletOption {
  return { id: detail.info.rdns, name: detail.info.name, icon: detail.info.icon, provider: detail.provider };
}

/** The announced wallets, or the injected one when nothing announced itself. */
export function walletOptions(details: readonly EIP6963ProviderDetail[]): WalletOption[] {
  const announced = details.map(fromDetail);
  if (announced.length > 0) return announced;
  const injected = typeof window !== "undefined" ? window.ethereum : undefined;
  return injected ? [{ id: INJECTED_WALLET_ID, name: "Browser wallet", icon: null, provider: injected }] : [];
}

let store: Store | null = null;

/** The page's one EIP-6963 store (created on first use; it requests announcements when created). */
export function walletStore(): Store {
  store ??= createStore();
  return store;
}
