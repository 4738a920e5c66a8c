/** The engine's parsed event log since deployment, updated every block. */
import { useChain } from "../chain/ChainContext";
import { parseEngineLog, type EngineEvent } from "../chain/engineEvents";
import { useLogStream, type LogStream } from "./useLogStream";

export function useEngineEvents(): LogStream<EngineEvent> {
  const { book } = useChain();
  return useLogStream(book.engine, undefined, parseEngineLog);
}
