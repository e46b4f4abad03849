import * as nd from "@typegrad/tensor";
import { ArgumentError, DTypeError, describeValue, fmtShape, type NDArray } from "@typegrad/tensor";
import { recordBuiltin as record } from "../node.js";
import { Tensor, type TensorLike } from "../tensor.js";
import { checkTensor, fused, lift, primitive, reduceTo } from "./common.js";

/** Lifts both operands (Tensors, NDArrays or numbers), naming `op` when one is something else. */
function pair(op: string, a: TensorLike, b: TensorLike): [Tensor, Tensor] {
  const A = lift(a, b instanceof Tensor ? b : undefined, op, "input");
  const B = lift(b, A, op, "other");
  return [A, B];
}

// ---- binary arithmetic: forward kernel and backward rule side by side ----

// A plain number operand is passed to the kernel as is: no constant tensor, and the node has one input.

export const add = primitive("add", (a: TensorLike, b: TensorLike): Tensor => {
  if (typeof b === "number" && a instanceof Tensor) return record("add", [a], nd.add(a.data, b), (g) => [g]);
  if (typeof a === "number" && b instanceof Tensor) return record("add", [b], nd.add(a, b.data), (g) => [g]);
  const [x, y] = pair("add", a, b);
  return record("add", [x, y], nd.add(x.data, y.data), (g) => [reduceTo(g, x.shape), reduceTo(g, y.shape)]);
});

export const sub = primitive("sub", (a: TensorLike, b: TensorLike): Tensor => {
  if (typeof b === "number" && a instanceof Tensor) return record("sub", [a], nd.sub(a.data, b), (g) => [g]);
  if (typeof a === "number" && b instanceof Tensor) return record("sub", [b], nd.sub(a, b.data), (g) => [g.neg()]);
  const [x, y] = pair("sub", a, b);
  return record("sub", [x, y], nd.sub(x.data, y.data), (g) => [
    reduceTo(g, x.shape),
    y.requiresGrad ? reduceTo(g.neg(), y.shape) : null,
  ]);
});

export const mul = primitive("mul", (a: TensorLike, b: TensorLike): Tensor => {
  if (typeof b === "number" && a instanceof Tensor) return record("mul", [a], nd.mul(a.data, b), (g) => [g.mul(b)]);
  if (typeof a === "number" && b instanceof Tensor) return record("mul", [b], nd.mul(a, b.data), (g) => [g.mul(a)]);
  const [x, y] = pair("mul", a, b);
  return record(
    "mul",
    [x, y],
    nd.mul(x.data, y.data),
    (g) => [x.requiresGrad ? reduceTo(g.mul(y), x.shape) : null, y.requiresGrad ? reduceTo(g.mul(x), y.shape) : null],
    { saves: [x, y] },
  );
});

export const div = primitive("div", (a: TensorLike, b: TensorLike): Tensor => {
  if (typeof b === "number" && a instanceof Tensor) return record("div", [a], nd.div(a.data, b), (g) => [g.div(b)]);
  const [x, y] = pair("div", a, b);
  return record(
    "div",
    [x, y],
    nd.div(x.data, y.data),
    (g) => [
      x.requiresGrad ? reduceTo(g.div(y), x.shape) : null,
      y.requiresGrad ? reduceTo(g.neg().mul(x).div(y.mul(y)), y.shape) : null,
    ],
    { saves: [x, y] },
  );
});

export const pow = primitive("pow", (a: TensorLike, b: TensorLike): Tensor => {
  const [x, y] = pair("pow", a, b);
  return record(
    "pow",
    [x, y],
    nd.pow(x.data, y.data),
    (g, out) => [
      // d/dx x^y = y·x^(y-1), zero where y == 0 (torch's convention, avoids 0·inf)
      x.requiresGrad ? reduceTo(where(y.eq(0), 0, g.mul(y).mul(x.pow(y.sub(1)))), x.shape) : null,
      // d/dy x^y = x^y·log x, zero where x == 0 and y >= 0
      y.requiresGrad
        ? reduceTo(where(nd.logicalAnd(nd.eq(x.data, 0), nd.ge(y.data, 0)), 0, g.mul(out).mul(x.log())), y.shape)
        : null,
    ],
    { saves: [x, y], savesOutput: true },
  );
});

function selectGrad(
  name: string,
  pick: (x: NDArray, y: NDArray) => NDArray,
  wins: (x: NDArray, y: NDArray) => NDArray,
) {
  return primitive(name, (a: TensorLike, b: TensorLike): Tensor => {
    const [x, y] = pair(name, a, b);
    return record(
      name,
      [x, y],
      pick(x.data, y.data),
      (g) => {
        // The winner takes the gradient; ties split it evenly (torch's rule).
        const share = nd.where(wins(x.data, y.data), 1, nd.where(nd.eq(x.data, y.data), 0.5, 0));
        const sx = new Tensor(share.astype(g.dtype));
        return [
          x.requiresGrad ? reduceTo(g.mul(sx), x.shape) : null,
          y.requiresGrad ? reduceTo(g.mul(sx.neg().add(1)), y.shape) : null,
        ];
      },
      { saves: [x, y] },
    );
  });
}

export const maximum = selectGrad("maximum", nd.maximum, nd.gt);
export const minimum = selectGrad("minimum", nd.minimum, nd.lt);

/** Comparisons return bool tensors and are not differentiable. */
export function compare(op: "eq" | "ne" | "lt" | "le" | "gt" | "ge", a: TensorLike, b: TensorLike): Tensor {
  const [x, y] = pair(op, a, b);
  return new Tensor(nd[op](x.data, y.data));
}

// ---- unary ----

export const neg = primitive("neg", (x: Tensor): Tensor => record("neg", [x], nd.neg(x.data), (g) => [g.neg()]));

export const exp = primitive(
  "exp",
  (x: Tensor): Tensor => record("exp", [x], nd.exp(x.data), (g, y) => [g.mul(y)], { savesOutput: true }),
);

export const log = primitive(
  "log",
  (x: Tensor): Tensor => record("log", [x], nd.log(x.data), (g) => [g.div(x)], { saves: [x] }),
);

export const log1p = primitive(
  "log1p",
  (x: Tensor): Tensor => record("log1p", [x], nd.log1p(x.data), (g) => [g.div(x.add(1))], { saves: [x] }),
);

export const sqrt = primitive(
  "sqrt",
  (x: Tensor): Tensor => record("sqrt", [x], nd.sqrt(x.data), (g, y) => [g.div(y.mul(2))], { savesOutput: true }),
);

export const rsqrt = primitive(
  "rsqrt",
  (x: Tensor): Tensor =>
    record("rsqrt", [x], nd.rsqrt(x.data), (g, y) => [g.mul(y.mul(y).mul(y)).mul(-0.5)], { savesOutput: true }),
);

export const abs = primitive(
  "abs",
  (x: Tensor): Tensor => record("abs", [x], nd.abs(x.data), (g) => [g.mul(x.sign())], { saves: [x] }),
);

export const sign = primitive(
  "sign",
  (x: Tensor): Tensor => record("sign", [x], nd.sign(x.data), (g) => [new Tensor(nd.zerosLike(g.data))]),
);

export const sin = primitive(
  "sin",
  (x: Tensor): Tensor => record("sin", [x], nd.sin(x.data), (g) => [g.mul(x.cos())], { saves: [x] }),
);

export const cos = primitive(
  "cos",
  (x: Tensor): Tensor => record("cos", [x], nd.cos(x.data), (g) => [g.mul(x.sin()).neg()], { saves: [x] }),
);

export const tanh = primitive(
  "tanh",
  (x: Tensor): Tensor =>
    record(
      "tanh",
      [x],
      nd.tanh(x.data),
      (g, y) => [
        fused(
          () => g.mul(y.mul(y).neg().add(1)),
          () => nd.tanhBackward(g.data, y.data),
        ),
      ],
      { savesOutput: true },
    ),
);

export const sigmoid = primitive(
  "sigmoid",
  (x: Tensor): Tensor =>
    record(
      "sigmoid",
      [x],
      nd.sigmoid(x.data),
      (g, y) => [
        fused(
          () => g.mul(y.mul(y.neg().add(1))),
          () => nd.mapBinary("sigmoid backward", g.data, y.data, (gv, yv) => gv * yv * (1 - yv)),
        ),
      ],
      { savesOutput: true },
    ),
);

export const relu = primitive(
  "relu",
  (x: Tensor): Tensor =>
    record(
      "relu",
      [x],
      nd.relu(x.data),
      (g) => [
        fused(
          // torch's threshold_backward: x <= 0 ? 0 : g (so g passes where x is NaN).
          () => where(nd.le(x.data, 0), 0, g),
          () => nd.reluBackward(g.data, x.data),
        ),
      ],
      { saves: [x] },
    ),
);

/** Φ(x), the standard normal CDF, as a differentiable op (gelu's building block). */
export const normalCdf = primitive(
  "normalCdf",
  (x: Tensor): Tensor =>
    record(
      "normalCdf",
      [x],
      nd.mapUnary(x.data, (v, _a, _b, M) => M.normalCdf(v), nd.floatDType(x.dtype)),
      (g) => [g.mul(normalPdf(x))],
      {
        saves: [x],
      },
    ),
);

/** φ(x) = exp(−x²/2)/√(2π), composed of differentiable ops. */
function normalPdf(x: Tensor): Tensor {
  return x
    .mul(x)
    .mul(-0.5)
    .exp()
    .mul(1 / Math.sqrt(2 * Math.PI));
}

/**
 * GELU, exact `x·Φ(x)` (torch's default): one fused kernel forward, `g·(Φ(x) + x·φ(x))` backward.
 * The tanh approximation is composed from Tensor ops.
 */
export function gelu(x: Tensor, approximate: "none" | "tanh" = "none"): Tensor {
  if (approximate !== "none" && approximate !== "tanh") {
    throw new ArgumentError(`gelu: approximate must be "none" or "tanh", got ${describeValue(approximate)}`);
  }
  if (approximate === "tanh") {
    const c = Math.sqrt(2 / Math.PI);
    return x.mul(0.5).mul(x.pow(3).mul(0.044715).add(x).mul(c).tanh().add(1));
  }
  return geluExact(x);
}

const geluExact = primitive(
  "gelu",
  (x: Tensor): Tensor =>
    record(
      "gelu",
      [x],
      nd.gelu(x.data),
      (g) => [
        fused(
          () => g.mul(normalCdf(x).add(x.mul(normalPdf(x)))),
          () => nd.geluBackward(g.data, x.data),
        ),
      ],
      { saves: [x] },
    ),
);

/** SiLU `x·sigmoid(x)`. */
export function silu(x: Tensor): Tensor {
  return x.mul(x.sigmoid());
}

export const softplus = primitive(
  "softplus",
  (x: Tensor, beta = 1, threshold = 20): Tensor =>
    record(
      "softplus",
      [x],
      nd.softplus(x.data, beta, threshold),
      // Linear above the threshold, sigmoid(βx) below.
      (g) => [where(new Tensor(nd.gt(nd.mul(x.data, beta), threshold)), g, g.mul(x.mul(beta).sigmoid()))],
      { saves: [x] },
    ),
);

export const clamp = primitive(
  "clamp",
  (x: Tensor, min?: number, max?: number): Tensor =>
    record(
      "clamp",
      [x],
      nd.clamp(x.data, min, max),
      (g) => {
        // The gradient passes where min <= x <= max (torch's rule at the boundaries).
        let inside = nd.full(x.shape, true);
        if (min !== undefined) inside = nd.logicalAnd(inside, nd.ge(x.data, min));
        if (max !== undefined) inside = nd.logicalAnd(inside, nd.le(x.data, max));
        return [g.mul(new Tensor(inside.astype(g.dtype)))];
      },
      { saves: [x] },
    ),
);

/** Converts dtype; between float dtypes the gradient converts back. */
export const cast = primitive("cast", (x: Tensor, dtype: nd.DType): Tensor => {
  if (x.requiresGrad && !nd.isFloat(dtype)) {
    return new Tensor(x.data.astype(dtype));
  }
  return record("cast", [x], x.data.astype(dtype), (g) => [g.to(x.dtype)]);
});

// ---- selection ----

export const where = primitive("where", (cond: Tensor | NDArray, a: TensorLike, b: TensorLike): Tensor => {
  const c = cond instanceof Tensor ? cond.data : cond;
  if (!(c instanceof nd.NDArray)) {
    throw new ArgumentError(`where: condition must be a bool Tensor or NDArray, got ${describeValue(c)}`);
  }
  if (c.dtype !== "bool") {
    throw new DTypeError(`where: condition must be a bool tensor, got ${c.dtype} of shape ${fmtShape(c.shape)}`);
  }
  const [x, y] = pair("where", a, b);
  const C = new Tensor(c);
  return record("where", [x, y], nd.where(c, x.data, y.data), (g) => [
    x.requiresGrad ? reduceTo(where(C, g, 0), x.shape) : null,
    y.requiresGrad ? reduceTo(where(C, 0, g), y.shape) : null,
  ]);
});

/** `value` where `mask` is true, `x` elsewhere. */
export function maskedFill(x: Tensor, mask: Tensor | NDArray, value: number): Tensor {
  checkTensor("maskedFill", "input", x);
  const m = mask instanceof Tensor ? mask.data : mask;
  if (!(m instanceof nd.NDArray)) {
    throw new ArgumentError(`maskedFill: mask must be a bool Tensor or NDArray, got ${describeValue(m)}`);
  }
  if (m.dtype !== "bool") {
    throw new DTypeError(`maskedFill: mask must be bool, got ${m.dtype} of shape ${fmtShape(m.shape)}`);
  }
  if (typeof value !== "number" && typeof value !== "boolean") {
    throw new ArgumentError(`maskedFill: value must be a number, got ${describeValue(value)}`);
  }
  let fits = m.ndim <= x.ndim;
  for (let i = 1; fits && i <= m.ndim; i++) {
    const d = m.shape[m.ndim - i] as number;
    if (d !== 1 && d !== x.shape[x.ndim - i]) fits = false;
  }
  if (!fits) {
    throw new nd.ShapeError(
      `maskedFill: mask ${fmtShape(m.shape)} must broadcast to the input's shape ${fmtShape(x.shape)}`,
    );
  }
  const out = where(m, value, x);
  return out.dtype === x.dtype ? out : out.to(x.dtype);
}
