/** dtype promotion (bool < int32 < float32 < float64), number operands, and result dtypes per op. */
import { describe, expect, it } from "vitest";
import {
  abs,
  add,
  argmax,
  array,
  clamp,
  type DType,
  DTypeError,
  div,
  eq,
  exp,
  ge,
  gelu,
  gt,
  le,
  lt,
  matmul,
  max,
  maximum,
  mean,
  mul,
  ne,
  neg,
  promoteTypes,
  relu,
  softmax,
  sqrt,
  sub,
  sum,
  variance,
  where,
  zeros,
} from "../src/index.js";

const DT: DType[] = ["bool", "int32", "float32", "float64"];
const of = (dtype: DType, shape: number[] = [2]) => zeros(shape, { dtype });

describe("promoteTypes / binary op result dtype", () => {
  const expected: Record<DType, Record<DType, DType>> = {
    bool: { bool: "bool", int32: "int32", float32: "float32", float64: "float64" },
    int32: { bool: "int32", int32: "int32", float32: "float32", float64: "float64" },
    float32: { bool: "float32", int32: "float32", float32: "float32", float64: "float64" },
    float64: { bool: "float64", int32: "float64", float32: "float64", float64: "float64" },
  };
  for (const a of DT) {
    for (const b of DT) {
      it(`${a} + ${b} -> ${expected[a][b]}`, () => {
        expect(promoteTypes(a, b)).toBe(expected[a][b]);
        expect(add(of(a), of(b)).dtype).toBe(expected[a][b]);
        expect(mul(of(b), of(a)).dtype).toBe(expected[a][b]);
        expect(maximum(of(a), of(b)).dtype).toBe(expected[a][b]);
      });
    }
  }
});

describe("number operands (torch's wrapped-number rule)", () => {
  it("int tensor + 1.5 -> float32 with the fractional value kept", () => {
    const a = array([1, 2], { dtype: "int32" });
    const out = add(a, 1.5);
    expect(out.dtype).toBe("float32");
    expect(out.toArray()).toEqual([2.5, 3.5]);
    expect(add(1.5, a).dtype).toBe("float32");
  });

  it("int tensor + 1 -> int32", () => {
    const out = add(array([1, 2], { dtype: "int32" }), 1);
    expect(out.dtype).toBe("int32");
    expect(out.toArray()).toEqual([2, 3]);
    expect(mul(3, array([2], { dtype: "int32" })).dtype).toBe("int32");
  });

  it("float64 tensor + number stays float64 and keeps full precision", () => {
    const out = add(array([1], { dtype: "float64" }), 0.1);
    expect(out.dtype).toBe("float64");
    expect(out.get(0)).toBe(1.1);
  });

  it("float32 tensor + number stays float32", () => {
    const out = add(array([1]), 0.1);
    expect(out.dtype).toBe("float32");
    expect(out.get(0)).toBe(Math.fround(1 + Math.fround(0.1)));
  });

  it("bool tensor + int number -> int32, + fractional -> float32, + true -> bool", () => {
    const b = array([true, false]);
    expect(add(b, 2).dtype).toBe("int32");
    expect(add(b, 2).toArray()).toEqual([3, 2]);
    expect(add(b, 0.5).dtype).toBe("float32");
    expect(add(b, 0.5).toArray()).toEqual([1.5, 0.5]);
    expect(mul(b, true).dtype).toBe("bool");
  });

  it("0-d arrays of the same category do not promote an n-d operand", () => {
    expect(add(zeros([2]), array(1, { dtype: "float64" })).dtype).toBe("float32");
    expect(add(zeros([2], { dtype: "int32" }), array(1, { dtype: "int32" })).dtype).toBe("int32");
    // a higher category still wins
    expect(add(zeros([2], { dtype: "int32" }), array(1.5, { dtype: "float64" })).dtype).toBe("float64");
    expect(add(array([true]), array(5, { dtype: "int32" })).dtype).toBe("int32");
    expect(add(array([true]), array(5, { dtype: "int32" })).toArray()).toEqual([6]);
    expect(add(array(5, { dtype: "int32" }), array([true, false])).dtype).toBe("int32");
    expect(sub(array(5, { dtype: "int32" }), array([true, false])).toArray()).toEqual([4, 5]);
  });
});

describe("bool arithmetic stays 0/1", () => {
  it("true + true is true (like torch), not 2", () => {
    const b = array([true, true, false]);
    const out = add(b, b);
    expect(out.dtype).toBe("bool");
    expect(out.toArray()).toEqual([true, true, false]);
    expect(Array.from(out.data)).toEqual([1, 1, 0]);
  });

  it("bool * bool is logical and", () => {
    expect(mul(array([true, true, false]), array([true, false, false])).toArray()).toEqual([true, false, false]);
  });
});

describe("op-specific result dtypes", () => {
  it("div of ints gives float32 (true division)", () => {
    const out = div(array([1, 3], { dtype: "int32" }), array([2, 2], { dtype: "int32" }));
    expect(out.dtype).toBe("float32");
    expect(out.toArray()).toEqual([0.5, 1.5]);
    expect(div(array([true]), array([true])).dtype).toBe("float32");
    expect(div(array([1], { dtype: "float64" }), 3).dtype).toBe("float64");
  });

  it("comparisons give bool for every input dtype", () => {
    for (const d of DT) {
      for (const op of [eq, ne, lt, le, gt, ge]) expect(op(of(d), of(d)).dtype).toBe("bool");
    }
    const out = lt(array([1, 2, 3], { dtype: "int32" }), 2.5);
    expect(out.toArray()).toEqual([true, true, false]);
    expect(eq(array([1, 2]), array([1, 3], { dtype: "float64" })).toArray()).toEqual([true, false]);
  });

  it("float math on ints and bools gives float32", () => {
    expect(exp(of("int32")).dtype).toBe("float32");
    expect(sqrt(of("bool")).dtype).toBe("float32");
    expect(gelu(of("int32")).dtype).toBe("float32");
    expect(softmax(of("int32"), 0).dtype).toBe("float32");
    expect(exp(of("float64")).dtype).toBe("float64");
  });

  it("sign-preserving ops keep integer dtypes", () => {
    expect(neg(array([1, -2], { dtype: "int32" })).dtype).toBe("int32");
    expect(abs(array([1, -2], { dtype: "int32" })).toArray()).toEqual([1, 2]);
    expect(relu(array([1, -2], { dtype: "int32" })).dtype).toBe("int32");
    expect(neg(array([true])).dtype).toBe("int32");
  });

  it("clamp with integer bounds keeps int32; fractional bounds promote to float32", () => {
    const a = array([-3, 0, 3], { dtype: "int32" });
    expect(clamp(a, -1, 1).dtype).toBe("int32");
    expect(clamp(a, -1, 1).toArray()).toEqual([-1, 0, 1]);
    const f = clamp(a, -0.5, 0.5);
    expect(f.dtype).toBe("float32");
    expect(f.toArray()).toEqual([-0.5, 0, 0.5]);
  });

  it("reductions: sum of bool -> int32, mean/var of int -> float32, max keeps, argmax int32", () => {
    expect(sum(array([true, true, false])).dtype).toBe("int32");
    expect(sum(array([true, true, false])).item()).toBe(2);
    expect(sum(of("int32")).dtype).toBe("int32");
    expect(sum(of("float64")).dtype).toBe("float64");
    expect(mean(array([1, 2], { dtype: "int32" })).dtype).toBe("float32");
    expect(mean(array([1, 2], { dtype: "int32" })).item()).toBe(1.5);
    expect(variance(array([1, 2], { dtype: "int32" })).dtype).toBe("float32");
    expect(max(of("int32")).dtype).toBe("int32");
    expect(argmax(of("float64")).dtype).toBe("int32");
  });

  it("matmul promotes and keeps int32 results exact", () => {
    const a = array([[1, 2]], { dtype: "int32" });
    const b = array([[3], [4]], { dtype: "int32" });
    const out = matmul(a, b);
    expect(out.dtype).toBe("int32");
    expect(out.toArray()).toEqual([[11]]);
    expect(matmul(a, array([[1], [1]])).dtype).toBe("float32");
    expect(matmul(array([[1, 2]]), array([[1], [1]], { dtype: "float64" })).dtype).toBe("float64");
  });

  it("where promotes its two branches", () => {
    const c = array([true, false]);
    expect(where(c, array([1, 2], { dtype: "int32" }), array([0.5, 0.5])).dtype).toBe("float32");
    expect(where(c, array([1, 2], { dtype: "int32" }), 0).dtype).toBe("int32");
    expect(where(c, array([1, 2], { dtype: "float64" }), 0).toArray()).toEqual([1, 0]);
  });

  it("where requires a bool condition", () => {
    expect(() => where(array([1, 0]), 1, 2)).toThrow(DTypeError);
    expect(() => where(array([1, 0]), 1, 2)).toThrow("where: cond must be bool, got float32 of shape [2]");
  });

  it("sub of int32 wraps like a 32-bit integer, stays int32", () => {
    const out = sub(array([0], { dtype: "int32" }), array([2147483647], { dtype: "int32" }));
    expect(out.dtype).toBe("int32");
    expect(out.toArray()).toEqual([-2147483647]);
  });
});
