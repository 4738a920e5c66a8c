/**
 * Typed contract handles over a runner (the read provider, or the wallet's signer for sends). The types
 * are TypeChain's; the ABIs come from `./abis` (no bytecode in the bundle).
 */
import { Contract, type ContractRunner } from "ethers";
import type { PerpEngine } from "../../../typechain-types/contracts/PerpEngine";
import type { LiquidityVault } from "../../../typechain-types/contracts/LiquidityVault";
import type { ChainlinkOracleAdapter } from "../../../typechain-types/contracts/oracle/ChainlinkOracleAdapter";
import type { IERC20Metadata } from "../../../typechain-types/@openzeppelin/contracts/token/ERC20/extensions/IERC20Metadata";
import type { AggregatorV3Interface } from "../../../typechain-types/@chainlink/contracts/src/v0.8/shared/interfaces/AggregatorV3Interface";
import {
  AGGREGATOR_V3_ABI,
  ERC20_METADATA_ABI,
  LIQUIDITY_VAULT_ABI,
  ORACLE_ADAPTER_ABI,
  PERP_ENGINE_ABI,
} from "./abis";

export type { PerpEngine, LiquidityVault, ChainlinkOracleAdapter, IERC20Metadata, AggregatorV3Interface };

export function perpEngineAt(address: string, runner: ContractRunner): PerpEngine {
  return new Contract(address, PERP_ENGINE_ABI, runner) as unknown as PerpEngine;
}

export function liquidityVaultAt(address: string, runner: ContractRunner): LiquidityVault {
  return new Contract(address, LIQUIDITY_VAULT_ABI, runner) as unknown as LiquidityVault;
}

export function oracleAdapterAt(address: string, runner: ContractRunner): ChainlinkOracleAdapter {
  return new Contract(address, ORACLE_ADAPTER_ABI, runner) as unknown as ChainlinkOracleAdapter;
}

export function erc20At(address: string, runner: ContractRunner): IERC20Metadata {
  return new Contract(address, ERC20_METADATA_ABI, runner) as unknown as IERC20Metadata;
}

export function priceFeedAt(address: string, runner: ContractRunner): AggregatorV3Interface {
  return new Contract(address, AGGREGATOR_V3_ABI, runner) as unknown as AggregatorV3Interface;
}
