/**
 * Follows one contract's logs from the deployment's start block to the latest block, incrementally: each
 * new block fetches only the blocks not seen yet (in bounded ranges), and a fetch in flight carries on to
 * the newest block. A chain that went backwards (a reorg or a restarted node) starts the stream over.
 */
import { useEffect, useRef, useState } from "react";
import type { Log } from "ethers";
import { useChain } from "../chain/ChainContext";

/** Largest block range of one `eth_getLogs` request (public RPCs cap it). */
const LOG_RANGE_BLOCKS = 5_000;

export interface LogStream<T> {
  items: readonly T[];
  /** The last block included, or null before the first fetch. */
  throughBlock: number | null;
  error: string | null;
}

export function useLogStream<T>(
  address: string,
  topics: readonly (string | null)[] | undefined,
  parse: (log: Log) => T | null,
): LogStream<T> {
  const { provider, book, latestBlock } = useChain();
  const [stream, setStream] = useState<LogStream<T>>({ items: [], throughBlock: null, error: null });
  const cursor = useRef<{ through: number; items: T[] }>({ through: book.startBlock - 1, items: [] });
  const busy = useRef(false);
  const parseRef = useRef(parse);
  parseRef.current = parse;
  const topicsKey = JSON.stringify(topics ?? null);

  // Bumped when the stream starts over; a fetch of an older generation stops at its next step.
  const generation = useRef(0);

  useEffect(() => {
    generation.current++;
    cursor.current = { through: book.startBlock - 1, items: [] };
    busy.current = false;
    setStream({ items: [], throughBlock: null, error: null });
  }, [address, topicsKey, book.startBlock]);

  // The newest block to catch up to; a fetch in flight keeps going until it has reached it.
  const target = useRef<number | null>(null);

  useEffect(() => {
    if (latestBlock === null) return;
    target.current = latestBlock.number;
    if (busy.current) return;
    busy.current = true;
    const mine = generation.current;
    const current = () => generation.current === mine;
    (async () => {
      try {
        while (target.current !== null && cursor.current.through !== target.current) {
          const goal = target.current;
          // A chain that went backwards (a reorg, a restarted node) starts the stream over.
          if (goal < cursor.current.through) cursor.current = { through: book.startBlock - 1, items: [] };
          for (let from = cursor.current.through + 1; from <= goal; from += LOG_RANGE_BLOCKS) {
            const to = Math.min(goal, from + LOG_RANGE_BLOCKS - 1);
            const logs = await provider.getLogs({
              address,
              topics: topics ? [...topics] : undefined,
              fromBlock: from,
              toBlock: to,
            });
            if (!current()) return;
            for (const log of logs) {
              const item = parseRef.current(log);
              if (item !== null) cursor.current.items.push(item);
            }
            cursor.current.through = to;
          }
          setStream({ items: [...cursor.current.items], throughBlock: cursor.current.through, error: null });
        }
      } catch (error) {
        if (current()) setStream((previous) => ({ ...previous, error: (error as Error).message }));
      } finally {
        if (current()) busy.current = false;
      }
    })();
    // topicsKey stands for topics.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [latestBlock, address, topicsKey, provider, book.startBlock]);

  return stream;
}
