/**
 * @typegrad/nn — modules, layers, attention, losses, optimizers, schedulers, data loading and safetensors.
 * @packageDocumentation
 */
export { type AttentionOptions, causalMask, MultiHeadAttention, scaledDotProductAttention } from "./attention.js";
export {
  CHECKPOINT_VERSION,
  type Checkpoint,
  CheckpointError,
  type CheckpointState,
  type CheckpointTargets,
  loadCheckpoint,
  parseCheckpoint,
  type RestoredCheckpoint,
  restoreCheckpoint,
  type SchedulerKind,
  saveCheckpoint,
  serializeCheckpoint,
} from "./checkpoint.js";
export * from "./data.js";
export * as init from "./init.js";
export {
  Dropout,
  dropout,
  Flatten,
  GELU,
  Identity,
  LogSoftmax,
  ReLU,
  Sequential,
  Sigmoid,
  SiLU,
  Softmax,
  Tanh,
} from "./layers/basic.js";
export { Embedding } from "./layers/embedding.js";
export { Linear } from "./layers/linear.js";
export { LayerNorm } from "./layers/norm.js";
export { TransformerBlock, type TransformerBlockOptions } from "./layers/transformer.js";
export * from "./losses/index.js";
export { Module, StateDictError } from "./module.js";
export * from "./optim/index.js";
export { Parameter } from "./parameter.js";
export {
  loadSafetensors,
  MAX_HEADER_SIZE,
  parseSafetensors,
  parseSafetensorsWithMetadata,
  type SafetensorsContents,
  SafetensorsError,
  saveSafetensors,
  serializeSafetensors,
} from "./safetensors.js";
