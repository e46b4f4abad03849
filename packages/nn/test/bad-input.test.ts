/**
 * Bad-input audit of @typegrad/nn: every public layer, loss, optimizer, scheduler, clipping and init
 * function, data utility and Module method is fed wrong shapes, ranks and dtypes (float targets for
 * class indices, int parameters), out-of-range indices (embedding ids, class targets, dims), bad sizes,
 * NaN/Infinity options (lr, eps, betas, momentum, weightDecay, delta, beta, labelSmoothing, dropout p,
 * maxNorm, scheduler parameters), empty tensors where a mean is asked for, and the wrong kind of value.
 * Each entry checks the error class (a TypeError or RangeError subclass) and that the message names
 * the function, the offending argument or value and what was expected. Optimizers, schedulers, modules
 * and init functions are also checked to leave parameters, gradients and optimizer/scheduler state
 * untouched by a failed call.
 */
import { type Tensor, tensor } from "@typegrad/autograd";
import * as nd from "@typegrad/tensor";
import { ArgumentError, DTypeError, IndexError, ShapeError, type StateError } from "@typegrad/tensor";
import { afterAll, describe, expect, it } from "vitest";
import * as NNS from "../src/index.js";
import {
  Adam,
  AdamW,
  Embedding,
  LayerNorm,
  Linear,
  type Module,
  MultiHeadAttention,
  type Optimizer,
  Parameter,
  RMSprop,
  SGD,
  StateDictError,
} from "../src/index.js";

/** The package's exports as a plain object (looked up by name below). */
const N = { ...NNS };

type ErrorClass = typeof ShapeError | typeof IndexError | typeof DTypeError | typeof ArgumentError | typeof StateError;

interface BadInput {
  api: string;
  what: string;
  call: () => unknown;
  error: ErrorClass;
  /** Substrings (or patterns) the message must contain: the function's name first, then the specifics. */
  message: (string | RegExp)[];
  /** A snapshot of state the failed call must leave untouched. */
  untouched?: () => unknown;
}

const CASES: BadInput[] = [];

function bad(
  api: string,
  what: string,
  call: () => unknown,
  error: ErrorClass,
  message: (string | RegExp)[],
  untouched?: () => unknown,
): void {
  CASES.push({ api, what, call, error, message, ...(untouched ? { untouched } : {}) });
}

/** Values of the wrong kind where a Tensor is expected, with how the message describes them. */
const NOT_TENSORS: [string, unknown, string][] = [
  ["null", null, "got null"],
  ["undefined", undefined, "got undefined"],
  ["a plain array", [1, 2], "got an array of length 2"],
  ["a number", 3, "got the number 3"],
  ["an NDArray", nd.zeros([2, 4]), "got an NDArray of shape [2,4] (float32)"],
];
/** Where a loss also accepts an NDArray (a constant target or weight). */
const NOT_TENSORS_OR_ARRAYS = NOT_TENSORS.filter(([what]) => what !== "an NDArray");

/** Non-finite or out-of-range numbers for options. */
const NON_FINITE: [string, number][] = [
  ["NaN", Number.NaN],
  ["Infinity", Number.POSITIVE_INFINITY],
];

const ids = (values: number[], shape = [values.length]) => tensor(values, { dtype: "int32", shape });
const x24 = () =>
  tensor([
    [1, 2, 3, 4],
    [5, 6, 7, 8],
  ]);

/** Everything observable about a module: parameter values and gradients. */
const paramsOf = (m: Module | Parameter[]) => () =>
  (Array.isArray(m) ? m : m.parameters()).map((p) => ({ v: p.toArray(), g: p.grad ? p.grad.toArray() : null }));

/** Everything observable about an optimizer: its parameters, their grads, its state and options. */
const optimizerOf = (opt: Optimizer) => () => {
  const sd = opt.stateDict();
  return {
    params: opt.paramGroups.flatMap((g) => g.params.map((p) => p.toArray())),
    grads: opt.paramGroups.flatMap((g) => g.params.map((p) => (p.grad ? p.grad.toArray() : null))),
    state: Object.entries(sd.state).map(([k, s]) => [
      k,
      Object.fromEntries(Object.entries(s).map(([n, v]) => [n, v instanceof nd.NDArray ? v.toArray() : v])),
    ]),
    groups: opt.paramGroups.map((g) => {
      const { params: _p, ...rest } = g as unknown as Record<string, unknown>;
      return rest;
    }),
  };
};

// ---------------------------------------------------------------- Parameter and Module
bad("Parameter", "null", () => new Parameter(null as never), ArgumentError, [
  "Parameter:",
  "expected a Tensor, NDArray or nested array",
  "got null",
]);
bad("Parameter", "a string", () => new Parameter("w" as never), ArgumentError, ["Parameter:", 'the string "w"']);
bad("Parameter", "int32 values", () => new Parameter(nd.zeros([2], { dtype: "int32" })), DTypeError, [
  "Parameter:",
  "requires grad must be float32 or float64",
  "int32 of shape [2]",
]);
bad("Parameter", "int32 dtype option", () => new Parameter([1, 2], { dtype: "int32" }), DTypeError, [
  "Parameter:",
  "int32",
]);
bad("Parameter", "unknown dtype", () => new Parameter([1, 2], { dtype: "float16" as never }), DTypeError, [
  "Parameter:",
  'unknown dtype the string "float16"',
]);
bad("Parameter", "non-boolean requiresGrad", () => new Parameter([1], { requiresGrad: 1 as never }), ArgumentError, [
  "Parameter:",
  "requiresGrad must be a boolean",
]);
{
  const fc = new Linear(3, 2);
  const good = fc.stateDict();
  bad(
    "Module",
    "loadStateDict with a wrong shape",
    () => fc.loadStateDict({ ...good, weight: nd.zeros([3, 2]) }),
    ShapeError,
    ["loadStateDict:", "size mismatch", "weight: shape [3,2] in the state dict, [2,3] in the model"],
    paramsOf(fc),
  );
  bad(
    "Module",
    "loadStateDict with a missing key",
    () => fc.loadStateDict({ weight: good.weight! }),
    StateDictError,
    ["loadStateDict:", "missing keys: bias"],
    paramsOf(fc),
  );
  bad(
    "Module",
    "loadStateDict with an unexpected key",
    () => fc.loadStateDict({ ...good, extra: nd.zeros([1]) }),
    StateDictError,
    ["loadStateDict:", "unexpected keys: extra"],
    paramsOf(fc),
  );
  bad(
    "Module",
    "loadStateDict with a plain-array value",
    () => fc.loadStateDict({ ...good, bias: [0, 0] as never }),
    StateDictError,
    ["loadStateDict:", "bias: expected an NDArray or Tensor, got an array of length 2"],
    paramsOf(fc),
  );
  bad(
    "Module",
    "loadStateDict(null)",
    () => fc.loadStateDict(null as never),
    ArgumentError,
    ["loadStateDict:", "object of name -> NDArray", "got null"],
    paramsOf(fc),
  );
  bad(
    "Module",
    "loadStateDict(a Tensor)",
    () => fc.loadStateDict(tensor([1]) as never),
    ArgumentError,
    ["loadStateDict:", "a Tensor of shape [1]"],
    paramsOf(fc),
  );
  bad(
    "Module",
    "loadStateDict with strict: 'yes'",
    () => fc.loadStateDict(good, { strict: "yes" as never }),
    ArgumentError,
    ["loadStateDict:", "strict?: boolean"],
    paramsOf(fc),
  );
  bad(
    "Module",
    "to(int32)",
    () => fc.to("int32" as never),
    ArgumentError,
    ["Module.to:", "float32 or float64", 'the string "int32"'],
    paramsOf(fc),
  );
  bad(
    "Module",
    "train('no')",
    () => fc.train("no" as never),
    ArgumentError,
    ["Module.train:", "boolean", 'the string "no"'],
    () => fc.training,
  );
  bad(
    "Module",
    "zeroGrad(null)",
    () => fc.zeroGrad(null as never),
    ArgumentError,
    ["Module.zeroGrad:", "setToNone"],
    paramsOf(fc),
  );
}

// ---------------------------------------------------------------- layers
for (const [what, v] of [
  ["zero", 0],
  ["negative", -3],
  ["fractional", 2.5],
  ["NaN", Number.NaN],
  ["Infinity", Number.POSITIVE_INFINITY],
  ["a string", "4"],
] as const) {
  bad("Linear", `${what} inFeatures`, () => new Linear(v as never, 2), ArgumentError, [
    "Linear:",
    "inFeatures must be a positive integer",
  ]);
  bad("Linear", `${what} outFeatures`, () => new Linear(2, v as never), ArgumentError, [
    "Linear:",
    "outFeatures must be a positive integer",
  ]);
  bad("Embedding", `${what} numEmbeddings`, () => new Embedding(v as never, 2), ArgumentError, [
    "Embedding:",
    "numEmbeddings must be a positive integer",
  ]);
  bad("Embedding", `${what} embeddingDim`, () => new Embedding(4, v as never), ArgumentError, [
    "Embedding:",
    "embeddingDim must be a positive integer",
  ]);
  bad("LayerNorm", `${what} normalizedShape`, () => new LayerNorm(v as never), ArgumentError, [
    "LayerNorm:",
    "normalizedShape",
  ]);
  bad("MultiHeadAttention", `${what} embedDim`, () => new MultiHeadAttention(v as never, 1), ArgumentError, [
    "MultiHeadAttention:",
    "embedDim",
  ]);
  bad("TransformerBlock", `${what} dModel`, () => new N.TransformerBlock(v as never, 1), ArgumentError, [
    "TransformerBlock:",
    "dModel must be a positive integer",
  ]);
}
for (const cls of ["Linear", "Embedding", "LayerNorm", "MultiHeadAttention", "TransformerBlock"] as const) {
  const make = (opts: unknown) =>
    cls === "Linear"
      ? new Linear(2, 2, opts as never)
      : cls === "Embedding"
        ? new Embedding(2, 2, opts as never)
        : cls === "LayerNorm"
          ? new LayerNorm(2, opts as never)
          : cls === "MultiHeadAttention"
            ? new MultiHeadAttention(2, 1, opts as never)
            : new N.TransformerBlock(2, 1, opts as never);
  bad(cls, "int32 parameters", () => make({ dtype: "int32" }), DTypeError, [
    `${cls}:`,
    'dtype must be "float32" or "float64"',
    'the string "int32"',
  ]);
  bad(cls, "null options", () => make(null), ArgumentError, [`${cls}:`, "options must be an object", "got null"]);
}
bad("Linear", "a string bias flag", () => new Linear(2, 2, { bias: "no" as never }), ArgumentError, [
  "Linear:",
  "bias must be a boolean",
]);
{
  const fc = new Linear(4, 3);
  for (const [what, v, shown] of NOT_TENSORS) {
    bad(
      "Linear",
      `forward with ${what}`,
      () => fc.forward(v as never),
      ArgumentError,
      ["Linear:", "input must be a Tensor", shown],
      paramsOf(fc),
    );
  }
  bad(
    "Linear",
    "forward with the wrong feature count",
    () => fc.forward(tensor([[1, 2, 3]])),
    ShapeError,
    ["Linear:", "input of shape [1,3] has last dim 3, expected 4"],
    paramsOf(fc),
  );
  bad(
    "Linear",
    "forward with a 0-d input",
    () => fc.forward(tensor(1)),
    ShapeError,
    ["Linear:", "at least 1 dim", "[]"],
    paramsOf(fc),
  );
  bad(
    "Linear",
    "forward with int32 input",
    () => fc.forward(tensor([[1, 2, 3, 4]], { dtype: "int32" })),
    DTypeError,
    ["Linear:", "float32 or float64", "int32 of shape [1,4]"],
    paramsOf(fc),
  );
}
{
  const emb = new Embedding(5, 2, { paddingIdx: 0 });
  bad("Embedding", "paddingIdx out of range", () => new Embedding(5, 2, { paddingIdx: 5 }), IndexError, [
    "Embedding:",
    "paddingIdx 5",
    "[-5, 5)",
  ]);
  bad("Embedding", "fractional paddingIdx", () => new Embedding(5, 2, { paddingIdx: 1.5 }), IndexError, [
    "Embedding:",
    "paddingIdx 1.5",
  ]);
  bad(
    "Embedding",
    "an id out of range",
    () => emb.forward(ids([1, 5])),
    IndexError,
    ["Embedding:", "index 5 is out of range for 5 embeddings", "[2]"],
    paramsOf(emb),
  );
  bad(
    "Embedding",
    "a negative id",
    () => emb.forward(ids([-1])),
    IndexError,
    ["Embedding:", "index -1"],
    paramsOf(emb),
  );
  bad(
    "Embedding",
    "float ids",
    () => emb.forward(tensor([0, 1])),
    DTypeError,
    ["Embedding:", "int32", "float32 of shape [2]"],
    paramsOf(emb),
  );
  bad("Embedding", "bool ids", () => emb.forward(tensor([true])), DTypeError, ["Embedding:", "bool"], paramsOf(emb));
  for (const [what, v, shown] of NOT_TENSORS_OR_ARRAYS) {
    bad(
      "Embedding",
      `ids are ${what}`,
      () => emb.forward(v as never),
      ArgumentError,
      ["Embedding:", "indices must be an int32 Tensor or NDArray", shown],
      paramsOf(emb),
    );
  }
}
{
  const ln = new LayerNorm(4);
  bad("LayerNorm", "NaN eps", () => new LayerNorm(4, { eps: Number.NaN }), ArgumentError, ["LayerNorm:", "eps", "NaN"]);
  bad("LayerNorm", "negative eps", () => new LayerNorm(4, { eps: -1e-5 }), ArgumentError, [
    "LayerNorm:",
    "eps",
    "-0.00001",
  ]);
  bad("LayerNorm", "infinite eps", () => new LayerNorm(4, { eps: Number.POSITIVE_INFINITY }), ArgumentError, [
    "LayerNorm:",
    "eps",
    "Infinity",
  ]);
  bad("LayerNorm", "an empty normalizedShape", () => new LayerNorm([]), ArgumentError, [
    "LayerNorm:",
    "normalizedShape",
    "[]",
  ]);
  bad(
    "LayerNorm",
    "a string elementwiseAffine",
    () => new LayerNorm(4, { elementwiseAffine: "no" as never }),
    ArgumentError,
    ["LayerNorm:", "elementwiseAffine must be a boolean"],
  );
  bad(
    "LayerNorm",
    "forward with the wrong trailing dim",
    () => ln.forward(tensor([[1, 2, 3]])),
    ShapeError,
    ["LayerNorm:", "input of shape [1,3] does not end with normalizedShape [4]"],
    paramsOf(ln),
  );
  for (const [what, v, shown] of NOT_TENSORS) {
    bad(
      "LayerNorm",
      `forward with ${what}`,
      () => ln.forward(v as never),
      ArgumentError,
      ["LayerNorm:", "input must be a Tensor", shown],
      paramsOf(ln),
    );
  }
}
for (const [what, p] of [...NON_FINITE, ["1.5", 1.5], ["-0.1", -0.1], ["a string", "0.1"]] as const) {
  bad("Dropout", `p = ${what}`, () => new N.Dropout(p as never), ArgumentError, [
    "Dropout:",
    "p must be a number in [0, 1]",
  ]);
  bad("dropout", `p = ${what}`, () => N.dropout(x24(), p as never), ArgumentError, [
    "dropout:",
    "p must be a number in [0, 1]",
  ]);
  bad(
    "MultiHeadAttention",
    `dropout = ${what}`,
    () => new MultiHeadAttention(4, 2, { dropout: p as never }),
    ArgumentError,
    ["MultiHeadAttention:", "dropout must be a number in [0, 1]"],
  );
  bad(
    "TransformerBlock",
    `dropout = ${what}`,
    () => new N.TransformerBlock(4, 2, { dropout: p as never }),
    ArgumentError,
    ["TransformerBlock:", "dropout must be a number in [0, 1]"],
  );
  bad(
    "scaledDotProductAttention",
    `dropoutP = ${what}`,
    () => {
      const q = tensor([[[1, 0]]]);
      return N.scaledDotProductAttention(q, q, q, { dropoutP: p as never });
    },
    ArgumentError,
    ["scaledDotProductAttention:", "dropoutP must be a number in [0, 1]"],
  );
}
for (const [what, v, shown] of NOT_TENSORS) {
  bad("dropout", `input is ${what}`, () => N.dropout(v as never, 0.5), ArgumentError, [
    "dropout:",
    "input must be a Tensor",
    shown,
  ]);
}
bad("dropout", "a string training flag", () => N.dropout(x24(), 0.5, "yes" as never), ArgumentError, [
  "dropout:",
  "training must be a boolean",
]);
bad("dropout", "int32 input in training", () => N.dropout(ids([1, 2]), 0.5), DTypeError, [
  "dropout:",
  "float32 or float64",
  "int32",
]);
bad("Dropout", "null options", () => new N.Dropout(0.5, null as never), ArgumentError, [
  "Dropout:",
  "options",
  "got null",
]);
for (const cls of [
  "ReLU",
  "Tanh",
  "Sigmoid",
  "GELU",
  "SiLU",
  "Softmax",
  "LogSoftmax",
  "Identity",
  "Flatten",
  "Dropout",
] as const) {
  const layer = new (N[cls] as new () => Module & { forward(x: unknown): Tensor })();
  for (const [what, v, shown] of NOT_TENSORS) {
    bad(cls, `forward with ${what}`, () => layer.forward(v), ArgumentError, [
      `${cls === "Dropout" ? "dropout" : cls}:`,
      "input must be a Tensor",
      shown,
    ]);
  }
}
bad("GELU", "unknown approximation", () => new N.GELU("fast" as never), ArgumentError, [
  "GELU:",
  'approximate must be "none" or "tanh"',
  'the string "fast"',
]);
for (const cls of ["Softmax", "LogSoftmax"] as const) {
  bad(cls, "fractional dim", () => new N[cls](1.5), IndexError, [
    `${cls}:`,
    "dim must be an integer",
    "the number 1.5",
  ]);
  bad(cls, "dim out of range at forward", () => new N[cls](2).forward(x24()), IndexError, [
    cls === "Softmax" ? "softmax:" : "logSoftmax:",
    "dim 2",
  ]);
}
bad("Flatten", "a string startDim", () => new N.Flatten("1" as never), IndexError, [
  "Flatten:",
  "startDim must be an integer",
]);
bad("Flatten", "startDim after endDim at forward", () => new N.Flatten(1, 0).forward(tensor([[[1]]])), IndexError, [
  "flatten:",
  "startDim 1 comes after endDim 0",
]);
bad(
  "Sequential",
  "a non-Module argument",
  () => new N.Sequential(new N.ReLU(), ((x: Tensor) => x) as never),
  ArgumentError,
  ["Sequential:", "argument 1 is not a Module"],
);
bad("Sequential", "at() out of range", () => new N.Sequential(new N.ReLU()).at(3), IndexError, [
  "Sequential.at:",
  "index the number 3",
  "out of range for 1 modules",
]);
bad("Sequential", "at() with a fractional index", () => new N.Sequential(new N.ReLU()).at(0.5), IndexError, [
  "Sequential.at:",
  "0.5",
]);
bad(
  "Sequential",
  "forward with the wrong shape for its first layer",
  () => new N.Sequential(new Linear(3, 2)).forward(x24()),
  ShapeError,
  ["Linear:", "last dim 4, expected 3"],
);

// ---------------------------------------------------------------- attention
{
  const mha = new MultiHeadAttention(4, 2);
  const x = () => tensor([[[1, 2, 3, 4]]]);
  bad("MultiHeadAttention", "embedDim not a multiple of numHeads", () => new MultiHeadAttention(6, 4), ArgumentError, [
    "MultiHeadAttention:",
    "embedDim 6 must be a positive multiple of numHeads 4",
  ]);
  bad("MultiHeadAttention", "zero kdim", () => new MultiHeadAttention(4, 2, { kdim: 0 }), ArgumentError, [
    "MultiHeadAttention:",
    "kdim must be a positive integer",
  ]);
  bad(
    "MultiHeadAttention",
    "a string bias flag",
    () => new MultiHeadAttention(4, 2, { bias: "yes" as never }),
    ArgumentError,
    ["MultiHeadAttention:", "bias must be a boolean"],
  );
  for (const [what, v, shown] of NOT_TENSORS) {
    bad(
      "MultiHeadAttention",
      `query is ${what}`,
      () => mha.forward(v as never, x(), x()),
      ArgumentError,
      ["MultiHeadAttention:", "query must be a Tensor", shown],
      paramsOf(mha),
    );
    bad(
      "MultiHeadAttention",
      `value is ${what}`,
      () => mha.forward(x(), x(), v as never),
      ArgumentError,
      ["MultiHeadAttention:", "value must be a Tensor", shown],
      paramsOf(mha),
    );
  }
  bad(
    "MultiHeadAttention",
    "query with the wrong embedding size",
    () => mha.forward(tensor([[[1, 2, 3]]]), x(), x()),
    ShapeError,
    ["MultiHeadAttention:", "query of shape [1,1,3] must have 4 features"],
    paramsOf(mha),
  );
  bad(
    "MultiHeadAttention",
    "a 1-d query",
    () => mha.forward(tensor([1, 2, 3, 4]), x(), x()),
    ShapeError,
    ["MultiHeadAttention:", "expected (B, L, E)", "[4]"],
    paramsOf(mha),
  );
  bad(
    "MultiHeadAttention",
    "batch sizes differ",
    () => mha.forward(x(), tensor([[[1, 2, 3, 4]], [[1, 2, 3, 4]]]), x()),
    ShapeError,
    ["MultiHeadAttention:", "batch or source lengths disagree"],
    paramsOf(mha),
  );
  bad(
    "MultiHeadAttention",
    "isCausal with a mask",
    () => mha.forward(x(), x(), x(), { isCausal: true, attnMask: nd.full([1, 1], true) }),
    ArgumentError,
    ["scaledDotProductAttention:", "either attnMask or isCausal"],
    paramsOf(mha),
  );
  bad(
    "MultiHeadAttention",
    "null options",
    () => mha.forward(x(), x(), x(), null as never),
    ArgumentError,
    ["MultiHeadAttention:", "options", "got null"],
    paramsOf(mha),
  );
  const q = () =>
    tensor([
      [1, 0],
      [0, 1],
    ]);
  bad("scaledDotProductAttention", "1-d q", () => N.scaledDotProductAttention(tensor([1, 2]), q(), q()), ShapeError, [
    "scaledDotProductAttention:",
    "q needs at least 2 dims (..., L, E)",
    "[2]",
  ]);
  bad(
    "scaledDotProductAttention",
    "q and k feature sizes differ",
    () => N.scaledDotProductAttention(q(), tensor([[1, 2, 3]]), q()),
    ShapeError,
    ["scaledDotProductAttention:", "disagree"],
  );
  for (const [what, v, shown] of NOT_TENSORS) {
    bad(
      "scaledDotProductAttention",
      `k is ${what}`,
      () => N.scaledDotProductAttention(q(), v as never, q()),
      ArgumentError,
      ["scaledDotProductAttention:", "k must be a Tensor", shown],
    );
  }
  bad(
    "scaledDotProductAttention",
    "mask that does not broadcast",
    () => N.scaledDotProductAttention(q(), q(), q(), { attnMask: nd.full([3, 3], true) }),
    ShapeError,
    ["scaledDotProductAttention:", "attnMask of shape [3,3] does not broadcast to the scores' shape [2,2]"],
  );
  bad(
    "scaledDotProductAttention",
    "int32 mask",
    () => N.scaledDotProductAttention(q(), q(), q(), { attnMask: nd.zeros([2, 2], { dtype: "int32" }) }),
    DTypeError,
    ["scaledDotProductAttention:", "attnMask must be bool or float", "int32"],
  );
  bad(
    "scaledDotProductAttention",
    "plain-array mask",
    () => N.scaledDotProductAttention(q(), q(), q(), { attnMask: [[true]] as never }),
    ArgumentError,
    ["scaledDotProductAttention:", "attnMask must be a bool or float Tensor or NDArray", "an array of length 1"],
  );
  bad(
    "scaledDotProductAttention",
    "NaN scale",
    () => N.scaledDotProductAttention(q(), q(), q(), { scale: Number.NaN }),
    ArgumentError,
    ["scaledDotProductAttention:", "scale must be a finite number", "NaN"],
  );
  bad(
    "scaledDotProductAttention",
    "a string isCausal",
    () => N.scaledDotProductAttention(q(), q(), q(), { isCausal: "yes" as never }),
    ArgumentError,
    ["scaledDotProductAttention:", "isCausal must be a boolean"],
  );
  bad(
    "scaledDotProductAttention",
    "int32 q",
    () => N.scaledDotProductAttention(ids([1, 0, 0, 1], [2, 2]), q(), q()),
    DTypeError,
    ["scaledDotProductAttention:", "float32 or float64", "int32"],
  );
  bad("causalMask", "negative L", () => N.causalMask(-1, 2), ArgumentError, [
    "causalMask:",
    "L must be a non-negative integer",
    "the number -1",
  ]);
  bad("causalMask", "fractional S", () => N.causalMask(2, 1.5), ArgumentError, ["causalMask:", "S", "1.5"]);
  const block = new N.TransformerBlock(4, 2);
  bad("TransformerBlock", "dModel not a multiple of numHeads", () => new N.TransformerBlock(6, 4), ArgumentError, [
    "TransformerBlock:",
    "multiple of numHeads",
  ]);
  bad("TransformerBlock", "zero dFF", () => new N.TransformerBlock(4, 2, { dFF: 0 }), ArgumentError, [
    "TransformerBlock:",
    "dFF must be a positive integer",
  ]);
  bad(
    "TransformerBlock",
    "unknown activation",
    () => new N.TransformerBlock(4, 2, { activation: "tanh" as never }),
    ArgumentError,
    ["TransformerBlock:", 'activation must be "gelu" or "relu"'],
  );
  bad(
    "TransformerBlock",
    "forward with the wrong model size",
    () => block.forward(tensor([[[1, 2, 3]]])),
    ShapeError,
    ["TransformerBlock:", "input must be (B, L, 4) or (L, 4)", "[1,1,3]"],
    paramsOf(block),
  );
  bad(
    "TransformerBlock",
    "forward with a 4-d input",
    () => block.forward(tensor([[[[1, 2, 3, 4]]]])),
    ShapeError,
    ["TransformerBlock:", "[1,1,1,4]"],
    paramsOf(block),
  );
  bad(
    "TransformerBlock",
    "forward with an NDArray",
    () => block.forward(nd.zeros([1, 4]) as never),
    ArgumentError,
    ["TransformerBlock:", "input must be a Tensor", "an NDArray"],
    paramsOf(block),
  );
}

// ---------------------------------------------------------------- losses
const REGRESSION = [
  "mseLoss",
  "l1Loss",
  "huberLoss",
  "smoothL1Loss",
  "binaryCrossEntropy",
  "binaryCrossEntropyWithLogits",
  "klDiv",
] as const;
for (const op of REGRESSION) {
  const fn = N[op] as (input: unknown, target: unknown, opts?: unknown) => Tensor;
  const p = () => tensor([0.2, 0.7]);
  bad(op, "target of another shape", () => fn(p(), tensor([0.5, 0.5, 0.5])), ShapeError, [`${op}:`, "[2]", "[3]"]);
  bad(op, "int32 input", () => fn(ids([0, 1]), p()), DTypeError, [
    `${op}:`,
    "input must be float32 or float64",
    "int32 of shape [2]",
  ]);
  bad(op, "unknown reduction", () => fn(p(), p(), { reduction: "avg" }), ArgumentError, [
    `${op}:`,
    "reduction must be",
    '"avg"',
  ]);
  bad(op, "snake_case option", () => fn(p(), p(), { some_option: 1 }), ArgumentError, [
    `${op}:`,
    'unknown option "some_option"',
  ]);
  bad(op, "null options", () => fn(p(), p(), null), ArgumentError, [`${op}:`, "options must be an object", "null"]);
  bad(op, "mean of an empty input", () => fn(tensor([]), tensor([])), ShapeError, [`${op}:`, "[0] is empty", "use"]);
  for (const [what, v, shown] of NOT_TENSORS_OR_ARRAYS) {
    bad(op, `input is ${what}`, () => fn(v, p()), ArgumentError, [
      `${op}:`,
      "input must be a Tensor or NDArray",
      shown.replace("got ", ""),
    ]);
    bad(op, `target is ${what}`, () => fn(p(), v), ArgumentError, [
      `${op}:`,
      "target must be a Tensor or NDArray",
      shown.replace("got ", ""),
    ]);
  }
}
bad(
  "klDiv",
  "batchmean of an empty input",
  () => N.klDiv(tensor([]), tensor([]), { reduction: "batchmean" }),
  ShapeError,
  ["klDiv:", "empty", "batchmean"],
);
for (const [what, v] of [...NON_FINITE, ["zero", 0], ["negative", -1], ["a string", "1"]] as const) {
  bad("huberLoss", `delta ${what}`, () => N.huberLoss(tensor([1]), tensor([0]), { delta: v as never }), ArgumentError, [
    "huberLoss:",
    "delta must be a finite number > 0",
  ]);
  bad("HuberLoss", `delta ${what}`, () => new N.HuberLoss({ delta: v as never }), ArgumentError, [
    "HuberLoss:",
    "delta",
  ]);
}
for (const [what, v] of [...NON_FINITE, ["negative", -0.5]] as const) {
  bad("smoothL1Loss", `beta ${what}`, () => N.smoothL1Loss(tensor([1]), tensor([0]), { beta: v }), ArgumentError, [
    "smoothL1Loss:",
    "beta must be a finite number >= 0",
  ]);
  bad("SmoothL1Loss", `beta ${what}`, () => new N.SmoothL1Loss({ beta: v }), ArgumentError, ["SmoothL1Loss:", "beta"]);
}
bad(
  "binaryCrossEntropy",
  "probability above 1",
  () => N.binaryCrossEntropy(tensor([1.5]), tensor([1])),
  ArgumentError,
  ["binaryCrossEntropy:", "between 0 and 1, got 1.5", "binaryCrossEntropyWithLogits"],
);
bad(
  "binaryCrossEntropy",
  "NaN probability",
  () => N.binaryCrossEntropy(tensor([Number.NaN]), tensor([1])),
  ArgumentError,
  ["binaryCrossEntropy:", "NaN"],
);
bad("binaryCrossEntropy", "target below 0", () => N.binaryCrossEntropy(tensor([0.5]), tensor([-1])), ArgumentError, [
  "binaryCrossEntropy:",
  "target",
  "-1",
]);
bad(
  "binaryCrossEntropy",
  "weight that does not broadcast",
  () => N.binaryCrossEntropy(tensor([0.5, 0.5]), tensor([1, 0]), { weight: tensor([1, 1, 1]) }),
  ShapeError,
  ["binaryCrossEntropy:", "weight of shape [3] must broadcast to the input's shape [2]"],
);
bad(
  "binaryCrossEntropyWithLogits",
  "int32 posWeight",
  () => N.binaryCrossEntropyWithLogits(tensor([0.5]), tensor([1]), { posWeight: ids([1]) }),
  DTypeError,
  ["binaryCrossEntropyWithLogits:", "posWeight must be float32 or float64"],
);
bad(
  "binaryCrossEntropyWithLogits",
  "posWeight that does not broadcast",
  () => N.binaryCrossEntropyWithLogits(tensor([[0.5, 0.5]]), tensor([[1, 0]]), { posWeight: tensor([1, 2, 3]) }),
  ShapeError,
  ["binaryCrossEntropyWithLogits:", "posWeight of shape [3]"],
);
bad("klDiv", "negative probability target", () => N.klDiv(tensor([-1, -1]), tensor([0.5, -0.5])), ArgumentError, [
  "klDiv:",
  "target must hold probabilities (>= 0), got -0.5",
  "logTarget",
]);
bad(
  "klDiv",
  "a string logTarget",
  () => N.klDiv(tensor([-1]), tensor([1]), { logTarget: "yes" as never }),
  ArgumentError,
  ["klDiv:", "logTarget must be a boolean"],
);
bad("klDiv", "target that does not broadcast", () => N.klDiv(tensor([[-1, -1]]), tensor([1, 0, 0])), ShapeError, [
  "klDiv:",
  "target shape [3]",
  "[1,2]",
]);
for (const op of ["crossEntropy", "nllLoss"] as const) {
  const fn = N[op] as (input: unknown, target: unknown, opts?: unknown) => Tensor;
  const logits = () =>
    tensor(
      [
        [1, 2, 3],
        [0, 0, 0],
      ],
      { requiresGrad: true },
    );
  const name = op === "crossEntropy" ? "logits" : "input";
  bad(op, "class index out of range", () => fn(logits(), ids([0, 3])), IndexError, [
    `${op}:`,
    "target 3 at flat index 1 is out of range for 3 classes",
    "expected 0..2",
  ]);
  bad(op, "negative class index", () => fn(logits(), ids([-1, 0])), IndexError, [`${op}:`, "target -1"]);
  bad(op, "float class indices", () => fn(logits(), tensor([0, 2])), DTypeError, [
    `${op}:`,
    "class-index target must be int32",
    "float32 of shape [2]",
  ]);
  bad(op, "target of the wrong batch size", () => fn(logits(), ids([0, 1, 2])), ShapeError, [
    `${op}:`,
    "target shape [3]",
    "expected int32 class indices of shape [2]",
  ]);
  bad(op, "0-d scores", () => fn(tensor(1), ids([0])), ShapeError, [`${op}:`, "[C] or [N, C, d1, ...]", "0-d"]);
  bad(op, "no classes", () => fn(tensor([[], []]).reshape(2, 0), ids([0, 0])), ShapeError, [
    `${op}:`,
    "no classes (C = 0)",
  ]);
  bad(op, "int32 scores", () => fn(ids([1, 2, 3, 4, 5, 6], [2, 3]), ids([0, 1])), DTypeError, [
    `${op}:`,
    `${name} must be float32 or float64`,
    "int32",
  ]);
  bad(op, "weight of the wrong size", () => fn(logits(), ids([0, 1]), { weight: tensor([1, 1]) }), ShapeError, [
    `${op}:`,
    "weight must have shape [3] (one per class)",
    "[2]",
  ]);
  bad(op, "int32 weight", () => fn(logits(), ids([0, 1]), { weight: ids([1, 1, 1]) }), DTypeError, [
    `${op}:`,
    "weight must be float32 or float64",
  ]);
  bad(op, "fractional ignoreIndex", () => fn(logits(), ids([0, 1]), { ignoreIndex: 0.5 }), ArgumentError, [
    `${op}:`,
    "ignoreIndex must be an integer",
    "0.5",
  ]);
  bad(op, "NaN ignoreIndex", () => fn(logits(), ids([0, 1]), { ignoreIndex: Number.NaN }), ArgumentError, [
    `${op}:`,
    "ignoreIndex",
    "NaN",
  ]);
  bad(op, "unknown reduction", () => fn(logits(), ids([0, 1]), { reduction: "batchmean" }), ArgumentError, [
    `${op}:`,
    "reduction must be",
    '"batchmean"',
  ]);
  for (const [what, v, shown] of NOT_TENSORS_OR_ARRAYS) {
    bad(op, `${name} is ${what}`, () => fn(v, ids([0])), ArgumentError, [
      `${op}:`,
      `${name} must be a Tensor or NDArray`,
      shown.replace("got ", ""),
    ]);
    bad(op, `target is ${what}`, () => fn(logits(), v), ArgumentError, [
      `${op}:`,
      "target must be a Tensor or NDArray",
      shown.replace("got ", ""),
    ]);
  }
}
bad(
  "nllLoss",
  "labelSmoothing is not an nllLoss option",
  () => N.nllLoss(tensor([[0, 0]]), ids([0]), { labelSmoothing: 0.1 } as never),
  ArgumentError,
  ["nllLoss:", 'unknown option "labelSmoothing"'],
);
bad(
  "crossEntropy",
  "int32 probability targets",
  () => N.crossEntropy(tensor([[0, 0]]), ids([1, 0], [1, 2])),
  DTypeError,
  ["crossEntropy:", "class probabilities and must be float, got int32"],
);
bad(
  "crossEntropy",
  "probability targets with ignoreIndex",
  () => N.crossEntropy(tensor([[0, 0]]), tensor([[1, 0]]), { ignoreIndex: 0 }),
  ArgumentError,
  ["crossEntropy:", "ignoreIndex (0) is not supported with class-probability targets"],
);
for (const [what, v] of [...NON_FINITE, ["negative", -0.1], ["above 1", 1.5], ["a string", "0.1"]] as const) {
  bad(
    "crossEntropy",
    `labelSmoothing ${what}`,
    () => N.crossEntropy(tensor([[0, 0]]), ids([0]), { labelSmoothing: v as never }),
    ArgumentError,
    ["crossEntropy:", "labelSmoothing must be a finite number in [0, 1]"],
  );
  bad(
    "CrossEntropyLoss",
    `labelSmoothing ${what}`,
    () => new N.CrossEntropyLoss({ labelSmoothing: v as never }),
    ArgumentError,
    ["CrossEntropyLoss:", "labelSmoothing"],
  );
}
for (const cls of [
  "MSELoss",
  "L1Loss",
  "HuberLoss",
  "SmoothL1Loss",
  "BCELoss",
  "BCEWithLogitsLoss",
  "CrossEntropyLoss",
  "NLLLoss",
  "KLDivLoss",
] as const) {
  const Cls = N[cls] as new (opts?: unknown) => Module & { forward(a: unknown, b: unknown): Tensor };
  bad(cls, "unknown reduction", () => new Cls({ reduction: "median" }), ArgumentError, [
    `${cls}:`,
    "reduction must be",
    '"median"',
  ]);
  bad(cls, "unknown option", () => new Cls({ ignore_index: 1 }), ArgumentError, [
    `${cls}:`,
    'unknown option "ignore_index"',
  ]);
  bad(cls, "a number as options", () => new Cls(3), ArgumentError, [`${cls}:`, "options must be an object", "number"]);
  const loss = new Cls();
  bad(cls, "forward with an int32 input", () => loss.forward(ids([0, 1]), ids([0, 1])), DTypeError, [
    "must be float32 or float64",
    "int32",
  ]);
}
bad(
  "CrossEntropyLoss",
  "forward with an out-of-range class",
  () => new N.CrossEntropyLoss().forward(tensor([[0, 0]]), ids([2])),
  IndexError,
  ["crossEntropy:", "target 2", "2 classes"],
);

// ---------------------------------------------------------------- bool where float is expected
{
  const fc = new Linear(4, 3);
  bad(
    "Linear",
    "forward with bool input",
    () => fc.forward(tensor([[true, false, true, false]])),
    DTypeError,
    ["Linear:", "float32 or float64", "bool of shape [1,4]"],
    paramsOf(fc),
  );
  for (const op of REGRESSION) {
    const fn = N[op] as (input: unknown, target: unknown) => Tensor;
    bad(op, "bool input", () => fn(tensor([true, false]), tensor([0.5, 0.5])), DTypeError, [
      `${op}:`,
      "input must be float32 or float64",
      "bool of shape [2]",
    ]);
  }
  bad("crossEntropy", "bool logits", () => N.crossEntropy(tensor([[true, false]]), ids([0])), DTypeError, [
    "crossEntropy:",
    "logits must be float32 or float64",
    "bool",
  ]);
  bad("nllLoss", "bool log-probabilities", () => N.nllLoss(tensor([[true, false]]), ids([0])), DTypeError, [
    "nllLoss:",
    "input must be float32 or float64",
    "bool",
  ]);
  bad("crossEntropy", "bool class targets", () => N.crossEntropy(tensor([[0, 1]]), tensor([true])), DTypeError, [
    "crossEntropy:",
    "class-index target must be int32",
    "bool",
  ]);
}

// ---------------------------------------------------------------- optimizers
const twoParams = () => [new Parameter([1, 2, 3]), new Parameter([[4, 5]])];
type OptCtor = new (params: Parameter[], opts: Record<string, unknown>) => Optimizer;
const OPTIMIZERS: [string, OptCtor, Record<string, unknown>, string[], string[]][] = [
  [
    "SGD",
    SGD as unknown as OptCtor,
    { lr: 0.1, momentum: 0.9 },
    ["lr", "momentum", "dampening", "weightDecay"],
    ["nesterov", "maximize"],
  ],
  ["Adam", Adam as unknown as OptCtor, { lr: 0.1 }, ["lr", "eps", "weightDecay"], ["amsgrad", "maximize"]],
  ["AdamW", AdamW as unknown as OptCtor, { lr: 0.1 }, ["lr", "eps", "weightDecay"], ["amsgrad", "maximize"]],
  [
    "RMSprop",
    RMSprop as unknown as OptCtor,
    { lr: 0.1, momentum: 0.5, centered: true },
    ["lr", "alpha", "eps", "momentum", "weightDecay"],
    ["centered", "maximize"],
  ],
];
for (const [name, Opt, base, numeric, flags] of OPTIMIZERS) {
  for (const option of numeric) {
    for (const [what, v] of [...NON_FINITE, ["negative", -0.1], ["a string", "0.1"]] as const) {
      bad(name, `${option} ${what}`, () => new Opt(twoParams(), { ...base, [option]: v }), ArgumentError, [
        `${name}: invalid ${option}`,
        "expected a finite number >= 0",
      ]);
    }
  }
  for (const option of flags) {
    bad(name, `${option} is a string`, () => new Opt(twoParams(), { ...base, [option]: "yes" }), ArgumentError, [
      `${name}: invalid ${option}`,
      "true or false",
    ]);
  }
  bad(name, "snake_case option", () => new Opt(twoParams(), { ...base, weight_decay: 0.1 }), ArgumentError, [
    `${name}: unknown option "weight_decay"`,
  ]);
  bad(name, "a single Tensor as params", () => new Opt(new Parameter([1]) as never, base), ArgumentError, [
    `${name}: params should be an iterable`,
    "a Tensor of shape [1]",
    "model.parameters()",
  ]);
  bad(name, "an empty parameter list", () => new Opt([], base), ArgumentError, [
    `${name}: got an empty parameter list`,
  ]);
  bad(name, "a null parameter", () => new Opt([new Parameter([1]), null as never], base), ArgumentError, [
    `${name}: parameter 1 is null`,
  ]);
  bad(
    name,
    "an int32 tensor as parameter",
    () => new Opt([tensor([1], { dtype: "int32" }) as never], base),
    ArgumentError,
    [`${name}: parameter 0 of shape [1] does not require grad`],
  );
  bad(name, "a non-leaf parameter", () => new Opt([new Parameter([1]).mul(2) as never], base), ArgumentError, [
    `${name}: parameter 0 of shape [1] is not a leaf`,
  ]);
  bad(
    name,
    "a parameter listed twice",
    () => {
      const p = new Parameter([1]);
      return new Opt([p, p], base);
    },
    ArgumentError,
    [`${name}: parameter 1 of shape [1] appears more than once`],
  );
  bad(
    name,
    "a group with a NaN lr",
    () => new Opt([{ params: twoParams(), lr: Number.NaN }] as never, base),
    ArgumentError,
    [`${name}: invalid lr NaN`],
  );

  // A failed step leaves every parameter and every state buffer as it was: the bad gradient is on the
  // second parameter, so a step that updated in order before checking would have moved the first.
  const setup = () => {
    const ps = twoParams();
    const opt = new Opt(ps, base);
    ps[0]!.grad = tensor([0.1, 0.2, 0.3]);
    ps[1]!.grad = tensor([[0.4, 0.5]]);
    opt.step();
    ps[0]!.grad = tensor([1, 1, 1]);
    return { ps, opt };
  };
  {
    const { ps, opt } = setup();
    ps[1]!.grad = tensor([1, 1]);
    bad(
      name,
      "step with a gradient of the wrong shape",
      () => opt.step(),
      ShapeError,
      [`${name}.step:`, "gradient of shape [2] does not match its parameter of shape [1,2]", "parameter 1 of group 0"],
      optimizerOf(opt),
    );
  }
  {
    const { ps, opt } = setup();
    ps[1]!.grad = nd.ones([1, 2]) as never;
    bad(
      name,
      "step with an NDArray gradient",
      () => opt.step(),
      ArgumentError,
      [`${name}.step:`, "gradient of parameter 1 of group 0 must be a Tensor", "an NDArray of shape [1,2]"],
      optimizerOf(opt),
    );
  }
  {
    const { ps, opt } = setup();
    ps[1]!.grad = tensor([[true, false]]);
    bad(
      name,
      "step with a bool gradient",
      () => opt.step(),
      DTypeError,
      [`${name}.step:`, "is bool; expected a float gradient"],
      optimizerOf(opt),
    );
  }
  {
    const { opt } = setup();
    opt.paramGroups[0]!.lr = Number.NaN;
    bad(
      name,
      "step after lr was set to NaN",
      () => opt.step(),
      ArgumentError,
      [`${name}: invalid lr NaN`],
      optimizerOf(opt),
    );
  }
  {
    const { opt } = setup();
    (opt.paramGroups[0] as unknown as { eps: number }).eps = Number.POSITIVE_INFINITY;
    if (numeric.includes("eps")) {
      bad(
        name,
        "step after eps was set to Infinity",
        () => opt.step(),
        ArgumentError,
        [`${name}: invalid eps Infinity`],
        optimizerOf(opt),
      );
    }
  }
  {
    const { opt } = setup();
    bad(
      name,
      "step with a non-function closure",
      () => opt.step(42 as never),
      ArgumentError,
      [`${name}.step:`, "closure must be a function", "the number 42"],
      optimizerOf(opt),
    );
    bad(
      name,
      "zeroGrad with a string setToNone",
      () => opt.zeroGrad({ setToNone: "no" as never }),
      ArgumentError,
      [`${name}.zeroGrad:`, "setToNone"],
      optimizerOf(opt),
    );
    bad(
      name,
      "addParamGroup with a Tensor",
      () => opt.addParamGroup(new Parameter([1]) as never),
      ArgumentError,
      [`${name}: a parameter group must be an object { params, ...options }`],
      optimizerOf(opt),
    );
    bad(
      name,
      "addParamGroup with a NaN lr",
      () => opt.addParamGroup({ params: [new Parameter([1])], lr: Number.NaN } as never),
      ArgumentError,
      [`${name}: invalid lr NaN`],
      optimizerOf(opt),
    );
    bad(
      name,
      "addParamGroup with a parameter already optimized",
      () => opt.addParamGroup({ params: [opt.paramGroups[0]!.params[0]!] } as never),
      ArgumentError,
      [`${name}: parameter 0 of shape [3] appears more than once`],
      optimizerOf(opt),
    );
    // loadStateDict: nothing is restored unless everything checks out.
    const good = opt.stateDict();
    const load = (sd: unknown) => () => opt.loadStateDict(sd as never);
    bad(
      name,
      "loadStateDict(null)",
      load(null),
      ArgumentError,
      [`${name}.loadStateDict:`, "expected { state, paramGroups }", "null"],
      optimizerOf(opt),
    );
    bad(
      name,
      "loadStateDict with two groups",
      load({ ...good, paramGroups: [good.paramGroups[0], good.paramGroups[0]] }),
      ArgumentError,
      [`${name}.loadStateDict:`, "2 parameter groups, the optimizer has 1"],
      optimizerOf(opt),
    );
    bad(
      name,
      "loadStateDict with too few parameters",
      load({ ...good, paramGroups: [{ ...good.paramGroups[0], params: [0] }] }),
      ArgumentError,
      [`${name}.loadStateDict:`, "group 0 has 1 parameters in the state dict but 2"],
      optimizerOf(opt),
    );
    bad(
      name,
      "loadStateDict with repeated parameter ids",
      load({ ...good, paramGroups: [{ ...good.paramGroups[0], params: [0, 0] }] }),
      ArgumentError,
      [`${name}.loadStateDict:`, "parameter id the number 0", "distinct non-negative integers"],
      optimizerOf(opt),
    );
    bad(
      name,
      "loadStateDict with a NaN lr",
      load({ ...good, paramGroups: [{ ...good.paramGroups[0], lr: Number.NaN }] }),
      ArgumentError,
      [`${name}: invalid lr NaN`],
      optimizerOf(opt),
    );
    bad(
      name,
      "loadStateDict with state for an unknown parameter",
      load({ ...good, state: { ...good.state, 7: {} } }),
      ArgumentError,
      [`${name}.loadStateDict:`, "unknown parameter index 7"],
      optimizerOf(opt),
    );
    const [key, first] = Object.entries(good.state)[0]!;
    const [buf] = Object.entries(first).find(([, v]) => v instanceof nd.NDArray)!;
    bad(
      name,
      "loadStateDict with a buffer of the wrong shape",
      load({ ...good, state: { ...good.state, [key]: { ...first, [buf]: nd.zeros([5]) } } }),
      ShapeError,
      [`${name}.loadStateDict:`, `state "${buf}" of parameter 0 has shape [5] but its parameter has shape [3]`],
      optimizerOf(opt),
    );
    bad(
      name,
      "loadStateDict with an int32 buffer",
      load({ ...good, state: { ...good.state, [key]: { ...first, [buf]: nd.zeros([3], { dtype: "int32" }) } } }),
      DTypeError,
      [`${name}.loadStateDict:`, `state "${buf}" of parameter 0 must be float32 or float64, got int32`],
      optimizerOf(opt),
    );
    bad(
      name,
      "loadStateDict with a string buffer",
      load({ ...good, state: { ...good.state, [key]: { ...first, [buf]: "zeros" } } }),
      ArgumentError,
      [`${name}.loadStateDict:`, `state "${buf}" of parameter 0 must be an NDArray or a number`, 'the string "zeros"'],
      optimizerOf(opt),
    );
    bad(
      name,
      "loadStateDict with a NaN step count",
      load({ ...good, state: { ...good.state, [key]: { ...first, step: Number.NaN } } }),
      ArgumentError,
      [`${name}.loadStateDict:`, 'state "step" of parameter 0 must be a finite number, got NaN'],
      optimizerOf(opt),
    );
    bad(
      name,
      "loadStateDict with a null state entry",
      load({ ...good, state: { ...good.state, [key]: null } }),
      ArgumentError,
      [`${name}.loadStateDict:`, "state for parameter 0 must be an object"],
      optimizerOf(opt),
    );
  }
}
for (const [what, betas, shown] of [
  ["beta1 = 1", [1, 0.999], "betas[0] 1"],
  ["NaN beta2", [0.9, Number.NaN], "betas[1] NaN"],
  ["negative beta1", [-0.1, 0.999], "betas[0] -0.1"],
  ["Infinity beta2", [0.9, Number.POSITIVE_INFINITY], "betas[1] Infinity"],
] as const) {
  bad("Adam", `betas with ${what}`, () => new Adam(twoParams(), { betas: betas as never }), ArgumentError, [
    `Adam: invalid ${shown}`,
    "[0, 1)",
  ]);
  bad("AdamW", `betas with ${what}`, () => new AdamW(twoParams(), { betas: betas as never }), ArgumentError, [
    `AdamW: invalid ${shown}`,
  ]);
}
bad("Adam", "three betas", () => new Adam(twoParams(), { betas: [0.9, 0.99, 0.999] as never }), ArgumentError, [
  "Adam: invalid betas",
  "expected [beta1, beta2]",
]);
bad("SGD", "no lr", () => new SGD(twoParams(), {} as never), ArgumentError, ["SGD: lr is required"]);
bad("SGD", "nesterov without momentum", () => new SGD(twoParams(), { lr: 0.1, nesterov: true }), ArgumentError, [
  "SGD: nesterov requires momentum > 0 and dampening = 0",
]);

// ---------------------------------------------------------------- schedulers
{
  const newOpt = () => new SGD(twoParams(), { lr: 0.1 });
  const lrsOf = (opt: Optimizer) => () => opt.paramGroups.map((g) => [g.lr, g.initialLr]);
  const opt = newOpt();
  const SCHED: [string, (o: Optimizer, opts: unknown) => unknown, [string, Record<string, unknown>, string][]][] = [
    [
      "StepLR",
      (o, s) => new N.StepLR(o, s as never),
      [
        ["stepSize 0", { stepSize: 0 }, "invalid stepSize 0; expected a positive integer"],
        ["fractional stepSize", { stepSize: 1.5 }, "invalid stepSize 1.5"],
        ["NaN gamma", { stepSize: 2, gamma: Number.NaN }, "invalid gamma NaN; expected a finite number >= 0"],
        ["Infinity gamma", { stepSize: 2, gamma: Number.POSITIVE_INFINITY }, "invalid gamma Infinity"],
        ["negative gamma", { stepSize: 2, gamma: -0.5 }, "invalid gamma -0.5"],
      ],
    ],
    [
      "CosineAnnealingLR",
      (o, s) => new N.CosineAnnealingLR(o, s as never),
      [
        ["tMax 0", { tMax: 0 }, "invalid tMax 0"],
        ["NaN tMax", { tMax: Number.NaN }, "invalid tMax NaN"],
        ["negative etaMin", { tMax: 10, etaMin: -1 }, "invalid etaMin -1"],
        ["Infinity etaMin", { tMax: 10, etaMin: Number.POSITIVE_INFINITY }, "invalid etaMin Infinity"],
      ],
    ],
    [
      "LinearLR",
      (o, s) => new N.LinearLR(o, s as never),
      [
        ["startFactor 0", { startFactor: 0 }, "invalid startFactor 0; expected a number in (0, 1]"],
        ["NaN startFactor", { startFactor: Number.NaN }, "invalid startFactor NaN"],
        ["endFactor above 1", { endFactor: 1.5 }, "invalid endFactor 1.5"],
        ["totalIters 0", { totalIters: 0 }, "invalid totalIters 0"],
        ["Infinity totalIters", { totalIters: Number.POSITIVE_INFINITY }, "invalid totalIters Infinity"],
      ],
    ],
  ];
  for (const [name, make, options] of SCHED) {
    for (const [what, o, msg] of options) {
      const fresh = newOpt();
      bad(name, what, () => make(fresh, o), ArgumentError, [`${name}: ${msg}`], lrsOf(fresh));
    }
    const fresh = newOpt();
    bad(name, "not an optimizer", () => make({ paramGroups: [] } as never, { stepSize: 1, tMax: 1 }), ArgumentError, [
      `${name}: expected an Optimizer`,
      "an object",
    ]);
    if (name !== "LinearLR") {
      bad(
        name,
        "no options",
        () => make(fresh, undefined),
        ArgumentError,
        [`${name}: expected an options object`, "undefined"],
        lrsOf(fresh),
      );
    }
    bad(
      name,
      "null options",
      () => make(fresh, null),
      ArgumentError,
      [`${name}: expected an options object`, "null"],
      lrsOf(fresh),
    );
  }
  const warm = new N.LinearLR(opt, { totalIters: 2 });
  const cos = new N.CosineAnnealingLR(opt, { tMax: 5 });
  bad(
    "SequentialLR",
    "milestones of the wrong count",
    () => new N.SequentialLR(opt, { schedulers: [warm, cos], milestones: [] }),
    ArgumentError,
    ["SequentialLR: expected 1 milestones for 2 schedulers"],
    lrsOf(opt),
  );
  bad(
    "SequentialLR",
    "a zero milestone",
    () => new N.SequentialLR(opt, { schedulers: [warm, cos], milestones: [0] }),
    ArgumentError,
    ["SequentialLR: invalid milestones[0] 0"],
    lrsOf(opt),
  );
  bad(
    "SequentialLR",
    "an empty scheduler list",
    () => new N.SequentialLR(opt, { schedulers: [], milestones: [] }),
    ArgumentError,
    ["SequentialLR: expected a non-empty array of schedulers"],
    lrsOf(opt),
  );
  bad(
    "SequentialLR",
    "a scheduler of another optimizer",
    () => new N.SequentialLR(opt, { schedulers: [warm, new N.StepLR(newOpt(), { stepSize: 1 })], milestones: [2] }),
    ArgumentError,
    ["SequentialLR: schedulers[1] (StepLR) is bound to a different optimizer"],
    lrsOf(opt),
  );
  bad(
    "SequentialLR",
    "a non-scheduler",
    () => new N.SequentialLR(opt, { schedulers: [warm, {} as never], milestones: [2] }),
    ArgumentError,
    ["SequentialLR: schedulers[1] is an object (Object), expected an LRScheduler"],
    lrsOf(opt),
  );
  bad(
    "warmupCosine",
    "negative warmupSteps",
    () => N.warmupCosine(newOpt(), { warmupSteps: -1, totalSteps: 10 }),
    ArgumentError,
    ["warmupCosine: invalid warmupSteps -1"],
  );
  bad(
    "warmupCosine",
    "totalSteps not after warmup",
    () => N.warmupCosine(newOpt(), { warmupSteps: 5, totalSteps: 5 }),
    ArgumentError,
    ["warmupCosine: invalid totalSteps 5; expected an integer > warmupSteps (5)"],
  );
  bad(
    "warmupCosine",
    "NaN etaMin",
    () => N.warmupCosine(newOpt(), { warmupSteps: 0, totalSteps: 5, etaMin: Number.NaN }),
    ArgumentError,
    ["CosineAnnealingLR: invalid etaMin NaN"],
  );
  // loadStateDict: a bad snapshot restores nothing.
  const o2 = newOpt();
  const step = new N.StepLR(o2, { stepSize: 2 });
  step.step();
  const seq = new N.SequentialLR(o2, {
    schedulers: [new N.LinearLR(o2, { totalIters: 2 }), new N.CosineAnnealingLR(o2, { tMax: 4 })],
    milestones: [2],
  });
  seq.step();
  const schedOf = (s: NNS.LRScheduler) => () => [s.stateDict(), o2.paramGroups.map((g) => g.lr)];
  const sd = step.stateDict();
  for (const [what, patch, msg] of [
    ["NaN lastEpoch", { lastEpoch: Number.NaN }, "invalid lastEpoch NaN"],
    ["negative stepCount", { stepCount: -2 }, "invalid stepCount -2"],
    [
      "baseLrs of the wrong length",
      { baseLrs: [0.1, 0.1] },
      "invalid baseLrs [0.1,0.1]; expected 1 finite learning rate",
    ],
    ["NaN in lastLr", { lastLr: [Number.NaN] }, "invalid lastLr"],
    ["stepSize 0", { stepSize: 0 }, "invalid stepSize 0"],
    ["NaN gamma", { gamma: Number.NaN }, "invalid gamma NaN"],
  ] as const) {
    bad(
      "StepLR",
      `loadStateDict with ${what}`,
      () => step.loadStateDict({ ...sd, ...patch } as never),
      ArgumentError,
      [`StepLR.loadStateDict: ${msg}`],
      schedOf(step),
    );
  }
  bad(
    "StepLR",
    "loadStateDict(null)",
    () => step.loadStateDict(null as never),
    ArgumentError,
    ["StepLR.loadStateDict: expected a scheduler state dict", "null"],
    schedOf(step),
  );
  const seqSd = seq.stateDict();
  bad(
    "SequentialLR",
    "loadStateDict with one sub-scheduler",
    () => seq.loadStateDict({ ...seqSd, schedulers: [seqSd.schedulers as never] } as never),
    ArgumentError,
    ["SequentialLR.loadStateDict: expected 2 scheduler state dicts"],
    schedOf(seq),
  );
  bad(
    "SequentialLR",
    "loadStateDict with decreasing milestones",
    () => seq.loadStateDict({ ...seqSd, milestones: [0] }),
    ArgumentError,
    ["SequentialLR.loadStateDict: invalid milestones [0]"],
    schedOf(seq),
  );
  bad(
    "SequentialLR",
    "loadStateDict with a bad sub-scheduler",
    () =>
      seq.loadStateDict({
        ...seqSd,
        schedulers: [
          (seqSd.schedulers as NNS.SchedulerStateDict[])[0],
          { ...(seqSd.schedulers as NNS.SchedulerStateDict[])[1], tMax: -1 },
        ],
      } as never),
    ArgumentError,
    ["SequentialLR.loadStateDict (schedulers[1]): invalid tMax -1"],
    schedOf(seq),
  );
  bad(
    "LinearLR",
    "loadStateDict with a zero startFactor",
    () => warm.loadStateDict({ ...warm.stateDict(), startFactor: 0 }),
    ArgumentError,
    ["LinearLR.loadStateDict: invalid startFactor 0"],
    () => warm.stateDict(),
  );
  bad(
    "CosineAnnealingLR",
    "loadStateDict with NaN etaMin",
    () => cos.loadStateDict({ ...cos.stateDict(), etaMin: Number.NaN }),
    ArgumentError,
    ["CosineAnnealingLR.loadStateDict: invalid etaMin NaN"],
    () => cos.stateDict(),
  );
}

// ---------------------------------------------------------------- gradient clipping
{
  const ps = twoParams();
  ps[0]!.grad = tensor([3, 4, 0]);
  ps[1]!.grad = tensor([[1, 1]]);
  const grads = paramsOf(ps);
  for (const [what, v] of [
    ["NaN", Number.NaN],
    ["negative", -1],
    ["a string", "1"],
  ] as const) {
    bad(
      "clipGradNorm",
      `maxNorm ${what}`,
      () => N.clipGradNorm(ps, v as never),
      ArgumentError,
      ["clipGradNorm: invalid maxNorm", "expected a number >= 0"],
      grads,
    );
    bad(
      "clipGradValue",
      `clipValue ${what}`,
      () => N.clipGradValue(ps, v as never),
      ArgumentError,
      ["clipGradValue: invalid clipValue", "expected a number >= 0"],
      grads,
    );
  }
  for (const [what, v] of [
    ["0", 0],
    ["NaN", Number.NaN],
    ["-2", -2],
  ] as const) {
    bad(
      "clipGradNorm",
      `normType ${what}`,
      () => N.clipGradNorm(ps, 1, { normType: v }),
      ArgumentError,
      ["clipGradNorm: invalid normType", "> 0 or Infinity"],
      grads,
    );
  }
  bad(
    "clipGradNorm",
    "a string errorIfNonfinite",
    () => N.clipGradNorm(ps, 1, { errorIfNonfinite: "yes" as never }),
    ArgumentError,
    ["clipGradNorm: invalid errorIfNonfinite"],
    grads,
  );
  for (const op of ["clipGradNorm", "clipGradValue"] as const) {
    const fn = N[op] as (p: unknown, v: number) => unknown;
    bad(
      op,
      "params is a number",
      () => fn(3, 1),
      ArgumentError,
      [`${op}: expected a Tensor or an iterable of Tensors`, "number 3"],
      grads,
    );
    bad(
      op,
      "a null parameter",
      () => fn([ps[0], null], 1),
      ArgumentError,
      [`${op}: parameter 1 must be a Tensor`, "null"],
      grads,
    );
    const q = new Parameter([1, 2]);
    q.grad = nd.ones([2]) as never;
    bad(
      op,
      "an NDArray gradient",
      () => fn([...ps, q], 1),
      ArgumentError,
      [`${op}: the gradient of parameter 2 must be a Tensor`, "NDArray"],
      grads,
    );
  }
}

// ---------------------------------------------------------------- init
{
  const w = new Parameter(nd.zeros([3, 2]));
  const b = new Parameter(nd.zeros([3]));
  const keep = paramsOf([w, b]);
  const I = N.init;
  bad(
    "init.uniform",
    "NaN low",
    () => I.uniform(w, Number.NaN, 1),
    ArgumentError,
    ["uniform: low must be a finite number", "NaN"],
    keep,
  );
  bad(
    "init.uniform",
    "high below low",
    () => I.uniform(w, 1, 0),
    ArgumentError,
    ["uniform: high must be a finite number >= 1", "the number 0"],
    keep,
  );
  bad(
    "init.uniform",
    "infinite high",
    () => I.uniform(w, 0, Number.POSITIVE_INFINITY),
    ArgumentError,
    ["uniform: high", "Infinity"],
    keep,
  );
  bad(
    "init.normal",
    "negative std",
    () => I.normal(w, 0, -1),
    ArgumentError,
    ["normal: std must be a finite number >= 0", "-1"],
    keep,
  );
  bad("init.normal", "NaN mean", () => I.normal(w, Number.NaN), ArgumentError, ["normal: mean", "NaN"], keep);
  bad(
    "init.constant",
    "NaN value",
    () => I.constant(w, Number.NaN),
    ArgumentError,
    ["constant: value must be a number (not NaN)"],
    keep,
  );
  bad(
    "init.constant",
    "a string value",
    () => I.constant(w, "1" as never),
    ArgumentError,
    ["constant:", 'the string "1"'],
    keep,
  );
  bad(
    "init.kaimingUniform",
    "a 1-d tensor",
    () => I.kaimingUniform(b),
    ArgumentError,
    ["kaimingUniform: fan in and fan out need at least 2 dims", "[3]"],
    keep,
  );
  bad(
    "init.kaimingUniform",
    "unknown mode",
    () => I.kaimingUniform(w, { mode: "fan_in" as never }),
    ArgumentError,
    ['kaimingUniform: mode must be "fanIn" or "fanOut"', 'the string "fan_in"'],
    keep,
  );
  bad(
    "init.kaimingUniform",
    "NaN a",
    () => I.kaimingUniform(w, { a: Number.NaN }),
    ArgumentError,
    ["kaimingUniform: a must be a finite number"],
    keep,
  );
  bad(
    "init.kaimingUniform",
    "unknown nonlinearity",
    () => I.kaimingUniform(w, { nonlinearity: "swish" as never }),
    ArgumentError,
    ['calculateGain: unknown nonlinearity "swish"'],
    keep,
  );
  bad("init.kaimingUniform", "an empty fan", () => I.kaimingUniform(new Parameter(nd.zeros([3, 0]))), ArgumentError, [
    "kaimingUniform:",
    "has fanIn 0",
  ]);
  bad("init.kaimingNormal", "a 0-d tensor", () => I.kaimingNormal(new Parameter(nd.zeros([]))), ArgumentError, [
    "kaimingNormal: fan in and fan out need at least 2 dims",
  ]);
  bad(
    "init.xavierUniform",
    "negative gain",
    () => I.xavierUniform(w, { gain: -1 }),
    ArgumentError,
    ["xavierUniform: gain must be a finite number >= 0"],
    keep,
  );
  bad(
    "init.xavierNormal",
    "NaN gain",
    () => I.xavierNormal(w, { gain: Number.NaN }),
    ArgumentError,
    ["xavierNormal: gain", "NaN"],
    keep,
  );
  bad(
    "init.xavierNormal",
    "a 1-d tensor",
    () => I.xavierNormal(b),
    ArgumentError,
    ["xavierNormal: fan in and fan out need at least 2 dims"],
    keep,
  );
  bad("init.calculateGain", "unknown nonlinearity", () => I.calculateGain("elu" as never), ArgumentError, [
    'calculateGain: unknown nonlinearity "elu"',
  ]);
  bad("init.calculateGain", "NaN slope", () => I.calculateGain("leaky_relu", Number.NaN), ArgumentError, [
    "calculateGain: param (negative slope) must be a finite number",
    "NaN",
  ]);
  bad("init.fans", "a 1-d shape", () => I.fans([7]), ArgumentError, [
    "fans: fan in and fan out need at least 2 dims",
    "[7]",
  ]);
  bad("init.fans", "not a shape", () => I.fans(null as never), ArgumentError, ["fans: expected a shape", "null"]);
  for (const fnName of [
    "uniform",
    "normal",
    "constant",
    "zeros",
    "ones",
    "kaimingUniform",
    "kaimingNormal",
    "xavierUniform",
    "xavierNormal",
  ] as const) {
    const fn = I[fnName] as (t: unknown, ...rest: unknown[]) => unknown;
    const op = fnName === "zeros" || fnName === "ones" ? "constant" : fnName;
    for (const [what, v, shown] of NOT_TENSORS) {
      bad(`init.${fnName}`, `target is ${what}`, () => fn(v, 0), ArgumentError, [
        `${op}: expected a Tensor or Parameter to fill`,
        shown,
      ]);
    }
    bad(`init.${fnName}`, "an int32 target", () => fn(tensor([[1, 2]], { dtype: "int32" }), 0), DTypeError, [
      `${op}: expected a float32 or float64 tensor`,
      "int32 of shape [1,2]",
    ]);
  }
}

// ---------------------------------------------------------------- data
bad("TensorDataset", "no tensors", () => new N.TensorDataset(), ArgumentError, [
  "TensorDataset: expected at least one tensor",
]);
bad("TensorDataset", "a plain array", () => new N.TensorDataset([1, 2] as never), ArgumentError, [
  "TensorDataset: argument 0",
  "expected a Tensor or an NDArray, got an array of length 2",
]);
bad("TensorDataset", "first dims differ", () => new N.TensorDataset(x24(), tensor([1, 2, 3])), ShapeError, [
  "TensorDataset: size mismatch",
  "[2,4], [3]",
]);
bad("TensorDataset", "a 0-d tensor", () => new N.TensorDataset(tensor(1)), ShapeError, [
  "TensorDataset: every tensor needs a first (sample) dim",
]);
bad("TensorDataset", "get out of range", () => new N.TensorDataset(x24()).get(2), IndexError, [
  "TensorDataset.get: index 2 is out of range for a dataset of 2 samples",
]);
bad("TensorDataset", "get with a fractional index", () => new N.TensorDataset(x24()).get(0.5), IndexError, [
  "TensorDataset.get: index 0.5",
]);
{
  const ds = new N.TensorDataset(x24());
  for (const [what, v] of [
    ["zero", 0],
    ["negative", -1],
    ["fractional", 1.5],
    ["NaN", Number.NaN],
    ["Infinity", Number.POSITIVE_INFINITY],
  ] as const) {
    bad("DataLoader", `batchSize ${what}`, () => new N.DataLoader(ds, { batchSize: v }), ArgumentError, [
      "DataLoader: batchSize must be a positive integer",
    ]);
  }
  bad("DataLoader", "a string shuffle", () => new N.DataLoader(ds, { shuffle: "yes" as never }), ArgumentError, [
    "DataLoader: shuffle must be a boolean",
  ]);
  bad("DataLoader", "a string dropLast", () => new N.DataLoader(ds, { dropLast: 1 as never }), ArgumentError, [
    "DataLoader: dropLast must be a boolean",
  ]);
  bad("DataLoader", "NaN seed", () => new N.DataLoader(ds, { seed: Number.NaN }), ArgumentError, [
    "DataLoader: seed must be a finite number, got NaN",
  ]);
  bad("DataLoader", "a Tensor as dataset", () => new N.DataLoader(x24() as never), ArgumentError, [
    "DataLoader: expected a dataset",
    "a Tensor of shape [2,4]",
  ]);
  bad("DataLoader", "null dataset", () => new N.DataLoader(null as never), ArgumentError, [
    "DataLoader: expected a dataset",
    "null",
  ]);
}

/** Exports with nothing to validate, abstract bases covered through their subclasses, or owned elsewhere. */
const EXEMPT: Record<string, string> = {
  StateDictError: "error class",
  SafetensorsError: "error class (safetensors.ts, another helper's file; see the audit report)",
  CheckpointError: "error class (checkpoint.ts, another helper's file; see the audit report)",
  Module: "abstract; its methods are audited through Linear above (api Module)",
  Optimizer: "abstract; audited through SGD, Adam, AdamW and RMSprop",
  LRScheduler: "abstract; audited through StepLR, CosineAnnealingLR, LinearLR and SequentialLR",
  serializeSafetensors:
    "safetensors.ts is another helper's file (its errors are SafetensorsError, not TypeError/RangeError)",
  parseSafetensors: "safetensors.ts is another helper's file; fuzzed in its own suite",
  parseSafetensorsWithMetadata: "safetensors.ts is another helper's file",
  saveSafetensors: "safetensors.ts is another helper's file",
  loadSafetensors: "safetensors.ts is another helper's file",
  serializeCheckpoint: "checkpoint.ts is another helper's file",
  parseCheckpoint: "checkpoint.ts is another helper's file",
  saveCheckpoint: "checkpoint.ts is another helper's file",
  loadCheckpoint: "checkpoint.ts is another helper's file",
  restoreCheckpoint: "checkpoint.ts is another helper's file",
};

describe("@typegrad/nn bad-input audit", () => {
  it.each(CASES.map((c) => [`${c.api}: ${c.what}`, c] as const))("%s", (_, c) => {
    const before = c.untouched ? structuredClone(c.untouched()) : undefined;
    let err: unknown;
    try {
      c.call();
    } catch (e) {
      err = e;
    }
    expect(err, "expected the call to throw").toBeDefined();
    expect(err).toBeInstanceOf(c.error);
    expect(err instanceof TypeError || err instanceof RangeError).toBe(true);
    const msg = (err as Error).message;
    for (const m of c.message) {
      if (typeof m === "string") expect(msg).toContain(m);
      else expect(msg).toMatch(m);
    }
    if (c.untouched) expect(c.untouched()).toEqual(before);
  });

  it("covers every exported function and class, and every init function (or exempts it with a reason)", () => {
    const covered = new Set(CASES.map((c) => c.api));
    const missing = Object.entries(N)
      .filter(([name, v]) => typeof v === "function" && !covered.has(name) && !(name in EXEMPT))
      .map(([name]) => name);
    expect(missing).toEqual([]);
    const initMissing = Object.keys(N.init).filter((k) => !covered.has(`init.${k}`));
    expect(initMissing).toEqual([]);
    expect(Object.keys(EXEMPT).filter((k) => !(k in N))).toEqual([]);
  });

  afterAll(() => {
    console.log(
      `[bad-input audit] @typegrad/nn: ${CASES.length} bad inputs tried over ${new Set(CASES.map((c) => c.api)).size} exports`,
    );
  });
});

export const BAD_INPUT_COUNT = CASES.length;
