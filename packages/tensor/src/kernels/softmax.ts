import { allocate, floatDType, promoteTypes, type TypedArray } from "../dtype.js";
import { fmtShape, ShapeError } from "../errors.js";
import { NDArray } from "../ndarray.js";
import { normalizeDim, shapesEqual } from "../shape.js";
import { softmaxBackwardRowsWasm, softmaxRowsWasm } from "../wasm/rows.js";
import { checkOperand } from "./elementwise.js";
import { exp } from "./fastmath.js";

/**
 * Runs `rowFn` over every 1-d lane along `dim`, writing a contiguous result of x's shape. float32
 * input goes to the WebAssembly SIMD row kernels instead (src/wasm/rows.ts) when they are enabled and
 * the input is large enough: softmax when `wasm` is "softmax", log-softmax when it is "logSoftmax".
 */
function alongDim(
  op: string,
  x: NDArray,
  dim: number,
  rowFn: (src: ArrayLike<number>, start: number, n: number, out: { [i: number]: number }, outStart: number) => void,
  wasm?: "softmax" | "logSoftmax",
): NDArray {
  checkOperand(op, "input", x, false);
  const d = normalizeDim(op, dim, x.ndim);
  if (x.ndim === 0) return alongDim(op, x.reshape([1]), 0, rowFn, wasm).reshape([]);
  const last = x.ndim - 1;
  const moved = (d === last ? x : x.transpose(d, last)).contiguous();
  const n = moved.shape[last] as number;
  const rows = n === 0 ? 0 : moved.size / n;
  let out: TypedArray | null =
    wasm && moved.data instanceof Float32Array
      ? softmaxRowsWasm(moved.data, moved.offset, rows, n, wasm === "logSoftmax")
      : null;
  if (!out) {
    const buf = allocate(floatDType(x.dtype), moved.size);
    for (let r = 0; r < rows; r++) rowFn(moved.data, moved.offset + r * n, n, buf, r * n);
    out = buf;
  }
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
  return alongDim("softmax", x, dim, softmaxRow, "softmax");
}

/** Softmax of src[start, start + n) into out[o, o + n). */
function softmaxRow(src: ArrayLike<number>, start: number, n: number, out: { [i: number]: number }, o: number): void {
  let m = -Infinity;
  for (let j = 0; j < n; j++) m = Math.max(m, src[start + j] as number);
  if (m === -Infinity) m = 0; // an all -inf row gives NaN like torch, not a crash
  let s = 0;
  for (let j = 0; j < n; j++) {
    const e = exp((src[start + j] as number) - m);
    out[o + j] = e;
    s += e;
  }
  for (let j = 0; j < n; j++) out[o + j] = (out[o + j] as number) / s;
}

/**
 * Softmax over the last dim with a causal mask: in each (L, S) matrix, row i attends to columns
 * j ≤ i only (torch's `is_causal`, aligned top-left) and the other weights are 0. Bit for bit the
 * softmax of the scores with −∞ filled above the diagonal, without materializing the mask or the
 * filled copy.
 *
 * @example
 * ```ts
 * causalSoftmax(zeros([2, 2])).toArray(); // [[1, 0], [0.5, 0.5]]
 * ```
 */
export function causalSoftmax(x: NDArray): NDArray {
  checkOperand("causalSoftmax", "input", x, false);
  if (x.ndim < 2) {
    throw new ShapeError(`causalSoftmax: input needs at least 2 dims (..., L, S), got ${fmtShape(x.shape)}`);
  }
  const L = x.shape[x.ndim - 2] as number;
  const S = x.shape[x.ndim - 1] as number;
  const c = x.contiguous();
  const rows = S === 0 ? 0 : c.size / S;
  const fast = c.data instanceof Float32Array ? softmaxRowsWasm(c.data, c.offset, rows, S, false, L) : null;
  if (fast) return new NDArray(fast, c.shape);
  const out = allocate(floatDType(x.dtype), c.size);
  for (let r = 0; r < rows; r++) softmaxRow(c.data, c.offset + r * S, Math.min((r % L) + 1, S), out, r * S);
  return new NDArray(out, c.shape);
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
  return alongDim(
    "logSoftmax",
    x,
    dim,
    (src, start, n, out, o) => {
      let m = -Infinity;
      for (let j = 0; j < n; j++) m = Math.max(m, src[start + j] as number);
      if (m === -Infinity) m = 0;
      let s = 0;
      for (let j = 0; j < n; j++) s += exp((src[start + j] as number) - m);
      const lse = m + Math.log(s);
      for (let j = 0; j < n; j++) out[o + j] = (src[start + j] as number) - lse;
    },
    "logSoftmax",
  );
}

/**
 * Moves `dim` last and makes both arrays contiguous there, runs `rowFn` per lane, moves back. When both
 * are float32, the WebAssembly SIMD row kernels (src/wasm/rows.ts) run instead if enabled and the input
 * is large enough: the softmax backward when `wasm` is "softmax", the log-softmax one when it is
 * "logSoftmax" (bitwise `rowFn`'s results).
 */
function alongDimPair(
  op: string,
  a: NDArray,
  b: NDArray,
  dim: number,
  rowFn: (a: ArrayLike<number>, b: ArrayLike<number>, start: number, n: number, out: { [i: number]: number }) => void,
  wasm?: "softmax" | "logSoftmax",
): NDArray {
  checkOperand(op, "grad", a, false);
  checkOperand(op, "output", b, false);
  if (!shapesEqual(a.shape, b.shape)) {
    throw new ShapeError(`${op}: shapes ${fmtShape(a.shape)} and ${fmtShape(b.shape)} must match`);
  }
  if (a.ndim === 0) return alongDimPair(op, a.reshape([1]), b.reshape([1]), 0, rowFn, wasm).reshape([]);
  const d = normalizeDim(op, dim, a.ndim);
  const last = a.ndim - 1;
  const ma = (d === last ? a : a.transpose(d, last)).contiguous();
  const mb = (d === last ? b : b.transpose(d, last)).contiguous();
  const n = ma.shape[last] as number;
  const rows = n === 0 ? 0 : ma.size / n;
  // Both are contiguous copies or views; index them relative to their own offsets.
  const A = ma.offset === 0 ? ma.data : ma.data.subarray(ma.offset, ma.offset + ma.size);
  const B = mb.offset === 0 ? mb.data : mb.data.subarray(mb.offset, mb.offset + mb.size);
  let out: TypedArray | null =
    wasm && A instanceof Float32Array && B instanceof Float32Array
      ? softmaxBackwardRowsWasm(A, B, rows, n, wasm === "logSoftmax", (r, o) => rowFn(A, B, r * n, n, o))
      : null;
  if (!out) {
    const buf = allocate(floatDType(promoteTypes(a.dtype, b.dtype)), ma.size);
    for (let r = 0; r < rows; r++) rowFn(A, B, r * n, n, buf);
    out = buf;
  }
  const result = new NDArray(out, ma.shape);
  return d === last ? result : result.transpose(d, last).contiguous();
}

/**
 * The vector-Jacobian product of softmax along `dim`: `y·(g − Σ g·y)` for output `y` and gradient `g`.
 * The sum is taken in float64, each result formed in float64 and rounded once; float32 inputs run on the
 * WebAssembly SIMD row kernels when enabled (see `setRowKernelBackend`), with bitwise the same results.
 *
 * @example
 * ```ts
 * const y = softmax(x, -1); softmaxBackward(g, y, -1); // dL/dx
 * ```
 */
export function softmaxBackward(g: NDArray, y: NDArray, dim = -1): NDArray {
  return alongDimPair(
    "softmaxBackward",
    g,
    y,
    dim,
    (G, Y, start, n, out) => {
      let s = 0;
      for (let j = start; j < start + n; j++) s += (G[j] as number) * (Y[j] as number);
      for (let j = start; j < start + n; j++) out[j] = (Y[j] as number) * ((G[j] as number) - s);
    },
    "softmax",
  );
}

/**
 * The vector-Jacobian product of log-softmax along `dim`: `g − exp(y)·Σ g` for output `y`, in float64
 * like {@link softmaxBackward}, and like it on the WebAssembly SIMD row kernels for float32 (bitwise).
 *
 * @example
 * ```ts
 * const y = logSoftmax(x, -1); logSoftmaxBackward(g, y, -1); // dL/dx
 * ```
 */
export function logSoftmaxBackward(g: NDArray, y: NDArray, dim = -1): NDArray {
  return alongDimPair(
    "logSoftmaxBackward",
    g,
    y,
    dim,
    (G, Y, start, n, out) => {
      let s = 0;
      for (let j = start; j < start + n; j++) s += G[j] as number;
      for (let j = start; j < start + n; j++) out[j] = (G[j] as number) - exp(Y[j] as number) * s;
    },
    "logSoftmax",
  );
}
