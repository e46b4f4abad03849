/**
 * The WebAssembly SIMD Adam / AdamW update (src/wasm/optim.wat) against the TypeScript loop of
 * kernels/optim.ts: bitwise equal p, m, v (and amsgrad's running max) over several steps, for plain
 * Adam, L2 weight decay, AdamW, maximize and amsgrad, odd lengths and chunk boundaries, special values
 * and the step where bc2Sqrt becomes 1; plus argument checks, the backend switch and the embedded bytes.
 */
import { afterEach, describe, expect, it } from "vitest";
import { assembleNormOptimKernels } from "../scripts/build-wasm.mjs";
import {
  ADAM_WASM_MIN,
  type AdamUpdateOptions,
  ArgumentError,
  adamUpdate,
  getOptimizerKernelBackend,
  type OptimizerKernelBackend,
  Rng,
  ShapeError,
  setOptimizerKernelBackend,
} from "../src/index.js";
import { OPTIM_WASM_BASE64 } from "../src/wasm/kernels.generated.js";
import { getWasmOptim, optimWasmBytes } from "../src/wasm/optim.js";

afterEach(() => setOptimizerKernelBackend("auto"));

/** Equal value by value, -0 distinct from 0, NaN equal to NaN. */
function expectSame(a: ArrayLike<number>, b: ArrayLike<number>, what: string): void {
  expect(a.length).toBe(b.length);
  for (let i = 0; i < a.length; i++) {
    const x = a[i] as number;
    const y = b[i] as number;
    if (!(Object.is(x, y) || (Number.isNaN(x) && Number.isNaN(y)))) {
      throw new Error(`${what} differs at ${i}: ${x} vs ${y}`);
    }
  }
}

interface State {
  p: Float32Array;
  g: Float32Array;
  m: Float32Array;
  v: Float32Array;
  vmax: Float32Array | null;
}

function state(rng: Rng, n: number, amsgrad: boolean): State {
  const normal = () => Float32Array.from({ length: n }, () => rng.normal());
  return {
    p: normal(),
    g: normal(),
    m: new Float32Array(n),
    v: new Float32Array(n),
    vmax: amsgrad ? new Float32Array(n) : null,
  };
}

function clone(s: State): State {
  return { p: s.p.slice(), g: s.g.slice(), m: s.m.slice(), v: s.v.slice(), vmax: s.vmax ? s.vmax.slice() : null };
}

/** Runs `steps` updates from `first` under `backend`, with a fresh gradient each step; returns the state. */
function run(
  backend: OptimizerKernelBackend,
  s0: State,
  opts: Omit<AdamUpdateOptions, "step" | "maxExpAvgSq">,
  steps: number,
  first = 1,
  gradients?: Float32Array[],
): State {
  const s = clone(s0);
  setOptimizerKernelBackend(backend);
  try {
    for (let k = 0; k < steps; k++) {
      if (gradients) s.g.set(gradients[k] as Float32Array);
      adamUpdate(s.p, s.g, s.m, s.v, { ...opts, step: first + k, maxExpAvgSq: s.vmax });
    }
  } finally {
    setOptimizerKernelBackend("auto");
  }
  return s;
}

function compare(s0: State, opts: Omit<AdamUpdateOptions, "step" | "maxExpAvgSq">, steps: number, rng: Rng, first = 1) {
  const gradients = Array.from({ length: steps }, () =>
    Float32Array.from({ length: s0.p.length }, () => rng.normal() * 0.1),
  );
  const js = run("js", s0, opts, steps, first, gradients);
  const wasm = run("wasm", s0, opts, steps, first, gradients);
  expectSame(wasm.p, js.p, "p");
  expectSame(wasm.m, js.m, "m");
  expectSame(wasm.v, js.v, "v");
  if (js.vmax) expectSame(wasm.vmax as Float32Array, js.vmax, "vmax");
  return { js, wasm };
}

const CONFIGS: [string, Omit<AdamUpdateOptions, "step" | "maxExpAvgSq">, boolean][] = [
  ["Adam", { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8 }, false],
  ["Adam + L2", { lr: 3e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.05 }, false],
  ["AdamW", { lr: 1e-2, beta1: 0.8, beta2: 0.95, eps: 1e-6, weightDecay: 0.1, decoupled: true }, false],
  ["Adam maximize", { lr: 1e-3, beta1: 0.9, beta2: 0.99, eps: 1e-8, maximize: true }, false],
  [
    "AdamW maximize amsgrad",
    { lr: 2e-3, beta1: 0.5, beta2: 0.9, eps: 1e-7, weightDecay: 0.3, decoupled: true, maximize: true },
    true,
  ],
  ["Adam + L2 amsgrad", { lr: 1e-1, beta1: 0.9, beta2: 0.999, eps: 0, weightDecay: 1e-4 }, true],
];

const bytesOk = getWasmOptim() !== null;

describe("optimizer kernel bytes", () => {
  it("match a fresh assembly of src/wasm/optim.wat (run `pnpm --filter @typegrad/tensor build:wasm` if not)", async () => {
    const fresh = await assembleNormOptimKernels();
    expect(Buffer.from(optimWasmBytes()).equals(Buffer.from(fresh.optim as Uint8Array))).toBe(true);
    expect(Buffer.from(optimWasmBytes()).toString("base64")).toBe(OPTIM_WASM_BASE64);
  });

  it("are a valid module importing one memory and exporting adam", () => {
    const module = new WebAssembly.Module(optimWasmBytes());
    expect(WebAssembly.Module.imports(module)).toEqual([{ module: "env", name: "memory", kind: "memory" }]);
    expect(WebAssembly.Module.exports(module).map((e) => `${e.kind}:${e.name}`)).toEqual(["function:adam"]);
  });
});

describe.runIf(bytesOk)("wasm Adam update is bitwise the loop's", () => {
  it.each(CONFIGS)("%s over 6 steps and many lengths", (_, opts, amsgrad) => {
    const rng = new Rng(21);
    for (const n of [1, 2, 3, 4, 5, 6, 7, 8, 9, 31, 32, 33, 1000, 4095, 4096, 4097, 3 * 4096 + 5]) {
      compare(state(rng, n, amsgrad), opts, 6, rng);
    }
  });

  it.each(CONFIGS)("%s with special values (NaN, ±inf, ±0, huge and tiny)", (_, opts, amsgrad) => {
    const rng = new Rng(22);
    const s = state(rng, 64, amsgrad);
    const special = [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 0, -0, 3e38, -3e38, 1e-45, 1e-30];
    special.forEach((x, i) => {
      s.g[i] = x;
      s.p[20 + i] = x;
      s.m[40 + i] = x;
      s.v[50 + i] = Math.abs(x);
      if (s.vmax) s.vmax[10 + i] = Math.abs(x);
    });
    const js = run("js", s, opts, 3);
    const wasm = run("wasm", s, opts, 3);
    expectSame(wasm.p, js.p, "p");
    expectSame(wasm.m, js.m, "m");
    expectSame(wasm.v, js.v, "v");
    if (js.vmax) expectSame(wasm.vmax as Float32Array, js.vmax, "vmax");
  });

  it("late steps, where 1 - beta2^t rounds to 1 (the kernel skips dividing by 1)", () => {
    const rng = new Rng(23);
    const opts = { lr: 1e-3, beta1: 0.9, beta2: 0.95, eps: 1e-8, weightDecay: 0.01, decoupled: true };
    expect(Math.sqrt(1 - 0.95 ** 5000)).toBe(1);
    compare(state(rng, 777, false), opts, 3, rng, 5000);
    compare(state(rng, 777, true), opts, 3, rng, 5000);
  });

  it("reads and writes subarrays in place, leaving the rest of the buffer alone", () => {
    const rng = new Rng(24);
    const buf = Float32Array.from({ length: 100 }, () => rng.normal());
    const before = buf.slice();
    const p = buf.subarray(10, 90);
    const g = Float32Array.from({ length: 80 }, () => rng.normal());
    const m = new Float32Array(80);
    const v = new Float32Array(80);
    const ref = { p: p.slice(), m: m.slice(), v: v.slice() };
    const opts = { lr: 1e-2, beta1: 0.9, beta2: 0.999, eps: 1e-8, step: 1 };
    setOptimizerKernelBackend("js");
    adamUpdate(ref.p, g, ref.m, ref.v, opts);
    setOptimizerKernelBackend("wasm");
    adamUpdate(p, g, m, v, opts);
    expectSame(p, ref.p, "p");
    expectSame(buf.subarray(0, 10), before.subarray(0, 10), "head");
    expectSame(buf.subarray(90), before.subarray(90), "tail");
  });
});

describe("adamUpdate", () => {
  it("matches the documented example and computes float64 in the loop", () => {
    const p = new Float32Array([1, 2]);
    adamUpdate(p, new Float32Array([0.5, -0.5]), new Float32Array(2), new Float32Array(2), {
      lr: 0.1,
      beta1: 0.9,
      beta2: 0.999,
      eps: 1e-8,
      step: 1,
    });
    expect(p[0]).toBeCloseTo(0.9, 6);
    expect(p[1]).toBeCloseTo(2.1, 6);
    const p64 = new Float64Array([1]);
    const m64 = new Float64Array(1);
    const v64 = new Float64Array(1);
    adamUpdate(p64, new Float64Array([2]), m64, v64, { lr: 0.5, beta1: 0.9, beta2: 0.999, eps: 0, step: 1 });
    expect(p64[0]).toBe(0.5); // m̂/√v̂ = 1 exactly
    expect(m64[0]).toBeCloseTo(0.2, 15);
  });

  it("takes mixed dtypes (the loop) and integer gradients", () => {
    const p = new Float32Array([1, -1, 0.5]);
    const p2 = p.slice();
    const g64 = new Float64Array([0.25, 0.5, -2]);
    const opts = { lr: 0.01, beta1: 0.9, beta2: 0.999, eps: 1e-8, step: 1 };
    adamUpdate(p, g64, new Float32Array(3), new Float32Array(3), opts);
    setOptimizerKernelBackend("js");
    adamUpdate(p2, new Float32Array(g64), new Float32Array(3), new Float32Array(3), opts);
    expectSame(p, p2, "p"); // the gradients are float32 values either way
    const q = new Float64Array([0, 0]);
    adamUpdate(q, new Int32Array([1, -1]), new Float64Array(2), new Float64Array(2), opts);
    expect(q[0]).toBeCloseTo(-0.01, 9);
    expect(q[1]).toBeCloseTo(0.01, 9);
  });

  it("rejects bad arrays and options, naming itself and the argument", () => {
    const a = () => new Float32Array(3);
    const opts = { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, step: 1 };
    expect(() => adamUpdate([1, 2, 3] as never, a(), a(), a(), opts)).toThrow(ArgumentError);
    expect(() => adamUpdate(a(), a(), new Int32Array(3) as never, a(), opts)).toThrow(/adamUpdate: m must be/);
    expect(() => adamUpdate(a(), "g" as never, a(), a(), opts)).toThrow(/adamUpdate: g must be a typed array/);
    expect(() => adamUpdate(a(), a(), a(), new Float32Array(4), opts)).toThrow(ShapeError);
    expect(() => adamUpdate(a(), a(), a(), new Float32Array(4), opts)).toThrow(
      /adamUpdate: v has 4 elements but p has 3/,
    );
    expect(() => adamUpdate(a(), a(), a(), a(), { ...opts, step: 0 })).toThrow(
      /adamUpdate: step must be an integer >= 1/,
    );
    expect(() => adamUpdate(a(), a(), a(), a(), { ...opts, lr: Number.NaN })).toThrow(
      /adamUpdate: lr must be a number/,
    );
    expect(() => adamUpdate(a(), a(), a(), a(), { ...opts, maximize: 1 as never })).toThrow(/adamUpdate: maximize/);
    expect(() => adamUpdate(a(), a(), a(), a(), { ...opts, maxExpAvgSq: new Float32Array(2) })).toThrow(
      /adamUpdate: maxExpAvgSq has 2 elements/,
    );
    expect(() => adamUpdate(a(), a(), a(), a(), null as never)).toThrow(/adamUpdate: opts must be an options object/);
  });
});

describe("setOptimizerKernelBackend", () => {
  it("switches and reports the backend, and rejects unknown names", () => {
    expect(getOptimizerKernelBackend()).toBe("auto");
    setOptimizerKernelBackend("js");
    expect(getOptimizerKernelBackend()).toBe("js");
    expect(() => setOptimizerKernelBackend("gpu" as OptimizerKernelBackend)).toThrow(ArgumentError);
    expect(() => setOptimizerKernelBackend("gpu" as OptimizerKernelBackend)).toThrow(/unknown backend "gpu"/);
    expect(getOptimizerKernelBackend()).toBe("js");
  });

  it.runIf(bytesOk)("auto runs small parameters in the loop and large ones in wasm, with the same bits", () => {
    const rng = new Rng(25);
    for (const n of [ADAM_WASM_MIN - 1, ADAM_WASM_MIN, 5000]) {
      const s = state(rng, n, false);
      const opts = { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8 };
      const auto = run("auto", s, opts, 2);
      const js = run("js", s, opts, 2);
      expectSame(auto.p, js.p, "p");
    }
  });
});
