import { copyToOutput, outputFloat32, outputFloat64 } from "../buffer-pool.js";
import { allocate, type DType, floatDType, promoteTypes, type TypedArray } from "../dtype.js";
import { ArgumentError, DTypeError, describeValue, fmtShape, ShapeError } from "../errors.js";
import { NDArray } from "../ndarray.js";
import { broadcastShapes } from "../shape.js";
import { stridedOffsets } from "../strided.js";
import { align, getWasmGemm, PARALLEL_MIN_WORK, type WasmGemm } from "../wasm/runtime.js";
import { add, checkOperand } from "./elementwise.js";
import { sum } from "./reduce.js";

// Two gemm implementations sit behind `matmul`: the WebAssembly SIMD packed gemm (src/wasm/gemm.wat,
// ~30× faster on large products) and the pure-TypeScript `gemm` below, the portable fallback for
// engines without wasm SIMD and for tiny products. `setMatmulBackend` forces either one.

const BLOCK_J = 256;
const BLOCK_K = 128;

/**
 * C[M×N] += A[M×K] · B[K×N] on row-major buffers (A at `ao`, B at `bo`, C at `co`).
 * Blocked over j and k so a panel of B stays in cache, and four rows of A share each load of B;
 * the inner loop is a plain stride-1 multiply-add with no index arithmetic beyond increments.
 */
function gemmKernel(
  M: number,
  N: number,
  K: number,
  A: TypedArray,
  ao: number,
  B: TypedArray,
  bo: number,
  C: TypedArray,
  co: number,
): void {
  for (let j0 = 0; j0 < N; j0 += BLOCK_J) {
    const j1 = Math.min(N, j0 + BLOCK_J);
    for (let k0 = 0; k0 < K; k0 += BLOCK_K) {
      const k1 = Math.min(K, k0 + BLOCK_K);
      let i = 0;
      for (; i + 4 <= M; i += 4) {
        const c0 = co + i * N;
        const c1 = c0 + N;
        const c2 = c1 + N;
        const c3 = c2 + N;
        const a0 = ao + i * K;
        for (let k = k0; k < k1; k++) {
          const x0 = A[a0 + k] as number;
          const x1 = A[a0 + K + k] as number;
          const x2 = A[a0 + 2 * K + k] as number;
          const x3 = A[a0 + 3 * K + k] as number;
          const b = bo + k * N;
          for (let j = j0; j < j1; j++) {
            const y = B[b + j] as number;
            C[c0 + j] = (C[c0 + j] as number) + x0 * y;
            C[c1 + j] = (C[c1 + j] as number) + x1 * y;
            C[c2 + j] = (C[c2 + j] as number) + x2 * y;
            C[c3 + j] = (C[c3 + j] as number) + x3 * y;
          }
        }
      }
      for (; i < M; i++) {
        const c = co + i * N;
        const a = ao + i * K;
        for (let k = k0; k < k1; k++) {
          const x = A[a + k] as number;
          const b = bo + k * N;
          for (let j = j0; j < j1; j++) C[c + j] = (C[c + j] as number) + x * (B[b + j] as number);
        }
      }
    }
  }
}

/**
 * C[M×N] += A[M×K] · B[K×N] on row-major buffers (A at `ao`, B at `bo`, C at `co`): the portable
 * TypeScript gemm behind `matmul`, checked (sizes, offsets and buffer lengths) before it runs.
 *
 * @example
 * ```ts
 * const C = new Float64Array(4);
 * gemm(2, 2, 1, new Float64Array([1, 2]), 0, new Float64Array([3, 4]), 0, C, 0); // C = [3, 4, 6, 8]
 * ```
 */
export function gemm(
  M: number,
  N: number,
  K: number,
  A: TypedArray,
  ao: number,
  B: TypedArray,
  bo: number,
  C: TypedArray,
  co: number,
): void {
  for (const [name, v] of [
    ["M", M],
    ["N", N],
    ["K", K],
    ["ao", ao],
    ["bo", bo],
    ["co", co],
  ] as const) {
    if (!Number.isInteger(v) || v < 0) {
      throw new ArgumentError(`gemm: ${name} must be a non-negative integer, got ${describeValue(v)}`);
    }
  }
  for (const [name, buf, need] of [
    ["A", A, ao + M * K],
    ["B", B, bo + K * N],
    ["C", C, co + M * N],
  ] as const) {
    if (!ArrayBuffer.isView(buf))
      throw new ArgumentError(`gemm: ${name} must be a typed array, got ${describeValue(buf)}`);
    if (buf.length < need) {
      throw new ShapeError(
        `gemm: ${name} holds ${buf.length} elements, a ${M}x${N}x${K} product at its offset needs ${need}`,
      );
    }
  }
  gemmKernel(M, N, K, A, ao, B, bo, C, co);
}

/** Returns a row-major copy of one 2-d matrix slice (in `scratch()`) unless it already is row-major. */
function rowMajor(
  src: TypedArray,
  offset: number,
  rows: number,
  cols: number,
  rs: number,
  cs: number,
  scratch: () => TypedArray,
): { buf: TypedArray; off: number } {
  if (cs === 1 && (rs === cols || rows === 1)) return { buf: src, off: offset };
  const out = scratch();
  let k = 0;
  for (let r = 0; r < rows; r++) {
    let p = offset + r * rs;
    for (let c = 0; c < cols; c++, p += cs) out[k++] = src[p] as number;
  }
  return { buf: out, off: 0 };
}

/** Which gemm implementation `matmul` uses: see {@link setMatmulBackend}. */
export type MatmulBackend = "auto" | "wasm" | "js";

let backend: MatmulBackend = "auto";

/**
 * Products with M·N·K below this stay in TypeScript under the "auto" backend: for them the wasm call,
 * the operand copies and the packing cost about what the SIMD kernel saves. Measured per `matmul` call
 * on the dev machine (2.6 GHz Xeon, Node 20): 4³ ties (~2.8 µs both), 8³ is 1.4× faster in wasm,
 * 16³ 3×, 32³ 10×.
 */
export const WASM_MIN_WORK = 8 * 8 * 8;

/**
 * Chooses the matmul implementation: `"wasm"` (the WebAssembly SIMD packed gemm for every product),
 * `"js"` (the portable pure-TypeScript gemm), or `"auto"` (the default: wasm when the engine supports
 * SIMD and the product is large enough to gain from it, else js). Both give the same results up to
 * float rounding order. Throws when `"wasm"` is asked for on an engine without WebAssembly SIMD.
 *
 * @example
 * ```ts
 * setMatmulBackend("js");   // e.g. to compare against the fallback
 * setMatmulBackend("auto");
 * ```
 */
export function setMatmulBackend(kind: MatmulBackend): void {
  if (kind !== "auto" && kind !== "wasm" && kind !== "js")
    throw new ArgumentError(`setMatmulBackend: unknown backend ${JSON.stringify(kind)}; expected auto, wasm or js`);
  if (kind === "wasm" && !getWasmGemm())
    throw new ArgumentError(
      'setMatmulBackend: "wasm" needs WebAssembly SIMD, which this engine lacks; use "auto" or "js"',
    );
  backend = kind;
}

/** The backend chosen with {@link setMatmulBackend} (`"auto"` unless changed). */
export function getMatmulBackend(): MatmulBackend {
  return backend;
}

/** True when this engine can run the WebAssembly SIMD kernels. */
export function wasmSimdSupported(): boolean {
  return getWasmGemm() !== null;
}

/** The wasm kernel to use for an M×N×K product, or null for the TypeScript gemm. */
function pickWasm(M: number, N: number, K: number): WasmGemm | null {
  if (backend === "js") return null;
  if (backend === "auto" && M * N * K < WASM_MIN_WORK) return null;
  return getWasmGemm();
}

/**
 * Matrix product with torch.matmul's rules: 1-d·1-d is a dot product, 1-d operands are promoted to
 * matrices and the added dim removed, and leading (batch) dims broadcast.
 *
 * @example
 * ```ts
 * matmul(ones([2, 3]), ones([3, 4])).shape;       // [2, 4]
 * matmul(ones([5, 2, 3]), ones([3, 4])).shape;    // [5, 2, 4]
 * ```
 */
export function matmul(a: NDArray, b: NDArray): NDArray {
  return product(a, b, null);
}

/**
 * `bias + a·b` for matrices a (M, K), b (K, N) and a bias of N values added to every row (torch's
 * `addmm` with a row-vector input): a linear layer's forward. On the WebAssembly path the bias is added
 * while the product is copied out of wasm memory, saving a separate pass over the output.
 *
 * @example
 * ```ts
 * addmm(array([1, 2]), ones([3, 4]), ones([4, 2])).toArray(); // [[5, 6], [5, 6], [5, 6]]
 * ```
 */
export function addmm(bias: NDArray, a: NDArray, b: NDArray): NDArray {
  checkOperand("addmm", "bias", bias, false);
  checkOperand("addmm", "input", a, false);
  checkOperand("addmm", "other", b, false);
  if (a.ndim !== 2 || b.ndim !== 2) {
    throw new ShapeError(`addmm: expected 2-d matrices, got shapes ${fmtShape(a.shape)} and ${fmtShape(b.shape)}`);
  }
  const N = b.shape[1] as number;
  if (bias.ndim !== 1 || bias.shape[0] !== N) {
    throw new ShapeError(
      `addmm: bias must have shape [${N}] (the columns of ${fmtShape(a.shape)}·${fmtShape(b.shape)}), got ${fmtShape(bias.shape)}`,
    );
  }
  if (bias.dtype === "bool") throw new DTypeError("addmm: bias must be numeric, got bool");
  // A bias of another dtype promotes the result (torch's rule): the unfused form does that.
  if (bias.dtype !== promoteTypes(a.dtype, b.dtype)) return add(product(a, b, null), bias);
  return product(a, b, bias);
}

/** matmul, with an optional row bias added as the product is written out (see {@link addmm}). */
function product(a: NDArray, b: NDArray, bias: NDArray | null): NDArray {
  checkOperand("matmul", "input", a, false);
  checkOperand("matmul", "other", b, false);
  if (a.ndim === 0 || b.ndim === 0) {
    throw new ShapeError(
      `matmul: both arguments need at least 1 dim, got shapes ${fmtShape(a.shape)} and ${fmtShape(b.shape)}`,
    );
  }
  if (a.dtype === "bool" || b.dtype === "bool")
    throw new DTypeError(`matmul: bool operands are not supported (got ${a.dtype} and ${b.dtype})`);
  const A = a.ndim === 1 ? a.unsqueeze(0) : a;
  const B = b.ndim === 1 ? b.unsqueeze(1) : b;
  const M = A.shape[A.ndim - 2] as number;
  const K = A.shape[A.ndim - 1] as number;
  const K2 = B.shape[B.ndim - 2] as number;
  const N = B.shape[B.ndim - 1] as number;
  if (K !== K2) {
    throw new ShapeError(
      `matmul: shapes ${fmtShape(a.shape)} and ${fmtShape(b.shape)} are not aligned (${K} != ${K2})`,
    );
  }
  const batchA = A.shape.slice(0, -2);
  const batchB = B.shape.slice(0, -2);
  let batch: number[];
  try {
    batch = broadcastShapes("matmul", batchA, batchB);
  } catch {
    throw new ShapeError(
      `matmul: batch dims of shapes ${fmtShape(a.shape)} and ${fmtShape(b.shape)} cannot be broadcast (${fmtShape(batchA)} vs ${fmtShape(batchB)})`,
    );
  }
  const dtype: DType = promoteTypes(a.dtype, b.dtype);
  const work = dtype === "int32" ? "float64" : floatDType(dtype);
  const Ab = A.expand([...batch, M, K]);
  const Bb = B.expand([...batch, K, N]);
  const nb = batch.reduce((p, d) => p * d, 1);
  const aOffs = stridedOffsets(batch, Ab.strides.slice(0, -2), Ab.offset);
  const bOffs = stridedOffsets(batch, Bb.strides.slice(0, -2), Bb.offset);
  const wasm = M > 0 && N > 0 && K > 0 ? pickWasm(M, N, K) : null;
  // The bias in the work dtype, contiguous (N values).
  const rowBias = bias ? (bias.dtype === work ? bias.toTypedArray() : bias.astype(work).data) : null;
  const fromWasm = wasm ? wasmBatches(wasm, work === "float32" ? 4 : 8, M, N, K, Ab, Bb, aOffs, bOffs, rowBias) : null;
  if (fromWasm) return finish(fromWasm, batch, M, N, work, dtype, a, b);
  const out = allocate(work, nb * M * N);
  const aSrc = A.dtype === work ? A.data : allocateCast(A, work);
  const bSrc = B.dtype === work ? B.data : allocateCast(B, work);
  // Scratch for packing non-row-major slices, allocated only when a slice needs it.
  let aScratch: TypedArray | undefined;
  let bScratch: TypedArray | undefined;
  const aBuf = (): TypedArray => (aScratch ??= allocate(work, M * K));
  const bBuf = (): TypedArray => (bScratch ??= allocate(work, K * N));
  const [ars, acs] = Ab.strides.slice(-2) as [number, number];
  const [brs, bcs] = Bb.strides.slice(-2) as [number, number];
  let lastA = -1;
  let lastB = -1;
  let pa = { buf: aSrc, off: 0 };
  let pb = { buf: bSrc, off: 0 };
  for (let i = 0; i < nb; i++) {
    const ao = aOffs[i] as number;
    const bo = bOffs[i] as number;
    // Broadcast batches repeat the same slice: pack it once.
    if (ao !== lastA) pa = rowMajor(aSrc, ao, M, K, ars, acs, aBuf);
    if (bo !== lastB) pb = rowMajor(bSrc, bo, K, N, brs, bcs, bBuf);
    lastA = ao;
    lastB = bo;
    gemmKernel(M, N, K, pa.buf, pa.off, pb.buf, pb.off, out, i * M * N);
  }
  if (rowBias) addRowsAt(out, 0, out, 0, rowBias, nb * M, N);
  return finish(out, batch, M, N, work, dtype, a, b);
}

/** out[o + r·n + j] = src[s + r·n + j] + bias[j] for `rows` rows of n (src may be out with s = o). */
function addRowsAt(
  out: TypedArray,
  o: number,
  src: TypedArray,
  s: number,
  bias: TypedArray,
  rows: number,
  n: number,
): void {
  for (let r = 0; r < rows; r++) {
    let k = o + r * n;
    let p = s + r * n;
    for (let j = 0; j < n; j++) out[k++] = (src[p++] as number) + (bias[j] as number);
  }
}

/** Wraps the batched product buffer: cast back to the result dtype and drop the dims 1-d operands added. */
function finish(
  out: TypedArray,
  batch: number[],
  M: number,
  N: number,
  work: DType,
  dtype: DType,
  a: NDArray,
  b: NDArray,
): NDArray {
  let result = new NDArray(out, [...batch, M, N]);
  if (work !== dtype) result = result.astype(dtype);
  if (a.ndim === 1) result = result.squeeze(-2);
  if (b.ndim === 1) result = result.squeeze(-1);
  return result;
}

/** How one operand's matrix slices are placed in wasm memory. */
interface Staging {
  /** Elements reserved for one slice. */
  size: number;
  /** Copy the slice's whole memory span (keeping its strides) rather than gathering it row-major. */
  span: boolean;
  /** Lowest element of a slice relative to its offset (≤ 0 only if a stride were negative). */
  lo: number;
}

/**
 * Plans the copy of rows×cols slices with strides rs/cs: when the slice's memory span is not much
 * larger than the slice (contiguous, transposed, expanded, mildly narrowed), one `TypedArray.set` copies
 * the span and the packing reads it through the original strides; otherwise (e.g. a few columns of a
 * wide matrix) the slice is gathered row-major so the copy stays O(rows·cols).
 */
function planStaging(rows: number, cols: number, rs: number, cs: number): Staging {
  const lo = Math.min(0, (rows - 1) * rs) + Math.min(0, (cols - 1) * cs);
  const hi = Math.max(0, (rows - 1) * rs) + Math.max(0, (cols - 1) * cs);
  const spanSize = hi - lo + 1;
  const span = spanSize <= 2 * rows * cols + 64;
  return { size: span ? spanSize : rows * cols, span, lo };
}

/** Copies one slice into `view` at element `at` as planned; returns the element index of its [0,0]. */
function stage(
  st: Staging,
  src: TypedArray,
  off: number,
  rows: number,
  cols: number,
  rs: number,
  cs: number,
  view: Float32Array | Float64Array,
  at: number,
): number {
  if (st.span) {
    // set() converts int32/float32 sources to the work dtype on the way in.
    view.set(src.subarray(off + st.lo, off + st.lo + st.size), at);
    return at - st.lo;
  }
  let k = at;
  for (let r = 0; r < rows; r++) {
    let p = off + r * rs;
    for (let c = 0; c < cols; c++, p += cs) view[k++] = src[p] as number;
  }
  return at;
}

/**
 * The wasm path of `matmul`: stages each distinct A and B slice in wasm memory, runs the packed SIMD
 * gemm per batch entry and copies C out into a new array (the batched products of every entry; sliced
 * out of the memory in one piece when it lies there whole, which skips zero-filling a fresh array).
 * Null when memory cannot grow.
 */
function wasmBatches(
  wasm: WasmGemm,
  es: 4 | 8,
  M: number,
  N: number,
  K: number,
  A: NDArray,
  B: NDArray,
  aOffs: Int32Array,
  bOffs: Int32Array,
  rowBias: TypedArray | null,
  colSums: Float64Array | null = null,
): TypedArray | null {
  const [ars, acs] = A.strides.slice(-2) as [number, number];
  const [brs, bcs] = B.strides.slice(-2) as [number, number];
  const sa = planStaging(M, K, ars, acs);
  const sb = planStaging(K, N, brs, bcs);
  wasm.wakeFor(es, aOffs.length, M, N, K);
  if (aOffs.length > 1 && !rowBias && M * N * K * (es / 4) < PARALLEL_MIN_WORK) {
    return wasmSmallBatches(wasm, es, M, N, K, A, B, aOffs, bOffs, sa, sb);
  }
  // Layout (bytes): [workspace][A slice][B slice][C][bias]
  const work = 0;
  const aAt = align(wasm.workspaceBytes(es, M, N, K));
  const bAt = aAt + align(sa.size * es);
  const cAt = bAt + align(sb.size * es);
  const biasAt = cAt + align(M * N * es);
  const sumsAt = biasAt + align(rowBias ? N * es : 0);
  if (!wasm.reserve(sumsAt + (colSums ? M * 8 : 0))) return null;
  const view = wasm.view(es);
  if (rowBias) view.set(rowBias, biasAt / es);
  const aR = sa.span ? ars : K;
  const aC = sa.span ? acs : 1;
  const bR = sb.span ? brs : N;
  const bC = sb.span ? bcs : 1;
  let pa = 0;
  let pb = 0;
  let lastA = -1;
  let lastB = -1;
  const cEl = cAt / es;
  const nb = aOffs.length;
  const out = nb > 1 ? (es === 4 ? outputFloat32(nb * M * N) : outputFloat64(nb * M * N)) : null;
  for (let i = 0; i < nb; i++) {
    const ao = aOffs[i] as number;
    const bo = bOffs[i] as number;
    // Broadcast batches repeat the same slice: stage it once.
    if (ao !== lastA) pa = stage(sa, A.data, ao, M, K, ars, acs, view, aAt / es);
    if (bo !== lastB) pb = stage(sb, B.data, bo, K, N, brs, bcs, view, bAt / es);
    lastA = ao;
    lastB = bo;
    wasm.gemm(es, M, N, K, pa * es, aR, aC, pb * es, bR, bC, cAt, N, work);
    if (rowBias) wasm.addRows(es, cAt, biasAt, M, N);
    out?.set(view.subarray(cEl, cEl + M * N), i * M * N);
  }
  if (colSums) {
    // A is gᵀ of a contiguous g (see linearWeightGrads): its staged span is g itself, K rows of M.
    wasm.colSums(es, pa * es, K, M, sumsAt);
    colSums.set(wasm.view(8).subarray(sumsAt / 8, sumsAt / 8 + M));
  }
  return out ?? copyToOutput(view, cEl, cEl + M * N);
}

/**
 * A linear layer's weight and bias gradients from its output gradient `g` (N, out) and input `x`
 * (N, in): `gw = gᵀ·x` (out, in) and `gb` = the column sums of g (out). On the WebAssembly path g is
 * staged once for both; the sums are accumulated in float64 row by row, as {@link sum} does, so `gb`
 * is bit for bit `sum(g, 0)` and `gw` is `matmul(gᵀ, x)`.
 *
 * @example
 * ```ts
 * const { gw, gb } = linearWeightGrads(ones([4, 2]), ones([4, 3])); // gw: 2×3 of 4s, gb: [4, 4]
 * ```
 */
export function linearWeightGrads(g: NDArray, x: NDArray): { gw: NDArray; gb: NDArray } {
  checkOperand("linearWeightGrads", "gradient", g, false);
  checkOperand("linearWeightGrads", "input", x, false);
  if (g.ndim !== 2 || x.ndim !== 2 || g.shape[0] !== x.shape[0]) {
    throw new ShapeError(
      `linearWeightGrads: expected g (N, out) and x (N, in) with the same N, got ${fmtShape(g.shape)} and ${fmtShape(x.shape)}`,
    );
  }
  const gT = g.transpose(0, 1);
  const [M, K] = gT.shape as [number, number];
  const N = x.shape[1] as number;
  const es = g.dtype === "float32" ? 4 : g.dtype === "float64" ? 8 : 0;
  const wasm = es > 0 && g.dtype === x.dtype && g.isContiguous() && M * N * K > 0 ? pickWasm(M, N, K) : null;
  if (wasm) {
    const sums = new Float64Array(M);
    const offsets = [Int32Array.of(gT.offset), Int32Array.of(x.offset)] as const;
    const gw = wasmBatches(wasm, es as 4 | 8, M, N, K, gT, x, ...offsets, null, sums);
    if (gw) {
      const gb = allocate(g.dtype, M);
      gb.set(sums);
      return { gw: new NDArray(gw, [M, N]), gb: new NDArray(gb, [M]) };
    }
  }
  return { gw: matmul(gT, x), gb: sum(g, 0) };
}

/**
 * All of a linear layer's gradients from its output gradient `g` (N, out), input `x` (N, in) and
 * weight `w` (out, in): `gx = g·w` (N, in), `gw = gᵀ·x` (out, in) and `gb` = the column sums of g (out).
 * On the WebAssembly path g, x and w are staged once for all three (g feeds both products); each result
 * is bit for bit what `matmul(g, w)`, {@link linearWeightGrads} and `sum(g, 0)` give.
 *
 * @example
 * ```ts
 * const { gx, gw, gb } = linearGrads(ones([4, 2]), ones([4, 3]), ones([2, 3]));
 * // gx: 4×3 of 2s, gw: 2×3 of 4s, gb: [4, 4]
 * ```
 */
export function linearGrads(g: NDArray, x: NDArray, w: NDArray): { gx: NDArray; gw: NDArray; gb: NDArray } {
  checkOperand("linearGrads", "gradient", g, false);
  checkOperand("linearGrads", "input", x, false);
  checkOperand("linearGrads", "weight", w, false);
  if (
    g.ndim !== 2 ||
    x.ndim !== 2 ||
    w.ndim !== 2 ||
    g.shape[0] !== x.shape[0] ||
    w.shape[0] !== g.shape[1] ||
    w.shape[1] !== x.shape[1]
  ) {
    throw new ShapeError(
      `linearGrads: expected g (N, out), x (N, in) and weight (out, in), got ${fmtShape(g.shape)}, ${fmtShape(x.shape)} and ${fmtShape(w.shape)}`,
    );
  }
  const [n, out] = g.shape as [number, number];
  const inF = x.shape[1] as number;
  const es = g.dtype === "float32" ? 4 : g.dtype === "float64" ? 8 : 0;
  const same = es > 0 && x.dtype === g.dtype && w.dtype === g.dtype;
  const contiguous = g.isContiguous() && x.isContiguous() && w.isContiguous();
  const wasm = same && contiguous && n * out * inF > 0 ? pickWasm(n, inF, out) : null;
  const fused = wasm ? wasmLinearGrads(wasm, es as 4 | 8, g, x, w) : null;
  if (fused) return fused;
  const { gw, gb } = linearWeightGrads(g, x);
  return { gx: matmul(g, w), gw, gb };
}

/** The WebAssembly path of {@link linearGrads} (contiguous operands of one float dtype); null when memory cannot grow. */
function wasmLinearGrads(
  wasm: WasmGemm,
  es: 4 | 8,
  g: NDArray,
  x: NDArray,
  w: NDArray,
): { gx: NDArray; gw: NDArray; gb: NDArray } | null {
  const [n, out] = g.shape as [number, number];
  const inF = x.shape[1] as number;
  // gx = g·w: n × in over out; gw = gᵀ·x: out × in over n.
  wasm.wakeFor(es, 1, n, inF, out);
  // Layout (bytes): [workspace for either product][g][x][w][gx][gw][column sums: out float64]
  const work = Math.max(wasm.workspaceBytes(es, n, inF, out), wasm.workspaceBytes(es, out, inF, n));
  const gAt = align(work);
  const xAt = gAt + align(n * out * es);
  const wAt = xAt + align(n * inF * es);
  const gxAt = wAt + align(out * inF * es);
  const gwAt = gxAt + align(n * inF * es);
  const sumsAt = gwAt + align(out * inF * es);
  if (!wasm.reserve(sumsAt + out * 8)) return null;
  const view = wasm.view(es);
  view.set(g.data.subarray(g.offset, g.offset + n * out), gAt / es);
  view.set(x.data.subarray(x.offset, x.offset + n * inF), xAt / es);
  view.set(w.data.subarray(w.offset, w.offset + out * inF), wAt / es);
  // One job for both products: threads move on to the second without waiting for the first.
  wasm.gemms(
    [
      [es, n, inF, out, gAt, out, 1, wAt, inF, 1, gxAt, inF],
      [es, out, inF, n, gAt, 1, out, xAt, inF, 1, gwAt, inF],
    ],
    0,
  );
  wasm.colSums(es, gAt, n, out, sumsAt);
  const gb = allocate(g.dtype, out);
  gb.set(wasm.view(8).subarray(sumsAt / 8, sumsAt / 8 + out));
  return {
    gx: new NDArray(copyToOutput(view, gxAt / es, gxAt / es + n * inF), [n, inF]),
    gw: new NDArray(copyToOutput(view, gwAt / es, gwAt / es + out * inF), [out, inF]),
    gb: new NDArray(gb, [out]),
  };
}

/**
 * Many small products (attention's per-head matmuls). Each operand is staged in one copy when the
 * memory its entries span is compact (the heads of a (B, L, H, D) array viewed as (B, H, L, D), whose
 * rows are too short to copy one by one), else entry by entry (a slice shared by all entries, as in
 * broadcasting, once). The products then run as one batch over a table of their offsets, which the
 * worker pool can share out by entries, and all of C is copied out at once.
 */
function wasmSmallBatches(
  wasm: WasmGemm,
  es: 4 | 8,
  M: number,
  N: number,
  K: number,
  A: NDArray,
  B: NDArray,
  aOffs: Int32Array,
  bOffs: Int32Array,
  sa: Staging,
  sb: Staging,
): TypedArray | null {
  const [ars, acs] = A.strides.slice(-2) as [number, number];
  const [brs, bcs] = B.strides.slice(-2) as [number, number];
  const nb = aOffs.length;
  const planA = planBatchStaging(aOffs, sa, M, K, ars, acs, es);
  const planB = planBatchStaging(bOffs, sb, K, N, brs, bcs, es);
  // Layout (bytes): [workspace per thread][A][B][C: nb × M × N][offset table: nb × (A, B, C)]
  const aAt = align(wasm.workspaceBytes(es, M, N, K));
  const bAt = aAt + planA.bytes;
  const cAt = bAt + planB.bytes;
  const tableAt = cAt + align(nb * M * N * es);
  if (!wasm.reserve(tableAt + nb * 12)) return null;
  const view = wasm.view(es);
  const table = new Int32Array(wasm.memory.buffer, tableAt, nb * 3);
  stageBatch(planA, A.data, aOffs, M, K, ars, acs, view, aAt, es, table, 0);
  stageBatch(planB, B.data, bOffs, K, N, brs, bcs, view, bAt, es, table, 1);
  for (let i = 0; i < nb; i++) table[3 * i + 2] = cAt + i * M * N * es;
  // Slices gathered row-major are read with strides (cols, 1); copied spans keep their own.
  const gatheredA = planA.kind === "entries" && !sa.span;
  const gatheredB = planB.kind === "entries" && !sb.span;
  wasm.gemmBatch(
    es,
    nb,
    M,
    N,
    K,
    tableAt,
    gatheredA ? K : ars,
    gatheredA ? 1 : acs,
    gatheredB ? N : brs,
    gatheredB ? 1 : bcs,
    0,
  );
  return copyToOutput(view, cAt / es, cAt / es + nb * M * N);
}

/** How one operand's batch entries are staged: all in one copy of the span they share, or one by one. */
type BatchPlan =
  | { kind: "union"; from: number; size: number; bytes: number }
  | { kind: "entries"; slice: Staging; shared: boolean; slot: number; bytes: number };

/** Chooses a batch operand's staging (see {@link wasmSmallBatches}) for entries of rows×cols. */
function planBatchStaging(
  offs: Int32Array,
  slice: Staging,
  rows: number,
  cols: number,
  rs: number,
  cs: number,
  es: number,
): BatchPlan {
  let lo = Number.POSITIVE_INFINITY;
  let hi = Number.NEGATIVE_INFINITY;
  for (const o of offs) {
    if (o < lo) lo = o;
    if (o > hi) hi = o;
  }
  const shared = lo === hi;
  // The memory one entry spans, relative to its offset, whatever the strides' signs.
  const spanLo = Math.min(0, (rows - 1) * rs) + Math.min(0, (cols - 1) * cs);
  const spanHi = Math.max(0, (rows - 1) * rs) + Math.max(0, (cols - 1) * cs);
  const from = lo + spanLo;
  const size = hi + spanHi + 1 - from;
  if (!shared && size <= 2 * offs.length * rows * cols + 64) {
    return { kind: "union", from, size, bytes: align(size * es) };
  }
  const slot = align(slice.size * es);
  return { kind: "entries", slice, shared, slot, bytes: (shared ? 1 : offs.length) * slot };
}

/** Stages one operand as planned and writes each entry's byte offset into column `col` of `table`. */
function stageBatch(
  plan: BatchPlan,
  src: TypedArray,
  offs: Int32Array,
  rows: number,
  cols: number,
  rs: number,
  cs: number,
  view: Float32Array | Float64Array,
  at: number,
  es: number,
  table: Int32Array,
  col: number,
): void {
  if (plan.kind === "union") {
    view.set(src.subarray(plan.from, plan.from + plan.size), at / es);
    for (let i = 0; i < offs.length; i++) table[3 * i + col] = at + ((offs[i] as number) - plan.from) * es;
    return;
  }
  let p = 0;
  for (let i = 0; i < offs.length; i++) {
    if (i === 0 || !plan.shared) {
      p = stage(plan.slice, src, offs[i] as number, rows, cols, rs, cs, view, (at + i * plan.slot) / es);
    }
    table[3 * i + col] = p * es;
  }
}

/** The buffer of `x` converted elementwise to `dtype`, same indexing (offset and strides unchanged). */
function allocateCast(x: NDArray, dtype: DType): TypedArray {
  const out = allocate(dtype, x.data.length);
  out.set(x.data);
  return out;
}
