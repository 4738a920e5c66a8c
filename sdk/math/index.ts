/**
 * The bigint mirror of the protocol's math: `positionMath`, `liquidationMath` and `signedMath` mirror
 * contracts/libraries/PositionMath.sol, LiquidationMath.sol and SignedMath.sol one to one, `constants`
 * mirrors Constants.sol, `engineMath` composes them into what contracts/libraries/MarketLogic.sol and
 * contracts/PerpEngine.sol compute, `liquidationEngine` mirrors contracts/liquidation/LiquidationLogic.sol
 * (`simulateLiquidation`: the whole waterfall including the ADL walk of ../adl; the `liquidationPrice` view),
 * `oracleAdapter` mirrors the read path and the history-based deviation breaker of
 * contracts/oracle/ChainlinkOracleAdapter.sol, and `liquidationBoundary` is the SDK-only exact (wei-level)
 * liquidation boundary. The ADL ranking and walks (`../adl`) are imported from their own modules.
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
export * from "./oracleAdapter";
