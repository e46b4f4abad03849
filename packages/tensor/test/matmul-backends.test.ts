/**
 * The WebAssembly SIMD gemm and the pure-TypeScript gemm against a naive reference and against each
 * other: shapes 1..300 with odd edges (and past the KC / MC / NC block sizes), every transpose
 * combination, strided / narrowed / expanded operands, batches, float32 / float64 / int32 / mixed.
 */
import { afterEach, describe, expect, it } from "vitest";
import {
  ArgumentError,
  array,
  type DType,
  full,
  getMatmulBackend,
  type MatmulBackend,
  matmul,
  type NDArray,
  ones,
  setMatmulBackend,
  WASM_MIN_WORK,
  wasmSimdSupported,
  zeros,
} from "../src/index.js";
import { getWasmGemm } from "../src/wasm/runtime.js";
import { expectClose, gen, type Ref, refMatmul, refOf } from "./helpers.js";

afterEach(() => setMatmulBackend("auto"));

/** Triple loop in float64 over values read through `get()` (independent of both gemms). */
function naive(a: NDArray, b: NDArray): Ref {
  const [M, K] = a.shape as [number, number];
  const N = b.shape[1] as number;
  const A = refOf(a).data;
  const B = refOf(b).data;
  const data = new Array<number>(M * N).fill(0);
  for (let i = 0; i < M; i++) {
    for (let k = 0; k < K; k++) {
      const x = A[i * K + k] as number;
      for (let j = 0; j < N; j++) data[i * N + j] += x * (B[k * N + j] as number);
    }
  }
  return { shape: [M, N], data };
}

/** Tolerance against the exact-ish float64 reference; float32 error grows with K. */
function tol(dtype: DType, K: number): { atol: number; rtol: number } {
  if (dtype === "float64") return { atol: 1e-12 * Math.max(1, K), rtol: 1e-12 };
  if (dtype === "int32") return { atol: 0, rtol: 0 };
  return { atol: 2e-6 * Math.max(8, K), rtol: 1e-4 };
}

/** A (rows × cols) operand in one of four layouts over a fresh buffer. */
function operand(
  rows: number,
  cols: number,
  dtype: DType,
  seed: number,
  layout: "rowmajor" | "transposed" | "narrowed" | "gathered",
): NDArray {
  switch (layout) {
    case "rowmajor":
      return gen([rows, cols], dtype, seed);
    case "transposed":
      return gen([cols, rows], dtype, seed).transpose(0, 1);
    case "narrowed": // a little wider than needed: staged as one span with the original strides
      return gen([rows + 2, cols + 3], dtype, seed)
        .narrow(0, 1, rows)
        .narrow(1, 2, cols);
    case "gathered": // a few columns of a much wider matrix, transposed: staged by gathering
      return gen([cols, 3 * rows + 40], dtype, seed)
        .narrow(1, 7, rows)
        .transpose(0, 1);
  }
}

const BACKENDS: MatmulBackend[] = ["wasm", "js"];

describe("the wasm kernel is available on this engine", () => {
  it("validates and instantiates (Node ≥ 16 has WebAssembly SIMD)", () => {
    expect(wasmSimdSupported()).toBe(true);
    const g = getWasmGemm();
    expect(g).not.toBeNull();
    expect([g?.MR, g?.KC, g?.MC, g?.NC]).toEqual([4, 512, 64, 1024]);
  });

  it("setMatmulBackend switches and validates its argument", () => {
    expect(getMatmulBackend()).toBe("auto");
    setMatmulBackend("js");
    expect(getMatmulBackend()).toBe("js");
    setMatmulBackend("wasm");
    expect(getMatmulBackend()).toBe("wasm");
    expect(() => setMatmulBackend("gpu" as MatmulBackend)).toThrow(ArgumentError);
    expect(getMatmulBackend()).toBe("wasm");
  });
});

describe.each(BACKENDS)("backend %s against a naive reference", (backend) => {
  // [M, K, N]: 1..300 with edges that are not multiples of MR=4 / NR=8|4, plus K past KC=512
  // (several k blocks: C is stored, then accumulated), M past MC=64 and N past NC=1024.
  const shapes: [number, number, number][] = [
    [1, 1, 1],
    [1, 7, 1],
    [3, 1, 5],
    [2, 3, 2],
    [4, 8, 8],
    [5, 9, 7],
    [8, 16, 4],
    [13, 17, 19],
    [31, 33, 35],
    [63, 65, 67],
    [64, 64, 64],
    [65, 2, 129],
    [100, 1, 100],
    [1, 300, 1],
    [1, 257, 300],
    [300, 257, 1],
    [129, 257, 95],
    [7, 1037, 11],
    [33, 600, 40],
    [130, 530, 70],
    [3, 20, 1030],
    [150, 300, 300],
  ];
  for (const dtype of ["float32", "float64"] as DType[]) {
    it.each(shapes)(`${dtype} %i×%i · ?×%i`, (M, K, N) => {
      setMatmulBackend(backend);
      const a = gen([M, K], dtype, M * 7919 + K);
      const b = gen([K, N], dtype, K * 104729 + N);
      const out = matmul(a, b);
      expect(out.shape).toEqual([M, N]);
      expect(out.dtype).toBe(dtype);
      expectClose(out, naive(a, b), tol(dtype, K));
    });
  }

  const layouts = ["rowmajor", "transposed", "narrowed", "gathered"] as const;
  for (const dtype of ["float32", "float64"] as DType[]) {
    for (const la of layouts) {
      it(`${dtype}: A ${la} with B in every layout (incl. A·Bᵀ, Aᵀ·B, Aᵀ·Bᵀ)`, () => {
        setMatmulBackend(backend);
        for (const [M, K, N] of [
          [5, 3, 7],
          [37, 70, 29],
          [70, 45, 133],
        ] as [number, number, number][]) {
          const a = operand(M, K, dtype, M + K, la);
          for (const lb of layouts) {
            const b = operand(K, N, dtype, K + N + 1, lb);
            expectClose(matmul(a, b), naive(a, b), tol(dtype, K));
          }
        }
      });
    }
  }

  it("expanded (stride-0) rows, columns and batches", () => {
    setMatmulBackend(backend);
    const colA = gen([40, 1], "float64", 1).expand(40, 30);
    const rowB = gen([1, 50], "float64", 2).expand(30, 50);
    expectClose(matmul(colA, rowB), naive(colA, rowB), tol("float64", 30));
    const a = gen([1, 20, 30], "float32", 3).expand(3, 20, 30);
    const b = gen([3, 30, 9], "float32", 4);
    expectClose(matmul(a, b), refMatmul(refOf(a), refOf(b)), tol("float32", 30));
  });

  it("batched and broadcast batches, with transposed slices", () => {
    setMatmulBackend(backend);
    for (const dtype of ["float32", "float64"] as DType[]) {
      const a = gen([2, 1, 17, 21], dtype, 5);
      const b = gen([3, 13, 21], dtype, 6).transpose(-1, -2); // [3, 21, 13]
      const out = matmul(a, b);
      expect(out.shape).toEqual([2, 3, 17, 13]);
      expectClose(out, refMatmul(refOf(a), refOf(b)), tol(dtype, 21));
      const v = gen([21], dtype, 7);
      expectClose(matmul(a, v), refMatmul(refOf(a), refOf(v)), tol(dtype, 21));
      expectClose(matmul(v, b), refMatmul(refOf(v), refOf(b)), tol(dtype, 21));
    }
  });

  it("int32 operands go through float64 and stay exact; mixed dtypes promote", () => {
    setMatmulBackend(backend);
    const a = gen([33, 41], "int32", 8);
    const b = gen([41, 27], "int32", 9);
    const out = matmul(a, b);
    expect(out.dtype).toBe("int32");
    expectClose(out, naive(a, b), tol("int32", 41));
    const f = gen([41, 27], "float32", 10);
    const mixed = matmul(a, f);
    expect(mixed.dtype).toBe("float32");
    expectClose(mixed, naive(a, f), tol("float32", 41));
    const d = gen([27, 9], "float64", 11);
    const up = matmul(f, d);
    expect(up.dtype).toBe("float64");
    expectClose(up, naive(f, d), tol("float64", 27));
  });

  it("zero-size dims and K = 0", () => {
    setMatmulBackend(backend);
    expect(matmul(zeros([0, 30]), zeros([30, 40])).shape).toEqual([0, 40]);
    expect(matmul(zeros([30, 40]), zeros([40, 0])).shape).toEqual([30, 0]);
    const z = matmul(ones([20, 0]), ones([0, 30]));
    expect(z.shape).toEqual([20, 30]);
    expect(Array.from(z.toTypedArray()).every((v) => v === 0)).toBe(true);
    expect(matmul(zeros([0, 5, 6]), zeros([6, 7])).shape).toEqual([0, 5, 7]);
  });

  it("infinities and NaN stay in their own rows (zero padding never leaks)", () => {
    setMatmulBackend(backend);
    for (const dtype of ["float32", "float64"] as DType[]) {
      const a = full([9, 13], 1, { dtype });
      a.data[0] = Number.POSITIVE_INFINITY; // row 0
      a.data[13 * 5 + 2] = Number.NaN; // row 5
      const b = ones([13, 11], { dtype });
      const out = refOf(matmul(a, b));
      for (let i = 0; i < 9; i++) {
        for (let j = 0; j < 11; j++) {
          const v = out.data[i * 11 + j] as number;
          if (i === 0) expect(v).toBe(Number.POSITIVE_INFINITY);
          else if (i === 5) expect(v).toBeNaN();
          else expect(v).toBe(13);
        }
      }
    }
  });

  it("does not modify its inputs and gives fresh outputs", () => {
    setMatmulBackend(backend);
    const a = gen([20, 30], "float32", 12).transpose(0, 1);
    const b = gen([20, 10], "float32", 13);
    const before = [refOf(a), refOf(b)];
    const o1 = matmul(a, b);
    const o2 = matmul(a, b);
    expect([refOf(a), refOf(b)]).toEqual(before);
    expect(o1.data).not.toBe(o2.data);
    expect(Array.from(o1.toTypedArray())).toEqual(Array.from(o2.toTypedArray()));
  });
});

describe("wasm and js agree", () => {
  function both(a: NDArray, b: NDArray): [NDArray, NDArray] {
    setMatmulBackend("wasm");
    const w = matmul(a, b);
    setMatmulBackend("js");
    const j = matmul(a, b);
    return [w, j];
  }

  it("on random shapes and layouts up to 300 (float64 to 1e-12, float32 to float rounding)", () => {
    let seed = 100;
    const sizes = [1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 33, 64, 100, 127, 255, 300];
    for (let t = 0; t < 24; t++) {
      const pick = () => sizes[(seed++ * 7919) % sizes.length] as number;
      const [M, K, N] = [pick(), pick(), pick()];
      for (const dtype of ["float32", "float64"] as DType[]) {
        const a = operand(M, K, dtype, seed++, t % 2 ? "transposed" : "rowmajor");
        const b = operand(K, N, dtype, seed++, t % 3 ? "rowmajor" : "transposed");
        const [w, j] = both(a, b);
        expectClose(w, j, dtype === "float64" ? { atol: 1e-12 * K, rtol: 1e-12 } : tol("float32", K));
      }
    }
  });

  it("large products (several k, m and n blocks) match", () => {
    const a = gen([200, 1100], "float64", 14);
    const b = gen([1100, 1050], "float64", 15).transpose(0, 1).contiguous().transpose(0, 1);
    const [w, j] = both(a, b);
    expectClose(w, j, { atol: 1e-10, rtol: 1e-12 });
  });

  it("a big product after a small one (memory grows, views are refreshed)", () => {
    setMatmulBackend("wasm");
    const small = matmul(array([[1, 2]]), array([[3], [4]]));
    expect(small.toArray()).toEqual([[11]]);
    const a = gen([400, 300], "float32", 16);
    const b = gen([300, 500], "float32", 17);
    const big = matmul(a, b);
    setMatmulBackend("js");
    expectClose(big, matmul(a, b), tol("float32", 300));
    setMatmulBackend("wasm");
    expect(matmul(array([[1, 2]]), array([[3], [4]])).toArray()).toEqual([[11]]);
  });

  it('"auto" keeps tiny products in TypeScript and gives the same values either way', () => {
    expect(WASM_MIN_WORK).toBeGreaterThan(1);
    const a = gen([3, 4], "float64", 18);
    const b = gen([4, 5], "float64", 19);
    const [w, j] = both(a, b);
    setMatmulBackend("auto");
    expectClose(matmul(a, b), j, { atol: 0, rtol: 0 });
    expectClose(w, j, { atol: 1e-15, rtol: 1e-15 });
  });
});
