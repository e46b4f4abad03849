/** Bad input throws TypeError/RangeError subclasses whose messages name the op, shapes and expectation. */
import { describe, expect, it } from "vitest";
import {
  ArgumentError,
  add,
  argmax,
  array,
  cat,
  clamp,
  DTypeError,
  fmtShape,
  gather,
  IndexError,
  logSoftmax,
  matmul,
  max,
  mean,
  normalizeDim,
  ShapeError,
  softmax,
  stack,
  sum,
  variance,
  zeros,
} from "../src/index.js";

/** Runs `fn`, asserting it throws; returns the error. */
function caught(fn: () => unknown): Error {
  try {
    fn();
  } catch (e) {
    return e as Error;
  }
  throw new Error("expected a throw");
}

describe("error classes", () => {
  it("ShapeError and IndexError are RangeErrors; DTypeError and ArgumentError are TypeErrors", () => {
    const shape = caught(() => matmul(zeros([2, 3]), zeros([4, 5])));
    expect(shape).toBeInstanceOf(ShapeError);
    expect(shape).toBeInstanceOf(RangeError);
    expect(shape.name).toBe("ShapeError");
    const index = caught(() => sum(zeros([2]), 1));
    expect(index).toBeInstanceOf(IndexError);
    expect(index).toBeInstanceOf(RangeError);
    expect(index.name).toBe("IndexError");
    const dtype = caught(() => gather(zeros([2]), 0, zeros([1])));
    expect(dtype).toBeInstanceOf(DTypeError);
    expect(dtype).toBeInstanceOf(TypeError);
    expect(dtype.name).toBe("DTypeError");
    const arg = caught(() => zeros([-2]));
    expect(arg).toBeInstanceOf(ArgumentError);
    expect(arg).toBeInstanceOf(TypeError);
    expect(arg.name).toBe("ArgumentError");
  });

  it("fmtShape prints shapes without spaces", () => {
    expect(fmtShape([2, 3])).toBe("[2,3]");
    expect(fmtShape([])).toBe("[]");
  });
});

describe("messages name the op, the shapes and what was expected", () => {
  it.each([
    ["matmul", () => matmul(zeros([2, 3]), zeros([4, 5])), "matmul: shapes [2,3] and [4,5] are not aligned (3 != 4)"],
    ["add", () => add(zeros([2, 3]), zeros([2])), "add: shapes [2,3] and [2] cannot be broadcast (dim -1: 3 vs 2)"],
    ["sum dim", () => sum(zeros([2, 3]), 2), "sum: dim 2 is out of range for a tensor with 2 dims (expected -2..1)"],
    [
      "mean dim",
      () => mean(zeros([2, 3]), -3),
      "mean: dim -3 is out of range for a tensor with 2 dims (expected -2..1)",
    ],
    [
      "var dim",
      () => variance(zeros([2, 3]), 5),
      "var: dim 5 is out of range for a tensor with 2 dims (expected -2..1)",
    ],
    [
      "argmax dim",
      () => argmax(zeros([2]), 1),
      "argmax: dim 1 is out of range for a tensor with 1 dims (expected -1..0)",
    ],
    [
      "softmax dim",
      () => softmax(zeros([2]), 1),
      "softmax: dim 1 is out of range for a tensor with 1 dims (expected -1..0)",
    ],
    ["logSoftmax dim", () => logSoftmax(zeros([2, 2]), -3), /^logSoftmax: dim -3 is out of range/],
    ["transpose dim", () => zeros([2, 3]).transpose(0, 2), /^transpose: dim 2 is out of range/],
    ["cat shapes", () => cat([zeros([1, 2]), zeros([1, 3])]), "cat: shapes [1,2], [1,3] differ outside dim 0"],
    [
      "stack shapes",
      () => stack([zeros([2]), zeros([2, 1])]),
      /^stack: all arrays must have the same shape, got \[2\], \[2,1\]/,
    ],
    ["reshape", () => zeros([2, 3]).reshape(5), "reshape: cannot reshape array of shape [2,3] (6 elements) into [5]"],
    ["view", () => zeros([2, 3]).transpose(0, 1).view(6), /^view: shape \[6\] is incompatible/],
    ["item", () => zeros([2]).item(), "item: only one-element arrays convert to a number, got shape [2]"],
    ["max empty", () => max(zeros([0])), "max: cannot reduce an empty dim of shape [0]"],
    ["gather dtype", () => gather(zeros([2]), 0, zeros([1])), "gather: index must be int32, got float32 of shape [1]"],
  ] as const)("%s", (_, fn, message) => {
    expect(fn).toThrow(message);
  });

  it("argument errors", () => {
    expect(() => clamp(zeros([1]))).toThrow(ArgumentError);
    expect(() => clamp(zeros([1]))).toThrow("clamp: at least one of min or max must be given");
    expect(() => add(zeros([1]), "1" as never)).toThrow(ArgumentError);
    expect(() => zeros([2]).reshape(2.5 as never)).toThrow(ArgumentError);
    expect(() => argmax(zeros([2, 2]), [0, 1] as never)).toThrow(/argmax: dim must be a single number/);
    expect(() => sum(zeros([2]), 0.5)).toThrow(/sum: dim must be an integer/);
  });

  it("dtype errors", () => {
    expect(() => zeros([2], { dtype: "float16" as never })).toThrow(DTypeError);
    expect(() => zeros([2], { dtype: "float16" as never })).toThrow(/unknown dtype "float16"/);
    expect(() => array([1]).astype("uint8" as never)).toThrow(DTypeError);
    expect(() => matmul(array([true]), array([true]))).toThrow(/matmul: bool operands are not supported/);
  });
});

describe("normalizeDim", () => {
  it("resolves negative dims and accepts 0/-1 on 0-d arrays", () => {
    expect(normalizeDim("op", -1, 3)).toBe(2);
    expect(normalizeDim("op", -3, 3)).toBe(0);
    expect(normalizeDim("op", 0, 0)).toBe(0);
    expect(normalizeDim("op", -1, 0)).toBe(0);
    expect(() => normalizeDim("op", 1, 0)).toThrow(IndexError);
    expect(() => normalizeDim("op", 3, 3)).toThrow(
      "op: dim 3 is out of range for a tensor with 3 dims (expected -3..2)",
    );
  });
});

describe("bad input never yields a silent NaN or wrong shape", () => {
  it("shape mismatches throw rather than broadcasting wrongly", () => {
    expect(() => add(zeros([3, 1, 2]), zeros([4, 3]))).toThrow(ShapeError);
    expect(() => zeros([2, 3]).expand(4, 3)).toThrow(ShapeError);
  });

  it("out-of-range element access throws", () => {
    expect(() => zeros([2]).get(2)).toThrow(IndexError);
    expect(() => zeros([2]).set(1, -3)).toThrow(IndexError);
    expect(() => zeros([2]).get(0.5)).toThrow(IndexError);
  });
});
