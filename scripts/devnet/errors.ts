/**
 * The devnet's errors and exit codes. Every failure ends in one line on stderr (never a stack trace) and one
 * of these codes, so a script or a test can tell a configuration mistake from a component that broke.
 */

/** Stopped by Ctrl-C (SIGINT) or SIGTERM: every child stopped cleanly. */
export const EXIT_STOPPED = 0;
/** A step failed or a child exited on its own: the rest was stopped. */
export const EXIT_FAILED = 1;
/** Bad configuration (an environment variable, a flag) or a port already in use: nothing was started. */
export const EXIT_CONFIG = 2;

export class DevnetError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = EXIT_FAILED,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = "DevnetError";
  }
}

/** A setting the user gave is invalid, or a port it names is taken. */
export class DevnetConfigError extends DevnetError {
  constructor(message: string) {
    super(message, EXIT_CONFIG);
    this.name = "DevnetConfigError";
  }
}

/** One line for the terminal: the message, and the cause's message when it adds something. */
export function oneLine(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const first = error.message.split("\n")[0];
  const cause = error.cause instanceof Error ? error.cause.message.split("\n")[0] : undefined;
  return cause && !first.includes(cause) ? `${first}: ${cause}` : first;
}
