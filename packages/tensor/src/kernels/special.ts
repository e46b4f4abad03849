/**
 * erf, erfc, Φ and φ (Math lacks them; gelu and its gradient need them), accurate to a few ulp.
 *
 * The fast path evaluates erfc(z) = e^{−z²}·R(z) for z ≥ 0.5 with R = erfcx, a smooth function, as
 * piecewise Chebyshev series. The series are fitted once, on first use, to slow reference values
 * (a positive-term series for erf, a continued fraction for erfc) that tests also check directly.
 * @module
 */

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
const DEGREE = 8;
let coefficients: Float64Array | null = null;

function fit(): Float64Array {
  const n = DEGREE + 1;
  const c = new Float64Array(PIECES * n);
  const values = new Float64Array(n);
  for (let piece = 0; piece < PIECES; piece++) {
    const mid = Z0 + (piece + 0.5) * WIDTH;
    for (let k = 0; k < n; k++) values[k] = erfcxReference(mid + (WIDTH / 2) * Math.cos((Math.PI * (k + 0.5)) / n));
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let k = 0; k < n; k++) s += (values[k] as number) * Math.cos((Math.PI * j * (k + 0.5)) / n);
      c[piece * n + j] = ((j === 0 ? 1 : 2) * s) / n;
    }
  }
  return c;
}

/** erfcx(z) = erfc(z)·e^{z²} for 0.5 ≤ z < 27.5 by Clenshaw summation of the fitted series. */
function erfcxFast(z: number): number {
  const c = coefficients ?? (coefficients = fit());
  const piece = Math.floor((z - Z0) / WIDTH);
  const t = (2 * (z - Z0 - piece * WIDTH)) / WIDTH - 1;
  const base = piece * (DEGREE + 1);
  let b1 = 0;
  let b2 = 0;
  for (let j = DEGREE; j >= 1; j--) {
    const b0 = 2 * t * b1 - b2 + (c[base + j] as number);
    b2 = b1;
    b1 = b0;
  }
  return t * b1 - b2 + (c[base] as number);
}

/** erf for |x| < 0.5 by its alternating Taylor series (terms shrink by ≥ 4× each step: no cancellation trouble). */
function erfSmall(x: number): number {
  const x2 = x * x;
  let term = x;
  let sum = x;
  for (let n = 1; n < 30; n++) {
    term *= -x2 / n;
    const add = term / (2 * n + 1);
    sum += add;
    if (Math.abs(add) < 1e-17 * Math.abs(sum)) break;
  }
  return TWO_OVER_SQRT_PI * sum;
}

/** erfc(z) for z ≥ 0.5. */
function erfcPositive(z: number): number {
  if (z >= 27.5) return 0;
  return Math.exp(-z * z) * erfcxFast(z);
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
  return INV_SQRT_2PI * Math.exp(-0.5 * x * x);
}
