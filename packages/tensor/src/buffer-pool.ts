/**
 * Recycled float buffers for kernel outputs.
 *
 * A training step allocates tens of megabytes of fresh typed arrays: every op's output, every
 * gradient. Each is external memory to V8, which answers with extra scavenges and mark-compacts, and
 * each large one is fresh memory from the OS whose first touch page-faults. Most gradients of a
 * backward pass die as soon as the next node has consumed them, and the autograd engine knows when
 * (see `GradBuffers` in @typegrad/autograd's engine.ts): it hands such buffers back here, and kernels that
 * overwrite every element of their output take them instead of allocating.
 *
 * Only buffers nobody else can reach may be recycled; the pool holds at most {@link POOL_MAX_BYTES}
 * and buffers of at least {@link POOL_MIN_BYTES} (smaller ones are cheap to allocate).
 */
import type { TypedArray } from "./dtype.js";
import { ArgumentError, describeValue } from "./errors.js";

/** Buffers smaller than this are left to the garbage collector. */
export const POOL_MIN_BYTES = 1 << 16;

/** The most the pool keeps (a step's worth of transient gradients of a small model). */
export const POOL_MAX_BYTES = 64 << 20;

type FloatArray = Float32Array | Float64Array;

// Free buffers by exact element count, one map per float type.
const free32 = new Map<number, Float32Array[]>();
const free64 = new Map<number, Float64Array[]>();
// What the pool holds now: recycling a buffer twice must not hand it to two outputs.
const held = new WeakSet<TypedArray>();
// Buffers in the order they arrived (some since taken): the oldest make room when the pool is full,
// so sizes no longer asked for (another batch shape, say) do not block the pool.
let arrivals: FloatArray[] = [];
let heldCount = 0;
let pooledBytes = 0;

/**
 * Hands `buffer` to the pool. The caller guarantees that nothing else references it (no NDArray,
 * view or typed array over its memory); a later kernel will overwrite it. Buffers that are not whole
 * float arrays, are too small or larger than the pool are ignored; when the pool is full, the buffers
 * that have waited longest are dropped.
 *
 * @example
 * ```ts
 * recycleBuffer(new Float32Array(1 << 20)); // a later float32 output of 2^20 elements reuses it
 * ```
 */
export function recycleBuffer(buffer: TypedArray): void {
  if (!ArrayBuffer.isView(buffer) || buffer instanceof DataView) {
    throw new ArgumentError(
      `recycleBuffer: expected a typed array nothing else references, got ${describeValue(buffer)}`,
    );
  }
  const bytes = buffer.byteLength;
  if (bytes < POOL_MIN_BYTES || bytes > POOL_MAX_BYTES) return;
  if (buffer.byteOffset !== 0 || bytes !== buffer.buffer.byteLength || held.has(buffer)) return;
  const ctor = buffer.constructor;
  if (ctor !== Float32Array && ctor !== Float64Array) return;
  if (pooledBytes + bytes > POOL_MAX_BYTES) evict(pooledBytes + bytes - POOL_MAX_BYTES);
  const floats = buffer as FloatArray;
  push(freeList(floats), floats);
  held.add(floats);
  arrivals.push(floats);
  heldCount++;
  pooledBytes += bytes;
  // Forget taken buffers now and then: the list stays proportional to what the pool holds.
  if (arrivals.length > 64 + 2 * heldCount) arrivals = arrivals.filter((b) => held.has(b));
}

function freeList(buffer: FloatArray): Map<number, FloatArray[]> {
  return (buffer instanceof Float32Array ? free32 : free64) as Map<number, FloatArray[]>;
}

/** Drops the longest-waiting buffers until at least `bytes` are freed. */
function evict(bytes: number): void {
  let i = 0;
  for (; i < arrivals.length && bytes > 0; i++) {
    const old = arrivals[i] as FloatArray;
    if (!held.has(old)) continue; // taken since
    const list = freeList(old).get(old.length) as FloatArray[];
    list.splice(list.indexOf(old), 1);
    held.delete(old);
    heldCount--;
    pooledBytes -= old.byteLength;
    bytes -= old.byteLength;
  }
  arrivals = arrivals.slice(i).filter((b) => held.has(b));
}

function push<T extends FloatArray>(free: Map<number, T[]>, buffer: T): void {
  const list = free.get(buffer.length);
  if (list) list.push(buffer);
  else free.set(buffer.length, [buffer]);
}

/** A pooled buffer of exactly `length` elements (contents arbitrary), or null. */
function take<T extends FloatArray>(free: Map<number, T[]>, length: number): T | null {
  const buffer = free.get(length)?.pop();
  if (!buffer) return null;
  held.delete(buffer);
  heldCount--;
  pooledBytes -= buffer.byteLength;
  return buffer;
}

/**
 * A Float32Array of `length` elements for an output the caller overwrites completely: recycled when
 * the pool has one of that length, else new (zeroed).
 */
export function outputFloat32(length: number): Float32Array {
  return (length * 4 >= POOL_MIN_BYTES ? take(free32, length) : null) ?? new Float32Array(length);
}

/** {@link outputFloat32} for float64. */
export function outputFloat64(length: number): Float64Array {
  return (length * 8 >= POOL_MIN_BYTES ? take(free64, length) : null) ?? new Float64Array(length);
}

/** A copy of `src[from..to)` in an output buffer (recycled when possible). */
export function copyToOutput<T extends FloatArray>(src: T, from: number, to: number): T {
  const out = (src instanceof Float32Array ? outputFloat32(to - from) : outputFloat64(to - from)) as T;
  out.set(src.subarray(from, to));
  return out;
}

/** Bytes the pool holds now (for tests and diagnostics). */
export function pooledBufferBytes(): number {
  return pooledBytes;
}

/**
 * Empties the pool, letting the garbage collector have its buffers (e.g. after training, before
 * something memory-hungry).
 *
 * @example
 * ```ts
 * clearBufferPool();
 * ```
 */
export function clearBufferPool(): void {
  for (const free of [free32, free64]) for (const list of free.values()) for (const b of list) held.delete(b);
  free32.clear();
  free64.clear();
  arrivals = [];
  heldCount = 0;
  pooledBytes = 0;
}
