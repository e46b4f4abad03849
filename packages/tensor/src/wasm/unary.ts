/**
 * The WebAssembly SIMD elementwise kernels (src/wasm/unary.wat, embedded as base64): float32 exp, tanh,
 * sigmoid, exact GELU and the GELU backward over contiguous data. Loaded lazily and synchronously on
 * first use, in a memory of their own. Inputs are processed in chunks of
 * {@link UNARY_CHUNK} floats (copy in, compute in place, copy out), so the data stays in cache and the
 * memory stays small. The TypeScript loops in kernels/elementwise.ts stay the portable fallback and the
 * float64 path; {@link setUnaryKernelBackend} forces either one, here and for the binary arithmetic
 * kernels (binary.ts), which share this instance's memory. With a worker pool installed, large calls
 * of GELU and its gradient run on a second instance over a shared memory instead, split across the
 * pool (parallel.ts).
 */
import { copyToOutput, outputFloat32 } from "../buffer-pool.js";
import { ArgumentError } from "../errors.js";
import { UNARY_SHARED_WASM_BASE64, UNARY_WASM_BASE64 } from "./kernels.generated.js";
import { type CallArg, FAMILY_UNARY, type SharedKernels, splitCall, wakeFor } from "./parallel.js";
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

/** The exports of unary.wat: n float32 values at byte offset x (and g) into y, which may equal x. */
export interface UnaryExports {
  exp(x: number, y: number, n: number): void;
  tanh(x: number, y: number, n: number): void;
  sigmoid(x: number, y: number, n: number): void;
  /** Exact GELU x·Φ(x). */
  gelu(x: number, y: number, n: number): void;
  /** g·(Φ(x) + x·φ(x)). */
  gelu_backward(g: number, x: number, y: number, n: number): void;
}

/** The one-input kernels. */
export type UnaryOp = "exp" | "tanh" | "sigmoid" | "gelu";

/** Bytes [0, DATA_AT) of the memory are the kernels' scratch (tails are staged there). */
const DATA_AT = 64;

/**
 * Floats per chunk: 64 KB per operand, so a chunk's input (overwritten by the result) and the gradient
 * of the backward stay in L2 between the copy in, the kernel and the copy out.
 */
export const UNARY_CHUNK = 16384;

/** A loaded elementwise-kernel instance with its memory and typed views over it. */
export class WasmUnary extends WasmHeap {
  readonly exports: UnaryExports;

  /** The compiled module (workers instantiate it over the same memory when it is shared). */
  readonly module: WasmModule;

  constructor(exports: UnaryExports, memory: WasmMemory, module: WasmModule) {
    super(memory);
    this.exports = exports;
    this.module = module;
  }
}

let unaryBytes: Uint8Array<ArrayBuffer> | undefined;
/** The assembled unary.wat bytes. */
export function unaryWasmBytes(): Uint8Array<ArrayBuffer> {
  unaryBytes ??= decodeBase64(UNARY_WASM_BASE64);
  return unaryBytes;
}

let instance: WasmUnary | null | undefined;

/**
 * The elementwise-kernel instance, created on first call; null when this engine has no WebAssembly or
 * no SIMD (validating the module is the feature test).
 */
export function getWasmUnary(): WasmUnary | null {
  if (instance !== undefined) return instance;
  instance = null;
  const bytes = unaryWasmBytes();
  const api = validating(bytes);
  if (api) {
    const module = new api.Module(bytes);
    const memory = new api.Memory({ initial: 1 });
    instance = new WasmUnary(new api.Instance(module, { env: { memory } }).exports as UnaryExports, memory, module);
  }
  return instance;
}

let sharedInstance: WasmUnary | null | undefined;

/**
 * The same kernels over a shared memory of their own (created on first call), for calls large enough
 * to split across the worker pool; null when the engine lacks SIMD, the threads feature or
 * SharedArrayBuffer.
 */
export function getSharedWasmUnary(): WasmUnary | null {
  if (sharedInstance !== undefined) return sharedInstance;
  sharedInstance = null;
  const bytes = decodeBase64(UNARY_SHARED_WASM_BASE64);
  const api = typeof SharedArrayBuffer === "function" ? validating(bytes) : null;
  if (api) {
    try {
      const module = new api.Module(bytes);
      const memory = new api.Memory({ initial: 1, maximum: SHARED_MAX_PAGES, shared: true });
      const exports = new api.Instance(module, { env: { memory } }).exports as UnaryExports;
      sharedInstance = new WasmUnary(exports, memory, module);
    } catch {
      sharedInstance = null;
    }
  }
  return sharedInstance;
}

/** The shared elementwise kernels for the pool's workers (see {@link getSharedWasmUnary}). */
export function sharedUnaryKernels(): SharedKernels | null {
  return getSharedWasmUnary();
}

/**
 * GELU and its gradient with at least this many elements are split across the worker pool when one is
 * installed: the whole input is staged at once in the shared instance's memory and each thread
 * computes chunks of it. Below it, waking a worker costs about what it saves (GELU takes about 0.25 ms
 * per 65,536 elements on one thread of the dev machine). exp, tanh and sigmoid stay on one thread:
 * cheap per element, they lose more to staging the whole input at once than splitting gains
 * (bench/threads.bench.ts: tanh over 524,288 elements 0.95 ms on one thread, 1.17 ms on two).
 */
export const UNARY_PARALLEL_MIN = 1 << 16;

/**
 * The shared instance, with room for `operands` arrays of n floats, when a call of n elements should be
 * split across the pool; else null.
 */
function pickSplit(n: number, operands: number): WasmUnary | null {
  if (n < UNARY_PARALLEL_MIN || !getKernelPool()) return null;
  const wasm = getSharedWasmUnary();
  if (!wasm?.reserve(DATA_AT + operands * align(n * 4))) return null;
  wakeFor(wasm, n, UNARY_PARALLEL_MIN);
  return wasm;
}

/** Runs `name` over n staged elements on the pool; `args` as for {@link splitCall}. */
function splitUnary(wasm: WasmUnary, name: keyof UnaryExports, n: number, args: readonly CallArg[]): void {
  const fn = wasm.exports[name] as (...a: number[]) => unknown;
  // Chunks of a multiple of 4: only the last one can end in a partial vector, whose tail the kernel
  // stages in the scratch bytes (so no two threads use them at once).
  splitCall(wasm, FAMILY_UNARY, name, fn, n, args, { multiple: 4, min: UNARY_PARALLEL_MIN });
}

/** Which implementation the float32 elementwise kernels use: see {@link setUnaryKernelBackend}. */
export type UnaryKernelBackend = "auto" | "wasm" | "js";

let backend: UnaryKernelBackend = "auto";

/**
 * Under the "auto" backend, float32 inputs with fewer elements than this stay in TypeScript: below it
 * the call, the copies and the tail handling cost about what SIMD saves. Measured per call on the dev
 * machine (2-core Xeon, Node 20) against the compiled TypeScript loops: GELU and its backward break
 * even below 8 elements, tanh near 8–16, sigmoid near 16, exp (the cheapest loop) near 32; at 64
 * elements wasm is 1.2× (exp) to 3× (GELU backward) faster, at 16K 2.7× to 10×.
 */
export const UNARY_WASM_MIN = 64;

/**
 * Chooses the implementation of the float32 elementwise kernels: `exp`, `tanh`, `sigmoid`, exact `gelu`
 * and `geluBackward` on contiguous input, and the binary arithmetic `add`, `sub`, `mul`, `div`,
 * `addInPlace` and `tanhBackward` (src/wasm/binary.ts) when one operand is contiguous and the other
 * contiguous, a scalar or a row, column or per-channel broadcast: `"wasm"` (the WebAssembly SIMD kernels
 * for every such input), `"js"` (the portable TypeScript loops) or `"auto"` (the default: wasm when the
 * engine supports SIMD and the input has at least {@link UNARY_WASM_MIN} elements, BINARY_WASM_MIN for
 * the binary ops). float64, other dtypes and other layouts always run in TypeScript. The
 * binary ops are bitwise the same on both; the others agree to float32 rounding: exp, tanh and sigmoid
 * within 2 ulp of the float64 value rounded to float32, gelu within 7 ulp (4.6e-7 relative), the GELU
 * backward within 4 ulp of |Φ(x)| + |x·φ(x)|. Throws when `"wasm"` is asked for on an engine without
 * WebAssembly SIMD.
 *
 * @example
 * ```ts
 * setUnaryKernelBackend("js");   // e.g. to compare against the fallback
 * setUnaryKernelBackend("auto");
 * ```
 */
export function setUnaryKernelBackend(kind: UnaryKernelBackend): void {
  if (kind !== "auto" && kind !== "wasm" && kind !== "js") {
    throw new ArgumentError(
      `setUnaryKernelBackend: unknown backend ${JSON.stringify(kind)}; expected auto, wasm or js`,
    );
  }
  if (kind === "wasm" && !getWasmUnary())
    throw new ArgumentError('setUnaryKernelBackend: this engine has no WebAssembly SIMD support; use "js" or "auto"');
  backend = kind;
}

/** The backend chosen with {@link setUnaryKernelBackend} (`"auto"` unless changed). */
export function getUnaryKernelBackend(): UnaryKernelBackend {
  return backend;
}

/** The kernels to use for a float32 input of `n` elements, or null for the TypeScript loops. */
function pickUnaryKernels(n: number): WasmUnary | null {
  if (backend === "js" || n === 0 || (backend === "auto" && n < UNARY_WASM_MIN)) return null;
  const wasm = getWasmUnary();
  // Layout (bytes): [scratch][x, overwritten by the result][g, for the backward]
  return wasm?.reserve(DATA_AT + 2 * align(Math.min(n, UNARY_CHUNK) * 4)) ? wasm : null;
}

/**
 * `op` over the `n` contiguous float32 values `src[start..start + n)`, as a new Float32Array; null when
 * the TypeScript loops should run instead (backend, size or memory).
 */
export function unaryWasm(op: UnaryOp, src: Float32Array, start: number, n: number): Float32Array | null {
  const wasm = pickUnaryKernels(n);
  if (!wasm) return null;
  const split = op === "gelu" ? pickSplit(n, 1) : null;
  if (split) {
    split.f32.set(src.subarray(start, start + n), DATA_AT / 4);
    const x = { at: DATA_AT, step: 4 };
    splitUnary(split, op, n, [x, x, "count"]);
    return copyToOutput(split.f32, DATA_AT / 4, DATA_AT / 4 + n);
  }
  const kernel = wasm.exports[op];
  const mem = wasm.f32;
  const at = DATA_AT / 4;
  const out = outputFloat32(n);
  for (let i = 0; i < n; i += UNARY_CHUNK) {
    const len = Math.min(UNARY_CHUNK, n - i);
    mem.set(src.subarray(start + i, start + i + len), at);
    kernel(DATA_AT, DATA_AT, len);
    out.set(mem.subarray(at, at + len), i);
  }
  return out;
}

/**
 * g·(Φ(x) + x·φ(x)) over `n` contiguous float32 values of each operand (`g[gStart..)`, `x[xStart..)`),
 * as a new Float32Array; null when the TypeScript loop should run instead.
 */
export function geluBackwardWasm(
  g: Float32Array,
  gStart: number,
  x: Float32Array,
  xStart: number,
  n: number,
): Float32Array | null {
  const wasm = pickUnaryKernels(n);
  if (!wasm) return null;
  const split = pickSplit(n, 2);
  if (split) {
    const gAt = DATA_AT + align(n * 4);
    split.f32.set(x.subarray(xStart, xStart + n), DATA_AT / 4);
    split.f32.set(g.subarray(gStart, gStart + n), gAt / 4);
    const xs = { at: DATA_AT, step: 4 };
    splitUnary(split, "gelu_backward", n, [{ at: gAt, step: 4 }, xs, xs, "count"]);
    return copyToOutput(split.f32, DATA_AT / 4, DATA_AT / 4 + n);
  }
  const mem = wasm.f32;
  const xAt = DATA_AT / 4;
  const gAt = (DATA_AT + align(Math.min(n, UNARY_CHUNK) * 4)) / 4;
  const out = outputFloat32(n);
  for (let i = 0; i < n; i += UNARY_CHUNK) {
    const len = Math.min(UNARY_CHUNK, n - i);
    mem.set(x.subarray(xStart + i, xStart + i + len), xAt);
    mem.set(g.subarray(gStart + i, gStart + i + len), gAt);
    wasm.exports.gelu_backward(gAt * 4, xAt * 4, xAt * 4, len);
    out.set(mem.subarray(xAt, xAt + len), i);
  }
  return out;
}
