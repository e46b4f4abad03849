/**
 * causalSoftmax against its definition — softmax(-1) of the scores with −∞ filled above the diagonal
 * of each (L, S) matrix — bit for bit, on both row-kernel backends, float32 and float64, L < S, L = S,
 * L > S, and a non-contiguous input.
 */
import { afterEach, describe, expect, it } from "vitest";
import {
  arange,
  causalSoftmax,
  le,
  mul,
  type NDArray,
  type RowKernelBackend,
  randn,
  ShapeError,
  setRowKernelBackend,
  softmax,
  where,
} from "../src/index.js";

afterEach(() => setRowKernelBackend("auto"));

/** The definition: −∞ where column > row, then softmax over the last dim. */
function reference(x: NDArray): NDArray {
  const L = x.shape[x.ndim - 2] as number;
  const S = x.shape[x.ndim - 1] as number;
  const allowed = le(
    arange(S, undefined, 1, { dtype: "int32" }).reshape([1, S]),
    arange(L, undefined, 1, { dtype: "int32" }).reshape([L, 1]),
  );
  return softmax(where(allowed, x, Number.NEGATIVE_INFINITY), -1);
}

const bits = (x: NDArray) =>
  x.dtype === "float32"
    ? Array.from(new Int32Array(Float32Array.from(x.toTypedArray()).buffer))
    : Array.from(x.toTypedArray());

describe("causalSoftmax", () => {
  const shapes = [
    [4, 2, 16, 16],
    [3, 5, 9],
    [2, 9, 5],
    [1, 1],
    [64, 64],
  ];
  for (const backend of ["wasm", "js"] as RowKernelBackend[]) {
    for (const dtype of ["float32", "float64"] as const) {
      for (const shape of shapes) {
        it(`equals the masked softmax bit for bit (${backend}, ${dtype}, [${shape}])`, () => {
          setRowKernelBackend(backend);
          const x = mul(randn(shape, { dtype }), 3);
          expect(bits(causalSoftmax(x))).toEqual(bits(reference(x)));
        });
      }
    }
  }
  it("takes non-contiguous input and keeps the upper triangle at exactly 0", () => {
    const x = randn([6, 6]).transpose(0, 1);
    const y = causalSoftmax(x);
    expect(bits(y)).toEqual(bits(reference(x)));
    const rows = y.toArray() as number[][];
    expect(rows[0]).toEqual([1, 0, 0, 0, 0, 0]);
    for (let i = 0; i < 6; i++) expect(rows[i]!.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 6);
  });
  it("rejects a 1-d input, naming the shape", () => {
    expect(() => causalSoftmax(randn([5]))).toThrow(ShapeError);
    expect(() => causalSoftmax(randn([5]))).toThrow(
      /causalSoftmax: input needs at least 2 dims \(\.\.\., L, S\), got \[5\]/,
    );
  });
});
