/**
 * The WebAssembly SIMD elementwise kernels (src/wasm/unary.wat): float32 exp, tanh, sigmoid, exact GELU
 * and the GELU backward against float64 references rounded to float32, in ulps, over dense sweeps of
 * float32 values (every n-th float32 of the range, subnormal results included) and random inputs;
 * special values; every tail length and chunk boundaries (each output depends on its input only, so it
 * must be bitwise the same wherever it sits); in-place and separate outputs; the TypeScript path for
 * non-contiguous, float64 and broadcast inputs; the backend switch; the embedded bytes.
 */
import { afterEach, describe, expect, it } from "vitest";
import { assembleUnaryKernels } from "../scripts/build-wasm.mjs";
import {
  ArgumentError,
  array,
  erfc,
  exp,
  gelu,
  geluBackward,
  geluGrad,
  getUnaryKernelBackend,
  NDArray,
  Rng,
  randn,
  ShapeError,
  setUnaryKernelBackend,
  sigmoid,
  tanh,
  UNARY_WASM_MIN,
  type UnaryKernelBackend,
} from "../src/index.js";
import { UNARY_SHARED_WASM_BASE64, UNARY_WASM_BASE64 } from "../src/wasm/kernels.generated.js";
import { getWasmUnary, UNARY_CHUNK, unaryWasmBytes } from "../src/wasm/unary.js";
import { ordinal32, withBackend } from "./helpers.js";

afterEach(() => setUnaryKernelBackend("auto"));

/** Runs `fn` with the kernels forced to `backend`. */
const using = <T>(backend: UnaryKernelBackend, fn: () => T): T => withBackend(setUnaryKernelBackend, backend, fn);

const bits = new Int32Array(1);
const fbits = new Float32Array(bits.buffer);
/** The float32 at a position on the number line. */
function fromOrdinal(o: number): number {
  bits[0] = o < 0 ? -o | 0x80000000 : o;
  return fbits[0] as number;
}
/** The spacing of float32 values at |x| (the ulp above it). */
function ulpAt(x: number): number {
  const a = Math.abs(Math.fround(x));
  fbits[0] = a;
  bits[0] = (bits[0] as number) + 1;
  return (fbits[0] as number) - a;
}

/** Every `step`-th float32 from lo to hi. */
function sweep(lo: number, hi: number, step: number): Float32Array {
  const out: number[] = [];
  for (let o = ordinal32(lo); o <= ordinal32(hi); o += step) out.push(fromOrdinal(o));
  return Float32Array.from(out);
}

/** Standard normal CDF and density in float64 (special.ts's erfc is float64-accurate). */
const Phi = (x: number) => 0.5 * erfc(-x * Math.SQRT1_2);
const phi = (x: number) => 0.3989422804014327 * Math.exp(-0.5 * x * x);

/** float64 references. */
const REF = {
  exp: Math.exp,
  tanh: Math.tanh,
  sigmoid: (x: number) => (x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x))),
  gelu: (x: number) => x * Phi(x),
};
type Op = keyof typeof REF;
const OPS: Record<Op, (x: NDArray) => NDArray> = { exp, tanh, sigmoid, gelu: (x) => gelu(x) };

/** The op on the wasm path, as float32 values. */
function wasmRun(op: Op, xs: Float32Array): Float32Array {
  return using("wasm", () => OPS[op](new NDArray(xs, [xs.length])).data as Float32Array);
}

/** Largest distance in ulps between the results and the references rounded to float32. */
function worstUlps(xs: Float32Array, got: Float32Array, ref: (x: number) => number): number {
  let worst = 0;
  for (let i = 0; i < xs.length; i++) {
    const want = Math.fround(ref(xs[i] as number));
    const y = got[i] as number;
    if (Number.isNaN(want) || !Number.isFinite(want)) {
      expect(Object.is(y, want), `at x = ${xs[i]}: ${y} vs ${want}`).toBe(true);
      continue;
    }
    worst = Math.max(worst, Math.abs(ordinal32(y) - ordinal32(want)));
  }
  return worst;
}

const simd = getWasmUnary() !== null;

describe("unary kernel bytes", () => {
  it("match a fresh assembly of src/wasm/unary.wat (run `pnpm --filter @typegrad/tensor build:wasm` if not)", async () => {
    const fresh = await assembleUnaryKernels();
    expect(Object.keys(fresh)).toEqual(["unary", "unary_shared"]);
    expect(Buffer.from(fresh.unary_shared as Uint8Array).toString("base64")).toBe(UNARY_SHARED_WASM_BASE64);
    expect(Buffer.from(unaryWasmBytes()).equals(Buffer.from(fresh.unary as Uint8Array))).toBe(true);
    expect(Buffer.from(unaryWasmBytes()).toString("base64")).toBe(UNARY_WASM_BASE64);
  });

  it("are a valid module importing one memory and exporting the five kernels", () => {
    const module = new WebAssembly.Module(unaryWasmBytes());
    expect(WebAssembly.Module.imports(module)).toEqual([{ module: "env", name: "memory", kind: "memory" }]);
    expect(
      WebAssembly.Module.exports(module)
        .map((e) => `${e.kind}:${e.name}`)
        .sort(),
    ).toEqual(["function:exp", "function:gelu", "function:gelu_backward", "function:sigmoid", "function:tanh"]);
  });
});

describe.runIf(simd)("wasm kernels against float64 references", () => {
  const rng = new Rng(7);
  const random = (n: number, scale: number) =>
    Float32Array.from(randn([n], { rng, dtype: "float64" }).data as Float64Array, (v) => v * scale);

  it("exp within 1 ulp over [−104, 89] (subnormal results included), 0 below e^−103.97", () => {
    const xs = sweep(-104, 89, 1500);
    expect(xs.length).toBeGreaterThan(1_000_000);
    expect(worstUlps(xs, wasmRun("exp", xs), REF.exp)).toBeLessThanOrEqual(1);
    const r = random(100_000, 20);
    expect(worstUlps(r, wasmRun("exp", r), REF.exp)).toBeLessThanOrEqual(1);
    // every subnormal result within 1 ulp (2^−149) and none flushed while e^x ≥ 2^−149
    const sub = sweep(-103.97, -87.3, 5);
    const got = wasmRun("exp", sub);
    expect(worstUlps(sub, got, REF.exp)).toBeLessThanOrEqual(1);
    expect(sub.filter((x, i) => Math.exp(x) >= 2 ** -149 && !((got[i] as number) > 0)).length).toBe(0);
    expect(Array.from(wasmRun("exp", Float32Array.of(-103.98, -104, -105, -1e30)))).toEqual([0, 0, 0, 0]);
  });

  it("tanh within 2 ulp over [−20, 20], exact near 0 and 1 beyond", () => {
    const xs = sweep(-20, 20, 2000);
    expect(worstUlps(xs, wasmRun("tanh", xs), REF.tanh)).toBeLessThanOrEqual(2);
    const r = random(100_000, 3);
    expect(worstUlps(r, wasmRun("tanh", r), REF.tanh)).toBeLessThanOrEqual(2);
    const small = sweep(-1e-3, 1e-3, 500); // tanh x = x in float32 below ~2.7e-4, subnormals included
    expect(worstUlps(small, wasmRun("tanh", small), REF.tanh)).toBeLessThanOrEqual(1);
    expect(Array.from(wasmRun("tanh", Float32Array.of(9.1, 30, -30, 1e30)))).toEqual([1, 1, -1, 1]);
  });

  it("sigmoid within 2 ulp over [−105, 20], subnormal results included", () => {
    const xs = sweep(-105, 20, 1500);
    expect(worstUlps(xs, wasmRun("sigmoid", xs), REF.sigmoid)).toBeLessThanOrEqual(2);
    const r = random(100_000, 8);
    expect(worstUlps(r, wasmRun("sigmoid", r), REF.sigmoid)).toBeLessThanOrEqual(2);
    const sub = sweep(-103.97, -87.3, 5);
    expect(worstUlps(sub, wasmRun("sigmoid", sub), REF.sigmoid)).toBeLessThanOrEqual(1);
  });

  it("gelu within 7 ulp and 4.6e-7 relative over [−15, 20], subnormal results included", () => {
    const xs = sweep(-15, 20, 2000);
    const got = wasmRun("gelu", xs);
    expect(worstUlps(xs, got, REF.gelu)).toBeLessThanOrEqual(7);
    let rel = 0;
    xs.forEach((x, i) => {
      const want = REF.gelu(x);
      if (Math.abs(want) >= 2 ** -126) rel = Math.max(rel, Math.abs((got[i] as number) - want) / Math.abs(want));
    });
    expect(rel).toBeLessThanOrEqual(4.6e-7);
    const r = random(100_000, 3);
    expect(worstUlps(r, wasmRun("gelu", r), REF.gelu)).toBeLessThanOrEqual(7);
    // the tail x·Φ(x) < 2^−126 for x < −13.2: rounded once, so no worse in subnormal ulps (the relative
    // error above, near 2^−126), and 0 only where the value rounds to 0
    const tail = sweep(-14.5, -13, 3);
    const t = wasmRun("gelu", tail);
    expect(worstUlps(tail, t, REF.gelu)).toBeLessThanOrEqual(7);
    expect(tail.filter((x, i) => Math.abs(REF.gelu(x)) >= 2 ** -149 && !((t[i] as number) < 0)).length).toBe(0);
  });

  it("geluBackward within 4 ulp of |g|·(|Φ(x)| + |x·φ(x)|) (the scale of the terms that cancel near −0.75)", () => {
    const check = (xs: Float32Array, gs: Float32Array, ulps: number) => {
      const got = using(
        "wasm",
        () => geluBackward(new NDArray(gs, [gs.length]), new NDArray(xs, [xs.length])).data as Float32Array,
      );
      let worst = 0;
      xs.forEach((x, i) => {
        const g = gs[i] as number;
        const want = g * (Phi(x) + x * phi(x));
        const scale = Math.abs(g) * (Phi(x) + Math.abs(x) * phi(x));
        worst = Math.max(worst, Math.abs((got[i] as number) - want) / ulpAt(Math.max(scale, 2 ** -149)));
      });
      expect(worst).toBeLessThanOrEqual(ulps);
    };
    const xs = sweep(-20, 20, 2000);
    check(xs, new Float32Array(xs.length).fill(1), 4);
    const r = random(100_000, 3);
    check(r, random(100_000, 1), 4.5);
    // huge upstream gradients keep the far tail (x·φ(x)·g is representable down to x ≈ −19.6)
    const tail = sweep(-19.7, -13, 50);
    check(tail, new Float32Array(tail.length).fill(3e38), 4.5);
    check(tail, new Float32Array(tail.length).fill(1e-3), 4.5);
  });
});

describe.runIf(simd)("special values", () => {
  const specials = [Number.NaN, Infinity, -Infinity, 0, -0, 1e-45, -1e-45, 3.4e38, -3.4e38];
  const cases: [Op, number[]][] = [
    ["exp", [Number.NaN, Infinity, 0, 1, 1, 1, 1, Infinity, 0]],
    ["tanh", [Number.NaN, 1, -1, 0, -0, 1e-45, -1e-45, 1, -1]],
    ["sigmoid", [Number.NaN, 1, 0, 0.5, 0.5, 0.5, 0.5, 1, 0]],
    // gelu(−inf) is −inf·Φ(−inf) = −inf·0 = NaN in torch; kept for parity
    ["gelu", [Number.NaN, Infinity, Number.NaN, 0, -0, 0, -0, 3.4e38, -0]],
  ];
  it.each(cases)("%s", (op, want) => {
    const got = Array.from(wasmRun(op, Float32Array.from(specials)));
    got.forEach((v, i) =>
      expect(
        Object.is(v, Math.fround(want[i] as number)) || (Number.isNaN(v) && Number.isNaN(want[i])),
        `${op}(${specials[i]}) = ${v}`,
      ).toBe(true),
    );
    // and the TypeScript loops agree on every one
    const js = Array.from(using("js", () => OPS[op](array(specials, { dtype: "float32" })).data as Float32Array));
    js.forEach((v, i) => expect(Object.is(v, got[i]), `${op}(${specials[i]}): js ${v}, wasm ${got[i]}`).toBe(true));
  });

  it("geluBackward: NaN at ±inf (torch's ∞·0), g/2 at ±0, NaN in either operand", () => {
    const x = Float32Array.of(Infinity, -Infinity, 0, -0, Number.NaN, 1, 40, -40);
    const g = Float32Array.of(3, 3, 3, 3, 3, Number.NaN, -2, 5);
    for (const backend of ["wasm", "js"] as const) {
      const out = Array.from(
        using(backend, () => geluBackward(new NDArray(g, [8]), new NDArray(x, [8])).data as Float32Array),
      );
      expect(out[0]).toBeNaN();
      expect(out[1]).toBeNaN();
      expect(out.slice(2, 4)).toEqual([1.5, 1.5]);
      expect(out[4]).toBeNaN();
      expect(out[5]).toBeNaN();
      expect(out[6]).toBe(-2);
      expect(Math.abs(out[7] as number)).toBe(0);
    }
  });

  it("the float64 loops: gelu(−inf) and geluGrad(±inf) are NaN as in torch, finite tails exact", () => {
    const x = array([-Infinity, Infinity, -50, Number.NaN], { dtype: "float64" });
    const y = gelu(x).data as Float64Array;
    expect(y[0]).toBeNaN();
    expect(y[1]).toBe(Infinity);
    expect(Object.is(y[2], -0)).toBe(true);
    expect(y[3]).toBeNaN();
    const d = Array.from(geluGrad(x).data as Float64Array);
    expect(d[0]).toBeNaN();
    expect(d[1]).toBeNaN();
    expect(d[2]).toBe(0);
    expect(d[3]).toBeNaN();
  });
});

describe.runIf(simd)("tails, chunks and layouts", () => {
  const rng = new Rng(11);
  const base = Float32Array.from(randn([70_000], { rng, dtype: "float64" }).data as Float64Array, (v) => v * 4);
  const g = Float32Array.from(randn([70_000], { rng, dtype: "float64" }).data as Float64Array);
  /** Each op over all of `base` in one call: the per-element values every other layout must reproduce. */
  const whole = Object.fromEntries((Object.keys(OPS) as Op[]).map((op) => [op, wasmRun(op, base)])) as Record<
    Op,
    Float32Array
  >;
  const backward = using(
    "wasm",
    () => geluBackward(new NDArray(g, [g.length]), new NDArray(base, [base.length])).data as Float32Array,
  );

  it("every length 0..9, odd lengths and chunk boundaries give bitwise the per-element values", () => {
    const lengths = [
      0,
      1,
      2,
      3,
      4,
      5,
      6,
      7,
      8,
      9,
      13,
      63,
      65,
      1021,
      UNARY_CHUNK - 1,
      UNARY_CHUNK + 3,
      3 * UNARY_CHUNK + 5,
    ];
    for (const n of lengths) {
      for (const start of [0, 1, 3]) {
        const xs = base.subarray(start, start + n);
        for (const op of Object.keys(OPS) as Op[]) {
          const got = wasmRun(op, xs);
          expect(got.length).toBe(n);
          expect(Buffer.from(got.buffer).equals(Buffer.from(whole[op].slice(start, start + n).buffer))).toBe(true);
        }
        const gb = using(
          "wasm",
          () => geluBackward(new NDArray(g.subarray(start, start + n), [n]), new NDArray(xs, [n])).data as Float32Array,
        );
        expect(Buffer.from(gb.buffer).equals(Buffer.from(backward.slice(start, start + n).buffer))).toBe(true);
      }
    }
  });

  it("the kernels work in place and into a separate output, and leave the bytes after n alone", () => {
    const w = getWasmUnary()!;
    expect(w.reserve(64 + 4096)).toBe(true);
    for (const n of [1, 3, 4, 6, 11]) {
      for (const op of Object.keys(OPS) as Op[]) {
        const f32 = w.f32;
        f32.set(base.subarray(0, n), 16);
        f32.fill(42, 512, 512 + n + 8);
        w.exports[op](64, 2048, n); // separate output
        expect(Array.from(f32.subarray(512, 512 + n))).toEqual(Array.from(whole[op].subarray(0, n)));
        expect(Array.from(f32.subarray(512 + n, 512 + n + 8))).toEqual(new Array(8).fill(42));
        w.exports[op](64, 64, n); // in place
        expect(Array.from(f32.subarray(16, 16 + n))).toEqual(Array.from(whole[op].subarray(0, n)));
      }
    }
  });

  it("views with an offset use the kernels; non-contiguous views, float64 and broadcasting use the loops", () => {
    const m = new NDArray(base.slice(0, 6000), [60, 100]);
    // rows 5..44 of m: contiguous with an offset, so the kernels run on that range
    const rows = m.narrow(0, 5, 40);
    expect(rows.isContiguous()).toBe(true);
    for (const op of Object.keys(OPS) as Op[]) {
      const out = using("wasm", () => OPS[op](rows));
      expect(out.shape).toEqual([40, 100]);
      expect(Array.from(out.data as Float32Array)).toEqual(Array.from(whole[op].subarray(500, 4500)));
    }
    const t = m.transpose(0, 1);
    for (const op of Object.keys(OPS) as Op[]) {
      const js = using("js", () => OPS[op](t));
      const wasm = using("wasm", () => OPS[op](t));
      expect(wasm.shape).toEqual([100, 60]);
      expect(Array.from(wasm.data as Float32Array)).toEqual(Array.from(js.data as Float32Array));
    }
    const f64 = randn([300], { rng, dtype: "float64" });
    for (const op of Object.keys(OPS) as Op[]) {
      const out = using("wasm", () => OPS[op](f64));
      expect(out.dtype).toBe("float64");
      expect(Array.from(out.data as Float64Array)).toEqual(Array.from(using("js", () => OPS[op](f64)).data));
    }
    // broadcasting grad (one row) against x: the loop, in float32 within 1 ulp of the float64 value
    const x = new NDArray(base.slice(0, 600), [6, 100]);
    const grow = new NDArray(g.slice(0, 100), [100]);
    const out = using("wasm", () => geluBackward(grow, x));
    expect(out.shape).toEqual([6, 100]);
    expect(out.dtype).toBe("float32");
    const d = out.data as Float32Array;
    for (let i = 0; i < 600; i++) {
      const xv = base[i] as number;
      const want = Math.fround((g[i % 100] as number) * (Phi(xv) + xv * phi(xv)));
      expect(Math.abs(ordinal32(d[i] as number) - ordinal32(want))).toBeLessThanOrEqual(1);
    }
    expect(geluBackward(array([1, 2], { dtype: "float64" }), array([0, 0])).dtype).toBe("float64");
    expect(Array.from(geluBackward(array([1, 2]), array([0, 0])).data)).toEqual([0.5, 1]);
    expect(() => geluBackward(array([1, 2, 3]), array([0, 0]))).toThrow(ShapeError);
  });
});

describe("setUnaryKernelBackend", () => {
  it("switches and reports the backend, and rejects unknown names", () => {
    expect(getUnaryKernelBackend()).toBe("auto");
    setUnaryKernelBackend("js");
    expect(getUnaryKernelBackend()).toBe("js");
    if (simd) {
      setUnaryKernelBackend("wasm");
      expect(getUnaryKernelBackend()).toBe("wasm");
    }
    setUnaryKernelBackend("auto");
    expect(() => setUnaryKernelBackend("simd" as never)).toThrow(ArgumentError);
    expect(() => setUnaryKernelBackend("simd" as never)).toThrow(/setUnaryKernelBackend: unknown backend "simd"/);
    expect(getUnaryKernelBackend()).toBe("auto");
  });

  it.runIf(simd)("auto uses the loops below UNARY_WASM_MIN elements and the kernels from there", () => {
    const rng = new Rng(3);
    for (const n of [UNARY_WASM_MIN - 1, UNARY_WASM_MIN]) {
      const x = randn([n], { rng });
      for (const op of Object.keys(OPS) as Op[]) {
        const auto = Array.from(OPS[op](x).data);
        const expected = Array.from(using(n < UNARY_WASM_MIN ? "js" : "wasm", () => OPS[op](x)).data);
        expect(auto).toEqual(expected);
      }
    }
  });

  it.runIf(simd)("wasm and js agree: exp, tanh, sigmoid within 2 ulp, gelu within 8", () => {
    const rng = new Rng(5);
    const x = randn([50_000], { rng });
    (x.data as Float32Array).forEach((v, i, a) => {
      a[i] = v * 5;
    });
    const tolerance: Record<Op, number> = { exp: 2, tanh: 2, sigmoid: 2, gelu: 8 };
    for (const op of Object.keys(OPS) as Op[]) {
      const js = using("js", () => OPS[op](x).data as Float32Array);
      const wasm = using("wasm", () => OPS[op](x).data as Float32Array);
      let worst = 0;
      for (let i = 0; i < js.length; i++) {
        worst = Math.max(worst, Math.abs(ordinal32(js[i] as number) - ordinal32(wasm[i] as number)));
      }
      expect(worst, op).toBeLessThanOrEqual(tolerance[op]);
    }
  });
});
