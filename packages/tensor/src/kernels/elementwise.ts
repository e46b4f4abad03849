import { outputFloat32 } from "../buffer-pool.js";
import { allocate, castScalar, type DType, floatDType, isFloat, promoteTypes, type TypedArray } from "../dtype.js";
import { ArgumentError, DTypeError, describeValue, fmtShape, ShapeError } from "../errors.js";
import { NDArray } from "../ndarray.js";
import { broadcastAll, broadcastShapes, shapeSize, shapesEqual } from "../shape.js";
import { stridedOffsets } from "../strided.js";
import { type BinaryOp, binaryWasm, type Pattern, pickBinaryKernels } from "../wasm/binary.js";
import { geluBackwardWasm, type UnaryOp, unaryWasm } from "../wasm/unary.js";
import { type BinaryFn, binaryLoop, HELPERS, type Rows, type UnaryFn, unaryLoop } from "./loops.js";

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
    throw new ArgumentError(`asArray: expected an NDArray or a number, got ${describeValue(x)}`);
  }
  const dtype = like ? scalarDType(x, like) : typeof x === "boolean" ? "bool" : "float32";
  const data = allocate(dtype, 1);
  data[0] = castScalar(Number(x), dtype);
  return new NDArray(data, []);
}

/** Throws unless `x` is an NDArray (or, with `scalars`, a number or boolean), naming `op` and the argument. */
export function checkOperand(op: string, name: string, x: unknown, scalars = true): void {
  if (x instanceof NDArray || (scalars && (typeof x === "number" || typeof x === "boolean"))) return;
  throw new ArgumentError(
    `${op}: ${name} must be an NDArray${scalars ? " or a number" : ""}, got ${describeValue(x)}${
      x !== null && typeof x === "object" && (x as object).constructor?.name === "Tensor"
        ? " (pass tensor.data, or use the Tensor method)"
        : ""
    }`,
  );
}

/** torch's dtype categories: bool < integer < floating. */
function category(dtype: DType): number {
  return dtype === "bool" ? 0 : isFloat(dtype) ? 2 : 1;
}

/** Result dtype of a binary op on two operands, numbers following torch's wrapped-number rule. */
export function resultType(a: ArrayLike, b: ArrayLike, op = "resultType"): DType {
  checkOperand(op, "input", a);
  checkOperand(op, "other", b);
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

/**
 * Merges adjacent dims that every operand walks contiguously, then lays each operand out as rows of
 * the last merged dim: the outer index math runs once per row, the inner loop is a plain stride.
 */
function layout(shape: readonly number[], operands: readonly NDArray[]): { inner: number; rows: Rows[] } {
  const views = operands.map((x) => (shapesEqual(x.shape, shape) ? x : x.expand(shape)));
  const dims: number[] = [];
  const strides: number[][] = views.map(() => []);
  for (let d = 0; d < shape.length; d++) {
    const size = shape[d] as number;
    if (size === 1) continue;
    const last = dims.length - 1;
    if (last >= 0 && views.every((v, i) => (strides[i]![last] as number) === (v.strides[d] as number) * size)) {
      dims[last] = (dims[last] as number) * size;
      views.forEach((v, i) => {
        strides[i]![last] = v.strides[d] as number;
      });
    } else {
      dims.push(size);
      views.forEach((v, i) => strides[i]!.push(v.strides[d] as number));
    }
  }
  if (dims.length === 0) return { inner: 1, rows: views.map((v) => ({ rows: [v.offset], step: 0 })) };
  const outer = dims.slice(0, -1);
  return {
    inner: dims[dims.length - 1] as number,
    rows: views.map((v, i) => {
      const st = strides[i]!;
      return {
        rows: outer.length === 0 ? [v.offset] : stridedOffsets(outer, st.slice(0, -1), v.offset),
        step: st[st.length - 1] as number,
      };
    }),
  };
}

/**
 * Applies a unary op to every element into a new contiguous array of `outDtype`. `p0`/`p1` are
 * scalar parameters the op may read (clamp bounds, softplus beta).
 */
export function mapUnary(x: NDArray, fn: UnaryFn, outDtype: DType = x?.dtype, p0 = 0, p1 = 0): NDArray {
  checkOperand("mapUnary", "input", x, false);
  const n = x.size;
  const out = allocate(outDtype, n);
  if (n > 0) {
    const loop = unaryLoop(fn, outDtype === "bool");
    if (x.isContiguous()) loop(out, x.data, [x.offset], 1, n, p0, p1, HELPERS);
    else {
      const { inner, rows } = layout(x.shape, [x]);
      loop(out, x.data, rows[0]!.rows, rows[0]!.step, inner, p0, p1, HELPERS);
    }
  }
  return new NDArray(out, x.shape);
}

/**
 * Applies a binary op elementwise over two broadcast operands into a new contiguous array.
 * A bool result stores 0/1 only (true + true is true, like torch).
 */
export function mapBinary(op: string, a: ArrayLike, b: ArrayLike, fn: BinaryFn, outDtype?: DType): NDArray {
  const dtype = resultType(a, b, op);
  const out0 = outDtype ?? dtype;
  const A = asArray(a, b instanceof NDArray ? b.dtype : undefined);
  const B = asArray(b, A.dtype);
  const shape = shapesEqual(A.shape, B.shape) ? A.shape.slice() : broadcastShapes(op, A.shape, B.shape);
  const n = shapeSize(shape);
  const out = allocate(out0, n);
  if (n === 0) return new NDArray(out, shape);
  const loop = binaryLoop(fn, out0 === "bool");
  const flatA = A.size === n && A.isContiguous();
  const flatB = B.size === n && B.isContiguous();
  if ((flatA || A.size === 1) && (flatB || B.size === 1)) {
    // One row over everything; a single-element operand is read with step 0.
    const oa = A.size === 1 && !flatA ? firstOffset(A) : A.offset;
    const ob = B.size === 1 && !flatB ? firstOffset(B) : B.offset;
    loop(out, A.data, [oa], flatA ? 1 : 0, B.data, [ob], flatB ? 1 : 0, n, HELPERS);
  } else {
    const { inner, rows } = layout(shape, [A, B]);
    loop(out, A.data, rows[0]!.rows, rows[0]!.step, B.data, rows[1]!.rows, rows[1]!.step, inner, HELPERS);
  }
  return new NDArray(out, shape);
}

/**
 * `dst += src` in place (src broadcasts to dst's shape); dst must be contiguous.
 *
 * @example
 * ```ts
 * const acc = zeros([2]); addInPlace(acc, array([1, 2])); acc.toArray(); // [1, 2]
 * ```
 */
export function addInPlace(dst: NDArray, src: NDArray): void {
  checkOperand("addInPlace", "destination", dst, false);
  checkOperand("addInPlace", "source", src, false);
  checkBroadcastsTo("addInPlace", src, dst.shape);
  if (!dst.isContiguous())
    throw new ArgumentError(`addInPlace: destination of shape ${fmtShape(dst.shape)} must be contiguous`);
  const n = dst.size;
  if (n === 0) return;
  if (dst.dtype === "float32" && src.dtype === "float32" && pickBinaryKernels(n)) {
    const pattern = patternOf(src, dst.shape);
    const data = dst.data as Float32Array;
    if (
      pattern &&
      !overlaps(data, dst.offset, n, pattern) &&
      binaryWasm("add", data, dst.offset, pattern, false, n, data, dst.offset)
    )
      return;
  }
  const loop = binaryLoop(ADD, dst.dtype === "bool");
  const out = dst.data.subarray(dst.offset, dst.offset + n);
  const { inner, rows } = layout(dst.shape, [dst, src]);
  loop(out, dst.data, rows[0]!.rows, rows[0]!.step, src.data, rows[1]!.rows, rows[1]!.step, inner, HELPERS);
}

const ADD: BinaryFn = (x, y) => x + y;

/**
 * True when the pattern operand's storage overlaps the destination `data[offset, offset + n)` other
 * than as the very same elements in the same order (`x += x`): the chunked wasm kernel reads a whole
 * chunk before writing it, the loop one element at a time, so only then do they agree.
 */
function overlaps(data: Float32Array, offset: number, n: number, p: Pattern): boolean {
  if (p.data.buffer !== data.buffer) return false;
  const d0 = data.byteOffset + offset * 4;
  const s0 = p.data.byteOffset + p.offset * 4;
  if (s0 === d0 && p.m === n) return false;
  return s0 < d0 + n * 4 && d0 < s0 + p.m * 4;
}

/**
 * How `x`, broadcast to `shape`, is read along the flat output index i: `x.data[x.offset + floor(i /
 * inner) % m]` (see Pattern in wasm/binary.ts), or null when its layout is not of that form. It is
 * when the dims x really has (neither missing, of size 1, nor expanded with stride 0) form one
 * row-major contiguous block: all of them (a full operand, m = n), the trailing dims (a row
 * broadcast, inner = 1), the leading ones (one value per row), a middle run (a per-channel value), or
 * none (a scalar, m = 1).
 */
function patternOf(x: NDArray, shape: readonly number[]): Pattern | null {
  const lead = shape.length - x.ndim;
  let inner = 1;
  let m = 1;
  let d = shape.length - 1;
  for (; d >= 0 && (shape[d] === 1 || isBroadcast(x, d - lead)); d--) inner *= shape[d] as number;
  for (; d >= 0 && (shape[d] === 1 || (!isBroadcast(x, d - lead) && x.strides[d - lead] === m)); d--) {
    m *= shape[d] as number;
  }
  for (; d >= 0; d--) if (shape[d] !== 1 && !isBroadcast(x, d - lead)) return null;
  return { data: x.data as Float32Array, offset: x.offset, m, inner };
}

/** Whether dim `d` of `x` (negative: a missing leading dim) is broadcast: absent, of size 1 or stride 0. */
function isBroadcast(x: NDArray, d: number): boolean {
  return d < 0 || x.shape[d] === 1 || x.strides[d] === 0;
}

/**
 * `kernel(A, B)` on the WebAssembly SIMD path for float32 `A` and `B` (see wasm/binary.ts) when one
 * of them covers the broadcast shape contiguously and the other follows a broadcast pattern; null
 * when the TypeScript loops should run (layout, size, backend, memory).
 */
function simdPair(op: string, kernel: BinaryOp, A: NDArray, B: NDArray): NDArray | null {
  // The full operand, if any, is the larger one: small or "js" calls return before any shape work.
  const n = Math.max(A.size, B.size);
  if (!pickBinaryKernels(n)) return null;
  const shape = shapesEqual(A.shape, B.shape) ? A.shape.slice() : broadcastShapes(op, A.shape, B.shape);
  if (shapeSize(shape) !== n) return null;
  const pa = patternOf(A, shape);
  const pb = patternOf(B, shape);
  if (!pa || !pb) return null;
  const aFull = pa.m === n;
  if (!aFull && pb.m !== n) return null;
  const full = aFull ? pa : pb;
  const out = outputFloat32(n);
  return binaryWasm(kernel, full.data, full.offset, aFull ? pb : pa, !aFull, n, out, 0)
    ? new NDArray(out, shape)
    : null;
}

/**
 * `kernel(a, b)` on the WebAssembly SIMD path when both are float32 arrays, or one is and the other a
 * JS number (which then stands for its float32 value, as in the loops); else null.
 */
function simdBinary(op: string, kernel: BinaryOp, a: ArrayLike, b: ArrayLike): NDArray | null {
  const A = a instanceof NDArray ? a : null;
  const B = b instanceof NDArray ? b : null;
  if (A ? A.dtype !== "float32" : typeof a !== "number" || !B) return null;
  if (B ? B.dtype !== "float32" : typeof b !== "number") return null;
  // Small calls (the common tiny-op case) leave before wrapping a number as an array.
  if (!pickBinaryKernels(Math.max(A ? A.size : 1, B ? B.size : 1))) return null;
  return simdPair(op, kernel, A ?? asArray(a, "float32"), B ?? asArray(b, "float32"));
}

/** Throws unless `src` broadcasts to exactly `shape` (in-place ops cannot grow their destination). */
function checkBroadcastsTo(op: string, src: NDArray, shape: readonly number[]): void {
  let ok = src.ndim <= shape.length;
  for (let i = 1; ok && i <= src.ndim; i++) {
    const d = src.shape[src.ndim - i] as number;
    if (d !== 1 && d !== shape[shape.length - i]) ok = false;
  }
  if (!ok) {
    throw new ShapeError(
      `${op}: source of shape ${fmtShape(src.shape)} does not broadcast to the destination's shape ${fmtShape(shape)}`,
    );
  }
}

/** Memory offset of the only element of a one-element array. */
function firstOffset(x: NDArray): number {
  return x.offset;
}

const floatUnary =
  (op: string, f64: UnaryFn, f32: UnaryFn = f64) =>
  (x: NDArray): NDArray => {
    checkOperand(op, "input", x, false);
    return mapUnary(x, x.dtype === "float64" ? f64 : f32, floatDType(x.dtype));
  };

/** `kernel` on the WebAssembly SIMD path (src/wasm/unary.ts) for contiguous float32 `x`, else null. */
function simdFloat32(kernel: UnaryOp, x: NDArray): NDArray | null {
  if (x.dtype !== "float32" || !x.isContiguous()) return null;
  const out = unaryWasm(kernel, x.data as Float32Array, x.offset, x.size);
  return out && new NDArray(out, x.shape);
}

/** A `floatUnary` op whose contiguous float32 input may take the SIMD `kernel` (see setUnaryKernelBackend). */
const simdUnary = (op: string, kernel: UnaryOp, f64: UnaryFn, f32: UnaryFn) => {
  const loops = floatUnary(op, f64, f32);
  return (x: NDArray): NDArray => {
    checkOperand(op, "input", x, false);
    return simdFloat32(kernel, x) ?? loops(x);
  };
};

/** A unary op whose result dtype is `dtypeOf(input dtype)` (the input's own by default). */
const unary =
  (op: string, fn: UnaryFn, dtypeOf: (d: DType) => DType = (d) => d) =>
  (x: NDArray): NDArray => {
    checkOperand(op, "input", x, false);
    return mapUnary(x, fn, dtypeOf(x.dtype));
  };

const boolToInt = (d: DType): DType => (d === "bool" ? "int32" : d);

const binary =
  (op: string, fn: BinaryFn, float = false) =>
  (a: ArrayLike, b: ArrayLike): NDArray =>
    mapBinary(op, a, b, fn, float ? floatDType(resultType(a, b, op)) : undefined);

const compare =
  (op: string, fn: BinaryFn) =>
  (a: ArrayLike, b: ArrayLike): NDArray =>
    mapBinary(op, a, b, fn, "bool");

/**
 * A `binary` op whose float32 operands may take the SIMD `kernel` (see setUnaryKernelBackend): same
 * shape, a scalar on either side, or a row, column or per-channel broadcast of a contiguous operand.
 * The kernels round exactly as the loops do, so the result is bitwise the same either way.
 */
const simdArith = (op: string, kernel: BinaryOp, fn: BinaryFn, float = false) => {
  const loops = binary(op, fn, float);
  return (a: ArrayLike, b: ArrayLike): NDArray => simdBinary(op, kernel, a, b) ?? loops(a, b);
};

// ---- binary arithmetic (broadcasting, torch dtype promotion) ----
/** `a + b` with broadcasting. @example `add(array([1, 2]), 1).toArray(); // [2, 3]` */
export const add = simdArith("add", "add", ADD);
/** `a - b` with broadcasting. */
export const sub = simdArith("sub", "sub", (x, y) => x - y);
/** `a * b` with broadcasting. */
export const mul = simdArith("mul", "mul", (x, y) => x * y);
/** True division `a / b` (integers give float32, like torch). */
export const div = simdArith("div", "div", (x, y) => x / y, true);
/** `a ** b`. */
export const pow = binary("pow", (x, y) => x ** y);
/** Elementwise maximum (NaN propagates). */
export const maximum = binary("maximum", (x, y) => (x !== x || y !== y ? Number.NaN : x > y ? x : y));
/** Elementwise minimum (NaN propagates). */
export const minimum = binary("minimum", (x, y) => (x !== x || y !== y ? Number.NaN : x < y ? x : y));
/** `atan2(a, b)`. */
export const atan2 = binary("atan2", (x, y) => Math.atan2(x, y), true);

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
export const neg = unary("neg", (v) => -v, boolToInt);
/** `|x|`. */
export const abs = unary("abs", (v) => Math.abs(v));
/** Sign: -1, 0 or 1 (NaN stays NaN). */
export const sign = unary("sign", (v) => Math.sign(v), boolToInt);
/** `e^x`. */
export const exp = simdUnary(
  "exp",
  "exp",
  (v, _p0, _p1, M) => M.exp(v),
  (v, _p0, _p1, M) => M.exp32(v),
);
/** Natural log. */
export const log = floatUnary("log", (v) => Math.log(v));
/** `log(1 + x)`, exact near 0. */
export const log1p = floatUnary("log1p", (v) => Math.log1p(v));
/** `e^x - 1`, exact near 0. */
export const expm1 = floatUnary("expm1", (v) => Math.expm1(v));
/** Square root. */
export const sqrt = floatUnary("sqrt", (v) => Math.sqrt(v));
/** `1 / sqrt(x)`. */
export const rsqrt = floatUnary("rsqrt", (v) => 1 / Math.sqrt(v));
/** `1 / x`. */
export const reciprocal = floatUnary("reciprocal", (v) => 1 / v);
/** `x²`. */
export const square = unary("square", (v) => v * v, boolToInt);
export const sin = floatUnary("sin", (v) => Math.sin(v));
export const cos = floatUnary("cos", (v) => Math.cos(v));
/** Hyperbolic tangent. */
export const tanh = simdUnary(
  "tanh",
  "tanh",
  (v, _p0, _p1, M) => M.tanh(v),
  (v, _p0, _p1, M) => M.tanh32(v),
);
export const floor = unary("floor", (v) => Math.floor(v));
export const ceil = unary("ceil", (v) => Math.ceil(v));
/** Round half to even, like torch.round. */
export const round = unary("round", (v) =>
  Math.abs(v % 1) === 0.5 && Math.round(v) % 2 !== 0 ? Math.round(v) - 1 : Math.round(v),
);
/** Logistic sigmoid `1 / (1 + e^-x)`, stable for large |x|. */
export const sigmoid = simdUnary(
  "sigmoid",
  "sigmoid",
  (v, _p0, _p1, M) => M.sigmoid(v),
  (v, _p0, _p1, M) => M.sigmoid32(v),
);
// Branch-free on the sign (a data-dependent branch mispredicts on half of random inputs: ~5× slower):
// v·[v > 0] + 0 is v or +0 and keeps NaN; only −∞ (−∞·0 = NaN) needs the rare, predictable test.
const reluGeneric = unary("relu", (v) => (v === -Infinity ? 0 : v * +(v > 0) + 0));
/**
 * `max(x, 0)` (keeps the dtype; NaN propagates). Contiguous float32 input works on the bit patterns.
 *
 * @example
 * ```ts
 * relu(array([-1, 2])).toArray(); // [0, 2]
 * ```
 */
export function relu(x: NDArray): NDArray {
  checkOperand("relu", "input", x, false);
  if (x.dtype !== "float32" || !x.isContiguous() || x.size === 0) return reluGeneric(x);
  const out = new Float32Array(x.size);
  reluBits(new Int32Array(out.buffer), floatBits(x), floatBits(x));
  return new NDArray(out, x.shape);
}

/**
 * The gradient of relu for upstream `g`: `g` where `x > 0` or x is NaN, 0 where `x ≤ 0` (torch's
 * `threshold_backward`: `x <= 0 ? 0 : g`). Same shapes required.
 *
 * @example
 * ```ts
 * reluBackward(array([5, 6]), array([-1, 2])).toArray(); // [0, 6]
 * ```
 */
export function reluBackward(g: NDArray, x: NDArray): NDArray {
  checkOperand("reluBackward", "gradient", g, false);
  checkOperand("reluBackward", "input", x, false);
  if (!shapesEqual(g.shape, x.shape)) {
    throw new ShapeError(
      `reluBackward: gradient of shape ${fmtShape(g.shape)} must match the input's shape ${fmtShape(x.shape)}`,
    );
  }
  if (g.dtype === "float32" && x.dtype === "float32" && g.isContiguous() && x.isContiguous() && g.size > 0) {
    const out = new Float32Array(g.size);
    reluBits(new Int32Array(out.buffer), floatBits(g), floatBits(x));
    return new NDArray(out, g.shape);
  }
  // g·[x > 0 or NaN] without a data-dependent branch; when that is NaN (g NaN or ±∞ where x ≤ 0) the
  // exact select runs instead, in a rare and so well-predicted second test.
  return mapBinary("reluBackward", g, x, (gv, xv) =>
    gv * +!(xv <= 0) === gv * +!(xv <= 0) ? gv * +!(xv <= 0) + 0 : xv <= 0 ? 0 : gv,
  );
}

/** The float32 elements of a contiguous array as their int32 bit patterns (a view, no copy). */
function floatBits(x: NDArray): Int32Array {
  return new Int32Array(x.data.buffer, x.data.byteOffset + x.offset * 4, x.size);
}

/**
 * out = v where the float32 whose bits are m[i] is > 0 or NaN, else +0 — on bit patterns, so no
 * data-dependent branch (a mispredicted branch per element on random signs costs ~5×): as int32,
 * negative floats including −0 and −∞ are ≤ −2^23 (0xff800000), negative NaNs lie in (−2^23, 0),
 * +0 is 0 and positive floats and NaNs are > 0.
 */
function reluBits(out: Int32Array, v: Int32Array, m: Int32Array): void {
  const n = out.length;
  for (let i = 0; i < n; i++) {
    const b = m[i] as number;
    out[i] = (v[i] as number) & -(+(b > -8388608) & +(b !== 0));
  }
}
/** Exact GELU `x·Φ(x)` (torch's default), or the tanh approximation. */
export function gelu(x: NDArray, approximate: "none" | "tanh" = "none"): NDArray {
  checkOperand("gelu", "input", x, false);
  if (approximate !== "none" && approximate !== "tanh") {
    throw new ArgumentError(`gelu: approximate must be "none" or "tanh", got ${describeValue(approximate)}`);
  }
  if (approximate === "tanh") {
    return mapUnary(
      x,
      (v, _p0, _p1, M) => 0.5 * v * (1 + M.tanh(0.7978845608028654 * (v + 0.044715 * v * v * v))),
      floatDType(x.dtype),
    );
  }
  return simdFloat32("gelu", x) ?? mapUnary(x, GELU, floatDType(x.dtype));
}
// As torch computes them: at ±∞ the products ∞·0 give NaN (gelu(−∞), and the gradient at ±∞).
const GELU: UnaryFn = (v, _p0, _p1, M) => v * M.normalCdf(v);
const GELU_GRAD: UnaryFn = (v, _p0, _p1, M) => M.normalCdf(v) + v * M.normalPdf(v);
const GELU_BACKWARD: BinaryFn = (g, v, M) => g * (M.normalCdf(v) + v * M.normalPdf(v));
/** Derivative of exact GELU: Φ(x) + x·φ(x) (1 at +∞, 0 at −∞). */
export const geluGrad = floatUnary("geluGrad", GELU_GRAD);
/**
 * The gradient of exact GELU given the upstream gradient: `grad·(Φ(x) + x·φ(x))`, in one pass
 * (broadcasting like `mul`). float32 operands of the same shape, both contiguous, run on the
 * WebAssembly SIMD kernel (see setUnaryKernelBackend); others on the compiled loop.
 *
 * @example
 * ```ts
 * geluBackward(array([1, 2]), array([0, 0])).toArray(); // [0.5, 1]
 * ```
 */
export function geluBackward(grad: NDArray, x: NDArray): NDArray {
  checkOperand("geluBackward", "grad", grad, false);
  checkOperand("geluBackward", "input", x, false);
  if (
    grad.dtype === "float32" &&
    x.dtype === "float32" &&
    shapesEqual(grad.shape, x.shape) &&
    grad.isContiguous() &&
    x.isContiguous()
  ) {
    const out = geluBackwardWasm(grad.data as Float32Array, grad.offset, x.data as Float32Array, x.offset, x.size);
    if (out) return new NDArray(out, x.shape);
  }
  return mapBinary("geluBackward", grad, x, GELU_BACKWARD, floatDType(resultType(grad, x, "geluBackward")));
}
const TANH_BACKWARD: BinaryFn = (g, y) => g * (1 - y * y);
/**
 * The gradient of tanh from its output: `grad·(1 − y²)` with `y = tanh(x)`, in one pass (broadcasting
 * like `mul`; the result is floating point), computed as `g * (1 - y * y)` in float64 and rounded once
 * to the result dtype. float32 operands where one is contiguous and the other contiguous too, a scalar
 * or a row, column or per-channel broadcast (such as the expanded gradient of a sum) run on a
 * WebAssembly SIMD kernel doing the same float64 arithmetic (see setUnaryKernelBackend): bitwise the
 * same result.
 *
 * @example
 * ```ts
 * tanhBackward(array([1, 2]), array([0, 0.5])).toArray(); // [1, 1.5]
 * ```
 */
export function tanhBackward(grad: NDArray, y: NDArray): NDArray {
  checkOperand("tanhBackward", "grad", grad, false);
  checkOperand("tanhBackward", "output", y, false);
  if (grad.dtype === "float32" && y.dtype === "float32") {
    const out = simdPair("tanhBackward", "tanh_backward", grad, y);
    if (out) return out;
  }
  return mapBinary("tanhBackward", grad, y, TANH_BACKWARD, floatDType(resultType(grad, y, "tanhBackward")));
}
/** SiLU / swish `x·sigmoid(x)`. */
export const silu = floatUnary("silu", (v, _p0, _p1, M) => v * M.sigmoid(v));
/** Softplus `log(1 + e^{βx})/β`, linear above `threshold` like torch. */
export function softplus(x: NDArray, beta = 1, threshold = 20): NDArray {
  checkOperand("softplus", "input", x, false);
  if (typeof beta !== "number" || !Number.isFinite(beta) || beta === 0) {
    throw new ArgumentError(`softplus: beta must be a finite non-zero number, got ${describeValue(beta)}`);
  }
  if (typeof threshold !== "number" || Number.isNaN(threshold)) {
    throw new ArgumentError(`softplus: threshold must be a number, got ${describeValue(threshold)}`);
  }
  return mapUnary(
    x,
    (v, b, t, M) => (v * b > t ? v : Math.max(v * b, 0) / b + Math.log1p(M.exp(-Math.abs(v * b))) / b),
    floatDType(x.dtype),
    beta,
    threshold,
  );
}
/** erf. */
export const erfArray = floatUnary("erf", (v, _p0, _p1, M) => M.erf(v));
/** `x` is NaN, as bool. */
export const isnan = unary(
  "isnan",
  (v) => v !== v,
  () => "bool",
);
/** `x` is finite, as bool. */
export const isfinite = unary(
  "isfinite",
  (v) => Number.isFinite(v),
  () => "bool",
);
/** Logical not, as bool. */
export const logicalNot = unary(
  "logicalNot",
  (v) => v === 0,
  () => "bool",
);

/**
 * Clamps into [min, max] (either bound may be omitted). NaN stays NaN.
 *
 * @example
 * ```ts
 * clamp(array([-2, 0.5, 3]), 0, 1).toArray(); // [0, 0.5, 1]
 * ```
 */
export function clamp(x: NDArray, min?: number, max?: number): NDArray {
  checkOperand("clamp", "input", x, false);
  for (const [name, b] of [
    ["min", min],
    ["max", max],
  ] as const) {
    if (b !== undefined && typeof b !== "number") {
      throw new ArgumentError(`clamp: ${name} must be a number or undefined, got ${describeValue(b)}`);
    }
  }
  if (min === undefined && max === undefined)
    throw new ArgumentError("clamp: at least one of min or max must be given");
  const lo = min ?? -Infinity;
  const hi = max ?? Infinity;
  // Non-integer bounds promote integer input to float32 (torch's result_type of x and the bounds).
  const fractional = [min, max].some((b) => b !== undefined && !Number.isInteger(b));
  const dtype = !isFloat(x.dtype) && fractional ? "float32" : x.dtype === "bool" ? "int32" : x.dtype;
  return mapUnary(x, (v, l, h) => (v < l ? l : v > h ? h : v), dtype, lo, hi);
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
  checkOperand("where", "cond", cond, false);
  if (cond.dtype !== "bool")
    throw new DTypeError(`where: cond must be bool, got ${cond.dtype} of shape ${fmtShape(cond.shape)}`);
  const dtype = resultType(a, b, "where");
  const A = asArray(a, b instanceof NDArray ? b.dtype : undefined);
  const B = asArray(b, A.dtype);
  const shape = broadcastAll("where", [cond.shape, A.shape, B.shape]);
  const n = shapeSize(shape);
  const out = allocate(dtype, n);
  if (n === 0) return new NDArray(out, shape);
  const { inner, rows } = layout(shape, [cond, A, B]);
  const [rc, ra, rb] = rows as [Rows, Rows, Rows];
  const dc = cond.data;
  const da = A.data;
  const db = B.data;
  const sc = rc.step;
  const sa = ra.step;
  const sb = rb.step;
  let k = 0;
  for (let r = 0; r < rc.rows.length; r++) {
    let pc = rc.rows[r] as number;
    let pa = ra.rows[r] as number;
    let pb = rb.rows[r] as number;
    for (let j = 0; j < inner; j++, pc += sc, pa += sa, pb += sb) {
      out[k++] = dc[pc] ? (da[pa] as number) : (db[pb] as number);
    }
  }
  return new NDArray(out, shape);
}

/** Writes `src` into `dst` in place (broadcasting src, casting to dst's dtype). */
export function assign(dst: NDArray, src: ArrayLike): void {
  checkOperand("assign", "destination", dst, false);
  checkOperand("assign", "source", src);
  const S0 = asArray(src, dst.dtype);
  checkBroadcastsTo("assign", S0, dst.shape);
  const S = S0.expand(dst.shape);
  const od = stridedOffsets(dst.shape, dst.strides, dst.offset);
  const os = stridedOffsets(S.shape, S.strides, S.offset);
  const d: TypedArray = dst.data;
  const s = S.data;
  for (let i = 0; i < od.length; i++) d[od[i] as number] = s[os[i] as number] as number;
}
