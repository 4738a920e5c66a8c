/**
 * The bigint mirror of the protocol's math: `positionMath` and `signedMath` mirror
 * contracts/libraries/PositionMath.sol and SignedMath.sol one to one, `constants` mirrors Constants.sol,
 * and `engineMath` composes them into what contracts/PerpEngine.sol computes.
 */
export * from "./constants";
export * from "./types";
export * from "./signedMath";
export * from "./positionMath";
export * from "./engineMath";
