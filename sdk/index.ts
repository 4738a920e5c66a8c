/** The SDK shared by the keeper, dApp, simulator and tests. */
export * from "./addressBook";
export * from "./math";
