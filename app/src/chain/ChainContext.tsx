/**
 * The deployment the page talks to: the runtime config, the address book, the read provider, the typed
 * read contracts, the error decoder and the latest block. Every read hook pins itself to `latestBlock`, so
 * all numbers on screen come from the same block and refresh together when a new one arrives.
 */
import { createContext, useContext, useEffect, useMemo, useState, type ReactNode } from "react";
import { JsonRpcProvider, Network } from "ethers";
import { useQuery } from "@tanstack/react-query";
import type { AddressBook } from "../../../sdk/addressBookSchema";
import type { RuntimeConfig } from "../config/runtimeConfig";
import { ErrorDecoder } from "../errors/decodeError";
import type { ErrorFormatContext } from "../errors/errorMessages";
import { ERROR_SOURCE_ABIS } from "./abis";
import { readContracts, type ReadContracts } from "./snapshots";

export interface LatestBlock {
  number: number;
  timestampSeconds: bigint;
  /** When the page learnt of it (ms since the epoch, the browser's clock): chain time advances from there. */
  seenAtMs: number;
}

export interface ChainContextValue {
  config: RuntimeConfig;
  book: AddressBook;
  provider: JsonRpcProvider;
  contracts: ReadContracts;
  decoder: ErrorDecoder;
  errorContext: ErrorFormatContext;
  /** null until the first block has been read. */
  latestBlock: LatestBlock | null;
  /** Why the node cannot be read, or null. */
  connectionError: string | null;
}

const ChainContext = createContext<ChainContextValue | null>(null);

/** Shown for LP shares until the vault's own symbol has been read. */
const SHARE_SYMBOL_FALLBACK = "shares";

interface ChainProviderProps {
  config: RuntimeConfig;
  book: AddressBook;
  children: ReactNode;
}

/**
 * Owns the read provider: created and destroyed by an effect, so a remount (React's StrictMode runs effects
 * twice in development) never leaves the page on a destroyed provider.
 */
export function ChainProvider(props: ChainProviderProps) {
  const { config, book } = props;
  const [provider, setProvider] = useState<JsonRpcProvider | null>(null);
  useEffect(() => {
    const created = new JsonRpcProvider(config.rpcUrl, Network.from(book.chainId), {
      staticNetwork: true,
      pollingInterval: config.pollIntervalMs,
    });
    setProvider(created);
    return () => created.destroy();
  }, [config.rpcUrl, config.pollIntervalMs, book.chainId]);
  if (provider === null) return null;
  return <ChainValueProvider {...props} provider={provider} />;
}

function ChainValueProvider(props: ChainProviderProps & { provider: JsonRpcProvider }) {
  const { config, book, provider } = props;
  const contracts = useMemo(() => readContracts(book, provider), [book, provider]);
  const decoder = useMemo(() => new ErrorDecoder(ERROR_SOURCE_ABIS), []);
  const [latestBlock, setLatestBlock] = useState<LatestBlock | null>(null);
  const [connectionError, setConnectionError] = useState<string | null>(null);

  useEffect(() => {
    let cancelled = false;
    let newest = -1;
    const onBlock = async (blockNumber: number) => {
      if (blockNumber <= newest) return;
      newest = blockNumber;
      try {
        const block = await provider.getBlock(blockNumber);
        if (cancelled || block === null || blockNumber < newest) return;
        setLatestBlock({ number: blockNumber, timestampSeconds: BigInt(block.timestamp), seenAtMs: Date.now() });
        setConnectionError(null);
      } catch (error) {
        if (!cancelled) setConnectionError(`cannot read the chain at ${config.rpcUrl}: ${(error as Error).message}`);
      }
    };
    provider.getBlockNumber().then(onBlock, (error: unknown) => {
      if (!cancelled) setConnectionError(`cannot reach ${config.rpcUrl}: ${(error as Error).message}`);
    });
    void provider.on("block", onBlock);
    return () => {
      cancelled = true;
      void provider.off("block", onBlock);
    };
  }, [provider, config.rpcUrl]);

  // The share token's metadata never changes: read once.
  const shareToken = useQuery({
    queryKey: ["static", "shareToken", book.vault],
    queryFn: async () => {
      const [symbol, decimals] = await Promise.all([contracts.vault.symbol(), contracts.vault.decimals()]);
      return { symbol, decimals: Number(decimals) };
    },
    staleTime: Infinity,
  });

  const errorContext = useMemo<ErrorFormatContext>(
    () => ({
      marketSymbol: (marketId: string) =>
        book.markets.find((m) => m.marketId.toLowerCase() === marketId.toLowerCase())?.symbol ?? null,
      collateralSymbol: book.collateral.symbol,
      collateralDecimals: book.collateral.decimals,
      shareSymbol: shareToken.data?.symbol ?? SHARE_SYMBOL_FALLBACK,
      // ERC-4626 shares default to the asset's decimals until the vault's own have been read.
      shareDecimals: shareToken.data?.decimals ?? book.collateral.decimals,
      nowSeconds: latestBlock?.timestampSeconds ?? null,
    }),
    [book, latestBlock, shareToken.data],
  );

  const value = useMemo<ChainContextValue>(
    () => ({ config, book, provider, contracts, decoder, errorContext, latestBlock, connectionError }),
    [config, book, provider, contracts, decoder, errorContext, latestBlock, connectionError],
  );
  return <ChainContext.Provider value={value}>{props.children}</ChainContext.Provider>;
}

export function useChain(): ChainContextValue {
  const value = useContext(ChainContext);
  if (value === null) throw new Error("useChain must be used inside <ChainProvider>");
  return value;
}
