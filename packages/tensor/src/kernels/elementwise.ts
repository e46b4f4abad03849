import { allocate, castScalar, type DType, floatDType, isFloat, promoteTypes, type TypedArray } from "../dtype.js";
import { ArgumentError, DTypeError, fmtShape } from "../errors.js";
import { NDArray } from "../ndarray.js";
import { broadcastAll, broadcastShapes, shapesEqual } from "../shape.js";
import { stridedOffsets } from "../strided.js";
import { erf, normalCdf, normalPdf } from "./special.js";

/** An NDArray or a JS number/boolean standing for a 0-d array. */
export type ArrayLike = NDArray | number | boolean;

/** The dtype a bare JS number takes next to an array of `other` (torch's "wrapped number" rule). */
function scalarDType(value: number | boolean, other: DType): DType {
  if (typeof value === "boolean") return "bool";
  if (isFloat(other)) return other;
  return Number.isInteger(value) ? (other === "bool" ? "int32" : other) : "float32";
}

/** Wraps numbers as 0-d arrays in a dtype that promotes like torch. */
export function asArray(x: ArrayLike, like?: DType): NDArray {
  if (x instanceof NDArray) return x;
  if (typeof x !== "number" && typeof x !== "boolean") {
    throw new ArgumentError(`expected an NDArray or a number, got ${x === null ? "null" : typeof x}`);
  }
  const dtype = like ? scalarDType(x, like) : typeof x === "boolean" ? "bool" : "float32";
  const data = allocate(dtype, 1);
  data[0] = castScalar(Number(x), dtype);
  return new NDArray(data, []);
}

/** torch's dtype categories: bool < integer < floating. */
function category(dtype: DType): number {
  return dtype === "bool" ? 0 : isFloat(dtype) ? 2 : 1;
}

/** Result dtype of a binary op on two operands, numbers following torch's wrapped-number rule. */
export function resultType(a: ArrayLike, b: ArrayLike): DType {
  if (a instanceof NDArray && b instanceof NDArray) {
    // 0-d arrays do not promote a higher-dimensional operand of the same category (torch's rule).
    if (a.ndim === 0 && b.ndim > 0 && category(a.dtype) === category(b.dtype)) return b.dtype;
    if (b.ndim === 0 && a.ndim > 0 && category(a.dtype) === category(b.dtype)) return a.dtype;
    return promoteTypes(a.dtype, b.dtype);
  }
  if (a instanceof NDArray) return promoteTypes(a.dtype, scalarDType(b as number, a.dtype));
  if (b instanceof NDArray) return promoteTypes(b.dtype, scalarDType(a as number, b.dtype));
  return promoteTypes(asArray(a).dtype, asArray(b).dtype);
}

/** Applies `fn` to every element; the output is a new contiguous array of `outDtype`. */
export function mapUnary(x: NDArray, fn: (v: number) => number, outDtype: DType = x.dtype): NDArray {
  const n = x.size;
  const out = allocate(outDtype, n);
  const src = x.data;
  if (x.isContiguous()) {
    const o = x.offset;
    for (let i = 0; i < n; i++) out[i] = fn(src[o + i] as number);
  } else {
    const offs = stridedOffsets(x.shape, x.strides, x.offset);
    for (let i = 0; i < n; i++) out[i] = fn(src[offs[i] as number] as number);
  }
  return new NDArray(out, x.shape);
}

/** Outer-row offsets and inner strides of an operand viewed at the broadcast output shape. */
function rowLayout(x: NDArray, shape: readonly number[]): { rows: Int32Array; step: number } {
  const v = x.expand(shape);
  const nd = shape.length;
  if (nd === 0) return { rows: Int32Array.of(v.offset), step: 0 };
  return {
    rows: stridedOffsets(shape.slice(0, nd - 1), v.strides.slice(0, nd - 1), v.offset),
    step: v.strides[nd - 1] as number,
  };
}

/**
 * Applies `fn` elementwise over two broadcast operands into a new contiguous array.
 * Fast paths: equal contiguous shapes, and a scalar operand; otherwise rows of the last dim.
 */
export function mapBinary(
  op: string,
  a: ArrayLike,
  b: ArrayLike,
  f: (x: number, y: number) => number,
  outDtype?: DType,
): NDArray {
  const dtype = outDtype ?? resultType(a, b);
  // A bool result stores 0/1 only (true + true is true, like torch), never the raw sum.
  const fn = dtype === "bool" ? (x: number, y: number) => (f(x, y) ? 1 : 0) : f;
  const A = asArray(a, b instanceof NDArray ? b.dtype : undefined);
  const B = asArray(b, A.dtype);
  const shape = shapesEqual(A.shape, B.shape) ? A.shape.slice() : broadcastShapes(op, A.shape, B.shape);
  const n = shape.reduce((p, d) => p * d, 1);
  const out = allocate(dtype, n);
  const da = A.data;
  const db = B.data;
  const aFull = A.size === n && A.isContiguous();
  const bFull = B.size === n && B.isContiguous();
  if (aFull && bFull) {
    const oa = A.offset;
    const ob = B.offset;
    for (let i = 0; i < n; i++) out[i] = fn(da[oa + i] as number, db[ob + i] as number);
  } else if (aFull && B.size === 1) {
    const oa = A.offset;
    const y = B.item();
    for (let i = 0; i < n; i++) out[i] = fn(da[oa + i] as number, y);
  } else if (bFull && A.size === 1) {
    const ob = B.offset;
    const x = A.item();
    for (let i = 0; i < n; i++) out[i] = fn(x, db[ob + i] as number);
  } else if (n > 0) {
    const la = rowLayout(A, shape);
    const lb = rowLayout(B, shape);
    const inner = shape.length ? (shape[shape.length - 1] as number) : 1;
    const sa = la.step;
    const sb = lb.step;
    let k = 0;
    for (let r = 0; r < la.rows.length; r++) {
      let pa = la.rows[r] as number;
      let pb = lb.rows[r] as number;
      for (let j = 0; j < inner; j++, pa += sa, pb += sb) out[k++] = fn(da[pa] as number, db[pb] as number);
    }
  }
  return new NDArray(out, shape);
}

const unary =
  (fn: (v: number) => number, floatOut = true) =>
  (x: NDArray): NDArray =>
    mapUnary(x, fn, floatOut ? floatDType(x.dtype) : x.dtype);

const binary =
  (op: string, fn: (x: number, y: number) => number, float = false) =>
  (a: ArrayLike, b: ArrayLike): NDArray =>
    mapBinary(op, a, b, fn, float ? floatDType(resultType(a, b)) : undefined);

const compare =
  (op: string, fn: (x: number, y: number) => boolean) =>
  (a: ArrayLike, b: ArrayLike): NDArray =>
    mapBinary(op, a, b, (x, y) => (fn(x, y) ? 1 : 0), "bool");

// ---- binary arithmetic (broadcasting, torch dtype promotion) ----
/** `a + b` with broadcasting. @example `add(array([1, 2]), 1).toArray(); // [2, 3]` */
export const add = binary("add", (x, y) => x + y);
/** `a - b` with broadcasting. */
export const sub = binary("sub", (x, y) => x - y);
/** `a * b` with broadcasting. */
export const mul = binary("mul", (x, y) => x * y);
/** True division `a / b` (integers give float32, like torch). */
export const div = binary("div", (x, y) => x / y, true);
/** `a ** b`. */
export const pow = binary("pow", (x, y) => x ** y);
/** Elementwise maximum (NaN propagates). */
export const maximum = binary("maximum", (x, y) => (x !== x || y !== y ? Number.NaN : x > y ? x : y));
/** Elementwise minimum (NaN propagates). */
export const minimum = binary("minimum", (x, y) => (x !== x || y !== y ? Number.NaN : x < y ? x : y));
/** `atan2(a, b)`. */
export const atan2 = binary("atan2", Math.atan2, true);

// ---- comparisons (bool results) ----
/** `a == b` as bool. */
export const eq = compare("eq", (x, y) => x === y);
/** `a != b` as bool. */
export const ne = compare("ne", (x, y) => x !== y);
/** `a < b` as bool. */
export const lt = compare("lt", (x, y) => x < y);
/** `a <= b` as bool. */
export const le = compare("le", (x, y) => x <= y);
/** `a > b` as bool. */
export const gt = compare("gt", (x, y) => x > y);
/** `a >= b` as bool. */
export const ge = compare("ge", (x, y) => x >= y);
/** Logical and of truthiness, as bool. */
export const logicalAnd = compare("logicalAnd", (x, y) => x !== 0 && y !== 0);
/** Logical or of truthiness, as bool. */
export const logicalOr = compare("logicalOr", (x, y) => x !== 0 || y !== 0);

// ---- unary math ----
/** `-x`. */
export const neg = (x: NDArray): NDArray => mapUnary(x, (v) => -v, x.dtype === "bool" ? "int32" : x.dtype);
/** `|x|`. */
export const abs = (x: NDArray): NDArray => mapUnary(x, Math.abs);
/** Sign: -1, 0 or 1 (NaN stays NaN). */
export const sign = (x: NDArray): NDArray => mapUnary(x, Math.sign, x.dtype === "bool" ? "int32" : x.dtype);
/** `e^x`. */
export const exp = unary(Math.exp);
/** Natural log. */
export const log = unary(Math.log);
/** `log(1 + x)`, exact near 0. */
export const log1p = unary(Math.log1p);
/** `e^x - 1`, exact near 0. */
export const expm1 = unary(Math.expm1);
/** Square root. */
export const sqrt = unary(Math.sqrt);
/** `1 / sqrt(x)`. */
export const rsqrt = unary((v) => 1 / Math.sqrt(v));
/** `1 / x`. */
export const reciprocal = unary((v) => 1 / v);
/** `x²`. */
export const square = (x: NDArray): NDArray => mapUnary(x, (v) => v * v, x.dtype === "bool" ? "int32" : x.dtype);
export const sin = unary(Math.sin);
export const cos = unary(Math.cos);
export const tanh = unary(Math.tanh);
export const floor = (x: NDArray): NDArray => mapUnary(x, Math.floor);
export const ceil = (x: NDArray): NDArray => mapUnary(x, Math.ceil);
/** Round half to even, like torch.round. */
export const round = (x: NDArray): NDArray =>
  mapUnary(x, (v) => {
    const r = Math.round(v);
    return Math.abs(v % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
  });
/** Logistic sigmoid `1 / (1 + e^-x)`, stable for large |x|. */
export const sigmoid = unary((v) => (v >= 0 ? 1 / (1 + Math.exp(-v)) : Math.exp(v) / (1 + Math.exp(v))));
/** `max(x, 0)` (keeps the dtype; NaN propagates). */
export const relu = (x: NDArray): NDArray => mapUnary(x, (v) => (v > 0 || v !== v ? v : 0));
/** Exact GELU `x·Φ(x)` (torch's default), or the tanh approximation. */
export function gelu(x: NDArray, approximate: "none" | "tanh" = "none"): NDArray {
  if (approximate === "tanh") {
    const c = Math.sqrt(2 / Math.PI);
    return mapUnary(x, (v) => 0.5 * v * (1 + Math.tanh(c * (v + 0.044715 * v * v * v))), floatDType(x.dtype));
  }
  return mapUnary(x, (v) => v * normalCdf(v), floatDType(x.dtype));
}
/** Derivative of exact GELU: Φ(x) + x·φ(x). */
export const geluGrad = unary((v) => normalCdf(v) + v * normalPdf(v));
/** SiLU / swish `x·sigmoid(x)`. */
export const silu = unary((v) => v / (1 + Math.exp(-v)));
/** Softplus `log(1 + e^{βx})/β`, linear above `threshold` like torch. */
export function softplus(x: NDArray, beta = 1, threshold = 20): NDArray {
  return mapUnary(
    x,
    (v) => (v * beta > threshold ? v : Math.max(v * beta, 0) / beta + Math.log1p(Math.exp(-Math.abs(v * beta))) / beta),
    floatDType(x.dtype),
  );
}
/** erf. */
export const erfArray = unary(erf);
/** `x` is NaN, as bool. */
export const isnan = (x: NDArray): NDArray => mapUnary(x, (v) => (v !== v ? 1 : 0), "bool");
/** `x` is finite, as bool. */
export const isfinite = (x: NDArray): NDArray => mapUnary(x, (v) => (Number.isFinite(v) ? 1 : 0), "bool");
/** Logical not, as bool. */
export const logicalNot = (x: NDArray): NDArray => mapUnary(x, (v) => (v === 0 ? 1 : 0), "bool");

/**
 * Clamps into [min, max] (either bound may be omitted). NaN stays NaN.
 *
 * @example
 * ```ts
 * clamp(array([-2, 0.5, 3]), 0, 1).toArray(); // [0, 0.5, 1]
 * ```
 */
export function clamp(x: NDArray, min?: number, max?: number): NDArray {
  if (min === undefined && max === undefined)
    throw new ArgumentError("clamp: at least one of min or max must be given");
  const lo = min ?? -Infinity;
  const hi = max ?? Infinity;
  // Non-integer bounds promote integer input to float32 (torch's result_type of x and the bounds).
  const fractional = [min, max].some((b) => b !== undefined && !Number.isInteger(b));
  const dtype = !isFloat(x.dtype) && fractional ? "float32" : x.dtype === "bool" ? "int32" : x.dtype;
  return mapUnary(x, (v) => (v < lo ? lo : v > hi ? hi : v), dtype);
}

/**
 * Picks `a` where `cond` is true and `b` elsewhere, broadcasting all three.
 *
 * @example
 * ```ts
 * where(array([true, false]), 1, 2).toArray(); // [1, 2]
 * ```
 */
export function where(cond: NDArray, a: ArrayLike, b: ArrayLike): NDArray {
  if (!(cond instanceof NDArray)) throw new ArgumentError("where: cond must be an NDArray");
  if (cond.dtype !== "bool")
    throw new DTypeError(`where: cond must be bool, got ${cond.dtype} of shape ${fmtShape(cond.shape)}`);
  const dtype = resultType(a, b);
  const A = asArray(a, b instanceof NDArray ? b.dtype : undefined);
  const B = asArray(b, A.dtype);
  const shape = broadcastAll("where", [cond.shape, A.shape, B.shape]);
  const n = shape.reduce((p, d) => p * d, 1);
  const out = allocate(dtype, n);
  const oc = stridedOffsets(shape, cond.expand(shape).strides, cond.offset);
  const oa = stridedOffsets(shape, A.expand(shape).strides, A.offset);
  const ob = stridedOffsets(shape, B.expand(shape).strides, B.offset);
  const dc = cond.data;
  const da = A.data;
  const db = B.data;
  for (let i = 0; i < n; i++)
    out[i] = dc[oc[i] as number] ? (da[oa[i] as number] as number) : (db[ob[i] as number] as number);
  return new NDArray(out, shape);
}

/** Writes `src` into `dst` in place (broadcasting src, casting to dst's dtype). */
export function assign(dst: NDArray, src: ArrayLike): void {
  const S = asArray(src, dst.dtype).expand(dst.shape);
  const od = stridedOffsets(dst.shape, dst.strides, dst.offset);
  const os = stridedOffsets(S.shape, S.strides, S.offset);
  const d: TypedArray = dst.data;
  const s = S.data;
  for (let i = 0; i < od.length; i++) d[od[i] as number] = s[os[i] as number] as number;
}
