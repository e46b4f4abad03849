/** erf/erfc/gelu against known values, and the numerically delicate activations. */
import { describe, expect, it } from "vitest";
import {
  array,
  erf,
  erfArray,
  erfc,
  gelu,
  geluGrad,
  maximum,
  minimum,
  normalCdf,
  normalPdf,
  relu,
  round,
  sigmoid,
  silu,
  softplus,
} from "../src/index.js";

const f64 = (v: number[]) => array(v, { dtype: "float64" });
const rel = (a: number, b: number) => Math.abs(a - b) / Math.abs(b);

describe("erf / erfc", () => {
  it.each([
    [0.5, 0.5204998778130465],
    [1, 0.8427007929497149],
    [-2, -0.9953222650189527],
    [0.1, 0.1124629160182849],
    [2.5, 0.999593047982555],
    [3.5, 0.9999992569016276],
  ])("erf(%f) = %f", (x, want) => {
    // the Taylor series loses a few ulps to cancellation as |x| approaches 3
    expect(Math.abs(erf(x) - want)).toBeLessThan(Math.abs(x) < 2.5 ? 2e-15 : 1e-14);
  });

  it("erfc(5) keeps its relative precision (no cancellation)", () => {
    expect(rel(erfc(5), 1.5374597944280349e-12)).toBeLessThan(1e-13);
    expect(rel(erfc(3), 2.209049699858544e-5)).toBeLessThan(1e-13);
    expect(rel(erfc(10), 2.088487583762545e-45)).toBeLessThan(1e-12);
  });

  it("is odd, bounded, and exact at 0 and ±infinity", () => {
    for (const x of [0.3, 1.7, 2.9, 4.2]) expect(erf(-x)).toBe(-erf(x));
    expect(erf(0)).toBe(0);
    expect(erf(Infinity)).toBe(1);
    expect(erf(-Infinity)).toBe(-1);
    expect(erfc(Infinity)).toBe(0);
    expect(erfc(-Infinity)).toBe(2);
    expect(erf(Number.NaN)).toBeNaN();
  });

  it("erf + erfc = 1 across the switch-over at |x| = 3", () => {
    for (const x of [-3.5, -3, -2.99, 0.7, 2.99, 3, 3.01]) expect(erf(x) + erfc(x)).toBeCloseTo(1, 14);
  });

  it("is continuous across the series/continued-fraction boundary", () => {
    expect(Math.abs(erf(3 - 1e-12) - erf(3))).toBeLessThan(1e-13);
  });

  it("normalCdf / normalPdf", () => {
    expect(normalCdf(0)).toBe(0.5);
    expect(normalCdf(1.959963984540054)).toBeCloseTo(0.975, 14);
    expect(normalPdf(0)).toBeCloseTo(1 / Math.sqrt(2 * Math.PI), 15);
  });

  it("erfArray maps elementwise", () => {
    const out = erfArray(f64([0.5, 1, -2])).toArray() as number[];
    expect(Math.abs(out[0]! - 0.5204998778130465)).toBeLessThan(2e-15);
    expect(Math.abs(out[1]! - 0.8427007929497149)).toBeLessThan(2e-15);
    expect(Math.abs(out[2]! - -0.9953222650189527)).toBeLessThan(2e-15);
  });
});

describe("gelu", () => {
  it("exact gelu matches x·Φ(x) known values", () => {
    const out = gelu(f64([1, -1, 0, 2, -3])).toArray() as number[];
    const want = [0.8413447460685429, -0.15865525393145707, 0, 1.9544997361036416, -0.004049694094890284];
    out.forEach((v, i) => expect(Math.abs(v - want[i]!)).toBeLessThan(2e-15));
  });

  it("the tanh approximation differs slightly from the exact form", () => {
    const approx = gelu(f64([1, -1]), "tanh").toArray() as number[];
    expect(approx[0]).toBeCloseTo(0.8411919906082768, 15);
    expect(approx[1]).toBeCloseTo(-0.15880800939172324, 15);
    expect(Math.abs(approx[0]! - 0.8413447460685429)).toBeGreaterThan(1e-4);
  });

  it("is linear for large x and 0 for very negative x; gelu(inf) = inf", () => {
    const out = gelu(f64([40, -40, 1e30, Infinity])).toArray() as number[];
    expect(out[0]).toBe(40);
    expect(Math.abs(out[1]!)).toBe(0);
    expect(out[2]).toBe(1e30);
    expect(out[3]).toBe(Infinity);
  });

  it("geluGrad matches central differences", () => {
    const xs = [-2.5, -0.7, 0, 0.3, 1.9];
    const g = geluGrad(f64(xs)).toArray() as number[];
    const h = 1e-6;
    xs.forEach((x, i) => {
      const fd = ((gelu(f64([x + h])).get(0) as number) - (gelu(f64([x - h])).get(0) as number)) / (2 * h);
      expect(g[i]).toBeCloseTo(fd, 8);
    });
  });
});

describe("other activations", () => {
  it("sigmoid is stable at ±1000 and exact at 0", () => {
    expect(sigmoid(f64([-1000, 0, 1000])).toArray()).toEqual([0, 0.5, 1]);
    expect(sigmoid(f64([-745])).get(0)).toBeGreaterThan(0);
    expect(sigmoid(f64([2])).get(0)).toBeCloseTo(1 / (1 + Math.exp(-2)), 15);
  });

  it("silu(x) = x·sigmoid(x), no NaN at extremes", () => {
    const out = silu(f64([-1000, 1, 1000])).toArray() as number[];
    expect(Math.abs(out[0]!)).toBe(0);
    expect(out[1]).toBeCloseTo(1 / (1 + Math.exp(-1)), 15);
    expect(out[2]).toBe(1000);
  });

  it("softplus: log 2 at 0, linear above the threshold, tiny (not 0) for very negative x", () => {
    const out = softplus(f64([0, 30, -30])).toArray() as number[];
    expect(out[0]).toBeCloseTo(Math.LN2, 15);
    expect(out[1]).toBe(30);
    expect(out[2]).toBeCloseTo(Math.exp(-30), 20);
    expect(out[2]).toBeGreaterThan(0);
    expect(softplus(f64([1]), 2).get(0)).toBeCloseTo(Math.log1p(Math.exp(2)) / 2, 14);
  });

  it("relu, maximum and minimum propagate NaN", () => {
    expect(relu(f64([Number.NaN])).get(0)).toBeNaN();
    expect(relu(f64([-2, 0, 3])).toArray()).toEqual([0, 0, 3]);
    expect(maximum(f64([Number.NaN, 1]), f64([0, Number.NaN])).toArray()).toEqual([Number.NaN, Number.NaN]);
    expect(minimum(f64([1, 5]), f64([2, 3])).toArray()).toEqual([1, 3]);
  });

  it("round is half-to-even like torch.round", () => {
    expect(round(f64([0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 2.4, 2.6])).toArray()).toEqual([0, 2, 2, -0, -2, -2, 2, 3]);
  });
});
