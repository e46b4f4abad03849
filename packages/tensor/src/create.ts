import { allocate, castScalar, checkDType, type DType, dtypeOf, type TypedArray } from "./dtype.js";
import { ArgumentError, describeValue, fmtShape, ShapeError } from "./errors.js";
import { NDArray, type NestedArray } from "./ndarray.js";
import { checkShape, type Shape, shapeSize } from "./shape.js";

/** Options shared by creation functions. */
export interface CreateOptions {
  dtype?: DType;
}

const isTypedArray = (v: unknown): v is TypedArray =>
  v instanceof Float32Array || v instanceof Float64Array || v instanceof Int32Array || v instanceof Uint8Array;

/**
 * Builds an NDArray from nested arrays, a typed array or a number. Ragged nesting is an error.
 * JS numbers default to float32, booleans to bool; a typed array keeps its dtype (and is copied).
 *
 * @example
 * ```ts
 * array([[1, 2], [3, 4]]).shape;               // [2, 2]
 * array(new Float64Array(6), { shape: [2, 3] }); // float64
 * ```
 */
export function array(
  values: NestedArray | TypedArray | readonly NestedArray[],
  opts: CreateOptions & { shape?: readonly number[] } = {},
): NDArray {
  if (values instanceof NDArray) return opts.dtype ? values.astype(opts.dtype) : values.clone();
  if (isTypedArray(values)) {
    const shape = opts.shape ? checkShape("array", [...opts.shape]) : [values.length];
    if (shapeSize(shape) !== values.length) {
      throw new ShapeError(`array: shape ${fmtShape(shape)} needs ${shapeSize(shape)} elements, got ${values.length}`);
    }
    // A Uint8Array is read as bool: any non-zero byte is true (stored as 1, so toArray() agrees).
    const copy = values instanceof Uint8Array ? values.map((v) => (v ? 1 : 0)) : values.slice();
    const src = new NDArray(copy, shape);
    return opts.dtype && opts.dtype !== dtypeOf(values) ? src.astype(checkDType("array", opts.dtype)) : src;
  }
  const shape: number[] = [];
  let probe: unknown = values;
  while (Array.isArray(probe)) {
    shape.push(probe.length);
    probe = probe[0];
  }
  const flat: (number | boolean)[] = [];
  let sawBool = false;
  let sawNumber = false;
  const walk = (v: unknown, d: number, path: string): void => {
    if (d === shape.length) {
      if (typeof v === "boolean") sawBool = true;
      else if (typeof v === "number") sawNumber = true;
      else throw new ArgumentError(`array: element at ${path || "[]"} is ${describe(v)}; expected a number or boolean`);
      flat.push(v);
      return;
    }
    if (!Array.isArray(v) || v.length !== shape[d]) {
      throw new ShapeError(
        `array: ragged nested array at ${path || "top level"}: expected ${shape[d]} elements (shape ${fmtShape(shape)}), got ${Array.isArray(v) ? v.length : describe(v)}`,
      );
    }
    for (let i = 0; i < v.length; i++) walk(v[i], d + 1, `${path}[${i}]`);
  };
  walk(values, 0, "");
  const dtype = checkDType("array", opts.dtype ?? (sawBool && !sawNumber ? "bool" : "float32"));
  const data = allocate(dtype, flat.length);
  for (let i = 0; i < flat.length; i++) data[i] = castScalar(Number(flat[i]), dtype);
  const target = opts.shape ? checkShape("array", [...opts.shape]) : shape;
  if (shapeSize(target) !== flat.length) {
    throw new ShapeError(`array: shape ${fmtShape(target)} needs ${shapeSize(target)} elements, got ${flat.length}`);
  }
  return new NDArray(data, target);
}

function describe(v: unknown): string {
  return describeValue(v);
}

/**
 * An array of `shape` filled with `value`.
 *
 * @example
 * ```ts
 * full([2, 2], 7).toArray(); // [[7, 7], [7, 7]]
 * ```
 */
export function full(shape: Shape, value: number | boolean, opts: CreateOptions = {}): NDArray {
  return filled("full", shape, value, opts.dtype ?? (typeof value === "boolean" ? "bool" : "float32"));
}

/** `full` with the calling op's name in its errors. */
function filled(op: string, shape: Shape, value: number | boolean, dtype: unknown): NDArray {
  const dims = checkShape(op, shape as unknown);
  if (typeof value !== "number" && typeof value !== "boolean") {
    throw new ArgumentError(`${op}: fill value must be a number or boolean, got ${describe(value)}`);
  }
  const dt = checkDType(op, dtype);
  const data = allocate(dt, shapeSize(dims));
  if (value) data.fill(castScalar(Number(value), dt));
  return new NDArray(data, dims);
}

/** Zeros of `shape`. @example `zeros([2, 3]).size; // 6` */
export function zeros(shape: Shape, opts: CreateOptions = {}): NDArray {
  return filled("zeros", shape, 0, opts.dtype ?? "float32");
}

/** Ones of `shape`. @example `ones([3]).toArray(); // [1, 1, 1]` */
export function ones(shape: Shape, opts: CreateOptions = {}): NDArray {
  return filled("ones", shape, 1, opts.dtype ?? "float32");
}

function checkNDArray(op: string, a: unknown): NDArray {
  if (!(a instanceof NDArray)) throw new ArgumentError(`${op}: expected an NDArray, got ${describe(a)}`);
  return a;
}

/** Zeros with the shape and dtype of `a`. */
export function zerosLike(a: NDArray, opts: CreateOptions = {}): NDArray {
  checkNDArray("zerosLike", a);
  return filled("zerosLike", a.shape, 0, opts.dtype ?? a.dtype);
}

/** Ones with the shape and dtype of `a`. */
export function onesLike(a: NDArray, opts: CreateOptions = {}): NDArray {
  checkNDArray("onesLike", a);
  return filled("onesLike", a.shape, 1, opts.dtype ?? a.dtype);
}

/**
 * Values from `start` up to (not including) `stop` by `step`; `arange(n)` is `0..n-1`.
 *
 * @example
 * ```ts
 * arange(0, 1, 0.25).toArray(); // [0, 0.25, 0.5, 0.75]
 * ```
 */
export function arange(start: number, stop?: number, step = 1, opts: CreateOptions = {}): NDArray {
  const [lo, hi] = stop === undefined ? [0, start] : [start, stop];
  if (![lo, hi, step].every(Number.isFinite) || step === 0) {
    throw new ArgumentError(`arange: start ${lo}, stop ${hi} and step ${step} must be finite with a non-zero step`);
  }
  const n = Math.max(0, Math.ceil((hi - lo) / step));
  const data = allocate(checkDType("arange", opts.dtype ?? "float32"), n);
  for (let i = 0; i < n; i++) data[i] = lo + i * step;
  return new NDArray(data, [n]);
}

/**
 * `n` evenly spaced values from `start` to `stop` inclusive.
 *
 * @example
 * ```ts
 * linspace(0, 1, 5).toArray(); // [0, 0.25, 0.5, 0.75, 1]
 * ```
 */
export function linspace(start: number, stop: number, n: number, opts: CreateOptions = {}): NDArray {
  if (!Number.isInteger(n) || n < 0) throw new ArgumentError(`linspace: n must be a non-negative integer, got ${n}`);
  if (!Number.isFinite(start) || !Number.isFinite(stop)) {
    throw new ArgumentError(`linspace: start ${start} and stop ${stop} must be finite numbers`);
  }
  const data = allocate(checkDType("linspace", opts.dtype ?? "float32"), n);
  const step = n > 1 ? (stop - start) / (n - 1) : 0;
  // Fill from both ends like torch so the endpoints are exact; n = 1 gives [start] like torch.
  const half = Math.floor(n / 2);
  for (let i = 0; i < n; i++) data[i] = i < half || n === 1 ? start + step * i : stop - step * (n - 1 - i);
  return new NDArray(data, [n]);
}

/**
 * The `n`×`m` identity matrix.
 *
 * @example
 * ```ts
 * eye(2).toArray(); // [[1, 0], [0, 1]]
 * ```
 */
export function eye(n: number, m: number = n, opts: CreateOptions = {}): NDArray {
  for (const [name, v] of [
    ["n", n],
    ["m", m],
  ] as const) {
    if (!Number.isInteger(v) || v < 0) {
      throw new ArgumentError(`eye: ${name} must be a non-negative integer, got ${describe(v)}`);
    }
  }
  const out = filled("eye", [n, m], 0, opts.dtype ?? "float32");
  for (let i = 0; i < Math.min(n, m); i++) out.data[i * m + i] = 1;
  return out;
}
