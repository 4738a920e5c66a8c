/**
 * An injected EIP-1193 test wallet for Chromium: `page.addInitScript(installTestWallet, options)` defines
 * it before the page loads and announces it through EIP-6963. Requests go to the node's JSON-RPC, whose
 * unlocked accounts sign `eth_sendTransaction`; `wallet_*` methods are stubbed: switching works only to the
 * node's chain (anything else is "unrecognized", code 4902) and emits `chainChanged`.
 *
 * `installTestWallet` runs inside the page: it must stay self-contained (no imports, no outer variables).
 */

export interface TestWalletOptions {
  rpcUrl: string;
  /** The account the wallet exposes (one of the node's unlocked accounts). */
  account: string;
  /** The node's chain id: the only chain `wallet_switchEthereumChain` accepts. */
  nodeChainId: number;
  /** The chain the wallet reports at first (another id simulates a wallet on the wrong network). */
  initialChainId: number;
  name: string;
  rdns: string;
}

export function installTestWallet(options: TestWalletOptions): void {
  type Listener = (...args: unknown[]) => void;
  const listeners = new Map<string, Set<Listener>>();
  let chainId = options.initialChainId;
  let connected = false;
  let requestId = 0;
  const hex = (n: number) => "0x" + n.toString(16);
  const emit = (event: string, ...args: unknown[]) => listeners.get(event)?.forEach((listener) => listener(...args));
  const walletError = (code: number, message: string) => Object.assign(new Error(message), { code });

  async function rpc(method: string, params: unknown): Promise<unknown> {
    const response = await fetch(options.rpcUrl, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ jsonrpc: "2.0", id: ++requestId, method, params: params ?? [] }),
    });
    const body = (await response.json()) as {
      result?: unknown;
      error?: { code: number; message: string; data?: unknown };
    };
    if (body.error)
      throw Object.assign(new Error(body.error.message), { code: body.error.code, data: body.error.data });
    return body.result;
  }

  const provider = {
    isTestWallet: true,
    async request(args: { method: string; params?: unknown }): Promise<unknown> {
      const params = args.params as unknown[] | undefined;
      switch (args.method) {
        case "eth_requestAccounts":
          connected = true;
          emit("connect", { chainId: hex(chainId) });
          return [options.account];
        case "eth_accounts":
          return connected ? [options.account] : [];
        case "eth_chainId":
          return hex(chainId);
        case "net_version":
          return String(chainId);
        case "wallet_switchEthereumChain": {
          const target = parseInt((params?.[0] as { chainId: string }).chainId, 16);
          if (target !== options.nodeChainId) throw walletError(4902, `Unrecognized chain ${target}`);
          if (target !== chainId) {
            chainId = target;
            emit("chainChanged", hex(chainId));
          }
          return null;
        }
        case "wallet_addEthereumChain":
        case "wallet_watchAsset":
          return null;
        case "wallet_requestPermissions":
        case "wallet_getPermissions":
          return [{ parentCapability: "eth_accounts" }];
        case "eth_sendTransaction":
        case "eth_sign":
        case "personal_sign":
        case "eth_signTypedData_v4":
          if (!connected) throw walletError(4100, "The wallet is not connected");
          if (chainId !== options.nodeChainId) throw walletError(4901, "The wallet is on another chain");
          return rpc(args.method, params);
        default:
          return rpc(args.method, params);
      }
    },
    on(event: string, listener: Listener) {
      if (!listeners.has(event)) listeners.set(event, new Set());
      listeners.get(event)!.add(listener);
    },
    removeListener(event: string, listener: Listener) {
      listeners.get(event)?.delete(listener);
    },
  };

  const icon =
    "data:image/svg+xml;base64," +
    btoa(
      '<svg xmlns="http://www.w3.org/2000/svg" width="16" height="16"><rect width="16" height="16" fill="#0b7a75"/></svg>',
    );
  const detail = Object.freeze({
    info: Object.freeze({ uuid: crypto.randomUUID(), name: options.name, icon, rdns: options.rdns }),
    provider,
  });
  const announce = () => window.dispatchEvent(new CustomEvent("eip6963:announceProvider", { detail }));
  window.addEventListener("eip6963:requestProvider", announce);
  announce();
}
