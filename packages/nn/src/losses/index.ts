/**
 * Loss functions, each as a function (`mseLoss`, `crossEntropy`, ...) and as a Module
 * (`MSELoss`, `CrossEntropyLoss`, ...). Semantics follow PyTorch; see each function's docs.
 * @module
 */
export {
  type BCELossOptions,
  type BCEWithLogitsLossOptions,
  binaryCrossEntropy,
  binaryCrossEntropyWithLogits,
} from "./binary.js";
export { type CrossEntropyLossOptions, crossEntropy, type NLLLossOptions, nllLoss } from "./classification.js";
export { type KLDivLossOptions, type KLDivReduction, klDiv } from "./kl.js";
export {
  BCELoss,
  BCEWithLogitsLoss,
  CrossEntropyLoss,
  HuberLoss,
  KLDivLoss,
  L1Loss,
  MSELoss,
  NLLLoss,
  SmoothL1Loss,
} from "./modules.js";
export type { Reduction, TensorOrArray } from "./reduction.js";
export {
  type HuberLossOptions,
  huberLoss,
  l1Loss,
  mseLoss,
  type RegressionLossOptions,
  type SmoothL1LossOptions,
  smoothL1Loss,
} from "./regression.js";
