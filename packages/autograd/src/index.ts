/**
 * @typegrad/autograd — differentiable tensors, reverse-mode autodiff, custom ops and gradcheck.
 * @packageDocumentation
 */

export { manualSeed, Rng } from "@typegrad/tensor";
export { AnomalyError, detectAnomaly, isAnomalyEnabled, setDetectAnomaly } from "./anomaly.js";
export {
  arange,
  eye,
  full,
  linspace,
  ones,
  onesLike,
  rand,
  randint,
  randn,
  type TensorOptions,
  tensor,
  zeros,
  zerosLike,
} from "./create.js";
export { defineOp, type OpContext, type OpDefinition } from "./define-op.js";
export { type BackwardOptions, backward, topoOrder } from "./engine.js";
export { type GradOptions, grad, valueAndGrad } from "./functional.js";
export { enableGrad, isGradEnabled, noGrad, setGradEnabled } from "./grad-mode.js";
export { GradcheckError, type GradcheckOptions, gradcheck, gradgradcheck } from "./gradcheck.js";
export { toDot, toMermaid } from "./graph-view.js";
export { type BackwardFn, Node, primitiveOps, record } from "./node.js";
export {
  cat,
  causalSoftmax,
  indexAdd,
  layerNorm,
  lift,
  linear,
  maskedFill,
  scatterAdd,
  softmaxCrossEntropy,
  stack,
  sumToShape,
  where,
} from "./ops/index.js";
export { type GradHook, Tensor, type TensorLike } from "./tensor.js";
