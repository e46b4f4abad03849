import { causalSoftmax, Tensor } from "@typegrad/autograd";
import * as nd from "@typegrad/tensor";
import {
  ArgumentError,
  DTypeError,
  describeValue,
  fmtShape,
  type NDArray,
  type Rng,
  ShapeError,
} from "@typegrad/tensor";
import * as init from "./init.js";
import { dropout } from "./layers/basic.js";
import { checkFloatDType, checkInput, checkLayerOptions, checkSize, Linear } from "./layers/linear.js";
import { Module } from "./module.js";

export interface AttentionOptions {
  /** Bool mask (true = may attend) or float mask added to the scores; broadcasts to (..., L, S). */
  attnMask?: Tensor | NDArray;
  /** Apply the lower-triangular causal mask (query i attends to keys j ≤ i). */
  isCausal?: boolean;
  /** Dropout probability on the attention weights. */
  dropoutP?: number;
  /** Score scale; default 1/√E. */
  scale?: number;
  /** Generator for dropout. */
  rng?: Rng;
}

const causalCache = new Map<string, NDArray>();

/** The (L, S) causal mask: true where key j ≤ query i (cached: models ask for the same few sizes). */
export function causalMask(L: number, S: number): NDArray {
  for (const [name, v] of [
    ["L", L],
    ["S", S],
  ] as const) {
    if (!Number.isInteger(v) || v < 0) {
      throw new ArgumentError(`causalMask: ${name} must be a non-negative integer, got ${describeValue(v)}`);
    }
  }
  const key = `${L},${S}`;
  let mask = causalCache.get(key);
  if (!mask) {
    const rows = nd.arange(L, undefined, 1, { dtype: "int32" }).reshape([L, 1]);
    const cols = nd.arange(S, undefined, 1, { dtype: "int32" }).reshape([1, S]);
    mask = nd.le(cols, rows);
    if (causalCache.size > 32) causalCache.clear();
    causalCache.set(key, mask);
  }
  return mask;
}

/** Rows (last dim) of a mask in which no key may be attended, as a bool array with last dim 1. */
function deadRows(mask: NDArray): NDArray {
  if (mask.dtype === "bool") return nd.eq(nd.max(mask.astype("int32"), -1, true), 0);
  return nd.eq(nd.max(mask, -1, true), -Infinity);
}

/**
 * `softmax(q·kᵀ·scale + mask)·v` over the last two dims, with any leading batch/head dims.
 * Rows whose keys are all masked give zeros (not NaN) in the output and in the gradient.
 *
 * @example
 * ```ts
 * const q = randn([2, 4, 5, 8]); // (batch, heads, L, E)
 * scaledDotProductAttention(q, q, q, { isCausal: true }).shape; // [2, 4, 5, 8]
 * ```
 */
export function scaledDotProductAttention(q: Tensor, k: Tensor, v: Tensor, opts: AttentionOptions = {}): Tensor {
  for (const [name, t] of [
    ["q", q],
    ["k", k],
    ["v", v],
  ] as const) {
    if (!(t instanceof Tensor)) {
      throw new ArgumentError(`scaledDotProductAttention: ${name} must be a Tensor, got ${describeValue(t)}`);
    }
    if (t.ndim < 2)
      throw new ShapeError(
        `scaledDotProductAttention: ${name} needs at least 2 dims (..., L, E), got ${fmtShape(t.shape)}`,
      );
  }
  const E = q.shape[q.ndim - 1] as number;
  if (k.shape[k.ndim - 1] !== E || k.shape[k.ndim - 2] !== v.shape[v.ndim - 2]) {
    throw new ShapeError(
      `scaledDotProductAttention: q ${fmtShape(q.shape)}, k ${fmtShape(k.shape)} and v ${fmtShape(v.shape)} disagree (q and k need the same E, k and v the same S)`,
    );
  }
  if (opts === null || typeof opts !== "object") {
    throw new ArgumentError(
      `scaledDotProductAttention: options must be an object { attnMask?, isCausal?, dropoutP?, scale? }, got ${describeValue(opts)}`,
    );
  }
  if (opts.isCausal !== undefined && typeof opts.isCausal !== "boolean") {
    throw new ArgumentError(
      `scaledDotProductAttention: isCausal must be a boolean, got ${describeValue(opts.isCausal)}`,
    );
  }
  if (opts.isCausal && opts.attnMask !== undefined) {
    throw new ArgumentError("scaledDotProductAttention: pass either attnMask or isCausal, not both");
  }
  if (
    opts.dropoutP !== undefined &&
    (typeof opts.dropoutP !== "number" || !(opts.dropoutP >= 0 && opts.dropoutP <= 1))
  ) {
    throw new ArgumentError(
      `scaledDotProductAttention: dropoutP must be a number in [0, 1], got ${describeValue(opts.dropoutP)}`,
    );
  }
  if (opts.scale !== undefined && (typeof opts.scale !== "number" || !Number.isFinite(opts.scale))) {
    throw new ArgumentError(
      `scaledDotProductAttention: scale must be a finite number, got ${describeValue(opts.scale)}`,
    );
  }
  if (!nd.isFloat(q.dtype) || !nd.isFloat(k.dtype) || !nd.isFloat(v.dtype)) {
    throw new DTypeError(
      `scaledDotProductAttention: q, k and v must be float32 or float64, got ${q.dtype}, ${k.dtype} and ${v.dtype}`,
    );
  }
  const L = q.shape[q.ndim - 2] as number;
  const S = k.shape[k.ndim - 2] as number;
  const scale = opts.scale ?? 1 / Math.sqrt(E);
  // Scale q rather than the (L, S) scores: fewer elements when E < S, same result up to rounding.
  let scores = q.mul(scale).matmul(k.transpose(-2, -1));

  let allowed: NDArray | null = null;
  let dead: NDArray | null = null;
  const mask = opts.attnMask instanceof Tensor ? opts.attnMask.data : opts.attnMask;
  if (mask !== undefined) {
    if (!(mask instanceof nd.NDArray)) {
      throw new ArgumentError(
        `scaledDotProductAttention: attnMask must be a bool or float Tensor or NDArray, got ${describeValue(mask)}`,
      );
    }
    const fits =
      mask.ndim <= scores.ndim &&
      mask.shape.every((d, i) => d === 1 || d === scores.shape[scores.ndim - mask.ndim + i]);
    if (!fits) {
      throw new ShapeError(
        `scaledDotProductAttention: attnMask of shape ${fmtShape(mask.shape)} does not broadcast to the scores' shape ${fmtShape(scores.shape)} (..., L, S)`,
      );
    }
    if (mask.dtype === "bool") allowed = mask;
    else if (nd.isFloat(mask.dtype)) scores = scores.add(new Tensor(mask.astype(scores.dtype)));
    else throw new DTypeError(`scaledDotProductAttention: attnMask must be bool or float, got ${mask.dtype}`);
    // A row whose keys are all masked would be softmax(−∞…) = NaN: found from the (small) mask alone.
    const d = deadRows(mask);
    if (nd.max(d.astype("int32")).item() === 1) dead = d;
  }
  let weights: Tensor;
  if (opts.isCausal) {
    // One kernel instead of a mask fill, a softmax and the fill's backward; every row keeps column 0.
    weights = causalSoftmax(scores);
  } else {
    if (allowed) scores = scores.maskedFill(nd.logicalNot(allowed), -Infinity);
    // Dead rows get finite scores, then zero weights: zeros in the output and in the gradient.
    if (dead) scores = scores.maskedFill(dead, 0);
    weights = scores.softmax(-1);
  }
  if (dead) weights = weights.maskedFill(dead, 0);
  if (opts.dropoutP) weights = dropout(weights, opts.dropoutP, true, opts.rng);
  return weights.matmul(v);
}

/**
 * Multi-head attention, batch-first: inputs (B, L, E) (or unbatched (L, E)); projects q, k, v with
 * `qProj`, `kProj`, `vProj`, attends per head, and mixes heads with `outProj`.
 *
 * @example
 * ```ts
 * const mha = new MultiHeadAttention(32, 4);
 * const x = randn([2, 10, 32]);
 * mha.forward(x, x, x, { isCausal: true }).shape; // [2, 10, 32]
 * ```
 */
export class MultiHeadAttention extends Module {
  readonly embedDim: number;
  readonly numHeads: number;
  readonly headDim: number;
  readonly dropout: number;
  qProj: Linear;
  kProj: Linear;
  vProj: Linear;
  outProj: Linear;

  constructor(
    embedDim: number,
    numHeads: number,
    opts: { bias?: boolean; dropout?: number; kdim?: number; vdim?: number; dtype?: "float32" | "float64" } = {},
  ) {
    super();
    checkLayerOptions("MultiHeadAttention", opts);
    if (
      !Number.isInteger(embedDim) ||
      embedDim <= 0 ||
      !Number.isInteger(numHeads) ||
      numHeads <= 0 ||
      embedDim % numHeads !== 0
    ) {
      throw new ArgumentError(
        `MultiHeadAttention: embedDim ${embedDim} must be a positive multiple of numHeads ${numHeads}`,
      );
    }
    this.embedDim = embedDim;
    this.numHeads = numHeads;
    this.headDim = embedDim / numHeads;
    this.dropout = opts.dropout ?? 0;
    if (typeof this.dropout !== "number" || !(this.dropout >= 0 && this.dropout <= 1))
      throw new ArgumentError(
        `MultiHeadAttention: dropout must be a number in [0, 1], got ${describeValue(this.dropout)}`,
      );
    const bias = opts.bias ?? true;
    if (typeof bias !== "boolean")
      throw new ArgumentError(`MultiHeadAttention: bias must be a boolean, got ${describeValue(bias)}`);
    const dtype = checkFloatDType("MultiHeadAttention", opts.dtype);
    if (opts.kdim !== undefined) checkSize("MultiHeadAttention", "kdim", opts.kdim);
    if (opts.vdim !== undefined) checkSize("MultiHeadAttention", "vdim", opts.vdim);
    this.qProj = new Linear(embedDim, embedDim, { bias, dtype });
    this.kProj = new Linear(opts.kdim ?? embedDim, embedDim, { bias, dtype });
    this.vProj = new Linear(opts.vdim ?? embedDim, embedDim, { bias, dtype });
    this.outProj = new Linear(embedDim, embedDim, { bias, dtype });
    // torch: xavier-uniform input projections, zero biases. With equal dims torch packs q, k, v into
    // one (3E, E) matrix, so the bound is √(6/(E + 3E)); with kdim/vdim it inits each separately.
    const packed = (opts.kdim ?? embedDim) === embedDim && (opts.vdim ?? embedDim) === embedDim;
    for (const p of [this.qProj, this.kProj, this.vProj]) {
      if (packed) {
        const bound = Math.sqrt(6 / (4 * embedDim));
        init.uniform(p.weight, -bound, bound);
      } else init.xavierUniform(p.weight);
      if (p.bias) init.zeros(p.bias);
    }
    if (this.outProj.bias) init.zeros(this.outProj.bias);
  }

  forward(
    query: Tensor,
    key: Tensor,
    value: Tensor,
    opts: { attnMask?: Tensor | NDArray; isCausal?: boolean } = {},
  ): Tensor {
    checkInput("MultiHeadAttention", query, 0, "query");
    checkInput("MultiHeadAttention", key, 0, "key");
    checkInput("MultiHeadAttention", value, 0, "value");
    if (opts === null || typeof opts !== "object") {
      throw new ArgumentError(
        `MultiHeadAttention: options must be an object { attnMask?, isCausal? }, got ${describeValue(opts)}`,
      );
    }
    const unbatched = query.ndim === 2;
    const q3 = unbatched ? query.unsqueeze(0) : query;
    const k3 = unbatched ? key.unsqueeze(0) : key;
    const v3 = unbatched ? value.unsqueeze(0) : value;
    if (q3.ndim !== 3 || k3.ndim !== 3 || v3.ndim !== 3) {
      throw new ShapeError(
        `MultiHeadAttention: expected (B, L, E) inputs, got query ${fmtShape(query.shape)}, key ${fmtShape(key.shape)}, value ${fmtShape(value.shape)}`,
      );
    }
    const dims = [
      ["query", q3, this.qProj],
      ["key", k3, this.kProj],
      ["value", v3, this.vProj],
    ] as const;
    for (const [name, t, proj] of dims) {
      if (t.shape[2] !== proj.inFeatures) {
        throw new ShapeError(
          `MultiHeadAttention: ${name} of shape ${fmtShape(t.shape)} must have ${proj.inFeatures} features in its last dim (the input size of its projection, Linear(${proj.inFeatures}, ${proj.outFeatures}))`,
        );
      }
    }
    const [B, L] = q3.shape as [number, number, number];
    const S = k3.shape[1] as number;
    if (k3.shape[0] !== B || v3.shape[0] !== B || v3.shape[1] !== S) {
      throw new ShapeError(
        `MultiHeadAttention: batch or source lengths disagree: query ${fmtShape(query.shape)}, key ${fmtShape(key.shape)}, value ${fmtShape(value.shape)}`,
      );
    }
    const heads = (t: Tensor, len: number) => t.reshape(B, len, this.numHeads, this.headDim).permute(0, 2, 1, 3);
    const q = heads(this.qProj.forward(q3), L);
    const k = heads(this.kProj.forward(k3), S);
    const v = heads(this.vProj.forward(v3), S);
    let mask = opts.attnMask instanceof Tensor ? opts.attnMask.data : opts.attnMask;
    if (mask && mask.ndim === 3 && mask.shape[0] === B * this.numHeads) mask = mask.reshape([B, this.numHeads, L, S]);
    const attended = scaledDotProductAttention(q, k, v, {
      ...(mask ? { attnMask: mask } : {}),
      ...(opts.isCausal ? { isCausal: true } : {}),
      dropoutP: this.training ? this.dropout : 0,
    });
    const merged = attended.permute(0, 2, 1, 3).reshape(B, L, this.embedDim);
    const out = this.outProj.forward(merged);
    return unbatched ? out.squeeze(0) : out;
  }
}
