import type { Tensor } from "@typegrad/autograd";
import { ArgumentError, describeValue, fmtShape, type NDArray, ShapeError } from "@typegrad/tensor";
import { MultiHeadAttention } from "../attention.js";
import { Module } from "../module.js";
import { Dropout, GELU, ReLU } from "./basic.js";
import { checkFloatDType, checkInput, checkLayerOptions, checkSize, Linear } from "./linear.js";
import { LayerNorm } from "./norm.js";

export interface TransformerBlockOptions {
  /** Hidden size of the MLP (default 4·dModel). */
  dFF?: number;
  dropout?: number;
  activation?: "gelu" | "relu";
  dtype?: "float32" | "float64";
}

/**
 * A pre-LayerNorm decoder block, as in GPT-2: `x + attn(ln1(x))`, then `x + mlp(ln2(x))`.
 *
 * @example
 * ```ts
 * const block = new TransformerBlock(64, 4);
 * block.forward(randn([2, 16, 64]), { isCausal: true }).shape; // [2, 16, 64]
 * ```
 */
export class TransformerBlock extends Module {
  ln1: LayerNorm;
  attn: MultiHeadAttention;
  ln2: LayerNorm;
  fc1: Linear;
  act: Module;
  fc2: Linear;
  drop: Dropout;

  constructor(dModel: number, numHeads: number, opts: TransformerBlockOptions = {}) {
    super();
    checkLayerOptions("TransformerBlock", opts);
    checkSize("TransformerBlock", "dModel", dModel);
    checkSize("TransformerBlock", "numHeads", numHeads);
    if (dModel % numHeads !== 0) {
      throw new ArgumentError(`TransformerBlock: dModel ${dModel} must be a multiple of numHeads ${numHeads}`);
    }
    const dtype = checkFloatDType("TransformerBlock", opts.dtype);
    const dFF = opts.dFF === undefined ? 4 * dModel : checkSize("TransformerBlock", "dFF", opts.dFF);
    const p = opts.dropout;
    if (p !== undefined && (typeof p !== "number" || !(p >= 0 && p <= 1))) {
      throw new ArgumentError(`TransformerBlock: dropout must be a number in [0, 1], got ${describeValue(p)}`);
    }
    if (opts.activation && opts.activation !== "gelu" && opts.activation !== "relu") {
      throw new ArgumentError(
        `TransformerBlock: activation must be "gelu" or "relu", got ${JSON.stringify(opts.activation)}`,
      );
    }
    this.ln1 = new LayerNorm(dModel, { dtype });
    this.attn = new MultiHeadAttention(dModel, numHeads, { dropout: opts.dropout ?? 0, dtype });
    this.ln2 = new LayerNorm(dModel, { dtype });
    this.fc1 = new Linear(dModel, dFF, { dtype });
    this.act = opts.activation === "relu" ? new ReLU() : new GELU();
    this.fc2 = new Linear(dFF, dModel, { dtype });
    this.drop = new Dropout(opts.dropout ?? 0);
  }

  /** Causal unless `isCausal: false` is given (an options object without the key keeps the default). */
  /**
   * Causal by default; pass `attnMask` (true = may attend, or additive float) for padding or custom
   * patterns, or `isCausal: false` for bidirectional attention.
   */
  forward(x: Tensor, opts: { isCausal?: boolean; attnMask?: Tensor | NDArray } = {}): Tensor {
    checkInput("TransformerBlock", x);
    const d = this.ln1.normalizedShape[0] as number;
    if ((x.ndim !== 2 && x.ndim !== 3) || x.shape[x.ndim - 1] !== d) {
      throw new ShapeError(`TransformerBlock: input must be (B, L, ${d}) or (L, ${d}), got shape ${fmtShape(x.shape)}`);
    }
    if (opts === null || typeof opts !== "object") {
      throw new ArgumentError(
        `TransformerBlock: options must be an object { isCausal?, attnMask? }, got ${describeValue(opts)}`,
      );
    }
    const h = this.ln1.forward(x);
    const causal = opts.isCausal ?? opts.attnMask === undefined;
    const attnOpts = { ...(causal ? { isCausal: true } : {}), ...(opts.attnMask ? { attnMask: opts.attnMask } : {}) };
    const a = x.add(this.drop.forward(this.attn.forward(h, h, h, attnOpts)));
    const m = this.fc2.forward(
      (this.act.forward as (t: Tensor) => Tensor).call(this.act, this.fc1.forward(this.ln2.forward(a))),
    );
    return a.add(this.drop.forward(m));
  }
}
