/**
 * The simulator end to end on its in-process chain (issue 14's tests): the smoke scenario's report equals
 * what the chain's own events and views say, the same seed gives a byte-identical JSON report, and the report
 * rebuilt from the run log equals the one the run wrote; the project's keeper drives it and every liquidation
 * equals the SDK's prediction (a tampered prediction fails); the stand-in keeper still runs it.
 */
import { expect } from "chai";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { formatUnits, Wallet, type Interface } from "ethers";
import { PerpEngine__factory } from "../../typechain-types";
import { SimChain } from "../../sim/chain/simChain";
import { SIM_KEEPER_PRIVATE_KEY } from "../../sim/keeper/realKeeper";
import { runAndReport, type RunAndReportResult } from "../../sim/engine/runAndReport";
import { buildReport } from "../../sim/report/buildReport";
import { readRunLog } from "../../sim/report/runLog";
import { reportJsonText } from "../../sim/report/writeOutputs";
import { loadScenario } from "../../sim/scenario/loadScenario";
import type { SimReport } from "../../sim/report/reportTypes";

const engineInterface = PerpEngine__factory.createInterface() as Interface;
const usd = (wad: bigint) => formatUnits(wad, 18);

describe("sim: the smoke scenario end to end", function () {
  this.timeout(300_000);
  let chain: SimChain;
  let first: RunAndReportResult;
  let report: SimReport;
  let engine: string;

  before(async () => {
    chain = await SimChain.connect({ kind: "in-process" });
    first = await runAndReport({
      loaded: loadScenario("smoke"),
      overrides: {},
      chain,
      outDir: mkdtempSync(join(tmpdir(), "sim-smoke-a-")),
      progress: false,
      html: true,
    });
    report = first.report;
    const header = readRunLog(first.paths.runLog)[0];
    if (header.type !== "header") throw new Error("no header");
    engine = header.deployment.engine;
  });

  after(async () => {
    await chain?.close();
  });

  it("runs every shipped behaviour and the whole waterfall, and every invariant passes", () => {
    const s = report.summary;
    expect(s.liquidations.partial, "partial liquidations").to.be.greaterThan(0);
    expect(s.liquidations.bankrupt, "bankrupt liquidations").to.be.greaterThan(0);
    expect(Number(s.deficitSplitUsd.insurance)).to.be.greaterThan(0);
    expect(Number(s.deficitSplitUsd.adl)).to.be.greaterThan(0);
    expect(Number(s.deficitSplitUsd.vault)).to.be.greaterThan(0);
    expect(s.actions.reenter?.ok ?? 0, "re-entries").to.be.greaterThan(0);
    expect(s.actions.takeProfit?.ok ?? 0, "take-profits").to.be.greaterThan(0);
    for (const invariant of report.invariants) {
      expect(invariant.pass, `${invariant.name}: ${invariant.examples.join("; ")}`).to.equal(true);
      expect(invariant.checked, invariant.name).to.be.greaterThan(0);
    }
  });

  it("the report's numbers equal the chain's events and views", async () => {
    const head = await chain.blockNumber();
    const logs = await chain.getLogs([engine], 0, head);
    const events = logs.map((log) => engineInterface.parseLog(log)).filter((e) => e !== null);
    const liquidated = events.filter((e) => e.name === "Liquidated");
    const sum = (name: string) => liquidated.reduce((total, e) => total + (e.args[name] as bigint), 0n);
    const bankrupt = liquidated.filter((e) => (e.args.deficitUsd as bigint) > 0n);
    const partial = liquidated.filter(
      (e) => (e.args.deficitUsd as bigint) === 0n && (e.args.remainingSize as bigint) !== 0n,
    );
    const s = report.summary;
    expect(s.liquidations.total).to.equal(liquidated.length);
    expect(s.liquidations.bankrupt).to.equal(bankrupt.length);
    expect(s.liquidations.partial).to.equal(partial.length);
    expect(s.badDebtUsd).to.equal(usd(sum("deficitUsd")));
    expect(s.deficitSplitUsd).to.deep.equal({
      insurance: usd(sum("insurancePaidUsd")),
      adl: usd(sum("adlPaidUsd")),
      vault: usd(sum("vaultPaidUsd")),
      socialized: usd(sum("socializedUsd")),
    });
    expect(s.penaltiesUsd).to.equal(usd(sum("penaltyUsd")));
    expect(s.keeperRewardsUsd).to.equal(usd(sum("keeperRewardUsd")));
    const socialized = events.filter((e) => e.name === "LossSocialized");
    expect(s.socializedLoss.events).to.equal(socialized.length);
    expect(s.vaultProtection.walks).to.equal(events.filter((e) => e.name === "VaultDeleveraged").length);
    // ADL counterparties: Deleveraged events in transactions that liquidated someone.
    const parsed = logs.map((log) => ({ tx: log.transactionHash, event: engineInterface.parseLog(log) }));
    const liquidationTxs = new Set(parsed.filter((p) => p.event?.name === "Liquidated").map((p) => p.tx));
    const adlInLiquidations = parsed.filter((p) => p.event?.name === "Deleveraged" && liquidationTxs.has(p.tx));
    expect(s.adl.counterpartiesDeleveraged).to.equal(adlInLiquidations.length);
    expect(s.adl.liquidationsWithAdl).to.equal(liquidated.filter((e) => (e.args.adlPaidUsd as bigint) > 0n).length);

    const view = async (fn: string, args: unknown[] = []) =>
      engineInterface.decodeFunctionResult(
        fn,
        await chain.call(engine, engineInterface.encodeFunctionData(fn, args), head),
      )[0] as bigint;
    expect(s.insuranceFund.endUsd).to.equal(usd(await view("insuranceFund")));
    expect(s.vault.endEquityUsd).to.equal(usd(await view("vaultEquityUsd", [true])));
  });

  it("the same seed gives a byte-identical JSON report, and the run log rebuilds it", async () => {
    const second = await runAndReport({
      loaded: loadScenario("smoke"),
      overrides: {},
      chain: { kind: "in-process" },
      outDir: mkdtempSync(join(tmpdir(), "sim-smoke-b-")),
      progress: false,
      html: false,
    });
    const firstJson = readFileSync(first.paths.reportJson, "utf8");
    expect(readFileSync(second.paths.reportJson, "utf8")).to.equal(firstJson);
    expect(reportJsonText(buildReport(readRunLog(first.paths.runLog)))).to.equal(firstJson);
  });

  it("is driven by the project's keeper, and every liquidation equals the SDK's simulateLiquidation", () => {
    expect(report.scenario.keeper).to.match(/^keeper \(keeper\//);
    const records = readRunLog(first.paths.runLog);
    const keeperAddress = new Wallet(SIM_KEEPER_PRIVATE_KEY).address;
    const liquidations = records.filter((r) => r.type === "event" && r.event.name === "Liquidated");
    expect(liquidations.length).to.equal(report.summary.liquidations.total);
    for (const record of liquidations) {
      if (record.type === "event") expect(record.event.args.keeper).to.equal(keeperAddress);
    }
    const sdk = report.invariants.find((inv) => inv.name === "liquidationsMatchSdk")!;
    expect(sdk.checked, "every liquidation predicted").to.be.at.least(report.summary.liquidations.total);
    expect(sdk.notEvaluated).to.equal(0);
  });

  it("a liquidation that differs from the SDK's prediction, or a predicted one missing, fails liquidationsMatchSdk", () => {
    const records = readRunLog(first.paths.runLog);
    const index = records.findIndex(
      (r) =>
        r.type === "prediction" && r.entries.some((e) => e.outcome === "liquidated" && e.fields?.adlPaidUsd !== "0"),
    );
    expect(index, "a prediction with ADL").to.be.greaterThan(0);
    const tampered = structuredClone(records);
    const prediction = tampered[index];
    if (prediction.type !== "prediction") throw new Error("not a prediction");
    const entry = prediction.entries.find((e) => e.outcome === "liquidated" && e.fields?.adlPaidUsd !== "0")!;
    entry.fields!.adlPaidUsd = (BigInt(entry.fields!.adlPaidUsd) + 1n).toString();
    const failing = buildReport(tampered).invariants.find((inv) => inv.name === "liquidationsMatchSdk")!;
    expect(failing.pass).to.equal(false);
    expect(failing.examples[0]).to.match(/adlPaidUsd SDK \d+ ≠ chain \d+/);

    const withoutEvent = records.filter(
      (r) =>
        !(
          r.type === "event" &&
          r.event.name === "Liquidated" &&
          r.event.txHash === (records[index] as { txHash: string }).txHash
        ),
    );
    const missing = buildReport(withoutEvent).invariants.find((inv) => inv.name === "liquidationsMatchSdk")!;
    expect(missing.pass).to.equal(false);
    expect(missing.examples.join("; ")).to.include("the SDK predicted a liquidation, the chain has none");
  });

  it("the stand-in keeper (--keeper stand-in) runs the same scenario with every invariant passing", async () => {
    const loaded = loadScenario("smoke");
    loaded.scenario.keeper.implementation = "stand-in";
    const { report: standIn } = await runAndReport({
      loaded,
      overrides: {},
      chain: { kind: "in-process" },
      outDir: mkdtempSync(join(tmpdir(), "sim-smoke-stand-in-")),
      progress: false,
      html: false,
    });
    expect(standIn.scenario.keeper).to.match(/^stand-in keeper/);
    expect(standIn.summary.liquidations.total).to.be.greaterThan(0);
    for (const invariant of standIn.invariants) {
      expect(invariant.pass, `${invariant.name}: ${invariant.examples.join("; ")}`).to.equal(true);
    }
  });

  it("writes a self-contained HTML report (no external resource)", () => {
    const html = readFileSync(first.paths.reportHtml, "utf8");
    expect(html).to.match(/^<!doctype html>/);
    expect(html).to.include("uPlot");
    expect(html).to.not.match(/<(script|link|img)[^>]+(src|href)=["']?https?:/i);
  });
});
