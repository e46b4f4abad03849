import type { Tensor } from "@typegrad/autograd";
import { ArgumentError, adamUpdate, type NDArray, type TypedArray } from "@typegrad/tensor";
import {
  checkBoolean,
  checkKnownOptions,
  checkNumber,
  describe,
  type FloatArray,
  Optimizer,
  type ParamGroup,
  type ParamState,
  type ParamsInput,
} from "./optimizer.js";

/** Options of {@link Adam} and {@link AdamW}. */
export interface AdamOptions {
  lr: number;
  betas: readonly [number, number];
  eps: number;
  weightDecay: number;
  amsgrad: boolean;
  maximize: boolean;
}

const KNOWN = ["lr", "betas", "eps", "weightDecay", "amsgrad", "maximize"] as const;

/**
 * Adam (PyTorch's algorithm). `m` and `v` are exponential averages of `g` and `g²`; the step is
 * `lr / (1 - beta1^t) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)`. `weightDecay` adds `wd * p` to
 * the gradient (L2; see {@link AdamW} for the decoupled form). `amsgrad` uses the running maximum
 * of `v` in the denominator.
 *
 * @example
 * ```ts
 * const opt = new Adam(model.parameters(), { lr: 3e-4 });
 * opt.zeroGrad(); loss.backward(); opt.step();
 * ```
 */
export class Adam extends Optimizer<AdamOptions> {
  /** Name in error messages; subclasses override. */
  protected static readonly optimizerName: string = "Adam";
  /** True for AdamW: weight decay shrinks the parameter instead of adding to the gradient. */
  protected static readonly decoupledWeightDecay: boolean = false;
  private readonly decoupled: boolean;

  constructor(params: ParamsInput<AdamOptions>, options: Partial<AdamOptions> = {}) {
    const cls = new.target as typeof Adam;
    checkKnownOptions(cls.optimizerName, options, KNOWN);
    super(cls.optimizerName, params, {
      lr: options.lr ?? 1e-3,
      betas: Array.isArray(options.betas)
        ? (options.betas.slice() as unknown as readonly [number, number])
        : (options.betas ?? [0.9, 0.999]),
      eps: options.eps ?? 1e-8,
      weightDecay: options.weightDecay ?? (cls.decoupledWeightDecay ? 0.01 : 0),
      amsgrad: options.amsgrad ?? false,
      maximize: options.maximize ?? false,
    });
    this.decoupled = cls.decoupledWeightDecay;
  }

  protected validate(o: AdamOptions): void {
    checkNumber(this.name, "lr", o.lr);
    if (!Array.isArray(o.betas) || o.betas.length !== 2) {
      throw new ArgumentError(`${this.name}: invalid betas ${describe(o.betas)}; expected [beta1, beta2]`);
    }
    checkNumber(this.name, "betas[0]", o.betas[0], true);
    checkNumber(this.name, "betas[1]", o.betas[1], true);
    checkNumber(this.name, "eps", o.eps);
    checkNumber(this.name, "weightDecay", o.weightDecay);
    checkBoolean(this.name, "amsgrad", o.amsgrad);
    checkBoolean(this.name, "maximize", o.maximize);
  }

  protected update(
    p: FloatArray,
    g: TypedArray,
    state: ParamState,
    group: ParamGroup<AdamOptions>,
    param: Tensor,
  ): void {
    const { lr, eps, weightDecay, amsgrad, maximize } = group;
    const [beta1, beta2] = group.betas;
    if (state.step === undefined) {
      state.step = 0;
      state.expAvg = this.buffer(param);
      state.expAvgSq = this.buffer(param);
    }
    if (amsgrad && state.maxExpAvgSq === undefined) state.maxExpAvgSq = this.buffer(param);
    const step = (state.step as number) + 1;
    state.step = step;
    const m = (state.expAvg as NDArray).data as FloatArray;
    const v = (state.expAvgSq as NDArray).data as FloatArray;
    const vmax = amsgrad ? ((state.maxExpAvgSq as NDArray).data as FloatArray) : null;
    // The tensor package's fused update: a WebAssembly SIMD kernel for float32 (bitwise the same as its
    // float64-computing loop, which float64 parameters and engines without SIMD use).
    adamUpdate(p, g, m, v, {
      lr,
      beta1,
      beta2,
      eps,
      step,
      weightDecay,
      decoupled: this.decoupled,
      maximize,
      maxExpAvgSq: vmax,
    });
  }
}

/**
 * AdamW: Adam with decoupled weight decay (PyTorch's algorithm) — each step first shrinks the
 * parameter by `1 - lr * weightDecay`, then applies the Adam update without L2 in the gradient.
 * `weightDecay` defaults to 0.01.
 *
 * @example
 * ```ts
 * const opt = new AdamW(model.parameters(), { lr: 1e-3, weightDecay: 0.1 });
 * ```
 */
export class AdamW extends Adam {
  protected static override readonly optimizerName: string = "AdamW";
  protected static override readonly decoupledWeightDecay: boolean = true;
}
