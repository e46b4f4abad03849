/**
 * Every kernel on non-contiguous inputs (transposed, narrowed, expanded with stride 0, permuted 3-d)
 * must agree with (a) the same kernel on contiguous clones and (b) a naive plain-JS reference.
 */
import { describe, expect, it } from "vitest";
import {
  abs,
  add,
  argmax,
  argmin,
  atan2,
  cat,
  clamp,
  cos,
  type DType,
  div,
  eq,
  erf,
  erfArray,
  exp,
  floor,
  gather,
  ge,
  gelu,
  indexAdd,
  indexSelect,
  isnan,
  log,
  logSoftmax,
  logsumexp,
  lt,
  matmul,
  max,
  maximum,
  mean,
  min,
  minimum,
  mul,
  NDArray,
  ne,
  neg,
  pow,
  Rng,
  randint,
  reciprocal,
  relu,
  rsqrt,
  scatterAdd,
  sigmoid,
  sign,
  silu,
  sin,
  softmax,
  softplus,
  sqrt,
  square,
  stack,
  sub,
  sum,
  sumToShape,
  tanh,
  variance,
  where,
} from "../src/index.js";
import {
  expectClose,
  gen,
  makeVariant,
  ncIndex,
  type Ref,
  rargmax,
  rargmin,
  refAlong,
  refBinary,
  refCat,
  refGather,
  refIndexAdd,
  refIndexSelect,
  refMap,
  refMatmul,
  refOf,
  refReduce,
  refScatterAdd,
  refStack,
  refSumToShape,
  refWhere,
  reversedView,
  rlogSoftmax,
  rlogsumexp,
  rmax,
  rmean,
  rmin,
  rsoftmax,
  rsum,
  rvar,
  scalarRef,
  tolFor,
  VARIANTS,
  type Variant,
} from "./helpers.js";

/** A strided (stride 2) 1-d view of length n. */
function strided1d(n: number, dtype: DType, seed: number, positive = false): NDArray {
  const v = gen([n, 2], dtype, seed, positive).narrow(1, 1, 1).squeeze(1);
  expect(v.strides).toEqual([2]);
  return v;
}

/** A strided 1-d int32 index of length n with values in [0, high). */
function index1d(n: number, high: number, seed: number): NDArray {
  return randint(0, high, [n, 2], { rng: new Rng(seed) })
    .narrow(1, 0, 1)
    .squeeze(1);
}

interface Ctx {
  v: Variant;
  dtype: DType;
  /** Another array built by the same variant (same shape, same kind of strides), fresh data. */
  like(seed: number, positive?: boolean): NDArray;
  /** A view with all dims reversed (non-contiguous) of an arbitrary shape. */
  rev(shape: number[], seed: number, positive?: boolean): NDArray;
  /** A stride-2 1-d array. */
  vec(n: number, seed: number, positive?: boolean): NDArray;
  /** A bool array built by the same variant. */
  cond(seed: number): NDArray;
}

interface Entry {
  name: string;
  positive?: boolean;
  skip?: (dtype: DType) => boolean;
  inputs: (x: NDArray, c: Ctx) => NDArray[];
  run: (a: NDArray[]) => NDArray;
  ref: (r: Ref[]) => Ref;
}

const at = <T>(xs: T[], i: number): T => xs[i] as T;
const x0 = (x: NDArray): NDArray[] => [x];

function unary(name: string, fn: (x: NDArray) => NDArray, refFn: (v: number) => number, positive = false): Entry {
  return { name, positive, inputs: x0, run: (a) => fn(at(a, 0)), ref: (r) => refMap(at(r, 0), refFn) };
}

function binary(
  name: string,
  fn: (a: NDArray, b: NDArray) => NDArray,
  refFn: (x: number, y: number) => number,
  other: (x: NDArray, c: Ctx) => NDArray,
  positive = false,
): Entry {
  return {
    name,
    positive,
    inputs: (x, c) => [x, other(x, c)],
    run: (a) => fn(at(a, 0), at(a, 1)),
    ref: (r) => refBinary(at(r, 0), at(r, 1), refFn),
  };
}

const likeOther = (_x: NDArray, c: Ctx) => c.like(101);
const revOther = (x: NDArray, c: Ctx) => c.rev(x.shape.slice(), 102);
const rowOther = (x: NDArray, c: Ctx) => c.vec(x.shape[x.ndim - 1] as number, 103);
const posLike = (_x: NDArray, c: Ctx) => c.like(104, true);
const phi = (v: number): number => 0.5 * (1 + erf(v / Math.SQRT2));

const ENTRIES: Entry[] = [
  // ---- unary ----
  unary("neg", neg, (v) => -v),
  unary("abs", abs, Math.abs),
  unary("exp", exp, Math.exp),
  unary("log", log, Math.log, true),
  unary("sqrt", sqrt, Math.sqrt, true),
  unary("rsqrt", rsqrt, (v) => 1 / Math.sqrt(v), true),
  unary("reciprocal", reciprocal, (v) => 1 / v, true),
  unary("square", square, (v) => v * v),
  unary("tanh", tanh, Math.tanh),
  unary("sigmoid", sigmoid, (v) => 1 / (1 + Math.exp(-v))),
  unary("relu", relu, (v) => Math.max(v, 0)),
  unary(
    "gelu",
    (x) => gelu(x),
    (v) => v * phi(v),
  ),
  unary(
    "gelu tanh",
    (x) => gelu(x, "tanh"),
    (v) => 0.5 * v * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (v + 0.044715 * v ** 3))),
  ),
  unary("silu", silu, (v) => v / (1 + Math.exp(-v))),
  unary(
    "softplus",
    (x) => softplus(x),
    (v) => Math.log(1 + Math.exp(v)),
  ),
  unary("sin", sin, Math.sin),
  unary("cos", cos, Math.cos),
  unary("sign", sign, Math.sign),
  unary("floor", floor, Math.floor),
  unary("erf", erfArray, erf),
  unary("isnan", isnan, (v) => (Number.isNaN(v) ? 1 : 0)),
  unary(
    "clamp(-0.5, 0.5)",
    (x) => clamp(x, -0.5, 0.5),
    (v) => Math.min(0.5, Math.max(-0.5, v)),
  ),
  unary(
    "clamp(min=0)",
    (x) => clamp(x, 0),
    (v) => Math.max(0, v),
  ),
  unary(
    "clamp(max=1)",
    (x) => clamp(x, undefined, 1),
    (v) => Math.min(1, v),
  ),
  // ---- binary with broadcasting ----
  binary("add nc+nc (same layout)", add, (x, y) => x + y, likeOther),
  binary("add nc+reversed", add, (x, y) => x + y, revOther),
  binary("add nc+strided row", add, (x, y) => x + y, rowOther),
  binary("sub nc-reversed", sub, (x, y) => x - y, revOther),
  binary(
    "sub row-nc",
    (a, b) => sub(b, a),
    (x, y) => y - x,
    rowOther,
  ),
  binary("mul nc*nc", mul, (x, y) => x * y, likeOther),
  binary("mul nc*row", mul, (x, y) => x * y, rowOther),
  binary("div nc/positive nc", div, (x, y) => x / y, posLike),
  binary("pow positive^positive", pow, (x, y) => x ** y, posLike, true),
  binary("maximum", maximum, Math.max, revOther),
  binary("minimum with row", minimum, Math.min, rowOther),
  binary("atan2", atan2, Math.atan2, likeOther),
  binary("lt", lt, (x, y) => (x < y ? 1 : 0), revOther),
  binary("ge with row", ge, (x, y) => (x >= y ? 1 : 0), rowOther),
  binary("ne", ne, (x, y) => (x !== y ? 1 : 0), likeOther),
  {
    name: "eq x==x (same view twice)",
    inputs: x0,
    run: (a) => eq(at(a, 0), at(a, 0)),
    ref: (r) => refMap(at(r, 0), () => 1),
  },
  { name: "add x + 2 (number)", inputs: x0, run: (a) => add(at(a, 0), 2), ref: (r) => refMap(at(r, 0), (v) => v + 2) },
  {
    name: "mul 3 * x (number first)",
    inputs: x0,
    run: (a) => mul(3, at(a, 0)),
    ref: (r) => refMap(at(r, 0), (v) => 3 * v),
  },
  {
    name: "sub 1 - x (number first)",
    inputs: x0,
    run: (a) => sub(1, at(a, 0)),
    ref: (r) => refMap(at(r, 0), (v) => 1 - v),
  },
  // ---- where ----
  {
    name: "where(nc cond, nc, reversed)",
    inputs: (x, c) => [c.cond(201), x, c.rev(x.shape.slice(), 202)],
    run: (a) => where(at(a, 0), at(a, 1), at(a, 2)),
    ref: (r) => refWhere(at(r, 0), at(r, 1), at(r, 2)),
  },
  {
    name: "where(nc cond, row, 0)",
    inputs: (x, c) => [c.cond(203), c.vec(x.shape[x.ndim - 1] as number, 204)],
    run: (a) => where(at(a, 0), at(a, 1), 0),
    ref: (r) => refWhere(at(r, 0), at(r, 1), scalarRef(0)),
  },
  // ---- reductions ----
  ...reductions(),
  // ---- softmax family ----
  { name: "softmax(-1)", inputs: x0, run: (a) => softmax(at(a, 0), -1), ref: (r) => refAlong(at(r, 0), -1, rsoftmax) },
  { name: "softmax(0)", inputs: x0, run: (a) => softmax(at(a, 0), 0), ref: (r) => refAlong(at(r, 0), 0, rsoftmax) },
  { name: "softmax(1)", inputs: x0, run: (a) => softmax(at(a, 0), 1), ref: (r) => refAlong(at(r, 0), 1, rsoftmax) },
  {
    name: "logSoftmax(-1)",
    inputs: x0,
    run: (a) => logSoftmax(at(a, 0), -1),
    ref: (r) => refAlong(at(r, 0), -1, rlogSoftmax),
  },
  {
    name: "logSoftmax(0)",
    inputs: x0,
    run: (a) => logSoftmax(at(a, 0), 0),
    ref: (r) => refAlong(at(r, 0), 0, rlogSoftmax),
  },
  // ---- matmul ----
  {
    name: "matmul(x, x^T)",
    inputs: (x) => [x, x.transpose(-1, -2)],
    run: (a) => matmul(at(a, 0), at(a, 1)),
    ref: (r) => refMatmul(at(r, 0), at(r, 1)),
  },
  {
    name: "matmul(x^T, x)",
    inputs: (x) => [x.transpose(-1, -2), x],
    run: (a) => matmul(at(a, 0), at(a, 1)),
    ref: (r) => refMatmul(at(r, 0), at(r, 1)),
  },
  {
    name: "matmul(x, reversed [k,3])",
    inputs: (x, c) => [x, c.rev([x.shape[x.ndim - 1] as number, 3], 301)],
    run: (a) => matmul(at(a, 0), at(a, 1)),
    ref: (r) => refMatmul(at(r, 0), at(r, 1)),
  },
  {
    name: "matmul(x, strided vector)",
    inputs: (x, c) => [x, c.vec(x.shape[x.ndim - 1] as number, 302)],
    run: (a) => matmul(at(a, 0), at(a, 1)),
    ref: (r) => refMatmul(at(r, 0), at(r, 1)),
  },
  {
    name: "matmul(strided vector, x)",
    inputs: (x, c) => [c.vec(x.shape[x.ndim - 2] as number, 303), x],
    run: (a) => matmul(at(a, 0), at(a, 1)),
    ref: (r) => refMatmul(at(r, 0), at(r, 1)),
  },
  // ---- indexing ----
  ...indexing(),
  // ---- cat / stack ----
  {
    name: "cat([x, like], 0)",
    inputs: (x, c) => [x, c.like(401)],
    run: (a) => cat(a, 0),
    ref: (r) => refCat(r, 0),
  },
  {
    name: "cat([x, reversed narrower], -1)",
    inputs: (x, c) => [x, c.rev([...x.shape.slice(0, -1), 2], 402)],
    run: (a) => cat(a, -1),
    ref: (r) => refCat(r, -1),
  },
  {
    name: "stack([x, reversed], 1)",
    inputs: (x, c) => [x, c.rev(x.shape.slice(), 403)],
    run: (a) => stack(a, 1),
    ref: (r) => refStack(r, 1),
  },
  { name: "stack([x, x], -1)", inputs: (x) => [x, x], run: (a) => stack(a, -1), ref: (r) => refStack(r, -1) },
  // ---- sumToShape ----
  ...sumToShapes(),
];

function reductions(): Entry[] {
  type Spec = [string, (x: NDArray) => NDArray, (r: Ref) => Ref];
  const red = (dims: number | number[] | undefined, keepdim: boolean, fn: (v: number[]) => number) => (r: Ref) =>
    refReduce(r, dims, keepdim, fn);
  const specs: Spec[] = [
    ["sum()", (x) => sum(x), red(undefined, false, rsum)],
    ["sum(0)", (x) => sum(x, 0), red(0, false, rsum)],
    ["sum(-1, keepdim)", (x) => sum(x, -1, true), red(-1, true, rsum)],
    ["sum([0, -1])", (x) => sum(x, [0, -1]), red([0, -1], false, rsum)],
    ["sum([-1, 0], keepdim)", (x) => sum(x, [-1, 0], true), red([0, -1], true, rsum)],
    ["mean(1)", (x) => mean(x, 1), red(1, false, rmean)],
    ["mean([0, 1], keepdim)", (x) => mean(x, [0, 1], true), red([0, 1], true, rmean)],
    ["mean()", (x) => mean(x), red(undefined, false, rmean)],
    ["var(-1)", (x) => variance(x, -1), red(-1, false, rvar(1))],
    [
      "var(0, unbiased false, keepdim)",
      (x) => variance(x, 0, { unbiased: false, keepdim: true }),
      red(0, true, rvar(0)),
    ],
    ["var()", (x) => variance(x), red(undefined, false, rvar(1))],
    ["max()", (x) => max(x), red(undefined, false, rmax)],
    ["max(0)", (x) => max(x, 0), red(0, false, rmax)],
    ["max(-1, keepdim)", (x) => max(x, -1, true), red(-1, true, rmax)],
    ["min(1)", (x) => min(x, 1), red(1, false, rmin)],
    ["min([0, -1])", (x) => min(x, [0, -1]), red([0, -1], false, rmin)],
    ["argmax()", (x) => argmax(x), red(undefined, false, rargmax)],
    ["argmax(0)", (x) => argmax(x, 0), red(0, false, rargmax)],
    ["argmax(-1, keepdim)", (x) => argmax(x, -1, true), red(-1, true, rargmax)],
    ["argmin(1)", (x) => argmin(x, 1), red(1, false, rargmin)],
    ["argmin(-1)", (x) => argmin(x, -1), red(-1, false, rargmin)],
    ["logsumexp(-1)", (x) => logsumexp(x, -1), red(-1, false, rlogsumexp)],
    ["logsumexp([0, 1], keepdim)", (x) => logsumexp(x, [0, 1], true), red([0, 1], true, rlogsumexp)],
    ["logsumexp()", (x) => logsumexp(x), red(undefined, false, rlogsumexp)],
  ];
  return specs.map(([name, fn, ref]) => ({ name, inputs: x0, run: (a) => fn(at(a, 0)), ref: (r) => ref(at(r, 0)) }));
}

/** Index shape: x's shape with `dim` replaced by 2 (and one other dim shrunk, as gather allows). */
function indexShape(x: NDArray, dim: number): number[] {
  const d = dim < 0 ? dim + x.ndim : dim;
  return x.shape.map((s, i) => (i === d ? 2 : i === 0 && d !== 0 ? Math.max(1, s - 1) : s));
}

function indexing(): Entry[] {
  const out: Entry[] = [];
  for (const dim of [0, -1, 1]) {
    out.push({
      name: `gather(dim ${dim}, nc index)`,
      inputs: (x) => [x, ncIndex(indexShape(x, dim), x.shape.at(dim) as number, 500 + dim)],
      run: (a) => gather(at(a, 0), dim, at(a, 1)),
      ref: (r) => refGather(at(r, 0), dim, at(r, 1)),
    });
    out.push({
      name: `scatterAdd(dim ${dim}, nc index, nc src)`,
      inputs: (x, c) => [x, ncIndex(indexShape(x, dim), x.shape.at(dim) as number, 510 + dim), c.like(520)],
      run: (a) => scatterAdd(at(a, 0), dim, at(a, 1), at(a, 2)),
      ref: (r) => refScatterAdd(at(r, 0), dim, at(r, 1), at(r, 2)),
    });
    out.push({
      name: `indexSelect(dim ${dim}, strided index)`,
      inputs: (x) => [x, index1d(6, x.shape.at(dim) as number, 530 + dim)],
      run: (a) => indexSelect(at(a, 0), dim, at(a, 1)),
      ref: (r) => refIndexSelect(at(r, 0), dim, at(r, 1).data),
    });
    out.push({
      name: `indexAdd(dim ${dim}, strided index, reversed src)`,
      inputs: (x, c) => {
        const shape = x.shape.slice();
        shape[dim < 0 ? dim + x.ndim : dim] = 6;
        return [x, index1d(6, x.shape.at(dim) as number, 540 + dim), c.rev(shape, 541)];
      },
      run: (a) => indexAdd(at(a, 0), dim, at(a, 1), at(a, 2)),
      ref: (r) => refIndexAdd(at(r, 0), dim, at(r, 1).data, at(r, 2)),
    });
  }
  return out;
}

function sumToShapes(): Entry[] {
  const targets = (x: NDArray): number[][] =>
    x.ndim === 2 ? [[1, 5], [4, 1], [5], [1, 1], []] : [[1, 4, 1], [4, 5], [3, 1, 1], [5], []];
  return [0, 1, 2, 3, 4].map((k) => ({
    name: `sumToShape #${k}`,
    inputs: x0,
    run: (a) => sumToShape(at(a, 0), at(targets(at(a, 0)), k)),
    ref: (r) => refSumToShape(at(r, 0), at(targets({ ndim: at(r, 0).shape.length } as NDArray), k)),
  }));
}

const refSnapshot = (a: NDArray[]): Ref[] => a.map(refOf);

describe.each(VARIANTS)("non-contiguous input: $name", (v) => {
  describe.each(["float32", "float64", "int32"] as DType[])("%s", (dtype) => {
    const c: Ctx = {
      v,
      dtype,
      like: (seed, positive = false) => makeVariant(v, dtype, seed, positive),
      rev: (shape, seed, positive = false) => reversedView(shape, dtype, seed, positive),
      vec: (n, seed, positive = false) => strided1d(n, dtype, seed, positive),
      cond: (seed) => v.view(gen(v.base, "bool", seed)),
    };
    it.each(ENTRIES.map((e) => [e.name, e] as const))("%s", (_, e) => {
      const x = makeVariant(v, dtype, 7, e.positive ?? false);
      const inputs = e.inputs(x, c);
      const before = refSnapshot(inputs);
      const out = e.run(inputs);
      const clones = inputs.map((a) => a.clone());
      for (const cl of clones) expect(cl.isContiguous()).toBe(true);
      const outContig = e.run(clones);
      const tol = tolFor(out.dtype === "float64" ? "float64" : "float32");
      expect(out).toBeInstanceOf(NDArray);
      expect(out.dtype).toBe(outContig.dtype);
      expectClose(out, outContig, tol);
      expectClose(out, e.ref(before), tol);
      // kernels never write into their inputs
      expect(refSnapshot(inputs)).toEqual(before);
    });
  });
});
