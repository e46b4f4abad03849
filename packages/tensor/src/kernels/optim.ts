import type { TypedArray } from "../dtype.js";
import { ArgumentError, describeValue, ShapeError } from "../errors.js";
import { adamWasm } from "../wasm/optim.js";

/** A float typed array (the storage of a float32 or float64 NDArray). */
type FloatArray = Float32Array | Float64Array;

/** Options of {@link adamUpdate}: PyTorch's Adam / AdamW hyper-parameters for one step. */
export interface AdamUpdateOptions {
  /** Learning rate. */
  lr: number;
  /** Decay rate of the first moment `m`. */
  beta1: number;
  /** Decay rate of the second moment `v`. */
  beta2: number;
  /** Added to the denominator `√v̂`. */
  eps: number;
  /** This update's step number t (1 for the first): the bias corrections are `1 − β^t`. */
  step: number;
  /** Weight decay (default 0): L2 in the gradient for Adam, a decoupled shrink for AdamW. */
  weightDecay?: number;
  /** AdamW's decoupled weight decay: `p *= 1 − lr·weightDecay` before the update (default false). */
  decoupled?: boolean;
  /** Ascend instead of descend: the gradient is negated (default false). */
  maximize?: boolean;
  /** amsgrad: the running maximum of `v` (same length and dtype family), updated in place. */
  maxExpAvgSq?: FloatArray | null;
}

const FLOAT_ARRAY = "a Float32Array or Float64Array";

function checkFloatArray(name: string, a: unknown): asserts a is FloatArray {
  if (!(a instanceof Float32Array || a instanceof Float64Array)) {
    throw new ArgumentError(`adamUpdate: ${name} must be ${FLOAT_ARRAY}, got ${describeValue(a)}`);
  }
}

function checkNumber(name: string, x: unknown): asserts x is number {
  if (typeof x !== "number" || Number.isNaN(x)) {
    throw new ArgumentError(`adamUpdate: ${name} must be a number, got ${describeValue(x)}`);
  }
}

function checkFlag(name: string, x: unknown): void {
  if (x !== undefined && typeof x !== "boolean") {
    throw new ArgumentError(`adamUpdate: ${name} must be true or false, got ${describeValue(x)}`);
  }
}

/**
 * One Adam (or AdamW) step, in place, over a parameter's storage `p`, its gradient `g` and the moment
 * buffers `m` (`exp_avg`) and `v` (`exp_avg_sq`), all of the same length — PyTorch's algorithm with
 * d = g (−g when maximizing):
 *
 *   p ← p·(1 − lr·wd)  (decoupled / AdamW)   or   d ← d + wd·p  (Adam, wd ≠ 0)
 *   m ← m + (1 − β1)(d − m);  v ← β2·v + (1 − β2)·d²  (amsgrad: vmax ← max(vmax, v), used for v)
 *   p ← p − lr/(1 − β1^t) · m / (√v / √(1 − β2^t) + eps)
 *
 * Computed in float64 with each stored value rounded to the array's precision. When p, g, m, v (and
 * vmax) are all Float32Array, it runs on a WebAssembly SIMD kernel (see `setOptimizerKernelBackend`)
 * whose results are bitwise those of the TypeScript loop.
 *
 * @example
 * ```ts
 * const p = new Float32Array([1, 2]), g = new Float32Array([0.5, -0.5]);
 * const m = new Float32Array(2), v = new Float32Array(2);
 * adamUpdate(p, g, m, v, { lr: 0.1, beta1: 0.9, beta2: 0.999, eps: 1e-8, step: 1 }); // p ≈ [0.9, 2.1]
 * ```
 */
export function adamUpdate(p: FloatArray, g: TypedArray, m: FloatArray, v: FloatArray, opts: AdamUpdateOptions): void {
  checkFloatArray("p", p);
  if (!(g instanceof Float32Array || g instanceof Float64Array || g instanceof Int32Array || g instanceof Uint8Array)) {
    throw new ArgumentError(`adamUpdate: g must be a typed array (the gradient's storage), got ${describeValue(g)}`);
  }
  checkFloatArray("m", m);
  checkFloatArray("v", v);
  if (opts === null || typeof opts !== "object") {
    throw new ArgumentError(`adamUpdate: opts must be an options object, got ${describeValue(opts)}`);
  }
  const { lr, beta1, beta2, eps, step, weightDecay = 0, decoupled = false, maximize = false } = opts;
  const vmax = opts.maxExpAvgSq ?? null;
  if (vmax !== null) checkFloatArray("maxExpAvgSq", vmax);
  const n = p.length;
  for (const [name, a] of [
    ["g", g],
    ["m", m],
    ["v", v],
    ["maxExpAvgSq", vmax],
  ] as const) {
    if (a !== null && a.length !== n) {
      throw new ShapeError(`adamUpdate: ${name} has ${a.length} elements but p has ${n}; they must match`);
    }
  }
  checkNumber("lr", lr);
  checkNumber("beta1", beta1);
  checkNumber("beta2", beta2);
  checkNumber("eps", eps);
  checkNumber("weightDecay", weightDecay);
  if (!Number.isInteger(step) || step < 1) {
    throw new ArgumentError(`adamUpdate: step must be an integer >= 1, got ${describeValue(step)}`);
  }
  checkFlag("decoupled", decoupled);
  checkFlag("maximize", maximize);

  const stepSize = lr / (1 - beta1 ** step);
  const bc2Sqrt = Math.sqrt(1 - beta2 ** step);
  const w1 = 1 - beta1;
  const w2 = 1 - beta2;
  const shrink = decoupled ? 1 - lr * weightDecay : 1;
  const l2 = decoupled ? 0 : weightDecay;
  if (
    p instanceof Float32Array &&
    g instanceof Float32Array &&
    m instanceof Float32Array &&
    v instanceof Float32Array &&
    (vmax === null || vmax instanceof Float32Array) &&
    adamWasm(p, g, m, v, vmax, { maximize, stepSize, bc2Sqrt, w1, beta2, w2, shrink, l2, eps })
  ) {
    return;
  }
  // The portable loop (and the float64 path). Every `x[i] = …` rounds to the array's precision and
  // later reads see the rounded value: the wasm kernel reproduces exactly this sequence.
  for (let i = 0; i < n; i++) {
    let d = maximize ? -g[i]! : g[i]!;
    if (decoupled) p[i] = p[i]! * shrink;
    else if (l2 !== 0) d += l2 * p[i]!;
    m[i] = m[i]! + w1 * (d - m[i]!);
    v[i] = beta2 * v[i]! + w2 * d * d;
    let s = v[i]!;
    if (vmax) {
      if (s > vmax[i]! || Number.isNaN(s)) vmax[i] = s;
      s = vmax[i]!;
    }
    p[i] = p[i]! - (stepSize * m[i]!) / (Math.sqrt(s) / bc2Sqrt + eps);
  }
}
