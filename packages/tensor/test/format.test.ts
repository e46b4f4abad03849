/** toString(): PyTorch-like layout, elision of large arrays, per-dtype formatting. */
import { afterEach, describe, expect, it } from "vitest";
import { arange, array, formatNDArray, printOptions, zeros } from "../src/index.js";

const saved = { ...printOptions };
afterEach(() => Object.assign(printOptions, saved));

describe("small arrays print exactly", () => {
  it("float matrix with 4 decimals, aligned under the first bracket", () => {
    expect(
      array([
        [1, 2],
        [3, 4.5],
      ]).toString(),
    ).toBe("array([[1.0000, 2.0000],\n       [3.0000, 4.5000]], shape=[2, 2], dtype=float32)");
  });

  it("integer-valued floats print as `1.` and pad to a common width", () => {
    expect(array([1, -20, 3]).toString()).toBe("array([  1., -20.,   3.], shape=[3], dtype=float32)");
  });

  it("int32 prints plain integers", () => {
    expect(
      array(
        [
          [1, -20],
          [3, 4],
        ],
        { dtype: "int32" },
      ).toString(),
    ).toBe("array([[  1, -20],\n       [  3,   4]], shape=[2, 2], dtype=int32)");
  });

  it("bool prints True/False right-aligned", () => {
    expect(array([[true, false]]).toString()).toBe("array([[ True, False]], shape=[1, 2], dtype=bool)");
  });

  it("0-d and empty arrays", () => {
    expect(array(3.5).toString()).toBe("array(3.5000, shape=[], dtype=float32)");
    expect(array(7, { dtype: "int32" }).toString()).toBe("array(7, shape=[], dtype=int32)");
    expect(zeros([2, 0]).toString()).toBe("array([], shape=[2, 0], dtype=float32)");
  });

  it("3-d arrays separate blocks with a blank line", () => {
    expect(arange(24).reshape(2, 3, 4).toString()).toBe(
      [
        "array([[[ 0.,  1.,  2.,  3.],",
        "        [ 4.,  5.,  6.,  7.],",
        "        [ 8.,  9., 10., 11.]],",
        "",
        "       [[12., 13., 14., 15.],",
        "        [16., 17., 18., 19.],",
        "        [20., 21., 22., 23.]]], shape=[2, 3, 4], dtype=float32)",
      ].join("\n"),
    );
  });

  it("nan and ±inf", () => {
    expect(array([Number.NaN, Infinity, -Infinity, 1.5]).toString()).toBe(
      "array([   nan,    inf,   -inf, 1.5000], shape=[4], dtype=float32)",
    );
  });

  it("scientific notation for wide ranges and tiny or huge values", () => {
    expect(array([1e-5, 1, 1e5]).toString()).toBe(
      "array([1.0000e-05, 1.0000e+00, 1.0000e+05], shape=[3], dtype=float32)",
    );
    expect(array([1e9, 1]).toString()).toBe("array([1.0000e+09, 1.0000e+00], shape=[2], dtype=float32)");
  });

  it("non-contiguous views print their logical order", () => {
    const t = arange(6).reshape(2, 3).transpose(0, 1);
    expect(t.toString()).toBe("array([[0., 3.],\n       [1., 4.],\n       [2., 5.]], shape=[3, 2], dtype=float32)");
  });

  it("formatNDArray takes a name prefix", () => {
    expect(formatNDArray(array([1, 2]), "tensor")).toBe("tensor([1., 2.], shape=[2], dtype=float32)");
  });
});

describe("large arrays elide with ...", () => {
  it("1-d over the threshold shows 3 items at each end", () => {
    const s = arange(1001).toString();
    expect(s).toBe("array([   0.,    1.,    2., ...,  998.,  999., 1000.], shape=[1001], dtype=float32)");
  });

  it("at the threshold nothing is elided", () => {
    const s = arange(1000).toString();
    expect(s).not.toContain("...");
    expect(s).toContain(" 999.]");
  });

  it("2-d elides both rows and columns", () => {
    expect(arange(2000).reshape(40, 50).toString()).toBe(
      [
        "array([[   0.,    1.,    2., ...,   47.,   48.,   49.],",
        "       [  50.,   51.,   52., ...,   97.,   98.,   99.],",
        "       [ 100.,  101.,  102., ...,  147.,  148.,  149.],",
        "       ...,",
        "       [1850., 1851., 1852., ..., 1897., 1898., 1899.],",
        "       [1900., 1901., 1902., ..., 1947., 1948., 1949.],",
        "       [1950., 1951., 1952., ..., 1997., 1998., 1999.]], shape=[40, 50], dtype=float32)",
      ].join("\n"),
    );
  });

  it("a big array prints in a bounded number of characters", () => {
    const s = zeros([1000, 1000]).toString();
    expect(s.length).toBeLessThan(500);
    expect(s.split("\n")).toHaveLength(7);
  });

  it("printOptions control threshold, edge items and precision", () => {
    printOptions.threshold = 5;
    printOptions.edgeItems = 1;
    expect(arange(10).toString()).toBe("array([0., ..., 9.], shape=[10], dtype=float32)");
    expect(arange(3).toString()).toBe("array([0., 1., 2.], shape=[3], dtype=float32)");
    printOptions.edgeItems = 3;
    // one more than 2·edgeItems already elides (like torch)
    expect(arange(7).toString()).toBe("array([0., 1., 2., ..., 4., 5., 6.], shape=[7], dtype=float32)");
    expect(arange(6).toString()).toBe("array([0., 1., 2., 3., 4., 5.], shape=[6], dtype=float32)");
    printOptions.threshold = 1000;
    printOptions.precision = 2;
    expect(array([1.2345]).toString()).toBe("array([1.23], shape=[1], dtype=float32)");
  });

  it("large bool and int arrays elide too", () => {
    expect(zeros([2000], { dtype: "bool" }).toString()).toBe(
      "array([False, False, False, ..., False, False, False], shape=[2000], dtype=bool)",
    );
    expect(arange(0, 2000, 1, { dtype: "int32" }).toString()).toBe(
      "array([   0,    1,    2, ..., 1997, 1998, 1999], shape=[2000], dtype=int32)",
    );
  });
});
