/**
 * Bad-input audit of @typegrad/autograd: every public function, the Tensor class and its methods are
 * fed wrong shapes, ranks and dtypes (integer tensors asking for grad, float indices), out-of-range
 * indices, dims and class targets, bad sizes and tolerances, and the wrong kind of value (null,
 * undefined, a plain array, a number or an NDArray where a Tensor is expected). Each entry checks the
 * error class (a TypeError or RangeError subclass), that the message names the function, the offending
 * argument or value and what was expected, and — where state is involved — that the failed call left
 * values, gradients and flags untouched.
 */
import * as nd from "@typegrad/tensor";
import { ArgumentError, DTypeError, IndexError, ShapeError, StateError } from "@typegrad/tensor";
import { afterAll, describe, expect, it } from "vitest";
import * as ANS from "../src/index.js";
import { defineOp, noGrad, type Tensor, tensor } from "../src/index.js";

/** The package's exports as a plain object (looked up by name below). */
const A = { ...ANS };

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
  ["a string", "x", 'got the string "x"'],
  ["an NDArray", nd.zeros([2]), "got an NDArray of shape [2] (float32)"],
];
/** Wrong kinds where a Tensor or a number is accepted (an NDArray counts as a constant there). */
const NOT_OPERANDS = NOT_TENSORS.filter(([what]) => what !== "an NDArray");

const leaf = (values: number[] = [1, 2]) => tensor(values, { requiresGrad: true });
const m23 = () =>
  tensor([
    [1, 2, 3],
    [4, 5, 6],
  ]);
const i32 = (values: number[], shape = [values.length]) => nd.array(values, { dtype: "int32", shape });
/** What a tensor looks like from outside: values, requiresGrad, grad values. */
const snap =
  (...ts: Tensor[]) =>
  () =>
    ts.map((t) => ({ v: t.toArray(), rg: t.requiresGrad, g: t.grad ? t.grad.toArray() : null, ver: t.version }));

// ---------------------------------------------------------------- creation
bad("tensor", "null values", () => tensor(null as never), ArgumentError, [
  "tensor:",
  "element at [] is null",
  "expected a number or boolean",
]);
bad("tensor", "ragged values", () => tensor([[1, 2], [3]]), ShapeError, ["tensor:", "ragged", "expected 2 elements"]);
bad("tensor", "int32 asking for grad", () => tensor([1, 2], { dtype: "int32", requiresGrad: true }), DTypeError, [
  "tensor:",
  "only floating point tensors can require gradients",
  "int32",
  "[2]",
]);
bad("tensor", "bool asking for grad", () => tensor([true, false], { requiresGrad: true }), DTypeError, [
  "tensor:",
  "bool",
]);
bad("tensor", "a Tensor as values", () => tensor(leaf() as never), ArgumentError, [
  "tensor:",
  "already a Tensor of shape [2]",
  "detach()",
]);
bad("tensor", "unknown dtype", () => tensor([1], { dtype: "float16" as never }), DTypeError, [
  "tensor:",
  '"float16"',
  "expected one of",
]);
bad("tensor", "NDArray with an unknown dtype", () => tensor(nd.zeros([2]), { dtype: "half" as never }), DTypeError, [
  "tensor:",
  '"half"',
]);
bad("tensor", "null options", () => tensor([1], null as never), ArgumentError, [
  "tensor:",
  "options must be an object",
  "got null",
]);
bad("tensor", "non-boolean requiresGrad", () => tensor([1], { requiresGrad: "yes" as never }), ArgumentError, [
  "tensor:",
  "requiresGrad must be a boolean",
  'the string "yes"',
]);
for (const op of ["zeros", "ones", "rand", "randn"] as const) {
  const fn = A[op] as (...args: unknown[]) => Tensor;
  bad(op, "negative size", () => fn(2, -1), ArgumentError, [`${op}:`, "[2,-1]", "non-negative integers"]);
  bad(op, "fractional size", () => fn([2.5]), ArgumentError, [`${op}:`, "[2.5]"]);
  bad(op, "a string size", () => fn("3"), ArgumentError, [`${op}:`, '"3"']);
  bad(op, "int32 asking for grad", () => fn(2, { dtype: "int32", requiresGrad: true }), DTypeError, [
    `${op}:`,
    "int32",
    "require gradients",
  ]);
  bad(op, "unknown dtype", () => fn(2, { dtype: "float16" }), DTypeError, [`${op}:`, '"float16"']);
}
bad("randn", "rng is not an Rng", () => A.randn(2, { rng: 5 as never }), ArgumentError, [
  "randn:",
  "rng must be an Rng",
  "the number 5",
]);
bad("full", "a string fill value", () => A.full([2], "1" as never), ArgumentError, [
  "full:",
  "fill value",
  'the string "1"',
]);
bad("full", "negative size", () => A.full([-1], 0), ArgumentError, ["full:", "[-1]"]);
bad("full", "int32 asking for grad", () => A.full([2], 1, { dtype: "int32", requiresGrad: true }), DTypeError, [
  "full:",
  "int32",
]);
for (const op of ["zerosLike", "onesLike"] as const) {
  for (const [what, v, shown] of NOT_TENSORS) {
    bad(op, what, () => A[op](v as never), ArgumentError, [`${op}:`, "expected a Tensor", shown]);
  }
  bad(op, "int32 asking for grad", () => A[op](leaf(), { dtype: "int32", requiresGrad: true }), DTypeError, [
    `${op}:`,
    "int32",
  ]);
}
bad("arange", "zero step", () => A.arange(0, 5, 0), ArgumentError, ["arange:", "non-zero step"]);
bad("arange", "int32 asking for grad", () => A.arange(0, 3, 1, { dtype: "int32", requiresGrad: true }), DTypeError, [
  "arange:",
  "int32",
]);
bad("linspace", "negative n", () => A.linspace(0, 1, -1), ArgumentError, ["linspace:", "-1"]);
bad("linspace", "NaN stop", () => A.linspace(0, Number.NaN, 3), ArgumentError, ["linspace:", "stop NaN"]);
bad("eye", "negative n", () => A.eye(-2), ArgumentError, ["eye:", "the number -2"]);
bad("eye", "bool asking for grad", () => A.eye(2, 2, { dtype: "bool", requiresGrad: true }), DTypeError, [
  "eye:",
  "bool",
]);
bad("randint", "asking for grad", () => A.randint(0, 5, [2], { requiresGrad: true }), DTypeError, [
  "randint:",
  "int32",
  "require gradients",
]);
bad("randint", "low >= high", () => A.randint(3, 1, [2]), ArgumentError, ["randint:", "low=3, high=1"]);
bad("manualSeed", "NaN seed", () => A.manualSeed(Number.NaN), ArgumentError, ["manualSeed:", "NaN"]);
bad("Rng", "infinite seed", () => new A.Rng(Number.NEGATIVE_INFINITY), ArgumentError, ["Rng:", "-Infinity"]);

// ---------------------------------------------------------------- the Tensor class
bad("Tensor", "a plain array", () => new A.Tensor([1, 2] as never), ArgumentError, [
  "Tensor:",
  "expected an NDArray, got an array of length 2",
  "use tensor(values)",
]);
bad("Tensor", "null", () => new A.Tensor(null as never), ArgumentError, ["Tensor:", "got null"]);
bad("Tensor", "a Tensor", () => new A.Tensor(leaf() as never), ArgumentError, ["Tensor:", "got a Tensor of shape [2]"]);
bad("Tensor", "int32 data asking for grad", () => new A.Tensor(i32([1]), { requiresGrad: true }), DTypeError, [
  "requiresGrad:",
  "only floating point tensors",
  "int32 of shape [1]",
]);
{
  const t = tensor([1, 2], { dtype: "int32" });
  bad(
    "Tensor.requiresGrad",
    "set on an int32 tensor",
    () => {
      t.requiresGrad = true;
    },
    DTypeError,
    ["requiresGrad:", "only floating point", "int32 of shape [2]"],
    snap(t),
  );
  bad(
    "Tensor.requiresGrad",
    "set to a string",
    () => {
      (t as { requiresGrad: unknown }).requiresGrad = "yes";
    },
    ArgumentError,
    ["requiresGrad:", "expected a boolean", 'the string "yes"'],
    snap(t),
  );
  bad("Tensor.requiresGrad_", "on a bool tensor", () => tensor([true]).requiresGrad_(), DTypeError, [
    "requiresGrad:",
    "bool",
  ]);
  const y = leaf().mul(2);
  bad(
    "Tensor.requiresGrad",
    "turned off on a non-leaf",
    () => {
      y.requiresGrad = false;
    },
    ArgumentError,
    ["requiresGrad:", "non-leaf", "detach()"],
    () => y.requiresGrad,
  );
}
{
  const w = leaf();
  bad(
    "Tensor.setData",
    "a plain array",
    () => w.setData([3, 4] as never),
    ArgumentError,
    ["setData:", "expected an NDArray", "an array of length 2"],
    snap(w),
  );
  bad(
    "Tensor.setData",
    "int32 data for a tensor that requires grad",
    () => w.setData(i32([3, 4])),
    DTypeError,
    ["setData:", "requires grad", "int32"],
    snap(w),
  );
  bad("Tensor.retainGrad", "on a tensor without grad", () => tensor([1]).retainGrad(), ArgumentError, [
    "retainGrad:",
    "does not require grad",
  ]);
  bad(
    "Tensor.registerHook",
    "a number as hook",
    () => w.registerHook(42 as never),
    ArgumentError,
    ["registerHook:", "expected a function", "the number 42"],
    () => w.hooks.length,
  );
  bad(
    "Tensor.registerHook",
    "on a tensor without grad",
    () => tensor([1]).registerHook(() => undefined),
    ArgumentError,
    ["registerHook:", "does not require grad"],
  );
}
{
  // backward: bad seeds leave every gradient as it was.
  const x = leaf([1, 2]);
  x.mul(x).sum().backward();
  const y = x.mul(3);
  bad(
    "Tensor.backward",
    "gradient of the wrong shape",
    () => y.backward(tensor([1, 1, 1])),
    ShapeError,
    ["backward:", "gradient shape [3] does not match output shape [2]"],
    snap(x),
  );
  bad(
    "Tensor.backward",
    "non-scalar output without a gradient",
    () => y.backward(),
    ShapeError,
    ["backward:", "only for scalar outputs", "[2]"],
    snap(x),
  );
  bad(
    "Tensor.backward",
    "a plain-array gradient",
    () => y.backward([1, 1] as never),
    ArgumentError,
    ["backward:", "gradient must be a Tensor"],
    snap(x),
  );
  bad("Tensor.backward", "output that does not require grad", () => tensor([1]).sum().backward(), ArgumentError, [
    "backward:",
    "does not require grad",
    "requiresGrad: true",
  ]);
  const z = x.mul(x).sum();
  z.backward();
  bad(
    "Tensor.backward",
    "twice through a freed graph",
    () => z.backward(),
    StateError,
    ["backward:", "second time", "retainGraph"],
    snap(x),
  );
  const s = leaf([1, 2]);
  const saved = s.mul(1);
  const out = saved.mul(saved).sum();
  noGrad(() => saved.add_(1));
  bad(
    "Tensor.backward",
    "a saved tensor modified in place",
    () => out.backward(),
    StateError,
    ["backward:", "saved by mul", "modified in place"],
    snap(s),
  );
  bad("backward", "a plain array as root", () => A.backward([1] as never, undefined), ArgumentError, [
    "backward:",
    "expected a Tensor",
  ]);
  bad("backward", "gradient of the wrong shape", () => A.backward(leaf().mul(2), tensor([1])), ShapeError, [
    "backward:",
    "[1]",
    "[2]",
  ]);
}

// ---------------------------------------------------------------- Tensor arithmetic
const BINARY = ["add", "sub", "mul", "div", "pow", "maximum", "minimum", "eq", "ne", "lt", "le", "gt", "ge"] as const;
for (const op of BINARY) {
  bad(`Tensor.${op}`, "shapes that do not broadcast", () => m23()[op](tensor([1, 2, 3, 4])), ShapeError, [
    `${op}:`,
    "shapes [2,3] and [4] cannot be broadcast",
  ]);
  for (const [what, v, shown] of NOT_OPERANDS) {
    bad(`Tensor.${op}`, `other is ${what}`, () => leaf()[op](v as never), ArgumentError, [
      `${op}:`,
      "other must be a Tensor or a number",
      shown,
    ]);
  }
}
bad("Tensor.add", "a plain array gets a hint", () => leaf().add([1, 2] as never), ArgumentError, [
  "add:",
  "wrap it with tensor()",
]);
bad("Tensor.matmul", "inner dims differ", () => m23().matmul(m23()), ShapeError, [
  "matmul: shapes [2,3] and [2,3] are not aligned (3 != 2)",
]);
bad("Tensor.matmul", "a number", () => m23().matmul(2 as never), ArgumentError, [
  "matmul:",
  "other must be a Tensor",
  "the number 2",
  "use mul",
]);
for (const [what, v, shown] of NOT_TENSORS) {
  bad("Tensor.matmul", `other is ${what}`, () => m23().matmul(v as never), ArgumentError, [
    "matmul:",
    "other must be a Tensor",
    shown,
  ]);
}
bad("Tensor.matmul", "a 0-d operand", () => m23().matmul(tensor(2)), ShapeError, ["matmul:", "at least 1 dim"]);
bad("Tensor.clamp", "no bounds", () => leaf().clamp(), ArgumentError, ["clamp:", "at least one of min or max"]);
bad("Tensor.clamp", "a string bound", () => leaf().clamp("0" as never), ArgumentError, [
  "clamp:",
  "min must be a number",
  'the string "0"',
]);
bad("Tensor.softplus", "beta 0", () => leaf().softplus(0), ArgumentError, ["softplus:", "beta", "the number 0"]);
bad("Tensor.softplus", "NaN threshold", () => leaf().softplus(1, Number.NaN), ArgumentError, [
  "softplus:",
  "threshold",
  "NaN",
]);
bad("Tensor.gelu", "unknown approximation", () => leaf().gelu("fast" as never), ArgumentError, [
  "gelu:",
  'approximate must be "none" or "tanh"',
  'the string "fast"',
]);
bad("Tensor.gelu", "unknown approximation with grad off", () => tensor([1]).gelu("erf" as never), ArgumentError, [
  "gelu:",
  '"erf"',
]);

// ---------------------------------------------------------------- reductions
for (const op of ["sum", "mean", "max", "min", "logsumexp"] as const) {
  bad(`Tensor.${op}`, "dim out of range", () => m23()[op](2), IndexError, [
    `${op}:`,
    "dim 2 is out of range",
    "expected -2..1",
  ]);
  bad(`Tensor.${op}`, "repeated dim", () => m23()[op]([0, -2]), IndexError, [`${op}:`, "dim 0 appears more than once"]);
  bad(`Tensor.${op}`, "a string dim", () => m23()[op]("1" as never), IndexError, [`${op}:`, 'the string "1"']);
  bad(`Tensor.${op}`, "fractional dim", () => m23()[op](0.5), IndexError, [`${op}:`, "the number 0.5"]);
}
bad("Tensor.var", "dim out of range", () => m23().var(3), IndexError, ["var:", "dim 3"]);
bad("Tensor.var", "negative correction", () => leaf().var(0, { correction: -1 }), ArgumentError, [
  "var:",
  "correction must be a finite number >= 0",
  "-1",
]);
bad("Tensor.var", "NaN correction", () => leaf().var(0, { correction: Number.NaN }), ArgumentError, [
  "var:",
  "correction",
  "NaN",
]);
bad("Tensor.var", "non-boolean unbiased", () => leaf().var(0, { unbiased: 1 as never }), ArgumentError, [
  "var:",
  "unbiased must be a boolean",
  "the number 1",
]);
bad("Tensor.var", "null options", () => leaf().var(0, null as never), ArgumentError, [
  "var:",
  "options must be an object",
  "got null",
]);
for (const op of ["argmax", "argmin"] as const) {
  bad(`Tensor.${op}`, "dim out of range", () => m23()[op](2), IndexError, [`${op}:`, "dim 2"]);
  bad(`Tensor.${op}`, "a list of dims", () => m23()[op]([0] as never), ArgumentError, [`${op}:`, "single number"]);
  bad(`Tensor.${op}`, "an empty dim", () => tensor([[]]).reshape(1, 0)[op](1), ShapeError, [`${op}:`, "empty dim"]);
}
bad("Tensor.max", "an empty dim", () => A.zeros(2, 0).max(1), ShapeError, [
  "max:",
  "cannot reduce an empty dim",
  "[2,0]",
]);
for (const op of ["softmax", "logSoftmax"] as const) {
  bad(`Tensor.${op}`, "dim out of range", () => m23()[op](2), IndexError, [`${op}:`, "dim 2 is out of range"]);
  bad(`Tensor.${op}`, "fractional dim", () => m23()[op](-0.5), IndexError, [`${op}:`, "the number -0.5"]);
}

// ---------------------------------------------------------------- shapes and views
bad("Tensor.reshape", "wrong element count", () => m23().reshape(4), ShapeError, [
  "reshape:",
  "[2,3] (6 elements) into [4]",
]);
bad("Tensor.reshape", "negative size", () => m23().reshape(-3, -2), ArgumentError, ["reshape:", "invalid size -3"]);
bad("Tensor.view", "incompatible strides", () => m23().T.view(6), ShapeError, ["view:", "use reshape()"]);
bad("Tensor.transpose", "dim out of range", () => m23().transpose(0, 2), IndexError, ["transpose:", "dim 2"]);
bad("Tensor.permute", "too few dims", () => m23().permute(0), ShapeError, ["permute:", "got 1 dims", "expected 2"]);
bad("Tensor.permute", "repeated dim", () => m23().permute(1, 1), IndexError, ["permute:", "dim 1 repeats"]);
bad("Tensor.expand", "a non-1 dim", () => m23().expand(3, 3), ShapeError, ["expand:", "[2,3] to [3,3]"]);
bad("Tensor.expand", "fractional size", () => tensor([[1, 2, 3]]).expand(2.5, 3), ArgumentError, [
  "expand:",
  "invalid size 2.5",
]);
bad("Tensor.squeeze", "dim out of range", () => m23().squeeze(2), IndexError, ["squeeze:", "dim 2"]);
bad("Tensor.unsqueeze", "dim out of range", () => m23().unsqueeze(-4), IndexError, ["unsqueeze:", "dim -4"]);
bad("Tensor.flatten", "start after end", () => m23().flatten(1, 0), IndexError, [
  "flatten:",
  "startDim 1 comes after endDim 0",
]);
bad("Tensor.narrow", "past the end", () => m23().narrow(1, 2, 2), IndexError, [
  "narrow:",
  "start 2 and length 2",
  "size 3",
]);
bad("Tensor.narrow", "negative length", () => m23().narrow(0, 0, -1), IndexError, ["narrow:", "length -1"]);
bad("Tensor.narrow", "dim out of range", () => m23().narrow(4, 0, 1), IndexError, ["narrow:", "dim 4"]);
bad("Tensor.T", "a 1-d tensor", () => leaf().T, ShapeError, ["T:", "2-d", "[2]"]);
bad("Tensor.to", "unknown dtype", () => leaf().to("float16" as never), DTypeError, [
  "to:",
  'unknown dtype the string "float16"',
  "expected one of",
]);
bad("Tensor.item", "several elements", () => m23().item(), ShapeError, ["item:", "one-element", "[2,3]"]);

// ---------------------------------------------------------------- indexing
bad("Tensor.gather", "float index", () => m23().gather(1, nd.zeros([2, 1])), DTypeError, [
  "gather:",
  "index must be int32",
  "float32 of shape [2,1]",
]);
bad("Tensor.gather", "index out of range", () => m23().gather(1, i32([0, 3], [2, 1])), IndexError, [
  "gather:",
  "index 3 is out of bounds for dim 1 with size 3",
]);
bad("Tensor.gather", "index of another rank", () => m23().gather(1, i32([0])), ShapeError, ["gather:", "as many dims"]);
bad("Tensor.gather", "a plain-array index", () => m23().gather(1, [[0], [1]] as never), ArgumentError, [
  "gather:",
  "index must be an int32 Tensor or NDArray",
  "an array of length 2",
]);
bad("Tensor.gather", "dim out of range", () => m23().gather(-3, i32([0, 0], [2, 1])), IndexError, [
  "gather:",
  "dim -3",
]);
bad("Tensor.indexSelect", "index out of range", () => m23().indexSelect(0, i32([0, 2])), IndexError, [
  "indexSelect:",
  "index 2 is out of bounds for dim 0 with size 2",
]);
bad("Tensor.indexSelect", "float index tensor", () => m23().indexSelect(0, tensor([0])), DTypeError, [
  "indexSelect:",
  "int32",
  "float32",
]);
bad("Tensor.indexSelect", "2-d index", () => m23().indexSelect(0, i32([0, 1], [1, 2])), ShapeError, [
  "indexSelect:",
  "0-d or 1-d",
]);
bad("Tensor.indexSelect", "null index", () => m23().indexSelect(0, null as never), ArgumentError, [
  "indexSelect:",
  "index",
  "got null",
]);
bad("Tensor.maskedFill", "float mask", () => leaf().maskedFill(nd.zeros([2]), 0), DTypeError, [
  "maskedFill:",
  "mask must be bool",
  "float32 of shape [2]",
]);
bad("Tensor.maskedFill", "mask that does not broadcast", () => leaf().maskedFill(nd.full([3], true), 0), ShapeError, [
  "maskedFill:",
  "mask [3] must broadcast to the input's shape [2]",
]);
bad(
  "Tensor.maskedFill",
  "mask that would grow the input",
  () => leaf().maskedFill(nd.full([2, 2], true), 0),
  ShapeError,
  ["maskedFill:", "[2,2]"],
);
bad("Tensor.maskedFill", "a string value", () => leaf().maskedFill(nd.full([2], true), "0" as never), ArgumentError, [
  "maskedFill:",
  "value must be a number",
  'the string "0"',
]);
bad("Tensor.maskedFill", "a plain-array mask", () => leaf().maskedFill([true, false] as never, 0), ArgumentError, [
  "maskedFill:",
  "mask must be a bool Tensor or NDArray",
  "an array of length 2",
]);
bad("Tensor.where", "float condition", () => leaf().where(nd.zeros([2]), 0), DTypeError, [
  "where:",
  "bool",
  "float32 of shape [2]",
]);
bad("Tensor.where", "a string other", () => leaf().where(nd.full([2], true), "0" as never), ArgumentError, [
  "where:",
  "other",
  'the string "0"',
]);

// ---------------------------------------------------------------- in place
{
  const t = tensor([1, 2]);
  bad(
    "Tensor.copy_",
    "source of the wrong shape",
    () => t.copy_(tensor([1, 2, 3])),
    ShapeError,
    ["copy_:", "operand of shape [3] does not broadcast to this tensor's shape [2]"],
    snap(t),
  );
  bad(
    "Tensor.copy_",
    "a string source",
    () => t.copy_("1" as never),
    ArgumentError,
    ["copy_:", 'the string "1"'],
    snap(t),
  );
  bad("Tensor.copy_", "null source", () => t.copy_(null as never), ArgumentError, ["copy_:", "got null"], snap(t));
  bad(
    "Tensor.fill_",
    "a string value",
    () => t.fill_("7" as never),
    ArgumentError,
    ["fill_:", 'the string "7"'],
    snap(t),
  );
  bad(
    "Tensor.add_",
    "operand that would grow the tensor",
    () =>
      t.add_(
        tensor([
          [1, 2],
          [3, 4],
        ]),
      ),
    ShapeError,
    ["add_:", "[2,2]", "[2]"],
    snap(t),
  );
  bad(
    "Tensor.add_",
    "a string alpha",
    () => t.add_(1, "2" as never),
    ArgumentError,
    ["add_:", "alpha must be a number"],
    snap(t),
  );
  bad(
    "Tensor.mul_",
    "a plain-array operand",
    () => t.mul_([2, 2] as never),
    ArgumentError,
    ["mul_:", "an array of length 2"],
    snap(t),
  );
  const w = leaf();
  bad(
    "Tensor.copy_",
    "on a tensor that requires grad, outside noGrad",
    () => w.copy_(tensor([5, 6])),
    ArgumentError,
    ["copy_:", "only allowed inside noGrad()"],
    snap(w),
  );
  bad(
    "Tensor.zero_",
    "on a tensor that requires grad, outside noGrad",
    () => w.zero_(),
    ArgumentError,
    ["fill_:", "noGrad()"],
    snap(w),
  );
}

// ---------------------------------------------------------------- free functions
bad("cat", "an empty list", () => A.cat([]), ArgumentError, [
  "cat:",
  "non-empty array of Tensors",
  "an array of length 0",
]);
bad("cat", "not a list", () => A.cat(leaf() as never), ArgumentError, ["cat:", "a Tensor of shape [2]"]);
bad("cat", "a number element", () => A.cat([leaf(), 1 as never]), ArgumentError, [
  "cat:",
  "tensors[1] must be a Tensor",
  "the number 1",
]);
bad("cat", "an NDArray element", () => A.cat([leaf(), nd.zeros([2]) as never]), ArgumentError, [
  "cat:",
  "tensors[1]",
  "an NDArray",
]);
bad("cat", "shapes differ outside dim", () => A.cat([m23(), tensor([[1, 2]])], 0), ShapeError, [
  "cat:",
  "differ outside dim 0",
]);
bad("cat", "dim out of range", () => A.cat([leaf()], 1), IndexError, ["cat:", "dim 1"]);
bad("stack", "an empty list", () => A.stack([]), ArgumentError, ["stack:", "non-empty"]);
bad("stack", "shapes differ", () => A.stack([leaf(), leaf([1, 2, 3])]), ShapeError, [
  "stack:",
  "same shape",
  "[2], [3]",
]);
bad("stack", "dim out of range", () => A.stack([leaf(), leaf()], 3), IndexError, ["stack:", "dim 3"]);
bad("stack", "a null element", () => A.stack([leaf(), null as never]), ArgumentError, [
  "stack:",
  "tensors[1] must be a Tensor",
  "got null",
]);
bad("where", "float condition", () => A.where(nd.zeros([2]), 1, 0), DTypeError, ["where:", "bool", "float32"]);
bad("where", "null condition", () => A.where(null as never, 1, 0), ArgumentError, ["where:", "condition", "got null"]);
bad("where", "branches that do not broadcast", () => A.where(nd.full([2], true), leaf([1, 2, 3]), 0), ShapeError, [
  "where:",
  "cannot be broadcast",
]);
for (const [what, v, shown] of NOT_OPERANDS) {
  bad("where", `first branch is ${what}`, () => A.where(nd.full([2], true), v as never, 0), ArgumentError, [
    "where:",
    "input must be a Tensor or a number",
    shown,
  ]);
}
for (const [what, v, shown] of NOT_TENSORS) {
  bad("maskedFill", `input is ${what}`, () => A.maskedFill(v as never, nd.full([2], true), 0), ArgumentError, [
    "maskedFill:",
    "input must be a Tensor",
    shown,
  ]);
  bad("scatterAdd", `input is ${what}`, () => A.scatterAdd(v as never, 0, i32([0]), leaf()), ArgumentError, [
    "scatterAdd:",
    "input must be a Tensor",
    shown,
  ]);
  bad("scatterAdd", `src is ${what}`, () => A.scatterAdd(leaf(), 0, i32([0]), v as never), ArgumentError, [
    "scatterAdd:",
    "src must be a Tensor",
    shown,
  ]);
  bad("indexAdd", `src is ${what}`, () => A.indexAdd(leaf(), 0, i32([0]), v as never), ArgumentError, [
    "indexAdd:",
    "src must be a Tensor",
    shown,
  ]);
  bad("sumToShape", `input is ${what}`, () => A.sumToShape(v as never, [1]), ArgumentError, [
    "sumToShape:",
    "input must be a Tensor",
    shown,
  ]);
  bad("layerNorm", `input is ${what}`, () => A.layerNorm(v as never, 1, null, null, 1e-5), ArgumentError, [
    "layerNorm:",
    "input must be a Tensor",
    shown,
  ]);
  bad("linear", `x is ${what}`, () => A.linear(v as never, m23(), null), ArgumentError, [
    "linear:",
    "x must be a Tensor",
    shown,
  ]);
  bad(
    "softmaxCrossEntropy",
    `logits are ${what}`,
    () => A.softmaxCrossEntropy(v as never, { target: i32([0]), valid: i32([1]) }),
    ArgumentError,
    ["softmaxCrossEntropy:", "logits must be a Tensor", shown],
  );
  bad("toDot", what, () => A.toDot(v as never), ArgumentError, ["toDot:", "expected an output Tensor", shown]);
  bad("toMermaid", what, () => A.toMermaid(v as never), ArgumentError, [
    "toMermaid:",
    "expected an output Tensor",
    shown,
  ]);
}
bad("scatterAdd", "index out of range", () => A.scatterAdd(leaf(), 0, i32([2]), leaf([1])), IndexError, [
  "scatterAdd:",
  "index 2 is out of bounds for dim 0 with size 2",
]);
bad("scatterAdd", "float index", () => A.scatterAdd(leaf(), 0, nd.zeros([1]), leaf([1])), DTypeError, [
  "scatterAdd:",
  "index must be int32",
]);
bad("scatterAdd", "src smaller than the index", () => A.scatterAdd(leaf(), 0, i32([0, 1]), leaf([1])), ShapeError, [
  "scatterAdd:",
  "too large for src [1]",
]);
bad("indexAdd", "src of the wrong shape", () => A.indexAdd(m23(), 0, i32([0]), leaf([1, 2])), ShapeError, [
  "indexAdd:",
  "src [2] must have shape [1,3]",
]);
bad("indexAdd", "index out of range", () => A.indexAdd(m23(), 0, i32([-3]), tensor([[1, 2, 3]])), IndexError, [
  "indexAdd:",
  "index -3",
]);
bad("sumToShape", "a shape it does not broadcast from", () => A.sumToShape(m23(), [2]), ShapeError, [
  "sumToShape:",
  "[2,3] does not broadcast from [2]",
]);
bad("sumToShape", "null shape", () => A.sumToShape(m23(), null as never), ArgumentError, ["sumToShape:", "got null"]);
bad("layerNorm", "k larger than the rank", () => A.layerNorm(m23(), 3, null, null, 1e-5), ArgumentError, [
  "layerNorm:",
  "k (the number of normalized trailing dims) must be an integer in 1..2",
  "the number 3",
]);
bad("layerNorm", "k = 0", () => A.layerNorm(m23(), 0, null, null, 1e-5), ArgumentError, ["layerNorm:", "the number 0"]);
bad("layerNorm", "weight of the wrong shape", () => A.layerNorm(m23(), 1, leaf([1, 1]), null, 1e-5), ShapeError, [
  "layerNorm:",
  "weight of shape [2] must have the normalized shape [3]",
]);
bad("layerNorm", "an NDArray bias", () => A.layerNorm(m23(), 1, null, nd.zeros([3]) as never, 1e-5), ArgumentError, [
  "layerNorm:",
  "bias must be a Tensor",
]);
bad("layerNorm", "NaN eps", () => A.layerNorm(m23(), 1, null, null, Number.NaN), ArgumentError, [
  "layerNorm:",
  "eps must be a finite number >= 0",
  "NaN",
]);
bad("layerNorm", "infinite eps", () => A.layerNorm(m23(), 1, null, null, Number.POSITIVE_INFINITY), ArgumentError, [
  "layerNorm:",
  "Infinity",
]);
bad("linear", "in features differ", () => A.linear(m23(), tensor([[1, 2]]), null), ShapeError, [
  "linear:",
  "[2,3] and [1,2]",
]);
bad("linear", "bias of the wrong shape", () => A.linear(m23(), m23(), leaf([1, 2, 3])), ShapeError, [
  "linear:",
  "bias must have shape [2]",
  "[3]",
]);
bad("linear", "int32 input", () => A.linear(tensor([[1, 2, 3]], { dtype: "int32" }), m23(), null), DTypeError, [
  "linear:",
  "float32 or float64",
  "int32",
]);
bad("linear", "an NDArray weight", () => A.linear(m23(), nd.zeros([2, 3]) as never, null), ArgumentError, [
  "linear:",
  "weight must be a Tensor",
]);
bad("lift", "a string", () => A.lift("1" as never), ArgumentError, [
  "lift:",
  "must be a Tensor or a number",
  'the string "1"',
]);
bad("lift", "null", () => A.lift(null as never), ArgumentError, ["lift:", "got null"]);
{
  const logits = () =>
    tensor(
      [
        [1, 2, 3],
        [0, 0, 0],
      ],
      { requiresGrad: true },
    );
  const ok = { target: i32([0, 2]), valid: i32([1, 1]) };
  bad(
    "softmaxCrossEntropy",
    "class index out of range",
    () => A.softmaxCrossEntropy(logits(), { ...ok, target: i32([0, 3]) }),
    IndexError,
    ["softmaxCrossEntropy:", "target 3 in row 1 is out of range for 3 classes", "expected 0..2"],
  );
  bad(
    "softmaxCrossEntropy",
    "negative class index",
    () => A.softmaxCrossEntropy(logits(), { ...ok, target: i32([-1, 0]) }),
    IndexError,
    ["softmaxCrossEntropy:", "target -1"],
  );
  bad(
    "softmaxCrossEntropy",
    "float class targets",
    () => A.softmaxCrossEntropy(logits(), { ...ok, target: nd.zeros([2]) }),
    DTypeError,
    ["softmaxCrossEntropy:", "targets.target must be int32 class indices", "float32 of shape [2]"],
  );
  bad("causalSoftmax", "1-d scores", () => A.causalSoftmax(leaf([1, 2, 3])), ShapeError, [
    "causalSoftmax:",
    "at least 2 dims (..., L, S)",
    "[3]",
  ]);
  bad("causalSoftmax", "not a tensor", () => A.causalSoftmax([1, 2] as never), TypeError, [
    "causalSoftmax:",
    "input must be a Tensor",
  ]);
  bad("softmaxCrossEntropy", "1-d logits", () => A.softmaxCrossEntropy(leaf([1, 2, 3]), ok), ShapeError, [
    "softmaxCrossEntropy:",
    "2-d (N, C)",
    "[3]",
  ]);
  bad(
    "softmaxCrossEntropy",
    "int32 logits",
    () => A.softmaxCrossEntropy(tensor([[1, 2]], { dtype: "int32" }), { target: i32([0]), valid: i32([1]) }),
    DTypeError,
    ["softmaxCrossEntropy:", "logits must be float32 or float64"],
  );
  bad(
    "softmaxCrossEntropy",
    "valid of the wrong size",
    () => A.softmaxCrossEntropy(logits(), { ...ok, valid: i32([1]) }),
    ShapeError,
    ["softmaxCrossEntropy:", "targets.valid must have 2 entries"],
  );
  bad(
    "softmaxCrossEntropy",
    "NaN smoothing",
    () => A.softmaxCrossEntropy(logits(), { ...ok, smoothing: Number.NaN }),
    ArgumentError,
    ["softmaxCrossEntropy:", "smoothing must be a number in [0, 1]", "NaN"],
  );
  bad(
    "softmaxCrossEntropy",
    "weight of the wrong size",
    () => A.softmaxCrossEntropy(logits(), { ...ok, weight: nd.ones([2]) }),
    ShapeError,
    ["softmaxCrossEntropy:", "targets.weight must have 3 entries"],
  );
  bad("softmaxCrossEntropy", "null targets", () => A.softmaxCrossEntropy(logits(), null as never), ArgumentError, [
    "softmaxCrossEntropy:",
    "got null",
  ]);
}

// ---------------------------------------------------------------- grad mode, functional gradients, gradcheck
bad(
  "noGrad",
  "not a function",
  () => A.noGrad(42 as never),
  ArgumentError,
  ["noGrad:", "expected a function", "the number 42"],
  () => A.isGradEnabled(),
);
bad(
  "enableGrad",
  "null",
  () => A.enableGrad(null as never),
  ArgumentError,
  ["enableGrad:", "got null"],
  () => A.isGradEnabled(),
);
bad(
  "setGradEnabled",
  "a string",
  () => A.setGradEnabled("no" as never),
  ArgumentError,
  ["setGradEnabled:", "boolean", 'the string "no"'],
  () => A.isGradEnabled(),
);
const sq = (x: Tensor) => x.mul(x).sum();
bad("grad", "not a function or Tensor", () => A.grad(42 as never), ArgumentError, [
  "grad:",
  "expected a function or an output Tensor",
  "the number 42",
]);
bad("grad", "argnums out of range", () => A.grad(sq, { argnums: 3 })(leaf()), IndexError, [
  "grad:",
  "argnums entry the number 3 is out of range for 1 argument",
  "expected 0..0",
]);
bad("grad", "fractional argnums", () => A.grad(sq, { argnums: [0.5] })(leaf()), IndexError, [
  "grad:",
  "the number 0.5",
]);
bad("grad", "an NDArray argument", () => A.grad(sq)(nd.zeros([2]) as never), ArgumentError, [
  "grad:",
  "argument 0 must be a Tensor",
  "an NDArray",
]);
bad("grad", "an int32 argument", () => A.grad(sq)(tensor([1, 2], { dtype: "int32" })), DTypeError, [
  "grad:",
  "argument 0 is int32",
  "floating point",
]);
bad("grad", "f returns a non-scalar", () => A.grad((x: Tensor) => x.mul(2))(leaf()), ShapeError, [
  "grad:",
  "f must return a scalar",
  "[2]",
]);
bad("grad", "f returns a number", () => A.grad((() => 1) as never)(leaf()), ArgumentError, [
  "grad:",
  "f must return a Tensor",
  "the number 1",
]);
bad("grad", "inputs are not an array", () => A.grad(sq(leaf()), leaf() as never), ArgumentError, [
  "grad:",
  "array of input Tensors",
  "a Tensor",
]);
bad("grad", "an input is null", () => A.grad(sq(leaf()), [null as never]), ArgumentError, [
  "grad:",
  "inputs[0] must be a Tensor",
  "got null",
]);
bad("valueAndGrad", "not a function", () => A.valueAndGrad("f" as never), ArgumentError, [
  "valueAndGrad:",
  "f must be a function",
  'the string "f"',
]);
bad("valueAndGrad", "negative argnums", () => A.valueAndGrad(sq, { argnums: -1 })(leaf()), IndexError, [
  "valueAndGrad:",
  "argnums entry the number -1",
]);
bad("valueAndGrad", "string argnums", () => A.valueAndGrad(sq, { argnums: "0" as never })(leaf()), ArgumentError, [
  "valueAndGrad:",
  "argnums",
  'the string "0"',
]);
bad("valueAndGrad", "null options", () => A.valueAndGrad(sq, null as never), ArgumentError, [
  "valueAndGrad:",
  "options",
  "got null",
]);
{
  const x64 = () => tensor([1, 2], { dtype: "float64", requiresGrad: true });
  for (const op of ["gradcheck", "gradgradcheck"] as const) {
    bad(op, "fn is not a function", () => A[op](42 as never, [x64()]), ArgumentError, [
      `${op}:`,
      "fn must be a function",
      "the number 42",
    ]);
    bad(op, "inputs are not an array", () => A[op](sq, x64() as never), ArgumentError, [
      `${op}:`,
      "inputs must be an array of Tensors",
      "a Tensor",
    ]);
    bad(op, "eps 0", () => A[op](sq, [x64()], { eps: 0 }), ArgumentError, [
      `${op}:`,
      "eps must be a finite number > 0",
      "the number 0",
    ]);
    bad(op, "NaN eps", () => A[op](sq, [x64()], { eps: Number.NaN }), ArgumentError, [`${op}:`, "eps", "NaN"]);
    bad(op, "negative atol", () => A[op](sq, [x64()], { atol: -1 }), ArgumentError, [
      `${op}:`,
      "atol must be a finite number >= 0",
      "-1",
    ]);
    bad(op, "infinite rtol", () => A[op](sq, [x64()], { rtol: Number.POSITIVE_INFINITY }), ArgumentError, [
      `${op}:`,
      "rtol",
      "Infinity",
    ]);
  }
  bad("gradcheck", "float32 inputs", () => A.gradcheck(sq, [leaf()]), ArgumentError, [
    "gradcheck:",
    "input 0 is float32",
    "use float64",
  ]);
  bad(
    "gradcheck",
    "no input requires grad",
    () => A.gradcheck(sq, [tensor([1], { dtype: "float64" })]),
    ArgumentError,
    ["gradcheck:", "no input requires grad"],
  );
  bad("gradcheck", "an NDArray input", () => A.gradcheck(sq, [nd.zeros([2]) as never]), ArgumentError, [
    "gradcheck:",
    "input 0 is not a Tensor",
  ]);
  bad("gradcheck", "fn returns a number", () => A.gradcheck((() => 1) as never, [x64()]), ArgumentError, [
    "gradcheck:",
    "fn must return a Tensor",
  ]);
}

// ---------------------------------------------------------------- custom ops and anomaly mode
{
  const cube = defineOp({
    name: "cube",
    forward: (ctx, x) => {
      ctx.saveForBackward(x);
      return nd.mul(nd.mul(x, x), x);
    },
    backward: (ctx, g) => {
      const [x] = ctx.saved as [Tensor];
      return [g.mul(x.mul(x)).mul(3)];
    },
  });
  bad("defineOp", "null definition", () => defineOp(null as never), ArgumentError, [
    "defineOp:",
    "expected { name, forward",
    "got null",
  ]);
  bad(
    "defineOp",
    "no backward",
    () => defineOp({ name: "f", forward: (_c: unknown, x: nd.NDArray) => x } as never),
    ArgumentError,
    ["defineOp:", "backward(ctx, gradOut)", "an object"],
  );
  bad("defineOp", "an op called with a string", () => cube("2" as never), ArgumentError, [
    "cube:",
    "input 0 must be a Tensor or a number",
    'the string "2"',
  ]);
  bad("defineOp", "an op called with an NDArray", () => cube(nd.zeros([2]) as never), ArgumentError, [
    "cube:",
    "input 0",
    "an NDArray",
  ]);
  const noArray = defineOp({ name: "noArray", forward: () => 3 as never, backward: (_c, g) => [g] });
  bad("defineOp", "forward returns a number", () => noArray(leaf()), ArgumentError, [
    "noArray:",
    "forward must return an NDArray",
    "the number 3",
  ]);
  const twoGrads = defineOp({
    name: "twoGrads",
    forward: (_c, x: nd.NDArray) => nd.mul(x, 2),
    backward: (_c, g) => [g, g],
  });
  const x = leaf();
  bad(
    "defineOp",
    "backward returns too many gradients",
    () => twoGrads(x).sum().backward(),
    ArgumentError,
    ["twoGrads:", "backward returned 2 gradients for 1 inputs"],
    snap(x),
  );
  const wrongShape = defineOp({
    name: "wrongShape",
    forward: (_c, x: nd.NDArray) => nd.mul(x, 2),
    backward: () => [tensor([1, 2, 3])],
  });
  bad(
    "defineOp",
    "backward returns a gradient of the wrong shape",
    () => wrongShape(x).sum().backward(),
    ShapeError,
    ["backward:", "wrongShape produced a gradient of shape [3] for input 0 of shape [2]"],
    snap(x),
  );
}
bad(
  "setDetectAnomaly",
  "a string",
  () => A.setDetectAnomaly("on" as never),
  ArgumentError,
  ["setDetectAnomaly:", "boolean"],
  () => A.isAnomalyEnabled(),
);
bad(
  "detectAnomaly",
  "not a function",
  () => A.detectAnomaly(7 as never),
  ArgumentError,
  ["detectAnomaly:", "function"],
  () => A.isAnomalyEnabled(),
);

// ---------------------------------------------------------------- a real Tensor where the tensor package wants an NDArray
{
  const t = () =>
    tensor([
      [1, 2],
      [3, 4],
    ]);
  const shown = "a Tensor of shape [2,2] (float32)";
  bad("nd.add", "a Tensor operand", () => nd.add(t() as never, 1), ArgumentError, [
    "add:",
    "input must be an NDArray or a number",
    shown,
    "pass tensor.data",
  ]);
  bad("nd.mul", "a Tensor as other", () => nd.mul(nd.ones([2]), t() as never), ArgumentError, [
    "mul:",
    "other must be an NDArray",
    shown,
  ]);
  bad("nd.exp", "a Tensor input", () => nd.exp(t() as never), ArgumentError, [
    "exp:",
    "input must be an NDArray",
    shown,
  ]);
  bad("nd.sum", "a Tensor input", () => nd.sum(t() as never, 0), ArgumentError, [
    "sum:",
    "input must be an NDArray",
    shown,
  ]);
  bad("nd.matmul", "Tensor operands", () => nd.matmul(t() as never, t() as never), ArgumentError, [
    "matmul:",
    "input must be an NDArray",
    shown,
  ]);
  bad("nd.gather", "a Tensor input", () => nd.gather(t() as never, 0, i32([0, 1], [1, 2])), ArgumentError, [
    "gather:",
    "input must be an NDArray",
    shown,
  ]);
  bad(
    "nd.gather",
    "a Tensor index",
    () => nd.gather(nd.ones([2, 2]), 0, tensor([[0, 1]], { dtype: "int32" }) as never),
    ArgumentError,
    ["gather:", "index must be an int32 NDArray", "a Tensor of shape [1,2] (int32)"],
  );
  bad("nd.cat", "a Tensor element", () => nd.cat([nd.ones([2, 2]), t() as never]), ArgumentError, [
    "cat:",
    "arrays[1] must be an NDArray",
    shown,
  ]);
  bad("nd.zerosLike", "a Tensor", () => nd.zerosLike(t() as never), ArgumentError, [
    "zerosLike:",
    "expected an NDArray",
    shown,
  ]);
  bad("nd.where", "a Tensor condition", () => nd.where(tensor([true, false]) as never, 1, 0), ArgumentError, [
    "where:",
    "cond must be an NDArray",
    "a Tensor of shape [2] (bool)",
  ]);
  bad("nd.layerNorm", "a Tensor input", () => nd.layerNorm(t() as never, 2, null, null, 1e-5), ArgumentError, [
    "layerNorm:",
    "input must be an NDArray",
    shown,
  ]);
  bad("nd.assign", "a Tensor destination", () => nd.assign(t() as never, 0), ArgumentError, [
    "assign:",
    "destination must be an NDArray",
    shown,
  ]);
  bad("nd.formatNDArray", "a Tensor", () => nd.formatNDArray(t() as never), ArgumentError, ["formatNDArray:", shown]);
  bad("nd.NDArray", "a Tensor as data", () => new nd.NDArray(t() as never, [2, 2]), ArgumentError, [
    "NDArray:",
    "data must be a Float32Array",
    shown,
  ]);
}

/** Exports with nothing to validate (or owned elsewhere), each with the reason. */
const EXEMPT: Record<string, string> = {
  GradcheckError: "error class (a gradient mismatch report, not a bad input)",
  AnomalyError: "error class",
  isGradEnabled: "takes no arguments",
  isAnomalyEnabled: "takes no arguments",
  Node: "engine internal for op authors (node.ts); see the audit report for its missing checks",
  record: "engine internal for op authors (node.ts); a non-NDArray output is rejected by the Tensor constructor",
  topoOrder: "engine internal (engine.ts); see the audit report for its missing checks",
};

/** Tensor members that take no arguments, or are internal, with the reason. */
const EXEMPT_METHODS: Record<string, string> = {
  constructor: "covered as Tensor",
  data: "getter",
  shape: "getter",
  dtype: "getter",
  ndim: "getter",
  size: "getter",
  gradFn: "getter",
  isLeaf: "getter",
  version: "getter",
  retainsGrad: "getter",
  hooks: "getter",
  shareVersion: "internal: links views to their base's version counter",
  bumpVersion: "internal: takes no arguments",
  inPlace: "private",
  detach: "no arguments",
  toArray: "no arguments",
  toString: "no arguments",
  contiguous: "no arguments",
  clone: "no arguments",
  float: "no arguments",
  double: "no arguments",
  square: "no arguments",
  neg: "no arguments; any dtype is valid (bool becomes int32 like torch)",
  exp: "no arguments; integer input promotes to float32 like torch",
  log: "no arguments",
  log1p: "no arguments",
  sqrt: "no arguments",
  rsqrt: "no arguments",
  abs: "no arguments",
  sign: "no arguments",
  sin: "no arguments",
  cos: "no arguments",
  tanh: "no arguments",
  sigmoid: "no arguments",
  relu: "no arguments",
  silu: "no arguments",
};

describe("@typegrad/autograd bad-input audit", () => {
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

  it("grad mode and anomaly mode are back to their defaults after the table", () => {
    expect(A.isGradEnabled()).toBe(true);
    expect(A.isAnomalyEnabled()).toBe(false);
  });

  it("covers every exported function and class, and every Tensor method (or exempts it with a reason)", () => {
    const covered = new Set(CASES.map((c) => c.api));
    const missing = Object.entries(A)
      .filter(([name, v]) => typeof v === "function" && !covered.has(name) && !(name in EXEMPT))
      .map(([name]) => name);
    expect(missing).toEqual([]);
    const methods = Object.getOwnPropertyNames(A.Tensor.prototype).filter(
      (m) => !covered.has(`Tensor.${m}`) && !(m in EXEMPT_METHODS),
    );
    expect(methods).toEqual([]);
    expect(Object.keys(EXEMPT).filter((k) => !(k in A))).toEqual([]);
  });

  afterAll(() => {
    console.log(
      `[bad-input audit] @typegrad/autograd: ${CASES.length} bad inputs tried over ${new Set(CASES.map((c) => c.api)).size} exports and Tensor methods`,
    );
  });
});

export const BAD_INPUT_COUNT = CASES.length;
