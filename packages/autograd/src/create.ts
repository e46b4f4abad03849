import type { DType, NDArray, NestedArray, RandomOptions, ShapeArgs, TypedArray } from "@typegrad/tensor";
import * as nd from "@typegrad/tensor";
import { ArgumentError, DTypeError, describeValue, fmtShape } from "@typegrad/tensor";
import { Tensor } from "./tensor.js";

/** Options for creating tensors. */
export interface TensorOptions {
  dtype?: DType;
  requiresGrad?: boolean;
}

function wrap(op: string, data: NDArray, opts: TensorOptions): Tensor {
  const rg = opts.requiresGrad ?? false;
  if (typeof rg !== "boolean")
    throw new ArgumentError(`${op}: requiresGrad must be a boolean, got ${describeValue(rg)}`);
  if (rg && !nd.isFloat(data.dtype)) {
    throw new DTypeError(
      `${op}: only floating point tensors can require gradients, got dtype ${data.dtype} (shape ${fmtShape(data.shape)}); use float32 or float64`,
    );
  }
  return new Tensor(data, { requiresGrad: rg });
}

/** Runs a tensor-package constructor, re-labelling its errors with the autograd function's name. */
function named<T>(op: string, from: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof Error && e.message.startsWith(`${from}:`) && (e instanceof TypeError || e instanceof RangeError)) {
      const Ctor = e.constructor as new (message: string) => Error;
      throw new Ctor(`${op}:${e.message.slice(from.length + 1)}`);
    }
    throw e;
  }
}

function checkOpts(op: string, opts: unknown): void {
  if (opts !== undefined && (opts === null || typeof opts !== "object" || Array.isArray(opts))) {
    throw new ArgumentError(`${op}: options must be an object, got ${describeValue(opts)}`);
  }
}

/** Splits trailing options off a shape given as `(2, 3, opts)` or `([2, 3], opts)`. */
function shapeAndOpts<O>(args: (number | readonly number[] | O)[]): [number[], O] {
  const last = args[args.length - 1];
  const hasOpts = last !== undefined && last !== null && typeof last === "object" && !Array.isArray(last);
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
  checkOpts("tensor", opts);
  if (values instanceof Tensor) {
    throw new ArgumentError(
      `tensor: values is already a Tensor of shape ${fmtShape(values.shape)}; use t.detach() or t.clone() to copy it`,
    );
  }
  const data =
    values instanceof nd.NDArray
      ? opts.dtype && opts.dtype !== values.dtype
        ? named("tensor", "astype", () => values.astype(opts.dtype as DType))
        : values
      : named("tensor", "array", () =>
          nd.array(values as NestedArray, {
            ...(opts.dtype ? { dtype: opts.dtype } : {}),
            ...(opts.shape ? { shape: opts.shape } : {}),
          }),
        );
  return wrap("tensor", data, opts);
}

/** Zeros. @example `zeros(2, 3).shape; // [2, 3]` */
export function zeros(...args: (number | readonly number[] | TensorOptions)[]): Tensor {
  const [shape, opts] = shapeAndOpts<TensorOptions>(args);
  return wrap("zeros", nd.zeros(shape, opts), opts);
}

/** Ones. @example `ones([2], { dtype: "float64" });` */
export function ones(...args: (number | readonly number[] | TensorOptions)[]): Tensor {
  const [shape, opts] = shapeAndOpts<TensorOptions>(args);
  return wrap("ones", nd.ones(shape, opts), opts);
}

/** Filled with `value`. @example `full([2, 2], 3);` */
export function full(shape: readonly number[], value: number, opts: TensorOptions = {}): Tensor {
  checkOpts("full", opts);
  return wrap("full", nd.full(shape, value, opts), opts);
}

/** Zeros shaped like `t`. */
export function zerosLike(t: Tensor, opts: TensorOptions = {}): Tensor {
  likeTensor("zerosLike", t);
  return wrap(
    "zerosLike",
    named("zerosLike", "zeros", () => nd.zeros(t.shape, { dtype: opts.dtype ?? t.dtype })),
    opts,
  );
}

function likeTensor(op: string, t: unknown): void {
  if (!(t instanceof Tensor)) {
    throw new ArgumentError(
      `${op}: expected a Tensor, got ${describeValue(t)}${t instanceof nd.NDArray ? ` (use nd.${op} for NDArrays)` : ""}`,
    );
  }
}

/** Ones shaped like `t`. */
export function onesLike(t: Tensor, opts: TensorOptions = {}): Tensor {
  likeTensor("onesLike", t);
  return wrap(
    "onesLike",
    named("onesLike", "ones", () => nd.ones(t.shape, { dtype: opts.dtype ?? t.dtype })),
    opts,
  );
}

/** `start..stop` by `step`. @example `arange(4).toArray(); // [0, 1, 2, 3]` */
export function arange(start: number, stop?: number, step = 1, opts: TensorOptions = {}): Tensor {
  checkOpts("arange", opts);
  return wrap("arange", nd.arange(start, stop, step, opts), opts);
}

/** Evenly spaced values. @example `linspace(0, 1, 3).toArray(); // [0, 0.5, 1]` */
export function linspace(start: number, stop: number, n: number, opts: TensorOptions = {}): Tensor {
  checkOpts("linspace", opts);
  return wrap("linspace", nd.linspace(start, stop, n, opts), opts);
}

/** Identity matrix. @example `eye(3);` */
export function eye(n: number, m?: number, opts: TensorOptions = {}): Tensor {
  checkOpts("eye", opts);
  return wrap("eye", nd.eye(n, m ?? n, opts), opts);
}

/** Uniform [0, 1) samples from the seeded generator. @example `manualSeed(0); rand(2, 3);` */
export function rand(...args: (number | readonly number[] | (TensorOptions & RandomOptions))[]): Tensor {
  const [shape, opts] = shapeAndOpts<TensorOptions & RandomOptions>(args);
  return wrap("rand", nd.rand(shape, opts), opts);
}

/** Standard normal samples from the seeded generator. @example `randn([4, 4], { dtype: "float64" });` */
export function randn(...args: (number | readonly number[] | (TensorOptions & RandomOptions))[]): Tensor {
  const [shape, opts] = shapeAndOpts<TensorOptions & RandomOptions>(args);
  return wrap("randn", nd.randn(shape, opts), opts);
}

/** Integers in [low, high), int32. @example `randint(0, 10, [3]);` */
export function randint(
  low: number,
  high: number,
  shape: readonly number[],
  opts: RandomOptions & { dtype?: DType; requiresGrad?: boolean } = {},
): Tensor {
  checkOpts("randint", opts);
  return wrap("randint", nd.randint(low, high, shape, opts), opts as TensorOptions);
}
