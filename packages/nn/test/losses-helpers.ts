/**
 * Shared by the loss tests: deterministic fixtures, tensor factories, and the value comparison.
 * Reference values are computed in each test file with plain float64 loops from the formulas; nothing
 * here calls the implementation under test.
 */
import { backward, type Tensor, tensor } from "@typegrad/autograd";
import { expect } from "vitest";

export type Red = "mean" | "sum" | "none";
export const REDUCTIONS: readonly Red[] = ["mean", "sum", "none"];

/** Deterministic uniform numbers in [lo, hi) (mulberry32), independent of the library's RNG. */
export function uniform(n: number, lo: number, hi: number, seed: number): number[] {
  let a = seed >>> 0;
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out.push(lo + (hi - lo) * (((t ^ (t >>> 14)) >>> 0) / 4294967296));
  }
  return out;
}

/** A float64 tensor (requires grad by default: what gradcheck needs). */
export function f64(values: readonly number[], shape: readonly number[], requiresGrad = true): Tensor {
  return tensor(Float64Array.from(values), { shape, requiresGrad });
}

/** A float32 tensor. */
export function f32(values: readonly number[], shape: readonly number[], requiresGrad = false): Tensor {
  return tensor(Float32Array.from(values), { shape, requiresGrad });
}

/** An int32 tensor (class indices). */
export function i32(values: readonly number[], shape: readonly number[]): Tensor {
  return tensor(Int32Array.from(values), { shape });
}

export function sizeOf(shape: readonly number[]): number {
  return shape.reduce((p, d) => p * d, 1);
}

/** Sum / mean / identity of per-element reference losses (`denom` overrides the mean's divisor). */
export function reduceRef(per: readonly number[], r: Red, denom = per.length): number | number[] {
  if (r === "none") return [...per];
  const s = per.reduce((a, b) => a + b, 0);
  return r === "sum" ? s : s / denom;
}

/** The shape a reduction leaves. */
export function reducedShape(r: Red, shape: readonly number[]): number[] {
  return r === "none" ? [...shape] : [];
}

/** Asserts the shape and that every value is within `tol·(1 + |expected|)`. */
export function expectValues(
  t: Tensor,
  expected: number | readonly number[],
  shape: readonly number[],
  tol = 1e-12,
): void {
  expect(t.shape).toEqual(shape);
  expectNumbers(Array.from(t.data.toTypedArray() as ArrayLike<number>), expected, tol);
}

/** Asserts every number is within `tol·(1 + |expected|)` of its expected value. */
export function expectNumbers(got: readonly number[], expected: number | readonly number[], tol = 1e-12): void {
  const want = typeof expected === "number" ? [expected] : [...expected];
  expect(got.length).toBe(want.length);
  for (let i = 0; i < want.length; i++) {
    const e = want[i] as number;
    const a = got[i] as number;
    if (!(Math.abs(a - e) <= tol * (1 + Math.abs(e)))) {
      expect.fail(`element ${i}: got ${a}, expected ${e} (|diff| ${Math.abs(a - e)}, tol ${tol})`);
    }
  }
}

/**
 * The gradient of `loss` with respect to `x` (for a non-scalar loss, of its sum), read without touching
 * `.grad`, or zeros when `loss` does not depend on `x`.
 */
export function gradOf(loss: Tensor, x: Tensor): number[] {
  const scalar = loss.size === 1 && loss.ndim === 0 ? loss : loss.sum();
  const [g] = backward(scalar, undefined, { inputs: [x] }) ?? [];
  return g ? Array.from(g.data.toTypedArray() as ArrayLike<number>) : new Array<number>(x.size).fill(0);
}
