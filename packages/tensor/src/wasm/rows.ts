/**
 * The WebAssembly SIMD row kernels (src/wasm/rows.wat, embedded as base64): float32 softmax,
 * log-softmax, their backward passes and the fused softmax cross-entropy forward and backward over
 * contiguous rows. Loaded lazily and synchronously on first use, in a memory of their own: an ordinary
 * one, or a shared one while a worker pool is installed (then large calls are split across it by rows,
 * see parallel.ts). The TypeScript loops in kernels/softmax.ts and kernels/cross-entropy.ts stay the
 * portable fallback and the float64 path; {@link setRowKernelBackend} forces either one.
 */
import { copyToOutput, outputFloat32 } from "../buffer-pool.js";
import { ArgumentError } from "../errors.js";
import { ROWS_SHARED_WASM_BASE64, ROWS_WASM_BASE64 } from "./kernels.generated.js";
import {
  type CallArg,
  FAMILY_ROWS,
  MAX_CALL_THREADS,
  SCRATCH_BYTES,
  type SharedKernels,
  splitCall,
} from "./parallel.js";
import {
  align,
  decodeBase64,
  getKernelPool,
  SHARED_MAX_PAGES,
  validating,
  WasmHeap,
  type WasmMemory,
  type WasmModule,
} from "./runtime.js";

/** The exports of rows.wat (pointers are byte offsets; see the comments there). */
export interface RowsExports {
  /** y = softmax of each row (y may equal x); stats: [max, Σ e^(x − max)] as float64 per row. */
  softmax(x: number, y: number, rows: number, n: number, stats: number): void;
  /** Softmax of each row's first min(r mod L + 1, n) entries, zeros after (attention's causal mask). */
  softmax_causal(x: number, y: number, rows: number, n: number, L: number): void;
  /** Only the [max, Σ e^(x − max)] stats (scratch: room for one row). */
  softmax_stats(x: number, rows: number, n: number, stats: number, scratch: number): void;
  /** y = f32(x − c_row), the difference in float64 (c: one float64 per row). */
  sub_rows(x: number, y: number, rows: number, n: number, c: number): void;
  /** out_row = Σ w_k·x_k in float64 (w: n float64; w = 1 when weighted is 0). */
  dot_rows(x: number, w: number, weighted: number, rows: number, n: number, out: number): void;
  /** y = f32(p·a − s·w) per row in float64 (coef: [a, s] float64 per row; the s·w term only when smooth). */
  ce_backward(
    p: number,
    y: number,
    rows: number,
    n: number,
    coef: number,
    w: number,
    smooth: number,
    weighted: number,
  ): void;
  /** out = f32(y·(g − Σ g·y)) per row, in float64 (out may equal g). */
  softmax_backward(g: number, y: number, out: number, rows: number, n: number): void;
  /**
   * out = f32(g − e^y·Σ g) per row, in float64, e^y as kernels/fastmath.ts's exp (frac: its 2^(j/64)
   * table); flags: an int32 per row, 1 where y has an entry that exp hands to Math.exp (recompute those
   * rows). Returns how many rows are flagged.
   */
  log_softmax_backward(g: number, y: number, out: number, rows: number, n: number, frac: number, flags: number): number;
  /** Moves this instance's scratch bytes to [at, at + 64) (each thread on a shared memory has its own). */
  set_scratch(at: number): void;
}

/**
 * Bytes [0, DATA_AT) of the memory are the kernels' scratch, 64 bytes per thread (rows.wat keeps a
 * row's last vector there); callers lay their data out from DATA_AT.
 */
export const DATA_AT = SCRATCH_BYTES * MAX_CALL_THREADS;

/** A loaded row-kernel instance with its memory and typed views over it. */
export class WasmRows extends WasmHeap {
  readonly exports: RowsExports;
  /** The compiled module (workers instantiate it over the same memory when it is shared). */
  readonly module: WasmModule;

  constructor(exports: RowsExports, memory: WasmMemory, module: WasmModule) {
    super(memory);
    this.exports = exports;
    this.module = module;
  }

  /**
   * Runs export `name` over `rows` rows in chunks of a multiple of `multiple` rows, split across the
   * worker pool when this memory is shared and the call has at least `min` elements of `n` per row;
   * `args` as for {@link splitCall}.
   */
  rowsCall(name: keyof RowsExports, rows: number, n: number, args: readonly CallArg[], multiple = 1): void {
    const fn = this.exports[name] as (...a: number[]) => unknown;
    splitCall(this, FAMILY_ROWS, name, fn, rows, args, {
      multiple,
      min: Math.ceil(ROWS_PARALLEL_MIN / Math.max(1, n)),
    });
  }
}

/**
 * Row-kernel calls with fewer elements than this stay on one thread even with a pool: waking a worker
 * and splitting cost tens of microseconds. Only the exp-heavy kernels are split (softmax and the fused
 * cross-entropy): the softmax backward and the causal softmax of attention-sized inputs gained nothing
 * or lost on two threads (bench/threads.bench.ts: 0.52 → 0.77 ms and 0.81 → 0.79 ms at 16×4×64×64),
 * since staging the whole input at once costs what splitting saves.
 */
export const ROWS_PARALLEL_MIN = 1 << 16;

let rowsBytes: Uint8Array<ArrayBuffer> | undefined;
/** The assembled rows.wat bytes. */
export function rowsWasmBytes(): Uint8Array<ArrayBuffer> {
  rowsBytes ??= decodeBase64(ROWS_WASM_BASE64);
  return rowsBytes;
}

let sharedBytes: Uint8Array<ArrayBuffer> | undefined;
/** The same kernels importing a shared memory (for the worker pool). */
export function rowsSharedWasmBytes(): Uint8Array<ArrayBuffer> {
  sharedBytes ??= decodeBase64(ROWS_SHARED_WASM_BASE64);
  return sharedBytes;
}

let instance: WasmRows | null | undefined;
let sharedInstance: WasmRows | null | undefined;

/**
 * The row-kernel instance, created on first call: the shared-memory one while a worker pool is
 * installed, else one over an ordinary memory. Null when this engine has no WebAssembly or no SIMD
 * (validating the module is the feature test).
 */
export function getWasmRows(): WasmRows | null {
  if (getKernelPool()) {
    const shared = getSharedWasmRows();
    if (shared) return shared;
  }
  if (instance !== undefined) return instance;
  instance = null;
  const bytes = rowsWasmBytes();
  const api = validating(bytes);
  if (api) {
    const module = new api.Module(bytes);
    const memory = new api.Memory({ initial: 1 });
    instance = new WasmRows(new api.Instance(module, { env: { memory } }).exports as RowsExports, memory, module);
  }
  return instance;
}

/**
 * The row kernels over a shared memory (created on first call), which the worker pool's threads run
 * too; null when the engine lacks SIMD, the threads feature or SharedArrayBuffer.
 */
export function getSharedWasmRows(): WasmRows | null {
  if (sharedInstance !== undefined) return sharedInstance;
  sharedInstance = null;
  const bytes = rowsSharedWasmBytes();
  const api = typeof SharedArrayBuffer === "function" ? validating(bytes) : null;
  if (api) {
    try {
      const module = new api.Module(bytes);
      const memory = new api.Memory({ initial: 1, maximum: SHARED_MAX_PAGES, shared: true });
      const exports = new api.Instance(module, { env: { memory } }).exports as RowsExports;
      sharedInstance = new WasmRows(exports, memory, module);
    } catch {
      sharedInstance = null;
    }
  }
  return sharedInstance;
}

/** The shared row kernels for the pool's workers (see {@link getSharedWasmRows}). */
export function sharedRowKernels(): SharedKernels | null {
  return getSharedWasmRows();
}

/** Which implementation the float32 row kernels use: see {@link setRowKernelBackend}. */
export type RowKernelBackend = "auto" | "wasm" | "js";

let backend: RowKernelBackend = "auto";

/**
 * Under the "auto" backend, float32 inputs with fewer elements than this, or with rows shorter than 4,
 * stay in TypeScript: there the staging copies, the call and the per-row work on partial vectors cost
 * about what SIMD saves. The cross-entropy backward (a multiply per element, little for SIMD to win)
 * needs twice as many elements and rows of at least 8. Measured per call on the dev machine (2-core
 * Xeon, Node 20): softmax breaks even near 16 elements, is 2.7× faster at 64 (4×16) and 5× at 1,024;
 * 1000 rows of 4 are 3.6× faster, of 2 1.7× slower; the backward breaks even near 8×16 and rows of 7.
 * The softmax and log-softmax backward follow the softmax rule: even near 64 elements (1×64), 1.3×
 * faster at 16×8, 1.7× (log-softmax 1.6×) at 500×4, about 3× at 64×64 and beyond.
 */
export const ROWS_WASM_MIN = 64;

/**
 * Chooses the implementation of float32 `softmax`, `logSoftmax`, their backward passes
 * (`softmaxBackward`, `logSoftmaxBackward`) and the fused softmax cross-entropy (forward and backward):
 * `"wasm"` (the WebAssembly SIMD row kernels for every float32 input), `"js"` (the portable TypeScript
 * loops), or `"auto"` (the default: wasm when the engine supports SIMD and the input is large enough to
 * gain from it). float64 always runs in TypeScript. Both agree to float32 rounding (probabilities within
 * 2 ulp, losses within 1e-6 relative; the softmax and log-softmax backward bit for bit). Throws when
 * `"wasm"` is asked for on an engine without WebAssembly SIMD.
 *
 * @example
 * ```ts
 * setRowKernelBackend("js");   // e.g. to compare against the fallback
 * setRowKernelBackend("auto");
 * ```
 */
export function setRowKernelBackend(kind: RowKernelBackend): void {
  if (kind !== "auto" && kind !== "wasm" && kind !== "js") {
    throw new ArgumentError(`setRowKernelBackend: unknown backend ${JSON.stringify(kind)}; expected auto, wasm or js`);
  }
  if (kind === "wasm" && !getWasmRows())
    throw new ArgumentError('setRowKernelBackend: this engine has no WebAssembly SIMD support; use "js" or "auto"');
  backend = kind;
}

/** The backend chosen with {@link setRowKernelBackend} (`"auto"` unless changed). */
export function getRowKernelBackend(): RowKernelBackend {
  return backend;
}

/**
 * The row kernels to use for a float32 input of `elements` values in rows of `n`, or null for the
 * TypeScript loops; `backward` for the cross-entropy gradient (see {@link ROWS_WASM_MIN}).
 */
export function pickRowKernels(elements: number, n: number, backward = false): WasmRows | null {
  if (backend === "js" || elements === 0) return null;
  if (backend === "auto") {
    if (backward ? elements < 2 * ROWS_WASM_MIN || n < 8 : elements < ROWS_WASM_MIN || n < 4) return null;
  }
  return getWasmRows();
}

/**
 * Softmax (or, with `log`, log-softmax) of `rows` contiguous rows of `n` float32 values starting at
 * `src[start]`, as a new Float32Array; null when the TypeScript loops should run instead (backend,
 * size, or memory). Log-softmax is `x − lse` with `lse = m + log s` from the kernel's per-row max m and
 * sum s, formed here exactly as the TypeScript loop forms it. With `causal` = L > 0 (softmax only)
 * the rows form (L, n) matrices and row i keeps columns j ≤ i only, the rest get weight 0.
 */
export function softmaxRowsWasm(
  src: Float32Array,
  start: number,
  rows: number,
  n: number,
  log: boolean,
  causal = 0,
): Float32Array | null {
  const size = rows * n;
  const wasm = pickRowKernels(size, n);
  if (!wasm) return null;
  // Layout (bytes): [scratch][x, overwritten by the result][stats: rows × (m, s)][lse: rows][one row]
  const x = DATA_AT;
  const statsAt = x + align(size * 4);
  const lseAt = statsAt + align(rows * 16);
  const rowAt = lseAt + align(rows * 8);
  if (!wasm.reserve(rowAt + n * 4)) return null;
  if (causal > 0 && log) return null; // the causal mask is for softmax only
  wasm.f32.set(src.subarray(start, start + size), x / 4);
  if (causal > 0) {
    wasm.exports.softmax_causal(x, x, rows, n, causal);
  } else if (!log) {
    const row = { at: x, step: n * 4 };
    wasm.rowsCall("softmax", rows, n, [row, row, "count", n, { at: statsAt, step: 16 }]);
  } else {
    wasm.exports.softmax_stats(x, rows, n, statsAt, rowAt);
    const f64 = wasm.f64;
    const st = statsAt / 8;
    const ls = lseAt / 8;
    for (let r = 0; r < rows; r++) {
      f64[ls + r] = (f64[st + 2 * r] as number) + Math.log(f64[st + 2 * r + 1] as number);
    }
    wasm.exports.sub_rows(x, x, rows, n, lseAt);
  }
  return copyToOutput(wasm.f32, x / 4, x / 4 + size);
}

/** 2^(j/64), j = 0..63, computed as kernels/fastmath.ts computes its table (so the same doubles). */
const EXP_FRAC = Float64Array.from({ length: 64 }, (_, j) => 2 ** (j / 64));

/**
 * Elements per staged chunk of the backward kernels: g, y and the result stay in L2 between the copies
 * and the kernel's two passes.
 */
const BACKWARD_CHUNK = 1 << 14;

/**
 * The softmax backward `y·(g − Σ g·y)` (or, with `log`, the log-softmax backward `g − e^y·Σ g`) of
 * `rows` contiguous rows of `n` float32 values (`g` and `y` both start at their element 0), as a new
 * Float32Array; null when the TypeScript loops should run instead (backend, size, or memory). Bitwise
 * the loops' results: the kernels sum each row left to right in float64 and form every element as the
 * loops do. A row where the log-softmax loop's exp would call `Math.exp` (y in (−746, −708.39] or
 * (709, 710)) is recomputed by `jsRow(row, out)`, the loop itself.
 */
export function softmaxBackwardRowsWasm(
  g: Float32Array,
  y: Float32Array,
  rows: number,
  n: number,
  log: boolean,
  jsRow: (row: number, out: Float32Array) => void,
): Float32Array | null {
  const size = rows * n;
  const wasm = pickRowKernels(size, n);
  if (!wasm) return null;
  const chunkRows = Math.max(1, Math.floor(BACKWARD_CHUNK / n));
  const chunk = Math.min(rows, chunkRows) * n;
  // Layout (bytes): [scratch][2^(j/64) table][g, overwritten by the result][y][flags: an int32 per row]
  const fracAt = DATA_AT;
  const gAt = fracAt + align(EXP_FRAC.length * 8);
  const yAt = gAt + align(chunk * 4);
  const flagsAt = yAt + align(chunk * 4);
  if (!wasm.reserve(flagsAt + align(chunkRows * 4))) return null;
  const f32 = wasm.f32;
  if (log) wasm.f64.set(EXP_FRAC, fracAt / 8);
  const out = outputFloat32(size);
  for (let r0 = 0; r0 < rows; r0 += chunkRows) {
    const m = Math.min(chunkRows, rows - r0);
    const from = r0 * n;
    const to = from + m * n;
    f32.set(g.subarray(from, to), gAt / 4);
    f32.set(y.subarray(from, to), yAt / 4);
    let flagged = 0;
    if (log) flagged = wasm.exports.log_softmax_backward(gAt, yAt, gAt, m, n, fracAt, flagsAt);
    else wasm.exports.softmax_backward(gAt, yAt, gAt, m, n);
    out.set(f32.subarray(gAt / 4, gAt / 4 + m * n), from);
    if (flagged > 0) {
      const flags = new Int32Array(wasm.memory.buffer, flagsAt, m);
      for (let r = 0; r < m; r++) if (flags[r]) jsRow(r0 + r, out);
    }
  }
  return out;
}
