/**
 * erf, erfc, Φ and φ (Math lacks them; gelu and its gradient need them), accurate to a few ulp.
 *
 * The fast path evaluates erfc(z) = e^{−z²}·R(z) for z ≥ 0.5 with R = erfcx, a smooth function, as
 * piecewise Chebyshev series. The series are fitted once, on first use, to slow reference values
 * (a positive-term series for erf, a continued fraction for erfc) that tests also check directly.
 * @module
 */

import { exp } from "./fastmath.js";

const TWO_OVER_SQRT_PI = 1.1283791670955126;
const SQRT_PI = 1.7724538509055159;

/** erf(x) = (2/√π)·e^{−x²}·Σ (2x²)^n·x / (1·3·…·(2n+1)): positive terms, full relative precision. */
function erfReference(x: number): number {
  const x2 = x * x;
  let term = x;
  let sum = x;
  for (let n = 1; n < 2000; n++) {
    term *= (2 * x2) / (2 * n + 1);
    sum += term;
    if (term < 1e-17 * sum) break;
  }
  return TWO_OVER_SQRT_PI * Math.exp(-x2) * sum;
}

/** erfc(x)·e^{x²} for x > 0 by the continued fraction 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + …))))/√π. */
function erfcxFraction(x: number): number {
  const tiny = 1e-300;
  let f = x;
  let c = x;
  let d = 0;
  for (let n = 1; n < 100_000; n++) {
    const a = n / 2;
    d = x + a * d;
    d = d === 0 ? tiny : d;
    c = x + a / c;
    c = c === 0 ? tiny : c;
    d = 1 / d;
    const delta = c * d;
    f *= delta;
    if (Math.abs(delta - 1) < 2e-17) break;
  }
  return 1 / (f * SQRT_PI);
}

/** Slow reference erfcx(z) = erfc(z)·e^{z²} for z ≥ 0.5 (used to fit the fast path, and in tests). */
export function erfcxReference(z: number): number {
  return z < 1.5 ? (1 - erfReference(z)) * Math.exp(z * z) : erfcxFraction(z);
}

// Piecewise Chebyshev fit of erfcx on [Z0, Z0 + PIECES·WIDTH).
const Z0 = 0.5;
const WIDTH = 0.125;
const PIECES = 216;
/** Degree 8: 9 coefficients per piece (erfcxFast below is written for exactly this). */
const DEGREE = 8;
let coefficients: Float64Array | null = null;

/**
 * Fits each piece with a Chebyshev series at Chebyshev nodes (near-minimax), then converts it to
 * monomial coefficients in t ∈ [−1, 1] so evaluation can split into two short independent chains.
 */
function fit(): Float64Array {
  const n = DEGREE + 1;
  const out = new Float64Array(PIECES * n);
  const values = new Float64Array(n);
  const cheb = new Float64Array(n);
  // Monomial coefficients of T_0..T_DEGREE (row j = T_j).
  const T = Array.from({ length: n }, () => new Float64Array(n));
  T[0]![0] = 1;
  T[1]![1] = 1;
  for (let j = 2; j < n; j++) {
    for (let k = 0; k < n; k++) T[j]![k] = (k > 0 ? 2 * T[j - 1]![k - 1]! : 0) - T[j - 2]![k]!;
  }
  for (let piece = 0; piece < PIECES; piece++) {
    const mid = Z0 + (piece + 0.5) * WIDTH;
    for (let k = 0; k < n; k++) values[k] = erfcxReference(mid + (WIDTH / 2) * Math.cos((Math.PI * (k + 0.5)) / n));
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let k = 0; k < n; k++) s += (values[k] as number) * Math.cos((Math.PI * j * (k + 0.5)) / n);
      cheb[j] = ((j === 0 ? 1 : 2) * s) / n;
    }
    for (let k = 0; k < n; k++) {
      let a = 0;
      for (let j = 0; j < n; j++) a += (cheb[j] as number) * (T[j]![k] as number);
      out[piece * n + k] = a;
    }
  }
  return out;
}

/** erfcx(z) = erfc(z)·e^{z²} for 0.5 ≤ z < 27.5: the piece's polynomial as even + t·odd parts. */
function erfcxFast(z: number): number {
  coefficients ??= fit();
  const c = coefficients;
  const piece = Math.floor((z - Z0) * (1 / WIDTH));
  const t = (2 * (z - Z0 - piece * WIDTH)) / WIDTH - 1;
  const b = piece * 9;
  const u = t * t;
  const even = c[b]! + u * (c[b + 2]! + u * (c[b + 4]! + u * (c[b + 6]! + u * c[b + 8]!)));
  const odd = c[b + 1]! + u * (c[b + 3]! + u * (c[b + 5]! + u * c[b + 7]!));
  return even + t * odd;
}

/** 2/√π·(−1)ⁿ/(n!·(2n+1)), n = 0..12: erf's Taylor coefficients in powers of x². */
const T = Float64Array.from({ length: 13 }, (_, n) => {
  let factorial = 1;
  for (let k = 2; k <= n; k++) factorial *= k;
  return (TWO_OVER_SQRT_PI * (n % 2 ? -1 : 1)) / (factorial * (2 * n + 1));
});

/** erf for |x| < 0.5: the Taylor polynomial through x²⁵ (truncation < 3e-18), by Horner in u = x². */
function erfSmall(x: number): number {
  const u = x * x;
  let p = T[12]!;
  for (let n = 11; n >= 0; n--) p = T[n]! + u * p;
  return x * p;
}

/** erfc(z) for z ≥ 0.5. */
function erfcPositive(z: number): number {
  if (z >= 27.5) return 0;
  return exp(-z * z) * erfcxFast(z);
}

/**
 * The error function.
 *
 * @example
 * ```ts
 * erf(0.5); // 0.5204998778130465
 * ```
 */
export function erf(x: number): number {
  if (x !== x) return x;
  const ax = Math.abs(x);
  if (ax < 0.5) return erfSmall(x);
  const r = 1 - erfcPositive(ax);
  return x < 0 ? -r : r;
}

/**
 * The complementary error function 1 − erf(x), accurate in the tails.
 *
 * @example
 * ```ts
 * erfc(5); // 1.5374597944280349e-12
 * ```
 */
export function erfc(x: number): number {
  if (x !== x) return x;
  if (x < 0.5) {
    if (x > -0.5) return 1 - erfSmall(x);
    return 2 - erfcPositive(-x);
  }
  return erfcPositive(x);
}

/** Standard normal CDF Φ(x) = erfc(−x/√2)/2. @example `normalCdf(0); // 0.5` */
export function normalCdf(x: number): number {
  return 0.5 * erfc(-x * Math.SQRT1_2);
}

const INV_SQRT_2PI = 0.3989422804014327;

/** Standard normal PDF φ(x). @example `normalPdf(0); // 0.3989422804014327` */
export function normalPdf(x: number): number {
  return INV_SQRT_2PI * exp(-0.5 * x * x);
}
