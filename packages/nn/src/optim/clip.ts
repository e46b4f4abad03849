import { Tensor } from "@typegrad/autograd";
import * as nd from "@typegrad/tensor";
import { ArgumentError, type NDArray } from "@typegrad/tensor";
import { describe } from "./optimizer.js";

/** Gradients of `params` that are set, checked to be Tensors. */
function gradsOf(op: string, params: Tensor | Iterable<Tensor>): Tensor[] {
  const list = params instanceof Tensor ? [params] : params;
  if (list === null || typeof list !== "object" || typeof (list as Iterable<Tensor>)[Symbol.iterator] !== "function") {
    throw new ArgumentError(`${op}: expected a Tensor or an iterable of Tensors, got ${describe(params)}`);
  }
  const grads: Tensor[] = [];
  let i = 0;
  for (const p of list) {
    if (!(p instanceof Tensor)) throw new ArgumentError(`${op}: parameter ${i} must be a Tensor, got ${describe(p)}`);
    const g = p.grad as unknown;
    if (g !== null && g !== undefined) {
      if (!(g instanceof Tensor)) {
        throw new ArgumentError(`${op}: the gradient of parameter ${i} must be a Tensor, got ${describe(g)}`);
      }
      if (!nd.isFloat(g.dtype)) {
        throw new nd.DTypeError(`${op}: the gradient of parameter ${i} must be float, got ${g.dtype}`);
      }
      grads.push(g);
    }
    i++;
  }
  return grads;
}

/** Applies `fn` to every element of `g` in place (contiguous fast path). */
function mapInPlace(g: Tensor, fn: (x: number) => number): void {
  const a: NDArray = g.data;
  if (a.isContiguous()) {
    const d = a.data;
    const end = a.offset + a.size;
    for (let i = a.offset; i < end; i++) d[i] = fn(d[i]!);
  } else {
    const vals = a.toTypedArray().slice();
    for (let i = 0; i < vals.length; i++) vals[i] = fn(vals[i]!);
    nd.assign(a, new nd.NDArray(vals, a.shape));
  }
  g.bumpVersion();
}

/** The p-norm of all elements of all `grads` together, in float64. */
function totalNorm(grads: Tensor[], normType: number): number {
  let acc = 0;
  for (const g of grads) {
    const d = g.data.toTypedArray();
    if (normType === Number.POSITIVE_INFINITY) {
      for (let i = 0; i < d.length; i++) {
        const a = Math.abs(d[i]!);
        if (a > acc || Number.isNaN(a)) acc = a;
      }
    } else if (normType === 2) {
      for (let i = 0; i < d.length; i++) acc += d[i]! * d[i]!;
    } else if (normType === 1) {
      for (let i = 0; i < d.length; i++) acc += Math.abs(d[i]!);
    } else {
      for (let i = 0; i < d.length; i++) acc += Math.abs(d[i]!) ** normType;
    }
  }
  if (normType === Number.POSITIVE_INFINITY || normType === 1) return acc;
  return normType === 2 ? Math.sqrt(acc) : acc ** (1 / normType);
}

/**
 * Rescales the gradients of `params` in place so their combined `normType`-norm is at most
 * `maxNorm` (like `torch.nn.utils.clip_grad_norm_`): when `maxNorm / (total + 1e-6)` is below 1,
 * every gradient is multiplied by it. Parameters without a gradient are skipped. Returns the
 * total norm before clipping. `normType` may be any positive number or `Infinity` (max |g|).
 *
 * @example
 * ```ts
 * loss.backward();
 * const norm = clipGradNorm(model.parameters(), 1.0); opt.step();
 * ```
 */
export function clipGradNorm(
  params: Tensor | Iterable<Tensor>,
  maxNorm: number,
  { normType = 2, errorIfNonfinite = false }: { normType?: number; errorIfNonfinite?: boolean } = {},
): number {
  if (typeof maxNorm !== "number" || Number.isNaN(maxNorm) || maxNorm < 0) {
    throw new ArgumentError(`clipGradNorm: invalid maxNorm ${String(maxNorm)}; expected a number >= 0`);
  }
  if (typeof normType !== "number" || Number.isNaN(normType) || normType <= 0) {
    throw new ArgumentError(`clipGradNorm: invalid normType ${String(normType)}; expected a number > 0 or Infinity`);
  }
  if (typeof errorIfNonfinite !== "boolean") {
    throw new ArgumentError(
      `clipGradNorm: invalid errorIfNonfinite ${String(errorIfNonfinite)}; expected true or false`,
    );
  }
  const grads = gradsOf("clipGradNorm", params);
  if (grads.length === 0) return 0;
  const total = totalNorm(grads, normType);
  if (errorIfNonfinite && !Number.isFinite(total)) {
    throw new RangeError(
      `clipGradNorm: the total norm of order ${normType} of the gradients is ${total}, so they cannot be clipped; pass errorIfNonfinite: false to skip this check`,
    );
  }
  const coef = maxNorm / (total + 1e-6);
  if (coef < 1) for (const g of grads) mapInPlace(g, (x) => x * coef);
  return total;
}

/**
 * Clamps every gradient element of `params` to `[-clipValue, clipValue]` in place
 * (like `torch.nn.utils.clip_grad_value_`). Parameters without a gradient are skipped.
 *
 * @example
 * ```ts
 * loss.backward(); clipGradValue(model.parameters(), 0.5); opt.step();
 * ```
 */
export function clipGradValue(params: Tensor | Iterable<Tensor>, clipValue: number): void {
  if (typeof clipValue !== "number" || Number.isNaN(clipValue) || clipValue < 0) {
    throw new ArgumentError(`clipGradValue: invalid clipValue ${String(clipValue)}; expected a number >= 0`);
  }
  for (const g of gradsOf("clipGradValue", params)) {
    mapInPlace(g, (x) => Math.min(Math.max(x, -clipValue), clipValue));
  }
}
