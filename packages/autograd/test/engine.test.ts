/**
 * The backward engine: values and gradients of a known expression, accumulation, deep and wide
 * graphs, freed graphs, hooks, grad mode, in-place detection, graph pictures and dtypes.
 */
import type * as nd from "@typegrad/tensor";
import { describe, expect, it } from "vitest";
import {
  enableGrad,
  isGradEnabled,
  lift,
  noGrad,
  randn,
  stack,
  type Tensor,
  tensor,
  toDot,
  toMermaid,
  zeros,
} from "../src/index.js";
import { expectClose, flat } from "./helpers.js";

const f64 = (v: nd.NestedArray, requiresGrad = true): Tensor => tensor(v, { dtype: "float64", requiresGrad });

describe("micrograd's sanity expression", () => {
  it("gives micrograd's published value and gradients", () => {
    const a = f64(-4);
    const b = f64(2);
    let c = a.add(b);
    let d = a.mul(b).add(b.pow(3));
    c = c.add(c.add(1));
    c = c.add(lift(1, c).add(c).add(a.neg()));
    d = d.add(d.mul(2).add(b.add(a).relu()));
    d = d.add(lift(3, d).mul(d).add(b.sub(a).relu()));
    const e = c.sub(d);
    const f = e.pow(2);
    let g = f.div(2);
    g = g.add(lift(10, f).div(f));
    g.backward();
    expect(g.shape).toEqual([]);
    expect(g.item()).toBeCloseTo(24.7041, 4);
    expect(a.grad!.item()).toBeCloseTo(138.8338, 4);
    expect(b.grad!.item()).toBeCloseTo(645.5773, 4);
  });

  it("gives micrograd's smaller example", () => {
    // x = -4; z = 2x + 2 + x; q = relu(z) + z·x; h = relu(z·z); y = h + q + q·x  -> y = -20, dy/dx = 46
    const x = f64(-4);
    const z = x.mul(2).add(2).add(x);
    const q = z.relu().add(z.mul(x));
    const h = z.mul(z).relu();
    const y = h.add(q).add(q.mul(x));
    y.backward();
    expect(y.item()).toBe(-20);
    expect(x.grad!.item()).toBe(46);
  });
});

describe("gradient accumulation", () => {
  it("adds into .grad across backward calls until reset", () => {
    const x = f64([1, 2, 3]);
    x.mul(x).sum().backward();
    expect(x.grad!.toArray()).toEqual([2, 4, 6]);
    x.mul(3).sum().backward();
    expect(x.grad!.toArray()).toEqual([5, 7, 9]);
    x.grad = null;
    x.mul(3).sum().backward();
    expect(x.grad!.toArray()).toEqual([3, 3, 3]);
    noGrad(() => x.grad!.zero_());
    x.sum().backward();
    expect(x.grad!.toArray()).toEqual([1, 1, 1]);
  });

  it("sums every use of a tensor (fan-out of 1000)", () => {
    const x = f64([0.5, -2]);
    const terms: Tensor[] = [];
    for (let k = 0; k < 1000; k++) terms.push(x.mul(k % 7));
    let s = terms[0]!;
    for (let k = 1; k < terms.length; k++) s = s.add(terms[k]!);
    s.sum().backward();
    let expected = 0;
    for (let k = 0; k < 1000; k++) expected += k % 7;
    expect(x.grad!.toArray()).toEqual([expected, expected]);
  });

  it("does not share the gradient buffer between leaves", () => {
    const a = f64([1, 2]);
    const b = f64([3, 4]);
    a.add(b).sum().backward();
    noGrad(() => a.grad!.add_(10));
    expect(b.grad!.toArray()).toEqual([1, 1]);
  });

  it("does not share gradients between leaves or with the seed under createGraph either", () => {
    const a = f64([1, 2]);
    const b = f64([3, 4]);
    a.add(b).sum().backward(undefined, { createGraph: true });
    expect(a.grad).not.toBe(b.grad);
    noGrad(() => a.grad!.mul_(5));
    expect(a.grad!.toArray()).toEqual([5, 5]);
    expect(b.grad!.toArray()).toEqual([1, 1]);
    const x = f64([1, 2]);
    const seed = f64([7, 8], false);
    x.add(0).backward(seed, { createGraph: true });
    noGrad(() => x.grad!.zero_());
    expect(seed.toArray()).toEqual([7, 8]);
  });
});

describe("graph size", () => {
  it("backprops a chain of 100,000 ops without overflowing the stack", () => {
    const x = f64([1]);
    const c = 1 + 1e-5;
    let y = x;
    for (let i = 0; i < 100_000; i++) y = i % 2 === 0 ? y.mul(c) : y.add(1e-6);
    y.sum().backward();
    const expected = c ** 50_000;
    expect(x.grad!.item()).toBeCloseTo(expected, 8);
    expect(Math.abs(x.grad!.item() - 1)).toBeGreaterThan(0.5);
  });

  it("handles a fan-in of 10,000 tensors, into one op and as a chain", () => {
    const leaves = Array.from({ length: 10_000 }, (_, i) => f64(i % 13));
    const weights = tensor(
      Array.from({ length: 10_000 }, (_, i) => (i % 5) - 2),
      { dtype: "float64" },
    );
    stack(leaves).mul(weights).sum().backward();
    for (let i = 0; i < leaves.length; i += 997) expect(leaves[i]!.grad!.item()).toBe((i % 5) - 2);
    let s = leaves[0]!.mul(leaves[0]!);
    for (let i = 1; i < leaves.length; i++) s = s.add(leaves[i]!.mul(leaves[i]!));
    s.backward();
    for (let i = 0; i < leaves.length; i += 997) expect(leaves[i]!.grad!.item()).toBe((i % 5) - 2 + 2 * (i % 13));
  });
});

describe("freed graphs and retainGraph", () => {
  it("retainGraph allows a second backward; without it the second throws", () => {
    const x = f64([0.5, 1.5]);
    const y = x.exp().mul(x).sum();
    y.backward(undefined, { retainGraph: true });
    const once = flat(x.grad!);
    y.backward();
    expectClose(
      x.grad!,
      once.map((v) => 2 * v),
    );
    expect(() => y.backward()).toThrow(/second time/);
  });

  it("a plain backward frees the graph", () => {
    const x = f64([0.5, 1.5]);
    const y = x.tanh().sum();
    y.backward();
    expect(() => y.backward()).toThrow(/backward through the graph a second time/);
  });
});

describe("backward arguments", () => {
  it("needs a gradient for a non-scalar output", () => {
    const x = f64([1, 2]);
    expect(() => x.mul(2).backward()).toThrow(/scalar/);
  });

  it("takes an explicit gradient of the output's shape", () => {
    const x = f64([1, 2, 3]);
    x.mul(x).backward(f64([1, 10, 100], false));
    expect(x.grad!.toArray()).toEqual([2, 40, 600]);
    expect(() => x.mul(2).backward(f64([1, 2], false))).toThrow(
      /gradient shape \[2\] does not match output shape \[3\]/,
    );
  });

  it("refuses a tensor that does not require grad", () => {
    expect(() => f64([1], false).mul(2).sum().backward()).toThrow(/does not require grad/);
  });

  it("refuses requiresGrad on integer tensors", () => {
    const i = tensor([1, 2], { dtype: "int32" });
    expect(() => {
      i.requiresGrad = true;
    }).toThrow(/floating point/);
    expect(() => tensor([1, 2], { dtype: "int32", requiresGrad: true })).toThrow(/floating point/);
    expect(() => tensor([true, false]).requiresGrad_()).toThrow(/floating point/);
    expect(i.requiresGrad).toBe(false);
  });
});

describe("non-leaf gradients and hooks", () => {
  it("retainGrad keeps an intermediate's gradient; others stay null", () => {
    const x = f64([1, -2]);
    const h = x.mul(3);
    const k = h.add(1);
    h.retainGrad();
    k.mul(k).sum().backward();
    expect(h.grad!.toArray()).toEqual([8, -10]);
    expect(k.grad).toBeNull();
    expect(x.grad!.toArray()).toEqual([24, -30]);
  });

  it("registerHook replaces the gradient, and its remover undoes it", () => {
    const x = f64([1, 2]);
    const remove = x.registerHook((g) => g.mul(10));
    x.mul(x).sum().backward();
    expect(x.grad!.toArray()).toEqual([20, 40]);
    remove();
    x.grad = null;
    x.mul(x).sum().backward();
    expect(x.grad!.toArray()).toEqual([2, 4]);
  });

  it("a hook on an intermediate changes what flows to the inputs; a void hook only observes", () => {
    const x = f64([1, 2]);
    const h = x.mul(x);
    const seen: number[][] = [];
    h.registerHook((g) => {
      seen.push(flat(g));
    });
    h.registerHook((g) => g.mul(0.5));
    h.mul(3).sum().backward();
    expect(seen).toEqual([[3, 3]]);
    expect(x.grad!.toArray()).toEqual([3, 6]);
  });
});

describe("detach and grad mode", () => {
  it("detach cuts the graph and shares the values", () => {
    const x = f64([2, 3]);
    const d = x.detach();
    expect(d.requiresGrad).toBe(false);
    expect(d.isLeaf).toBe(true);
    expect(d.data.data).toBe(x.data.data);
    x.mul(d).sum().backward();
    expect(x.grad!.toArray()).toEqual([2, 3]);
  });

  it("noGrad records nothing; enableGrad records inside it; the mode is restored after a throw", () => {
    const x = f64([1]);
    expect(isGradEnabled()).toBe(true);
    const y = noGrad(() => {
      expect(isGradEnabled()).toBe(false);
      return x.mul(2);
    });
    expect(y.requiresGrad).toBe(false);
    expect(y.gradFn).toBeNull();
    const z = noGrad(() => enableGrad(() => x.mul(2)));
    expect(z.requiresGrad).toBe(true);
    expect(z.gradFn!.name).toBe("mul");
    expect(() =>
      noGrad(() => {
        throw new Error("boom");
      }),
    ).toThrow("boom");
    expect(isGradEnabled()).toBe(true);
  });

  it("a plain backward records no graph for the gradients", () => {
    const x = f64([1, 2]);
    let modeInside: boolean | null = null;
    x.registerHook(() => {
      modeInside = isGradEnabled();
    });
    x.exp().sum().backward();
    expect(modeInside).toBe(false);
    expect(isGradEnabled()).toBe(true);
  });
});

describe("in-place modification of saved tensors", () => {
  it("detects an output saved by exp modified under noGrad", () => {
    const x = f64([0.1, 0.2]);
    const y = x.exp();
    const loss = y.mul(2).sum();
    noGrad(() => y.add_(1));
    expect(() => loss.backward()).toThrow(/modified in place/);
  });

  it("detects a constant operand of mul modified after the forward", () => {
    const x = f64([1, 2]);
    const b = f64([3, 4], false);
    const loss = x.mul(b).sum();
    b.add_(1);
    expect(() => loss.backward()).toThrow(/saved by mul .* modified in place/);
  });

  it("detects the change through a view (views share the version counter)", () => {
    const x = f64([
      [1, 2],
      [3, 4],
    ]);
    const b = f64(
      [
        [1, 0],
        [0, 1],
      ],
      false,
    );
    const v = b.transpose(0, 1);
    const r = b.reshape(4);
    expect(v.version).toBe(b.version);
    const loss = x.mul(b).sum();
    v.mul_(2);
    expect(b.version).toBe(1);
    expect(r.version).toBe(1);
    expect(b.toArray()).toEqual([
      [2, 0],
      [0, 2],
    ]);
    expect(() => loss.backward()).toThrow(/modified in place/);
  });

  it("lets unsaved tensors change (add saves nothing)", () => {
    const x = f64([1, 2]);
    const b = f64([3, 4], false);
    const loss = x.add(b).sum();
    b.fill_(0);
    loss.backward();
    expect(x.grad!.toArray()).toEqual([1, 1]);
  });

  it("refuses in-place ops on a tensor that requires grad outside noGrad", () => {
    const x = f64([1, 2]);
    expect(() => x.add_(1)).toThrow(/only allowed inside noGrad/);
    noGrad(() => x.add_(1));
    expect(x.toArray()).toEqual([2, 3]);
  });
});

describe("graph pictures", () => {
  it("toDot and toMermaid name the ops, shapes and leaves", () => {
    const w = randn([3, 4], { dtype: "float64", requiresGrad: true });
    w.name = "weight";
    const x = zeros([2, 3], { dtype: "float64" });
    const loss = x.matmul(w).tanh().sum();
    const dot = toDot(loss);
    expect(dot).toMatch(/^digraph typegrad \{/);
    expect(dot).toContain("matmul → [2,4]");
    expect(dot).toContain("tanh → [2,4]");
    expect(dot).toContain("sum → []");
    expect(dot).toContain("weight [3,4] float64");
    expect(dot.match(/->/g)!.length).toBe(3);
    const mer = toMermaid(loss);
    expect(mer).toMatch(/^flowchart BT/);
    expect(mer).toContain("matmul → [2,4]");
    expect(mer).toContain("weight [3,4] float64");
    expect(mer.match(/-->/g)!.length).toBe(3);
  });
});

describe("gradient dtypes", () => {
  it("float32 parameters get float32 gradients, even through float64 math", () => {
    const w = randn([3], { requiresGrad: true });
    expect(w.dtype).toBe("float32");
    const x = tensor([1, 2, 3], { dtype: "float64" });
    const y = w.mul(x);
    expect(y.dtype).toBe("float64");
    y.sum().backward();
    expect(w.grad!.dtype).toBe("float32");
    expect(w.grad!.toArray()).toEqual([1, 2, 3]);
  });

  it("a cast's gradient comes back in the input's dtype", () => {
    const x = tensor([0.5, 1.5], { dtype: "float64", requiresGrad: true });
    x.float().mul(4).sum().backward();
    expect(x.grad!.dtype).toBe("float64");
    expect(x.grad!.toArray()).toEqual([4, 4]);
    const y = tensor([0.5, 1.5], { requiresGrad: true });
    y.double().exp().sum().backward();
    expect(y.grad!.dtype).toBe("float32");
    expectClose(y.grad!, [Math.exp(0.5), Math.exp(1.5)], 1e-6, 1e-6);
  });
});
