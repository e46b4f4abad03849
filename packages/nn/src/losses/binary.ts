/**
 * Binary classification losses: binary cross-entropy on probabilities (logs clamped at −100 like
 * torch) and on logits (the numerically stable form, with `posWeight` for imbalanced classes).
 */
import { defineOp, Tensor } from "@typegrad/autograd";
import * as nd from "@typegrad/tensor";
import { ArgumentError, type NDArray } from "@typegrad/tensor";
import {
  broadcastWeight,
  checkOptions,
  checkReduction,
  floatInput,
  type Reduction,
  reduce,
  sameShapeTarget,
  type TensorOrArray,
} from "./reduction.js";

/** Options of `binaryCrossEntropy`. */
export interface BCELossOptions {
  /** A rescaling weight per element, broadcast to the input's shape (e.g. one per column). */
  weight?: TensorOrArray;
  /** `"mean"` (default), `"sum"` or `"none"`. */
  reduction?: Reduction;
}

/** Options of `binaryCrossEntropyWithLogits`. */
export interface BCEWithLogitsLossOptions extends BCELossOptions {
  /**
   * Weight of the positive term, broadcast against the input (usually one per class, shape `[C]`):
   * `posWeight = negatives / positives` balances an imbalanced label.
   */
  posWeight?: TensorOrArray;
}

/** Validated options for `binaryCrossEntropy` (also used by `BCELoss`'s constructor). */
export function resolveBCEOptions(
  op: string,
  opts?: BCELossOptions,
): { reduction: Reduction; weight: TensorOrArray | undefined } {
  const o = checkOptions(op, opts, ["weight", "reduction"]);
  return { reduction: checkReduction(op, o.reduction), weight: o.weight };
}

/** Validated options for `binaryCrossEntropyWithLogits`. */
export function resolveBCEWithLogitsOptions(
  op: string,
  opts?: BCEWithLogitsLossOptions,
): { reduction: Reduction; weight: TensorOrArray | undefined; posWeight: TensorOrArray | undefined } {
  const o = checkOptions(op, opts, ["weight", "posWeight", "reduction"]);
  return { reduction: checkReduction(op, o.reduction), weight: o.weight, posWeight: o.posWeight };
}

/** Throws unless every value lies in [0, 1] (NaN included), like torch's check. */
function checkUnitInterval(op: string, name: string, x: NDArray, hint: string): void {
  const v = x.toTypedArray();
  for (let i = 0; i < v.length; i++) {
    const p = v[i] as number;
    if (!(p >= 0 && p <= 1)) {
      throw new ArgumentError(
        `${op}: all elements of ${name} should be between 0 and 1, got ${p} at flat index ${i}${hint}`,
      );
    }
  }
}

/** torch's bound on the probability gradient's denominator: `max(p(1 − p), 1e-12)`. */
const BCE_EPS = 1e-12;

/**
 * The per-element BCE as one op, so its gradient is torch's (bounded where the forward clamps)
 * rather than 0·∞ = NaN at p = 0 or 1. The backward is written with Tensor ops: double backward works.
 */
const bceElementwise = defineOp({
  name: "binaryCrossEntropy",
  forward(ctx, p, y) {
    ctx.saveForBackward(p, y);
    // −(y·max(log p, −100) + (1 − y)·max(log(1 − p), −100))
    const logP = nd.maximum(nd.log(p), -100);
    const log1mP = nd.maximum(nd.log1p(nd.neg(p)), -100);
    return nd.neg(nd.add(nd.mul(y, logP), nd.mul(nd.sub(1, y), log1mP)));
  },
  backward(ctx, g) {
    const [p, y] = ctx.saved as [Tensor, Tensor];
    return [
      // (p − y) / max(p(1 − p), ε)
      ctx.needsInputGrad[0] ? g.mul(p.sub(y)).div(p.mul(p.neg().add(1)).clamp(BCE_EPS)) : null,
      // log(1 − p) − log p
      ctx.needsInputGrad[1] ? g.mul(p.neg().log1p().sub(p.log())) : null,
    ];
  },
});

/**
 * Binary cross-entropy (log loss) on probabilities `p ∈ [0, 1]`:
 * `ℓᵢ = −wᵢ·[yᵢ·log pᵢ + (1 − yᵢ)·log(1 − pᵢ)]`, with each log clamped at −100 like torch, so `p = 0`
 * or `1` gives a finite loss (at most 100 per element) instead of ∞.
 *
 * Gradient: `∂ℓ/∂p = w·(p − y) / max(p(1 − p), 1e-12)` — torch's formula, which equals the exact
 * derivative wherever `p(1 − p) > 1e-12` and stays finite at 0 and 1. Targets may be soft labels in
 * [0, 1]; input and target must have the same shape, and values outside [0, 1] throw.
 *
 * Prefer `binaryCrossEntropyWithLogits` when you have logits: `sigmoid` then `log` loses precision
 * (and hits the clamp) for confident predictions. `"mean"` averages over all elements.
 *
 * @example
 * ```ts
 * binaryCrossEntropy(tensor([0.9, 0.1]), tensor([1, 0])).item(); // −ln 0.9 = 0.10536
 * binaryCrossEntropy(tensor([0]), tensor([1])).item();           // 100 (clamped, not Infinity)
 * ```
 */
export function binaryCrossEntropy(probs: Tensor, target: TensorOrArray, opts?: BCELossOptions): Tensor {
  const op = "binaryCrossEntropy";
  const { reduction, weight } = resolveBCEOptions(op, opts);
  const p = floatInput(op, probs);
  const y = sameShapeTarget(op, p, target);
  const w = broadcastWeight(op, "weight", weight, p);
  checkUnitInterval(op, "input", p.data, " (for logits use binaryCrossEntropyWithLogits)");
  checkUnitInterval(op, "target", y.data, "");
  const loss = bceElementwise(p, y);
  return reduce(w ? loss.mul(w) : loss, reduction, "binaryCrossEntropy");
}

/**
 * Binary cross-entropy on logits `x` (sigmoid folded in), in the stable form torch uses:
 * `ℓᵢ = wᵢ·[(1 − yᵢ)·xᵢ + (1 + (pwᵢ − 1)·yᵢ)·(log(1 + e^−|xᵢ|) + max(−xᵢ, 0))]`,
 * which is `−wᵢ·[pwᵢ·yᵢ·log σ(xᵢ) + (1 − yᵢ)·log(1 − σ(xᵢ))]` without ever overflowing `exp`.
 * Exact and finite for any logit magnitude (`x = ±1e4` included).
 *
 * Gradient: `∂ℓ/∂x = w·[(1 + (pw − 1)·y)·σ(x) − pw·y]`, i.e. `σ(x) − y` without weights — bounded, and
 * correct at `x = 0` too. The default choice for binary and multi-label classification.
 * `posWeight` (shape `[C]` for `C` labels, broadcast) scales the positive term to counter imbalance.
 *
 * @example
 * ```ts
 * binaryCrossEntropyWithLogits(tensor([0]), tensor([1])).item();                   // ln 2 = 0.69315
 * binaryCrossEntropyWithLogits(logits, labels, { posWeight: tensor([3, 1, 1]) }); // [N, 3] multi-label
 * ```
 */
export function binaryCrossEntropyWithLogits(
  logits: Tensor,
  target: TensorOrArray,
  opts?: BCEWithLogitsLossOptions,
): Tensor {
  const op = "binaryCrossEntropyWithLogits";
  const { reduction, weight, posWeight } = resolveBCEWithLogitsOptions(op, opts);
  const x = floatInput(op, logits);
  const y = sameShapeTarget(op, x, target);
  const w = broadcastWeight(op, "weight", weight, x);
  const pw = broadcastWeight(op, "posWeight", posWeight, x);
  // softplus(−x) = max(−x, 0) + log1p(exp(−|x|)), with |x| = s·x for a constant sign s (+1 at 0) and
  // max(−x, 0) = −x·[x < 0]: exact values, and the gradient is right at x = 0 (−σ(−x) = −½), where the
  // subgradients of abs and relu would give 0.
  const nonNeg = nd.ge(x.data, 0);
  const s = new Tensor(nd.where(nonNeg, 1, -1).astype(x.dtype));
  const negPart = new Tensor(nd.logicalNot(nonNeg).astype(x.dtype));
  const softplusNeg = x.mul(s).neg().exp().log1p().sub(x.mul(negPart));
  const posScale = pw ? pw.sub(1).mul(y).add(1) : null;
  let loss = y
    .neg()
    .add(1)
    .mul(x)
    .add(posScale ? posScale.mul(softplusNeg) : softplusNeg);
  if (w) loss = loss.mul(w);
  return reduce(loss, reduction, "binaryCrossEntropyWithLogits");
}
