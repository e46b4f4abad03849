/**
 * @typegrad/tensor/node — Node-only additions to @typegrad/tensor: multi-threaded matmul.
 *
 * Importing this entry point installs a `worker_threads` pool of `os.availableParallelism()` threads
 * (workers are spawned lazily, on the first product big enough to split). Large matmuls are then
 * split by rows across the calling thread and the workers, all running the same WebAssembly SIMD
 * kernel over one shared memory; `matmul` stays synchronous (the caller blocks while workers run).
 * Results are bitwise the same as on one thread: each output element is summed in the same order.
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
import { WorkerGemmPool } from "./wasm/pool.js";
import { getSharedWasmGemm, setGemmPool } from "./wasm/runtime.js";

let pool: WorkerGemmPool | null = null;
let threads = 1;

/**
 * Sets how many threads large matmuls use, counting the calling thread (`1` = single-threaded, and
 * stops any workers). The default, set when this module is imported, is `os.availableParallelism()`.
 * Products below 128³ multiply-adds (float64 counting double) stay on the calling thread. On an
 * engine without shared WebAssembly memory this is a no-op that leaves one thread.
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
  pool = n > 1 ? new WorkerGemmPool(gemm, n - 1) : null;
  setGemmPool(pool, n);
  threads = n;
}

/** The number of threads large matmuls use (see {@link setNumThreads}). */
export function getNumThreads(): number {
  return threads;
}

setNumThreads(Math.max(1, availableParallelism()));
