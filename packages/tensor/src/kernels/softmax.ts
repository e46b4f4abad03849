import { allocate, floatDType } from "../dtype.js";
import { NDArray } from "../ndarray.js";
import { normalizeDim } from "../shape.js";

/** Runs `rowFn` over every 1-d lane along `dim`, writing a contiguous result of x's shape. */
function alongDim(
  op: string,
  x: NDArray,
  dim: number,
  rowFn: (src: ArrayLike<number>, start: number, n: number, out: { [i: number]: number }, outStart: number) => void,
): NDArray {
  const d = normalizeDim(op, dim, x.ndim);
  if (x.ndim === 0) return alongDim(op, x.reshape([1]), 0, rowFn).reshape([]);
  const last = x.ndim - 1;
  const moved = (d === last ? x : x.transpose(d, last)).contiguous();
  const n = moved.shape[last] as number;
  const rows = n === 0 ? 0 : moved.size / n;
  const out = allocate(floatDType(x.dtype), moved.size);
  for (let r = 0; r < rows; r++) rowFn(moved.data, moved.offset + r * n, n, out, r * n);
  const result = new NDArray(out, moved.shape);
  return d === last ? result : result.transpose(d, last).contiguous();
}

/**
 * Softmax along `dim`, stable (subtracts the row max before exponentiating).
 *
 * @example
 * ```ts
 * softmax(array([1000, 1000]), 0).toArray(); // [0.5, 0.5]
 * ```
 */
export function softmax(x: NDArray, dim = -1): NDArray {
  return alongDim("softmax", x, dim, (src, start, n, out, o) => {
    let m = -Infinity;
    for (let j = 0; j < n; j++) m = Math.max(m, src[start + j] as number);
    if (m === -Infinity) m = 0; // an all -inf row gives NaN like torch, not a crash
    let s = 0;
    for (let j = 0; j < n; j++) {
      const e = Math.exp((src[start + j] as number) - m);
      out[o + j] = e;
      s += e;
    }
    for (let j = 0; j < n; j++) out[o + j] = (out[o + j] as number) / s;
  });
}

/**
 * Log-softmax along `dim`: `x − logsumexp(x)`, stable for any magnitude.
 *
 * @example
 * ```ts
 * logSoftmax(array([0, 1e4]), 0).toArray(); // [-10000, 0]
 * ```
 */
export function logSoftmax(x: NDArray, dim = -1): NDArray {
  return alongDim("logSoftmax", x, dim, (src, start, n, out, o) => {
    let m = -Infinity;
    for (let j = 0; j < n; j++) m = Math.max(m, src[start + j] as number);
    if (m === -Infinity) m = 0;
    let s = 0;
    for (let j = 0; j < n; j++) s += Math.exp((src[start + j] as number) - m);
    const lse = m + Math.log(s);
    for (let j = 0; j < n; j++) out[o + j] = (src[start + j] as number) - lse;
  });
}
