import { gradcheck, gradgradcheck, type Tensor } from "@typegrad/autograd";
import * as nd from "@typegrad/tensor";
import { ArgumentError, ShapeError } from "@typegrad/tensor";
import { describe, expect, it } from "vitest";
import { BCELoss, BCEWithLogitsLoss, binaryCrossEntropy, binaryCrossEntropyWithLogits } from "../src/losses/index.js";
import {
  expectNumbers,
  expectValues,
  f32,
  f64,
  gradOf,
  REDUCTIONS,
  type Red,
  reducedShape,
  reduceRef,
  uniform,
} from "./losses-helpers.js";

const SHAPE = [3, 4];
const N = 12;
const P = uniform(N, 0.05, 0.95, 11);
// Hard and soft labels.
const Y = [1, 0, 0.3, 1, 0, 0.75, 1, 0, 0.5, 0.1, 1, 0];
const Y_SOFT = uniform(N, 0.05, 0.95, 14);
const X = uniform(N, -4, 4, 12);

/** Broadcasts a row-major weight of `wShape` to the fixture's [3, 4] (plain index arithmetic). */
function expandTo(values: readonly number[], wShape: readonly number[]): number[] {
  const out: number[] = [];
  for (let i = 0; i < 3; i++) {
    for (let j = 0; j < 4; j++) {
      const pad = [...new Array(2 - wShape.length).fill(1), ...wShape];
      const r = pad[0] === 1 ? 0 : i;
      const c = pad[1] === 1 ? 0 : j;
      out.push(values[r * (pad[1] as number) + c] as number);
    }
  }
  return out;
}

/** Sums a [3, 4] gradient back to a broadcast operand's shape. */
function sumTo(g: readonly number[], wShape: readonly number[]): number[] {
  const pad = [...new Array(2 - wShape.length).fill(1), ...wShape];
  const out = new Array<number>((pad[0] as number) * (pad[1] as number)).fill(0);
  for (let i = 0; i < 3; i++)
    for (let j = 0; j < 4; j++) {
      const k = (pad[0] === 1 ? 0 : i) * (pad[1] as number) + (pad[1] === 1 ? 0 : j);
      out[k] = (out[k] as number) + (g[i * 4 + j] as number);
    }
  return out;
}

const WEIGHTS: { name: string; shape: number[]; values: number[] }[] = [
  { name: "no weight", shape: [], values: [] },
  { name: "weight [4]", shape: [4], values: [0.5, 2, 1.25, 0.8] },
  { name: "weight [3,1]", shape: [3, 1], values: [1.5, 0.2, 3] },
  { name: "weight [3,4]", shape: [3, 4], values: uniform(12, 0.1, 2, 13) },
];

describe("binaryCrossEntropy matches −w[y log p + (1 − y) log(1 − p)]", () => {
  it("SEEDS.md's worked example: y = [1, 0], ŷ = [0.9, 0.1] gives −ln 0.9, and its gradient", () => {
    const p = f64([0.9, 0.1], [2]);
    const y = f64([1, 0], [2], false);
    const loss = binaryCrossEntropy(p, y);
    expectValues(loss, -Math.log(0.9), []);
    expect(loss.item()).toBeCloseTo(0.105360516, 9);
    // ∂/∂ŷ of the mean: (ŷ − y) / (ŷ(1 − ŷ)) / 2 = [−0.1, 0.1] / 0.09 / 2 = ∓1/1.8
    expectNumbers(gradOf(loss, p), [-1 / 1.8, 1 / 1.8]);
    expectValues(binaryCrossEntropy(p, y, { reduction: "sum" }), -2 * Math.log(0.9), []);
    expectNumbers(gradOf(binaryCrossEntropy(p, y, { reduction: "sum" }), p), [-1 / 0.9, 1 / 0.9]);
    expect(gradcheck((a) => binaryCrossEntropy(a, y), [p])).toBe(true);
    const p32 = binaryCrossEntropy(f32([0.9, 0.1], [2]), f32([1, 0], [2]));
    expect(p32.dtype).toBe("float32");
    expectValues(p32, 0.105360516, [], 1e-6);
  });

  for (const w of WEIGHTS) {
    for (const r of REDUCTIONS) {
      it(`${w.name}, reduction ${r}: value, gradients wrt probs and target, gradcheck`, () => {
        const wFull = w.values.length ? expandTo(w.values, w.shape) : new Array<number>(N).fill(1);
        const per = P.map((p, i) => {
          const y = Y[i] as number;
          return -(wFull[i] as number) * (y * Math.max(Math.log(p), -100) + (1 - y) * Math.max(Math.log(1 - p), -100));
        });
        const scale = r === "mean" ? 1 / N : 1;
        const gradP = P.map((p, i) => (scale * (wFull[i] as number) * (p - (Y[i] as number))) / (p * (1 - p)));
        const gradY = P.map((p, i) => scale * (wFull[i] as number) * (Math.log(1 - p) - Math.log(p)));
        const p = f64(P, SHAPE);
        const y = f64(Y, SHAPE);
        const weight = w.values.length ? f64(w.values, w.shape, false) : undefined;
        const call = (a: Tensor, b: Tensor) => binaryCrossEntropy(a, b, { weight, reduction: r });
        expectValues(call(p, y), reduceRef(per, r), reducedShape(r, SHAPE));
        expectNumbers(gradOf(call(p, y), p), gradP);
        expectNumbers(gradOf(call(p, y), y), gradY);
        // Finite differences would push hard labels out of [0, 1]: check the target with soft labels.
        expect(gradcheck((a) => call(a, f64(Y, SHAPE, false)), [p])).toBe(true);
        expect(gradcheck(call, [p, f64(Y_SOFT, SHAPE)])).toBe(true);
      });
    }
  }

  it("the weight itself gets gradient −[y log p + (1 − y) log(1 − p)], summed over its broadcast dims", () => {
    const w = f64([1.5, 0.2, 3], [3, 1]);
    const per = P.map((p, i) => -((Y[i] as number) * Math.log(p) + (1 - (Y[i] as number)) * Math.log(1 - p)));
    expectNumbers(
      gradOf(binaryCrossEntropy(f64(P, SHAPE), f64(Y, SHAPE, false), { weight: w, reduction: "sum" }), w),
      sumTo(per, [3, 1]),
    );
    expect(gradcheck((a) => binaryCrossEntropy(f64(P, SHAPE, false), f64(Y, SHAPE, false), { weight: a }), [w])).toBe(
      true,
    );
  });

  it("probabilities 0 and 1 give logs clamped at −100: finite values and torch's bounded gradient", () => {
    const probs = [0, 1, 0, 1, 0.5, 0];
    const targets = [1, 0, 0, 1, 1, 0.5];
    const p = f64(probs, [6]);
    const loss = binaryCrossEntropy(p, f64(targets, [6], false), { reduction: "none" });
    expectValues(loss, [100, 100, 0, 0, Math.LN2, 50], [6]);
    // torch: w(p − y) / max(p(1 − p), 1e-12)
    const grad = [-1e12, 1e12, 0, 0, -2, -5e11];
    expectNumbers(gradOf(loss, p), grad);
    const p32 = f32(probs, [6], true);
    const l32 = binaryCrossEntropy(p32, f32(targets, [6]), { reduction: "sum" });
    expect(l32.dtype).toBe("float32");
    expectValues(l32, 250 + Math.LN2, [], 1e-6);
    const g32 = gradOf(l32, p32);
    expect(g32.every(Number.isFinite)).toBe(true);
    expectNumbers(g32, grad, 1e-6);
  });

  it("double backward works (gradgradcheck, interior probabilities)", () => {
    const weight = f64([0.5, 2, 1.25, 0.8], [4], false);
    expect(gradgradcheck((a, b) => binaryCrossEntropy(a, b, { weight }), [f64(P, SHAPE), f64(Y_SOFT, SHAPE)])).toBe(
      true,
    );
  });
});

/** σ-based reference, written the naive way (fine for |x| ≤ 4). */
function logitsRef(x: number, y: number, w: number, pw: number) {
  const s = 1 / (1 + Math.exp(-x));
  return {
    value: -w * (pw * y * Math.log(s) + (1 - y) * Math.log(1 - s)),
    dx: w * ((1 + (pw - 1) * y) * s - pw * y),
    dy: w * (-x - (pw - 1) * Math.log(s)),
    dpw: -w * y * Math.log(s),
  };
}

const POS_WEIGHTS: { name: string; shape: number[]; values: number[] }[] = [
  { name: "no posWeight", shape: [], values: [] },
  { name: "posWeight [4]", shape: [4], values: [3, 0.5, 1, 2.2] },
  { name: "posWeight [1]", shape: [1], values: [4] },
  { name: "posWeight [3,1]", shape: [3, 1], values: [0.25, 1.5, 6] },
];

describe("binaryCrossEntropyWithLogits matches −w[pw·y log σ(x) + (1 − y) log(1 − σ(x))]", () => {
  for (const w of WEIGHTS.slice(0, 3)) {
    for (const pw of POS_WEIGHTS) {
      for (const r of REDUCTIONS) {
        it(`${w.name}, ${pw.name}, reduction ${r}: value, gradients, gradcheck`, () => {
          const wFull = w.values.length ? expandTo(w.values, w.shape) : new Array<number>(N).fill(1);
          const pwFull = pw.values.length ? expandTo(pw.values, pw.shape) : new Array<number>(N).fill(1);
          const ref = X.map((x, i) => logitsRef(x, Y[i] as number, wFull[i] as number, pwFull[i] as number));
          const scale = r === "mean" ? 1 / N : 1;
          const x = f64(X, SHAPE);
          const y = f64(Y, SHAPE);
          const weight = w.values.length ? f64(w.values, w.shape, false) : undefined;
          const posWeight = pw.values.length ? f64(pw.values, pw.shape) : undefined;
          const call = (a: Tensor, b: Tensor, c?: Tensor) =>
            binaryCrossEntropyWithLogits(a, b, { weight, posWeight: c ?? posWeight, reduction: r });
          expectValues(
            call(x, y),
            reduceRef(
              ref.map((e) => e.value),
              r,
            ),
            reducedShape(r, SHAPE),
          );
          expectNumbers(
            gradOf(call(x, y), x),
            ref.map((e) => e.dx * scale),
          );
          expectNumbers(
            gradOf(call(x, y), y),
            ref.map((e) => e.dy * scale),
          );
          if (posWeight) {
            expectNumbers(
              gradOf(call(x, y), posWeight),
              sumTo(
                ref.map((e) => e.dpw * scale),
                pw.shape,
              ),
            );
            expect(gradcheck(call, [x, y, posWeight])).toBe(true);
          } else {
            expect(gradcheck(call, [x, y])).toBe(true);
          }
        });
      }
    }
  }

  it("logits ±1e4 are exact and finite (float64 and float32), with and without posWeight", () => {
    const xs = [1e4, -1e4, 1e4, -1e4, 0];
    const ys = [0, 1, 1, 0, 1];
    for (const make of [f64, (v: readonly number[], s: readonly number[]) => f32(v, s, true)]) {
      const x = make(xs, [5]);
      const loss = binaryCrossEntropyWithLogits(x, make(ys, [5]).detach(), { reduction: "none" });
      expectValues(loss, [1e4, 1e4, 0, 0, Math.LN2], [5], x.dtype === "float64" ? 1e-15 : 1e-7);
      expectNumbers(gradOf(loss, x), [1, -1, 0, 0, -0.5], 0);
      const withPw = binaryCrossEntropyWithLogits(x, make(ys, [5]).detach(), {
        posWeight: make([3], [1]).detach(),
        reduction: "none",
      });
      expectValues(withPw, [1e4, 3e4, 0, 0, 3 * Math.LN2], [5], x.dtype === "float64" ? 1e-15 : 1e-7);
      expectNumbers(gradOf(withPw, x), [1, -3, 0, 0, -1.5], 0);
    }
  });

  it("the gradient at x = 0 is σ(0) − y (not the 0 that abs/relu subgradients would give)", () => {
    const x = f64([0, 0, 0], [3]);
    expectNumbers(
      gradOf(binaryCrossEntropyWithLogits(x, f64([1, 0, 0.25], [3], false), { reduction: "sum" }), x),
      [-0.5, 0.5, 0.25],
    );
    expect(gradcheck((a) => binaryCrossEntropyWithLogits(a, f64([1, 0, 0.25], [3], false)), [x])).toBe(true);
  });

  it("equals binaryCrossEntropy(sigmoid(x)) for moderate logits", () => {
    const x = f64(X, SHAPE);
    const y = f64(Y, SHAPE, false);
    const viaProbs = binaryCrossEntropy(x.sigmoid(), y, { reduction: "none" });
    expectValues(
      binaryCrossEntropyWithLogits(x, y, { reduction: "none" }),
      Array.from(viaProbs.data.toTypedArray()),
      SHAPE,
      1e-13,
    );
  });

  it("float32 logits give float32 outputs", () => {
    const loss = binaryCrossEntropyWithLogits(f32(X, SHAPE, true), f32(Y, SHAPE), { posWeight: f32([2], [1]) });
    expect(loss.dtype).toBe("float32");
    const ref = X.map((x, i) => logitsRef(x, Y[i] as number, 1, 2).value);
    expectValues(loss, reduceRef(ref, "mean"), [], 1e-6);
  });

  it("double backward works (gradgradcheck) with weight and posWeight", () => {
    const weight = f64([0.5, 2, 1.25, 0.8], [4], false);
    const call = (a: Tensor, b: Tensor, c: Tensor) => binaryCrossEntropyWithLogits(a, b, { weight, posWeight: c });
    expect(gradgradcheck(call, [f64(X, SHAPE), f64(Y, SHAPE), f64([3, 0.5, 1, 2.2], [4])])).toBe(true);
  });
});

describe("binary losses reject bad input", () => {
  const p = f64(P, SHAPE);
  const y = f64(Y, SHAPE, false);
  it("probabilities or targets outside [0, 1] (or NaN) throw, naming the op and the value", () => {
    const bad = [...P];
    bad[5] = 1.2;
    expect(() => binaryCrossEntropy(f64(bad, SHAPE), y)).toThrow(ArgumentError);
    expect(() => binaryCrossEntropy(f64(bad, SHAPE), y)).toThrow(
      /^binaryCrossEntropy: all elements of input should be between 0 and 1, got 1.2 at flat index 5/,
    );
    bad[5] = Number.NaN;
    expect(() => binaryCrossEntropy(f64(bad, SHAPE), y)).toThrow(/input should be between 0 and 1, got NaN/);
    const badY = [...Y];
    badY[0] = -0.5;
    expect(() => binaryCrossEntropy(p, f64(badY, SHAPE))).toThrow(/^binaryCrossEntropy: all elements of target/);
  });

  it("shape mismatches of input, target, weight and posWeight throw ShapeErrors", () => {
    expect(() => binaryCrossEntropy(p, f64([1, 0, 1, 0], [4]))).toThrow(ShapeError);
    expect(() => binaryCrossEntropyWithLogits(p, f64([1, 0, 1], [3, 1]))).toThrow(
      /^binaryCrossEntropyWithLogits: input shape \[3,4\] and target shape \[3,1\]/,
    );
    expect(() => binaryCrossEntropy(p, y, { weight: f64([1, 2, 3], [3]) })).toThrow(
      /^binaryCrossEntropy: weight of shape \[3\] must broadcast to the input's shape \[3,4\]/,
    );
    expect(() => binaryCrossEntropyWithLogits(p, y, { posWeight: f64([1, 2, 3, 4, 5], [5]) })).toThrow(
      /posWeight of shape \[5\] must broadcast/,
    );
    expect(() => binaryCrossEntropyWithLogits(p, y, { posWeight: f64(new Array(24).fill(1), [2, 3, 4]) })).toThrow(
      ShapeError,
    );
  });

  it("options are validated", () => {
    expect(() => binaryCrossEntropy(p, y, { reduction: "mean " as Red })).toThrow(/^binaryCrossEntropy: reduction/);
    expect(() => binaryCrossEntropy(p, y, { posWeight: p } as never)).toThrow(/unknown option "posWeight"/);
    expect(() => binaryCrossEntropyWithLogits(p, y, { pos_weight: p } as never)).toThrow(/unknown option "pos_weight"/);
  });
});

describe("binary Module forms", () => {
  it("forward equals the function with the constructor's options", () => {
    const p = f64(P, SHAPE);
    const x = f64(X, SHAPE);
    const y = f64(Y, SHAPE, false);
    const weight = nd.array(Float64Array.from([0.5, 2, 1.25, 0.8]));
    const posWeight = f64([3, 0.5, 1, 2.2], [4], false);
    expect(new BCELoss({ weight, reduction: "sum" }).forward(p, y).item()).toBe(
      binaryCrossEntropy(p, y, { weight, reduction: "sum" }).item(),
    );
    expect(new BCEWithLogitsLoss({ weight, posWeight }).forward(x, y.data).item()).toBe(
      binaryCrossEntropyWithLogits(x, y, { weight, posWeight }).item(),
    );
    expect(new BCEWithLogitsLoss({ posWeight }).forward(x, y).item()).not.toBe(
      new BCEWithLogitsLoss().forward(x, y).item(),
    );
    expect(() => new BCEWithLogitsLoss({ reduction: "batchmean" as Red })).toThrow(/^BCEWithLogitsLoss: reduction/);
    expect(() => new BCELoss({ delta: 1 } as never)).toThrow(/^BCELoss: unknown option "delta"/);
  });
});
