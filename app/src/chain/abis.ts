/**
 * The ABIs the dApp talks to, taken from the Hardhat artifacts (`npx hardhat compile`). Only the `abi`
 * key of each artifact is imported, so the bytecode never reaches the bundle (the TypeChain factories
 * would carry it); the TypeChain *types* give the contracts their signatures (see `./contracts`).
 */
import { abi as perpEngineAbi } from "../../../artifacts/contracts/PerpEngine.sol/PerpEngine.json";
import { abi as liquidityVaultAbi } from "../../../artifacts/contracts/LiquidityVault.sol/LiquidityVault.json";
import { abi as oracleAdapterAbi } from "../../../artifacts/contracts/oracle/ChainlinkOracleAdapter.sol/ChainlinkOracleAdapter.json";
import { abi as liquidationLogicAbi } from "../../../artifacts/contracts/liquidation/LiquidationLogic.sol/LiquidationLogic.json";
import { abi as adlLogicAbi } from "../../../artifacts/contracts/adl/AdlLogic.sol/AdlLogic.json";
import { abi as marketAdminLogicAbi } from "../../../artifacts/contracts/governance/MarketAdminLogic.sol/MarketAdminLogic.json";
import { abi as orderLogicAbi } from "../../../artifacts/contracts/orders/OrderLogic.sol/OrderLogic.json";
import { abi as erc20MetadataAbi } from "../../../artifacts/@openzeppelin/contracts/token/ERC20/extensions/IERC20Metadata.sol/IERC20Metadata.json";
import { abi as aggregatorV3Abi } from "../../../artifacts/@chainlink/contracts/src/v0.8/shared/interfaces/AggregatorV3Interface.sol/AggregatorV3Interface.json";
import type { InterfaceAbi } from "ethers";

export const PERP_ENGINE_ABI = perpEngineAbi as InterfaceAbi;
export const LIQUIDITY_VAULT_ABI = liquidityVaultAbi as InterfaceAbi;
export const ORACLE_ADAPTER_ABI = oracleAdapterAbi as InterfaceAbi;
export const ERC20_METADATA_ABI = erc20MetadataAbi as InterfaceAbi;
export const AGGREGATOR_V3_ABI = aggregatorV3Abi as InterfaceAbi;

/**
 * Every ABI whose custom errors can come back from a call the dApp makes: the engine, the libraries it
 * DELEGATECALLs (their errors surface from the engine's address), the vault (ERC-20 and ERC-4626 errors)
 * and the oracle adapter (its revert data bubbles up through the engine).
 */
export const ERROR_SOURCE_ABIS: readonly InterfaceAbi[] = [
  PERP_ENGINE_ABI,
  liquidationLogicAbi as InterfaceAbi,
  adlLogicAbi as InterfaceAbi,
  marketAdminLogicAbi as InterfaceAbi,
  orderLogicAbi as InterfaceAbi,
  LIQUIDITY_VAULT_ABI,
  ORACLE_ADAPTER_ABI,
];
