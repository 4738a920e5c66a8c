/**
 * STAND-IN FOR THE KEEPER (issue 12, branch `keeper`): until the real keeper lands, the end-to-end tests
 * perform its jobs from the test itself through these functions, so each one is a single call site to swap
 * for "start the keeper and wait for it". Listed in app/README.md.
 */
import type { Signer } from "ethers";
import type { PerpEngine } from "../../../typechain-types";

/** What the keeper does when a position turns liquidatable: `liquidate(account, marketId)`. */
export async function standInKeeperLiquidates(
  engine: PerpEngine,
  keeper: Signer,
  account: string,
  marketId: string,
): Promise<void> {
  if (!(await engine.isLiquidatable(account, marketId))) {
    throw new Error(`stand-in keeper: ${account} is not liquidatable in ${marketId}`);
  }
  await (await engine.connect(keeper).liquidate(account, marketId)).wait();
}

/** What the keeper does once an order's delay has passed: `executeOrder(account, marketId)`. */
export async function standInKeeperExecutesOrder(
  engine: PerpEngine,
  keeper: Signer,
  account: string,
  marketId: string,
): Promise<void> {
  const order = await engine.getOrder(account, marketId);
  if (order.executableAt === 0n) throw new Error(`stand-in keeper: ${account} has no pending order in ${marketId}`);
  await (await engine.connect(keeper).executeOrder(account, marketId)).wait();
}
