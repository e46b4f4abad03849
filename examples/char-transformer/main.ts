// A tiny decoder-only transformer trained on a few KB of Shakespeare, character by character.
//   pnpm --filter @typegrad/example-char-transformer start -- --steps 600 --save out/tiny-gpt.safetensors
import "typegrad/node"; // multi-threaded matmul on Node
import { parseFlags } from "@typegrad/examples-shared";
import { runCharTransformer } from "./src/run.js";

const flags = parseFlags("char-transformer", "tiny character-level GPT on Shakespeare", {
  steps: { type: "number", default: 400, help: "training steps (one random mini-batch each)" },
  seed: { type: "number", default: 0, help: "random seed" },
  lr: { type: "number", default: 3e-3, help: "peak AdamW learning rate" },
  batchSize: { type: "number", default: 16, help: "sequences per batch" },
  blockSize: { type: "number", default: 32, help: "context length T" },
  dModel: { type: "number", default: 64, help: "embedding size" },
  heads: { type: "number", default: 4, help: "attention heads" },
  layers: { type: "number", default: 2, help: "transformer blocks" },
  warmup: { type: "number", default: 40, help: "linear warmup steps before cosine decay" },
  activation: { type: "string", default: "gelu", help: "MLP activation: gelu or relu" },
  dropout: { type: "number", default: 0, help: "dropout on attention weights and residual branches" },
  weightDecay: { type: "number", default: 0.01, help: "AdamW decoupled weight decay (matrices only)" },
  sample: { type: "number", default: 200, help: "characters to sample at the end" },
  out: { type: "string", default: "out", help: "folder for SVG plots" },
  save: { type: "string", default: "", help: "write the trained weights to this .safetensors file" },
  load: { type: "string", default: "", help: "start from weights in this .safetensors file" },
});
const activation = flags.activation;
if (activation !== "gelu" && activation !== "relu")
  throw new Error(`--activation must be gelu or relu, got ${activation}`);
await runCharTransformer({
  ...flags,
  activation,
  ...(flags.save ? {} : { save: undefined }),
  ...(flags.load ? {} : { load: undefined }),
});
