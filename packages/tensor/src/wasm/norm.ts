/**
 * The WebAssembly SIMD LayerNorm kernels (src/wasm/norm.wat, embedded as base64): float32 forward and
 * backward over contiguous rows. LayerNorm is a row kernel, so it shares the row kernels' memory (and
 * its {@link WasmRows} views and growth) and their backend switch, `setRowKernelBackend`; the module is
 * instantiated lazily and synchronously on first use. The TypeScript loops in kernels/layer-norm.ts stay
 * the portable fallback and the float64 path.
 */
import { copyToOutput } from "../buffer-pool.js";
import { NORM_SHARED_WASM_BASE64, NORM_WASM_BASE64 } from "./kernels.generated.js";
import { DATA_AT, getRowKernelBackend, getWasmRows, type WasmRows } from "./rows.js";
import { align, decodeBase64, validating } from "./runtime.js";

/** The exports of norm.wat (pointers are byte offsets; see the comments there for the layouts). */
export interface NormExports {
  /** y (may be x) = LayerNorm of each row; wb: w and b interleaved by pairs (read when affine); t: 2 rows of n f64 scratch. */
  layer_norm(
    x: number,
    y: number,
    rows: number,
    n: number,
    affine: number,
    wb: number,
    eps: number,
    mean: number,
    rstd: number,
    t: number,
  ): void;
  /** dx (may be g) per row; q: w, dw, db interleaved by pairs (dw and db summed over rows); t: 2 rows of 2n f64 scratch. */
  layer_norm_backward(
    x: number,
    g: number,
    dx: number,
    rows: number,
    n: number,
    q: number,
    mean: number,
    rstd: number,
    t: number,
  ): void;
}

/** The LayerNorm kernels and the row-kernel memory they work in. */
export interface WasmNorm {
  readonly exports: NormExports;
  readonly mem: WasmRows;
}

let normBytes: Uint8Array<ArrayBuffer> | undefined;
/** The assembled norm.wat bytes. */
export function normWasmBytes(): Uint8Array<ArrayBuffer> {
  normBytes ??= decodeBase64(NORM_WASM_BASE64);
  return normBytes;
}

let sharedBytes: Uint8Array<ArrayBuffer> | undefined;
let instance: WasmNorm | null | undefined;

/**
 * The LayerNorm kernels over the row kernels' memory (an ordinary or, with a worker pool, a shared
 * one), created on first call and again when that memory changes; null when this engine has no
 * WebAssembly SIMD (validating the module is the feature test).
 */
export function getWasmNorm(): WasmNorm | null {
  const mem = getWasmRows();
  if (instance !== undefined && (instance === null || instance.mem === mem)) return instance;
  instance = null;
  if (mem?.shared) sharedBytes ??= decodeBase64(NORM_SHARED_WASM_BASE64);
  const bytes = mem?.shared && sharedBytes ? sharedBytes : normWasmBytes();
  const api = mem ? validating(bytes) : null;
  if (mem && api) {
    const exports = new api.Instance(new api.Module(bytes), { env: { memory: mem.memory } }).exports as NormExports;
    instance = { exports, mem };
  }
  return instance;
}

/**
 * Under the `"auto"` row-kernel backend, float32 LayerNorms with fewer elements than this, or with rows
 * shorter than 4, stay in TypeScript: the staging copies and the call then cost about what SIMD saves.
 * Measured per call on the dev machine (Xeon, Node 20), forward and backward: about even at 64
 * elements, 1.1–1.2× faster at 128, 1.5× (forward) and 1.2× (backward) at 512 in rows of 128, 3.7× and
 * 4× at 1024 rows of 128.
 */
export const LAYER_NORM_WASM_MIN = 128;

/** The kernels for a float32 LayerNorm of `elements` values in rows of `n`, or null for the TypeScript loops. */
function pick(elements: number, n: number): WasmNorm | null {
  const backend = getRowKernelBackend();
  if (backend === "js" || elements === 0) return null;
  if (backend === "auto" && (elements < LAYER_NORM_WASM_MIN || n < 4)) return null;
  return getWasmNorm();
}

/**
 * LayerNorm of `rows` contiguous rows of `n` float32 values starting at `src[start]`, with optional
 * weight and bias of n values (any typed array: staged as float64, so exactly the values the loops
 * use). Returns y and the per-row float64 mean and rstd, or null when the TypeScript loops should run
 * (backend, size, or memory).
 */
export function layerNormWasm(
  src: Float32Array,
  start: number,
  rows: number,
  n: number,
  weight: ArrayLike<number> | null,
  bias: ArrayLike<number> | null,
  eps: number,
): { y: Float32Array; mean: Float64Array; rstd: Float64Array } | null {
  const size = rows * n;
  const wasm = pick(size, n);
  if (!wasm) return null;
  const { mem, exports } = wasm;
  // Layout (bytes): [scratch][x, overwritten by y][wb: 4 f64 per pair of columns][mean: rows f64]
  // [rstd: rows f64][t: two f64 rows]
  const pairs = (n + 1) >> 1;
  const x = DATA_AT;
  const wb = x + align(size * 4);
  const mean = wb + align(pairs * 32);
  const rstd = mean + align(rows * 8);
  const t = rstd + align(rows * 8);
  if (!mem.reserve(t + pairs * 32)) return null;
  mem.f32.set(src.subarray(start, start + size), x / 4);
  const affine = weight !== null || bias !== null;
  if (affine) {
    // [w_j w_j+1 b_j b_j+1] per pair; where the loops skip the weight or the bias, 1 and -0 change nothing.
    const f64 = mem.f64;
    const o = wb / 8;
    for (let j = 0; j < n; j++) {
      const k = o + 4 * (j >> 1) + (j & 1);
      f64[k] = weight ? (weight[j] as number) : 1;
      f64[k + 2] = bias ? (bias[j] as number) : -0;
    }
  }
  exports.layer_norm(x, x, rows, n, affine ? 1 : 0, wb, eps, mean, rstd, t);
  return {
    y: copyToOutput(mem.f32, x / 4, x / 4 + size),
    mean: copyOut(mem.f64, mean / 8, rows, Float64Array),
    rstd: copyOut(mem.f64, rstd / 8, rows, Float64Array),
  };
}

/**
 * A new array holding `length` values of `view` from `at`. Allocating and then `set` is faster than
 * `slice` in V8 (which takes a slower path for typed arrays).
 */
function copyOut<T extends Float32Array | Float64Array>(
  view: T,
  at: number,
  length: number,
  Ctor: new (length: number) => T,
): T {
  const out = new Ctor(length);
  out.set(view.subarray(at, at + length));
  return out;
}

/**
 * Gradients of LayerNorm over `rows` contiguous rows of `n` float32 values (x from `xs[xStart]`, the
 * upstream gradient from `gs[gStart]`), given the forward's per-row `mean` and `rstd` and the optional
 * weight: dx (float32) and dw, db (float64, summed over rows in row order), or null when the TypeScript
 * loops should run.
 */
export function layerNormBackwardWasm(
  xs: Float32Array,
  xStart: number,
  gs: Float32Array,
  gStart: number,
  rows: number,
  n: number,
  mean: ArrayLike<number>,
  rstd: ArrayLike<number>,
  weight: ArrayLike<number> | null,
): { dx: Float32Array; dw: Float64Array; db: Float64Array } | null {
  const size = rows * n;
  const wasm = pick(size, n);
  if (!wasm) return null;
  const { mem, exports } = wasm;
  // Layout (bytes): [scratch][x][g, overwritten by dx][q: 6 f64 per pair of columns][mean: rows f64]
  // [rstd: rows f64][t: two rows of 2n f64]
  const pairs = (n + 1) >> 1;
  const x = DATA_AT;
  const g = x + align(size * 4);
  const q = g + align(size * 4);
  const m = q + align(pairs * 48);
  const s = m + align(rows * 8);
  const t = s + align(rows * 8);
  if (!mem.reserve(t + pairs * 64)) return null;
  const f32 = mem.f32;
  const f64 = mem.f64;
  f32.set(xs.subarray(xStart, xStart + size), x / 4);
  f32.set(gs.subarray(gStart, gStart + size), g / 4);
  f64.set(mean, m / 8);
  f64.set(rstd, s / 8);
  // [w_j w_j+1 dw_j dw_j+1 db_j db_j+1] per pair; w = 1 without a weight (g * 1 is g exactly, as the
  // loops' unweighted case); the kernel zeroes dw and db.
  const o = q / 8;
  for (let j = 0; j < n; j++) f64[o + 6 * (j >> 1) + (j & 1)] = weight ? (weight[j] as number) : 1;
  exports.layer_norm_backward(x, g, g, rows, n, q, m, s, t);
  const dw = new Float64Array(n);
  const db = new Float64Array(n);
  for (let j = 0; j < n; j++) {
    const k = o + 6 * (j >> 1) + (j & 1);
    dw[j] = f64[k + 2] as number;
    db[j] = f64[k + 4] as number;
  }
  return { dx: copyToOutput(f32, g / 4, g / 4 + size), dw, db };
}
