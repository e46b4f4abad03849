import * as tg from "typegrad";
import { describe, expect, it } from "vitest";

// Every name the public API contract (API.md) gives, as reached through the umbrella package.
const TOP_LEVEL = [
  // autograd
  "tensor",
  "zeros",
  "ones",
  "full",
  "arange",
  "linspace",
  "eye",
  "rand",
  "randn",
  "randint",
  "Tensor",
  "cat",
  "stack",
  "where",
  "noGrad",
  "enableGrad",
  "isGradEnabled",
  "grad",
  "valueAndGrad",
  "gradcheck",
  "toDot",
  "toMermaid",
  "defineOp",
  "manualSeed",
  "Rng",
  // nn: modules and layers
  "Parameter",
  "Module",
  "Linear",
  "Embedding",
  "LayerNorm",
  "Dropout",
  "Sequential",
  "ReLU",
  "Tanh",
  "Sigmoid",
  "GELU",
  "SiLU",
  "Softmax",
  "Flatten",
  "MultiHeadAttention",
  "scaledDotProductAttention",
  // losses
  "mseLoss",
  "l1Loss",
  "huberLoss",
  "smoothL1Loss",
  "binaryCrossEntropy",
  "binaryCrossEntropyWithLogits",
  "crossEntropy",
  "nllLoss",
  "klDiv",
  "MSELoss",
  "L1Loss",
  "HuberLoss",
  "SmoothL1Loss",
  "BCELoss",
  "BCEWithLogitsLoss",
  "CrossEntropyLoss",
  "NLLLoss",
  "KLDivLoss",
  // optimizers, schedulers, clipping
  "SGD",
  "RMSprop",
  "Adam",
  "AdamW",
  "StepLR",
  "CosineAnnealingLR",
  "LinearLR",
  "SequentialLR",
  "clipGradNorm",
  "clipGradValue",
  // data and serialization
  "saveSafetensors",
  "loadSafetensors",
  "serializeSafetensors",
  "parseSafetensors",
  "TensorDataset",
  "DataLoader",
  // namespaces
  "nd",
  "init",
] as const;

const TENSOR_METHODS = [
  "backward",
  "detach",
  "item",
  "toArray",
  "toString",
  "retainGrad",
  "registerHook",
  "add",
  "sub",
  "mul",
  "div",
  "pow",
  "neg",
  "maximum",
  "minimum",
  "eq",
  "ne",
  "lt",
  "le",
  "gt",
  "ge",
  "exp",
  "log",
  "sqrt",
  "rsqrt",
  "abs",
  "sign",
  "sin",
  "cos",
  "tanh",
  "sigmoid",
  "relu",
  "gelu",
  "silu",
  "softplus",
  "clamp",
  "matmul",
  "sum",
  "mean",
  "var",
  "max",
  "min",
  "argmax",
  "logsumexp",
  "softmax",
  "logSoftmax",
  "reshape",
  "view",
  "transpose",
  "permute",
  "expand",
  "squeeze",
  "unsqueeze",
  "flatten",
  "narrow",
  "contiguous",
  "gather",
  "indexSelect",
  "maskedFill",
  "where",
] as const;

const ND_NAMES = [
  "NDArray",
  "array",
  "zeros",
  "ones",
  "full",
  "arange",
  "linspace",
  "eye",
  "rand",
  "randn",
  "randint",
  "Rng",
  "manualSeed",
  "add",
  "sub",
  "mul",
  "div",
  "pow",
  "neg",
  "maximum",
  "minimum",
  "eq",
  "ne",
  "lt",
  "le",
  "gt",
  "ge",
  "where",
  "exp",
  "log",
  "sqrt",
  "abs",
  "tanh",
  "sigmoid",
  "relu",
  "matmul",
  "sum",
  "mean",
  "var",
  "max",
  "min",
  "argmax",
  "logsumexp",
  "softmax",
  "logSoftmax",
  "gather",
  "scatterAdd",
  "indexSelect",
  "cat",
  "stack",
  "sumToShape",
] as const;

const INIT_NAMES = [
  "kaimingUniform",
  "xavierUniform",
  "normal",
  "zeros",
  "uniform",
  "kaimingNormal",
  "xavierNormal",
  "ones",
  "constant",
] as const;

describe("typegrad umbrella exports the API.md surface", () => {
  it.each(TOP_LEVEL)("tg.%s", (name) => {
    expect((tg as Record<string, unknown>)[name]).toBeDefined();
  });
  it.each(ND_NAMES)("tg.nd.%s", (name) => {
    expect((tg.nd as Record<string, unknown>)[name]).toBeDefined();
  });
  it.each(INIT_NAMES)("tg.init.%s", (name) => {
    expect(typeof (tg.init as Record<string, unknown>)[name]).toBe("function");
  });
  it.each(TENSOR_METHODS)("Tensor#%s", (name) => {
    expect(typeof (tg.Tensor.prototype as unknown as Record<string, unknown>)[name]).toBe("function");
  });
  it("Tensor getters: shape dtype ndim size grad gradFn isLeaf T", () => {
    const t = tg.tensor([[1, 2]], { requiresGrad: true });
    expect(t.shape).toEqual([1, 2]);
    expect(t.dtype).toBe("float32");
    expect(t.ndim).toBe(2);
    expect(t.size).toBe(2);
    expect(t.grad).toBeNull();
    expect(t.gradFn).toBeNull();
    expect(t.isLeaf).toBe(true);
    expect(t.T.shape).toEqual([2, 1]);
    expect(t.mul(2).gradFn?.name).toBe("mul");
  });
  it("tg.zeros makes a Tensor and tg.nd.zeros an NDArray", () => {
    expect(tg.zeros(2, 3)).toBeInstanceOf(tg.Tensor);
    expect(tg.nd.zeros([2, 3])).toBeInstanceOf(tg.nd.NDArray);
  });
});
