/**
 * The recycled output buffers of src/buffer-pool.ts: exact reuse by type and length, what it refuses
 * (small, integer, partial and twice-recycled buffers), its cap, and a kernel that takes from it.
 */
import { afterEach, describe, expect, it } from "vitest";
import { copyToOutput, outputFloat32, outputFloat64, POOL_MAX_BYTES, POOL_MIN_BYTES } from "../src/buffer-pool.js";
import { array, clearBufferPool, pooledBufferBytes, recycleBuffer } from "../src/index.js";

const big = POOL_MIN_BYTES / 4; // float32 elements in the smallest pooled buffer

describe("buffer pool", () => {
  afterEach(() => clearBufferPool());

  it("hands a recycled buffer to the next output of the same length and type", () => {
    const a = new Float32Array(big);
    recycleBuffer(a);
    expect(pooledBufferBytes()).toBe(a.byteLength);
    expect(outputFloat64(big / 2)).not.toBe(a); // same bytes, other type
    expect(outputFloat32(big + 1)).not.toBe(a); // other length
    expect(outputFloat32(big)).toBe(a);
    expect(pooledBufferBytes()).toBe(0);
    expect(outputFloat32(big)).not.toBe(a); // taken once only
  });

  it("copies into recycled buffers and allocates when the pool is empty", () => {
    const src = Float64Array.from({ length: big }, (_, i) => i);
    const recycled = new Float64Array(big - 8).fill(Number.NaN);
    recycleBuffer(recycled);
    const out = copyToOutput(src, 8, big);
    expect(out).toBe(recycled);
    expect(Array.from(out.subarray(0, 3))).toEqual([8, 9, 10]);
    const fresh = copyToOutput(src, 8, big);
    expect(fresh).not.toBe(recycled);
    expect(fresh[big - 9]).toBe(big - 1);
  });

  it("ignores buffers it must not or need not keep", () => {
    recycleBuffer(new Float32Array(big - 1)); // too small to matter
    recycleBuffer(new Int32Array(big)); // kernels take float outputs only
    const whole = new Float32Array(2 * big);
    recycleBuffer(whole.subarray(big)); // a view: the rest of its memory may be in use
    recycleBuffer(new Float32Array(whole.buffer, 0, big));
    expect(pooledBufferBytes()).toBe(0);
    const a = new Float32Array(big);
    recycleBuffer(a);
    recycleBuffer(a); // twice: must not reach two outputs
    expect(pooledBufferBytes()).toBe(a.byteLength);
    expect(outputFloat32(big)).toBe(a);
    expect(outputFloat32(big)).not.toBe(a);
  });

  it("keeps at most POOL_MAX_BYTES, dropping the longest-waiting buffers, and empties on clearBufferPool", () => {
    const n = POOL_MAX_BYTES / (big * 4);
    const stale: Float32Array[] = Array.from({ length: n }, () => new Float32Array(big));
    for (const b of stale) recycleBuffer(b);
    expect(pooledBufferBytes()).toBe(POOL_MAX_BYTES);
    expect(outputFloat32(big)).toBe(stale[n - 1]); // the newest first
    // A size nobody asked for yet still gets in: the oldest buffers make room.
    const fresh = new Float64Array(big);
    recycleBuffer(fresh);
    expect(pooledBufferBytes()).toBeLessThanOrEqual(POOL_MAX_BYTES);
    expect(outputFloat64(big)).toBe(fresh);
    let kept = 0;
    for (let b = outputFloat32(big); stale.includes(b); b = outputFloat32(big)) kept++;
    expect(kept).toBe(n - 2); // 1 taken above, 1 (the oldest) dropped to fit the float64 buffer
    recycleBuffer(new Float32Array(POOL_MAX_BYTES / 4 + 1)); // larger than the pool: ignored
    expect(pooledBufferBytes()).toBe(0);
    recycleBuffer(new Float32Array(big));
    clearBufferPool();
    expect(pooledBufferBytes()).toBe(0);
  });

  it("stays exact through many recycle/take rounds of mixed sizes", () => {
    const sizes = [big, 2 * big, 3 * big];
    const out: Float32Array[] = [];
    for (let round = 0; round < 500; round++) {
      const len = sizes[round % 3] as number;
      const b = outputFloat32(len);
      expect(b.length).toBe(len);
      expect(out.includes(b)).toBe(false); // never handed out twice
      out.push(b);
      if (out.length > 4) recycleBuffer(out.shift() as Float32Array);
    }
  });

  it("feeds clone(), which overwrites every element", () => {
    const stale = new Float32Array(big).fill(7);
    recycleBuffer(stale);
    const x = array(
      Array.from({ length: big }, (_, i) => i % 5),
      { dtype: "float32" },
    );
    const t = x.reshape([big / 64, 64]).transpose(0, 1); // a strided copy
    const c = t.clone();
    expect(c.data).toBe(stale);
    expect(c.toArray()).toEqual(t.toArray());
  });

  it("names the op on bad input", () => {
    expect(() => recycleBuffer([1, 2] as never)).toThrow(/recycleBuffer: expected a typed array/);
  });
});
