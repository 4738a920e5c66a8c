/**
 * Errors of the fork path, in the simulator's one error style (sim/errors.ts): a short message, details, a cause.
 */
import { ChainSourceError, SimError } from "../errors";

type Details = Readonly<Record<string, string | number | boolean>>;

/** A bad fork request (`--fork`, `--block`, `--chain`, `--sequencer-outage`) or a chain that does not fit it. */
export class ForkError extends SimError {
  constructor(message: string, details: Details = {}, cause?: unknown) {
    super(message, details, { cause });
    this.name = "ForkError";
  }
}

/** The fork source does not answer, or the local fork process could not start from it. */
export class ForkSourceError extends ChainSourceError {
  constructor(message: string, details: Details = {}, cause?: unknown) {
    super(message, details, cause);
    this.name = "ForkSourceError";
  }
}

/** No storage slot of the token holds balances the way `balanceOf` reads them (the funding fallback failed). */
export class BalanceSlotNotFoundError extends SimError {
  constructor(token: string, slotsTried: number) {
    super("no storage slot of the token answers balanceOf", { token, slotsTried });
    this.name = "BalanceSlotNotFoundError";
  }
}
