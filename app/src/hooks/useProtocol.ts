/** Pause switches, insurance fund and its target, the vault's cash, at the latest block. */
import { useChain } from "../chain/ChainContext";
import { readProtocol, type ProtocolSnapshot } from "../chain/snapshots";
import { useBlockQuery } from "./useBlockQuery";

export function useProtocol() {
  const { book, contracts } = useChain();
  return useBlockQuery<ProtocolSnapshot>(["protocol", book.engine], (pin) => readProtocol(contracts.engine, pin));
}
