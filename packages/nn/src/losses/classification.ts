/**
 * Multi-class losses: cross-entropy on logits (class-index or probability targets, class weights,
 * ignored targets, label smoothing) and negative log-likelihood on log-probabilities. Cross-entropy is
 * `logSoftmax` + the NLL gather, never `log(softmax)`, so it is exact for logits of any magnitude.
 */
import { softmaxCrossEntropy, Tensor, where } from "@typegrad/autograd";
import * as nd from "@typegrad/tensor";
import { ArgumentError, DTypeError, fmtShape, IndexError, ShapeError } from "@typegrad/tensor";
import {
  asTensor,
  checkNumber,
  checkOptions,
  checkReduction,
  floatInput,
  type Reduction,
  type TensorOrArray,
} from "./reduction.js";

/** Options of `nllLoss`. */
export interface NLLLossOptions {
  /** A weight per class, shape `[C]`: rescales each sample's loss by the weight of its target class. */
  weight?: TensorOrArray;
  /** Targets equal to this class index contribute 0 loss and 0 gradient (e.g. padding). Default −100. */
  ignoreIndex?: number;
  /** `"mean"` (default; divides by the summed weights of the non-ignored targets), `"sum"` or `"none"`. */
  reduction?: Reduction;
}

/** Options of `crossEntropy`. */
export interface CrossEntropyLossOptions extends NLLLossOptions {
  /** In [0, 1]: mixes the target with the uniform distribution, `(1 − ε)·target + ε/C`. Default 0. */
  labelSmoothing?: number;
}

interface ResolvedCE {
  reduction: Reduction;
  weight: TensorOrArray | undefined;
  ignoreIndex: number;
  labelSmoothing: number;
}

/** Validated options for `crossEntropy` (also used by `CrossEntropyLoss`'s constructor). */
export function resolveCrossEntropyOptions(op: string, opts?: CrossEntropyLossOptions): ResolvedCE {
  const o = checkOptions(op, opts, ["weight", "ignoreIndex", "labelSmoothing", "reduction"]);
  return {
    reduction: checkReduction(op, o.reduction),
    weight: o.weight,
    ignoreIndex: checkNumber(op, "ignoreIndex", o.ignoreIndex, -100, { integer: true }),
    labelSmoothing: checkNumber(op, "labelSmoothing", o.labelSmoothing, 0, { min: 0, max: 1 }),
  };
}

/** Validated options for `nllLoss`. */
export function resolveNLLOptions(op: string, opts?: NLLLossOptions): ResolvedCE {
  const o = checkOptions(op, opts, ["weight", "ignoreIndex", "reduction"]);
  return {
    reduction: checkReduction(op, o.reduction),
    weight: o.weight,
    ignoreIndex: checkNumber(op, "ignoreIndex", o.ignoreIndex, -100, { integer: true }),
    labelSmoothing: 0,
  };
}

/** The class count of `(C)` or `(N, C, d1, ...)` scores, validating the rank. */
function classCount(op: string, x: Tensor, name: string): number {
  if (x.ndim === 0) {
    throw new ShapeError(`${op}: ${name} must have shape [C] or [N, C, d1, ...], got a 0-d tensor`);
  }
  const c = x.shape[x.ndim === 1 ? 0 : 1] as number;
  if (c === 0) throw new ShapeError(`${op}: ${name} of shape ${fmtShape(x.shape)} has no classes (C = 0)`);
  return c;
}

/** A per-class weight of shape `[C]` in `like`'s dtype. */
function classWeight(op: string, w: TensorOrArray | undefined, c: number, like: Tensor): Tensor | undefined {
  if (w === undefined) return undefined;
  const t = asTensor(op, "weight", w);
  if (!nd.isFloat(t.dtype)) {
    throw new DTypeError(`${op}: weight must be float32 or float64, got ${t.dtype} of shape ${fmtShape(t.shape)}`);
  }
  if (t.ndim !== 1 || t.shape[0] !== c) {
    throw new ShapeError(`${op}: weight must have shape [${c}] (one per class), got ${fmtShape(t.shape)}`);
  }
  return t.dtype === like.dtype ? t : t.to(like.dtype);
}

/** A 0-d zero that is still part of the graph of `t`, so backward gives zero gradients (not an error). */
function zeroFrom(t: Tensor): Tensor {
  return where(nd.full([], false), t, 0);
}

/**
 * NLL over class-index targets with optional label smoothing, on batched `(N, C, d1, ...)` log-probs:
 * torch's `cross_entropy_loss_label_smoothing` formula, including how weights normalise the mean.
 */
function indexTargetLoss(
  op: string,
  logp: Tensor,
  target: nd.NDArray,
  o: ResolvedCE,
  weight: Tensor | undefined,
  unbatched: boolean,
): Tensor {
  const c = logp.shape[1] as number;
  const values = target.toTypedArray();
  const n = values.length;
  const safe = new Int32Array(n);
  const valid = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const v = values[i] as number;
    if (v === o.ignoreIndex) continue;
    if (v < 0 || v >= c) {
      throw new IndexError(
        `${op}: target ${v} at flat index ${i} is out of range for ${c} classes (expected 0..${c - 1}, or ignoreIndex ${o.ignoreIndex})`,
      );
    }
    safe[i] = v;
    valid[i] = 1;
  }
  const tShape = target.shape;
  const validMask = new nd.NDArray(valid, tShape);
  const safeIdx = new nd.NDArray(safe, tShape);

  // −w[yᵢ]·log p(yᵢ); ignored entries are selected away (0 value, 0 gradient, even if log p is −∞).
  const picked = logp.gather(1, safeIdx.unsqueeze(1)).squeeze(1);
  const wTarget = weight ? weight.indexSelect(0, safeIdx.reshape([n])).reshape(tShape) : null;
  let loss = where(validMask, (wTarget ? picked.mul(wTarget) : picked).neg(), 0);

  const eps = o.labelSmoothing;
  if (eps > 0) {
    // smoothᵢ = −Σ_c w_c·log p_ic, mixed in as ε/C of it.
    const wShape = logp.shape.map((d, i) => (i === 1 ? d : 1));
    const smooth = where(validMask, (weight ? logp.mul(weight.reshape(wShape)) : logp).sum(1).neg(), 0);
    loss = loss.mul(1 - eps).add(smooth.mul(eps / c));
  }

  if (o.reduction === "none") return unbatched ? loss.reshape([]) : loss;
  const total = loss.sum();
  if (o.reduction === "sum") return total;
  // "mean" divides by the summed weights of the non-ignored targets (their count without weights).
  const denom = wTarget ? where(validMask, wTarget, 0).sum() : nd.sum(validMask).item();
  const denomValue = denom instanceof Tensor ? denom.item() : denom;
  // Nothing to average (every target ignored, or an empty batch): 0 with zero gradient, not NaN.
  if (denomValue === 0) return zeroFrom(total);
  return total.div(denom);
}

/** Checks class-index targets against C, returning safe indices (0 where ignored) and the 0/1 mask. */
function targetRows(
  op: string,
  target: nd.NDArray,
  c: number,
  ignoreIndex: number,
): { safe: Int32Array; valid: Uint8Array } {
  const values = target.toTypedArray();
  const n = values.length;
  const safe = new Int32Array(n);
  const valid = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const v = values[i] as number;
    if (v === ignoreIndex) continue;
    if (v < 0 || v >= c) {
      throw new IndexError(
        `${op}: target ${v} at flat index ${i} is out of range for ${c} classes (expected 0..${c - 1}, or ignoreIndex ${ignoreIndex})`,
      );
    }
    safe[i] = v;
    valid[i] = 1;
  }
  return { safe, valid };
}

/** `indexTargetLoss` for `(N, C)` logits in one fused kernel pass; same values, reductions and edge cases. */
function fusedIndexLoss(
  op: string,
  logits: Tensor,
  target: nd.NDArray,
  o: ResolvedCE,
  weight: Tensor | undefined,
  unbatched: boolean,
): Tensor {
  const [n, c] = logits.shape as [number, number];
  const { safe, valid } = targetRows(op, target, c, o.ignoreIndex);
  const loss = softmaxCrossEntropy(logits, {
    target: new nd.NDArray(safe, [n]),
    valid: new nd.NDArray(valid, [n]),
    weight: weight ? weight.data : null,
    smoothing: o.labelSmoothing,
  });
  if (o.reduction === "none") return unbatched ? loss.reshape([]) : loss;
  const total = loss.sum();
  if (o.reduction === "sum") return total;
  // "mean" divides by the summed weights of the non-ignored targets (their count without weights).
  let denom = 0;
  const w = weight ? weight.data.toTypedArray() : null;
  for (let i = 0; i < n; i++) if (valid[i]) denom += w ? (w[safe[i] as number] as number) : 1;
  return denom === 0 ? zeroFrom(total) : total.div(denom);
}

/** Cross-entropy against class probabilities of the logits' shape (torch's soft-target path). */
function probTargetLoss(
  op: string,
  logp: Tensor,
  target: Tensor,
  o: ResolvedCE,
  weight: Tensor | undefined,
  classDim: number,
): Tensor {
  if (o.ignoreIndex >= 0) {
    throw new ArgumentError(
      `${op}: ignoreIndex (${o.ignoreIndex}) is not supported with class-probability targets (float target of the logits' shape ${fmtShape(logp.shape)})`,
    );
  }
  const c = logp.shape[classDim] as number;
  let t = target.dtype === logp.dtype ? target : target.to(logp.dtype);
  if (o.labelSmoothing > 0) t = t.mul(1 - o.labelSmoothing).add(o.labelSmoothing / c);
  let prod = logp.mul(t);
  if (weight) prod = prod.mul(weight.reshape(logp.shape.map((d, i) => (i === classDim ? d : 1))));
  const loss = prod.sum(classDim).neg();
  if (o.reduction === "none") return loss;
  const total = loss.sum();
  if (o.reduction === "sum") return total;
  // "mean" divides by the number of samples (numel / C), not by weights.
  return loss.size === 0 ? zeroFrom(total) : total.div(loss.size);
}

/** Validates index targets: int32, shape `(N, d1, ...)` (or 0-d for unbatched `(C)` scores). */
function indexTarget(op: string, x: Tensor, t: Tensor, name: string, allowProbs: boolean): nd.NDArray {
  const unbatched = x.ndim === 1;
  const expected = unbatched ? [] : [x.shape[0] as number, ...x.shape.slice(2)];
  if (!nd.shapesEqual(t.shape, expected)) {
    const probs = allowProbs ? ` or float class probabilities of the ${name}' shape ${fmtShape(x.shape)}` : "";
    throw new ShapeError(
      `${op}: target shape ${fmtShape(t.shape)} does not fit ${name} of shape ${fmtShape(x.shape)}: expected int32 class indices of shape ${fmtShape(expected)}${probs}`,
    );
  }
  if (t.dtype !== "int32") {
    const probs = allowProbs
      ? `; for class probabilities pass a float target of the ${name}' shape ${fmtShape(x.shape)}`
      : "; nllLoss takes class indices only (crossEntropy also takes probabilities)";
    throw new DTypeError(
      `${op}: class-index target must be int32, got ${t.dtype} of shape ${fmtShape(t.shape)}${probs}`,
    );
  }
  return unbatched ? t.data.reshape([1]) : t.data;
}

/**
 * Cross-entropy between logits and targets — the loss of multi-class classification and of
 * language models (next-token prediction). `logits` are unnormalised scores of shape `(N, C)`,
 * `(N, C, d1, ...)` (e.g. per pixel) or `(C)` for one sample; class dim is 1 (0 when unbatched).
 *
 * With int32 class-index targets `y` of shape `(N)` / `(N, d1, ...)` / `()`:
 * `ℓᵢ = −w[yᵢ]·log softmax(xᵢ)[yᵢ]`, and `"mean"` divides the sum by `Σᵢ w[yᵢ]` (the count of
 * non-ignored targets without weights). Targets equal to `ignoreIndex` add 0 loss and 0 gradient; if
 * every target is ignored the mean is 0 with zero gradient (PyTorch returns NaN).
 * With `labelSmoothing` ε (PyTorch's exact formula): `ℓᵢ = (1 − ε)·nllᵢ + ε/C·(−Σ_c w_c·log p_ic)`, both
 * terms normalised by the same `Σᵢ w[yᵢ]` for `"mean"`.
 *
 * With float class-probability targets `t` of the logits' shape: `ℓᵢ = −Σ_c w_c·t_ic·log p_ic`, after
 * smoothing `t ← (1 − ε)·t + ε/C`; `"mean"` divides by the number of samples `N·d1·…`.
 *
 * Gradient (no weights, one sample): `∂ℓ/∂x = softmax(x) − onehot(y)` (or `− t`): it never vanishes
 * while the model is wrong, and `logSoftmax` keeps it exact for logits like ±1e4.
 *
 * For sequences, flatten `(B, T, C)` predictions to `(B·T, C)` and targets `(B, T)` to `(B·T)`, or
 * permute to `(B, C, T)`; padding positions get `ignoreIndex`.
 *
 * @example
 * ```ts
 * crossEntropy(tensor([[2, 0, 0]]), tensor([0], { dtype: "int32" })).item();  // ln(e² + 2) − 2 = 0.2395
 * crossEntropy(logits.reshape(B * T, V), tokens.reshape(B * T), { ignoreIndex: PAD, labelSmoothing: 0.1 });
 * ```
 */
export function crossEntropy(logits: Tensor, target: TensorOrArray, opts?: CrossEntropyLossOptions): Tensor {
  const op = "crossEntropy";
  const o = resolveCrossEntropyOptions(op, opts);
  const x = floatInput(op, logits, "logits");
  const c = classCount(op, x, "logits");
  const t = asTensor(op, "target", target);
  const weight = classWeight(op, o.weight, c, x);
  const classDim = x.ndim === 1 ? 0 : 1;
  if (nd.shapesEqual(t.shape, x.shape)) {
    if (!nd.isFloat(t.dtype)) {
      throw new DTypeError(
        `${op}: a target of the logits' shape ${fmtShape(x.shape)} holds class probabilities and must be float, got ${t.dtype} (class indices have shape ${fmtShape(x.ndim === 1 ? [] : [x.shape[0] as number, ...x.shape.slice(2)])})`,
      );
    }
    return probTargetLoss(op, x.logSoftmax(classDim), t, o, weight, classDim);
  }
  const idx = indexTarget(op, x, t, "logits", true);
  const batched = x.ndim === 1 ? x.reshape([1, c]) : x;
  // (N, C) logits with constant class weights take the fused log-softmax + NLL kernel.
  if (batched.ndim === 2 && !weight?.requiresGrad) return fusedIndexLoss(op, batched, idx, o, weight, x.ndim === 1);
  return indexTargetLoss(op, batched.logSoftmax(1), idx, o, weight, x.ndim === 1);
}

/**
 * Negative log-likelihood of class-index targets given log-probabilities (e.g. from `logSoftmax`):
 * `ℓᵢ = −w[yᵢ]·logProbs[i, yᵢ]`. Same shapes, `weight`, `ignoreIndex` and `"mean"` rule as
 * `crossEntropy` (which is `nllLoss(logits.logSoftmax(1), y)`); an all-ignored batch gives 0.
 *
 * Gradient: `−w[yᵢ]` at the target class (divided by `Σ w[yᵢ]` for `"mean"`), 0 elsewhere. Use it when
 * the model already ends in `logSoftmax`; otherwise call `crossEntropy` on the logits.
 *
 * @example
 * ```ts
 * nllLoss(tensor([[-0.1, -2.4], [-1.2, -0.4]]), tensor([0, 1], { dtype: "int32" })).item(); // (0.1 + 0.4) / 2 = 0.25
 * nllLoss(logProbs, targets, { weight: tensor([1, 3]), ignoreIndex: 0 });
 * ```
 */
export function nllLoss(logProbs: Tensor, target: TensorOrArray, opts?: NLLLossOptions): Tensor {
  const op = "nllLoss";
  const o = resolveNLLOptions(op, opts);
  const x = floatInput(op, logProbs, "input");
  const c = classCount(op, x, "input");
  const t = asTensor(op, "target", target);
  const weight = classWeight(op, o.weight, c, x);
  const idx = indexTarget(op, x, t, "input", false);
  const batched = x.ndim === 1 ? x.reshape([1, c]) : x;
  return indexTargetLoss(op, batched, idx, o, weight, x.ndim === 1);
}
