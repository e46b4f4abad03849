/**
 * Test helpers: a naive reference implementation on plain JS arrays (no strides, no typed arrays),
 * tolerance comparisons, and factories for non-contiguous views.
 *
 * The reference reads input values through `NDArray.get()` (per-element offset arithmetic), so it does
 * not share the `stridedOffsets` walk that every kernel uses.
 */
import { expect } from "vitest";
import { type DType, type NDArray, type NestedArray, Rng, rand, randint, randn } from "../src/index.js";

/** A plain row-major array: shape plus a JS number list. */
export interface Ref {
  shape: number[];
  data: number[];
}

export function sizeOf(shape: readonly number[]): number {
  return shape.reduce((p, d) => p * d, 1);
}

/** Row-major multi-index of flat position `i`. */
export function unravel(i: number, shape: readonly number[]): number[] {
  const idx = new Array<number>(shape.length).fill(0);
  for (let d = shape.length - 1; d >= 0; d--) {
    const n = shape[d] as number;
    idx[d] = i % n;
    i = Math.floor(i / n);
  }
  return idx;
}

/** Flat row-major position of a multi-index. */
export function ravel(idx: readonly number[], shape: readonly number[]): number {
  let p = 0;
  for (let d = 0; d < shape.length; d++) p = p * (shape[d] as number) + (idx[d] as number);
  return p;
}

/** Flattens nested arrays (booleans become 1/0). */
export function flat(v: NestedArray): number[] {
  if (Array.isArray(v)) return v.flatMap(flat);
  return [typeof v === "boolean" ? (v ? 1 : 0) : v];
}

/** The shape of a (rectangular) nested array. */
export function nestedShape(v: NestedArray): number[] {
  const shape: number[] = [];
  let p: NestedArray = v;
  while (Array.isArray(p)) {
    shape.push(p.length);
    p = p[0] as NestedArray;
  }
  return shape;
}

/** The values of `x` as a Ref, read one by one through `get()`. */
export function refOf(x: NDArray): Ref {
  const shape = x.shape.slice();
  const n = sizeOf(shape);
  const data = new Array<number>(n);
  for (let i = 0; i < n; i++) data[i] = x.get(...unravel(i, shape));
  return { shape, data };
}

/** A Ref from `toArray()` output. */
export function refFromNested(v: NestedArray): Ref {
  return { shape: nestedShape(v), data: flat(v) };
}

/** Nested JS arrays of a Ref (for readable failure output). */
export function toNested(r: Ref): NestedArray {
  if (r.shape.length === 0) return r.data[0] as number;
  let k = 0;
  const build = (d: number): NestedArray[] => {
    const out: NestedArray[] = [];
    for (let i = 0; i < (r.shape[d] as number); i++)
      out.push(d === r.shape.length - 1 ? (r.data[k++] as number) : build(d + 1));
    return out;
  };
  return build(0);
}

export interface Tol {
  atol?: number;
  rtol?: number;
}

export function tolFor(dtype: DType): Required<Tol> {
  return dtype === "float64" ? { atol: 1e-12, rtol: 1e-12 } : { atol: 1e-5, rtol: 1e-5 };
}

function close(a: number, b: number, tol: Required<Tol>): boolean {
  if (Number.isNaN(a) || Number.isNaN(b)) return Number.isNaN(a) && Number.isNaN(b);
  if (a === b) return true;
  if (!Number.isFinite(a) || !Number.isFinite(b)) return false;
  return Math.abs(a - b) <= tol.atol + tol.rtol * Math.abs(b);
}

/** Asserts same shape and elementwise closeness (NaN matches NaN, infinities must match exactly). */
export function expectClose(actual: NDArray | Ref, expected: NDArray | Ref | NestedArray, tol: Tol = {}): void {
  const t = { atol: tol.atol ?? 1e-6, rtol: tol.rtol ?? 1e-6 };
  const a = isRef(actual) ? actual : refFromNested(actual.toArray());
  const e = isRef(expected)
    ? expected
    : typeof expected === "object" && expected !== null && "shape" in expected && "get" in expected
      ? refFromNested((expected as NDArray).toArray())
      : refFromNested(expected as NestedArray);
  expect(a.shape, "shape").toEqual(e.shape);
  const bad: string[] = [];
  for (let i = 0; i < e.data.length; i++) {
    if (!close(a.data[i] as number, e.data[i] as number, t)) {
      bad.push(`[${unravel(i, e.shape).join(",")}]: got ${a.data[i]}, expected ${e.data[i]}`);
    }
  }
  expect(bad.slice(0, 5), `${bad.length} mismatches`).toEqual([]);
}

function isRef(v: unknown): v is Ref {
  return typeof v === "object" && v !== null && "data" in v && Array.isArray((v as Ref).data) && "shape" in v;
}

// ---------------------------------------------------------------------------------------------
// Naive reference kernels (plain loops over multi-indices).
// ---------------------------------------------------------------------------------------------

export function refMap(r: Ref, fn: (v: number) => number): Ref {
  return { shape: r.shape.slice(), data: r.data.map(fn) };
}

export function refBroadcastShape(a: readonly number[], b: readonly number[]): number[] {
  const n = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const da = i < n - a.length ? 1 : (a[i - (n - a.length)] as number);
    const db = i < n - b.length ? 1 : (b[i - (n - b.length)] as number);
    if (da !== db && da !== 1 && db !== 1) throw new Error(`ref: cannot broadcast ${a} and ${b}`);
    out.push(da === 1 ? db : da);
  }
  return out;
}

/** Value of `r` at an index of a (larger) broadcast shape. */
function atBroadcast(r: Ref, idx: readonly number[]): number {
  const lead = idx.length - r.shape.length;
  const own = r.shape.map((d, i) => (d === 1 ? 0 : (idx[i + lead] as number)));
  return r.data[ravel(own, r.shape)] as number;
}

export function refBinary(a: Ref, b: Ref, fn: (x: number, y: number) => number): Ref {
  const shape = refBroadcastShape(a.shape, b.shape);
  const data: number[] = [];
  for (let i = 0; i < sizeOf(shape); i++) {
    const idx = unravel(i, shape);
    data.push(fn(atBroadcast(a, idx), atBroadcast(b, idx)));
  }
  return { shape, data };
}

export function refWhere(c: Ref, a: Ref, b: Ref): Ref {
  const shape = refBroadcastShape(refBroadcastShape(c.shape, a.shape), b.shape);
  const data: number[] = [];
  for (let i = 0; i < sizeOf(shape); i++) {
    const idx = unravel(i, shape);
    data.push(atBroadcast(c, idx) ? atBroadcast(a, idx) : atBroadcast(b, idx));
  }
  return { shape, data };
}

export function scalarRef(v: number): Ref {
  return { shape: [], data: [v] };
}

/** Reduces `dims` (all when undefined) with `fn` over the values in row-major order. */
export function refReduce(
  r: Ref,
  dims: number | number[] | undefined,
  keepdim: boolean,
  fn: (vals: number[]) => number,
): Ref {
  const nd = r.shape.length;
  const list =
    dims === undefined
      ? r.shape.map((_, i) => i)
      : (typeof dims === "number" ? [dims] : dims).map((d) => (d < 0 ? d + nd : d));
  const red = new Set(list);
  const keptShape = r.shape.map((d, i) => (red.has(i) ? 1 : d));
  const groups = new Map<number, number[]>();
  for (let i = 0; i < r.data.length; i++) {
    const idx = unravel(i, r.shape).map((v, d) => (red.has(d) ? 0 : v));
    const key = ravel(idx, keptShape);
    const g = groups.get(key);
    if (g) g.push(r.data[i] as number);
    else groups.set(key, [r.data[i] as number]);
  }
  const data: number[] = [];
  for (let k = 0; k < sizeOf(keptShape); k++) data.push(fn(groups.get(k) ?? []));
  const shape = keepdim ? keptShape : r.shape.filter((_, i) => !red.has(i));
  return { shape, data };
}

export const rsum = (v: number[]): number => v.reduce((p, x) => p + x, 0);
export const rmean = (v: number[]): number => rsum(v) / v.length;
export const rvar =
  (correction: number) =>
  (v: number[]): number => {
    const m = rmean(v);
    return rsum(v.map((x) => (x - m) ** 2)) / (v.length - correction);
  };
export const rmax = (v: number[]): number => (v.some(Number.isNaN) ? Number.NaN : Math.max(...v));
export const rmin = (v: number[]): number => (v.some(Number.isNaN) ? Number.NaN : Math.min(...v));
export const rargmax = (v: number[]): number => v.indexOf(Math.max(...v));
export const rargmin = (v: number[]): number => v.indexOf(Math.min(...v));
export const rlogsumexp = (v: number[]): number => {
  const m = Math.max(...v);
  if (!Number.isFinite(m)) return m;
  return m + Math.log(rsum(v.map((x) => Math.exp(x - m))));
};

/** Applies `fn` to every 1-d lane along `dim`. */
export function refAlong(r: Ref, dim: number, fn: (lane: number[]) => number[]): Ref {
  const nd = r.shape.length;
  const d = dim < 0 ? dim + nd : dim;
  const out = new Array<number>(r.data.length).fill(Number.NaN);
  for (let i = 0; i < r.data.length; i++) {
    const idx = unravel(i, r.shape);
    if (idx[d] !== 0) continue;
    const positions: number[] = [];
    for (let j = 0; j < (r.shape[d] as number); j++) {
      const k = idx.slice();
      k[d] = j;
      positions.push(ravel(k, r.shape));
    }
    const res = fn(positions.map((p) => r.data[p] as number));
    positions.forEach((p, j) => {
      out[p] = res[j] as number;
    });
  }
  return { shape: r.shape.slice(), data: out };
}

export const rsoftmax = (lane: number[]): number[] => {
  const m = Math.max(...lane);
  const e = lane.map((x) => Math.exp(x - m));
  const s = rsum(e);
  return e.map((x) => x / s);
};
export const rlogSoftmax = (lane: number[]): number[] => {
  const l = rlogsumexp(lane);
  return lane.map((x) => x - l);
};

/** torch.matmul semantics with a plain triple loop per batch. */
export function refMatmul(a: Ref, b: Ref): Ref {
  const A = a.shape.length === 1 ? { shape: [1, ...a.shape], data: a.data } : a;
  const B = b.shape.length === 1 ? { shape: [...b.shape, 1], data: b.data } : b;
  const M = A.shape[A.shape.length - 2] as number;
  const K = A.shape[A.shape.length - 1] as number;
  const N = B.shape[B.shape.length - 1] as number;
  if (B.shape[B.shape.length - 2] !== K) throw new Error("ref matmul: not aligned");
  const batch = refBroadcastShape(A.shape.slice(0, -2), B.shape.slice(0, -2));
  const data: number[] = [];
  for (let bi = 0; bi < sizeOf(batch); bi++) {
    const bidx = unravel(bi, batch);
    const aBatch = A.shape.slice(0, -2);
    const bBatch = B.shape.slice(0, -2);
    const aLead = bidx.slice(bidx.length - aBatch.length).map((v, i) => (aBatch[i] === 1 ? 0 : v));
    const bLead = bidx.slice(bidx.length - bBatch.length).map((v, i) => (bBatch[i] === 1 ? 0 : v));
    for (let i = 0; i < M; i++) {
      for (let j = 0; j < N; j++) {
        let s = 0;
        for (let k = 0; k < K; k++) {
          s +=
            (A.data[ravel([...aLead, i, k], A.shape)] as number) * (B.data[ravel([...bLead, k, j], B.shape)] as number);
        }
        data.push(s);
      }
    }
  }
  let shape = [...batch, M, N];
  if (a.shape.length === 1) shape = shape.filter((_, i) => i !== shape.length - 2);
  if (b.shape.length === 1) shape = shape.slice(0, -1);
  return { shape, data };
}

function normDim(dim: number, nd: number): number {
  return dim < 0 ? dim + nd : dim;
}

export function refGather(x: Ref, dim: number, index: Ref): Ref {
  const d = normDim(dim, x.shape.length);
  const data = index.data.map((k, i) => {
    const idx = unravel(i, index.shape);
    idx[d] = k < 0 ? k + (x.shape[d] as number) : k;
    return x.data[ravel(idx, x.shape)] as number;
  });
  return { shape: index.shape.slice(), data };
}

export function refScatterAdd(x: Ref, dim: number, index: Ref, src: Ref): Ref {
  const d = normDim(dim, x.shape.length);
  const data = x.data.slice();
  index.data.forEach((k, i) => {
    const idx = unravel(i, index.shape);
    const s = src.data[ravel(idx, src.shape)] as number;
    idx[d] = k < 0 ? k + (x.shape[d] as number) : k;
    const p = ravel(idx, x.shape);
    data[p] = (data[p] as number) + s;
  });
  return { shape: x.shape.slice(), data };
}

export function refIndexSelect(x: Ref, dim: number, index: number[]): Ref {
  const d = normDim(dim, x.shape.length);
  const shape = x.shape.slice();
  shape[d] = index.length;
  const data: number[] = [];
  for (let i = 0; i < sizeOf(shape); i++) {
    const idx = unravel(i, shape);
    idx[d] = index[idx[d] as number] as number;
    data.push(x.data[ravel(idx, x.shape)] as number);
  }
  return { shape, data };
}

export function refIndexAdd(x: Ref, dim: number, index: number[], src: Ref): Ref {
  const d = normDim(dim, x.shape.length);
  const data = x.data.slice();
  for (let i = 0; i < src.data.length; i++) {
    const idx = unravel(i, src.shape);
    idx[d] = index[idx[d] as number] as number;
    const p = ravel(idx, x.shape);
    data[p] = (data[p] as number) + (src.data[i] as number);
  }
  return { shape: x.shape.slice(), data };
}

export function refCat(parts: Ref[], dim: number): Ref {
  const first = parts[0] as Ref;
  const d = normDim(dim, first.shape.length);
  const shape = first.shape.slice();
  shape[d] = rsum(parts.map((p) => p.shape[d] as number));
  const data: number[] = [];
  for (let i = 0; i < sizeOf(shape); i++) {
    const idx = unravel(i, shape);
    let k = idx[d] as number;
    let part = 0;
    while (k >= ((parts[part] as Ref).shape[d] as number)) k -= (parts[part++] as Ref).shape[d] as number;
    const p = parts[part] as Ref;
    idx[d] = k;
    data.push(p.data[ravel(idx, p.shape)] as number);
  }
  return { shape, data };
}

export function refStack(parts: Ref[], dim: number): Ref {
  const nd = (parts[0] as Ref).shape.length + 1;
  const d = normDim(dim, nd);
  return refCat(
    parts.map((p) => ({ shape: [...p.shape.slice(0, d), 1, ...p.shape.slice(d)], data: p.data })),
    d,
  );
}

/** Sums a broadcast Ref back to `shape`. */
export function refSumToShape(x: Ref, shape: number[]): Ref {
  const data = new Array<number>(sizeOf(shape)).fill(0);
  for (let i = 0; i < x.data.length; i++) {
    const idx = unravel(i, x.shape);
    const lead = idx.length - shape.length;
    const own = shape.map((d, j) => (d === 1 ? 0 : (idx[j + lead] as number)));
    const p = ravel(own, shape);
    data[p] = (data[p] as number) + (x.data[i] as number);
  }
  return { shape: shape.slice(), data };
}

// ---------------------------------------------------------------------------------------------
// Data factories.
// ---------------------------------------------------------------------------------------------

/** Values for tests: signed (roughly N(0,1) or ints in [-5, 5)) or strictly positive. */
export function gen(shape: number[], dtype: DType, seed: number, positive = false): NDArray {
  const rng = new Rng(seed);
  if (dtype === "int32") return randint(positive ? 1 : -5, positive ? 6 : 5, shape, { rng });
  if (dtype === "bool") return randint(0, 2, shape, { rng, dtype: "bool" });
  if (positive) return posArray(shape, dtype, rng);
  return randn(shape, { rng, dtype });
}

function posArray(shape: number[], dtype: DType, rng: Rng): NDArray {
  const r = rand(shape, { rng, dtype });
  for (let i = 0; i < r.data.length; i++) r.data[i] = 0.1 + 2 * (r.data[i] as number);
  return r;
}

/** A view with all dims reversed over a fresh buffer: non-contiguous for ndim >= 2 (sizes > 1). */
export function reversedView(shape: number[], dtype: DType, seed: number, positive = false): NDArray {
  const rev = shape.slice().reverse();
  const base = gen(rev, dtype, seed, positive);
  return base.permute(rev.map((_, i) => rev.length - 1 - i));
}

/** A non-contiguous int32 index tensor of `shape` with values in [0, high). */
export function ncIndex(shape: number[], high: number, seed: number): NDArray {
  const rev = shape.slice().reverse();
  const base = randint(0, high, rev, { rng: new Rng(seed) });
  return base.permute(rev.map((_, i) => rev.length - 1 - i));
}

/** A way to build a non-contiguous view of a target shape from a fresh base buffer. */
export interface Variant {
  name: string;
  base: number[];
  shape: number[];
  view: (b: NDArray) => NDArray;
}

export const VARIANTS_2D: Variant[] = [
  { name: "transposed", base: [5, 4], shape: [4, 5], view: (b) => b.transpose(0, 1) },
  { name: "narrowed", base: [6, 9], shape: [4, 5], view: (b) => b.narrow(0, 1, 4).narrow(1, 2, 5) },
  { name: "expanded cols (stride 0)", base: [4, 1], shape: [4, 5], view: (b) => b.expand(4, 5) },
  { name: "expanded rows (new dim)", base: [5], shape: [4, 5], view: (b) => b.expand(4, 5) },
  {
    name: "transposed+narrowed",
    base: [7, 6],
    shape: [4, 5],
    view: (b) => b.transpose(0, 1).narrow(0, 1, 4).narrow(1, 1, 5),
  },
];

export const VARIANTS_3D: Variant[] = [
  { name: "permuted 3-d", base: [5, 3, 4], shape: [3, 4, 5], view: (b) => b.permute(1, 2, 0) },
  {
    name: "permuted+narrowed 3-d",
    base: [4, 7, 3],
    shape: [3, 4, 5],
    view: (b) => b.permute(2, 0, 1).narrow(2, 1, 5),
  },
  { name: "expanded 3-d", base: [3, 1, 5], shape: [3, 4, 5], view: (b) => b.expand(3, 4, 5) },
];

export const VARIANTS: Variant[] = [...VARIANTS_2D, ...VARIANTS_3D];

/** Builds the variant's view over fresh data, checking it really is a non-contiguous view. */
export function makeVariant(v: Variant, dtype: DType, seed: number, positive = false): NDArray {
  const base = gen(v.base, dtype, seed, positive);
  const x = v.view(base);
  expect(x.shape).toEqual(v.shape);
  expect(x.data).toBe(base.data);
  expect(x.isContiguous()).toBe(false);
  return x;
}

/** Runs `fn` with a kernel backend switch set to `backend`, putting it back to "auto" afterwards. */
export function withBackend<B extends string, T>(set: (backend: B) => void, backend: B, fn: () => T): T {
  set(backend);
  try {
    return fn();
  } finally {
    set("auto" as B);
  }
}

const ordinalBits = new Int32Array(1);
const ordinalFloat = new Float32Array(ordinalBits.buffer);
/** A float32's position on the number line in ulps (monotonic across zero: ±0 both map to 0). */
export function ordinal32(x: number): number {
  ordinalFloat[0] = x;
  const b = ordinalBits[0] as number;
  return b < 0 ? -(b & 0x7fffffff) : b;
}
