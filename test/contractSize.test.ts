import { expect } from "chai";
import { artifacts } from "hardhat";

/** EIP-170: the largest deployable runtime code, in bytes. */
const MAX_RUNTIME_CODE_BYTES = 24_576;
/** EIP-3860: the largest deployable init code, in bytes. */
const MAX_INIT_CODE_BYTES = 49_152;
/** Every contract that is deployed on a live network. */
export const PRODUCTION_CONTRACTS = ["PerpEngine", "LiquidationLogic", "LiquidityVault", "ChainlinkOracleAdapter"];

function byteLength(hex: string): number {
  return (hex.length - 2) / 2;
}

describe("contract sizes", () => {
  for (const name of PRODUCTION_CONTRACTS) {
    it(`${name}_fits_the_EIP170_and_EIP3860_limits`, async () => {
      const artifact = await artifacts.readArtifact(name);
      expect(byteLength(artifact.deployedBytecode)).to.be.greaterThan(0);
      expect(byteLength(artifact.deployedBytecode)).to.be.at.most(MAX_RUNTIME_CODE_BYTES);
      expect(byteLength(artifact.bytecode)).to.be.at.most(MAX_INIT_CODE_BYTES);
    });
  }
});
