/**
 * Weight init like torch.nn.init: bounds of the uniform schemes, stats of the normal ones, gains,
 * fans, and determinism with manualSeed or an explicit Rng.
 */
import { manualSeed, Rng, type Tensor } from "@typegrad/autograd";
import * as nd from "@typegrad/tensor";
import { describe, expect, it } from "vitest";
import * as init from "../src/init.js";
import { Parameter } from "../src/parameter.js";

const values = (t: Tensor): number[] => Array.from(t.data.toTypedArray());
const param = (shape: number[], dtype: "float32" | "float64" = "float32") => new Parameter(nd.zeros(shape, { dtype }));

function stats(xs: readonly number[]): { mean: number; std: number; min: number; max: number } {
  const mean = xs.reduce((s, v) => s + v, 0) / xs.length;
  const variance = xs.reduce((s, v) => s + (v - mean) ** 2, 0) / xs.length;
  return {
    mean,
    std: Math.sqrt(variance),
    min: xs.reduce((a, v) => Math.min(a, v), Infinity),
    max: xs.reduce((a, v) => Math.max(a, v), -Infinity),
  };
}

/** All values in [-bound, bound], reaching close to both ends, with the uniform's std bound/√3. */
function expectUniformWithin(t: Tensor, bound: number): void {
  const s = stats(values(t));
  expect(s.min).toBeGreaterThanOrEqual(-bound);
  expect(s.max).toBeLessThanOrEqual(bound);
  expect(s.max).toBeGreaterThan(0.98 * bound);
  expect(s.min).toBeLessThan(-0.98 * bound);
  expect(Math.abs(s.std - bound / Math.sqrt(3)) / (bound / Math.sqrt(3))).toBeLessThan(0.03);
}

describe("calculateGain", () => {
  it("matches torch.nn.init.calculate_gain", () => {
    expect(init.calculateGain("linear")).toBe(1);
    expect(init.calculateGain("sigmoid")).toBe(1);
    expect(init.calculateGain("conv2d")).toBe(1);
    expect(init.calculateGain("tanh")).toBeCloseTo(5 / 3, 15);
    expect(init.calculateGain("relu")).toBeCloseTo(Math.SQRT2, 15);
    expect(init.calculateGain("leaky_relu")).toBeCloseTo(Math.sqrt(2 / (1 + 0.01 ** 2)), 15);
    expect(init.calculateGain("leaky_relu", 0.2)).toBeCloseTo(Math.sqrt(2 / 1.04), 15);
    expect(init.calculateGain("leaky_relu", 0)).toBeCloseTo(Math.SQRT2, 15);
    expect(init.calculateGain("selu")).toBe(0.75);
  });
  it("rejects an unknown nonlinearity", () => {
    expect(() => init.calculateGain("swish" as init.Nonlinearity)).toThrow(/calculateGain.*swish/);
  });
});

describe("fans", () => {
  it("uses dims 0 and 1 times the receptive field", () => {
    expect(init.fans([3, 5])).toEqual({ fanIn: 5, fanOut: 3 });
    expect(init.fans([8, 4, 3, 3])).toEqual({ fanIn: 36, fanOut: 72 });
    expect(() => init.fans([7])).toThrow(/at least 2 dims.*\[7\]/);
  });
});

describe("uniform schemes", () => {
  it("kaimingUniform defaults: bound √(6/fanIn) (leaky_relu, a = 0)", () => {
    manualSeed(1);
    const w = param([200, 150]);
    init.kaimingUniform(w);
    expectUniformWithin(w, Math.sqrt(6 / 150));
  });

  it("kaimingUniform with a = √5 gives Linear's bound 1/√fanIn", () => {
    manualSeed(2);
    const w = param([200, 150]);
    init.kaimingUniform(w, { a: Math.sqrt(5) });
    expectUniformWithin(w, 1 / Math.sqrt(150));
  });

  it("kaimingUniform with mode fanOut, a nonlinearity, and a receptive field", () => {
    manualSeed(3);
    const w = param([100, 300]);
    init.kaimingUniform(w, { mode: "fanOut", nonlinearity: "relu" });
    expectUniformWithin(w, Math.sqrt(2) * Math.sqrt(3 / 100));
    const conv = param([64, 8, 5, 5]);
    init.kaimingUniform(conv, { nonlinearity: "tanh" });
    expectUniformWithin(conv, (5 / 3) * Math.sqrt(3 / 200));
  });

  it("xavierUniform: bound gain·√(6/(fanIn+fanOut))", () => {
    manualSeed(4);
    const w = param([120, 280]);
    init.xavierUniform(w);
    expectUniformWithin(w, Math.sqrt(6 / 400));
    const g = param([120, 280]);
    init.xavierUniform(g, { gain: init.calculateGain("tanh") });
    expectUniformWithin(g, (5 / 3) * Math.sqrt(6 / 400));
  });

  it("uniform(low, high) stays in range with the right mean", () => {
    manualSeed(5);
    const w = param([40000]);
    init.uniform(w, 2, 5);
    const s = stats(values(w));
    expect(s.min).toBeGreaterThanOrEqual(2);
    expect(s.max).toBeLessThan(5);
    expect(Math.abs(s.mean - 3.5)).toBeLessThan(0.02);
  });
});

describe("normal schemes", () => {
  it("normal(mean, std) has those statistics", () => {
    manualSeed(6);
    const w = param([200, 250]);
    init.normal(w, 2, 0.5);
    const s = stats(values(w));
    expect(Math.abs(s.mean - 2)).toBeLessThan(0.01);
    expect(Math.abs(s.std - 0.5)).toBeLessThan(0.01);
    init.normal(w);
    const d = stats(values(w));
    expect(Math.abs(d.mean)).toBeLessThan(0.02);
    expect(Math.abs(d.std - 1)).toBeLessThan(0.02);
  });

  it("kaimingNormal std = gain/√fan and xavierNormal std = gain·√(2/(fanIn+fanOut))", () => {
    manualSeed(7);
    const w = param([200, 250]);
    init.kaimingNormal(w, { nonlinearity: "relu" });
    const k = stats(values(w));
    expect(Math.abs(k.std - Math.sqrt(2 / 250)) / Math.sqrt(2 / 250)).toBeLessThan(0.02);
    init.kaimingNormal(w, { mode: "fanOut", nonlinearity: "relu" });
    expect(Math.abs(stats(values(w)).std - Math.sqrt(2 / 200)) / Math.sqrt(2 / 200)).toBeLessThan(0.02);
    init.xavierNormal(w);
    const x = stats(values(w));
    expect(Math.abs(x.std - Math.sqrt(2 / 450)) / Math.sqrt(2 / 450)).toBeLessThan(0.02);
    expect(Math.abs(x.mean)).toBeLessThan(0.002);
  });
});

describe("constant fills and in-place behaviour", () => {
  it("zeros, ones and constant fill every element", () => {
    const w = param([3, 4]);
    init.ones(w);
    expect(values(w).every((v) => v === 1)).toBe(true);
    init.constant(w, -2.5);
    expect(values(w).every((v) => v === -2.5)).toBe(true);
    init.zeros(w);
    expect(values(w).every((v) => v === 0)).toBe(true);
  });

  it("works in place: same object, same dtype and shape, still a leaf that requires grad", () => {
    for (const dtype of ["float32", "float64"] as const) {
      const w = param([5, 6], dtype);
      expect(init.kaimingUniform(w)).toBe(w);
      expect(init.normal(w, 0, 1)).toBe(w);
      expect(w.dtype).toBe(dtype);
      expect(w.shape).toEqual([5, 6]);
      expect(w.isLeaf).toBe(true);
      expect(w.gradFn).toBeNull();
      expect(w.requiresGrad).toBe(true);
    }
    const w32 = param([4]);
    init.constant(w32, 0.1);
    expect(values(w32)).toEqual([0.1, 0.1, 0.1, 0.1].map(Math.fround));
  });
});

describe("determinism", () => {
  it("the same Rng seed gives the same values; another seed differs", () => {
    const a = param([10, 10]);
    const b = param([10, 10]);
    const c = param([10, 10]);
    init.kaimingUniform(a, { rng: new Rng(3) });
    init.kaimingUniform(b, { rng: new Rng(3) });
    init.kaimingUniform(c, { rng: new Rng(4) });
    expect(values(a)).toEqual(values(b));
    expect(values(a)).not.toEqual(values(c));
    for (const f of [
      (t: Tensor, r: Rng) => init.xavierUniform(t, { rng: r }),
      (t: Tensor, r: Rng) => init.xavierNormal(t, { rng: r }),
      (t: Tensor, r: Rng) => init.kaimingNormal(t, { rng: r }),
      (t: Tensor, r: Rng) => init.normal(t, 0, 1, { rng: r }),
      (t: Tensor, r: Rng) => init.uniform(t, 0, 1, { rng: r }),
    ]) {
      const x = param([6, 6]);
      const y = param([6, 6]);
      f(x, new Rng(9));
      f(y, new Rng(9));
      expect(values(x)).toEqual(values(y));
      expect(values(x).some((v) => v !== 0)).toBe(true);
    }
  });

  it("an explicit Rng does not advance the default generator", () => {
    manualSeed(11);
    const expected = Array.from(nd.rand([5]).toTypedArray());
    manualSeed(11);
    init.normal(param([50]), 0, 1, { rng: new Rng(1) });
    init.kaimingUniform(param([5, 5]), { rng: new Rng(2) });
    expect(Array.from(nd.rand([5]).toTypedArray())).toEqual(expected);
  });

  it("without an rng, manualSeed makes init reproducible", () => {
    const draw = () => {
      const w = param([8, 8]);
      init.xavierUniform(w);
      return values(w);
    };
    manualSeed(12);
    const a = draw();
    manualSeed(12);
    const b = draw();
    manualSeed(13);
    const c = draw();
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
  });
});
