import type { Tensor } from "@typegrad/autograd";
import { ArgumentError, type NDArray, type TypedArray } from "@typegrad/tensor";
import {
  checkBoolean,
  checkKnownOptions,
  checkNumber,
  type FloatArray,
  Optimizer,
  type ParamGroup,
  type ParamState,
  type ParamsInput,
} from "./optimizer.js";

/** Options of {@link SGD}. */
export interface SGDOptions {
  lr: number;
  momentum: number;
  dampening: number;
  nesterov: boolean;
  weightDecay: number;
  maximize: boolean;
}

const KNOWN = ["lr", "momentum", "dampening", "nesterov", "weightDecay", "maximize"] as const;

/**
 * Stochastic gradient descent with optional momentum (PyTorch's algorithm): with `g` the gradient
 * (negated when `maximize`) plus `weightDecay * p`, the buffer starts as `g` and then becomes
 * `momentum * buf + (1 - dampening) * g`; the step uses `buf`, or `g + momentum * buf` with `nesterov`.
 *
 * @example
 * ```ts
 * const opt = new SGD(model.parameters(), { lr: 0.1, momentum: 0.9 });
 * opt.zeroGrad(); loss.backward(); opt.step();
 * ```
 */
export class SGD extends Optimizer<SGDOptions> {
  constructor(params: ParamsInput<SGDOptions>, options: Partial<SGDOptions> & { lr: number }) {
    if (options === null || typeof options !== "object" || options.lr === undefined) {
      throw new ArgumentError("SGD: lr is required, e.g. new SGD(params, { lr: 0.01 })");
    }
    checkKnownOptions("SGD", options, KNOWN);
    super("SGD", params, {
      lr: options.lr,
      momentum: options.momentum ?? 0,
      dampening: options.dampening ?? 0,
      nesterov: options.nesterov ?? false,
      weightDecay: options.weightDecay ?? 0,
      maximize: options.maximize ?? false,
    });
  }

  protected validate(o: SGDOptions): void {
    checkNumber("SGD", "lr", o.lr);
    checkNumber("SGD", "momentum", o.momentum);
    checkNumber("SGD", "dampening", o.dampening);
    checkNumber("SGD", "weightDecay", o.weightDecay);
    checkBoolean("SGD", "nesterov", o.nesterov);
    checkBoolean("SGD", "maximize", o.maximize);
    if (o.nesterov && (o.momentum <= 0 || o.dampening !== 0)) {
      throw new ArgumentError(
        `SGD: nesterov requires momentum > 0 and dampening = 0, got momentum ${o.momentum} and dampening ${o.dampening}`,
      );
    }
  }

  protected update(
    p: FloatArray,
    g: TypedArray,
    state: ParamState,
    group: ParamGroup<SGDOptions>,
    param: Tensor,
  ): void {
    const { lr, momentum, dampening, nesterov, weightDecay, maximize } = group;
    const n = p.length;
    if (momentum === 0) {
      for (let i = 0; i < n; i++) {
        let d = maximize ? -g[i]! : g[i]!;
        if (weightDecay !== 0) d += weightDecay * p[i]!;
        p[i] = p[i]! - lr * d;
      }
      return;
    }
    const first = state.momentumBuffer === undefined;
    if (first) state.momentumBuffer = this.buffer(param);
    const buf = (state.momentumBuffer as NDArray).data as FloatArray;
    const keep = 1 - dampening;
    for (let i = 0; i < n; i++) {
      let d = maximize ? -g[i]! : g[i]!;
      if (weightDecay !== 0) d += weightDecay * p[i]!;
      buf[i] = first ? d : momentum * buf[i]! + keep * d;
      const b = buf[i]!;
      d = nesterov ? d + momentum * b : b;
      p[i] = p[i]! - lr * d;
    }
  }
}
