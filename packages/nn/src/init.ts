/**
 * Weight initialisation, in place on a Parameter/Tensor, like `torch.nn.init`. Every function draws
 * from the seeded default generator (`manualSeed`) unless an `rng` is given.
 * @module
 */
import { noGrad, Tensor } from "@typegrad/autograd";
import * as nd from "@typegrad/tensor";
import { ArgumentError, DTypeError, describeValue, fmtShape, type Rng } from "@typegrad/tensor";

/** Throws unless `t` is a float Tensor (init fills parameters in place). */
function checkTarget(op: string, t: unknown): Tensor {
  if (!(t instanceof Tensor)) {
    throw new ArgumentError(`${op}: expected a Tensor or Parameter to fill, got ${describeValue(t)}`);
  }
  if (!nd.isFloat(t.dtype)) {
    throw new DTypeError(`${op}: expected a float32 or float64 tensor, got ${t.dtype} of shape ${fmtShape(t.shape)}`);
  }
  return t;
}

/** Throws unless `v` is a finite number (or, with `min`, at least `min`). */
function checkFiniteArg(op: string, name: string, v: unknown, min = Number.NEGATIVE_INFINITY): number {
  if (typeof v !== "number" || !Number.isFinite(v) || v < min) {
    const want = min === Number.NEGATIVE_INFINITY ? "a finite number" : `a finite number >= ${min}`;
    throw new ArgumentError(`${op}: ${name} must be ${want}, got ${describeValue(v)}`);
  }
  return v;
}

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
      const slope = param === undefined ? 0.01 : checkFiniteArg("calculateGain", "param (negative slope)", param);
      return Math.sqrt(2 / (1 + slope * slope));
    }
    case "selu":
      return 3 / 4;
    default:
      throw new ArgumentError(`calculateGain: unknown nonlinearity ${JSON.stringify(nonlinearity)}`);
  }
}

/** fan_in and fan_out of a weight shaped (out, in, ...receptive field). */
export function fans(shape: readonly number[], op = "fans"): { fanIn: number; fanOut: number } {
  if (!Array.isArray(shape)) throw new ArgumentError(`${op}: expected a shape, got ${describeValue(shape)}`);
  if (shape.length < 2)
    throw new ArgumentError(`${op}: fan in and fan out need at least 2 dims, got shape ${fmtShape(shape)}`);
  const receptive = shape.slice(2).reduce((p, d) => p * d, 1);
  return { fanIn: (shape[1] as number) * receptive, fanOut: (shape[0] as number) * receptive };
}

function fill(t: Tensor, values: nd.NDArray): Tensor {
  noGrad(() => t.setData(values.astype(t.dtype)));
  return t;
}

/** Fills with U(low, high). @example `uniform(w, -0.1, 0.1);` */
export function uniform(t: Tensor, low = 0, high = 1, opts: { rng?: Rng } = {}): Tensor {
  return uniformFill("uniform", t, low, high, opts);
}

function uniformFill(op: string, t: Tensor, low: number, high: number, opts: { rng?: Rng }): Tensor {
  checkTarget(op, t);
  checkFiniteArg(op, "low", low);
  checkFiniteArg(op, "high", high, low);
  return fill(t, nd.uniform(t.shape, low, high, { dtype: "float64", ...opts }));
}

/** Fills with N(mean, std²). @example `normal(w, 0, 0.02);` */
export function normal(t: Tensor, mean = 0, std = 1, opts: { rng?: Rng } = {}): Tensor {
  return normalFill("normal", t, mean, std, opts);
}

function normalFill(op: string, t: Tensor, mean: number, std: number, opts: { rng?: Rng }): Tensor {
  checkTarget(op, t);
  checkFiniteArg(op, "mean", mean);
  checkFiniteArg(op, "std", std, 0);
  return fill(t, nd.add(nd.mul(nd.randn(t.shape, { dtype: "float64", ...opts }), std), mean));
}

/** Fills with a constant. */
export function constant(t: Tensor, value: number): Tensor {
  checkTarget("constant", t);
  if (typeof value !== "number" || Number.isNaN(value)) {
    throw new ArgumentError(`constant: value must be a number (not NaN), got ${describeValue(value)}`);
  }
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

function kaimingStd(op: string, t: Tensor, opts: KaimingOptions): number {
  checkTarget(op, t);
  if (opts === null || typeof opts !== "object") {
    throw new ArgumentError(
      `${op}: options must be an object { a?, mode?, nonlinearity?, rng? }, got ${describeValue(opts)}`,
    );
  }
  const mode = opts.mode ?? "fanIn";
  if (mode !== "fanIn" && mode !== "fanOut") {
    throw new ArgumentError(`${op}: mode must be "fanIn" or "fanOut", got ${describeValue(mode)}`);
  }
  const a = opts.a === undefined ? 0 : checkFiniteArg(op, "a", opts.a);
  const { fanIn, fanOut } = fans(t.shape, op);
  const fan = mode === "fanIn" ? fanIn : fanOut;
  if (fan === 0) throw new ArgumentError(`${op}: tensor of shape ${fmtShape(t.shape)} has ${mode} 0`);
  const gain = calculateGain(opts.nonlinearity ?? "leaky_relu", a);
  return gain / Math.sqrt(fan);
}

/** He/Kaiming uniform: U(−b, b) with b = gain·√(3/fan). Linear's default uses a = √5. */
export function kaimingUniform(t: Tensor, opts: KaimingOptions = {}): Tensor {
  const bound = Math.sqrt(3) * kaimingStd("kaimingUniform", t, opts);
  return uniformFill("kaimingUniform", t, -bound, bound, opts.rng ? { rng: opts.rng } : {});
}

/** He/Kaiming normal: N(0, std²) with std = gain/√fan. */
export function kaimingNormal(t: Tensor, opts: KaimingOptions = {}): Tensor {
  return normalFill("kaimingNormal", t, 0, kaimingStd("kaimingNormal", t, opts), opts.rng ? { rng: opts.rng } : {});
}

/** Glorot/Xavier uniform: U(−b, b) with b = gain·√(6/(fanIn+fanOut)). */
export function xavierUniform(t: Tensor, opts: { gain?: number; rng?: Rng } = {}): Tensor {
  const { fanIn, fanOut, gain } = xavierArgs("xavierUniform", t, opts);
  const bound = gain * Math.sqrt(6 / (fanIn + fanOut));
  return uniformFill("xavierUniform", t, -bound, bound, opts.rng ? { rng: opts.rng } : {});
}

/** Glorot/Xavier normal: N(0, std²) with std = gain·√(2/(fanIn+fanOut)). */
export function xavierNormal(t: Tensor, opts: { gain?: number; rng?: Rng } = {}): Tensor {
  const { fanIn, fanOut, gain } = xavierArgs("xavierNormal", t, opts);
  return normalFill("xavierNormal", t, 0, gain * Math.sqrt(2 / (fanIn + fanOut)), opts.rng ? { rng: opts.rng } : {});
}

function xavierArgs(op: string, t: Tensor, opts: { gain?: number }): { fanIn: number; fanOut: number; gain: number } {
  checkTarget(op, t);
  if (opts === null || typeof opts !== "object") {
    throw new ArgumentError(`${op}: options must be an object { gain?, rng? }, got ${describeValue(opts)}`);
  }
  const gain = opts.gain === undefined ? 1 : checkFiniteArg(op, "gain", opts.gain, 0);
  const { fanIn, fanOut } = fans(t.shape, op);
  if (fanIn + fanOut === 0) throw new ArgumentError(`${op}: tensor of shape ${fmtShape(t.shape)} has no fan in or out`);
  return { fanIn, fanOut, gain };
}
