/**
 * The chain's time now, estimated between blocks: the latest block's timestamp plus the seconds elapsed on
 * the browser's clock since it arrived, ticking every second. Countdowns use it; every decision the chain
 * makes still uses block time (a local node mines only when a transaction arrives, so blocks can be minutes
 * apart).
 */
import { useEffect, useState } from "react";
import { useChain } from "../chain/ChainContext";

const TICK_MS = 1_000;
const MS_PER_SECOND = 1_000;

export function useChainClock(): bigint | null {
  const { latestBlock } = useChain();
  const [nowMs, setNowMs] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNowMs(Date.now()), TICK_MS);
    return () => clearInterval(timer);
  }, []);
  if (latestBlock === null) return null;
  const elapsedSeconds = Math.max(0, Math.floor((nowMs - latestBlock.seenAtMs) / MS_PER_SECOND));
  return latestBlock.timestampSeconds + BigInt(elapsedSeconds);
}
