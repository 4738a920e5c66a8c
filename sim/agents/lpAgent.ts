/**
 * An LP: deposits at the start; a panicking LP redeems part of its shares, once, when the vault's share price
 * (what a share redeems for, `totalAssets / totalSupply`) falls a given percentage below its peak.
 */
import type { Scenario } from "../scenario/schema";
import type { LpSpec } from "./population";

/** Share prices are compared in parts per million. */
const PPM = 1_000_000n;

type PanicParams = Scenario["lps"]["panic"];

export class LpAgent {
  /** Peak share price seen, as assets per share × PPM. */
  private peakPpm = 0n;
  panicked = false;

  constructor(
    readonly spec: LpSpec,
    private readonly panic: PanicParams,
  ) {}

  /**
   * Feeds the current share price (`totalAssets`, `totalSupply`); returns the share of its holding it
   * wants to redeem now (0 for none), in parts per million.
   */
  decide(totalAssets: bigint | undefined, totalSupply: bigint): bigint {
    if (totalAssets === undefined || totalSupply === 0n) return 0n;
    const pricePpm = (totalAssets * PPM) / totalSupply;
    if (pricePpm > this.peakPpm) this.peakPpm = pricePpm;
    if (!this.spec.panics || this.panicked) return 0n;
    const floorPpm = (this.peakPpm * (PPM - BigInt(Math.round(this.panic.drawdownPct * 10_000)))) / PPM;
    if (pricePpm >= floorPpm) return 0n;
    this.panicked = true;
    return BigInt(Math.round(this.panic.withdrawFraction * Number(PPM)));
  }
}
