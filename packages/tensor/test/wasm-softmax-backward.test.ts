/**
 * The WebAssembly SIMD softmax and log-softmax backward kernels (src/wasm/rows.wat) are bit for bit the
 * TypeScript loops they replace: over many shapes (rows 1..9 and 13, lengths 1..9, 63..65, 1000),
 * sums whose rounding depends on their order, a cancelling row that exposes the float64 e^y, extreme
 * and non-finite values, the Math.exp bands recomputed in TypeScript, staging in several chunks, other
 * dims and views, and the backend switch.
 */
import { afterEach, describe, expect, it } from "vitest";
import {
  array,
  logSoftmax,
  logSoftmaxBackward,
  NDArray,
  Rng,
  type RowKernelBackend,
  randn,
  setRowKernelBackend,
  softmax,
  softmaxBackward,
} from "../src/index.js";
import { getWasmRows } from "../src/wasm/rows.js";
import { withBackend } from "./helpers.js";

afterEach(() => setRowKernelBackend("auto"));

const simd = getWasmRows() !== null;

/** Runs `fn` with the kernels forced to `backend`. */
const using = <T>(backend: RowKernelBackend, fn: () => T): T => withBackend(setRowKernelBackend, backend, fn);

/** The first index where a and b differ as values (NaN equals NaN, +0 differs from −0), or −1. */
function firstDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  for (let i = 0; i < a.length; i++) {
    const x = a[i] as number;
    const y = b[i] as number;
    if (!Object.is(x, y) && !(Number.isNaN(x) && Number.isNaN(y))) return i;
  }
  return -1;
}

type Backward = typeof softmaxBackward;

/** Both backward ops of (g, y) along `dim` on the wasm and js backends agree bit for bit. */
function compare(op: Backward, g: NDArray, y: NDArray, dim = -1): NDArray {
  const js = using("js", () => op(g, y, dim));
  const wasm = using("wasm", () => op(g, y, dim));
  expect(wasm.shape).toEqual(js.shape);
  expect(wasm.dtype).toBe(js.dtype);
  const a = wasm.toTypedArray();
  const b = js.toTypedArray();
  const i = firstDifference(a, b);
  if (i >= 0) throw new Error(`${op.name}: element ${i} is ${a[i]} (wasm) vs ${b[i]} (js)`);
  return wasm;
}

/** softmax and log-softmax outputs of random logits with the given scale, and an upstream gradient. */
function data(rng: Rng, shape: number[], scale = 3) {
  const x = randn(shape, { rng, dtype: "float32" });
  const d = x.data as Float32Array;
  for (let i = 0; i < d.length; i++) d[i] = (d[i] as number) * scale;
  const g = randn(shape, { rng, dtype: "float32" });
  return { g, y: using("js", () => softmax(x)), ly: using("js", () => logSoftmax(x)) };
}

function compareBoth(g: NDArray, y: NDArray, ly: NDArray, dim = -1): void {
  compare(softmaxBackward, g, y, dim);
  compare(logSoftmaxBackward, g, ly, dim);
}

const f32 = (rows: number[][]) => array(rows, { dtype: "float32" });

describe.runIf(simd)("wasm softmax / log-softmax backward are bitwise the TypeScript loops", () => {
  const rowCounts = [1, 2, 3, 4, 5, 6, 7, 8, 9, 13];
  const lengths = [1, 2, 3, 4, 5, 6, 7, 8, 9, 63, 64, 65, 1000];
  it.each(lengths)("rows of %i (1..9 and 13 of them: groups of four and the rest)", (n) => {
    for (const rows of rowCounts) {
      const rng = new Rng(rows * 7919 + n);
      const { g, y, ly } = data(rng, [rows, n]);
      compareBoth(g, y, ly);
      const wide = data(rng, [rows, n], 30);
      compareBoth(wide.g, wide.y, wide.ly);
    }
  });

  it("sums in the loop's order: rows whose sum depends on it come out the same", () => {
    // g mixes ±1e8 with ±1, so Σ g·y (and Σ g) rounds differently in any other order
    const rng = new Rng(3);
    const rows = 24;
    const n = 67;
    const g = new Float32Array(rows * n);
    for (let i = 0; i < g.length; i++) g[i] = (rng.next() < 0.5 ? -1 : 1) * (rng.next() < 0.3 ? 1e8 : 1 + rng.next());
    const y = new Float32Array(rows * n).fill(1 / 3);
    const G = new NDArray(g, [rows, n]);
    const Y = new NDArray(y, [rows, n]);
    const out = compare(softmaxBackward, G, Y).toTypedArray();
    compare(logSoftmaxBackward, G, Y);
    // the test has teeth: two interleaved partial sums (another order) change some result
    let changed = false;
    for (let r = 0; r < rows && !changed; r++) {
      let even = 0;
      let odd = 0;
      for (let j = 0; j < n; j++) {
        const t = (g[r * n + j] as number) * (y[r * n + j] as number);
        if (j % 2 === 0) even += t;
        else odd += t;
      }
      const s = even + odd;
      for (let j = 0; j < n; j++) {
        if (Math.fround((y[r * n + j] as number) * ((g[r * n + j] as number) - s)) !== out[r * n + j]) changed = true;
      }
    }
    expect(changed).toBe(true);
  });

  it("reproduces the loop's float64 e^y: cancelling rows expose its last bits", () => {
    // Row g = [1, −1, h1, h2] with y = [t, 0, 0, 0], where h1 + h2 is e^−t to ~2^-48: the sum is
    // s = h1 + h2 (1 − 1 cancels exactly first) and the first output 1 − e^t·s is a residue of about
    // 2^-48, rounded to float32, which changes with the last bit of the float64 e^t.
    const ts: number[] = [];
    for (let t = -87; t <= 70; t += 0.0371) ts.push(t);
    for (const t of [-1e-7, 1e-7, -0.5, -Math.LN2, Math.LN2 / 64, -Math.LN2 / 128, 1, 10]) ts.push(t);
    const g: number[][] = [];
    const y: number[][] = [];
    for (const t0 of ts) {
      const t = Math.fround(t0);
      const inv = Math.exp(-t);
      const h1 = Math.fround(inv);
      g.push([1, -1, h1, Math.fround(inv - h1)]);
      y.push([t, 0, 0, 0]);
    }
    const out = compare(logSoftmaxBackward, f32(g), f32(y)).toArray() as number[][];
    const tiny = out.filter((row) => Math.abs(row[0]!) < 2 ** -40).length;
    expect(tiny).toBeGreaterThan(out.length * 0.95);
  });

  it("handles extreme values: ±1e4 logits (zeros and ones in y), −inf, NaN and ±inf in g", () => {
    const x = f32([
      [1e4, 0, -1e4, 5, 1e4 - 3, -0.5, 2, 9999.5, 1],
      [-1e4, -1e4 + Math.log(3), -1e4 - 20, -1e4, -1e4 + 1, -1e4, -1e4, -1e4, -1e4],
      [-Infinity, 0, 0, -Infinity, 1, -Infinity, 2, -Infinity, 3],
      [0, -80, -85.9, -86.1, -90, -100, -103, -104, -200],
      [3e38, -3e38, 0, 1, 2, 3, 4, 5, 6],
      [-1, -1, -1, -1, -1, -1, -1, -1, -1],
    ]);
    const y = using("js", () => softmax(x));
    const ly = using("js", () => logSoftmax(x));
    const rng = new Rng(11);
    const plain = randn(x.shape, { rng, dtype: "float32" });
    compareBoth(plain, y, ly);
    for (const bad of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 3e38, -0, 0]) {
      const g = randn(x.shape, { rng, dtype: "float32" });
      const d = g.data as Float32Array;
      for (let r = 0; r < 6; r++) d[r * 9 + ((r * 4) % 9)] = bad;
      compareBoth(g, y, ly);
    }
    // all-zero gradients and all-zero y (signs of zero included)
    const zeros = new NDArray(new Float32Array(54), [6, 9]);
    const negZeros = new NDArray(new Float32Array(54).fill(-0), [6, 9]);
    compareBoth(zeros, y, ly);
    compareBoth(negZeros, negZeros, negZeros);
    compareBoth(plain, zeros, zeros);
  });

  it("log-softmax: y where the loop's exp calls Math.exp (recomputed in TypeScript) and around it", () => {
    const edges = [
      -708.39,
      -708.3900146484375,
      -708.38,
      -708.4,
      -720,
      -745,
      -745.13,
      -745.14,
      -745.2,
      -745.9,
      -746,
      -746.1,
      -800,
      -1e4,
      Number.NEGATIVE_INFINITY,
      708.9,
      709,
      709.0001,
      709.5,
      709.78,
      709.8,
      709.9,
      710,
      710.5,
      1e4,
      Number.POSITIVE_INFINITY,
      Number.NaN,
      0,
      -0,
    ];
    const rng = new Rng(17);
    // each edge value in a row of ordinary ones, at varying positions; plus all-edge rows
    const n = 11;
    const y: number[][] = [];
    for (const [i, v] of edges.entries()) {
      const row = Array.from({ length: n }, () => -2 * rng.next());
      row[i % n] = v;
      y.push(row);
    }
    for (let i = 0; i < edges.length; i += n)
      y.push(Array.from({ length: n }, (_, j) => edges[(i + j) % edges.length]!));
    const g = randn([y.length, n], { rng, dtype: "float32" });
    compare(logSoftmaxBackward, g, f32(y));
    // signed zeros: g = 0 where e^y is 0 or tiny
    const zeroG = new NDArray(new Float32Array(y.length * n), [y.length, n]);
    compare(logSoftmaxBackward, zeroG, f32(y));
    const infG = new NDArray(new Float32Array(y.length * n).fill(Number.POSITIVE_INFINITY), [y.length, n]);
    compare(logSoftmaxBackward, infG, f32(y));
  });

  it("stages large inputs in chunks (flagged rows in a later chunk, rows longer than a chunk)", () => {
    const rng = new Rng(23);
    const { g, y, ly } = data(rng, [50, 1000]);
    const d = ly.data as Float32Array;
    d[37 * 1000 + 5] = -720; // a Math.exp row in the third chunk
    d[49 * 1000 + 999] = 709.5;
    compareBoth(g, y, ly);
    const long = data(rng, [3, 20001]);
    compareBoth(long.g, long.y, long.ly);
  });

  it("along other dims, on non-contiguous views, with a leading batch, 0-d and empty", () => {
    const rng = new Rng(5);
    const { g, y, ly } = data(rng, [6, 33, 10]);
    for (const dim of [0, 1, 2, -1]) {
      const sy = using("js", () => softmax(y, dim));
      const sly = using("js", () => logSoftmax(ly, dim));
      compareBoth(g, sy, sly, dim);
    }
    const t = data(rng, [40, 37]);
    compareBoth(t.g.transpose(0, 1), t.y.transpose(0, 1), t.ly.transpose(0, 1));
    const b = data(rng, [4, 3, 5, 63]);
    compareBoth(b.g, b.y, b.ly);
    const s = array(2.5, { dtype: "float32" });
    expect(compare(softmaxBackward, s, array(1, { dtype: "float32" })).item()).toBe(0);
    expect(compare(logSoftmaxBackward, s, array(0, { dtype: "float32" })).item()).toBe(0);
    const empty = array([[], []], { dtype: "float32" });
    expect(compare(softmaxBackward, empty, empty).shape).toEqual([2, 0]);
    expect(compare(logSoftmaxBackward, empty, empty, 0).shape).toEqual([2, 0]);
  });
});

describe("the backward kernels and the backend switch", () => {
  /** Whether `fn` staged anything in the row kernels' memory. */
  function staged(fn: () => unknown): boolean {
    const wasm = getWasmRows();
    if (!wasm) return false;
    const before = wasm.generation;
    fn();
    return wasm.generation !== before;
  }

  it.runIf(simd)('"auto" keeps small inputs and short rows in TypeScript and sends the rest to wasm', () => {
    const rng = new Rng(31);
    const small = data(rng, [3, 20]);
    const short = data(rng, [500, 3]);
    const large = data(rng, [8, 64]);
    for (const op of [softmaxBackward, logSoftmaxBackward]) {
      expect(staged(() => op(small.g, small.y))).toBe(false);
      expect(staged(() => op(short.g, short.y))).toBe(false);
      expect(staged(() => op(large.g, large.y))).toBe(true);
      expect(staged(() => using("js", () => op(large.g, large.y)))).toBe(false);
      expect(staged(() => using("wasm", () => op(small.g, small.y)))).toBe(true);
    }
  });

  it("float64 and mixed dtypes stay on the TypeScript path (same results under every backend)", () => {
    const rng = new Rng(9);
    const g64 = randn([50, 77], { rng, dtype: "float64" });
    const y64 = using("js", () => softmax(randn([50, 77], { rng, dtype: "float64" })));
    const y32 = using("js", () => softmax(randn([50, 77], { rng, dtype: "float32" })));
    for (const op of [softmaxBackward, logSoftmaxBackward]) {
      for (const [g, y] of [
        [g64, y64],
        [g64, y32],
      ] as const) {
        const js = using("js", () => op(g, y));
        const wasm = using(simd ? "wasm" : "auto", () => op(g, y));
        expect(wasm.dtype).toBe("float64");
        expect(staged(() => using(simd ? "wasm" : "auto", () => op(g, y)))).toBe(false);
        expect(firstDifference(wasm.toTypedArray(), js.toTypedArray())).toBe(-1);
      }
    }
  });
});
