/** matmul against a naive triple loop: 1-d/2-d/batched/broadcast shapes, strided operands, dtypes, errors. */
import { describe, expect, it } from "vitest";
import {
  add,
  addmm,
  array,
  type DType,
  DTypeError,
  eye,
  gemm,
  linearGrads,
  linearWeightGrads,
  matmul,
  type NDArray,
  ones,
  Rng,
  randn,
  ShapeError,
  setMatmulBackend,
  sum,
  zeros,
} from "../src/index.js";
import { expectClose, gen, type Ref, refMatmul, refOf } from "./helpers.js";

const TOL: Record<string, { atol: number; rtol: number }> = {
  float64: { atol: 1e-12, rtol: 1e-12 },
  float32: { atol: 1e-4, rtol: 1e-4 },
  int32: { atol: 0, rtol: 0 },
};

/** Plain triple loop over row-major 2-d values (fast enough for the big shapes). */
function naive2d(a: NDArray, b: NDArray): Ref {
  const [M, K] = a.shape as [number, number];
  const N = b.shape[1] as number;
  const A = refOf(a).data;
  const B = refOf(b).data;
  const data = new Array<number>(M * N).fill(0);
  for (let i = 0; i < M; i++) {
    for (let j = 0; j < N; j++) {
      let s = 0;
      for (let k = 0; k < K; k++) s += (A[i * K + k] as number) * (B[k * N + j] as number);
      data[i * N + j] = s;
    }
  }
  return { shape: [M, N], data };
}

describe("2-d · 2-d against a triple loop", () => {
  const shapes: [number, number, number][] = [
    [1, 1, 1],
    [2, 2, 2],
    [3, 5, 7],
    [4, 4, 4],
    [5, 3, 1],
    [1, 9, 6],
    [8, 1, 8],
    [7, 13, 3],
    [17, 33, 9],
    [5, 300, 260], // K crosses 2 k-blocks, N crosses a j-block
    [130, 260, 300],
  ];
  for (const dtype of ["float64", "float32"] as DType[]) {
    it.each(shapes)(`${dtype} %ix%i · %ix?`, (M, K, N) => {
      const a = gen([M, K], dtype, M * 1000 + K);
      const b = gen([K, N], dtype, K * 1000 + N);
      const out = matmul(a, b);
      expect(out.shape).toEqual([M, N]);
      expect(out.dtype).toBe(dtype);
      expectClose(out, naive2d(a, b), TOL[dtype]);
    });
  }

  it("int32 operands give exact int32 results", () => {
    const a = gen([6, 11], "int32", 1);
    const b = gen([11, 5], "int32", 2);
    const out = matmul(a, b);
    expect(out.dtype).toBe("int32");
    expectClose(out, naive2d(a, b), TOL.int32);
  });

  it("the identity leaves a matrix unchanged", () => {
    const x = gen([6, 9], "float64", 3);
    expectClose(matmul(eye(6, 6, { dtype: "float64" }), x), x, { atol: 0, rtol: 0 });
    expectClose(matmul(x, eye(9, 9, { dtype: "float64" })), x, { atol: 0, rtol: 0 });
  });

  it("a small known product", () => {
    const a = array([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    const b = array([
      [7, 8],
      [9, 10],
      [11, 12],
    ]);
    expect(matmul(a, b).toArray()).toEqual([
      [58, 64],
      [139, 154],
    ]);
  });
});

describe("1-d operands (torch.matmul rules)", () => {
  it("1-d · 1-d is a 0-d dot product", () => {
    const out = matmul(array([1, 2, 3]), array([4, 5, 6]));
    expect(out.shape).toEqual([]);
    expect(out.item()).toBe(32);
  });

  it("1-d · 2-d drops the prepended dim", () => {
    const v = gen([5], "float64", 4);
    const m = gen([5, 3], "float64", 5);
    const out = matmul(v, m);
    expect(out.shape).toEqual([3]);
    expectClose(out, refMatmul(refOf(v), refOf(m)), TOL.float64);
  });

  it("2-d · 1-d drops the appended dim", () => {
    const m = gen([4, 5], "float64", 6);
    const v = gen([5], "float64", 7);
    const out = matmul(m, v);
    expect(out.shape).toEqual([4]);
    expectClose(out, refMatmul(refOf(m), refOf(v)), TOL.float64);
  });

  it("1-d with batched operands", () => {
    const v = gen([4], "float64", 8);
    const b = gen([2, 4, 3], "float64", 9);
    expect(matmul(v, b).shape).toEqual([2, 3]);
    expectClose(matmul(v, b), refMatmul(refOf(v), refOf(b)), TOL.float64);
    const a = gen([2, 3, 4], "float64", 10);
    expect(matmul(a, v).shape).toEqual([2, 3]);
    expectClose(matmul(a, v), refMatmul(refOf(a), refOf(v)), TOL.float64);
  });
});

describe("batched and broadcast batches", () => {
  it.each([
    [
      [2, 3, 4, 5],
      [5, 6],
      [2, 3, 4, 6],
    ],
    [
      [2, 1, 3, 4],
      [5, 4, 6],
      [2, 5, 3, 6],
    ],
    [
      [3, 4],
      [2, 4, 5],
      [2, 3, 5],
    ],
    [
      [1, 3, 4],
      [6, 4, 2],
      [6, 3, 2],
    ],
    [
      [4, 1, 2, 3],
      [1, 5, 3, 2],
      [4, 5, 2, 2],
    ],
  ])("%j · %j -> %j", (sa, sb, so) => {
    for (const dtype of ["float64", "float32"] as DType[]) {
      const a = gen(sa, dtype, 11);
      const b = gen(sb, dtype, 12);
      const out = matmul(a, b);
      expect(out.shape).toEqual(so);
      expectClose(out, refMatmul(refOf(a), refOf(b)), TOL[dtype]);
    }
  });
});

describe("strided operands", () => {
  it.each([
    [3, 5, 7],
    [17, 33, 9],
    [40, 150, 270],
  ])("transposed a, b and both (%ix%i · %ix?)", (M, K, N) => {
    const aT = gen([K, M], "float64", 13).transpose(0, 1);
    const bT = gen([N, K], "float64", 14).transpose(0, 1);
    const a = aT.clone();
    const b = bT.clone();
    const want = naive2d(a, b);
    expectClose(matmul(aT, b), want, TOL.float64);
    expectClose(matmul(a, bT), want, TOL.float64);
    expectClose(matmul(aT, bT), want, TOL.float64);
  });

  it("expanded (stride-0) operands", () => {
    const a = gen([1, 4, 5], "float64", 15).expand(3, 4, 5);
    const b = gen([3, 5, 2], "float64", 16);
    expectClose(matmul(a, b), refMatmul(refOf(a), refOf(b)), TOL.float64);
    const row = gen([5, 1], "float64", 17).expand(5, 6);
    const m = gen([4, 5], "float64", 18);
    expectClose(matmul(m, row), naive2d(m, row), TOL.float64);
    const colA = gen([4, 1], "float64", 19).expand(4, 5);
    expectClose(matmul(colA, row), naive2d(colA, row), TOL.float64);
  });

  it("narrowed operands with offsets", () => {
    const a = gen([10, 12], "float64", 20).narrow(0, 3, 4).narrow(1, 2, 7);
    const b = gen([9, 8], "float64", 21).narrow(0, 1, 7).narrow(1, 5, 3);
    expectClose(matmul(a, b), naive2d(a, b), TOL.float64);
  });

  it("transposed operands with a broadcast batch (packed once, reused)", () => {
    const a = gen([2, 1, 4, 3], "float64", 22).transpose(-1, -2); // [2,1,3,4]
    const b = gen([5, 6, 4], "float64", 23).transpose(-1, -2); // [5,4,6]
    const out = matmul(a, b);
    expect(out.shape).toEqual([2, 5, 3, 6]);
    expectClose(out, refMatmul(refOf(a), refOf(b)), TOL.float64);
  });

  it("does not modify its inputs", () => {
    const a = gen([3, 4], "float32", 24).transpose(0, 1);
    const b = gen([3, 2], "float32", 25);
    const before = [refOf(a), refOf(b)];
    matmul(a, b);
    expect([refOf(a), refOf(b)]).toEqual(before);
  });
});

describe("mixed dtypes and edge sizes", () => {
  it("float32 · float64 promotes to float64 with float64 accuracy", () => {
    const a = gen([7, 9], "float32", 26);
    const b = gen([9, 4], "float64", 27);
    const out = matmul(a, b);
    expect(out.dtype).toBe("float64");
    expectClose(out, naive2d(a, b), TOL.float64);
  });

  it("int32 · float32 gives float32", () => {
    const a = gen([3, 4], "int32", 28);
    const b = gen([4, 2], "float32", 29);
    const out = matmul(a, b);
    expect(out.dtype).toBe("float32");
    expectClose(out, naive2d(a, b), TOL.float32);
  });

  it("zero-size dims", () => {
    expect(matmul(zeros([0, 3]), zeros([3, 4])).shape).toEqual([0, 4]);
    const z = matmul(zeros([2, 0]), zeros([0, 3]));
    expect(z.shape).toEqual([2, 3]);
    expect(z.toArray()).toEqual([
      [0, 0, 0],
      [0, 0, 0],
    ]);
  });

  it("gemm accumulates into C (C += A·B)", () => {
    const A = new Float64Array([1, 2, 3, 4]);
    const B = new Float64Array([5, 6, 7, 8]);
    const C = new Float64Array([1, 1, 1, 1]);
    gemm(2, 2, 2, A, 0, B, 0, C, 0);
    expect(Array.from(C)).toEqual([20, 23, 44, 51]);
  });

  it("float32 results match float64 within 1e-4 on a larger random case", () => {
    const rng = new Rng(30);
    const a = randn([64, 200], { rng, dtype: "float64" });
    const b = randn([200, 48], { rng, dtype: "float64" });
    const f = matmul(a.astype("float32"), b.astype("float32"));
    expectClose(f, matmul(a, b), { atol: 1e-4, rtol: 1e-4 });
  });
});

describe("errors", () => {
  it("names the shapes and the mismatched inner dims", () => {
    expect(() => matmul(zeros([2, 3]), zeros([4, 5]))).toThrow(ShapeError);
    expect(() => matmul(zeros([2, 3]), zeros([4, 5]))).toThrow(
      "matmul: shapes [2,3] and [4,5] are not aligned (3 != 4)",
    );
    expect(() => matmul(zeros([3]), zeros([4]))).toThrow("matmul: shapes [3] and [4] are not aligned (3 != 4)");
    expect(() => matmul(zeros([2, 2, 3]), zeros([2]))).toThrow(/not aligned \(3 != 2\)/);
  });

  it("rejects 0-d operands, bool operands and unbroadcastable batches", () => {
    expect(() => matmul(array(2), zeros([2]))).toThrow(ShapeError);
    expect(() => matmul(array(2), zeros([2]))).toThrow(/at least 1 dim/);
    expect(() => matmul(array([true]), array([true]))).toThrow(DTypeError);
    expect(() => matmul(zeros([2, 3, 4]), zeros([3, 4, 5]))).toThrow(ShapeError);
    expect(() => matmul(zeros([2, 3, 4]), zeros([3, 4, 5]))).toThrow(
      "matmul: batch dims of shapes [2,3,4] and [3,4,5] cannot be broadcast ([2] vs [3])",
    );
  });

  it("randn-based smoke test of the default generator", () => {
    const a = randn([3, 3]);
    expect(matmul(a, eye(3)).toArray()).toEqual(a.toArray());
  });
});

describe("addmm (bias + a·b, the linear layer's forward)", () => {
  const backends = ["wasm", "js"] as const;
  for (const backend of backends) {
    for (const dtype of ["float32", "float64"] as const) {
      it(`equals matmul then add, bit for bit (${backend}, ${dtype}, transposed operand)`, () => {
        setMatmulBackend(backend);
        try {
          const a = randn([37, 19], { dtype });
          const w = randn([23, 19], { dtype }).transpose(0, 1);
          const bias = randn([23], { dtype });
          const got = addmm(bias, a, w).toTypedArray();
          const want = add(matmul(a, w), bias).toTypedArray();
          expect(Array.from(got)).toEqual(Array.from(want));
        } finally {
          setMatmulBackend("auto");
        }
      });
    }
  }
  it("keeps torch's dtype rules: int32 stays int32, a float64 bias promotes float32 matrices", () => {
    const ai = array(
      [
        [1, 2],
        [3, 4],
      ],
      { dtype: "int32" },
    );
    const r = addmm(array([10, 20], { dtype: "int32" }), ai, ai);
    expect(r.dtype).toBe("int32");
    expect(r.toArray()).toEqual([
      [17, 30],
      [25, 42],
    ]);
    const p = addmm(array([0.1, 0.2], { dtype: "float64" }), ones([2, 2]), ones([2, 2]));
    expect(p.dtype).toBe("float64");
    expect(p.toArray()).toEqual([
      [2.1, 2.2],
      [2.1, 2.2],
    ]);
  });
  it("rejects a bias that is not one row of the product, naming the shapes", () => {
    expect(() => addmm(ones([3]), ones([2, 4]), ones([4, 2]))).toThrow(/addmm: bias must have shape \[2\].*\[3\]/);
    expect(() => addmm(ones([2]), ones([2, 2, 4]), ones([4, 2]))).toThrow(/addmm: expected 2-d matrices/);
  });
});

describe("linearWeightGrads (gᵀ·x and the column sums of g, g staged once)", () => {
  for (const backend of ["wasm", "js"] as const) {
    for (const dtype of ["float32", "float64"] as const) {
      for (const [n, out, inF] of [
        [37, 23, 19],
        [64, 1, 5],
        [5, 7, 1],
        [1024, 130, 129],
      ] as const) {
        it(`gw is matmul(gᵀ, x) and gb is sum(g, 0), bit for bit (${backend}, ${dtype}, N=${n}, out=${out}, in=${inF})`, () => {
          setMatmulBackend(backend);
          try {
            const g = randn([n, out], { dtype });
            const x = randn([n, inF], { dtype });
            const { gw, gb } = linearWeightGrads(g, x);
            expect(gw.shape).toEqual([out, inF]);
            expect(Array.from(gw.toTypedArray())).toEqual(Array.from(matmul(g.transpose(0, 1), x).toTypedArray()));
            expect(Array.from(gb.toTypedArray())).toEqual(Array.from(sum(g, 0).toTypedArray()));
          } finally {
            setMatmulBackend("auto");
          }
        });
      }
    }
  }
  it("falls back for a transposed gradient and mixed dtypes, with the same results", () => {
    const g = randn([9, 6]).transpose(0, 1);
    const x = randn([6, 4], { dtype: "float64" });
    const { gw, gb } = linearWeightGrads(g, x);
    expect(gw.dtype).toBe("float64");
    expect(Array.from(gw.toTypedArray())).toEqual(Array.from(matmul(g.transpose(0, 1), x).toTypedArray()));
    expect(Array.from(gb.toTypedArray())).toEqual(Array.from(sum(g, 0).toTypedArray()));
  });
  it("rejects gradients and inputs with different row counts, naming the shapes", () => {
    expect(() => linearWeightGrads(ones([3, 2]), ones([4, 5]))).toThrow(
      /linearWeightGrads: expected g \(N, out\) and x \(N, in\) with the same N, got \[3,2\] and \[4,5\]/,
    );
  });
});

describe("linearGrads (g·W, gᵀ·x and the column sums of g, all from one staging)", () => {
  for (const backend of ["wasm", "js"] as const) {
    for (const dtype of ["float32", "float64"] as const) {
      for (const [n, out, inF] of [
        [37, 23, 19],
        [64, 1, 5],
        [5, 7, 1],
        [1024, 130, 129],
      ] as const) {
        it(`each result is its unfused op bit for bit (${backend}, ${dtype}, N=${n}, out=${out}, in=${inF})`, () => {
          setMatmulBackend(backend);
          try {
            const g = randn([n, out], { dtype });
            const x = randn([n, inF], { dtype });
            const w = randn([out, inF], { dtype });
            const { gx, gw, gb } = linearGrads(g, x, w);
            expect([gx.shape, gw.shape, gb.shape]).toEqual([[n, inF], [out, inF], [out]]);
            expect(Array.from(gx.toTypedArray())).toEqual(Array.from(matmul(g, w).toTypedArray()));
            expect(Array.from(gw.toTypedArray())).toEqual(Array.from(matmul(g.transpose(0, 1), x).toTypedArray()));
            expect(Array.from(gb.toTypedArray())).toEqual(Array.from(sum(g, 0).toTypedArray()));
          } finally {
            setMatmulBackend("auto");
          }
        });
      }
    }
  }
  it("falls back for non-contiguous operands and mixed dtypes, with the same results", () => {
    const g = randn([9, 6]).transpose(0, 1);
    const x = randn([6, 4], { dtype: "float64" });
    const w = randn([4, 9]).transpose(0, 1);
    const { gx, gw, gb } = linearGrads(g, x, w);
    expect(gw.dtype).toBe("float64");
    expect(Array.from(gx.toTypedArray())).toEqual(Array.from(matmul(g, w).toTypedArray()));
    expect(Array.from(gw.toTypedArray())).toEqual(Array.from(matmul(g.transpose(0, 1), x).toTypedArray()));
    expect(Array.from(gb.toTypedArray())).toEqual(Array.from(sum(g, 0).toTypedArray()));
  });
  it("rejects operands whose shapes do not fit a linear layer, naming them", () => {
    expect(() => linearGrads(ones([3, 2]), ones([3, 5]), ones([2, 4]))).toThrow(
      /linearGrads: expected g \(N, out\), x \(N, in\) and weight \(out, in\), got \[3,2\], \[3,5\] and \[2,4\]/,
    );
  });
});

describe("batches of small products on the WebAssembly path", () => {
  const cases: [string, () => [NDArray, NDArray]][] = [
    // heads of (B, L, H, D) viewed as (B, H, L, D): rows too short to copy one by one, staged as one span
    [
      "attention heads q·kᵀ",
      () => [randn([3, 16, 4, 8]).permute(0, 2, 1, 3), randn([3, 16, 4, 8]).permute(0, 2, 3, 1)],
    ],
    // entries far apart in a larger buffer: staged one by one
    ["sparse narrowed entries", () => [randn([5, 40, 30]).narrow(1, 3, 6).narrow(2, 2, 7), randn([5, 7, 9])]],
    // one left operand shared by every entry
    ["broadcast left operand", () => [randn([6, 7]), randn([4, 3, 7, 5])]],
    [
      "negative-free reversed batch order via transpose",
      () => [randn([4, 2, 9, 6]).transpose(0, 1), randn([2, 4, 6, 3])],
    ],
  ];
  for (const [name, make] of cases) {
    for (const dtype of ["float32", "float64"] as const) {
      it(`${name} (${dtype}) matches the TypeScript gemm`, () => {
        const [a0, b0] = make();
        const a = a0.astype(dtype);
        const b = b0.astype(dtype);
        const aView = a0.dtype === dtype ? a0 : a;
        const bView = b0.dtype === dtype ? b0 : b;
        setMatmulBackend("wasm");
        let got: NDArray;
        try {
          got = matmul(aView, bView);
        } finally {
          setMatmulBackend("js");
        }
        const want = matmul(aView, bView);
        setMatmulBackend("auto");
        expectClose(got, want, TOL[dtype] as { atol: number; rtol: number });
      });
    }
  }
});
