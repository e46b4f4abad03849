/**
 * Layers against naive computations: Linear, Embedding, LayerNorm, Dropout, activations, Flatten.
 */
import { gradcheck, manualSeed, Rng, Tensor, tensor } from "@typegrad/autograd";
import * as nd from "@typegrad/tensor";
import { DTypeError, IndexError, ShapeError } from "@typegrad/tensor";
import { describe, expect, it } from "vitest";
import * as init from "../src/init.js";
import {
  Dropout,
  dropout,
  Flatten,
  GELU,
  ReLU,
  Sequential,
  Sigmoid,
  SiLU,
  Softmax,
  Tanh,
} from "../src/layers/basic.js";
import { Embedding } from "../src/layers/embedding.js";
import { Linear } from "../src/layers/linear.js";
import { LayerNorm } from "../src/layers/norm.js";

const values = (a: nd.NDArray | Tensor): number[] => Array.from((a instanceof Tensor ? a.data : a).toTypedArray());

function stats(xs: readonly number[]): { mean: number; std: number; min: number; max: number } {
  const mean = xs.reduce((s, v) => s + v, 0) / xs.length;
  const variance = xs.reduce((s, v) => s + (v - mean) ** 2, 0) / xs.length;
  return {
    mean,
    std: Math.sqrt(variance),
    min: xs.reduce((a, v) => Math.min(a, v), Infinity),
    max: xs.reduce((a, v) => Math.max(a, v), -Infinity),
  };
}

function expectClose(actual: readonly number[], expected: readonly number[], tol: number): void {
  expect(actual.length).toBe(expected.length);
  let worst = 0;
  for (let i = 0; i < actual.length; i++) {
    const a = actual[i] as number;
    const e = expected[i] as number;
    const err = Math.abs(a - e) / (1 + Math.abs(e));
    if (!(err <= worst)) worst = err; // NaN makes worst NaN, which fails below
  }
  expect(worst).toBeLessThanOrEqual(tol);
}

function randnT(shape: number[], seed: number, dtype: "float32" | "float64" = "float32"): Tensor {
  return new Tensor(nd.randn(shape, { dtype, rng: new Rng(seed) }));
}

describe("Linear", () => {
  it("computes x·Wᵀ + b like a naive loop, over leading batch dims", () => {
    manualSeed(1);
    const fc = new Linear(5, 3);
    const x = randnT([2, 4, 5], 2);
    const y = fc.forward(x);
    expect(y.shape).toEqual([2, 4, 3]);
    const w = values(fc.weight);
    const b = values(fc.bias!);
    const xv = values(x);
    const expected: number[] = [];
    for (let r = 0; r < 8; r++)
      for (let o = 0; o < 3; o++) {
        let s = b[o] as number;
        for (let i = 0; i < 5; i++) s += (xv[r * 5 + i] as number) * (w[o * 5 + i] as number);
        expected.push(s);
      }
    expectClose(values(y), expected, 1e-5);
  });

  it("maps a 1-d input (in) to (out)", () => {
    const fc = new Linear(2, 3);
    fc.loadStateDict({
      weight: nd.array([
        [1, 0],
        [0, 1],
        [1, 1],
      ]),
      bias: nd.array([0, 0, 1]),
    });
    const y = fc.forward(tensor([2, 5]));
    expect(y.shape).toEqual([3]);
    expect(y.toArray()).toEqual([2, 5, 8]);
  });

  it("names and shapes its parameters like torch", () => {
    const fc = new Linear(4, 7);
    expect(fc.namedParameters().map(([n, p]) => [n, p.shape])).toEqual([
      ["weight", [7, 4]],
      ["bias", [7]],
    ]);
  });

  it("default init: weight and bias within ±1/√in, weight std ≈ 1/√(3·in)", () => {
    manualSeed(3);
    const inF = 256;
    const fc = new Linear(inF, 512);
    const bound = 1 / Math.sqrt(inF);
    const w = stats(values(fc.weight));
    const b = stats(values(fc.bias!));
    expect(w.min).toBeGreaterThanOrEqual(-bound);
    expect(w.max).toBeLessThanOrEqual(bound);
    expect(b.min).toBeGreaterThanOrEqual(-bound);
    expect(b.max).toBeLessThanOrEqual(bound);
    // the bounds are actually used, not something narrower
    expect(w.max).toBeGreaterThan(0.99 * bound);
    expect(w.min).toBeLessThan(-0.99 * bound);
    expect(b.max).toBeGreaterThan(0.9 * bound);
    expect(b.min).toBeLessThan(-0.9 * bound);
    const target = 1 / Math.sqrt(3 * inF);
    expect(Math.abs(w.std - target) / target).toBeLessThan(0.05);
    expect(Math.abs(w.mean)).toBeLessThan(0.05 * target);
  });

  it("bias: false has no bias and computes x·Wᵀ", () => {
    const fc = new Linear(3, 2, { bias: false });
    expect(fc.bias).toBeNull();
    expect(fc.namedParameters().map(([n]) => n)).toEqual(["weight"]);
    fc.loadStateDict({
      weight: nd.array([
        [1, 2, 3],
        [-1, 0, 1],
      ]),
    });
    expect(fc.forward(tensor([[1, 1, 2]])).toArray()).toEqual([[9, 1]]);
  });

  it("gradients match a hand computation", () => {
    const fc = new Linear(2, 1);
    fc.loadStateDict({ weight: nd.array([[2, -3]]), bias: nd.array([0.5]) });
    const x = tensor(
      [
        [1, 2],
        [3, 4],
      ],
      { requiresGrad: true },
    );
    fc.forward(x).sum().backward();
    expect(fc.weight.grad!.toArray()).toEqual([[4, 6]]);
    expect(fc.bias!.grad!.toArray()).toEqual([2]);
    expect(x.grad!.toArray()).toEqual([
      [2, -3],
      [2, -3],
    ]);
  });

  it("a wrong last dim throws a ShapeError naming Linear and the shapes", () => {
    const fc = new Linear(5, 3);
    let err: unknown;
    try {
      fc.forward(new Tensor(nd.zeros([4, 3])));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ShapeError);
    const msg = (err as Error).message;
    expect(msg).toContain("Linear");
    expect(msg).toContain("[4,3]");
    expect(msg).toContain("5");
  });

  it("rejects non-positive or fractional sizes", () => {
    expect(() => new Linear(0, 3)).toThrow(/Linear/);
    expect(() => new Linear(2.5, 3)).toThrow(/Linear/);
  });
});

describe("Embedding", () => {
  it("looks up rows by index, keeping the index shape", () => {
    const emb = new Embedding(4, 3);
    const w = values(emb.weight);
    const ids = tensor(
      [
        [3, 0],
        [1, 3],
      ],
      { dtype: "int32" },
    );
    const out = emb.forward(ids);
    expect(out.shape).toEqual([2, 2, 3]);
    const row = (r: number) => w.slice(r * 3, r * 3 + 3);
    expect(values(out)).toEqual([...row(3), ...row(0), ...row(1), ...row(3)]);
    expect(emb.forward(tensor([2], { dtype: "int32" })).shape).toEqual([1, 3]);
  });

  it("initialises N(0, 1)", () => {
    manualSeed(5);
    const emb = new Embedding(1000, 64);
    const s = stats(values(emb.weight));
    expect(Math.abs(s.mean)).toBeLessThan(0.02);
    expect(Math.abs(s.std - 1)).toBeLessThan(0.02);
    expect(s.max).toBeGreaterThan(3); // unbounded tails, not a uniform
  });

  it("every row gets the count of its uses as gradient", () => {
    const emb = new Embedding(5, 2);
    const ids = tensor(
      [
        [1, 2, 1],
        [0, 1, 4],
      ],
      { dtype: "int32" },
    );
    emb.forward(ids).sum().backward();
    expect(emb.weight.grad!.toArray()).toEqual([
      [1, 1],
      [3, 3],
      [1, 1],
      [0, 0],
      [1, 1],
    ]);
  });

  it("paddingIdx row starts at zero and gets zero gradient; other rows get their counts", () => {
    manualSeed(6);
    const emb = new Embedding(5, 3, { paddingIdx: 2 });
    const w = values(emb.weight);
    expect(w.slice(6, 9)).toEqual([0, 0, 0]);
    expect(w.slice(0, 6).every((v) => v !== 0)).toBe(true);
    expect(w.slice(9).every((v) => v !== 0)).toBe(true);
    const ids = tensor(
      [
        [2, 1, 2],
        [4, 2, 1],
      ],
      { dtype: "int32" },
    );
    const out = emb.forward(ids);
    expect(values(out).slice(0, 3)).toEqual([0, 0, 0]);
    const weights = tensor([1, 2, 3], { dtype: "float32" });
    out.mul(weights).sum().backward();
    expect(emb.weight.grad!.toArray()).toEqual([
      [0, 0, 0],
      [2, 4, 6],
      [0, 0, 0],
      [0, 0, 0],
      [1, 2, 3],
    ]);
  });

  it("negative paddingIdx counts from the end", () => {
    const emb = new Embedding(4, 2, { paddingIdx: -1 });
    expect(emb.paddingIdx).toBe(3);
    expect(values(emb.weight).slice(6)).toEqual([0, 0]);
  });

  it("out-of-range indices throw an IndexError naming the index", () => {
    const emb = new Embedding(4, 2);
    expect(() => emb.forward(tensor([0, 4], { dtype: "int32" }))).toThrow(IndexError);
    expect(() => emb.forward(tensor([0, 4], { dtype: "int32" }))).toThrow(/Embedding.*4/);
    expect(() => emb.forward(tensor([-1], { dtype: "int32" }))).toThrow(IndexError);
    expect(() => new Embedding(4, 2, { paddingIdx: 4 })).toThrow(/paddingIdx/);
  });

  it("non-int32 ids throw a DTypeError", () => {
    const emb = new Embedding(4, 2);
    expect(() => emb.forward(tensor([0, 1]))).toThrow(DTypeError);
    expect(() => emb.forward(tensor([0, 1]))).toThrow(/Embedding.*int32.*float32/);
    expect(() => emb.forward(tensor([0, 1], { dtype: "float64" }))).toThrow(DTypeError);
  });
});

/** LayerNorm over the trailing `k` dims in float64: biased variance, eps inside the sqrt. */
function naiveLayerNorm(x: number[], shape: number[], k: number, w: number[] | null, b: number[] | null, eps = 1e-5) {
  const n = shape.slice(shape.length - k).reduce((p, d) => p * d, 1);
  const out: number[] = [];
  for (let r = 0; r < x.length / n; r++) {
    const row = x.slice(r * n, r * n + n);
    const mean = row.reduce((s, v) => s + v, 0) / n;
    const variance = row.reduce((s, v) => s + (v - mean) ** 2, 0) / n;
    row.forEach((v, i) => {
      out.push(((v - mean) / Math.sqrt(variance + eps)) * (w ? (w[i] as number) : 1) + (b ? (b[i] as number) : 0));
    });
  }
  return out;
}

describe("LayerNorm", () => {
  it("matches a naive float64 computation over the last dim, with affine params", () => {
    manualSeed(7);
    const ln = new LayerNorm(6);
    init.normal(ln.weight!);
    init.normal(ln.bias!);
    const x = randnT([2, 3, 6], 8).mul(3).add(1);
    const y = ln.forward(x);
    expect(y.shape).toEqual([2, 3, 6]);
    const expected = naiveLayerNorm(values(x), [2, 3, 6], 1, values(ln.weight!), values(ln.bias!));
    expectClose(values(y), expected, 1e-5);
  });

  it("normalises over two trailing dims", () => {
    manualSeed(9);
    const ln = new LayerNorm([3, 4]);
    expect(ln.weight!.shape).toEqual([3, 4]);
    init.normal(ln.weight!);
    init.normal(ln.bias!);
    const x = randnT([2, 3, 4], 10);
    const expected = naiveLayerNorm(values(x), [2, 3, 4], 2, values(ln.weight!), values(ln.bias!));
    expectClose(values(ln.forward(x)), expected, 1e-5);
    // normalising the last dim alone would give different numbers
    const wrong = naiveLayerNorm(values(x), [2, 3, 4], 1, null, null);
    expect(Math.max(...values(ln.forward(x)).map((v, i) => Math.abs(v - (wrong[i] as number))))).toBeGreaterThan(0.01);
  });

  it("uses eps = 1e-5 and the biased variance (visible on tiny-variance rows)", () => {
    const ln = new LayerNorm(2).to("float64");
    const x = tensor([[0, 0.004]], { dtype: "float64" }); // var = 4e-6, comparable to eps
    const expected = naiveLayerNorm([0, 0.004], [1, 2], 1, null, null, 1e-5);
    expectClose(values(ln.forward(x)), expected, 1e-12);
    const custom = new LayerNorm(2, { eps: 1e-3 }).to("float64");
    expectClose(values(custom.forward(x)), naiveLayerNorm([0, 0.004], [1, 2], 1, null, null, 1e-3), 1e-12);
  });

  it("starts as weight 1, bias 0; elementwiseAffine: false has no parameters", () => {
    const ln = new LayerNorm(3);
    expect(values(ln.weight!)).toEqual([1, 1, 1]);
    expect(values(ln.bias!)).toEqual([0, 0, 0]);
    const plain = new LayerNorm(3, { elementwiseAffine: false });
    expect(plain.weight).toBeNull();
    expect(plain.bias).toBeNull();
    expect(plain.parameters()).toHaveLength(0);
    const x = randnT([4, 3], 11);
    expectClose(values(plain.forward(x)), naiveLayerNorm(values(x), [4, 3], 1, null, null), 1e-5);
  });

  it("rejects inputs whose trailing dims differ from normalizedShape", () => {
    expect(() => new LayerNorm(4).forward(randnT([2, 3], 1))).toThrow(ShapeError);
    expect(() => new LayerNorm([3, 4]).forward(randnT([4, 3], 1))).toThrow(/LayerNorm.*\[4,3\]/);
  });

  it("passes gradcheck in float64 for input, weight and bias", () => {
    manualSeed(12);
    const ln = new LayerNorm([2, 3]).to("float64");
    init.normal(ln.weight!);
    init.normal(ln.bias!);
    const x = randnT([2, 2, 3], 13, "float64").requiresGrad_();
    expect(gradcheck((xx) => ln.forward(xx), [x, ln.weight!, ln.bias!])).toBe(true);
    const ln1 = new LayerNorm(5).to("float64");
    init.normal(ln1.weight!);
    const x1 = randnT([3, 5], 14, "float64").requiresGrad_();
    expect(gradcheck((xx) => ln1.forward(xx).pow(2), [x1, ln1.weight!, ln1.bias!])).toBe(true);
  });
});

describe("Dropout", () => {
  it("is the identity in eval mode, also when reached through a container's eval()", () => {
    const drop = new Dropout(0.5).eval();
    const x = randnT([10, 10], 1);
    const y = drop.forward(x);
    expect(values(y)).toEqual(values(x));
    const seq = new Sequential(new Dropout(0.5), new ReLU());
    expect(values(seq.forward(x) as Tensor)).not.toEqual(values(x.relu()));
    seq.eval();
    expect(values(seq.forward(x) as Tensor)).toEqual(values(x.relu()));
  });

  it("in training zeroes about p of the elements and scales survivors by exactly 1/(1-p)", () => {
    for (const p of [0.5, 0.75]) {
      manualSeed(20);
      const x = randnT([200, 100], 21);
      const y = new Dropout(p).forward(x);
      const xv = values(x);
      const yv = values(y);
      let zeros = 0;
      yv.forEach((v, i) => {
        if (v === 0) zeros++;
        else expect(v).toBe((xv[i] as number) / (1 - p)); // exact: 2 and 4 are powers of two
      });
      expect(Math.abs(zeros / yv.length - p)).toBeLessThan(0.01);
    }
  });

  it("scale is 1/(1-p) for a p whose scale is not a power of two (float64)", () => {
    const p = 0.3;
    manualSeed(22);
    const x = randnT([20000], 23, "float64");
    const y = new Dropout(p).forward(x);
    const xv = values(x);
    let zeros = 0;
    values(y).forEach((v, i) => {
      if (v === 0) zeros++;
      else expect(Math.abs(v - (xv[i] as number) / (1 - p))).toBeLessThanOrEqual(1e-15 * Math.abs(v));
    });
    expect(Math.abs(zeros / xv.length - p)).toBeLessThan(0.015);
  });

  it("gradient is the same mask and scale", () => {
    manualSeed(24);
    const x = randnT([1000], 25, "float64").requiresGrad_();
    const y = new Dropout(0.5).forward(x);
    y.sum().backward();
    const g = values(x.grad!);
    values(y).forEach((v, i) => {
      expect(g[i]).toBe(v === 0 ? 0 : 2);
    });
  });

  it("is deterministic under manualSeed and with an explicit rng", () => {
    const x = randnT([500], 26);
    manualSeed(30);
    const a = values(new Dropout(0.4).forward(x));
    manualSeed(30);
    const b = values(new Dropout(0.4).forward(x));
    manualSeed(31);
    const c = values(new Dropout(0.4).forward(x));
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
    const r1 = values(new Dropout(0.4, { rng: new Rng(5) }).forward(x));
    const r2 = values(new Dropout(0.4, { rng: new Rng(5) }).forward(x));
    expect(r1).toEqual(r2);
    expect(values(dropout(x, 0.4, true, new Rng(5)))).toEqual(r1);
  });

  it("p = 0 is the identity and p = 1 zeroes everything (with zero gradient) in training", () => {
    const x = randnT([50], 27).requiresGrad_();
    expect(values(new Dropout(0).forward(x))).toEqual(values(x));
    const y = new Dropout(1).forward(x);
    expect(values(y).every((v) => v === 0)).toBe(true);
    expect(values(y).some((v) => Number.isNaN(v))).toBe(false);
    y.sum().backward();
    expect(values(x.grad!).every((v) => v === 0)).toBe(true);
  });

  it("rejects p outside [0, 1]", () => {
    expect(() => new Dropout(1.5)).toThrow(/Dropout/);
    expect(() => new Dropout(-0.1)).toThrow(/Dropout/);
    expect(() => new Dropout(Number.NaN)).toThrow(/Dropout/);
  });
});

describe("activations", () => {
  const x = tensor([-3, -1, -0.5, 0, 0.25, 1, 2.5], { dtype: "float64" });
  const xv = values(x);
  const sig = (v: number) => 1 / (1 + Math.exp(-v));

  it("modules match their functional forms and the math", () => {
    const cases: [string, { forward(t: Tensor): Tensor }, (t: Tensor) => Tensor, (v: number) => number][] = [
      ["ReLU", new ReLU(), (t) => t.relu(), (v) => Math.max(v, 0)],
      ["Tanh", new Tanh(), (t) => t.tanh(), Math.tanh],
      ["Sigmoid", new Sigmoid(), (t) => t.sigmoid(), sig],
      ["SiLU", new SiLU(), (t) => t.silu(), (v) => v * sig(v)],
    ];
    for (const [, mod, fn, math] of cases) {
      const y = values(mod.forward(x));
      expect(y).toEqual(values(fn(x)));
      expectClose(y, xv.map(math), 1e-14);
    }
  });

  it("Softmax(dim) normalises along that dim", () => {
    const m = tensor(
      [
        [1, 2, 3],
        [0, 0, 5],
      ],
      { dtype: "float64" },
    );
    const rows = values(new Softmax(1).forward(m));
    const expectRow = (r: number[]) => {
      const e = r.map(Math.exp);
      const s = e.reduce((a, b) => a + b, 0);
      return e.map((v) => v / s);
    };
    expectClose(rows, [...expectRow([1, 2, 3]), ...expectRow([0, 0, 5])], 1e-15);
    const cols = new Softmax(0).forward(m);
    expectClose(values(cols.sum(0)), [1, 1, 1], 1e-15);
    expect(values(new Softmax().forward(m))).toEqual(rows);
  });

  it("GELU matches known values, exact and tanh-approximate", () => {
    const t = tensor([1, -1, 0], { dtype: "float64" });
    const exact = values(new GELU().forward(t));
    expect(exact[0]).toBeCloseTo(0.8413447460685429, 13);
    expect(exact[1]).toBeCloseTo(-0.15865525393145707, 13);
    expect(exact[2]).toBe(0);
    const approx = values(new GELU("tanh").forward(t));
    expect(approx[0]).toBeCloseTo(0.8411919906082768, 13);
    expect(Math.abs((approx[0] as number) - (exact[0] as number))).toBeGreaterThan(1e-4);
    expect(values(new GELU().forward(x))).toEqual(values(x.gelu()));
  });

  it("Sequential chains modules in order", () => {
    const fc = new Linear(2, 2, { bias: false });
    fc.loadStateDict({
      weight: nd.array([
        [1, 0],
        [0, -1],
      ]),
    });
    const seq = new Sequential(fc, new ReLU());
    expect(seq.forward(tensor([[3, 4]]))).toBeInstanceOf(Tensor);
    expect((seq.forward(tensor([[3, 4]])) as Tensor).toArray()).toEqual([[3, 0]]);
    expect(seq.length).toBe(2);
    expect(seq.at(0)).toBe(fc);
    expect(seq.at(-1)).toBeInstanceOf(ReLU);
  });
});

describe("Flatten", () => {
  const x = new Tensor(nd.arange(120, undefined, 1, { dtype: "float32" }).reshape([2, 3, 4, 5]));
  it("flattens all but the batch dim by default", () => {
    const y = new Flatten().forward(x);
    expect(y.shape).toEqual([2, 60]);
    expect(values(y)).toEqual(values(x));
  });
  it("takes start and end dims, negative counting from the end", () => {
    expect(new Flatten(0).forward(x).shape).toEqual([120]);
    expect(new Flatten(1, 2).forward(x).shape).toEqual([2, 12, 5]);
    expect(new Flatten(-2, -1).forward(x).shape).toEqual([2, 3, 20]);
    expect(new Flatten(0, 1).forward(x).shape).toEqual([6, 4, 5]);
  });
});
