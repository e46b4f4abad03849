/**
 * The WebAssembly SIMD Adam / AdamW update (src/wasm/optim.wat, embedded as base64) over float32
 * arrays, staged in chunks through the row kernels' memory (one memory for the small single-threaded
 * kernels; its {@link WasmRows} views and growth are reused). Loaded lazily and synchronously on first
 * use. The TypeScript loop in kernels/optim.ts stays the portable fallback and the float64 path, and the
 * kernel reproduces it bit for bit; {@link setOptimizerKernelBackend} forces either one.
 */
import { ArgumentError } from "../errors.js";
import { OPTIM_SHARED_WASM_BASE64, OPTIM_WASM_BASE64 } from "./kernels.generated.js";
import { DATA_AT, getWasmRows, type WasmRows } from "./rows.js";
import { decodeBase64, validating } from "./runtime.js";

/** The exports of optim.wat (pointers are byte offsets; see the comments there). */
export interface OptimExports {
  /** One Adam step over `count` float32 elements (rounded up to even); flags: 1 maximize, 2 L2, 4 amsgrad. */
  adam(
    p: number,
    g: number,
    m: number,
    v: number,
    vmax: number,
    count: number,
    flags: number,
    stepSize: number,
    bc2Sqrt: number,
    w1: number,
    beta2: number,
    w2: number,
    shrink: number,
    l2: number,
    eps: number,
  ): void;
}

/** The optimizer kernels and the row-kernel memory they stage through. */
export interface WasmOptim {
  readonly exports: OptimExports;
  readonly mem: WasmRows;
}

let optimBytes: Uint8Array<ArrayBuffer> | undefined;
/** The assembled optim.wat bytes. */
export function optimWasmBytes(): Uint8Array<ArrayBuffer> {
  optimBytes ??= decodeBase64(OPTIM_WASM_BASE64);
  return optimBytes;
}

let sharedBytes: Uint8Array<ArrayBuffer> | undefined;
let instance: WasmOptim | null | undefined;

/**
 * The optimizer kernels over the row kernels' memory (an ordinary or, with a worker pool, a shared
 * one), created on first call and again when that memory changes; null when this engine has no
 * WebAssembly SIMD (validating the module is the feature test).
 */
export function getWasmOptim(): WasmOptim | null {
  const mem = getWasmRows();
  if (instance !== undefined && (instance === null || instance.mem === mem)) return instance;
  instance = null;
  if (mem?.shared) sharedBytes ??= decodeBase64(OPTIM_SHARED_WASM_BASE64);
  const bytes = mem?.shared && sharedBytes ? sharedBytes : optimWasmBytes();
  const api = mem ? validating(bytes) : null;
  if (mem && api) {
    const exports = new api.Instance(new api.Module(bytes), { env: { memory: mem.memory } }).exports as OptimExports;
    instance = { exports, mem };
  }
  return instance;
}

/** Which implementation the float32 optimizer updates use: see {@link setOptimizerKernelBackend}. */
export type OptimizerKernelBackend = "auto" | "wasm" | "js";

let backend: OptimizerKernelBackend = "auto";

/**
 * Chooses the implementation of the float32 Adam / AdamW update (`adamUpdate`, used by the nn
 * package's `Adam` and `AdamW`): `"wasm"` (the WebAssembly SIMD kernel for every float32 parameter),
 * `"js"` (the portable TypeScript loop) or `"auto"` (the default: wasm when the engine supports SIMD and
 * the parameter has at least {@link ADAM_WASM_MIN} elements). Both give bitwise the same results.
 * Throws when `"wasm"` is asked for on an engine without WebAssembly SIMD.
 *
 * @example
 * ```ts
 * setOptimizerKernelBackend("js"); // e.g. to time the fallback
 * setOptimizerKernelBackend("auto");
 * ```
 */
export function setOptimizerKernelBackend(kind: OptimizerKernelBackend): void {
  if (kind !== "auto" && kind !== "wasm" && kind !== "js") {
    throw new ArgumentError(
      `setOptimizerKernelBackend: unknown backend ${JSON.stringify(kind)}; expected auto, wasm or js`,
    );
  }
  if (kind === "wasm" && !getWasmOptim()) {
    throw new ArgumentError(
      'setOptimizerKernelBackend: this engine has no WebAssembly SIMD support; use "js" or "auto"',
    );
  }
  backend = kind;
}

/** The backend chosen with {@link setOptimizerKernelBackend} (`"auto"` unless changed). */
export function getOptimizerKernelBackend(): OptimizerKernelBackend {
  return backend;
}

/**
 * Under the `"auto"` backend, float32 parameters with fewer elements than this take the TypeScript
 * loop: below it the call and the staging copies cost about what SIMD saves. Measured per call on the
 * dev machine (Xeon, Node 20): break-even near 50 elements, 1.5× faster at 128, 2.4× at 1,024.
 */
export const ADAM_WASM_MIN = 64;

/**
 * Elements per staged chunk: p, g, m, v (and vmax) take 16 KB each, so a chunk's 80 KB stays in cache
 * between the copy in, the kernel and the copy out (1K to 16K measured the same).
 */
const CHUNK = 4096;

/** The float32 Adam step's precomputed scalars (see kernels/optim.ts for what each one is). */
export interface AdamScalars {
  maximize: boolean;
  stepSize: number;
  bc2Sqrt: number;
  w1: number;
  beta2: number;
  w2: number;
  shrink: number;
  l2: number;
  eps: number;
}

/**
 * One Adam step over float32 `p`, `g`, `m`, `v` (and `vmax` for amsgrad) of the same length, in place;
 * false (nothing touched) when the TypeScript loop should run instead (backend, size, or memory).
 */
export function adamWasm(
  p: Float32Array,
  g: Float32Array,
  m: Float32Array,
  v: Float32Array,
  vmax: Float32Array | null,
  s: AdamScalars,
): boolean {
  const n = p.length;
  if (backend === "js" || n === 0 || (backend === "auto" && n < ADAM_WASM_MIN)) return false;
  const wasm = getWasmOptim();
  if (!wasm) return false;
  const { mem, exports } = wasm;
  const chunk = Math.min(n, CHUNK);
  // Layout (bytes): [scratch][p][g][m][v][vmax], each chunk + 1 floats (the kernel works in pairs) and
  // 64-byte aligned.
  const stride = Math.ceil(((chunk + 1) * 4) / 64) * 64;
  const P = DATA_AT;
  const G = P + stride;
  const M = G + stride;
  const V = M + stride;
  const X = V + stride;
  if (!mem.reserve(X + (vmax ? stride : 0))) return false;
  const f32 = mem.f32;
  const flags = (s.maximize ? 1 : 0) | (s.l2 !== 0 ? 2 : 0) | (vmax ? 4 : 0);
  const whole = n === chunk; // one chunk: no subarray views to make for the copies in (~30 ns each)
  for (let i = 0; i < n; i += chunk) {
    const c = Math.min(chunk, n - i);
    const e = i + c;
    f32.set(whole ? p : p.subarray(i, e), P / 4);
    f32.set(whole ? g : g.subarray(i, e), G / 4);
    f32.set(whole ? m : m.subarray(i, e), M / 4);
    f32.set(whole ? v : v.subarray(i, e), V / 4);
    if (vmax) f32.set(whole ? vmax : vmax.subarray(i, e), X / 4);
    exports.adam(P, G, M, V, X, c, flags, s.stepSize, s.bc2Sqrt, s.w1, s.beta2, s.w2, s.shrink, s.l2, s.eps);
    p.set(f32.subarray(P / 4, P / 4 + c), i);
    m.set(f32.subarray(M / 4, M / 4 + c), i);
    v.set(f32.subarray(V / 4, V / 4 + c), i);
    if (vmax) vmax.set(f32.subarray(X / 4, X / 4 + c), i);
  }
  return true;
}
