/**
 * Multi-threaded matmul (@typegrad/tensor/node): row blocks computed by worker threads over a shared
 * wasm memory give bitwise the single-thread results, for both dtypes, transposed and batched operands
 * and row counts that do not divide evenly.
 */
import { availableParallelism } from "node:os";
import { afterAll, describe, expect, it } from "vitest";
import { ArgumentError, type DType, linearGrads, matmul, type NDArray, setMatmulBackend } from "../src/index.js";
import { getNumThreads, getWorkerChunkCount, setNumThreads } from "../src/node.js";
import { getWasmGemm } from "../src/wasm/runtime.js";
import { expectClose, gen } from "./helpers.js";

afterAll(() => {
  setNumThreads(1); // stop the workers
  setMatmulBackend("auto");
});

/** Bitwise equality of two float arrays (NaN-free data). */
function identical(x: NDArray, y: NDArray): boolean {
  expect(x.shape).toEqual(y.shape);
  const a = x.toTypedArray();
  const b = y.toTypedArray();
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** The product with 1 thread and with `n` threads. */
function oneAndMany(a: NDArray, b: NDArray, n: number): [NDArray, NDArray] {
  setNumThreads(1);
  const one = matmul(a, b);
  setNumThreads(n);
  const many = matmul(a, b);
  return [one, many];
}

describe("setNumThreads", () => {
  it("defaults to os.availableParallelism() on import and runs on the shared-memory kernel", () => {
    expect(getNumThreads()).toBe(Math.max(1, availableParallelism()));
    setNumThreads(2);
    const g = getWasmGemm();
    expect(g?.threads).toBe(2);
    expect(g?.pool).not.toBeNull();
    expect(typeof SharedArrayBuffer).toBe("function");
    expect(g?.memory.buffer).toBeInstanceOf(SharedArrayBuffer);
  });

  it("rejects non-integers and values below 1", () => {
    expect(() => setNumThreads(0)).toThrow(ArgumentError);
    expect(() => setNumThreads(1.5)).toThrow(/integer/);
    expect(() => setNumThreads(Number.NaN)).toThrow(ArgumentError);
  });

  it("1 thread removes the pool", () => {
    setNumThreads(1);
    expect(getNumThreads()).toBe(1);
    expect(getWasmGemm()?.pool).toBeNull();
  });
});

describe("threaded results are bitwise the single-thread ones", () => {
  const shapes: [number, number, number][] = [
    [256, 256, 256],
    [203, 300, 157], // rows split unevenly, edge tiles in both dims
    [129, 600, 70], // K past KC: the split threads accumulate k blocks too
    [1030, 40, 50],
  ];
  for (const dtype of ["float32", "float64"] as DType[]) {
    it.each(shapes)(`${dtype} %i×%i · ?×%i with 2 and 3 threads`, (M, K, N) => {
      setMatmulBackend("wasm");
      const a = gen([M, K], dtype, M + K);
      const b = gen([K, N], dtype, K + N);
      let threaded: NDArray | undefined;
      for (const n of [2, 3]) {
        const [one, many] = oneAndMany(a, b, n);
        expect(getWasmGemm()?.pool?.available()).toBe(n - 1); // the workers really ran
        expect(identical(one, many)).toBe(true);
        threaded = many;
      }
      setMatmulBackend("js");
      const tol = dtype === "float64" ? { atol: 1e-12 * K, rtol: 1e-12 } : { atol: 2e-6 * K, rtol: 1e-4 };
      expectClose(threaded as NDArray, matmul(a, b), tol);
    });
  }

  it("transposed operands (A·Bᵀ, Aᵀ·B) and batches", () => {
    setMatmulBackend("auto");
    const a = gen([300, 200], "float32", 1);
    const bT = gen([180, 300], "float32", 2).transpose(0, 1);
    const [one, many] = oneAndMany(a.transpose(0, 1), bT, 2);
    expect(identical(one, many)).toBe(true);
    const x = gen([3, 150, 170], "float64", 3);
    const y = gen([170, 160], "float64", 4);
    const [b1, b2] = oneAndMany(x, y, 2);
    expect(identical(b1, b2)).toBe(true);
  });

  it("many small products (attention heads) are shared out by batch entry, bitwise", () => {
    setMatmulBackend("wasm");
    for (const dtype of ["float32", "float64"] as DType[]) {
      // scores = q·kᵀ over (B, H) entries; k transposed; then a broadcast left operand; odd counts.
      const q = gen([7, 4, 64, 32], dtype, 11);
      const k = gen([7, 4, 64, 32], dtype, 12).transpose(-2, -1);
      const [one, many] = oneAndMany(q, k, 2);
      expect(getWasmGemm()?.pool?.available()).toBe(1);
      expect(identical(one, many)).toBe(true);
      const shared = gen([48, 40], dtype, 13);
      const perEntry = gen([9, 40, 33], dtype, 14);
      const [s1, s2] = oneAndMany(shared, perEntry, 3);
      expect(identical(s1, s2)).toBe(true);
      setMatmulBackend("js");
      const tol = dtype === "float64" ? { atol: 1e-12, rtol: 1e-12 } : { atol: 1e-4, rtol: 1e-4 };
      expectClose(many, matmul(q, k), tol);
      expectClose(s2, matmul(shared, perEntry), tol);
      setMatmulBackend("wasm");
    }
  });

  it("products back to back: each chunk runs once, whichever thread claims it", () => {
    // Workers that wake late for one product must never run a chunk of the next.
    setMatmulBackend("wasm");
    const cases = Array.from({ length: 60 }, (_, i) => {
      const M = 130 + ((i * 37) % 97);
      const K = 120 + ((i * 53) % 61);
      const N = 140 + ((i * 29) % 83);
      return [gen([M, K], "float32", i), gen([K, N], "float32", i + 100)] as const;
    });
    setNumThreads(1);
    const one = cases.map(([a, b]) => matmul(a, b));
    setNumThreads(2);
    const many = cases.map(([a, b]) => matmul(a, b));
    for (let i = 0; i < cases.length; i++) expect(identical(one[i] as NDArray, many[i] as NDArray)).toBe(true);
  });

  it("two products in one job (a linear layer's gradients) are each bitwise the one-thread result", () => {
    setMatmulBackend("wasm");
    for (const dtype of ["float32", "float64"] as DType[]) {
      for (const [n, out, inF] of [
        [1024, 130, 129],
        [300, 512, 64],
        [70, 40, 900],
      ] as const) {
        const g = gen([n, out], dtype, n);
        const x = gen([n, inF], dtype, out);
        const w = gen([out, inF], dtype, inF);
        setNumThreads(1);
        const one = linearGrads(g, x, w);
        setNumThreads(3);
        // Repeated until the workers have claimed some chunks (the caller may claim them all first).
        const before = getWorkerChunkCount();
        for (let attempt = 0; attempt < 20 && getWorkerChunkCount() === before; attempt++) {
          const many = linearGrads(g, x, w);
          for (const k of ["gx", "gw", "gb"] as const) expect(identical(one[k], many[k])).toBe(true);
        }
        expect(getWorkerChunkCount()).toBeGreaterThan(before);
      }
    }
  });

  it("matches the TypeScript gemm", () => {
    setNumThreads(2);
    setMatmulBackend("auto");
    const a = gen([220, 190], "float64", 5);
    const b = gen([190, 230], "float64", 6);
    const threaded = matmul(a, b);
    setMatmulBackend("js");
    expectClose(threaded, matmul(a, b), { atol: 1e-12, rtol: 1e-12 });
  });

  it("small products stay on the calling thread and still agree", () => {
    setNumThreads(2);
    setMatmulBackend("auto");
    const a = gen([20, 30], "float32", 7);
    const b = gen([30, 10], "float32", 8);
    const [one, many] = oneAndMany(a, b, 2);
    expect(identical(one, many)).toBe(true);
  });
});
