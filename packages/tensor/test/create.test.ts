/** Creation: array() from nested/typed arrays, dtype inference, and zeros/ones/full/arange/linspace/eye. */
import { describe, expect, it } from "vitest";
import {
  ArgumentError,
  arange,
  array,
  DTypeError,
  eye,
  full,
  linspace,
  NDArray,
  ones,
  onesLike,
  ShapeError,
  zeros,
  zerosLike,
} from "../src/index.js";

describe("array()", () => {
  it("from nested arrays infers shape, defaults to float32", () => {
    const a = array([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    expect(a.shape).toEqual([2, 3]);
    expect(a.dtype).toBe("float32");
    expect(a.data).toBeInstanceOf(Float32Array);
    expect(a.toArray()).toEqual([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    expect(array([[[1], [2]]]).shape).toEqual([1, 2, 1]);
  });

  it("rounds to float32 unless float64 is asked for", () => {
    expect(array([0.1]).get(0)).toBe(Math.fround(0.1));
    expect(array([0.1], { dtype: "float64" }).get(0)).toBe(0.1);
    expect(array([1.9, -1.9], { dtype: "int32" }).toArray()).toEqual([1, -1]);
  });

  it("a number gives a 0-d array", () => {
    const s = array(3.5);
    expect(s.shape).toEqual([]);
    expect(s.item()).toBe(3.5);
    expect(array(true).dtype).toBe("bool");
  });

  it("booleans infer bool; dtype bool accepts 0/1", () => {
    const b = array([true, false, true]);
    expect(b.dtype).toBe("bool");
    expect(b.data).toBeInstanceOf(Uint8Array);
    expect(b.toArray()).toEqual([true, false, true]);
    expect(array([1, 0, 2], { dtype: "bool" }).toArray()).toEqual([true, false, true]);
    expect(array([true, 2]).dtype).toBe("float32");
    expect(array([true, 2]).toArray()).toEqual([1, 2]);
  });

  it("from typed arrays keeps the dtype and copies the buffer", () => {
    const src = new Float64Array([1, 2, 3, 4, 5, 6]);
    const a = array(src, { shape: [2, 3] });
    expect(a.dtype).toBe("float64");
    expect(a.shape).toEqual([2, 3]);
    src[0] = 100;
    expect(a.get(0, 0)).toBe(1);
    expect(array(new Int32Array([7, 8])).dtype).toBe("int32");
    expect(array(new Float32Array([1])).dtype).toBe("float32");
    expect(array(new Int32Array([1, 2])).shape).toEqual([2]);
  });

  it("a Uint8Array is bool and non-zero bytes read as true", () => {
    const a = array(new Uint8Array([0, 1, 2, 255]));
    expect(a.dtype).toBe("bool");
    expect(a.toArray()).toEqual([false, true, true, true]);
  });

  it("a typed array can be converted with dtype", () => {
    const a = array(new Float32Array([1.5, -2.5]), { dtype: "int32" });
    expect(a.dtype).toBe("int32");
    expect(a.toArray()).toEqual([1, -2]);
  });

  it("an NDArray input is copied", () => {
    const x = array([1, 2]);
    const y = array(x as never);
    expect(y.data).not.toBe(x.data);
    expect(y.toArray()).toEqual([1, 2]);
  });

  it("the shape option reshapes nested input and must match the count", () => {
    expect(array([1, 2, 3, 4], { shape: [2, 2] }).toArray()).toEqual([
      [1, 2],
      [3, 4],
    ]);
    expect(() => array([1, 2, 3], { shape: [2, 2] })).toThrow(ShapeError);
    expect(() => array(new Float32Array(3), { shape: [2, 2] })).toThrow("array: shape [2,2] needs 4 elements, got 3");
  });

  it("empty arrays", () => {
    expect(array([]).shape).toEqual([0]);
    expect(array([[], []]).shape).toEqual([2, 0]);
    expect(array([[], []]).toArray()).toEqual([[], []]);
  });

  it("ragged input is an error naming where", () => {
    expect(() => array([[1, 2], [3]])).toThrow(ShapeError);
    expect(() => array([[1, 2], [3]])).toThrow(
      /ragged nested array at \[1\]: expected 2 elements \(shape \[2,2\]\), got 1/,
    );
    expect(() => array([[1, 2], 3] as never)).toThrow(ShapeError);
    expect(() => array([1, [2]] as never)).toThrow(/element at \[1\]/);
    expect(() =>
      array([
        [[1, 2]],
        [
          [3, 4],
          [5, 6],
        ],
      ]),
    ).toThrow(ShapeError);
  });

  it("non-numeric elements and unknown dtypes are errors", () => {
    expect(() => array(["a"] as never)).toThrow(ArgumentError);
    expect(() => array([null] as never)).toThrow(/is null/);
    expect(() => array([1], { dtype: "int64" as never })).toThrow(DTypeError);
  });
});

describe("zeros / ones / full", () => {
  it("build filled arrays of any shape and dtype", () => {
    expect(zeros([2, 3]).toArray()).toEqual([
      [0, 0, 0],
      [0, 0, 0],
    ]);
    expect(ones([2]).toArray()).toEqual([1, 1]);
    expect(ones([2], { dtype: "int32" }).dtype).toBe("int32");
    expect(zeros([]).shape).toEqual([]);
    expect(zeros([]).item()).toBe(0);
    expect(zeros([3, 0]).size).toBe(0);
    expect(full([2, 2], 7).toArray()).toEqual([
      [7, 7],
      [7, 7],
    ]);
    expect(full([2], 2.7, { dtype: "int32" }).toArray()).toEqual([2, 2]);
    expect(full([2], 0.1, { dtype: "float64" }).get(0)).toBe(0.1);
  });

  it("full with a boolean infers bool", () => {
    const f = full([2], true);
    expect(f.dtype).toBe("bool");
    expect(f.toArray()).toEqual([true, true]);
    expect(full([2], false).toArray()).toEqual([false, false]);
  });

  it("zerosLike / onesLike copy shape and dtype", () => {
    const x = zeros([2, 3], { dtype: "float64" });
    expect(onesLike(x).shape).toEqual([2, 3]);
    expect(onesLike(x).dtype).toBe("float64");
    expect(zerosLike(x, { dtype: "int32" }).dtype).toBe("int32");
  });

  it("reject bad shapes", () => {
    expect(() => zeros([-1])).toThrow(ArgumentError);
    expect(() => zeros([1.5])).toThrow(/invalid shape \[1.5\]/);
    expect(() => ones(3 as never)).toThrow(ArgumentError);
  });
});

describe("arange", () => {
  it("arange(n), arange(start, stop), fractional and negative steps", () => {
    expect(arange(5).toArray()).toEqual([0, 1, 2, 3, 4]);
    expect(arange(2, 5).toArray()).toEqual([2, 3, 4]);
    expect(arange(0, 1, 0.25).toArray()).toEqual([0, 0.25, 0.5, 0.75]);
    expect(arange(5, 0, -2).toArray()).toEqual([5, 3, 1]);
    expect(arange(0, 1, 0.1).size).toBe(10);
    expect(arange(3, 1).size).toBe(0);
    expect(arange(0, 10, 3, { dtype: "int32" }).toArray()).toEqual([0, 3, 6, 9]);
    expect(arange(0, 10, 3, { dtype: "int32" }).dtype).toBe("int32");
  });

  it("rejects a zero step and non-finite bounds", () => {
    expect(() => arange(0, 5, 0)).toThrow(ArgumentError);
    expect(() => arange(0, Infinity)).toThrow(/must be finite/);
  });
});

describe("linspace", () => {
  it("evenly spaces n values with both endpoints", () => {
    expect(linspace(0, 1, 5).toArray()).toEqual([0, 0.25, 0.5, 0.75, 1]);
    expect(linspace(10, 0, 3).toArray()).toEqual([10, 5, 0]);
  });

  it("endpoints are exact even when the step is inexact", () => {
    for (const [a, b, n] of [
      [0, 1, 7],
      [-3.3, 7.7, 13],
      [0.1, 0.3, 3],
      [1e-3, 1e3, 101],
    ] as const) {
      const x = linspace(a, b, n, { dtype: "float64" });
      expect(x.get(0)).toBe(a);
      expect(x.get(-1)).toBe(b);
      expect(x.size).toBe(n);
    }
    expect(linspace(-3.3, 7.7, 13).get(-1)).toBe(Math.fround(7.7));
  });

  it("values are monotone and match start + i·step", () => {
    const x = Array.from(linspace(-1, 2, 31, { dtype: "float64" }).data);
    for (let i = 0; i < x.length; i++) expect(x[i]).toBeCloseTo(-1 + (3 * i) / 30, 14);
    for (let i = 1; i < x.length; i++) expect(x[i]!).toBeGreaterThan(x[i - 1]!);
  });

  it("n = 1 gives [start] and n = 0 gives []", () => {
    expect(linspace(2, 5, 1).toArray()).toEqual([2]);
    expect(linspace(2, 5, 0).toArray()).toEqual([]);
    expect(() => linspace(0, 1, -1)).toThrow(ArgumentError);
    expect(() => linspace(0, 1, 2.5)).toThrow(/non-negative integer/);
  });
});

describe("eye", () => {
  it("square and rectangular identities", () => {
    expect(eye(3).toArray()).toEqual([
      [1, 0, 0],
      [0, 1, 0],
      [0, 0, 1],
    ]);
    expect(eye(2, 3).toArray()).toEqual([
      [1, 0, 0],
      [0, 1, 0],
    ]);
    expect(eye(3, 2).toArray()).toEqual([
      [1, 0],
      [0, 1],
      [0, 0],
    ]);
    expect(eye(2, 2, { dtype: "int32" }).dtype).toBe("int32");
    expect(eye(2, 2, { dtype: "bool" }).toArray()).toEqual([
      [true, false],
      [false, true],
    ]);
    expect(eye(0).shape).toEqual([0, 0]);
  });
});

describe("NDArray constructor", () => {
  it("wraps a buffer with a contiguous layout and checks its size", () => {
    const a = new NDArray(new Float64Array([1, 2, 3, 4]), [2, 2]);
    expect(a.strides).toEqual([2, 1]);
    expect(a.dtype).toBe("float64");
    expect(() => new NDArray(new Float32Array(3), [2, 2])).toThrow(ShapeError);
    // The array keeps its own copy of the shape: changing the caller's array changes nothing.
    const shape = [4];
    const b = new NDArray(new Float32Array(4), shape);
    shape[0] = 2;
    expect(b.shape).toEqual([4]);
    expect(b.size).toBe(4);
  });
});
