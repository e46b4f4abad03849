/** softmax / logSoftmax: values, dims, stability for large magnitudes and -inf. */
import { describe, expect, it } from "vitest";
import { add, array, exp, IndexError, logSoftmax, softmax, sum } from "../src/index.js";
import { expectClose, gen, refAlong, refOf, rlogSoftmax, rsoftmax } from "./helpers.js";

describe("softmax", () => {
  it("known values", () => {
    const out = softmax(array([1, 2, 3], { dtype: "float64" })).toArray() as number[];
    const e = [Math.exp(1), Math.exp(2), Math.exp(3)];
    const s = e[0]! + e[1]! + e[2]!;
    out.forEach((v, i) => expect(v).toBeCloseTo(e[i]! / s, 15));
  });

  it("defaults to the last dim and each lane sums to 1", () => {
    const x = gen([3, 4, 5], "float64", 1);
    const s = softmax(x);
    expectClose(s, softmax(x, -1), { atol: 0 });
    expectClose(sum(s, -1), array(new Array(3).fill(new Array(4).fill(1)), { dtype: "float64" }), { atol: 1e-14 });
  });

  it.each([0, 1, 2, -1, -2, -3])("matches the reference along dim %i", (dim) => {
    const x = gen([3, 4, 5], "float64", 2);
    expectClose(softmax(x, dim), refAlong(refOf(x), dim, rsoftmax), { atol: 1e-14 });
    expectClose(logSoftmax(x, dim), refAlong(refOf(x), dim, rlogSoftmax), { atol: 1e-13 });
  });

  it("is stable for large magnitudes", () => {
    expect(softmax(array([1000, 1000])).toArray()).toEqual([0.5, 0.5]);
    expect(softmax(array([1e4, 0])).toArray()).toEqual([1, 0]);
    expect(softmax(array([-1e4, -1e4 + Math.log(3)], { dtype: "float64" })).get(1)).toBeCloseTo(0.75, 12);
  });

  it("-inf entries get probability 0; an all -inf row gives NaN like torch", () => {
    expect(softmax(array([-Infinity, 0, 0])).toArray()).toEqual([0, 0.5, 0.5]);
    const out = softmax(
      array([
        [-Infinity, -Infinity],
        [0, -Infinity],
      ]),
      1,
    ).toArray() as number[][];
    expect(out[0]![0]).toBeNaN();
    expect(out[0]![1]).toBeNaN();
    expect(out[1]).toEqual([1, 0]);
  });

  it("is invariant to adding a constant per lane", () => {
    const x = gen([4, 6], "float64", 3);
    expectClose(softmax(add(x, 123.25), 1), softmax(x, 1), { atol: 1e-14 });
  });

  it("of a 0-d array is 1, of an empty dim is empty", () => {
    expect(softmax(array(3.5), 0).item()).toBe(1);
    expect(softmax(array([[], []]), 1).shape).toEqual([2, 0]);
  });

  it("rejects an out-of-range dim", () => {
    expect(() => softmax(gen([2, 3], "float32", 4), 2)).toThrow(IndexError);
    expect(() => softmax(gen([2, 3], "float32", 4), 2)).toThrow(/^softmax: dim 2 is out of range/);
  });
});

describe("logSoftmax", () => {
  it("is stable for 1e4 magnitudes", () => {
    expect(logSoftmax(array([0, 1e4])).toArray()).toEqual([-1e4, 0]);
    const out = logSoftmax(array([1e4, 1e4], { dtype: "float64" })).toArray() as number[];
    expect(out[0]).toBeCloseTo(-Math.LN2, 12);
    expect(out[1]).toBeCloseTo(-Math.LN2, 12);
  });

  it("keeps -inf entries at -inf", () => {
    expect(logSoftmax(array([-Infinity, 0])).toArray()).toEqual([-Infinity, 0]);
  });

  it("exp(logSoftmax) equals softmax", () => {
    const x = gen([5, 7], "float64", 5);
    expectClose(exp(logSoftmax(x, 0)), softmax(x, 0), { atol: 1e-14 });
  });

  it("keeps float64 and promotes int input to float32", () => {
    expect(logSoftmax(gen([2, 2], "float64", 6)).dtype).toBe("float64");
    const i = logSoftmax(array([0, 1], { dtype: "int32" }));
    expect(i.dtype).toBe("float32");
    expect(i.get(1)).toBeCloseTo(-Math.log1p(Math.exp(-1)), 6);
  });
});
