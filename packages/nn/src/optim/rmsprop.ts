import type { Tensor } from "@typegrad/autograd";
import type { NDArray, TypedArray } from "@typegrad/tensor";
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

/** Options of {@link RMSprop}. */
export interface RMSpropOptions {
  lr: number;
  alpha: number;
  eps: number;
  momentum: number;
  centered: boolean;
  weightDecay: number;
  maximize: boolean;
}

const KNOWN = ["lr", "alpha", "eps", "momentum", "centered", "weightDecay", "maximize"] as const;

/**
 * RMSprop (PyTorch's algorithm): `v = alpha * v + (1 - alpha) * g²`; the step divides `g` by
 * `sqrt(v) + eps` (with `centered`, by `sqrt(v - gAvg²) + eps` where `gAvg` averages `g` the same
 * way). With `momentum`, a buffer (starting at zero) accumulates `momentum * buf + g / denom`.
 *
 * @example
 * ```ts
 * const opt = new RMSprop(model.parameters(), { lr: 1e-3, centered: true });
 * ```
 */
export class RMSprop extends Optimizer<RMSpropOptions> {
  constructor(params: ParamsInput<RMSpropOptions>, options: Partial<RMSpropOptions> = {}) {
    checkKnownOptions("RMSprop", options, KNOWN);
    super("RMSprop", params, {
      lr: options.lr ?? 0.01,
      alpha: options.alpha ?? 0.99,
      eps: options.eps ?? 1e-8,
      momentum: options.momentum ?? 0,
      centered: options.centered ?? false,
      weightDecay: options.weightDecay ?? 0,
      maximize: options.maximize ?? false,
    });
  }

  protected validate(o: RMSpropOptions): void {
    checkNumber("RMSprop", "lr", o.lr);
    checkNumber("RMSprop", "alpha", o.alpha);
    checkNumber("RMSprop", "eps", o.eps);
    checkNumber("RMSprop", "momentum", o.momentum);
    checkNumber("RMSprop", "weightDecay", o.weightDecay);
    checkBoolean("RMSprop", "centered", o.centered);
    checkBoolean("RMSprop", "maximize", o.maximize);
  }

  protected update(
    p: FloatArray,
    g: TypedArray,
    state: ParamState,
    group: ParamGroup<RMSpropOptions>,
    param: Tensor,
  ): void {
    const { lr, alpha, eps, momentum, centered, weightDecay, maximize } = group;
    if (state.step === undefined) {
      state.step = 0;
      state.squareAvg = this.buffer(param);
    }
    if (momentum > 0 && state.momentumBuffer === undefined) state.momentumBuffer = this.buffer(param);
    if (centered && state.gradAvg === undefined) state.gradAvg = this.buffer(param);
    state.step = (state.step as number) + 1;
    const sq = (state.squareAvg as NDArray).data as FloatArray;
    const avg = centered ? ((state.gradAvg as NDArray).data as FloatArray) : null;
    const buf = momentum > 0 ? ((state.momentumBuffer as NDArray).data as FloatArray) : null;
    const w = 1 - alpha;
    const n = p.length;
    for (let i = 0; i < n; i++) {
      let d = maximize ? -g[i]! : g[i]!;
      if (weightDecay !== 0) d += weightDecay * p[i]!;
      sq[i] = alpha * sq[i]! + w * d * d;
      let denom: number;
      if (avg) {
        avg[i] = avg[i]! + w * (d - avg[i]!);
        const a = avg[i]!;
        denom = Math.sqrt(sq[i]! - a * a) + eps;
      } else {
        denom = Math.sqrt(sq[i]!) + eps;
      }
      if (buf) {
        buf[i] = momentum * buf[i]! + d / denom;
        p[i] = p[i]! - lr * buf[i]!;
      } else {
        p[i] = p[i]! - (lr * d) / denom;
      }
    }
  }
}
