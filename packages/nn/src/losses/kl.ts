/** Kullback–Leibler divergence with PyTorch's conventions (input = log-probabilities). */
import { type Tensor, where } from "@typegrad/autograd";
import * as nd from "@typegrad/tensor";
import { ArgumentError, fmtShape, ShapeError } from "@typegrad/tensor";
import { asTensor, checkOptions, checkReduction, floatInput, type Reduction, type TensorOrArray } from "./reduction.js";

/** `klDiv`'s reductions: the usual three plus `"batchmean"` (sum / batch size, the true KL). */
export type KLDivReduction = Reduction | "batchmean";

/** Options of `klDiv`. */
export interface KLDivLossOptions {
  /**
   * `"mean"` (default, like torch: averages over every element, which is NOT the KL divergence),
   * `"batchmean"` (sum / batch size: the KL per sample — use this), `"sum"` or `"none"`.
   */
  reduction?: KLDivReduction;
  /** The target holds log-probabilities instead of probabilities. Default false. */
  logTarget?: boolean;
}

/** Validated options for `klDiv` (also used by `KLDivLoss`'s constructor). */
export function resolveKLDivOptions(
  op: string,
  opts?: KLDivLossOptions,
): { reduction: KLDivReduction; logTarget: boolean } {
  const o = checkOptions(op, opts, ["reduction", "logTarget"]);
  const reduction = checkReduction<KLDivReduction>(op, o.reduction, ["mean", "batchmean", "sum", "none"]);
  if (o.logTarget !== undefined && typeof o.logTarget !== "boolean") {
    throw new ArgumentError(`${op}: logTarget must be a boolean, got ${String(o.logTarget)}`);
  }
  return { reduction, logTarget: o.logTarget ?? false };
}

/**
 * KL divergence `KL(target ‖ q)` where `input = log q` (log-probabilities, e.g. from `logSoftmax`):
 * pointwise `ℓ = t·(log t − input)`, taken as 0 where `t = 0` (xlogy semantics), or with
 * `logTarget: true` (target `s = log t`) `ℓ = eˢ·(s − input)`.
 *
 * Reductions follow PyTorch: the default `"mean"` divides by the number of elements (batch × classes);
 * `"batchmean"` divides the sum by the batch size (`input.shape[0]`) and is the actual KL divergence
 * per sample. The target may broadcast to the input's shape (e.g. a prior of shape `[C]`); negative or
 * NaN probability targets throw (a common sign of forgetting `logTarget: true`).
 *
 * Gradient: `∂ℓ/∂input = −t`. Used for distillation (match a teacher's softened distribution) and
 * VAE-style regularisers; against a one-hot target it equals cross-entropy.
 *
 * @example
 * ```ts
 * klDiv(tensor([[0.5, 0.5]]).log(), tensor([[0.25, 0.75]]), { reduction: "batchmean" }).item(); // 0.13081
 * klDiv(student.logSoftmax(-1), teacher.logSoftmax(-1), { reduction: "batchmean", logTarget: true });
 * ```
 */
export function klDiv(input: Tensor, target: TensorOrArray, opts?: KLDivLossOptions): Tensor {
  const op = "klDiv";
  const { reduction, logTarget } = resolveKLDivOptions(op, opts);
  const x = floatInput(op, input);
  let t = asTensor(op, "target", target);
  let fits = t.ndim <= x.ndim;
  for (let i = 1; fits && i <= t.ndim; i++) {
    const d = t.shape[t.ndim - i] as number;
    if (d !== 1 && d !== x.shape[x.ndim - i]) fits = false;
  }
  if (!fits) {
    throw new ShapeError(
      `klDiv: target shape ${fmtShape(t.shape)} must equal (or broadcast to) the input's shape ${fmtShape(x.shape)}`,
    );
  }
  if (t.dtype !== x.dtype) t = t.to(x.dtype);
  let loss: Tensor;
  if (logTarget) {
    loss = t.exp().mul(t.sub(x));
  } else {
    const values = t.data.toTypedArray();
    for (let i = 0; i < values.length; i++) {
      const v = values[i] as number;
      if (!(v >= 0)) {
        throw new ArgumentError(
          `klDiv: target must hold probabilities (>= 0), got ${v} at flat index ${i}; pass { logTarget: true } for log-probabilities`,
        );
      }
    }
    // xlogy(t, t): t·log t, and 0 where t = 0 (the inner where keeps log's gradient finite there).
    const pos = nd.gt(t.data, 0);
    const tLogT = where(pos, t.mul(where(pos, t, 1).log()), 0);
    loss = tLogT.sub(t.mul(x));
  }
  if ((reduction === "mean" || reduction === "batchmean") && loss.size === 0) {
    throw new ShapeError(
      `klDiv: input of shape ${fmtShape(x.shape)} is empty, so reduction "${reduction}" has nothing to average (it would be NaN); use "sum" or "none"`,
    );
  }
  switch (reduction) {
    case "none":
      return loss;
    case "sum":
      return loss.sum();
    case "mean":
      return loss.mean();
    case "batchmean":
      return x.ndim === 0 ? loss.sum() : loss.sum().div(x.shape[0] as number);
  }
}
