import { allocate, floatDType, type TypedArray } from "../dtype.js";
import { DTypeError, fmtShape, ShapeError } from "../errors.js";
import { NDArray } from "../ndarray.js";
import { exp, exp32 } from "./fastmath.js";

/** Per-row class targets of a fused cross-entropy: class index, whether it counts, class weights, smoothing. */
export interface CrossEntropyTargets {
  /** int32 class index per row (any value on rows that do not count). */
  target: NDArray;
  /** 0/1 per row: 0 for ignored targets (their loss and gradient are 0). */
  valid: NDArray;
  /** Optional weight per class, shape [C]. */
  weight?: NDArray | null;
  /** Label smoothing ε in [0, 1]. */
  smoothing?: number;
}

function check(op: string, logits: NDArray, t: CrossEntropyTargets): void {
  if (logits.ndim !== 2) throw new ShapeError(`${op}: logits must be 2-d (N, C), got ${fmtShape(logits.shape)}`);
  const [n, c] = logits.shape as [number, number];
  if (t.target.dtype !== "int32" || t.target.size !== n) {
    throw new DTypeError(
      `${op}: target must be int32 with ${n} entries, got ${t.target.dtype} of shape ${fmtShape(t.target.shape)}`,
    );
  }
  if (t.valid.size !== n) throw new ShapeError(`${op}: valid must have ${n} entries, got ${fmtShape(t.valid.shape)}`);
  if (t.weight && t.weight.size !== c)
    throw new ShapeError(`${op}: weight must have ${c} entries, got ${fmtShape(t.weight.shape)}`);
}

/**
 * Fused, numerically stable log-softmax + negative log-likelihood over the rows of `(N, C)` logits:
 * `lossᵢ = (1−ε)·w[yᵢ]·(lseᵢ − x[i, yᵢ]) + ε/C·Σ_c w_c·(lseᵢ − x_ic)` with `lse = m + log Σ e^{x−m}`,
 * 0 on rows that do not count. Also returns the softmax probabilities, which the gradient needs.
 *
 * @example
 * ```ts
 * const { losses } = softmaxCrossEntropy(array([[2, 0, 0]]), { target: array([0], { dtype: "int32" }), valid: array([1], { dtype: "int32" }) });
 * losses.item(); // ln(e² + 2) − 2 = 0.2395
 * ```
 */
export function softmaxCrossEntropy(logits: NDArray, t: CrossEntropyTargets): { losses: NDArray; probs: NDArray } {
  check("softmaxCrossEntropy", logits, t);
  const [n, c] = logits.shape as [number, number];
  const x = logits.contiguous();
  const X = x.data;
  const base = x.offset;
  const dtype = floatDType(x.dtype);
  const e = dtype === "float64" ? exp : exp32;
  const probs = allocate(dtype, n * c);
  const losses = allocate(dtype, n);
  const target = t.target.toTypedArray();
  const valid = t.valid.toTypedArray();
  const w = t.weight ? t.weight.toTypedArray() : null;
  const eps = t.smoothing ?? 0;
  let wSum = c;
  if (w) {
    wSum = 0;
    for (let k = 0; k < c; k++) wSum += w[k] as number;
  }
  for (let i = 0; i < n; i++) {
    const row = base + i * c;
    const out = i * c;
    let m = -Infinity;
    for (let k = 0; k < c; k++) {
      const v = X[row + k] as number;
      if (v > m || v !== v) m = v;
    }
    if (m === -Infinity) m = 0;
    let s = 0;
    for (let k = 0; k < c; k++) {
      const p = e((X[row + k] as number) - m);
      probs[out + k] = p;
      s += p;
    }
    const inv = 1 / s;
    for (let k = 0; k < c; k++) probs[out + k] = (probs[out + k] as number) * inv;
    if (!valid[i]) continue;
    const lse = m + Math.log(s);
    const y = target[i] as number;
    let loss = (1 - eps) * (w ? (w[y] as number) : 1) * (lse - (X[row + y] as number));
    if (eps > 0) {
      let wx = 0;
      for (let k = 0; k < c; k++) wx += (w ? (w[k] as number) : 1) * (X[row + k] as number);
      loss += (eps / c) * (wSum * lse - wx);
    }
    losses[i] = loss;
  }
  return { losses: new NDArray(losses, [n]), probs: new NDArray(probs, [n, c]) };
}

/**
 * Gradient of `softmaxCrossEntropy`'s per-row losses for upstream gradient `g` (N):
 * `gᵢ·(p_ic·Aᵢ − B_ic)` with `Aᵢ = (1−ε)·w[yᵢ] + ε/C·Σw` and `B_ic = (1−ε)·w[yᵢ]·[c = yᵢ] + ε/C·w_c`;
 * zero on rows that do not count.
 */
export function softmaxCrossEntropyBackward(g: NDArray, probs: NDArray, t: CrossEntropyTargets): NDArray {
  check("softmaxCrossEntropyBackward", probs, t);
  const [n, c] = probs.shape as [number, number];
  const G = g.toTypedArray();
  const P = probs.toTypedArray();
  const out: TypedArray = allocate(probs.dtype, n * c);
  const target = t.target.toTypedArray();
  const valid = t.valid.toTypedArray();
  const w = t.weight ? t.weight.toTypedArray() : null;
  const eps = t.smoothing ?? 0;
  let wSum = c;
  if (w) {
    wSum = 0;
    for (let k = 0; k < c; k++) wSum += w[k] as number;
  }
  for (let i = 0; i < n; i++) {
    if (!valid[i]) continue;
    const gi = G[i] as number;
    const y = target[i] as number;
    const wy = (1 - eps) * (w ? (w[y] as number) : 1);
    const a = gi * (wy + (eps / c) * wSum);
    const row = i * c;
    if (eps > 0) {
      const s = gi * (eps / c);
      for (let k = 0; k < c; k++) out[row + k] = (P[row + k] as number) * a - s * (w ? (w[k] as number) : 1);
    } else {
      for (let k = 0; k < c; k++) out[row + k] = (P[row + k] as number) * a;
    }
    out[row + y] = (out[row + y] as number) - gi * wy;
  }
  return new NDArray(out, [n, c]);
}

/**
 * The constants of `softmaxCrossEntropy`'s gradient, `∂lossᵢ/∂x_ic = p_ic·Aᵢ − B_ic`, as arrays
 * `a` (N, 1) and `b` (N, C): for writing that gradient with differentiable ops (double backward).
 */
export function softmaxCrossEntropyCoefficients(
  n: number,
  c: number,
  t: CrossEntropyTargets,
  dtype: "float32" | "float64",
): { a: NDArray; b: NDArray } {
  const a = allocate(dtype, n);
  const b = allocate(dtype, n * c);
  const target = t.target.toTypedArray();
  const valid = t.valid.toTypedArray();
  const w = t.weight ? t.weight.toTypedArray() : null;
  const eps = t.smoothing ?? 0;
  let wSum = c;
  if (w) {
    wSum = 0;
    for (let k = 0; k < c; k++) wSum += w[k] as number;
  }
  for (let i = 0; i < n; i++) {
    if (!valid[i]) continue;
    const y = target[i] as number;
    const wy = (1 - eps) * (w ? (w[y] as number) : 1);
    a[i] = wy + (eps / c) * wSum;
    for (let k = 0; k < c; k++) b[i * c + k] = (eps / c) * (w ? (w[k] as number) : 1);
    b[i * c + y] = (b[i * c + y] as number) + wy;
  }
  return { a: new NDArray(a, [n, 1]), b: new NDArray(b, [n, c]) };
}
