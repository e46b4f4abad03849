/**
 * Optimizers, learning-rate schedulers and gradient clipping (PyTorch semantics).
 * @module
 */
export { Adam, type AdamOptions, AdamW } from "./adam.js";
export { clipGradNorm, clipGradValue } from "./clip.js";
export {
  CosineAnnealingLR,
  LinearLR,
  LRScheduler,
  type SchedulerStateDict,
  SequentialLR,
  StepLR,
  warmupCosine,
} from "./lr-scheduler.js";
export {
  type FloatArray,
  Optimizer,
  type OptimizerOptions,
  type OptimizerStateDict,
  type ParamGroup,
  type ParamGroupInput,
  type ParamState,
  type ParamsInput,
  type StateValue,
} from "./optimizer.js";
export { RMSprop, type RMSpropOptions } from "./rmsprop.js";
export { SGD, type SGDOptions } from "./sgd.js";
