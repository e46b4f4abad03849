import * as tg from "typegrad";

export interface GptConfig {
  vocabSize: number;
  blockSize: number;
  dModel: number;
  numHeads: number;
  numLayers: number;
  dropout: number;
  /** MLP activation (GELU as in GPT-2, or ReLU as in the original Transformer). */
  activation?: "gelu" | "relu";
}

/**
 * A decoder-only transformer: token + learned position embeddings, pre-LN blocks with causal
 * multi-head attention and a GELU MLP, a final LayerNorm and a linear head over the vocabulary.
 */
export class TinyGpt extends tg.Module {
  readonly config: GptConfig;
  tokenEmbedding: tg.Embedding;
  positionEmbedding: tg.Embedding;
  blocks: tg.TransformerBlock[];
  lnFinal: tg.LayerNorm;
  head: tg.Linear;

  constructor(config: GptConfig) {
    super();
    this.config = config;
    this.tokenEmbedding = new tg.Embedding(config.vocabSize, config.dModel);
    this.positionEmbedding = new tg.Embedding(config.blockSize, config.dModel);
    // GPT-2 style small init for embeddings keeps early logits near uniform.
    tg.init.normal(this.tokenEmbedding.weight, 0, 0.02);
    tg.init.normal(this.positionEmbedding.weight, 0, 0.02);
    this.blocks = Array.from(
      { length: config.numLayers },
      () =>
        new tg.TransformerBlock(config.dModel, config.numHeads, {
          dropout: config.dropout,
          activation: config.activation ?? "gelu",
        }),
    );
    this.lnFinal = new tg.LayerNorm(config.dModel);
    this.head = new tg.Linear(config.dModel, config.vocabSize);
  }

  /** ids (B, T) int32 → logits (B, T, vocab). */
  forward(ids: tg.Tensor): tg.Tensor {
    const T = ids.shape[1]!;
    const positions = tg.arange(T, undefined, 1, { dtype: "int32" });
    let x = this.tokenEmbedding.forward(ids).add(this.positionEmbedding.forward(positions));
    for (const block of this.blocks) x = block.forward(x, { isCausal: true });
    return this.head.forward(this.lnFinal.forward(x));
  }
}

/** Next-token cross-entropy: (B, T, C) logits and (B, T) targets flattened to (B·T, C) and (B·T). */
export function languageModelLoss(logits: tg.Tensor, targets: tg.Tensor): tg.Tensor {
  const [B, T, C] = logits.shape as [number, number, number];
  return tg.crossEntropy(logits.reshape(B * T, C), targets.reshape(B * T));
}
