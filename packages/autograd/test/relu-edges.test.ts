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

describe("relu's float32 bit-pattern kernels agree with the generic loops on every edge value", () => {
  const edges = [-3, -0, 0, 2.5, Number.NaN, -Number.NaN, Infinity, -Infinity, 1e-45, -1e-45, 3.4e38, -3.4e38];
  // A float32 NaN with the sign bit set, written through its bits.
  const negNaN = new Float32Array(new Int32Array([-4194304]).buffer)[0] as number;
  const xs = nd.array([...edges, negNaN], { dtype: "float32" });
  const bitsOf = (a: nd.NDArray) => Array.from(new Int32Array(Float32Array.from(a.toTypedArray()).buffer));

  it("forward: contiguous (bits) and strided (generic) inputs give the same bits", () => {
    const strided = nd.stack([xs, xs], 1).narrow(1, 0, 1).reshape([-1]);
    expect(strided.isContiguous()).toBe(false);
    const fast = nd.relu(xs);
    expect(bitsOf(fast)).toEqual(bitsOf(nd.relu(strided)));
    const y = fast.toArray() as number[];
    expect(Object.is(y[1], 0)).toBe(true); // −0 → +0
    expect(y[4]).toBeNaN();
    expect(y[12]).toBeNaN(); // negative NaN stays NaN
    expect(y[7]).toBe(0);
  });

  it("backward: g passes where x > 0 or x is NaN (torch's x <= 0 ? 0 : g), bits equal on both paths", () => {
    const n = xs.size;
    const g = nd.array(
      Array.from({ length: n }, (_, i) => (i % 3 === 0 ? Number.NaN : i % 3 === 1 ? -Infinity : i + 0.5)),
      { dtype: "float32" },
    );
    const fast = nd.reluBackward(g, xs);
    const gs = nd.stack([g, g], 1).narrow(1, 0, 1).reshape([-1]);
    const xsS = nd.stack([xs, xs], 1).narrow(1, 0, 1).reshape([-1]);
    expect(bitsOf(fast)).toEqual(bitsOf(nd.reluBackward(gs, xsS)));
    const got = fast.toArray() as number[];
    const xv = xs.toArray() as number[];
    const gv = g.toArray() as number[];
    for (let i = 0; i < n; i++) {
      const want = (xv[i] as number) <= 0 ? 0 : (gv[i] as number);
      expect(Object.is(got[i], want) || (Number.isNaN(got[i]) && Number.isNaN(want))).toBe(true);
    }
  });

  it("the recorded (double-backward) form agrees with the fused kernel", () => {
    const x = new Tensor(nd.array([-1, 0, Number.NaN, 2], { dtype: "float64" }), { requiresGrad: true });
    const g = new Tensor(nd.array([7, 8, 9, Number.NaN], { dtype: "float64" }));
    x.relu().backward(g);
    const fusedGrad = x.grad!.toArray();
    x.grad = null;
    x.relu().backward(g, { createGraph: true });
    expect(x.grad!.toArray()).toEqual(fusedGrad);
    expect(fusedGrad).toEqual([0, 0, 9, Number.NaN]);
  });
});
