import { linear, type Tensor } from "@typegrad/autograd";
import * as nd from "@typegrad/tensor";
import { ArgumentError, type DType, fmtShape, ShapeError } from "@typegrad/tensor";
import * as init from "../init.js";
import { Module } from "../module.js";
import { Parameter } from "../parameter.js";

function checkSize(op: string, name: string, v: unknown): number {
  if (typeof v !== "number" || !Number.isInteger(v) || v <= 0) {
    throw new ArgumentError(`${op}: ${name} must be a positive integer, got ${String(v)}`);
  }
  return v;
}

export { checkSize };

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
    this.inFeatures = checkSize("Linear", "inFeatures", inFeatures);
    this.outFeatures = checkSize("Linear", "outFeatures", outFeatures);
    const dtype = opts.dtype ?? "float32";
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
