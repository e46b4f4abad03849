/**
 * The WebAssembly SIMD binary float32 kernels (src/wasm/binary.wat, embedded as base64): add, sub, mul,
 * div and the tanh backward g·(1 − y²), each bitwise equal to the TypeScript loops. A separate module
 * from unary.wat (exact arithmetic next to polynomial approximations; each file one concept), but the
 * same memory: it is instantiated over the unary instance's memory, so the two share one staging heap
 * and one backend switch (`setUnaryKernelBackend` in unary.ts).
 *
 * One operand is "full" (n contiguous values, in flat output order); the other follows a broadcast
 * {@link Pattern}, which covers a second full operand, a scalar, a row broadcast (the trailing dims,
 * as a bias), a column broadcast (one value per row) and a per-channel one, in either operand position. Work runs in
 * chunks of {@link UNARY_CHUNK} floats: the full operand's chunk is copied in, the pattern operand is
 * laid out next to it (expanded once per call when its period fits a chunk, else per chunk), the kernel
 * writes over the copied chunk, and that is copied out.
 */
import { BINARY_WASM_BASE64 } from "./kernels.generated.js";
import { align, decodeBase64, validating, type WasmHeap } from "./runtime.js";
import { getUnaryKernelBackend, getWasmUnary, UNARY_CHUNK } from "./unary.js";

/** The exports of binary.wat (byte offsets; z may equal x or y). */
export interface BinaryExports {
  add(x: number, y: number, z: number, n: number): void;
  sub(x: number, y: number, z: number, n: number): void;
  mul(x: number, y: number, z: number, n: number): void;
  div(x: number, y: number, z: number, n: number): void;
  /** z = f32(g·(1 − y·y)), computed in float64 like the TypeScript loop. */
  tanh_backward(g: number, y: number, z: number, n: number): void;
  /** dst[j] = src[floor((j + phase) / inner)] for j < len (may write 12 bytes past the end). */
  expand(src: number, dst: number, len: number, inner: number, phase: number): void;
}

/** A two-operand kernel: `op(first, second)` elementwise. */
export type BinaryOp = "add" | "sub" | "mul" | "div" | "tanh_backward";

/**
 * How an operand is read along the flat (row-major) output index i: `data[offset + floor(i / inner) % m]`.
 * A full operand has m = n, inner = 1; a scalar m = 1; a row broadcast (the operand is the trailing
 * dims, `cols` values) m = cols, inner = 1; a column broadcast (one value per row of `cols`) m = rows,
 * inner = cols; a per-channel value anything between. Broadcasting makes n a multiple of m·inner.
 */
export interface Pattern {
  data: Float32Array;
  offset: number;
  m: number;
  inner: number;
}

/** A loaded binary-kernel instance over the unary kernels' heap. */
export interface WasmBinary {
  readonly heap: WasmHeap;
  readonly exports: BinaryExports;
}

let bytes: Uint8Array<ArrayBuffer> | undefined;
/** The assembled binary.wat bytes. */
export function binaryWasmBytes(): Uint8Array<ArrayBuffer> {
  bytes ??= decodeBase64(BINARY_WASM_BASE64);
  return bytes;
}

let instance: WasmBinary | null | undefined;

/**
 * The binary-kernel instance, created on first call over the unary kernels' memory; null when this
 * engine has no WebAssembly SIMD.
 */
export function getWasmBinary(): WasmBinary | null {
  if (instance !== undefined) return instance;
  instance = null;
  const heap = getWasmUnary();
  const api = heap && validating(binaryWasmBytes());
  if (heap && api) {
    const module = new api.Module(binaryWasmBytes());
    const exports = new api.Instance(module, { env: { memory: heap.memory } }).exports as BinaryExports;
    instance = { heap, exports };
  }
  return instance;
}

/**
 * Under the "auto" backend, float32 results with fewer elements than this stay in TypeScript: below it
 * the fixed cost of the wasm path (about 150 ns of staging copies and the call) is more than the loops
 * spend. Measured per call on the dev machine (2-core Xeon, Node 20) against the compiled TypeScript
 * loops (scratch/binary-thresh.ts): same-shape add and the tanh backward break even near 64 elements,
 * a scalar operand and a row broadcast near 32, in-place accumulation near 16; at 1,024 elements wasm is
 * 1.7× (tanh backward) to 5× (accumulation) faster, at 4,096 2.7× to 5×.
 */
export const BINARY_WASM_MIN = 64;

/** Bytes [0, DATA_AT) of the memory are left to the kernels' scratch (as in unary.ts). */
const DATA_AT = 64;
/** Room past the pattern buffer for `expand`'s last vector store. */
const SLACK = 16;

/** The kernels for a float32 result of `n` elements under the current backend, or null for the loops. */
export function pickBinaryKernels(n: number): WasmBinary | null {
  const backend = getUnaryKernelBackend();
  if (backend === "js" || n === 0 || (backend === "auto" && n < BINARY_WASM_MIN)) return null;
  return getWasmBinary();
}

/**
 * `out[outOff + i] = op(full[fullOff + i], pattern(i))` for i < n, or `op(pattern(i), full[…])` with
 * `patternFirst`. Returns false (having written nothing) when the TypeScript loops should run instead:
 * backend, size or memory. n must be a multiple of the pattern's period m·inner. `out` may be `full`
 * itself at the same offset (accumulation); it must not otherwise overlap either operand.
 */
export function binaryWasm(
  op: BinaryOp,
  full: Float32Array,
  fullOff: number,
  pattern: Pattern,
  patternFirst: boolean,
  n: number,
  out: Float32Array,
  outOff: number,
): boolean {
  const wasm = pickBinaryKernels(n);
  if (!wasm) return false;
  // Layout (bytes): [scratch][x: the full operand's chunk, overwritten by the result]
  //                 [pat: the pattern operand laid out for that chunk][stage: pattern values to expand]
  const chunk = Math.min(n, UNARY_CHUNK);
  const xAt = DATA_AT;
  const patAt = xAt + align(chunk * 4);
  const stageAt = patAt + align(chunk * 4 + SLACK);
  if (!wasm.heap.reserve(stageAt + align(chunk * 4 + 8))) return false;
  const mem = wasm.heap.f32;
  const expand = wasm.exports.expand;
  const kernel = wasm.exports[op];
  const b = pattern.data;
  const bOff = pattern.offset;
  const m = pattern.m;
  const inner = m === 1 ? 1 : pattern.inner; // a scalar: one value, whatever the run length
  const period = m * inner;
  const first = patternFirst ? patAt : xAt;
  const second = patternFirst ? xAt : patAt;
  const x = xAt / 4;
  const pat = patAt / 4;
  const stage = stageAt / 4;
  // No per-call closure or array destructuring here: under the dev toolchain (tsx, vitest: esbuild's
  // keep-names wrapper) they cost ~250 ns a call, as much as the work at a few hundred elements.
  let span = UNARY_CHUNK;
  if (period <= UNARY_CHUNK) {
    // The pattern repeats every `period` values: lay out as many whole periods as fit a chunk (no more
    // than n needs) once, and run chunks of that many values, each starting at a period boundary.
    span = Math.min(Math.floor(UNARY_CHUNK / period), Math.ceil(n / period)) * period;
    if (m === 1) mem.fill(b[bOff] as number, pat, pat + span);
    else {
      if (inner === 1) mem.set(b.subarray(bOff, bOff + m), pat);
      else {
        mem.set(b.subarray(bOff, bOff + m), stage);
        expand(stageAt, patAt, period, inner, 0);
      }
      for (let have = period; have < span; have *= 2)
        mem.copyWithin(pat + have, pat, pat + Math.min(have, span - have));
    }
  }
  for (let i = 0; i < n; i += span) {
    const len = Math.min(span, n - i);
    if (period > UNARY_CHUNK) {
      // A period longer than a chunk: the chunk's part of the pattern is laid out before it runs. Its
      // values are pattern indices k0 … k0 + count − 1 (mod m); count ≤ m + 1 here, so they wrap
      // around the end of the pattern at most once.
      const phase = i % inner;
      const count = Math.ceil((phase + len) / inner);
      const k0 = Math.floor(i / inner) % m;
      const to = inner === 1 ? pat : stage;
      const head = Math.min(count, m - k0);
      mem.set(b.subarray(bOff + k0, bOff + k0 + head), to);
      if (head < count) mem.set(b.subarray(bOff, bOff + count - head), to + head);
      if (inner > 1) expand(stageAt, patAt, len, inner, phase);
    }
    mem.set(full.subarray(fullOff + i, fullOff + i + len), x);
    kernel(first, second, xAt, len);
    out.set(mem.subarray(x, x + len), outOff + i);
  }
  return true;
}
