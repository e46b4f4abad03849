/**
 * scaledDotProductAttention against an explicit-loop float64 reference (masks: true = may attend,
 * float masks added, causal), fully masked rows, gradchecks; MultiHeadAttention and TransformerBlock.
 */
import { gradcheck, manualSeed, Rng, Tensor, tensor } from "@typegrad/autograd";
import * as nd from "@typegrad/tensor";
import { ShapeError } from "@typegrad/tensor";
import { describe, expect, it } from "vitest";
import { causalMask, MultiHeadAttention, scaledDotProductAttention as sdpa } from "../src/attention.js";
import * as init from "../src/init.js";
import { Linear } from "../src/layers/linear.js";
import { TransformerBlock } from "../src/layers/transformer.js";

const values = (a: nd.NDArray | Tensor): number[] => Array.from((a instanceof Tensor ? a.data : a).toTypedArray());

function randn64(shape: number[], seed: number, requiresGrad = false): Tensor {
  return new Tensor(nd.randn(shape, { dtype: "float64", rng: new Rng(seed) }), { requiresGrad });
}

function expectClose(actual: readonly number[], expected: readonly number[], tol: number): void {
  expect(actual.length).toBe(expected.length);
  let worst = 0;
  for (let i = 0; i < actual.length; i++) {
    const err = Math.abs((actual[i] as number) - (expected[i] as number)) / (1 + Math.abs(expected[i] as number));
    if (!(err <= worst)) worst = err;
  }
  expect(worst).toBeLessThanOrEqual(tol);
}

/** What the mask says about score (b, h, i, j): false = blocked, a number = added to the score. */
type MaskFn = (b: number, h: number, i: number, j: number) => boolean | number;

/**
 * Reference attention with explicit loops over (B, H, L, E) / (B, H, S, E) / (B, H, S, Ev) arrays in
 * float64. A row whose keys are all blocked gives zeros.
 */
function naiveSdpa(q: Tensor, k: Tensor, v: Tensor, mask?: MaskFn, scale?: number): number[] {
  const [B, H, L, E] = q.shape as [number, number, number, number];
  const S = k.shape[2] as number;
  const Ev = v.shape[3] as number;
  const qv = values(q);
  const kv = values(k);
  const vv = values(v);
  const sc = scale ?? 1 / Math.sqrt(E);
  const out: number[] = [];
  for (let b = 0; b < B; b++)
    for (let h = 0; h < H; h++)
      for (let i = 0; i < L; i++) {
        const scores: number[] = [];
        for (let j = 0; j < S; j++) {
          let s = 0;
          for (let e = 0; e < E; e++)
            s += (qv[((b * H + h) * L + i) * E + e] as number) * (kv[((b * H + h) * S + j) * E + e] as number);
          s *= sc;
          const m = mask?.(b, h, i, j);
          if (m === false) s = -Infinity;
          else if (typeof m === "number") s += m;
          scores.push(s);
        }
        const mx = Math.max(...scores);
        const w = mx === -Infinity ? scores.map(() => 0) : scores.map((s) => Math.exp(s - mx));
        const z = w.reduce((a, c) => a + c, 0) || 1;
        for (let e = 0; e < Ev; e++) {
          let acc = 0;
          for (let j = 0; j < S; j++) acc += ((w[j] as number) / z) * (vv[((b * H + h) * S + j) * Ev + e] as number);
          out.push(acc);
        }
      }
  return out;
}

/** A bool NDArray of `shape` from a predicate on its multi-index. */
function boolMask(shape: number[], pred: (...idx: number[]) => boolean): nd.NDArray {
  const size = shape.reduce((p, d) => p * d, 1);
  const data: number[] = [];
  for (let f = 0; f < size; f++) {
    const idx: number[] = [];
    let r = f;
    for (let d = shape.length - 1; d >= 0; d--) {
      idx.unshift(r % (shape[d] as number));
      r = Math.floor(r / (shape[d] as number));
    }
    data.push(pred(...idx) ? 1 : 0);
  }
  return nd.array(data, { dtype: "bool", shape });
}

const noNaN = (t: Tensor | null): boolean => t !== null && values(t).every((x) => Number.isFinite(x));

describe("scaledDotProductAttention vs a naive float64 reference", () => {
  const B = 2;
  const H = 3;
  const L = 4;
  const S = 5;
  const E = 6;
  const Ev = 7;
  const q = randn64([B, H, L, E], 1);
  const k = randn64([B, H, S, E], 2);
  const v = randn64([B, H, S, Ev], 3);

  it("plain, with L != S and value dim != E", () => {
    const out = sdpa(q, k, v);
    expect(out.shape).toEqual([B, H, L, Ev]);
    expectClose(values(out), naiveSdpa(q, k, v), 1e-12);
  });

  it("isCausal masks keys j > i (top-left aligned, like torch)", () => {
    const out = sdpa(q, k, v, { isCausal: true });
    expectClose(
      values(out),
      naiveSdpa(q, k, v, (_b, _h, i, j) => j <= i),
      1e-12,
    );
    // different from unmasked, so the mask is really applied
    expect(Math.max(...values(out).map((x, i) => Math.abs(x - (values(sdpa(q, k, v))[i] as number))))).toBeGreaterThan(
      1e-3,
    );
    expect(values(causalMask(2, 3))).toEqual([1, 0, 0, 1, 1, 0]);
  });

  it("a bool mask means true = may attend, broadcast over batch and heads", () => {
    const allowed = (i: number, j: number) => (i * 7 + j * 3) % 4 !== 0;
    const mask = boolMask([L, S], allowed);
    const out = sdpa(q, k, v, { attnMask: mask });
    expectClose(
      values(out),
      naiveSdpa(q, k, v, (_b, _h, i, j) => allowed(i, j)),
      1e-12,
    );
    // a Tensor mask works the same way
    expect(values(sdpa(q, k, v, { attnMask: new Tensor(mask) }))).toEqual(values(out));
    // the inverted convention (true = blocked) gives something else
    const inverted = naiveSdpa(q, k, v, (_b, _h, i, j) => !allowed(i, j));
    expect(Math.max(...values(out).map((x, i) => Math.abs(x - (inverted[i] as number))))).toBeGreaterThan(1e-3);
  });

  it("a per-batch bool mask (B, 1, L, S) applies to each batch separately", () => {
    const allowed = (b: number, i: number, j: number) => (b === 0 ? j <= i + 1 : j % 2 === 0);
    const mask = boolMask([B, 1, L, S], (b, _h, i, j) => allowed(b as number, i as number, j as number));
    expectClose(
      values(sdpa(q, k, v, { attnMask: mask })),
      naiveSdpa(q, k, v, (b, _h, i, j) => allowed(b, i, j)),
      1e-12,
    );
  });

  it("a float mask is added to the scores", () => {
    const add = (h: number, i: number, j: number) => Math.sin(h + 2 * i + 3 * j) * 2;
    const data: number[] = [];
    for (let h = 0; h < H; h++) for (let i = 0; i < L; i++) for (let j = 0; j < S; j++) data.push(add(h, i, j));
    const mask = nd.array(data, { dtype: "float64", shape: [H, L, S] });
    expectClose(
      values(sdpa(q, k, v, { attnMask: mask })),
      naiveSdpa(q, k, v, (_b, h, i, j) => add(h, i, j)),
      1e-12,
    );
    // float32 masks are accepted too
    expectClose(
      values(sdpa(q, k, v, { attnMask: mask.astype("float32") })),
      naiveSdpa(q, k, v, (_b, h, i, j) => Math.fround(add(h, i, j))),
      1e-12,
    );
  });

  it("a float mask of -Infinity blocks like a false bool", () => {
    const m = (i: number, j: number) => j <= i;
    const data: number[] = [];
    for (let i = 0; i < L; i++) for (let j = 0; j < S; j++) data.push(m(i, j) ? 0 : -Infinity);
    const out = sdpa(q, k, v, { attnMask: nd.array(data, { dtype: "float64", shape: [L, S] }) });
    expectClose(values(out), values(sdpa(q, k, v, { isCausal: true })), 1e-15);
  });

  it("a custom scale replaces 1/√E", () => {
    const out = sdpa(q, k, v, { scale: 0.7 });
    expectClose(values(out), naiveSdpa(q, k, v, undefined, 0.7), 1e-12);
    const dflt = naiveSdpa(q, k, v);
    expect(Math.max(...values(out).map((x, i) => Math.abs(x - (dflt[i] as number))))).toBeGreaterThan(1e-3);
  });

  it("works without batch/head dims ((L, E) inputs) and with float32", () => {
    const q2 = randn64([L, E], 4);
    const k2 = randn64([S, E], 5);
    const v2 = randn64([S, Ev], 6);
    const expected = naiveSdpa(q2.reshape(1, 1, L, E), k2.reshape(1, 1, S, E), v2.reshape(1, 1, S, Ev));
    expectClose(values(sdpa(q2, k2, v2)), expected, 1e-12);
    const out32 = sdpa(q2.to("float32"), k2.to("float32"), v2.to("float32"));
    expect(out32.dtype).toBe("float32");
    expectClose(values(out32), expected, 1e-5);
  });
});

describe("scaledDotProductAttention errors", () => {
  const q = randn64([1, 2, 3, 4], 1);
  it("isCausal together with attnMask throws", () => {
    const mask = boolMask([3, 3], () => true);
    expect(() => sdpa(q, q, q, { isCausal: true, attnMask: mask })).toThrow(TypeError);
    expect(() => sdpa(q, q, q, { isCausal: true, attnMask: mask })).toThrow(/attnMask.*isCausal|isCausal.*attnMask/);
  });
  it("mismatched shapes throw ShapeErrors naming the shapes", () => {
    const k = randn64([1, 2, 3, 5], 2);
    expect(() => sdpa(q, k, k)).toThrow(ShapeError);
    expect(() => sdpa(q, k, k)).toThrow(/\[1,2,3,5\]/);
    const v = randn64([1, 2, 4, 4], 3);
    expect(() => sdpa(q, q, v)).toThrow(ShapeError);
    expect(() => sdpa(q, q, q, { attnMask: boolMask([2, 3], () => true) })).toThrow(RangeError);
  });
  it("an int mask is rejected", () => {
    expect(() => sdpa(q, q, q, { attnMask: nd.ones([3, 3], { dtype: "int32" }) })).toThrow(/bool or float/);
  });
});

describe("fully masked rows", () => {
  const L = 3;
  const S = 4;
  // row 1 may attend nowhere
  const allowed = (i: number, j: number) => i !== 1 && j <= i + 1;

  it("give zeros in the output and a finite gradient (bool mask)", () => {
    const q = randn64([2, 2, L, 5], 10, true);
    const k = randn64([2, 2, S, 5], 11, true);
    const v = randn64([2, 2, S, 3], 12, true);
    const mask = boolMask([L, S], allowed);
    const out = sdpa(q, k, v, { attnMask: mask });
    const ov = values(out);
    expect(ov.every(Number.isFinite)).toBe(true);
    expectClose(
      ov,
      naiveSdpa(q, k, v, (_b, _h, i, j) => allowed(i, j)),
      1e-12,
    );
    for (let bh = 0; bh < 4; bh++) expect(ov.slice((bh * L + 1) * 3, (bh * L + 2) * 3)).toEqual([0, 0, 0]);
    out
      .mul(randn64(out.shape as number[], 13))
      .sum()
      .backward();
    expect(noNaN(q.grad)).toBe(true);
    expect(noNaN(k.grad)).toBe(true);
    expect(noNaN(v.grad)).toBe(true);
    // the query of the dead row gets exactly zero gradient
    const qg = values(q.grad!);
    for (let bh = 0; bh < 4; bh++)
      expect(qg.slice((bh * L + 1) * 5, (bh * L + 2) * 5).every((x) => x === 0)).toBe(true);
  });

  it("give zeros and finite gradients with a float mask of -Infinity too", () => {
    const q = randn64([L, 5], 14, true);
    const k = randn64([S, 5], 15, true);
    const v = randn64([S, 2], 16, true);
    const data: number[] = [];
    for (let i = 0; i < L; i++) for (let j = 0; j < S; j++) data.push(allowed(i, j) ? 0.5 : -Infinity);
    const out = sdpa(q, k, v, { attnMask: nd.array(data, { dtype: "float64", shape: [L, S] }) });
    expect(values(out).slice(2, 4)).toEqual([0, 0]);
    expect(values(out).every(Number.isFinite)).toBe(true);
    out.sum().backward();
    expect(noNaN(q.grad) && noNaN(k.grad) && noNaN(v.grad)).toBe(true);
  });

  it("every row masked gives all zeros and zero gradients", () => {
    const q = randn64([2, 3], 17, true);
    const out = sdpa(q, q, q, { attnMask: boolMask([2, 2], () => false) });
    expect(values(out)).toEqual([0, 0, 0, 0, 0, 0]);
    out.sum().backward();
    expect(values(q.grad!)).toEqual([0, 0, 0, 0, 0, 0]);
  });

  it("pass gradcheck", () => {
    const q = randn64([2, L, 4], 18, true);
    const k = randn64([2, S, 4], 19, true);
    const v = randn64([2, S, 3], 20, true);
    const mask = boolMask([L, S], allowed);
    expect(gradcheck((a, b, c) => sdpa(a, b, c, { attnMask: mask }), [q, k, v])).toBe(true);
  });
});

describe("scaledDotProductAttention gradients", () => {
  const q = randn64([2, 2, 3, 4], 30, true);
  const k = randn64([2, 2, 5, 4], 31, true);
  const v = randn64([2, 2, 5, 3], 32, true);
  it("gradcheck wrt q, k and v, plain and causal", () => {
    expect(gradcheck((a, b, c) => sdpa(a, b, c), [q, k, v])).toBe(true);
    expect(gradcheck((a, b, c) => sdpa(a, b, c, { isCausal: true }), [q, k, v])).toBe(true);
  });
  it("gradcheck with a float mask and a custom scale", () => {
    const mask = randn64([3, 5], 33);
    expect(gradcheck((a, b, c) => sdpa(a, b, c, { attnMask: mask, scale: 0.3 }), [q, k, v])).toBe(true);
  });
});

function mha64(
  E: number,
  H: number,
  seed: number,
  opts: { bias?: boolean; dropout?: number } = {},
): MultiHeadAttention {
  manualSeed(seed);
  const m = new MultiHeadAttention(E, H, opts).to("float64");
  // non-zero biases so they matter in the checks
  for (const lin of [m.qProj, m.kProj, m.vProj, m.outProj]) if (lin.bias) init.uniform(lin.bias, -0.5, 0.5);
  return m;
}

/** Applies a Linear to rows of a (N, in) flat array in float64. */
function naiveLinear(x: number[], n: number, lin: Linear): number[] {
  const w = values(lin.weight);
  const b = lin.bias ? values(lin.bias) : null;
  const out: number[] = [];
  for (let r = 0; r < n; r++)
    for (let o = 0; o < lin.outFeatures; o++) {
      let s = b ? (b[o] as number) : 0;
      for (let i = 0; i < lin.inFeatures; i++)
        s += (x[r * lin.inFeatures + i] as number) * (w[o * lin.inFeatures + i] as number);
      out.push(s);
    }
  return out;
}

/** Reference MHA: project, split features h·d..(h+1)·d into head h, attend, concatenate heads, project out. */
function naiveMha(m: MultiHeadAttention, x: Tensor, y: Tensor, mask?: MaskFn): number[] {
  const [B, L, E] = x.shape as [number, number, number];
  const S = y.shape[1] as number;
  const H = m.numHeads;
  const d = E / H;
  const qp = naiveLinear(values(x), B * L, m.qProj);
  const kp = naiveLinear(values(y), B * S, m.kProj);
  const vp = naiveLinear(values(y), B * S, m.vProj);
  const split = (p: number[], len: number) => {
    const out: number[] = [];
    for (let b = 0; b < B; b++)
      for (let h = 0; h < H; h++)
        for (let t = 0; t < len; t++) for (let e = 0; e < d; e++) out.push(p[(b * len + t) * E + h * d + e] as number);
    return tensor(out, { dtype: "float64", shape: [B, H, len, d] });
  };
  const att = naiveSdpa(split(qp, L), split(kp, S), split(vp, S), mask);
  const merged: number[] = [];
  for (let b = 0; b < B; b++)
    for (let t = 0; t < L; t++)
      for (let h = 0; h < H; h++) for (let e = 0; e < d; e++) merged.push(att[((b * H + h) * L + t) * d + e] as number);
  return naiveLinear(merged, B * L, m.outProj);
}

describe("MultiHeadAttention", () => {
  it("holds qProj, kProj, vProj, outProj Linear children with torch-like names", () => {
    const m = new MultiHeadAttention(8, 2);
    for (const l of [m.qProj, m.kProj, m.vProj, m.outProj]) {
      expect(l).toBeInstanceOf(Linear);
      expect(l.weight.shape).toEqual([8, 8]);
    }
    expect(m.namedChildren().map(([n]) => n)).toEqual(["qProj", "kProj", "vProj", "outProj"]);
    expect(m.namedParameters().map(([n]) => n)).toEqual(
      ["qProj", "kProj", "vProj", "outProj"].flatMap((p) => [`${p}.weight`, `${p}.bias`]),
    );
    expect(new MultiHeadAttention(8, 2, { bias: false }).parameters()).toHaveLength(4);
    expect(m.headDim).toBe(4);
  });

  it("matches a naive per-head reference (self and cross attention)", () => {
    const m = mha64(6, 3, 40);
    const x = randn64([2, 4, 6], 41);
    const y = randn64([2, 5, 6], 42);
    const self = m.forward(x, x, x);
    expect(self.shape).toEqual([2, 4, 6]);
    expectClose(values(self), naiveMha(m, x, x), 1e-12);
    const cross = m.forward(x, y, y);
    expect(cross.shape).toEqual([2, 4, 6]);
    expectClose(values(cross), naiveMha(m, x, y), 1e-12);
    expectClose(
      values(m.forward(x, x, x, { isCausal: true })),
      naiveMha(m, x, x, (_b, _h, i, j) => j <= i),
      1e-12,
    );
  });

  it("bool masks mean true = may attend; (L, S) and (B·H, L, S) masks work", () => {
    const m = mha64(4, 2, 43);
    const x = randn64([2, 3, 4], 44);
    const y = randn64([2, 5, 4], 45);
    const allowed = (i: number, j: number) => j !== i && j !== 4;
    const out = m.forward(x, y, y, { attnMask: boolMask([3, 5], allowed) });
    expectClose(
      values(out),
      naiveMha(m, x, y, (_b, _h, i, j) => allowed(i, j)),
      1e-12,
    );
    const perHead = (bh: number, i: number, j: number) => (bh % 2 === 0 ? j <= i : j >= i);
    const mask3 = boolMask([4, 3, 5], perHead);
    expectClose(
      values(m.forward(x, y, y, { attnMask: mask3 })),
      naiveMha(m, x, y, (b, h, i, j) => perHead(b * 2 + h, i, j)),
      1e-12,
    );
    // the causal bool mask equals isCausal
    expectClose(
      values(m.forward(x, x, x, { attnMask: causalMask(3, 3) })),
      values(m.forward(x, x, x, { isCausal: true })),
      1e-15,
    );
  });

  it("accepts unbatched (L, E) inputs and returns (L, E)", () => {
    const m = mha64(8, 2, 46);
    const x = randn64([5, 8], 47);
    const out = m.forward(x, x, x, { isCausal: true });
    expect(out.shape).toEqual([5, 8]);
    const batched = m.forward(x.unsqueeze(0), x.unsqueeze(0), x.unsqueeze(0), { isCausal: true });
    expect(values(out)).toEqual(values(batched));
  });

  it("causal: the output at position t does not depend on inputs after t", () => {
    const m = mha64(8, 2, 48);
    const L = 6;
    const x = randn64([2, L, 8], 49);
    const base = values(m.forward(x, x, x, { isCausal: true }));
    const xs = values(x);
    for (let b = 0; b < 8; b++) xs[(1 * L + 4) * 8 + b] = (xs[(1 * L + 4) * 8 + b] as number) + 3; // batch 1, t = 4
    const x2 = tensor(xs, { dtype: "float64", shape: [2, L, 8] });
    const pert = values(m.forward(x2, x2, x2, { isCausal: true }));
    const at = (arr: number[], b: number, t: number) => arr.slice((b * L + t) * 8, (b * L + t + 1) * 8);
    for (let t = 0; t < L; t++) {
      expect(at(pert, 0, t)).toEqual(at(base, 0, t)); // other batch untouched
      if (t < 4) expect(at(pert, 1, t)).toEqual(at(base, 1, t));
      else expect(at(pert, 1, t)).not.toEqual(at(base, 1, t));
    }
    // without the causal mask earlier positions do change
    const full = values(m.forward(x, x, x));
    const fullPert = values(m.forward(x2, x2, x2));
    expect(at(fullPert, 1, 0)).not.toEqual(at(full, 1, 0));
  });

  it("embedDim not divisible by numHeads throws", () => {
    expect(() => new MultiHeadAttention(10, 3)).toThrow(/embedDim 10.*numHeads 3/);
    expect(() => new MultiHeadAttention(10, 3)).toThrow(TypeError);
    expect(() => new MultiHeadAttention(8, 0)).toThrow(/MultiHeadAttention/);
  });

  it("bad input ranks or mismatched batches throw ShapeErrors", () => {
    const m = new MultiHeadAttention(4, 2);
    const x = new Tensor(nd.zeros([2, 3, 4]));
    expect(() => m.forward(x, new Tensor(nd.zeros([1, 3, 4])), x)).toThrow(ShapeError);
    expect(() => m.forward(new Tensor(nd.zeros([4])), x, x)).toThrow(ShapeError);
    expect(() => m.forward(new Tensor(nd.zeros([2, 3, 5])), x, x)).toThrow(/Linear/);
  });

  it("attention dropout is active only in training mode", () => {
    const m = mha64(8, 2, 50, { dropout: 0.5 });
    const x = randn64([1, 6, 8], 51);
    m.eval();
    const a = values(m.forward(x, x, x));
    expect(values(m.forward(x, x, x))).toEqual(a);
    expectClose(a, naiveMha(m, x, x), 1e-12);
    m.train();
    manualSeed(1);
    const t = values(m.forward(x, x, x));
    expect(t).not.toEqual(a);
  });

  it("a fully masked query row gives zeros before outProj and finite parameter gradients", () => {
    const m = mha64(4, 2, 57);
    const x = randn64([1, 3, 4], 58, true);
    const mask = boolMask([3, 3], (i, j) => i !== 2 && j <= i);
    const out = m.forward(x, x, x, { attnMask: mask });
    // the dead row attends to nothing, so its output is outProj's bias alone
    expectClose(values(out).slice(8, 12), values(m.outProj.bias!), 1e-15);
    out.sum().backward();
    expect(noNaN(x.grad)).toBe(true);
    for (const p of m.parameters()) expect(noNaN(p.grad)).toBe(true);
    expect(gradcheck(() => m.forward(x, x, x, { attnMask: mask }), m.parameters())).toBe(true);
  });

  it("gradcheck in float64 wrt the input", () => {
    const m = mha64(4, 2, 52);
    const x = randn64([2, 3, 4], 53, true);
    expect(gradcheck((xx) => m.forward(xx, xx, xx, { isCausal: true }), [x])).toBe(true);
    const y = randn64([2, 4, 4], 54, true);
    expect(gradcheck((a, b) => m.forward(a, b, b), [x, y])).toBe(true);
  });

  it("gradcheck in float64 wrt every parameter", () => {
    const m = mha64(4, 2, 55);
    const x = randn64([2, 3, 4], 56);
    expect(m.parameters()).toHaveLength(8);
    expect(gradcheck(() => m.forward(x, x, x, { isCausal: true }), m.parameters())).toBe(true);
  });
});

describe("TransformerBlock", () => {
  it("keeps the (B, L, E) shape and names its parts", () => {
    manualSeed(60);
    const block = new TransformerBlock(8, 2);
    expect(block.forward(new Tensor(nd.randn([2, 5, 8]))).shape).toEqual([2, 5, 8]);
    const names = block.namedParameters().map(([n]) => n);
    expect(names).toContain("attn.qProj.weight");
    expect(names).toContain("ln1.weight");
    expect(names).toContain("fc1.weight");
    expect(block.fc1.weight.shape).toEqual([32, 8]);
  });

  it("is causal by default: perturbing a future token leaves earlier outputs unchanged", () => {
    manualSeed(61);
    const block = new TransformerBlock(8, 2, { dtype: "float64" });
    const L = 5;
    const x = randn64([1, L, 8], 62);
    const xs = values(x);
    for (let e = 0; e < 8; e++) xs[3 * 8 + e] = (xs[3 * 8 + e] as number) - 2; // t = 3
    const x2 = tensor(xs, { dtype: "float64", shape: [1, L, 8] });
    const a = values(block.forward(x));
    const b = values(block.forward(x2));
    expect(a.slice(0, 3 * 8)).toEqual(b.slice(0, 3 * 8));
    expect(a.slice(3 * 8, 4 * 8)).not.toEqual(b.slice(3 * 8, 4 * 8));
    expect(a.slice(4 * 8)).not.toEqual(b.slice(4 * 8));
    // an options object without isCausal keeps the causal default
    expect(values(block.forward(x, {}))).toEqual(a);
    // with isCausal: false the earlier positions see the change
    const c = values(block.forward(x, { isCausal: false }));
    const d = values(block.forward(x2, { isCausal: false }));
    expect(c.slice(0, 8)).not.toEqual(d.slice(0, 8));
  });

  it("passes gradcheck in float64 wrt its input", () => {
    manualSeed(63);
    const block = new TransformerBlock(4, 2, { dFF: 6 }).to("float64");
    const x = randn64([1, 3, 4], 64, true);
    expect(gradcheck((xx) => block.forward(xx), [x])).toBe(true);
  });
});
