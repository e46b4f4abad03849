/**
 * Weight initialisation, in place on a Parameter/Tensor, like `torch.nn.init`. Every function draws
 * from the seeded default generator (`manualSeed`) unless an `rng` is given.
 * @module
 */
import { noGrad, type Tensor } from "@typegrad/autograd";
import * as nd from "@typegrad/tensor";
import { ArgumentError, fmtShape, type Rng } from "@typegrad/tensor";

export type Nonlinearity = "linear" | "sigmoid" | "tanh" | "relu" | "leaky_relu" | "selu" | "conv2d";

/** The recommended gain for a nonlinearity (torch.nn.init.calculate_gain). @example `calculateGain("relu"); // √2` */
export function calculateGain(nonlinearity: Nonlinearity, param?: number): number {
  switch (nonlinearity) {
    case "linear":
    case "sigmoid":
    case "conv2d":
      return 1;
    case "tanh":
      return 5 / 3;
    case "relu":
      return Math.SQRT2;
    case "leaky_relu": {
      const slope = param ?? 0.01;
      return Math.sqrt(2 / (1 + slope * slope));
    }
    case "selu":
      return 3 / 4;
    default:
      throw new ArgumentError(`calculateGain: unknown nonlinearity ${JSON.stringify(nonlinearity)}`);
  }
}

/** fan_in and fan_out of a weight shaped (out, in, ...receptive field). */
export function fans(shape: readonly number[]): { fanIn: number; fanOut: number } {
  if (shape.length < 2)
    throw new ArgumentError(`init: fan in and fan out need at least 2 dims, got shape ${fmtShape(shape)}`);
  const receptive = shape.slice(2).reduce((p, d) => p * d, 1);
  return { fanIn: (shape[1] as number) * receptive, fanOut: (shape[0] as number) * receptive };
}

function fill(t: Tensor, values: nd.NDArray): Tensor {
  noGrad(() => t.setData(values.astype(t.dtype)));
  return t;
}

/** Fills with U(low, high). @example `uniform(w, -0.1, 0.1);` */
export function uniform(t: Tensor, low = 0, high = 1, opts: { rng?: Rng } = {}): Tensor {
  return fill(t, nd.uniform(t.shape, low, high, { dtype: "float64", ...opts }));
}

/** Fills with N(mean, std²). @example `normal(w, 0, 0.02);` */
export function normal(t: Tensor, mean = 0, std = 1, opts: { rng?: Rng } = {}): Tensor {
  return fill(t, nd.add(nd.mul(nd.randn(t.shape, { dtype: "float64", ...opts }), std), mean));
}

/** Fills with a constant. */
export function constant(t: Tensor, value: number): Tensor {
  return fill(t, nd.full(t.shape, value, { dtype: "float64" }));
}

/** Fills with zeros. @example `zeros(linear.bias!);` */
export function zeros(t: Tensor): Tensor {
  return constant(t, 0);
}

/** Fills with ones. */
export function ones(t: Tensor): Tensor {
  return constant(t, 1);
}

export interface KaimingOptions {
  a?: number;
  mode?: "fanIn" | "fanOut";
  nonlinearity?: Nonlinearity;
  rng?: Rng;
}

function kaimingStd(t: Tensor, opts: KaimingOptions): number {
  const { fanIn, fanOut } = fans(t.shape);
  const fan = (opts.mode ?? "fanIn") === "fanIn" ? fanIn : fanOut;
  const gain = calculateGain(opts.nonlinearity ?? "leaky_relu", opts.a ?? 0);
  return gain / Math.sqrt(fan);
}

/** He/Kaiming uniform: U(−b, b) with b = gain·√(3/fan). Linear's default uses a = √5. */
export function kaimingUniform(t: Tensor, opts: KaimingOptions = {}): Tensor {
  const bound = Math.sqrt(3) * kaimingStd(t, opts);
  return uniform(t, -bound, bound, opts.rng ? { rng: opts.rng } : {});
}

/** He/Kaiming normal: N(0, std²) with std = gain/√fan. */
export function kaimingNormal(t: Tensor, opts: KaimingOptions = {}): Tensor {
  return normal(t, 0, kaimingStd(t, opts), opts.rng ? { rng: opts.rng } : {});
}

/** Glorot/Xavier uniform: U(−b, b) with b = gain·√(6/(fanIn+fanOut)). */
export function xavierUniform(t: Tensor, opts: { gain?: number; rng?: Rng } = {}): Tensor {
  const { fanIn, fanOut } = fans(t.shape);
  const bound = (opts.gain ?? 1) * Math.sqrt(6 / (fanIn + fanOut));
  return uniform(t, -bound, bound, opts.rng ? { rng: opts.rng } : {});
}

/** Glorot/Xavier normal: N(0, std²) with std = gain·√(2/(fanIn+fanOut)). */
export function xavierNormal(t: Tensor, opts: { gain?: number; rng?: Rng } = {}): Tensor {
  const { fanIn, fanOut } = fans(t.shape);
  return normal(t, 0, (opts.gain ?? 1) * Math.sqrt(2 / (fanIn + fanOut)), opts.rng ? { rng: opts.rng } : {});
}
