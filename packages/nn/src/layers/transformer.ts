import type { Tensor } from "@typegrad/autograd";
import { ArgumentError, type NDArray } from "@typegrad/tensor";
import { MultiHeadAttention } from "../attention.js";
import { Module } from "../module.js";
import { Dropout, GELU, ReLU } from "./basic.js";
import { Linear } from "./linear.js";
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
    const dtype = opts.dtype ?? "float32";
    const dFF = opts.dFF ?? 4 * dModel;
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
