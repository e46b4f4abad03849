#!/usr/bin/env -S npx tsx
/**
 * Fits the approximations in src/wasm/unary.wat and prints them as float32 constants, with the error
 * each reaches:
 *
 *   npx tsx packages/tensor/scripts/fit-unary.ts
 *
 * 1. The exp core: e^r − 1 = r + r²·P(r) on |r| ≤ ln2/2 + 1e-4 (r is the Cody–Waite remainder, a bit
 *    wider than ln2/2 because k = round(x·log2 e) is computed in float32), P of degree 4. It minimises
 *    the relative error of e^r − 1 (which also bounds that of e^r = 1 + r + r²·P(r)); tanh uses the
 *    e^r − 1 form. Remez exchange on a dense grid, in a Chebyshev basis, then converted to monomials;
 *    the coefficients are rounded to float32 one at a time, refitting the remaining ones after each.
 * 2. The normal tail: Φ(−a) = ½·erfc(a/√2) = e^(−a²/2)·w(a), a = |x| ≥ 0, with w(a) = ½·erfcx(a/√2)
 *    (smooth, 1/2 at 0, ~1/(a·√(2π)) for large a) approximated on [0, 20] by a rational function
 *    N(a)/D(a) of degrees 4 and 5, D(0) = 1: one formula for every a, no branches, and its
 *    coefficients come out positive, so Horner's rule in float32 has no cancellation. Fitted to w
 *    computed from erfc in src/kernels/special.ts (float64-accurate) by linearised least squares
 *    (Sanathanan–Koerner: N − w·D weighted by 1/(w·D_prev)) with Lawson's reweighting towards the
 *    minimax relative error; then, rounded to float32, each coefficient is nudged by a few ulps
 *    while that lowers the worst error of the float32 evaluation itself (Horner and the division
 *    rounded as the kernel rounds them).
 */
import { erfc } from "../src/kernels/special.js";

/** Monomial coefficients (in u) of T_0..T_deg (row j = T_j). */
function chebyshevMonomials(deg: number): number[][] {
  const T = Array.from({ length: deg + 1 }, () => new Array<number>(deg + 1).fill(0));
  T[0]![0] = 1;
  if (deg >= 1) T[1]![1] = 1;
  for (let j = 2; j <= deg; j++) {
    for (let k = 0; k <= deg; k++) T[j]![k] = (k > 0 ? 2 * T[j - 1]![k - 1]! : 0) - T[j - 2]![k]!;
  }
  return T;
}

/** Binomial coefficient. */
function choose(n: number, k: number): number {
  let r = 1;
  for (let i = 1; i <= k; i++) r = (r * (n - k + i)) / i;
  return r;
}

/** Solves the square system M·x = v by Gaussian elimination with partial pivoting. */
function solve(M: number[][], v: number[]): number[] {
  const n = v.length;
  const A = M.map((row, i) => [...row, v[i]!]);
  for (let k = 0; k < n; k++) {
    let p = k;
    for (let i = k + 1; i < n; i++) if (Math.abs(A[i]![k]!) > Math.abs(A[p]![k]!)) p = i;
    [A[k], A[p]] = [A[p]!, A[k]!];
    for (let i = k + 1; i < n; i++) {
      const f = A[i]![k]! / A[k]![k]!;
      for (let j = k; j <= n; j++) A[i]![j] = A[i]![j]! - f * A[k]![j]!;
    }
  }
  const x = new Array<number>(n).fill(0);
  for (let k = n - 1; k >= 0; k--) {
    let s = A[k]![n]!;
    for (let j = k + 1; j < n; j++) s -= A[k]![j]! * x[j]!;
    x[k] = s / A[k]![k]!;
  }
  return x;
}

/**
 * Monomial coefficients c_0..c_deg (in t) of the polynomial p whose first coefficients are `fixed`
 * (already chosen, lowest first) and the others free, minimising max |w(t)·(p(t) − f(t))| over
 * [lo, hi] (w = 1/f: relative error). Remez exchange on a dense grid, in a Chebyshev basis.
 */
function fitMinimax(
  f: (t: number) => number,
  w: (t: number) => number,
  lo: number,
  hi: number,
  deg: number,
  fixed: number[] = [],
): number[] {
  const free = deg + 1 - fixed.length;
  const shift = fixed.length;
  const uOf = (t: number) => (2 * (t - lo)) / (hi - lo) - 1;
  const fixedAt = (t: number) => fixed.reduce((s, c, j) => s + c * t ** j, 0);
  // The free part: Σ_j b_j·T_j(u)·t^shift, u mapping [lo, hi] onto [−1, 1].
  const basis = (t: number) => {
    const u = uOf(t);
    const T = [1, u];
    for (let j = 2; j < free; j++) T.push(2 * u * T[j - 1]! - T[j - 2]!);
    return T.slice(0, free).map((v) => v * t ** shift);
  };
  const N = 20_000;
  const grid = Array.from({ length: N }, (_, i) => lo + (hi - lo) * (0.5 - 0.5 * Math.cos((Math.PI * i) / (N - 1))));
  const rows = grid.map(basis);
  const target = grid.map((t) => f(t) - fixedAt(t));
  const weight = grid.map(w);
  // Initial reference: Chebyshev extrema.
  let ref = Array.from({ length: free + 1 }, (_, i) => Math.round(((N - 1) * i) / free));
  let b: number[] = [];
  for (let iter = 0; iter < 60; iter++) {
    const M = ref.map((g, i) => [...rows[g]!, (i % 2 ? -1 : 1) / weight[g]!]);
    const x = solve(
      M,
      ref.map((g) => target[g]!),
    );
    b = x.slice(0, free);
    const level = Math.abs(x[free]!);
    const err = rows.map((r, g) => weight[g]! * (r.reduce((s, v, j) => s + v * b[j]!, 0) - target[g]!));
    // One extremum per run of equal sign, then trim to free + 1 alternating points.
    const peaks: number[] = [];
    for (let g = 0; g < N; g++) {
      const last = peaks[peaks.length - 1];
      if (last !== undefined && Math.sign(err[g]!) === Math.sign(err[last]!)) {
        if (Math.abs(err[g]!) > Math.abs(err[last]!)) peaks[peaks.length - 1] = g;
      } else if (err[g] !== 0) peaks.push(g);
    }
    while (peaks.length > free + 1) {
      if (Math.abs(err[peaks[0]!]!) < Math.abs(err[peaks[peaks.length - 1]!]!)) peaks.shift();
      else peaks.pop();
    }
    const worst = Math.max(...err.map(Math.abs));
    if (peaks.length < free + 1 || worst <= level * (1 + 1e-6)) break;
    ref = peaks;
  }
  // Chebyshev in u → monomials in u → monomials in t (u = α·t + β), then shifted by t^shift.
  const T = chebyshevMonomials(free - 1);
  const inU = new Array<number>(free).fill(0);
  for (let j = 0; j < free; j++) for (let k = 0; k < free; k++) inU[k] = inU[k]! + b[j]! * T[j]![k]!;
  const alpha = 2 / (hi - lo);
  const beta = -1 - alpha * lo;
  const inT = new Array<number>(free).fill(0);
  for (let k = 0; k < free; k++) {
    for (let i = 0; i <= k; i++) inT[i] = inT[i]! + inU[k]! * choose(k, i) * alpha ** i * beta ** (k - i);
  }
  return [...fixed, ...inT];
}

/** The minimax fit with float32 coefficients: round the lowest free coefficient, refit the rest, repeat. */
function fitFloat32(f: (t: number) => number, w: (t: number) => number, lo: number, hi: number, deg: number): number[] {
  const fixed: number[] = [];
  while (fixed.length <= deg) {
    const c = fitMinimax(f, w, lo, hi, deg, fixed);
    fixed.push(Math.fround(c[fixed.length]!));
  }
  return fixed;
}

/** Least squares min ‖A·c − b‖ by Householder QR (A: m rows of n columns). */
function leastSquares(A: number[][], b: number[]): number[] {
  const m = A.length;
  const n = (A[0] as number[]).length;
  const R = A.map((r) => r.slice());
  const y = b.slice();
  for (let k = 0; k < n; k++) {
    let norm = 0;
    for (let i = k; i < m; i++) norm += R[i]![k]! ** 2;
    norm = Math.sqrt(norm);
    const alpha = R[k]![k]! > 0 ? -norm : norm;
    const v = new Float64Array(m);
    for (let i = k; i < m; i++) v[i] = R[i]![k]!;
    v[k] = v[k]! - alpha;
    let vv = 0;
    for (let i = k; i < m; i++) vv += v[i]! ** 2;
    if (vv === 0) continue;
    for (let j = k; j < n; j++) {
      let s = 0;
      for (let i = k; i < m; i++) s += v[i]! * R[i]![j]!;
      s = (2 * s) / vv;
      for (let i = k; i < m; i++) R[i]![j] = R[i]![j]! - s * v[i]!;
    }
    let s = 0;
    for (let i = k; i < m; i++) s += v[i]! * y[i]!;
    s = (2 * s) / vv;
    for (let i = k; i < m; i++) y[i] = y[i]! - s * v[i]!;
  }
  const x = new Array<number>(n).fill(0);
  for (let k = n - 1; k >= 0; k--) {
    let s = y[k]!;
    for (let j = k + 1; j < n; j++) s -= R[k]![j]! * x[j]!;
    x[k] = s / R[k]![k]!;
  }
  return x;
}

/** Horner's rule in float64, or rounding every step to float32 like the kernel. */
function horner(c: readonly number[], x: number, f32 = false): number {
  let p = c[c.length - 1]!;
  for (let j = c.length - 2; j >= 0; j--) p = f32 ? Math.fround(Math.fround(p * x) + c[j]!) : p * x + c[j]!;
  return p;
}

/** Max relative error of N(a)/D(a) against f over float32 a on a dense grid of [0, aMax]. */
function rationalError(num: number[], den: number[], f: (a: number) => number, aMax: number, f32: boolean): number {
  let worst = 0;
  for (let i = 0; i <= 40_000; i++) {
    const a = Math.fround((aMax * i) / 40_000);
    const q = f32 ? Math.fround(horner(num, a, true) / horner(den, a, true)) : horner(num, a) / horner(den, a);
    worst = Math.max(worst, Math.abs(q / f(a) - 1));
  }
  return worst;
}

/** The float32 value `steps` ulps away from v. */
function nudge(v: number, steps: number): number {
  const f = new Float32Array([v]);
  const i = new Int32Array(f.buffer);
  i[0] = (i[0] as number) + (v < 0 ? -steps : steps);
  return f[0] as number;
}

/**
 * N/D (degrees n and m, D(0) = 1) approximating f on [0, aMax] in relative error, with float32
 * coefficients (see the header for the method).
 */
function fitRational(f: (a: number) => number, aMax: number, n: number, m: number): { num: number[]; den: number[] } {
  const M = 3000;
  const as = Array.from({ length: M }, (_, i) => aMax * (0.5 - 0.5 * Math.cos((Math.PI * (i + 0.5)) / M)));
  const fs = as.map(f);
  let prevDen = as.map(() => 1);
  let lawson = as.map(() => 1 / M);
  let best = { err: Number.POSITIVE_INFINITY, num: [] as number[], den: [] as number[] };
  for (let it = 0; it < 300; it++) {
    // Unknowns N_0..N_n, D_1..D_m; rows N(a) − f(a)·(D(a) − 1) = f(a), scaled by √lawson/(f·D_prev).
    const scale = as.map((_, i) => Math.sqrt(lawson[i]!) / (fs[i]! * prevDen[i]!));
    const rows = as.map((a, i) => [
      ...Array.from({ length: n + 1 }, (_, j) => a ** j * scale[i]!),
      ...Array.from({ length: m }, (_, j) => -fs[i]! * a ** (j + 1) * scale[i]!),
    ]);
    const c = leastSquares(
      rows,
      fs.map((v, i) => v * scale[i]!),
    );
    const num = c.slice(0, n + 1);
    const den = [1, ...c.slice(n + 1)];
    const err = as.map((a, i) => horner(num, a) / horner(den, a) / fs[i]! - 1);
    const worst = Math.max(...err.map(Math.abs));
    if (worst < best.err) best = { err: worst, num, den };
    prevDen = as.map((a) => horner(den, a));
    let total = 0;
    lawson = lawson.map((v, i) => {
      const next = v * Math.abs(err[i]!);
      total += next;
      return next;
    });
    lawson = lawson.map((v) => v / total + 1e-300);
  }
  const num = best.num.map(Math.fround);
  const den = best.den.map(Math.fround);
  let score = rationalError(num, den, f, aMax, true);
  for (let round = 0, improved = true; improved && round < 10; round++) {
    improved = false;
    for (const c of [num, den]) {
      for (let j = c === den ? 1 : 0; j < c.length; j++) {
        for (const steps of [-4, -2, -1, 1, 2, 4]) {
          const keep = c[j]!;
          c[j] = nudge(keep, steps);
          const s = rationalError(num, den, f, aMax, true);
          if (s < score) {
            score = s;
            improved = true;
          } else c[j] = keep;
        }
      }
    }
  }
  return { num, den };
}

/** Shortest decimal that reads back as the same float32. */
function f32(v: number): string {
  for (let digits = 6; digits <= 12; digits++) {
    const s = v.toPrecision(digits);
    if (Math.fround(Number(s)) === v) return String(Number(s));
  }
  return String(v);
}

// 1. exp core: (e^r − 1 − r)/r², whose series is 1/2 + r/6 + …; near 0 the quotient loses digits to
// cancellation, so the series is used there.
const h = (r: number) =>
  Math.abs(r) < 1e-3 ? 0.5 + r / 6 + (r * r) / 24 + (r * r * r) / 120 : (Math.expm1(r) - r) / (r * r);
const R = Math.LN2 / 2 + 1e-4;
const P = fitFloat32(h, (r) => (r * r) / Math.abs(Math.expm1(r)), -R, R, 4);
const expErr = (r: number) => {
  let p = 0;
  for (let j = P.length - 1; j >= 0; j--) p = p * r + P[j]!;
  return Math.abs((1 + r + r * r * p) / Math.exp(r) - 1);
};
const expm1Err = (r: number) => {
  let p = 0;
  for (let j = P.length - 1; j >= 0; j--) p = p * r + P[j]!;
  return r === 0 ? 0 : Math.abs((r + r * r * p) / Math.expm1(r) - 1);
};
let worstExp = 0;
let worstExpm1 = 0;
for (let i = -100_000; i <= 100_000; i++) {
  const r = (R * i) / 100_000;
  worstExp = Math.max(worstExp, expErr(r));
  worstExpm1 = Math.max(worstExpm1, expm1Err(r));
}
console.log(`exp core P(r), degree 4 on |r| ≤ ${R.toFixed(6)} (c2 first: e^r − 1 = r + r²·(c2 + c3·r + …)):`);
console.log(`  ${P.map(f32).join(" ")}`);
console.log(`  max relative error: e^r ${worstExp.toExponential(2)}, expm1 ${worstExpm1.toExponential(2)}`);

// 2. normal tail: w(a) = ½·erfc(a/√2)·e^(a²/2) ≈ N(a)/D(a).
const A_MAX = 20;
const ND = 4;
const DD = 5;
const w = (a: number) => 0.5 * erfc(a * Math.SQRT1_2) * Math.exp(0.5 * a * a);
const { num, den } = fitRational(w, A_MAX, ND, DD);
console.log(`normal tail w(a) = N(a)/D(a) on a ∈ [0, ${A_MAX}], degrees ${ND}/${DD} (constant terms first):`);
console.log(`  N: ${num.map(f32).join(" ")}`);
console.log(`  D: ${den.map(f32).join(" ")}`);
console.log(
  `  max relative error: ${rationalError(num, den, w, A_MAX, false).toExponential(2)} in float64, ` +
    `${rationalError(num, den, w, A_MAX, true).toExponential(2)} evaluated in float32`,
);
