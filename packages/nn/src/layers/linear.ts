import { linear, Tensor } from "@typegrad/autograd";
import * as nd from "@typegrad/tensor";
import { ArgumentError, type DType, DTypeError, describeValue, fmtShape, ShapeError } from "@typegrad/tensor";
import * as init from "../init.js";
import { Module } from "../module.js";
import { Parameter } from "../parameter.js";

function checkSize(op: string, name: string, v: unknown): number {
  if (typeof v !== "number" || !Number.isInteger(v) || v <= 0) {
    throw new ArgumentError(`${op}: ${name} must be a positive integer, got ${describeValue(v)}`);
  }
  return v;
}

/** A layer's parameter dtype: float32 (default) or float64. */
function checkFloatDType(op: string, dtype: unknown): "float32" | "float64" {
  if (dtype === undefined) return "float32";
  if (dtype !== "float32" && dtype !== "float64") {
    throw new DTypeError(
      `${op}: dtype must be "float32" or "float64" (parameters are trained), got ${describeValue(dtype)}`,
    );
  }
  return dtype;
}

/** A layer's input: a Tensor with at least `minDims` dims. */
function checkInput(op: string, x: unknown, minDims = 0, name = "input"): Tensor {
  if (!(x instanceof Tensor)) {
    const hint =
      x instanceof nd.NDArray
        ? " (wrap an NDArray with tensor(array))"
        : Array.isArray(x)
          ? " (wrap it with tensor())"
          : "";
    throw new ArgumentError(`${op}: ${name} must be a Tensor, got ${describeValue(x)}${hint}`);
  }
  if (x.ndim < minDims) {
    throw new ShapeError(
      `${op}: ${name} needs at least ${minDims} dim${minDims === 1 ? "" : "s"}, got shape ${fmtShape(x.shape)}`,
    );
  }
  return x;
}

/** Layer options: undefined or a plain object. */
function checkLayerOptions(op: string, opts: unknown): void {
  if (opts !== undefined && (opts === null || typeof opts !== "object" || Array.isArray(opts))) {
    throw new ArgumentError(`${op}: options must be an object, got ${describeValue(opts)}`);
  }
}

export { checkFloatDType, checkInput, checkLayerOptions, checkSize };

/**
 * Affine map `y = x·Wᵀ + b` over the last dim. `weight` is (out, in) like torch, initialised
 * kaiming-uniform (a = √5), bias U(−1/√in, 1/√in).
 *
 * @example
 * ```ts
 * const fc = new Linear(3, 2);
 * fc.forward(randn([5, 3])).shape; // [5, 2]
 * ```
 */
export class Linear extends Module {
  readonly inFeatures: number;
  readonly outFeatures: number;
  weight: Parameter;
  bias: Parameter | null;

  constructor(inFeatures: number, outFeatures: number, opts: { bias?: boolean; dtype?: DType } = {}) {
    super();
    checkLayerOptions("Linear", opts);
    this.inFeatures = checkSize("Linear", "inFeatures", inFeatures);
    this.outFeatures = checkSize("Linear", "outFeatures", outFeatures);
    const dtype = checkFloatDType("Linear", opts.dtype);
    if (opts.bias !== undefined && typeof opts.bias !== "boolean") {
      throw new ArgumentError(`Linear: bias must be a boolean, got ${describeValue(opts.bias)}`);
    }
    this.weight = new Parameter(nd.zeros([outFeatures, inFeatures], { dtype }));
    init.kaimingUniform(this.weight, { a: Math.sqrt(5) });
    this.bias = null;
    if (opts.bias ?? true) {
      this.bias = new Parameter(nd.zeros([outFeatures], { dtype }));
      const bound = 1 / Math.sqrt(inFeatures);
      init.uniform(this.bias, -bound, bound);
    }
  }

  forward(x: Tensor): Tensor {
    checkInput("Linear", x, 1);
    if (!nd.isFloat(x.dtype)) {
      throw new DTypeError(
        `Linear: input must be float32 or float64, got ${x.dtype} of shape ${fmtShape(x.shape)} (convert with .to("float32"))`,
      );
    }
    if (x.shape[x.ndim - 1] !== this.inFeatures) {
      throw new ShapeError(
        `Linear: input of shape ${fmtShape(x.shape)} has last dim ${x.shape[x.ndim - 1]}, expected ${this.inFeatures}`,
      );
    }
    // Leading dims fold into one batch of rows: a single 2-d product forward, and a weight gradient
    // that is one gᵀ·x product instead of a batch of them summed afterwards.
    const rows = x.ndim === 2 ? x : x.reshape(-1, this.inFeatures);
    const y = linear(rows, this.weight, this.bias);
    if (x.ndim === 2) return y;
    return y.reshape(...x.shape.slice(0, -1), this.outFeatures);
  }
}
