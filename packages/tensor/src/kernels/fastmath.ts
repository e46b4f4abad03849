/**
 * Elementary functions for the kernels' hot loops. `exp` reduces x = (64m + j)·ln2/64 + r with
 * |r| ≤ ln2/128, so a short polynomial suffices: degree 6 is accurate to ~1 ulp in float64, and
 * the `*32` variants use degree 4, enough for float32 results. Tests compare them with `Math`.
 * @module
 */

const LOG2E_64 = 64 * 1.4426950408889634;
// ln2/64 split so k·LN2_64_HI is exact for the k that occur (fdlibm's split of ln 2, scaled).
const LN2_64_HI = 6.9314718036912382e-1 / 64;
const LN2_64_LO = 1.9082149292705877e-10 / 64;

/** Adding then subtracting 1.5·2^52 rounds to the nearest integer in two flops (Math.round is slower). */
const ROUND = 6755399441055744;

/** 2^(j/64), j = 0..63. */
const FRAC = Float64Array.from({ length: 64 }, (_, j) => 2 ** (j / 64));
/** 2^m for m = -1022..1023, indexed by m + 1022. */
const POW2 = Float64Array.from({ length: 2046 }, (_, i) => 2 ** (i - 1022));

/** e^x, float64-accurate (~1 ulp); NaN, ±Infinity, overflow and underflow as `Math.exp`. */
export function exp(x: number): number {
  if (!(x > -708.39) || x > 709) return Math.exp(x);
  const k = x * LOG2E_64 + ROUND - ROUND;
  const r = x - k * LN2_64_HI - k * LN2_64_LO;
  const p = 1 + r * (1 + r * (0.5 + r * (1 / 6 + r * (1 / 24 + r * (1 / 120 + r * (1 / 720))))));
  return (POW2[(k >> 6) + 1022] as number) * (FRAC[k & 63] as number) * p;
}

/** e^x to float32 accuracy (relative error < 1e-9 before rounding to float32). */
export function exp32(x: number): number {
  if (!(x > -708.39) || x > 709) return Math.exp(x);
  const k = x * LOG2E_64 + ROUND - ROUND;
  const r = x - k * LN2_64_HI - k * LN2_64_LO;
  const p = 1 + r * (1 + r * (0.5 + r * (1 / 6 + r * (1 / 24))));
  return (POW2[(k >> 6) + 1022] as number) * (FRAC[k & 63] as number) * p;
}

/** tanh near 0 by its odd Taylor polynomial (no cancellation; next term < 1e-17 relative). */
function tanhSmall(x: number): number {
  const x2 = x * x;
  return x * (1 + x2 * (-1 / 3 + x2 * (2 / 15 + x2 * (-17 / 315 + x2 * (62 / 2835 + x2 * (-1382 / 155925))))));
}

/** tanh(±19.5) rounds to ±1 in float64; clamping keeps e^{−2x} finite without branching on the sign. */
function clampTanhArg(x: number): number {
  return x > 19.5 ? 19.5 : x < -19.5 ? -19.5 : x;
}

/** tanh, float64-accurate: (1 − e)/(1 + e) with e = e^{−2x}. */
export function tanh(x: number): number {
  if (x < 0.0625 && x > -0.0625) return tanhSmall(x);
  const e = exp(-2 * clampTanhArg(x));
  return x !== x ? x : (1 - e) / (1 + e);
}

/** tanh to float32 accuracy. */
export function tanh32(x: number): number {
  if (x < 0.0625 && x > -0.0625) return tanhSmall(x);
  const e = exp32(-2 * clampTanhArg(x));
  return x !== x ? x : (1 - e) / (1 + e);
}

/** Logistic sigmoid, stable for large |x|, float64-accurate. */
export function sigmoid(x: number): number {
  if (x >= 0) return 1 / (1 + exp(-x));
  const e = exp(x);
  return e / (1 + e);
}

/** Logistic sigmoid to float32 accuracy. */
export function sigmoid32(x: number): number {
  if (x >= 0) return 1 / (1 + exp32(-x));
  const e = exp32(x);
  return e / (1 + e);
}

/** The helpers generated loops call as `M.name(x)`. */
export const MATH = { exp, exp32, tanh, tanh32, sigmoid, sigmoid32 };
export type MathHelpers = typeof MATH;
