import type { DType, NDArray, NestedArray, RandomOptions, ShapeArgs, TypedArray } from "@typegrad/tensor";
import * as nd from "@typegrad/tensor";
import { Tensor } from "./tensor.js";

/** Options for creating tensors. */
export interface TensorOptions {
  dtype?: DType;
  requiresGrad?: boolean;
}

const wrap = (data: NDArray, opts: TensorOptions): Tensor =>
  new Tensor(data, { requiresGrad: opts.requiresGrad ?? false });

/** Splits trailing options off a shape given as `(2, 3, opts)` or `([2, 3], opts)`. */
function shapeAndOpts<O>(args: (number | readonly number[] | O)[]): [number[], O] {
  const last = args[args.length - 1];
  const hasOpts = last !== undefined && typeof last === "object" && !Array.isArray(last);
  const dims = (hasOpts ? args.slice(0, -1) : args) as ShapeArgs;
  return [nd.shapeArgs(dims), (hasOpts ? last : {}) as O];
}

/**
 * A tensor from nested arrays, a typed array, a number or an NDArray.
 *
 * @example
 * ```ts
 * const w = tensor([[1, 2], [3, 4]], { requiresGrad: true });
 * tensor([true, false]).dtype; // "bool"
 * ```
 */
export function tensor(
  values: NestedArray | TypedArray | NDArray | readonly NestedArray[],
  opts: TensorOptions & { shape?: readonly number[] } = {},
): Tensor {
  const data =
    values instanceof nd.NDArray
      ? opts.dtype && opts.dtype !== values.dtype
        ? values.astype(opts.dtype)
        : values
      : nd.array(values as NestedArray, {
          ...(opts.dtype ? { dtype: opts.dtype } : {}),
          ...(opts.shape ? { shape: opts.shape } : {}),
        });
  return wrap(data, opts);
}

/** Zeros. @example `zeros(2, 3).shape; // [2, 3]` */
export function zeros(...args: (number | readonly number[] | TensorOptions)[]): Tensor {
  const [shape, opts] = shapeAndOpts<TensorOptions>(args);
  return wrap(nd.zeros(shape, opts), opts);
}

/** Ones. @example `ones([2], { dtype: "float64" });` */
export function ones(...args: (number | readonly number[] | TensorOptions)[]): Tensor {
  const [shape, opts] = shapeAndOpts<TensorOptions>(args);
  return wrap(nd.ones(shape, opts), opts);
}

/** Filled with `value`. @example `full([2, 2], 3);` */
export function full(shape: readonly number[], value: number, opts: TensorOptions = {}): Tensor {
  return wrap(nd.full(shape, value, opts), opts);
}

/** Zeros shaped like `t`. */
export function zerosLike(t: Tensor, opts: TensorOptions = {}): Tensor {
  return wrap(nd.zeros(t.shape, { dtype: opts.dtype ?? t.dtype }), opts);
}

/** Ones shaped like `t`. */
export function onesLike(t: Tensor, opts: TensorOptions = {}): Tensor {
  return wrap(nd.ones(t.shape, { dtype: opts.dtype ?? t.dtype }), opts);
}

/** `start..stop` by `step`. @example `arange(4).toArray(); // [0, 1, 2, 3]` */
export function arange(start: number, stop?: number, step = 1, opts: TensorOptions = {}): Tensor {
  return wrap(nd.arange(start, stop, step, opts), opts);
}

/** Evenly spaced values. @example `linspace(0, 1, 3).toArray(); // [0, 0.5, 1]` */
export function linspace(start: number, stop: number, n: number, opts: TensorOptions = {}): Tensor {
  return wrap(nd.linspace(start, stop, n, opts), opts);
}

/** Identity matrix. @example `eye(3);` */
export function eye(n: number, m?: number, opts: TensorOptions = {}): Tensor {
  return wrap(nd.eye(n, m ?? n, opts), opts);
}

/** Uniform [0, 1) samples from the seeded generator. @example `manualSeed(0); rand(2, 3);` */
export function rand(...args: (number | readonly number[] | (TensorOptions & RandomOptions))[]): Tensor {
  const [shape, opts] = shapeAndOpts<TensorOptions & RandomOptions>(args);
  return wrap(nd.rand(shape, opts), opts);
}

/** Standard normal samples from the seeded generator. @example `randn([4, 4], { dtype: "float64" });` */
export function randn(...args: (number | readonly number[] | (TensorOptions & RandomOptions))[]): Tensor {
  const [shape, opts] = shapeAndOpts<TensorOptions & RandomOptions>(args);
  return wrap(nd.randn(shape, opts), opts);
}

/** Integers in [low, high), int32. @example `randint(0, 10, [3]);` */
export function randint(
  low: number,
  high: number,
  shape: readonly number[],
  opts: RandomOptions & { dtype?: DType } = {},
): Tensor {
  return new Tensor(nd.randint(low, high, shape, opts));
}
