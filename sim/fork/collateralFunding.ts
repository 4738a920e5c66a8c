/**
 * Funds the simulation's actors with the forked network's real collateral token, the way it would happen on the
 * network itself: a real holder sends it. Each holder of the network's list (deploy/networks) is impersonated in
 * turn, with its balance read at the fork block; a holder whose transfer reverts (blacklisted, paused) is dropped.
 * When no holder has enough left, the actor's balance is written directly through the token's balance slot,
 * found once by probing (sim/fork/balanceSlot.ts). Such writes do not change `totalSupply`; the protocol never
 * reads it (it counts what it holds with `balanceOf`).
 */
import type { Interface } from "ethers";
import { MockERC20__factory } from "../../typechain-types";
import type { TokenHolder } from "../../deploy/networks/types";
import { GAS } from "../protocol/calls";
import type { SimChain } from "../chain/simChain";
import { TransactionFailedError } from "../errors";
import { balanceKey, balanceOf, findBalanceSlot, type BalanceSlot } from "./balanceSlot";
import type { ForkFunding } from "./provenance";
import { setStorageAt } from "./runtimeCode";

const tokenInterface = MockERC20__factory.createInterface() as Interface;

interface HolderState {
  holder: TokenHolder;
  /** Token units it can still send (its balance at the fork block minus what it sent). */
  remaining: bigint;
  impersonated: boolean;
  used: boolean;
}

export class CollateralFunding {
  private balanceSlot: BalanceSlot | undefined;
  private readonly stats = {
    holderTransfers: 0,
    holderTokens: 0n,
    storageWrites: 0,
    storageTokens: 0n,
  };

  private constructor(
    private readonly chain: SimChain,
    private readonly token: string,
    private readonly holders: HolderState[],
  ) {}

  /** Reads every listed holder's balance at `block` (the fork block). */
  static async create(
    chain: SimChain,
    token: string,
    holders: readonly TokenHolder[],
    block: number,
  ): Promise<CollateralFunding> {
    const states: HolderState[] = [];
    for (const holder of holders) {
      const data = tokenInterface.encodeFunctionData("balanceOf", [holder.address]);
      const balance = BigInt(await chain.call(token, data, block));
      states.push({ holder, remaining: balance, impersonated: false, used: false });
    }
    return new CollateralFunding(chain, token, states);
  }

  /** Gives `account` `tokenAmount` units: a transfer from the first holder that can afford it, else a storage write. */
  async fund(account: string, tokenAmount: bigint): Promise<void> {
    for (const state of this.holders) {
      if (state.remaining < tokenAmount) continue;
      if (!state.impersonated) {
        await this.chain.impersonate(state.holder.address);
        state.impersonated = true;
      }
      const outcome = await this.chain.sendTransaction({
        from: state.holder.address,
        to: this.token,
        data: tokenInterface.encodeFunctionData("transfer", [account, tokenAmount]),
        gas: GAS.erc20,
      });
      if (!outcome.ok) {
        state.remaining = 0n; // a holder that cannot send (blacklisted, paused token) is not asked again
        continue;
      }
      state.remaining -= tokenAmount;
      state.used = true;
      this.stats.holderTransfers++;
      this.stats.holderTokens += tokenAmount;
      return;
    }
    await this.writeBalance(account, tokenAmount);
  }

  /** The fallback: `account`'s balance += `tokenAmount` through the balance slot, checked with `balanceOf`. */
  private async writeBalance(account: string, tokenAmount: bigint): Promise<void> {
    this.balanceSlot ??= await findBalanceSlot(this.chain, this.token, account);
    const before = await balanceOf(this.chain, this.token, account);
    await setStorageAt(this.chain.raw, this.token, balanceKey(account, this.balanceSlot), before + tokenAmount);
    const after = await balanceOf(this.chain, this.token, account);
    if (after !== before + tokenAmount) {
      throw new TransactionFailedError("writing the balance slot did not fund the account", {
        account,
        expected: (before + tokenAmount).toString(),
        balance: after.toString(),
      });
    }
    this.stats.storageWrites++;
    this.stats.storageTokens += tokenAmount;
  }

  /** How the actors were funded, for the run's provenance. */
  summary(): ForkFunding {
    return {
      holderTransfers: this.stats.holderTransfers,
      holderTokens: this.stats.holderTokens.toString(),
      storageWrites: this.stats.storageWrites,
      storageTokens: this.stats.storageTokens.toString(),
      balanceSlot: this.balanceSlot ? `${this.balanceSlot.slot} (${this.balanceSlot.layout})` : null,
      holdersUsed: this.holders.filter((state) => state.used).map((state) => state.holder.address),
    };
  }
}
