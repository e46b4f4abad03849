/**
 * Regression losses: mean squared error, mean absolute error, Huber and smooth L1. Each compares a
 * prediction with a target of the same shape elementwise and is composed of differentiable Tensor
 * ops, so second derivatives work too.
 */
import { type Tensor, where } from "@typegrad/autograd";
import * as nd from "@typegrad/tensor";
import {
  checkNumber,
  checkOptions,
  checkReduction,
  floatInput,
  type Reduction,
  reduce,
  sameShapeTarget,
  type TensorOrArray,
} from "./reduction.js";

/** Options of `mseLoss` and `l1Loss`. */
export interface RegressionLossOptions {
  /** `"mean"` (default), `"sum"` or `"none"`. */
  reduction?: Reduction;
}

/** Options of `huberLoss`. */
export interface HuberLossOptions extends RegressionLossOptions {
  /** Where the loss turns from quadratic to linear; must be > 0. Default 1. */
  delta?: number;
}

/** Options of `smoothL1Loss`. */
export interface SmoothL1LossOptions extends RegressionLossOptions {
  /** Where the loss turns from quadratic to linear; must be >= 0 (0 gives the L1 loss). Default 1. */
  beta?: number;
}

/** Validated options for `mseLoss`/`l1Loss` (also used by the Module forms' constructors). */
export function resolveRegressionOptions(op: string, opts?: RegressionLossOptions): { reduction: Reduction } {
  const o = checkOptions(op, opts, ["reduction"]);
  return { reduction: checkReduction(op, o.reduction) };
}

/** Validated options for `huberLoss`. */
export function resolveHuberOptions(op: string, opts?: HuberLossOptions): { reduction: Reduction; delta: number } {
  const o = checkOptions(op, opts, ["reduction", "delta"]);
  return { reduction: checkReduction(op, o.reduction), delta: checkNumber(op, "delta", o.delta, 1, { gt: 0 }) };
}

/** Validated options for `smoothL1Loss`. */
export function resolveSmoothL1Options(op: string, opts?: SmoothL1LossOptions): { reduction: Reduction; beta: number } {
  const o = checkOptions(op, opts, ["reduction", "beta"]);
  return { reduction: checkReduction(op, o.reduction), beta: checkNumber(op, "beta", o.beta, 1, { min: 0 }) };
}

/**
 * Mean squared error: `ℓᵢ = (xᵢ − yᵢ)²`, averaged (default), summed or returned per element.
 *
 * Gradient: `∂ℓ/∂xᵢ = 2(xᵢ − yᵢ)` (divided by the element count for `"mean"`), so large errors pull
 * hardest: the loss of choice for regression with roughly Gaussian noise, and the one most hurt by
 * outliers (see `huberLoss`). Input and target must have the same shape (no broadcasting).
 *
 * @example
 * ```ts
 * mseLoss(tensor([1, 2, 3]), tensor([1, 2, 5])).item(); // (0 + 0 + 4) / 3 = 1.3333
 * mseLoss(x, y, { reduction: "none" });                  // per-element squared errors
 * ```
 */
export function mseLoss(input: Tensor, target: TensorOrArray, opts?: RegressionLossOptions): Tensor {
  const { reduction } = resolveRegressionOptions("mseLoss", opts);
  const x = floatInput("mseLoss", input);
  const diff = x.sub(sameShapeTarget("mseLoss", x, target));
  return reduce(diff.mul(diff), reduction, "mseLoss");
}

/**
 * Mean absolute error (L1): `ℓᵢ = |xᵢ − yᵢ|`.
 *
 * Gradient: `sign(xᵢ − yᵢ)` (0 where they are equal, like torch), the same size for every error, so
 * outliers weigh no more than other points: robust, but its minimiser is the median and the constant
 * gradient makes it converge less smoothly than MSE near the optimum.
 *
 * @example
 * ```ts
 * l1Loss(tensor([1, 2, 3]), tensor([1, 0, 5])).item();                 // (0 + 2 + 2) / 3 = 1.3333
 * l1Loss(tensor([1, 2, 3]), tensor([1, 0, 5]), { reduction: "sum" }).item(); // 4
 * ```
 */
export function l1Loss(input: Tensor, target: TensorOrArray, opts?: RegressionLossOptions): Tensor {
  const { reduction } = resolveRegressionOptions("l1Loss", opts);
  const x = floatInput("l1Loss", input);
  return reduce(x.sub(sameShapeTarget("l1Loss", x, target)).abs(), reduction, "l1Loss");
}

/**
 * Huber loss: quadratic for small errors, linear beyond `delta` (torch's `huber_loss`). With `z = |x − y|`,
 * `ℓ = ½z²` when `z < δ`, else `δ(z − ½δ)`.
 *
 * Gradient: `x − y` inside the band, `δ·sign(x − y)` outside: MSE's smooth behaviour near the optimum
 * with L1's bounded pull from outliers. Use it for regression with occasional large errors.
 *
 * @example
 * ```ts
 * huberLoss(tensor([0, 0]), tensor([0.5, 3])).item();               // (0.125 + 2.5) / 2 = 1.3125
 * huberLoss(tensor([0, 0]), tensor([0.5, 3]), { delta: 2 }).item(); // (0.125 + 4) / 2 = 2.0625
 * ```
 */
export function huberLoss(input: Tensor, target: TensorOrArray, opts?: HuberLossOptions): Tensor {
  const { reduction, delta } = resolveHuberOptions("huberLoss", opts);
  const x = floatInput("huberLoss", input);
  const diff = x.sub(sameShapeTarget("huberLoss", x, target));
  const z = diff.abs();
  const inside = nd.lt(z.data, delta);
  const loss = where(inside, diff.mul(diff).mul(0.5), z.sub(0.5 * delta).mul(delta));
  return reduce(loss, reduction, "huberLoss");
}

/**
 * Smooth L1 loss (torch's `smooth_l1_loss`): with `z = |x − y|`, `ℓ = ½z²/β` when `z < β`, else
 * `z − ½β`. It equals `huberLoss` with `δ = β` divided by β; `beta: 0` gives exactly `l1Loss`.
 *
 * Gradient: `(x − y)/β` inside the band, `sign(x − y)` outside — the slope never exceeds 1, which is why
 * object detectors use it for box regression.
 *
 * @example
 * ```ts
 * smoothL1Loss(tensor([0, 0]), tensor([0.5, 3])).item();              // (0.125 + 2.5) / 2 = 1.3125
 * smoothL1Loss(tensor([0, 0]), tensor([0.5, 3]), { beta: 2 }).item(); // (0.0625 + 2) / 2 = 1.03125
 * ```
 */
export function smoothL1Loss(input: Tensor, target: TensorOrArray, opts?: SmoothL1LossOptions): Tensor {
  const { reduction, beta } = resolveSmoothL1Options("smoothL1Loss", opts);
  const x = floatInput("smoothL1Loss", input);
  const diff = x.sub(sameShapeTarget("smoothL1Loss", x, target));
  const z = diff.abs();
  if (beta === 0) return reduce(z, reduction, "smoothL1Loss");
  const inside = nd.lt(z.data, beta);
  const loss = where(inside, diff.mul(diff).mul(0.5 / beta), z.sub(0.5 * beta));
  return reduce(loss, reduction, "smoothL1Loss");
}
