/**
 * The WebAssembly SIMD LayerNorm kernels (src/wasm/norm.wat) against the TypeScript loops of
 * kernels/layer-norm.ts: forward y within 1 ulp and mean / rstd within 1e-14 relative (the row sums
 * are added in another order), backward dx within 1 ulp and dw, db bitwise; over row lengths 1..9,
 * 127..129 and larger (every tail of the 8-, 4-, 2- and 1-wide steps), weight / bias present or not,
 * offset and scaled data, special values, non-contiguous inputs, mixed dtypes, the backend switch and
 * the embedded bytes.
 */
import { afterEach, describe, expect, it } from "vitest";
import { assembleNormOptimKernels } from "../scripts/build-wasm.mjs";
import {
  LAYER_NORM_WASM_MIN,
  layerNorm,
  layerNormBackward,
  NDArray,
  Rng,
  type RowKernelBackend,
  randn,
  setRowKernelBackend,
} from "../src/index.js";
import { NORM_WASM_BASE64 } from "../src/wasm/kernels.generated.js";
import { getWasmNorm, normWasmBytes } from "../src/wasm/norm.js";
import { ordinal32, withBackend } from "./helpers.js";

afterEach(() => setRowKernelBackend("auto"));

/** Runs `fn` with the kernels forced to `backend`. */
const using = <T>(backend: RowKernelBackend, fn: () => T): T => withBackend(setRowKernelBackend, backend, fn);

/** Largest distance in float32 ulps between a and b; NaN and infinities must match exactly. */
function maxUlps(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i] as number;
    const y = b[i] as number;
    if (!Number.isFinite(x) || !Number.isFinite(y)) {
      if (!Object.is(x, y) && !(Number.isNaN(x) && Number.isNaN(y))) throw new Error(`mismatch at ${i}: ${x} vs ${y}`);
      continue;
    }
    worst = Math.max(worst, Math.abs(ordinal32(x) - ordinal32(y)));
  }
  return worst;
}

/** Largest relative difference (NaN and infinities must match exactly). */
function maxRel(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i] as number;
    const y = b[i] as number;
    if (!Number.isFinite(x) || !Number.isFinite(y)) {
      if (!Object.is(x, y) && !(Number.isNaN(x) && Number.isNaN(y))) throw new Error(`mismatch at ${i}: ${x} vs ${y}`);
      continue;
    }
    worst = Math.max(worst, Math.abs(x - y) / Math.max(Math.abs(y), 1e-300));
  }
  return worst;
}

/** Equal value by value, -0 distinct from 0, NaN equal to NaN. */
function expectSame(a: ArrayLike<number>, b: ArrayLike<number>): void {
  expect(a.length).toBe(b.length);
  for (let i = 0; i < a.length; i++) {
    const x = a[i] as number;
    const y = b[i] as number;
    if (!(Object.is(x, y) || (Number.isNaN(x) && Number.isNaN(y)))) throw new Error(`differ at ${i}: ${x} vs ${y}`);
  }
}

/** float32 data `scale · N(0, 1) + offset`. */
function data(rng: Rng, shape: number[], scale = 1, offset = 0): NDArray {
  const x = randn(shape, { rng, dtype: "float32" });
  const d = x.data as Float32Array;
  for (let i = 0; i < d.length; i++) d[i] = (d[i] as number) * scale + offset;
  return x;
}

function compareForward(x: NDArray, size: number, w: NDArray | null, b: NDArray | null, eps = 1e-5) {
  const js = using("js", () => layerNorm(x, size, w, b, eps));
  const wasm = using("wasm", () => layerNorm(x, size, w, b, eps));
  expect(wasm.y.shape).toEqual(js.y.shape);
  expect(wasm.y.dtype).toBe(js.y.dtype);
  expect(wasm.mean.dtype).toBe("float64");
  expect(wasm.rstd.dtype).toBe("float64");
  expect(maxUlps(wasm.y.toTypedArray(), js.y.toTypedArray())).toBeLessThanOrEqual(1);
  expect(maxRel(wasm.mean.toTypedArray(), js.mean.toTypedArray())).toBeLessThanOrEqual(1e-14);
  expect(maxRel(wasm.rstd.toTypedArray(), js.rstd.toTypedArray())).toBeLessThanOrEqual(1e-14);
  return { js, wasm };
}

function compareBackward(g: NDArray, x: NDArray, size: number, w: NDArray | null, eps = 1e-5) {
  // The same stats for both, so dw and db see identical terms.
  const { mean, rstd } = using("js", () => layerNorm(x, size, w, null, eps));
  const js = using("js", () => layerNormBackward(g, x, size, mean, rstd, w));
  const wasm = using("wasm", () => layerNormBackward(g, x, size, mean, rstd, w));
  expect(wasm.dx.shape).toEqual(js.dx.shape);
  expect(wasm.dw.shape).toEqual(js.dw.shape);
  expect(wasm.dx.dtype).toBe(js.dx.dtype);
  expect(maxUlps(wasm.dx.toTypedArray(), js.dx.toTypedArray())).toBeLessThanOrEqual(1);
  expectSame(wasm.dw.toTypedArray(), js.dw.toTypedArray());
  expectSame(wasm.db.toTypedArray(), js.db.toTypedArray());
}

const simd = getWasmNorm() !== null;

describe("LayerNorm kernel bytes", () => {
  it("match a fresh assembly of src/wasm/norm.wat (run `pnpm --filter @typegrad/tensor build:wasm` if not)", async () => {
    const fresh = await assembleNormOptimKernels();
    expect(Object.keys(fresh)).toEqual(["norm", "norm_shared", "optim", "optim_shared"]);
    expect(Buffer.from(normWasmBytes()).equals(Buffer.from(fresh.norm as Uint8Array))).toBe(true);
    expect(Buffer.from(normWasmBytes()).toString("base64")).toBe(NORM_WASM_BASE64);
  });

  it("are a valid module importing one memory and exporting the two kernels", () => {
    const module = new WebAssembly.Module(normWasmBytes());
    expect(WebAssembly.Module.imports(module)).toEqual([{ module: "env", name: "memory", kind: "memory" }]);
    expect(
      WebAssembly.Module.exports(module)
        .map((e) => `${e.kind}:${e.name}`)
        .sort(),
    ).toEqual(["function:layer_norm", "function:layer_norm_backward"]);
  });
});

describe.runIf(simd)("wasm LayerNorm forward", () => {
  const rng = new Rng(11);
  const lengths = [1, 2, 3, 4, 5, 6, 7, 8, 9, 15, 16, 17, 127, 128, 129, 768];

  it("agrees with the loops for every row length, with and without weight and bias", () => {
    for (const n of lengths) {
      for (const rows of [1, 2, 3, 7]) {
        const x = data(rng, [rows, n]);
        const w = data(rng, [n]);
        const b = data(rng, [n]);
        compareForward(x, n, null, null);
        compareForward(x, n, w, null);
        compareForward(x, n, null, b);
        compareForward(x, n, w, b);
      }
    }
  });

  it("keeps y accurate under a large offset, tiny and huge scales and eps = 0", () => {
    for (const n of [5, 64, 129]) {
      compareForward(data(rng, [6, n], 1e-3, 1000), n, data(rng, [n]), data(rng, [n]));
      compareForward(data(rng, [6, n], 1e-20), n, null, null, 0);
      compareForward(data(rng, [6, n], 1e20), n, data(rng, [n]), null, 0);
      compareForward(data(rng, [6, n], 3, -7), n, null, data(rng, [n]), 1e-2);
    }
  });

  it("normalises over the trailing dims of a batch, returning one stat per row", () => {
    const x = data(rng, [2, 3, 4, 10]);
    const { wasm } = compareForward(x, 40, data(rng, [4, 10]), data(rng, [4, 10]));
    expect(wasm.y.shape).toEqual([2, 3, 4, 10]);
    expect(wasm.mean.shape).toEqual([6]);
  });

  it("propagates NaN and infinities like the loops; constant rows give rstd = 1/sqrt(eps)", () => {
    for (const n of [3, 8, 13]) {
      const x = data(rng, [5, n]);
      const d = x.data as Float32Array;
      d[0] = Number.NaN; // row 0
      d[n + 1] = Number.POSITIVE_INFINITY; // row 1
      d[2 * n] = Number.NEGATIVE_INFINITY; // row 2
      d.fill(2.5, 3 * n, 4 * n); // row 3 constant
      const { wasm } = compareForward(x, n, data(rng, [n]), data(rng, [n]));
      expect(wasm.rstd.toTypedArray()[3]).toBe(1 / Math.sqrt(1e-5));
      const c = new NDArray(new Float32Array(2 * n).fill(-1.25), [2, n]);
      compareForward(c, n, null, null, 0); // 0 · inf = NaN in both
    }
  });

  it("reads non-contiguous inputs and weights of any float dtype exactly as the loops do", () => {
    const x = data(rng, [33, 20]).transpose(0, 1); // rows of 33 from a transposed view
    compareForward(x, 33, data(rng, [33]), data(rng, [33]));
    const w64 = randn([33], { rng, dtype: "float64" });
    compareForward(x, 33, w64, null);
    const wStrided = data(rng, [11, 3]).transpose(0, 1); // 33 values, not contiguous
    compareForward(x, 33, wStrided, null);
  });

  it("leaves float64 to the loops (identical under either backend)", () => {
    const x = randn([8, 24], { rng, dtype: "float64" });
    const a = using("js", () => layerNorm(x, 24, null, null, 1e-5));
    const b = using("wasm", () => layerNorm(x, 24, null, null, 1e-5));
    expect(b.y.dtype).toBe("float64");
    expectSame(b.y.toTypedArray(), a.y.toTypedArray());
  });
});

describe.runIf(simd)("wasm LayerNorm backward", () => {
  const rng = new Rng(12);

  it("dx within 1 ulp and dw, db bitwise for every row length, with and without weight", () => {
    for (const n of [1, 2, 3, 4, 5, 6, 7, 8, 9, 16, 17, 127, 128, 129, 768]) {
      for (const rows of [1, 2, 3, 6]) {
        const x = data(rng, [rows, n]);
        const g = data(rng, [rows, n]);
        compareBackward(g, x, n, null);
        compareBackward(g, x, n, data(rng, [n]));
      }
    }
  });

  it("agrees under offset and scaled data, special values and many rows", () => {
    compareBackward(data(rng, [9, 40], 1e-3), data(rng, [9, 40], 1e-3, 500), 40, data(rng, [40]));
    compareBackward(data(rng, [300, 12], 1e6), data(rng, [300, 12]), 12, data(rng, [12], 1e-4));
    const g = data(rng, [4, 10]);
    (g.data as Float32Array)[3] = Number.NaN;
    (g.data as Float32Array)[25] = Number.POSITIVE_INFINITY;
    compareBackward(g, data(rng, [4, 10]), 10, data(rng, [10]));
  });

  it("reads non-contiguous gradients and inputs; the weight's shape comes back on dw and db", () => {
    const x = data(rng, [5, 6, 7]);
    const g = data(rng, [7, 6, 5]).permute([2, 1, 0]);
    compareBackward(g, x, 42, data(rng, [6, 7]));
    const { mean, rstd } = layerNorm(x, 42, null, null, 1e-5);
    const out = using("wasm", () => layerNormBackward(g, x, 42, mean, rstd, data(rng, [6, 7])));
    expect(out.dw.shape).toEqual([6, 7]);
    expect(out.dx.shape).toEqual([5, 6, 7]);
  });

  it("accepts float32 stats and x passed as its own gradient", () => {
    const x = data(rng, [6, 11]);
    const { mean, rstd } = layerNorm(x, 11, null, null, 1e-5);
    const m32 = mean.astype("float32");
    const s32 = rstd.astype("float32");
    const js = using("js", () => layerNormBackward(x, x, 11, m32, s32, null));
    const wasm = using("wasm", () => layerNormBackward(x, x, 11, m32, s32, null));
    expect(maxUlps(wasm.dx.toTypedArray(), js.dx.toTypedArray())).toBeLessThanOrEqual(1);
    expectSame(wasm.dw.toTypedArray(), js.dw.toTypedArray());
  });
});

describe.runIf(simd)("LayerNorm backend switch", () => {
  it("auto takes the loops below LAYER_NORM_WASM_MIN elements or rows of 1..3, wasm above", () => {
    // Distinguishable only where the two differ; here it checks each side gives its own backend's bits.
    const rng = new Rng(13);
    const small = data(rng, [2, 8]);
    expect(small.size).toBeLessThan(LAYER_NORM_WASM_MIN);
    expectSame(
      layerNorm(small, 8, null, null, 1e-5).y.toTypedArray(),
      using("js", () => layerNorm(small, 8, null, null, 1e-5)).y.toTypedArray(),
    );
    const thin = data(rng, [64, 3]);
    expectSame(
      layerNorm(thin, 3, null, null, 1e-5).y.toTypedArray(),
      using("js", () => layerNorm(thin, 3, null, null, 1e-5)).y.toTypedArray(),
    );
    const big = data(rng, [16, 64]);
    expectSame(
      layerNorm(big, 64, null, null, 1e-5).y.toTypedArray(),
      using("wasm", () => layerNorm(big, 64, null, null, 1e-5)).y.toTypedArray(),
    );
  });

  it("handles empty inputs under the wasm backend", () => {
    const x = new NDArray(new Float32Array(0), [0, 5]);
    const { y, mean } = using("wasm", () => layerNorm(x, 5, null, null, 1e-5));
    expect(y.shape).toEqual([0, 5]);
    expect(mean.size).toBe(0);
  });
});
