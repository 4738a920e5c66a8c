/**
 * One error base class for the simulator, the audit report, the feeder and the demo seeding (STYLE 15):
 * a short message, structured details and a cause chain. Every bad input raises a subclass naming what
 * was wrong; nothing falls back silently.
 */
export class SimError extends Error {
  readonly shortMessage: string;
  readonly details: Readonly<Record<string, string | number | boolean>>;

  constructor(
    shortMessage: string,
    details: Readonly<Record<string, string | number | boolean>> = {},
    options: { cause?: unknown } = {},
  ) {
    const rendered = Object.entries(details)
      .map(([key, value]) => `${key}=${String(value)}`)
      .join(", ");
    super(rendered ? `${shortMessage} (${rendered})` : shortMessage, options);
    this.name = "SimError";
    this.shortMessage = shortMessage;
    this.details = details;
  }
}

/** A scenario file is missing, unreadable or does not match the schema. */
export class ScenarioError extends SimError {
  constructor(message: string, details: Readonly<Record<string, string | number | boolean>> = {}, cause?: unknown) {
    super(message, details, { cause });
    this.name = "ScenarioError";
  }
}

/** A price file is missing or malformed. */
export class PriceDataError extends SimError {
  constructor(message: string, details: Readonly<Record<string, string | number | boolean>> = {}) {
    super(message, details);
    this.name = "PriceDataError";
  }
}

/** The chain source does not answer, or answered something the simulator cannot use. */
export class ChainSourceError extends SimError {
  constructor(message: string, details: Readonly<Record<string, string | number | boolean>> = {}, cause?: unknown) {
    super(message, details, { cause });
    this.name = "ChainSourceError";
  }
}

/** A transaction the simulator itself needed (deployment, funding) failed. */
export class TransactionFailedError extends SimError {
  constructor(message: string, details: Readonly<Record<string, string | number | boolean>> = {}, cause?: unknown) {
    super(message, details, { cause });
    this.name = "TransactionFailedError";
  }
}

/** A run log cannot be read back (report rebuild, sweep results). */
export class RunLogError extends SimError {
  constructor(message: string, details: Readonly<Record<string, string | number | boolean>> = {}) {
    super(message, details);
    this.name = "RunLogError";
  }
}
