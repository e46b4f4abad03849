/**
 * The WebAssembly SIMD binary float32 kernels (src/wasm/binary.wat): add, sub, mul, div, addInPlace and
 * tanhBackward must be bitwise the TypeScript loops (NaN results: NaN on both, sign and payload left
 * open) over random data mixed with NaN, ±inf, ±0, subnormals, huge and tiny values; for every
 * layout the wasm path takes (same shape, a scalar on either side, row, column and per-channel
 * broadcasts in either operand position, periods longer than a chunk) at sizes around the vector,
 * tail and chunk edges; offsets, aliasing and the layouts left to the loops; the expand helper; the
 * backend switch and threshold; the embedded bytes.
 */
import { afterEach, describe, expect, it } from "vitest";
import { assembleBinaryKernels } from "../scripts/build-wasm.mjs";
import {
  add,
  addInPlace,
  array,
  BINARY_WASM_MIN,
  div,
  mapBinary,
  mul,
  NDArray,
  ShapeError,
  setUnaryKernelBackend,
  sub,
  tanhBackward,
  type UnaryKernelBackend,
} from "../src/index.js";
import { binaryWasmBytes, getWasmBinary } from "../src/wasm/binary.js";
import { BINARY_WASM_BASE64 } from "../src/wasm/kernels.generated.js";
import { UNARY_CHUNK } from "../src/wasm/unary.js";
import { withBackend } from "./helpers.js";

afterEach(() => setUnaryKernelBackend("auto"));

/** Runs `fn` with the kernels forced to `backend`. */
const using = <T>(backend: UnaryKernelBackend, fn: () => T): T => withBackend(setUnaryKernelBackend, backend, fn);

const simd = getWasmBinary() !== null;

/** A small deterministic generator (xorshift32), independent of the package's Rng. */
function prng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 2 ** 32;
  };
}

const SPECIAL = [
  Number.NaN,
  Infinity,
  -Infinity,
  0,
  -0,
  1,
  -1,
  3.4028234663852886e38,
  -3.4028234663852886e38,
  1.1754943508222875e-38,
  1e-45,
  -1e-45,
  0.5,
  2,
];

/**
 * n float32 values: mostly ordinary numbers, with NaN, ±inf, ±0, subnormals, values whose products
 * overflow or underflow, values next to ±1 (where 1 − y² cancels) and arbitrary bit patterns mixed in.
 */
function data(n: number, seed: number): Float32Array {
  const r = prng(seed);
  const out = new Float32Array(n);
  const bits = new Uint32Array(out.buffer);
  for (let i = 0; i < n; i++) {
    const u = r();
    const sign = r() < 0.5 ? -1 : 1;
    if (u < 0.45) out[i] = (r() - 0.5) * 8;
    else if (u < 0.55)
      bits[i] = (r() * 2 ** 32) >>> 0; // anything, NaN payloads included
    else if (u < 0.65)
      bits[i] = ((r() * 0x7fffff) >>> 0) | (r() < 0.5 ? 0x80000000 : 0); // subnormal
    else if (u < 0.72) out[i] = SPECIAL[Math.floor(r() * SPECIAL.length)] as number;
    else if (u < 0.8)
      out[i] = sign * 2 ** (100 + r() * 27); // huge
    else if (u < 0.88)
      out[i] = sign * 2 ** (-126 - r() * 20); // tiny
    else out[i] = sign * (1 - r() * 2 ** -(r() * 24)); // next to ±1
  }
  return out;
}

/** Bitwise equality of two float32 arrays, NaN matching any NaN; the first difference otherwise. */
function firstDifference(a: Float32Array, b: Float32Array): string | null {
  if (a.length !== b.length) return `lengths ${a.length} and ${b.length}`;
  const ab = new Uint32Array(a.buffer, a.byteOffset, a.length);
  const bb = new Uint32Array(b.buffer, b.byteOffset, b.length);
  for (let i = 0; i < a.length; i++) {
    if (ab[i] !== bb[i] && !(Number.isNaN(a[i]) && Number.isNaN(b[i]))) return `index ${i}: ${a[i]} vs ${b[i]}`;
  }
  return null;
}

/** Expects `fn()` to give the same float32 array (shape and bits) under both backends. */
function agree(what: string, fn: () => NDArray): void {
  const js = using("js", fn);
  const wasm = using("wasm", fn);
  expect(wasm.shape, what).toEqual(js.shape);
  expect(wasm.dtype, what).toBe(js.dtype);
  expect(firstDifference(wasm.data as Float32Array, js.data as Float32Array), what).toBeNull();
}

/** Counts the stagings in the shared wasm memory during `fn`: 0 means the loops ran. */
function stagings(fn: () => unknown): number {
  const heap = getWasmBinary()?.heap;
  const before = heap?.generation ?? 0;
  fn();
  return (heap?.generation ?? 0) - before;
}

const OPS = { add, sub, mul, div } as const;
type Op = keyof typeof OPS;
const f32 = (values: Float32Array, shape: number[]) => new NDArray(values, shape);

describe("binary kernel bytes", () => {
  it("match a fresh assembly of src/wasm/binary.wat (run `pnpm --filter @typegrad/tensor build:wasm` if not)", async () => {
    const fresh = await assembleBinaryKernels();
    expect(Object.keys(fresh)).toEqual(["binary"]);
    expect(Buffer.from(binaryWasmBytes()).equals(Buffer.from(fresh.binary as Uint8Array))).toBe(true);
    expect(Buffer.from(binaryWasmBytes()).toString("base64")).toBe(BINARY_WASM_BASE64);
  });

  it("are a valid module importing one memory and exporting the six kernels", () => {
    const module = new WebAssembly.Module(binaryWasmBytes());
    expect(WebAssembly.Module.imports(module)).toEqual([{ module: "env", name: "memory", kind: "memory" }]);
    expect(
      WebAssembly.Module.exports(module)
        .map((e) => `${e.kind}:${e.name}`)
        .sort(),
    ).toEqual([
      "function:add",
      "function:div",
      "function:expand",
      "function:mul",
      "function:sub",
      "function:tanh_backward",
    ]);
  });
});

describe.runIf(simd)("binary kernels are bitwise the loops", () => {
  const SIZES = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 63, 64, 65, 4095, 4096, 4097, 16383, 16384, 16385, 1 << 20];

  it("same shape, every size around the vector, tail and chunk edges, and 1M", () => {
    for (const n of SIZES) {
      const a = f32(data(n, n + 1), [n]);
      const b = f32(data(n, n + 2), [n]);
      for (const op of Object.keys(OPS) as Op[]) agree(`${op} n=${n}`, () => OPS[op](a, b));
    }
  });

  it("and both are correctly rounded float32 arithmetic (checked against Math.fround of the float64 op)", () => {
    const n = 50_000;
    const a = data(n, 11);
    const b = data(n, 12);
    const ref: Record<Op, (x: number, y: number) => number> = {
      add: (x, y) => x + y,
      sub: (x, y) => x - y,
      mul: (x, y) => x * y,
      div: (x, y) => x / y,
    };
    for (const op of Object.keys(OPS) as Op[]) {
      const want = Float32Array.from(a, (x, i) => Math.fround(ref[op](x, b[i] as number)));
      const got = using("wasm", () => OPS[op](f32(a, [n]), f32(b, [n])).data as Float32Array);
      expect(firstDifference(got, want), op).toBeNull();
    }
  });

  it("a scalar on either side: a number, a 0-d array, a one-element array, an expanded scalar", () => {
    for (const n of [1, 5, 64, 4097, 16385, 100_003]) {
      const a = f32(data(n, 3 * n), [n]);
      for (const s of [2.5, -0, Number.NaN, Infinity, 1e-45, 3e38, 0.1]) {
        const zeroD = array(s, { dtype: "float32" });
        const one = array([s], { dtype: "float32" });
        const expanded = one.expand([n]);
        for (const op of Object.keys(OPS) as Op[]) {
          const fn = OPS[op];
          agree(`${op}(a, ${s}) n=${n}`, () => fn(a, s));
          agree(`${op}(${s}, a) n=${n}`, () => fn(s, a));
          agree(`${op}(a, 0-d) n=${n}`, () => fn(a, zeroD));
          agree(`${op}(0-d, a) n=${n}`, () => fn(zeroD, a));
          agree(`${op}(a, [1]) n=${n}`, () => fn(a, one));
          agree(`${op}(expanded, a) n=${n}`, () => fn(expanded, a));
        }
      }
    }
  });

  it("row broadcast (b is the trailing dims) with odd widths, b on either side, periods beyond a chunk", () => {
    const shapes: [number, number][] = [
      [1, 1],
      [7, 1],
      [9, 3],
      [33, 7],
      [64, 37],
      [5, 1023],
      [40, 1024],
      [3, 16383],
      [2, 16385],
      [4, 20_001],
    ];
    for (const [rows, cols] of shapes) {
      const a = f32(data(rows * cols, rows + cols), [rows, cols]);
      const b = f32(data(cols, cols), [cols]);
      const b2 = b.reshape([1, cols]);
      for (const op of Object.keys(OPS) as Op[]) {
        agree(`${op} (${rows},${cols}) op (${cols})`, () => OPS[op](a, b));
        agree(`${op} (${cols}) op (${rows},${cols})`, () => OPS[op](b, a));
        agree(`${op} (${rows},${cols}) op (1,${cols})`, () => OPS[op](a, b2));
      }
    }
    // a 3-d operand against its last two dims
    const a3 = f32(data(6 * 5 * 7, 1), [6, 5, 7]);
    const b3 = f32(data(35, 2), [5, 7]);
    for (const op of Object.keys(OPS) as Op[]) agree(`${op} (6,5,7) op (5,7)`, () => OPS[op](b3, a3));
  });

  it("column broadcast (one value per row) and per-channel broadcast, either side, long and short runs", () => {
    const cases: [number[], number[]][] = [
      [
        [9, 3],
        [9, 1],
      ],
      [
        [33, 5],
        [33, 1],
      ],
      [
        [100, 1],
        [100, 1],
      ],
      [
        [64, 37],
        [64, 1],
      ],
      [
        [3, 20_001],
        [3, 1],
      ], // runs longer than a chunk
      [
        [20_000, 3],
        [20_000, 1],
      ], // period longer than a chunk, short runs
      [
        [4, 8, 9],
        [8, 1],
      ], // per channel
      [
        [2, 3, 5000, 7],
        [5000, 1],
      ], // period 35,000 > a chunk: the pattern wraps inside chunks
      [
        [5, 7, 11],
        [7, 1],
      ],
      [
        [6, 1, 4],
        [6, 1, 1],
      ],
    ];
    for (const [sa, sb] of cases) {
      const na = sa.reduce((p, d) => p * d, 1);
      const nb = sb.reduce((p, d) => p * d, 1);
      const a = f32(data(na, na), sa);
      const b = f32(data(nb, nb + 7), sb);
      for (const op of Object.keys(OPS) as Op[]) {
        agree(`${op} [${sa}] op [${sb}]`, () => OPS[op](a, b));
        agree(`${op} [${sb}] op [${sa}]`, () => OPS[op](b, a));
      }
    }
  });

  it("contiguous views with offsets take the kernels; transposed, outer-product and mixed-dtype layouts the loops", () => {
    const base = data(120 * 70, 5);
    const m = f32(base, [120, 70]);
    const rows = m.narrow(0, 10, 100); // contiguous, offset 700
    const other = m.narrow(0, 3, 100);
    const row = m.narrow(0, 7, 1).reshape([70]);
    for (const op of Object.keys(OPS) as Op[]) {
      expect(stagings(() => using("wasm", () => OPS[op](rows, other)))).toBeGreaterThan(0);
      agree(`${op} offset views`, () => OPS[op](rows, other));
      agree(`${op} offset row`, () => OPS[op](rows, row));
      const t = m.transpose(0, 1);
      expect(stagings(() => using("wasm", () => OPS[op](t, t.contiguous())))).toBe(0);
      agree(`${op} transposed`, () => OPS[op](t, t.contiguous()));
      const col = m.narrow(1, 0, 1); // (120, 1), strided
      const line = m.narrow(0, 0, 1); // (1, 70)
      expect(stagings(() => using("wasm", () => OPS[op](col, line)))).toBe(0);
      agree(`${op} outer`, () => OPS[op](col, line));
    }
    // float64 or int operands keep to the loops (and their own result dtypes)
    const f64 = array([1, 2, 3], { dtype: "float64" });
    expect(stagings(() => using("wasm", () => add(f64, array([1, 1, 1]))))).toBe(0);
    expect(using("wasm", () => add(f64, 1)).dtype).toBe("float64");
    expect(using("wasm", () => div(array([1, 2], { dtype: "int32" }), 2)).dtype).toBe("float32");
    expect(Array.from(using("wasm", () => add(array([1, 2]), true)).data)).toEqual([2, 3]);
    expect(() => using("wasm", () => add(f32(data(64, 1), [64]), f32(data(63, 1), [63])))).toThrow(ShapeError);
  });
});

describe.runIf(simd)("addInPlace on the kernels", () => {
  /** addInPlace(dst, src) on copies under both backends: the final dst arrays must agree bitwise. */
  function agreeInPlace(what: string, make: () => [NDArray, NDArray]): void {
    const run = (backend: UnaryKernelBackend) => {
      const [dst, src] = make();
      using(backend, () => addInPlace(dst, src));
      return dst.data as Float32Array;
    };
    expect(firstDifference(run("wasm"), run("js")), what).toBeNull();
  }

  it("same shape at every edge size, and broadcast sources", () => {
    for (const n of [1, 3, 8, 9, 64, 4097, 16385, 1 << 20]) {
      const d = data(n, n);
      const s = data(n, n + 1);
      agreeInPlace(`n=${n}`, () => [f32(d.slice(), [n]), f32(s, [n])]);
      expect(stagings(() => using("wasm", () => addInPlace(f32(d.slice(), [n]), f32(s, [n]))))).toBeGreaterThan(0);
    }
    const d = data(300 * 37, 1);
    const row = data(37, 2);
    const col = data(300, 3);
    agreeInPlace("row", () => [f32(d.slice(), [300, 37]), f32(row, [37])]);
    agreeInPlace("column", () => [f32(d.slice(), [300, 37]), f32(col, [300, 1])]);
    agreeInPlace("scalar", () => [f32(d.slice(), [300, 37]), array(1.5, { dtype: "float32" })]);
  });

  it("aliasing: x += x and overlapping views of one buffer give the loop's result", () => {
    const n = 5000;
    const base = data(n + 16, 9);
    // the same elements: reads come before writes in both
    agreeInPlace("x += x", () => {
      const x = f32(base.slice(0, n), [n]);
      return [x, x];
    });
    // shifted windows of one buffer, either direction, and an expanded element of dst itself
    for (const [d0, s0] of [
      [0, 1],
      [1, 0],
      [0, 4],
      [7, 3],
      [0, 16],
    ] as const) {
      agreeInPlace(`dst at ${d0}, src at ${s0}`, () => {
        const buf = base.slice();
        return [new NDArray(buf, [n], [1], d0), new NDArray(buf, [n], [1], s0)];
      });
    }
    agreeInPlace("src = an element of dst, expanded", () => {
      const buf = base.slice();
      return [new NDArray(buf, [n], [1], 0), new NDArray(buf, [n], [0], 10)];
    });
    agreeInPlace("a row of dst as the source", () => {
      const buf = base.slice(0, 50 * 100);
      return [new NDArray(buf, [50, 100]), new NDArray(buf, [100], [1], 300)];
    });
    // disjoint windows of one buffer still take the kernels
    const buf = base.slice();
    const dst = new NDArray(buf, [2000], [1], 0);
    const src = new NDArray(buf, [2000], [1], 3000);
    expect(stagings(() => using("wasm", () => addInPlace(dst, src)))).toBeGreaterThan(0);
  });
});

describe.runIf(simd)("tanhBackward", () => {
  /** The autograd tanh op's fused backward, as written there. */
  const fusedLoop = (g: NDArray, y: NDArray) => mapBinary("tanh backward", g, y, (gv, yv) => gv * (1 - yv * yv));

  it("is bitwise the autograd fused loop g·(1 − y·y): full and scalar gradients, every edge size", () => {
    for (const n of [0, 1, 2, 3, 4, 5, 7, 8, 9, 63, 64, 65, 4097, 16383, 16385, 1 << 20]) {
      const y = f32(data(n, n + 5), [n]);
      const g = f32(data(n, n + 6), [n]);
      const want = fusedLoop(g, y).data as Float32Array;
      const got = using("wasm", () => tanhBackward(g, y));
      expect(got.dtype).toBe("float32");
      expect(firstDifference(got.data as Float32Array, want), `n=${n}`).toBeNull();
      agree(`n=${n}`, () => tanhBackward(g, y));
      // the upstream gradient of a sum: one element, expanded
      const gs = array([0.75], { dtype: "float32" }).expand([n]);
      expect(
        firstDifference(
          using("wasm", () => tanhBackward(gs, y)).data as Float32Array,
          fusedLoop(gs, y).data as Float32Array,
        ),
      ).toBeNull();
    }
  });

  it("rounds the float64 expression once to float32 (values next to ±1, subnormal and overflowing results)", () => {
    const y = Float32Array.of(
      1 - 2 ** -24,
      -(1 - 2 ** -24),
      1 + 2 ** -23,
      1e-20,
      2 ** 70,
      0.9999,
      Number.NaN,
      Infinity,
    );
    const g = Float32Array.of(1e-40, 3, 3e38, 1, 1e-3, 1e30, 1, 0);
    const got = using("wasm", () => tanhBackward(f32(g, [8]), f32(y, [8])).data as Float32Array);
    for (let i = 0; i < 8; i++) {
      const want = Math.fround((g[i] as number) * (1 - (y[i] as number) * (y[i] as number)));
      expect(Object.is(got[i], want) || (Number.isNaN(got[i]) && Number.isNaN(want)), `i=${i}`).toBe(true);
    }
  });

  it("broadcasts, keeps float64 and mixed dtypes on the loop, and checks shapes", () => {
    const y = f32(data(300 * 7, 1), [300, 7]);
    const grow = f32(data(7, 2), [7]);
    agree("row gradient", () => tanhBackward(grow, y));
    agree("row output", () => tanhBackward(y, grow));
    const y64 = array([0.5, -0.25], { dtype: "float64" });
    expect(tanhBackward(array([1, 2], { dtype: "float64" }), y64).dtype).toBe("float64");
    expect(Array.from(tanhBackward(array([1, 2]), y64).data)).toEqual([0.75, 2 * (1 - 0.0625)]);
    expect(Array.from(tanhBackward(array([1, 2]), array([0, 0.5])).data)).toEqual([1, 1.5]);
    expect(() => tanhBackward(array([1, 2, 3]), array([0, 0]))).toThrow(ShapeError);
  });
});

describe.runIf(simd)("expand (broadcast layout helper)", () => {
  it("repeats each value `inner` times from a phase, exactly over len floats", () => {
    const w = getWasmBinary()!;
    expect(w.heap.reserve(1 << 16)).toBe(true);
    const r = prng(4);
    for (let t = 0; t < 300; t++) {
      const inner = 1 + Math.floor(r() * 20);
      const phase = Math.floor(r() * inner);
      const len = Math.floor(r() * 200);
      const count = Math.ceil((phase + len) / inner);
      const mem = w.heap.f32;
      const src = Float32Array.from({ length: count }, (_, i) => i + 1);
      mem.set(src, 16);
      w.exports.expand(64, 4096, len, inner, phase);
      const got = Array.from(mem.subarray(1024, 1024 + len));
      const want = Array.from({ length: len }, (_, j) => Math.floor((j + phase) / inner) + 1);
      expect(got, `inner ${inner} phase ${phase} len ${len}`).toEqual(want);
    }
  });
});

describe("backend switch", () => {
  it.runIf(simd)("js never stages; auto from BINARY_WASM_MIN elements; wasm from one", () => {
    for (const n of [1, BINARY_WASM_MIN - 1, BINARY_WASM_MIN, UNARY_CHUNK + 1]) {
      const a = f32(data(n, 1), [n]);
      const b = f32(data(n, 2), [n]);
      const used = (backend: UnaryKernelBackend) =>
        stagings(() =>
          using(backend, () => {
            add(a, b);
            mul(a, 2);
            addInPlace(a.clone(), b);
            tanhBackward(a, b);
          }),
        );
      expect(used("js"), `js n=${n}`).toBe(0);
      expect(used("wasm"), `wasm n=${n}`).toBe(4);
      expect(used("auto"), `auto n=${n}`).toBe(n < BINARY_WASM_MIN ? 0 : 4);
    }
  });

  it("an empty result never stages", () => {
    expect(
      stagings(() =>
        using(simd ? "wasm" : "js", () => add(f32(new Float32Array(0), [0, 3]), f32(new Float32Array(3), [3]))),
      ),
    ).toBe(0);
  });
});
