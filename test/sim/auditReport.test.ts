/**
 * `npm run report` against a real `hardhat node`: a scripted sequence produces every kind of audit event
 * (partial and bankrupt liquidations, insurance payouts and top-ups, ADL, vault absorption, a socialized
 * loss, a vault deleverage, fee/penalty/donation inflows); the export must equal the chain's events exactly,
 * a rerun must fetch only new blocks, a reorg must be re-indexed, and a tampered split must exit non-zero.
 */
import { expect } from "chai";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { spawnSync } from "node:child_process";
import { formatUnits, MaxUint256, parseUnits, type Interface, type Signer } from "ethers";
import { PerpEngine__factory, type PerpEngine } from "../../typechain-types";
import { rpcCall } from "../../sdk/chain/rpc";
import { marketIdOf, type AddressBook } from "../../sdk/addressBook";
import { httpEip1193, type Eip1193 } from "../../sim/chain/eip1193";
import { runAudit, AUDIT_FILES } from "../../sim/audit/auditReport";
import { EventIndex } from "../../sim/audit/eventIndex";
import { fetchLogsAdaptive } from "../../sim/audit/fetchLogs";
import { deployToNode, startLocalNode, PROJECT_ROOT, type LocalNode } from "../support/localChain";
import { stopAllChildren } from "../support/processes";
import type { DeployedSystem } from "../../deploy/deploySystem";

const engineInterface = PerpEngine__factory.createInterface() as Interface;
const ETH = marketIdOf("ETH-USD");
const BTC = marketIdOf("BTC-USD");
const usd = (amount: string) => parseUnits(amount, 18);
const eth = (amount: string) => parseUnits(amount, 18);
const dec = (wad: bigint) => formatUnits(wad, 18);
/** Node accounts used here (10–12 own the guardian Safe; 0 deploys). */
const ACCOUNT = {
  lp: 20,
  btcLong: 21,
  s1: 22,
  s2: 23,
  s3: 24,
  longs: [25, 26, 27, 28, 29],
  partial: 30,
  keeper: 31,
  late: 32,
};
const STALE_AFTER_SECONDS = 3_700;
/** The insurance-fund movements (InsuranceFundTargetSet is a setting, not a movement). */
const INSURANCE_MOVEMENTS = [
  "InsuranceFeeCredited",
  "InsurancePenaltyCredited",
  "InsuranceDeficitPaid",
  "InsuranceKeeperTopUp",
  "InsuranceDonated",
  "InsuranceWithdrawn",
];

interface EngineLog {
  block: number;
  logIndex: number;
  tx: string;
  name: string;
  args: Record<string, unknown>;
}

async function engineLogs(client: Eip1193, engine: string): Promise<EngineLog[]> {
  const logs = (await client.request({
    method: "eth_getLogs",
    params: [{ address: engine, fromBlock: "0x0", toBlock: "latest" }],
  })) as { topics: string[]; data: string; blockNumber: string; logIndex: string; transactionHash: string }[];
  return logs.map((log) => {
    const parsed = engineInterface.parseLog(log)!;
    return {
      block: Number(log.blockNumber),
      logIndex: Number(log.logIndex),
      tx: log.transactionHash,
      name: parsed.name,
      args: parsed.args.toObject(),
    };
  });
}

describe("sim/audit: npm run report", function () {
  this.timeout(300_000);
  let node: LocalNode;
  let system: DeployedSystem;
  let book: AddressBook;
  let client: Eip1193;
  let outDir: string;
  let dbPath: string;
  let signers: Record<string, Signer>;

  const engineAs = (name: string): PerpEngine => system.engine.connect(signers[name]);
  const setPrice = async (symbol: string, priceUsd: string) => {
    const market = system.markets.find((m) => m.symbol === symbol)!;
    await (await market.feed.updateAnswer(parseUnits(priceUsd, market.feedDecimals))).wait();
  };
  const fund = async (name: string, tokens: string, spender: string) => {
    const signer = signers[name];
    await (await system.collateral.mint(await signer.getAddress(), parseUnits(tokens, 6))).wait();
    await (await system.collateral.connect(signer).approve(spender, MaxUint256)).wait();
  };
  const open = async (name: string, market: string, size: bigint, marginUsd: string, depositTokens: string) => {
    await fund(name, depositTokens, await system.engine.getAddress());
    await (await engineAs(name).deposit(parseUnits(depositTokens, 6))).wait();
    await (await engineAs(name).modifyPosition(market, size, usd(marginUsd), size > 0n ? MaxUint256 : 0n)).wait();
  };

  before(async () => {
    node = await startLocalNode();
    system = await deployToNode(node);
    book = system.addressBook;
    client = httpEip1193(node.url);
    outDir = mkdtempSync(join(tmpdir(), "audit-"));
    dbPath = join(outDir, "index.sqlite");
    signers = {};
    const names: [string, number][] = [
      ["lp", ACCOUNT.lp],
      ["btcLong", ACCOUNT.btcLong],
      ["s1", ACCOUNT.s1],
      ["s2", ACCOUNT.s2],
      ["s3", ACCOUNT.s3],
      ["partial", ACCOUNT.partial],
      ["keeper", ACCOUNT.keeper],
      ["late", ACCOUNT.late],
      ...ACCOUNT.longs.map((index, i): [string, number] => [`l${i + 1}`, index]),
    ];
    for (const [name, index] of names) signers[name] = await node.signer(index);
    const deployer = await node.signer(0);
    const engine = await system.engine.getAddress();

    // The vault, a small insurance fund, an open BTC long (open interest in a second market).
    await fund("lp", "200000", await system.vault.getAddress());
    await (
      await system.vault.connect(signers.lp).deposit(parseUnits("200000", 6), await signers.lp.getAddress())
    ).wait();
    await (await system.collateral.mint(await deployer.getAddress(), parseUnits("300", 6))).wait();
    await (await system.collateral.connect(deployer).approve(engine, MaxUint256)).wait();
    await (await system.engine.connect(deployer).donateToInsurance(parseUnits("300", 6))).wait();
    await open("btcLong", BTC, eth("1"), "20000", "25000");
    // Two shorts at 1,800 (not in profit at the longs' bankruptcy price later: never ADL'd), one at 2,000.
    await setPrice("ETH-USD", "1800");
    await open("s1", ETH, -eth("15"), "14000", "15000");
    await open("s2", ETH, -eth("15"), "14000", "15000");
    await setPrice("ETH-USD", "2000");
    await open("s3", ETH, -eth("10"), "2000", "2500");
    for (let i = 1; i <= 5; i++) await open(`l${i}`, ETH, eth("10"), "1100", "1200");
    await open("partial", ETH, eth("5"), "900", "1000");

    // ETH −7.5%: five longs bankrupt, one only under maintenance. The fund covers part of the first, ADL
    // (the 2,000 short) the rest and part of the second, the vault the remainder.
    await setPrice("ETH-USD", "1850");
    await setPrice("BTC-USD", "60000");
    const longs = await Promise.all(["l1", "l2", "l3", "l4"].map((n) => signers[n].getAddress()));
    const keeper = system.engine.connect(signers.keeper);
    await (await keeper.liquidateMany([await signers.partial.getAddress(), ...longs], Array(5).fill(ETH))).wait();

    // BTC goes stale: the vault cannot be valued, so the last long's deficit is socialized over the shorts.
    await rpcCall(node.url, "evm_increaseTime", [STALE_AFTER_SECONDS]);
    await setPrice("ETH-USD", "1840");
    await (await keeper.liquidate(await signers.l5.getAddress(), ETH)).wait();

    // BTC back and squeezed: the vault's loss on the BTC long passes its threshold; the keeper deleverages.
    await setPrice("BTC-USD", "125000");
    await (await keeper.deleverageVault(BTC, 16)).wait();
  });

  after(async () => {
    await node?.stop();
    await stopAllChildren();
  });

  it("exports every audit event of the sequence, equal to the chain's events", async () => {
    const result = await runAudit({ client, book, confirmations: 0, outDir, dbPath, progress: false });
    const logs = await engineLogs(client, book.engine);
    const trail = result.trail;
    const key = (row: Record<string, unknown>) => `${row.block}:${row.logIndex}`;
    const keyOf = (log: EngineLog) => `${log.block}:${log.logIndex}`;

    const liquidated = logs.filter((l) => l.name === "Liquidated");
    expect(trail.liquidations.map(key)).to.deep.equal(liquidated.map(keyOf));
    trail.liquidations.forEach((row, i) => {
      const a = liquidated[i].args;
      expect(row.account).to.equal(a.account);
      expect(row.tx).to.equal(liquidated[i].tx);
      for (const field of [
        "deficitUsd",
        "insurancePaidUsd",
        "adlPaidUsd",
        "vaultPaidUsd",
        "socializedUsd",
        "penaltyUsd",
      ]) {
        expect(row[field], field).to.equal(dec(a[field] as bigint));
      }
    });
    expect([...new Set(trail.liquidations.map((r) => r.kind))]).to.include.members(["partial", "bankrupt"]);

    const deleveraged = logs.filter((l) => l.name === "Deleveraged");
    expect(trail.adl.map(key)).to.deep.equal(deleveraged.map(keyOf));
    expect(trail.adl.map((r) => r.cause)).to.include.members(["liquidation", "vault-protection"]);
    trail.adl.forEach((row, i) => expect(row.size).to.equal(dec(deleveraged[i].args.size as bigint)));

    const absorbed = liquidated.filter((l) => (l.args.vaultPaidUsd as bigint) > 0n);
    expect(absorbed.length).to.be.greaterThan(0);
    expect(trail.vaultAbsorptions.map(key)).to.deep.equal(absorbed.map(keyOf));

    const socialized = logs.filter((l) => l.name === "LossSocialized");
    expect(socialized.length).to.be.greaterThan(0);
    expect(trail.socializedLosses.map(key)).to.deep.equal(socialized.map(keyOf));
    expect(trail.socializedLosses[0].amountUsd).to.equal(dec(socialized[0].args.amountUsd as bigint));

    const vaultDeleveraged = logs.filter((l) => l.name === "VaultDeleveraged");
    expect(vaultDeleveraged.length).to.equal(1);
    expect(trail.vaultDeleverages.map(key)).to.deep.equal(vaultDeleveraged.map(keyOf));

    const insuranceNames = [
      "InsuranceFeeCredited",
      "InsurancePenaltyCredited",
      "InsuranceDeficitPaid",
      "InsuranceKeeperTopUp",
      "InsuranceDonated",
      "InsuranceWithdrawn",
    ];
    const insurance = logs.filter((l) => insuranceNames.includes(l.name));
    expect(trail.insuranceFund.map(key)).to.deep.equal(insurance.map(keyOf));
    expect([...new Set(trail.insuranceFund.map((r) => r.event))]).to.include.members([
      "InsuranceFeeCredited",
      "InsurancePenaltyCredited",
      "InsuranceDeficitPaid",
      "InsuranceDonated",
    ]);
    trail.insuranceFund.forEach((row, i) =>
      expect(row.fundAfterUsd).to.equal(dec(insurance[i].args.insuranceFundUsd as bigint)),
    );

    // Per-day totals add up to the rows, and every split sums.
    const totalDeficit = trail.dailyTotals.reduce((sum, d) => sum + usd(String(d.deficitUsd)), 0n);
    expect(dec(totalDeficit)).to.equal(dec(liquidated.reduce((sum, l) => sum + (l.args.deficitUsd as bigint), 0n)));
    expect(trail.splitCheck).to.deep.equal({ checked: liquidated.length, mismatches: [] });

    const csv = readFileSync(join(outDir, AUDIT_FILES.liquidations), "utf8").trim().split("\n");
    expect(csv).to.have.length(liquidated.length + 1);
    expect(csv[0]).to.match(/^block,timestamp,utc,tx,logIndex,account,market,keeper,kind,/);
    const json = JSON.parse(readFileSync(join(outDir, AUDIT_FILES.json), "utf8"));
    expect(json.liquidations).to.deep.equal(trail.liquidations);
  });

  it("a rerun fetches only the new blocks and still exports everything", async () => {
    const before = await runAudit({ client, book, confirmations: 0, outDir, dbPath, progress: false });
    expect(before.fetchedRanges).to.deep.equal([]);
    expect(before.getLogsCalls).to.equal(0);

    await setPrice("ETH-USD", "1845");
    await open("late", ETH, eth("1"), "200", "300");
    const head = Number(await client.request({ method: "eth_blockNumber" }));
    const after = await runAudit({ client, book, confirmations: 0, outDir, dbPath, progress: false });
    expect(after.fetchedRanges).to.deep.equal([[before.toBlock + 1, head]]);
    const logs = await engineLogs(client, book.engine);
    const insurance = logs.filter((l) => INSURANCE_MOVEMENTS.includes(l.name));
    expect(after.trail.insuranceFund.length).to.equal(insurance.length);
    expect(after.trail.insuranceFund.length).to.be.greaterThan(before.trail.insuranceFund.length);
  });

  it("re-indexes the blocks a reorg replaced", async () => {
    const snapshot = await rpcCall<string>(node.url, "evm_snapshot");
    await open("late", ETH, eth("1"), "200", "300");
    const first = await runAudit({ client, book, confirmations: 0, outDir, dbPath, progress: false });
    await rpcCall(node.url, "evm_revert", [snapshot]);
    await setPrice("ETH-USD", "1846"); // different blocks at the same heights
    await setPrice("ETH-USD", "1847");
    const second = await runAudit({ client, book, confirmations: 0, outDir, dbPath, progress: false });
    expect(second.rolledBackFrom).to.be.a("number");
    const logs = await engineLogs(client, book.engine);
    expect(second.trail.insuranceFund.length).to.equal(logs.filter((l) => INSURANCE_MOVEMENTS.includes(l.name)).length);
    expect(second.trail.insuranceFund.length).to.be.lessThan(first.trail.insuranceFund.length);
  });

  it("halves the getLogs range when the node refuses it and still gets every log", async () => {
    const refusing: Eip1193 = {
      request: async (args) => {
        if (args.method === "eth_getLogs") {
          const [filter] = args.params as [{ fromBlock: string; toBlock: string }];
          if (Number(filter.toBlock) - Number(filter.fromBlock) + 1 > 7) {
            throw Object.assign(new Error("block range is too wide (max 7)"), { code: -32005 });
          }
        }
        return client.request(args);
      },
    };
    const head = Number(await client.request({ method: "eth_blockNumber" }));
    const adaptive = await fetchLogsAdaptive(refusing, [book.engine], 0, head, {
      initialChunkBlocks: 64,
      maxChunkBlocks: 1_024,
    });
    const direct = await fetchLogsAdaptive(client, [book.engine], 0, head, {
      initialChunkBlocks: head + 1,
      maxChunkBlocks: head + 1,
    });
    expect(adaptive.stats.refusedAsTooLarge).to.be.greaterThan(0);
    expect(adaptive.logs.map((l) => `${l.blockNumber}/${l.logIndex}`)).to.deep.equal(
      direct.logs.map((l) => `${l.blockNumber}/${l.logIndex}`),
    );
  });

  it("the CLI exits non-zero when a split does not sum to its deficit", async () => {
    const bookPath = join(outDir, "address-book.json");
    writeFileSync(bookPath, JSON.stringify(book));
    const cli = (extra: string[]) =>
      spawnSync(
        join(PROJECT_ROOT, "node_modules", ".bin", "ts-node"),
        [
          "--transpile-only",
          "sim/audit/cli.ts",
          "--address-book",
          bookPath,
          "--rpc-url",
          node.url,
          "--out",
          outDir,
          "--no-progress",
          ...extra,
        ],
        { cwd: PROJECT_ROOT, encoding: "utf8", timeout: 120_000 },
      );
    const clean = cli([]);
    expect(clean.status, clean.stderr).to.equal(0);
    expect(clean.stdout).to.match(/split check: \d+ deficits, every split sums exactly/);

    const index = new EventIndex(dbPath, { chainId: book.chainId, engine: book.engine });
    const liquidation = index
      .events(0, Number.MAX_SAFE_INTEGER)
      .find((e) => e.name === "Liquidated" && e.args.deficitUsd !== "0")!;
    index.overwriteArgs(liquidation.block, liquidation.logIndex, {
      ...liquidation.args,
      insurancePaidUsd: (BigInt(liquidation.args.insurancePaidUsd as string) + 1n).toString(),
    });
    index.close();
    const tampered = cli([]);
    expect(tampered.status).to.equal(1);
    expect(tampered.stderr).to.match(/SPLIT CHECK FAILED: 1 of/);
  });
});
