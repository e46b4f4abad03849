/**
 * Module forms of the losses, like `torch.nn.MSELoss`: options go to the constructor (validated there,
 * so a bad option fails when the model is built), and `forward(input, target)` computes the loss.
 * They hold no parameters.
 */
import type { Tensor } from "@typegrad/autograd";
import { Module } from "../module.js";
import {
  type BCELossOptions,
  type BCEWithLogitsLossOptions,
  binaryCrossEntropy,
  binaryCrossEntropyWithLogits,
  resolveBCEOptions,
  resolveBCEWithLogitsOptions,
} from "./binary.js";
import {
  type CrossEntropyLossOptions,
  crossEntropy,
  type NLLLossOptions,
  nllLoss,
  resolveCrossEntropyOptions,
  resolveNLLOptions,
} from "./classification.js";
import { type KLDivLossOptions, type KLDivReduction, klDiv, resolveKLDivOptions } from "./kl.js";
import type { Reduction, TensorOrArray } from "./reduction.js";
import {
  type HuberLossOptions,
  huberLoss,
  l1Loss,
  mseLoss,
  type RegressionLossOptions,
  resolveHuberOptions,
  resolveRegressionOptions,
  resolveSmoothL1Options,
  type SmoothL1LossOptions,
  smoothL1Loss,
} from "./regression.js";

/**
 * Mean squared error as a Module; see `mseLoss`.
 *
 * @example
 * ```ts
 * const lossFn = new MSELoss();
 * lossFn.forward(model.forward(x), y).backward();
 * ```
 */
export class MSELoss extends Module {
  readonly reduction: Reduction;
  constructor(opts?: RegressionLossOptions) {
    super();
    this.reduction = resolveRegressionOptions("MSELoss", opts).reduction;
  }
  forward(input: Tensor, target: TensorOrArray): Tensor {
    return mseLoss(input, target, { reduction: this.reduction });
  }
}

/**
 * Mean absolute error as a Module; see `l1Loss`.
 *
 * @example
 * ```ts
 * new L1Loss({ reduction: "sum" }).forward(pred, target);
 * ```
 */
export class L1Loss extends Module {
  readonly reduction: Reduction;
  constructor(opts?: RegressionLossOptions) {
    super();
    this.reduction = resolveRegressionOptions("L1Loss", opts).reduction;
  }
  forward(input: Tensor, target: TensorOrArray): Tensor {
    return l1Loss(input, target, { reduction: this.reduction });
  }
}

/**
 * Huber loss as a Module; see `huberLoss`.
 *
 * @example
 * ```ts
 * new HuberLoss({ delta: 2 }).forward(pred, target);
 * ```
 */
export class HuberLoss extends Module {
  readonly reduction: Reduction;
  readonly delta: number;
  constructor(opts?: HuberLossOptions) {
    super();
    ({ reduction: this.reduction, delta: this.delta } = resolveHuberOptions("HuberLoss", opts));
  }
  forward(input: Tensor, target: TensorOrArray): Tensor {
    return huberLoss(input, target, { reduction: this.reduction, delta: this.delta });
  }
}

/**
 * Smooth L1 loss as a Module; see `smoothL1Loss`.
 *
 * @example
 * ```ts
 * new SmoothL1Loss({ beta: 0.5 }).forward(boxes, targetBoxes);
 * ```
 */
export class SmoothL1Loss extends Module {
  readonly reduction: Reduction;
  readonly beta: number;
  constructor(opts?: SmoothL1LossOptions) {
    super();
    ({ reduction: this.reduction, beta: this.beta } = resolveSmoothL1Options("SmoothL1Loss", opts));
  }
  forward(input: Tensor, target: TensorOrArray): Tensor {
    return smoothL1Loss(input, target, { reduction: this.reduction, beta: this.beta });
  }
}

/**
 * Binary cross-entropy on probabilities as a Module; see `binaryCrossEntropy`.
 *
 * @example
 * ```ts
 * new BCELoss().forward(model.forward(x).sigmoid(), labels);
 * ```
 */
export class BCELoss extends Module {
  readonly reduction: Reduction;
  readonly weight: TensorOrArray | undefined;
  constructor(opts?: BCELossOptions) {
    super();
    ({ reduction: this.reduction, weight: this.weight } = resolveBCEOptions("BCELoss", opts));
  }
  forward(input: Tensor, target: TensorOrArray): Tensor {
    return binaryCrossEntropy(input, target, { reduction: this.reduction, weight: this.weight });
  }
}

/**
 * Binary cross-entropy on logits as a Module; see `binaryCrossEntropyWithLogits`.
 *
 * @example
 * ```ts
 * new BCEWithLogitsLoss({ posWeight: tensor([4]) }).forward(model.forward(x), labels);
 * ```
 */
export class BCEWithLogitsLoss extends Module {
  readonly reduction: Reduction;
  readonly weight: TensorOrArray | undefined;
  readonly posWeight: TensorOrArray | undefined;
  constructor(opts?: BCEWithLogitsLossOptions) {
    super();
    ({
      reduction: this.reduction,
      weight: this.weight,
      posWeight: this.posWeight,
    } = resolveBCEWithLogitsOptions("BCEWithLogitsLoss", opts));
  }
  forward(input: Tensor, target: TensorOrArray): Tensor {
    return binaryCrossEntropyWithLogits(input, target, {
      reduction: this.reduction,
      weight: this.weight,
      posWeight: this.posWeight,
    });
  }
}

/**
 * Cross-entropy on logits as a Module; see `crossEntropy`.
 *
 * @example
 * ```ts
 * const lossFn = new CrossEntropyLoss({ ignoreIndex: 0, labelSmoothing: 0.1 });
 * lossFn.forward(logits.reshape(B * T, V), tokens.reshape(B * T));
 * ```
 */
export class CrossEntropyLoss extends Module {
  readonly reduction: Reduction;
  readonly weight: TensorOrArray | undefined;
  readonly ignoreIndex: number;
  readonly labelSmoothing: number;
  constructor(opts?: CrossEntropyLossOptions) {
    super();
    ({
      reduction: this.reduction,
      weight: this.weight,
      ignoreIndex: this.ignoreIndex,
      labelSmoothing: this.labelSmoothing,
    } = resolveCrossEntropyOptions("CrossEntropyLoss", opts));
  }
  forward(input: Tensor, target: TensorOrArray): Tensor {
    return crossEntropy(input, target, {
      reduction: this.reduction,
      weight: this.weight,
      ignoreIndex: this.ignoreIndex,
      labelSmoothing: this.labelSmoothing,
    });
  }
}

/**
 * Negative log-likelihood as a Module; see `nllLoss`.
 *
 * @example
 * ```ts
 * new NLLLoss({ weight: tensor([1, 2, 1]) }).forward(logits.logSoftmax(1), targets);
 * ```
 */
export class NLLLoss extends Module {
  readonly reduction: Reduction;
  readonly weight: TensorOrArray | undefined;
  readonly ignoreIndex: number;
  constructor(opts?: NLLLossOptions) {
    super();
    ({
      reduction: this.reduction,
      weight: this.weight,
      ignoreIndex: this.ignoreIndex,
    } = resolveNLLOptions("NLLLoss", opts));
  }
  forward(input: Tensor, target: TensorOrArray): Tensor {
    return nllLoss(input, target, { reduction: this.reduction, weight: this.weight, ignoreIndex: this.ignoreIndex });
  }
}

/**
 * KL divergence as a Module; see `klDiv` (input = log-probabilities; prefer `reduction: "batchmean"`).
 *
 * @example
 * ```ts
 * new KLDivLoss({ reduction: "batchmean", logTarget: true }).forward(student.logSoftmax(1), teacher.logSoftmax(1));
 * ```
 */
export class KLDivLoss extends Module {
  readonly reduction: KLDivReduction;
  readonly logTarget: boolean;
  constructor(opts?: KLDivLossOptions) {
    super();
    ({ reduction: this.reduction, logTarget: this.logTarget } = resolveKLDivOptions("KLDivLoss", opts));
  }
  forward(input: Tensor, target: TensorOrArray): Tensor {
    return klDiv(input, target, { reduction: this.reduction, logTarget: this.logTarget });
  }
}
