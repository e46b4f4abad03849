/**
 * What every loss shares: the `reduction` option, option validation, and turning inputs, targets and
 * weights into Tensors of the right dtype and shape (or throwing an error that names the op).
 */
import { Tensor } from "@typegrad/autograd";
import * as nd from "@typegrad/tensor";
import { ArgumentError, DTypeError, describeValue, fmtShape, type NDArray, ShapeError } from "@typegrad/tensor";

/**
 * How a loss combines its per-element values: `"mean"` (the default) averages them, `"sum"` adds them,
 * `"none"` returns them unreduced, one per element (or per sample for the classification losses).
 */
export type Reduction = "mean" | "sum" | "none";

/** A target (or weight): a Tensor, or an NDArray used as a constant. */
export type TensorOrArray = Tensor | NDArray;

const REDUCTIONS: readonly Reduction[] = ["mean", "sum", "none"];

/** Throws unless `opts` is a plain object whose keys are all in `allowed` (catches typos like `ignore_index`). */
export function checkOptions<T extends object>(op: string, opts: T | undefined, allowed: readonly string[]): T {
  if (opts === undefined) return {} as T;
  if (opts === null || typeof opts !== "object" || Array.isArray(opts)) {
    throw new ArgumentError(`${op}: options must be an object, got ${opts === null ? "null" : typeof opts}`);
  }
  const unknown = Object.keys(opts).filter((k) => !allowed.includes(k));
  if (unknown.length) {
    throw new ArgumentError(
      `${op}: unknown option${unknown.length > 1 ? "s" : ""} ${unknown.map((k) => `"${k}"`).join(", ")}; expected ${allowed.join(", ")}`,
    );
  }
  return opts;
}

/** Validates a reduction string against `allowed` (default `"mean"`). */
export function checkReduction<R extends string = Reduction>(
  op: string,
  value: unknown,
  allowed: readonly R[] = REDUCTIONS as unknown as readonly R[],
): R {
  if (value === undefined) return "mean" as R;
  if (typeof value !== "string" || !allowed.includes(value as R)) {
    throw new ArgumentError(
      `${op}: reduction must be ${allowed.map((r) => `"${r}"`).join(", ")}, got ${typeof value === "string" ? `"${value}"` : String(value)}`,
    );
  }
  return value as R;
}

/** Validates a finite numeric option within bounds (`gt` is an exclusive lower bound). */
export function checkNumber(
  op: string,
  name: string,
  value: unknown,
  fallback: number,
  bounds: { min?: number; gt?: number; max?: number; integer?: boolean } = {},
): number {
  if (value === undefined) return fallback;
  const expected = [
    bounds.integer ? "an integer" : "a finite number",
    bounds.gt !== undefined ? `> ${bounds.gt}` : "",
    bounds.min !== undefined && bounds.max !== undefined
      ? `in [${bounds.min}, ${bounds.max}]`
      : bounds.min !== undefined
        ? `>= ${bounds.min}`
        : "",
  ]
    .filter(Boolean)
    .join(" ");
  const bad =
    typeof value !== "number" ||
    !Number.isFinite(value) ||
    (bounds.integer && !Number.isInteger(value)) ||
    (bounds.gt !== undefined && !(value > bounds.gt)) ||
    (bounds.min !== undefined && value < bounds.min) ||
    (bounds.max !== undefined && value > bounds.max);
  if (bad) throw new ArgumentError(`${op}: ${name} must be ${expected}, got ${String(value)}`);
  return value as number;
}

/** A Tensor or NDArray as a Tensor (an NDArray becomes a constant). */
export function asTensor(op: string, name: string, x: unknown): Tensor {
  if (x instanceof Tensor) return x;
  if (x instanceof nd.NDArray) return new Tensor(x);
  throw new ArgumentError(
    `${op}: ${name} must be a Tensor or NDArray, got ${describeValue(x)}${Array.isArray(x) ? " (wrap it with tensor())" : ""}`,
  );
}

/** The loss input: a floating-point Tensor. */
export function floatInput(op: string, x: unknown, name = "input"): Tensor {
  const t = asTensor(op, name, x);
  if (!nd.isFloat(t.dtype)) {
    throw new DTypeError(`${op}: ${name} must be float32 or float64, got ${t.dtype} of shape ${fmtShape(t.shape)}`);
  }
  return t;
}

/**
 * A target of exactly the input's shape, converted to the input's dtype (differentiably, so a float
 * target that requires grad still gets its gradient). Shape mismatches throw instead of broadcasting.
 */
export function sameShapeTarget(op: string, input: Tensor, target: unknown): Tensor {
  const t = asTensor(op, "target", target);
  if (!nd.shapesEqual(t.shape, input.shape)) {
    throw new ShapeError(
      `${op}: input shape ${fmtShape(input.shape)} and target shape ${fmtShape(t.shape)} must be equal (losses do not broadcast the target)`,
    );
  }
  return t.dtype === input.dtype ? t : t.to(input.dtype);
}

/** An optional weight that broadcasts to `shape` without enlarging it, in `like`'s dtype. */
export function broadcastWeight(op: string, name: string, w: unknown, like: Tensor): Tensor | undefined {
  if (w === undefined) return undefined;
  const t = asTensor(op, name, w);
  if (!nd.isFloat(t.dtype)) {
    throw new DTypeError(`${op}: ${name} must be float32 or float64, got ${t.dtype} of shape ${fmtShape(t.shape)}`);
  }
  let ok = t.ndim <= like.ndim;
  for (let i = 1; ok && i <= t.ndim; i++) {
    const d = t.shape[t.ndim - i] as number;
    if (d !== 1 && d !== like.shape[like.ndim - i]) ok = false;
  }
  if (!ok) {
    throw new ShapeError(
      `${op}: ${name} of shape ${fmtShape(t.shape)} must broadcast to the input's shape ${fmtShape(like.shape)}`,
    );
  }
  return t.dtype === like.dtype ? t : t.to(like.dtype);
}

/** Applies a reduction to per-element losses. */
export function reduce(loss: Tensor, reduction: Reduction, op = "loss"): Tensor {
  if (reduction === "none") return loss;
  if (reduction === "mean" && loss.size === 0) {
    throw new ShapeError(
      `${op}: input of shape ${fmtShape(loss.shape)} is empty, so reduction "mean" has no elements to average (it would be NaN); use reduction "sum" or "none"`,
    );
  }
  return reduction === "sum" ? loss.sum() : loss.mean();
}
