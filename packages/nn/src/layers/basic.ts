import { Tensor } from "@typegrad/autograd";
import * as nd from "@typegrad/tensor";
import { ArgumentError, describeValue, IndexError, type Rng } from "@typegrad/tensor";
import { Module } from "../module.js";
import { checkInput } from "./linear.js";

/** A dim argument of a layer: an integer (negative counts from the end). */
function checkDim(op: string, name: string, v: unknown): number {
  if (typeof v !== "number" || !Number.isInteger(v)) {
    throw new IndexError(`${op}: ${name} must be an integer, got ${describeValue(v)}`);
  }
  return v;
}

/**
 * Zeroes each element with probability `p` in training mode and scales the rest by 1/(1−p);
 * the identity in eval mode. Draws from the seeded default generator unless given an `rng`.
 *
 * @example
 * ```ts
 * const drop = new Dropout(0.1);
 * drop.eval().forward(x) === x; // true
 * ```
 */
export class Dropout extends Module {
  readonly p: number;
  private readonly _rng: Rng | undefined;

  constructor(p = 0.5, opts: { rng?: Rng } = {}) {
    super();
    if (typeof p !== "number" || !(p >= 0 && p <= 1)) {
      throw new ArgumentError(`Dropout: p must be a number in [0, 1], got ${describeValue(p)}`);
    }
    if (opts === null || typeof opts !== "object") {
      throw new ArgumentError(`Dropout: options must be an object { rng? }, got ${describeValue(opts)}`);
    }
    this.p = p;
    this._rng = opts.rng;
  }

  forward(x: Tensor): Tensor {
    return dropout(x, this.p, this.training, this._rng);
  }
}

/**
 * Functional dropout (inverted scaling). @example `dropout(x, 0.2, true);`
 */
export function dropout(x: Tensor, p: number, training = true, rng?: Rng): Tensor {
  checkInput("dropout", x);
  if (typeof p !== "number" || !(p >= 0 && p <= 1)) {
    throw new ArgumentError(`dropout: p must be a number in [0, 1], got ${describeValue(p)}`);
  }
  if (typeof training !== "boolean") {
    throw new ArgumentError(`dropout: training must be a boolean, got ${describeValue(training)}`);
  }
  if (!nd.isFloat(x.dtype) && training && p > 0) {
    throw new nd.DTypeError(
      `dropout: input must be float32 or float64, got ${x.dtype} of shape ${nd.fmtShape(x.shape)}`,
    );
  }
  if (!training || p === 0) return x;
  if (p === 1) return x.mul(0);
  const keep = nd.lt(nd.rand(x.shape, { dtype: "float64", ...(rng ? { rng } : {}) }), 1 - p);
  return x.mul(new Tensor(nd.div(keep.astype(x.dtype), 1 - p).astype(x.dtype)));
}

/**
 * Runs modules in order, each on the previous output. Children are named "0", "1", ... like torch.
 *
 * @example
 * ```ts
 * const mlp = new Sequential(new Linear(2, 8), new Tanh(), new Linear(8, 1));
 * mlp.namedParameters()[0][0]; // "0.weight"
 * ```
 */
export class Sequential extends Module {
  private readonly _layers: Module[];

  constructor(...modules: Module[]) {
    super();
    for (const [i, m] of modules.entries()) {
      if (!(m instanceof Module)) throw new ArgumentError(`Sequential: argument ${i} is not a Module`);
    }
    this._layers = modules;
  }

  protected override entries(): [string, Module][] {
    return this._layers.map((m, i) => [String(i), m]);
  }

  /** The i-th module. */
  at(i: number): Module {
    const m = this._layers[i < 0 ? i + this._layers.length : i];
    if (!Number.isInteger(i) || !m) {
      throw new IndexError(
        `Sequential.at: index ${describeValue(i)} is out of range for ${this._layers.length} modules (expected ${-this._layers.length}..${this._layers.length - 1})`,
      );
    }
    return m;
  }

  get length(): number {
    return this._layers.length;
  }

  /** Runs each module on the previous one's output Tensor. */
  forward(x: Tensor): Tensor {
    let out = x;
    for (const m of this._layers) out = (m.forward as (a: Tensor) => Tensor).call(m, out);
    return out;
  }
}

/** Flattens dims `startDim..endDim` (default: all but the batch dim). */
export class Flatten extends Module {
  constructor(
    readonly startDim = 1,
    readonly endDim = -1,
  ) {
    super();
    checkDim("Flatten", "startDim", startDim);
    checkDim("Flatten", "endDim", endDim);
  }
  forward(x: Tensor): Tensor {
    return checkInput("Flatten", x).flatten(this.startDim, this.endDim);
  }
}

/** The identity. */
export class Identity extends Module {
  forward(x: Tensor): Tensor {
    return checkInput("Identity", x);
  }
}

/** `max(x, 0)`. */
export class ReLU extends Module {
  forward(x: Tensor): Tensor {
    return checkInput("ReLU", x).relu();
  }
}

/** `tanh(x)`. */
export class Tanh extends Module {
  forward(x: Tensor): Tensor {
    return checkInput("Tanh", x).tanh();
  }
}

/** `1/(1 + e^−x)`. */
export class Sigmoid extends Module {
  forward(x: Tensor): Tensor {
    return checkInput("Sigmoid", x).sigmoid();
  }
}

/** GELU, exact (default) or the tanh approximation. */
export class GELU extends Module {
  constructor(readonly approximate: "none" | "tanh" = "none") {
    super();
    if (approximate !== "none" && approximate !== "tanh") {
      throw new ArgumentError(`GELU: approximate must be "none" or "tanh", got ${describeValue(approximate)}`);
    }
  }
  forward(x: Tensor): Tensor {
    return checkInput("GELU", x).gelu(this.approximate);
  }
}

/** SiLU / swish `x·sigmoid(x)`. */
export class SiLU extends Module {
  forward(x: Tensor): Tensor {
    return checkInput("SiLU", x).silu();
  }
}

/** Softmax along `dim`. */
export class Softmax extends Module {
  constructor(readonly dim = -1) {
    super();
    checkDim("Softmax", "dim", dim);
  }
  forward(x: Tensor): Tensor {
    return checkInput("Softmax", x).softmax(this.dim);
  }
}

/** Log-softmax along `dim`. */
export class LogSoftmax extends Module {
  constructor(readonly dim = -1) {
    super();
    checkDim("LogSoftmax", "dim", dim);
  }
  forward(x: Tensor): Tensor {
    return checkInput("LogSoftmax", x).logSoftmax(this.dim);
  }
}
