/**
 * Every primitive op's backward rule against finite differences, in float64: plain inputs, broadcast
 * operands, and leaves that are themselves non-contiguous views (transposed, narrowed, expanded,
 * permuted). A primitive without an entry here fails the suite.
 */
import * as nd from "@typegrad/tensor";
import { describe, expect, it } from "vitest";
import {
  cat,
  type GradcheckOptions,
  gradcheck,
  indexAdd,
  lift,
  maskedFill,
  primitiveOps,
  scatterAdd,
  stack,
  sumToShape,
  type Tensor,
  where,
} from "../src/index.js";
import * as ops from "../src/ops/index.js";
import { awayFromZero, Gen, int32, opsIn, uniform } from "./helpers.js";

type Fn = (...xs: Tensor[]) => Tensor;

interface Entry {
  /** The op under test: a primitive name (must then appear in the recorded graph) or a composite's name. */
  op: string;
  name: string;
  build: (g: Gen) => { inputs: Tensor[]; fn: Fn };
  opts?: GradcheckOptions;
}

const table: Entry[] = [];

/** Adds an entry whose inputs are built from the generator and whose fn needs no other constants. */
function check(op: string, name: string, inputs: (g: Gen) => Tensor[], fn: Fn, opts?: GradcheckOptions): void {
  table.push({ op, name, build: (g) => ({ inputs: inputs(g), fn }), ...(opts ? { opts } : {}) });
}

/** Adds an entry that builds constants (masks, indices) together with its fn. */
function checkWith(op: string, name: string, build: Entry["build"], opts?: GradcheckOptions): void {
  table.push({ op, name, build, ...(opts ? { opts } : {}) });
}

const positive = uniform(0.5, 2);
const away = awayFromZero(0.2);

// ---- binary arithmetic: plain, broadcast both ways, non-contiguous, scalars ----
for (const op of ["add", "sub", "mul"] as const) {
  const f: Fn = (a, b) => a[op](b);
  check(op, "[3,4] with [3,4]", (g) => [g.leaf([3, 4]), g.leaf([3, 4])], f);
  check(op, "broadcast [3,4] with [4]", (g) => [g.leaf([3, 4]), g.leaf([4])], f);
  check(op, "broadcast [3,1] with [4]", (g) => [g.leaf([3, 1]), g.leaf([4])], f);
  check(op, "broadcast [4] with [3,4]", (g) => [g.leaf([4]), g.leaf([3, 4])], f);
  check(op, "broadcast [3,4] with [3,1]", (g) => [g.leaf([3, 4]), g.leaf([3, 1])], f);
  check(op, "transposed with narrowed", (g) => [g.transposed([3, 4]), g.narrowed([3, 4])], f);
  check(op, "expanded with permuted", (g) => [g.expanded([2, 3, 4]), g.permuted([2, 3, 4])], f);
  check(op, "transposed broadcast with [1,4]", (g) => [g.transposed([3, 4]), g.leaf([1, 4])], f);
  check(
    op,
    "tensor with a number",
    (g) => [g.leaf([3, 4])],
    (a) => a[op](2.5),
  );
  check(
    op,
    "number with tensor",
    (g) => [g.leaf([3, 4])],
    (a) => lift(2.5, a)[op](a),
  );
  check(
    op,
    "the same tensor twice",
    (g) => [g.leaf([3, 4])],
    (a) => a[op](a).mul(a),
  );
}
check(
  "div",
  "[3,4] / [3,4]",
  (g) => [g.leaf([3, 4]), g.leaf([3, 4], away)],
  (a, b) => a.div(b),
);
check(
  "div",
  "broadcast [3,4] / [4]",
  (g) => [g.leaf([3, 4]), g.leaf([4], away)],
  (a, b) => a.div(b),
);
check(
  "div",
  "broadcast [3,1] / [1,4]",
  (g) => [g.leaf([3, 1]), g.leaf([1, 4], away)],
  (a, b) => a.div(b),
);
check(
  "div",
  "transposed / narrowed",
  (g) => [g.transposed([3, 4]), g.narrowed([3, 4], away)],
  (a, b) => a.div(b),
);
check(
  "div",
  "permuted / expanded",
  (g) => [g.permuted([2, 3, 4]), g.expanded([2, 3, 4], away)],
  (a, b) => a.div(b),
);
check(
  "div",
  "number / tensor",
  (g) => [g.leaf([3, 4], away)],
  (a) => lift(3, a).div(a),
);

check(
  "pow",
  "positive base ** tensor exponent",
  (g) => [g.leaf([3, 4], positive), g.leaf([3, 4])],
  (a, b) => a.pow(b),
);
check(
  "pow",
  "broadcast [3,4] ** [4]",
  (g) => [g.leaf([3, 4], positive), g.leaf([4])],
  (a, b) => a.pow(b),
);
check(
  "pow",
  "broadcast [3,1] ** [1,4]",
  (g) => [g.leaf([3, 1], positive), g.leaf([1, 4])],
  (a, b) => a.pow(b),
);
check(
  "pow",
  "transposed base ** narrowed exponent",
  (g) => [g.transposed([3, 4], positive), g.narrowed([3, 4])],
  (a, b) => a.pow(b),
);
check(
  "pow",
  "expanded ** permuted",
  (g) => [g.expanded([2, 3, 4], positive), g.permuted([2, 3, 4])],
  (a, b) => a.pow(b),
);
check(
  "pow",
  "x ** 3 (any sign)",
  (g) => [g.leaf([3, 4])],
  (a) => a.pow(3),
);
check(
  "pow",
  "x ** 2.5",
  (g) => [g.leaf([3, 4], positive)],
  (a) => a.pow(2.5),
);
check(
  "pow",
  "x ** -1.5",
  (g) => [g.leaf([3, 4], positive)],
  (a) => a.pow(-1.5),
);
check(
  "pow",
  "x ** 0 has zero gradient",
  (g) => [g.leaf([3, 4])],
  (a) => a.pow(0),
);
check(
  "pow",
  "number ** tensor",
  (g) => [g.leaf([3, 4])],
  (a) => lift(1.7, a).pow(a),
);

// maximum/minimum without ties: b = a ± a margin the finite-difference step cannot cross.
for (const op of ["maximum", "minimum"] as const) {
  const apart = (a: Tensor, rng: nd.Rng): Tensor =>
    a
      .detach()
      .add(lift(awayFromZero(0.3)(a.shape, rng)))
      .requiresGrad_();
  check(
    op,
    "[3,4] with [3,4]",
    (g) => {
      const a = g.leaf([3, 4]);
      return [a, apart(a, g.rng)];
    },
    (a, b) => a[op](b),
  );
  checkWith(op, "broadcast [3,4] with [4]", (g) => {
    const a = g.leaf([3, 4], uniform(-3, -1));
    const b = g.leaf([4], uniform(-0.5, 0.5));
    // Lift one column of a above b, so both operands receive some of the gradient.
    const a2 = a
      .detach()
      .add(lift(nd.array([0, 4, 0, 0], { dtype: "float64" })))
      .requiresGrad_();
    return { inputs: [a2, b], fn: (x, y) => x[op](y) };
  });
  check(
    op,
    "broadcast [3,1] with [1,4]",
    (g) => [g.leaf([3, 1], uniform(0, 1)), g.leaf([1, 4], uniform(1.5, 2))],
    (a, b) => a[op](b).mul(a),
  );
  check(
    op,
    "transposed with narrowed",
    (g) => [g.transposed([3, 4], uniform(-2, -1)), g.narrowed([3, 4], uniform(1, 2))],
    (a, b) => a[op](b),
  );
  check(
    op,
    "with a number",
    (g) => [g.leaf([3, 4], away)],
    (a) => a[op](0),
  );
}

// ---- unary ----
const unary: [string, (x: Tensor) => Tensor, ((shape: readonly number[], rng: nd.Rng) => nd.NDArray)?][] = [
  ["neg", (x) => x.neg()],
  ["exp", (x) => x.exp()],
  ["log", (x) => x.log(), positive],
  ["log1p", (x) => x.log1p(), uniform(-0.5, 2)],
  ["sqrt", (x) => x.sqrt(), positive],
  ["rsqrt", (x) => x.rsqrt(), positive],
  ["abs", (x) => x.abs(), away],
  ["sign", (x) => x.sign().mul(x), away],
  ["sin", (x) => x.sin()],
  ["cos", (x) => x.cos()],
  ["tanh", (x) => x.tanh()],
  ["sigmoid", (x) => x.sigmoid()],
  ["relu", (x) => x.relu(), away],
  ["normalCdf", (x) => ops.normalCdf(x)],
  ["softplus", (x) => x.softplus()],
];
for (const [op, f, dist] of unary) {
  check(op, "[3,4]", (g) => [g.leaf([3, 4], dist)], f);
  check(op, "transposed", (g) => [g.transposed([3, 4], dist)], f);
  check(op, "narrowed", (g) => [g.narrowed([3, 4], dist)], f);
  check(op, "expanded", (g) => [g.expanded([3, 4], dist)], f);
  check(op, "permuted", (g) => [g.permuted([2, 3, 4], dist)], f);
}
check(
  "softplus",
  "beta 2, threshold 1 (both regions)",
  (g) => [g.leaf([4, 5], uniform(-2, 2))],
  (x) => x.softplus(2, 1),
);
checkWith("softplus", "values far above the threshold", (g) => ({
  inputs: [g.leaf([6], uniform(25, 30))],
  fn: (x) => x.softplus(),
}));

// clamp: both bounds, one bound; values kept away from the bounds.
const clampDist = (shape: readonly number[], rng: nd.Rng) => {
  const v = nd.uniform(shape, -2, 2, { dtype: "float64", rng });
  // Move values within 0.05 of a bound (±1, ±0.5) by 0.1.
  return nd.mapUnary(v, (x) => {
    for (const b of [-1, -0.5, 0.5, 1]) if (Math.abs(x - b) < 0.05) return x + 0.1;
    return x;
  });
};
check(
  "clamp",
  "both bounds",
  (g) => [g.leaf([4, 5], clampDist)],
  (x) => x.clamp(-1, 1),
);
check(
  "clamp",
  "min only",
  (g) => [g.leaf([4, 5], clampDist)],
  (x) => x.clamp(-0.5),
);
check(
  "clamp",
  "max only",
  (g) => [g.leaf([4, 5], clampDist)],
  (x) => x.clamp(undefined, 0.5),
);
check(
  "clamp",
  "transposed, both bounds",
  (g) => [g.transposed([4, 5], clampDist)],
  (x) => x.clamp(-1, 1),
);
check(
  "clamp",
  "expanded, min only",
  (g) => [g.expanded([4, 5], clampDist)],
  (x) => x.clamp(-0.5),
);

// cast: through float32 and back; float32 rounding needs a bigger step and a looser tolerance.
const castOpts = { eps: 1e-3, atol: 1e-3, rtol: 1e-2 };
check(
  "cast",
  "float64 -> float32 -> float64",
  (g) => [g.leaf([3, 4])],
  (x) => x.to("float32").mul(2).to("float64"),
  castOpts,
);
check(
  "cast",
  "transposed through float32",
  (g) => [g.transposed([3, 4])],
  (x) => x.float().exp().double(),
  castOpts,
);

// ---- selection ----
checkWith("where", "broadcast cond [3,4], x [4], y [3,1]", (g) => {
  const cond = g.mask([3, 4]);
  return { inputs: [g.leaf([4]), g.leaf([3, 1])], fn: (a, b) => where(cond, a, b) };
});
checkWith("where", "non-contiguous operands and a number", (g) => {
  const cond = g.mask([3, 4]);
  return { inputs: [g.transposed([3, 4])], fn: (a) => where(cond, a, 0.5).add(a.where(cond, 2)) };
});
checkWith("where", "method form x.where(cond, y)", (g) => {
  const cond = g.mask([2, 3, 4]);
  return { inputs: [g.permuted([2, 3, 4]), g.expanded([2, 3, 4])], fn: (a, b) => a.where(cond, b) };
});
checkWith("maskedFill", "broadcast mask", (g) => {
  const mask = g.mask([1, 4]);
  return { inputs: [g.narrowed([3, 4])], fn: (a) => maskedFill(a, mask, -3).mul(a) };
});

// ---- reductions ----
check(
  "sumToShape",
  "[3,4] -> [4]",
  (g) => [g.leaf([3, 4])],
  (x) => sumToShape(x, [4]),
);
check(
  "sumToShape",
  "[3,4] -> [3,1]",
  (g) => [g.transposed([3, 4])],
  (x) => sumToShape(x, [3, 1]),
);
check(
  "sumToShape",
  "[2,3,4] -> [1,1] and [2,1,4]",
  (g) => [g.permuted([2, 3, 4])],
  (x) =>
    sumToShape(x, [3, 1])
      .sum()
      .add(sumToShape(x, [2, 1, 4]).mul(x).sum()),
);
for (const op of ["sum", "mean"] as const) {
  check(
    op,
    "all elements",
    (g) => [g.leaf([3, 4])],
    (x) => x[op](),
  );
  check(
    op,
    "dim 0",
    (g) => [g.transposed([3, 4])],
    (x) => x[op](0),
  );
  check(
    op,
    "dim -1 keepdim",
    (g) => [g.narrowed([3, 4])],
    (x) => x[op](-1, true).mul(x),
  );
  check(
    op,
    "dims [0, 2]",
    (g) => [g.permuted([2, 3, 4])],
    (x) => x[op]([0, 2]),
  );
  check(
    op,
    "expanded over the broadcast dim",
    (g) => [g.expanded([3, 4])],
    (x) => x[op](0),
  );
}
for (const op of ["max", "min"] as const) {
  check(
    op,
    "all elements",
    (g) => [g.leaf([3, 4])],
    (x) => x[op](),
  );
  check(
    op,
    "dim 1",
    (g) => [g.transposed([3, 4])],
    (x) => x[op](1),
  );
  check(
    op,
    "dim 0 keepdim",
    (g) => [g.narrowed([3, 4])],
    (x) => x[op](0, true).mul(x),
  );
  check(
    op,
    "dims [0, 2]",
    (g) => [g.permuted([2, 3, 4])],
    (x) => x[op]([0, 2]),
  );
  check(
    op,
    "dims [1, 2] keepdim",
    (g) => [g.leaf([2, 3, 4])],
    (x) => x[op]([1, 2], true),
  );
}
check(
  "logsumexp",
  "dim -1",
  (g) => [g.leaf([3, 4])],
  (x) => x.logsumexp(-1),
);
check(
  "logsumexp",
  "dims [0, 2]",
  (g) => [g.permuted([2, 3, 4])],
  (x) => x.logsumexp([0, 2]),
);
check(
  "logsumexp",
  "dims [1, 2] keepdim, large values",
  (g) => [g.leaf([2, 3, 4])],
  (x) => x.mul(50).logsumexp([1, 2], true),
);
check(
  "logsumexp",
  "expanded, dim 0",
  (g) => [g.expanded([3, 4])],
  (x) => x.logsumexp(0),
);
check(
  "causalSoftmax",
  "(2, 3, 3)",
  (g) => [g.leaf([2, 3, 3])],
  (x) => ops.causalSoftmax(x),
);
check(
  "causalSoftmax",
  "transposed, L > S",
  (g) => [g.transposed([3, 4])],
  (x) => ops.causalSoftmax(x),
);
check(
  "causalSoftmax",
  "expanded, L < S",
  (g) => [g.expanded([2, 2, 5])],
  (x) => ops.causalSoftmax(x),
);
for (const op of ["softmax", "logSoftmax"] as const) {
  check(
    op,
    "dim -1",
    (g) => [g.leaf([3, 4])],
    (x) => x[op](-1),
  );
  check(
    op,
    "dim 0",
    (g) => [g.leaf([3, 4])],
    (x) => x[op](0),
  );
  check(
    op,
    "transposed, dim -1",
    (g) => [g.transposed([3, 4])],
    (x) => x[op](-1),
  );
  check(
    op,
    "permuted, dim 1",
    (g) => [g.permuted([2, 3, 4])],
    (x) => x[op](1),
  );
  check(
    op,
    "narrowed, dim 0",
    (g) => [g.narrowed([3, 4])],
    (x) => x[op](0),
  );
}

// ---- matmul: every rank combination torch.matmul accepts ----
const mm: Fn = (a, b) => a.matmul(b);
check("matmul", "[3,4]·[4,5]", (g) => [g.leaf([3, 4]), g.leaf([4, 5])], mm);
check("matmul", "1-d·1-d", (g) => [g.leaf([4]), g.leaf([4])], mm);
check("matmul", "1-d·2-d", (g) => [g.leaf([4]), g.leaf([4, 3])], mm);
check("matmul", "2-d·1-d", (g) => [g.leaf([3, 4]), g.leaf([4])], mm);
check("matmul", "1-d·3-d", (g) => [g.leaf([4]), g.leaf([2, 4, 3])], mm);
check("matmul", "3-d·1-d", (g) => [g.leaf([2, 3, 4]), g.leaf([4])], mm);
check("matmul", "batched broadcast [2,1,3,4]·[5,4,2]", (g) => [g.leaf([2, 1, 3, 4]), g.leaf([5, 4, 2])], mm);
check("matmul", "batched [2,3,4]·[4,2] (2-d right operand)", (g) => [g.leaf([2, 3, 4]), g.leaf([4, 2])], mm);
check("matmul", "transposed·narrowed", (g) => [g.transposed([3, 4]), g.narrowed([4, 5])], mm);
check("matmul", "permuted batch·expanded batch", (g) => [g.permuted([2, 3, 4]), g.expanded([2, 4, 3])], mm);
check(
  "matmul",
  ".T of a leaf",
  (g) => [g.leaf([4, 3]), g.leaf([4, 5])],
  (a, b) => a.T.matmul(b),
);

// ---- movement ops (views) ----
check(
  "reshape",
  "[3,4] -> [2,6]",
  (g) => [g.leaf([3, 4])],
  (x) => x.reshape(2, 6).mul(x.reshape([6, 2]).T),
);
check(
  "reshape",
  "non-contiguous input (copying path)",
  (g) => [g.transposed([3, 4])],
  (x) => x.reshape(-1).exp(),
);
check(
  "reshape",
  "expanded input",
  (g) => [g.expanded([3, 4])],
  (x) => x.reshape(4, 3).sin(),
);
check(
  "view",
  "[2,3,4] -> [6,4]",
  (g) => [g.leaf([2, 3, 4])],
  (x) => x.view(6, 4).tanh(),
);
check(
  "view",
  "narrowed along the first dim",
  (g) => [g.leaf([3, 4])],
  (x) => x.narrow(0, 1, 2).view(8).exp(),
);
check(
  "transpose",
  "dims 0, 1",
  (g) => [g.leaf([3, 4])],
  (x) => x.transpose(0, 1).mul(lift(nd.arange(3, 0, -1, { dtype: "float64" }))),
);
check(
  "transpose",
  "negative dims of a permuted leaf",
  (g) => [g.permuted([2, 3, 4])],
  (x) => x.transpose(-1, -3).exp(),
);
check(
  "permute",
  "(2, 0, 1)",
  (g) => [g.leaf([2, 3, 4])],
  (x) => x.permute(2, 0, 1).cos(),
);
check(
  "permute",
  "of a transposed leaf",
  (g) => [g.transposed([3, 4])],
  (x) => x.permute([1, 0]).sin(),
);
check(
  "expand",
  "[4] -> [3,4]",
  (g) => [g.leaf([4])],
  (x) => x.expand(3, 4).mul(x.expand([2, 3, 4]).sum(0)),
);
check(
  "expand",
  "[3,1] -> [3,5]",
  (g) => [g.leaf([3, 1])],
  (x) => x.expand(3, 5).sin(),
);
check(
  "expand",
  "an expanded leaf again",
  (g) => [g.expanded([3, 4])],
  (x) => x.expand(2, 3, 4).exp(),
);
check(
  "squeeze",
  "all size-1 dims",
  (g) => [g.leaf([1, 3, 1, 4])],
  (x) => x.squeeze().sin(),
);
check(
  "squeeze",
  "one dim",
  (g) => [g.expanded([3, 1])],
  (x) => x.squeeze(1).exp(),
);
check(
  "unsqueeze",
  "dim 0 and -1",
  (g) => [g.transposed([3, 4])],
  (x) => x.unsqueeze(0).unsqueeze(-1).sin(),
);
check(
  "narrow",
  "positive start",
  (g) => [g.leaf([5, 4])],
  (x) => x.narrow(0, 1, 3).exp(),
);
check(
  "narrow",
  "negative start",
  (g) => [g.leaf([3, 6])],
  (x) => x.narrow(1, -4, 2).sin(),
);
check(
  "narrow",
  "whole dim from 0",
  (g) => [g.transposed([3, 4])],
  (x) => x.narrow(1, 0, 4).exp(),
);
check(
  "narrow",
  "of an expanded leaf",
  (g) => [g.expanded([4, 3])],
  (x) => x.narrow(0, 2, 2).cos(),
);
check(
  "contiguous",
  "of a transposed leaf",
  (g) => [g.transposed([3, 4])],
  (x) => x.contiguous().mul(x.T.contiguous().T),
);
check(
  "contiguous",
  "clone of a contiguous tensor",
  (g) => [g.leaf([3, 4])],
  (x) => x.clone().exp(),
);
check(
  "cat",
  "dim 0, three inputs",
  (g) => [g.leaf([2, 3]), g.expanded([2, 3]), g.narrowed([3, 3])],
  (a, b, c) => cat([a, b, c], 0).exp(),
);
check(
  "cat",
  "dim -1",
  (g) => [g.leaf([2, 3]), g.expanded([2, 2])],
  (a, b) => cat([a, b], -1).sin(),
);
check(
  "cat",
  "the same tensor twice",
  (g) => [g.leaf([2, 3])],
  (a) => cat([a, a], 1).mul(cat([a, a.neg()], 1)),
);

// ---- indexing, with repeated indices ----
checkWith("gather", "dim 1, repeated indices", (g) => {
  const idx = int32([
    [0, 0, 3],
    [2, 1, 2],
    [3, 3, 3],
  ]);
  return { inputs: [g.leaf([3, 4])], fn: (x) => x.gather(1, idx) };
});
checkWith("gather", "dim 0, smaller index, transposed leaf", (g) => {
  const idx = int32([
    [2, 0],
    [2, 2],
  ]);
  return { inputs: [g.transposed([3, 4])], fn: (x) => x.gather(0, idx) };
});
checkWith("gather", "negative dim, expanded leaf", (g) => {
  const idx = int32([[1], [1], [0]]);
  return { inputs: [g.expanded([3, 2])], fn: (x) => x.gather(-1, idx) };
});
checkWith("scatterAdd", "dim 1, repeated indices, grads to input and src", (g) => {
  const idx = int32([
    [0, 0, 3],
    [1, 1, 1],
  ]);
  return { inputs: [g.leaf([2, 4]), g.leaf([2, 3])], fn: (x, s) => scatterAdd(x, 1, idx, s).mul(x) };
});
checkWith("scatterAdd", "index smaller than src, non-contiguous src", (g) => {
  const idx = int32([[2], [0], [2]]);
  return { inputs: [g.leaf([3, 3]), g.transposed([3, 2])], fn: (x, s) => scatterAdd(x, 1, idx, s) };
});
checkWith("scatterAdd", "dim 0, src only requires grad", (g) => {
  const idx = int32([[1, 0, 1]]);
  const x = g.leaf([2, 3]).detach();
  return { inputs: [g.transposed([2, 3])], fn: (s) => scatterAdd(x, 0, idx, s).exp() };
});
checkWith("indexSelect", "dim 0, repeated indices", (g) => {
  const idx = int32([2, 0, 2, 2]);
  return { inputs: [g.leaf([3, 4])], fn: (x) => x.indexSelect(0, idx) };
});
checkWith("indexSelect", "dim 1 of a transposed leaf", (g) => {
  const idx = int32([3, 3, 1]);
  return { inputs: [g.transposed([3, 4])], fn: (x) => x.indexSelect(1, idx).sin() };
});
checkWith("indexSelect", "dim -1 of a permuted leaf", (g) => {
  const idx = int32([0, 0]);
  return { inputs: [g.permuted([2, 3, 4])], fn: (x) => x.indexSelect(-1, idx) };
});
checkWith("indexAdd", "dim 0, repeated indices", (g) => {
  const idx = int32([1, 1, 0]);
  return { inputs: [g.leaf([3, 4]), g.leaf([3, 4])], fn: (x, s) => indexAdd(x, 0, idx, s).mul(x) };
});
checkWith("indexAdd", "dim 1, non-contiguous input and src", (g) => {
  const idx = int32([2, 2]);
  return { inputs: [g.transposed([3, 4]), g.narrowed([3, 2])], fn: (x, s) => indexAdd(x, 1, idx, s).exp() };
});

// ---- fused linear ----
check(
  "linear",
  "with bias",
  (g) => [g.leaf([4, 3]), g.leaf([5, 3]), g.leaf([5])],
  (x, w, b) => ops.linear(x, w!, b!),
);
check(
  "linear",
  "no bias, transposed x",
  (g) => [g.transposed([4, 3]), g.leaf([5, 3])],
  (x, w) => ops.linear(x, w!, null),
);

// ---- fused layer norm ----
check(
  "layerNorm",
  "last dim, weight and bias",
  (g) => [g.leaf([3, 5]), g.leaf([5]), g.leaf([5])],
  (x, w, b) => ops.layerNorm(x, 1, w!, b!, 1e-5),
);
check(
  "layerNorm",
  "two trailing dims, no affine",
  (g) => [g.leaf([2, 3, 4])],
  (x) => ops.layerNorm(x, 2, null, null, 1e-5),
);
check(
  "layerNorm",
  "transposed input, weight only",
  (g) => [g.transposed([3, 4]), g.leaf([4])],
  (x, w) => ops.layerNorm(x, 1, w!, null, 1e-3).mul(x),
);

// ---- fused losses ----
{
  const targets = (weight: boolean, smoothing: number) => ({
    target: new nd.NDArray(Int32Array.from([2, 0, 3, 1, 0]), [5]),
    valid: new nd.NDArray(Uint8Array.from([1, 1, 0, 1, 1]), [5]),
    weight: weight ? new nd.NDArray(Float64Array.from([0.5, 2, 1, 1.5]), [4]) : null,
    smoothing,
  });
  check(
    "softmaxCrossEntropy",
    "plain, one ignored row",
    (g) => [g.leaf([5, 4])],
    (x) => ops.softmaxCrossEntropy(x, targets(false, 0)),
  );
  check(
    "softmaxCrossEntropy",
    "weights and label smoothing",
    (g) => [g.leaf([5, 4])],
    (x) => ops.softmaxCrossEntropy(x, targets(true, 0.2)).mul(x.sum(1)),
  );
  check(
    "softmaxCrossEntropy",
    "transposed logits",
    (g) => [g.transposed([5, 4])],
    (x) => ops.softmaxCrossEntropy(x, targets(true, 0.1)),
  );
}

// ---- composites (no backward of their own; checked end to end) ----
check(
  "gelu",
  "exact",
  (g) => [g.leaf([3, 4], uniform(-3, 3))],
  (x) => x.gelu(),
);
check(
  "geluTanh",
  "tanh approximation",
  (g) => [g.transposed([3, 4], uniform(-3, 3))],
  (x) => x.gelu("tanh"),
);
check(
  "silu",
  "[3,4]",
  (g) => [g.narrowed([3, 4])],
  (x) => x.silu(),
);
check(
  "var",
  "all, unbiased",
  (g) => [g.leaf([3, 4])],
  (x) => x.var(),
);
check(
  "var",
  "dim 1, biased, keepdim",
  (g) => [g.transposed([3, 4])],
  (x) => x.var(1, { unbiased: false, keepdim: true }),
);
check(
  "var",
  "dims [0, 2]",
  (g) => [g.permuted([2, 3, 4])],
  (x) => x.var([0, 2]),
);
check(
  "square",
  "[3,4]",
  (g) => [g.expanded([3, 4])],
  (x) => x.square(),
);
check(
  "flatten",
  "all dims",
  (g) => [g.permuted([2, 3, 4])],
  (x) => x.flatten().sin(),
);
check(
  "flatten",
  "dims 1..2",
  (g) => [g.leaf([2, 3, 4])],
  (x) => x.flatten(1, 2).exp(),
);
check(
  "stack",
  "dim 0 and dim -1",
  (g) => [g.leaf([2, 3]), g.transposed([2, 3])],
  (a, b) =>
    stack([a, b], 0)
      .sum(0)
      .mul(stack([a, b], -1).sum(-1)),
);
check(
  "stack",
  "dim 1",
  (g) => [g.leaf([2, 3]), g.narrowed([2, 3])],
  (a, b) => stack([a, b], 1).exp(),
);

describe("gradcheck table", () => {
  it("covers every registered primitive op", () => {
    const covered = new Set(table.map((e) => e.op));
    const missing = [...primitiveOps].filter((name) => !covered.has(name));
    expect(missing).toEqual([]);
    // The registry is populated: a sanity floor on its size (roughly 50 primitives today).
    expect(primitiveOps.size).toBeGreaterThan(40);
  });

  it("lists every entry under a primitive or a known composite (no typos)", () => {
    const composites = new Set(["geluTanh", "silu", "var", "square", "flatten", "stack", "maskedFill"]);
    const unknown = table.map((e) => e.op).filter((op) => !primitiveOps.has(op) && !composites.has(op));
    expect(unknown).toEqual([]);
  });

  it.each(table.map((e, i) => [`${e.op}: ${e.name}`, e, i] as const))("%s", (_label, entry, i) => {
    const { inputs, fn } = entry.build(new Gen(1000 + i));
    for (const t of inputs) expect(t.dtype).toBe("float64");
    if (primitiveOps.has(entry.op)) {
      // The entry really exercises the op it is listed under.
      expect(opsIn(fn(...inputs))).toContain(entry.op);
    }
    expect(gradcheck(fn, inputs, entry.opts)).toBe(true);
  });
});

describe("gradcheck itself", () => {
  it("rejects a wrong backward rule, naming the input and the element", () => {
    const x = new Gen(1).leaf([3]);
    // The detached factor hides half of d(x²)/dx from backward.
    expect(() => gradcheck((t) => t.mul(t.detach()).sum(), [x])).toThrow(/input 0 \(shape \[3\]\) at flat index/);
    expect(gradcheck((t) => t.mul(t.detach()).sum(), [x], { raiseException: false })).toBe(false);
  });

  it("requires float64 inputs", () => {
    const x = new Gen(2).leaf([3]).float().detach().requiresGrad_();
    expect(() => gradcheck((t) => t.sum(), [x])).toThrow(/float64/);
  });

  it("treats an output cut from the graph as a zero gradient, and still catches it when it matters", () => {
    const x = new Gen(3).leaf([3]);
    expect(gradcheck((t) => t.detach().mul(0).add(1), [x])).toBe(true);
    expect(() => gradcheck((t) => t.detach().mul(2), [x])).toThrow(/analytic 0/);
  });

  it("sums the gradients of elements that alias one storage slot (expanded leaves)", () => {
    const x = new Gen(4).expanded([4, 3]);
    // Each slot feeds four elements: numeric d/dslot of sum(x²) is 4·2x.
    expect(gradcheck((t) => t.mul(t).sum(), [x])).toBe(true);
    expect(() => gradcheck((t) => t.mul(t.detach()).sum(), [x])).toThrow(/gradient mismatch/);
  });
});
