/**
 * Row and element kernels on the worker pool. A call of a row kernel (softmax, the cross-entropy
 * gradient) or an elementwise kernel (GELU and its gradient) over `total` rows or elements is cut into
 * chunks that the calling thread and the pool's workers claim (src/wasm/pool.ts); every thread runs
 * its own instance of the kernel module over the same shared memory. Each row or element is computed
 * exactly as in one call, so results are bitwise those of one thread. Without a pool, on a memory that
 * is not shared, or for small calls, the kernel is simply called once on this thread.
 */
import { CHUNKS_PER_THREAD, getKernelPool, JOB_CALL, roundUp, type WasmMemory, type WasmModule } from "./runtime.js";

/** A kernel module the pool's workers instantiate over a shared memory. */
export interface SharedKernels {
  readonly module: WasmModule;
  readonly memory: WasmMemory;
}

/** Kernel families, by their index in a job: the workers resolve `FAMILY_EXPORTS[family][fn]`. */
export const FAMILY_ROWS = 0;
export const FAMILY_UNARY = 1;

/** The exports a job may call, per family (the same table on every thread). */
export const FAMILY_EXPORTS: readonly (readonly string[])[] = [
  ["softmax", "ce_backward"],
  ["gelu", "gelu_backward"],
];

/** Scratch bytes per thread of the row kernels (rows.wat's `set_scratch`): thread t's start at t·64. */
export const SCRATCH_BYTES = 64;

/** Threads that take part in split calls; the row kernels' data starts after all their scratch. */
export const MAX_CALL_THREADS = 32;

/**
 * One argument of a split call: a plain number, `"count"` (the chunk's number of rows or elements), or
 * a byte offset `{ at, step }` that advances by `step` bytes per row or element the chunk starts at.
 */
export type CallArg = number | "count" | { readonly at: number; readonly step: number };

/** Most arguments a split call may have (the pool's job block has room for this many). */
export const MAX_CALL_ARGS = 10;

/**
 * Wakes the pool's workers when a call of `total` rows or elements (at least `min`) is about to be
 * staged for {@link splitCall}: they spin while the caller copies its operands in, so the split
 * starts without waiting tens of microseconds for a sleeping thread to come up.
 */
export function wakeFor(memory: { readonly shared: boolean }, total: number, min: number): void {
  if (!memory.shared || total < min) return;
  const pooled = getKernelPool();
  if (pooled && pooled.pool.available() > 0) pooled.pool.wake();
}

/** The arguments for rows or elements [from, to). */
function resolve(args: readonly CallArg[], from: number, to: number): number[] {
  return args.map((a) => (typeof a === "number" ? a : a === "count" ? to - from : a.at + from * a.step));
}

/**
 * Calls `fn` (export `FAMILY_EXPORTS[family][index]` of an instance over `memory`) over `total` rows or
 * elements: split across the pool in chunks of a multiple of `multiple` when the memory is shared, a
 * pool is installed and `total` is at least `min`; otherwise once, on this thread.
 */
export function splitCall(
  memory: { readonly shared: boolean },
  family: number,
  name: string,
  fn: (...args: number[]) => unknown,
  total: number,
  args: readonly CallArg[],
  opts: { multiple: number; min: number },
): void {
  const pooled = memory.shared && total >= opts.min ? getKernelPool() : null;
  const threads = pooled ? Math.min(pooled.threads, MAX_CALL_THREADS, 1 + pooled.pool.available()) : 1;
  const unit = roundUp(Math.ceil(total / (threads * CHUNKS_PER_THREAD)), opts.multiple);
  if (!pooled || threads < 2 || unit >= total) {
    fn(...resolve(args, 0, total));
    return;
  }
  const index = (FAMILY_EXPORTS[family] as readonly string[]).indexOf(name);
  if (index < 0 || args.length > MAX_CALL_ARGS) throw new Error(`splitCall: ${name} cannot run on the pool`);
  const encoded = args.flatMap((a) =>
    typeof a === "number" ? [0, a, 0] : a === "count" ? [2, 0, 0] : [1, a.at, a.step],
  );
  const job = [JOB_CALL, family, index, unit, total, args.length, ...encoded];
  pooled.pool.run(job, Math.ceil(total / unit), (chunk) => {
    const from = chunk * unit;
    fn(...resolve(args, from, Math.min(total, from + unit)));
  });
}
