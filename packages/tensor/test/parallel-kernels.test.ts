/**
 * Row and elementwise kernels split across the worker pool (src/wasm/parallel.ts: softmax, the fused
 * cross-entropy, GELU and its gradient): with 2 and 3 threads they give bitwise the single-thread
 * results, the workers really take chunks, and row lengths that end in a partial vector (each thread's
 * own scratch bytes) and element counts that are not a multiple of 4 (the one chunk with a tail) are
 * covered.
 */
import { afterAll, describe, expect, it } from "vitest";
import {
  array,
  causalSoftmax,
  exp,
  gelu,
  geluBackward,
  mul,
  type NDArray,
  sigmoid,
  softmax,
  softmaxBackward,
  softmaxCrossEntropyBackward,
  softmaxCrossEntropyForward,
  tanh,
} from "../src/index.js";
import { getWorkerChunkCount, setNumThreads } from "../src/node.js";
import { getWasmRows } from "../src/wasm/rows.js";
import { gen } from "./helpers.js";

afterAll(() => setNumThreads(1));

const simd = getWasmRows() !== null;

const int32 = (values: Int32Array): NDArray => array(values, { dtype: "int32" });

/** Bitwise equality (NaN-free data). */
function identical(x: NDArray, y: NDArray): boolean {
  expect(x.shape).toEqual(y.shape);
  const a = x.toTypedArray();
  const b = y.toTypedArray();
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return false;
  return true;
}

/**
 * `f()` on one thread and then on `n`, repeated until the workers have taken part (the caller claims
 * chunks too and may finish a small job before a worker wakes): `same` must hold every time.
 */
function oneAndMany<T>(f: () => T, n: number, same: (one: T, many: T) => boolean): void {
  setNumThreads(1);
  const one = f();
  setNumThreads(n);
  const before = getWorkerChunkCount();
  for (let attempt = 0; attempt < 50 && getWorkerChunkCount() === before; attempt++) {
    expect(same(one, f())).toBe(true);
  }
  expect(getWorkerChunkCount()).toBeGreaterThan(before);
}

describe.runIf(simd)("row and elementwise kernels on the pool are bitwise the one-thread results", () => {
  for (const threads of [2, 3]) {
    it(`softmax, rows of 1000 and of 333 (a partial last vector), ${threads} threads`, () => {
      for (const [rows, n] of [
        [300, 1000],
        [257, 333],
      ] as const) {
        const x = mul(gen([rows, n], "float32", rows + n), 8);
        oneAndMany(() => softmax(x, -1), threads, identical);
      }
    });

    it(`fused cross-entropy forward and backward (4096 × 100, 2000 × 37 with ignored rows), ${threads} threads`, () => {
      for (const [n, c] of [
        [4096, 100],
        [2000, 37],
      ] as const) {
        const logits = mul(gen([n, c], "float32", n), 6);
        const target = int32(Int32Array.from({ length: n }, (_, i) => (i * 7) % c));
        const valid = int32(Int32Array.from({ length: n }, (_, i) => (i % 11 === 0 ? 0 : 1)));
        const t = { target, valid };
        const g = gen([n], "float32", 5);
        const run = () => {
          const { losses, saved } = softmaxCrossEntropyForward(logits, t);
          return [losses, softmaxCrossEntropyBackward(g, saved, t)] as const;
        };
        oneAndMany(run, threads, ([l1, d1], [l2, d2]) => identical(l1, l2) && identical(d1, d2));
      }
    });

    it(`gelu and gelu backward over 100,003 elements, ${threads} threads`, () => {
      const x = mul(gen([100_003], "float32", 9), 6);
      const g = gen([100_003], "float32", 10);
      for (const f of [gelu, (v: NDArray) => geluBackward(g, v)]) oneAndMany(() => f(x), threads, identical);
    });
  }

  it("kernels that stay on the calling thread agree too (exp, tanh, sigmoid, causal softmax, softmax backward)", () => {
    const x = mul(gen([16, 4, 64, 64], "float32", 3), 4);
    const g = gen([16, 4, 64, 64], "float32", 4);
    const y = softmax(x, -1);
    const ops = [exp, tanh, sigmoid, causalSoftmax, (v: NDArray) => softmaxBackward(g, v, -1)];
    setNumThreads(1);
    const one = ops.map((f) => (f === ops[4] ? f(y) : f(x)));
    setNumThreads(2);
    ops.forEach((f, i) => expect(identical(f === ops[4] ? f(y) : f(x), one[i] as NDArray)).toBe(true));
  });

  it("a cross-entropy forward left resident survives switching the pool on before its backward", () => {
    setNumThreads(1);
    const logits = gen([4096, 50], "float32", 1);
    const target = int32(Int32Array.from({ length: 4096 }, (_, i) => i % 50));
    const t = { target, valid: int32(new Int32Array(4096).fill(1)) };
    const g = gen([4096], "float32", 2);
    const ref = softmaxCrossEntropyBackward(g, softmaxCrossEntropyForward(logits, t).saved, t);
    const { saved } = softmaxCrossEntropyForward(logits, t);
    setNumThreads(2); // the row kernels move to a shared memory: the probabilities are recomputed there
    expect(identical(softmaxCrossEntropyBackward(g, saved, t), ref)).toBe(true);
  });
});
