/**
 * @typegrad/tensor/node — Node-only additions to @typegrad/tensor: multi-threaded kernels.
 *
 * Importing this entry point installs a `worker_threads` pool of `os.availableParallelism()` threads
 * (workers are spawned lazily, on the first job big enough to split). Large matmuls are then split by
 * rows across the calling thread and the workers, all running the same WebAssembly SIMD kernel over
 * one shared memory; so are large float32 softmaxes (causal included), softmax backward passes, fused
 * cross-entropies and elementwise exp / tanh / sigmoid / GELU (and its backward). Every call stays
 * synchronous (the caller works too, then blocks until the workers are done). Results are bitwise the
 * same as on one thread: each element is computed, and each sum taken, in the same order.
 *
 * @example
 * ```ts
 * import { matmul } from "@typegrad/tensor";
 * import { setNumThreads } from "@typegrad/tensor/node";
 * setNumThreads(2);
 * ```
 * @packageDocumentation
 */
import { availableParallelism } from "node:os";
import { ArgumentError } from "./errors.js";
import type { SharedKernels } from "./wasm/parallel.js";
import { WorkerKernelPool } from "./wasm/pool.js";
import { sharedRowKernels } from "./wasm/rows.js";
import { getSharedWasmGemm, setKernelPool } from "./wasm/runtime.js";
import { sharedUnaryKernels } from "./wasm/unary.js";

let pool: WorkerKernelPool | null = null;
let threads = 1;

/**
 * Sets how many threads large kernels use, counting the calling thread (`1` = single-threaded, and
 * stops any workers). The default, set when this module is imported, is `os.availableParallelism()`.
 * Products below 128³ multiply-adds (float64 counting double) and row or elementwise kernels below
 * 65,536 elements stay on the calling thread. On an engine without shared WebAssembly memory this is a
 * no-op that leaves one thread.
 */
export function setNumThreads(n: number): void {
  if (!Number.isInteger(n) || n < 1) throw new ArgumentError(`setNumThreads: expected an integer ≥ 1, got ${n}`);
  const gemm = getSharedWasmGemm();
  if (!gemm) {
    threads = 1;
    return;
  }
  if (n === threads && (pool !== null) === n > 1) return;
  pool?.terminate();
  if (n > 1) {
    // In FAMILY_ROWS, FAMILY_UNARY order (parallel.ts); both exist wherever the shared gemm does.
    const families = [sharedRowKernels(), sharedUnaryKernels()];
    pool = new WorkerKernelPool(gemm, n - 1, families.includes(null) ? [] : (families as SharedKernels[]));
  } else pool = null;
  setKernelPool(pool, n);
  threads = n;
}

/**
 * How many chunks of split work (matmul row blocks, row and element ranges of other kernels) the
 * pool's workers have run since {@link setNumThreads} last started them; 0 without a pool.
 */
export function getWorkerChunkCount(): number {
  return pool?.chunksByWorkers() ?? 0;
}

/** The number of threads large kernels use (see {@link setNumThreads}). */
export function getNumThreads(): number {
  return threads;
}

setNumThreads(Math.max(1, availableParallelism()));
