/** gather / scatterAdd / indexSelect / indexAdd / cat / stack. */
import { describe, expect, it } from "vitest";
import {
  arange,
  array,
  cat,
  DTypeError,
  gather,
  IndexError,
  indexAdd,
  indexSelect,
  mul,
  type NDArray,
  ones,
  Rng,
  randint,
  ShapeError,
  scatterAdd,
  stack,
  sum,
  zeros,
} from "../src/index.js";
import { expectClose, gen, refCat, refGather, refIndexSelect, refOf, refScatterAdd, refStack } from "./helpers.js";

const i32 = (v: number[] | number[][] | number[][][]) => array(v, { dtype: "int32" });
const dot = (a: NDArray, b: NDArray) => sum(mul(a, b)).item();

describe("gather", () => {
  it("torch's documented example along dim 1", () => {
    const t = array([
      [1, 2],
      [3, 4],
    ]);
    expect(
      gather(
        t,
        1,
        i32([
          [0, 0],
          [1, 0],
        ]),
      ).toArray(),
    ).toEqual([
      [1, 1],
      [4, 3],
    ]);
  });

  it("along dim 0 and with a smaller index than the input", () => {
    const t = arange(12).reshape(3, 4);
    expect(gather(t, 0, i32([[2, 0, 1, 2]])).toArray()).toEqual([[8, 1, 6, 11]]);
    expect(gather(t, -1, i32([[3], [0]])).toArray()).toEqual([[3], [4]]);
  });

  it("matches the reference on 3-d data for every dim", () => {
    const x = gen([3, 4, 5], "float64", 1);
    for (const dim of [0, 1, 2]) {
      const shape = [3, 4, 5];
      shape[dim] = 6;
      const idx = randint(0, x.shape[dim] as number, shape, { rng: new Rng(dim) });
      expectClose(gather(x, dim, idx), refGather(refOf(x), dim, refOf(idx)), { atol: 0 });
    }
  });

  it("keeps the input dtype", () => {
    expect(gather(i32([5, 6, 7]), 0, i32([2, 2])).toArray()).toEqual([7, 7]);
    expect(gather(i32([5, 6, 7]), 0, i32([2])).dtype).toBe("int32");
  });

  it("checks index dtype, rank and bounds", () => {
    const t = zeros([2, 2]);
    expect(() => gather(t, 1, array([[0]]))).toThrow(DTypeError);
    expect(() => gather(t, 1, array([[0]]))).toThrow("gather: index must be int32, got float32 of shape [1,1]");
    expect(() => gather(t, 1, i32([0]))).toThrow(ShapeError);
    expect(() => gather(t, 1, i32([[5]]))).toThrow(IndexError);
    expect(() => gather(t, 1, i32([[5]]))).toThrow("gather: index 5 is out of bounds for dim 1 with size 2");
    expect(gather(t, 0, i32([[0], [1], [0]])).shape).toEqual([3, 1]); // any size along dim itself
    expect(() => gather(t, 0, i32([[0, 0, 0]]))).toThrow(ShapeError);
    expect(() => gather(t, 2, i32([[0]]))).toThrow(IndexError);
  });
});

describe("scatterAdd", () => {
  it("accumulates duplicate indices", () => {
    expect(scatterAdd(zeros([3]), 0, i32([0, 0, 2]), ones([3])).toArray()).toEqual([2, 0, 1]);
    const out = scatterAdd(
      zeros([2, 3]),
      1,
      i32([
        [0, 0],
        [2, 1],
      ]),
      array([
        [1, 2],
        [3, 4],
      ]),
    );
    expect(out.toArray()).toEqual([
      [3, 0, 0],
      [0, 4, 3],
    ]);
  });

  it("returns a copy and leaves the input alone", () => {
    const x = ones([3]);
    const out = scatterAdd(x, 0, i32([1]), ones([1]));
    expect(out.toArray()).toEqual([1, 2, 1]);
    expect(x.toArray()).toEqual([1, 1, 1]);
    expect(out.data).not.toBe(x.data);
  });

  it("matches the reference on 3-d data", () => {
    const x = gen([3, 4, 5], "float64", 2);
    for (const dim of [0, 1, -1]) {
      const idx = randint(0, x.shape.at(dim) as number, [2, 3, 4], { rng: new Rng(10 + dim) });
      const src = gen([3, 4, 5], "float64", 20 + dim);
      expectClose(scatterAdd(x, dim, idx, src), refScatterAdd(refOf(x), dim, refOf(idx), refOf(src)), {
        atol: 1e-12,
      });
    }
  });

  it("is the adjoint of gather: <gather(x, i), y> = <x, scatterAdd(0, i, y)>", () => {
    const x = gen([4, 6], "float64", 3);
    const idx = randint(0, 6, [4, 9], { rng: new Rng(4) });
    const y = gen([4, 9], "float64", 5);
    expect(dot(gather(x, 1, idx), y)).toBeCloseTo(
      dot(x, scatterAdd(zeros([4, 6], { dtype: "float64" }), 1, idx, y)),
      12,
    );
  });

  it("checks shapes and bounds", () => {
    expect(() => scatterAdd(zeros([3]), 0, i32([3]), ones([1]))).toThrow(IndexError);
    expect(() => scatterAdd(zeros([3]), 0, i32([0, 1]), ones([1]))).toThrow(ShapeError);
    expect(() => scatterAdd(zeros([3, 2]), 0, i32([0]), ones([1]))).toThrow(/same number of dims/);
  });
});

describe("indexSelect / indexAdd", () => {
  it("selects rows and columns, with repeats", () => {
    const t = arange(6).reshape(2, 3);
    expect(indexSelect(t, 0, i32([1, 1, 0])).toArray()).toEqual([
      [3, 4, 5],
      [3, 4, 5],
      [0, 1, 2],
    ]);
    expect(indexSelect(t, 1, i32([2, 0])).toArray()).toEqual([
      [2, 0],
      [5, 3],
    ]);
    expect(indexSelect(t, -1, i32([-1])).toArray()).toEqual([[2], [5]]);
    expect(indexSelect(t, 0, i32([])).shape).toEqual([0, 3]);
  });

  it("matches the reference on a 3-d array for every dim", () => {
    const x = gen([3, 4, 5], "float32", 6);
    for (const dim of [0, 1, 2]) {
      const idx = [0, 2, 2, 1];
      expectClose(indexSelect(x, dim, i32(idx)), refIndexSelect(refOf(x), dim, idx), { atol: 0 });
    }
  });

  it("indexAdd accumulates duplicates and copies its input", () => {
    const x = zeros([3, 2]);
    const out = indexAdd(x, 0, i32([0, 0, 2]), ones([3, 2]));
    expect(out.toArray()).toEqual([
      [2, 2],
      [0, 0],
      [1, 1],
    ]);
    expect(x.toArray()).toEqual([
      [0, 0],
      [0, 0],
      [0, 0],
    ]);
    expect(indexAdd(zeros([2, 3]), 1, i32([2, 2]), ones([2, 2])).toArray()).toEqual([
      [0, 0, 2],
      [0, 0, 2],
    ]);
  });

  it("indexAdd is the adjoint of indexSelect", () => {
    const x = gen([5, 3], "float64", 7);
    const idx = i32([4, 0, 4, 2]);
    const y = gen([4, 3], "float64", 8);
    expect(dot(indexSelect(x, 0, idx), y)).toBeCloseTo(
      dot(x, indexAdd(zeros([5, 3], { dtype: "float64" }), 0, idx, y)),
      12,
    );
  });

  it("checks index rank, dtype, bounds and src shape", () => {
    expect(() => indexSelect(zeros([3]), 0, i32([[0]]))).toThrow(ShapeError);
    expect(() => indexSelect(zeros([3]), 0, array([0]))).toThrow(DTypeError);
    expect(() => indexSelect(zeros([3]), 0, i32([3]))).toThrow(
      "indexSelect: index 3 is out of bounds for dim 0 with size 3",
    );
    expect(() => indexAdd(zeros([3, 2]), 0, i32([0]), ones([2, 2]))).toThrow(ShapeError);
    expect(() => indexAdd(zeros([3, 2]), 0, i32([0]), ones([2, 2]))).toThrow(
      "indexAdd: src [2,2] must have shape [1,2] for input [3,2] and 1 indices",
    );
  });
});

describe("cat / stack", () => {
  it("cat along dims 0, 1 and -1", () => {
    const a = arange(4).reshape(2, 2);
    const b = arange(2).reshape(1, 2);
    expect(cat([a, b]).toArray()).toEqual([
      [0, 1],
      [2, 3],
      [0, 1],
    ]);
    expect(cat([a, b.reshape(2, 1)], 1).toArray()).toEqual([
      [0, 1, 0],
      [2, 3, 1],
    ]);
    expect(cat([a, a], -1).shape).toEqual([2, 4]);
  });

  it("cat of 3-d parts matches the reference for every dim", () => {
    for (const dim of [0, 1, 2]) {
      const parts = [2, 1, 3].map((n, i) => {
        const s = [2, 3, 4];
        s[dim] = n;
        return gen(s, "float32", 30 + i);
      });
      expectClose(cat(parts, dim), refCat(parts.map(refOf), dim), { atol: 0 });
    }
  });

  it("cat promotes dtypes and accepts empty parts", () => {
    const out = cat([i32([1, 2]), array([0.5])]);
    expect(out.dtype).toBe("float32");
    expect(out.toArray()).toEqual([1, 2, 0.5]);
    expect(cat([zeros([0, 2]), ones([1, 2])]).toArray()).toEqual([[1, 1]]);
    expect(cat([array([true]), i32([3])]).dtype).toBe("int32");
  });

  it("cat rejects mismatched shapes, 0-d parts and empty lists", () => {
    expect(() => cat([zeros([2, 3]), zeros([2, 4])])).toThrow(ShapeError);
    expect(() => cat([zeros([2, 3]), zeros([2, 4])])).toThrow("cat: shapes [2,3], [2,4] differ outside dim 0");
    expect(() => cat([zeros([2, 3]), zeros([3])], 0)).toThrow(ShapeError);
    expect(() => cat([array(1), array(2)])).toThrow(/zero-dimensional/);
    expect(() => cat([])).toThrow(/non-empty/);
  });

  it("stack inserts a new dim at 0, 1 and -1", () => {
    const a = array([1, 2, 3]);
    const b = array([4, 5, 6]);
    expect(stack([a, b]).toArray()).toEqual([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    expect(stack([a, b], 1).toArray()).toEqual([
      [1, 4],
      [2, 5],
      [3, 6],
    ]);
    expect(stack([a, b], -1).toArray()).toEqual(stack([a, b], 1).toArray());
    const parts = [0, 1, 2].map((i) => gen([2, 3], "float64", 40 + i));
    for (const dim of [0, 1, 2, -1, -3]) expectClose(stack(parts, dim), refStack(parts.map(refOf), dim), { atol: 0 });
    expect(stack([array(1), array(2)]).toArray()).toEqual([1, 2]);
  });

  it("stack rejects different shapes", () => {
    expect(() => stack([zeros([2]), zeros([3])])).toThrow(ShapeError);
    expect(() => stack([zeros([2]), zeros([3])])).toThrow("stack: all arrays must have the same shape, got [2], [3]");
    expect(() => stack([zeros([2]), zeros([2])], 2)).toThrow(IndexError);
  });
});
