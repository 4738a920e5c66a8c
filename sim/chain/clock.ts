/**
 * The simulated wall clock. Every transaction is mined in its own block at the timestamp the clock hands
 * out (one second after the previous one), so a run never depends on how fast the machine is: the same
 * seed gives the same blocks, timestamps, funding and report.
 */
export class ChainClock {
  private nextTimestamp: number;
  /** Seconds the clock had to run past a step's nominal time because the previous step had more transactions. */
  overrunSeconds = 0;

  constructor(firstTimestamp: number) {
    this.nextTimestamp = firstTimestamp;
  }

  /** Jumps to `timestamp` (a step's nominal time); never goes backwards. Returns the time actually set. */
  advanceTo(timestamp: number): number {
    if (timestamp > this.nextTimestamp) this.nextTimestamp = timestamp;
    else this.overrunSeconds += this.nextTimestamp - timestamp;
    return this.nextTimestamp;
  }

  /** The timestamp the next transaction's block gets. */
  peek(): number {
    return this.nextTimestamp;
  }

  /** Hands out the next block timestamp. */
  take(): number {
    return this.nextTimestamp++;
  }
}
