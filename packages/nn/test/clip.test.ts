/** Gradient clipping by total norm and by value. */
import { Tensor, tensor } from "@typegrad/autograd";
import * as nd from "@typegrad/tensor";
import { ArgumentError } from "@typegrad/tensor";
import { describe, expect, it } from "vitest";
import { clipGradNorm, clipGradValue } from "../src/optim/index.js";
import { Parameter } from "../src/parameter.js";

/** Two parameters with gradients [3, -4] and [[12]]: 2-norm 13, 1-norm 19, inf-norm 12. */
function setup(dtype: "float32" | "float64" = "float64"): Parameter[] {
  const a = new Parameter(nd.array([0, 0], { dtype }));
  const b = new Parameter(nd.array([[0]], { dtype }));
  a.grad = tensor(nd.array([3, -4], { dtype }));
  b.grad = tensor(nd.array([[12]], { dtype }));
  return [a, b];
}
const grads = (ps: Parameter[]) => ps.flatMap((p) => Array.from(p.grad!.data.toTypedArray()));

describe("clipGradNorm", () => {
  it("returns the total 2-norm and scales every grad by maxNorm / (total + 1e-6)", () => {
    const ps = setup();
    const total = clipGradNorm(ps, 6.5);
    expect(total).toBe(13);
    const c = 6.5 / (13 + 1e-6);
    const got = grads(ps);
    [3 * c, -4 * c, 12 * c].forEach((x, i) => {
      expect(got[i]).toBeCloseTo(x, 14);
    });
    // The clipped total norm is maxNorm (up to the 1e-6).
    expect(Math.hypot(...got)).toBeCloseTo(6.5, 6);
  });

  it("leaves grads untouched when the norm is already below maxNorm", () => {
    const ps = setup();
    const g = ps.map((p) => p.grad);
    expect(clipGradNorm(ps, 100)).toBe(13);
    expect(grads(ps)).toEqual([3, -4, 12]);
    expect(ps.map((p) => p.grad)).toEqual(g);
  });

  it("scales by a hair below 1 when maxNorm equals the norm, like torch", () => {
    const ps = setup();
    // 13 / (13 + 1e-6) < 1, so torch scales by it, a hair below 1.
    clipGradNorm(ps, 13);
    const got = grads(ps);
    expect(got[2]).toBeLessThan(12);
    expect(got[2]).toBeCloseTo(12, 5);
  });

  it("supports the infinity norm (max |g|)", () => {
    const ps = setup();
    expect(clipGradNorm(ps, 6, { normType: Number.POSITIVE_INFINITY })).toBe(12);
    const c = 6 / (12 + 1e-6);
    const got = grads(ps);
    [3 * c, -4 * c, 12 * c].forEach((x, i) => {
      expect(got[i]).toBeCloseTo(x, 14);
    });
  });

  it("supports other p-norms", () => {
    expect(clipGradNorm(setup(), 1000, { normType: 1 })).toBe(19);
    expect(clipGradNorm(setup(), 1000, { normType: 3 })).toBeCloseTo((27 + 64 + 1728) ** (1 / 3), 12);
  });

  it("scales in place, keeps dtype, bumps the grad's version, and accepts a single tensor", () => {
    const ps = setup("float32");
    const storage = ps[0]!.grad!.data.data;
    const v = ps[0]!.grad!.version;
    clipGradNorm(ps, 1);
    expect(ps[0]!.grad!.data.data).toBe(storage);
    expect(storage).toBeInstanceOf(Float32Array);
    expect(ps[0]!.grad!.version).toBe(v + 1);
    expect(storage[0]).toBeCloseTo(3 / 13, 6);

    const [a] = setup();
    expect(clipGradNorm(a!, 1)).toBe(5);
    expect(grads([a!])[1]).toBeCloseTo(-4 / 5, 6);
  });

  it("skips parameters without a gradient and returns 0 when none has one", () => {
    const ps = setup();
    const c = new Parameter(nd.array([100], { dtype: "float64" }));
    expect(clipGradNorm([...ps, c], 1000)).toBe(13);
    expect(c.grad).toBeNull();
    expect(clipGradNorm([c], 1)).toBe(0);
  });

  it("handles non-contiguous gradients", () => {
    const p = new Parameter(nd.zeros([3, 2], { dtype: "float64" }));
    const g = nd
      .array(
        [
          [1, 2, 2],
          [0, 4, 0],
        ],
        { dtype: "float64" },
      )
      .transpose(0, 1);
    p.grad = new Tensor(g);
    expect(clipGradNorm([p], 2.5)).toBe(5);
    const c = 2.5 / (5 + 1e-6);
    expect(p.grad.toArray()).toEqual([
      [1 * c, 0],
      [2 * c, 4 * c],
      [2 * c, 0],
    ]);
  });

  it("rejects NaN or negative maxNorm and bad normType", () => {
    expect(() => clipGradNorm(setup(), Number.NaN)).toThrow(ArgumentError);
    expect(() => clipGradNorm(setup(), -1)).toThrow(/clipGradNorm: invalid maxNorm -1/);
    expect(() => clipGradNorm(setup(), 1, { normType: 0 })).toThrow(/invalid normType 0/);
    expect(() => clipGradNorm(3 as never, 1)).toThrow(ArgumentError);
  });

  it("errorIfNonfinite throws on a NaN or infinite norm", () => {
    const ps = setup();
    ps[0]!.grad = tensor(nd.array([Number.NaN, 1], { dtype: "float64" }));
    expect(() => clipGradNorm(ps, 1, { errorIfNonfinite: true })).toThrow(/total norm.*NaN/);
    expect(Number.isNaN(clipGradNorm(ps, 1))).toBe(true);
  });
});

describe("clipGradValue", () => {
  it("clamps every grad element to [-clipValue, clipValue] in place", () => {
    const ps = setup();
    const storage = ps[1]!.grad!.data.data;
    clipGradValue(ps, 3.5);
    expect(grads(ps)).toEqual([3, -3.5, 3.5]);
    expect(ps[1]!.grad!.data.data).toBe(storage);
  });

  it("rejects NaN or negative clipValue", () => {
    expect(() => clipGradValue(setup(), Number.NaN)).toThrow(ArgumentError);
    expect(() => clipGradValue(setup(), -0.5)).toThrow(/clipGradValue: invalid clipValue -0\.5/);
  });
});
