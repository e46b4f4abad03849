/**
 * Optimizers against independent float64 reference implementations of PyTorch's algorithms.
 *
 * The problem is a small quadratic, loss = Σ_j Σ_i a_ji (p_ji - c_ji)², whose loss (and so the
 * gradients the optimizer sees) is built with Tensor ops and backward(). The references below work
 * on plain JS number arrays and compute the gradient analytically as 2 a (p - c); they follow the
 * per-element algorithm of torch.optim's single-tensor implementations (`_single_tensor_sgd`,
 * `_single_tensor_rmsprop`, `_single_tensor_adam`). Every step of every parameter's trajectory is
 * compared with tolerance 1e-12.
 */
import { tensor } from "@typegrad/autograd";
import * as nd from "@typegrad/tensor";
import { describe, expect, it } from "vitest";
import { Adam, AdamW, type Optimizer, RMSprop, SGD } from "../src/optim/index.js";
import { Parameter } from "../src/parameter.js";

// ---- the problem ----
const A = [
  [0.5, 1.5, 2.0],
  [1.0, 0.25, 3.0, 0.75],
];
const C = [
  [1.0, -2.0, 0.5],
  [0.3, -0.7, 2.5, -1.2],
];
const P0 = [
  [0.2, 0.9, -1.1],
  [1.4, 0.1, -0.6, 0.8],
];
const SHAPES = [[3], [2, 2]];

function makeParams(dtype: "float32" | "float64" = "float64"): Parameter[] {
  return P0.map((v, j) => new Parameter(nd.array(v, { dtype }).reshape(SHAPES[j]!)));
}

function lossOf(params: Parameter[]) {
  let loss = null as ReturnType<Parameter["sum"]> | null;
  params.forEach((p, j) => {
    const a = tensor(nd.array(A[j]!, { dtype: p.dtype }).reshape(SHAPES[j]!));
    const c = tensor(nd.array(C[j]!, { dtype: p.dtype }).reshape(SHAPES[j]!));
    const d = p.sub(c);
    const term = d.mul(d).mul(a).sum();
    loss = loss ? loss.add(term) : term;
  });
  return loss!;
}

const values = (p: Parameter): number[] => Array.from(p.data.toTypedArray());

/** Runs `steps` optimizer steps; returns every parameter's values after each step. */
function trajectory(opt: Optimizer, params: Parameter[], steps: number): number[][][] {
  const out: number[][][] = [];
  for (let t = 0; t < steps; t++) {
    opt.zeroGrad();
    lossOf(params).backward();
    opt.step();
    out.push(params.map(values));
  }
  return out;
}

// ---- references (plain JS, float64) ----
type Vec = number[];
const gradOf = (p: Vec, j: number): Vec => p.map((x, i) => 2 * A[j]![i]! * (x - C[j]![i]!));

/** One reference update of parameter `j` (mutating `p` and `s`) at step `t` (1-based). */
type RefUpdate = (p: Vec, g: Vec, s: Record<string, Vec>, t: number, j: number) => void;

function refTrajectory(update: RefUpdate, steps: number): number[][][] {
  const ps = P0.map((v) => v.slice());
  const states = ps.map(() => ({}) as Record<string, Vec>);
  const out: number[][][] = [];
  for (let t = 1; t <= steps; t++) {
    ps.forEach((p, j) => {
      update(p, gradOf(p, j), states[j]!, t, j);
    });
    out.push(ps.map((p) => p.slice()));
  }
  return out;
}

interface SGDRef {
  lr: number;
  momentum?: number;
  dampening?: number;
  nesterov?: boolean;
  weightDecay?: number;
  maximize?: boolean;
}
/** torch.optim.SGD: the gradient is negated first when maximizing (as `_single_tensor_sgd` does). */
function sgdRef(o: SGDRef): RefUpdate {
  const mu = o.momentum ?? 0;
  const tau = o.dampening ?? 0;
  const wd = o.weightDecay ?? 0;
  return (p, g0, s) => {
    let g = g0.map((x) => (o.maximize ? -x : x));
    g = g.map((x, i) => x + wd * p[i]!);
    if (mu !== 0) {
      s.b = s.b === undefined ? g.slice() : s.b.map((b, i) => mu * b + (1 - tau) * g[i]!);
      const b = s.b;
      g = o.nesterov ? g.map((x, i) => x + mu * b[i]!) : b.slice();
    }
    for (let i = 0; i < p.length; i++) p[i] = p[i]! - o.lr * g[i]!;
  };
}

interface RMSRef {
  lr?: number;
  alpha?: number;
  eps?: number;
  momentum?: number;
  centered?: boolean;
  weightDecay?: number;
  maximize?: boolean;
}
/** torch.optim.RMSprop: eps is added after the square root; the momentum buffer starts at 0. */
function rmspropRef(o: RMSRef): RefUpdate {
  const lr = o.lr ?? 0.01;
  const alpha = o.alpha ?? 0.99;
  const eps = o.eps ?? 1e-8;
  const mu = o.momentum ?? 0;
  const wd = o.weightDecay ?? 0;
  return (p, g0, s) => {
    const n = p.length;
    s.v ??= new Array(n).fill(0);
    s.gAvg ??= new Array(n).fill(0);
    s.b ??= new Array(n).fill(0);
    const g = g0.map((x, i) => (o.maximize ? -x : x) + wd * p[i]!);
    s.v = s.v.map((v, i) => alpha * v + (1 - alpha) * g[i]! * g[i]!);
    let vt = s.v.slice();
    if (o.centered) {
      s.gAvg = s.gAvg.map((a, i) => alpha * a + (1 - alpha) * g[i]!);
      vt = vt.map((v, i) => v - s.gAvg![i]! ** 2);
    }
    const denom = vt.map((v) => Math.sqrt(v) + eps);
    if (mu > 0) {
      s.b = s.b.map((b, i) => mu * b + g[i]! / denom[i]!);
      for (let i = 0; i < n; i++) p[i] = p[i]! - lr * s.b[i]!;
    } else {
      for (let i = 0; i < n; i++) p[i] = p[i]! - (lr * g[i]!) / denom[i]!;
    }
  };
}

interface AdamRef {
  lr?: number;
  betas?: [number, number];
  eps?: number;
  weightDecay?: number;
  amsgrad?: boolean;
  maximize?: boolean;
  decoupled?: boolean;
}
/**
 * torch.optim.Adam / AdamW: bias-corrected moments; amsgrad keeps the running max of the raw second
 * moment and divides its square root by sqrt(1 - beta2^t); AdamW shrinks p by (1 - lr wd) first.
 */
function adamRef(o: AdamRef): RefUpdate {
  const lr = o.lr ?? 1e-3;
  const [b1, b2] = o.betas ?? [0.9, 0.999];
  const eps = o.eps ?? 1e-8;
  const wd = o.weightDecay ?? (o.decoupled ? 0.01 : 0);
  return (p, g0, s, t) => {
    const n = p.length;
    s.m ??= new Array(n).fill(0);
    s.v ??= new Array(n).fill(0);
    s.vmax ??= new Array(n).fill(0);
    let g = g0.map((x) => (o.maximize ? -x : x));
    if (o.decoupled) for (let i = 0; i < n; i++) p[i] = p[i]! * (1 - lr * wd);
    else g = g.map((x, i) => x + wd * p[i]!);
    s.m = s.m.map((m, i) => b1 * m + (1 - b1) * g[i]!);
    s.v = s.v.map((v, i) => b2 * v + (1 - b2) * g[i]! * g[i]!);
    const bc1 = 1 - b1 ** t;
    const bc2 = 1 - b2 ** t;
    let v = s.v;
    if (o.amsgrad) {
      s.vmax = s.vmax.map((x, i) => Math.max(x, s.v![i]!));
      v = s.vmax;
    }
    for (let i = 0; i < n; i++) {
      const denom = Math.sqrt(v[i]!) / Math.sqrt(bc2) + eps;
      p[i] = p[i]! - (lr / bc1) * (s.m[i]! / denom);
    }
  };
}

function expectClose(actual: number[][][], expected: number[][][], tol = 1e-12): void {
  expect(actual.length).toBe(expected.length);
  actual.forEach((step, t) => {
    step.forEach((p, j) => {
      p.forEach((x, i) => {
        const e = expected[t]![j]![i]!;
        if (!(Math.abs(x - e) <= tol)) {
          throw new Error(`step ${t + 1}, param ${j}, element ${i}: got ${x}, expected ${e} (tol ${tol})`);
        }
      });
    });
  });
}

const STEPS = 7;
/** Large lr and small beta2: the iterate overshoots, v shrinks, and the running max drives the step. */
const AMS: AdamRef = { lr: 0.3, betas: [0.5, 0.6], amsgrad: true };

function check(makeOpt: (params: Parameter[]) => Optimizer, ref: RefUpdate): void {
  const params = makeParams();
  const got = trajectory(makeOpt(params), params, STEPS);
  const want = refTrajectory(ref, STEPS);
  expectClose(got, want);
  // The trajectory must actually move, or the comparison above proves little.
  expect(Math.abs(got[STEPS - 1]![0]![0]! - P0[0]![0]!)).toBeGreaterThan(1e-4);
}

describe("SGD matches torch's algorithm step by step", () => {
  const cases: [string, SGDRef][] = [
    ["plain", { lr: 0.1 }],
    ["momentum", { lr: 0.05, momentum: 0.9 }],
    ["momentum + dampening", { lr: 0.05, momentum: 0.9, dampening: 0.3 }],
    ["nesterov", { lr: 0.05, momentum: 0.8, nesterov: true }],
    ["weightDecay", { lr: 0.1, weightDecay: 0.2 }],
    ["weightDecay + momentum", { lr: 0.05, momentum: 0.7, weightDecay: 0.1 }],
    ["maximize", { lr: 0.02, maximize: true }],
    ["maximize + momentum + weightDecay", { lr: 0.02, momentum: 0.5, weightDecay: 0.3, maximize: true }],
  ];
  for (const [name, o] of cases) {
    it(name, () => check((ps) => new SGD(ps, o), sgdRef(o)));
  }
});

describe("RMSprop matches torch's algorithm step by step", () => {
  const cases: [string, RMSRef][] = [
    ["plain (defaults)", {}],
    ["lr, alpha, eps", { lr: 0.03, alpha: 0.9, eps: 1e-3 }],
    ["momentum", { lr: 0.01, momentum: 0.9 }],
    ["centered", { lr: 0.01, centered: true }],
    ["centered + momentum", { lr: 0.01, centered: true, momentum: 0.6, alpha: 0.95 }],
    ["weightDecay", { lr: 0.02, weightDecay: 0.5 }],
    ["maximize", { lr: 0.01, maximize: true }],
    ["maximize + centered + weightDecay", { lr: 0.01, maximize: true, centered: true, weightDecay: 0.1 }],
  ];
  for (const [name, o] of cases) {
    it(name, () => check((ps) => new RMSprop(ps, o), rmspropRef(o)));
  }
});

describe("Adam matches torch's algorithm step by step", () => {
  const cases: [string, AdamRef][] = [
    ["plain", { lr: 0.1 }],
    ["defaults", {}],
    ["betas and eps", { lr: 0.05, betas: [0.5, 0.9], eps: 1e-2 }],
    ["weightDecay (L2 in the gradient)", { lr: 0.1, weightDecay: 0.3 }],
    ["amsgrad", AMS],
    ["maximize", { lr: 0.05, maximize: true }],
    ["maximize + amsgrad + weightDecay", { lr: 0.05, maximize: true, amsgrad: true, weightDecay: 0.1 }],
  ];
  for (const [name, o] of cases) {
    it(name, () => check((ps) => new Adam(ps, o), adamRef(o)));
  }

  it("the amsgrad case exercises the running max (its reference differs from plain Adam everywhere)", () => {
    const withMax = refTrajectory(adamRef(AMS), STEPS)[STEPS - 1]!;
    const without = refTrajectory(adamRef({ ...AMS, amsgrad: false }), STEPS)[STEPS - 1]!;
    withMax.forEach((p, j) => {
      p.forEach((x, i) => {
        expect(Math.abs(x - without[j]![i]!)).toBeGreaterThan(1e-3);
      });
    });
  });
});

describe("AdamW matches torch's algorithm step by step", () => {
  const cases: [string, AdamRef][] = [
    ["default weightDecay 0.01", { lr: 0.1 }],
    ["larger weightDecay", { lr: 0.1, weightDecay: 0.5 }],
    ["amsgrad", { ...AMS, weightDecay: 0.1 }],
    ["maximize", { lr: 0.05, maximize: true, weightDecay: 0.2 }],
  ];
  for (const [name, o] of cases) {
    it(name, () => check((ps) => new AdamW(ps, o), adamRef({ ...o, decoupled: true })));
  }

  it("differs from Adam with the same weightDecay (decoupled vs L2)", () => {
    const p1 = makeParams();
    const p2 = makeParams();
    const a = trajectory(new Adam(p1, { lr: 0.1, weightDecay: 0.5 }), p1, 3);
    const w = trajectory(new AdamW(p2, { lr: 0.1, weightDecay: 0.5 }), p2, 3);
    expect(Math.abs(a[2]![0]![1]! - w[2]![0]![1]!)).toBeGreaterThan(1e-4);
  });

  it("defaults to weightDecay 0.01 and reports itself as AdamW", () => {
    const opt = new AdamW(makeParams());
    expect(opt.paramGroups[0]!.weightDecay).toBe(0.01);
    expect(new Adam(makeParams()).paramGroups[0]!.weightDecay).toBe(0);
    expect(() => new AdamW(makeParams(), { lr: -1 })).toThrow(/AdamW: invalid lr -1/);
  });
});

describe("parameter groups", () => {
  it("each group uses its own lr and options (SGD)", () => {
    const params = makeParams();
    const opt = new SGD(
      [
        { params: [params[0]!], lr: 0.1 },
        { params: [params[1]!], lr: 0.02, momentum: 0.9 },
      ],
      { lr: 0.5 },
    );
    const got = trajectory(opt, params, STEPS);
    const r0 = sgdRef({ lr: 0.1 });
    const r1 = sgdRef({ lr: 0.02, momentum: 0.9 });
    const want = refTrajectory((p, g, s, t, j) => (j === 0 ? r0 : r1)(p, g, s, t, j), STEPS);
    expectClose(got, want);
    expect(opt.paramGroups.map((g) => g.lr)).toEqual([0.1, 0.02]);
    expect(opt.paramGroups[0]!.momentum).toBe(0);
  });

  it("each group uses its own lr (Adam), and groups fall back to the defaults", () => {
    const params = makeParams();
    const opt = new Adam([{ params: [params[0]!] }, { params: [params[1]!], lr: 0.01 }], { lr: 0.1, amsgrad: true });
    expect(opt.paramGroups.map((g) => g.lr)).toEqual([0.1, 0.01]);
    const got = trajectory(opt, params, STEPS);
    const r0 = adamRef({ lr: 0.1, amsgrad: true });
    const r1 = adamRef({ lr: 0.01, amsgrad: true });
    expectClose(
      got,
      refTrajectory((p, g, s, t, j) => (j === 0 ? r0 : r1)(p, g, s, t, j), STEPS),
    );
  });

  it("a changed group lr is used by the next step (what schedulers rely on)", () => {
    const params = makeParams();
    const opt = new SGD(params, { lr: 0.1 });
    trajectory(opt, params, 1);
    for (const g of opt.paramGroups) g.lr = 0.01;
    const got = trajectory(opt, params, 1);
    const ref = refTrajectory((p, g, s, t, j) => sgdRef({ lr: t === 1 ? 0.1 : 0.01 })(p, g, s, t, j), 2);
    expectClose(got, [ref[1]!]);
  });
});
