/** View methods share `data` and never copy; reshape copies only when strides make a view impossible. */
import { describe, expect, it } from "vitest";
import { arange, array, IndexError, NDArray, ShapeError, zeros } from "../src/index.js";
import { refOf } from "./helpers.js";

const grid = (...shape: number[]): NDArray => arange(shape.reduce((p, d) => p * d, 1)).reshape(shape);

describe("reshape", () => {
  it("of a contiguous array is a view with row-major strides", () => {
    const a = arange(24);
    const b = a.reshape(2, 3, 4);
    expect(b.data).toBe(a.data);
    expect(b.shape).toEqual([2, 3, 4]);
    expect(b.strides).toEqual([12, 4, 1]);
    expect(b.get(1, 2, 3)).toBe(23);
    expect(b.get(1, 0, 2)).toBe(14);
  });

  it("accepts (2, 3) and ([2, 3]) and infers one -1", () => {
    const a = arange(6);
    expect(a.reshape(2, 3).shape).toEqual([2, 3]);
    expect(a.reshape([2, 3]).shape).toEqual([2, 3]);
    expect(a.reshape(-1, 2).shape).toEqual([3, 2]);
    expect(a.reshape([3, -1]).shape).toEqual([3, 2]);
    expect(a.reshape(-1).shape).toEqual([6]);
  });

  it("writes through the view are visible in the original (shared storage)", () => {
    const a = zeros([6]);
    a.reshape(2, 3).set(5, 1, 2);
    expect(a.get(5)).toBe(5);
  });

  it("of a narrowed array along dim 0 stays a view with the offset", () => {
    const a = grid(4, 3).narrow(0, 1, 2);
    const b = a.reshape(6);
    expect(b.data).toBe(a.data);
    expect(b.offset).toBe(3);
    expect(b.toArray()).toEqual([3, 4, 5, 6, 7, 8]);
  });

  it("of a transposed array copies (a view is impossible) with the right values", () => {
    const a = grid(2, 3);
    const t = a.transpose(0, 1);
    const r = t.reshape(6);
    expect(r.data).not.toBe(a.data);
    expect(r.toArray()).toEqual([0, 3, 1, 4, 2, 5]);
    expect(r.isContiguous()).toBe(true);
  });

  it("splitting a dim of a transposed array is still a view", () => {
    const t = grid(4, 6).transpose(0, 1); // [6, 4] strides [1, 6]
    const r = t.reshape(2, 3, 4);
    expect(r.data).toBe(t.data);
    expect(r.strides).toEqual([3, 1, 6]);
    expect(r.toArray()).toEqual([
      [
        [0, 6, 12, 18],
        [1, 7, 13, 19],
        [2, 8, 14, 20],
      ],
      [
        [3, 9, 15, 21],
        [4, 10, 16, 22],
        [5, 11, 17, 23],
      ],
    ]);
  });

  it("of a 0-d array is a view", () => {
    const s = array(7);
    const r = s.reshape(1, 1);
    expect(r.data).toBe(s.data);
    expect(r.toArray()).toEqual([[7]]);
    expect(array([7]).reshape([]).shape).toEqual([]);
  });

  it("rejects wrong element counts and two -1s", () => {
    expect(() => arange(6).reshape(4, 2)).toThrow(ShapeError);
    expect(() => arange(6).reshape(4, 2)).toThrow("reshape: cannot reshape array of shape [6] (6 elements) into [4,2]");
    expect(() => arange(6).reshape(-1, -1)).toThrow(/only one dim may be -1/);
    expect(() => arange(6).reshape(-1, 4)).toThrow(ShapeError);
  });
});

describe("view", () => {
  it("shares data like reshape when the layout allows", () => {
    const a = grid(3, 4);
    const v = a.view(4, 3);
    expect(v.data).toBe(a.data);
    expect(v.get(3, 2)).toBe(11);
  });

  it("throws (instead of copying) when strides make a view impossible", () => {
    const t = grid(2, 3).transpose(0, 1);
    expect(() => t.view(6)).toThrow(ShapeError);
    expect(() => t.view(6)).toThrow(/view: shape \[6\] is incompatible with the strides of a \[3,2\] array/);
    expect(() => t.view(-1)).toThrow(ShapeError);
  });

  it("works on a transposed array when only size-1 dims are inserted", () => {
    const t = grid(2, 3).transpose(0, 1);
    const v = t.view(3, 1, 2);
    expect(v.data).toBe(t.data);
    expect(v.toArray()).toEqual([[[0, 3]], [[1, 4]], [[2, 5]]]);
  });

  it("of a 0-d array to [1] is a view", () => {
    const s = array(2.5);
    const v = s.view(1);
    expect(v.data).toBe(s.data);
    expect(v.toArray()).toEqual([2.5]);
  });
});

describe("transpose / permute", () => {
  it("transpose swaps shape and strides without copying", () => {
    const a = grid(2, 3);
    const t = a.transpose(0, 1);
    expect(t.data).toBe(a.data);
    expect(t.shape).toEqual([3, 2]);
    expect(t.strides).toEqual([1, 3]);
    expect(t.isContiguous()).toBe(false);
    expect(t.toArray()).toEqual([
      [0, 3],
      [1, 4],
      [2, 5],
    ]);
  });

  it("transpose accepts negative dims", () => {
    const a = grid(2, 3, 4);
    const t = a.transpose(-1, 0);
    expect(t.shape).toEqual([4, 3, 2]);
    expect(t.get(3, 1, 1)).toBe(a.get(1, 1, 3));
  });

  it("permute of a 3-d array reorders dims and matches get()", () => {
    const a = grid(2, 3, 4);
    const p = a.permute(2, 0, 1);
    expect(p.data).toBe(a.data);
    expect(p.shape).toEqual([4, 2, 3]);
    expect(p.strides).toEqual([1, 12, 4]);
    for (let i = 0; i < 4; i++)
      for (let j = 0; j < 2; j++)
        for (let k = 0; k < 3; k++) {
          expect(p.get(i, j, k)).toBe(a.get(j, k, i));
        }
    expect(a.permute([-1, -3, -2]).shape).toEqual([4, 2, 3]);
  });

  it("permute validates its dims", () => {
    const a = grid(2, 3, 4);
    expect(() => a.permute(0, 1)).toThrow(ShapeError);
    expect(() => a.permute(0, 1, 1)).toThrow(IndexError);
    expect(() => a.permute(0, 1, 3)).toThrow(/permute: dim 3 is out of range/);
  });

  it("writes through a transposed view land in the base", () => {
    const a = zeros([2, 3]);
    a.transpose(0, 1).set(9, 2, 1);
    expect(a.get(1, 2)).toBe(9);
  });
});

describe("expand", () => {
  it("broadcasts size-1 dims with stride 0 and shares data", () => {
    const a = array([[1], [2], [3]]);
    const e = a.expand(3, 4);
    expect(e.data).toBe(a.data);
    expect(e.strides).toEqual([1, 0]);
    expect(e.toArray()).toEqual([
      [1, 1, 1, 1],
      [2, 2, 2, 2],
      [3, 3, 3, 3],
    ]);
  });

  it("adds new leading dims with stride 0 and keeps -1 dims", () => {
    const a = array([1, 2, 3]);
    const e = a.expand([2, -1]);
    expect(e.shape).toEqual([2, 3]);
    expect(e.strides).toEqual([0, 1]);
    expect(e.data).toBe(a.data);
    expect(e.toArray()).toEqual([
      [1, 2, 3],
      [1, 2, 3],
    ]);
  });

  it("a write through an expanded view is seen at every broadcast position", () => {
    const a = zeros([1, 3]);
    const e = a.expand(4, 3);
    e.set(5, 2, 1);
    expect(e.get(0, 1)).toBe(5);
    expect(e.get(3, 1)).toBe(5);
  });

  it("rejects expanding a non-1 dim or to fewer dims", () => {
    expect(() => array([1, 2, 3]).expand(2, 4)).toThrow(ShapeError);
    expect(() => array([1, 2, 3]).expand(2, 4)).toThrow("expand: cannot expand shape [3] to [2,4] (dim 1: 3 is not 1)");
    expect(() => zeros([2, 3]).expand(3)).toThrow(/fewer dims/);
  });
});

describe("squeeze / unsqueeze", () => {
  it("squeeze removes every size-1 dim as a view", () => {
    const a = zeros([1, 3, 1, 2]);
    const s = a.squeeze();
    expect(s.shape).toEqual([3, 2]);
    expect(s.data).toBe(a.data);
  });

  it("squeeze(dim) removes only that dim, negative allowed, no-op when size != 1", () => {
    const a = zeros([1, 3, 1]);
    expect(a.squeeze(0).shape).toEqual([3, 1]);
    expect(a.squeeze(-1).shape).toEqual([1, 3]);
    expect(a.squeeze(1).shape).toEqual([1, 3, 1]);
    expect(a.squeeze(-1).data).toBe(a.data);
    expect(() => a.squeeze(3)).toThrow(IndexError);
  });

  it("unsqueeze inserts a size-1 dim at front, middle and end", () => {
    const a = grid(2, 3);
    expect(a.unsqueeze(0).shape).toEqual([1, 2, 3]);
    expect(a.unsqueeze(1).shape).toEqual([2, 1, 3]);
    expect(a.unsqueeze(-1).shape).toEqual([2, 3, 1]);
    expect(a.unsqueeze(2).shape).toEqual([2, 3, 1]);
    const u = a.unsqueeze(1);
    expect(u.data).toBe(a.data);
    expect(u.get(1, 0, 2)).toBe(5);
    expect(() => a.unsqueeze(4)).toThrow(IndexError);
  });

  it("unsqueeze of a transposed array keeps its values", () => {
    const t = grid(2, 3).transpose(0, 1).unsqueeze(1);
    expect(t.shape).toEqual([3, 1, 2]);
    expect(t.toArray()).toEqual([[[0, 3]], [[1, 4]], [[2, 5]]]);
  });
});

describe("narrow", () => {
  it("selects a range along a dim as a view with an offset", () => {
    const a = grid(3, 4);
    const n = a.narrow(1, 1, 2);
    expect(n.data).toBe(a.data);
    expect(n.offset).toBe(1);
    expect(n.strides).toEqual([4, 1]);
    expect(n.isContiguous()).toBe(false);
    expect(n.toArray()).toEqual([
      [1, 2],
      [5, 6],
      [9, 10],
    ]);
  });

  it("accepts a negative start and negative dim", () => {
    const a = grid(3, 4);
    expect(a.narrow(-1, -2, 2).toArray()).toEqual([
      [2, 3],
      [6, 7],
      [10, 11],
    ]);
  });

  it("narrowing twice composes offsets", () => {
    const a = grid(4, 5);
    const n = a.narrow(0, 1, 2).narrow(1, 2, 3);
    expect(n.offset).toBe(7);
    expect(n.toArray()).toEqual([
      [7, 8, 9],
      [12, 13, 14],
    ]);
  });

  it("rejects ranges outside the dim", () => {
    expect(() => grid(3, 4).narrow(1, 3, 2)).toThrow(IndexError);
    expect(() => grid(3, 4).narrow(1, 3, 2)).toThrow(
      "narrow: start 3 and length 2 are out of range for dim 1 of size 4 (shape [3,4])",
    );
    expect(() => grid(3, 4).narrow(0, 0, -1)).toThrow(IndexError);
  });
});

describe("flatten", () => {
  it("of a contiguous array is a view", () => {
    const a = grid(2, 3, 4);
    const f = a.flatten();
    expect(f.shape).toEqual([24]);
    expect(f.data).toBe(a.data);
    expect(a.flatten(1).shape).toEqual([2, 12]);
    expect(a.flatten(0, 1).shape).toEqual([6, 4]);
    expect(a.flatten(-2, -1).data).toBe(a.data);
  });

  it("of a permuted array copies in logical order", () => {
    const p = grid(2, 3).transpose(0, 1);
    const f = p.flatten();
    expect(f.data).not.toBe(p.data);
    expect(f.toArray()).toEqual([0, 3, 1, 4, 2, 5]);
  });

  it("of a 0-d array gives shape [1]", () => {
    expect(array(3).flatten().shape).toEqual([1]);
    expect(() => grid(2, 3).flatten(1, 0)).toThrow(IndexError);
  });
});

describe("contiguous / clone / isContiguous", () => {
  it("contiguous() returns this when already contiguous (also with an offset)", () => {
    const a = grid(3, 4);
    expect(a.contiguous()).toBe(a);
    const rows = a.narrow(0, 1, 2);
    expect(rows.isContiguous()).toBe(true);
    expect(rows.contiguous()).toBe(rows);
  });

  it("contiguous() of a non-contiguous view is a row-major copy", () => {
    const t = grid(3, 4).transpose(0, 1);
    const c = t.contiguous();
    expect(c).not.toBe(t);
    expect(c.data).not.toBe(t.data);
    expect(c.isContiguous()).toBe(true);
    expect(c.strides).toEqual([3, 1]);
    expect(c.toArray()).toEqual(t.toArray());
  });

  it("clone() always copies", () => {
    const a = grid(2, 2);
    const c = a.clone();
    expect(c.data).not.toBe(a.data);
    c.set(100, 0, 0);
    expect(a.get(0, 0)).toBe(0);
  });

  it("size-1 dims may have any stride; expanded and narrowed views are not contiguous", () => {
    expect(new NDArray(new Float32Array(3), [3, 1], [1, 99]).isContiguous()).toBe(true);
    expect(new NDArray(new Float32Array(3), [1, 3], [42, 1]).isContiguous()).toBe(true);
    expect(array([1, 2]).expand(3, 2).isContiguous()).toBe(false);
    expect(grid(3, 3).narrow(1, 0, 2).isContiguous()).toBe(false);
  });

  it("toArray() and get() agree on every view kind", () => {
    const base = grid(4, 6);
    const views = [
      base.transpose(0, 1),
      base.narrow(1, 1, 4),
      base.narrow(0, 1, 1).expand(3, 6),
      base.reshape(2, 2, 6).permute(2, 0, 1),
    ];
    for (const v of views) {
      const r = refOf(v);
      expect(r.data).toEqual(Array.from(v.toTypedArray()));
    }
  });
});

describe("element access", () => {
  it("get() accepts negative indices and rejects out-of-range ones", () => {
    const a = grid(2, 3);
    expect(a.get(-1, -1)).toBe(5);
    expect(a.get(0, -3)).toBe(0);
    expect(() => a.get(2, 0)).toThrow(IndexError);
    expect(() => a.get(0)).toThrow(/got 1 indices for an array of shape \[2,3\]/);
  });

  it("item() reads one-element arrays of any rank and rejects others", () => {
    expect(array(4).item()).toBe(4);
    expect(array([[4]]).item()).toBe(4);
    expect(grid(2, 3).narrow(0, 1, 1).narrow(1, 2, 1).item()).toBe(5);
    expect(() => grid(2).item()).toThrow(ShapeError);
  });

  it("astype truncates toward zero, makes bools, and copies", () => {
    const a = array([-1.7, -0.2, 0.5, 2.9]);
    const i = a.astype("int32");
    expect(i.dtype).toBe("int32");
    expect(i.toArray()).toEqual([-1, 0, 0, 2]);
    expect(a.astype("bool").toArray()).toEqual([true, true, true, true]);
    expect(array([0, 3]).astype("bool").toArray()).toEqual([false, true]);
    const same = a.astype("float32");
    expect(same.data).not.toBe(a.data);
    expect(grid(2, 3).transpose(0, 1).astype("float64").toArray()).toEqual([
      [0, 3],
      [1, 4],
      [2, 5],
    ]);
  });
});
