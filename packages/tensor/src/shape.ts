import { ArgumentError, describeValue, fmtShape, IndexError, ShapeError } from "./errors.js";

export type Shape = readonly number[];

/** Row-major (C-order) strides for `shape`. */
export function contiguousStrides(shape: Shape): number[] {
  const strides = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    strides[i] = acc;
    acc *= shape[i] as number;
  }
  return strides;
}

/** Number of elements in `shape` (1 for a 0-d shape). */
export function shapeSize(shape: Shape): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

export function shapesEqual(a: Shape, b: Shape): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Validates a shape: non-negative integers. */
export function checkShape(op: string, shape: unknown): number[] {
  if (!Array.isArray(shape)) {
    throw new ArgumentError(`${op}: shape must be an array of sizes, got ${describeValue(shape)}`);
  }
  for (const d of shape) {
    if (typeof d !== "number" || !Number.isInteger(d) || d < 0) {
      throw new ArgumentError(`${op}: invalid shape ${JSON.stringify(shape)}; sizes must be non-negative integers`);
    }
  }
  return shape.slice() as number[];
}

/** Accepts both `f(2, 3)` and `f([2, 3])` call styles. */
export function shapeArgs(args: readonly (number | readonly number[])[]): number[] {
  if (args.length === 1 && Array.isArray(args[0])) return [...(args[0] as readonly number[])];
  return args as number[];
}

/** Resolves a possibly negative dim against `ndim`, throwing an IndexError naming `op` when out of range. */
export function normalizeDim(op: string, dim: number, ndim: number): number {
  if (typeof dim !== "number" || !Number.isInteger(dim)) {
    throw new IndexError(`${op}: dim must be an integer, got ${describeValue(dim)}`);
  }
  const lo = ndim === 0 ? -1 : -ndim;
  const hi = ndim === 0 ? 0 : ndim - 1;
  if (dim < lo || dim > hi) {
    throw new IndexError(`${op}: dim ${dim} is out of range for a tensor with ${ndim} dims (expected ${lo}..${hi})`);
  }
  return dim < 0 ? dim + Math.max(ndim, 1) : dim;
}

/** Normalizes a dim spec (undefined = all dims) to a sorted unique list. */
export function normalizeDims(op: string, dim: number | readonly number[] | undefined, ndim: number): number[] {
  if (dim === undefined) return Array.from({ length: ndim }, (_, i) => i);
  if (typeof dim !== "number" && !Array.isArray(dim)) {
    throw new IndexError(`${op}: dim must be an integer or an array of integers, got ${describeValue(dim)}`);
  }
  const list = typeof dim === "number" ? [dim] : dim;
  const out = new Set<number>();
  for (const d of list) {
    // A 0-d array accepts dim 0 / -1 and has nothing to reduce.
    const n = normalizeDim(op, d, ndim);
    if (ndim > 0) {
      if (out.has(n)) throw new IndexError(`${op}: dim ${n} appears more than once in ${JSON.stringify(list)}`);
      out.add(n);
    }
  }
  return [...out].sort((a, b) => a - b);
}

/** NumPy/PyTorch broadcasting of two shapes; throws a ShapeError naming `op`. */
export function broadcastShapes(op: string, a: Shape, b: Shape): number[] {
  const n = Math.max(a.length, b.length);
  const out = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    const da = a[a.length - n + i] ?? 1;
    const db = b[b.length - n + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) {
      throw new ShapeError(
        `${op}: shapes ${fmtShape(a)} and ${fmtShape(b)} cannot be broadcast (dim ${i - n}: ${da} vs ${db})`,
      );
    }
    out[i] = da === 1 ? db : da;
  }
  return out;
}

/** Broadcasts any number of shapes. */
export function broadcastAll(op: string, shapes: readonly Shape[]): number[] {
  let out: number[] = [];
  for (const s of shapes) out = broadcastShapes(op, out, s);
  return out;
}
