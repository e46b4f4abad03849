import { gradcheck, gradgradcheck, type Tensor } from "@typegrad/autograd";
import { ArgumentError, DTypeError, IndexError, ShapeError } from "@typegrad/tensor";
import { describe, expect, it } from "vitest";
import { CrossEntropyLoss, crossEntropy, NLLLoss, nllLoss } from "../src/losses/index.js";
import {
  expectNumbers,
  expectValues,
  f32,
  f64,
  gradOf,
  i32,
  REDUCTIONS,
  type Red,
  reducedShape,
  sizeOf,
  uniform,
} from "./losses-helpers.js";

interface RefOpts {
  weight?: readonly number[];
  ignoreIndex?: number;
  labelSmoothing?: number;
  reduction: Red;
}

interface RefResult {
  value: number | number[];
  /** Gradient of the reduced loss (of its sum for "none") wrt the scores. */
  grad: number[];
  /** Gradient wrt the probability target (probability targets only). */
  gradTarget?: number[];
}

/** Log-softmax of one lane, max-shifted, in float64. */
function logSoftmaxRef(v: readonly number[]): number[] {
  const m = Math.max(...v);
  let s = 0;
  for (const x of v) s += Math.exp(x - m);
  const lse = m + Math.log(s);
  return v.map((x) => x - lse);
}

/**
 * Cross-entropy (or NLL when `fromLogits` is false) with class-index targets, straight from PyTorch's
 * formulas. `shape` is [N, C, ...rest]; `target` is [N, ...rest].
 */
function indexRef(
  scores: readonly number[],
  shape: readonly number[],
  target: readonly number[],
  o: RefOpts,
  fromLogits = true,
): RefResult {
  const n = shape[0] as number;
  const c = shape[1] as number;
  const s = sizeOf(shape.slice(2));
  const at = (i: number, k: number, j: number) => (i * c + k) * s + j;
  const ignore = o.ignoreIndex ?? -100;
  const eps = o.labelSmoothing ?? 0;
  const w = (k: number) => (o.weight ? (o.weight[k] as number) : 1);
  const per: number[] = [];
  const grad = new Array<number>(scores.length).fill(0);
  let denom = 0;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < s; j++) {
      const y = target[i * s + j] as number;
      const lane = Array.from({ length: c }, (_, k) => scores[at(i, k, j)] as number);
      const logp = fromLogits ? logSoftmaxRef(lane) : lane;
      if (y === ignore) {
        per.push(0);
        continue;
      }
      let smooth = 0;
      let wSum = 0;
      for (let k = 0; k < c; k++) {
        smooth -= w(k) * (logp[k] as number);
        wSum += w(k);
      }
      per.push((1 - eps) * -w(y) * (logp[y] as number) + (eps / c) * smooth);
      denom += w(y);
      for (let k = 0; k < c; k++) {
        const onehot = k === y ? 1 : 0;
        // ∂/∂x of −w_y·logp_y is w_y(p_k − δ); of −Σ w·logp it is p_k·Σw − w_k (through log-softmax).
        grad[at(i, k, j)] = fromLogits
          ? (1 - eps) * w(y) * (Math.exp(logp[k] as number) - onehot) +
            (eps / c) * (Math.exp(logp[k] as number) * wSum - w(k))
          : -w(y) * onehot;
      }
    }
  }
  const total = per.reduce((a, b) => a + b, 0);
  const value = o.reduction === "none" ? per : o.reduction === "sum" ? total : denom === 0 ? 0 : total / denom;
  const scale = o.reduction === "mean" ? (denom === 0 ? 0 : 1 / denom) : 1;
  return { value, grad: grad.map((g) => g * scale) };
}

/** Cross-entropy with class-probability targets of the logits' shape [N, C, ...rest]. */
function probRef(logits: readonly number[], shape: readonly number[], probs: readonly number[], o: RefOpts): RefResult {
  const n = shape[0] as number;
  const c = shape[1] as number;
  const s = sizeOf(shape.slice(2));
  const at = (i: number, k: number, j: number) => (i * c + k) * s + j;
  const eps = o.labelSmoothing ?? 0;
  const w = (k: number) => (o.weight ? (o.weight[k] as number) : 1);
  const per: number[] = [];
  const grad = new Array<number>(logits.length).fill(0);
  const gradTarget = new Array<number>(logits.length).fill(0);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < s; j++) {
      const logp = logSoftmaxRef(Array.from({ length: c }, (_, k) => logits[at(i, k, j)] as number));
      const t = Array.from({ length: c }, (_, k) => (1 - eps) * (probs[at(i, k, j)] as number) + eps / c);
      let loss = 0;
      let wt = 0;
      for (let k = 0; k < c; k++) {
        loss -= w(k) * (t[k] as number) * (logp[k] as number);
        wt += w(k) * (t[k] as number);
      }
      per.push(loss);
      for (let k = 0; k < c; k++) {
        grad[at(i, k, j)] = -w(k) * (t[k] as number) + Math.exp(logp[k] as number) * wt;
        gradTarget[at(i, k, j)] = -(1 - eps) * w(k) * (logp[k] as number);
      }
    }
  }
  const total = per.reduce((a, b) => a + b, 0);
  const value = o.reduction === "none" ? per : o.reduction === "sum" ? total : total / per.length;
  const scale = o.reduction === "mean" ? 1 / per.length : 1;
  return { value, grad: grad.map((g) => g * scale), gradTarget: gradTarget.map((g) => g * scale) };
}

/** Rows of positive numbers normalised along the class dim of `shape`. */
function probsFor(shape: readonly number[], seed: number): number[] {
  const c = shape[1] as number;
  const s = sizeOf(shape.slice(2));
  const raw = uniform(sizeOf(shape), 0.05, 1, seed);
  const out = [...raw];
  for (let i = 0; i < (shape[0] as number); i++)
    for (let j = 0; j < s; j++) {
      let z = 0;
      for (let k = 0; k < c; k++) z += raw[(i * c + k) * s + j] as number;
      for (let k = 0; k < c; k++) out[(i * c + k) * s + j] = (raw[(i * c + k) * s + j] as number) / z;
    }
  return out;
}

const SHAPE_A = [4, 5];
const LOGITS_A = uniform(20, -3, 3, 21);
const TARGET_A = [1, 4, -100, 0];
const WEIGHT_A = [0.5, 2, 1, 1.5, 0.7];

const SHAPE_B = [2, 3, 2, 2];
const LOGITS_B = uniform(24, -2.5, 2.5, 22);
const TARGET_B = [0, 2, 1, -100, 2, 2, 0, 1];
const WEIGHT_B = [0.3, 1.7, 1];

interface Fixture {
  name: string;
  shape: number[];
  logits: number[];
  target: number[];
  weight: number[];
  ignoreIndex?: number;
}

const FIXTURES: Fixture[] = [
  { name: "(N, C) with an ignored target", shape: SHAPE_A, logits: LOGITS_A, target: TARGET_A, weight: WEIGHT_A },
  {
    name: "(N, C) with ignoreIndex 4",
    shape: SHAPE_A,
    logits: LOGITS_A,
    target: [1, 4, 2, 4],
    weight: WEIGHT_A,
    ignoreIndex: 4,
  },
  { name: "(N, C, d1, d2)", shape: SHAPE_B, logits: LOGITS_B, target: TARGET_B, weight: WEIGHT_B },
];

const targetShape = (shape: readonly number[]) => [shape[0] as number, ...shape.slice(2)];

describe("crossEntropy with class-index targets matches PyTorch's formula", () => {
  for (const fx of FIXTURES) {
    for (const weighted of [false, true]) {
      for (const eps of [0, 0.1, 1]) {
        for (const r of REDUCTIONS) {
          it(`${fx.name}, ${weighted ? "weighted" : "unweighted"}, labelSmoothing ${eps}, reduction ${r}`, () => {
            const o: RefOpts = {
              reduction: r,
              labelSmoothing: eps,
              ...(weighted ? { weight: fx.weight } : {}),
              ...(fx.ignoreIndex !== undefined ? { ignoreIndex: fx.ignoreIndex } : {}),
            };
            const ref = indexRef(fx.logits, fx.shape, fx.target, o);
            const x = f64(fx.logits, fx.shape);
            const y = i32(fx.target, targetShape(fx.shape));
            const opts = {
              reduction: r,
              labelSmoothing: eps,
              ...(weighted ? { weight: f64(fx.weight, [fx.weight.length], false) } : {}),
              ...(fx.ignoreIndex !== undefined ? { ignoreIndex: fx.ignoreIndex } : {}),
            };
            const loss = crossEntropy(x, y, opts);
            expectValues(loss, ref.value, reducedShape(r, targetShape(fx.shape)));
            expectNumbers(gradOf(crossEntropy(x, y, opts), x), ref.grad);
            expect(gradcheck((a) => crossEntropy(a, y, opts), [x])).toBe(true);
          });
        }
      }
    }
  }

  it("label smoothing 0.1 with weights on the (N, C) fixture: the value the docs quote", () => {
    const opts = { weight: f64(WEIGHT_A, [5], false), labelSmoothing: 0.1 };
    const loss = crossEntropy(f64(LOGITS_A, SHAPE_A), i32(TARGET_A, [4]), opts);
    const ref = indexRef(LOGITS_A, SHAPE_A, TARGET_A, { weight: WEIGHT_A, labelSmoothing: 0.1, reduction: "mean" });
    expectValues(loss, ref.value, []);
    // Both terms are divided by Σ w[yᵢ] = 2 + 0.7 + 0.5 over the non-ignored targets (not by the count 3).
    const unnormalised = indexRef(LOGITS_A, SHAPE_A, TARGET_A, {
      weight: WEIGHT_A,
      labelSmoothing: 0.1,
      reduction: "sum",
    });
    expectValues(loss, (unnormalised.value as number) / 3.2, []);
  });

  it("unbatched (C) logits with a 0-d target", () => {
    const logits = LOGITS_A.slice(0, 5);
    for (const r of REDUCTIONS) {
      const o = { reduction: r, weight: WEIGHT_A, labelSmoothing: 0.2 };
      const ref = indexRef(logits, [1, 5], [3], o);
      const x = f64(logits, [5]);
      const opts = { reduction: r, weight: f64(WEIGHT_A, [5], false), labelSmoothing: 0.2 };
      const loss = crossEntropy(x, i32([3], []), opts);
      expectValues(loss, ref.value, []);
      expectNumbers(gradOf(crossEntropy(x, i32([3], []), opts), x), ref.grad);
      expect(gradcheck((a) => crossEntropy(a, i32([3], []), opts), [x])).toBe(true);
    }
  });

  it("the language-model reshape: (B, T, V) flattened to (B·T, V) equals (B, V, T) with (B, T) targets", () => {
    const [b, t, v] = [2, 3, 4];
    const btv = uniform(b * t * v, -2, 2, 23);
    const tokens = [3, 0, -100, 1, 2, 2];
    const flat = crossEntropy(f64(btv, [b * t, v]), i32(tokens, [b * t]), { labelSmoothing: 0.1 });
    const bvt = new Array<number>(b * t * v);
    for (let i = 0; i < b; i++)
      for (let j = 0; j < t; j++)
        for (let k = 0; k < v; k++) bvt[(i * v + k) * t + j] = btv[(i * t + j) * v + k] as number;
    const ref = indexRef(bvt, [b, v, t], tokens, { labelSmoothing: 0.1, reduction: "mean" });
    expectValues(flat, ref.value, []);
    expectValues(crossEntropy(f64(bvt, [b, v, t]), i32(tokens, [b, t]), { labelSmoothing: 0.1 }), ref.value, []);
  });

  it("logits of magnitude 1e4 stay finite and exact (float64 and float32, with label smoothing)", () => {
    const logits = [1e4, -1e4, 0, -1e4, 1e4, 0, 0, 1e4, -1e4];
    const target = [0, 0, 2];
    for (const make of [f64, (vals: readonly number[], s: readonly number[]) => f32(vals, s, true)]) {
      const x = make(logits, [3, 3]);
      const y = i32(target, [3]);
      const loss = crossEntropy(x, y, { reduction: "none" });
      expectValues(loss, [0, 2e4, 2e4], [3], 0);
      // softmax − onehot, divided by N = 3: rows [0,0,0], [−1,1,0], [0,1,−1] / 3
      expectNumbers(
        gradOf(crossEntropy(x, y), x),
        [0, 0, 0, -1 / 3, 1 / 3, 0, 0, 1 / 3, -1 / 3],
        x.dtype === "float64" ? 1e-15 : 1e-7,
      );
      // ε = 0.1: 0.9·nll + 0.1/3·(−Σ log p) with −Σ log p = 3e4 in every row.
      const smoothed = crossEntropy(x, y, { labelSmoothing: 0.1, reduction: "none" });
      expectValues(smoothed, [1e3, 0.9 * 2e4 + 1e3, 0.9 * 2e4 + 1e3], [3], x.dtype === "float64" ? 1e-15 : 1e-7);
      expect(gradOf(smoothed, x).every(Number.isFinite)).toBe(true);
    }
  });

  it("float32 logits give a float32 loss and float32 gradients", () => {
    const x = f32(LOGITS_A, SHAPE_A, true);
    const opts = { weight: f32(WEIGHT_A, [5]), labelSmoothing: 0.1 };
    const loss = crossEntropy(x, i32(TARGET_A, [4]), opts);
    expect(loss.dtype).toBe("float32");
    const ref = indexRef(LOGITS_A, SHAPE_A, TARGET_A, { weight: WEIGHT_A, labelSmoothing: 0.1, reduction: "mean" });
    expectValues(loss, ref.value, [], 1e-6);
    loss.backward();
    expect(x.grad?.dtype).toBe("float32");
    expectNumbers(Array.from(x.grad!.data.toTypedArray()), ref.grad, 1e-6);
  });

  it("a float64 weight with float32 logits is converted, and an NDArray target works", () => {
    const loss = crossEntropy(f32(LOGITS_A, SHAPE_A), i32(TARGET_A, [4]).data, { weight: f64(WEIGHT_A, [5], false) });
    expect(loss.dtype).toBe("float32");
    expectValues(loss, indexRef(LOGITS_A, SHAPE_A, TARGET_A, { weight: WEIGHT_A, reduction: "mean" }).value, [], 1e-6);
  });

  it("the class weights get gradients too (gradcheck)", () => {
    const x = f64(LOGITS_A, SHAPE_A, false);
    const w = f64(WEIGHT_A, [5]);
    expect(gradcheck((a) => crossEntropy(x, i32(TARGET_A, [4]), { weight: a, labelSmoothing: 0.1 }), [w])).toBe(true);
  });

  it("double backward works (gradgradcheck) with weights and label smoothing", () => {
    const opts = { weight: f64(WEIGHT_B, [3], false), labelSmoothing: 0.25 };
    expect(gradgradcheck((a) => crossEntropy(a, i32(TARGET_B, [2, 2, 2]), opts), [f64(LOGITS_B, SHAPE_B)])).toBe(true);
  });

  it("crossEntropy equals nllLoss(logSoftmax(logits)) on the same targets and options", () => {
    const x = f64(LOGITS_B, SHAPE_B, false);
    const y = i32(TARGET_B, [2, 2, 2]);
    const weight = f64(WEIGHT_B, [3], false);
    for (const r of REDUCTIONS) {
      const a = crossEntropy(x, y, { weight, reduction: r });
      expectValues(nllLoss(x.logSoftmax(1), y, { weight, reduction: r }), Array.from(a.data.toTypedArray()), a.shape);
    }
  });
});

describe("ignored targets", () => {
  for (const weighted of [false, true]) {
    for (const eps of [0, 0.3]) {
      it(`every target ignored (${weighted ? "weighted" : "unweighted"}, labelSmoothing ${eps}): 0 with zero gradient, never NaN`, () => {
        const x = f64(LOGITS_A, SHAPE_A);
        const y = i32([-100, -100, -100, -100], [4]);
        const base = { labelSmoothing: eps, ...(weighted ? { weight: f64(WEIGHT_A, [5], false) } : {}) };
        const mean = crossEntropy(x, y, base);
        expectValues(mean, 0, []);
        expectNumbers(gradOf(mean, x), new Array<number>(20).fill(0), 0);
        expectValues(crossEntropy(x, y, { ...base, reduction: "sum" }), 0, []);
        expectValues(crossEntropy(x, y, { ...base, reduction: "none" }), [0, 0, 0, 0], [4]);
        expect(gradcheck((a) => crossEntropy(a, y, base), [x])).toBe(true);
        const nll = nllLoss(x, y, weighted ? { weight: f64(WEIGHT_A, [5], false) } : {});
        expectValues(nll, 0, []);
        expectNumbers(gradOf(nll, x), new Array<number>(20).fill(0), 0);
      });
    }
  }

  it("an ignored target's row gets exactly zero gradient, and its logits do not affect the loss", () => {
    const x = f64(LOGITS_A, SHAPE_A);
    const y = i32(TARGET_A, [4]);
    const g = gradOf(crossEntropy(x, y, { labelSmoothing: 0.1 }), x);
    expect(g.slice(10, 15)).toEqual([0, 0, 0, 0, 0]);
    expect(g.slice(5, 10).some((v) => v !== 0)).toBe(true);
    const changed = [...LOGITS_A];
    changed[10] = 1e6;
    changed[12] = Number.NEGATIVE_INFINITY;
    expect(crossEntropy(f64(changed, SHAPE_A), y, { labelSmoothing: 0.1 }).item()).toBe(
      crossEntropy(x, y, { labelSmoothing: 0.1 }).item(),
    );
  });

  it("a batch whose targets all have weight 0 also gives 0 instead of NaN", () => {
    const weight = f64([0, 1, 1, 1, 1], [5], false);
    expectValues(crossEntropy(f64(LOGITS_A, SHAPE_A), i32([0, 0, -100, 0], [4]), { weight }), 0, []);
  });
});

describe("crossEntropy with class-probability targets", () => {
  const PROB_FIXTURES = [
    { name: "(N, C)", shape: SHAPE_A, logits: LOGITS_A, weight: WEIGHT_A },
    { name: "(N, C, d1, d2)", shape: SHAPE_B, logits: LOGITS_B, weight: WEIGHT_B },
  ];
  for (const fx of PROB_FIXTURES) {
    const probs = probsFor(fx.shape, 31);
    for (const weighted of [false, true]) {
      for (const eps of [0, 0.2]) {
        for (const r of REDUCTIONS) {
          it(`${fx.name}, ${weighted ? "weighted" : "unweighted"}, labelSmoothing ${eps}, reduction ${r}`, () => {
            const ref = probRef(fx.logits, fx.shape, probs, {
              reduction: r,
              labelSmoothing: eps,
              ...(weighted ? { weight: fx.weight } : {}),
            });
            const opts = {
              reduction: r,
              labelSmoothing: eps,
              ...(weighted ? { weight: f64(fx.weight, [fx.weight.length], false) } : {}),
            };
            const x = f64(fx.logits, fx.shape);
            const t = f64(probs, fx.shape);
            expectValues(crossEntropy(x, t, opts), ref.value, reducedShape(r, targetShape(fx.shape)));
            expectNumbers(gradOf(crossEntropy(x, t, opts), x), ref.grad);
            expectNumbers(gradOf(crossEntropy(x, t, opts), t), ref.gradTarget ?? []);
            expect(gradcheck((a, b) => crossEntropy(a, b, opts), [x, t])).toBe(true);
          });
        }
      }
    }
  }

  it("a one-hot probability target equals the class-index target", () => {
    const onehot = new Array<number>(20).fill(0);
    [1, 4, 2, 0].forEach((c, i) => {
      onehot[i * 5 + c] = 1;
    });
    const x = f64(LOGITS_A, SHAPE_A, false);
    const viaIndex = crossEntropy(x, i32([1, 4, 2, 0], [4]), { reduction: "none" });
    expectValues(
      crossEntropy(x, f64(onehot, SHAPE_A, false), { reduction: "none" }),
      Array.from(viaIndex.data.toTypedArray()),
      [4],
    );
  });

  it("unbatched (C) logits with a (C) probability target", () => {
    const probs = probsFor([1, 5], 32);
    const x = f64(LOGITS_A.slice(0, 5), [5]);
    for (const r of REDUCTIONS) {
      const ref = probRef(LOGITS_A.slice(0, 5), [1, 5], probs, { reduction: r, labelSmoothing: 0.1 });
      expectValues(crossEntropy(x, f64(probs, [5], false), { reduction: r, labelSmoothing: 0.1 }), ref.value, []);
    }
  });

  it("the mean divides by the number of samples, not by the weights", () => {
    const probs = probsFor(SHAPE_A, 33);
    const weight = f64(WEIGHT_A, [5], false);
    const x = f64(LOGITS_A, SHAPE_A, false);
    const sum = crossEntropy(x, f64(probs, SHAPE_A, false), { weight, reduction: "sum" }).item();
    expectValues(crossEntropy(x, f64(probs, SHAPE_A, false), { weight }), sum / 4, []);
  });
});

describe("nllLoss matches −w[yᵢ]·input[i, yᵢ]", () => {
  const logProbs = LOGITS_A.map((v) => v - 4); // any numbers work: nllLoss just picks them
  for (const weighted of [false, true]) {
    for (const r of REDUCTIONS) {
      it(`(N, C) ${weighted ? "weighted" : "unweighted"}, reduction ${r}, and (N, C, d1, d2)`, () => {
        const o: RefOpts = { reduction: r, ...(weighted ? { weight: WEIGHT_A } : {}) };
        const opts = { reduction: r, ...(weighted ? { weight: f64(WEIGHT_A, [5], false) } : {}) };
        const ref = indexRef(logProbs, SHAPE_A, TARGET_A, o, false);
        const x = f64(logProbs, SHAPE_A);
        expectValues(nllLoss(x, i32(TARGET_A, [4]), opts), ref.value, reducedShape(r, [4]));
        expectNumbers(gradOf(nllLoss(x, i32(TARGET_A, [4]), opts), x), ref.grad);
        expect(gradcheck((a) => nllLoss(a, i32(TARGET_A, [4]), opts), [x])).toBe(true);

        const oB: RefOpts = { reduction: r, ignoreIndex: 1, ...(weighted ? { weight: WEIGHT_B } : {}) };
        const optsB = { reduction: r, ignoreIndex: 1, ...(weighted ? { weight: f64(WEIGHT_B, [3], false) } : {}) };
        const targetB = [0, 2, 1, 1, 2, 2, 0, 1];
        const xB = f64(LOGITS_B, SHAPE_B);
        const refB = indexRef(LOGITS_B, SHAPE_B, targetB, oB, false);
        expectValues(nllLoss(xB, i32(targetB, [2, 2, 2]), optsB), refB.value, reducedShape(r, [2, 2, 2]));
        expectNumbers(gradOf(nllLoss(xB, i32(targetB, [2, 2, 2]), optsB), xB), refB.grad);
      });
    }
  }

  it("the docs example: picks −0.1 and −0.4", () => {
    expectValues(nllLoss(f64([-0.1, -2.4, -1.2, -0.4], [2, 2]), i32([0, 1], [2])), 0.25, [], 1e-15);
  });
});

describe("classification losses reject bad input", () => {
  const x = f64(LOGITS_A, SHAPE_A);
  const y = i32(TARGET_A, [4]);
  it("out-of-range class indices throw an IndexError naming the op, the value and the class count", () => {
    expect(() => crossEntropy(x, i32([1, 5, 0, 0], [4]))).toThrow(IndexError);
    expect(() => crossEntropy(x, i32([1, 5, 0, 0], [4]))).toThrow(
      /^crossEntropy: target 5 at flat index 1 is out of range for 5 classes \(expected 0\.\.4, or ignoreIndex -100\)/,
    );
    expect(() => crossEntropy(x, i32([1, -1, 0, 0], [4]))).toThrow(/target -1 at flat index 1 is out of range/);
    expect(() => nllLoss(x, i32([1, 2, 0, -100], [4]), { ignoreIndex: 0 })).toThrow(/^nllLoss: target -100/);
  });

  it("float targets where indices are expected, and int targets of the logits' shape, throw DTypeErrors", () => {
    expect(() => crossEntropy(x, f64([1, 4, 0, 0], [4], false))).toThrow(DTypeError);
    expect(() => crossEntropy(x, f64([1, 4, 0, 0], [4], false))).toThrow(
      /^crossEntropy: class-index target must be int32, got float64 of shape \[4\]; for class probabilities pass a float target of the logits' shape \[4,5\]/,
    );
    expect(() => crossEntropy(x, i32(new Array(20).fill(0), SHAPE_A))).toThrow(
      /^crossEntropy: a target of the logits' shape \[4,5\] holds class probabilities and must be float, got int32/,
    );
    expect(() => nllLoss(x, f64(new Array(20).fill(0.2), SHAPE_A, false))).toThrow(ShapeError);
    expect(() => nllLoss(x, f64([1, 4, 0, 0], [4], false))).toThrow(
      /^nllLoss: class-index target must be int32, got float64/,
    );
    expect(() => crossEntropy(i32([1, 2], [1, 2]), i32([0], [1]))).toThrow(
      /^crossEntropy: logits must be float32 or float64/,
    );
  });

  it("wrong target and weight shapes throw ShapeErrors naming both shapes and what was expected", () => {
    expect(() => crossEntropy(x, i32([1, 2, 3], [3]))).toThrow(ShapeError);
    expect(() => crossEntropy(x, i32([1, 2, 3], [3]))).toThrow(
      /^crossEntropy: target shape \[3\] does not fit logits of shape \[4,5\]: expected int32 class indices of shape \[4\] or float class probabilities/,
    );
    expect(() => crossEntropy(f64(LOGITS_B, SHAPE_B), i32([0, 1, 2, 0], [2, 2]))).toThrow(
      /expected int32 class indices of shape \[2,2,2\]/,
    );
    expect(() => crossEntropy(f64([1, 2], [2]), i32([0], [1]))).toThrow(/class indices of shape \[\]/);
    expect(() => crossEntropy(x, y, { weight: f64([1, 2, 3], [3], false) })).toThrow(
      /^crossEntropy: weight must have shape \[5\] \(one per class\), got \[3\]/,
    );
    expect(() => crossEntropy(f64([1], []), i32([0], []))).toThrow(ShapeError);
  });

  it("labelSmoothing outside [0, 1], NaN, a bad ignoreIndex or reduction throw ArgumentErrors naming the option", () => {
    for (const labelSmoothing of [-0.1, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => crossEntropy(x, y, { labelSmoothing })).toThrow(ArgumentError);
      expect(() => crossEntropy(x, y, { labelSmoothing })).toThrow(
        /^crossEntropy: labelSmoothing must be a finite number in \[0, 1\]/,
      );
    }
    expect(() => crossEntropy(x, y, { ignoreIndex: 1.5 })).toThrow(/^crossEntropy: ignoreIndex must be an integer/);
    expect(() => crossEntropy(x, y, { reduction: "batchmean" as Red })).toThrow(/^crossEntropy: reduction/);
    expect(() => nllLoss(x, y, { labelSmoothing: 0.1 } as never)).toThrow(/^nllLoss: unknown option "labelSmoothing"/);
    expect(() => crossEntropy(x, y, { ignore_index: 0 } as never)).toThrow(/unknown option "ignore_index"/);
  });

  it("ignoreIndex >= 0 with probability targets is an error (as in torch)", () => {
    expect(() => crossEntropy(x, f64(probsFor(SHAPE_A, 34), SHAPE_A, false), { ignoreIndex: 0 })).toThrow(
      /^crossEntropy: ignoreIndex \(0\) is not supported with class-probability targets/,
    );
  });
});

describe("classification Module forms", () => {
  it("forward equals the function with the constructor's options", () => {
    const x = f64(LOGITS_A, SHAPE_A, false);
    const y = i32([1, 4, 2, 4], [4]);
    const opts = { weight: f64(WEIGHT_A, [5], false), ignoreIndex: 4, labelSmoothing: 0.1, reduction: "sum" as const };
    const m: Tensor = new CrossEntropyLoss(opts).forward(x, y);
    expect(m.item()).toBe(crossEntropy(x, y, opts).item());
    expect(m.item()).not.toBe(new CrossEntropyLoss().forward(x, y.data).item());
    const nllOpts = { weight: f64(WEIGHT_A, [5], false), ignoreIndex: 4 };
    expect(new NLLLoss(nllOpts).forward(x, y).item()).toBe(nllLoss(x, y, nllOpts).item());
    expect(new CrossEntropyLoss({ labelSmoothing: 0.1 }).labelSmoothing).toBe(0.1);
    expect(() => new CrossEntropyLoss({ labelSmoothing: 2 })).toThrow(/^CrossEntropyLoss: labelSmoothing/);
    expect(() => new NLLLoss({ reduction: "avg" as Red })).toThrow(/^NLLLoss: reduction/);
  });
});
