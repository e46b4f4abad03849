import * as nd from "@typegrad/tensor";
import { describe, expect, it } from "vitest";
import { Tensor } from "../src/index.js";

describe("relu on edge values (branch-free kernels)", () => {
  it("forward: negatives and −0 give +0, NaN stays NaN, ±Infinity map to Infinity and 0", () => {
    const x = nd.array([-3, -0, 0, 2.5, Number.NaN, Infinity, -Infinity], { dtype: "float64" });
    const y = nd.relu(x).toArray() as number[];
    expect(y.slice(0, 4)).toEqual([0, 0, 0, 2.5]);
    expect(Object.is(y[1], 0)).toBe(true);
    expect(y[4]).toBeNaN();
    expect(y.slice(5)).toEqual([Infinity, 0]);
  });
  it("backward: the gradient passes where x > 0 only, even when it is NaN or infinite elsewhere", () => {
    const x = new Tensor(nd.array([-1, 2, -1, 3, -1, 4], { dtype: "float64" }), { requiresGrad: true });
    const g = new Tensor(nd.array([5, 6, Number.NaN, Number.NaN, Infinity, -Infinity], { dtype: "float64" }));
    x.relu().backward(g);
    const got = x.grad!.toArray() as number[];
    expect(got[0]).toBe(0);
    expect(Object.is(got[0], 0)).toBe(true);
    expect(got[1]).toBe(6);
    expect(got[2]).toBe(0);
    expect(got[3]).toBeNaN();
    expect(got[4]).toBe(0);
    expect(got[5]).toBe(-Infinity);
  });
});
