/**
 * The WebAssembly SIMD row kernels (src/wasm/rows.wat) against the TypeScript loops they replace:
 * float32 softmax, log-softmax and the fused softmax cross-entropy forward/backward, over many shapes
 * (odd row lengths, tails of 1..3), extreme logits (±1e4, −inf, NaN, huge spreads), class weights,
 * ignored rows and label smoothing; their exp against Math.exp; the backend switch; the embedded bytes.
 */
import { afterEach, describe, expect, it } from "vitest";
import { assembleRowKernels } from "../scripts/build-wasm.mjs";
import {
  ArgumentError,
  array,
  type CrossEntropyTargets,
  getRowKernelBackend,
  logSoftmax,
  NDArray,
  Rng,
  ROWS_WASM_MIN,
  type RowKernelBackend,
  randn,
  setRowKernelBackend,
  softmax,
  softmaxCrossEntropy,
  softmaxCrossEntropyBackward,
} from "../src/index.js";
import { ROWS_SHARED_WASM_BASE64, ROWS_WASM_BASE64 } from "../src/wasm/kernels.generated.js";
import { DATA_AT, getWasmRows, rowsWasmBytes } from "../src/wasm/rows.js";
import { ordinal32, withBackend } from "./helpers.js";

afterEach(() => setRowKernelBackend("auto"));

/** Runs `fn` with the kernels forced to `backend`. */
const using = <T>(backend: RowKernelBackend, fn: () => T): T => withBackend(setRowKernelBackend, backend, fn);

/** Largest distance in float32 ulps between a and b; NaN must sit at the same places in both. */
function maxUlps(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i] as number;
    const y = b[i] as number;
    if (Number.isNaN(y) || Number.isNaN(x)) {
      if (Number.isNaN(x) !== Number.isNaN(y)) throw new Error(`NaN mismatch at ${i}: ${x} vs ${y}`);
      continue;
    }
    if (!Number.isFinite(y) || !Number.isFinite(x)) {
      if (x !== y) throw new Error(`infinity mismatch at ${i}: ${x} vs ${y}`);
      continue;
    }
    worst = Math.max(worst, Math.abs(ordinal32(x) - ordinal32(y)));
  }
  return worst;
}

/** Largest |a − b| / max(|b|, floor) (NaN and ±inf must match exactly). */
function maxRel(a: ArrayLike<number>, b: ArrayLike<number>, floor = 1e-30): number {
  expect(a.length).toBe(b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i] as number;
    const y = b[i] as number;
    if (!Number.isFinite(x) || !Number.isFinite(y)) {
      if (!Object.is(x, y) && !(Number.isNaN(x) && Number.isNaN(y)))
        throw new Error(`non-finite mismatch at ${i}: ${x} vs ${y}`);
      continue;
    }
    worst = Math.max(worst, Math.abs(x - y) / Math.max(Math.abs(y), floor));
  }
  return worst;
}

/** Largest |a − b| (NaN and ±inf must match exactly). */
function maxAbs(a: ArrayLike<number>, b: ArrayLike<number>): number {
  return maxRel(a, b, 1);
}

/** float32 logits: normal with the given scale, plus optional extreme entries. */
function logits(rng: Rng, rows: number, cols: number, scale = 3): NDArray {
  const x = randn([rows, cols], { rng, dtype: "float32" });
  const d = x.data as Float32Array;
  for (let i = 0; i < d.length; i++) d[i] = (d[i] as number) * scale;
  return x;
}

function targets(
  rng: Rng,
  n: number,
  c: number,
  opts: { weight?: boolean; ignore?: boolean; smoothing?: number } = {},
): CrossEntropyTargets {
  const target = new NDArray(
    Int32Array.from({ length: n }, () => Math.floor(rng.next() * c)),
    [n],
  );
  const valid = new NDArray(
    Uint8Array.from({ length: n }, () => (opts.ignore && rng.next() < 0.25 ? 0 : 1)),
    [n],
  );
  const weight = opts.weight
    ? new NDArray(
        Float32Array.from({ length: c }, () => 0.25 + 2 * rng.next()),
        [c],
      )
    : null;
  return { target, valid, weight, smoothing: opts.smoothing ?? 0 };
}

/** Runs both backends on the same inputs and checks they agree to the stated tolerances. */
function compareCrossEntropy(x: NDArray, t: CrossEntropyTargets, g?: NDArray): void {
  const n = x.shape[0] as number;
  const grad =
    g ??
    new NDArray(
      Float32Array.from({ length: n }, (_, i) => 0.5 + (i % 7) / 4),
      [n],
    );
  const js = using("js", () => softmaxCrossEntropy(x, t));
  const wasm = using("wasm", () => softmaxCrossEntropy(x, t));
  expect(wasm.probs.dtype).toBe("float32");
  expect(wasm.losses.dtype).toBe("float32");
  expect(wasm.probs.shape).toEqual(js.probs.shape);
  expect(maxUlps(wasm.probs.data, js.probs.data)).toBeLessThanOrEqual(2);
  expect(maxRel(wasm.losses.data, js.losses.data)).toBeLessThanOrEqual(1e-6);
  // backward from the same probabilities: the kernel forms p·A − B in float64 like the loop
  const bj = using("js", () => softmaxCrossEntropyBackward(grad, js.probs, t));
  const bw = using("wasm", () => softmaxCrossEntropyBackward(grad, js.probs, t));
  expect(bw.dtype).toBe("float32");
  let scale = 0;
  for (const v of grad.data) scale = Math.max(scale, Math.abs(v));
  expect(maxAbs(bw.data, bj.data)).toBeLessThanOrEqual(1e-6 * Math.max(scale, 1));
  // and the wasm backward of the wasm forward stays within float32 rounding of the js pair
  const bww = using("wasm", () => softmaxCrossEntropyBackward(grad, wasm.probs, t));
  let wMax = 1;
  if (t.weight) for (const v of t.weight.data) wMax = Math.max(wMax, Math.abs(v));
  expect(maxAbs(bww.data, bj.data)).toBeLessThanOrEqual(1e-6 * Math.max(scale, 1) * wMax);
}

function compareSoftmax(x: NDArray, dim = -1): void {
  const sj = using("js", () => softmax(x, dim));
  const sw = using("wasm", () => softmax(x, dim));
  expect(sw.shape).toEqual(sj.shape);
  expect(sw.dtype).toBe("float32");
  expect(maxUlps(sw.toTypedArray(), sj.toTypedArray())).toBeLessThanOrEqual(2);
  const lj = using("js", () => logSoftmax(x, dim));
  const lw = using("wasm", () => logSoftmax(x, dim));
  expect(lw.shape).toEqual(lj.shape);
  expect(maxUlps(lw.toTypedArray(), lj.toTypedArray())).toBeLessThanOrEqual(2);
}

const simd = getWasmRows() !== null;

describe("row kernel bytes", () => {
  it("match a fresh assembly of src/wasm/rows.wat (run `pnpm --filter @typegrad/tensor build:wasm` if not)", async () => {
    const fresh = await assembleRowKernels();
    expect(Object.keys(fresh)).toEqual(["rows", "rows_shared"]);
    expect(Buffer.from(fresh.rows_shared as Uint8Array).toString("base64")).toBe(ROWS_SHARED_WASM_BASE64);
    expect(Buffer.from(rowsWasmBytes()).equals(Buffer.from(fresh.rows as Uint8Array))).toBe(true);
    expect(Buffer.from(rowsWasmBytes()).toString("base64")).toBe(ROWS_WASM_BASE64);
  });

  it("are a valid module importing one memory and exporting the row kernels", () => {
    const module = new WebAssembly.Module(rowsWasmBytes());
    expect(WebAssembly.Module.imports(module)).toEqual([{ module: "env", name: "memory", kind: "memory" }]);
    expect(
      WebAssembly.Module.exports(module)
        .map((e) => `${e.kind}:${e.name}`)
        .sort(),
    ).toEqual([
      "function:ce_backward",
      "function:dot_rows",
      "function:log_softmax_backward",
      "function:set_scratch",
      "function:softmax",
      "function:softmax_backward",
      "function:softmax_causal",
      "function:softmax_stats",
      "function:sub_rows",
    ]);
  });
});

describe.runIf(simd)("wasm exp", () => {
  /**
   * e^(x − m) as the kernel computes it, read from softmax_stats' scratch row: row = [m, x…] (all ≤ m,
   * so m is the max), plus a −inf entry when `general` to force the clamping loop.
   */
  function kernelExp(m: number, xs: Float32Array, general: boolean): Float32Array {
    const w = getWasmRows()!;
    const n = xs.length + 1 + (general ? 1 : 0);
    const stats = DATA_AT + Math.ceil((n * 4) / 64) * 64;
    const scratch = stats + 64;
    expect(w.reserve(scratch + n * 4)).toBe(true);
    const f = w.f32;
    const x = DATA_AT / 4;
    f[x] = m;
    f.set(xs, x + 1);
    if (general) f[x + n - 1] = -Infinity;
    w.exports.softmax_stats(DATA_AT, 1, n, stats, scratch);
    expect(w.f64[stats / 8]).toBe(Math.fround(m));
    return w.f32.slice(scratch / 4 + 1, scratch / 4 + 1 + xs.length);
  }

  it.each([
    [0, false],
    [0, true],
    [1, false],
    [-3.75, true],
    [1e-3, false],
    [123.456, false],
    [123.456, true],
    [1e4, false],
    [-1e4, true],
    [3e5, false],
  ] as const)("is within 1 ulp of Math.exp for x − m in [−110, 0] (m = %d, general loop: %s)", (m, general) => {
    const mf = Math.fround(m);
    const K = 40_001; // odd: the last 1..3 values go through the vector tail
    const span = general ? 110 : 86;
    const xs = Float32Array.from({ length: K }, (_, i) => Math.min(mf, Math.fround(mf - (i / (K - 1)) * span)));
    const got = kernelExp(mf, xs, general);
    // x − m is exact in float64, and Math.exp is correctly rounded to ~1 ulp of float64
    const ref = xs.map((x) => Math.fround(Math.exp(x - mf)));
    expect(maxUlps(got, ref)).toBeLessThanOrEqual(1);
  });

  it("rounds subnormal results once and underflows to 0 below e^-103.97", () => {
    const xs = Float32Array.from([-87, -88.5, -95, -100, -103, -103.9, -104, -105, -150, -1e30]);
    const got = kernelExp(0, xs, true);
    const ref = xs.map((x) => Math.fround(Math.exp(x)));
    expect(maxUlps(got, ref)).toBeLessThanOrEqual(1);
    expect(Array.from(got.slice(-4))).toEqual([0, 0, 0, 0]);
    expect(got[5]).toBeGreaterThan(0);
  });

  it("is exact at 0, 0 at −inf, NaN at NaN", () => {
    const xs = Float32Array.from([0, -0, -Infinity, Number.NaN, 0]);
    const w = getWasmRows()!;
    w.f32.set(xs, DATA_AT / 4);
    w.exports.softmax_stats(DATA_AT, 1, 5, DATA_AT + 64, DATA_AT + 128);
    expect(Number.isNaN(w.f64[DATA_AT / 8 + 8])).toBe(true); // m is NaN: the whole row is
    const ok = kernelExp(0, Float32Array.from([0, -0, -Infinity, -Infinity]), true);
    expect(Array.from(ok)).toEqual([1, 1, 0, 0]);
  });

  it("splits x − m exactly when float32 subtraction would round", () => {
    // m = 1e4 + δ: x − m in float32 loses bits, the kernel does not
    const m = Math.fround(10000.123);
    const xs = Float32Array.from({ length: 4001 }, (_, i) => Math.fround(m - 0.00731 * i - 1e-3));
    const got = kernelExp(m, xs, false);
    const ref = xs.map((x) => Math.fround(Math.exp(x - m)));
    expect(maxUlps(got, ref)).toBeLessThanOrEqual(1);
  });
});

describe.runIf(simd)("wasm softmax / logSoftmax agree with the TypeScript loops", () => {
  it.each([
    [1, 1],
    [1, 2],
    [3, 3],
    [2, 4],
    [5, 5],
    [7, 7],
    [4, 8],
    [3, 9],
    [13, 31],
    [17, 64],
    [9, 65],
    [31, 127],
    [64, 257],
    [500, 10],
    [11, 1000],
    [6, 1100],
  ])("rows %i × %i", (rows, cols) => {
    const rng = new Rng(rows * 7919 + cols);
    compareSoftmax(logits(rng, rows, cols));
    compareSoftmax(logits(rng, rows, cols, 30));
  });

  it("along other dims, on non-contiguous views and with a leading batch", () => {
    const rng = new Rng(5);
    const x = randn([6, 33, 10], { rng, dtype: "float32" });
    for (const dim of [0, 1, 2, -1]) compareSoftmax(x, dim);
    compareSoftmax(randn([40, 37], { rng, dtype: "float32" }).transpose(0, 1));
    compareSoftmax(randn([4, 3, 5, 63], { rng, dtype: "float32" }), -1);
  });

  it("handles extreme rows: ±1e4, −inf, all −inf, NaN, +inf, a huge spread", () => {
    const rows = [
      [1e4, 0, -1e4, 5, 1e4 - 3, -0.5, 2, 9999.5, 1],
      [-1e4, -1e4 + Math.log(3), -1e4 - 20, -1e4, -1e4 + 1, -1e4, -1e4, -1e4, -1e4],
      [-Infinity, 0, 0, -Infinity, 1, -Infinity, 2, -Infinity, 3],
      new Array(9).fill(-Infinity),
      [0, 1, Number.NaN, 2, 3, 4, 5, 6, 7],
      [0, 1, 2, 3, Number.POSITIVE_INFINITY, 5, 6, 7, 8],
      [3e38, -3e38, 0, 1, 2, 3, 4, 5, 6],
      [0, -80, -85.9, -86.1, -90, -100, -103, -104, -200],
      [-1, -1, -1, -1, -1, -1, -1, -1, -1],
    ];
    const x = array(rows, { dtype: "float32" });
    compareSoftmax(x);
    // also with enough rows for "auto" to choose wasm
    const big = array(new Array(40).fill(rows).flat(), { dtype: "float32" });
    const auto = softmax(big).toTypedArray();
    const js = using("js", () => softmax(big)).toTypedArray();
    expect(maxUlps(auto, js)).toBeLessThanOrEqual(2);
    const s = using("wasm", () => softmax(x)).toArray() as number[][];
    expect(s[3]!.every((v) => Number.isNaN(v))).toBe(true);
    expect(s[4]!.every((v) => Number.isNaN(v))).toBe(true);
    expect(s[5]!.every((v) => Number.isNaN(v))).toBe(true);
    expect(s[2]![0]).toBe(0);
  });

  it("float64 stays on the TypeScript path (identical results under every backend)", () => {
    const x = randn([50, 77], { rng: new Rng(9), dtype: "float64" });
    const js = using("js", () => [softmax(x), logSoftmax(x)]);
    const wasm = using("wasm", () => [softmax(x), logSoftmax(x)]);
    expect(wasm[0]!.dtype).toBe("float64");
    expect(Array.from(wasm[0]!.toTypedArray())).toEqual(Array.from(js[0]!.toTypedArray()));
    expect(Array.from(wasm[1]!.toTypedArray())).toEqual(Array.from(js[1]!.toTypedArray()));
  });

  it("keeps empty and 0-d inputs working", () => {
    expect(using("wasm", () => softmax(array([[], []], { dtype: "float32" }), 1)).shape).toEqual([2, 0]);
    expect(using("wasm", () => softmax(array(3.5, { dtype: "float32" }), 0)).item()).toBe(1);
    expect(using("wasm", () => logSoftmax(array([2.5], { dtype: "float32" }))).toArray()).toEqual([0]);
  });
});

describe.runIf(simd)("wasm cross-entropy agrees with the TypeScript loops", () => {
  it.each([
    [1, 1],
    [1, 3],
    [2, 2],
    [3, 5],
    [8, 4],
    [5, 7],
    [16, 10],
    [7, 33],
    [100, 65],
    [37, 129],
    [500, 17],
    [64, 1000],
    [9, 1023],
    [12, 1100],
  ])("rows %i × classes %i, plain / weighted / ignored rows / smoothing", (n, c) => {
    const rng = new Rng(n * 131 + c);
    const x = logits(rng, n, c);
    compareCrossEntropy(x, targets(rng, n, c));
    compareCrossEntropy(x, targets(rng, n, c, { weight: true }));
    compareCrossEntropy(x, targets(rng, n, c, { ignore: true }));
    compareCrossEntropy(x, targets(rng, n, c, { smoothing: 0.1 }));
    compareCrossEntropy(logits(rng, n, c, 20), targets(rng, n, c, { weight: true, ignore: true, smoothing: 0.25 }));
  });

  it("keeps confident losses accurate relative to their size (tiny log s)", () => {
    const rng = new Rng(3);
    const n = 64;
    const c = 100;
    const x = logits(rng, n, c, 1);
    const t = targets(rng, n, c);
    const d = x.data as Float32Array;
    const y = t.target.data as Int32Array;
    // the target's logit is 0 (so lse = 0 + log s adds no rounding), the others near −15 − i/16:
    // loss = log(1 + Σ e^x) ≈ 100·e^(−15 − i/16), down to ~1e-8 (where float64's s = 1 + 2^-52·k still
    // resolves it to 1e-7 in either path)
    for (let i = 0; i < n; i++) {
      for (let k = 0; k < c; k++) d[i * c + k] = Math.fround((d[i * c + k] as number) - 15 - i / 16);
      d[i * c + (y[i] as number)] = 0;
    }
    const js = using("js", () => softmaxCrossEntropy(x, t));
    const wasm = using("wasm", () => softmaxCrossEntropy(x, t));
    expect(Math.max(...(js.losses.data as Float32Array))).toBeLessThan(1e-4);
    expect(Math.min(...(js.losses.data as Float32Array))).toBeGreaterThan(1e-9);
    expect(maxRel(wasm.losses.data, js.losses.data)).toBeLessThanOrEqual(1e-6);
    compareCrossEntropy(x, t);
  });

  it("handles extreme logits, −inf classes, a NaN entry and all-ignored batches", () => {
    const rng = new Rng(11);
    const n = 24;
    const c = 37;
    const x = logits(rng, n, c, 1e4);
    const d = x.data as Float32Array;
    for (let k = 0; k < c; k += 3) d[2 * c + k] = -Infinity; // row 2: a third of the classes masked
    d[5 * c + 7] = Number.NaN; // row 5: NaN propagates to its probabilities and loss
    for (let k = 0; k < c; k++) d[6 * c + k] = -Infinity; // row 6: all −inf
    d[7 * c + 3] = Number.POSITIVE_INFINITY;
    d[8 * c + 1] = 3e38;
    d[8 * c + 2] = -3e38;
    for (const opts of [{}, { weight: true }, { smoothing: 0.2 }, { weight: true, smoothing: 0.2, ignore: true }]) {
      const t = targets(rng, n, c, opts);
      (t.target.data as Int32Array)[2] = 1; // a class that is not masked
      compareCrossEntropy(x, t);
    }
    const t = targets(rng, n, c);
    const { probs, losses } = using("wasm", () => softmaxCrossEntropy(x, t));
    const p = probs.toArray() as number[][];
    expect(p[5]!.every((v) => Number.isNaN(v))).toBe(true);
    expect(Number.isNaN((losses.data as Float32Array)[5])).toBe(true);
    expect(p[2]![0]).toBe(0);
    const none = { ...t, valid: new NDArray(new Uint8Array(n), [n]) };
    const g = new NDArray(new Float32Array(n).fill(1), [n]);
    expect(Array.from(using("wasm", () => softmaxCrossEntropy(x, none)).losses.data)).toEqual(new Array(n).fill(0));
    expect(Array.from(using("wasm", () => softmaxCrossEntropyBackward(g, probs, none)).data)).toEqual(
      new Array(n * c).fill(0),
    );
  });

  it("weights of other dtypes, float64 upstream gradients, smoothing 0 and 1 (negative is rejected)", () => {
    const rng = new Rng(17);
    const n = 33;
    const c = 21;
    const x = logits(rng, n, c);
    const t = targets(rng, n, c, { weight: true, ignore: true });
    const w64 = new NDArray(Float64Array.from(t.weight!.data), [c]);
    const g64 = new NDArray(
      Float64Array.from({ length: n }, (_, i) => (i - 10) / 7),
      [n],
    );
    compareCrossEntropy(x, { ...t, weight: w64, smoothing: 0.3 }, g64);
    compareCrossEntropy(x, { ...t, smoothing: 0 }, g64);
    compareCrossEntropy(x, { ...t, smoothing: 1 });
    expect(() => softmaxCrossEntropy(x, { ...t, smoothing: -0.1 })).toThrow(/smoothing must be in \[0, 1\]/);
  });

  it("a non-contiguous logits view", () => {
    const rng = new Rng(23);
    const x = randn([50, 40], { rng, dtype: "float32" }).transpose(0, 1);
    compareCrossEntropy(x, targets(rng, 40, 50, { smoothing: 0.1 }));
  });

  it("counted targets outside [0, C) are rejected on both paths, naming the row", () => {
    const rng = new Rng(29);
    const n = 30;
    const c = 20;
    const x = logits(rng, n, c);
    const t = targets(rng, n, c);
    (t.target.data as Int32Array)[4] = c + 3;
    for (const backend of ["js", "wasm"] as const) {
      if (backend === "wasm" && !simd) continue;
      expect(() => using(backend, () => softmaxCrossEntropy(x, t))).toThrow(
        /target 23 at row 4 is out of range for 20 classes/,
      );
    }
  });
});

describe("setRowKernelBackend", () => {
  it("switches and reports the backend, and rejects unknown names", () => {
    expect(getRowKernelBackend()).toBe("auto");
    setRowKernelBackend("js");
    expect(getRowKernelBackend()).toBe("js");
    expect(() => setRowKernelBackend("gpu" as RowKernelBackend)).toThrow(ArgumentError);
    expect(() => setRowKernelBackend("gpu" as RowKernelBackend)).toThrow(/unknown backend "gpu"/);
    expect(getRowKernelBackend()).toBe("js");
    if (simd) {
      setRowKernelBackend("wasm");
      expect(getRowKernelBackend()).toBe("wasm");
    }
  });

  it.runIf(simd)('"auto" keeps small inputs and short rows on the TypeScript loops, sends the rest to wasm', () => {
    const rng = new Rng(31);
    const same = (a: NDArray, b: NDArray) => {
      const x = a.toTypedArray();
      const y = b.toTypedArray();
      return x.length === y.length && Array.from(x).every((v, i) => Object.is(v, y[i]));
    };
    const small = logits(rng, 3, Math.floor((ROWS_WASM_MIN - 1) / 3));
    const short = logits(rng, 500, 3);
    const large = logits(rng, 8, Math.ceil(ROWS_WASM_MIN / 8) + 3);
    for (const x of [small, short]) {
      expect(
        same(
          softmax(x),
          using("js", () => softmax(x)),
        ),
      ).toBe(true);
      expect(
        same(
          logSoftmax(x),
          using("js", () => logSoftmax(x)),
        ),
      ).toBe(true);
      const t = targets(rng, x.shape[0] as number, x.shape[1] as number);
      expect(same(softmaxCrossEntropy(x, t).probs, using("js", () => softmaxCrossEntropy(x, t)).probs)).toBe(true);
    }
    expect(
      same(
        softmax(large),
        using("wasm", () => softmax(large)),
      ),
    ).toBe(true);
    expect(
      same(
        softmax(large),
        using("js", () => softmax(large)),
      ),
    ).toBe(false);
    const t = targets(rng, 8, large.shape[1] as number);
    const fwd = softmaxCrossEntropy(large, t);
    expect(same(fwd.probs, using("wasm", () => softmaxCrossEntropy(large, t)).probs)).toBe(true);
    // the backward agrees bit for bit either way (same float64 formula), so only check it runs
    const g = new NDArray(new Float32Array(8).fill(1), [8]);
    expect(
      same(
        softmaxCrossEntropyBackward(g, fwd.probs, t),
        using("js", () => softmaxCrossEntropyBackward(g, fwd.probs, t)),
      ),
    ).toBe(true);
  });
});
