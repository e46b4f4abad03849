/**
 * Loads the WebAssembly SIMD GEMM kernel (src/wasm/gemm.wat, embedded as base64) lazily and
 * synchronously on first use, and owns the one WebAssembly.Memory it works in.
 * Portable: no Node-only API, so it works in browsers too. A thread pool (the Node entry point,
 * src/node.ts) plugs in through {@link setKernelPool}.
 */
import { GEMM_SHARED_WASM_BASE64, GEMM_WASM_BASE64 } from "./kernels.generated.js";

/**
 * The part of the WebAssembly JS API used here, typed locally: the package compiles with lib ES2022
 * (no DOM types) and @types/node 20 does not declare the `WebAssembly` namespace.
 */
export interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}
/** A compiled module (opaque here). */
export type WasmModule = object;
export interface WasmApi {
  validate(bytes: Uint8Array<ArrayBuffer>): boolean;
  Module: new (bytes: Uint8Array<ArrayBuffer>) => WasmModule;
  Instance: new (module: WasmModule, imports: object) => { exports: object };
  Memory: new (descriptor: { initial: number; maximum?: number; shared?: boolean }) => WasmMemory;
}
/** The engine's WebAssembly object, if it has one. */
const wasmApi = (globalThis as { WebAssembly?: WasmApi }).WebAssembly;

/** The exports of gemm.wat (see the comments there for the loop nest and layout). */
interface GemmExports {
  /** C = A·B; `es` = element bytes (4 or 8); pointers are byte offsets, strides and ldc in elements. */
  gemm(
    es: number,
    M: number,
    N: number,
    K: number,
    pA: number,
    ars: number,
    acs: number,
    pB: number,
    brs: number,
    bcs: number,
    pC: number,
    ldc: number,
    packA: number,
    packB: number,
    tile: number,
  ): void;
  /** C[r, j] += bias[j] over `rows` rows of n (byte offsets; es = 4 or 8). */
  add_rows(es: number, c: number, bias: number, rows: number, n: number): void;
  /** out[j] = Σ_r X[r, j] in float64 over `rows` rows of n (byte offsets; out is n float64). */
  col_sums(es: number, x: number, rows: number, n: number, out: number): void;
  MR: { value: number };
  KC: { value: number };
  MC: { value: number };
  NC: { value: number };
}

const PAGE = 65536;
/** Byte offsets are passed as int32: stay below 2 GiB (larger inputs take the TypeScript path). */
const MAX_BYTES = 2 ** 31 - PAGE;

/**
 * A WebAssembly memory that kernels stage their data in, with float32 and float64 views that follow
 * its growth (an ordinary one for the single-threaded kernels, a shared one for the threaded gemm).
 */
export class WasmHeap {
  readonly memory: WasmMemory;
  private f32View: Float32Array;
  private f64View: Float64Array;
  private stagings = 0;

  /** Whether the memory is shared (the pool's workers can run kernels over it too). */
  readonly shared: boolean;

  constructor(memory: WasmMemory) {
    this.memory = memory;
    this.shared = typeof SharedArrayBuffer === "function" && memory.buffer instanceof SharedArrayBuffer;
    this.f32View = new Float32Array(memory.buffer);
    this.f64View = new Float64Array(memory.buffer);
  }

  /**
   * Counts the stagings (every kernel call lays its data out after `reserve`): a caller that leaves
   * results in the memory, such as the cross-entropy forward's probabilities, records the count and
   * later finds them intact only if no staging came in between.
   */
  get generation(): number {
    return this.stagings;
  }

  /** Grows the memory to at least `bytes`; false when that is too large or the engine refuses. */
  reserve(bytes: number): boolean {
    this.stagings++;
    const have = this.memory.buffer.byteLength;
    if (bytes <= have) return true;
    if (bytes > MAX_BYTES) return false;
    try {
      this.memory.grow(Math.ceil((bytes - have) / PAGE));
    } catch {
      return false;
    }
    // Growing detaches the old ArrayBuffer (or, when shared, leaves the old views at the old length):
    // views must be recreated.
    this.f32View = new Float32Array(this.memory.buffer);
    this.f64View = new Float64Array(this.memory.buffer);
    return true;
  }

  /** float32 view of the memory (valid until the next `reserve` that grows). */
  get f32(): Float32Array {
    return this.f32View;
  }

  /** float64 view of the memory (valid until the next `reserve` that grows). */
  get f64(): Float64Array {
    return this.f64View;
  }
}

/**
 * Work cut into chunks for the pool, as int32 fields; the first says what kind:
 * - {@link JOB_GEMM}: `[0, count, …count products]`, each product {@link PRODUCT_FIELDS} fields
 *   `[es, M, N, K, pA, ars, acs, pB, brs, bcs, pC, ldc, table, unit, total, offA, offB, wsBase, wsSize,
 *   chunks]`. The job's chunks are the products' chunks in order. With `table` 0, a product's chunk i
 *   is rows [i·unit, min(total, (i+1)·unit)) (total = M); otherwise it is those batch entries of the
 *   int32 (A, B, C) byte-offset triples at byte offset `table` (total = the entry count). Thread t (the
 *   caller is 0) packs in the workspace at `wsBase + t·wsSize`, at offsets offA / offB / 0.
 * - {@link JOB_CALL}: a row or element range of another kernel (see src/wasm/parallel.ts).
 */
export type PoolJob = readonly number[];

/** A tuple of `N` numbers (for reading a job's fields by destructuring). */
type Numbers<N extends number, T extends number[] = []> = T["length"] extends N ? T : Numbers<N, [...T, number]>;

/** {@link PoolJob} kinds. */
export const JOB_GEMM = 0;
export const JOB_CALL = 1;

/** Fields per product of a {@link JOB_GEMM} job. */
export const PRODUCT_FIELDS = 20;

/** Most products one {@link JOB_GEMM} job carries (the pool's job block has room for this many). */
export const MAX_JOB_PRODUCTS = 2;

/**
 * One product's operands, as `gemm` takes them: `[es, M, N, K, pA, ars, acs, pB, brs, bcs, pC, ldc]`
 * (byte offsets; strides and ldc in elements).
 */
export type Product = readonly [
  number,
  number,
  number,
  number,
  number,
  number,
  number,
  number,
  number,
  number,
  number,
  number,
];

/**
 * Extra threads that run kernel chunks on the same (shared) memories alongside the caller.
 */
export interface KernelPool {
  /** Workers ready to take part now (0 while they start up or when there are none). */
  available(): number;
  /**
   * Runs chunks 0..chunks−1 of `job`, each exactly once, on the workers and on this thread (which runs
   * its chunks with `runChunk`); returns when all are finished, and throws if one failed.
   */
  run(job: PoolJob, chunks: number, runChunk: (chunk: number) => void): void;
  /** Wakes the workers ahead of a product (they stay awake a little while), hiding their wake-up. */
  wake(): void;
}

/**
 * Chunks per thread a split product is cut into: enough that a thread the OS or the GC holds up for a
 * while leaves little for the others to wait on, few enough that packing B once per chunk stays cheap.
 */
export const CHUNKS_PER_THREAD = 3;

/**
 * A product whose B is larger than this (bytes) is cut into one chunk per thread: packing a B that no
 * longer fits in L2 again for every chunk cost more than the claiming saved (1024² float32 on two
 * threads: about 63 GFLOP/s with three chunks per thread, 65 with one, medians of alternating runs).
 */
export const SHARED_B_BYTES = 1 << 20;

/**
 * Products with M·N·K·(es / 4) below this run on one thread even when a pool is installed: waking the
 * workers (a futex round trip) and packing B once per thread must stay small next to the work. float64
 * counts double since its kernel is half as fast. Measured with 2 threads on the dev machine: float32
 * breaks even near 128³ (1.3× at 160³, 1.8× at 512³+), float64 near 100³ (1.2× at 128³).
 */
export const PARALLEL_MIN_WORK = 128 * 128 * 128;

/** A loaded kernel instance with its memory and typed views over it. */
export class WasmGemm extends WasmHeap {
  readonly exports: GemmExports;
  /** Rows per micro-tile. */
  readonly MR: number;
  /** k-block, row-block and column-block sizes of the packing (elements). */
  readonly KC: number;
  readonly MC: number;
  readonly NC: number;
  /** The compiled module (sent to pool workers, which instantiate it over the same shared memory). */
  readonly module: WasmModule;
  /** Set by {@link setKernelPool}: large products are split by rows across it. */
  pool: KernelPool | null = null;
  /** Threads a product may use (the caller plus pool workers); sizes the per-thread workspaces. */
  threads = 1;

  constructor(api: WasmApi, module: WasmModule, memory: WasmMemory) {
    super(memory);
    this.module = module;
    this.exports = new api.Instance(module, { env: { memory } }).exports as GemmExports;
    this.MR = this.exports.MR.value;
    this.KC = this.exports.KC.value;
    this.MC = this.exports.MC.value;
    this.NC = this.exports.NC.value;
  }

  /** A view of the memory for the given element size (valid until the next `reserve` that grows). */
  view(es: 4 | 8): Float32Array | Float64Array {
    return es === 4 ? this.f32 : this.f64;
  }

  /** Bytes of packing workspace for one thread (scratch tile + packed A block + packed B block). */
  private threadWorkspace(es: number, M: number, N: number, K: number): number {
    const nr = 32 / es;
    const kc = Math.min(K, this.KC);
    const mc = roundUp(Math.min(M, this.MC), this.MR);
    const nc = roundUp(Math.min(N, this.NC), nr);
    return this.MR * 32 + align((mc + nc) * kc * es);
  }

  /** Bytes of packing workspace `gemm` needs for an M×N×K product (one region per thread). */
  workspaceBytes(es: number, M: number, N: number, K: number): number {
    return this.threads * this.threadWorkspace(es, M, N, K);
  }

  /**
   * Runs C = A·B with the workspace at byte offset `work` (`workspaceBytes` long). Pointers are byte
   * offsets; strides and `ldc` are in elements. With a pool, large products are split into row blocks
   * (multiples of MR) that the workers and this thread compute side by side; every element of C is
   * still summed in the same order, so results are bitwise those of one thread.
   */
  gemm(
    es: 4 | 8,
    M: number,
    N: number,
    K: number,
    pA: number,
    ars: number,
    acs: number,
    pB: number,
    brs: number,
    bcs: number,
    pC: number,
    ldc: number,
    work: number,
  ): void {
    this.gemms([[es, M, N, K, pA, ars, acs, pB, brs, bcs, pC, ldc]], work);
  }

  /**
   * Runs independent products (at most {@link MAX_JOB_PRODUCTS}) as one job: with a pool, each large
   * one is cut into row blocks and the threads claim blocks of all of them, so none waits for the
   * others between products. They share the workspace at `work`, which must hold the largest one's
   * (`workspaceBytes`). Results are bitwise those of running each alone on one thread.
   */
  gemms(products: readonly Product[], work: number): void {
    const pool = this.pool;
    let volume = 0;
    for (const [es, M, N, K] of products) volume += M * N * K * (es / 4);
    const splittable = products.some(([, M]) => M >= 2 * this.MR);
    const helpers =
      pool && this.threads > 1 && volume >= PARALLEL_MIN_WORK && splittable
        ? Math.min(pool.available(), this.threads - 1)
        : 0;
    if (products.length > MAX_JOB_PRODUCTS) throw new RangeError(`gemms: at most ${MAX_JOB_PRODUCTS} products per job`);
    const job: number[] = [JOB_GEMM, products.length];
    let chunks = 0;
    let wsSize = 0;
    for (const product of products) {
      const [es, M, N, K] = product;
      const perThread = K * N * es > SHARED_B_BYTES ? 1 : CHUNKS_PER_THREAD;
      const unit = helpers === 0 ? M : roundUp(Math.ceil(M / ((helpers + 1) * perThread)), this.MR);
      const count = Math.ceil(M / unit);
      const offsets = this.offsets(es, unit, N, K, work);
      wsSize = Math.max(wsSize, offsets[3] as number);
      job.push(...product, 0, unit, M, ...offsets, count);
      chunks += count;
    }
    // One workspace size for every product: a thread's region must not overlap another thread's,
    // whichever products the two are running.
    for (let p = 0; p < products.length; p++) job[2 + p * PRODUCT_FIELDS + 18] = wsSize;
    if (!pool || helpers === 0) for (let c = 0; c < chunks; c++) this.runChunk(job, c, 0);
    else pool.run(job, chunks, (chunk) => this.runChunk(job, chunk, 0));
  }

  /** [offA, offB, wsBase, wsSize] of a product whose gemm calls have at most `rows` rows. */
  private offsets(es: number, rows: number, N: number, K: number, work: number): number[] {
    const [packA, packB] = this.pointers(es, rows, K, 0);
    return [packA, packB, work, this.threadWorkspace(es, rows, N, K)];
  }

  /**
   * Runs chunk `chunk` of a {@link JOB_GEMM} job on this thread with thread `thread`'s workspace; the
   * pool's workers run the same steps (pool.ts), so where a chunk runs never changes its result.
   */
  private runChunk(job: PoolJob, chunk: number, thread: number): void {
    let o = 2;
    for (let p = 0; p < (job[1] as number) && chunk >= (job[o + PRODUCT_FIELDS - 1] as number); p++) {
      chunk -= job[o + PRODUCT_FIELDS - 1] as number;
      o += PRODUCT_FIELDS;
    }
    const [es, M, N, K, pA, ars, acs, pB, brs, bcs, pC, ldc, table, unit, total, offA, offB, wsBase, wsSize] =
      job.slice(o, o + PRODUCT_FIELDS) as unknown as Numbers<20>;
    const ws = wsBase + thread * wsSize;
    const packA = ws + offA;
    const packB = ws + offB;
    const from = chunk * unit;
    const to = Math.min(total, from + unit);
    if (table === 0) {
      const rowA = pA + from * ars * es;
      const rowC = pC + from * ldc * es;
      this.exports.gemm(es, to - from, N, K, rowA, ars, acs, pB, brs, bcs, rowC, ldc, packA, packB, ws);
      return;
    }
    const t = new Int32Array(this.memory.buffer, table, 3 * total);
    for (let b = from; b < to; b++) {
      const [tA, tB, tC] = [t[3 * b] as number, t[3 * b + 1] as number, t[3 * b + 2] as number];
      this.exports.gemm(es, M, N, K, tA, ars, acs, tB, brs, bcs, tC, ldc, packA, packB, ws);
    }
  }

  /**
   * Wakes the pool when `count` products of M×N×K will be shared out (the same tests as `gemm` and
   * `gemmBatch`), so the workers are up by the time the operands are staged.
   */
  wakeFor(es: 4 | 8, count: number, M: number, N: number, K: number): void {
    const pool = this.pool;
    if (!pool || this.threads < 2) return;
    const work = M * N * K * (es / 4);
    const split =
      count > 1 && work < PARALLEL_MIN_WORK
        ? count * work >= PARALLEL_MIN_WORK
        : work >= PARALLEL_MIN_WORK && M >= 2 * this.MR;
    if (split && pool.available() > 0) pool.wake();
  }

  /**
   * `count` small products (batch entries) whose A, B and C byte offsets are listed as int32 triples
   * at byte offset `table` of this memory: with a pool and enough total work, whole entries are
   * shared out across the threads (the rows of one small product are too few to split); each entry is
   * computed exactly as alone. C entries have row stride N.
   */
  gemmBatch(
    es: 4 | 8,
    count: number,
    M: number,
    N: number,
    K: number,
    table: number,
    ars: number,
    acs: number,
    brs: number,
    bcs: number,
    work: number,
  ): void {
    const pool = this.pool;
    const helpers =
      pool && this.threads > 1 && count > 1 && count * M * N * K * (es / 4) >= PARALLEL_MIN_WORK
        ? Math.min(pool.available(), this.threads - 1, count - 1)
        : 0;
    const unit = helpers === 0 ? count : Math.ceil(count / ((helpers + 1) * CHUNKS_PER_THREAD));
    const chunks = Math.ceil(count / unit);
    const operands = [es, M, N, K, 0, ars, acs, 0, brs, bcs, 0, N];
    const job = [JOB_GEMM, 1, ...operands, table, unit, count, ...this.offsets(es, M, N, K, work), chunks];
    if (!pool || helpers === 0) this.runChunk(job, 0, 0);
    else pool.run(job, chunks, (chunk) => this.runChunk(job, chunk, 0));
  }

  /** Column sums in float64 of `rows` rows of n elements at byte offset `pX`, into n float64 at `pOut`. */
  colSums(es: 4 | 8, pX: number, rows: number, n: number, pOut: number): void {
    this.exports.col_sums(es, pX, rows, n, pOut);
  }

  /** C[r, j] += bias[j] over `rows` rows of n elements at byte offsets `pC` and `pBias`. */
  addRows(es: 4 | 8, pC: number, pBias: number, rows: number, n: number): void {
    this.exports.add_rows(es, pC, pBias, rows, n);
  }

  /** [packA, packB, tile] byte offsets inside one thread's workspace at `work`. */
  private pointers(es: number, M: number, K: number, work: number): [number, number, number] {
    const packA = work + this.MR * 32;
    const packB = packA + roundUp(Math.min(M, this.MC), this.MR) * Math.min(K, this.KC) * es;
    return [packA, packB, work];
  }
}

/** Rounds up to a multiple of `m`. */
export function roundUp(n: number, m: number): number {
  return Math.ceil(n / m) * m;
}

/** Rounds a byte count up to a 64-byte (cache line) boundary. */
export function align(bytes: number): number {
  return roundUp(bytes, 64);
}

/** Decodes standard base64 (kept local so the package needs neither `atob` nor Node's Buffer). */
export function decodeBase64(s: string): Uint8Array<ArrayBuffer> {
  const table = new Int16Array(128).fill(-1);
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  for (let i = 0; i < alphabet.length; i++) table[alphabet.charCodeAt(i)] = i;
  const clean = s.replace(/=+$/, "");
  const out = new Uint8Array(Math.floor((clean.length * 3) / 4));
  let bits = 0;
  let acc = 0;
  let o = 0;
  for (let i = 0; i < clean.length; i++) {
    const v = table[clean.charCodeAt(i)] as number;
    if (v < 0) throw new Error("decodeBase64: invalid character");
    acc = (acc << 6) | v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (acc >> bits) & 0xff;
    }
  }
  return out;
}

let gemmBytes: Uint8Array<ArrayBuffer> | undefined;
/** The assembled gemm.wat bytes. */
export function gemmWasmBytes(): Uint8Array<ArrayBuffer> {
  gemmBytes ??= decodeBase64(GEMM_WASM_BASE64);
  return gemmBytes;
}

let sharedBytes: Uint8Array<ArrayBuffer> | undefined;
/** The same kernel importing a shared memory (for the thread pool). */
export function gemmSharedWasmBytes(): Uint8Array<ArrayBuffer> {
  sharedBytes ??= decodeBase64(GEMM_SHARED_WASM_BASE64);
  return sharedBytes;
}

let instance: WasmGemm | null | undefined;
let sharedInstance: WasmGemm | null | undefined;

/** The WebAssembly API when the engine has one and it validates `bytes` (else null). */
export function validating(bytes: Uint8Array<ArrayBuffer>): WasmApi | null {
  return wasmApi && typeof wasmApi.validate === "function" && wasmApi.validate(bytes) ? wasmApi : null;
}

/**
 * The kernel instance matmul uses, created on first call: the shared-memory one once a pool has been
 * installed, else one over an ordinary memory. Null when this engine has no WebAssembly or no SIMD
 * (validating the kernel module itself is the feature test: it uses exactly what we need).
 */
export function getWasmGemm(): WasmGemm | null {
  if (sharedInstance) return sharedInstance;
  if (instance !== undefined) return instance;
  instance = null;
  const bytes = gemmWasmBytes();
  const api = validating(bytes);
  if (api) instance = new WasmGemm(api, new api.Module(bytes), new api.Memory({ initial: 1 }));
  return instance;
}

/** Pages the shared memory may grow to (2 GiB: byte offsets stay positive int32s). */
export const SHARED_MAX_PAGES = 32768;

/**
 * The kernel instance over a shared WebAssembly.Memory (created on first call), or null when the
 * engine lacks SIMD, the threads feature or SharedArrayBuffer. Workers instantiate `module` over the
 * same `memory`.
 */
export function getSharedWasmGemm(): WasmGemm | null {
  if (sharedInstance !== undefined) return sharedInstance;
  sharedInstance = null;
  const bytes = gemmSharedWasmBytes();
  const api = typeof SharedArrayBuffer === "function" ? validating(bytes) : null;
  if (api) {
    try {
      const memory = new api.Memory({ initial: 1, maximum: SHARED_MAX_PAGES, shared: true });
      sharedInstance = new WasmGemm(api, new api.Module(bytes), memory);
    } catch {
      sharedInstance = null; // e.g. shared memory disabled (no cross-origin isolation in a browser)
    }
  }
  return sharedInstance;
}

/**
 * The installed pool and how many threads may share a job (the caller included), or null when kernels
 * run on the calling thread only.
 */
export function getKernelPool(): { pool: KernelPool; threads: number } | null {
  const pool = sharedInstance?.pool;
  return pool && sharedInstance && sharedInstance.threads > 1 ? { pool, threads: sharedInstance.threads } : null;
}

/**
 * Installs (or, with null, removes) the pool that large products are split across, with `threads`
 * counting the calling thread. From then on matmul runs on the shared-memory instance. Returns false
 * (and changes nothing) when the engine cannot share wasm memory.
 */
export function setKernelPool(pool: KernelPool | null, threads: number): boolean {
  const shared = getSharedWasmGemm();
  if (!shared) return false;
  shared.pool = pool;
  shared.threads = pool ? Math.max(1, Math.floor(threads)) : 1;
  return true;
}
