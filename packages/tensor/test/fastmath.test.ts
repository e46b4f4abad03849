import { describe, expect, it } from "vitest";
import {
  add,
  array,
  exp as expArray,
  gelu,
  mul,
  type NDArray,
  Rng,
  randn,
  setCodegenEnabled,
  softplus,
  tanh as tanhArray,
  where,
} from "../src/index.js";
import { exp, exp32, sigmoid, sigmoid32, tanh, tanh32 } from "../src/kernels/fastmath.js";

const ULP = 2 ** -52;

function worstRelative(f: (x: number) => number, ref: (x: number) => number, xs: number[]): number {
  let worst = 0;
  for (const x of xs) {
    const want = ref(x);
    const got = f(x);
    const err = want === 0 ? Math.abs(got) : Math.abs(got - want) / Math.abs(want);
    worst = Math.max(worst, err);
  }
  return worst;
}

const rng = new Rng(5);
const wide = Array.from({ length: 200_000 }, () => (rng.next() - 0.5) * 1400);
const moderate = Array.from({ length: 200_000 }, () => (rng.next() - 0.5) * 40 * rng.next() ** 3);

describe("fast elementary functions", () => {
  it("exp is within 2 ulp of Math.exp over [-700, 700]", () => {
    expect(worstRelative(exp, Math.exp, wide)).toBeLessThan(2 * ULP);
  });
  it("exp handles the edges like Math.exp", () => {
    for (const x of [Number.NaN, Infinity, -Infinity, 709.78, 709.8, -708.4, -745.1, -746, 0, -0]) {
      expect(Object.is(exp(x), Math.exp(x)) || Math.abs(exp(x) - Math.exp(x)) <= 2 * ULP * Math.exp(x)).toBe(true);
    }
  });
  it("exp32 is float32-accurate", () => {
    expect(
      worstRelative(
        exp32,
        Math.exp,
        wide.filter((x) => Math.abs(x) < 88),
      ),
    ).toBeLessThan(1e-9);
  });
  it("tanh is within a few ulp of Math.tanh, including near 0 and the tails", () => {
    expect(worstRelative(tanh, Math.tanh, moderate)).toBeLessThan(16 * ULP);
    expect(worstRelative(tanh32, Math.tanh, moderate)).toBeLessThan(1e-8);
    expect(tanh(1e-300)).toBe(1e-300);
    expect(tanh(30)).toBe(1);
    expect(tanh(-30)).toBe(-1);
    expect(tanh(Number.NaN)).toBeNaN();
  });
  it("sigmoid matches the exact logistic function", () => {
    const ref = (x: number) => (x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x)));
    expect(worstRelative(sigmoid, ref, moderate)).toBeLessThan(8 * ULP);
    expect(worstRelative(sigmoid32, ref, moderate)).toBeLessThan(1e-8);
  });
});

describe("generated loops and their no-codegen fallback agree", () => {
  const ops: [string, () => NDArray][] = [];
  const a = randn([7, 5], { dtype: "float64", rng: new Rng(1) });
  const b = randn([5], { dtype: "float64", rng: new Rng(2) });
  const f32 = randn([3, 4, 5], { rng: new Rng(3) });
  ops.push(["add broadcast", () => add(a, b)]);
  ops.push(["mul transposed", () => mul(a.transpose(0, 1), a.transpose(0, 1))]);
  ops.push(["exp", () => expArray(f32.permute(2, 0, 1))]);
  ops.push(["tanh", () => tanhArray(a)]);
  ops.push(["gelu", () => gelu(a)]);
  ops.push(["softplus", () => softplus(a, 2, 5)]);
  ops.push(["bool add", () => add(array([true, false, true]), array([true, false, false]))]);
  ops.push(["where", () => where(array([true, false]), 1, 2)]);
  it.each(ops)("%s", (_name, run) => {
    const fast = run().toArray();
    setCodegenEnabled(false);
    try {
      expect(run().toArray()).toEqual(fast);
    } finally {
      setCodegenEnabled(true);
    }
  });
});

describe("erf and erfc fast paths agree with the slow references", () => {
  it("erfc(z) = e^{-z²}·erfcx(z) to 1e-13 relative over [0.5, 27]", async () => {
    const { erfc, erfcxReference } = await import("../src/kernels/special.js");
    let worst = 0;
    for (let i = 0; i < 20_000; i++) {
      const z = 0.5 + (26.5 * i) / 20_000;
      const want = Math.exp(-z * z) * erfcxReference(z);
      if (want === 0) continue;
      worst = Math.max(worst, Math.abs(erfc(z) - want) / want);
      // erfc(−z) = 2 − erfc(z)
      expect(Math.abs(erfc(-z) - (2 - want))).toBeLessThan(2e-15);
    }
    expect(worst).toBeLessThan(1e-13);
  });
  it("erf is odd, monotone and within 3e-16 of known values", async () => {
    const { erf } = await import("../src/kernels/special.js");
    const known: [number, number][] = [
      [0.1, 0.1124629160182849],
      [0.5, 0.5204998778130465],
      [1, 0.8427007929497149],
      [2, 0.9953222650189527],
      [3, 0.9999779095030014],
    ];
    for (const [x, v] of known) {
      expect(Math.abs(erf(x) - v)).toBeLessThan(3e-16);
      expect(erf(-x)).toBe(-erf(x));
    }
    let prev = -1;
    for (let x = -6; x <= 6; x += 0.001) {
      const v = erf(x);
      expect(v).toBeGreaterThanOrEqual(prev);
      prev = v;
    }
  });
});
