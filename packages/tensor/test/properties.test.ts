/**
 * Property-based tests (fast-check, seeded): strided views against a naive index mapping, broadcasting
 * binary ops against plain loops, `sumToShape` as the inverse of broadcasting, and torch's dtype
 * promotion table. Every reference here is computed independently of the library: row-major index
 * arithmetic on plain JS arrays, never `stridedOffsets` or a kernel.
 *
 * Generators draw small integers and resolve them against the current shape, so a failing case shrinks
 * to a short chain of simple ops on a small array.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  add,
  allocate,
  broadcastShapes,
  castScalar,
  type DType,
  div,
  maximum,
  minimum,
  mul,
  NDArray,
  ShapeError,
  sub,
  sumToShape,
  where,
} from "../src/index.js";

// FC_SEED / FC_RUNS override the fixed seed and run count for a longer local search.
const SEED = Number(process.env.FC_SEED ?? 42);
const RUNS = Number(process.env.FC_RUNS ?? 200);
const params = { seed: SEED, numRuns: RUNS };

// ---------------------------------------------------------------------------------------------
// Plain row-major index arithmetic (independent of the library).
// ---------------------------------------------------------------------------------------------

const prod = (shape: readonly number[]): number => shape.reduce((p, d) => p * d, 1);

function unravel(i: number, shape: readonly number[]): number[] {
  const idx = new Array<number>(shape.length).fill(0);
  for (let d = shape.length - 1; d >= 0; d--) {
    const n = shape[d]!;
    idx[d] = i % n;
    i = Math.floor(i / n);
  }
  return idx;
}

function ravel(idx: readonly number[], shape: readonly number[]): number {
  let p = 0;
  for (let d = 0; d < shape.length; d++) p = p * shape[d]! + idx[d]!;
  return p;
}

/** Row-major values of `x`, read through toTypedArray (bools as 0/1). */
const valuesOf = (x: NDArray): number[] => Array.from(x.toTypedArray());

/** Flattens toArray() output (bools as 0/1). */
function flatNested(v: unknown): number[] {
  if (Array.isArray(v)) return v.flatMap(flatNested);
  return [typeof v === "boolean" ? (v ? 1 : 0) : (v as number)];
}

/** Equality where NaN equals NaN. */
function sameValues(actual: readonly number[], expected: readonly number[]): boolean {
  if (actual.length !== expected.length) return false;
  for (let i = 0; i < actual.length; i++) {
    const a = actual[i]!;
    const e = expected[i]!;
    if (!(a === e || (Number.isNaN(a) && Number.isNaN(e)))) return false;
  }
  return true;
}

/** A small deterministic PRNG (mulberry32): ops resolve their random choices from one drawn seed. */
function prng(seed: number): (n: number) => number {
  let s = seed >>> 0;
  return (n: number): number => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    const u = ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    return n <= 0 ? 0 : Math.floor(u * n);
  };
}

/** A fresh contiguous array whose element at row-major position i is `value(i)`. */
function filled(shape: readonly number[], dtype: DType, value: (i: number) => number): NDArray {
  const n = prod(shape);
  const data = allocate(dtype, n);
  for (let i = 0; i < n; i++) data[i] = castScalar(value(i), dtype);
  return new NDArray(data, shape);
}

/** Shapes of up to `maxDims` dims with sizes in [0, maxSize]; empty dims (size 0) come up about 1 time in 8. */
const shapeArb = (maxDims: number, maxSize: number) =>
  fc.array(
    fc.oneof({ arbitrary: fc.integer({ min: 1, max: maxSize }), weight: 7 }, { arbitrary: fc.constant(0), weight: 1 }),
    { maxLength: maxDims },
  );

/** A size for a grown (expanded) dim: 1..4, or 0 about 1 time in 12. */
const grownSize = (r: (n: number) => number): number => (r(12) === 0 ? 0 : 1 + r(4));

// ---------------------------------------------------------------------------------------------
// 1. Views: random chains against a naive index mapping.
// ---------------------------------------------------------------------------------------------

/**
 * The model of a view chain: for every element of the current array (row-major), the base element it
 * reads (`src`) and its memory offset in the current storage (`mem`, to decide when reshape may view).
 */
interface Model {
  shape: number[];
  src: number[];
  mem: number[];
}

/** Builds the model of an output shape whose element at `o` reads the input's element at `inIdx(o)`. */
function remap(m: Model, shape: number[], inIdx: (o: number[]) => number[]): Model {
  const n = prod(shape);
  const src = new Array<number>(n);
  const mem = new Array<number>(n);
  for (let k = 0; k < n; k++) {
    const p = ravel(inIdx(unravel(k, shape)), m.shape);
    src[k] = m.src[p]!;
    mem[k] = m.mem[p]!;
  }
  return { shape, src, mem };
}

/** True when the memory offsets are affine in the index of `shape` (so reshape can be a view). */
function affine(mem: readonly number[], shape: readonly number[]): boolean {
  const n = prod(shape);
  if (n === 0) return true;
  const base = mem[0]!;
  const strides = shape.map((d, k) => {
    if (d === 1) return 0;
    const e = shape.map((_, j) => (j === k ? 1 : 0));
    return mem[ravel(e, shape)]! - base;
  });
  for (let i = 0; i < n; i++) {
    const idx = unravel(i, shape);
    let p = base;
    for (let k = 0; k < shape.length; k++) p += idx[k]! * strides[k]!;
    if (p !== mem[i]) return false;
  }
  return true;
}

const primeFactors = (n: number): number[] => {
  const out: number[] = [];
  for (let p = 2; n > 1; p++) {
    while (n % p === 0) {
      out.push(p);
      n /= p;
    }
  }
  return out;
};

/** A resolved view op: a label for failure output, the call, and the model update. */
interface ViewStep {
  label: string;
  isReshape: boolean;
  apply: (x: NDArray) => NDArray;
  model: (m: Model) => Model;
}

const MAX_NDIM = 6;
const VIEW_KINDS = ["permute", "transpose", "narrow", "expand", "squeeze", "unsqueeze", "reshape"] as const;

/** Resolves op `kind` with random choices from `seed` against the current `shape`. */
function resolveView(kind: number, seed: number, shape: readonly number[]): ViewStep {
  const r = prng(seed);
  const n = shape.length;
  const neg = (d: number, nd: number): number => (r(2) === 1 ? d - nd : d);
  let name = VIEW_KINDS[kind % VIEW_KINDS.length]!;
  if (name === "narrow" && n === 0) name = "unsqueeze";
  if (name === "unsqueeze" && n >= MAX_NDIM) name = "squeeze";
  if (name === "expand" && n >= MAX_NDIM) name = "permute";

  switch (name) {
    case "permute": {
      const perm = Array.from({ length: n }, (_, i) => i);
      for (let i = n - 1; i > 0; i--) {
        const j = r(i + 1);
        [perm[i], perm[j]] = [perm[j]!, perm[i]!];
      }
      const args = perm.map((p) => neg(p, n));
      return {
        label: `permute(${JSON.stringify(args)})`,
        isReshape: false,
        apply: (x) => x.permute(args),
        model: (m) =>
          remap(
            m,
            perm.map((p) => m.shape[p]!),
            (o) => {
              const i = new Array<number>(n);
              perm.forEach((p, k) => {
                i[p] = o[k]!;
              });
              return i;
            },
          ),
      };
    }
    case "transpose": {
      const nd = Math.max(n, 1);
      const a = r(nd);
      const b = r(nd);
      const [a2, b2] = [neg(a, nd), neg(b, nd)];
      return {
        label: `transpose(${a2}, ${b2})`,
        isReshape: false,
        apply: (x) => x.transpose(a2, b2),
        model: (m) => {
          if (n === 0) return m;
          const s = m.shape.slice();
          [s[a], s[b]] = [s[b]!, s[a]!];
          return remap(m, s, (o) => {
            const i = o.slice();
            [i[a], i[b]] = [o[b]!, o[a]!];
            return i;
          });
        },
      };
    }
    case "narrow": {
      const d = r(n);
      const size = shape[d]!;
      const start = r(size + 1);
      const length = r(size - start + 1);
      const startArg = start < size && r(2) === 1 ? start - size : start;
      const dArg = neg(d, n);
      return {
        label: `narrow(${dArg}, ${startArg}, ${length})`,
        isReshape: false,
        apply: (x) => x.narrow(dArg, startArg, length),
        model: (m) => {
          const s = m.shape.slice();
          s[d] = length;
          return remap(m, s, (o) => o.map((v, k) => (k === d ? v + start : v)));
        },
      };
    }
    case "expand": {
      const lead = r(Math.min(3, MAX_NDIM - n + 1));
      const target: number[] = [];
      const resolved: number[] = [];
      for (let i = 0; i < lead; i++) {
        const v = grownSize(r);
        target.push(v);
        resolved.push(v);
      }
      for (const d of shape) {
        if (d === 1) {
          const v = grownSize(r);
          target.push(v);
          resolved.push(v);
        } else {
          target.push(r(3) === 0 ? -1 : d);
          resolved.push(d);
        }
      }
      return {
        label: `expand(${JSON.stringify(target)})`,
        isReshape: false,
        apply: (x) => x.expand(target),
        model: (m) => remap(m, resolved, (o) => m.shape.map((d, j) => (d === 1 ? 0 : o[j + lead]!))),
      };
    }
    case "squeeze": {
      const mode = r(3);
      const squeezeModel = (drop: Set<number>) => (m: Model) => ({
        ...m,
        shape: m.shape.filter((_, i) => !drop.has(i)),
      });
      if (mode === 0) {
        return {
          label: "squeeze()",
          isReshape: false,
          apply: (x) => x.squeeze(),
          model: squeezeModel(new Set(shape.flatMap((d, i) => (d === 1 ? [i] : [])))),
        };
      }
      if (mode === 1 || n === 0) {
        const nd = Math.max(n, 1);
        const d = r(nd);
        const arg = neg(d, nd);
        return {
          label: `squeeze(${arg})`,
          isReshape: false,
          apply: (x) => x.squeeze(arg),
          model: squeezeModel(new Set(n > 0 && shape[d] === 1 ? [d] : [])),
        };
      }
      const dims = shape.flatMap((_, i) => (r(2) === 1 ? [i] : []));
      const args = dims.map((d) => neg(d, n));
      return {
        label: `squeeze(${JSON.stringify(args)})`,
        isReshape: false,
        apply: (x) => x.squeeze(args),
        model: squeezeModel(new Set(dims.filter((d) => shape[d] === 1))),
      };
    }
    case "unsqueeze": {
      const d = r(n + 1);
      const arg = neg(d, n + 1);
      return {
        label: `unsqueeze(${arg})`,
        isReshape: false,
        apply: (x) => x.unsqueeze(arg),
        model: (m) => {
          const s = m.shape.slice();
          s.splice(d, 0, 1);
          return { ...m, shape: s };
        },
      };
    }
    case "reshape": {
      const size = prod(shape);
      let target: number[];
      if (size === 0) {
        const k = 1 + r(4);
        const zero = r(k);
        target = Array.from({ length: k }, (_, i) => (i === zero ? 0 : r(5)));
      } else {
        const factors = primeFactors(size);
        let k = r(5);
        if (k === 0 && size > 1) k = 1;
        target = new Array<number>(k).fill(1);
        for (const f of factors) {
          const slot = r(k);
          target[slot] = target[slot]! * f;
        }
      }
      const resolved = target.slice();
      if (size > 0 && target.length > 0 && r(3) === 0) target[r(target.length)] = -1;
      return {
        label: `reshape(${JSON.stringify(target)})`,
        isReshape: true,
        apply: (x) => x.reshape(target),
        model: (m) => ({ ...m, shape: resolved }),
      };
    }
  }
}

/** Checks an array against its model: shape, toArray(), and get() at every index. */
function expectMatches(x: NDArray, m: Model, value: (src: number) => number, ctx: string): void {
  expect(x.shape, `${ctx}: shape`).toEqual(m.shape);
  expect(x.size, `${ctx}: size`).toBe(m.src.length);
  const expected = m.src.map(value);
  expect(flatNested(x.toArray()), `${ctx}: toArray()`).toEqual(expected);
  for (let k = 0; k < expected.length; k++) {
    const got = x.get(...unravel(k, m.shape));
    if (got !== expected[k]) expect(got, `${ctx}: get(${unravel(k, m.shape).join(", ")})`).toBe(expected[k]);
  }
}

const viewChainArb = fc.record({
  shape: shapeArb(4, 4),
  dtype: fc.constantFrom<DType>("float64", "float32", "int32"),
  ops: fc.array(fc.record({ kind: fc.nat(VIEW_KINDS.length - 1), seed: fc.nat(0xffff) }), {
    minLength: 1,
    maxLength: 6,
  }),
});

/** Runs a chain of view ops on a fresh array, checking every step against the model. */
function checkChain(shape: number[], dtype: DType, ops: readonly { kind: number; seed: number }[]): void {
  // Distinct values (1-based) so every element identifies the base element it came from.
  const base = filled(shape, dtype, (i) => i + 1);
  const value = (src: number): number => src + 1;
  let x = base;
  let m: Model = {
    shape: shape.slice(),
    src: Array.from({ length: prod(shape) }, (_, i) => i),
    mem: Array.from({ length: prod(shape) }, (_, i) => i),
  };
  let copied = false;
  const trail: string[] = [`base ${JSON.stringify(shape)} ${dtype}`];
  for (const op of ops) {
    const step = resolveView(op.kind, op.seed, m.shape);
    trail.push(step.label);
    const ctx = trail.join(" -> ");
    const before = x;
    const beforeValues = flatNested(before.toArray());
    x = step.apply(before);
    m = step.model(m);
    expectMatches(x, m, value, ctx);
    if (step.isReshape) {
      // Reshape keeps row-major order: the same values as the input's toArray(), regrouped.
      expect(flatNested(x.toArray()), `${ctx}: reshape keeps row-major order`).toEqual(beforeValues);
      const viewable = affine(m.mem, m.shape);
      expect(x.data === before.data, `${ctx}: reshape is a view iff the layout allows one`).toBe(viewable);
      if (!viewable) {
        copied = true;
        expect(x.isContiguous(), `${ctx}: a reshape copy is contiguous`).toBe(true);
        m = { ...m, mem: m.src.map((_, i) => i) };
      }
    } else {
      expect(x.data === before.data, `${ctx}: a view never copies`).toBe(true);
    }
  }
  if (!copied) expect(x.data).toBe(base.data);
}

const RESHAPE = VIEW_KINDS.indexOf("reshape");

describe("property: view chains read the elements of a naive index mapping", () => {
  it("toArray() and get() agree with the mapping; views share data; reshape copies only when it must", () => {
    fc.assert(
      fc.property(viewChainArb, ({ shape, dtype, ops }) => checkChain(shape, dtype, ops)),
      params,
    );
  });

  it("a chain ending in reshape: the row-major regrouping of toArray(), a view unless the strides forbid it", () => {
    fc.assert(
      fc.property(viewChainArb, fc.nat(0xffff), ({ shape, dtype, ops }, seed) =>
        checkChain(shape, dtype, [...ops, { kind: RESHAPE, seed }]),
      ),
      params,
    );
  });

  it("contiguous() and clone() of any view chain equal its row-major values", () => {
    fc.assert(
      fc.property(viewChainArb, ({ shape, dtype, ops }) => {
        let x = filled(shape, dtype, (i) => i + 1);
        let m: Model = {
          shape: shape.slice(),
          src: Array.from({ length: prod(shape) }, (_, i) => i),
          mem: Array.from({ length: prod(shape) }, (_, i) => i),
        };
        for (const op of ops) {
          const step = resolveView(op.kind, op.seed, m.shape);
          x = step.apply(x);
          m = step.model(m);
        }
        const expected = m.src.map((s) => s + 1);
        const c = x.clone();
        expect(c.isContiguous()).toBe(true);
        expect(c.data).not.toBe(x.data);
        expect(c.shape).toEqual(m.shape);
        expect(valuesOf(c)).toEqual(expected);
        const k = x.contiguous();
        expect(k.isContiguous()).toBe(true);
        expect(Array.from(k.data.subarray(k.offset, k.offset + k.size))).toEqual(expected);
        if (x.isContiguous()) expect(k).toBe(x);
      }),
      params,
    );
  });
});

// ---------------------------------------------------------------------------------------------
// torch's result dtype, computed independently (used by 2 and 4).
// ---------------------------------------------------------------------------------------------

/** An operand of a binary op: an array (0-d or not) or a bare JS number/boolean. */
type Operand = NDArray | number | boolean;

const CATEGORY: Record<DType, number> = { bool: 0, int32: 1, float32: 2, float64: 3 };
const isFloatDType = (d: DType): boolean => d === "float32" || d === "float64";
const promote = (a: DType, b: DType): DType => (CATEGORY[a] >= CATEGORY[b] ? a : b);

/**
 * torch.result_type: operands fall into three priority groups (arrays with dims, 0-d arrays, wrapped
 * numbers); each group promotes within itself, then a lower group only matters if its category
 * (bool < integer < floating) is higher. A wrapped JS number is int32 when integral, else the default
 * float dtype (float32); a JS boolean is bool. (torch's `combine_categories`.)
 */
function torchResultType(operands: readonly Operand[]): DType {
  let dim: DType | undefined;
  let zero: DType | undefined;
  let wrapped: DType | undefined;
  const join = (acc: DType | undefined, d: DType): DType => (acc === undefined ? d : promote(acc, d));
  for (const o of operands) {
    if (o instanceof NDArray) {
      if (o.ndim > 0) dim = join(dim, o.dtype);
      else zero = join(zero, o.dtype);
    } else if (typeof o === "boolean") wrapped = join(wrapped, "bool");
    else wrapped = join(wrapped, Number.isInteger(o) ? "int32" : "float32");
  }
  const combine = (higher: DType | undefined, lower: DType | undefined): DType | undefined => {
    if (higher === undefined) return lower;
    if (lower === undefined) return higher;
    if (isFloatDType(higher)) return higher;
    if (higher === "bool" || isFloatDType(lower)) return promote(higher, lower);
    return higher;
  };
  const out = combine(dim, combine(zero, wrapped));
  if (out === undefined) throw new Error("torchResultType: no operands");
  return out;
}

// ---------------------------------------------------------------------------------------------
// 2. Broadcasting against plain loops.
// ---------------------------------------------------------------------------------------------

/** A deterministic element value for (row-major position i, seed): small, exact in every dtype. */
function elementValue(i: number, seed: number, dtype: DType, withNaN: boolean): number {
  const h = (i * 2654435761 + seed * 40503) >>> 0;
  if (dtype === "bool") return h % 3 === 0 ? 1 : 0;
  if (dtype === "int32") return (h % 11) - 5;
  if (withNaN && h % 29 === 0) return Number.NaN;
  return ((h % 23) - 11) / 4;
}

const LAYOUTS = ["contiguous", "reversed", "narrowed", "expanded"] as const;
type Layout = (typeof LAYOUTS)[number];

/**
 * An array of `shape` built with the given memory layout, plus its row-major values computed from
 * the layout by hand: reversed = permutation of a buffer of the reversed shape; narrowed = the middle
 * of a buffer two larger along the last dim; expanded = a stride-0 view of the first dim of size > 1.
 */
function operand(shape: readonly number[], dtype: DType, layout: Layout, seed: number, withNaN = true) {
  const v = (i: number): number => elementValue(i, seed, dtype, withNaN);
  const n = prod(shape);
  const nd = shape.length;
  if (layout === "reversed" && nd >= 2) {
    const rev = shape.slice().reverse();
    const base = filled(rev, dtype, v);
    const x = base.permute(rev.map((_, i) => nd - 1 - i));
    const values = Array.from({ length: n }, (_, k) => v(ravel(unravel(k, shape).reverse(), rev)));
    return { x, values };
  }
  if (layout === "narrowed" && nd >= 1) {
    const wide = shape.slice();
    wide[nd - 1] = shape[nd - 1]! + 2;
    const base = filled(wide, dtype, v);
    const x = base.narrow(nd - 1, 1, shape[nd - 1]!);
    const values = Array.from({ length: n }, (_, k) => {
      const idx = unravel(k, shape);
      idx[nd - 1] = idx[nd - 1]! + 1;
      return v(ravel(idx, wide));
    });
    return { x, values };
  }
  const e = shape.findIndex((d) => d > 1);
  if (layout === "expanded" && e >= 0) {
    const one = shape.slice();
    one[e] = 1;
    const base = filled(one, dtype, v);
    const x = base.expand(shape);
    const values = Array.from({ length: n }, (_, k) => {
      const idx = unravel(k, shape);
      idx[e] = 0;
      return v(ravel(idx, one));
    });
    return { x, values };
  }
  const x = filled(shape, dtype, v);
  return { x, values: Array.from({ length: n }, (_, k) => v(k)) };
}

/** Naive broadcasting: the output shape and, per output element, each operand's row-major position. */
function naiveBroadcast(shapes: readonly (readonly number[])[]): { shape: number[]; at: number[][] } {
  const nd = Math.max(0, ...shapes.map((s) => s.length));
  const shape: number[] = [];
  for (let i = 0; i < nd; i++) {
    let size = 1;
    for (const s of shapes) {
      const d = s[i - (nd - s.length)] ?? 1;
      if (d !== 1) {
        if (size !== 1 && size !== d) throw new Error("not broadcastable");
        size = d;
      }
    }
    shape.push(size);
  }
  const at = shapes.map((s) => {
    const lead = nd - s.length;
    return Array.from({ length: prod(shape) }, (_, k) => {
      const idx = unravel(k, shape);
      return ravel(
        s.map((d, j) => (d === 1 ? 0 : idx[j + lead]!)),
        s,
      );
    });
  });
  return { shape, at };
}

/** Operand shapes derived from an output shape: drop leading dims, set chosen dims to 1. */
const broadcastFamilyArb = (count: number) =>
  shapeArb(4, 4).chain((out) =>
    fc
      .array(fc.record({ drop: fc.nat(out.length), ones: fc.nat((1 << out.length) - 1) }), {
        minLength: count,
        maxLength: count,
      })
      .map((specs) => specs.map(({ drop, ones }) => out.slice(drop).map((d, i) => ((ones >> (i + drop)) & 1 ? 1 : d)))),
  );

const dtypeArb = fc.constantFrom<DType>("bool", "int32", "float32", "float64");
const layoutArb = fc.constantFrom<Layout>(...LAYOUTS);
const sideArb = fc.record({ dtype: dtypeArb, layout: layoutArb, seed: fc.nat(1000) });

const BINARY: { name: string; fn: (a: NDArray, b: NDArray) => NDArray; ref: (x: number, y: number) => number }[] = [
  { name: "add", fn: add, ref: (x, y) => x + y },
  { name: "mul", fn: mul, ref: (x, y) => x * y },
  {
    name: "maximum",
    fn: maximum,
    ref: (x, y) => Math.max(x, y), // NaN propagates, as in Math.max
  },
];

describe("property: broadcasting binary ops agree with plain loops over broadcast indices", () => {
  it("add / mul / maximum: values, result shape (= broadcastShapes) and dtype", () => {
    fc.assert(
      fc.property(broadcastFamilyArb(2), sideArb, sideArb, (shapes, sa, sb) => {
        const [sA, sB] = shapes as [number[], number[]];
        const A = operand(sA, sa.dtype, sa.layout, sa.seed);
        const B = operand(sB, sb.dtype, sb.layout, sb.seed);
        const { shape, at } = naiveBroadcast([sA, sB]);
        expect(broadcastShapes("add", sA, sB)).toEqual(shape);
        const dtype = torchResultType([A.x, B.x]);
        for (const op of BINARY) {
          const out = op.fn(A.x, B.x);
          const label = `${op.name}(${JSON.stringify(sA)} ${sa.dtype} ${sa.layout}, ${JSON.stringify(sB)} ${sb.dtype} ${sb.layout})`;
          expect(out.shape, `${label}: shape`).toEqual(shape);
          expect(out.dtype, `${label}: dtype`).toBe(dtype);
          const expected = at[0]!.map((pa, k) => castScalar(op.ref(A.values[pa]!, B.values[at[1]![k]!]!), dtype));
          const got = valuesOf(out);
          if (!sameValues(got, expected)) expect(got, `${label}: values`).toEqual(expected);
        }
      }),
      params,
    );
  });

  it("where(cond, a, b) broadcasts all three", () => {
    fc.assert(
      fc.property(broadcastFamilyArb(3), sideArb, sideArb, sideArb, (shapes, sc, sa, sb) => {
        const [sC, sA, sB] = shapes as [number[], number[], number[]];
        const C = operand(sC, "bool", sc.layout, sc.seed);
        const A = operand(sA, sa.dtype, sa.layout, sa.seed);
        const B = operand(sB, sb.dtype, sb.layout, sb.seed);
        const { shape, at } = naiveBroadcast([sC, sA, sB]);
        const dtype = torchResultType([A.x, B.x]);
        const out = where(C.x, A.x, B.x);
        expect(out.shape).toEqual(shape);
        expect(out.dtype).toBe(dtype);
        const expected = at[0]!.map((pc, k) =>
          castScalar(C.values[pc] ? A.values[at[1]![k]!]! : B.values[at[2]![k]!]!, dtype),
        );
        const got = valuesOf(out);
        if (!sameValues(got, expected)) expect(got).toEqual(expected);
      }),
      params,
    );
  });

  it("shapes that disagree in a dim where neither is 1 throw ShapeError (add, mul, maximum, where)", () => {
    const arb = broadcastFamilyArb(2).chain((shapes) => {
      const [sA, sB] = shapes as [number[], number[]];
      return fc.record({
        sA: fc.constant(sA),
        sB: fc.constant(sB),
        // The clash: a dim counted from the right, two different sizes >= 2 (missing dims are prepended).
        fromRight: fc.nat(3),
        sizes: fc.tuple(fc.integer({ min: 2, max: 4 }), fc.integer({ min: 2, max: 4 })).filter(([p, q]) => p !== q),
      });
    });
    fc.assert(
      fc.property(arb, ({ sA, sB, fromRight, sizes: [p, q] }) => {
        const pad = (s: number[]): number[] => [
          ...new Array<number>(Math.max(0, fromRight + 1 - s.length)).fill(1),
          ...s,
        ];
        const a = pad(sA.slice());
        const b = pad(sB.slice());
        a[a.length - 1 - fromRight] = p;
        b[b.length - 1 - fromRight] = q;
        const A = filled(a, "float32", (i) => i);
        const B = filled(b, "float32", (i) => i);
        expect(() => broadcastShapes("add", a, b)).toThrow(ShapeError);
        for (const op of BINARY) expect(() => op.fn(A, B), `${op.name}(${a}, ${b})`).toThrow(ShapeError);
        expect(() =>
          where(
            filled([], "bool", () => 1),
            A,
            B,
          ),
        ).toThrow(ShapeError);
      }),
      params,
    );
  });
});

// ---------------------------------------------------------------------------------------------
// 3. sumToShape inverts broadcasting.
// ---------------------------------------------------------------------------------------------

/** A source shape S and a broadcast target T ⊇ S (new leading dims, size-1 dims grown to 0..4). */
const broadcastPairArb = fc
  .record({
    S: shapeArb(4, 4),
    lead: fc.array(fc.integer({ min: 0, max: 4 }), { maxLength: 2 }),
    grow: fc.array(fc.integer({ min: 0, max: 4 }), { minLength: 4, maxLength: 4 }),
  })
  .map(({ S, lead, grow }) => ({ S, T: [...lead, ...S.map((d, i) => (d === 1 ? grow[i]! : d))] }));

/** Naive sum of a row-major array of shape T down to S. */
function naiveSumTo(values: readonly number[], T: readonly number[], S: readonly number[]): number[] {
  const out = new Array<number>(prod(S)).fill(0);
  const lead = T.length - S.length;
  for (let k = 0; k < values.length; k++) {
    const idx = unravel(k, T);
    const p = ravel(
      S.map((d, j) => (d === 1 ? 0 : idx[j + lead]!)),
      S,
    );
    out[p] = out[p]! + values[k]!;
  }
  return out;
}

const numericDTypeArb = fc.constantFrom<DType>("int32", "float32", "float64");

// Includes reductions over empty leading dims (sum(zeros([0, 2]), 0) is [0, 0], like torch).
const sumToShapeCaseArb = broadcastPairArb;

describe("property: sumToShape inverts broadcasting", () => {
  it("sumToShape(expand(x, T) made contiguous, S) = x · (number of copies)", () => {
    fc.assert(
      fc.property(sumToShapeCaseArb, numericDTypeArb, fc.nat(1000), ({ S, T }, dtype, seed) => {
        const x = filled(S, dtype, (i) => elementValue(i, seed, dtype, false));
        const big = x.expand(T).clone();
        expect(big.isContiguous()).toBe(true);
        const out = sumToShape(big, S);
        // Each element of x is copied once per position of the broadcast dims (prod(T)/prod(S) when S is not empty).
        const lead = T.length - S.length;
        const copies = prod(T.slice(0, lead)) * prod(S.map((d, i) => (d === 1 ? T[i + lead]! : 1)));
        if (prod(S) > 0) expect(copies).toBe(prod(T) / prod(S));
        expect(out.shape).toEqual(S);
        expect(out.dtype).toBe(dtype);
        expect(valuesOf(out)).toEqual(valuesOf(x).map((v) => v * copies + 0)); // + 0: no -0 when copies is 0
      }),
      params,
    );
  });

  it("sumToShape of any array of shape T (any layout) equals a naive reduction to S", () => {
    fc.assert(
      fc.property(sumToShapeCaseArb, numericDTypeArb, layoutArb, fc.nat(1000), ({ S, T }, dtype, layout, seed) => {
        const { x, values } = operand(T, dtype, layout, seed, false);
        const out = sumToShape(x, S);
        expect(out.shape).toEqual(S);
        expect(out.dtype).toBe(dtype);
        expect(valuesOf(out)).toEqual(naiveSumTo(values, T, S));
      }),
      params,
    );
  });

  it("a target that x does not broadcast from throws ShapeError", () => {
    const arb = fc.record({
      T: shapeArb(4, 4),
      pick: fc.nat(3),
      bump: fc.integer({ min: 1, max: 2 }),
      extra: fc.boolean(),
    });
    fc.assert(
      fc.property(arb, ({ T, pick, bump, extra }) => {
        const x = filled(T, "float64", (i) => i);
        const big = T.findIndex((d, i) => d >= 2 && i >= pick % Math.max(T.length, 1));
        const at = big >= 0 ? big : T.findIndex((d) => d >= 2);
        let S: number[];
        if (at >= 0 && !extra) {
          // A dim of size >= 2 asked to become another size >= 2 (only 1 may absorb it).
          S = T.slice();
          S[at] = ((T[at]! - 2 + bump) % 3) + 2;
        } else {
          // More dims than x has.
          S = [1, ...T];
        }
        expect(() => sumToShape(x, S), `${JSON.stringify(T)} -> ${JSON.stringify(S)}`).toThrow(ShapeError);
      }),
      params,
    );
  });
});

// ---------------------------------------------------------------------------------------------
// 4. dtype promotion.
// ---------------------------------------------------------------------------------------------

interface Labeled {
  kind: string;
  make: () => Operand;
}

// Array shapes that all broadcast with each other (and with the [3] mask used for where).
const arrayOperandArb: fc.Arbitrary<Labeled> = fc
  .record({ dtype: dtypeArb, shape: fc.constantFrom([3], [2, 3], [1, 3], [2, 1]) })
  .map(({ dtype, shape }) => ({
    kind: `${dtype}${JSON.stringify(shape)}`,
    make: () => filled(shape, dtype, (i) => elementValue(i, 7, dtype, false)),
  }));

const anyOperandArb: fc.Arbitrary<Labeled> = fc.oneof(
  arrayOperandArb,
  dtypeArb.map((dtype) => ({ kind: `0-d ${dtype}`, make: () => filled([], dtype, () => (dtype === "bool" ? 1 : 2)) })),
  fc.integer({ min: -5, max: 5 }).map((v) => ({ kind: `int ${v}`, make: () => v })),
  fc
    .integer({ min: -20, max: 20 })
    .filter((v) => v % 4 !== 0)
    .map((v) => ({ kind: `number ${v / 4}`, make: () => v / 4 })),
  fc.boolean().map((v) => ({ kind: `boolean ${v}`, make: () => v })),
);

/**
 * Operand pairs with at least one array, in either order. (Two bare numbers are left out: that is not
 * a call torch accepts for add, and typegrad documents numbers without an array as float32.)
 */
const operandPairArb = fc
  .tuple(arrayOperandArb, anyOperandArb, fc.boolean())
  .map(([x, y, swap]): [Labeled, Labeled] => (swap ? [y, x] : [x, y]));

/** Ops whose result dtype is the promoted dtype; `div` (true division) then floats integers to float32. */
const PROMOTING: [string, (a: Operand, b: Operand) => NDArray][] = [
  ["add", add],
  ["sub", sub],
  ["mul", mul],
  ["maximum", maximum],
  ["minimum", minimum],
];

describe("property: result dtype follows torch's promotion table", () => {
  it("binary ops on any pair of arrays (0-d or not), numbers and booleans", () => {
    fc.assert(
      fc.property(operandPairArb, ([ka, kb]) => {
        const a = ka.make();
        const b = kb.make();
        const expected = torchResultType([a, b]);
        for (const [name, fn] of PROMOTING) {
          if (name === "sub" && expected === "bool") continue; // torch rejects bool - bool
          expect(fn(a, b).dtype, `${name}(${ka.kind}, ${kb.kind})`).toBe(expected);
        }
        expect(div(a, b).dtype, `div(${ka.kind}, ${kb.kind})`).toBe(isFloatDType(expected) ? expected : "float32");
        expect(
          where(
            filled([3], "bool", (i) => i % 2),
            a,
            b,
          ).dtype,
          `where(_, ${ka.kind}, ${kb.kind})`,
        ).toBe(expected);
      }),
      params,
    );
  });

  it("the promotion is symmetric and the values of add are the promoted sum", () => {
    fc.assert(
      fc.property(operandPairArb, ([ka, kb]) => {
        const a = ka.make();
        const b = kb.make();
        const ab = add(a, b);
        const ba = add(b, a);
        expect(ab.dtype).toBe(ba.dtype);
        const av = a instanceof NDArray ? a : filled([], "float64", () => Number(a));
        const bv = b instanceof NDArray ? b : filled([], "float64", () => Number(b));
        const { at } = naiveBroadcast([av.shape, bv.shape]);
        const A = valuesOf(av);
        const B = valuesOf(bv);
        const expected = at[0]!.map((pa, k) => castScalar(A[pa]! + B[at[1]![k]!]!, ab.dtype));
        expect(valuesOf(ab)).toEqual(expected);
        expect(valuesOf(ba)).toEqual(expected);
      }),
      params,
    );
  });
});
