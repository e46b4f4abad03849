import { allocate, type DType, promoteTypes } from "../dtype.js";
import { ArgumentError, DTypeError, describeValue, fmtShape, IndexError, ShapeError } from "../errors.js";
import { NDArray } from "../ndarray.js";
import { normalizeDim } from "../shape.js";
import { stridedOffsets } from "../strided.js";
import { checkOperand } from "./elementwise.js";

function checkIndex(op: string, index: NDArray): void {
  if (!(index instanceof NDArray))
    throw new ArgumentError(`${op}: index must be an int32 NDArray, got ${describeValue(index)}`);
  if (index.dtype !== "int32") {
    throw new DTypeError(`${op}: index must be int32, got ${index.dtype} of shape ${fmtShape(index.shape)}`);
  }
}

function bound(op: string, i: number, size: number, dim: number): number {
  const k = i < 0 ? i + size : i;
  if (k < 0 || k >= size) throw new IndexError(`${op}: index ${i} is out of bounds for dim ${dim} with size ${size}`);
  return k;
}

/**
 * `out[i][j] = x[index[i][j]][j]` for dim 0 (and likewise for other dims); `out` has index's shape.
 *
 * @example
 * ```ts
 * gather(array([[1, 2], [3, 4]]), 1, array([[1], [0]], { dtype: "int32" })).toArray(); // [[2], [3]]
 * ```
 */
export function gather(x: NDArray, dim: number, index: NDArray): NDArray {
  checkOperand("gather", "input", x, false);
  checkIndex("gather", index);
  const d = normalizeDim("gather", dim, x.ndim);
  if (index.ndim !== x.ndim) {
    throw new ShapeError(`gather: index ${fmtShape(index.shape)} must have as many dims as input ${fmtShape(x.shape)}`);
  }
  for (let i = 0; i < x.ndim; i++) {
    if (i !== d && (index.shape[i] as number) > (x.shape[i] as number)) {
      throw new ShapeError(
        `gather: index ${fmtShape(index.shape)} is larger than input ${fmtShape(x.shape)} at dim ${i}`,
      );
    }
  }
  const idx = index.toTypedArray();
  // Positions in x for index's shape, with dim `d` contributing nothing (added per element below).
  const base = stridedOffsets(
    index.shape,
    x.strides.map((s, i) => (i === d ? 0 : s)),
    x.offset,
  );
  const out = allocate(x.dtype, idx.length);
  const src = x.data;
  const size = x.shape[d] as number;
  const stride = x.strides[d] as number;
  for (let i = 0; i < idx.length; i++) {
    out[i] = src[(base[i] as number) + bound("gather", idx[i] as number, size, d) * stride] as number;
  }
  return new NDArray(out, index.shape);
}

/**
 * A copy of `x` with `src` added at the positions `index` names along `dim` (gather's adjoint).
 *
 * @example
 * ```ts
 * scatterAdd(zeros([3]), 0, array([0, 0, 2], { dtype: "int32" }), ones([3])).toArray(); // [2, 0, 1]
 * ```
 */
export function scatterAdd(x: NDArray, dim: number, index: NDArray, src: NDArray): NDArray {
  checkOperand("scatterAdd", "input", x, false);
  checkIndex("scatterAdd", index);
  checkOperand("scatterAdd", "src", src, false);
  const d = normalizeDim("scatterAdd", dim, x.ndim);
  if (index.ndim !== x.ndim || src.ndim !== x.ndim) {
    throw new ShapeError(
      `scatterAdd: input ${fmtShape(x.shape)}, index ${fmtShape(index.shape)} and src ${fmtShape(src.shape)} must have the same number of dims`,
    );
  }
  for (let i = 0; i < x.ndim; i++) {
    if (
      (index.shape[i] as number) > (src.shape[i] as number) ||
      (i !== d && (index.shape[i] as number) > (x.shape[i] as number))
    ) {
      throw new ShapeError(
        `scatterAdd: index ${fmtShape(index.shape)} is too large for src ${fmtShape(src.shape)} or input ${fmtShape(x.shape)} at dim ${i}`,
      );
    }
  }
  const out = x.clone();
  const idx = index.toTypedArray();
  const outStrides = out.strides;
  const base = stridedOffsets(
    index.shape,
    outStrides.map((s, i) => (i === d ? 0 : s)),
    0,
  );
  const srcOffs = stridedOffsets(index.shape, src.strides, src.offset);
  const size = x.shape[d] as number;
  const stride = outStrides[d] as number;
  const o = out.data;
  const s = src.data;
  for (let i = 0; i < idx.length; i++) {
    const p = (base[i] as number) + bound("scatterAdd", idx[i] as number, size, d) * stride;
    o[p] = (o[p] as number) + (s[srcOffs[i] as number] as number);
  }
  return out;
}

/**
 * Selects entries along `dim` by a 1-d int32 index (embedding lookup is `indexSelect(weight, 0, ids)`).
 *
 * @example
 * ```ts
 * indexSelect(array([[1, 2], [3, 4]]), 0, array([1, 1], { dtype: "int32" })).toArray(); // [[3, 4], [3, 4]]
 * ```
 */
export function indexSelect(x: NDArray, dim: number, index: NDArray): NDArray {
  checkOperand("indexSelect", "input", x, false);
  checkIndex("indexSelect", index);
  if (index.ndim > 1) throw new ShapeError(`indexSelect: index must be 0-d or 1-d, got shape ${fmtShape(index.shape)}`);
  const d = normalizeDim("indexSelect", dim, x.ndim);
  const c = x.contiguous();
  const idx = index.toTypedArray();
  const size = x.shape[d] as number;
  const outer = x.shape.slice(0, d).reduce((p, v) => p * v, 1);
  const inner = x.shape.slice(d + 1).reduce((p, v) => p * v, 1);
  const out = allocate(x.dtype, outer * idx.length * inner);
  const src = c.data;
  let k = 0;
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < idx.length; i++) {
      const start = c.offset + (o * size + bound("indexSelect", idx[i] as number, size, d)) * inner;
      out.set(src.subarray(start, start + inner), k);
      k += inner;
    }
  }
  const shape = x.shape.slice();
  shape[d] = idx.length;
  return new NDArray(out, x.ndim === 0 ? [] : shape);
}

/**
 * A copy of `x` with the rows of `src` added at positions `index` along `dim` (indexSelect's adjoint).
 *
 * @example
 * ```ts
 * indexAdd(zeros([3, 2]), 0, array([0, 0], { dtype: "int32" }), ones([2, 2])).toArray(); // [[2, 2], [0, 0], [0, 0]]
 * ```
 */
export function indexAdd(x: NDArray, dim: number, index: NDArray, src: NDArray): NDArray {
  checkOperand("indexAdd", "input", x, false);
  checkIndex("indexAdd", index);
  if (index.ndim > 1) throw new ShapeError(`indexAdd: index must be 0-d or 1-d, got shape ${fmtShape(index.shape)}`);
  checkOperand("indexAdd", "src", src, false);
  const d = normalizeDim("indexAdd", dim, x.ndim);
  const idx = index.toTypedArray();
  const expected = x.shape.slice();
  expected[d] = idx.length;
  if (src.ndim !== x.ndim || src.shape.some((s, i) => s !== expected[i])) {
    throw new ShapeError(
      `indexAdd: src ${fmtShape(src.shape)} must have shape ${fmtShape(expected)} for input ${fmtShape(x.shape)} and ${idx.length} indices`,
    );
  }
  const out = x.clone();
  const s = src.toTypedArray();
  const size = x.shape[d] as number;
  const outer = x.shape.slice(0, d).reduce((p, v) => p * v, 1);
  const inner = x.shape.slice(d + 1).reduce((p, v) => p * v, 1);
  const o = out.data;
  let k = 0;
  for (let a = 0; a < outer; a++) {
    for (let i = 0; i < idx.length; i++) {
      const start = (a * size + bound("indexAdd", idx[i] as number, size, d)) * inner;
      for (let j = 0; j < inner; j++) o[start + j] = (o[start + j] as number) + (s[k++] as number);
    }
  }
  return out;
}

/**
 * Joins arrays along an existing `dim`; all other dims must match. Dtypes promote.
 *
 * @example
 * ```ts
 * cat([ones([2, 1]), zeros([2, 2])], 1).shape; // [2, 3]
 * ```
 */
export function cat(arrays: readonly NDArray[], dim = 0): NDArray {
  if (!Array.isArray(arrays) || arrays.length === 0)
    throw new ArgumentError(`cat: expected a non-empty array of NDArrays, got ${describeValue(arrays)}`);
  arrays.forEach((a, i) => checkOperand("cat", `arrays[${i}]`, a, false));
  const first = arrays[0] as NDArray;
  if (first.ndim === 0) throw new ShapeError("cat: zero-dimensional arrays cannot be concatenated; use stack");
  const d = normalizeDim("cat", dim, first.ndim);
  let dtype: DType = first.dtype;
  let total = 0;
  for (const a of arrays as readonly NDArray[]) {
    if (a.ndim !== first.ndim || a.shape.some((s, i) => i !== d && s !== first.shape[i])) {
      throw new ShapeError(`cat: shapes ${arrays.map((x) => fmtShape(x.shape)).join(", ")} differ outside dim ${d}`);
    }
    dtype = promoteTypes(dtype, a.dtype);
    total += a.shape[d] as number;
  }
  const shape = first.shape.slice();
  shape[d] = total;
  const outer = shape.slice(0, d).reduce((p, v) => p * v, 1);
  const inner = shape.slice(d + 1).reduce((p, v) => p * v, 1);
  const out = allocate(dtype, outer * total * inner);
  let col = 0;
  for (const a of arrays as readonly NDArray[]) {
    const c = (a.dtype === dtype ? a : a.astype(dtype)).contiguous();
    const chunk = (a.shape[d] as number) * inner;
    for (let o = 0; o < outer; o++) {
      out.set(c.data.subarray(c.offset + o * chunk, c.offset + (o + 1) * chunk), o * total * inner + col * inner);
    }
    col += a.shape[d] as number;
  }
  return new NDArray(out, shape);
}

/**
 * Stacks same-shaped arrays along a new `dim`.
 *
 * @example
 * ```ts
 * stack([ones([2]), zeros([2])]).shape; // [2, 2]
 * ```
 */
export function stack(arrays: readonly NDArray[], dim = 0): NDArray {
  if (!Array.isArray(arrays) || arrays.length === 0)
    throw new ArgumentError(`stack: expected a non-empty array of NDArrays, got ${describeValue(arrays)}`);
  arrays.forEach((a, i) => checkOperand("stack", `arrays[${i}]`, a, false));
  const first = arrays[0] as NDArray;
  for (const a of arrays as readonly NDArray[]) {
    if (a.ndim !== first.ndim || a.shape.some((s, i) => s !== first.shape[i])) {
      throw new ShapeError(
        `stack: all arrays must have the same shape, got ${arrays.map((x) => fmtShape(x.shape)).join(", ")}`,
      );
    }
  }
  const d = normalizeDim("stack", dim, first.ndim + 1);
  return cat(
    arrays.map((a) => a.unsqueeze(d)),
    d,
  );
}
