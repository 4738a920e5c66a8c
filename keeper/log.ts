/** pino JSON logs on stdout; errors are serialised with their cause chain. */
import pino, { type Logger } from "pino";

export function createLogger(level: string): Logger {
  return pino({
    name: "keeper",
    level,
    base: { pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
    serializers: { err: pino.stdSerializers.errWithCause },
    formatters: { level: (label) => ({ level: label }) },
  });
}
