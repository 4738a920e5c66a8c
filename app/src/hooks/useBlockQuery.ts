/**
 * A TanStack query pinned to the latest block: its key holds the block number, so a new block refetches it
 * (and only then), while the previous block's data stays on screen until the new one arrives.
 */
import { keepPreviousData, useQuery, type UseQueryResult } from "@tanstack/react-query";
import { useChain } from "../chain/ChainContext";
import type { BlockPin } from "../chain/snapshots";

/** Old blocks' results are dropped soon: only the latest is ever shown. */
const BLOCK_QUERY_GC_MS = 15_000;

export function useBlockQuery<T>(
  key: readonly unknown[],
  read: (pin: BlockPin) => Promise<T>,
  enabled = true,
): UseQueryResult<T> {
  const { latestBlock } = useChain();
  const blockTag = latestBlock?.number ?? null;
  return useQuery({
    queryKey: ["chain", ...key, blockTag],
    queryFn: () => read({ blockTag: blockTag as number }),
    enabled: enabled && blockTag !== null,
    placeholderData: keepPreviousData,
    gcTime: BLOCK_QUERY_GC_MS,
  });
}
