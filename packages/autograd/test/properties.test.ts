/**
 * Property-based tests (fast-check, seeded): random expression graphs built from the op table pass
 * `gradcheck`, in float64, on 1–3 leaves whose shapes broadcast against each other and whose layouts
 * are sometimes non-contiguous views.
 *
 * An expression is a tree of small integers (op index, a seed for the op's own choices, children). The
 * integers are resolved against the actual shapes when the tree is evaluated, so every tree is valid
 * and a failure shrinks towards fewer, simpler ops (index 0 is `neg` / `add`) on fewer leaves.
 * Every op is kept where it is smooth: denominators stay ≥ 0.5, pow bases ≥ 0.5, exp sees a clamped
 * argument, there is no relu/abs/max, and cases whose intermediate values grow past 1e3 are discarded
 * (finite differences in float64 lose precision there).
 */
import * as nd from "@typegrad/tensor";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { gradcheck, gradgradcheck, noGrad, primitiveOps, Tensor, topoOrder, where } from "../src/index.js";

// FC_SEED / FC_RUNS override the fixed seed and run count for a longer local search.
const SEED = Number(process.env.FC_SEED ?? 42);
const RUNS = Number(process.env.FC_RUNS ?? 200);

const prod = (shape: readonly number[]): number => shape.reduce((p, d) => p * d, 1);

/** A small deterministic PRNG (mulberry32): an op resolves its random choices from its drawn seed. */
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

// ---------------------------------------------------------------------------------------------
// Expressions.
// ---------------------------------------------------------------------------------------------

type Expr =
  | { t: "leaf"; i: number }
  | { t: "un"; op: number; seed: number; x: Expr }
  | { t: "bin"; op: number; seed: number; a: Expr; b: Expr };

type Rand = (n: number) => number;

/** Random dims to reduce over: undefined (all) or a non-empty list, some given as negative numbers. */
function reduceDims(r: Rand, ndim: number): number[] | undefined {
  if (ndim === 0) return r(2) === 0 ? undefined : [r(2) - 1]; // 0 or -1
  if (r(4) === 0) return undefined;
  const mask = 1 + r((1 << ndim) - 1);
  return Array.from({ length: ndim }, (_, i) => i)
    .filter((i) => (mask >> i) & 1)
    .map((d) => (r(2) === 0 ? d : d - ndim));
}

const anyDim = (r: Rand, ndim: number): number => {
  const n = Math.max(ndim, 1);
  const d = r(n);
  return r(2) === 0 ? d : d - n;
};

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

/** A random shape with `size` elements (0–3 dims), one size sometimes given as -1. */
function reshapeTarget(r: Rand, size: number): number[] {
  let k = r(4);
  if (k === 0 && size > 1) k = 1;
  const target = new Array<number>(k).fill(1);
  for (const f of primeFactors(size)) {
    const slot = r(k);
    target[slot] = target[slot]! * f;
  }
  if (k > 0 && r(3) === 0) target[r(k)] = -1;
  return target;
}

/** Unary ops: each takes the operand and the op's PRNG, and records a label for failure output. */
const UNARY: { name: string; f: (x: Tensor, r: Rand, log: (s: string) => void) => Tensor }[] = [
  { name: "neg", f: (x) => x.neg() },
  { name: "tanh", f: (x) => x.tanh() },
  { name: "sigmoid", f: (x) => x.sigmoid() },
  { name: "sin", f: (x) => x.sin() },
  { name: "cos", f: (x) => x.cos() },
  { name: "square", f: (x) => x.square() },
  { name: "exp∘clamp(-3, 3)", f: (x) => x.clamp(-3, 3).exp() },
  { name: "softplus", f: (x) => x.softplus() },
  { name: "log1p(x²)", f: (x) => x.square().log1p() },
  { name: "sqrt(x² + 1)", f: (x) => x.square().add(1).sqrt() },
  { name: "rsqrt(x² + 0.5)", f: (x) => x.square().add(0.5).rsqrt() },
  { name: "(x² + 0.5) ** 1.5", f: (x) => x.square().add(0.5).pow(1.5) },
  { name: "gelu", f: (x) => x.gelu() },
  { name: "gelu(tanh)", f: (x) => x.gelu("tanh") },
  { name: "silu", f: (x) => x.silu() },
  {
    name: "sum",
    f: (x, r, log) => {
      const dims = reduceDims(r, x.ndim);
      const keep = r(2) === 1;
      log(`sum(${JSON.stringify(dims)}, ${keep})`);
      return x.sum(dims, keep);
    },
  },
  {
    name: "mean",
    f: (x, r, log) => {
      const dims = reduceDims(r, x.ndim);
      const keep = r(2) === 1;
      log(`mean(${JSON.stringify(dims)}, ${keep})`);
      return x.mean(dims, keep);
    },
  },
  {
    name: "var",
    f: (x, r, log) => {
      const dims = reduceDims(r, x.ndim);
      const keepdim = r(2) === 1;
      log(`var(${JSON.stringify(dims)}, unbiased false, keepdim ${keepdim})`);
      return x.var(dims, { unbiased: false, keepdim });
    },
  },
  {
    name: "logsumexp",
    f: (x, r, log) => {
      const dims = reduceDims(r, x.ndim) ?? x.shape.map((_, i) => i);
      const keep = r(2) === 1;
      log(`logsumexp(${JSON.stringify(dims)}, ${keep})`);
      return x.logsumexp(dims, keep);
    },
  },
  {
    name: "softmax",
    f: (x, r, log) => {
      const d = anyDim(r, x.ndim);
      log(`softmax(${d})`);
      return x.softmax(d);
    },
  },
  {
    name: "logSoftmax",
    f: (x, r, log) => {
      const d = anyDim(r, x.ndim);
      log(`logSoftmax(${d})`);
      return x.logSoftmax(d);
    },
  },
  {
    name: "reshape",
    f: (x, r, log) => {
      const target = reshapeTarget(r, x.size);
      log(`reshape(${JSON.stringify(target)})`);
      return x.reshape(target);
    },
  },
  {
    name: "transpose",
    f: (x, r, log) => {
      const a = anyDim(r, x.ndim);
      const b = anyDim(r, x.ndim);
      log(`transpose(${a}, ${b})`);
      return x.transpose(a, b);
    },
  },
  {
    name: "permute",
    f: (x, r, log) => {
      const perm = x.shape.map((_, i) => i);
      for (let i = perm.length - 1; i > 0; i--) {
        const j = r(i + 1);
        [perm[i], perm[j]] = [perm[j]!, perm[i]!];
      }
      log(`permute(${JSON.stringify(perm)})`);
      return x.permute(perm);
    },
  },
  {
    name: "narrow",
    f: (x, r, log) => {
      const dims = x.shape.flatMap((d, i) => (d >= 2 ? [i] : []));
      if (dims.length === 0) {
        log("flatten");
        return x.flatten();
      }
      const d = dims[r(dims.length)]!;
      const size = x.shape[d]!;
      const length = 1 + r(size - 1);
      const start = r(size - length + 1);
      log(`narrow(${d}, ${start}, ${length})`);
      return x.narrow(d, start, length);
    },
  },
  {
    name: "unsqueeze∘expand",
    f: (x, r, log) => {
      const d = r(x.ndim + 1);
      const n = 2 + r(2);
      const target = [...x.shape.slice(0, d), n, ...x.shape.slice(d)];
      log(`unsqueeze(${d}).expand(${JSON.stringify(target)})`);
      return x.unsqueeze(d).expand(target);
    },
  },
  { name: "squeeze", f: (x) => x.squeeze() },
  { name: "clone", f: (x) => x.clone() },
];

/** The largest k such that the last k dims of a and b broadcast. */
function compatibleSuffix(a: readonly number[], b: readonly number[]): number {
  let k = 0;
  while (k < Math.min(a.length, b.length)) {
    const da = a[a.length - 1 - k]!;
    const db = b[b.length - 1 - k]!;
    if (da !== db && da !== 1 && db !== 1) break;
    k++;
  }
  return k;
}

/** Makes `b` broadcast with `a`: as is when it does, else sums away b's leading dims until the rest fits. */
function fitTo(a: Tensor, b: Tensor, log: (s: string) => void): Tensor {
  const k = compatibleSuffix(a.shape, b.shape);
  if (k === Math.min(a.ndim, b.ndim)) return b;
  const lead = Array.from({ length: b.ndim - k }, (_, i) => i);
  log(`sum(${JSON.stringify(lead)}) to fit ${JSON.stringify(a.shape)}`);
  return b.sum(lead);
}

/** True when a.matmul(b) is defined (torch rules: 1-d operands, broadcast batch dims). */
function matmulFits(a: readonly number[], b: readonly number[]): boolean {
  if (a.length === 0 || b.length === 0) return false;
  const k = a[a.length - 1]!;
  const kb = b.length === 1 ? b[0]! : b[b.length - 2]!;
  if (k !== kb) return false;
  const ba = a.slice(0, -2);
  const bb = b.slice(0, -2);
  return compatibleSuffix(ba, bb) === Math.min(ba.length, bb.length);
}

/** A deterministic bool mask of `shape` drawn from the op's PRNG (the same on every evaluation). */
function mask(shape: readonly number[], r: Rand): nd.NDArray {
  const data = new Uint8Array(prod(shape));
  for (let i = 0; i < data.length; i++) data[i] = r(2);
  return new nd.NDArray(data, shape);
}

const BINARY: { name: string; f: (a: Tensor, b: Tensor, r: Rand, log: (s: string) => void) => Tensor }[] = [
  { name: "add", f: (a, b, _r, log) => a.add(fitTo(a, b, log)) },
  { name: "sub", f: (a, b, _r, log) => a.sub(fitTo(a, b, log)) },
  { name: "mul", f: (a, b, _r, log) => a.mul(fitTo(a, b, log)) },
  { name: "a / (b² + 0.5)", f: (a, b, _r, log) => a.div(fitTo(a, b, log).square().add(0.5)) },
  { name: "a / (1.5 + tanh b)", f: (a, b, _r, log) => a.div(fitTo(a, b, log).tanh().add(1.5)) },
  {
    name: "(a² + 0.5) ** tanh b",
    f: (a, b, _r, log) =>
      a
        .square()
        .add(0.5)
        .pow(fitTo(a, b, log).tanh()),
  },
  {
    name: "where",
    f: (a, b, r, log) => {
      const b2 = fitTo(a, b, log);
      const shape = nd.broadcastShapes("where", a.shape, b2.shape);
      // The mask's own shape broadcasts too: sometimes it drops the leading dim.
      const mshape = shape.length > 0 && r(2) === 0 ? shape.slice(1) : shape;
      log(`mask ${JSON.stringify(mshape)}`);
      return where(mask(mshape, r), a, b2);
    },
  },
  {
    name: "matmul",
    f: (a, b, _r, log) => {
      if (matmulFits(a.shape, b.shape)) return a.matmul(b);
      if (a.ndim === 0) {
        // Nothing to contract on the left: a scales a product of b with itself.
        if (b.ndim === 0) return a.mul(b);
        log("b @ bᵀ · a");
        const bt = b.ndim === 1 ? b : b.transpose(-1, -2);
        return b.matmul(bt).mul(a);
      }
      const k = a.shape[a.ndim - 1]!;
      if (b.ndim > 0 && b.size % k === 0) {
        log(`a @ b.reshape(${k}, -1)`);
        return a.matmul(b.reshape(k, -1));
      }
      log("(a @ aᵀ) + mean(b)");
      const at = a.ndim === 1 ? a : a.transpose(-1, -2);
      return a.matmul(at).add(b.mean());
    },
  },
];

/** Keeps sizes small: averages leading dims away while the tensor has more than 64 elements. */
function shrink(x: Tensor, log: (s: string) => void): Tensor {
  while (x.size > 64) {
    log("mean(0) to shrink");
    x = x.mean(0);
  }
  return x;
}

/**
 * Evaluates `e` on `leaves`. Every choice depends only on the tree and the shapes, so the graph is the
 * same on every call (gradcheck evaluates it many times). `seen` collects the largest |value|.
 */
function evaluate(e: Expr, leaves: readonly Tensor[], trace: string[], seen: { max: number }): Tensor {
  const note = (t: Tensor): Tensor => {
    const v = t.data.toTypedArray();
    for (let i = 0; i < v.length; i++) {
      const a = Math.abs(v[i] as number);
      if (!(a <= seen.max)) seen.max = Number.isNaN(a) ? Number.POSITIVE_INFINITY : a;
    }
    return t;
  };
  switch (e.t) {
    case "leaf": {
      const i = e.i % leaves.length;
      trace.push(`x${i}`);
      return leaves[i]!;
    }
    case "un": {
      const x = evaluate(e.x, leaves, trace, seen);
      const op = UNARY[e.op % UNARY.length]!;
      const r = prng(e.seed);
      let label = op.name;
      const out = op.f(x, r, (s) => {
        label = s;
      });
      trace.push(`${label} ${JSON.stringify(x.shape)} -> ${JSON.stringify(out.shape)}`);
      return note(shrink(out, (s) => trace.push(s)));
    }
    case "bin": {
      const a = evaluate(e.a, leaves, trace, seen);
      const b = evaluate(e.b, leaves, trace, seen);
      const op = BINARY[e.op % BINARY.length]!;
      const r = prng(e.seed);
      const notes: string[] = [];
      const out = op.f(a, b, r, (s) => notes.push(s));
      trace.push(
        `${op.name}${notes.length ? ` [${notes.join("; ")}]` : ""} ${JSON.stringify(a.shape)}, ${JSON.stringify(b.shape)} -> ${JSON.stringify(out.shape)}`,
      );
      return note(shrink(out, (s) => trace.push(s)));
    }
  }
}

const MAX_DEPTH = 4;
const exprArbs = new Map<string, fc.Arbitrary<Expr>>();
/**
 * Trees of depth ≤ `depth` (at least one op at the root); a leaf is the first alternative below the
 * root so shrinking prefers it.
 */
function exprArb(depth: number, root = true): fc.Arbitrary<Expr> {
  const key = `${depth}:${root}`;
  const cached = exprArbs.get(key);
  if (cached) return cached;
  const leaf: fc.Arbitrary<Expr> = fc.record({ t: fc.constant("leaf" as const), i: fc.constantFrom(0, 1, 2) });
  const arb: fc.Arbitrary<Expr> =
    depth === 0
      ? leaf
      : fc.oneof(
          // Cross-shrinking lets a failing subtree shrink to a bare leaf.
          { withCrossShrink: true },
          { arbitrary: leaf, weight: root ? 0 : 1 },
          {
            arbitrary: fc.record({
              t: fc.constant("un" as const),
              op: fc.noBias(fc.nat(UNARY.length - 1)),
              seed: fc.nat(0xffff),
              x: exprArb(depth - 1, false),
            }),
            weight: 2,
          },
          {
            arbitrary: fc.record({
              t: fc.constant("bin" as const),
              op: fc.noBias(fc.nat(BINARY.length - 1)),
              seed: fc.nat(0xffff),
              a: exprArb(depth - 1, false),
              b: exprArb(depth - 1, false),
            }),
            weight: 2,
          },
        );
  exprArbs.set(key, arb);
  return arb;
}

// ---------------------------------------------------------------------------------------------
// Leaves.
// ---------------------------------------------------------------------------------------------

const LAYOUTS = ["contiguous", "transposed", "narrowed", "expanded"] as const;
type Layout = (typeof LAYOUTS)[number];

interface LeafSpec {
  drop: number;
  ones: number;
  layout: Layout;
}

/** A float64 leaf of `shape`, values uniform in [-1.5, 1.5), built with the given memory layout. */
function makeLeaf(shape: readonly number[], layout: Layout, rng: nd.Rng): Tensor {
  const n = shape.length;
  const values = (s: readonly number[]): nd.NDArray => nd.uniform(s, -1.5, 1.5, { dtype: "float64", rng });
  let data: nd.NDArray;
  if (layout === "transposed" && n >= 2) {
    const s = shape.slice();
    [s[n - 2], s[n - 1]] = [shape[n - 1]!, shape[n - 2]!];
    data = values(s).transpose(-1, -2);
  } else if (layout === "narrowed" && n >= 1) {
    const s = shape.slice();
    s[n - 1] = shape[n - 1]! + 2;
    data = values(s).narrow(n - 1, 1, shape[n - 1]!);
  } else if (layout === "expanded" && shape.some((d) => d > 1)) {
    // Stride 0 along the first dim of size > 1: its elements alias one storage slot.
    const e = shape.findIndex((d) => d > 1);
    const s = shape.slice();
    s[e] = 1;
    data = values(s).expand(shape);
  } else {
    data = values(shape);
  }
  return new Tensor(data, { requiresGrad: true });
}

/**
 * A shape of up to `maxDims` dims of size 1–4, drawn without fast-check's small-first bias (else early
 * runs are mostly scalars); shrinking still goes to fewer dims and size 1.
 */
const baseShapeArb = (maxDims: number) =>
  fc
    .noBias(
      fc.tuple(
        // More dims more often: n appears n + 1 times (so 0 dims is rare but still the shrink target).
        fc.constantFrom(...Array.from({ length: maxDims + 1 }, (_, n) => new Array<number>(n + 1).fill(n)).flat()),
        fc.array(fc.constantFrom(1, 2, 3, 4), { minLength: maxDims, maxLength: maxDims }),
      ),
    )
    .map(([n, sizes]) => sizes.slice(0, n));

/** How a leaf relates to the base shape: mostly the full shape, sometimes broadcast (dims dropped or 1). */
const leafSpecArb = (maxDims: number): fc.Arbitrary<LeafSpec> =>
  fc.record({
    drop: fc.oneof(
      { arbitrary: fc.constant(0), weight: 2 },
      { arbitrary: fc.integer({ min: 1, max: maxDims }), weight: 1 },
    ),
    ones: fc.oneof(
      { arbitrary: fc.constant(0), weight: 2 },
      { arbitrary: fc.integer({ min: 1, max: (1 << maxDims) - 1 }), weight: 1 },
    ),
    layout: fc.constantFrom<Layout>(...LAYOUTS),
  });

/** 1..`count` leaf specs (unbiased: the count and shapes uniform, not small-first). */
const leafSpecsArb = (maxDims: number, count: number): fc.Arbitrary<LeafSpec[]> =>
  fc
    .noBias(
      fc.tuple(
        fc.constantFrom(...Array.from({ length: count }, (_, i) => i + 1)),
        fc.array(leafSpecArb(maxDims), { minLength: count, maxLength: count }),
      ),
    )
    .map(([n, specs]) => specs.slice(0, n));

const caseArb = fc.record({
  /** The shape every leaf broadcasts to: 0–3 dims of size 1–4. */
  base: baseShapeArb(3),
  leaves: leafSpecsArb(3, 3),
  expr: exprArb(MAX_DEPTH),
  valueSeed: fc.nat(0xffff),
});

/** Leaf shape: the base with `drop` leading dims removed and the dims in the `ones` bit mask set to 1. */
function leafShape(base: readonly number[], spec: LeafSpec): number[] {
  const drop = Math.min(spec.drop, base.length);
  return base.slice(drop).map((d, i) => ((spec.ones >> (i + drop)) & 1 ? 1 : d));
}

interface Built {
  leaves: Tensor[];
  fn: (...xs: Tensor[]) => Tensor;
  describe: () => string;
  maxAbs: number;
  ops: Set<string>;
}

function build(c: { base: number[]; leaves: LeafSpec[]; expr: Expr; valueSeed: number }): Built {
  const rng = new nd.Rng(c.valueSeed);
  const leaves = c.leaves.map((s) => makeLeaf(leafShape(c.base, s), s.layout, rng));
  const fn = (...xs: Tensor[]): Tensor => evaluate(c.expr, xs, [], { max: 0 });
  const trace: string[] = [];
  const seen = { max: 0 };
  const out = evaluate(c.expr, leaves, trace, seen);
  const ops = new Set(topoOrder(out).flatMap((t) => (t.gradFn ? [t.gradFn.name] : [])));
  const describe = (): string =>
    [
      `leaves: ${leaves.map((l, i) => `x${i} ${JSON.stringify(l.shape)} ${c.leaves[i]!.layout}`).join(", ")}`,
      ...trace,
    ].join("\n  ");
  return { leaves, fn, describe, maxAbs: seen.max, ops };
}

/** Intermediate values above this are discarded: finite differences lose the precision to judge them. */
const MAX_ABS = 1e3;

describe("property: random expression graphs pass gradcheck", () => {
  it("depth ≤ 4 trees over 1–3 broadcasting float64 leaves (some non-contiguous)", () => {
    fc.assert(
      fc.property(caseArb, (c) => {
        const b = build(c);
        fc.pre(b.maxAbs <= MAX_ABS);
        try {
          expect(gradcheck(b.fn, b.leaves)).toBe(true);
        } catch (err) {
          throw new Error(`${(err as Error).message}\n  ${b.describe()}`);
        }
      }),
      { seed: SEED, numRuns: RUNS },
    );
  });

  it("the generated graphs record only registered primitives and cover the op table", () => {
    // The same cases the property above draws (same seed and count), built without gradcheck.
    const covered = new Set<string>();
    for (const c of fc.sample(caseArb, { seed: SEED, numRuns: RUNS })) for (const op of build(c).ops) covered.add(op);
    for (const op of covered) expect(primitiveOps.has(op), `${op} is a registered primitive`).toBe(true);
    const expected = [
      "neg",
      "tanh",
      "sigmoid",
      "sin",
      "cos",
      "mul",
      "clamp",
      "exp",
      "softplus",
      "log1p",
      "sqrt",
      "rsqrt",
      "pow",
      "gelu",
      "sum",
      "mean",
      "logsumexp",
      "softmax",
      "logSoftmax",
      "reshape",
      "transpose",
      "permute",
      "narrow",
      "unsqueeze",
      "expand",
      "squeeze",
      "contiguous",
      "add",
      "sub",
      "div",
      "where",
      "matmul",
    ];
    expect(expected.filter((op) => !covered.has(op))).toEqual([]);
  });
});

describe("property: random expression graphs pass gradgradcheck", () => {
  it("depth ≤ 2 trees (second order through the createGraph backward rules)", () => {
    const small = fc.record({
      base: baseShapeArb(2),
      leaves: leafSpecsArb(2, 2),
      expr: exprArb(2),
      valueSeed: fc.nat(0xffff),
    });
    fc.assert(
      fc.property(small, (c) => {
        const b = build(c);
        fc.pre(b.maxAbs <= MAX_ABS);
        try {
          expect(gradgradcheck(b.fn, b.leaves)).toBe(true);
        } catch (err) {
          throw new Error(`${(err as Error).message}\n  ${b.describe()}`);
        }
      }),
      { seed: SEED, numRuns: Math.max(1, Math.round(RUNS / 4)) },
    );
  });
});

// gradcheck evaluates `fn` many times (perturbing inputs under noGrad): the construction must give the
// same graph every time, which this checks directly (same shape and values with and without grad).
describe("property: expression construction is deterministic", () => {
  it("two evaluations (with and without grad) give the same shape and values", () => {
    fc.assert(
      fc.property(caseArb, (c) => {
        const b = build(c);
        const y1 = b.fn(...b.leaves);
        const y2 = noGrad(() => b.fn(...b.leaves));
        expect(y2.shape).toEqual(y1.shape);
        const v1 = Array.from(y1.data.toTypedArray());
        const v2 = Array.from(y2.data.toTypedArray());
        expect(v2).toEqual(v1);
      }),
      { seed: SEED, numRuns: 50 },
    );
  });
});
