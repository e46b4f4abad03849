/**
 * Bad-input audit of @typegrad/tensor: every public function and class is fed wrong shapes, ranks,
 * dtypes, out-of-range indices and dims, bad sizes, NaN/Infinity options, empty inputs and the wrong
 * kind of value (null, undefined, a plain array, a number, a Tensor where an NDArray is expected).
 * Each entry checks the error class (a TypeError or RangeError subclass) and that the message names the
 * function, the offending argument or value, and what was expected. A coverage test proves every
 * exported function is either exercised here or exempt with a reason.
 */
import { afterAll, describe, expect, it } from "vitest";
import * as TNS from "../src/index.js";
import {
  ArgumentError,
  array,
  DTypeError,
  IndexError,
  NDArray,
  Rng,
  ShapeError,
  type StateError,
  zeros,
} from "../src/index.js";

/** The package's exports as a plain object (looked up by name below). */
const T = { ...TNS };

type ErrorClass = typeof ShapeError | typeof IndexError | typeof DTypeError | typeof ArgumentError | typeof StateError;

/** One bad input: which export it exercises, what is wrong, the call, and the error it must raise. */
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

/** A stand-in for an autograd Tensor (the tensor package cannot import autograd): the classic mix-up. */
class Tensor {
  readonly data = zeros([2, 3]);
  get shape(): readonly number[] {
    return this.data.shape;
  }
  get dtype(): string {
    return this.data.dtype;
  }
  get ndim(): number {
    return this.data.ndim;
  }
  get size(): number {
    return this.data.size;
  }
}

/** Values of the wrong kind where an NDArray is expected, with how the message describes them. */
const NOT_ARRAYS: [string, unknown, string][] = [
  ["null", null, "got null"],
  ["undefined", undefined, "got undefined"],
  ["a plain array", [1, 2, 3], "got an array of length 3"],
  ["a string", "x", 'got the string "x"'],
  ["a Tensor", new Tensor(), "got a Tensor of shape [2,3] (float32)"],
];
/** The same plus a bare number, for functions that take only arrays. */
const NOT_ARRAYS_OR_NUMBERS: [string, unknown, string][] = [...NOT_ARRAYS, ["a number", 3, "got the number 3"]];

const f32 = (shape: number[]) => zeros(shape);
const i32 = (values: number[], shape = [values.length]) => array(values, { dtype: "int32", shape });
const x23 = () => T.arange(6).reshape(2, 3);

// ---------------------------------------------------------------- creation
bad("array", "an element is null", () => array([1, null as never]), ArgumentError, [
  "array:",
  "element at [1] is null",
  "expected a number or boolean",
]);
bad("array", "ragged nesting", () => array([[1, 2], [3]]), ShapeError, ["array:", "ragged", "expected 2 elements"]);
bad("array", "a Tensor instead of values", () => array(new Tensor() as never), ArgumentError, [
  "array:",
  "a Tensor of shape [2,3]",
  "expected a number or boolean",
]);
bad("array", "unknown dtype", () => array([1, 2], { dtype: "float16" as never }), DTypeError, [
  "array:",
  '"float16"',
  "expected one of",
]);
bad(
  "array",
  "shape disagrees with a typed array's length",
  () => array(new Float32Array(5), { shape: [2, 3] }),
  ShapeError,
  ["array:", "[2,3] needs 6 elements, got 5"],
);
bad("array", "negative size in shape", () => array([1, 2], { shape: [-2] }), ArgumentError, [
  "array:",
  "[-2]",
  "non-negative integers",
]);
bad("array", "an element is a string", () => array(["a" as never]), ArgumentError, [
  "array:",
  'the string "a"',
  "expected a number or boolean",
]);

for (const op of ["zeros", "ones"] as const) {
  for (const [what, shape, shown] of [
    ["a negative size", [-1], "[-1]"],
    ["a fractional size", [2.5], "[2.5]"],
    ["a NaN size", [Number.NaN], "[null]"],
    ["an infinite size", [Number.POSITIVE_INFINITY], "[null]"],
  ] as const) {
    bad(op, what, () => T[op](shape as never), ArgumentError, [`${op}:`, shown, "non-negative integers"]);
  }
  bad(op, "a number instead of a shape array", () => T[op](3 as never), ArgumentError, [
    `${op}:`,
    "shape must be an array",
    "the number 3",
  ]);
  bad(op, "null shape", () => T[op](null as never), ArgumentError, [`${op}:`, "got null"]);
  bad(op, "unknown dtype", () => T[op]([2], { dtype: "int64" as never }), DTypeError, [
    `${op}:`,
    '"int64"',
    "expected one of",
  ]);
}
bad("full", "a string fill value", () => T.full([2], "7" as never), ArgumentError, [
  "full:",
  "fill value",
  'the string "7"',
]);
bad("full", "a negative size", () => T.full([2, -3], 1), ArgumentError, ["full:", "[2,-3]", "non-negative"]);
bad("full", "unknown dtype", () => T.full([2], 1, { dtype: "uint8" as never }), DTypeError, ["full:", '"uint8"']);
for (const op of ["zerosLike", "onesLike"] as const) {
  for (const [what, v, shown] of NOT_ARRAYS) {
    bad(op, what, () => T[op](v as never), ArgumentError, [`${op}:`, "expected an NDArray", shown]);
  }
  bad(op, "unknown dtype", () => T[op](f32([2]), { dtype: "half" as never }), DTypeError, [`${op}:`, '"half"']);
}
bad("arange", "zero step", () => T.arange(0, 5, 0), ArgumentError, ["arange:", "step 0", "non-zero step"]);
bad("arange", "NaN start", () => T.arange(Number.NaN, 5), ArgumentError, ["arange:", "start NaN", "finite"]);
bad("arange", "infinite stop", () => T.arange(0, Number.POSITIVE_INFINITY), ArgumentError, [
  "arange:",
  "stop Infinity",
  "finite",
]);
bad("arange", "unknown dtype", () => T.arange(3, undefined, 1, { dtype: "int8" as never }), DTypeError, [
  "arange:",
  '"int8"',
]);
bad("linspace", "negative n", () => T.linspace(0, 1, -1), ArgumentError, [
  "linspace:",
  "n must be a non-negative integer",
  "-1",
]);
bad("linspace", "fractional n", () => T.linspace(0, 1, 2.5), ArgumentError, ["linspace:", "2.5"]);
bad("linspace", "NaN start", () => T.linspace(Number.NaN, 1, 3), ArgumentError, ["linspace:", "start NaN", "finite"]);
bad("linspace", "infinite stop", () => T.linspace(0, Number.POSITIVE_INFINITY, 3), ArgumentError, [
  "linspace:",
  "stop Infinity",
]);
bad("eye", "negative n", () => T.eye(-1), ArgumentError, ["eye:", "n must be a non-negative integer", "the number -1"]);
bad("eye", "fractional m", () => T.eye(2, 1.5), ArgumentError, ["eye:", "m must be", "the number 1.5"]);
bad("eye", "NaN n", () => T.eye(Number.NaN), ArgumentError, ["eye:", "the number NaN"]);
bad("eye", "unknown dtype", () => T.eye(2, 2, { dtype: "complex" as never }), DTypeError, ["eye:", '"complex"']);

// ---------------------------------------------------------------- random
for (const op of ["rand", "randn"] as const) {
  bad(op, "a negative size", () => T[op]([2, -1]), ArgumentError, [`${op}:`, "[2,-1]", "non-negative"]);
  bad(op, "a number instead of a shape", () => T[op](4 as never), ArgumentError, [`${op}:`, "the number 4"]);
  bad(op, "unknown dtype", () => T[op]([2], { dtype: "float16" as never }), DTypeError, [`${op}:`, '"float16"']);
  bad(op, "rng is not an Rng", () => T[op]([2], { rng: {} as never }), ArgumentError, [
    `${op}:`,
    "rng must be an Rng",
    "an object",
  ]);
}
bad("randint", "low >= high", () => T.randint(5, 5, [2]), ArgumentError, ["randint:", "low < high", "low=5, high=5"]);
bad("randint", "fractional low", () => T.randint(0.5, 5, [2]), ArgumentError, ["randint:", "integers", "low=0.5"]);
bad("randint", "NaN high", () => T.randint(0, Number.NaN, [2]), ArgumentError, ["randint:", "high=NaN"]);
bad("randint", "a negative size", () => T.randint(0, 5, [-3]), ArgumentError, ["randint:", "[-3]"]);
bad("uniform", "NaN low", () => T.uniform([2], Number.NaN, 1), ArgumentError, ["uniform:", "low=NaN", "low <= high"]);
bad("uniform", "low > high", () => T.uniform([2], 2, 1), ArgumentError, ["uniform:", "low=2, high=1"]);
bad("uniform", "infinite high", () => T.uniform([2], 0, Number.POSITIVE_INFINITY), ArgumentError, [
  "uniform:",
  "high=Infinity",
]);
bad("uniform", "a negative size", () => T.uniform([-2], 0, 1), ArgumentError, ["uniform:", "[-2]"]);
bad("randperm", "negative n", () => T.randperm(-1), ArgumentError, [
  "randperm:",
  "non-negative integer",
  "the number -1",
]);
bad("randperm", "fractional n", () => T.randperm(2.5), ArgumentError, ["randperm:", "the number 2.5"]);
bad("randperm", "rng is not an Rng", () => T.randperm(3, { rng: 42 as never }), ArgumentError, [
  "randperm:",
  "rng must be an Rng",
  "the number 42",
]);
bad("Rng", "NaN seed", () => new Rng(Number.NaN), ArgumentError, ["Rng:", "seed must be a finite number", "NaN"]);
bad("Rng", "infinite seed", () => new Rng(Number.POSITIVE_INFINITY), ArgumentError, ["Rng:", "Infinity"]);
bad("Rng", "seed() with NaN", () => new Rng(1).seed(Number.NaN), ArgumentError, ["Rng:", "NaN"]);
{
  const rng = new Rng(7);
  const snap = () => rng.getState();
  bad("Rng", "setState(null)", () => rng.setState(null as never), ArgumentError, ["Rng.setState:", "got null"], snap);
  bad(
    "Rng",
    "setState with 2 words",
    () => rng.setState({ s: [1, 2], spare: null }),
    ArgumentError,
    ["Rng.setState:", "expected 4 state words, got 2"],
    snap,
  );
  bad(
    "Rng",
    "setState with a negative word",
    () => rng.setState({ s: [1, 2, 3, -4], spare: null }),
    ArgumentError,
    ["Rng.setState:", "32-bit unsigned integers", "-4"],
    snap,
  );
  bad(
    "Rng",
    "setState with a NaN spare",
    () => rng.setState({ s: [1, 2, 3, 4], spare: Number.NaN }),
    ArgumentError,
    ["Rng.setState:", "spare", "the number NaN"],
    snap,
  );
}
bad("manualSeed", "NaN seed", () => T.manualSeed(Number.NaN), ArgumentError, [
  "manualSeed:",
  "finite number",
  "the number NaN",
]);
bad("manualSeed", "undefined seed", () => T.manualSeed(undefined as never), ArgumentError, [
  "manualSeed:",
  "got undefined",
]);
bad("manualSeed", "a string seed", () => T.manualSeed("42" as never), ArgumentError, [
  "manualSeed:",
  'the string "42"',
]);

// ---------------------------------------------------------------- dtypes
bad("allocate", "unknown dtype", () => T.allocate("float16" as never, 3), DTypeError, [
  "allocate:",
  '"float16"',
  "expected one of",
]);
bad("allocate", "negative size", () => T.allocate("float32", -1), ArgumentError, [
  "allocate:",
  "non-negative integer",
  "-1",
]);
bad("allocate", "fractional size", () => T.allocate("int32", 2.5), ArgumentError, ["allocate:", "2.5"]);
bad("dtypeOf", "a plain array", () => T.dtypeOf([1, 2] as never), DTypeError, ["dtypeOf:", "an array of length 2"]);
bad("dtypeOf", "an Int16Array", () => T.dtypeOf(new Int16Array(2) as never), DTypeError, [
  "dtypeOf:",
  "Float32Array, Float64Array, Int32Array or Uint8Array",
  "an Int16Array of length 2",
]);
bad("promoteTypes", "unknown first dtype", () => T.promoteTypes("float16" as never, "int32"), DTypeError, [
  "promoteTypes:",
  '"float16"',
]);
bad("promoteTypes", "unknown second dtype", () => T.promoteTypes("float32", "toString" as never), DTypeError, [
  "promoteTypes:",
  '"toString"',
  "expected one of",
]);

// ---------------------------------------------------------------- NDArray construction and views
bad("NDArray", "a plain array as data", () => new NDArray([1, 2] as never, [2]), ArgumentError, [
  "NDArray:",
  "data must be a Float32Array",
  "an array of length 2",
]);
bad("NDArray", "an Int16Array as data", () => new NDArray(new Int16Array(2) as never, [2]), DTypeError, [
  "dtypeOf:",
  "an Int16Array",
]);
bad("NDArray", "a negative size", () => new NDArray(new Float32Array(4), [-1]), ArgumentError, [
  "NDArray:",
  "invalid shape [-1]",
  "non-negative integers",
]);
bad("NDArray", "a fractional size", () => new NDArray(new Float32Array(4), [2.5]), ArgumentError, [
  "NDArray:",
  "[2.5]",
]);
bad("NDArray", "a shape larger than the buffer", () => new NDArray(new Float32Array(4), [3, 2]), ShapeError, [
  "NDArray:",
  "shape [3,2] needs 6 elements",
  "holds 4",
]);
bad("NDArray", "too few strides", () => new NDArray(new Float32Array(4), [2, 2], [1]), ShapeError, [
  "NDArray:",
  "1 strides [1] for shape [2,2]",
  "expected 2",
]);
bad("NDArray", "a negative offset", () => new NDArray(new Float32Array(4), [2], undefined, -1), ArgumentError, [
  "NDArray:",
  "offset",
  "the number -1",
]);
bad("NDArray", "a string shape", () => new NDArray(new Float32Array(4), "22" as never), ArgumentError, [
  "NDArray:",
  "shape must be an array",
  'the string "22"',
]);
bad("NDArray", "reshape to the wrong count", () => x23().reshape(4), ShapeError, [
  "reshape:",
  "shape [2,3] (6 elements) into [4]",
]);
bad("NDArray", "reshape with two -1", () => x23().reshape(-1, -1), ShapeError, ["reshape:", "only one dim may be -1"]);
bad("NDArray", "reshape with a negative size", () => x23().reshape(-2, 3), ArgumentError, [
  "reshape:",
  "invalid size -2",
]);
bad("NDArray", "reshape with a fractional size", () => x23().reshape(2.5), ArgumentError, [
  "reshape:",
  "invalid size 2.5",
]);
bad("NDArray", "view of incompatible strides", () => x23().transpose(0, 1).view(6), ShapeError, [
  "view:",
  "incompatible with the strides",
  "use reshape()",
]);
bad("NDArray", "transpose dim out of range", () => x23().transpose(0, 2), IndexError, [
  "transpose:",
  "dim 2 is out of range",
  "expected -2..1",
]);
bad("NDArray", "transpose fractional dim", () => x23().transpose(0.5, 1), IndexError, [
  "transpose:",
  "integer",
  "the number 0.5",
]);
bad("NDArray", "permute with too few dims", () => x23().permute(0), ShapeError, [
  "permute:",
  "got 1 dims",
  "expected 2",
]);
bad("NDArray", "permute with a repeated dim", () => x23().permute(1, 1), IndexError, ["permute:", "dim 1 repeats"]);
bad("NDArray", "permute dim out of range", () => x23().permute(0, 5), IndexError, [
  "permute:",
  "dim 5 is out of range",
]);
bad("NDArray", "expand a non-1 dim", () => x23().expand(3, 3), ShapeError, ["expand:", "[2,3] to [3,3]", "2 is not 1"]);
bad("NDArray", "expand to fewer dims", () => x23().expand(6), ShapeError, ["expand:", "fewer dims"]);
bad("NDArray", "expand to a fractional size", () => zeros([1, 3]).expand(2.5, 3), ArgumentError, [
  "expand:",
  "invalid size 2.5",
]);
bad("NDArray", "expand a new leading dim with -1", () => x23().expand(-1, 2, 3), ShapeError, [
  "expand:",
  "-1 is not allowed for new leading dim 0",
]);
bad("NDArray", "expand to a negative size", () => zeros([1, 3]).expand(-3, 3), ArgumentError, [
  "expand:",
  "invalid size -3",
]);
bad("NDArray", "squeeze dim out of range", () => x23().squeeze(5), IndexError, ["squeeze:", "dim 5 is out of range"]);
bad("NDArray", "squeeze with a string dim", () => x23().squeeze("a" as never), IndexError, [
  "squeeze:",
  'the string "a"',
]);
bad("NDArray", "unsqueeze dim out of range", () => x23().unsqueeze(4), IndexError, [
  "unsqueeze:",
  "dim 4",
  "expected -3..2",
]);
bad("NDArray", "narrow past the end", () => x23().narrow(1, 1, 5), IndexError, [
  "narrow:",
  "start 1 and length 5",
  "dim 1 of size 3",
]);
bad("NDArray", "narrow fractional start", () => x23().narrow(0, 0.5, 1), IndexError, ["narrow:", "start 0.5"]);
bad("NDArray", "narrow negative length", () => x23().narrow(0, 0, -1), IndexError, ["narrow:", "length -1"]);
bad("NDArray", "narrow dim out of range", () => x23().narrow(2, 0, 1), IndexError, [
  "narrow:",
  "dim 2 is out of range",
]);
bad("NDArray", "flatten start after end", () => x23().flatten(1, 0), IndexError, [
  "flatten:",
  "startDim 1 comes after endDim 0",
]);
bad("NDArray", "flatten end out of range", () => x23().flatten(0, 5), IndexError, ["flatten:", "dim 5"]);
bad("NDArray", "get out of range", () => x23().get(2, 0), IndexError, [
  "get:",
  "index 2 is out of range for dim 0 of size 2",
]);
bad("NDArray", "get with too few indices", () => x23().get(0), IndexError, ["get:", "got 1 indices", "[2,3]"]);
bad("NDArray", "get with a fractional index", () => x23().get(0, 1.5), IndexError, ["get:", "index 1.5"]);
{
  const a = x23();
  const snap = () => a.toArray();
  bad(
    "NDArray",
    "set a string value",
    () => a.set("9" as never, 0, 0),
    ArgumentError,
    ["set:", 'the string "9"'],
    snap,
  );
  bad("NDArray", "set out of range", () => a.set(9, 5, 0), IndexError, ["set:", "index 5"], snap);
}
bad("NDArray", "item of several elements", () => x23().item(), ShapeError, ["item:", "one-element", "[2,3]"]);
bad("NDArray", "astype to an unknown dtype", () => x23().astype("float16" as never), DTypeError, [
  "astype:",
  '"float16"',
]);

// ---------------------------------------------------------------- shape helpers
bad("normalizeDim", "dim out of range", () => T.normalizeDim("myop", 3, 2), IndexError, [
  "myop:",
  "dim 3 is out of range for a tensor with 2 dims",
  "expected -2..1",
]);
bad("normalizeDim", "fractional dim", () => T.normalizeDim("myop", 1.5, 2), IndexError, ["myop:", "the number 1.5"]);
bad("normalizeDims", "repeated dim", () => T.normalizeDims("myop", [0, -2], 2), IndexError, [
  "myop:",
  "dim 0 appears more than once",
]);
bad("normalizeDims", "a string dim", () => T.normalizeDims("myop", "01" as never, 2), IndexError, [
  "myop:",
  'the string "01"',
]);
bad("broadcastShapes", "incompatible shapes", () => T.broadcastShapes("myop", [2, 3], [4]), ShapeError, [
  "myop:",
  "shapes [2,3] and [4] cannot be broadcast",
  "dim -1: 3 vs 4",
]);

// ---------------------------------------------------------------- elementwise binary (and comparisons)
const BINARY = [
  "add",
  "sub",
  "mul",
  "div",
  "pow",
  "maximum",
  "minimum",
  "atan2",
  "eq",
  "ne",
  "lt",
  "le",
  "gt",
  "ge",
  "logicalAnd",
  "logicalOr",
] as const;
for (const op of BINARY) {
  const fn = T[op] as (a: unknown, b: unknown) => NDArray;
  bad(op, "shapes that do not broadcast", () => fn(f32([2, 3]), f32([4])), ShapeError, [
    `${op}:`,
    "shapes [2,3] and [4] cannot be broadcast",
  ]);
  for (const [what, v, shown] of NOT_ARRAYS) {
    bad(op, `input is ${what}`, () => fn(v, f32([2])), ArgumentError, [
      `${op}:`,
      "input must be an NDArray or a number",
      shown,
    ]);
    bad(op, `other is ${what}`, () => fn(f32([2]), v), ArgumentError, [
      `${op}:`,
      "other must be an NDArray or a number",
      shown,
    ]);
  }
}
bad("mapBinary", "input is null", () => T.mapBinary("myop", null as never, 1, (a, b) => a + b), ArgumentError, [
  "myop:",
  "input must be an NDArray",
  "got null",
]);
bad(
  "mapBinary",
  "shapes that do not broadcast",
  () => T.mapBinary("myop", f32([3]), f32([2]), (a, b) => a + b),
  ShapeError,
  ["myop:", "[3] and [2]"],
);
bad("resultType", "other is a plain array", () => T.resultType(f32([2]), [1] as never), ArgumentError, [
  "resultType:",
  "other",
  "an array of length 1",
]);
bad("asArray", "a string", () => T.asArray("3" as never), ArgumentError, ["asArray:", 'the string "3"']);
bad("asArray", "null", () => T.asArray(null as never), ArgumentError, ["asArray:", "got null"]);
bad("checkOperand", "a Tensor", () => T.checkOperand("myop", "weight", new Tensor(), false), ArgumentError, [
  "myop:",
  "weight must be an NDArray",
  "a Tensor of shape [2,3]",
  "pass tensor.data",
]);

// ---------------------------------------------------------------- elementwise unary
const UNARY: [keyof typeof T, string][] = [
  ["neg", "neg"],
  ["abs", "abs"],
  ["sign", "sign"],
  ["exp", "exp"],
  ["log", "log"],
  ["log1p", "log1p"],
  ["expm1", "expm1"],
  ["sqrt", "sqrt"],
  ["rsqrt", "rsqrt"],
  ["reciprocal", "reciprocal"],
  ["square", "square"],
  ["sin", "sin"],
  ["cos", "cos"],
  ["tanh", "tanh"],
  ["floor", "floor"],
  ["ceil", "ceil"],
  ["round", "round"],
  ["sigmoid", "sigmoid"],
  ["relu", "relu"],
  ["gelu", "gelu"],
  ["geluGrad", "geluGrad"],
  ["silu", "silu"],
  ["softplus", "softplus"],
  ["erfArray", "erf"],
  ["isnan", "isnan"],
  ["isfinite", "isfinite"],
  ["logicalNot", "logicalNot"],
  ["clamp", "clamp"],
];
for (const [name, op] of UNARY) {
  const fn = T[name] as (x: unknown, ...rest: unknown[]) => NDArray;
  const extra = name === "clamp" ? [0, 1] : [];
  for (const [what, v, shown] of NOT_ARRAYS_OR_NUMBERS) {
    bad(name, `input is ${what}`, () => fn(v, ...extra), ArgumentError, [`${op}:`, "input must be an NDArray", shown]);
  }
}
bad("mapUnary", "input is a Tensor", () => T.mapUnary(new Tensor() as never, (v) => v), ArgumentError, [
  "mapUnary:",
  "input must be an NDArray",
  "a Tensor",
]);
bad("clamp", "no bounds", () => T.clamp(f32([2])), ArgumentError, ["clamp:", "at least one of min or max"]);
bad("clamp", "a string bound", () => T.clamp(f32([2]), "0" as never), ArgumentError, [
  "clamp:",
  "min must be a number",
  'the string "0"',
]);
bad("clamp", "a null max", () => T.clamp(f32([2]), 0, null as never), ArgumentError, [
  "clamp:",
  "max must be a number",
  "got null",
]);
bad("softplus", "beta 0", () => T.softplus(f32([2]), 0), ArgumentError, [
  "softplus:",
  "beta must be a finite non-zero number",
  "the number 0",
]);
bad("softplus", "NaN beta", () => T.softplus(f32([2]), Number.NaN), ArgumentError, ["softplus:", "beta", "NaN"]);
bad("softplus", "NaN threshold", () => T.softplus(f32([2]), 1, Number.NaN), ArgumentError, [
  "softplus:",
  "threshold",
  "NaN",
]);
bad("gelu", "unknown approximation", () => T.gelu(f32([2]), "fast" as never), ArgumentError, [
  "gelu:",
  'approximate must be "none" or "tanh"',
  'the string "fast"',
]);
for (const [what, v, shown] of NOT_ARRAYS_OR_NUMBERS) {
  bad("geluBackward", `grad is ${what}`, () => T.geluBackward(v as never, f32([2])), ArgumentError, [
    "geluBackward:",
    "grad must be an NDArray",
    shown,
  ]);
  bad("geluBackward", `input is ${what}`, () => T.geluBackward(f32([2]), v as never), ArgumentError, [
    "geluBackward:",
    "input must be an NDArray",
    shown,
  ]);
}
bad("geluBackward", "shapes that do not broadcast", () => T.geluBackward(f32([2, 3]), f32([4])), ShapeError, [
  "geluBackward:",
  "shapes [2,3] and [4] cannot be broadcast",
]);
for (const [what, v, shown] of NOT_ARRAYS_OR_NUMBERS) {
  bad("tanhBackward", `grad is ${what}`, () => T.tanhBackward(v as never, f32([2])), ArgumentError, [
    "tanhBackward:",
    "grad must be an NDArray",
    shown,
  ]);
  bad("tanhBackward", `output is ${what}`, () => T.tanhBackward(f32([2]), v as never), ArgumentError, [
    "tanhBackward:",
    "output must be an NDArray",
    shown,
  ]);
}
bad("tanhBackward", "shapes that do not broadcast", () => T.tanhBackward(f32([2, 3]), f32([4])), ShapeError, [
  "tanhBackward:",
  "shapes [2,3] and [4] cannot be broadcast",
]);
bad(
  "tanhBackward",
  "float32 shapes that do not broadcast (wasm path)",
  () => T.tanhBackward(f32([64, 3]), f32([64])),
  ShapeError,
  ["tanhBackward:", "shapes [64,3] and [64] cannot be broadcast"],
);
bad("where", "float condition", () => T.where(f32([2]), 1, 2), DTypeError, [
  "where:",
  "cond must be bool",
  "float32 of shape [2]",
]);
bad("where", "null condition", () => T.where(null as never, 1, 2), ArgumentError, [
  "where:",
  "cond must be an NDArray",
  "got null",
]);
bad("where", "condition that does not broadcast", () => T.where(T.full([3], true), f32([2]), 0), ShapeError, [
  "where:",
  "cannot be broadcast",
]);
bad("where", "a Tensor branch", () => T.where(T.full([2], true), new Tensor() as never, 0), ArgumentError, [
  "where:",
  "input must be an NDArray or a number",
  "a Tensor",
]);
{
  const dst = f32([2, 3]);
  const snap = () => dst.toArray();
  bad(
    "assign",
    "source of the wrong shape",
    () => T.assign(dst, f32([3, 3])),
    ShapeError,
    ["assign:", "source of shape [3,3]", "destination's shape [2,3]"],
    snap,
  );
  bad("assign", "source that would grow the destination", () => T.assign(f32([3]), f32([2, 3])), ShapeError, [
    "assign:",
    "[2,3]",
  ]);
  bad(
    "assign",
    "a string source",
    () => T.assign(dst, "1" as never),
    ArgumentError,
    ["assign:", "source", 'the string "1"'],
    snap,
  );
  bad("assign", "null destination", () => T.assign(null as never, 1), ArgumentError, [
    "assign:",
    "destination",
    "got null",
  ]);
  bad(
    "addInPlace",
    "source of the wrong shape",
    () => T.addInPlace(dst, f32([4])),
    ShapeError,
    ["addInPlace:", "source of shape [4]", "[2,3]"],
    snap,
  );
  bad(
    "addInPlace",
    "non-contiguous destination",
    () => T.addInPlace(x23().transpose(0, 1), f32([3, 2])),
    ArgumentError,
    ["addInPlace:", "must be contiguous"],
  );
  bad(
    "addInPlace",
    "a number source",
    () => T.addInPlace(dst, 1 as never),
    ArgumentError,
    ["addInPlace:", "source", "the number 1"],
    snap,
  );
  bad("addInPlace", "a Tensor destination", () => T.addInPlace(new Tensor() as never, f32([2, 3])), ArgumentError, [
    "addInPlace:",
    "destination",
    "a Tensor",
  ]);
}

// ---------------------------------------------------------------- reductions
const REDUCE = ["sum", "mean", "var", "variance", "max", "min", "argmax", "argmin", "logsumexp"] as const;
for (const name of REDUCE) {
  const op = name === "variance" ? "var" : name;
  const fn = T[name] as (x: unknown, dim?: unknown) => NDArray;
  bad(name, "dim out of range", () => fn(x23(), 2), IndexError, [`${op}:`, "dim 2 is out of range", "expected -2..1"]);
  bad(name, "negative dim out of range", () => fn(x23(), -3), IndexError, [`${op}:`, "dim -3"]);
  bad(name, "fractional dim", () => fn(x23(), 0.5), IndexError, [`${op}:`, "the number 0.5"]);
  for (const [what, v, shown] of NOT_ARRAYS_OR_NUMBERS) {
    bad(name, `input is ${what}`, () => fn(v), ArgumentError, [`${op}:`, "input must be an NDArray", shown]);
  }
  if (name !== "argmax" && name !== "argmin") {
    bad(name, "repeated dims", () => fn(x23(), [1, -1]), IndexError, [`${op}:`, "dim 1 appears more than once"]);
    bad(name, "a string dim", () => fn(x23(), "1"), IndexError, [`${op}:`, 'the string "1"']);
  }
}
bad("argmax", "a list of dims", () => T.argmax(x23(), [0, 1] as never), ArgumentError, [
  "argmax:",
  "dim must be a single number",
  "[0,1]",
]);
bad("argmin", "a list of dims", () => T.argmin(x23(), [0] as never), ArgumentError, ["argmin:", "single number"]);
for (const op of ["max", "min", "argmax", "argmin"] as const) {
  bad(op, "an empty reduced dim", () => T[op](f32([2, 0]), 1), ShapeError, [
    `${op}:`,
    "cannot reduce an empty dim",
    "[2,0]",
  ]);
}
bad("var", "negative correction", () => T.variance(x23(), 1, { correction: -1 }), ArgumentError, [
  "var:",
  "correction must be a finite number >= 0",
  "the number -1",
]);
bad("var", "NaN correction", () => T.variance(x23(), 1, { correction: Number.NaN }), ArgumentError, [
  "var:",
  "correction",
  "NaN",
]);
bad("var", "non-boolean unbiased", () => T.variance(x23(), 1, { unbiased: "yes" as never }), ArgumentError, [
  "var:",
  "unbiased must be a boolean",
  'the string "yes"',
]);
bad("varianceCorrection", "null options", () => T.varianceCorrection("var", null as never), ArgumentError, [
  "var:",
  "options",
  "got null",
]);
bad("sum", "unknown result dtype", () => T.sum(x23(), 0, false, "int64" as never), DTypeError, ["sum:", '"int64"']);
bad("sumToShape", "a larger rank", () => T.sumToShape(f32([3]), [2, 3]), ShapeError, [
  "sumToShape:",
  "[3] to the larger rank shape [2,3]",
]);
bad("sumToShape", "a shape it does not broadcast from", () => T.sumToShape(f32([4, 3]), [2]), ShapeError, [
  "sumToShape:",
  "[4,3] does not broadcast from [2]",
]);
bad("sumToShape", "null shape", () => T.sumToShape(f32([4, 3]), null as never), ArgumentError, [
  "sumToShape:",
  "shape",
  "got null",
]);
bad("sumToShape", "a negative size", () => T.sumToShape(f32([4, 3]), [-3]), ArgumentError, ["sumToShape:", "[-3]"]);
bad("sumToShape", "a Tensor input", () => T.sumToShape(new Tensor() as never, [3]), ArgumentError, [
  "sumToShape:",
  "input",
  "a Tensor",
]);

// ---------------------------------------------------------------- softmax family
for (const op of ["softmax", "logSoftmax"] as const) {
  bad(op, "dim out of range", () => T[op](x23(), 2), IndexError, [`${op}:`, "dim 2 is out of range"]);
  bad(op, "fractional dim", () => T[op](x23(), 1.5), IndexError, [`${op}:`, "the number 1.5"]);
}
for (const op of ["softmaxBackward", "logSoftmaxBackward"] as const) {
  bad(op, "gradient and output shapes differ", () => T[op](f32([2, 3]), f32([3, 2])), ShapeError, [
    `${op}:`,
    "shapes [2,3] and [3,2] must match",
  ]);
  bad(op, "dim out of range", () => T[op](f32([2, 3]), f32([2, 3]), 3), IndexError, [`${op}:`, "dim 3"]);
}

// ---------------------------------------------------------------- indexing
const idx = (v: number[], shape?: number[]) => i32(v, shape);
bad("gather", "float index", () => T.gather(x23(), 1, f32([2, 1])), DTypeError, [
  "gather:",
  "index must be int32",
  "float32 of shape [2,1]",
]);
bad("gather", "index out of range", () => T.gather(x23(), 1, idx([0, 3], [2, 1])), IndexError, [
  "gather:",
  "index 3 is out of bounds for dim 1 with size 3",
]);
bad("gather", "negative index out of range", () => T.gather(x23(), 0, idx([-3], [1, 1])), IndexError, [
  "gather:",
  "index -3",
]);
bad("gather", "index of another rank", () => T.gather(x23(), 1, idx([0, 1])), ShapeError, [
  "gather:",
  "index [2] must have as many dims as input [2,3]",
]);
bad("gather", "index larger than the input", () => T.gather(x23(), 1, idx([0, 0, 0], [3, 1])), ShapeError, [
  "gather:",
  "index [3,1] is larger than input [2,3] at dim 0",
]);
bad("gather", "dim out of range", () => T.gather(x23(), 2, idx([0, 0], [2, 1])), IndexError, [
  "gather:",
  "dim 2 is out of range",
]);
bad("gather", "index is a plain array", () => T.gather(x23(), 1, [[0], [1]] as never), ArgumentError, [
  "gather:",
  "index must be an int32 NDArray",
  "an array of length 2",
]);
for (const [what, v, shown] of NOT_ARRAYS_OR_NUMBERS) {
  bad("gather", `input is ${what}`, () => T.gather(v as never, 0, idx([0], [1])), ArgumentError, [
    "gather:",
    "input must be an NDArray",
    shown,
  ]);
  bad("indexSelect", `input is ${what}`, () => T.indexSelect(v as never, 0, idx([0])), ArgumentError, [
    "indexSelect:",
    "input",
    shown,
  ]);
  bad("scatterAdd", `src is ${what}`, () => T.scatterAdd(f32([3]), 0, idx([0]), v as never), ArgumentError, [
    "scatterAdd:",
    "src must be an NDArray",
    shown,
  ]);
  bad("indexAdd", `src is ${what}`, () => T.indexAdd(f32([3, 2]), 0, idx([0]), v as never), ArgumentError, [
    "indexAdd:",
    "src must be an NDArray",
    shown,
  ]);
}
bad("scatterAdd", "index out of range", () => T.scatterAdd(f32([3]), 0, idx([0, 3]), f32([2])), IndexError, [
  "scatterAdd:",
  "index 3 is out of bounds for dim 0 with size 3",
]);
bad("scatterAdd", "src smaller than the index", () => T.scatterAdd(f32([3]), 0, idx([0, 1]), f32([1])), ShapeError, [
  "scatterAdd:",
  "index [2] is too large for src [1]",
]);
bad("scatterAdd", "ranks differ", () => T.scatterAdd(f32([3]), 0, idx([0]), f32([1, 1])), ShapeError, [
  "scatterAdd:",
  "same number of dims",
]);
bad("scatterAdd", "float index", () => T.scatterAdd(f32([3]), 0, f32([1]), f32([1])), DTypeError, [
  "scatterAdd:",
  "int32",
  "float32",
]);
bad("scatterAdd", "dim out of range", () => T.scatterAdd(f32([3]), 1, idx([0]), f32([1])), IndexError, [
  "scatterAdd:",
  "dim 1",
]);
bad(
  "scatterAdd",
  "a Tensor input",
  () => T.scatterAdd(new Tensor() as never, 0, idx([0], [1, 1]), f32([1, 1])),
  ArgumentError,
  ["scatterAdd:", "input", "a Tensor"],
);
bad("indexSelect", "2-d index", () => T.indexSelect(x23(), 0, idx([0, 1], [1, 2])), ShapeError, [
  "indexSelect:",
  "0-d or 1-d",
  "[1,2]",
]);
bad("indexSelect", "index out of range", () => T.indexSelect(x23(), 0, idx([2])), IndexError, [
  "indexSelect:",
  "index 2 is out of bounds for dim 0 with size 2",
]);
bad("indexSelect", "bool index", () => T.indexSelect(x23(), 0, T.full([1], true)), DTypeError, [
  "indexSelect:",
  "int32",
  "bool",
]);
bad("indexSelect", "dim out of range", () => T.indexSelect(x23(), -3, idx([0])), IndexError, [
  "indexSelect:",
  "dim -3",
]);
bad("indexAdd", "src of the wrong shape", () => T.indexAdd(f32([3, 2]), 0, idx([0, 1]), f32([2, 3])), ShapeError, [
  "indexAdd:",
  "src [2,3] must have shape [2,2]",
]);
bad("indexAdd", "index out of range", () => T.indexAdd(f32([3, 2]), 0, idx([5]), f32([1, 2])), IndexError, [
  "indexAdd:",
  "index 5",
]);
bad("indexAdd", "2-d index", () => T.indexAdd(f32([3, 2]), 0, idx([0, 1], [2, 1]), f32([2, 2])), ShapeError, [
  "indexAdd:",
  "0-d or 1-d",
]);
bad("indexAdd", "null index", () => T.indexAdd(f32([3, 2]), 0, null as never, f32([1, 2])), ArgumentError, [
  "indexAdd:",
  "index",
  "got null",
]);
bad("cat", "an empty list", () => T.cat([]), ArgumentError, ["cat:", "non-empty array", "an array of length 0"]);
bad("cat", "not a list", () => T.cat(f32([2]) as never), ArgumentError, [
  "cat:",
  "non-empty array",
  "an NDArray of shape [2]",
]);
bad("cat", "0-d arrays", () => T.cat([f32([]), f32([])]), ShapeError, ["cat:", "zero-dimensional", "use stack"]);
bad("cat", "shapes differ outside dim", () => T.cat([f32([2, 3]), f32([3, 2])], 0), ShapeError, [
  "cat:",
  "[2,3], [3,2] differ outside dim 0",
]);
bad("cat", "dim out of range", () => T.cat([f32([2])], 1), IndexError, ["cat:", "dim 1"]);
bad("cat", "a Tensor element", () => T.cat([f32([2, 3]), new Tensor() as never]), ArgumentError, [
  "cat:",
  "arrays[1] must be an NDArray",
  "a Tensor",
]);
bad("stack", "shapes differ", () => T.stack([f32([2]), f32([3])]), ShapeError, ["stack:", "same shape", "[2], [3]"]);
bad("stack", "dim out of range", () => T.stack([f32([2]), f32([2])], 2), IndexError, ["stack:", "dim 2"]);
bad("stack", "an empty list", () => T.stack([]), ArgumentError, ["stack:", "non-empty"]);
bad("stack", "a null element", () => T.stack([f32([2]), null as never]), ArgumentError, [
  "stack:",
  "arrays[1]",
  "got null",
]);

// ---------------------------------------------------------------- matmul and gemm
bad("matmul", "inner dims differ", () => T.matmul(f32([2, 3]), f32([4, 5])), ShapeError, [
  "matmul: shapes [2,3] and [4,5] are not aligned (3 != 4)",
]);
bad("matmul", "a 0-d operand", () => T.matmul(f32([]), f32([2])), ShapeError, [
  "matmul:",
  "at least 1 dim",
  "[] and [2]",
]);
bad("reluBackward", "shapes that differ", () => T.reluBackward(f32([2, 3]), f32([3, 2])), ShapeError, [
  "reluBackward:",
  "gradient of shape [2,3]",
  "input's shape [3,2]",
]);
bad("reluBackward", "a missing input", () => T.reluBackward(f32([2]), undefined as never), ArgumentError, [
  "reluBackward:",
  "input must be an NDArray",
]);
bad("causalSoftmax", "1-d scores", () => T.causalSoftmax(f32([5])), ShapeError, [
  "causalSoftmax:",
  "at least 2 dims (..., L, S)",
  "got [5]",
]);
bad("causalSoftmax", "a missing input", () => T.causalSoftmax(undefined as never), ArgumentError, [
  "causalSoftmax:",
  "input must be an NDArray",
]);
bad(
  "linearGrads",
  "a weight of the wrong shape",
  () => T.linearGrads(f32([3, 2]), f32([3, 5]), f32([2, 4])),
  ShapeError,
  ["linearGrads:", "weight (out, in)", "[3,2], [3,5] and [2,4]"],
);
bad(
  "linearGrads",
  "a missing weight",
  () => T.linearGrads(f32([3, 2]), f32([3, 5]), undefined as never),
  ArgumentError,
  ["linearGrads:", "weight must be an NDArray"],
);
bad("recycleBuffer", "an NDArray instead of its buffer", () => T.recycleBuffer(f32([4]) as never), ArgumentError, [
  "recycleBuffer:",
  "expected a typed array",
]);
bad("linearWeightGrads", "row counts that differ", () => T.linearWeightGrads(f32([3, 2]), f32([4, 5])), ShapeError, [
  "linearWeightGrads:",
  "same N",
  "[3,2] and [4,5]",
]);
bad("linearWeightGrads", "a missing input", () => T.linearWeightGrads(f32([3, 2]), null as never), ArgumentError, [
  "linearWeightGrads:",
  "input must be an NDArray",
]);
bad("matmul", "bool operands", () => T.matmul(T.full([2, 2], true), f32([2, 2])), DTypeError, ["matmul:", "bool"]);
bad(
  "addmm",
  "a bias that is not one row of the product",
  () => T.addmm(f32([3]), f32([2, 4]), f32([4, 2])),
  ShapeError,
  ["addmm:", "bias must have shape [2]", "got [3]"],
);
bad("addmm", "batched matrices", () => T.addmm(f32([2]), f32([3, 2, 4]), f32([4, 2])), ShapeError, [
  "addmm:",
  "expected 2-d matrices",
  "[3,2,4]",
]);
bad("addmm", "a bool bias", () => T.addmm(T.full([2], true), f32([2, 4]), f32([4, 2])), DTypeError, ["addmm:", "bool"]);
bad("addmm", "a missing bias", () => T.addmm(null as never, f32([2, 4]), f32([4, 2])), ArgumentError, [
  "addmm:",
  "bias must be an NDArray",
]);
bad("matmul", "batch dims that do not broadcast", () => T.matmul(f32([2, 2, 3]), f32([3, 3, 4])), ShapeError, [
  "matmul:",
  "batch dims",
  "[2] vs [3]",
]);
for (const [what, v, shown] of NOT_ARRAYS_OR_NUMBERS) {
  bad("matmul", `input is ${what}`, () => T.matmul(v as never, f32([2, 2])), ArgumentError, [
    "matmul:",
    "input must be an NDArray",
    shown,
  ]);
  bad("matmul", `other is ${what}`, () => T.matmul(f32([2, 2]), v as never), ArgumentError, [
    "matmul:",
    "other must be an NDArray",
    shown,
  ]);
}
{
  const C = new Float64Array(4);
  const snap = () => Array.from(C);
  const one = new Float64Array([1, 2]);
  bad(
    "gemm",
    "negative M",
    () => T.gemm(-1, 2, 1, one, 0, one, 0, C, 0),
    ArgumentError,
    ["gemm:", "M must be a non-negative integer", "-1"],
    snap,
  );
  bad(
    "gemm",
    "fractional K",
    () => T.gemm(2, 2, 1.5, one, 0, one, 0, C, 0),
    ArgumentError,
    ["gemm:", "K", "1.5"],
    snap,
  );
  bad(
    "gemm",
    "A too short",
    () => T.gemm(2, 2, 2, one, 0, one, 0, C, 0),
    ShapeError,
    ["gemm:", "A holds 2 elements", "needs 4"],
    snap,
  );
  bad(
    "gemm",
    "C too short for its offset",
    () => T.gemm(2, 2, 1, one, 0, one, 0, C, 1),
    ShapeError,
    ["gemm:", "C holds 4", "needs 5"],
    snap,
  );
  bad(
    "gemm",
    "B is a plain array",
    () => T.gemm(2, 2, 1, one, 0, [1, 2] as never, 0, C, 0),
    ArgumentError,
    ["gemm:", "B must be a typed array", "an array of length 2"],
    snap,
  );
}
bad("setMatmulBackend", "unknown backend", () => T.setMatmulBackend("gpu" as never), ArgumentError, [
  "setMatmulBackend:",
  '"gpu"',
  "auto, wasm or js",
]);
bad("setRowKernelBackend", "unknown backend", () => T.setRowKernelBackend("simd" as never), ArgumentError, [
  "setRowKernelBackend:",
  '"simd"',
  "auto, wasm or js",
]);
bad("setUnaryKernelBackend", "unknown backend", () => T.setUnaryKernelBackend("simd" as never), ArgumentError, [
  "setUnaryKernelBackend:",
  '"simd"',
  "auto, wasm or js",
]);
bad("setOptimizerKernelBackend", "unknown backend", () => T.setOptimizerKernelBackend("simd" as never), ArgumentError, [
  "setOptimizerKernelBackend:",
  '"simd"',
  "auto, wasm or js",
]);
{
  const p = new Float32Array([1, 2, 3]);
  const m = new Float32Array(3);
  const v = new Float32Array(3);
  const opts = { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, step: 1 };
  const snap = () => [Array.from(p), Array.from(m), Array.from(v)];
  bad("adamUpdate", "p is a plain array", () => T.adamUpdate([1, 2, 3] as never, p, m, v, opts), ArgumentError, [
    "adamUpdate:",
    "p must be a Float32Array or Float64Array",
    "an array of length 3",
  ]);
  bad(
    "adamUpdate",
    "v too short",
    () => T.adamUpdate(p, p, m, new Float32Array(2), opts),
    ShapeError,
    ["adamUpdate:", "v has 2 elements but p has 3"],
    snap,
  );
  bad(
    "adamUpdate",
    "step 0",
    () => T.adamUpdate(p, p, m, v, { ...opts, step: 0 }),
    ArgumentError,
    ["adamUpdate:", "step must be an integer >= 1", "0"],
    snap,
  );
  bad(
    "adamUpdate",
    "NaN lr",
    () => T.adamUpdate(p, p, m, v, { ...opts, lr: Number.NaN }),
    ArgumentError,
    ["adamUpdate:", "lr must be a number", "NaN"],
    snap,
  );
  bad(
    "adamUpdate",
    "no options",
    () => T.adamUpdate(p, p, m, v, undefined as never),
    ArgumentError,
    ["adamUpdate:", "opts must be an options object"],
    snap,
  );
}
bad("setCodegenEnabled", "a string", () => T.setCodegenEnabled("no" as never), ArgumentError, [
  "setCodegenEnabled:",
  "boolean",
  'the string "no"',
]);

// ---------------------------------------------------------------- layer norm
bad("layerNorm", "NaN eps", () => T.layerNorm(f32([2, 3]), 3, null, null, Number.NaN), ArgumentError, [
  "layerNorm:",
  "eps must be a finite number >= 0",
  "NaN",
]);
bad("layerNorm", "negative eps", () => T.layerNorm(f32([2, 3]), 3, null, null, -1), ArgumentError, [
  "layerNorm:",
  "eps",
  "-1",
]);
bad(
  "layerNorm",
  "size that does not divide the input",
  () => T.layerNorm(f32([2, 3]), 4, null, null, 1e-5),
  ShapeError,
  ["layerNorm:", "[2,3] does not end with 4 normalized elements"],
);
bad("layerNorm", "zero size", () => T.layerNorm(f32([2, 3]), 0, null, null, 1e-5), ShapeError, [
  "layerNorm:",
  "0 normalized elements",
]);
bad("layerNorm", "fractional size", () => T.layerNorm(f32([2, 3]), 1.5, null, null, 1e-5), ArgumentError, [
  "layerNorm:",
  "size",
  "1.5",
]);
bad("layerNorm", "weight of the wrong size", () => T.layerNorm(f32([2, 3]), 3, f32([4]), null, 1e-5), ShapeError, [
  "layerNorm:",
  "weight of shape [4] must have 3 elements",
]);
bad("layerNorm", "a Tensor bias", () => T.layerNorm(f32([2, 3]), 3, null, new Tensor() as never, 1e-5), ArgumentError, [
  "layerNorm:",
  "bias must be an NDArray",
]);
bad("layerNorm", "null input", () => T.layerNorm(null as never, 3, null, null, 1e-5), ArgumentError, [
  "layerNorm:",
  "input",
  "got null",
]);
bad(
  "layerNormBackward",
  "gradient of another shape",
  () => {
    const { mean, rstd } = T.layerNorm(f32([2, 3]), 3, null, null, 1e-5);
    return T.layerNormBackward(f32([3, 2]), f32([2, 3]), 3, mean, rstd, null);
  },
  ShapeError,
  ["layerNormBackward:", "gradient of shape [3,2] must match the input's shape [2,3]"],
);
bad(
  "layerNormBackward",
  "mean of the wrong size",
  () => {
    const { rstd } = T.layerNorm(f32([2, 3]), 3, null, null, 1e-5);
    return T.layerNormBackward(f32([2, 3]), f32([2, 3]), 3, f32([5]), rstd, null);
  },
  ShapeError,
  ["layerNormBackward:", "mean [5]", "one entry per row (2)"],
);
bad(
  "layerNormBackward",
  "null rstd",
  () => T.layerNormBackward(f32([2, 3]), f32([2, 3]), 3, f32([2]), null as never, null),
  ArgumentError,
  ["layerNormBackward:", "rstd", "got null"],
);

// ---------------------------------------------------------------- fused cross-entropy kernels
{
  const t = (target: NDArray, valid = T.ones([2], { dtype: "int32" })) => ({ target, valid });
  bad("softmaxCrossEntropy", "1-d logits", () => T.softmaxCrossEntropy(f32([3]), t(idx([0, 1]))), ShapeError, [
    "softmaxCrossEntropy:",
    "logits must be 2-d (N, C)",
    "[3]",
  ]);
  bad(
    "softmaxCrossEntropyForward",
    "1-d logits",
    () => T.softmaxCrossEntropyForward(f32([3]), t(idx([0, 1]))),
    ShapeError,
    ["softmaxCrossEntropy:", "logits must be 2-d (N, C)", "[3]"],
  );
  bad("softmaxCrossEntropy", "float class targets", () => T.softmaxCrossEntropy(f32([2, 3]), t(f32([2]))), DTypeError, [
    "softmaxCrossEntropy:",
    "target must be int32 with 2 entries",
    "float32 of shape [2]",
  ]);
  bad(
    "softmaxCrossEntropy",
    "valid of the wrong size",
    () => T.softmaxCrossEntropy(f32([2, 3]), t(idx([0, 1]), f32([3]))),
    ShapeError,
    ["softmaxCrossEntropy:", "valid must have 2 entries"],
  );
  bad(
    "softmaxCrossEntropy",
    "weight of the wrong size",
    () => T.softmaxCrossEntropy(f32([2, 3]), { ...t(idx([0, 1])), weight: f32([2]) }),
    ShapeError,
    ["softmaxCrossEntropy:", "weight must have 3 entries"],
  );
  bad(
    "softmaxCrossEntropyBackward",
    "target count differs",
    () => T.softmaxCrossEntropyBackward(f32([2]), f32([2, 3]), t(idx([0, 1, 2]))),
    DTypeError,
    ["softmaxCrossEntropyBackward:", "int32 with 2 entries", "[3]"],
  );
}

// ---------------------------------------------------------------- printing
for (const [what, v, shown] of NOT_ARRAYS_OR_NUMBERS) {
  bad("formatNDArray", what, () => T.formatNDArray(v as never), ArgumentError, [
    "formatNDArray:",
    "expected an NDArray",
    shown,
  ]);
}

/**
 * Exports with nothing to validate, each with the reason. Everything else must appear in CASES.
 */
const EXEMPT: Record<string, string> = {
  CrossEntropySaved:
    "made by softmaxCrossEntropyForward only (its constructor is internal); its inputs were validated there",
  ArgumentError: "error class",
  DTypeError: "error class",
  IndexError: "error class",
  ShapeError: "error class",
  StateError: "error class",
  fmtShape: "formats a shape for messages; any array prints",
  describeValue: "describes any value for messages; total over all inputs",
  clearBufferPool: "takes no arguments",
  pooledBufferBytes: "takes no arguments",
  castScalar: "hot scalar cast used per element inside kernels; callers pass validated dtypes",
  isFloat: "predicate: any string is answered (false for unknown dtypes)",
  floatDType: "total over DType; callers pass validated dtypes",
  getDefaultRng: "takes no arguments",
  getMatmulBackend: "takes no arguments",
  getRowKernelBackend: "takes no arguments",
  getOptimizerKernelBackend: "takes no arguments",
  getUnaryKernelBackend: "takes no arguments",
  wasmSimdSupported: "takes no arguments",
  shapeArgs: "reshapes call-style arguments; the consumer validates the sizes",
  shapeSize: "hot helper on validated shapes (product of sizes)",
  shapesEqual: "predicate: any two arrays compare",
  contiguousStrides: "hot helper on validated shapes",
  isContiguousLayout: "hot predicate on a validated layout",
  stridedOffsets: "hot kernel helper on a validated layout (every op calls it)",
  erf: "scalar math like Math.exp: NaN in gives NaN out by definition",
  erfc: "scalar math like Math.exp",
  normalCdf: "scalar math like Math.exp",
  normalPdf: "scalar math like Math.exp",
  fastExp: "scalar math like Math.exp",
  fastTanh: "scalar math like Math.tanh",
  softmaxCrossEntropyCoefficients:
    "kernel of the fused cross-entropy's double backward; in cross-entropy.ts (another helper's file), fed only by the checked autograd op",
};

describe("@typegrad/tensor bad-input audit", () => {
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

  it("covers every exported function and class (or exempts it with a reason)", () => {
    const covered = new Set(CASES.map((c) => c.api));
    const missing = Object.entries(T)
      .filter(([name, v]) => typeof v === "function" && !covered.has(name) && !(name in EXEMPT))
      .map(([name]) => name);
    expect(missing).toEqual([]);
    // Exemptions must name real exports.
    expect(Object.keys(EXEMPT).filter((k) => !(k in T))).toEqual([]);
  });

  afterAll(() => {
    console.log(
      `[bad-input audit] @typegrad/tensor: ${CASES.length} bad inputs tried over ${new Set(CASES.map((c) => c.api)).size} exports`,
    );
  });
});

export const BAD_INPUT_COUNT = CASES.length;
