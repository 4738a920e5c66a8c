/**
 * The connected wallet: discovery (EIP-6963, `window.ethereum` fallback), connect, reconnect on reload,
 * account and chain changes, and switching (or adding) the deployment's chain. Sending is allowed only when
 * the wallet is on the address book's chain; otherwise `sendBlockedReason` says why.
 */
import {
  createContext,
  useCallback,
  useContext,
  useEffect,
  useMemo,
  useState,
  useSyncExternalStore,
  type ReactNode,
} from "react";
import { BrowserProvider, getAddress, toBeHex, type JsonRpcSigner } from "ethers";
import { useChain } from "../chain/ChainContext";
import { walletOptions, walletStore, type WalletOption } from "./discovery";
import { Eip1193ErrorCode, eip1193ErrorCode } from "./eip1193";

export type WalletStatus = "disconnected" | "connecting" | "connected";

export interface WalletContextValue {
  options: WalletOption[];
  status: WalletStatus;
  wallet: WalletOption | null;
  account: string | null;
  /** The wallet's current chain id, or null when not connected. */
  chainId: number | null;
  /** True when connected on the deployment's chain. */
  canSend: boolean;
  /** Why sending is disabled (not connected, wrong chain), or null. */
  sendBlockedReason: string | null;
  /** The last connection or chain-switch problem, for display. */
  walletError: string | null;
  connect(option: WalletOption): Promise<void>;
  disconnect(): void;
  switchChain(): Promise<void>;
  /** A signer for the connected account (throws when sending is blocked). */
  signer(): Promise<JsonRpcSigner>;
}

const WalletContext = createContext<WalletContextValue | null>(null);

/** Remembers which wallet to reconnect silently after a reload. */
const LAST_WALLET_STORAGE_KEY = "nbp-perps.lastWallet";
/** The wallet's native currency on the chains we add (the devnet and Ethereum L1/L2s all use ETH). */
const NATIVE_CURRENCY = { name: "Ether", symbol: "ETH", decimals: 18 } as const;

function parseChainId(value: unknown): number {
  if (typeof value === "string") return Number(BigInt(value));
  if (typeof value === "number") return value;
  throw new Error(`wallet returned an invalid chain id: ${String(value)}`);
}

function firstAccount(value: unknown): string | null {
  return Array.isArray(value) && typeof value[0] === "string" ? getAddress(value[0]) : null;
}

function errorText(error: unknown): string {
  if (eip1193ErrorCode(error) === Eip1193ErrorCode.USER_REJECTED) return "You rejected the request in your wallet.";
  return error instanceof Error ? error.message : String(error);
}

export function WalletProvider(props: { children: ReactNode }) {
  const { book, config } = useChain();
  const store = walletStore();
  const details = useSyncExternalStore(
    (onChange) => store.subscribe(() => onChange()),
    () => store.getProviders(),
  );
  const options = useMemo(() => walletOptions(details), [details]);

  const [wallet, setWallet] = useState<WalletOption | null>(null);
  const [status, setStatus] = useState<WalletStatus>("disconnected");
  const [account, setAccount] = useState<string | null>(null);
  const [chainId, setChainId] = useState<number | null>(null);
  const [walletError, setWalletError] = useState<string | null>(null);

  const adopt = useCallback(async (option: WalletOption, accounts: unknown) => {
    const address = firstAccount(accounts);
    if (address === null) {
      setStatus("disconnected");
      return;
    }
    const chain = parseChainId(await option.provider.request({ method: "eth_chainId" }));
    setWallet(option);
    setAccount(address);
    setChainId(chain);
    setStatus("connected");
    setWalletError(null);
    window.localStorage.setItem(LAST_WALLET_STORAGE_KEY, option.id);
  }, []);

  const connect = useCallback(
    async (option: WalletOption) => {
      setStatus("connecting");
      try {
        await adopt(option, await option.provider.request({ method: "eth_requestAccounts" }));
      } catch (error) {
        setStatus("disconnected");
        setWalletError(errorText(error));
      }
    },
    [adopt],
  );

  // Reconnect silently (eth_accounts never prompts) to the wallet used last time.
  useEffect(() => {
    if (status !== "disconnected" || wallet !== null) return;
    const lastId = window.localStorage.getItem(LAST_WALLET_STORAGE_KEY);
    const option = options.find((o) => o.id === lastId);
    if (!option) return;
    let cancelled = false;
    option.provider.request({ method: "eth_accounts" }).then(
      (accounts) => {
        if (!cancelled) void adopt(option, accounts);
      },
      () => undefined,
    );
    return () => {
      cancelled = true;
    };
  }, [options, status, wallet, adopt]);

  // Follow the wallet's account and chain.
  useEffect(() => {
    const provider = wallet?.provider;
    if (!provider?.on) return;
    const onAccounts = (accounts: unknown) => {
      const address = firstAccount(accounts);
      setAccount(address);
      if (address === null) setStatus("disconnected");
    };
    const onChain = (chain: unknown) => setChainId(parseChainId(chain));
    provider.on("accountsChanged", onAccounts as (...args: never[]) => void);
    provider.on("chainChanged", onChain as (...args: never[]) => void);
    return () => {
      provider.removeListener?.("accountsChanged", onAccounts as (...args: never[]) => void);
      provider.removeListener?.("chainChanged", onChain as (...args: never[]) => void);
    };
  }, [wallet]);

  const disconnect = useCallback(() => {
    window.localStorage.removeItem(LAST_WALLET_STORAGE_KEY);
    setWallet(null);
    setAccount(null);
    setChainId(null);
    setStatus("disconnected");
  }, []);

  const switchChain = useCallback(async () => {
    if (!wallet) return;
    const chainIdHex = toBeHex(book.chainId);
    try {
      try {
        await wallet.provider.request({ method: "wallet_switchEthereumChain", params: [{ chainId: chainIdHex }] });
      } catch (error) {
        if (eip1193ErrorCode(error) !== Eip1193ErrorCode.UNRECOGNIZED_CHAIN) throw error;
        await wallet.provider.request({
          method: "wallet_addEthereumChain",
          params: [
            {
              chainId: chainIdHex,
              chainName: config.chainName ?? `NBP Perps (${book.network})`,
              rpcUrls: [config.rpcUrl],
              nativeCurrency: NATIVE_CURRENCY,
            },
          ],
        });
      }
      setChainId(parseChainId(await wallet.provider.request({ method: "eth_chainId" })));
      setWalletError(null);
    } catch (error) {
      setWalletError(`Could not switch the network: ${errorText(error)}`);
    }
  }, [wallet, book.chainId, book.network, config.chainName, config.rpcUrl]);

  const canSend = status === "connected" && account !== null && chainId === book.chainId;
  let sendBlockedReason: string | null = null;
  if (status !== "connected" || account === null) sendBlockedReason = "Connect a wallet to send transactions.";
  else if (chainId !== book.chainId) {
    sendBlockedReason = `Wrong network: your wallet is on chain ${chainId}, this app runs on chain ${book.chainId} (${book.network}). Switch the network to send.`;
  }

  const signer = useCallback(async () => {
    if (!wallet || account === null || chainId !== book.chainId) {
      throw new Error(sendBlockedReason ?? "the wallet cannot send now");
    }
    // "any": the wallet may change chains; ethers must not pin the network it saw first.
    return new BrowserProvider(wallet.provider, "any").getSigner(account);
  }, [wallet, account, chainId, book.chainId, sendBlockedReason]);

  const value = useMemo<WalletContextValue>(
    () => ({
      options,
      status,
      wallet,
      account,
      chainId,
      canSend,
      sendBlockedReason,
      walletError,
      connect,
      disconnect,
      switchChain,
      signer,
    }),
    [
      options,
      status,
      wallet,
      account,
      chainId,
      canSend,
      sendBlockedReason,
      walletError,
      connect,
      disconnect,
      switchChain,
      signer,
    ],
  );
  return <WalletContext.Provider value={value}>{props.children}</WalletContext.Provider>;
}

export function useWallet(): WalletContextValue {
  const value = useContext(WalletContext);
  if (value === null) throw new Error("useWallet must be used inside <WalletProvider>");
  return value;
}
