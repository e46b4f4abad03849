import { layerNorm, type Tensor } from "@typegrad/autograd";
import * as nd from "@typegrad/tensor";
import { ArgumentError, type DType, describeValue, fmtShape, ShapeError } from "@typegrad/tensor";
import { Module } from "../module.js";
import { Parameter } from "../parameter.js";
import { checkFloatDType, checkInput, checkLayerOptions } from "./linear.js";

/**
 * Layer normalisation over the trailing `normalizedShape` dims:
 * `y = (x − mean) / √(var + eps) · weight + bias` with the biased variance, like torch.
 *
 * @example
 * ```ts
 * const ln = new LayerNorm(8);
 * ln.forward(randn([2, 5, 8])).shape; // [2, 5, 8]
 * ```
 */
export class LayerNorm extends Module {
  readonly normalizedShape: number[];
  readonly eps: number;
  weight: Parameter | null;
  bias: Parameter | null;

  constructor(
    normalizedShape: number | readonly number[],
    opts: { eps?: number; elementwiseAffine?: boolean; bias?: boolean; dtype?: DType } = {},
  ) {
    super();
    checkLayerOptions("LayerNorm", opts);
    if (typeof normalizedShape !== "number" && !Array.isArray(normalizedShape)) {
      throw new ArgumentError(
        `LayerNorm: normalizedShape must be a positive integer or an array of them, got ${describeValue(normalizedShape)}`,
      );
    }
    this.normalizedShape = typeof normalizedShape === "number" ? [normalizedShape] : [...normalizedShape];
    if (this.normalizedShape.length === 0 || this.normalizedShape.some((d) => !Number.isInteger(d) || d <= 0)) {
      throw new ArgumentError(
        `LayerNorm: normalizedShape must be positive integers, got ${JSON.stringify(normalizedShape)}`,
      );
    }
    this.eps = opts.eps ?? 1e-5;
    if (!(this.eps >= 0) || !Number.isFinite(this.eps))
      throw new ArgumentError(`LayerNorm: eps must be a finite non-negative number, got ${this.eps}`);
    const dtype = checkFloatDType("LayerNorm", opts.dtype);
    const affine = opts.elementwiseAffine ?? true;
    for (const key of ["elementwiseAffine", "bias"] as const) {
      if (opts[key] !== undefined && typeof opts[key] !== "boolean") {
        throw new ArgumentError(`LayerNorm: ${key} must be a boolean, got ${describeValue(opts[key])}`);
      }
    }
    this.weight = affine ? new Parameter(nd.ones(this.normalizedShape, { dtype })) : null;
    this.bias = affine && (opts.bias ?? true) ? new Parameter(nd.zeros(this.normalizedShape, { dtype })) : null;
  }

  forward(x: Tensor): Tensor {
    checkInput("LayerNorm", x);
    const k = this.normalizedShape.length;
    const tail = x.shape.slice(x.ndim - k);
    if (x.ndim < k || !nd.shapesEqual(tail, this.normalizedShape)) {
      throw new ShapeError(
        `LayerNorm: input of shape ${fmtShape(x.shape)} does not end with normalizedShape ${fmtShape(this.normalizedShape)}`,
      );
    }
    return layerNorm(x, k, this.weight, this.bias, this.eps);
  }
}
