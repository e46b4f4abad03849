import { gradcheck, gradgradcheck, type Tensor } from "@typegrad/autograd";
import { ArgumentError, ShapeError } from "@typegrad/tensor";
import { describe, expect, it } from "vitest";
import { crossEntropy, KLDivLoss, type KLDivReduction, klDiv } from "../src/losses/index.js";
import { expectNumbers, expectValues, f32, f64, gradOf, i32, uniform } from "./losses-helpers.js";

const SHAPE = [3, 4];

/** Row-wise log-softmax of random scores, in plain float64. */
function logProbRows(values: readonly number[]): number[] {
  const out: number[] = [];
  for (let i = 0; i < 3; i++) {
    const row = values.slice(i * 4, i * 4 + 4);
    const m = Math.max(...row);
    const lse = m + Math.log(row.reduce((s, v) => s + Math.exp(v - m), 0));
    out.push(...row.map((v) => v - lse));
  }
  return out;
}

/** Rows normalised to sum to 1. */
function normalise(values: readonly number[]): number[] {
  const out: number[] = [];
  for (let i = 0; i < 3; i++) {
    const row = values.slice(i * 4, i * 4 + 4);
    const z = row.reduce((a, b) => a + b, 0);
    out.push(...row.map((v) => v / z));
  }
  return out;
}

const INPUT = logProbRows(uniform(12, -2, 2, 41));
const POSITIVE = normalise(uniform(12, 0.05, 1, 42));
// One exact zero: xlogy makes its term 0.
const WITH_ZERO = normalise(uniform(12, 0.05, 1, 43).map((v, i) => (i === 5 ? 0 : v)));
const KL_REDUCTIONS: KLDivReduction[] = ["mean", "batchmean", "sum", "none"];

function reduceKL(per: readonly number[], r: KLDivReduction): number | number[] {
  const total = per.reduce((a, b) => a + b, 0);
  return r === "none" ? [...per] : r === "sum" ? total : r === "mean" ? total / per.length : total / 3;
}
const scaleOf = (r: KLDivReduction) => (r === "mean" ? 1 / 12 : r === "batchmean" ? 1 / 3 : 1);

describe("klDiv matches t·(log t − input) with torch's reductions", () => {
  for (const r of KL_REDUCTIONS) {
    it(`probability target (with a zero entry), reduction ${r}`, () => {
      const per = WITH_ZERO.map((t, i) => (t > 0 ? t * (Math.log(t) - (INPUT[i] as number)) : 0));
      const x = f64(INPUT, SHAPE);
      const t = f64(WITH_ZERO, SHAPE, false);
      expectValues(klDiv(x, t, { reduction: r }), reduceKL(per, r), r === "none" ? SHAPE : []);
      expectNumbers(
        gradOf(klDiv(x, t, { reduction: r }), x),
        WITH_ZERO.map((v) => -v * scaleOf(r)),
      );
      expect(gradcheck((a) => klDiv(a, t, { reduction: r }), [x])).toBe(true);
      // The target's gradient, log t + 1 − input, where every t > 0.
      const tp = f64(POSITIVE, SHAPE);
      expectNumbers(
        gradOf(klDiv(x, tp, { reduction: r }), tp),
        POSITIVE.map((v, i) => (Math.log(v) + 1 - (INPUT[i] as number)) * scaleOf(r)),
      );
      expect(gradcheck((a, b) => klDiv(a, b, { reduction: r }), [x, tp])).toBe(true);
    });

    it(`logTarget: e^s·(s − input), reduction ${r}`, () => {
      const s = POSITIVE.map(Math.log);
      const per = s.map((v, i) => Math.exp(v) * (v - (INPUT[i] as number)));
      const x = f64(INPUT, SHAPE);
      const t = f64(s, SHAPE);
      const call = (a: Tensor, b: Tensor) => klDiv(a, b, { reduction: r, logTarget: true });
      expectValues(call(x, t), reduceKL(per, r), r === "none" ? SHAPE : []);
      expectNumbers(
        gradOf(call(x, t), x),
        s.map((v) => -Math.exp(v) * scaleOf(r)),
      );
      expectNumbers(
        gradOf(call(x, t), t),
        s.map((v, i) => Math.exp(v) * (v - (INPUT[i] as number) + 1) * scaleOf(r)),
      );
      expect(gradcheck(call, [x, t])).toBe(true);
      // The same divergence either way.
      expectValues(
        klDiv(x, f64(POSITIVE, SHAPE, false), { reduction: r }),
        reduceKL(per, r),
        r === "none" ? SHAPE : [],
      );
    });
  }

  it("the default reduction is torch's elementwise mean; batchmean is the KL per sample", () => {
    const x = f64(INPUT, SHAPE, false);
    const t = f64(POSITIVE, SHAPE, false);
    const per = POSITIVE.map((v, i) => v * (Math.log(v) - (INPUT[i] as number)));
    const total = per.reduce((a, b) => a + b, 0);
    expectValues(klDiv(x, t), total / 12, []);
    expectValues(klDiv(x, t, { reduction: "batchmean" }), total / 3, []);
  });

  it("the docs example: KL([0.25, 0.75] ‖ [0.5, 0.5]) = 0.25 ln 0.5 + 0.75 ln 1.5", () => {
    const x = f64([Math.log(0.5), Math.log(0.5)], [1, 2], false);
    expectValues(
      klDiv(x, f64([0.25, 0.75], [1, 2], false), { reduction: "batchmean" }),
      0.25 * Math.log(0.5) + 0.75 * Math.log(1.5),
      [],
    );
  });

  it("a target of shape [C] broadcasts over the batch", () => {
    const prior = POSITIVE.slice(0, 4);
    const per = INPUT.map((v, i) => (prior[i % 4] as number) * (Math.log(prior[i % 4] as number) - v));
    expectValues(klDiv(f64(INPUT, SHAPE), f64(prior, [4], false), { reduction: "none" }), per, SHAPE);
  });

  it("against a one-hot target it equals cross-entropy", () => {
    const logits = uniform(12, -2, 2, 41);
    const onehot = [0, 1, 0, 0, 0, 0, 0, 1, 1, 0, 0, 0];
    const kl = klDiv(f64(logits, SHAPE, false).logSoftmax(1), f64(onehot, SHAPE, false), { reduction: "batchmean" });
    const ce = crossEntropy(f64(logits, SHAPE, false), i32([1, 3, 0], [3]));
    expectValues(kl, ce.item(), [], 1e-14);
  });

  it("float32 inputs give float32 outputs", () => {
    const loss = klDiv(f32(INPUT, SHAPE, true), f32(WITH_ZERO, SHAPE), { reduction: "batchmean" });
    expect(loss.dtype).toBe("float32");
    const per = WITH_ZERO.map((t, i) => (t > 0 ? t * (Math.log(t) - (INPUT[i] as number)) : 0));
    expectValues(loss, reduceKL(per, "batchmean"), [], 1e-6);
  });

  it("double backward works (gradgradcheck), with and without logTarget", () => {
    expect(
      gradgradcheck((a, b) => klDiv(a, b, { reduction: "batchmean" }), [f64(INPUT, SHAPE), f64(POSITIVE, SHAPE)]),
    ).toBe(true);
    expect(
      gradgradcheck(
        (a, b) => klDiv(a, b, { logTarget: true }),
        [f64(INPUT, SHAPE), f64(POSITIVE.map(Math.log), SHAPE)],
      ),
    ).toBe(true);
  });
});

describe("klDiv rejects bad input", () => {
  const x = f64(INPUT, SHAPE);
  it("negative or NaN probability targets throw, hinting at logTarget", () => {
    const bad = [...POSITIVE];
    bad[3] = -0.2;
    expect(() => klDiv(x, f64(bad, SHAPE, false))).toThrow(ArgumentError);
    expect(() => klDiv(x, f64(bad, SHAPE, false))).toThrow(
      /^klDiv: target must hold probabilities \(>= 0\), got -0.2 at flat index 3; pass \{ logTarget: true \}/,
    );
    bad[3] = Number.NaN;
    expect(() => klDiv(x, f64(bad, SHAPE, false))).toThrow(/got NaN at flat index 3/);
    // Log-probabilities are negative, which is fine with logTarget.
    expect(Number.isFinite(klDiv(x, f64(INPUT, SHAPE, false), { logTarget: true }).item())).toBe(true);
  });

  it("targets that do not broadcast to the input's shape throw a ShapeError", () => {
    expect(() => klDiv(x, f64([0.2, 0.3, 0.5], [3], false))).toThrow(ShapeError);
    expect(() => klDiv(x, f64(new Array(24).fill(0.25), [2, 3, 4], false))).toThrow(
      /^klDiv: target shape \[2,3,4\] must equal \(or broadcast to\) the input's shape \[3,4\]/,
    );
  });

  it("options are validated", () => {
    expect(() => klDiv(x, x, { reduction: "avg" as KLDivReduction })).toThrow(
      /^klDiv: reduction must be "mean", "batchmean", "sum", "none", got "avg"/,
    );
    expect(() => klDiv(x, x, { logTarget: 1 as never })).toThrow(/^klDiv: logTarget must be a boolean/);
    expect(() => klDiv(x, x, { log_target: true } as never)).toThrow(/unknown option "log_target"/);
  });
});

describe("KLDivLoss", () => {
  it("forward equals klDiv with the constructor's options", () => {
    const x = f64(INPUT, SHAPE, false);
    const s = f64(POSITIVE.map(Math.log), SHAPE, false);
    const m = new KLDivLoss({ reduction: "batchmean", logTarget: true });
    expect(m.forward(x, s).item()).toBe(klDiv(x, s, { reduction: "batchmean", logTarget: true }).item());
    expect(m.forward(x, s.data).item()).not.toBe(new KLDivLoss({ logTarget: true }).forward(x, s).item());
    expect(() => new KLDivLoss({ reduction: "avg" as KLDivReduction })).toThrow(/^KLDivLoss: reduction/);
  });
});
