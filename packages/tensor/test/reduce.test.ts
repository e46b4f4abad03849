/** Reductions: several dims, keepdim, negative dims, 0-d results, var correction, logsumexp stability, NaN. */
import { describe, expect, it } from "vitest";
import {
  arange,
  argmax,
  argmin,
  array,
  full,
  IndexError,
  logsumexp,
  max,
  mean,
  min,
  ShapeError,
  sum,
  variance,
  zeros,
} from "../src/index.js";
import { expectClose, gen, rargmax, refOf, refReduce, rlogsumexp, rmax, rmean, rmin, rsum, rvar } from "./helpers.js";

const x234 = () => arange(24).reshape(2, 3, 4);

describe("sum", () => {
  it("with no dim gives a 0-d array", () => {
    const s = sum(x234());
    expect(s.shape).toEqual([]);
    expect(s.ndim).toBe(0);
    expect(s.item()).toBe(276);
  });

  it("over one dim, with and without keepdim", () => {
    const x = x234();
    expect(sum(x, 0).toArray()).toEqual([
      [12, 14, 16, 18],
      [20, 22, 24, 26],
      [28, 30, 32, 34],
    ]);
    expect(sum(x, 0, true).shape).toEqual([1, 3, 4]);
    expect(sum(x, 2).toArray()).toEqual([
      [6, 22, 38],
      [54, 70, 86],
    ]);
    expect(sum(x, 1, true).shape).toEqual([2, 1, 4]);
    expect(sum(x, 1, true).toArray()).toEqual([[[12, 15, 18, 21]], [[48, 51, 54, 57]]]);
  });

  it("negative dims count from the end", () => {
    const x = x234();
    expect(sum(x, -1).toArray()).toEqual(sum(x, 2).toArray());
    expect(sum(x, -3, true).toArray()).toEqual(sum(x, 0, true).toArray());
    expect(sum(x, [-1, -3]).toArray()).toEqual([60, 92, 124]);
  });

  it("over several dims in any order, with keepdim", () => {
    const x = gen([3, 4, 5, 2], "float64", 1);
    const r = refOf(x);
    for (const dims of [
      [0, 2],
      [1, 3],
      [3, 0, 1],
      [-1, -2],
      [0, 1],
      [2, 3],
    ]) {
      for (const keepdim of [false, true]) {
        expectClose(sum(x, dims, keepdim), refReduce(r, dims, keepdim, rsum), { atol: 1e-12 });
      }
    }
    expect(sum(x, [0, 2], true).shape).toEqual([1, 4, 1, 2]);
    expect(sum(x, [3, 0, 1]).shape).toEqual([5]);
  });

  it("keepdim with no dim keeps every dim as size 1", () => {
    expect(sum(x234(), undefined, true).shape).toEqual([1, 1, 1]);
    expect(sum(x234(), undefined, true).toArray()).toEqual([[[276]]]);
  });

  it("of a 0-d array is itself; of an empty array is 0", () => {
    expect(sum(array(5)).item()).toBe(5);
    expect(sum(array(5), 0).shape).toEqual([]);
    expect(sum(zeros([0])).item()).toBe(0);
    expect(sum(zeros([2, 0]), 1).toArray()).toEqual([0, 0]);
  });

  it("accumulates float32 input in float64 (1e6 × 0.1 stays within 0.01 of 1e5)", () => {
    const s = sum(full([1_000_000], 0.1));
    expect(s.dtype).toBe("float32");
    expect(Math.abs(s.item() - 100000)).toBeLessThan(0.01);
    expect(sum(full([4, 250_000], 0.1), 1).toArray()).toEqual([25000, 25000, 25000, 25000]);
  });

  it("rejects duplicate and out-of-range dims", () => {
    expect(() => sum(x234(), [0, 0])).toThrow(IndexError);
    expect(() => sum(x234(), [1, -2])).toThrow(/appears more than once/);
    expect(() => sum(x234(), 3)).toThrow("sum: dim 3 is out of range for a tensor with 3 dims (expected -3..2)");
    expect(() => sum(x234(), -4)).toThrow(IndexError);
  });
});

describe("mean", () => {
  it("over all, one and several dims", () => {
    const x = x234();
    expect(mean(x).item()).toBe(11.5);
    expect(mean(x, -1).toArray()).toEqual([
      [1.5, 5.5, 9.5],
      [13.5, 17.5, 21.5],
    ]);
    expect(mean(x, [0, 2], true).toArray()).toEqual([[[7.5], [11.5], [15.5]]]);
  });

  it("matches the reference on random data", () => {
    const x = gen([4, 3, 5], "float64", 2);
    expectClose(mean(x, [0, -1]), refReduce(refOf(x), [0, 2], false, rmean), { atol: 1e-12 });
  });

  it("of an empty array is NaN", () => {
    expect(mean(zeros([0])).item()).toBeNaN();
  });
});

describe("var", () => {
  it("is unbiased (Bessel's correction) by default", () => {
    expect(variance(array([1, 2, 3, 4], { dtype: "float64" })).item()).toBeCloseTo(5 / 3, 14);
  });

  it("unbiased: false divides by n", () => {
    expect(variance(array([1, 2, 3, 4], { dtype: "float64" }), undefined, { unbiased: false }).item()).toBe(1.25);
    expect(variance(array([1, 2, 3, 4], { dtype: "float64" }), 0, { correction: 0 }).item()).toBe(1.25);
  });

  it("over dims with keepdim and negative dims", () => {
    const x = gen([3, 4, 5], "float64", 3);
    const r = refOf(x);
    expectClose(variance(x, -1), refReduce(r, -1, false, rvar(1)), { atol: 1e-12 });
    expectClose(variance(x, [0, 2], { keepdim: true }), refReduce(r, [0, 2], true, rvar(1)), { atol: 1e-12 });
    expectClose(variance(x, 1, { unbiased: false }), refReduce(r, 1, false, rvar(0)), { atol: 1e-12 });
    expect(variance(x, [0, 2], { keepdim: true }).shape).toEqual([1, 4, 1]);
    expect(variance(x).shape).toEqual([]);
  });

  it("is accurate for data with a large mean (two-pass)", () => {
    const v = variance(array([1e8 + 1, 1e8 + 2, 1e8 + 3], { dtype: "float64" })).item();
    expect(v).toBe(1);
  });

  it("of one element is NaN unbiased and 0 biased (like torch)", () => {
    expect(variance(array([3])).item()).toBeNaN();
    expect(variance(array([3]), undefined, { unbiased: false }).item()).toBe(0);
  });
});

describe("max / min", () => {
  it("return values only, over all or one dim", () => {
    const x = array([
      [3, 9, 1],
      [7, 2, 8],
    ]);
    expect(max(x).item()).toBe(9);
    expect(max(x).shape).toEqual([]);
    expect(max(x, 0).toArray()).toEqual([7, 9, 8]);
    expect(max(x, -1, true).toArray()).toEqual([[9], [8]]);
    expect(min(x, 1).toArray()).toEqual([1, 2]);
    expect(min(x).item()).toBe(1);
  });

  it("over several dims", () => {
    const x = gen([3, 4, 5], "float64", 4);
    expectClose(max(x, [0, 2]), refReduce(refOf(x), [0, 2], false, rmax));
    expectClose(min(x, [1, -1], true), refReduce(refOf(x), [1, 2], true, rmin));
  });

  it("propagate NaN (the whole reduction, or just the affected rows)", () => {
    expect(max(array([1, Number.NaN, 3])).item()).toBeNaN();
    expect(min(array([Number.NaN, 1, 3])).item()).toBeNaN();
    expect(max(array([1, 3, Number.NaN])).item()).toBeNaN();
    const x = array([
      [1, Number.NaN],
      [2, 3],
    ]);
    const m = max(x, 1).toArray() as number[];
    expect(m[0]).toBeNaN();
    expect(m[1]).toBe(3);
    const n = min(x, 0).toArray() as number[];
    expect(n[0]).toBe(1);
    expect(n[1]).toBeNaN();
  });

  it("handle -inf/inf and reject empty dims", () => {
    expect(max(array([-Infinity, -Infinity])).item()).toBe(-Infinity);
    expect(min(array([Infinity, 5])).item()).toBe(5);
    expect(() => max(zeros([0]))).toThrow(ShapeError);
    expect(() => min(zeros([2, 0]), 1)).toThrow("min: cannot reduce an empty dim of shape [2,0]");
  });
});

describe("argmax / argmin", () => {
  it("give int32 indices along a dim; of the flattened array with no dim", () => {
    const x = array([
      [3, 9, 1],
      [7, 2, 8],
    ]);
    expect(argmax(x).item()).toBe(1);
    expect(argmax(x).dtype).toBe("int32");
    expect(argmax(x, 0).toArray()).toEqual([1, 0, 1]);
    expect(argmax(x, -1).toArray()).toEqual([1, 2]);
    expect(argmax(x, 1, true).toArray()).toEqual([[1], [2]]);
    expect(argmin(x).item()).toBe(2);
    expect(argmin(x, 0).toArray()).toEqual([0, 1, 0]);
    expect(argmax(x, undefined, true).shape).toEqual([1, 1]);
  });

  it("the first index wins on ties", () => {
    expect(argmax(array([1, 5, 5, 2])).item()).toBe(1);
    expect(argmin(array([4, 0, 0, 0])).item()).toBe(1);
    const x = gen([6, 7], "int32", 5); // small ints: many ties
    expectClose(argmax(x, 1), refReduce(refOf(x), 1, false, rargmax), { atol: 0 });
  });

  it("NaN counts as the maximum (its index is returned)", () => {
    expect(argmax(array([1, Number.NaN, 5])).item()).toBe(1);
    expect(argmin(array([1, 0, Number.NaN])).item()).toBe(2);
  });

  it("of a 0-d array is 0", () => {
    expect(argmax(array(3)).item()).toBe(0);
  });
});

describe("logsumexp", () => {
  it("is stable for 1e4 magnitudes", () => {
    const x = array(
      [
        [1e4, 1e4],
        [-1e4, -1e4],
        [1e4, 0],
      ],
      { dtype: "float64" },
    );
    const out = logsumexp(x, 1).toArray() as number[];
    expect(out[0]).toBeCloseTo(1e4 + Math.LN2, 10);
    expect(out[1]).toBeCloseTo(-1e4 + Math.LN2, 10);
    expect(out[2]).toBe(1e4);
    expect(logsumexp(array([1e4, 1e4]), 0).item()).toBeCloseTo(10000.693, 2);
  });

  it("handles -inf entries and all -inf rows (gives -inf, not NaN)", () => {
    const x = array(
      [
        [-Infinity, -Infinity],
        [-Infinity, 0],
        [Math.log(2), Math.log(3)],
      ],
      { dtype: "float64" },
    );
    const out = logsumexp(x, -1).toArray() as number[];
    expect(out[0]).toBe(-Infinity);
    expect(out[1]).toBe(0);
    expect(out[2]).toBeCloseTo(Math.log(5), 14);
  });

  it("propagates +inf and NaN", () => {
    expect(logsumexp(array([1, Infinity]), 0).item()).toBe(Infinity);
    expect(logsumexp(array([Number.NaN, 1]), 0).item()).toBeNaN();
  });

  it("over several dims with keepdim matches the reference", () => {
    const x = gen([3, 4, 5], "float64", 6);
    expectClose(logsumexp(x, [0, 2], true), refReduce(refOf(x), [0, 2], true, rlogsumexp), { atol: 1e-12 });
    expectClose(logsumexp(x), refReduce(refOf(x), undefined, false, rlogsumexp), { atol: 1e-12 });
    expect(logsumexp(x, -2).shape).toEqual([3, 5]);
  });
});

describe("reductions over empty leading dims", () => {
  it("sum/mean/sumToShape of a [0, 2] array over dim 0 give zeros / NaN like torch", async () => {
    const { mean, sum, sumToShape, zeros } = await import("../src/index.js");
    expect(sum(zeros([0, 2]), 0).toArray()).toEqual([0, 0]);
    expect(sum(zeros([0, 2, 3]), [0, 1]).toArray()).toEqual([0, 0, 0]);
    expect(sumToShape(zeros([0, 2]), [2]).toArray()).toEqual([0, 0]);
    expect((mean(zeros([0, 2]), 0).toArray() as number[]).every(Number.isNaN)).toBe(true);
  });
});
