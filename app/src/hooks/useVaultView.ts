/** The Vault screen's view at the latest block (undefined until the reads arrive). */
import { useMemo } from "react";
import { useChain } from "../chain/ChainContext";
import { vaultView, type VaultView } from "../model/vaultView";
import { useAccountState } from "./useAccountState";
import { useLpPosition } from "./useLpPosition";
import { useMarkets } from "./useMarkets";
import { useProtocol } from "./useProtocol";
import { useVault } from "./useVault";

export function useVaultView(): VaultView | undefined {
  const { latestBlock } = useChain();
  const vault = useVault().data;
  const markets = useMarkets().data;
  const protocol = useProtocol().data;
  const shares = useAccountState().data?.shares;
  const lp = useLpPosition().data;
  return useMemo(() => {
    if (!vault || !markets || !protocol || latestBlock === null) return undefined;
    return vaultView({
      vault,
      markets,
      protocol,
      nowSeconds: latestBlock.timestampSeconds,
      lp: lp && shares !== undefined ? { ...lp, shares } : null,
    });
  }, [vault, markets, protocol, latestBlock, lp, shares]);
}
