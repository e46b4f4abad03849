import { Tensor } from "@typegrad/autograd";
import * as nd from "@typegrad/tensor";
import { ArgumentError, type Rng } from "@typegrad/tensor";
import { Module } from "../module.js";

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
    if (typeof p !== "number" || !(p >= 0 && p <= 1)) throw new ArgumentError(`Dropout: p must be in [0, 1], got ${p}`);
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
  if (!(p >= 0 && p <= 1)) throw new ArgumentError(`dropout: p must be in [0, 1], got ${p}`);
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
    if (!m) throw new ArgumentError(`Sequential.at: index ${i} out of range for ${this._layers.length} modules`);
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
  }
  forward(x: Tensor): Tensor {
    return x.flatten(this.startDim, this.endDim);
  }
}

/** The identity. */
export class Identity extends Module {
  forward(x: Tensor): Tensor {
    return x;
  }
}

/** `max(x, 0)`. */
export class ReLU extends Module {
  forward(x: Tensor): Tensor {
    return x.relu();
  }
}

/** `tanh(x)`. */
export class Tanh extends Module {
  forward(x: Tensor): Tensor {
    return x.tanh();
  }
}

/** `1/(1 + e^−x)`. */
export class Sigmoid extends Module {
  forward(x: Tensor): Tensor {
    return x.sigmoid();
  }
}

/** GELU, exact (default) or the tanh approximation. */
export class GELU extends Module {
  constructor(readonly approximate: "none" | "tanh" = "none") {
    super();
  }
  forward(x: Tensor): Tensor {
    return x.gelu(this.approximate);
  }
}

/** SiLU / swish `x·sigmoid(x)`. */
export class SiLU extends Module {
  forward(x: Tensor): Tensor {
    return x.silu();
  }
}

/** Softmax along `dim`. */
export class Softmax extends Module {
  constructor(readonly dim = -1) {
    super();
  }
  forward(x: Tensor): Tensor {
    return x.softmax(this.dim);
  }
}

/** Log-softmax along `dim`. */
export class LogSoftmax extends Module {
  constructor(readonly dim = -1) {
    super();
  }
  forward(x: Tensor): Tensor {
    return x.logSoftmax(this.dim);
  }
}
