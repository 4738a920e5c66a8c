import { expect } from "chai";
import { Prng } from "../../sim/random/prng";

describe("sim/random/prng", () => {
  it("xoshiro128** matches the reference output for state {1, 2, 3, 4}", () => {
    // First outputs of the reference C implementation (prng.di.unimi.it/xoshiro128starstar.c).
    const prng = Prng.fromState(1, 2, 3, 4);
    const outputs = Array.from({ length: 6 }, () => prng.nextUint32());
    expect(outputs).to.deep.equal([11520, 0, 5927040, 70819200, 2031721883, 1637235492]);
  });

  it("same seed gives the same stream, another seed another", () => {
    const a = new Prng(42);
    const b = new Prng(42);
    const c = new Prng(43);
    const draw = (p: Prng) => Array.from({ length: 20 }, () => p.float());
    const first = draw(a);
    expect(draw(b)).to.deep.equal(first);
    expect(draw(c)).to.not.deep.equal(first);
  });

  it("forked streams do not shift each other", () => {
    const root = new Prng("seed");
    const path = root.fork("path").float();
    const again = new Prng("seed");
    again.fork("population").float(); // drawing from another stream first changes nothing
    expect(again.fork("path").float()).to.equal(path);
  });

  it("int, weightedIndex and normal stay in range and are roughly right", () => {
    const prng = new Prng(7);
    const counts = [0, 0, 0];
    let sum = 0;
    let sumSquares = 0;
    const ints = new Set<number>();
    const samples = 20_000;
    for (let i = 0; i < samples; i++) {
      ints.add(prng.int(0, 2));
      counts[prng.weightedIndex([1, 0, 3])]++;
      const z = prng.normal();
      sum += z;
      sumSquares += z * z;
    }
    expect([...ints].sort()).to.deep.equal([0, 1, 2]);
    expect(counts[1]).to.equal(0);
    expect(counts[2] / samples).to.be.closeTo(0.75, 0.02);
    expect(sum / samples).to.be.closeTo(0, 0.03);
    expect(sumSquares / samples).to.be.closeTo(1, 0.04);
  });
});
