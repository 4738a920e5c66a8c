/**
 * The bigint mirror of the protocol's math: `positionMath`, `liquidationMath` and `signedMath` mirror
 * contracts/libraries/PositionMath.sol, LiquidationMath.sol and SignedMath.sol one to one, `constants`
 * mirrors Constants.sol, `engineMath` composes them into what contracts/libraries/MarketLogic.sol and
 * contracts/PerpEngine.sol compute, `liquidationEngine` mirrors contracts/liquidation/LiquidationLogic.sol
 * (`simulateLiquidation`, the `liquidationPrice` view), and `liquidationBoundary` is the SDK-only exact
 * (wei-level) liquidation boundary.
 */
export * from "./constants";
export * from "./types";
export * from "./signedMath";
export * from "./positionMath";
export * from "./liquidationMath";
export * from "./engineMath";
export * from "./tradeChecks";
export * from "./liquidationEngine";
export * from "./liquidationBoundary";
