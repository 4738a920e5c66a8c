/**
 * Sweep mode: cells run in worker processes (two here), results come back in cell order, and the sweep's
 * table and heat map are written. A richer insurance fund must absorb what ADL and the vault absorb without it.
 */
import { expect } from "chai";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadScenario } from "../../sim/scenario/loadScenario";
import { runSweep } from "../../sim/sweep/runSweep";
import { sweepHtml, sweepTable } from "../../sim/sweep/sweepReport";

describe("sim/sweep: cells in worker processes", function () {
  this.timeout(300_000);

  it("runs every cell in a worker and reports them in order, with a heat map", async () => {
    const outDir = mkdtempSync(join(tmpdir(), "sweep-"));
    const result = await runSweep({
      loaded: loadScenario(join(__dirname, "fixtures", "tiny-gap.yaml")),
      axes: { insuranceFundUsd: [0, 1_000_000] },
      chain: { kind: "in-process" },
      outDir,
      workers: 2,
      progress: false,
      html: false,
    });
    expect(result.cells.map((c) => c.overrides)).to.deep.equal([
      { insuranceFundUsd: 0 },
      { insuranceFundUsd: 1_000_000 },
    ]);
    const [poor, rich] = result.cells;
    expect(poor.bankrupt).to.be.greaterThan(0);
    expect(poor.adlPaidUsd + poor.vaultPaidUsd).to.be.greaterThan(0);
    expect(rich.adlPaidUsd).to.equal(0);
    expect(rich.vaultPaidUsd).to.equal(0);
    expect(rich.insurancePaidUsd).to.be.closeTo(rich.badDebtUsd, 1e-9);
    for (const cell of result.cells) {
      expect(cell.failedInvariants).to.deep.equal([]);
      expect(existsSync(join(cell.outDir, "report.json"))).to.equal(true);
      const report = JSON.parse(readFileSync(join(cell.outDir, "report.json"), "utf8"));
      expect(report.scenario.overrides).to.deep.equal(cell.overrides);
    }
    expect(sweepTable(result)).to.match(/insuranceFundUsd/);
    const html = sweepHtml(result);
    expect(html).to.include("Bad debt (Σ deficits) per cell");
    expect(html.match(/<td class="num" style="background:rgb/g)).to.have.length(4); // 2 cells × 2 heat maps
  });
});
