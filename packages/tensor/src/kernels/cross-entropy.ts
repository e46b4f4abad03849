import { copyToOutput } from "../buffer-pool.js";
import { allocate, floatDType, type TypedArray } from "../dtype.js";
import { ArgumentError, DTypeError, describeValue, fmtShape, IndexError, ShapeError } from "../errors.js";
import { NDArray } from "../ndarray.js";
import { DATA_AT, pickRowKernels, type WasmRows } from "../wasm/rows.js";
import { align } from "../wasm/runtime.js";
import { checkOperand } from "./elementwise.js";
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

/** The targets as typed arrays, with ε and the total class weight Σw (C without weights). */
function unpack(t: CrossEntropyTargets, c: number) {
  const w = t.weight ? t.weight.toTypedArray() : null;
  let wSum = c;
  if (w) {
    wSum = 0;
    for (let k = 0; k < c; k++) wSum += w[k] as number;
  }
  return { target: t.target.toTypedArray(), valid: t.valid.toTypedArray(), w, eps: t.smoothing ?? 0, wSum };
}

function check(op: string, logits: NDArray, t: CrossEntropyTargets): void {
  checkOperand(op, "logits", logits, false);
  if (t === null || typeof t !== "object")
    throw new ArgumentError(`${op}: targets must be an object, got ${describeValue(t)}`);
  checkOperand(op, "target", t.target, false);
  checkOperand(op, "valid", t.valid, false);
  const eps = t.smoothing ?? 0;
  if (!(eps >= 0 && eps <= 1))
    throw new ArgumentError(`${op}: smoothing must be in [0, 1], got ${describeValue(t.smoothing)}`);
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
  const target = t.target.toTypedArray();
  const valid = t.valid.toTypedArray();
  for (let i = 0; i < n; i++) {
    const y = target[i] as number;
    if (valid[i] && (y < 0 || y >= c)) {
      throw new IndexError(`${op}: target ${y} at row ${i} is out of range for ${c} classes (expected 0..${c - 1})`);
    }
  }
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
  const { losses, saved } = softmaxCrossEntropyForward(logits, t);
  return { losses, probs: saved.probs() };
}

/**
 * What the cross-entropy gradient needs from the forward pass: the softmax probabilities, either as an
 * array or, on the WebAssembly path, left in the row kernels' memory where the forward computed them.
 * Leaving them there saves copying N·C values out and back in (16 MB each way for 4096×1000 logits);
 * if another row kernel has used the memory since, they are recomputed from the logits, bit for bit.
 */
export class CrossEntropySaved {
  /** The contiguous (N, C) logits the probabilities came from. */
  readonly logits: NDArray;
  private materialized: NDArray | null;
  private readonly wasm: WasmRows | null;
  private readonly generation: number;

  /** @internal */
  constructor(logits: NDArray, probs: NDArray | null, wasm: WasmRows | null = null, generation = -1) {
    this.logits = logits;
    this.materialized = probs;
    this.wasm = wasm;
    this.generation = generation;
  }

  /** Wraps probabilities the caller already has as an array (shape (N, C)). */
  static fromProbs(probs: NDArray): CrossEntropySaved {
    // Only the shape of `logits` is read when the probabilities are materialized.
    return new CrossEntropySaved(probs, probs);
  }

  /**
   * True while the probabilities still sit at DATA_AT in the row kernels' memory (of `wasm`, when
   * given: the instance changes when a worker pool is installed or removed).
   */
  isResident(wasm: WasmRows | null = this.wasm): boolean {
    return (
      this.materialized === null && this.wasm !== null && wasm === this.wasm && this.wasm.generation === this.generation
    );
  }

  /**
   * Stages the probabilities at DATA_AT of `wasm`'s memory for a kernel that has already reserved room
   * for them (`stats`: n × 16 bytes of scratch): copies an array in, or recomputes them from the logits.
   */
  stageInto(wasm: WasmRows, resident: boolean, stats: number): void {
    if (resident) return;
    const [n, c] = this.logits.shape as [number, number];
    if (this.materialized) {
      wasm.f32.set(this.materialized.toTypedArray(), DATA_AT / 4);
      return;
    }
    const x = this.logits;
    wasm.f32.set(x.data.subarray(x.offset, x.offset + n * c), DATA_AT / 4);
    const row = { at: DATA_AT, step: c * 4 };
    wasm.rowsCall("softmax", n, c, [row, row, "count", c, { at: stats, step: 16 }]);
  }

  /** The softmax probabilities (N, C) as an array (copied out of WebAssembly memory on first call). */
  probs(): NDArray {
    if (this.materialized) return this.materialized;
    const [n, c] = this.logits.shape as [number, number];
    const size = n * c;
    // Not resident: recomputed in the current instance (the pool may have changed it), or in the old one.
    const wasm = (this.isResident() ? this.wasm : (pickRowKernels(size, c) ?? this.wasm)) as WasmRows;
    const resident = this.isResident(wasm);
    if (!wasm.reserve(DATA_AT + align(size * 4) + n * 16)) {
      throw new RangeError(`softmaxCrossEntropy: no room for ${n}×${c} probabilities in WebAssembly memory`);
    }
    this.stageInto(wasm, resident, DATA_AT + align(size * 4));
    this.materialized = new NDArray(wasm.f32.slice(DATA_AT / 4, DATA_AT / 4 + size), [n, c]);
    return this.materialized;
  }
}

/**
 * `softmaxCrossEntropy` for training: the per-row losses and what {@link softmaxCrossEntropyBackward}
 * needs, without copying the probabilities out of WebAssembly memory when they can stay there.
 *
 * @example
 * ```ts
 * const t = { target: array([0], { dtype: "int32" }), valid: array([1], { dtype: "int32" }) };
 * const { losses, saved } = softmaxCrossEntropyForward(array([[2, 0, 0]]), t);
 * softmaxCrossEntropyBackward(array([1]), saved, t).toArray(); // [[p₀ − 1, p₁, p₂]]
 * ```
 */
export function softmaxCrossEntropyForward(
  logits: NDArray,
  t: CrossEntropyTargets,
): { losses: NDArray; saved: CrossEntropySaved } {
  check("softmaxCrossEntropy", logits, t);
  const [n, c] = logits.shape as [number, number];
  const x = logits.contiguous();
  if (x.data instanceof Float32Array) {
    const fast = crossEntropyWasm(x, n, c, t);
    if (fast) return fast;
  }
  const X = x.data;
  const base = x.offset;
  const dtype = floatDType(x.dtype);
  const e = dtype === "float64" ? exp : exp32;
  const probs = allocate(dtype, n * c);
  const losses = allocate(dtype, n);
  const { target, valid, w, eps, wSum } = unpack(t, c);
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
  return { losses: new NDArray(losses, [n]), saved: new CrossEntropySaved(x, new NDArray(probs, [n, c])) };
}

/**
 * Gradient of `softmaxCrossEntropy`'s per-row losses for upstream gradient `g` (N):
 * `gᵢ·(p_ic·Aᵢ − B_ic)` with `Aᵢ = (1−ε)·w[yᵢ] + ε/C·Σw` and `B_ic = (1−ε)·w[yᵢ]·[c = yᵢ] + ε/C·w_c`;
 * zero on rows that do not count.
 */
export function softmaxCrossEntropyBackward(
  g: NDArray,
  probs: NDArray | CrossEntropySaved,
  t: CrossEntropyTargets,
): NDArray {
  const saved = probs instanceof CrossEntropySaved ? probs : null;
  const shapeOf = saved ? saved.logits : (probs as NDArray);
  check("softmaxCrossEntropyBackward", shapeOf, t);
  const [n, c] = shapeOf.shape as [number, number];
  const G = g.toTypedArray();
  if (shapeOf.dtype === "float32") {
    const fast = crossEntropyBackwardWasm(G, saved ?? CrossEntropySaved.fromProbs(shapeOf), n, c, t);
    if (fast) return fast;
  }
  const P = saved ? saved.probs().toTypedArray() : (probs as NDArray).toTypedArray();
  const dtype = saved ? saved.logits.dtype : (probs as NDArray).dtype;
  const out: TypedArray = allocate(floatDType(dtype), n * c);
  const { target, valid, w, eps, wSum } = unpack(t, c);
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
 * `softmaxCrossEntropy` on the WebAssembly SIMD row kernels (src/wasm/rows.wat) for float32 logits X
 * (rows of c from `base`): the kernel writes the probabilities and each row's max m and Σ e^(x−m) (and,
 * with smoothing, Σ w_k·x_k); the losses are then formed from those exactly as the loop above forms
 * them. Null when the TypeScript loop should run (backend, size, memory).
 */
function crossEntropyWasm(
  logits: NDArray,
  n: number,
  c: number,
  t: CrossEntropyTargets,
): { losses: NDArray; saved: CrossEntropySaved } | null {
  const size = n * c;
  const wasm = pickRowKernels(size, c);
  if (!wasm) return null;
  const X = logits.data as Float32Array;
  const base = logits.offset;
  const { target, valid, w, eps, wSum } = unpack(t, c);
  // Layout (bytes): [scratch][logits, overwritten by probs][stats: n × (m, s)][Σ w·x: n][w: c]
  const x = DATA_AT;
  const statsAt = x + align(size * 4);
  const dotAt = statsAt + align(n * 16);
  const wAt = dotAt + align(n * 8);
  if (!wasm.reserve(wAt + c * 8)) return null;
  wasm.f32.set(X.subarray(base, base + size), x / 4);
  const f64 = wasm.f64;
  if (eps > 0) {
    if (w) f64.set(w, wAt / 8);
    wasm.exports.dot_rows(x, wAt, w ? 1 : 0, n, c, dotAt);
  }
  const row = { at: x, step: c * 4 };
  wasm.rowsCall("softmax", n, c, [row, row, "count", c, { at: statsAt, step: 16 }]);
  const losses = new Float32Array(n);
  const st = statsAt / 8;
  const dt = dotAt / 8;
  for (let i = 0; i < n; i++) {
    if (!valid[i]) continue;
    const lse = (f64[st + 2 * i] as number) + Math.log(f64[st + 2 * i + 1] as number);
    const y = target[i] as number;
    let loss = (1 - eps) * (w ? (w[y] as number) : 1) * (lse - (X[base + i * c + y] as number));
    if (eps > 0) loss += (eps / c) * (wSum * lse - (f64[dt + i] as number));
    losses[i] = loss;
  }
  // The probabilities stay where softmax left them, for the backward pass.
  return { losses: new NDArray(losses, [n]), saved: new CrossEntropySaved(logits, null, wasm, wasm.generation) };
}

/**
 * `softmaxCrossEntropyBackward` on the WebAssembly SIMD row kernels for float32 probabilities: the
 * kernel computes `p·Aᵢ − (gᵢ·ε/C)·w_c` in float64 per element exactly as the loop above does; the
 * target entry and the ignored rows are then fixed up here the same way. Null when the TypeScript loop
 * should run (backend, size, memory, or a counted target outside [0, C), whose effect there depends on
 * the row order).
 */
function crossEntropyBackwardWasm(
  G: TypedArray,
  saved: CrossEntropySaved,
  n: number,
  c: number,
  t: CrossEntropyTargets,
): NDArray | null {
  const size = n * c;
  const wasm = pickRowKernels(size, c, true);
  if (!wasm) return null;
  const { target, valid, w, eps, wSum } = unpack(t, c);
  // Layout (bytes): [scratch][probs, overwritten by the gradient][coefficients: n × (a, s)][w: c]
  const p = DATA_AT;
  const coefAt = p + align(size * 4);
  const wAt = coefAt + align(n * 16);
  const resident = saved.isResident(wasm);
  if (!wasm.reserve(wAt + c * 8)) return null;
  // Recomputing the probabilities uses the coefficient rows as scratch for its stats.
  saved.stageInto(wasm, resident, coefAt);
  const f64 = wasm.f64;
  const co = coefAt / 8;
  for (let i = 0; i < n; i++) {
    let a = 0;
    let s = 0;
    if (valid[i]) {
      const gi = G[i] as number;
      const wy = (1 - eps) * (w ? (w[target[i] as number] as number) : 1);
      a = gi * (wy + (eps / c) * wSum);
      if (eps > 0) s = gi * (eps / c);
    }
    f64[co + 2 * i] = a;
    f64[co + 2 * i + 1] = s;
  }
  if (w && eps > 0) f64.set(w, wAt / 8);
  const row = { at: p, step: c * 4 };
  const coef = { at: coefAt, step: 16 };
  wasm.rowsCall("ce_backward", n, c, [row, row, "count", c, coef, wAt, eps > 0 ? 1 : 0, w ? 1 : 0]);
  const out = copyToOutput(wasm.f32, p / 4, p / 4 + size);
  for (let i = 0; i < n; i++) {
    const row = i * c;
    if (!valid[i]) {
      out.fill(0, row, row + c);
      continue;
    }
    const y = target[i] as number;
    const wy = (1 - eps) * (w ? (w[y] as number) : 1);
    out[row + y] = (out[row + y] as number) - (G[i] as number) * wy;
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
  const { target, valid, w, eps, wSum } = unpack(t, c);
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
