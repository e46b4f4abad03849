/** Broadcasting: trailing alignment, size-1 stretch, rank extension, and the errors when it fails. */
import { describe, expect, it } from "vitest";
import {
  add,
  arange,
  array,
  broadcastShapes,
  gt,
  maximum,
  mul,
  ShapeError,
  sub,
  sumToShape,
  where,
  zeros,
} from "../src/index.js";
import { expectClose, gen, refBinary, refOf, refSumToShape, refWhere } from "./helpers.js";

describe("broadcastShapes", () => {
  it.each([
    [[2, 3], [3], [2, 3]],
    [
      [2, 3],
      [1, 3],
      [2, 3],
    ],
    [
      [2, 1],
      [1, 3],
      [2, 3],
    ],
    [
      [4, 1, 3],
      [5, 1],
      [4, 5, 3],
    ],
    [[], [2, 3], [2, 3]],
    [[1], [], [1]],
    [[2, 0], [1], [2, 0]],
    [
      [1, 0],
      [3, 1],
      [3, 0],
    ],
    [
      [8, 1, 6, 1],
      [7, 1, 5],
      [8, 7, 6, 5],
    ],
  ])("%j with %j -> %j", (a, b, out) => {
    expect(broadcastShapes("op", a, b)).toEqual(out);
    expect(broadcastShapes("op", b, a)).toEqual(out);
  });

  it("fails on mismatched non-1 trailing dims, naming the op, shapes and dim", () => {
    expect(() => broadcastShapes("add", [2, 3], [4])).toThrow(ShapeError);
    expect(() => broadcastShapes("add", [2, 3], [4])).toThrow(
      "add: shapes [2,3] and [4] cannot be broadcast (dim -1: 3 vs 4)",
    );
    expect(() => broadcastShapes("mul", [5, 2, 3], [4, 3])).toThrow(
      "mul: shapes [5,2,3] and [4,3] cannot be broadcast (dim -2: 2 vs 4)",
    );
  });
});

describe("elementwise broadcasting", () => {
  it("adds a row to every row (trailing alignment)", () => {
    const a = arange(6).reshape(2, 3);
    expect(add(a, array([10, 20, 30])).toArray()).toEqual([
      [10, 21, 32],
      [13, 24, 35],
    ]);
  });

  it("stretches a column against a row (size-1 on both sides)", () => {
    const col = array([[1], [2], [3]]);
    const row = array([[10, 20]]);
    const out = add(col, row);
    expect(out.shape).toEqual([3, 2]);
    expect(out.toArray()).toEqual([
      [11, 21],
      [12, 22],
      [13, 23],
    ]);
    expect(sub(row, col).toArray()).toEqual([
      [9, 19],
      [8, 18],
      [7, 17],
    ]);
  });

  it("extends rank by prepending dims", () => {
    const a = gen([4, 1, 3], "float64", 1);
    const b = gen([5, 1], "float64", 2);
    const out = mul(a, b);
    expect(out.shape).toEqual([4, 5, 3]);
    expectClose(
      out,
      refBinary(refOf(a), refOf(b), (x, y) => x * y),
      { atol: 1e-12 },
    );
  });

  it("0-d arrays and numbers broadcast everywhere", () => {
    const a = arange(4).reshape(2, 2);
    expect(add(a, array(1)).toArray()).toEqual([
      [1, 2],
      [3, 4],
    ]);
    expect(mul(array(2), a).shape).toEqual([2, 2]);
    expect(add(a, 0.5).toArray()).toEqual([
      [0.5, 1.5],
      [2.5, 3.5],
    ]);
    expect(add(array(1), array(2)).shape).toEqual([]);
  });

  it("handles zero-size broadcast results", () => {
    const out = add(zeros([2, 0]), zeros([1]));
    expect(out.shape).toEqual([2, 0]);
    expect(out.size).toBe(0);
    expect(add(zeros([0, 3]), zeros([3])).shape).toEqual([0, 3]);
  });

  it("where broadcasts cond, a and b together", () => {
    const cond = gt(array([[1], [-1]]), 0); // [2, 1]
    const a = array([1, 2, 3]); // [3]
    const b = array(0); // []
    const out = where(cond, a, b);
    expect(out.shape).toEqual([2, 3]);
    expect(out.toArray()).toEqual([
      [1, 2, 3],
      [0, 0, 0],
    ]);
    const c3 = gen([2, 1, 4], "bool", 3);
    const x = gen([3, 1], "float64", 4);
    const y = gen([4], "float64", 5);
    expectClose(where(c3, x, y), refWhere(refOf(c3), refOf(x), refOf(y)));
  });

  it("binary ops and where reject incompatible shapes with the op name", () => {
    const a = zeros([2, 3]);
    const b = zeros([3, 2]);
    expect(() => add(a, b)).toThrow(ShapeError);
    expect(() => add(a, b)).toThrow("add: shapes [2,3] and [3,2] cannot be broadcast (dim -2: 2 vs 3)");
    expect(() => maximum(zeros([4]), zeros([5]))).toThrow(/^maximum: shapes \[4\] and \[5\]/);
    expect(() => where(gt(zeros([2]), 0), zeros([3]), 0)).toThrow(/^where: shapes/);
    expect(() => mul(zeros([2, 3]), zeros([2]))).toThrow(/dim -1: 3 vs 2/);
  });
});

describe("sumToShape undoes broadcasting", () => {
  it.each([
    [
      [4, 3],
      [1, 3],
    ],
    [[4, 3], [3]],
    [
      [4, 3],
      [4, 1],
    ],
    [[4, 3], []],
    [
      [2, 4, 3],
      [4, 3],
    ],
    [
      [2, 4, 3],
      [2, 1, 3],
    ],
    [
      [2, 4, 3],
      [1, 1, 1],
    ],
    [
      [2, 4, 3],
      [2, 4, 3],
    ],
  ])("%j -> %j", (from, to) => {
    const x = gen(from, "float64", 11);
    const s = sumToShape(x, to);
    expect(s.shape).toEqual(to);
    expectClose(s, refSumToShape(refOf(x), to), { atol: 1e-12 });
  });

  it("the gradient of a broadcast add sums back to each input shape", () => {
    const g = arange(6).reshape(2, 3);
    expect(sumToShape(g, [3]).toArray()).toEqual([3, 5, 7]);
    expect(sumToShape(g, [2, 1]).toArray()).toEqual([[3], [12]]);
    expect(sumToShape(g, []).item()).toBe(15);
  });

  it("rejects shapes that could not have broadcast", () => {
    expect(() => sumToShape(zeros([4, 3]), [2, 3])).toThrow(ShapeError);
    expect(() => sumToShape(zeros([4, 3]), [2, 3])).toThrow(
      /^sumToShape: shape \[4,3\] does not broadcast from \[2,3\]/,
    );
    expect(() => sumToShape(zeros([3]), [2, 3])).toThrow(/larger rank/);
  });
});
