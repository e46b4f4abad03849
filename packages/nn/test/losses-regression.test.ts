import { gradcheck, gradgradcheck, type Tensor, tensor } from "@typegrad/autograd";
import * as nd from "@typegrad/tensor";
import { ArgumentError, DTypeError, ShapeError } from "@typegrad/tensor";
import { describe, expect, it } from "vitest";
import {
  HuberLoss,
  huberLoss,
  L1Loss,
  l1Loss,
  MSELoss,
  mseLoss,
  SmoothL1Loss,
  smoothL1Loss,
} from "../src/losses/index.js";
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
} from "./losses-helpers.js";

// x − y spans both sides of every delta/beta tested (0.5, 1, 2.5) and stays ≥ 0.05 away from each kink.
const SHAPE = [2, 3];
const X = [0.4, -1.3, 0.9, 1.7, -0.2, -1.1];
const DIFF = [0.3, -0.7, 1.6, -2.2, 0.05, 3.2];
const Y = X.map((v, i) => v - (DIFF[i] as number));
const N = X.length;

/** Per-element loss and its derivative in d = x − y, straight from the formulas. */
interface RefLoss {
  name: string;
  call: (x: Tensor, y: Tensor | nd.NDArray, reduction?: Red) => Tensor;
  value: (d: number) => number;
  slope: (d: number) => number;
}

const huberRef = (delta: number): Pick<RefLoss, "value" | "slope"> => ({
  value: (d) => (Math.abs(d) < delta ? 0.5 * d * d : delta * (Math.abs(d) - 0.5 * delta)),
  slope: (d) => (Math.abs(d) < delta ? d : delta * Math.sign(d)),
});
const smoothRef = (beta: number): Pick<RefLoss, "value" | "slope"> =>
  beta === 0
    ? { value: Math.abs, slope: Math.sign }
    : {
        value: (d) => (Math.abs(d) < beta ? (0.5 * d * d) / beta : Math.abs(d) - 0.5 * beta),
        slope: (d) => (Math.abs(d) < beta ? d / beta : Math.sign(d)),
      };

const CASES: RefLoss[] = [
  { name: "mseLoss", call: (x, y, r) => mseLoss(x, y, { reduction: r }), value: (d) => d * d, slope: (d) => 2 * d },
  { name: "l1Loss", call: (x, y, r) => l1Loss(x, y, { reduction: r }), value: Math.abs, slope: Math.sign },
  { name: "huberLoss (default delta 1)", call: (x, y, r) => huberLoss(x, y, { reduction: r }), ...huberRef(1) },
  ...[0.5, 2.5].map((delta) => ({
    name: `huberLoss delta ${delta}`,
    call: (x: Tensor, y: Tensor | nd.NDArray, r?: Red) => huberLoss(x, y, { delta, reduction: r }),
    ...huberRef(delta),
  })),
  { name: "smoothL1Loss (default beta 1)", call: (x, y, r) => smoothL1Loss(x, y, { reduction: r }), ...smoothRef(1) },
  ...[0, 0.5, 2.5].map((beta) => ({
    name: `smoothL1Loss beta ${beta}`,
    call: (x: Tensor, y: Tensor | nd.NDArray, r?: Red) => smoothL1Loss(x, y, { beta, reduction: r }),
    ...smoothRef(beta),
  })),
];

describe("regression losses match the formulas", () => {
  for (const c of CASES) {
    for (const r of REDUCTIONS) {
      it(`${c.name}, reduction ${r}: value, gradients wrt input and target, gradcheck`, () => {
        const x = f64(X, SHAPE);
        const y = f64(Y, SHAPE);
        const loss = c.call(x, y, r);
        expectValues(loss, reduceRef(DIFF.map(c.value), r), reducedShape(r, SHAPE));
        expect(loss.dtype).toBe("float64");
        const scale = r === "mean" ? 1 / N : 1;
        const slope = DIFF.map((d) => c.slope(d) * scale);
        expectNumbers(gradOf(c.call(x, y, r), x), slope);
        expectNumbers(
          gradOf(c.call(x, y, r), y),
          slope.map((s) => -s),
        );
        expect(gradcheck((a, b) => c.call(a, b, r), [x, y])).toBe(true);
      });
    }
    it(`${c.name}: float32 in, float32 out; an NDArray target gives the same value`, () => {
      const loss = c.call(f32(X, SHAPE, true), f32(Y, SHAPE));
      expect(loss.dtype).toBe("float32");
      expectValues(loss, reduceRef(DIFF.map(c.value), "mean"), [], 1e-6);
      const fromArray = c.call(f64(X, SHAPE), nd.array(Float64Array.from(Y), { shape: SHAPE }));
      expectValues(fromArray, reduceRef(DIFF.map(c.value), "mean"), []);
    });
  }

  it("the default reduction is the mean", () => {
    expectValues(
      mseLoss(f64(X, SHAPE), f64(Y, SHAPE)),
      reduceRef(
        DIFF.map((d) => d * d),
        "mean",
      ),
      [],
    );
  });

  it("second derivatives (double backward) of mse, huber and smooth L1", () => {
    const x = f64(X, SHAPE);
    const y = f64(Y, SHAPE);
    expect(gradgradcheck((a, b) => mseLoss(a, b), [x, y])).toBe(true);
    expect(gradgradcheck((a, b) => huberLoss(a, b, { delta: 0.5, reduction: "sum" }), [x, y])).toBe(true);
    expect(gradgradcheck((a, b) => smoothL1Loss(a, b, { beta: 2.5 }), [x, y])).toBe(true);
  });

  it("l1 has gradient 0 where input equals target (torch's sign(0) = 0)", () => {
    const x = f64([1, 2], [2]);
    expect(gradOf(l1Loss(x, f64([1, 0], [2], false), { reduction: "sum" }), x)).toEqual([0, 1]);
  });

  it("huber is the quadratic inside delta and linear outside: the worked MSE-vs-Huber outlier example", () => {
    // Predictions 0 against targets [0.5, 3]: the outlier costs 9/2 under MSE but 2.5 under Huber.
    const p = f64([0, 0], [2]);
    const t = f64([0.5, 3], [2], false);
    expectValues(mseLoss(p, t), (0.25 + 9) / 2, []);
    expectValues(huberLoss(p, t), (0.125 + 2.5) / 2, []);
    expectValues(l1Loss(p, t), 1.75, []);
  });
});

describe("regression losses reject bad input", () => {
  const x = f64(X, SHAPE);
  it("shape mismatches throw a ShapeError naming the op and both shapes (no broadcasting)", () => {
    for (const [name, f] of [
      ["mseLoss", mseLoss],
      ["l1Loss", l1Loss],
      ["huberLoss", huberLoss],
      ["smoothL1Loss", smoothL1Loss],
    ] as const) {
      expect(() => f(x, f64([1, 2, 3], [3]))).toThrow(ShapeError);
      expect(() => f(x, f64([1, 2, 3], [1, 3]))).toThrow(
        new RegExp(`^${name}: input shape \\[2,3\\] and target shape \\[1,3\\] must be equal`),
      );
    }
  });

  it("invalid delta and beta throw an ArgumentError naming the option", () => {
    for (const delta of [0, -1, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => huberLoss(x, x, { delta })).toThrow(ArgumentError);
      expect(() => huberLoss(x, x, { delta })).toThrow(/^huberLoss: delta must be a finite number > 0/);
    }
    for (const beta of [-0.1, Number.NaN, Number.NEGATIVE_INFINITY]) {
      expect(() => smoothL1Loss(x, x, { beta })).toThrow(/^smoothL1Loss: beta must be a finite number >= 0/);
    }
  });

  it("reduction strings and option names are validated", () => {
    expect(() => mseLoss(x, x, { reduction: "avg" as Red })).toThrow(ArgumentError);
    expect(() => mseLoss(x, x, { reduction: "avg" as Red })).toThrow(
      /reduction must be "mean", "sum", "none", got "avg"/,
    );
    expect(() => l1Loss(x, x, { reduction: "batchmean" as Red })).toThrow(/^l1Loss: reduction/);
    expect(() => mseLoss(x, x, { reduce: "sum" } as never)).toThrow(/^mseLoss: unknown option "reduce"/);
  });

  it("integer inputs and non-tensor targets are rejected", () => {
    expect(() => mseLoss(tensor([1, 2], { dtype: "int32" }), x)).toThrow(DTypeError);
    expect(() => mseLoss(x, [1, 2, 3] as never)).toThrow(/^mseLoss: target must be a Tensor or NDArray/);
  });
});

describe("regression Module forms", () => {
  const x = f64(X, SHAPE);
  const y = f64(Y, SHAPE, false);
  it("forward(input, target) equals the function with the constructor's options", () => {
    const pairs: [Tensor, Tensor][] = [
      [new MSELoss().forward(x, y), mseLoss(x, y)],
      [new MSELoss({ reduction: "sum" }).forward(x, y), mseLoss(x, y, { reduction: "sum" })],
      [new L1Loss({ reduction: "none" }).forward(x, y), l1Loss(x, y, { reduction: "none" })],
      [new HuberLoss({ delta: 0.5 }).forward(x, y), huberLoss(x, y, { delta: 0.5 })],
      [
        new SmoothL1Loss({ beta: 2.5, reduction: "sum" }).forward(x, y.data),
        smoothL1Loss(x, y, { beta: 2.5, reduction: "sum" }),
      ],
    ];
    for (const [a, b] of pairs) expect(a.toArray()).toEqual(b.toArray());
    // The options matter: a different delta gives a different value.
    expect(new HuberLoss({ delta: 0.5 }).forward(x, y).item()).not.toBe(new HuberLoss().forward(x, y).item());
  });

  it("constructors validate their options and hold no parameters", () => {
    expect(() => new HuberLoss({ delta: -1 })).toThrow(/^HuberLoss: delta/);
    expect(() => new SmoothL1Loss({ beta: Number.NaN })).toThrow(/^SmoothL1Loss: beta/);
    expect(() => new MSELoss({ reduction: "max" as Red })).toThrow(/^MSELoss: reduction/);
    expect(new HuberLoss({ delta: 2 }).delta).toBe(2);
    expect(new MSELoss().parameters()).toHaveLength(0);
  });
});
