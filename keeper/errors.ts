/**
 * One error base class for the keeper (STYLE 15): a short message, structured details and a cause chain, so a
 * log line stays readable and the details stay machine-readable.
 */
export class KeeperError extends Error {
  readonly shortMessage: string;
  readonly details: Readonly<Record<string, unknown>>;

  constructor(
    shortMessage: string,
    details: Readonly<Record<string, unknown>> = {},
    options: { cause?: unknown } = {},
  ) {
    const rendered = Object.entries(details)
      .map(([key, value]) => `${key}=${String(value)}`)
      .join(", ");
    super(rendered ? `${shortMessage} (${rendered})` : shortMessage, options);
    this.name = "KeeperError";
    this.shortMessage = shortMessage;
    this.details = details;
  }
}

/** Bad configuration: the process prints one line and exits with `CONFIG_ERROR_EXIT_CODE`. */
export class ConfigError extends KeeperError {
  constructor(
    shortMessage: string,
    details: Readonly<Record<string, unknown>> = {},
    options: { cause?: unknown } = {},
  ) {
    super(shortMessage, details, options);
    this.name = "ConfigError";
  }
}

/** Exit code of a bad configuration (0 = clean shutdown, 1 = crash). */
export const CONFIG_ERROR_EXIT_CODE = 2;

/** The mirror cannot follow the chain: a reorg deeper than the kept history, or a checkpoint from another chain. */
export class MirrorError extends KeeperError {
  constructor(
    shortMessage: string,
    details: Readonly<Record<string, unknown>> = {},
    options: { cause?: unknown } = {},
  ) {
    super(shortMessage, details, options);
    this.name = "MirrorError";
  }
}
