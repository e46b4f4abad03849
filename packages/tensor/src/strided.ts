import type { Shape } from "./shape.js";

/**
 * Memory offsets of every element of a strided layout, in row-major order.
 * The general (non-contiguous) path of every kernel walks this list; the inner
 * dimension is unrolled into a plain loop so the index math runs once per row.
 */
export function stridedOffsets(shape: Shape, strides: readonly number[], offset: number): Int32Array {
  const ndim = shape.length;
  let size = 1;
  for (const d of shape) size *= d;
  const out = new Int32Array(size);
  if (size === 0) return out;
  if (ndim === 0) {
    out[0] = offset;
    return out;
  }
  const inner = shape[ndim - 1] as number;
  const innerStride = strides[ndim - 1] as number;
  const counter = new Array<number>(ndim).fill(0);
  let base = offset;
  let k = 0;
  for (;;) {
    let p = base;
    for (let j = 0; j < inner; j++, p += innerStride) out[k++] = p;
    // advance the outer counter (dims 0..ndim-2)
    let d = ndim - 2;
    for (; d >= 0; d--) {
      const c = (counter[d] as number) + 1;
      if (c < (shape[d] as number)) {
        counter[d] = c;
        base += strides[d] as number;
        break;
      }
      counter[d] = 0;
      base -= (c - 1) * (strides[d] as number);
    }
    if (d < 0) return out;
  }
}

/** Rows at least this long are copied with `set` (a view and a memcpy beat an element loop). */
const BLOCK_ROW_MIN = 16;

/**
 * Copies the strided layout (shape, strides, offset) of `src` into `dst` in row-major order, walking
 * rows of the last dim with an odometer over the outer dims: no offset list is built, and dims that
 * the source walks contiguously are merged first, so e.g. a transposed (B, H, T, D) view of a
 * (B, T, H, D) array copies in rows of D.
 */
export function copyStrided(
  dst: { [i: number]: number },
  src: { readonly [i: number]: number },
  shape: Shape,
  strides: readonly number[],
  offset: number,
): void {
  const dims: number[] = [];
  const steps: number[] = [];
  for (let d = 0; d < shape.length; d++) {
    const size = shape[d] as number;
    if (size === 0) return;
    if (size === 1) continue;
    const last = dims.length - 1;
    if (last >= 0 && steps[last] === (strides[d] as number) * size) {
      dims[last] = (dims[last] as number) * size;
      steps[last] = strides[d] as number;
    } else {
      dims.push(size);
      steps.push(strides[d] as number);
    }
  }
  const ndim = dims.length;
  if (ndim === 0) {
    dst[0] = src[offset] as number;
    return;
  }
  const inner = dims[ndim - 1] as number;
  const step = steps[ndim - 1] as number;
  // Rows of one typed-array type are copied as blocks: this function sees every element type, so
  // its element loop is polymorphic and ~10× slower than a memcpy (e.g. merging attention heads).
  const blocks =
    step === 1 &&
    inner >= BLOCK_ROW_MIN &&
    ArrayBuffer.isView(dst) &&
    ArrayBuffer.isView(src) &&
    dst.constructor === src.constructor;
  const counter = new Array<number>(ndim).fill(0);
  let base = offset;
  let k = 0;
  for (;;) {
    let p = base;
    if (blocks) {
      (dst as Float32Array).set((src as Float32Array).subarray(p, p + inner), k);
      k += inner;
    } else if (step === 1) for (let j = 0; j < inner; j++) dst[k++] = src[p++] as number;
    else for (let j = 0; j < inner; j++, p += step) dst[k++] = src[p] as number;
    let d = ndim - 2;
    for (; d >= 0; d--) {
      const c = (counter[d] as number) + 1;
      if (c < (dims[d] as number)) {
        counter[d] = c;
        base += steps[d] as number;
        break;
      }
      counter[d] = 0;
      base -= (c - 1) * (steps[d] as number);
    }
    if (d < 0) return;
  }
}

/** True when the layout is row-major with no gaps (dims of size 1 may have any stride). */
export function isContiguousLayout(shape: Shape, strides: readonly number[]): boolean {
  let expected = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    const d = shape[i] as number;
    if (d === 0) return true;
    if (d !== 1 && strides[i] !== expected) return false;
    expected *= d;
  }
  return true;
}

/** Strides for viewing `shape` as `newShape` without copying, or null when the layout makes it impossible (torch's rule). */
export function viewStrides(shape: Shape, strides: readonly number[], newShape: Shape): number[] | null {
  // A 0-d array views as any all-ones shape (torch's special case; the chunk walk below needs a dim).
  if (shape.length === 0) return newShape.map(() => 1);
  const newStrides = new Array<number>(newShape.length).fill(0);
  let size = 1;
  for (const d of shape) size *= d;
  if (size === 0) {
    let acc = 1;
    for (let i = newShape.length - 1; i >= 0; i--) {
      newStrides[i] = acc;
      acc *= Math.max(newShape[i] as number, 1);
    }
    return newStrides;
  }
  // Group old dims into chunks that are contiguous among themselves, then split chunks over new dims.
  let viewD = newShape.length - 1;
  let chunkBaseStride = strides[strides.length - 1] ?? 1;
  let tensorNumel = 1;
  let viewNumel = 1;
  for (let tensorD = shape.length - 1; tensorD >= 0; tensorD--) {
    tensorNumel *= shape[tensorD] as number;
    const endOfChunk =
      tensorD === 0 ||
      ((shape[tensorD - 1] as number) !== 1 && (strides[tensorD - 1] as number) !== tensorNumel * chunkBaseStride);
    if (endOfChunk) {
      while (viewD >= 0 && (viewNumel < tensorNumel || (newShape[viewD] as number) === 1)) {
        newStrides[viewD] = viewNumel * chunkBaseStride;
        viewNumel *= newShape[viewD] as number;
        viewD--;
      }
      if (viewNumel !== tensorNumel) return null;
      if (tensorD > 0) {
        chunkBaseStride = strides[tensorD - 1] as number;
        tensorNumel = 1;
        viewNumel = 1;
      }
    }
  }
  if (viewD !== -1) return null;
  return newStrides;
}
