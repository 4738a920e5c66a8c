/**
 * Protocol set-up for the keeper's process tests: a deployed system on a real `hardhat node`, its address book in
 * a temporary folder, LP liquidity, traders opening positions, and price moves through the mock feeds.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { HDNodeWallet, MaxUint256, parseUnits, type JsonRpcSigner } from "ethers";
import { writeAddressBook } from "../../../sdk/addressBook";
import type { DeployedSystem } from "../../../deploy/deploySystem";
import { deployToNode, type LocalNode } from "../../support/localChain";
import { LOCAL_CONFIG, type SystemDeployConfig } from "../../../deploy/config";

/** Hardhat's well-known development mnemonic (the node's unlocked accounts). */
const HARDHAT_MNEMONIC = "test test test test test test test test test test test junk";
/** Accounts 10–12 own the local guardian Safe; traders start above them. */
export const FIRST_TRADER_ACCOUNT = 13;
export const LAST_ACCOUNT = 63;

export function accountPrivateKey(index: number): string {
  return HDNodeWallet.fromPhrase(HARDHAT_MNEMONIC, undefined, `m/44'/60'/0'/0/${index}`).privateKey;
}

export interface TestProtocol {
  node: LocalNode;
  system: DeployedSystem;
  bookPath: string;
  dir: string;
  cleanup(): void;
}

export async function deployProtocol(
  node: LocalNode,
  config: SystemDeployConfig = LOCAL_CONFIG,
): Promise<TestProtocol> {
  const system = await deployToNode(node, config);
  const dir = mkdtempSync(join(tmpdir(), "keeper-test-"));
  const bookPath = writeAddressBook(system.addressBook, join(dir, "localhost.json"));
  return { node, system, bookPath, dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

const usd6 = (amount: string) => parseUnits(amount, 6);
export const usd = (amount: string) => parseUnits(amount, 18);

/** Deposits `amount` USD of LP liquidity from account #0. */
export async function seedVault(protocol: TestProtocol, amount: string): Promise<void> {
  const lp = await protocol.node.signer(0);
  const { collateral, vault } = protocol.system;
  await (await collateral.connect(lp).mint(await lp.getAddress(), usd6(amount))).wait();
  await (await collateral.connect(lp).approve(await vault.getAddress(), MaxUint256)).wait();
  await (await vault.connect(lp).deposit(usd6(amount), await lp.getAddress())).wait();
}

/** Mints, approves and deposits `amount` USD for each trader (transactions sent without waiting in between). */
export async function fundTraders(protocol: TestProtocol, traders: JsonRpcSigner[], amount: string): Promise<void> {
  const { collateral, engine } = protocol.system;
  const engineAddress = await engine.getAddress();
  const sent = await Promise.all(
    traders.map(async (trader) => {
      const address = await trader.getAddress();
      const mint = await collateral.connect(trader).mint(address, usd6(amount));
      const approve = await collateral.connect(trader).approve(engineAddress, MaxUint256);
      const deposit = await engine.connect(trader).deposit(usd6(amount));
      return [mint, approve, deposit];
    }),
  );
  await Promise.all(sent.flat().map((tx) => tx.wait()));
}

export function marketIdOf(protocol: TestProtocol, symbol: string): string {
  const market = protocol.system.markets.find((m) => m.symbol === symbol);
  if (!market) throw new Error(`no market ${symbol}`);
  return market.marketId;
}

/** Opens (or changes) a position: `size` base units and `margin` USD, any fill accepted. */
export async function trade(
  protocol: TestProtocol,
  trader: JsonRpcSigner,
  symbol: string,
  size: bigint,
  margin: bigint,
) {
  const acceptable = size > 0n ? MaxUint256 : 0n;
  return protocol.system.engine.connect(trader).modifyPosition(marketIdOf(protocol, symbol), size, margin, acceptable);
}

/** Pushes a new answer to a market's mock feed (USD, e.g. "1880.5"); returns the receipt's block number. */
export async function setPrice(protocol: TestProtocol, symbol: string, priceUsd: string): Promise<number> {
  const market = protocol.system.markets.find((m) => m.symbol === symbol)!;
  const admin = await protocol.node.signer(0);
  const tx = await market.feed.connect(admin).updateAnswer(parseUnits(priceUsd, market.feedDecimals));
  const receipt = await tx.wait();
  return receipt!.blockNumber;
}
