/**
 * Gradient buffers the engine recycles (see GradBuffers in src/engine.ts): a first-order pass hands
 * consumed gradients to @typegrad/tensor's buffer pool, and every gradient someone else can still
 * reach — a leaf's `.grad`, a retained or hooked gradient, the caller's seed, what a foreign rule
 * keeps — stays untouched when later kernels take buffers from the pool. Sizes are above the pool's
 * minimum (64 KiB), so recycling really happens.
 */
import * as nd from "@typegrad/tensor";
import { afterEach, describe, expect, it } from "vitest";
import { backward, defineOp, record, Tensor } from "../src/index.js";

const SHAPE = [64, 256] as const; // 16,384 elements: 128 KiB in float64, 64 KiB in float32

/** Takes (and overwrites) every buffer the pool holds: any wrongly recycled gradient changes. */
function drain(dtype: "float32" | "float64" = "float64"): void {
  for (let i = 0; i < 256 && nd.pooledBufferBytes() > 0; i++) {
    for (const shape of [SHAPE, [SHAPE[0] * 2, SHAPE[1]], [SHAPE[1], SHAPE[0]]])
      nd.full(shape, 1234, { dtype }).clone();
  }
}

function leaf(seed: number, dtype: "float32" | "float64" = "float64"): Tensor {
  return new Tensor(nd.randn(SHAPE, { dtype, rng: new nd.Rng(seed) }), { requiresGrad: true });
}

/** A graph with fan-out, views, broadcasting and accumulation: gradients meet and pass through. */
function loss(x: Tensor, w: Tensor): Tensor {
  const h = x.mul(w).add(x).tanh(); // x reaches h twice
  const v = h.transpose(0, 1).reshape(SHAPE[1], SHAPE[0]).transpose(0, 1); // views of views
  const s = v.add(h.mul(0.5)).sigmoid().mul(w.sum(0, true)); // broadcast of a reduction
  return s.add(h).sum();
}

describe("recycled gradient buffers", () => {
  afterEach(() => nd.clearBufferPool());

  it("recycles what a first-order pass consumes, and the gradients stay exact across passes", () => {
    for (const dtype of ["float64", "float32"] as const) {
      const x = leaf(1, dtype);
      const w = leaf(2, dtype);
      const grads: number[][] = [];
      for (let pass = 0; pass < 3; pass++) {
        x.grad = null;
        w.grad = null;
        nd.clearBufferPool();
        loss(x, w).backward();
        if (pass === 0) expect(nd.pooledBufferBytes()).toBeGreaterThan(0);
        grads.push([...(x.grad as Tensor | null)!.data.toTypedArray(), ...w.grad!.data.toTypedArray()]);
        if (pass === 1) drain(dtype); // pass 2 starts from an empty pool, pass 1 from a full one
      }
      // Later passes reuse buffers holding earlier values: any element a kernel skipped would differ.
      expect(grads[1]).toEqual(grads[0]);
      expect(grads[2]).toEqual(grads[0]);
    }
  });

  it("matches a pass that cannot recycle (createGraph)", () => {
    const x = leaf(3);
    const w = leaf(4);
    const [gx, gw] = backward(loss(x, w), undefined, { inputs: [x, w] }) as Tensor[];
    nd.clearBufferPool();
    loss(x, w).backward(undefined, { createGraph: true });
    expect(nd.pooledBufferBytes()).toBe(0);
    const close = (a: Tensor, b: Tensor) => expect(nd.max(nd.abs(nd.sub(a.data, b.data))).item()).toBeLessThan(1e-12);
    close(x.grad!, gx!);
    close(w.grad!, gw!);
    nd.clearBufferPool();
    x.grad = null;
    w.grad = null;
    loss(x, w).backward();
    close(x.grad!, gx!);
    close(w.grad!, gw!);
  });

  it("never recycles a leaf's .grad, a retained gradient, a hooked gradient or the caller's seed", () => {
    const x = leaf(5);
    const w = leaf(6);
    const h = x.mul(w).add(1);
    h.retainGrad();
    let seen: Tensor | null = null;
    const m = h.exp();
    m.registerHook((g) => {
      seen = g;
    });
    const y = m.mul(x).mul(2);
    const seed = new Tensor(nd.randn(SHAPE, { dtype: "float64", rng: new nd.Rng(7) }));
    const snapshot = (t: Tensor) => Array.from(t.data.toTypedArray());
    const seedBefore = snapshot(seed);
    y.backward(seed);
    const kept = [x.grad!, w.grad!, h.grad!, seen! as Tensor];
    // No two share memory: a buffer recycled too early would come back within the same pass.
    const buffers = [...kept, seed].map((t) => t.data.data.buffer);
    expect(new Set(buffers).size).toBe(buffers.length);
    expect(snapshot(seen! as Tensor)).toEqual(snapshot(new Tensor(nd.mul(nd.mul(seed.data, 2), x.data))));
    const before = kept.map(snapshot);
    drain();
    loss(leaf(8), leaf(9)).backward(); // another pass fills and drains the pool again
    drain();
    expect(kept.map(snapshot)).toEqual(before);
    expect(snapshot(seed)).toEqual(seedBefore);
  });

  it("never recycles a gradient a foreign rule returns or keeps", () => {
    let keptByRecord: Tensor | null = null;
    const passThrough = (x: Tensor) =>
      record("keepsGradOut", [x], x.data.clone(), (g) => {
        keptByRecord = g;
        return [g.mul(1)];
      });
    const constant = new Tensor(nd.full(SHAPE, 3, { dtype: "float64" }));
    const returnsKept = defineOp({
      name: "returnsKept",
      forward: (_ctx, x) => nd.mul(x, 3),
      backward: () => constant,
    });
    const x = leaf(10);
    const y = passThrough(returnsKept(x.mul(2)).exp())
      .mul(x)
      .sum();
    y.backward();
    expect(keptByRecord!.data.data.buffer).not.toBe(x.grad!.data.data.buffer);
    const keptBefore = Array.from((keptByRecord as Tensor | null)!.data.toTypedArray());
    drain();
    loss(leaf(11), leaf(12)).backward();
    drain();
    expect(Array.from((keptByRecord as Tensor | null)!.data.toTypedArray())).toEqual(keptBefore);
    expect(nd.min(constant.data).item()).toBe(3);
    expect(nd.max(constant.data).item()).toBe(3);
  });
});
