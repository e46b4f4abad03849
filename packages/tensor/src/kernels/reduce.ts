import { allocate, checkDType, type DType, floatDType } from "../dtype.js";
import { ArgumentError, describeValue, fmtShape, ShapeError } from "../errors.js";
import { NDArray } from "../ndarray.js";
import { checkShape, normalizeDim, normalizeDims } from "../shape.js";
import { checkOperand } from "./elementwise.js";
import { exp } from "./fastmath.js";

/** Which dims to reduce: one, several, or all (undefined). */
export type Dims = number | readonly number[] | undefined;

/**
 * Lays `x` out as `outer` rows of `inner` contiguous elements, where a row holds every element that
 * reduces to one output. Copies only when the reduced dims are not already trailing and contiguous.
 */
function rowsOf(op: string, x: NDArray, dim: Dims, keepdim: boolean) {
  const dims = normalizeDims(op, dim, x.ndim);
  const reduced = new Set(dims);
  const kept = x.shape.map((_, i) => i).filter((i) => !reduced.has(i));
  const outShape = keepdim ? x.shape.map((d, i) => (reduced.has(i) ? 1 : d)) : kept.map((i) => x.shape[i] as number);
  const inner = dims.reduce((p, d) => p * (x.shape[d] as number), 1);
  const outer = kept.reduce((p, d) => p * (x.shape[d] as number), 1);
  const moved = x.permute([...kept, ...dims]).contiguous();
  return { data: moved.data, base: moved.offset, inner, outer, outShape, dims };
}

/** True when `dims` are exactly the leading dims of a contiguous `x` (e.g. summing a batch). */
function isLeadingReduction(x: NDArray, dims: readonly number[]): boolean {
  return x.isContiguous() && dims.length > 0 && dims.length < x.ndim && dims.every((d, i) => d === i);
}

/**
 * Sum over `dim` (all dims when omitted), with `keepdim` like torch. Accumulates in float64.
 *
 * @example
 * ```ts
 * sum(array([[1, 2], [3, 4]]), 0).toArray(); // [4, 6]
 * ```
 */
export function sum(x: NDArray, dim?: Dims, keepdim = false, dtype?: DType): NDArray {
  checkOperand("sum", "input", x, false);
  const outDtype = dtype === undefined ? (x.dtype === "bool" ? "int32" : x.dtype) : checkDType("sum", dtype);
  const dims = normalizeDims("sum", dim, x.ndim);
  if (isLeadingReduction(x, dims)) {
    // Column sums without a transposing copy: the common bias-gradient case.
    const rows = dims.reduce((p, d) => p * (x.shape[d] as number), 1);
    const cols = x.shape.slice(dims.length).reduce((p, d) => p * d, 1);
    const acc = new Float64Array(cols);
    const src = x.data;
    // Four rows per sweep: a quarter of the loads and stores of the accumulator row.
    let r = 0;
    for (let p = x.offset; r + 4 <= rows; r += 4, p += 4 * cols) {
      for (let c = 0, q = p; c < cols; c++, q++) {
        acc[c] =
          (acc[c] as number) +
          (src[q] as number) +
          (src[q + cols] as number) +
          (src[q + 2 * cols] as number) +
          (src[q + 3 * cols] as number);
      }
    }
    for (let p = x.offset + r * cols; r < rows; r++)
      for (let c = 0; c < cols; c++) acc[c] = (acc[c] as number) + (src[p++] as number);
    const out = allocate(outDtype, cols);
    out.set(acc);
    const shape = keepdim ? x.shape.map((d, i) => (i < dims.length ? 1 : d)) : x.shape.slice(dims.length);
    return new NDArray(out, shape);
  }
  const { data, base, inner, outer, outShape } = rowsOf("sum", x, dims, keepdim);
  const out = allocate(outDtype, outer);
  for (let r = 0; r < outer; r++) {
    let s = 0;
    const start = base + r * inner;
    for (let j = 0; j < inner; j++) s += data[start + j] as number;
    out[r] = s;
  }
  return new NDArray(out, outShape);
}

/** Mean over `dim` (all when omitted); integer input gives float32. @example `mean(array([1, 2])).item(); // 1.5` */
export function mean(x: NDArray, dim?: Dims, keepdim = false): NDArray {
  checkOperand("mean", "input", x, false);
  const dims = normalizeDims("mean", dim, x.ndim);
  const count = dims.reduce((p, d) => p * (x.shape[d] as number), 1);
  const s = sum(x, dims, keepdim, floatDType(x.dtype));
  const out = s.data;
  for (let i = 0; i < out.length; i++) out[i] = (out[i] as number) / count;
  return s;
}

/** The variance's `correction` from `{ correction, unbiased }`, validated: a finite number >= 0. */
export function varianceCorrection(op: string, opts: { correction?: number; unbiased?: boolean }): number {
  if (opts === null || typeof opts !== "object") {
    throw new ArgumentError(
      `${op}: options must be an object { correction?, unbiased?, keepdim? }, got ${describeValue(opts)}`,
    );
  }
  const { correction, unbiased } = opts;
  if (unbiased !== undefined && typeof unbiased !== "boolean") {
    throw new ArgumentError(`${op}: unbiased must be a boolean, got ${describeValue(unbiased)}`);
  }
  if (correction !== undefined && (typeof correction !== "number" || !Number.isFinite(correction) || correction < 0)) {
    throw new ArgumentError(`${op}: correction must be a finite number >= 0, got ${describeValue(correction)}`);
  }
  return correction ?? (unbiased === false ? 0 : 1);
}

/**
 * Variance over `dim` with Bessel's correction by default (`correction = 1`, torch's `unbiased=True`).
 *
 * @example
 * ```ts
 * variance(array([1, 2, 3, 4])).item(); // 1.6667
 * ```
 */
export function variance(
  x: NDArray,
  dim?: Dims,
  opts: { correction?: number; unbiased?: boolean; keepdim?: boolean } = {},
): NDArray {
  checkOperand("var", "input", x, false);
  const correction = varianceCorrection("var", opts);
  const { data, base, inner, outer, outShape } = rowsOf("var", x, dim, opts.keepdim ?? false);
  const out = allocate(floatDType(x.dtype), outer);
  const denom = Math.max(0, inner - correction);
  for (let r = 0; r < outer; r++) {
    const start = base + r * inner;
    let m = 0;
    for (let j = 0; j < inner; j++) m += data[start + j] as number;
    m /= inner;
    let ss = 0;
    for (let j = 0; j < inner; j++) {
      const d = (data[start + j] as number) - m;
      ss += d * d;
    }
    out[r] = ss / denom;
  }
  return new NDArray(out, outShape);
}

function extreme(
  op: string,
  x: NDArray,
  dim: Dims,
  keepdim: boolean,
  better: (a: number, b: number) => boolean,
): NDArray {
  checkOperand(op, "input", x, false);
  const { data, base, inner, outer, outShape } = rowsOf(op, x, dim, keepdim);
  if (inner === 0) throw new ShapeError(`${op}: cannot reduce an empty dim of shape ${fmtShape(x.shape)}`);
  const out = allocate(x.dtype, outer);
  for (let r = 0; r < outer; r++) {
    const start = base + r * inner;
    let best = data[start] as number;
    for (let j = 1; j < inner && best === best; j++) {
      const v = data[start + j] as number;
      if (v !== v || better(v, best)) best = v;
    }
    out[r] = best;
  }
  return new NDArray(out, outShape);
}

/** Maximum over `dim` (all when omitted); NaN propagates. @example `max(array([1, 5, 2])).item(); // 5` */
export function max(x: NDArray, dim?: Dims, keepdim = false): NDArray {
  return extreme("max", x, dim, keepdim, (a, b) => a > b);
}

/** Minimum over `dim` (all when omitted); NaN propagates. */
export function min(x: NDArray, dim?: Dims, keepdim = false): NDArray {
  return extreme("min", x, dim, keepdim, (a, b) => a < b);
}

function argExtreme(
  op: string,
  x: NDArray,
  dim: number | undefined,
  keepdim: boolean,
  better: (a: number, b: number) => boolean,
): NDArray {
  checkOperand(op, "input", x, false);
  if (dim === undefined) {
    const flat = argExtreme(op, x.reshape([-1]), 0, false, better);
    return keepdim ? flat.reshape(x.shape.map(() => 1)) : flat;
  }
  if (typeof dim !== "number")
    throw new ArgumentError(`${op}: dim must be a single number, got ${JSON.stringify(dim)}`);
  const d = normalizeDim(op, dim, x.ndim);
  const { data, base, inner, outer, outShape } = rowsOf(op, x, x.ndim === 0 ? undefined : d, keepdim);
  if (inner === 0) throw new ShapeError(`${op}: cannot reduce an empty dim of shape ${fmtShape(x.shape)}`);
  const out = new Int32Array(outer);
  for (let r = 0; r < outer; r++) {
    const start = base + r * inner;
    let best = data[start] as number;
    let at = 0;
    for (let j = 1; j < inner && best === best; j++) {
      const v = data[start + j] as number;
      if (v !== v || better(v, best)) {
        best = v;
        at = j;
      }
    }
    out[r] = at;
  }
  return new NDArray(out, outShape);
}

/** Index of the maximum along `dim` (of the flattened array when omitted), int32; first wins on ties. */
export function argmax(x: NDArray, dim?: number, keepdim = false): NDArray {
  return argExtreme("argmax", x, dim, keepdim, (a, b) => a > b);
}

/** Index of the minimum along `dim` (of the flattened array when omitted), int32. */
export function argmin(x: NDArray, dim?: number, keepdim = false): NDArray {
  return argExtreme("argmin", x, dim, keepdim, (a, b) => a < b);
}

/**
 * `log Σ exp(x)` over `dim`, computed stably as `m + log Σ exp(x − m)` with `m` the row maximum.
 *
 * @example
 * ```ts
 * logsumexp(array([1000, 1000]), 0).item(); // 1000.6931 (no overflow)
 * ```
 */
export function logsumexp(x: NDArray, dim?: Dims, keepdim = false): NDArray {
  checkOperand("logsumexp", "input", x, false);
  const { data, base, inner, outer, outShape } = rowsOf("logsumexp", x, dim, keepdim);
  const out = allocate(floatDType(x.dtype), outer);
  for (let r = 0; r < outer; r++) {
    const start = base + r * inner;
    let m = -Infinity;
    for (let j = 0; j < inner; j++) {
      const v = data[start + j] as number;
      if (v > m || v !== v) m = v;
    }
    if (m === -Infinity || m === Infinity || m !== m) {
      out[r] = m;
      continue;
    }
    let s = 0;
    for (let j = 0; j < inner; j++) s += exp((data[start + j] as number) - m);
    out[r] = m + Math.log(s);
  }
  return new NDArray(out, outShape);
}

/**
 * Sums a (broadcast) array down to `shape`: the inverse of broadcasting, used for gradients.
 *
 * @example
 * ```ts
 * sumToShape(ones([4, 3]), [1, 3]).toArray(); // [[4, 4, 4]]
 * ```
 */
export function sumToShape(x: NDArray, shape: readonly number[]): NDArray {
  checkOperand("sumToShape", "input", x, false);
  checkShape("sumToShape", shape);
  if (x.ndim < shape.length) {
    throw new ShapeError(
      `sumToShape: cannot reduce shape ${fmtShape(x.shape)} to the larger rank shape ${fmtShape(shape)}`,
    );
  }
  const lead = x.ndim - shape.length;
  const dims: number[] = [];
  for (let i = 0; i < x.ndim; i++) {
    if (i < lead) dims.push(i);
    else {
      const want = shape[i - lead] as number;
      const have = x.shape[i] as number;
      if (want === 1 && have !== 1) dims.push(i);
      else if (want !== have) {
        throw new ShapeError(
          `sumToShape: shape ${fmtShape(x.shape)} does not broadcast from ${fmtShape(shape)} (dim ${i}: ${have} vs ${want})`,
        );
      }
    }
  }
  if (dims.length === 0) return x;
  return sum(x, dims, true).reshape(shape);
}
